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

  optionalString(value: unknown, path: string): string | undefined {
    return value === undefined || value === null ? undefined : this.string(value, path);
  }

  array(value: unknown, path: string): unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) this.fail(path, `expected a list, found ${describe(value)}`);
    return value;
  }

  strings(value: unknown, path: string): string[] {
    return this.array(value, path).map((item, i) => this.string(item, `${path}[${i}]`));
  }

  record(value: unknown, path: string): Readonly<Record<string, unknown>> | undefined {
    if (value === undefined || value === null) return undefined;
    return this.object(value, path);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`;
}

function severities(c: Checker, value: unknown, path: string): OsvSeverity[] {
  return c.array(value, path).map((item, i) => {
    const o = c.object(item, `${path}[${i}]`);
    return { type: c.string(o.type, `${path}[${i}].type`), score: c.string(o.score, `${path}[${i}].score`) };
  });
}

function events(c: Checker, value: unknown, path: string): OsvEvent[] {
  const list = c.array(value, path);
  if (list.length === 0) c.fail(path, 'a range needs at least one event');
  return list.map((item, i) => {
    const o = c.object(item, `${path}[${i}]`);
    const keys = Object.keys(o).filter((k) => EVENT_KEYS.has(k));
    if (keys.length !== 1) {
      c.fail(`${path}[${i}]`, 'an event has exactly one of introduced, fixed, last_affected, limit');
    }
    const key = keys[0] as 'introduced' | 'fixed' | 'last_affected' | 'limit';
    const version = c.string(o[key], `${path}[${i}].${key}`);
    if (version === '') c.fail(`${path}[${i}].${key}`, 'the version is empty');
    return { [key]: version } as OsvEvent;
  });
}

function ranges(c: Checker, value: unknown, path: string): OsvRange[] {
  return c.array(value, path).map((item, i) => {
    const p = `${path}[${i}]`;
    const o = c.object(item, p);
    const type = c.string(o.type, `${p}.type`);
    if (!RANGE_TYPES.has(type)) c.fail(`${p}.type`, `unknown range type '${type}' (expected SEMVER, ECOSYSTEM or GIT)`);
    const repo = c.optionalString(o.repo, `${p}.repo`);
    return {
      type: type as OsvRangeType,
      ...(repo === undefined ? {} : { repo }),
      events: events(c, o.events, `${p}.events`),
    };
  });
}

function affected(c: Checker, value: unknown, path: string): OsvAffected[] {
  return c.array(value, path).map((item, i) => {
    const p = `${path}[${i}]`;
    const o = c.object(item, p);
    let pkg: OsvPackageRef | undefined;
    if (o.package !== undefined && o.package !== null) {
      const po = c.object(o.package, `${p}.package`);
      const purl = c.optionalString(po.purl, `${p}.package.purl`);
      pkg = {
        ecosystem: c.string(po.ecosystem, `${p}.package.ecosystem`),
        name: c.string(po.name, `${p}.package.name`),
        ...(purl === undefined ? {} : { purl }),
      };
    }
    const dbs = c.record(o.database_specific, `${p}.database_specific`);
    return {
      ...(pkg === undefined ? {} : { package: pkg }),
      ranges: ranges(c, o.ranges, `${p}.ranges`),
      versions: c.strings(o.versions, `${p}.versions`),
      severity: severities(c, o.severity, `${p}.severity`),
      ...(dbs === undefined ? {} : { database_specific: dbs }),
    };
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
  const modified = c.string(o.modified, '$.modified');
  const published = c.optionalString(o.published, '$.published');
  const withdrawn = c.optionalString(o.withdrawn, '$.withdrawn');
  const summary = c.optionalString(o.summary, '$.summary');
  const details = c.optionalString(o.details, '$.details');
  const dbs = c.record(o.database_specific, '$.database_specific');
  return {
    id,
    modified,
    ...(published === undefined ? {} : { published }),
    ...(withdrawn === undefined ? {} : { withdrawn }),
    aliases: c.strings(o.aliases, '$.aliases'),
    related: c.strings(o.related, '$.related'),
    ...(summary === undefined ? {} : { summary }),
    ...(details === undefined ? {} : { details }),
    severity: severities(c, o.severity, '$.severity'),
    affected: affected(c, o.affected, '$.affected'),
    references: c.array(o.references, '$.references').flatMap((item, i) => {
      const r = c.object(item, `$.references[${i}]`);
      return [{ type: c.string(r.type, `$.references[${i}].type`), url: c.string(r.url, `$.references[${i}].url`) }];
    }),
    ...(dbs === undefined ? {} : { database_specific: dbs }),
  };
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
