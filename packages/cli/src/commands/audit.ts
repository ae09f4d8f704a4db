import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import {
  type AuditConfig,
  type AuditResult,
  auditPaths,
  DEFAULT_CONFIG,
  FAIL_ON,
  type FailOn,
  findingRecords,
  findingsText,
  inventory,
  inventoryText,
  parseConfig,
  planFixes,
  reaches,
  toSarif,
  withFindings,
} from '@airlock/audit';
import { AIRLOCK_VERSION, createNodeFetch, HttpClient, InputError, proxySettingsFromEnv } from '@airlock/core';
import { type Command, EXIT } from '../cli.ts';

/**
 * `airlock audit [PATH…]`: the workflow audit of actions/audit, locally. PATH is a repository root (its
 * .github/workflows and every action.yml), a directory, or single files; the default is the current directory.
 */
function loadConfig(cwd: string, given: string | undefined): AuditConfig {
  const candidates = given !== undefined ? [given] : ['airlock.yml', '.github/airlock.yml'];
  for (const candidate of candidates) {
    const path = resolve(cwd, candidate);
    if (!existsSync(path)) continue;
    return parseConfig(readFileSync(path, 'utf8'), relative(cwd, path).split('\\').join('/') || candidate);
  }
  if (given !== undefined) throw new InputError('input-invalid', `option '--config': ${given} does not exist`);
  return DEFAULT_CONFIG;
}

async function runOnline(
  result: AuditResult,
  values: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
  config: AuditConfig,
  now: Date,
): Promise<{ result: AuditResult; passed: string[] }> {
  const repository = (values.repository as string | undefined) ?? env.GITHUB_REPOSITORY;
  const sha = (values.sha as string | undefined) ?? env.GITHUB_SHA;
  const branch = (values.branch as string | undefined) ?? env.GITHUB_REF_NAME;
  const token = env.GITHUB_TOKEN ?? env.GH_TOKEN;
  const missing = [...(repository ? [] : ['--repository']), ...(sha ? [] : ['--sha']), ...(branch ? [] : ['--branch'])];
  if (missing.length > 0) throw new InputError('input-missing', `--online needs ${missing.join(', ')}`);
  if (!token) throw new InputError('input-missing', '--online needs a token in GITHUB_TOKEN or GH_TOKEN');
  const apiUrl = new URL((values['api-url'] as string | undefined) ?? env.GITHUB_API_URL ?? 'https://api.github.com');
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(apiUrl.hostname);
  if (apiUrl.protocol !== 'https:' && !(apiUrl.protocol === 'http:' && loopback)) {
    throw new InputError(
      'input-invalid',
      `option '--api-url' must be https (the token is sent there); got ${apiUrl.origin}`,
    );
  }
  const { octokitFetch, onlineChecks } = await import(/* webpackMode: "eager" */ '@airlock/audit/online');
  const http = new HttpClient({
    fetch: createNodeFetch({ proxy: proxySettingsFromEnv(env) }),
    userAgent: `airlock-cli/${AIRLOCK_VERSION}`,
  });
  const checked = await onlineChecks({
    fetch: octokitFetch(http),
    baseUrl: apiUrl.href,
    token,
    repository: repository as string,
    sha: sha as string,
    branch: branch as string,
    userAgent: `airlock-cli/${AIRLOCK_VERSION}`,
  });
  return { result: withFindings(result, checked.findings, { config, now }), passed: [...checked.passed] };
}

