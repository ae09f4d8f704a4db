import { join } from 'node:path';
import { DepsError, listPackages, loadLockfile, parseLockfile } from '@airlock/deps';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../support/paths.ts';

const ROOT = join(FIXTURES, 'deps');
const rows = (r: { packages: readonly { name: string; version: string; scope: string; source: { line: number } }[] }) =>
  r.packages.map((p) => `${p.name}@${p.version} ${p.scope} :${p.source.line}`);

describe('package-lock.json', () => {
  it('v3: packages with their install line, scope, direct flag, aliases; links and workspaces skipped', async () => {
    const r = await loadLockfile(ROOT, 'npm-v3/package-lock.json');
    expect(r.kind).toBe('package-lock.json@3');
    expect(rows(r)).toEqual([
      '@types/node@20.11.5 dev :25',
      'express@4.18.2 runtime :39',
      'qs@6.11.0 runtime :51',
      'fsevents@2.3.3 optional :57',
      'qs@6.5.3 dev :68',
      'string-width@4.2.3 runtime :76',
      'undici-types@5.26.5 dev :83',
      'left-pad@1.3.0 optional :90',
    ]);
    const express = r.packages.find((p) => p.name === 'express');
    expect(express).toMatchObject({ direct: true, license: 'MIT', purl: 'pkg:npm/express@4.18.2' });
    expect(r.packages.find((p) => p.name === '@types/node')?.purl).toBe('pkg:npm/%40types/node@20.11.5');
    expect(r.packages.find((p) => p.name === 'undici-types')?.direct).toBe(false);
  });

  it('v1: nested dependencies, aliases; git dependencies are warned about, not dropped silently', async () => {
    const r = await loadLockfile(ROOT, 'npm-v1/package-lock.json');
    expect(r.kind).toBe('package-lock.json@1');
    expect(rows(r)).toEqual([
      'debug@2.6.9 runtime :7',
      'ms@2.0.0 runtime :15',
      'mocha@5.2.0 dev :22',
      'ms@2.1.2 runtime :28',
      'wrap-ansi@7.0.0 optional :37',
    ]);
    expect(r.warnings).toEqual([
      expect.stringMatching(/^npm-v1\/package-lock.json:33: 'my-fork' is not from a registry/),
    ]);
  });

  it('rejects an unknown lockfileVersion with the file and line', () => {
    expect(() => parseLockfile('app/package-lock.json', '{\n  "lockfileVersion": 4,\n  "packages": {}\n}')).toThrow(
      /^app\/package-lock.json:2: lockfileVersion 4 is not supported \(supported: 1, 2, 3\)/,
    );
  });
});

describe('requirements.txt', () => {
  it('pins, hashes, extras, markers, includes, constraints, direct references; unpinned lines reported', async () => {
    const r = await loadLockfile(ROOT, 'pypi/requirements.txt');
    expect(r.packages.map((p) => `${p.name}@${p.version} ${p.source.path}:${p.source.line}`)).toEqual([
      'urllib3@2.0.7 pypi/constraints.txt:1',
      'numpy@1.26.2 pypi/constraints.txt:2',
      'django@4.2.7 pypi/requirements.txt:6',
      'requests@2.31.0 pypi/requirements.txt:9',
      'typing-extensions@4.8.0 pypi/requirements.txt:12',
      'celery@5.3.4 pypi/requirements.txt:13',
      'jinja2@3.1.2 pypi/requirements/base.txt:2',
      'markupsafe@2.1.3 pypi/requirements/base.txt:3',
    ]);
    expect(r.unpinned.map((u) => `${u.name} ${u.spec} :${u.source.line}`)).toEqual([
      'pillow >=9.0,<11 :10',
      'internal-lib -e git+https://github.com/example/internal-lib.git@v1.2.0#egg=internal_lib :14',
    ]);
    expect(r.warnings).toEqual([expect.stringMatching(/base.txt:4: -r '..\/requirements.txt' includes itself/)]);
  });

  it('a missing include is an error naming the including line', () => {
    expect(() =>
      parseLockfile('requirements.txt', 'flask==3.0.0\n-r missing.txt\n', { readFile: () => undefined }),
    ).toThrow(/^requirements.txt:2: cannot read 'missing.txt' \(included with -r\)$/);
  });
});

describe('listPackages', () => {
  it('prints exactly the --list-packages shape for the given files', async () => {
    const list = await listPackages(['npm-v1/package-lock.json'], { root: ROOT });
    expect(list[0]).toEqual({
      ecosystem: 'npm',
      name: 'debug',
      version: '2.6.9',
      scope: 'runtime',
      source: { path: 'npm-v1/package-lock.json', line: 7 },
    });
    expect(Object.keys(list[0] ?? {})).toEqual(['ecosystem', 'name', 'version', 'scope', 'source']);
  });

  it('a file that does not parse throws a DepsError naming it', async () => {
    await expect(listPackages(['no/such/package-lock.json'], { root: ROOT })).rejects.toThrow(DepsError);
  });
});
