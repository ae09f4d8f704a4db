/** Helpers shared by the version schemes. */
import { quote } from '@airlock/core';
import { DepsError, type Ecosystem, type VersionScheme } from '../model.ts';

/** Compare two strings of decimal digits as unbounded integers (leading zeros ignored). */
export function compareDigits(a: string, b: string): number {
  let i = 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 48) i++;
  let j = 0;
  while (j < b.length - 1 && b.charCodeAt(j) === 48) j++;
  const la = a.length - i;
  const lb = b.length - j;
  if (la !== lb) return la < lb ? -1 : 1;
  for (let k = 0; k < la; k++) {
    const d = a.charCodeAt(i + k) - b.charCodeAt(j + k);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export const isDigits = (s: string): boolean => /^[0-9]+$/.test(s);

/** Ordinal comparison of strings (code units), like Go's strings.Compare and Java's String.compareTo sign. */
export function compareStrings(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

export function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

export function invalid(ecosystem: Ecosystem, version: string, expected: string): DepsError {
  return new DepsError(
    'version-invalid',
    `${quote(version)} is not a valid ${ecosystem} version; expected ${expected}`,
  );
}

/**
 * A scheme from a parser (undefined for an invalid version) and a comparator of parsed versions. Parsed versions
 * are memoised (matching compares one package version with many range events).
 */
export function makeScheme<T>(
  ecosystem: Ecosystem,
  expected: string,
  parse: (version: string) => T | undefined,
  compareParsed: (a: T, b: T) => number,
): VersionScheme {
  const cache = new Map<string, T | null>();
  const get = (v: string): T | undefined => {
    let p = cache.get(v);
    if (p === undefined) {
      p = typeof v === 'string' ? (parse(v) ?? null) : null;
      if (cache.size >= 50_000) cache.clear();
      cache.set(v, p);
    }
    return p === null ? undefined : p;
  };
  return {
    ecosystem,
    isValid: (version) => get(version) !== undefined,
    compare(a, b) {
      const pa = get(a);
      if (pa === undefined) throw invalid(ecosystem, a, expected);
      const pb = get(b);
      if (pb === undefined) throw invalid(ecosystem, b, expected);
      return sign(compareParsed(pa, pb));
    },
  };
}
