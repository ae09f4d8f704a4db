/**
 * SemVer 2.0 ordering (npm, crates.io, Hex): numeric major.minor.patch, then a release above its pre-releases,
 * pre-release identifiers compared numerically when all digits and in ASCII order otherwise (digits below letters),
 * a longer list of identifiers above its prefix; build metadata ignored.
 *
 * Parsing is as lenient as OSV's own evaluation: a leading `v`, missing minor or patch (as 0), numbers of any size,
 * and a pre-release that follows the numbers without a hyphen (`1.0.0beta`). Components beyond the third join the
 * pre-release, as OSV treats them.
 */
import type { Ecosystem, VersionScheme } from '../model.ts';
import { compareDigits, compareStrings, isDigits, makeScheme } from './common.ts';

export interface SemverLike {
  /** Numeric components as digit strings (any count). */
  readonly components: readonly string[];
  /** Pre-release identifiers (empty for a release). */
  readonly pre: readonly string[];
  /** Build identifiers (empty when none). */
  readonly build: readonly string[];
}

/** OSV's lenient reading: digits and dots, then everything from the first other character is the suffix. */
export function parseSemverLike(input: string, maxComponents = 3): SemverLike | undefined {
  let s = input;
  if (s.startsWith('v') || s.startsWith('V')) s = s.slice(1);
  if (!/^[0-9]/.test(s) || /\s/.test(s)) return undefined;
  const m = /^[0-9.]*/.exec(s) as RegExpExecArray;
  const numeric = m[0];
  let suffix = s.slice(numeric.length);
  const components = numeric.split('.').filter((c) => c !== '');
  let extra = '';
  if (components.length > maxComponents) {
    extra = components.slice(maxComponents).join('.');
    components.length = maxComponents;
  }
  let pre = '';
  let build = '';
  const plus = suffix.indexOf('+');
  if (plus >= 0) {
    build = suffix.slice(plus + 1);
    suffix = suffix.slice(0, plus);
  }
  if (suffix.startsWith('-')) suffix = suffix.slice(1);
  pre = extra === '' ? suffix : suffix === '' ? extra : `${extra}.${suffix}`;
  return {
    components,
    pre: pre === '' ? [] : pre.split('.'),
    build: build === '' ? [] : build.split('.'),
  };
}

export function compareComponents(a: readonly string[], b: readonly string[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareDigits(a[i] ?? '0', b[i] ?? '0');
    if (c !== 0) return c;
  }
  return 0;
}

/** SemVer §11.4: identifier by identifier; digits numerically and below letters; a longer list wins a tie. */
export function compareIdentifiers(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    const xd = isDigits(x);
    const yd = isDigits(y);
    let c: number;
    if (xd && yd) c = compareDigits(x, y);
    else if (xd) c = -1;
    else if (yd) c = 1;
    else c = compareStrings(x, y);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

export function compareSemver(a: SemverLike, b: SemverLike): number {
  const c = compareComponents(a.components, b.components);
  if (c !== 0) return c;
  if (a.pre.length === 0 || b.pre.length === 0) return (a.pre.length === 0 ? 1 : 0) - (b.pre.length === 0 ? 1 : 0);
  return compareIdentifiers(a.pre, b.pre);
}

const EXPECTED = 'a SemVer version like 1.2.3 or 1.2.3-rc.1';

export function semverScheme(ecosystem: Ecosystem): VersionScheme {
  return makeScheme(ecosystem, EXPECTED, (v) => parseSemverLike(v), compareSemver);
}
