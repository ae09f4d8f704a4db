import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { AirlockError, InputError, type StepIO, type StepResult } from '@airlock/core';
import {
  type AdvisorySourceOptions,
  type BaseRevision,
  baseFromEvent,
  DEFAULT_POLICY,
  type FailOn,
  licenseList,
  mergePolicy,
  type Policy,
  parsePolicyFile,
  resolveBase,
  SCOPES,
  type Scope,
  scan,
  toCycloneDx,
  toJsonReport,
  toSarif,
  type UnscoredPolicy,
  writeSummary,
} from '@airlock/deps';

export interface Inputs {
  readonly paths: readonly string[];
  readonly offlineDb: string | undefined;
  readonly osvApiUrl: URL;
  readonly failOn: FailOn | undefined;
  readonly unscored: UnscoredPolicy | undefined;
  readonly scopes: readonly string[];
  readonly allowLicenses: string | undefined;
  readonly denyLicenses: string | undefined;
  readonly policyFile: string;
  readonly mode: 'auto' | 'full' | 'pull-request';
  readonly baseRef: string | undefined;
  readonly ifNoLockfiles: 'fail' | 'warn' | 'ignore';
  readonly sarifFile: string | undefined;
  readonly jsonFile: string | undefined;
  readonly sbomFile: string | undefined;
  readonly goStdlib: boolean;
}

const DEFAULT_POLICY_FILE = 'airlock.yml';
const INFO_URI = 'https://github.com/airlock-actions/airlock';

function loadPolicy(inputs: Inputs, workspace: string): Policy {
  const path = resolve(workspace, inputs.policyFile);
  let policy = DEFAULT_POLICY;
  if (existsSync(path)) {
    policy = parsePolicyFile(readFileSync(path, 'utf8'), inputs.policyFile);
  } else if (inputs.policyFile !== DEFAULT_POLICY_FILE) {
    throw new InputError(
      'input-invalid',
      `input 'policy-file' names ${inputs.policyFile}, which does not exist in the workspace`,
    );
  }
  const scopes = inputs.scopes.map((s) => {
    if (!(SCOPES as readonly string[]).includes(s)) {
      throw new InputError('input-invalid', `input 'scopes' items must be runtime, dev or optional; got '${s}'`);
    }
    return s as Scope;
  });
  return mergePolicy(policy, {
    ...(inputs.failOn === undefined ? {} : { failOn: inputs.failOn }),
    ...(inputs.unscored === undefined ? {} : { unscored: inputs.unscored }),
    ...(scopes.length === 0 ? {} : { scopes }),
    licenses: {
      ...(inputs.allowLicenses === undefined
        ? {}
        : { allow: licenseList(inputs.allowLicenses, "input 'allow-licenses'") }),
      ...(inputs.denyLicenses === undefined ? {} : { deny: licenseList(inputs.denyLicenses, "input 'deny-licenses'") }),
    },
  });
}

function base(inputs: Inputs, io: StepIO): BaseRevision | undefined {
  if (inputs.mode === 'full') return undefined;
  if (inputs.baseRef !== undefined) return resolveBase(inputs.baseRef, io.workspace);
  let payload: unknown;
  if (io.github.eventPath !== undefined && existsSync(io.github.eventPath)) {
    try {
      payload = JSON.parse(readFileSync(io.github.eventPath, 'utf8'));
    } catch {
      payload = undefined;
    }
  }
  const found = baseFromEvent(io.github.eventName, payload);
  if (found === undefined) {
    if (inputs.mode === 'pull-request') {
      throw new InputError(
        'input-invalid',
        `input 'mode' is pull-request but the ${io.github.eventName ?? 'unknown'} event has no base revision; set 'base-ref'`,
      );
    }
    return undefined;
  }
  io.log.info(`Pull-request mode: comparing with ${found.ref} (${found.from})`);
  return resolveBase(found.ref, io.workspace);
}

