/**
 * Online advisories from the OSV API (https://google.github.io/osv.dev/api/):
 *
 * 1. `POST /v1/querybatch` with at most 1000 queries per request; a query whose result carries `next_page_token` is
 *    asked again with `page_token` until it has none;
 * 2. `GET /v1/vulns/{id}` for every id returned, with bounded concurrency, through a disk cache keyed by id and
 *    `modified` (files mode 0600 in a directory mode 0700, under RUNNER_TEMP or a directory the caller gives).
 *
 * The API's list is only the candidate set: each advisory is validated and evaluated by the same matcher as the
 * offline databases, so both sources mean the same thing. Transient failures are retried by the HttpClient (5xx,
 * 429, timeouts); anything else is a clear error that fails the scan — never "no vulnerabilities".
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type HttpClient, HttpError, type Logger, nullLogger } from '@airlock/core';
import { DepsError, type Ecosystem } from '../model.ts';
import type { AdvisoryIndex } from './match.ts';
import { packageKey } from './names.ts';
import { type Advisory, parseAdvisory, parseAdvisoryJson } from './schema.ts';

export const OSV_API_URL = 'https://api.osv.dev';
export const QUERY_BATCH_LIMIT = 1000;

export interface OsvApiOptions {
  readonly http: HttpClient;
  readonly baseUrl?: string | URL;
  /** Directory for cached advisories; no cache when undefined. */
  readonly cacheDir?: string;
  /** Parallel `GET /v1/vulns/{id}` requests (default 8). */
  readonly concurrency?: number;
  readonly batchSize?: number;
  /** Most page rounds before giving up (a server that never stops paginating). */
  readonly maxPages?: number;
  readonly log?: Logger;
}

export interface OnlineStats {
  queries: number;
  batches: number;
  pages: number;
  ids: number;
  fetched: number;
  cached: number;
}

interface Query {
  readonly ecosystem: Ecosystem;
  readonly name: string;
  readonly version: string;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export class OsvApi implements AdvisoryIndex {
  readonly #options: OsvApiOptions;
  readonly #base: string;
  readonly #index = new Map<string, Advisory[]>();
  readonly #log: Logger;
  readonly stats: OnlineStats = { queries: 0, batches: 0, pages: 0, ids: 0, fetched: 0, cached: 0 };

  constructor(options: OsvApiOptions) {
    this.#options = options;
    this.#base = String(options.baseUrl ?? OSV_API_URL).replace(/\/+$/, '');
    this.#log = options.log ?? nullLogger;
  }

  lookup(ecosystem: Ecosystem, name: string): readonly Advisory[] {
    return this.#index.get(packageKey(ecosystem, name)) ?? [];
  }

  /** Query the API for these packages and fetch every advisory it names. */
  async load(packages: Iterable<Query>): Promise<this> {
    const unique = new Map<string, Query>();
    for (const p of packages) unique.set(`${packageKey(p.ecosystem, p.name)}\u0000${p.version}`, p);
    const queries = [...unique.values()];
    this.stats.queries += queries.length;
    const ids = await this.#queryAll(queries);
    this.stats.ids += ids.size;
    const advisories = await this.#fetchAll([...ids]);
    for (const advisory of advisories) {
      const keys = new Set<string>();
      for (const affected of advisory.affected) {
        if (affected.package !== undefined) {
          keys.add(packageKey(affected.package.ecosystem as Ecosystem, affected.package.name));
        }
      }
      for (const key of keys) {
        const list = this.#index.get(key) ?? [];
        if (!list.some((a) => a.id === advisory.id)) list.push(advisory);
        this.#index.set(key, list);
      }
    }
    return this;
  }

  /** id → modified, for every vulnerability any query returned. */
  async #queryAll(queries: readonly Query[]): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    const size = Math.min(this.#options.batchSize ?? QUERY_BATCH_LIMIT, QUERY_BATCH_LIMIT);
    const maxPages = this.#options.maxPages ?? 100;
    let pending: Array<{ query: Query; token?: string }> = queries.map((query) => ({ query }));
    for (let round = 0; pending.length > 0; round++) {
      if (round >= maxPages) {
        throw new DepsError(
          'db-unavailable',
          `the OSV API at ${this.#base} kept paginating after ${maxPages} pages; giving up`,
          { kind: 'external' },
        );
      }
      const next: Array<{ query: Query; token?: string }> = [];
      for (let i = 0; i < pending.length; i += size) {
        const batch = pending.slice(i, i + size);
        const results = await this.#queryBatch(batch);
        results.forEach((result, j) => {
          for (const [id, modified] of result.vulns) ids.set(id, modified);
          if (result.token !== undefined)
            next.push({ query: (batch[j] as { query: Query }).query, token: result.token });
        });
      }
      if (round > 0) this.stats.pages += pending.length;
      pending = next;
    }
    return ids;
  }

