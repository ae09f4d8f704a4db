/**
 * Property tests for every lockfile parser: lockfiles generated from random packages read back to exactly those
 * packages; random damage to every fixture gives a DepsError or a result, never another exception; the JSON, TOML and
 * block-YAML readers agree with reference parsers on random documents.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DepsError, detectLockfile, type Ecosystem, parseLockfile } from '@airlock/deps';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { fastPackageLock, positionedPackageLock } from '../../../packages/deps/src/lockfiles/package-lock.ts';
import { parseJson } from '../../../packages/deps/src/parse/json.ts';
import { parseToml } from '../../../packages/deps/src/parse/toml.ts';
import { isArr, isObj, type Value } from '../../../packages/deps/src/parse/tree.ts';
import { parseFullYaml } from '../../../packages/deps/src/parse/yaml.ts';
import { readBlockYaml } from '../../../packages/deps/src/parse/yaml-block.ts';
import { FIXTURES } from '../../support/paths.ts';

/** AIRLOCK_FC_SCALE=10 runs every property ten times as often (for a longer hunt). */
const SCALE = Number(process.env.AIRLOCK_FC_SCALE ?? 1);
fc.configureGlobal({ numRuns: 100 * SCALE });
const RUNS = 60 * SCALE;

/** The positioned tree as plain data, for comparison with reference parsers. */
function plain(v: Value | undefined): unknown {
  if (isArr(v)) return v.map(plain);
  if (isObj(v)) return Object.fromEntries(v.keys.map((k, i) => [k, plain(v.values[i])]));
  return v;
}

// ------------------------------------------------------------------------------------------- generators

interface Pkg {
  readonly name: string;
  readonly version: string;
  readonly dev: boolean;
}

const ident = (first: string, rest: string, max = 12) =>
  fc
    .tuple(fc.constantFrom(...first), fc.array(fc.constantFrom(...rest), { maxLength: max }))
    .map(([a, b]) => a + b.join(''));
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const num = fc.integer({ min: 0, max: 400 }).map(String);
const semver = fc
  .tuple(num, num, num, fc.option(ident(LOWER, `${LOWER}${DIGITS}`, 5), { nil: undefined }))
  .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre === undefined ? '' : `-${pre}`}`);
const npmName = fc.oneof(
  ident(LOWER, `${LOWER}${DIGITS}-._`),
  fc.tuple(ident(LOWER, `${LOWER}${DIGITS}-`), ident(LOWER, `${LOWER}${DIGITS}-._`)).map(([s, n]) => `@${s}/${n}`),
);
const pypiName = ident(LOWER, `${LOWER}${DIGITS}-`).filter((n) => !n.endsWith('-'));
const pep440 = fc
  .tuple(num, num, fc.option(fc.constantFrom('a1', 'b2', 'rc1', '.post1', '.dev3'), { nil: undefined }))
  .map(([a, b, s]) => `${a}.${b}${s ?? ''}`);
const goModule = fc
  .tuple(
    fc.constantFrom('github.com', 'golang.org/x', 'gopkg.in', 'example.com'),
    ident(LOWER, `${LOWER}${DIGITS}-`),
    ident(LOWER, `${LOWER}${DIGITS}-.`),
  )
  .map(([host, owner, repo]) => `${host}/${owner}/${repo}`);
const goVersion = fc
  .tuple(num, num, num, fc.boolean())
  .map(([a, b, c, pseudo]) =>
    pseudo ? `0.0.0-20${a.padStart(2, '0').slice(0, 2)}0101120000-abcdef123456` : `${a}.${b}.${c}`,
  );
const mavenName = fc
  .tuple(ident(LOWER, `${LOWER}.`), ident(LOWER, `${LOWER}${DIGITS}-`))
  .map(([g, a]) => `${g.replace(/\.+$/, '')}:${a}`);
const mavenVersion = fc
  .tuple(num, num, fc.option(fc.constantFrom('-jre', '.Final', '-SNAPSHOT', '-RC1'), { nil: undefined }))
  .map(([a, b, s]) => `${a}.${b}${s ?? ''}`);
const gemName = ident(LOWER, `${LOWER}${DIGITS}_-`);
const gemVersion = fc
  .tuple(num, num, fc.option(fc.constantFrom('.beta1', '.rc2', '.pre'), { nil: undefined }))
  .map(([a, b, s]) => `${a}.${b}${s ?? ''}`);
const composerName = fc
  .tuple(ident(LOWER, `${LOWER}-`), ident(LOWER, `${LOWER}${DIGITS}-`))
  .map(([v, p]) => `${v}/${p}`);
const nugetName = ident(`ABCDEFGHIJKLMNOPQRSTUVWXYZ${LOWER}`, `${LOWER}${DIGITS}.`).filter((n) => !n.endsWith('.'));
const dartName = ident(LOWER, `${LOWER}${DIGITS}_`);
const elixirName = ident(LOWER, `${LOWER}${DIGITS}_`);
const crateName = ident(LOWER, `${LOWER}${DIGITS}_-`);

/** Packages with unique names. */
const packages = (
  name: fc.Arbitrary<string>,
  version: fc.Arbitrary<string>,
  normalise: (n: string) => string = (n) => n,
) =>
  fc.uniqueArray(fc.record({ name, version, dev: fc.boolean() }), {
    minLength: 1,
    maxLength: 25,
    selector: (p) => normalise(p.name),
  });

// ------------------------------------------------------------------------------------------- renderers

const j = JSON.stringify;
const q = (s: string) => JSON.stringify(s); // a JSON string is a valid TOML basic string for these names
const yq = (s: string) => `'${s.replace(/'/g, "''")}'`;

