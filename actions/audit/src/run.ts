import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import {
  type AuditConfig,
  AuditError,
  type AuditResult,
  auditTextsLean,
  auditTextsParallel,
  countBySeverity,
  DEFAULT_CONFIG,
  discover,
  type FailOn,
  type Finding,
  type Inventory,
  inventoryOf,
  parseConfig,
  planFixes,
  reaches,
  readInputs,
  toSarif,
  type WorkerLike,
  withFindings,
  workflowContext,
  writeSummary,
} from '@airlock/audit';
import { InputError, type JsonObject, type StepIO, type StepResult } from '@airlock/core';

export interface Inputs {
  readonly paths: readonly string[];
  readonly config: string;
  /** The config input was set to something other than its default: the file must exist. */
  readonly configRequired: boolean;
  readonly failOn: FailOn | undefined;
  readonly inventory: boolean;
  readonly sarif: boolean;
  readonly annotations: boolean;
  readonly online: boolean;
  readonly token: string | undefined;
  /** Worker threads for large audits: the bundle to start and how many (not inputs: from index.ts). */
  readonly workers?: { readonly spawn: () => WorkerLike | Promise<WorkerLike>; readonly threads: number } | undefined;
}

function loadConfig(inputs: Inputs, workspace: string): AuditConfig {
  const path = resolve(workspace, inputs.config);
  if (!existsSync(path)) {
    if (inputs.configRequired) {
      throw new InputError('input-invalid', `input 'config': ${inputs.config} does not exist in the workspace`);
    }
    return DEFAULT_CONFIG;
  }
  const shown = relative(workspace, path).split('\\').join('/') || inputs.config;
  return parseConfig(readFileSync(path, 'utf8'), shown);
}

function annotate(io: StepIO, f: Finding): void {
  const online = f.path.startsWith('github:');
  const props = online
    ? { title: `airlock audit: ${f.rule}` }
    : {
        title: `airlock audit: ${f.rule} (${f.severity})`,
        file: f.path,
        startLine: f.line,
        startColumn: f.column,
        ...(f.endLine === f.line ? { endLine: f.endLine, endColumn: f.endColumn } : { endLine: f.endLine }),
      };
  const message = `${f.message} [${f.rule}, ${f.severity}, confidence ${f.confidence}]`;
  if (f.severity === 'critical' || f.severity === 'high') io.log.error(message, props);
  else if (f.severity === 'medium') io.log.warning(message, props);
  else io.log.notice(message, props);
}

/** A loopback http API (tests, local emulators) is allowed; anything else must be https, since the token goes there. */
function apiBase(io: StepIO): string {
  const url = new URL(io.github.apiUrl);
  const loopback = ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new InputError(
      'input-invalid',
      `the GitHub API URL ${url.origin} is not https: refusing to send the token there`,
    );
  }
  return url.href.replace(/\/+$/, '');
}

async function online(inputs: Inputs, io: StepIO): Promise<{ findings: Finding[]; passed: string[] }> {
  const token = inputs.token;
  if (token === undefined) {
    throw new InputError(
      'input-missing',
      "input 'github-token' is required for online checks (the default is github.token)",
    );
  }
  const repository = io.github.repository;
  const sha = io.github.sha;
  if (repository === undefined || sha === undefined) {
    throw new InputError(
      'input-invalid',
      'online checks need GITHUB_REPOSITORY and GITHUB_SHA (run them in GitHub Actions)',
    );
  }
  const pullRequest = (io.github.eventName ?? '').startsWith('pull_request');
  const branch = pullRequest ? io.github.baseRef : io.github.refType === 'branch' ? io.github.refName : undefined;
  if (branch === undefined) {
    throw new InputError('input-invalid', `online checks need a branch; ${io.github.ref ?? 'this ref'} is not one`);
  }
  // @octokit/rest is loaded only here: the static audit does not pay for it at start-up.
  const { octokitFetch, onlineChecks } = await import(/* webpackMode: "eager" */ '@airlock/audit/online');
  const http = io.http({ userAgent: `airlock-audit/${io.action.version}` });
  const result = await onlineChecks({
    fetch: octokitFetch(http),
    baseUrl: apiBase(io),
    token,
    repository,
    sha,
    branch,
    userAgent: `airlock-audit/${io.action.version}`,
    twoPerson: !pullRequest,
  });
  if (pullRequest) io.log.info('online: the two-person check runs on pushes (a pull request is not merged yet)');
  return { findings: [...result.findings], passed: [...result.passed] };
}

