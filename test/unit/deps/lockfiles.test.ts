import { join } from 'node:path';
import {
  DepsError,
  detectLockfile,
  LOCKFILE_FORMATS,
  listPackages,
  loadLockfile,
  parseLockfile,
  pep503,
  purl,
} from '@airlock/deps';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../support/paths.ts';

const ROOT = join(FIXTURES, 'deps');

type Row = { name: string; version: string; scope: string; direct?: boolean; source: { line: number } };
const rows = (r: { packages: readonly Row[] }) =>
  r.packages.map((p) => `${p.name}@${p.version} ${p.scope}${p.direct === true ? ' direct' : ''} :${p.source.line}`);

/** Every fixture: its kind, its packages (name@version scope [direct] :line) and how many warnings it gives. */
const FIXTURE_TABLE: [string, string, string[], number][] = [
  [
    'bun/bun.lock',
    'bun.lock@1',
    [
      '@types/bun@1.1.6 dev direct :16',
      'bun-types@1.1.17 dev :18',
      '@types/node@20.12.14 dev :20',
      '@types/ws@8.5.12 dev :22',
      'hono@4.5.1 runtime direct :24',
      'undici-types@5.26.5 dev :26',
      'zod@3.23.8 runtime direct :28',
      '@types/node@20.14.10 dev :30',
    ],
    0,
  ],
  [
    'cargo-v3/Cargo.lock',
    'Cargo.lock@3',
    ['cfg-if@1.0.0 runtime :6', 'smallvec@1.11.0 runtime :21', 'tokio@1.32.0 runtime :27'],
    0,
  ],
  ['cargo-v4/Cargo.lock', 'Cargo.lock@4', ['serde@1.0.210 runtime :6', 'serde_derive@1.0.210 runtime :15'], 0],
  [
    'composer/composer.lock',
    'composer.lock',
    [
      'guzzlehttp/guzzle@7.8.0 runtime :10',
      'monolog/monolog@3.5.0 runtime :23',
      'acme/tools@dev-main runtime :32',
      'phpunit/phpunit@10.4.2 dev :39',
    ],
    0,
  ],
  [
    'go-sum-only/go.sum',
    'go.sum',
    ['github.com/google/uuid@1.6.0 runtime :3', 'golang.org/x/text@0.14.0 runtime :6'],
    0,
  ],
  [
    'go/go.mod',
    'go.mod',
    [
      'github.com/gin-gonic/gin@1.9.1 runtime direct :8',
      'github.com/golang-jwt/jwt/v5@5.2.0 runtime direct :9',
      'gopkg.in/yaml.v3@3.0.1 runtime :12',
      'github.com/docker/docker@24.0.7+incompatible runtime direct :15',
      'golang.org/x/crypto@0.0.0-20220314234659-1baeb1ce4c0b runtime :17',
      'golang.org/x/net@0.23.0 runtime :21',
    ],
    1,
  ],
  [
    'gradle-legacy/gradle/dependency-locks/testRuntimeClasspath.lockfile',
    'gradle/dependency-locks',
    ['org.mockito:mockito-core@4.11.0 dev :4', 'org.hamcrest:hamcrest@2.2 dev :5'],
    0,
  ],
  [
    'gradle/gradle.lockfile',
    'gradle.lockfile',
    [
      'com.fasterxml.jackson.core:jackson-databind@2.15.2 runtime :4',
      'com.google.guava:guava@32.1.2-jre runtime :5',
      'junit:junit@4.13.2 dev :6',
      'org.apache.logging.log4j:log4j-core@2.14.1 runtime :7',
    ],
    0,
  ],
  [
    'hex/mix.lock',
    'mix.lock',
    ['castore@1.0.4 runtime :2', 'jason@1.4.1 runtime :3', 'plug_crypto@1.2.5 runtime :5', 'ex_aws@2.5.0 runtime :6'],
    1,
  ],
  ['maven/pom.xml', 'pom.xml', [], 0],
  [
    'maven/service/pom.xml',
    'pom.xml',
    [
      'com.fasterxml.jackson.core:jackson-databind@2.15.3 runtime direct :18',
      'org.springframework:spring-core@5.3.20 runtime direct :23',
      'org.apache.logging.log4j:log4j-core@2.17.1 optional direct :27',
      'com.example.platform:orders-model@2.3.0 runtime direct :33',
      'org.mockito:mockito-core@5.7.0 dev direct :48',
    ],
    1,
  ],
  [
    'npm-v1/package-lock.json',
    'package-lock.json@1',
    [
      'debug@2.6.9 runtime :7',
      'ms@2.0.0 runtime :15',
      'mocha@5.2.0 dev :22',
      'ms@2.1.2 runtime :28',
      'wrap-ansi@7.0.0 optional :37',
    ],
    1,
  ],
  [
    'npm-v2/npm-shrinkwrap.json',
    'npm-shrinkwrap.json@2',
    ['minimist@1.2.5 runtime direct :17', 'tap@16.3.0 dev direct :22'],
    0,
  ],
  [
    'npm-v3/package-lock.json',
    'package-lock.json@3',
    [
      '@types/node@20.11.5 dev direct :25',
      'express@4.18.2 runtime direct :39',
      'qs@6.11.0 runtime :51',
      'fsevents@2.3.3 optional direct :57',
      'qs@6.5.3 dev direct :68',
      'string-width@4.2.3 runtime direct :76',
      'undici-types@5.26.5 dev :83',
      'left-pad@1.3.0 optional :90',
    ],
    0,
  ],
  [
    'nuget/packages.lock.json',
    'packages.lock.json@1',
    ['Newtonsoft.Json@13.0.1 runtime direct :5', 'Serilog@3.1.1 runtime :11'],
    0,
  ],
  [
    'pdm/pdm.lock',
    'pdm.lock@4.5.0',
    ['fastapi@0.110.0 runtime :14', 'pydantic@2.6.4 runtime :28', 'pytest@8.1.1 dev :36'],
    0,
  ],
  [
    'pipenv/Pipfile.lock',
    'Pipfile.lock@6',
    ['flask@3.0.0 runtime :19', 'werkzeug@3.0.1 runtime :27', 'pytest-cov@4.1.0 dev :40'],
    1,
  ],
  [
    'pnpm-v5/pnpm-lock.yaml',
    'pnpm-lock.yaml@5.4',
    [
      '@emotion/react@11.10.5 runtime direct :17',
      'js-tokens@4.0.0 runtime :25',
      'loose-envify@1.4.0 runtime :28',
      'react@18.2.0 runtime direct :34',
      'vitest@0.25.8 dev direct :40',
      'fsevents@2.3.2 dev :46',
    ],
    0,
  ],
  [
    'pnpm-v6/pnpm-lock.yaml',
    'pnpm-lock.yaml@6.0',
    [
      '@tanstack/query-core@5.8.3 runtime :22',
      '@tanstack/react-query@5.8.4 runtime direct :26',
      'eslint@8.54.0 dev direct :35',
      'react@18.2.0 runtime direct :41',
      'loose-envify@1.4.0 runtime :48',
    ],
    0,
  ],
  [
    'pnpm-v9/pnpm-lock.yaml',
    'pnpm-lock.yaml@9.0',
    [
      'body-parser@1.20.1 runtime :34',
      'express@4.18.2 runtime direct :38',
      'fsevents@2.3.3 optional direct :42',
      'loose-envify@1.4.0 runtime :47',
      'react-dom@18.3.1 runtime direct :51',
      'react@18.3.1 runtime :56',
      'typescript@5.4.5 dev direct :60',
    ],
    0,
  ],
  [
    'poetry-v1/poetry.lock',
    'poetry.lock@1.1',
    ['certifi@2023.7.22 runtime :2', 'pytest@7.4.2 dev :10', 'requests-oauthlib@1.3.1 optional :25'],
    0,
  ],
  [
    'poetry-v2/poetry.lock',
    'poetry.lock@2.1',
    ['anyio@4.8.0 runtime :4', 'mypy@1.15.0 dev :24', 'django-extensions@3.2.3 runtime :33'],
    0,
  ],
  [
    'pub/pubspec.lock',
    'pubspec.lock',
    ['async@2.11.0 runtime :4', 'http@0.13.6 runtime direct :17', 'mocktail@1.0.10 dev direct :25'],
    0,
  ],
  [
    'pylock/pylock.toml',
    'pylock.toml@1.0',
    ['urllib3@2.2.1 runtime :10', 'cryptography@42.0.5 optional :22', 'pytest@8.2.0 dev :31'],
    1,
  ],
  [
    'ruby/Gemfile.lock',
    'Gemfile.lock',
    [
      'paperclip@6.1.0 runtime direct :6',
      'actionpack@7.0.8 runtime :18',
      'activemodel@7.0.8 runtime :20',
      'nokogiri@1.15.4 runtime direct :21',
      'rack@2.2.8 runtime :25',
      'racc@1.7.1 runtime :26',
      'rails@7.0.8 runtime direct :27',
      'rspec@3.12.0 runtime direct :29',
    ],
    0,
  ],
  [
    'ruby-gems-locked/gems.locked',
    'gems.locked',
    [
      'rack@3.0.8 runtime :4',
      'sinatra@3.1.0 runtime direct :5',
      'mustermann@3.0.0 runtime :8',
      'ruby2_keywords@0.0.5 runtime :10',
    ],
    0,
  ],
  [
    'uv/uv.lock',
    'uv.lock@1.2',
    [
      'anyio@4.3.0 runtime :25',
      'email-validator@2.1.1 runtime :34',
      'httpx@0.27.0 runtime direct :39',
      'idna@3.7 runtime :48',
      'pydantic@2.7.1 runtime direct :53',
      'redis@5.0.4 optional direct :63',
      'ruff@0.4.4 dev direct :68',
    ],
    0,
  ],
  [
    'yarn-berry/yarn.lock',
    'yarn.lock@berry-v8',
    [
      'asynckit@0.4.0 runtime :8',
      'axios@1.6.2 runtime direct :15',
      'follow-redirects@1.15.3 runtime :34',
      'form-data@4.0.0 runtime :44',
      'typescript@5.3.3 dev direct :53',
    ],
    0,
  ],
  [
    'yarn-v1/yarn.lock',
    'yarn.lock@1',
    [
      '@babel/runtime@7.20.13 runtime direct :5',
      'fsevents@2.3.2 optional direct :12',
      'jest@29.4.1 dev direct :17',
      'lodash@4.17.21 runtime direct :28',
      'react-dom@18.2.0 runtime direct :33',
      'regenerator-runtime@0.13.11 runtime :40',
    ],
    1,
  ],
];