interface Case {
  readonly file: string;
  readonly ecosystem: Ecosystem;
  readonly pkgs: fc.Arbitrary<Pkg[]>;
  readonly render: (pkgs: Pkg[]) => string;
  /** The name the parser reports (normalised as OSV names it). */
  readonly name?: (n: string) => string;
  /** Whether the format carries dev scope per package in this rendering. */
  readonly scope?: boolean;
}

const pep503 = (n: string) => n.toLowerCase().replace(/[-_.]+/g, '-');

const CASES: Case[] = [
  {
    file: 'package-lock.json',
    ecosystem: 'npm',
    pkgs: packages(npmName, semver),
    scope: true,
    render: (ps) =>
      j(
        {
          lockfileVersion: 3,
          packages: {
            '': { name: 'root' },
            ...Object.fromEntries(
              ps.map((p) => [`node_modules/${p.name}`, { version: p.version, ...(p.dev ? { dev: true } : {}) }]),
            ),
          },
        },
        null,
        2,
      ),
  },
  {
    file: 'npm-shrinkwrap.json',
    ecosystem: 'npm',
    pkgs: packages(npmName, semver),
    scope: true,
    render: (ps) =>
      j(
        {
          lockfileVersion: 1,
          dependencies: Object.fromEntries(ps.map((p) => [p.name, { version: p.version, dev: p.dev }])),
        },
        null,
        2,
      ),
  },
  {
    file: 'yarn.lock',
    ecosystem: 'npm',
    pkgs: packages(npmName, semver),
    render: (ps) =>
      `# yarn lockfile v1\n\n\n${ps.map((p) => `"${p.name}@^${p.version}":\n  version "${p.version}"\n  resolved "https://registry.yarnpkg.com/x.tgz"\n`).join('\n')}`,
  },
  {
    file: 'yarn.lock',
    ecosystem: 'npm',
    pkgs: packages(npmName, semver),
    render: (ps) =>
      `__metadata:\n  version: 8\n  cacheKey: 10c0\n\n${ps.map((p) => `"${p.name}@npm:^${p.version}":\n  version: ${p.version}\n  resolution: "${p.name}@npm:${p.version}"\n  languageName: node\n  linkType: hard\n`).join('\n')}`,
  },
  {
    file: 'pnpm-lock.yaml',
    ecosystem: 'npm',
    pkgs: packages(npmName, semver),
    scope: true,
    render: (ps) =>
      `lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n${ps
        .filter((p) => !p.dev)
        .map((p) => `      ${yq(p.name)}:\n        specifier: ^${p.version}\n        version: ${p.version}\n`)
        .join('')}    devDependencies:\n${ps
        .filter((p) => p.dev)
        .map((p) => `      ${yq(p.name)}:\n        specifier: ^${p.version}\n        version: ${p.version}\n`)
        .join(
          '',
        )}\npackages:\n\n${ps.map((p) => `  ${yq(`${p.name}@${p.version}`)}:\n    resolution: {integrity: sha512-x}\n`).join('\n')}\nsnapshots:\n\n${ps.map((p) => `  ${yq(`${p.name}@${p.version}`)}: {}\n`).join('\n')}`,
  },
  {
    file: 'pnpm-lock.yaml',
    ecosystem: 'npm',
    pkgs: packages(npmName, semver),
    scope: true,
    render: (ps) =>
      `lockfileVersion: '6.0'\n\npackages:\n\n${ps.map((p) => `  ${yq(`/${p.name}@${p.version}`)}:\n    resolution: {integrity: sha512-x}\n    dev: ${p.dev}\n`).join('\n')}`,
  },
  {
    file: 'pnpm-lock.yaml',
    ecosystem: 'npm',
    pkgs: packages(npmName, semver),
    scope: true,
    render: (ps) =>
      `lockfileVersion: 5.4\n\npackages:\n\n${ps.map((p) => `  ${yq(`/${p.name}/${p.version}${p.dev ? '_react@18.2.0' : ''}`)}:\n    resolution: {integrity: sha512-x}\n    dev: ${p.dev}\n`).join('\n')}`,
  },
  {
    file: 'gradle/dependency-locks/testCompileClasspath.lockfile',
    ecosystem: 'Maven',
    pkgs: packages(mavenName, mavenVersion).map((ps) => ps.map((p) => ({ ...p, dev: true }))),
    scope: true,
    render: (ps) => `# Gradle\n${ps.map((p) => `${p.name}:${p.version}\n`).join('')}`,
  },
  {
    file: 'gems.locked',
    ecosystem: 'RubyGems',
    pkgs: packages(gemName, gemVersion),
    render: (ps) =>
      `GEM\n  remote: https://rubygems.org/\n  specs:\n${ps.map((p) => `    ${p.name} (${p.version}-x86_64-linux)\n      rake (>= 12)\n`).join('')}\nPLATFORMS\n  x86_64-linux\n\nBUNDLED WITH\n   2.5.3\n`,
  },
  {
    file: 'bun.lock',
    ecosystem: 'npm',
    pkgs: packages(npmName, semver),
    scope: true,
    render: (ps) =>
      `{\n  "lockfileVersion": 1,\n  "workspaces": {\n    "": {\n      "dependencies": {${ps
        .filter((p) => !p.dev)
        .map((p) => `${j(p.name)}: "^${p.version}",`)
        .join(' ')}},\n      "devDependencies": {${ps
        .filter((p) => p.dev)
        .map((p) => `${j(p.name)}: "^${p.version}",`)
        .join(
          ' ',
        )}},\n    },\n  },\n  "packages": {\n${ps.map((p) => `    ${j(p.name)}: [${j(`${p.name}@${p.version}`)}, "", {}, "sha512-x"],\n`).join('')}  }\n}\n`,
  },
  {
    file: 'requirements.txt',
    ecosystem: 'PyPI',
    pkgs: packages(pypiName, pep440, pep503),
    name: pep503,
    render: (ps) => ps.map((p) => `${p.name}==${p.version}  # pinned`).join('\n'),
  },
  {
    file: 'poetry.lock',
    ecosystem: 'PyPI',
    pkgs: packages(pypiName, pep440, pep503),
    name: pep503,
    scope: true,
    render: (ps) =>
      `${ps.map((p) => `[[package]]\nname = ${q(p.name)}\nversion = ${q(p.version)}\noptional = false\ngroups = [${p.dev ? '"dev"' : '"main"'}]\nfiles = []\n`).join('\n')}\n[metadata]\nlock-version = "2.1"\n`,
  },
  {
    file: 'Pipfile.lock',
    ecosystem: 'PyPI',
    pkgs: packages(pypiName, pep440, pep503),
    name: pep503,
    scope: true,
    render: (ps) =>
      j(
        {
          _meta: { 'pipfile-spec': 6 },
          default: Object.fromEntries(ps.filter((p) => !p.dev).map((p) => [p.name, { version: `==${p.version}` }])),
          develop: Object.fromEntries(ps.filter((p) => p.dev).map((p) => [p.name, { version: `==${p.version}` }])),
        },
        null,
        4,
      ),
  },
  {
    file: 'pdm.lock',
    ecosystem: 'PyPI',
    pkgs: packages(pypiName, pep440, pep503),
    name: pep503,
    scope: true,
    render: (ps) =>
      `[metadata]\ngroups = ["default", "dev"]\nlock_version = "4.5.0"\n\n${ps.map((p) => `[[package]]\nname = ${q(p.name)}\nversion = ${q(p.version)}\ngroups = [${p.dev ? '"dev"' : '"default"'}]\n`).join('\n')}`,
  },
  {
    file: 'uv.lock',
    ecosystem: 'PyPI',
    pkgs: packages(pypiName, pep440, pep503),
    name: pep503,
    scope: true,
    render: (ps) =>
      `version = 1\nrevision = 2\n\n[[package]]\nname = "zz-root-project"\nversion = "0.1.0"\nsource = { virtual = "." }\ndependencies = [\n${ps
        .filter((p) => !p.dev)
        .map((p) => `    { name = ${q(p.name)} },\n`)
        .join('')}]\n\n[package.dev-dependencies]\ndev = [${ps
        .filter((p) => p.dev)
        .map((p) => `{ name = ${q(p.name)} }`)
        .join(
          ', ',
        )}]\n\n${ps.map((p) => `[[package]]\nname = ${q(p.name)}\nversion = ${q(p.version)}\nsource = { registry = "https://pypi.org/simple" }\n`).join('\n')}`,
  },
  {
    file: 'pylock.toml',
    ecosystem: 'PyPI',
    pkgs: packages(pypiName, pep440, pep503),
    name: pep503,
    scope: true,
    render: (ps) =>
      `lock-version = "1.0"\ncreated-by = "test"\ndependency-groups = ["dev"]\ndefault-groups = []\n\n${ps.map((p) => `[[packages]]\nname = ${q(p.name)}\nversion = ${q(p.version)}\n${p.dev ? `marker = "'dev' in dependency_groups"\n` : ''}`).join('\n')}`,
  },
  {
    file: 'go.mod',
    ecosystem: 'Go',
    pkgs: packages(goModule, goVersion),
    render: (ps) =>
      `module example.com/app\n\ngo 1.22\n\nrequire (\n${ps.map((p) => `\t${p.name} v${p.version}${p.dev ? ' // indirect' : ''}\n`).join('')})\n`,
  },
  {
    file: 'go.sum',
    ecosystem: 'Go',
    pkgs: packages(goModule, goVersion),
    render: (ps) => ps.map((p) => `${p.name} v${p.version} h1:abc=\n${p.name} v${p.version}/go.mod h1:def=\n`).join(''),
  },
  {
    file: 'Cargo.lock',
    ecosystem: 'crates.io',
    pkgs: packages(crateName, semver),
    render: (ps) =>
      `version = 4\n\n${ps.map((p) => `[[package]]\nname = ${q(p.name)}\nversion = ${q(p.version)}\nsource = "registry+https://github.com/rust-lang/crates.io-index"\nchecksum = "00"\n`).join('\n')}`,
  },
  {
    file: 'Gemfile.lock',
    ecosystem: 'RubyGems',
    pkgs: packages(gemName, gemVersion),
    render: (ps) =>
      `GEM\n  remote: https://rubygems.org/\n  specs:\n${ps.map((p) => `    ${p.name} (${p.version})\n`).join('')}\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n${ps.map((p) => `  ${p.name}\n`).join('')}`,
  },
  {
    file: 'composer.lock',
    ecosystem: 'Packagist',
    pkgs: packages(composerName, semver),
    scope: true,
    render: (ps) =>
      j(
        {
          packages: ps.filter((p) => !p.dev).map((p) => ({ name: p.name, version: p.version })),
          'packages-dev': ps.filter((p) => p.dev).map((p) => ({ name: p.name, version: p.version })),
        },
        null,
        4,
      ),
  },
  {
    file: 'gradle.lockfile',
    ecosystem: 'Maven',
    pkgs: packages(mavenName, mavenVersion),
    scope: true,
    render: (ps) =>
      `# Gradle\n${ps.map((p) => `${p.name}:${p.version}=${p.dev ? 'testCompileClasspath,testRuntimeClasspath' : 'compileClasspath,runtimeClasspath'}\n`).join('')}empty=\n`,
  },
  {
    file: 'pom.xml',
    ecosystem: 'Maven',
    pkgs: packages(mavenName, mavenVersion),
    scope: true,
    render: (ps) =>
      `<?xml version="1.0"?>\n<project>\n  <properties>${ps.map((p, i) => `<v${i}>${p.version}</v${i}>`).join('')}</properties>\n  <dependencies>\n${ps.map((p, i) => `    <dependency>\n      <groupId>${p.name.split(':')[0]}</groupId>\n      <artifactId>${p.name.split(':')[1]}</artifactId>\n      <version>\${v${i}}</version>\n${p.dev ? '      <scope>test</scope>\n' : ''}    </dependency>\n`).join('')}  </dependencies>\n</project>\n`,
  },
  {
    file: 'packages.lock.json',
    ecosystem: 'NuGet',
    pkgs: packages(nugetName, semver, (n) => n.toLowerCase()),
    render: (ps) =>
      j(
        {
          version: 1,
          dependencies: {
            'net8.0': Object.fromEntries(ps.map((p) => [p.name, { type: 'Transitive', resolved: p.version }])),
          },
        },
        null,
        2,
      ),
  },
  {
    file: 'pubspec.lock',
    ecosystem: 'Pub',
    pkgs: packages(dartName, semver),
    scope: true,
    render: (ps) =>
      `packages:\n${ps.map((p) => `  ${p.name}:\n    dependency: "direct ${p.dev ? 'dev' : 'main'}"\n    description:\n      name: ${p.name}\n      url: "https://pub.dev"\n    source: hosted\n    version: "${p.version}"\n`).join('')}sdks:\n  dart: ">=3.0.0 <4.0.0"\n`,
  },
  {
    file: 'mix.lock',
    ecosystem: 'Hex',
    pkgs: packages(elixirName, semver),
    render: (ps) =>
      `%{\n${ps.map((p) => `  ${j(p.name)}: {:hex, :${p.name}, ${j(p.version)}, "abc", [:mix], [{:x, "~> 1.0", [hex: :x, repo: "hexpm", optional: false]}], "hexpm", "def"},\n`).join('')}}\n`,
  },
];

