import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseFromEvent, readBaseLockfile, resolveBase } from '../../../packages/deps/src/diff.ts';
import { DEFAULT_POLICY } from '../../../packages/deps/src/policy.ts';
import { scan } from '../../../packages/deps/src/scan.ts';
import { advisory, HAS_SHARED_OSV, packageLock, SHARED_OSV, writeDb } from '../../fixtures/scan/helpers.ts';

const CVSS_HIGH = { severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' }] };
const db = writeDb({
  npm: [
    advisory('GHSA-35jh-r3h4-6jhm', 'npm', 'lodash', [{ introduced: '0' }, { fixed: '4.17.21' }], {
      aliases: ['CVE-2021-23337'],
      ...CVSS_HIGH,
    }),
    advisory('GHSA-xvch-5gv4-984h', 'npm', 'minimist', [{ introduced: '0' }, { fixed: '1.2.6' }], {
      aliases: ['CVE-2021-44906'],
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    }),
    advisory('GHSA-wdrw-withdrawn', 'npm', 'lodash', [{ introduced: '0' }], { withdrawn: '2024-01-01T00:00:00Z' }),
  ],
  PyPI: [
    advisory('PYSEC-2019-217', 'PyPI', 'Jinja2', [{ introduced: '0' }, { fixed: '2.10.1' }], {
      aliases: ['CVE-2019-10906'],
    }),
  ],
});

const workspace = (files: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-scan-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
};
const offline = { kind: 'offline' as const, dir: db };
const NOW = () => new Date('2026-03-01T00:00:00Z');

describe('scan', () => {
  it('finds, matches, scores and gates across lockfiles', async () => {
    const root = workspace({
      'package-lock.json': packageLock([
        { name: 'lodash', version: '4.17.20' },
        { name: 'minimist', version: '1.2.6' },
      ]),
      'py/requirements.txt': 'jinja2==2.10\nrequests>=2\n',
    });
    const report = await scan({ root, source: offline, policy: DEFAULT_POLICY, now: NOW });
    expect(report.lockfiles.map((l) => [l.path, l.packages])).toEqual([
      ['package-lock.json', 2],
      ['py/requirements.txt', 1],
    ]);
    expect(report.findings.map((f) => [f.id, f.package.name, f.severity.level, f.package.source.path])).toEqual([
      ['GHSA-35jh-r3h4-6jhm', 'lodash', 'high', 'package-lock.json'],
      ['PYSEC-2019-217', 'jinja2', 'unscored', 'py/requirements.txt'],
    ]);
    expect(report.findings[0]?.package.source.line).toBeGreaterThan(1);
    expect(report.counts).toMatchObject({ high: 1, unscored: 1 });
    expect(report.policy.failed).toBe(true);
    expect(report.unpinned.map((u) => u.name)).toEqual(['requests']);
  });

  it('fails with file and line on an unparseable lockfile: never "no vulnerabilities"', async () => {
    const root = workspace({
      'package-lock.json': '{\n  "lockfileVersion": 3,\n  "packages": {\n    "node_modules/x": \n',
    });
    await expect(scan({ root, source: offline, policy: DEFAULT_POLICY })).rejects.toThrow(/^package-lock.json:\d+: /);
  });

  it('fails when the database is unavailable', async () => {
    const root = workspace({
      'go.mod': 'module example.com/m\n\ngo 1.22\n\nrequire github.com/gin-gonic/gin v1.5.0\n',
    });
    await expect(scan({ root, source: offline, policy: DEFAULT_POLICY })).rejects.toThrow(/has no Go\/all.zip/);
  });

  it('makes "no lockfile" a clear, configurable outcome', async () => {
    const root = workspace({ 'README.md': '# nothing to scan\n' });
    await expect(scan({ root, source: offline, policy: DEFAULT_POLICY })).rejects.toThrow(
      /^no lockfile found under \./,
    );
    const report = await scan({ root, source: offline, policy: DEFAULT_POLICY, noLockfiles: 'warn' });
    expect(report.policy.failed).toBe(false);
    expect(report.warnings[0]).toMatch(/no lockfile found/);
  });

  it.skipIf(!HAS_SHARED_OSV)('scans against the real PyPI export', async () => {
    const root = workspace({ 'requirements.txt': 'jinja2==2.10\ndjango==3.2.0\nrequests==2.32.4\n' });
    const report = await scan({ root, source: { kind: 'offline', dir: SHARED_OSV }, policy: DEFAULT_POLICY });
    const names = new Set(report.findings.map((f) => f.package.name));
    expect(names.has('jinja2')).toBe(true);
    expect(names.has('django')).toBe(true);
    // one finding per vulnerability: PYSEC and GHSA entries of the same CVE are grouped
    const cves = report.findings.flatMap((f) =>
      f.ids.filter((id) => id.startsWith('CVE-')).map((id) => `${f.package.name}:${id}`),
    );
    expect(new Set(cves).size).toBe(cves.length);
  });
});

describe('pull-request mode', () => {
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', args, {
      cwd,
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

  it('reports only what the change introduces, reading the base with git show', async () => {
    const root = workspace({ 'package-lock.json': packageLock([{ name: 'lodash', version: '4.17.20' }]) });
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'add', '.');
    git(root, 'commit', '-q', '-m', 'base');
    const baseSha = git(root, 'rev-parse', 'HEAD');
    writeFileSync(
      join(root, 'package-lock.json'),
      packageLock([
        { name: 'lodash', version: '4.17.19' },
        { name: 'minimist', version: '1.2.5' },
      ]),
    );
    git(root, 'commit', '-q', '-am', 'head');
    const report = await scan({ root, source: offline, policy: DEFAULT_POLICY, base: resolveBase(baseSha, root) });
    // lodash was already vulnerable to the same advisory at the base: not introduced by the change
    expect(report.findings.map((f) => f.package.name)).toEqual(['minimist']);
    expect(report.base).toEqual({ ref: baseSha, packages: 1, preexisting: 1 });
    // a lockfile absent at the base is entirely new
    expect(readBaseLockfile(resolveBase(baseSha, root), 'sub/package-lock.json')).toBeUndefined();
  });

  it('treats a base lockfile it cannot read as absent, reporting everything and saying why', async () => {
    const root = workspace({ 'package-lock.json': '{ "lockfileVersion": 3, "packages": [' });
    git(root, 'init', '-q', '-b', 'main');
    git(root, 'add', '.');
    git(root, 'commit', '-q', '-m', 'broken base');
    const baseSha = git(root, 'rev-parse', 'HEAD');
    writeFileSync(join(root, 'package-lock.json'), packageLock([{ name: 'minimist', version: '1.2.5' }]));
    const report = await scan({ root, source: offline, policy: DEFAULT_POLICY, base: resolveBase(baseSha, root) });
    expect(report.findings.map((f) => f.package.name)).toEqual(['minimist']);
    expect(report.warnings[0]).toMatch(
      /^base [0-9a-f]{12}: package-lock.json:1: .*; comparing as if the file did not exist there$/,
    );
  });

  it('explains a base revision missing from a shallow clone', () => {
    const root = workspace({ 'a.txt': 'a' });
    git(root, 'init', '-q');
    expect(() => resolveBase('0123456789abcdef0123456789abcdef01234567', root)).toThrow(
      /is not in this clone; fetch it \(actions\/checkout with fetch-depth: 0/,
    );
    expect(() => resolveBase('main; rm -rf /', root)).toThrow(/is not a commit sha or ref name/);
  });

  it('takes the base from pull_request, merge_group and push events', () => {
    const sha = 'a'.repeat(40);
    expect(baseFromEvent('pull_request', { pull_request: { base: { sha } } })).toEqual({
      ref: sha,
      from: 'pull_request.base.sha',
    });
    expect(baseFromEvent('merge_group', { merge_group: { base_sha: sha } })).toEqual({
      ref: sha,
      from: 'merge_group.base_sha',
    });
    expect(baseFromEvent('push', { before: sha })).toEqual({ ref: sha, from: 'push before' });
    expect(baseFromEvent('push', { before: '0'.repeat(40) })).toBeUndefined(); // a new branch
    expect(baseFromEvent('schedule', {})).toBeUndefined();
    expect(baseFromEvent('pull_request', { pull_request: { base: { sha: '--output=/etc/x' } } })).toBeUndefined();
  });
});