export const auditCommand: Command = {
  path: ['audit'],
  summary:
    'Audit GitHub Actions workflows and action metadata (permissions, pinning, injection, triggers, identities).',
  args: '[PATH…]',
  description: [
    'PATH is a repository root (its .github/workflows and every action.yml below it), a directory, or workflow and',
    'action files; the default is the current directory. Configuration: --config, else airlock.yml or',
    '.github/airlock.yml (the audit: section). Exits 1 when a finding reaches --fail-on (default: the',
    "configuration's fail-on, else high). --format json prints [{rule, severity, path, line, column, message}],",
    'with --inventory {findings, inventory}. Safe fixes are shown as a diff; --fix writes them. --online checks the',
    'review rules through the GitHub API with the token in GITHUB_TOKEN or GH_TOKEN.',
  ].join('\n'),
  formats: ['table', 'json', 'sarif'],
  options: {
    'fail-on': { type: 'string', value: 'SEVERITY', description: `Exit 1 at or above: ${FAIL_ON.join(', ')}.` },
    inventory: {
      type: 'boolean',
      description: 'Also list every identity per job (token, OIDC, secrets, environments).',
    },
    fix: {
      type: 'boolean',
      description: 'Write the safe fixes (permissions: {}, persist-credentials, env indirection).',
    },
    config: { type: 'string', value: 'FILE', description: 'Audit configuration (default airlock.yml if present).' },
    online: { type: 'boolean', description: 'Check reviews and branch rules through the GitHub API.' },
    repository: {
      type: 'string',
      value: 'OWNER/REPO',
      description: 'Repository for --online (default GITHUB_REPOSITORY).',
    },
    sha: { type: 'string', value: 'SHA', description: 'Commit for --online (default GITHUB_SHA).' },
    branch: { type: 'string', value: 'BRANCH', description: 'Branch for --online (default GITHUB_REF_NAME).' },
    'api-url': { type: 'string', value: 'URL', description: 'GitHub API URL for --online (default GITHUB_API_URL).' },
  },
  async run({ values, positionals, format, io, out, err, progress }) {
    const failOnValue = values['fail-on'];
    if (typeof failOnValue === 'string' && !(FAIL_ON as readonly string[]).includes(failOnValue)) {
      throw new InputError(
        'input-invalid',
        `option '--fail-on' must be one of ${FAIL_ON.join(', ')}; got '${failOnValue}'`,
      );
    }
    const config = loadConfig(io.cwd, values.config as string | undefined);
    const failOn: FailOn = (failOnValue as FailOn | undefined) ?? config.failOn ?? 'high';
    const now = new Date();
    const paths = positionals.length === 0 ? ['.'] : [...positionals];
    progress.update('auditing…');
    let result = auditPaths(io.cwd, paths, { config, now });
    if (result.files.size === 0) {
      throw new InputError('input-invalid', `found no workflow or action metadata under ${paths.join(', ')}`);
    }
    let passed: string[] = [];
    if (values.online === true) {
      progress.update('checking reviews and branch rules…');
      ({ result, passed } = await runOnline(result, values, io.env, config, now));
    }
    const plan = planFixes(result, { config, now });
    if (values.fix === true && plan.files.size > 0) {
      for (const [path, text] of plan.files) writeFileSync(resolve(io.cwd, path), text);
      err(`airlock audit: fixed ${plan.fixed} finding(s) in ${plan.files.size} file(s):\n${plan.diff}`);
      result = withFindings(auditPaths(io.cwd, paths, { config, now }), [], { config, now });
      if (values.online === true) ({ result } = await runOnline(result, values, io.env, config, now));
    }
    progress.done();
    const inv = values.inventory === true ? inventory(result.documents) : undefined;
    const { findings, suppressed } = result;
    if (format === 'json') {
      const records = findingRecords(findings);
      out(JSON.stringify(inv === undefined ? records : { findings: records, inventory: inv }, null, 2));
    } else if (format === 'sarif') {
      const sarif = toSarif(findings, suppressed, {
        version: AIRLOCK_VERSION,
        lineText: (path, line) => result.files.get(path)?.lineText(line),
        ...(inv === undefined ? {} : { properties: { inventory: inv } }),
      });
      out(JSON.stringify(sarif, null, 2));
    } else {
      io.stdout.write(findingsText(findings, suppressed));
      for (const line of passed) out(`online: ${line}`);
      if (inv !== undefined) io.stdout.write(`\n${inventoryText(inv)}`);
      if (values.fix !== true && plan.diff !== '') {
        io.stdout.write(`\nSafe fixes for ${plan.fixed} finding(s) (airlock audit --fix writes them):\n${plan.diff}`);
      }
    }
    return findings.some((f) => reaches(f.severity, failOn)) ? EXIT.findings : EXIT.ok;
  },
};
