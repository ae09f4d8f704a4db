import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { AirlockError, InputError, type JsonObject, type StepIO, type StepResult } from '@airlock/core';
import {
  credentialsInEnv,
  expandPaths,
  type KnownSecret,
  Redactor,
  runRedacted,
  scanFiles,
  toSarif,
  type WrapOptions,
} from '@airlock/redact';
import { shellCommand } from './shell.ts';

export interface Inputs {
  readonly run: string | undefined;
  readonly shell: string | undefined;
  readonly workingDirectory: string | undefined;
  readonly paths: readonly string[];
  readonly secrets: readonly string[];
  readonly secretEnv: readonly string[];
  readonly maskEnvCredentials: boolean;
  readonly minLength: number;
  readonly replacement: 'mask' | 'rule';
  readonly detectUnknown: boolean;
  readonly failOnFindings: boolean;
  readonly redactTo: string | undefined;
  readonly sarifFile: string | undefined;
}

/** What run() needs beyond StepIO: where the command's redacted output goes, and how it is started. */
export interface Deps {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly spawn?: WrapOptions['spawn'];
}

const defaultDeps: Deps = { stdout: process.stdout, stderr: process.stderr };

/** GitHub shows only the first annotations of a step; the rest go to the log, all of them to SARIF. */
const MAX_ANNOTATIONS = 50;

function knownSecrets(inputs: Inputs, io: StepIO): KnownSecret[] {
  const secrets: KnownSecret[] = inputs.secrets.map((value, i) => ({ value, source: `secrets line ${i + 1}` }));
  for (const name of inputs.secretEnv) {
    const value = io.env[name];
    if (value === undefined || value === '') {
      io.log.warning(`redact: secret-env names ${name}, which is not set or empty; nothing to register for it`);
      continue;
    }
    secrets.push({ value, source: `env ${name}` });
  }
  if (inputs.maskEnvCredentials) {
    const named = new Set(inputs.secretEnv);
    const env = Object.fromEntries(Object.entries(io.env).filter(([name]) => !named.has(name)));
    secrets.push(...credentialsInEnv(env, new Redactor(), inputs.minLength));
  }
  return secrets;
}

