/**
 * Packagist (Composer): PHP's version_compare on the version as Composer writes it. A leading `v` is dropped; `-`,
 * `_` and `+` become `.`; a `.` separates digits from letters; parts compare numerically when both are numbers,
 * otherwise by special form: anything else < dev < alpha = a < beta = b < RC = rc < # (a number) < pl = p. When one
 * version runs out, a following number wins and a following special form is compared with `#`.
 */
import type { VersionScheme } from '../model.ts';
import { compareDigits, isDigits, makeScheme } from './common.ts';

export function canonicalizeComposer(version: string): string[] {
  let v = version.replace(/^[vV]/, '');
  v = v.replace(/[-_+]/g, '.');
  v = v.replace(/([^\d.])(\d)/g, '$1.$2');
  v = v.replace(/(\d)([^\d.])/g, '$1.$2');
  return v.split('.');
}

function specialOrder(part: string): number {
  if (part.startsWith('dev')) return 0;
  if (part.startsWith('alpha') || part.startsWith('a')) return 1;
  if (part.startsWith('beta') || part.startsWith('b')) return 2;
  if (part.startsWith('RC') || part.startsWith('rc')) return 3;
  if (part.startsWith('#')) return 4;
  if (part.startsWith('pl') || part.startsWith('p')) return 5;
  return -1;
}

function compareSpecial(a: string, b: string): number {
  return Math.sign(specialOrder(a) - specialOrder(b));
}

function compareParts(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as string;
    const y = b[i] as string;
    const xd = isDigits(x);
    const yd = isDigits(y);
    let c: number;
    if (xd && yd) c = compareDigits(x, y);
    else if (!xd && !yd) c = compareSpecial(x, y);
    else if (xd) c = compareSpecial('#', y);
    else c = compareSpecial(x, '#');
    if (c !== 0) return c;
  }
  if (a.length > b.length) {
    return isDigits(a[b.length] as string) ? 1 : compareParts(a.slice(b.length), ['#']);
  }
  if (a.length < b.length) {
    return isDigits(b[a.length] as string) ? -1 : compareParts(['#'], b.slice(a.length));
  }
  return 0;
}

export const composerScheme: VersionScheme = makeScheme(
  'Packagist',
  'a Composer version like 1.2.3, v1.2.3 or 1.2.3-beta1',
  (v) => (v === '' || /\s/.test(v) ? undefined : canonicalizeComposer(v)),
  compareParts,
);
