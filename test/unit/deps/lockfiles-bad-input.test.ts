/**
 * Issue 5, "Bad input": malformed JSON/YAML/TOML (and XML, Elixir terms, line formats), truncated files, a 100 MB
 * lockfile, YAML alias bombs, `__proto__`/`constructor` keys, a BOM, CRLF line ends, unknown lockfile versions. Each
 * must give a clear DepsError naming the file and line, never a crash, a hang or a silent empty result.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DepsError, detectLockfile, type LockfileResult, parseLockfile } from '@airlock/deps';
import { describe, expect, it } from 'vitest';
import { makeGraph, packageLockV3, pnpmLockV9 } from '../../../bench/scan-parse/generate.ts';
import { FIXTURES } from '../../support/paths.ts';

const ROOT = join(FIXTURES, 'deps');

function fixtureFiles(dir = ROOT): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return fixtureFiles(full);
    const rel = relative(ROOT, full).split('\\').join('/');
    return detectLockfile(rel) === undefined ? [] : [rel];
  });
}
const FILES = fixtureFiles();
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const readRoot = (p: string) => {
  try {
    return readFileSync(join(ROOT, p), 'utf8');
  } catch {
    return undefined;
  }
};

/** What a parse gives, for comparing two readings of the same lockfile. */
function summary(r: LockfileResult) {
  return {
    packages: r.packages.map((p) => `${p.name}@${p.version} ${p.scope} ${p.source.path}:${p.source.line}`),
    unpinned: r.unpinned.map((u) => `${u.name} ${u.spec} ${u.source.path}:${u.source.line}`),
  };
}

/** The error a parse throws (or undefined), failing the test on anything but a DepsError. */
function errorOf(path: string, text: string, options = {}): DepsError | undefined {
  try {
    parseLockfile(path, text, options);
    return undefined;
  } catch (error) {
    if (!(error instanceof DepsError)) throw new Error(`${path}: not a DepsError: ${String(error)}`, { cause: error });
    return error;
  }
}

