// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub expression syntax throughout, not JavaScript templates
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { verifyChain } from '@airlock/core';
import { Job, type JobOptions } from '@airlock/testkit';
import { GitHubApi } from '@airlock/testkit/github-api';
import { afterEach, describe, expect, it } from 'vitest';
import { actionDir, FIXTURES, ROOT } from '../../support/paths.ts';

/** actions/audit end to end: the built dist/audit through the runner-faithful harness. */
const AUDIT = actionDir('audit');
const jobs: Job[] = [];
const apis: GitHubApi[] = [];
afterEach(async () => {
  for (const job of jobs.splice(0)) job.dispose();
  for (const api of apis.splice(0)) await api.stop();
});

function newJob(files: Record<string, string>, options: JobOptions = {}): Job {
  const job = new Job(options);
  jobs.push(job);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(job.workspace, path)), { recursive: true });
    writeFileSync(join(job.workspace, path), text);
  }
  return job;
}

const BAD = `name: bad
on:
  pull_request_target:
permissions: {}
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "\${{ github.event.pull_request.title }}"
`;

describe('actions/audit', () => {
  it('passes a clean repository: the project’s own workflows', async () => {
    const job = newJob({});
    mkdirSync(join(job.workspace, '.github/workflows'), { recursive: true });
    const workflows = readdirSync(join(ROOT, '.github/workflows')).filter((f) => /\.ya?ml$/.test(f));
    for (const f of workflows)
      copyFileSync(join(ROOT, '.github/workflows', f), join(job.workspace, '.github/workflows', f));
    const run = await job.step(AUDIT, {});
    expect(run.outcome).toBe('success');
    expect(run.outputs).toMatchObject({ findings: '0', highest: 'none' });
    expect(run.annotations).toEqual([]);
    expect(run.summary).toContain('## Airlock audit');
    expect(run.summary).toContain(`${workflows.length} file${workflows.length === 1 ? '' : 's'} audited: no findings`);
    expect(run.log).toMatch(/airlock-trail seq=1 sha256=[0-9a-f]{64}/);
    const trail = verifyChain(readFileSync(join(job.runnerTemp, 'airlock/trail.jsonl'), 'utf8'));
    expect(trail.ok && trail.records[0]?.result).toMatchObject({
      files: workflows.length,
      findings: 0,
      highest: 'none',
      failOn: 'high',
    });
  });

  it('annotates each finding at its file, line and column, summarises, and fails at fail-on', async () => {
    const job = newJob({ '.github/workflows/bad.yml': BAD });
    const run = await job.step(AUDIT, {});
    expect(run.exitCode).toBe(1);
    expect(run.outputs.highest).toBe('critical');
    expect(Number(run.outputs.findings)).toBeGreaterThanOrEqual(4);
    const injection = run.annotations.find((a) => a.title?.includes('template-injection'));
    expect(injection).toMatchObject({
      level: 'error',
      file: '.github/workflows/bad.yml',
      line: 10,
      col: 20,
      endLine: 10,
      endColumn: 58,
    });
    const pin = run.annotations.find((a) => a.title?.includes('unpinned-uses'));
    expect(pin).toMatchObject({ level: 'warning', file: '.github/workflows/bad.yml', line: 9, col: 15 });
    const failure = run.annotations.filter((a) => a.level === 'error' && a.file === undefined);
    expect(failure.map((a) => a.message)).toEqual([
      'audit: 1 finding(s) at or above high (1 critical); see the annotations and the job summary',
    ]);
    expect(run.summary).toContain('| severity | rule | location | message |');
    expect(run.summary).toContain('.github/workflows/bad.yml:10:20');
    expect(run.summary).toContain('```diff');
    expect(run.summary).toContain('+          persist-credentials: false');
    expect(run.summary).toContain('PULL_REQUEST_TITLE: ${{ github.event.pull_request.title }}');
    expect(run.log).not.toMatch(/\n\s+at /);
  });

  it('reports without failing under fail-on: never, and writes SARIF 0600 in RUNNER_TEMP when asked', async () => {
    const job = newJob({ '.github/workflows/bad.yml': BAD });
    const run = await job.step(AUDIT, { inputs: { 'fail-on': 'never', sarif: true, annotations: false } });
    expect(run.outcome).toBe('success');
    expect(run.annotations).toEqual([]);
    const file = run.outputs['sarif-file'] as string;
    expect(file).toBe(join(job.runnerTemp, 'airlock', 'audit.sarif'));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const sarif = JSON.parse(readFileSync(file, 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results.length).toBe(Number(run.outputs.findings));
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe(
      '.github/workflows/bad.yml',
    );
  });

  it('follows the configuration: rules off, ignores with reasons, expired ignores reported', async () => {
    const config = `audit:
  fail-on: critical
  rules:
    unpinned-uses: off
  ignore:
    - rule: dangerous-triggers
      paths: [.github/workflows/bad.yml]
      reason: labelling only, reviewed
    - rule: artipacked
      paths: [.github/workflows/bad.yml]
      reason: old exception
      expires: 2020-01-01
`;
    const job = newJob({ '.github/workflows/bad.yml': BAD, 'airlock.yml': config });
    const run = await job.step(AUDIT, { inputs: { 'fail-on': 'never' } });
    expect(run.outcome).toBe('success');
    const rules = new Set(run.annotations.map((a) => /airlock audit: ([a-z-]+)/.exec(a.title ?? '')?.[1]));
    expect(rules.has('unpinned-uses')).toBe(false);
    expect(rules.has('dangerous-triggers')).toBe(false);
    expect(rules.has('artipacked')).toBe(true);
    expect(run.annotations.find((a) => a.title?.includes('expired-ignore'))).toMatchObject({
      file: 'airlock.yml',
      line: 9,
    });
    expect(run.summary).toContain('ignored');
    // the configuration's fail-on applies when the input is empty
    const strict = await job.step(AUDIT, {});
    expect(strict.exitCode).toBe(1);
    expect(strict.annotations.at(-1)?.message).toMatch(/at or above critical/);
  });

  it('fails clearly on a bad configuration file, a bad input, and a path outside the workspace', async () => {
    const job = newJob({
      '.github/workflows/ok.yml': 'on: push\npermissions: {}\njobs: {}\n',
      'audit.yml': 'audit:\n  rules:\n    typo-rule: off\n',
    });
    const bad = await job.step(AUDIT, { inputs: { config: 'audit.yml' } });
    expect(bad.annotations.map((a) => a.message)).toEqual([
      "audit: audit.yml:3: unknown rule 'typo-rule' under 'rules' (see docs/audit-rules.md)",
    ]);
    const missing = await job.step(AUDIT, { inputs: { config: 'nope.yml' } });
    expect(missing.annotations[0]?.message).toBe("audit: input 'config': nope.yml does not exist in the workspace");
    const failOn = await job.step(AUDIT, { inputs: { 'fail-on': 'sometimes' } });
    expect(failOn.annotations[0]?.message).toBe(
      "audit: input 'fail-on' must be one of critical, high, medium, low, note, never; got 'sometimes'",
    );
    const outside = await job.step(AUDIT, { inputs: { paths: '../..' } });
    expect(outside.annotations[0]?.message).toBe("audit: input 'paths': ../.. is outside the workspace");
    // a YAML file given explicitly is audited as a workflow: this one is not one
    const notWorkflow = await job.step(AUDIT, { inputs: { paths: 'audit.yml' } });
    expect(notWorkflow.annotations[0]).toMatchObject({
      file: 'audit.yml',
      title: 'airlock audit: workflow-structure (high)',
    });
  });

  it('publishes the identity inventory as an output and in the summary', async () => {
    const text = readFileSync(join(FIXTURES, 'audit/unprotected-deploy/positive.yml'), 'utf8');
    const job = newJob({ '.github/workflows/deploy.yml': text });
    const run = await job.step(AUDIT, { inputs: { inventory: true, 'fail-on': 'never' } });
    const inv = JSON.parse(run.outputs.inventory as string);
    expect(inv.jobs.map((j: { job: string }) => j.job)).toEqual(['deploy', 'pages']);
    expect(inv.jobs[0].oidc[0]).toMatchObject({ provider: 'aws', audience: 'sts.amazonaws.com' });
    expect(run.summary).toContain('### Identity inventory');
    expect(run.summary).toContain('aws (aud sts.amazonaws.com)');
  });

  it('audits composite action metadata too', async () => {
    const job = newJob({
      'actions/x/action.yml': readFileSync(join(FIXTURES, 'audit/template-injection/composite/action.yml'), 'utf8'),
    });
    const run = await job.step(AUDIT, { inputs: { 'fail-on': 'medium' } });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]).toMatchObject({ file: 'actions/x/action.yml', line: 9 });
  });
});