describe('generated lockfiles read back to the packages they were generated from', () => {
  it.each(CASES.map((c, i) => [`${c.file}#${i}`, c] as const))('%s', (_label, c) => {
    fc.assert(
      fc.property(c.pkgs, (ps) => {
        const r = parseLockfile(c.file, c.render(ps));
        const got = r.packages
          .map((p) => `${p.ecosystem} ${p.name}@${p.version}${c.scope ? ` ${p.scope}` : ''}`)
          .sort();
        const name = c.name ?? ((n: string) => n);
        const want = ps
          .map((p) => `${c.ecosystem} ${name(p.name)}@${p.version}${c.scope ? ` ${p.dev ? 'dev' : 'runtime'}` : ''}`)
          .sort();
        expect(got).toEqual(want);
        expect(r.packages.every((p) => p.source.path === c.file && p.source.line >= 1)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

// ------------------------------------------------------------------------------------------- damage

function fixtureFiles(dir = join(FIXTURES, 'deps')): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return fixtureFiles(full);
    const rel = relative(join(FIXTURES, 'deps'), full).split('\\').join('/');
    return detectLockfile(rel) === undefined ? [] : [rel];
  });
}

const mutation = (length: number) =>
  fc.oneof(
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(length), n: fc.integer({ min: 1, max: 40 }) }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(length),
      text: fc.string({ unit: 'binary', maxLength: 8 }),
    }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(length),
      text: fc.constantFrom(
        '{',
        '}',
        '[',
        ']',
        '"',
        "'",
        ':',
        ',',
        '\n',
        '  ',
        '\t',
        '#',
        '&a ',
        '*a',
        '\\',
        '<',
        '>',
        '%{',
        '=',
        '__proto__',
      ),
    }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(length) }),
    fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(length), n: fc.integer({ min: 1, max: 200 }) }),
  );