  async #queryBatch(
    batch: ReadonlyArray<{ query: Query; token?: string }>,
  ): Promise<Array<{ vulns: Array<[string, string]>; token: string | undefined }>> {
    this.stats.batches++;
    const url = `${this.#base}/v1/querybatch`;
    const body = JSON.stringify({
      queries: batch.map(({ query, token }) => ({
        package: { name: query.name, ecosystem: query.ecosystem },
        version: apiVersion(query),
        ...(token === undefined ? {} : { page_token: token }),
      })),
    });
    const json = await this.#request(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    if (!isObject(json) || (json.results !== undefined && !Array.isArray(json.results))) {
      throw this.#badAnswer(url, 'expected {"results": [...]}');
    }
    const results = (json.results ?? []) as unknown[];
    if (results.length !== batch.length) {
      throw this.#badAnswer(url, `${results.length} results for ${batch.length} queries`);
    }
    return results.map((result, i) => {
      if (!isObject(result)) throw this.#badAnswer(url, `results[${i}] is not an object`);
      const vulns = result.vulns ?? [];
      if (!Array.isArray(vulns)) throw this.#badAnswer(url, `results[${i}].vulns is not a list`);
      const token = result.next_page_token;
      if (token !== undefined && (typeof token !== 'string' || token === '')) {
        throw this.#badAnswer(url, `results[${i}].next_page_token is not a string`);
      }
      return {
        vulns: vulns.map((v, k): [string, string] => {
          if (!isObject(v) || typeof v.id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._:+-]{0,200}$/.test(v.id)) {
            throw this.#badAnswer(url, `results[${i}].vulns[${k}] has no valid id`);
          }
          return [v.id, typeof v.modified === 'string' ? v.modified : ''];
        }),
        token: token as string | undefined,
      };
    });
  }

  async #fetchAll(ids: readonly [string, string][]): Promise<Advisory[]> {
    const out: Advisory[] = [];
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const [id, modified] = ids[next++] as [string, string];
        out.push(await this.#fetchOne(id, modified));
      }
    };
    const n = Math.max(1, Math.min(this.#options.concurrency ?? 8, ids.length));
    await Promise.all(Array.from({ length: n }, worker));
    return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  #cachePath(id: string, modified: string): string | undefined {
    if (this.#options.cacheDir === undefined || modified === '') return undefined;
    const key = createHash('sha256').update(`${id}\u0000${modified}`).digest('hex');
    return join(this.#options.cacheDir, `${key}.json`);
  }

  async #fetchOne(id: string, modified: string): Promise<Advisory> {
    const cached = this.#cachePath(id, modified);
    if (cached !== undefined) {
      try {
        const advisory = parseAdvisoryJson(readFileSync(cached, 'utf8'), `cache ${cached}`);
        if (advisory.id === id && advisory.modified === modified) {
          this.stats.cached++;
          return advisory;
        }
      } catch {
        // missing or unreadable: fetch it again
      }
    }
    const url = `${this.#base}/v1/vulns/${encodeURIComponent(id)}`;
    const json = await this.#request(url, { method: 'GET' });
    const advisory = parseAdvisory(json, url);
    if (advisory.id !== id) throw this.#badAnswer(url, `asked for ${id}, got ${advisory.id}`);
    this.stats.fetched++;
    if (cached !== undefined && advisory.modified === modified) {
      try {
        mkdirSync(this.#options.cacheDir as string, { recursive: true, mode: 0o700 });
        writeFileSync(cached, JSON.stringify(json), { mode: 0o600 });
        chmodSync(cached, 0o600);
      } catch (error) {
        this.#log.debug(`could not cache ${id}: ${(error as Error).message}`);
      }
    }
    return advisory;
  }

  async #request(
    url: string,
    init: { method: string; body?: string; headers?: Record<string, string> },
  ): Promise<unknown> {
    let response: Awaited<ReturnType<HttpClient['request']>>;
    try {
      response = await this.#options.http.request({
        url,
        method: init.method,
        ...(init.body === undefined ? {} : { body: init.body }),
        headers: { accept: 'application/json', ...init.headers },
        service: 'the OSV API',
        maxResponseBytes: 64 * 1024 * 1024,
      });
    } catch (error) {
      const reason = error instanceof HttpError ? error.message : (error as Error).message;
      throw new DepsError(
        'db-unavailable',
        `the OSV API at ${this.#base} is unavailable (${reason}); without network access scan with an offline database (input 'offline-db', option --offline-db)`,
        { cause: error, kind: 'external' },
      );
    }
    if (!response.ok) {
      let detail = '';
      try {
        const body = response.json();
        if (isObject(body) && typeof body.message === 'string') detail = `: ${body.message.slice(0, 200)}`;
      } catch {
        // not JSON: the status says enough
      }
      throw new DepsError(
        'db-unavailable',
        `the OSV API answered HTTP ${response.status} to ${init.method} ${new URL(url).pathname}${detail}`,
        // 400 means Airlock sent a request the API does not accept: a bug. Anything else is the service's doing.
        { kind: response.status === 400 ? 'bug' : 'external' },
      );
    }
    try {
      return response.json();
    } catch (error) {
      throw this.#badAnswer(url, (error as Error).message);
    }
  }

  #badAnswer(url: string, what: string): DepsError {
    return new DepsError('db-unavailable', `unexpected answer from the OSV API (${new URL(url).pathname}): ${what}`, {
      kind: 'external',
    });
  }
}

/**
 * The version as the OSV API expects it. Go module versions are written `v1.2.3` but OSV's Go advisories use SEMVER
 * ranges without the `v`, and the API matches a `v`-prefixed version against none of them: a silent false negative
 * for a whole ecosystem unless the prefix is dropped.
 */
export function apiVersion(query: { readonly ecosystem: Ecosystem; readonly version: string }): string {
  return query.ecosystem === 'Go' ? query.version.replace(/^v(?=\d)/, '') : query.version;
}