describe('actions/audit online checks', () => {
  const SHA = 'd6f3a1c0b2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8';
  const token = () => ['ghs', 'e2e', randomUUID().replaceAll('-', '')].join('_');

  async function emulator(t: string) {
    const api = await GitHubApi.start({ token: t });
    apis.push(api);
    api.addRepository('acme/app');
    api.setRules('acme/app', 'main', [
      { type: 'pull_request', parameters: { required_approving_review_count: 1 } },
      { type: 'required_status_checks', parameters: { required_status_checks: [{ context: 'ci' }] } },
    ]);
    return api;
  }

  it('checks the two-person rule and branch rules through the GitHub API, with the token masked', async () => {
    const t = token();
    const api = await emulator(t);
    api.addPullRequest('acme/app', {
      number: 4,
      author: 'alice',
      base: 'main',
      headSha: 'b'.repeat(40),
      mergeCommitSha: SHA,
    });
    api.addReview('acme/app', 4, { user: 'bob', state: 'APPROVED', commitId: 'b'.repeat(40) });
    const job = newJob(
      { '.github/workflows/ok.yml': 'on: push\npermissions: {}\njobs: {}\n' },
      {
        githubToken: t,
        env: { GITHUB_API_URL: api.url },
      },
    );
    const run = await job.step(AUDIT, { inputs: { online: true } });
    expect(run.outcome).toBe('success');
    expect(run.log).toContain(
      'online: two-person review: commit d6f3a1c reached main through pull request #4, approved by bob',
    );
    expect(run.summary).toContain('### Online checks');
    expect(api.requests.every((r) => r.authorization === 'valid')).toBe(true);
    expect(api.requests.map((r) => r.path)).toEqual([
      `/repos/acme/app/commits/${SHA}/pulls`,
      '/repos/acme/app/pulls/4/reviews',
      '/repos/acme/app/rules/branches/main',
    ]);
    // registered with the runner first thing, and never printed
    expect(run.rawLog.split('\n')[0]).toBe(`::add-mask::${t}`);
    expect(run.rawLog.split('\n').slice(1).join('\n')).not.toContain(t);
    expect(run.log).not.toContain(t);
  });

  it('fails a commit pushed directly, as a finding on the repository', async () => {
    const t = token();
    const api = await emulator(t);
    api.addCommit('acme/app', SHA);
    const job = newJob(
      { '.github/workflows/ok.yml': 'on: push\npermissions: {}\njobs: {}\n' },
      {
        githubToken: t,
        env: { GITHUB_API_URL: api.url },
      },
    );
    const run = await job.step(AUDIT, { inputs: { online: true } });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]).toMatchObject({ level: 'error', title: 'airlock audit: two-person-review' });
    expect(run.annotations[0]?.message).toMatch(/pushed directly/);
  });

  it('refuses to send the token to a plain-http API that is not loopback, and names a bad token', async () => {
    const job = newJob(
      { '.github/workflows/ok.yml': 'on: push\npermissions: {}\njobs: {}\n' },
      {
        githubToken: token(),
        env: { GITHUB_API_URL: 'http://api.example.com' },
      },
    );
    const run = await job.step(AUDIT, { inputs: { online: true } });
    expect(run.annotations[0]?.message).toBe(
      'audit: the GitHub API URL http://api.example.com is not https: refusing to send the token there',
    );
    const api = await emulator(token());
    const wrong = newJob(
      { '.github/workflows/ok.yml': 'on: push\npermissions: {}\njobs: {}\n' },
      {
        githubToken: token(),
        env: { GITHUB_API_URL: api.url },
      },
    );
    const denied = await wrong.step(AUDIT, { inputs: { online: true } });
    expect(denied.annotations[0]?.message).toMatch(/^audit: GitHub rejected the token .* \(401 Bad credentials/);
  });
});

