import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyChain } from '@airlock/core';
import { Job, type JobOptions } from '@airlock/testkit';
import { OsvApiEmulator } from '@airlock/testkit/osv';
import { afterEach, describe, expect, it } from 'vitest';
import { advisory, packageLock, writeDb } from '../../fixtures/scan/helpers.ts';
import { actionDir, ROOT } from '../../support/paths.ts';

const SCAN = actionDir('scan');
const ADVISORIES = [
  advisory('GHSA-35jh-r3h4-6jhm', 'npm', 'lodash', [{ introduced: '0' }, { fixed: '4.17.21' }], {
    aliases: ['CVE-2021-23337'],
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' }],
  }),
  advisory('GHSA-xvch-5gv4-984h', 'npm', 'minimist', [{ introduced: '0' }, { fixed: '1.2.6' }], {
    aliases: ['CVE-2021-44906'],
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
  }),
];
const DB = writeDb({ npm: ADVISORIES });

const jobs: Job[] = [];
const emulators: OsvApiEmulator[] = [];
afterEach(async () => {
  for (const job of jobs.splice(0)) job.dispose();
  for (const e of emulators.splice(0)) await e.close();
});
const newJob = (files: Record<string, string>, options: JobOptions = {}) => {
  const job = new Job(options);
  jobs.push(job);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(job.workspace, path, '..'), { recursive: true });
    writeFileSync(join(job.workspace, path), text);
  }
  return job;
};
const vulnerableLock = packageLock([
  { name: 'lodash', version: '4.17.20' },
  { name: 'minimist', version: '1.2.5' },
  { name: 'express', version: '4.21.2' },
]);
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('actions/scan (built dist/scan through the runner harness)', () => {
  it('fails the step on vulnerabilities at or above fail-on, with annotations at the lockfile line, outputs, SARIF and summary', async () => {
    const job = newJob({ 'package-lock.json': vulnerableLock });
    const run = await job.step(SCAN, { inputs: { 'offline-db': DB } });
    expect(run.outcome).toBe('failure');
    expect(run.exitCode).toBe(1);
    const errors = run.annotations.filter((a) => a.level === 'error');
    expect(errors.at(-1)?.message).toBe(
      'scan: the dependency policy failed: 2 vulnerabilities at or above fail-on high (or unscored)',
    );
    expect(errors[0]).toMatchObject({
      title: 'GHSA-xvch-5gv4-984h',
      file: 'package-lock.json',
      line: lineOf(vulnerableLock, '"node_modules/minimist"'),
    });
    expect(run.outputs).toMatchObject({
      findings: '2',
      critical: '1',
      high: '1',
      medium: '0',
      unscored: '0',
      packages: '3',
      failed: 'true',
    });
    const sarifPath = run.outputs['sarif-file'] as string;
    expect(sarifPath.startsWith(job.runnerTemp)).toBe(true);
    expect(statSync(sarifPath).mode & 0o777).toBe(0o600);
    const sarif = JSON.parse(readFileSync(sarifPath, 'utf8'));
    expect(sarif.runs[0].results.map((r: { ruleId: string }) => r.ruleId).sort()).toEqual([
      'GHSA-35jh-r3h4-6jhm',
      'GHSA-xvch-5gv4-984h',
    ]);
    expect(run.summary).toMatch(/❌ Failed: 1 lockfile\(s\), 3 package\(s\)/);
    expect(run.summary).toContain('| GHSA-xvch-5gv4-984h | critical 9.8 | minimist@1.2.5 |');
    expect(run.log).not.toMatch(/\n\s+at /);
    const trail = verifyChain(readFileSync(join(job.runnerTemp, 'airlock', 'trail.jsonl'), 'utf8'));
    expect(trail.ok && trail.records[0]?.error?.code).toBe('policy-failed');
  });

  it('passes when nothing reaches fail-on, honours airlock.yml ignores, and writes the SBOM and JSON asked for', async () => {
    const policy = [
      'scan:',
      '  fail-on: critical',
      '  ignore:',
      '    - id: CVE-2021-44906',
      '      reason: minimist only parses our own fixed argv',
      '      expires: 2099-12-31',
    ].join('\n');
    const job = newJob({ 'package-lock.json': vulnerableLock, 'airlock.yml': policy });
    const run = await job.step(SCAN, {
      inputs: { 'offline-db': DB, 'sbom-file': 'out/sbom.json', 'json-file': 'out/scan.json' },
    });
    expect(run.outcome).toBe('success');
    expect(run.outputs).toMatchObject({ findings: '1', high: '1', critical: '0', ignored: '1', failed: 'false' });
    const bom = JSON.parse(readFileSync(join(job.workspace, 'out/sbom.json'), 'utf8'));
    expect(bom.specVersion).toBe('1.6');
    expect(bom.components).toHaveLength(3);
    const json = JSON.parse(readFileSync(join(job.workspace, 'out/scan.json'), 'utf8'));
    expect(json.findings.find((f: { id: string }) => f.id === 'GHSA-xvch-5gv4-984h').disposition).toMatchObject({
      kind: 'ignored',
    });
    expect(run.summary).toContain('minimist only parses our own fixed argv');
  });

  it('warns about unscored findings under unscored: warn, and about unpinned requirements at their line', async () => {
    const db = writeDb({
      PyPI: [advisory('PYSEC-2019-217', 'PyPI', 'Jinja2', [{ introduced: '0' }, { fixed: '2.10.1' }])],
    });
    const job = newJob({ 'requirements.txt': 'jinja2==2.10\nrequests>=2\n' });
    const run = await job.step(SCAN, { inputs: { 'offline-db': db, unscored: 'warn' } });
    expect(run.outcome).toBe('success');
    expect(run.outputs).toMatchObject({ findings: '1', unscored: '1', failed: 'false' });
    const warnings = run.annotations.filter((a) => a.level === 'warning');
    expect(warnings.map((w) => w.message)).toContain(
      '1 finding(s) have no severity in their advisories (policy: unscored warn); see the job summary',
    );
    expect(warnings).toContainEqual(
      expect.objectContaining({
        message: 'requests >=2 is not pinned to one version, so it is not scanned',
        file: 'requirements.txt',
        line: 2,
      }),
    );
  });

  it('reports expired ignores and stops applying them', async () => {
    const policy =
      'scan:\n  ignore:\n    - id: GHSA-xvch-5gv4-984h\n      reason: temporary\n      expires: 2020-01-01\n';
    const job = newJob({ 'package-lock.json': vulnerableLock, 'airlock.yml': policy });
    const run = await job.step(SCAN, { inputs: { 'offline-db': DB } });
    expect(run.outcome).toBe('failure');
    expect(
      run.annotations.some(
        (a) =>
          a.level === 'warning' &&
          /ignore GHSA-xvch-5gv4-984h expired on 2020-01-01 and no longer applies \(airlock.yml:3\)/.test(a.message),
      ),
    ).toBe(true);
    expect(run.summary).toContain('EXPIRED 2020-01-01: no longer applied');
  });

  it('in a pull request reports only what the change introduces (base read with git show, no second checkout)', async () => {
    const job = newJob(
      { 'package-lock.json': packageLock([{ name: 'lodash', version: '4.17.20' }]) },
      { eventName: 'pull_request' },
    );
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: job.workspace,
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@e',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@e',
        },
      })
        .toString()
        .trim();
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-q', '-m', 'base');
    const base = git('rev-parse', 'HEAD');
    writeFileSync(
      join(job.workspace, 'package-lock.json'),
      packageLock([
        { name: 'lodash', version: '4.17.20' },
        { name: 'minimist', version: '1.2.5' },
      ]),
    );
    git('commit', '-q', '-am', 'add minimist');
    writeFileSync(
      job.env.GITHUB_EVENT_PATH as string,
      JSON.stringify({ pull_request: { number: 7, base: { sha: base }, head: { sha: git('rev-parse', 'HEAD') } } }),
    );
    const run = await job.step(SCAN, { inputs: { 'offline-db': DB } });
    expect(run.log).toContain(`Pull-request mode: comparing with ${base} (pull_request.base.sha)`);
    expect(run.outputs).toMatchObject({ findings: '1', critical: '1', high: '0' });
    expect(run.summary).toMatch(/1 finding\(s\) already present at the base are not repeated/);
  });

  it('queries the OSV API (loopback emulator) when no offline database is given', async () => {
    const api = await new OsvApiEmulator({ advisories: ADVISORIES }).start();
    emulators.push(api);
    const job = newJob({ 'package-lock.json': vulnerableLock });
    const run = await job.step(SCAN, { inputs: { 'osv-api-url': api.origin, 'fail-on': 'none' } });
    expect(run.outcome).toBe('success');
    expect(run.outputs).toMatchObject({ findings: '2', critical: '1', high: '1' });
    expect(api.requests.map((r) => r.path).sort()).toEqual([
      '/v1/querybatch',
      '/v1/vulns/GHSA-35jh-r3h4-6jhm',
      '/v1/vulns/GHSA-xvch-5gv4-984h',
    ]);
    expect(existsSync(join(job.runnerTemp, 'airlock', 'osv-cache'))).toBe(true);
  });

  it('fails when the advisory database is unreachable: a scanner error is never "no vulnerabilities"', async () => {
    const api = await new OsvApiEmulator({ advisories: [] }).start();
    const origin = api.origin;
    await api.close();
    const job = newJob({ 'package-lock.json': vulnerableLock });
    const run = await job.step(SCAN, { inputs: { 'osv-api-url': origin } });
    expect(run.outcome).toBe('failure');
    expect(run.annotations.at(-1)?.message).toMatch(/^scan: the OSV API at http:\/\/127.0.0.1:\d+ is unavailable/);
    expect(run.outputs.findings).toBeUndefined();
  });

  it('fails with file and line on a broken lockfile or policy, and names bad inputs', async () => {
    const broken = newJob({ 'package-lock.json': '{\n  "lockfileVersion": 3,\n  "packages": {\n' });
    const a = await broken.step(SCAN, { inputs: { 'offline-db': DB } });
    expect(a.annotations.at(-1)?.message).toMatch(/^scan: package-lock.json:\d+: /);
    const policy = newJob({
      'package-lock.json': vulnerableLock,
      'airlock.yml': 'scan:\n  ignore:\n    - id: GHSA-x\n',
    });
    const b = await policy.step(SCAN, { inputs: { 'offline-db': DB } });
    expect(b.annotations.at(-1)?.message).toBe("scan: airlock.yml:3: ignore entry 'GHSA-x' needs a reason");
    const input = newJob({ 'package-lock.json': vulnerableLock });
    const c = await input.step(SCAN, { inputs: { 'offline-db': DB, 'fail-on': 'severe' } });
    expect(c.annotations.at(-1)?.message).toBe(
      "scan: input 'fail-on' must be one of critical, high, medium, low, any, none; got 'severe'",
    );
    const d = await input.step(SCAN, { inputs: { 'offline-db': join(DB, 'nowhere') } });
    expect(d.annotations.at(-1)?.message).toMatch(/^scan: the offline database .*nowhere has no npm\/all.zip/);
  });

  it.each([
    [{ unscored: 'maybe' }, "scan: input 'unscored' must be one of fail, warn, ignore; got 'maybe'"],
    [{ scopes: 'runtime, test' }, "scan: input 'scopes' items must be runtime, dev or optional; got 'test'"],
    [
      { mode: 'pull-request' },
      "scan: input 'mode' is pull-request but the push event has no base revision; set 'base-ref'",
    ],
    [{ 'base-ref': 'main; rm -rf /' }, "scan: the base revision 'main; rm -rf /' is not a commit sha or ref name"],
    [
      { 'policy-file': 'policy/scan.yml' },
      "scan: input 'policy-file' names policy/scan.yml, which does not exist in the workspace",
    ],
    [{ 'deny-licenses': 'GPL-3.0-only AND' }, /^scan: input 'deny-licenses': unexpected end in license expression/],
    [
      { 'osv-api-url': 'ftp://osv.example' },
      "scan: input 'osv-api-url' must be an https or http URL; got 'ftp://osv.example'",
    ],
    [{ paths: 'missing/dir' }, 'scan: missing/dir: no such file or directory'],
    [
      { 'osv-api-url': 'http://osv.example.com', 'offline-db': '' },
      "scan: input 'osv-api-url' must use https (plain http is accepted for loopback test services only); got 'http://osv.example.com/'",
    ],
  ])('rejects the inputs %j with a clear message', async (inputs, message) => {
    const job = newJob({ 'package-lock.json': vulnerableLock });
    const run = await job.step(SCAN, { inputs: { 'offline-db': DB, ...inputs } });
    expect(run.outcome).toBe('failure');
    const last = run.annotations.at(-1)?.message ?? '';
    if (typeof message === 'string') expect(last).toBe(message);
    else expect(last).toMatch(message);
  });

  it('makes "no lockfile" a clear message with a configurable outcome', async () => {
    const job = newJob({ 'README.md': 'nothing here\n' });
    const fail = await job.step(SCAN, { inputs: { 'offline-db': DB } });
    expect(fail.annotations.at(-1)?.message).toMatch(
      /^scan: no lockfile found under \. \(see docs\/supported-lockfiles.md/,
    );
    const warn = await job.step(SCAN, { inputs: { 'offline-db': DB, 'if-no-lockfiles': 'warn' } });
    expect(warn.outcome).toBe('success');
    expect(warn.annotations.some((a) => a.level === 'warning' && /no lockfile found/.test(a.message))).toBe(true);
  });

  it('keeps the job summary under 1 MiB with thousands of findings and says what overflowed', async () => {
    const many = Array.from({ length: 4000 }, (_, i) => ({ name: `pkg-${i}`, version: '1.0.0' }));
    const db = writeDb({
      npm: many.map((p, i) =>
        advisory(
          `GHSA-${String(i).padStart(4, '0')}-aaaa-aaaa`,
          'npm',
          p.name,
          [{ introduced: '0' }, { fixed: '2.0.0' }],
          { details: 'x'.repeat(400) },
        ),
      ),
    });
    const job = newJob({ 'package-lock.json': packageLock(many) });
    const run = await job.step(SCAN, { inputs: { 'offline-db': db, 'fail-on': 'none' } });
    expect(run.outcome).toBe('success');
    expect(run.runnerErrors).toEqual([]);
    expect(Buffer.byteLength(run.summary)).toBeLessThan(1024 * 1024);
    expect(run.summary).toMatch(/of 4000 reported findings are not shown/);
    expect(run.outputs.unscored).toBe('4000');
  });
});

