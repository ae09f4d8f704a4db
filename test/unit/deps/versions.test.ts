import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DepsError, type Ecosystem, versionScheme } from '@airlock/deps';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SHARED } from '../../support/paths.ts';

const VECTORS = join(SHARED, 'vectors/versions');
const ECOSYSTEM_OF_FILE: Record<string, Ecosystem> = {
  semver: 'npm',
  pypi: 'PyPI',
  maven: 'Maven',
  packagist: 'Packagist',
  rubygems: 'RubyGems',
  nuget: 'NuGet',
  pub: 'Pub',
};

interface Vector {
  readonly line: number;
  readonly a: string;
  readonly op: '<' | '=' | '>';
  readonly b: string;
}

function readVectors(file: string): Vector[] {
  const out: Vector[] = [];
  readFileSync(join(VECTORS, file), 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('//') || line.startsWith('#')) return;
      const m = /^(\S+) ([<=>]) (\S+)$/.exec(line);
      if (!m) throw new Error(`${file}:${i + 1}: cannot read the vector ${line}`);
      out.push({ line: i + 1, a: m[1] as string, op: m[2] as Vector['op'], b: m[3] as string });
    });
  return out;
}

const relation = (c: number) => (c < 0 ? '<' : c > 0 ? '>' : '=');

describe.skipIf(!existsSync(VECTORS))('upstream version-ordering vectors (../shared/vectors/versions)', () => {
  const files = existsSync(VECTORS)
    ? readdirSync(VECTORS)
        .filter((f) => f.endsWith('.txt'))
        .sort()
    : [];
  it.each(files)('%s: every line holds, both ways round', (file) => {
    const ecosystem = ECOSYSTEM_OF_FILE[file.split('-')[0] as string];
    expect(ecosystem, `no ecosystem for ${file}`).toBeDefined();
    const scheme = versionScheme(ecosystem as Ecosystem);
    const vectors = readVectors(file);
    expect(vectors.length).toBeGreaterThan(20);
    const failures: string[] = [];
    for (const v of vectors) {
      const forward = relation(scheme.compare(v.a, v.b));
      const backward = relation(scheme.compare(v.b, v.a));
      const expectedBackward = v.op === '<' ? '>' : v.op === '>' ? '<' : '=';
      if (forward !== v.op || backward !== expectedBackward)
        failures.push(`${file}:${v.line}: ${v.a} ${v.op} ${v.b}, got ${v.a} ${forward} ${v.b}`);
    }
    expect(failures).toEqual([]);
  });

  it('covers the volumes the issue names', () => {
    const count = (prefix: string) =>
      readdirSync(VECTORS)
        .filter((f) => f.startsWith(prefix))
        .reduce((n, f) => n + readVectors(f).length, 0);
    expect(count('pypi')).toBeGreaterThan(12_000);
    expect(count('maven')).toBeGreaterThan(14_000);
    expect(count('packagist')).toBeGreaterThan(10_000);
    expect(count('rubygems')).toBeGreaterThan(4_000);
  });
});

if (!existsSync(VECTORS)) {
  console.warn(`versions.test.ts: ${VECTORS} is absent; the upstream version-ordering vectors were NOT run.`);
}

// ------------------------------------------------------------------------------------------- properties

const n = fc.integer({ min: 0, max: 30 }).map(String);
const big = fc.oneof(n, fc.constantFrom('0', '00', '007', '99999999999999999999'));
const alnum = fc.stringMatching(/^[0-9A-Za-z-]{1,6}$/);
const lowerAlnum = fc.stringMatching(/^[0-9a-z]{1,5}$/);

