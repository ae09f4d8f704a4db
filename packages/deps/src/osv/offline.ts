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
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
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
}

export interface EcosystemLoad {
  readonly ecosystem: Ecosystem;
  readonly archive: string;
  readonly entries: number;
  readonly parsed: number;
  readonly ms: number;
}

const NAME_STRING = /"name"\s*:\s*"((?:[^"\\]|\\.)*)"/g;

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

  #loadEcosystem(ecosystem: Ecosystem, names: ReadonlySet<string>): void {
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
    let parsed = 0;
    for (const entry of zip.entries) {
      if (!entry.name.endsWith('.json')) continue;
      const text = zip.read(entry).toString('utf8');
      const where = `${label}: ${entry.name}`;
      let relevant = this.#options.parseAll === true;
      if (!relevant) {
        let found = false;
        NAME_STRING.lastIndex = 0;
        for (let m = NAME_STRING.exec(text); m !== null; m = NAME_STRING.exec(text)) {
          found = true;
          const raw = m[1] as string;
          const value = raw.includes('\\') ? unescapeJson(raw) : raw;
          if (value === undefined || names.has(normalizeName(ecosystem, value))) {
            relevant = true;
            break;
          }
        }
        if (!found) relevant = true; // cannot tell cheaply: parse it in full
      }
      if (!relevant) continue;
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
    this.#loaded.add(ecosystem);
    this.loads.push({
      ecosystem,
      archive: path,
      entries: zip.entries.length,
      parsed,
      ms: performance.now() - started,
    });
  }
}

function unescapeJson(raw: string): string | undefined {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return undefined;
  }
}
