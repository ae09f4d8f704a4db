/**
 * The OSV schema (https://ossf.github.io/osv-schema/), as far as the scanner reads it, and a validator that turns
 * untrusted advisory JSON into typed records. Every error names where the advisory came from (`Go/all.zip:
 * GO-2020-0001.json`) and the JSON path of the problem, so a corrupt database is never mistaken for "no findings".
 */
import { DepsError } from '../model.ts';

export type OsvRangeType = 'SEMVER' | 'ECOSYSTEM' | 'GIT';

/** Exactly one of the four keys is set. */
export type OsvEvent =
  | { readonly introduced: string }
  | { readonly fixed: string }
  | { readonly last_affected: string }
  | { readonly limit: string };

export interface OsvRange {
  readonly type: OsvRangeType;
  readonly repo?: string;
  readonly events: readonly OsvEvent[];
}

export interface OsvSeverity {
  /** CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu, … */
  readonly type: string;
  readonly score: string;
}

export interface OsvPackageRef {
  readonly ecosystem: string;
  readonly name: string;
  readonly purl?: string;
}

export interface OsvAffected {
  readonly package?: OsvPackageRef;
  readonly ranges: readonly OsvRange[];
  readonly versions: readonly string[];
  readonly severity: readonly OsvSeverity[];
  readonly database_specific?: Readonly<Record<string, unknown>>;
}

export interface OsvReference {
  readonly type: string;
  readonly url: string;
}

export interface Advisory {
  readonly id: string;
  readonly modified: string;
  readonly published?: string;
  readonly withdrawn?: string;
  readonly aliases: readonly string[];
  readonly related: readonly string[];
  readonly summary?: string;
  readonly details?: string;
  readonly severity: readonly OsvSeverity[];
  readonly affected: readonly OsvAffected[];
  readonly references: readonly OsvReference[];
  readonly database_specific?: Readonly<Record<string, unknown>>;
}

const RANGE_TYPES = new Set<string>(['SEMVER', 'ECOSYSTEM', 'GIT']);
const EVENT_KEYS = new Set<string>(['introduced', 'fixed', 'last_affected', 'limit']);
/** Advisory ids as OSV allows them: a prefix and an id, no path separators. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:+-]{0,200}$/;

type Obj = Record<string, unknown>;

const isObject = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);

class Checker {
  readonly #where: string;
  constructor(where: string) {
    this.#where = where;
  }

  fail(path: string, message: string): never {
    throw new DepsError('advisory-invalid', `${this.#where}: ${path}: ${message}`);
  }

  object(value: unknown, path: string): Obj {
    if (!isObject(value)) this.fail(path, `expected an object, found ${describe(value)}`);
    return value;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string') this.fail(path, `expected a string, found ${describe(value)}`);
    return value;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`;
}

// The validators check the parsed JSON in place and fill in empty lists for absent ones, rather than copying it:
// loading an export validates tens of thousands of advisories, and copies would double the garbage.

function list(o: Obj, key: string, c: Checker, path: string): unknown[] {
  const value = o[key];
  if (value === undefined || value === null) {
    const empty: unknown[] = [];
    o[key] = empty;
    return empty;
  }
  if (!Array.isArray(value)) c.fail(path, `expected a list, found ${describe(value)}`);
  return value;
}

function optional(o: Obj, key: string, c: Checker, path: string): void {
  const value = o[key];
  if (value === null) delete o[key];
  else if (value !== undefined && typeof value !== 'string')
    c.fail(path, `expected a string, found ${describe(value)}`);
}

function record(o: Obj, key: string, c: Checker, path: string): void {
  const value = o[key];
  if (value === null) delete o[key];
  else if (value !== undefined) c.object(value, path);
}

function severities(c: Checker, o: Obj, path: string): void {
  list(o, 'severity', c, path).forEach((item, i) => {
    const s = c.object(item, `${path}[${i}]`);
    c.string(s.type, `${path}[${i}].type`);
    c.string(s.score, `${path}[${i}].score`);
  });
}

function strings(c: Checker, o: Obj, key: string, path: string): void {
  list(o, key, c, path).forEach((item, i) => {
    c.string(item, `${path}[${i}]`);
  });
}

function events(c: Checker, o: Obj, path: string): void {
  const items = list(o, 'events', c, path);
  if (items.length === 0) c.fail(path, 'a range needs at least one event');
  items.forEach((item, i) => {
    const e = c.object(item, `${path}[${i}]`);
    let found: string | undefined;
    let count = 0;
    for (const key in e) {
      if (EVENT_KEYS.has(key)) {
        found = key;
        count++;
      }
    }
    if (count !== 1) c.fail(`${path}[${i}]`, 'an event has exactly one of introduced, fixed, last_affected, limit');
    const version = c.string(e[found as string], `${path}[${i}].${found}`);
    if (version === '') c.fail(`${path}[${i}].${found}`, 'the version is empty');
  });
}

function ranges(c: Checker, o: Obj, path: string): void {
  list(o, 'ranges', c, path).forEach((item, i) => {
    const p = `${path}[${i}]`;
    const r = c.object(item, p);
    const type = c.string(r.type, `${p}.type`);
    if (!RANGE_TYPES.has(type)) c.fail(`${p}.type`, `unknown range type '${type}' (expected SEMVER, ECOSYSTEM or GIT)`);
    optional(r, 'repo', c, `${p}.repo`);
    events(c, r, `${p}.events`);
  });
}

function affected(c: Checker, o: Obj, path: string): void {
  list(o, 'affected', c, path).forEach((item, i) => {
    const p = `${path}[${i}]`;
    const a = c.object(item, p);
    if (a.package === null) delete a.package;
    if (a.package !== undefined) {
      const pkg = c.object(a.package, `${p}.package`);
      c.string(pkg.ecosystem, `${p}.package.ecosystem`);
      c.string(pkg.name, `${p}.package.name`);
      optional(pkg, 'purl', c, `${p}.package.purl`);
    }
    ranges(c, a, `${p}.ranges`);
    strings(c, a, 'versions', `${p}.versions`);
    severities(c, a, `${p}.severity`);
    record(a, 'database_specific', c, `${p}.database_specific`);
  });
}

/**
 * Validate one advisory. `where` names its origin for error messages (`PyPI/all.zip: PYSEC-2021-1.json`,
 * `https://api.osv.dev/v1/vulns/GHSA-…`).
 */
export function parseAdvisory(value: unknown, where: string): Advisory {
  const c = new Checker(where);
  const o = c.object(value, '$');
  const id = c.string(o.id, '$.id');
  if (!ID_PATTERN.test(id)) c.fail('$.id', `'${id.slice(0, 60)}' is not an OSV id`);
  c.string(o.modified, '$.modified');
  for (const key of ['published', 'withdrawn', 'summary', 'details']) optional(o, key, c, `$.${key}`);
  strings(c, o, 'aliases', '$.aliases');
  strings(c, o, 'related', '$.related');
  severities(c, o, '$.severity');
  affected(c, o, '$.affected');
  list(o, 'references', c, '$.references').forEach((item, i) => {
    const r = c.object(item, `$.references[${i}]`);
    c.string(r.type, `$.references[${i}].type`);
    c.string(r.url, `$.references[${i}].url`);
  });
  record(o, 'database_specific', c, '$.database_specific');
  return o as unknown as Advisory;
}

/** Parse advisory JSON text; a syntax error names the origin. */
export function parseAdvisoryJson(text: string, where: string): Advisory {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    throw new DepsError('advisory-invalid', `${where}: not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  return parseAdvisory(value, where);
}