const GENERATORS: Record<Ecosystem, fc.Arbitrary<string>> = {
  npm: fc
    .tuple(n, n, n, fc.array(alnum, { maxLength: 3 }), fc.array(alnum, { maxLength: 2 }))
    .map(
      ([a, b, c, pre, build]) =>
        `${a}.${b}.${c}${pre.length ? `-${pre.join('.')}` : ''}${build.length ? `+${build.join('.')}` : ''}`,
    ),
  'crates.io': fc
    .tuple(n, n, n, fc.array(lowerAlnum, { maxLength: 2 }))
    .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre.length ? `-${pre.join('.')}` : ''}`),
  Hex: fc
    .tuple(n, n, n, fc.array(lowerAlnum, { maxLength: 2 }))
    .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre.length ? `-${pre.join('.')}` : ''}`),
  Go: fc.oneof(
    fc.tuple(n, n, n, fc.boolean()).map(([a, b, c, inc]) => `v${a}.${b}.${c}${inc ? '+incompatible' : ''}`),
    fc
      .tuple(n, n, n, fc.integer({ min: 2018, max: 2025 }))
      .map(([a, b, c, y]) => `v${a}.${b}.${c}-0.${y}0101120000-abcdef012345`),
    fc.integer({ min: 2018, max: 2025 }).map((y) => `v0.0.0-${y}0606060606-0123456789ab`),
    fc.tuple(n, n, n, fc.constantFrom('rc.1', 'rc.2', 'beta.1', 'alpha')).map(([a, b, c, p]) => `${a}.${b}.${c}-${p}`),
  ),
  PyPI: fc.oneof(
    fc
      .tuple(
        fc.option(fc.constantFrom('1!', '2!'), { nil: '' }),
        fc.array(big, { minLength: 1, maxLength: 4 }),
        fc.option(fc.tuple(fc.constantFrom('a', 'b', 'rc', 'alpha', 'c', 'pre'), n), { nil: undefined }),
        fc.option(n, { nil: undefined }),
        fc.option(n, { nil: undefined }),
        fc.option(fc.array(lowerAlnum, { minLength: 1, maxLength: 2 }), { nil: undefined }),
      )
      .map(([e, rel, pre, post, dev, local]) =>
        [
          e,
          rel.join('.'),
          pre ? pre.join('') : '',
          post !== undefined ? `.post${post}` : '',
          dev !== undefined ? `.dev${dev}` : '',
          local ? `+${local.join('.')}` : '',
        ].join(''),
      ),
    fc.constantFrom('0.1-bulbasaur', '1.0-custom-build', 'foo', '2004d', '1.0.x'),
  ),
  // Realistic Maven versions: a numeric release and an optional qualifier (with or without a number). Mixing
  // qualifiers after '.' and '-' freely is not a total order, in Maven itself: Maven 3.8's ComparableVersion orders
  // 1.sp.0 > 1 > 1-alpha > 1.sp.0 (see packages/deps/src/versions/maven.ts).
  Maven: fc
    .tuple(
      fc.array(n, { minLength: 1, maxLength: 4 }),
      fc.option(
        fc.tuple(
          fc.constantFrom('-', '.'),
          fc.constantFrom(
            'alpha',
            'beta',
            'milestone',
            'rc',
            'cr',
            'SNAPSHOT',
            'ga',
            'Final',
            'RELEASE',
            'sp',
            'jre',
            'foo',
          ),
          fc.option(n, { nil: undefined }),
        ),
        { nil: undefined },
      ),
    )
    .map(([release, qualifier]) =>
      qualifier === undefined
        ? release.join('.')
        : `${release.join('.')}${qualifier[0]}${qualifier[1]}${qualifier[2] === undefined ? '' : qualifier[2]}`,
    ),
  RubyGems: fc
    .array(fc.oneof(n, fc.constantFrom('a', 'b', 'pre', 'rc', 'beta', 'alpha')), { minLength: 1, maxLength: 5 })
    .map((parts) => `${/^\d/.test(parts[0] as string) ? '' : '1.'}${parts.join('.')}`),
  Packagist: fc
    .tuple(
      fc.constantFrom('', 'v'),
      n,
      n,
      n,
      fc.option(fc.constantFrom('-dev', '-alpha1', '-beta2', '-RC1', 'rc2', '-pl1', '-p2', '.1'), { nil: '' }),
    )
    .map(([v, a, b, c, s]) => `${v}${a}.${b}.${c}${s}`),
  NuGet: fc
    .tuple(
      fc.array(big, { minLength: 1, maxLength: 4 }),
      fc.array(alnum, { maxLength: 3 }),
      fc.option(alnum, { nil: undefined }),
    )
    .map(([rel, pre, build]) => `${rel.join('.')}${pre.length ? `-${pre.join('.')}` : ''}${build ? `+${build}` : ''}`),
  Pub: fc
    .tuple(n, n, n, fc.array(alnum, { maxLength: 2 }), fc.array(alnum, { maxLength: 2 }))
    .map(
      ([a, b, c, pre, build]) =>
        `${a}.${b}.${c}${pre.length ? `-${pre.join('.')}` : ''}${build.length ? `+${build.join('.')}` : ''}`,
    ),
};