function prepare(inputs: Inputs, io: StepIO): Redactor {
  const secrets = knownSecrets(inputs, io);
  const redactor = new Redactor({
    secrets,
    minLength: inputs.minLength,
    rules: inputs.detectUnknown,
    replacement: inputs.replacement,
  });
  // Every variant goes to the runner too, so later steps are masked as well; before anything else can print it.
  for (const variant of redactor.variants) io.mask(variant);
  if (redactor.skipped.length > 0) {
    io.log.warning(
      `redact: ${redactor.skipped.length} secret(s) shorter than ${inputs.minLength} characters are not redacted (masking them would wreck the log): ${redactor.skipped.map((s) => s.source).join(', ')}`,
    );
  }
  io.log.info(
    `Registered ${redactor.secretCount} secret(s) as ${redactor.variants.length} forms${inputs.detectUnknown ? `, and ${redactor.rules.length} rules for unknown secrets` : ''}.`,
  );
  return redactor;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function summaryTable(io: StepIO, findings: ReadonlyArray<{ rule: string; source: string }>, what: string): void {
  if (findings.length === 0) {
    io.summary.paragraph(`No secrets ${what}.`);
    return;
  }
  const rows = Object.entries(countBy(findings, (f) => `${f.rule}\u0000${f.source}`)).map(([k, n]) => {
    const [rule, source] = k.split('\u0000') as [string, string];
    return [rule, source, String(n)];
  });
  io.summary.table(['rule', 'source', 'count'], rows, 'rules and sources');
}

function resolveIn(workspace: string, path: string): string {
  return isAbsolute(path) ? path : resolve(workspace, path);
}

async function runMode(inputs: Inputs, io: StepIO, deps: Deps): Promise<StepResult> {
  const redactor = prepare(inputs, io);
  const cwd = inputs.workingDirectory === undefined ? io.workspace : resolveIn(io.workspace, inputs.workingDirectory);
  if (!existsSync(cwd) || !statSync(cwd).isDirectory()) {
    throw new InputError(
      'input-invalid',
      `input 'working-directory' is ${inputs.workingDirectory}, which is not a directory`,
    );
  }
  const shell = shellCommand(inputs.shell, io.env);
  const scriptDir = join(io.runnerTemp ?? cwd, 'airlock-redact');
  mkdirSync(scriptDir, { recursive: true, mode: 0o700 });
  const script = join(scriptDir, `${randomUUID()}${shell.extension}`);
  writeFileSync(script, shell.script(inputs.run as string), { mode: 0o700 });
  // The command gets the step's environment without this action's inputs (the secrets are not the build's).
  const env = Object.fromEntries(Object.entries(io.env).filter(([name]) => !name.startsWith('INPUT_')));
  const findings: Array<{ rule: string; source: string }> = [];
  let result: Awaited<ReturnType<typeof runRedacted>>;
  try {
    result = await runRedacted({
      command: shell.command,
      args: shell.args(script),
      cwd,
      env,
      redactor,
      stdout: deps.stdout,
      stderr: deps.stderr,
      onFinding: (source, f) => findings.push({ rule: f.rule, source }),
      ...(deps.spawn === undefined ? {} : { spawn: deps.spawn }),
    });
  } finally {
    rmSync(script, { force: true });
  }
  const byRule = countBy(findings, (f) => f.rule);
  io.setOutput('exit-code', result.exitCode === null ? '' : String(result.exitCode));
  io.setOutput('signal', result.signal ?? '');
  io.setOutput('findings', findings.length);
  io.setOutput('findings-by-rule', byRule);
  io.setOutput('secrets', redactor.secretCount);
  io.summary
    .heading('Airlock redact')
    .paragraph(
      `${shell.name}: ${result.signal !== null ? `killed by ${result.signal}` : `exit code ${result.exitCode}`}; ${result.bytesIn.stdout + result.bytesIn.stderr} bytes of output, ${findings.length} redaction(s). ${redactor.secretCount} secret(s) registered as ${redactor.variants.length} forms.`,
    );
  summaryTable(io, findings, 'were printed');
  if (findings.length > 0) io.log.notice(`redact: ${findings.length} secret(s) redacted from the command's output`);
  const record: JsonObject = {
    mode: 'run',
    shell: shell.name,
    exitCode: result.exitCode,
    signal: result.signal,
    secrets: redactor.secretCount,
    variants: redactor.variants.length,
    skipped: redactor.skipped.length,
    findings: byRule,
    bytes: result.bytesIn.stdout + result.bytesIn.stderr,
  };
  if (result.signal !== null) {
    throw new AirlockError('command-failed', `the command was killed by ${result.signal}`);
  }
  if (result.exitCode !== 0) {
    throw new AirlockError('command-failed', `the command exited with code ${result.exitCode}`);
  }
  return { result: record };
}

async function scanMode(inputs: Inputs, io: StepIO): Promise<StepResult> {
  const redactor = prepare(inputs, io);
  const { files, unmatched } = await expandPaths(inputs.paths, io.workspace);
  for (const pattern of unmatched) io.log.warning(`redact: paths entry '${pattern}' matches no file`);
  if (files.length === 0) {
    throw new InputError(
      'input-invalid',
      `input 'paths' matches no file in the workspace (${inputs.paths.join(', ')})`,
    );
  }
  const redactTo = inputs.redactTo === undefined ? undefined : resolveIn(io.workspace, inputs.redactTo);
  const report = await scanFiles(files, {
    redactor,
    root: io.workspace,
    ...(redactTo === undefined ? {} : { redactTo }),
  });
  let annotated = 0;
  for (const f of report.findings) {
    const archive = f.path.indexOf('!/');
    const message = `${f.rule}: a secret at ${f.path}:${f.line}:${f.column} (value not shown)`;
    if (annotated++ >= MAX_ANNOTATIONS) {
      io.log.info(message);
    } else if (archive >= 0) {
      io.log.error(message, { file: f.path.slice(0, archive), title: `secret: ${f.rule}` });
    } else {
      io.log.error(message, {
        file: f.path,
        startLine: f.line,
        ...(f.endLine === f.line ? { startColumn: f.column, endColumn: f.endColumn } : { endLine: f.endLine }),
        title: `secret: ${f.rule}`,
      });
    }
  }
  for (const p of report.problems) io.log.warning(`redact: ${p.message}`, { file: p.path.split('!/')[0] as string });
  const sarifPath =
    inputs.sarifFile !== undefined
      ? resolveIn(io.workspace, inputs.sarifFile)
      : join(io.runnerTemp ?? io.workspace, 'airlock-redact', 'results.sarif');
  mkdirSync(dirname(sarifPath), { recursive: true, mode: 0o700 });
  writeFileSync(sarifPath, `${JSON.stringify(toSarif(report.findings), null, 2)}\n`, { mode: 0o600 });
  const byRule = countBy(report.findings, (f) => f.rule);
  io.setOutput('findings', report.findings.length);
  io.setOutput('findings-by-rule', byRule);
  io.setOutput('secrets', redactor.secretCount);
  io.setOutput('files', report.scanned);
  io.setOutput('sarif-file', sarifPath);
  if (redactTo !== undefined) io.setOutput('redacted-dir', redactTo);
  io.summary
    .heading('Airlock redact: scan')
    .paragraph(
      `${report.scanned} file(s) and archive member(s), ${report.bytes} bytes scanned; ${report.findings.length} secret(s) found.`,
    );
  summaryTable(
    io,
    report.findings.map((f) => ({ rule: f.rule, source: f.path })),
    'found',
  );
  if (report.problems.length > 0) {
    io.summary.table(
      ['not scanned', 'why'],
      report.problems.map((p) => [p.path, p.code]),
      'files not scanned',
    );
  }
  if (redactTo !== undefined)
    io.summary.paragraph(`${report.written.length} redacted cop(ies) written to ${inputs.redactTo}.`);
  const record: JsonObject = {
    mode: 'scan',
    files: report.scanned,
    bytes: report.bytes,
    secrets: redactor.secretCount,
    findings: byRule,
    problems: report.problems.length,
    redacted: report.written.length,
  };
  if (inputs.failOnFindings && (report.findings.length > 0 || report.problems.length > 0)) {
    const parts = [];
    if (report.findings.length > 0) {
      const files = new Set(report.findings.map((f) => f.path)).size;
      parts.push(`${report.findings.length} secret(s) found in ${files} file(s) (${Object.keys(byRule).join(', ')})`);
    }
    if (report.problems.length > 0) parts.push(`${report.problems.length} file(s) could not be scanned`);
    throw new AirlockError(
      'secrets-found',
      `${parts.join('; ')}. See the annotations and ${sarifPath}; values are never shown. Remove the secrets (and rotate them), or upload the redacted copies.`,
    );
  }
  return { result: record };
}

export async function run(inputs: Inputs, io: StepIO, deps: Deps = defaultDeps): Promise<StepResult> {
  const runMode_ = inputs.run !== undefined;
  const scanMode_ = inputs.paths.length > 0;
  if (runMode_ && scanMode_) {
    throw new InputError('input-invalid', "inputs 'run' and 'paths' are both given; use one step for each");
  }
  if (!runMode_ && !scanMode_) {
    throw new InputError(
      'input-missing',
      "give 'run' (a command to run with its output redacted) or 'paths' (files to scan)",
    );
  }
  if (!runMode_ && (inputs.shell !== undefined || inputs.workingDirectory !== undefined)) {
    throw new InputError('input-invalid', "inputs 'shell' and 'working-directory' only apply with 'run'");
  }
  if (runMode_ && (inputs.redactTo !== undefined || inputs.sarifFile !== undefined)) {
    throw new InputError('input-invalid', "inputs 'redact-to' and 'sarif-file' only apply with 'paths'");
  }
  return runMode_ ? runMode(inputs, io, deps) : scanMode(inputs, io);
}
