/**
 * OSV's evaluation rules (https://ossf.github.io/osv-schema/#evaluation), exactly:
 *
 * - withdrawn advisories are skipped;
 * - an `affected[]` entry applies when its ecosystem is the package's and its name equals the package's name as the
 *   ecosystem normalises names (PEP 503 for PyPI);
 * - an exact `versions` entry matches first;
 * - `SEMVER` ranges are evaluated with SemVer 2.0 precedence, `ECOSYSTEM` ranges with the ecosystem's own order: the
 *   events are sorted (introduced "0" before everything), then walked: `introduced` at or below the version opens,
 *   `fixed` at or below closes, `last_affected` below closes; `limit` events bound the whole range from above;
 * - `GIT` ranges name commits, not versions: they are never evaluated against a version. An advisory whose only
 *   information for a package is GIT ranges is reported as "not evaluated", never matched and never dropped silently.
 *   Likewise when a version cannot be ordered (an invalid version, no comparator for the ecosystem).
 */
import type { Ecosystem, Package, VersionScheme } from '../model.ts';
import { normalizeName } from './names.ts';
import type { Advisory, OsvAffected, OsvEvent, OsvRange } from './schema.ts';
import { semver2 } from './semver.ts';

export interface MatchTarget {
  readonly ecosystem: Ecosystem;
  readonly name: string;
  readonly version: string;
}

export type Verdict =
  | { readonly kind: 'affected'; readonly via: 'versions' | 'SEMVER' | 'ECOSYSTEM' }
  | { readonly kind: 'not-affected' }
  | { readonly kind: 'withdrawn' }
  | { readonly kind: 'not-evaluated'; readonly reason: string };

type Cmp = (a: string, b: string) => number;

const eventVersion = (e: OsvEvent): string =>
  'introduced' in e ? e.introduced : 'fixed' in e ? e.fixed : 'last_affected' in e ? e.last_affected : e.limit;

/** Sorted events per range and comparator: a range is evaluated for many packages, its events sorted once. */
const sortedCache = new WeakMap<readonly OsvEvent[], Map<Cmp, Array<{ e: OsvEvent; v: string }>>>();

function sortedEvents(events: readonly OsvEvent[], cmp: Cmp): Array<{ e: OsvEvent; v: string }> {
  let byCmp = sortedCache.get(events);
  const cached = byCmp?.get(cmp);
  if (cached !== undefined) return cached;
  const ordered = events
    .filter((e) => !('limit' in e))
    .map((e, i) => ({ e, i, v: eventVersion(e) }))
    .sort((a, b) => {
      const zeroA = 'introduced' in a.e && a.v === '0';
      const zeroB = 'introduced' in b.e && b.v === '0';
      if (zeroA || zeroB) return zeroA && zeroB ? a.i - b.i : zeroA ? -1 : 1;
      return cmp(a.v, b.v) || a.i - b.i;
    })
    .map(({ e, v }) => ({ e, v }));
  if (byCmp === undefined) {
    byCmp = new Map();
    sortedCache.set(events, byCmp);
  }
  byCmp.set(cmp, ordered);
  return ordered;
}

/** Whether `version` lies in a SEMVER or ECOSYSTEM range. Throws when a version cannot be ordered. */
export function inRange(version: string, events: readonly OsvEvent[], cmp: Cmp): boolean {
  const limits = events.filter((e) => 'limit' in e).map(eventVersion);
  if (limits.length > 0 && !limits.some((limit) => limit === '*' || cmp(version, limit) < 0)) return false;
  let affected = false;
  for (const { e, v } of sortedEvents(events, cmp)) {
    if ('introduced' in e) {
      if (v === '0' || cmp(version, v) >= 0) affected = true;
    } else if ('fixed' in e) {
      if (cmp(version, v) >= 0) affected = false;
    } else if ('last_affected' in e) {
      if (cmp(version, v) > 0) affected = false;
    }
  }
  return affected;
}

const comparators = new WeakMap<VersionScheme, Cmp>();
function comparator(scheme: VersionScheme): Cmp {
  let cmp = comparators.get(scheme);
  if (cmp === undefined) {
    cmp = (a, b) => scheme.compare(a, b);
    comparators.set(scheme, cmp);
  }
  return cmp;
}

function sameVersion(a: string, b: string, scheme: VersionScheme | undefined, ecosystem: Ecosystem): boolean {
  if (a === b) return true;
  if (ecosystem === 'Go' && a.replace(/^v/, '') === b.replace(/^v/, '')) return true;
  if (scheme === undefined || !scheme.isValid(a) || !scheme.isValid(b)) return false;
  return scheme.compare(a, b) === 0;
}

function appliesTo(entry: OsvAffected, target: MatchTarget): boolean {
  const pkg = entry.package;
  if (pkg === undefined) return false;
  return (
    pkg.ecosystem === target.ecosystem &&
    normalizeName(target.ecosystem, pkg.name) === normalizeName(target.ecosystem, target.name)
  );
}