function writePrivate(dir: string, name: string, text: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
}

export async function run(inputs: Inputs, io: StepIO): Promise<StepResult> {
  const workspace = io.workspace;
  const config = loadConfig(inputs, workspace);
  const failOn: FailOn = inputs.failOn ?? config.failOn ?? 'high';
  const paths = inputs.paths.length === 0 ? ['.'] : inputs.paths;
  for (const p of paths) {
    if (isAbsolute(p) || relative(workspace, resolve(workspace, p)).startsWith('..')) {
      throw new InputError('input-invalid', `input 'paths': ${p} is outside the workspace`);
    }
  }
  const now = io.now();
  const discovered = discover(workspace, paths, config.exclude);
  const files = readInputs(discovered);
  const context = workflowContext(workspace, discovered);
  const started = Date.now();
  let result: AuditResult =
    inputs.workers === undefined
      ? auditTextsLean(files, { config, now, context, inventory: inputs.inventory })
      : await auditTextsParallel(files, {
          config,
          now,
          context,
          threads: inputs.workers.threads,
          spawn: inputs.workers.spawn,
          inventory: inputs.inventory,
        });
  io.log.info(
    `audited ${files.length} file(s) in ${Date.now() - started} ms${result.threads !== undefined && files.length > 0 ? ` in ${inputs.workers?.threads} threads (this one and workers)` : ''}`,
  );
  if (result.files.size === 0) {
    throw new AuditError('no-files', `found no workflow or action metadata under ${paths.join(', ')}`);
  }
  let passed: string[] = [];
  if (inputs.online) {
    const checked = await online(inputs, io);
    result = withFindings(result, checked.findings, { config, now });
    passed = checked.passed;
    for (const line of passed) io.log.info(`online: ${line}`);
  }

  const { findings, suppressed } = result;
  if (inputs.annotations) for (const f of findings) annotate(io, f);
  for (const f of findings) io.log.info(`${f.path}:${f.line}:${f.column} ${f.severity} ${f.rule}: ${f.message}`);
  const failing = findings.filter((f) => reaches(f.severity, failOn));
  const fixes = planFixes(result, { config, now });
  if (fixes.fixed > 0) {
    io.log.info(
      `${fixes.fixed} finding(s) have safe fixes (shown in the job summary); \`airlock audit --fix\` applies them.`,
    );
  }
  let inv: Inventory | undefined;
  if (inputs.inventory) {
    inv = inventoryOf(result);
    io.setOutput('inventory', inv as unknown as JsonObject);
  }
  writeSummary(io.summary, {
    findings,
    suppressed,
    files: result.files.size,
    failOn,
    failed: failing.length > 0,
    inventory: inv,
    diff: fixes.diff,
    online: inputs.online ? passed : undefined,
  });
  io.setOutput('findings', findings.length);
  io.setOutput('highest', result.highest ?? 'none');
  if (inputs.sarif) {
    if (io.runnerTemp === undefined) throw new InputError('input-invalid', "input 'sarif' needs RUNNER_TEMP");
    const sarif = toSarif(findings, suppressed, {
      version: io.action.version,
      lineText: (path, line) => result.files.get(path)?.lineText(line),
    });
    const file = writePrivate(join(io.runnerTemp, 'airlock'), 'audit.sarif', `${JSON.stringify(sarif, null, 2)}\n`);
    io.setOutput('sarif-file', file);
  }
  io.log.info(
    `airlock audit: ${result.files.size} file(s), ${findings.length === 0 ? 'no findings' : `${findings.length} finding(s) (${countBySeverity(findings)})`}${suppressed.length > 0 ? `, ${suppressed.length} ignored` : ''}`,
  );
  if (failing.length > 0) {
    throw new AuditError(
      'findings',
      `${failing.length} finding(s) at or above ${failOn} (${countBySeverity(failing)}); see the annotations and the job summary`,
    );
  }
  return {
    result: {
      files: result.files.size,
      findings: findings.length,
      suppressed: suppressed.length,
      highest: result.highest ?? 'none',
      failOn,
      rules: [...new Set(findings.map((f) => f.rule))].sort(),
    },
  };
}