interface Mutation {
  readonly kind: string;
  readonly at: number;
  readonly n?: number;
  readonly text?: string;
}

function mutate(text: string, ms: readonly Mutation[]): string {
  let t = text;
  for (const m of ms) {
    const at = Math.min(m.at, t.length);
    if (m.kind === 'delete') t = t.slice(0, at) + t.slice(at + (m.n ?? 1));
    else if (m.kind === 'insert') t = t.slice(0, at) + (m.text ?? '') + t.slice(at);
    else if (m.kind === 'truncate') t = t.slice(0, at);
    else t = t.slice(0, at) + t.slice(at, at + (m.n ?? 1)) + t.slice(at);
  }
  return t;
}

describe('random damage to every fixture: a DepsError or a result, never another exception', () => {
  it.each(fixtureFiles())('%s', (file) => {
    const text = readFileSync(join(FIXTURES, 'deps', file), 'utf8');
    fc.assert(
      fc.property(fc.array(mutation(text.length), { minLength: 1, maxLength: 4 }), (ms) => {
        const damaged = mutate(text, ms);
        try {
          const r = parseLockfile(file, damaged, { readFile: () => undefined });
          for (const p of r.packages) {
            expect(typeof p.name).toBe('string');
            expect(typeof p.version).toBe('string');
            expect(p.source.line).toBeGreaterThanOrEqual(1);
          }
        } catch (error) {
          if (!(error instanceof DepsError)) throw error;
          expect(error.message.startsWith(file)).toBe(true);
        }
      }),
      { numRuns: 150 * SCALE },
    );
  });
});

