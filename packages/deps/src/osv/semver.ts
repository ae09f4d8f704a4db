import { DepsError, type VersionScheme } from '../model.ts';

/**
 * SemVer 2.0.0 precedence (https://semver.org/#spec-item-11), which OSV prescribes for every `SEMVER` range whatever
 * the ecosystem. A leading `v` is accepted (Go writes `v1.2.3`, OSV's Go ranges write `1.2.3`); build metadata
 * (`+incompatible`) does not take part in precedence.
 */
const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

interface Parsed {
  readonly core: readonly [bigint, bigint, bigint];
  readonly pre: readonly string[];
}

const cache = new Map<string, Parsed | null>();

function parse(version: string): Parsed | null {
  let parsed = cache.get(version);
  if (parsed !== undefined) return parsed;
  const m = SEMVER.exec(version);
  parsed = m
    ? {
        core: [BigInt(m[1] as string), BigInt(m[2] as string), BigInt(m[3] as string)],
        pre: m[4] === undefined ? [] : m[4].split('.'),
      }
    : null;
  if (cache.size > 100_000) cache.clear();
  cache.set(version, parsed);
  return parsed;
}

function comparePre(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return b.length - a.length; // a release ranks above its pre-releases
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) return BigInt(x) < BigInt(y) ? -1 : 1;
    if (xn) return -1;
    if (yn) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

export const semver2: VersionScheme & { readonly label: string } = {
  ecosystem: 'npm',
  label: 'SemVer 2.0',
  isValid: (version) => parse(version) !== null,
  compare(a, b) {
    const x = parse(a);
    const y = parse(b);
    if (x === null || y === null) {
      throw new DepsError('version-invalid', `'${x === null ? a : b}' is not a SemVer 2.0 version`);
    }
    for (let i = 0; i < 3; i++) {
      const d = (x.core[i] as bigint) - (y.core[i] as bigint);
      if (d !== 0n) return d < 0n ? -1 : 1;
    }
    return comparePre(x.pre, y.pre);
  },
};
