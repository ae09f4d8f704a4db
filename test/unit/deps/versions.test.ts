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