// ------------------------------------------------------------------------------------------- readers

describe('the JSON reader agrees with JSON.parse', () => {
  it('on random JSON documents, also pretty-printed and with CRLF', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(0, 2, '\t'), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        if (text.includes('"__proto__"')) return;
        const reference = JSON.parse(text);
        expect(plain(parseJson(text, 'x.json'))).toEqual(reference);
        expect(plain(parseJson(text.replace(/\n/g, '\r\n'), 'x.json'))).toEqual(reference);
      }),
      { numRuns: 300 * SCALE },
    );
  });

  it('rejects what JSON.parse rejects', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.nat(),
        fc.constantFrom('', ',', '}', ']', '"', ':', 'x', '\u0001', '01'),
        (value, at, junk) => {
          const text = JSON.stringify(value);
          const i = at % (text.length + 1);
          const damaged = text.slice(0, i) + junk + text.slice(i);
          let reference: unknown;
          try {
            reference = JSON.parse(damaged);
          } catch {
            expect(() => parseJson(damaged, 'x.json')).toThrow(DepsError);
            return;
          }
          if (!damaged.includes('"__proto__"')) expect(plain(parseJson(damaged, 'x.json'))).toEqual(reference);
        },
      ),
      { numRuns: 300 * SCALE },
    );
  });
});