describe('airlock scan (CLI)', () => {
  const cli = (cwd: string, ...args: string[]) => {
    const r = spawnSync(process.execPath, [join(ROOT, 'packages/cli/bin/airlock.js'), ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('exits 1 on findings, 0 under a laxer --fail-on, with table, json, sarif and cyclonedx output', () => {
    const job = newJob({ 'package-lock.json': vulnerableLock });
    const table = cli(job.workspace, 'scan', '--offline-db', DB);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(
      /FAIL\s+critical 9.8\s+GHSA-xvch-5gv4-984h\s+minimist@1.2.5\s+package-lock.json:\d+\s+1.2.6/,
    );
    expect(cli(job.workspace, 'scan', '--offline-db', DB, '--fail-on', 'none').code).toBe(0);
    const json = cli(job.workspace, 'scan', '.', '--offline-db', DB, '--format', 'json');
    expect(JSON.parse(json.stdout).counts).toMatchObject({ critical: 1, high: 1 });
    expect(JSON.parse(cli(job.workspace, 'scan', '--offline-db', DB, '--format', 'sarif').stdout).version).toBe(
      '2.1.0',
    );
    expect(JSON.parse(cli(job.workspace, 'scan', '--offline-db', DB, '--format', 'cyclonedx').stdout).specVersion).toBe(
      '1.6',
    );
    const bad = cli(job.workspace, 'scan', '--offline-db', DB, '--fail-on', 'severe');
    expect([bad.code, bad.stderr.trim()]).toEqual([
      2,
      "airlock scan: option '--fail-on' must be one of critical, high, medium, low, any, none; got 'severe'",
    ]);
    const noDb = cli(job.workspace, 'scan', '--offline-db', join(DB, 'missing'));
    expect(noDb.code).toBe(2);
    expect(noDb.stderr).toMatch(/has no npm\/all.zip/);
  });

  it('--list-packages prints exactly the packages of the given lockfiles, and exits 2 on a broken one', () => {
    const job = newJob({
      'a/package-lock.json': packageLock([{ name: 'lodash', version: '4.17.20', dev: true }]),
      'broken/package-lock.json': '{"lockfileVersion": 3, "packages": [',
    });
    const ok = cli(job.workspace, 'scan', '--list-packages', '--format', 'json', 'a/package-lock.json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual([
      {
        ecosystem: 'npm',
        name: 'lodash',
        version: '4.17.20',
        scope: 'dev',
        source: { path: 'a/package-lock.json', line: expect.any(Number) },
      },
    ]);
    const broken = cli(job.workspace, 'scan', '--list-packages', '--format', 'json', 'broken/package-lock.json');
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^airlock scan: broken\/package-lock.json:1: /);
  });

  it('--base REF reports only what changed since REF', () => {
    const job = newJob({ 'package-lock.json': packageLock([{ name: 'minimist', version: '1.2.5' }]) });
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: job.workspace,
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@e',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@e',
        },
      })
        .toString()
        .trim();
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-q', '-m', 'base');
    writeFileSync(join(job.workspace, 'package-lock.json'), vulnerableLock);
    const r = cli(job.workspace, 'scan', '--offline-db', DB, '--base', 'HEAD', '--format', 'json');
    expect(JSON.parse(r.stdout).findings.map((f: { id: string }) => f.id)).toEqual(['GHSA-35jh-r3h4-6jhm']);
  });
});