describe('every fixture reads to exactly its packages, scopes and lines', () => {
  it.each(FIXTURE_TABLE)('%s (%s)', async (file, kind, expected, warnings) => {
    const r = await loadLockfile(ROOT, file);
    expect(r.kind).toBe(kind);
    expect(r.path).toBe(file);
    expect(rows(r)).toEqual(expected);
    expect(r.warnings).toHaveLength(warnings);
    for (const p of r.packages) {
      expect(p.source.path).toBe(file);
      expect(p.purl).toBe(purl(p.ecosystem, p.name, p.version));
    }
  });

  it('covers every format Airlock reads', () => {
    const covered = new Set(FIXTURE_TABLE.map(([file]) => detectLockfile(file)?.name));
    covered.add('requirements*.txt');
    expect([...covered].sort()).toEqual(LOCKFILE_FORMATS.map((f) => f.name).sort());
  });
});

describe('detectLockfile', () => {
  it.each([
    ['package-lock.json', 'package-lock.json'],
    ['a/b/npm-shrinkwrap.json', 'npm-shrinkwrap.json'],
    ['yarn.lock', 'yarn.lock'],
    ['pnpm-lock.yaml', 'pnpm-lock.yaml'],
    ['bun.lock', 'bun.lock'],
    ['requirements.txt', 'requirements*.txt'],
    ['svc/requirements-dev.txt', 'requirements*.txt'],
    ['requirements/prod.txt', 'requirements*.txt'],
    ['poetry.lock', 'poetry.lock'],
    ['Pipfile.lock', 'Pipfile.lock'],
    ['pdm.lock', 'pdm.lock'],
    ['uv.lock', 'uv.lock'],
    ['pylock.toml', 'pylock.toml'],
    ['pylock.docs.toml', 'pylock.toml'],
    ['go.mod', 'go.mod'],
    ['go.sum', 'go.sum'],
    ['Cargo.lock', 'Cargo.lock'],
    ['Gemfile.lock', 'Gemfile.lock'],
    ['gems.locked', 'gems.locked'],
    ['composer.lock', 'composer.lock'],
    ['gradle.lockfile', 'gradle.lockfile'],
    ['buildscript-gradle.lockfile', 'gradle.lockfile'],
    ['app/gradle/dependency-locks/compileClasspath.lockfile', 'gradle.lockfile'],
    ['pom.xml', 'pom.xml'],
    ['packages.lock.json', 'packages.lock.json'],
    ['pubspec.lock', 'pubspec.lock'],
    ['mix.lock', 'mix.lock'],
  ])('%s → %s', (file, format) => {
    expect(detectLockfile(file)?.name).toBe(format);
  });

  it.each([
    'package.json',
    'yarn.lock.bak',
    'notes.txt',
    'Cargo.toml',
    'other/dependency-locks/x.lockfile',
    'pylock.toml.orig',
  ])('not %s', (file) => {
    expect(detectLockfile(file)).toBeUndefined();
  });

  it('parseLockfile refuses a file it does not read, naming it', () => {
    expect(() => parseLockfile('src/package.json', '{}')).toThrow(
      expect.objectContaining({
        code: 'lockfile-unsupported',
        message: expect.stringMatching(/^src\/package.json: not a lockfile/),
      }),
    );
  });
});