describe('the TOML reader reads back what a TOML writer writes', () => {
  const key = fc.oneof(
    ident(LOWER, `${LOWER}${DIGITS}_-`, 8),
    fc.string({ maxLength: 6 }).filter((s) => s !== '__proto__'),
  );
  const scalar = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.integer({ min: -1e9, max: 1e9 }),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).filter((d) => !Number.isInteger(d)),
  );
  const tomlKey = (k: string) => (/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k));
  const tomlScalar = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));
  const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      scalar,
      fc.array(tie('v'), { maxLength: 3 }),
      fc.dictionary(key, tie('v'), { maxKeys: 3 }),
    ),
  })).v;
  const inline = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(inline).join(', ')}]`;
    if (typeof v === 'object' && v !== null)
      return `{ ${Object.entries(v)
        .map(([k, x]) => `${tomlKey(k)} = ${inline(x)}`)
        .join(', ')} }`;
    return tomlScalar(v);
  };

  it('top-level keys, [tables] and [[arrays of tables]] with inline values', () => {
    fc.assert(
      fc.property(
        fc.dictionary(key, value, { maxKeys: 4 }),
        fc.dictionary(key, fc.dictionary(key, value, { maxKeys: 3 }), { maxKeys: 3 }),
        fc.array(fc.dictionary(key, scalar, { maxKeys: 3 }), { maxLength: 3 }),
        (top, tables, rows) => {
          const tableNames = Object.keys(tables).filter((t) => !(t in top) && t !== 'rows');
          const topKeys = Object.keys(top).filter((k) => k !== 'rows');
          const lines = topKeys.map((k) => `${tomlKey(k)} = ${inline(top[k])}`);
          for (const t of tableNames) {
            lines.push('', `[${tomlKey(t)}]  # a table`);
            for (const [k, v] of Object.entries(tables[t] ?? {})) lines.push(`${tomlKey(k)} = ${inline(v)}`);
          }
          for (const row of rows) {
            lines.push('', '[[rows]]');
            for (const [k, v] of Object.entries(row)) lines.push(`${tomlKey(k)} = ${inline(v)}`);
          }
          const expected: Record<string, unknown> = {};
          for (const k of topKeys) expected[k] = top[k];
          for (const t of tableNames) expected[t] = tables[t];
          if (rows.length > 0) expected.rows = rows;
          const parsed = plain(parseToml(lines.join('\n'), 'x.toml'));
          expect(JSON.parse(JSON.stringify(parsed))).toEqual(JSON.parse(JSON.stringify(expected)));
        },
      ),
      { numRuns: 300 * SCALE },
    );
  });

  it('multi-line strings, literal strings, escapes, numbers in every base, dates', () => {
    const doc = [
      'a = """',
      'first\\',
      '   second"""',
      "b = '''",
      "raw \\n ''",
      "'''",
      "c = 'C:\\path'",
      'd = "tab\\tquote\\" \\u00e9 \\U0001F600"',
      'e = 0xff',
      'f = 0o17',
      'g = 0b101',
      'h = 1_000',
      'i = -3.5e2',
      'j = 1979-05-27T07:32:00Z',
      'k = 1979-05-27',
      'l = [ 1, 2, # comment',
      '  3, ]',
      'm.n.o = true',
      'p = { q = 1, r.s = "t" }',
    ].join('\n');
    expect(plain(parseToml(doc, 'x.toml'))).toEqual({
      a: 'firstsecond',
      b: "raw \\n ''\n",
      c: 'C:\\path',
      d: 'tab\tquote" é 😀',
      e: 255,
      f: 15,
      g: 5,
      h: 1000,
      i: -350,
      j: '1979-05-27T07:32:00Z',
      k: '1979-05-27',
      l: [1, 2, 3],
      m: { n: { o: true } },
      p: { q: 1, r: { s: 't' } },
    });
  });

  it.each([
    ['a = 1\na = 2', /x.toml:2: duplicate key 'a'/],
    ['[t]\n[t]', /x.toml:2: table \[t\] is defined more than once/],
    ['a = { b = 1 }\n[a]', /x.toml:2: table \[a\] is defined more than once/],
    ['a = [1]\n[[a]]', /x.toml:2: \[\[a\]\] redefines 'a', which is already a static array/],
    ['a = "x\ny"', /x.toml:1: unterminated string/],
    ['a = """x', /x.toml:1: unterminated multi-line string/],
    ['a = 1 2', /x.toml:1: expected the end of the line, found '2'/],
    ['a.b = 1\na = 2', /x.toml:2: duplicate key 'a'/],
    ['a = 0x', /x.toml:1: expected a value/],
    ['a = "\\uD800"', /x.toml:1: \\uD800 is not a Unicode scalar value/],
  ])('rejects %j', (doc, message) => {
    expect(() => parseToml(doc, 'x.toml')).toThrow(message);
  });
});