describe('actions/audit on a large repository', () => {
  it('audits in worker threads and reports exactly what one thread finds', async () => {
    const { generateWorkflow } = await import('../../../bench/audit/generate.ts');
    const { auditTexts } = await import('@airlock/audit');
    const files: Record<string, string> = {};
    for (let i = 0; i < 400; i++) files[`.github/workflows/wf-${String(i).padStart(3, '0')}.yml`] = generateWorkflow(i);
    files['.github/workflows/wf-000.yml'] =
      `${files['.github/workflows/wf-000.yml']}# airlock: ignore[excessive-permissions] generated\n`;
    const bytes = Object.values(files).reduce((n, t) => n + t.length, 0);
    expect(bytes).toBeGreaterThan(512 * 1024); // above the threshold for worker threads
    const job = newJob(files);
    const run = await job.step(AUDIT, {
      inputs: { 'fail-on': 'never', annotations: false, sarif: true, inventory: true },
    });
    expect(run.outcome).toBe('success');
    if (availableParallelism() >= 2)
      expect(run.log).toMatch(/audited 400 file\(s\) in \d+ ms in \d threads \(this one and workers\)/);
    const expected = auditTexts(Object.entries(files).map(([path, text]) => ({ path, text })));
    expect(Number(run.outputs.findings)).toBe(expected.findings.length);
    const sarif = JSON.parse(readFileSync(run.outputs['sarif-file'] as string, 'utf8'));
    const got = sarif.runs[0].results
      .filter((r: { suppressions?: unknown }) => r.suppressions === undefined)
      .map(
        (r: {
          ruleId: string;
          locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }>;
        }) =>
          `${r.locations[0]?.physicalLocation.artifactLocation.uri}:${r.locations[0]?.physicalLocation.region.startLine}:${r.ruleId}`,
      )
      .sort();
    expect(got).toEqual(expected.findings.map((f) => `${f.path}:${f.line}:${f.rule}`).sort());
    expect(sarif.runs[0].results.length - got.length).toBe(expected.suppressed.length);
    expect(JSON.parse(run.outputs.inventory as string).jobs.length).toBeGreaterThan(800);
  });
});
