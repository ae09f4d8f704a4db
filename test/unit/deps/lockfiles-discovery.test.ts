import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DepsError, discoverLockfiles, listPackages } from '@airlock/deps';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let root: string;
let outside: string;

function put(path: string, text = '') {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, text);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'airlock-discovery-'));
  outside = mkdtempSync(join(tmpdir(), 'airlock-discovery-outside-'));
  writeFileSync(join(outside, 'package-lock.json'), '{"lockfileVersion": 3, "packages": {}}');
  put('.gitignore', '# build output\nignored/\n*.lock\n!mix.lock\n!Cargo.lock\nbuild\n!build/keep/\n');
  put('package-lock.json', '{"lockfileVersion": 3, "packages": {"node_modules/a": {"version": "1.0.0"}}}');
  put('mix.lock', '%{}\n');
  put('yarn.lock', '# ignored by *.lock\n');
  put('Cargo.lock', 'version = 4\n');
  put('node_modules/x/package-lock.json', '{}');
  put('packages/web/node_modules/y/yarn.lock', '');
  put('vendor/github.com/z/go.mod', 'module z\n');
  put('.git/objects/package-lock.json', '{}');
  put('ignored/Cargo.lock', '');
  put('build/keep/pnpm-lock.yaml', '');
  put('app/.gitignore', 'local/\n!poetry.lock\n');
  put('app/poetry.lock', '[metadata]\nlock-version = "2.1"\n');
  put('app/local/uv.lock', '');
  put('app/sub/requirements-dev.txt', 'six==1.16.0\n');
  put('app/requirements/base.txt', '');
  put('app/notes.txt', '');
  put('app/package.json', '{}');
  put('go/go.mod', 'module m\n');
  put('go/go.sum', '');
  put('gosum/go.sum', '');
  put('java/pom.xml', '<project/>');
  put('java/gradle/dependency-locks/compileClasspath.lockfile', '');
  put('deep/1/2/3/4/5/6/go.mod', 'garbage\n');
  symlinkSync('..', join(root, 'app', 'loop'));
  symlinkSync(join(root, 'go'), join(root, 'go-again'));
  symlinkSync(outside, join(root, 'outside'));
  symlinkSync(join(outside, 'package-lock.json'), join(root, 'app', 'linked-package-lock.json'));
  symlinkSync(join(root, 'no-such-dir'), join(root, 'dangling'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('discoverLockfiles', () => {
  it('finds every lockfile, honours .gitignore at every level, skips node_modules, vendor and .git', async () => {
    expect(await discoverLockfiles(root)).toEqual([
      'Cargo.lock',
      'app/poetry.lock',
      'app/requirements/base.txt',
      'app/sub/requirements-dev.txt',
      'deep/1/2/3/4/5/6/go.mod',
      'go/go.mod',
      'gosum/go.sum',
      'java/gradle/dependency-locks/compileClasspath.lockfile',
      'java/pom.xml',
      'mix.lock',
      'package-lock.json',
    ]);
  });

  it('a re-included file inside an ignored directory stays ignored, as in git', async () => {
    expect(await discoverLockfiles(root)).not.toContain('build/keep/pnpm-lock.yaml');
  });

  it('without .gitignore, with extra excludes, go.sum beside go.mod on request, and a depth limit', async () => {
    const all = await discoverLockfiles(root, { gitignore: false });
    expect(all).toEqual(
      expect.arrayContaining(['yarn.lock', 'ignored/Cargo.lock', 'build/keep/pnpm-lock.yaml', 'app/local/uv.lock']),
    );
    expect(all).not.toContain('node_modules/x/package-lock.json');
    expect(await discoverLockfiles(root, { exclude: ['java/', 'deep'] })).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^(java|deep)\//)]),
    );
    expect(await discoverLockfiles(root, { goSumWithGoMod: true })).toContain('go/go.sum');
    expect(await discoverLockfiles(root, { maxDepth: 3 })).not.toContain('deep/1/2/3/4/5/6/go.mod');
  });

  it('symbolic links: loops end, a second way to a directory is walked once, nothing outside the root is read', async () => {
    const found = await discoverLockfiles(root);
    expect(found.some((f) => f.startsWith('app/loop/'))).toBe(false);
    expect(found.some((f) => f.startsWith('go-again/'))).toBe(false);
    expect(found.some((f) => f.startsWith('outside/') || f === 'app/linked-package-lock.json')).toBe(false);
  });

  it('bounds the walk and names a root that cannot be walked', async () => {
    await expect(discoverLockfiles(root, { maxEntries: 5 })).rejects.toThrow(
      expect.objectContaining({
        code: 'lockfile-io',
        message: expect.stringMatching(/^more than 5 directory entries under /),
      }),
    );
    await expect(discoverLockfiles(join(root, 'package-lock.json'))).rejects.toThrow(DepsError);
    await expect(discoverLockfiles(join(root, 'nope'))).rejects.toThrow(/cannot walk .*nope: ENOENT/);
  });

  it('listPackages over a discovered tree fails on the first lockfile that does not parse, naming it', async () => {
    await expect(listPackages(root)).rejects.toThrow(
      expect.objectContaining({
        code: 'lockfile-parse',
        message: "deep/1/2/3/4/5/6/go.mod:1: unknown go.mod directive 'garbage'",
      }),
    );
    const list = await listPackages(['package-lock.json', 'app/sub/requirements-dev.txt'], { root });
    expect(
      list.map((p) => `${p.ecosystem} ${p.name}@${p.version} ${p.scope} ${p.source.path}:${p.source.line}`),
    ).toEqual(['npm a@1.0.0 runtime package-lock.json:1', 'PyPI six@1.16.0 dev app/sub/requirements-dev.txt:1']);
  });
});