describe('names as OSV names them, and Package URLs', () => {
  it('PEP 503', () => {
    expect(pep503('Requests_OAuthlib')).toBe('requests-oauthlib');
    expect(pep503('zope.interface')).toBe('zope-interface');
    expect(pep503('A__b--C..d')).toBe('a-b-c-d');
  });

  it.each([
    ['npm', '@angular/core', '17.0.0', 'pkg:npm/%40angular/core@17.0.0'],
    ['npm', 'lodash', '4.17.21', 'pkg:npm/lodash@4.17.21'],
    ['PyPI', 'Django_Rest', '3.0', 'pkg:pypi/django-rest@3.0'],
    [
      'Go',
      'github.com/docker/docker',
      '24.0.7+incompatible',
      'pkg:golang/github.com/docker/docker@v24.0.7%2Bincompatible',
    ],
    ['Go', 'stdlib', '1.22.3', 'pkg:golang/stdlib@v1.22.3'],
    ['crates.io', 'serde', '1.0.0', 'pkg:cargo/serde@1.0.0'],
    ['RubyGems', 'rails', '7.0.8', 'pkg:gem/rails@7.0.8'],
    ['Packagist', 'symfony/http-kernel', '6.4.0', 'pkg:composer/symfony/http-kernel@6.4.0'],
    ['Maven', 'org.apache.logging.log4j:log4j-core', '2.17.1', 'pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1'],
    ['NuGet', 'Newtonsoft.Json', '13.0.1', 'pkg:nuget/Newtonsoft.Json@13.0.1'],
    ['Pub', 'http', '1.1.0', 'pkg:pub/http@1.1.0'],
    ['Hex', 'Phoenix', '1.7.0', 'pkg:hex/phoenix@1.7.0'],
  ] as const)('%s %s@%s', (ecosystem, name, version, expected) => {
    expect(purl(ecosystem, name, version)).toBe(expected);
  });
});