describe('every scheme is a total order on the versions it accepts', () => {
  const ecosystems = Object.keys(GENERATORS) as Ecosystem[];

  it.each(ecosystems)('%s: valid, reflexive, antisymmetric, transitive', (ecosystem) => {
    const scheme = versionScheme(ecosystem);
    expect(scheme.ecosystem).toBe(ecosystem);
    const v = GENERATORS[ecosystem];
    fc.assert(
      fc.property(v, v, v, (a, b, c) => {
        for (const x of [a, b, c]) expect(scheme.isValid(x), x).toBe(true);
        expect(scheme.compare(a, a)).toBe(0);
        const ab = scheme.compare(a, b);
        const ba = scheme.compare(b, a);
        expect(Math.sign(ab) + Math.sign(ba)).toBe(0);
        const bc = scheme.compare(b, c);
        const ac = scheme.compare(a, c);
        if (ab <= 0 && bc <= 0) expect(ac).toBeLessThanOrEqual(0);
        if (ab >= 0 && bc >= 0) expect(ac).toBeGreaterThanOrEqual(0);
        if (ab === 0) expect(Math.sign(ac)).toBe(Math.sign(bc));
      }),
      { numRuns: 1000 },
    );
  });

  it.each(ecosystems)('%s: sorting is independent of the input order', (ecosystem) => {
    const scheme = versionScheme(ecosystem);
    fc.assert(
      fc.property(
        fc.array(GENERATORS[ecosystem], { minLength: 2, maxLength: 12 }),
        fc.infiniteStream(fc.nat()),
        (list, seeds) => {
          const sorted = [...list].sort(scheme.compare);
          const shuffled = [...list]
            .map((x) => [x, seeds.next().value] as const)
            .sort((p, q) => p[1] - q[1])
            .map((p) => p[0])
            .sort(scheme.compare);
          for (let i = 0; i < sorted.length; i++)
            expect(scheme.compare(sorted[i] as string, shuffled[i] as string)).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('invalid versions', () => {
  it.each([
    ['npm', 'latest'],
    ['npm', ''],
    ['Go', 'v1.02.3'],
    ['Go', 'v1.2.3.4'],
    ['Go', 'v1.2-pre'],
    ['Go', 'master'],
    ['NuGet', '1.2.3.4.5'],
    ['NuGet', 'one'],
    ['RubyGems', 'x1'],
    ['Maven', ''],
    ['Maven', '1 2'],
    ['Packagist', ''],
    ['PyPI', ''],
    ['PyPI', '1 .0'],
    ['Pub', 'abc'],
  ] as const)('%s %j is invalid and compare names it', (ecosystem, version) => {
    const scheme = versionScheme(ecosystem);
    expect(scheme.isValid(version)).toBe(false);
    expect(() => scheme.compare(version, '1.0.0')).toThrow(
      expect.objectContaining({
        code: 'version-invalid',
        message: expect.stringContaining(`'${version}' is not a valid ${ecosystem} version`),
      }),
    );
    expect(() => scheme.compare('1.0.0', version)).toThrow(DepsError);
  });
});

describe('Go versions', () => {
  const go = versionScheme('Go');
  const rel = (a: string, b: string) => relation(go.compare(a, b));

  it.each([
    ['v2.0.0+incompatible', '=', 'v2.0.0'],
    ['2.0.0+incompatible', '=', 'v2.0.0'],
    ['v1.2.3', '=', '1.2.3'],
    ['v1', '=', 'v1.0.0'],
    ['v1.2', '=', 'v1.2.0'],
    ['v0.0.0-20191109021931-daa7c04131f5', '<', 'v0.0.0-20200101000000-0123456789ab'],
    ['v0.0.0-20191109021931-daa7c04131f5', '<', 'v0.0.1'],
    ['v1.2.3', '<', 'v1.2.4-0.20191109021931-daa7c04131f5'],
    ['v1.2.4-0.20191109021931-daa7c04131f5', '<', 'v1.2.4'],
    ['v1.2.4-pre.0.20191109021931-daa7c04131f5', '>', 'v1.2.4-pre'],
    ['v1.21.0-rc.1', '<', 'v1.21.0'],
    ['1.21.0-rc.2', '>', '1.21.0-rc.1'],
    ['v1.10.0', '>', 'v1.9.9'],
  ])('%s %s %s', (a, op, b) => {
    expect(rel(a, b)).toBe(op);
  });
});

describe('other schemes beyond the vectors', () => {
  it.each([
    ['npm', '1.0.0-rc.1', '<', '1.0.0'],
    ['npm', '1.0.0+build.1', '=', '1.0.0'],
    ['npm', 'v1.2.3', '=', '1.2.3'],
    ['crates.io', '0.10.0', '>', '0.9.0'],
    ['Hex', '1.0.0-beta.2', '<', '1.0.0-beta.10'],
    ['PyPI', '1.0.post1', '>', '1.0'],
    ['PyPI', '1.0', '=', '1.0.0'],
    ['PyPI', '1!0.1', '>', '99.0'],
    ['PyPI', '1.0rc1', '<', '1.0'],
    ['PyPI', '1.0.dev1', '<', '1.0a1'],
    ['Maven', '1.0-SNAPSHOT', '<', '1.0'],
    ['Maven', '2.0.0.RELEASE', '=', '2.0.0'],
    ['Maven', '1.0-sp1', '>', '1.0'],
    ['RubyGems', '1.0.0.pre', '<', '1.0.0'],
    ['RubyGems', '1.0.0-rc1', '=', '1.0.0.pre.rc1'],
    ['Packagist', 'v2.0.0', '=', '2.0.0'],
    ['Packagist', '2.0.0-RC1', '<', '2.0.0'],
    ['NuGet', '1.0.0-Beta', '=', '1.0.0-beta'],
    ['NuGet', '1.0.0.1', '>', '1.0.0'],
    ['Pub', '1.0.0+1', '>', '1.0.0'],
  ] as const)('%s: %s %s %s', (ecosystem, a, op, b) => {
    expect(relation(versionScheme(ecosystem).compare(a, b))).toBe(op);
  });
});
