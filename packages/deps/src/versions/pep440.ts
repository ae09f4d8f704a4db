/**
 * PyPI: PEP 440 ordering (epoch, release with trailing zeros ignored, pre, post, dev, local), parsed by
 * @renovatebot/pep440. Versions PEP 440 cannot parse are ordered as setuptools' legacy versions (packaging's
 * LegacyVersion: below every PEP 440 version), as old releases on PyPI and in OSV still use them.
 */
import { parse } from '@renovatebot/pep440';
import type { VersionScheme } from '../model.ts';
import { compareStrings, makeScheme } from './common.ts';

interface Pep440 {
  readonly legacy: false;
  readonly epoch: number;
  readonly release: readonly number[];
  /** [letter, number] with the letter in a < b < rc, or undefined. */
  readonly pre: readonly [string, number] | undefined;
  readonly post: number | undefined;
  readonly dev: number | undefined;
  readonly local: readonly (string | number)[] | undefined;
}

interface Legacy {
  readonly legacy: true;
  readonly parts: readonly string[];
}

type Parsed = Pep440 | Legacy;

const LEGACY_MAP: Record<string, string> = { pre: 'c', preview: 'c', '-': 'final-', rc: 'c', dev: '@' };

/** packaging's _legacy_cmpkey. */
function legacyParts(version: string): string[] {
  const parts: string[] = [];
  const push = (p: string) => {
    if (p.startsWith('*')) {
      if (p < '*final') while (parts[parts.length - 1] === '*final-') parts.pop();
      while (parts[parts.length - 1] === '00000000') parts.pop();
    }
    parts.push(p);
  };
  for (const raw of version.toLowerCase().split(/(\d+|[a-z]+|\.|-)/)) {
    const part = LEGACY_MAP[raw] ?? raw;
    if (part === '' || part === '.') continue;
    push(/^[0-9]/.test(part) ? part.padStart(8, '0') : `*${part}`);
  }
  push('*final');
  return parts;
}

export function parsePep440(version: string): Parsed | undefined {
  const p = parse(version);
  if (p !== null) {
    const release = [...p.release];
    while (release.length > 0 && release[release.length - 1] === 0) release.pop();
    return {
      legacy: false,
      epoch: p.epoch,
      release,
      pre: p.pre === null || p.pre === undefined ? undefined : [String(p.pre[0]), Number(p.pre[1])],
      post: p.post === null || p.post === undefined ? undefined : Number(p.post[1]),
      dev: p.dev === null || p.dev === undefined ? undefined : Number(p.dev[1]),
      local: p.local === null || p.local === undefined ? undefined : [...p.local],
    };
  }
  // Anything else printable is a legacy version.
  if (!/^[\x21-\x7e]+$/.test(version)) return undefined;
  return { legacy: true, parts: legacyParts(version) };
}

function cmp(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareParsed(a: Parsed, b: Parsed): number {
  if (a.legacy || b.legacy) {
    if (!a.legacy) return 1;
    if (!b.legacy) return -1;
    const n = Math.min(a.parts.length, b.parts.length);
    for (let i = 0; i < n; i++) {
      const c = compareStrings(a.parts[i] as string, b.parts[i] as string);
      if (c !== 0) return c;
    }
    return a.parts.length - b.parts.length;
  }
  let c = cmp(a.epoch, b.epoch);
  if (c !== 0) return c;
  const n = Math.min(a.release.length, b.release.length);
  for (let i = 0; i < n; i++) {
    c = cmp(a.release[i] as number, b.release[i] as number);
    if (c !== 0) return c;
  }
  c = a.release.length - b.release.length;
  if (c !== 0) return c;
  // pre: a dev-only release sorts before its pre-releases; a release without pre after them.
  const preKey = (v: Pep440): number =>
    v.pre === undefined ? (v.post === undefined && v.dev !== undefined ? -1 : 1) : 0;
  c = cmp(preKey(a), preKey(b));
  if (c !== 0) return c;
  if (a.pre !== undefined && b.pre !== undefined) {
    c = compareStrings(a.pre[0], b.pre[0]) || cmp(a.pre[1], b.pre[1]);
    if (c !== 0) return c;
  }
  c = cmp(a.post ?? -1, b.post ?? -1);
  if (c !== 0) return c;
  c = cmp(a.dev ?? Number.POSITIVE_INFINITY, b.dev ?? Number.POSITIVE_INFINITY);
  if (c !== 0) return c;
  if (a.local === undefined || b.local === undefined)
    return (a.local === undefined ? 0 : 1) - (b.local === undefined ? 0 : 1);
  const m = Math.min(a.local.length, b.local.length);
  for (let i = 0; i < m; i++) {
    const x = a.local[i] as string | number;
    const y = b.local[i] as string | number;
    if (typeof x === 'number' && typeof y === 'number') c = cmp(x, y);
    else if (typeof x === 'number') c = 1;
    else if (typeof y === 'number') c = -1;
    else c = compareStrings(x, y);
    if (c !== 0) return c;
  }
  return a.local.length - b.local.length;
}

export const pep440Scheme: VersionScheme = makeScheme(
  'PyPI',
  'a PEP 440 version like 1.2.3, 1.2.3rc1 or 1!2.0.post1',
  parsePep440,
  compareParsed,
);