describe('malformed syntax: the file, the line, what was expected', () => {
  it.each([
    [
      'package-lock.json',
      '{\n  "lockfileVersion": 3,\n  "packages": {\n    "node_modules/a": { "version": "1.0.0" }\n    "node_modules/b": {}\n  }\n}',
      /^package-lock.json:5: expected ',' or '}' after the value of 'node_modules\/a', found '"'$/,
    ],
    [
      'package-lock.json',
      '{\n  "lockfileVersion": 3,\n  "packages": {\n    "node_modules/a": {\n      "version": 1.0.0\n',
      /^package-lock.json:5: expected ',' or '}' after the value of 'version', found '\.'$/,
    ],
    ['Pipfile.lock', "{\n  'default': {}\n}", /^Pipfile.lock:2: expected a quoted key or '}', found '''$/],
    [
      'composer.lock',
      '{\n  "packages": [\n    {"name": "a/b", "version": "1.0"},\n  ]\n}',
      /^composer.lock:4: expected a JSON value, found '\]'$/,
    ],
    [
      'packages.lock.json',
      '{\n  "version": 1,\n  "dependencies": {\n    "net8.0": {\n      "A": {"resolved": "1.0\u0001"}\n',
      /^packages.lock.json:5: unescaped control character U\+0001 in a string$/,
    ],
    [
      'bun.lock',
      '{\n  "lockfileVersion": 1,\n  "packages": {\n    "a": ["a@1.0.0", "", {}, "sha512-x"],,\n  }\n}',
      /^bun.lock:4: expected a quoted key or '}', found ','$/,
    ],
    [
      'pnpm-lock.yaml',
      "lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    resolution: {integrity: sha512-a\n  b@1.0.0: {}\n",
      /^pnpm-lock.yaml:[45]: invalid YAML: /,
    ],
    [
      'pnpm-lock.yaml',
      "lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {}\n  a@1.0.0: {}\n",
      /^pnpm-lock.yaml:4: invalid YAML: the key 'a@1.0.0' appears twice$/,
    ],
    [
      'pubspec.lock',
      'packages:\n  http:\n    version: "1.0.0\n    source: hosted\n',
      /^pubspec.lock:\d+: invalid YAML: Missing closing "quote$/,
    ],
    [
      'yarn.lock',
      '__metadata:\n  version: 8\n"a@npm:^1":\n  version: 1.0.0\n   resolution: "a@npm:1.0.0"\n',
      /^yarn.lock:4: invalid YAML: Nested mappings are not allowed in compact mappings$/,
    ],
    [
      'Cargo.lock',
      'version = 3\n\n[[package]]\nname = "a"\nversion = 1.0.0\n',
      /^Cargo.lock:5: expected a value \(string, number, boolean, date, array or table\), found '1.0.0'$/,
    ],
    ['Cargo.lock', 'version = 3\n[[package]]\nname = "a"\nname = "b"\n', /^Cargo.lock:4: duplicate key 'name'$/],
    [
      'Cargo.lock',
      'version = 3\n[[package]]\nname = "a\nversion = "1.0.0"\n',
      /^Cargo.lock:3: unterminated string \(is the file truncated\?\)$/,
    ],
    [
      'poetry.lock',
      '[metadata]\nlock-version = "2.1"\n[metadata]\n',
      /^poetry.lock:3: table \[metadata\] is defined more than once$/,
    ],
    [
      'uv.lock',
      'version = 1\n[[package]]\nname = "a"\nversion = "1.0"\ndependencies = [\n  { name = "b" },\n',
      /^uv.lock:5: unterminated array \(is the file truncated\?\)$/,
    ],
    [
      'pdm.lock',
      '[metadata]\nlock_version = "4.4"\n[[package]]\nname = "x"\nversion = "1"\ngroups = ["default" "dev"]\n',
      /^pdm.lock:6: expected ',' or '\]' in the array, found '"'$/,
    ],
    [
      'pylock.toml',
      'lock-version = "1.0"\n[[packages]]\nname = "a"\nversion = "1.0" extra\n',
      /^pylock.toml:4: expected the end of the line, found 'e'$/,
    ],
    ['pylock.toml', 'lock-version = "1.0"\n[[packages]]\nname = "a\\qb"\n', /^pylock.toml:3: invalid escape \\q$/],
    [
      'pom.xml',
      '<project>\n  <dependencies>\n    <dependency><groupId>a</groupId><artifactId>b</artifactId><version>1&bogus;</version></dependency>\n',
      /^pom.xml:3: unknown entity '&bogus;'/,
    ],
    [
      'mix.lock',
      '%{\n  "a": {:hex, :a, "1.0.0", "x", [:mix], [], "hexpm", "y"}\n  "b": {:hex, :b, "1.0.0"},\n}\n',
      /^mix.lock:3: expected ',' or '}' in the map, found '"'$/,
    ],
    ['mix.lock', '%{\n  "a": {:hex, :a, "1.0#{x}"},\n}\n', /^mix.lock:2: string interpolation is not allowed/],
    [
      'yarn.lock',
      '# yarn lockfile v1\n\n"a@^1.0.0:\n  version "1.0.0"\n',
      /^yarn.lock:3: unterminated quote in the package key/,
    ],
    [
      'yarn.lock',
      '# yarn lockfile v1\n\na@^1.0.0:\n\tversion "1.0.0"\n',
      /^yarn.lock:4: expected spaces for indentation, found a tab$/,
    ],
    [
      'Gemfile.lock',
      'GEM\n  remote: https://rubygems.org/\n  specs:\n    rack 2.2.8\n',
      /^Gemfile.lock:4: expected ' {4}name \(version\)' in the GEM specs, found 'rack 2.2.8'$/,
    ],
    [
      'gradle.lockfile',
      '# comment\ncom.google.guava:guava=runtimeClasspath\n',
      /^gradle.lockfile:2: expected 'group:artifact:version', found/,
    ],
    [
      'go.sum',
      'golang.org/x/text v0.14.0 h1:ScX5w1eTa3QqT8oi6+ziP7dTV1S2+ALU0bI+0zXKWiQ=\ngolang.org/x/text v0.14.0\n',
      /^go.sum:2: expected 'module version h1:hash'/,
    ],
  ])('%s: %s', (path, text, message) => {
    const error = errorOf(path, text);
    expect(error?.code).toBe('lockfile-parse');
    expect(error?.message).toMatch(message);
  });
});

describe('truncated files', () => {
  it.each(FILES)('%s cut anywhere: a parse error or a consistent prefix, never a crash', (file) => {
    const text = read(file);
    const codes = new Set<string>();
    for (const fraction of [0.1, 0.25, 0.5, 0.75, 0.9]) {
      const cut = text.slice(0, Math.floor(text.length * fraction));
      const error = errorOf(file, cut, { readFile: readRoot });
      codes.add(error?.code ?? 'ok');
      if (error !== undefined)
        expect(error.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(:\\d+)?: `));
    }
    expect([...codes].every((c) => ['ok', 'lockfile-parse', 'lockfile-unsupported'].includes(c))).toBe(true);
  });

  it('a truncated JSON lockfile says it looks truncated, on its last line', () => {
    const text = read('npm-v3/package-lock.json');
    const cut = text.slice(0, text.indexOf('"resolved"', 1200) + 20);
    const error = errorOf('package-lock.json', cut);
    expect(error?.message).toMatch(/^package-lock.json:\d+: unterminated string \(is the file truncated\?\)$/);
    expect(Number(/:(\d+):/.exec(error?.message ?? '')?.[1])).toBe(cut.split('\n').length);
  });

  it('empty files', () => {
    for (const file of FILES) {
      const error = errorOf(file, '');
      if (error !== undefined) expect(error.code).toMatch(/^lockfile-(parse|unsupported)$/);
    }
    expect(errorOf('package-lock.json', '')?.message).toBe(
      'package-lock.json:1: expected a JSON value, found an empty file',
    );
  });
});

describe('a 100 MB lockfile: linear time, bounded memory, or a clear size error', () => {
  it('a 100 MB package-lock.json parses completely', () => {
    const text = packageLockV3(makeGraph(225_000));
    expect(text.length).toBeGreaterThan(100 * 10 ** 6);
    const before = process.memoryUsage().rss;
    const r = parseLockfile('package-lock.json', text);
    expect(r.packages).toHaveLength(225_000);
    expect(r.packages.at(-1)?.source.line).toBeGreaterThan(2_000_000);
    // Bounded: the result and the tree it came from, not a multiple of the file per level of nesting.
    expect(process.memoryUsage().rss - before).toBeLessThan(2 * 2 ** 30);
  }, 180_000);

  it('a 100 MB pnpm-lock.yaml parses completely', () => {
    const text = pnpmLockV9(makeGraph(380_000));
    expect(text.length).toBeGreaterThan(100 * 10 ** 6);
    const r = parseLockfile('pnpm-lock.yaml', text);
    expect(r.packages).toHaveLength(380_000);
    // A large file outside the block style is refused with its line, not handed to the slow general parser.
    const aliased = `${text.slice(0, 200)}\nextra: &anchor x\n${text.slice(200)}`;
    expect(errorOf('pnpm-lock.yaml', aliased)?.message).toMatch(/^pnpm-lock.yaml:\d+: expected plain block YAML/);
  }, 180_000);

  it('above the size limit: lockfile-too-large before any parsing', () => {
    const text = 'x'.repeat(1024 * 1024 + 1);
    const error = errorOf('package-lock.json', text, { maxBytes: 1024 * 1024 });
    expect(error?.code).toBe('lockfile-too-large');
    expect(error?.message).toMatch(/^package-lock.json: 1.0 MiB is larger than the 1.0 MiB limit for a lockfile/);
  });
});

describe('YAML alias bombs', () => {
  const bomb = (prefix: string) =>
    `${prefix}a: &a ["x","x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]\n`;
  it.each([
    ['pnpm-lock.yaml', "lockfileVersion: '9.0'\n"],
    ['pubspec.lock', 'sdks: {}\n'],
    ['yarn.lock', '__metadata:\n  version: 8\n'],
  ])('%s: refused quickly with a line', (path, prefix) => {
    const started = Date.now();
    const error = errorOf(path, bomb(prefix));
    expect(error?.message).toMatch(
      new RegExp(`^${path.replace('.', '\\.')}:\\d+: YAML aliases expand to more nodes than the file could hold`),
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a legitimate alias is still read', () => {
    const r = parseLockfile(
      'pubspec.lock',
      'packages:\n  http: &h\n    source: hosted\n    version: "1.0.0"\n    dependency: "direct main"\n  http2: *h\nsdks: {}\n',
    );
    expect(r.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['http@1.0.0', 'http2@1.0.0']);
  });
});

describe('__proto__ and constructor keys', () => {
  it.each([
    [
      'package-lock.json',
      '{\n  "lockfileVersion": 3,\n  "packages": {\n    "__proto__": {"polluted": "yes"}\n  }\n}',
      4,
    ],
    [
      'Pipfile.lock',
      '{\n  "_meta": {"pipfile-spec": 6},\n  "default": {\n    "a": {"version": "==1.0", "__proto__": {"polluted": "yes"}}\n  }\n}',
      4,
    ],
    ['pnpm-lock.yaml', "lockfileVersion: '9.0'\npackages:\n  __proto__:\n    polluted: yes\n", 3],
    ['pubspec.lock', 'packages:\n  x: {__proto__: {polluted: yes}}\n', 2],
    ['Cargo.lock', 'version = 3\n[[package]]\nname = "a"\n__proto__ = { polluted = "yes" }\n', 4],
    ['uv.lock', 'version = 1\n[__proto__]\npolluted = "yes"\n', 2],
  ])('%s: refused on line %s, nothing polluted', (path, text, line) => {
    const error = errorOf(path, text);
    expect(error?.message).toBe(`${path}:${line}: key '__proto__' is not allowed`);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('constructor, prototype and toString are ordinary names', () => {
    const lock = parseLockfile(
      'package-lock.json',
      '{"lockfileVersion": 3, "packages": {"": {"dependencies": {"constructor": "^1"}}, "node_modules/constructor": {"version": "1.0.0"}, "node_modules/toString": {"version": "2.0.0", "constructor": {"prototype": {"polluted": "yes"}}}}}',
    );
    expect(lock.packages.map((p) => `${p.name}@${p.version} ${p.direct}`)).toEqual([
      'constructor@1.0.0 true',
      'toString@2.0.0 false',
    ]);
    const toml = parseLockfile(
      'Cargo.lock',
      'version = 3\n[[package]]\nname = "constructor"\nversion = "0.1.0"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\nprototype = { constructor = 1 }\n',
    );
    expect(toml.packages.map((p) => p.name)).toEqual(['constructor']);
    const yaml = parseLockfile(
      'pubspec.lock',
      'packages:\n  constructor:\n    source: hosted\n    version: "1.0.0"\n    dependency: transitive\n',
    );
    expect(yaml.packages.map((p) => p.name)).toEqual(['constructor']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
  });
});

describe('a BOM and CRLF line ends read exactly like the plain file', () => {
  it.each(FILES)('%s', (file) => {
    const text = read(file);
    const readCrlf = (p: string) => readRoot(p)?.replace(/\r?\n/g, '\r\n');
    const plain = summary(parseLockfile(file, text, { readFile: readRoot }));
    expect(summary(parseLockfile(file, `\uFEFF${text}`, { readFile: readRoot }))).toEqual(plain);
    expect(summary(parseLockfile(file, text.replace(/\r?\n/g, '\r\n'), { readFile: readCrlf }))).toEqual(plain);
  });
});

describe('unknown lockfile versions', () => {
  it.each([
    ['package-lock.json', '{"lockfileVersion": 4, "packages": {}}'],
    ['npm-shrinkwrap.json', '{"lockfileVersion": "next"}'],
    ['pnpm-lock.yaml', "lockfileVersion: '10.0'\n"],
    ['yarn.lock', '__metadata:\n  version: 12\n'],
    ['bun.lock', '{"lockfileVersion": 2, "packages": {}}'],
    ['Cargo.lock', 'version = 5\n'],
    ['uv.lock', 'version = 2\n'],
    ['pdm.lock', '[metadata]\nlock_version = "9.0"\n'],
    ['poetry.lock', '[metadata]\nlock-version = "3.0"\n'],
    ['pylock.toml', 'lock-version = "2.0"\n'],
    ['packages.lock.json', '{"version": 3, "dependencies": {}}'],
    ['Pipfile.lock', '{"_meta": {"pipfile-spec": 7}, "default": {}}'],
  ])('%s', (path, text) => {
    const error = errorOf(path, text);
    expect(error?.code).toBe('lockfile-unsupported');
    expect(error?.message).toMatch(new RegExp(`^${path.replace('.', '\\.')}:\\d+: .*(not supported|expected)`));
  });
});

describe('deep nesting is an error, not a stack overflow', () => {
  it.each([
    ['package-lock.json', `{"lockfileVersion": 3, "packages": ${'['.repeat(100_000)}`],
    ['Cargo.lock', `version = 3\nx = ${'['.repeat(100_000)}`],
    ['pnpm-lock.yaml', `lockfileVersion: '9.0'\nx: ${'['.repeat(100_000)}`],
    ['pom.xml', `<project>${'<a>'.repeat(100_000)}`],
    ['mix.lock', `%{"a": ${'['.repeat(100_000)}`],
  ])('%s', (path, text) => {
    const error = errorOf(path, text);
    expect(error?.code).toBe('lockfile-parse');
    expect(error?.message).toMatch(new RegExp(`^${path.replace('.', '\\.')}:\\d+: `));
  });
});

describe('unusual whitespace and control characters never hang a line reader', () => {
  it.each(FILES)('%s', (file) => {
    const text = read(file);
    for (const junk of ['\v', '\f', '\u00a0', '\u2028', '\u0000', '\r', '\t']) {
      for (const at of [0, Math.floor(text.length / 2)]) {
        const started = Date.now();
        errorOf(file, text.slice(0, at) + junk + text.slice(at));
        expect(Date.now() - started).toBeLessThan(5_000);
      }
    }
  });
});