describe('the block-YAML reader agrees with the yaml package wherever it reads a document', () => {
  const scalar = fc.oneof(
    ident(`${LOWER}${DIGITS}`, `${LOWER}${DIGITS}.-_/@()^~=<>+ `, 10).map((s) => s.trim() || 'x'),
    fc.string({ maxLength: 10 }),
    fc.constantFrom(
      '',
      'true',
      'null',
      '~',
      '1.10',
      '- x',
      ': x',
      'a: b',
      'a #b',
      '#x',
      '"q"',
      "'q'",
      '{a: b}',
      '[a, b]',
      'x\ty',
    ),
  );
  const render = (v: unknown, indent: number, quote: boolean): string[] => {
    const pad = ' '.repeat(indent);
    const s = (x: string) => (quote ? JSON.stringify(x) : x);
    if (Array.isArray(v))
      return v.flatMap((x) =>
        typeof x === 'object' && x !== null
          ? [`${pad}-`, ...render(x, indent + 2, quote)]
          : [`${pad}- ${s(String(x))}`],
      );
    if (typeof v === 'object' && v !== null)
      return Object.entries(v).flatMap(([k, x]) =>
        typeof x === 'object' && x !== null
          ? [`${pad}${s(k)}:`, ...render(x, indent + 2, quote)]
          : [`${pad}${s(k)}: ${s(String(x))}`],
      );
    return [`${pad}${s(String(v))}`];
  };
  const doc: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      scalar,
      fc.array(tie('v'), { minLength: 1, maxLength: 3 }),
      fc.dictionary(scalar, tie('v'), { minKeys: 1, maxKeys: 3 }),
    ),
  })).v;

  it('on random block documents, plain and quoted', () => {
    fc.assert(
      fc.property(fc.dictionary(scalar, doc, { minKeys: 1, maxKeys: 4 }), fc.boolean(), (value, quote) => {
        const text = `${render(value, 0, quote).join('\n')}\n`;
        const fast = readBlockYaml(text);
        if (!('value' in fast)) return;
        const reference = parseDocument(text, { schema: 'failsafe', uniqueKeys: false });
        if (reference.errors.length > 0) throw new Error(`the block reader accepted invalid YAML:\n${text}`);
        expect(plain(fast.value)).toEqual(plain(parseFullYaml(text, 'x.yaml')));
      }),
      { numRuns: 400 * SCALE },
    );
  });

  it('reads every YAML fixture the way the yaml package does', () => {
    for (const file of fixtureFiles().filter((f) => /pnpm-lock|pubspec|yarn-berry/.test(f))) {
      const text = readFileSync(join(FIXTURES, 'deps', file), 'utf8');
      const fast = readBlockYaml(text);
      expect('value' in fast, file).toBe(true);
      if ('value' in fast) expect(plain(fast.value)).toEqual(plain(parseFullYaml(text, file)));
    }
  });
});