describe('package-lock.json', () => {
  it('v3: licenses, aliases under their real name, direct from the root and workspace manifests', async () => {
    const r = await loadLockfile(ROOT, 'npm-v3/package-lock.json');
    expect(r.packages.find((p) => p.name === 'express')).toMatchObject({ direct: true, license: 'MIT' });
    expect(r.packages.find((p) => p.name === 'string-width')).toMatchObject({ version: '4.2.3', direct: true });
    expect(r.packages.some((p) => p.name === 'string-width-cjs' || p.name === '@ui/kit')).toBe(false);
  });

  it('v1: a git dependency is warned about, with its line', async () => {
    const r = await loadLockfile(ROOT, 'npm-v1/package-lock.json');
    expect(r.warnings).toEqual([
      expect.stringMatching(/^npm-v1\/package-lock.json:33: 'my-fork' is not from a registry/),
    ]);
  });

  it.each([4, 0, '"3"'])('rejects lockfileVersion %s with the file and line', (v) => {
    expect(() => parseLockfile('app/package-lock.json', `{\n  "lockfileVersion": ${v},\n  "packages": {}\n}`)).toThrow(
      expect.objectContaining({
        code: 'lockfile-unsupported',
        message: expect.stringMatching(
          /^app\/package-lock.json:2: lockfileVersion .* is not supported \(supported: 1, 2, 3\)/,
        ),
      }),
    );
  });

  it('a package entry that is not an object is an error on its line', () => {
    expect(() =>
      parseLockfile('package-lock.json', '{\n"lockfileVersion": 3,\n"packages": {\n"node_modules/a": "1.0.0"\n}\n}'),
    ).toThrow(/^package-lock.json:4: expected a mapping for the package 'node_modules\/a'/);
  });
});