function writePrivate(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

export async function run(inputs: Inputs, io: StepIO): Promise<StepResult> {
  if (inputs.osvApiUrl.protocol === 'http:' && !/^(127\.|localhost$|\[::1\]$)/.test(inputs.osvApiUrl.hostname)) {
    throw new InputError(
      'input-invalid',
      `input 'osv-api-url' must use https (plain http is accepted for loopback test services only); got '${inputs.osvApiUrl.href}'`,
    );
  }
  const policy = loadPolicy(inputs, io.workspace);
  const cacheRoot = io.runnerTemp ?? undefined;
  const source: AdvisorySourceOptions =
    inputs.offlineDb !== undefined
      ? {
          kind: 'offline',
          dir: resolve(io.workspace, inputs.offlineDb),
          ...(cacheRoot === undefined ? {} : { indexDir: join(cacheRoot, 'airlock', 'osv-index') }),
        }
      : {
          kind: 'online',
          http: io.http({ retry: { maxAttempts: 4, deadlineMs: 120_000 } }),
          baseUrl: inputs.osvApiUrl,
          ...(cacheRoot === undefined ? {} : { cacheDir: join(cacheRoot, 'airlock', 'osv-cache') }),
        };
  const report = await scan({
    root: io.workspace,
    paths: inputs.paths.length === 0 ? ['.'] : inputs.paths,
    source,
    policy,
    ...(() => {
      const b = base(inputs, io);
      return b === undefined ? {} : { base: b };
    })(),
    noLockfiles: inputs.ifNoLockfiles,
    goStdlib: inputs.goStdlib,
    now: io.now,
    log: io.log,
  });

  for (const l of report.lockfiles) io.log.info(`${l.path} (${l.kind}): ${l.packages} packages`);
  for (const w of report.warnings) io.log.warning(w);
  for (const r of report.policy.expiredIgnores) {
    io.log.warning(`ignore ${r.id} expired on ${r.expires} and no longer applies (${r.source}): ${r.reason}`);
  }
  for (const r of report.policy.unusedIgnores) {
    io.log.notice(`ignore ${r.id} (${r.source}) matched no finding; remove it if the vulnerability is gone`);
  }
  for (const u of report.notEvaluated) {
    io.log.warning(`${u.advisory.id} not evaluated for ${u.package.name}@${u.package.version}: ${u.reason}`, {
      file: u.package.source.path,
      startLine: u.package.source.line,
    });
  }
  let annotated = 0;
  let reported = 0;
  for (const { finding: f, disposition } of report.policy.decisions) {
    if (disposition.kind === 'report') reported++;
    if (disposition.kind !== 'fail') continue;
    const text = `${f.package.name}@${f.package.version}: ${f.id} (${f.severity.level}${f.severity.score === undefined ? '' : ` ${f.severity.score}`})${f.advisories[0]?.summary ? ` ${f.advisories[0].summary}` : ''}`;
    // GitHub shows only the first annotations of a step: the rest go to the log, all of them to the summary and SARIF.
    if (annotated++ < 50)
      io.log.error(text, { file: f.package.source.path, startLine: f.package.source.line, title: f.id });
    else io.log.info(`${text} (${f.package.source.path}:${f.package.source.line})`);
  }
  const unscored = report.policy.decisions.filter(
    (d) => d.disposition.kind === 'report' && d.finding.severity.level === 'unscored',
  ).length;
  if (unscored > 0 && policy.unscored === 'warn') {
    io.log.warning(
      `${unscored} finding(s) have no severity in their advisories (policy: unscored warn); see the job summary`,
    );
  }
  for (const u of report.unpinned.slice(0, 20)) {
    io.log.warning(`${u.name} ${u.spec} is not pinned to one version, so it is not scanned`, {
      file: u.source.path,
      startLine: u.source.line,
    });
  }
  if (report.unpinned.length > 20)
    io.log.warning(`${report.unpinned.length - 20} more unpinned requirements are listed in the job summary`);
  if (reported > 0) {
    io.log.info(
      `${reported} finding(s) below the policy's threshold or outside its scopes are listed in the job summary and the SARIF report`,
    );
  }
  for (const v of report.policy.licenseViolations) {
    io.log.error(`${v.package.name}@${v.package.version}: ${v.reason}`, {
      file: v.package.source.path,
      startLine: v.package.source.line,
      title: 'license policy',
    });
  }

  const tool = { name: 'Airlock scan', version: io.action.version, informationUri: INFO_URI };
  const sarifPath =
    inputs.sarifFile !== undefined
      ? resolve(io.workspace, inputs.sarifFile)
      : join(io.runnerTemp ?? io.workspace, 'airlock-scan', 'results.sarif');
  writePrivate(sarifPath, `${JSON.stringify(toSarif(report, tool))}\n`); // compact: it is for machines, and large
  io.setOutput('sarif-file', sarifPath);
  if (inputs.jsonFile !== undefined) {
    const path = isAbsolute(inputs.jsonFile) ? inputs.jsonFile : resolve(io.workspace, inputs.jsonFile);
    writePrivate(path, `${JSON.stringify(toJsonReport(report), null, 2)}\n`);
    io.setOutput('json-file', path);
  }
  if (inputs.sbomFile !== undefined) {
    const path = isAbsolute(inputs.sbomFile) ? inputs.sbomFile : resolve(io.workspace, inputs.sbomFile);
    writePrivate(path, `${toCycloneDx(report, tool, io.now())}\n`);
    io.setOutput('sbom-file', path);
  }
  const c = report.counts;
  const ignored = report.policy.decisions.filter((d) => d.disposition.kind === 'ignored').length;
  io.setOutput('findings', c.critical + c.high + c.medium + c.low + c.none + c.unscored);
  io.setOutput('critical', c.critical);
  io.setOutput('high', c.high);
  io.setOutput('medium', c.medium);
  io.setOutput('low', c.low);
  io.setOutput('unscored', c.unscored);
  io.setOutput('ignored', ignored);
  io.setOutput('packages', report.packages.length);
  io.setOutput('failed', report.policy.failed);
  writeSummary(io.summary, report, { sarifFile: sarifPath });

  const result = {
    lockfiles: report.lockfiles.length,
    packages: report.packages.length,
    counts: { ...c },
    ignored,
    failed: report.policy.failed,
    ...(report.base === undefined ? {} : { base: report.base.ref }),
  };
  if (report.policy.failed) {
    throw new AirlockError('policy-failed', `the dependency policy failed: ${report.policy.reasons.join('; ')}`);
  }
  io.log.info(
    `No policy violation: ${report.packages.length} packages, ${c.critical} critical, ${c.high} high, ${c.medium} medium, ${c.low} low, ${c.unscored} unscored, ${ignored} ignored`,
  );
  return { result };
}