describe('package-lock.json: the fast path (JSON.parse) gives exactly what the positioned parser gives', () => {
  const outcome = (fn: () => unknown) => {
    try {
      return { ok: fn() };
    } catch (error) {
      return { error: (error as Error).message };
    }
  };
  // Mostly what npm writes, now and then a value the reader refuses or reads in an unusual way.
  const odd = fc.oneof(fc.constantFrom(null, '', 0, 1, 'x', [], {}), fc.string({ maxLength: 6 }));
  const rarely = <T>(usual: fc.Arbitrary<T>) =>
    fc.oneof({ arbitrary: usual, weight: 12 }, { arbitrary: odd, weight: 1 });
  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });
  const bool = rarely(fc.constantFrom(true, false, 'true', 'false', null));
  const entry = fc.record(
    {
      name: fc.option(rarely(npmName), { nil: undefined, freq: 1 }),
      version: maybe(
        rarely(
          fc.oneof(semver, semver, semver, fc.constantFrom('npm:@a/b@1.0.0', 'git+https://x/y.git', 'file:../z', '')),
        ),
      ),
      dev: maybe(bool),
      optional: maybe(bool),
      devOptional: maybe(bool),
      link: fc.option(bool, { nil: undefined, freq: 8 }),
      license: maybe(fc.oneof(fc.constantFrom('MIT', 'ISC'), odd, fc.constant({ type: 'MIT' }))),
      integrity: maybe(fc.constant('sha512-AAAA')),
      dependencies: maybe(rarely(fc.dictionary(npmName, fc.constant('^1.0.0'), { maxKeys: 3 }))),
    },
    { requiredKeys: [] },
  );
  const installPath = fc.oneof(
    npmName.map((n) => `node_modules/${n}`),
    fc.tuple(npmName, npmName).map(([a, b]) => `node_modules/${a}/node_modules/${b}`),
    fc.constantFrom('', 'packages/web', 'node_modules/', 'packages/web/node_modules/a', '1', '42'),
  );
  const lockfile = fc
    .tuple(
      fc.constantFrom(2, 3, 3, 3, 3, 3, 1, '3'),
      fc.array(fc.tuple(installPath, rarely(entry)), { maxLength: 12 }),
      fc.boolean(),
    )
    .map(([lockfileVersion, pairs, pretty]) => {
      const packages: Record<string, unknown> = {};
      for (const [path, value] of pairs) packages[path] = value;
      return JSON.stringify({ name: 'x', lockfileVersion, requires: true, packages }, null, pretty ? 2 : undefined);
    });

  it('on random lockfiles with odd values, results, warnings and errors alike', () => {
    let taken = 0;
    fc.assert(
      fc.property(lockfile, (text) => {
        const fast = outcome(() => fastPackageLock('package-lock.json', text, 'package-lock.json'));
        const slow = outcome(() => positionedPackageLock('package-lock.json', text, 'package-lock.json'));
        if ('ok' in fast && fast.ok !== undefined) {
          taken++;
          expect(fast).toEqual(slow);
        }
        // Whatever the fast path declines, the format reads with the positioned parser.
        expect(outcome(() => parseLockfile('package-lock.json', text))).toEqual(slow);
      }),
      { numRuns: 300 * SCALE },
    );
    expect(taken).toBeGreaterThan(100 * SCALE); // the fast path is what most of these documents take
  });

  it('on every package-lock fixture, with the same lines', () => {
    const files = fixtureFiles().filter((f) => /(package-lock|npm-shrinkwrap)\.json$/.test(f));
    expect(files.length).toBeGreaterThan(1);
    for (const file of files) {
      const text = readFileSync(join(FIXTURES, 'deps', file), 'utf8');
      const slow = outcome(() => positionedPackageLock('package-lock.json', text, 'package-lock.json'));
      const fast = outcome(() => fastPackageLock('package-lock.json', text, 'package-lock.json'));
      if ('ok' in fast && fast.ok !== undefined) expect(fast, file).toEqual(slow);
    }
  });
});