describe('requirements.txt', () => {
  const parse = (text: string, files: Record<string, string> = {}, path = 'requirements.txt') =>
    parseLockfile(path, text, { readFile: (p) => files[p] });

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

  it('a file named for development gives dev packages', async () => {
    const r = await loadLockfile(ROOT, 'pypi/requirements-dev.txt');
    expect(r.packages.filter((p) => p.scope === 'dev').map((p) => p.name)).toEqual(['pytest', 'black']);
    expect(r.packages.find((p) => p.name === 'django')?.scope).toBe('runtime');
  });

  it('continuations, comments and the line a requirement starts on', () => {
    const r = parse(
      '# header\nflask==3.0.0 \\\n  --hash=sha256:abc \\\n  --hash=sha256:def\n\n  # indented comment\nitsdangerous == 2.1.2  # inline\n',
    );
    expect(r.packages.map((p) => `${p.name}@${p.version}:${p.source.line}`)).toEqual([
      'flask@3.0.0:2',
      'itsdangerous@2.1.2:7',
    ]);
  });

  it('what is not a single pin is unpinned, never dropped', () => {
    const r = parse('a>=1\nb==2.*\nc~=1.4\nd\ne!=1.0\nf==1.0,!=0.9\ng (==3.0)\nh===1.0-custom\n');
    expect(r.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['f@1.0', 'g@3.0', 'h@1.0-custom']);
    expect(r.unpinned.map((u) => `${u.name}:${u.spec}`)).toEqual(['a:>=1', 'b:==2.*', 'c:~=1.4', 'd:', 'e:!=1.0']);
  });

  it('direct references: wheel and sdist file names give a pin; VCS URLs are unpinned', () => {
    const r = parse(
      'pkg @ https://example.org/pkg-2.0.1-py3-none-any.whl\nhttps://example.org/other_lib-1.4.tar.gz\ngit+https://github.com/x/y.git@main#egg=y-lib\nz @ git+https://github.com/x/z.git@v1\n',
    );
    expect(r.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['pkg@2.0.1', 'other-lib@1.4']);
    expect(r.unpinned.map((u) => u.name)).toEqual(['y-lib', 'z']);
  });

  it('includes: relative to the including file, confined to the root, URLs not fetched', () => {
    const r = parse('-r sub/base.txt\n--requirement=https://example.org/reqs.txt\n', {
      'sub/base.txt': 'six==1.16.0\n',
    });
    expect(r.packages.map((p) => `${p.name} ${p.source.path}:${p.source.line}`)).toEqual(['six sub/base.txt:1']);
    expect(r.warnings).toEqual([
      expect.stringMatching(/^requirements.txt:2: --requirement 'https:\/\/example.org\/reqs.txt' is a URL/),
    ]);
    expect(() => parse('-r ../../etc/passwd\n')).toThrow(
      /^requirements.txt:1: -r '..\/..\/etc\/passwd' points outside the scanned directory$/,
    );
    expect(() => parse('-c missing.txt\n')).toThrow(
      /^requirements.txt:1: cannot read 'missing.txt' \(included with -c\)$/,
    );
  });

  it('without file access an include is a warning, not a silent gap', () => {
    const r = parseLockfile('requirements.txt', '-r other.txt\n');
    expect(r.warnings).toEqual([expect.stringMatching(/-r 'other.txt' was not read/)]);
  });

  it('a constraint pins a requirement but installs nothing by itself', () => {
    const r = parse('-c c.txt\nrequests\n', { 'c.txt': 'requests==2.31.0\nflask==3.0.0\n' });
    expect(r.packages.map((p) => `${p.name}@${p.version} ${p.source.path}:${p.source.line}`)).toEqual([
      'requests@2.31.0 c.txt:1',
    ]);
    expect(r.unpinned).toEqual([]);
  });

  it('bad lines are errors with their line', () => {
    expect(() => parse('flask==3.0\n[extra]==1\n')).toThrow(
      /^requirements.txt:2: expected a package name, found '\[extra\]==1'$/,
    );
    expect(() => parse('flask=3.0\n')).toThrow(
      /^requirements.txt:1: expected a version specifier like '==1.2.3', found '=3.0'$/,
    );
    expect(() => parse('-r\n')).toThrow(/^requirements.txt:1: expected a file name after -r$/);
    expect(() => parse('https://example.org/archive\n')).toThrow(/^requirements.txt:1: cannot tell the package name/);
  });

  it("a local directory is the project's own code: warned about, not an error", () => {
    const r = parse('.\n./libs/core\n-e .\n../sibling#egg=sib\n');
    expect(r.packages).toEqual([]);
    expect(r.warnings).toHaveLength(3);
    expect(r.warnings[0]).toBe("requirements.txt:1: '.' is a local directory (the project's own code); not checked");
    expect(r.unpinned.map((u) => `${u.name} ${u.spec}`)).toEqual(['sib @ ../sibling#egg=sib']);
  });

  it('unknown options are warned about', () => {
    expect(parse('--frobnicate\nsix==1.0\n').warnings).toEqual([
      expect.stringMatching(/:1: unknown option --frobnicate/),
    ]);
  });
});

