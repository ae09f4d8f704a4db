/**
 * Offline advisories: OSV's per-ecosystem exports (`<dir>/<Ecosystem>/all.zip`, one `<ID>.json` per advisory), as
 * published at https://osv-vulnerabilities.storage.googleapis.com/<Ecosystem>/all.zip.
 *
 * Each ecosystem's archive is read only when a package of that ecosystem is scanned, and only the advisories that
 * name a scanned package are parsed and validated: every entry is inflated (CRC-checked, size- and ratio-bounded by
 * {@link ZipReader}) and its `"name"` strings are read with a scan of the text; an entry naming none of the wanted
 * packages is not parsed further. An entry whose names cannot be read that way is parsed in full, so nothing is
 * skipped by accident. A missing archive is an error, never "no vulnerabilities".
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DepsError, type Ecosystem } from '../model.ts';
import type { AdvisoryIndex } from './match.ts';
import { normalizeName, packageKey } from './names.ts';
import { type Advisory, parseAdvisoryJson } from './schema.ts';
import { type ZipLimits, ZipReader } from './zip.ts';

export interface OfflineDbOptions {
  /** The directory holding `<Ecosystem>/all.zip`. */
  readonly dir: string;
  readonly limits?: ZipLimits;
  /** Largest archive read into memory (default 2 GiB). */
  readonly maxArchiveBytes?: number;
  /** Parse and validate every advisory, not only those naming wanted packages. */
  readonly parseAll?: boolean;
  /**
   * A private directory for name indexes (one per archive content, keyed by the sha256 of its central directory,
   * files 0600): with one, a later scan of the same archive inflates only the entries that name a scanned package.
   */
  readonly indexDir?: string;
}

interface NameIndex {
  readonly format: 1;
  readonly archive: string;
  readonly digest: string;
  /** Entry name → the `"name"` strings it holds, or null when they could not be read cheaply. */
  readonly entries: Record<string, string[] | null>;
}

export interface EcosystemLoad {
  readonly ecosystem: Ecosystem;
  readonly archive: string;
  readonly entries: number;
  /** Entries read and inflated (fewer than `entries` when a name index was used). */
  readonly inflated: number;
  readonly parsed: number;
  readonly indexed: boolean;
  readonly ms: number;
}

const NAME_KEY = Buffer.from('"name"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/**
 * Every string value of a `"name"` key in an advisory's JSON bytes, read without decoding the whole entry (most
 * entries name no scanned package and are never parsed). Undefined when the bytes hold no `"name"` key or a name
 * string that cannot be decoded: the caller then parses the entry in full.
 */
export function nameStrings(bytes: Buffer): string[] | undefined {
  const out: string[] = [];
  for (let at = bytes.indexOf(NAME_KEY); at >= 0; at = bytes.indexOf(NAME_KEY, at + NAME_KEY.length)) {
    let i = at + NAME_KEY.length;
    while (isSpace(bytes[i])) i++;
    if (bytes[i] !== 0x3a) continue; // "name" as a value, not a key
    i++;
    while (isSpace(bytes[i])) i++;
    if (bytes[i] !== QUOTE) continue; // a non-string name: the full parse will judge it
    const start = ++i;
    let plain = true;
    while (i < bytes.length && bytes[i] !== QUOTE) {
      const b = bytes[i] as number;
      if (b === BACKSLASH) {
        plain = false;
        i++; // skip the escaped character
      } else if (b >= 0x80 || b < 0x20) {
        plain = false;
      }
      i++;
    }
    if (i >= bytes.length) return undefined;
    if (plain) {
      out.push(bytes.toString('latin1', start, i));
    } else {
      try {
        out.push(JSON.parse(bytes.toString('utf8', start - 1, i + 1)) as string);
      } catch {
        return undefined;
      }
    }
  }
  return out.length === 0 ? undefined : out;
}

export class OfflineDb implements AdvisoryIndex {
  readonly #options: OfflineDbOptions;
  readonly #index = new Map<string, Advisory[]>();
  readonly #loaded = new Set<Ecosystem>();
  readonly loads: EcosystemLoad[] = [];

  constructor(options: OfflineDbOptions) {
    this.#options = options;
  }