function evaluateRange(range: OsvRange, target: MatchTarget, scheme: VersionScheme | undefined): Verdict {
  if (range.type === 'GIT') {
    return {
      kind: 'not-evaluated',
      reason: `a GIT range${range.repo ? ` of ${range.repo}` : ''} names commits, not versions`,
    };
  }
  const order = range.type === 'SEMVER' ? semver2 : scheme;
  if (order === undefined) {
    return { kind: 'not-evaluated', reason: `no version comparator for ${target.ecosystem}` };
  }
  const label = range.type === 'SEMVER' ? 'SemVer 2.0' : target.ecosystem;
  if (!order.isValid(target.version)) {
    return { kind: 'not-evaluated', reason: `version '${target.version}' is not a valid ${label} version` };
  }
  const invalid = range.events.map(eventVersion).find((v) => v !== '0' && v !== '*' && !order.isValid(v));
  if (invalid !== undefined) {
    return {
      kind: 'not-evaluated',
      reason: `the advisory's ${range.type} range has an invalid ${label} version '${invalid}'`,
    };
  }
  try {
    return inRange(target.version, range.events, comparator(order))
      ? { kind: 'affected', via: range.type }
      : { kind: 'not-affected' };
  } catch (error) {
    return { kind: 'not-evaluated', reason: (error as Error).message };
  }
}

/** Evaluate one advisory for one package version. */
export function evaluateAdvisory(advisory: Advisory, target: MatchTarget, scheme: VersionScheme | undefined): Verdict {
  if (advisory.withdrawn !== undefined) return { kind: 'withdrawn' };
  const reasons: string[] = [];
  let evaluated = false;
  for (const entry of advisory.affected) {
    if (!appliesTo(entry, target)) continue;
    if (entry.versions.some((v) => sameVersion(v, target.version, scheme, target.ecosystem))) {
      return { kind: 'affected', via: 'versions' };
    }
    if (entry.versions.length > 0) evaluated = true;
    for (const range of entry.ranges) {
      const verdict = evaluateRange(range, target, scheme);
      if (verdict.kind === 'affected') return verdict;
      if (verdict.kind === 'not-affected') evaluated = true;
      else if (verdict.kind === 'not-evaluated') reasons.push(verdict.reason);
    }
  }
  // A version list or a SEMVER/ECOSYSTEM range that was evaluated is authoritative: GIT ranges beside it describe
  // the same versions by commit. Only when nothing could be evaluated is the advisory reported as undecided.
  if (!evaluated && reasons.length > 0) return { kind: 'not-evaluated', reason: [...new Set(reasons)].join('; ') };
  return { kind: 'not-affected' };
}

/** Where advisories for a package come from (an offline export or the OSV API). */
export interface AdvisoryIndex {
  /** Advisories that name this package in an `affected[]` entry (candidates; the matcher decides). */
  lookup(ecosystem: Ecosystem, name: string): readonly Advisory[];
}

export interface Finding {
  readonly package: Package;
  /** The advisories of one vulnerability (grouped by shared ids and aliases), the primary first. */
  readonly advisories: readonly Advisory[];
  /** The primary id: a GHSA id when the group has one, else the smallest id. */
  readonly id: string;
  /** Every id and alias of the group, sorted. */
  readonly ids: readonly string[];
}

export interface Undecided {
  readonly package: Package;
  readonly advisory: Advisory;
  readonly reason: string;
}

export interface MatchResult {
  readonly findings: readonly Finding[];
  readonly notEvaluated: readonly Undecided[];
}

/** Group advisories that share an id or alias (PYSEC-… and GHSA-… for the same CVE) into one vulnerability. */
export function groupByAlias(advisories: readonly Advisory[]): Advisory[][] {
  const parent = advisories.map((_, i) => i);
  const find = (start: number): number => {
    let i = start;
    while (parent[i] !== i) {
      parent[i] = parent[parent[i] as number] as number;
      i = parent[i] as number;
    }
    return i;
  };
  const owner = new Map<string, number>();
  advisories.forEach((a, i) => {
    for (const id of [a.id, ...a.aliases]) {
      const key = id.toUpperCase();
      const j = owner.get(key);
      if (j === undefined) owner.set(key, i);
      else parent[find(i)] = find(j);
    }
  });
  const groups = new Map<number, Advisory[]>();
  advisories.forEach((a, i) => {
    const root = find(i);
    const group = groups.get(root) ?? [];
    group.push(a);
    groups.set(root, group);
  });
  return [...groups.values()];
}

function primaryFirst(group: Advisory[]): Advisory[] {
  const rank = (id: string) => (id.startsWith('GHSA-') ? 0 : 1);
  return [...group].sort((a, b) => rank(a.id) - rank(b.id) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Match every package against the index. */
export function matchPackages(
  packages: readonly Package[],
  index: AdvisoryIndex,
  schemeFor: (ecosystem: Ecosystem) => VersionScheme | undefined,
): MatchResult {
  const findings: Finding[] = [];
  const notEvaluated: Undecided[] = [];
  for (const pkg of packages) {
    const candidates = index.lookup(pkg.ecosystem, pkg.name);
    if (candidates.length === 0) continue;
    const scheme = schemeFor(pkg.ecosystem);
    const hits: Advisory[] = [];
    const seen = new Set<string>();
    for (const advisory of candidates) {
      if (seen.has(advisory.id)) continue;
      seen.add(advisory.id);
      const verdict = evaluateAdvisory(advisory, pkg, scheme);
      if (verdict.kind === 'affected') hits.push(advisory);
      else if (verdict.kind === 'not-evaluated') notEvaluated.push({ package: pkg, advisory, reason: verdict.reason });
    }
    for (const group of groupByAlias(hits)) {
      const advisories = primaryFirst(group);
      const ids = [...new Set(advisories.flatMap((a) => [a.id, ...a.aliases]))].sort();
      findings.push({ package: pkg, advisories, id: (advisories[0] as Advisory).id, ids });
    }
  }
  return { findings, notEvaluated };
}