describe('yarn.lock', () => {
  it('without a package.json beside it every package is runtime and directness is unknown', () => {
    const text =
      '# yarn lockfile v1\n\n\nleft-pad@^1.3.0:\n  version "1.3.0"\n  resolved "https://registry.yarnpkg.com/left-pad/-/left-pad-1.3.0.tgz"\n';
    const r = parseLockfile('yarn.lock', text);
    expect(r.packages).toEqual([
      expect.objectContaining({
        name: 'left-pad',
        version: '1.3.0',
        scope: 'runtime',
        source: { path: 'yarn.lock', line: 4 },
      }),
    ]);
    expect(r.packages[0]?.direct).toBeUndefined();
  });

  it('v1: an entry without a version is an error on its key line', () => {
    expect(() => parseLockfile('yarn.lock', 'a@^1:\n  resolved "x"\n')).toThrow(
      /^yarn.lock:1: expected a 'version' for 'a@\^1'$/,
    );
  });

  it('berry: workspaces and patches are not packages; an unknown __metadata.version is refused', async () => {
    const r = await loadLockfile(ROOT, 'yarn-berry/yarn.lock');
    expect(r.packages.map((p) => p.name)).not.toContain('dashboard');
    expect(r.packages.filter((p) => p.name === 'typescript')).toHaveLength(1);
    expect(() => parseLockfile('yarn.lock', '__metadata:\n  version: 99\n  cacheKey: 1\n')).toThrow(
      expect.objectContaining({
        code: 'lockfile-unsupported',
        message: expect.stringMatching(/^yarn.lock:2: yarn lockfile __metadata.version '99'/),
      }),
    );
  });
});