  /** The archive path for an ecosystem. */
  archive(ecosystem: Ecosystem): string {
    return join(this.#options.dir, ecosystem, 'all.zip');
  }

  /** Load the advisories for these packages (each ecosystem's archive at most once). */
  load(packages: Iterable<{ readonly ecosystem: Ecosystem; readonly name: string }>): this {
    const wanted = new Map<Ecosystem, Set<string>>();
    for (const p of packages) {
      const set = wanted.get(p.ecosystem) ?? new Set<string>();
      set.add(normalizeName(p.ecosystem, p.name));
      wanted.set(p.ecosystem, set);
    }
    for (const [ecosystem, names] of wanted) {
      if (!this.#loaded.has(ecosystem)) this.#loadEcosystem(ecosystem, names);
    }
    return this;
  }

  lookup(ecosystem: Ecosystem, name: string): readonly Advisory[] {
    return this.#index.get(packageKey(ecosystem, name)) ?? [];
  }

  #loadEcosystem(ecosystem: Ecosystem, wanted: ReadonlySet<string>): void {
    const started = performance.now();
    const path = this.archive(ecosystem);
    const label = `${ecosystem}/all.zip`;
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      throw new DepsError(
        'db-unavailable',
        `the offline database ${this.#options.dir} has no ${label}; download it from https://osv-vulnerabilities.storage.googleapis.com/${ecosystem}/all.zip`,
      );
    }
    const max = this.#options.maxArchiveBytes ?? 2 * 1024 * 1024 * 1024;
    if (size > max) throw new DepsError('db-corrupt', `${label}: ${size} bytes, more than the limit of ${max}`);
    const zip = new ZipReader(readFileSync(path), label, this.#options.limits);
    const indexPath =
      this.#options.indexDir === undefined
        ? undefined
        : join(this.#options.indexDir, `${ecosystem}-${zip.directoryDigest}.json`);
    const known = indexPath === undefined ? undefined : readIndex(indexPath, zip.directoryDigest);
    const built: Record<string, string[] | null> = Object.create(null);
    let parsed = 0;
    let inflated = 0;
    for (const entry of zip.entries) {
      if (!entry.name.endsWith('.json')) continue;
      const listed = known === undefined || !Object.hasOwn(known, entry.name) ? undefined : known[entry.name];
      if (
        listed !== undefined &&
        listed !== null &&
        this.#options.parseAll !== true &&
        !listed.some((value) => wanted.has(normalizeName(ecosystem, value)))
      ) {
        continue; // the index says this entry names no scanned package
      }
      const bytes = zip.view(entry); // looked at once, below, and not kept
      inflated++;
      const where = `${label}: ${entry.name}`;
      const names = listed === undefined ? nameStrings(bytes) : listed === null ? undefined : listed;
      if (indexPath !== undefined && known === undefined) built[entry.name] = names ?? null;
      let relevant = this.#options.parseAll === true;
      // An entry whose names cannot be read cheaply is parsed in full, so nothing is skipped by accident.
      if (!relevant)
        relevant = names === undefined || names.some((value) => wanted.has(normalizeName(ecosystem, value)));
      if (!relevant) continue;
      const text = bytes.toString('utf8');
      const advisory = parseAdvisoryJson(text, where);
      parsed++;
      const keys = new Set<string>();
      for (const affected of advisory.affected) {
        if (affected.package?.ecosystem === ecosystem) keys.add(packageKey(ecosystem, affected.package.name));
      }
      for (const key of keys) {
        const list = this.#index.get(key);
        if (list === undefined) this.#index.set(key, [advisory]);
        else list.push(advisory);
      }
    }
    if (indexPath !== undefined && known === undefined) {
      writeIndex(indexPath, { format: 1, archive: label, digest: zip.directoryDigest, entries: built });
    }
    this.#loaded.add(ecosystem);
    this.loads.push({
      ecosystem,
      archive: path,
      entries: zip.entries.length,
      inflated,
      parsed,
      indexed: known !== undefined,
      ms: performance.now() - started,
    });
  }
}

function readIndex(path: string, digest: string): Record<string, string[] | null> | undefined {
  try {
    const index = JSON.parse(readFileSync(path, 'utf8')) as NameIndex;
    if (index.format !== 1 || index.digest !== digest || typeof index.entries !== 'object' || index.entries === null) {
      return undefined;
    }
    for (const names of Object.values(index.entries)) {
      if (names !== null && (!Array.isArray(names) || names.some((n) => typeof n !== 'string'))) return undefined;
    }
    return index.entries;
  } catch {
    return undefined; // absent or unreadable: rebuilt from the archive
  }
}

function writeIndex(path: string, index: NameIndex): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(index), { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
  } catch {
    // an index is only an optimisation
  }
}
