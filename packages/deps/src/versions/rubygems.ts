/**
 * RubyGems: Gem::Version ordering. `-` means `.pre.`; segments are runs of digits (numbers) or letters (strings);
 * trailing zeros of the numeric part and of the string part are dropped; a string segment sorts below any number
 * (so `1.0.a < 1.0`), strings compare byte-wise.
 */
import type { VersionScheme } from '../model.ts';
import { compareDigits, compareStrings, isDigits, makeScheme } from './common.ts';

// Gem::Version's pattern, relaxed to accept a letter directly after the first number (`1beta`), as OSV does.
const GEM_VERSION = /^\s*(?:[0-9][0-9A-Za-z.-]*)?\s*$/;

/** Gem::Version#canonical_segments (numbers kept as digit strings). */
export function parseGemVersion(version: string): string[] | undefined {
  if (!GEM_VERSION.test(version)) return undefined;
  const v = version.trim() === '' ? '0' : version.trim().replaceAll('-', '.pre.');
  const segments = v.match(/[0-9]+|[a-z]+/gi) ?? [];
  const firstString = segments.findIndex((s) => !isDigits(s));
  const numeric = firstString < 0 ? segments : segments.slice(0, firstString);
  const strings = firstString < 0 ? [] : segments.slice(firstString);
  const dropZeros = (list: string[]) => {
    while (list.length > 0 && isDigits(list[list.length - 1] as string) && /^0+$/.test(list[list.length - 1] as string))
      list.pop();
    return list;
  };
  return [...dropZeros([...numeric]), ...dropZeros([...strings])];
}

function compareGem(a: readonly string[], b: readonly string[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? '0';
    const y = b[i] ?? '0';
    const xd = isDigits(x);
    const yd = isDigits(y);
    if (xd && yd) {
      const c = compareDigits(x, y);
      if (c !== 0) return c;
      continue;
    }
    if (x === y) continue;
    if (!xd && yd) return -1;
    if (xd && !yd) return 1;
    return compareStrings(x, y);
  }
  return 0;
}

export const rubygemsScheme: VersionScheme = makeScheme(
  'RubyGems',
  'a gem version like 1.2.3 or 1.2.3.beta1',
  parseGemVersion,
  compareGem,
);