describe('pnpm-lock.yaml', () => {
  it.each(['4.0', '7.0', '10.0', 'banana'])('refuses lockfileVersion %s', (v) => {
    expect(() => parseLockfile('pnpm-lock.yaml', `lockfileVersion: '${v}'\n`)).toThrow(
      expect.objectContaining({
        code: 'lockfile-unsupported',
        message: expect.stringMatching(/^pnpm-lock.yaml:1: lockfileVersion/),
      }),
    );
  });

  it("pnpm 10's two documents: the project's lockfile is read, with its own line numbers", () => {
    const env =
      "---\nlockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    configDependencies: {}\n\npackages:\n\n  pnpm@10.12.1:\n    resolution: {integrity: sha512-x}\n\n";
    const main =
      "---\nlockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      is-odd:\n        specifier: ^3.0.1\n        version: 3.0.1\n\npackages:\n\n  is-odd@3.0.1:\n    resolution: {integrity: sha512-y}\n\nsnapshots:\n\n  is-odd@3.0.1: {}\n";
    expect(rows(parseLockfile('pnpm-lock.yaml', env + main))).toEqual(['is-odd@3.0.1 runtime direct :27']);
  });

  it('v9: scope through the snapshot graph (a runtime package reached only by a dev one stays dev)', () => {
    const text = [
      "lockfileVersion: '9.0'",
      'importers:',
      '  .:',
      '    dependencies:',
      '      a:',
      '        specifier: ^1.0.0',
      '        version: 1.0.0',
      '    devDependencies:',
      '      t:',
      '        specifier: ^1.0.0',
      '        version: 1.0.0',
      'packages:',
      '  a@1.0.0:',
      '    resolution: {integrity: sha512-a}',
      '  b@2.0.0:',
      '    resolution: {integrity: sha512-b}',
      '  c@3.0.0:',
      '    resolution: {integrity: sha512-c}',
      '  t@1.0.0:',
      '    resolution: {integrity: sha512-t}',
      'snapshots:',
      '  a@1.0.0:',
      '    optionalDependencies:',
      '      b: 2.0.0',
      '  b@2.0.0: {}',
      '  c@3.0.0: {}',
      '  t@1.0.0:',
      '    dependencies:',
      '      c: 3.0.0',
      '',
    ].join('\n');
    expect(rows(parseLockfile('pnpm-lock.yaml', text))).toEqual([
      'a@1.0.0 runtime direct :13',
      'b@2.0.0 optional :15',
      'c@3.0.0 dev :17',
      't@1.0.0 dev direct :19',
    ]);
  });
});

describe('go.mod and go.sum', () => {
  it('the standard library is opt-in, from the toolchain directive or else the go directive', async () => {
    const withToolchain = await loadLockfile(ROOT, 'go/go.mod', { goStdlib: true });
    expect(withToolchain.packages.find((p) => p.name === 'stdlib')).toMatchObject({
      version: '1.22.3',
      source: { line: 5 },
    });
    const goOnly = parseLockfile('go.mod', 'module x\n\ngo 1.21\n', { goStdlib: true });
    expect(rows(goOnly)).toEqual(['stdlib@1.21.0 runtime direct :3']);
    expect(parseLockfile('go.mod', 'module x\n\ngo 1.21\n').packages).toEqual([]);
  });

  it('bad directives and versions are errors with their line', () => {
    expect(() => parseLockfile('go.mod', 'module x\nrequire (\n  a.com/b 1.2.3\n)\n')).toThrow(
      /^go.mod:3: expected a module version like v1.2.3 for a.com\/b, found '1.2.3'$/,
    );
    expect(() => parseLockfile('go.mod', 'module x\nrequire (\n  a.com/b v1.2.3\n')).toThrow(
      /^go.mod:2: the require block is never closed/,
    );
    expect(() => parseLockfile('go.mod', 'module x\nfrobnicate y\n')).toThrow(
      /^go.mod:2: unknown go.mod directive 'frobnicate'$/,
    );
    expect(() => parseLockfile('go.sum', 'a.com/b v1.0.0 h1:abc=\na.com/b v1.0.0\n')).toThrow(
      /^go.sum:2: expected 'module version h1:hash'/,
    );
  });
});

