/**
 * Maven: the version order of the POM reference ("Version Order Specification", implemented by Maven's
 * ComparableVersion). Tokens split at `.`, `-` and digit/letter transitions (a transition counts as `-`), each
 * keeping its separator; `a`, `b`, `m` directly followed by a number mean alpha, beta, milestone; `cr` means `rc`;
 * `ga`, `final`, `release` and empty tokens are null values; trailing nulls are trimmed before each `-`. Qualifiers
 * order alpha < beta < milestone < rc < snapshot < "" < sp < anything else (alphabetically); `.qualifier` <
 * `-qualifier` < `-number` < `.number`.
 *
 * This is the order the upstream vectors (real versions sorted by Maven's own library) hold, `.rc5` < `rc1`
 * included. Like Maven's own, it is not a total order over every string: Maven 3.8's ComparableVersion orders
 * `1.sp.0` > `1` > `1-alpha` > `1.sp.0`, and so does this; degenerate strings with empty segments or a leading null
 * qualifier add more cycles (`release` > `ga..SNAPSHOT` > `final1` > `release`). Realistic versions (a numeric
 * release and one qualifier) are totally ordered; the property tests check that.
 */
import type { VersionScheme } from '../model.ts';
import { compareDigits, compareStrings, makeScheme } from './common.ts';

interface Token {
  readonly prefix: '.' | '-';
  readonly value: string;
  readonly numeric: boolean;
  /** A null value (0, "", final, ga, release): trimmed at the end of each list. */
  readonly trimmable: boolean;
  /** A padding token added for comparison with a longer version. */
  readonly isNull: boolean;
}

const KEYWORDS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const NULLS = new Set(['0', '', 'final', 'ga', 'release']);

export function parseMavenVersion(version: string): Token[] | undefined {
  if (version === '' || /\s/.test(version)) return undefined;
  const v = version.toLowerCase();
  const raw: { prefix: '.' | '-'; value: string; numeric: boolean; transition: boolean }[] = [];
  let prefix: '.' | '-' = '.';
  let transition = false;
  let cur = '';
  let curDigit = false;
  const flush = () => {
    raw.push({ prefix, value: cur, numeric: cur !== '' && curDigit, transition });
    cur = '';
  };
  for (const ch of v) {
    if (ch === '.' || ch === '-') {
      flush();
      prefix = ch;
      transition = false;
      continue;
    }
    const digit = ch >= '0' && ch <= '9';
    if (cur !== '' && digit !== curDigit) {
      flush();
      prefix = '-';
      transition = true;
    }
    cur += ch;
    curDigit = digit;
  }
  flush();
  const tokens: Token[] = raw.map((t, i) => {
    let value = t.value;
    if (t.numeric) value = value.replace(/^0+(?=.)/, '');
    else {
      const next = raw[i + 1];
      const directNumber = next?.transition === true && next.numeric;
      if (directNumber && value === 'a') value = 'alpha';
      else if (directNumber && value === 'b') value = 'beta';
      else if (directNumber && value === 'm') value = 'milestone';
      else if (value === 'cr') value = 'rc';
      else if (value === 'ga' || value === 'final' || value === 'release') value = '';
    }
    if (t.value === '') value = '0';
    const numeric = t.numeric || value === '0';
    return { prefix: t.prefix, value, numeric, trimmable: NULLS.has(value), isNull: false };
  });
  // Trim trailing nulls, then again before each remaining '-' from the end to the start.
  let i = tokens.length - 1;
  while (i > 0) {
    if ((tokens[i] as Token).trimmable) {
      tokens.splice(i, 1);
      i--;
      continue;
    }
    while (i >= 0 && (tokens[i] as Token).prefix !== '-') i--;
    i--;
  }
  return tokens;
}

function qualifierOrder(t: Token): number {
  if (t.numeric) return t.prefix === '-' ? 2 : 3;
  return t.prefix === '-' ? 1 : 0;
}

function lessThan(a: Token, b: Token): boolean {
  if (a.prefix === b.prefix) {
    if (a.numeric && b.numeric) return compareDigits(a.value, b.value) < 0;
    if (a.numeric && !a.isNull) return false;
    if (b.numeric && !b.isNull) return true;
    const av = a.isNull ? '' : a.value;
    const bv = b.isNull ? '' : b.value;
    const ai = KEYWORDS.indexOf(av);
    const bi = KEYWORDS.indexOf(bv);
    if (ai >= 0 && bi >= 0) return ai < bi;
    if (ai >= 0) return true;
    if (bi >= 0) return false;
    return compareStrings(av, bv) < 0;
  }
  return qualifierOrder(a) < qualifierOrder(b);
}

function pad(other: Token): Token {
  return other.prefix === '.'
    ? { prefix: '.', value: '0', numeric: true, trimmable: true, isNull: true }
    : { prefix: '-', value: '', numeric: false, trimmable: true, isNull: true };
}

function compareMaven(a: readonly Token[], b: readonly Token[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? pad(b[i] as Token);
    const y = b[i] ?? pad(a[i] as Token);
    if (x.prefix === y.prefix && x.value === y.value) continue;
    if (x.isNull && y.isNull && x.prefix === y.prefix) continue;
    return lessThan(x, y) ? -1 : lessThan(y, x) ? 1 : 0;
  }
  return 0;
}

export const mavenScheme: VersionScheme = makeScheme(
  'Maven',
  'a Maven version like 1.2.3, 1.2.3-SNAPSHOT or 2.0.0.RELEASE',
  parseMavenVersion,
  compareMaven,
);