describe('pom.xml', () => {
  it('without the parent POM, parent-managed versions and properties are unpinned, not guessed', () => {
    const property = `$\{c.version}`;
    const text =
      '<project><parent><groupId>g</groupId><artifactId>p</artifactId><version>1</version></parent>\n<dependencies>\n<dependency><groupId>a</groupId><artifactId>b</artifactId></dependency>\n<dependency><groupId>a</groupId><artifactId>c</artifactId><version>PROPERTY</version></dependency>\n</dependencies></project>'.replace(
        'PROPERTY',
        property,
      );
    const r = parseLockfile('pom.xml', text);
    expect(r.packages).toEqual([]);
    expect(r.unpinned.map((u) => `${u.name} '${u.spec}' :${u.source.line}`)).toEqual([
      "a:b '' :3",
      `a:c '${property}' :4`,
    ]);
  });

  it('refuses a DOCTYPE (no entity expansion, no external entities)', () => {
    const text = '<?xml version="1.0"?>\n<!DOCTYPE project [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<project/>';
    expect(() => parseLockfile('pom.xml', text)).toThrow(/^pom.xml:2: a DOCTYPE is not allowed/);
  });

  it('mismatched and unclosed tags are errors with their line', () => {
    expect(() => parseLockfile('pom.xml', '<project>\n<dependencies>\n</project>')).toThrow(
      /^pom.xml:3: expected <\/dependencies> \(opened on line 2\), found <\/project>$/,
    );
    expect(() => parseLockfile('pom.xml', '<project>\n<dependencies>\n')).toThrow(
      /is never closed \(is the file truncated\?\)/,
    );
  });
});

describe('listPackages', () => {
  it('prints exactly the --list-packages shape for the given files', async () => {
    const list = await listPackages(['npm-v1/package-lock.json', 'cargo-v4/Cargo.lock'], { root: ROOT });
    expect(list[0]).toEqual({
      ecosystem: 'npm',
      name: 'debug',
      version: '2.6.9',
      scope: 'runtime',
      source: { path: 'npm-v1/package-lock.json', line: 7 },
    });
    expect(list.map((p) => Object.keys(p).join(','))).toEqual(list.map(() => 'ecosystem,name,version,scope,source'));
    expect(list.at(-1)).toEqual({
      ecosystem: 'crates.io',
      name: 'serde_derive',
      version: '1.0.210',
      scope: 'runtime',
      source: { path: 'cargo-v4/Cargo.lock', line: 15 },
    });
  });

  it('a directory lists every lockfile under it', async () => {
    const list = await listPackages('hex', { root: ROOT });
    expect(list.map((p) => `${p.name}@${p.version} ${p.source.path}`)).toEqual([
      'castore@1.0.4 mix.lock',
      'jason@1.4.1 mix.lock',
      'plug_crypto@1.2.5 mix.lock',
      'ex_aws@2.5.0 mix.lock',
    ]);
  });

  it('a file that cannot be read or parsed throws a DepsError naming it', async () => {
    await expect(listPackages(['no/such/package-lock.json'], { root: ROOT })).rejects.toThrow(
      expect.objectContaining({
        code: 'lockfile-io',
        message: 'no/such/package-lock.json: cannot read the lockfile (no such file)',
      }),
    );
    await expect(listPackages(['npm-v3/package-lock.json'], { root: ROOT, maxBytes: 100 })).rejects.toThrow(
      expect.objectContaining({ code: 'lockfile-too-large' }),
    );
    await expect(listPackages(['npm-v3/package-lock.json'], { root: ROOT })).resolves.toHaveLength(8);
    expect(DepsError).toBeDefined();
  });
});
