/**
 * A loopback OSV API (https://google.github.io/osv.dev/api/) for tests: `POST /v1/querybatch` and
 * `GET /v1/vulns/{id}`, speaking the real wire format and error shapes (`{"code": 3, "message": …}` as the service's
 * gRPC gateway answers), and checking what it is sent: JSON bodies, at most 1000 queries per batch, a package with
 * name and ecosystem plus a version (or a commit), page tokens that belong to the query they are sent with.
 *
 * Matching is the emulator's own, deliberately independent of Airlock's matcher: a query matches an advisory when an
 * `affected[]` entry names the package (PyPI names compared per PEP 503) and lists the version in `versions`, or a
 * SEMVER/ECOSYSTEM range holds it by a plain dotted-numeric comparison. Results are paginated per query
 * (`pageSize`), with `next_page_token` as the service does.
 */
import { createHash } from 'node:crypto';
import { type LoopbackServer, listen, sendJson } from './net.ts';

export interface OsvEmulatorOptions {
  /** Advisories as OSV JSON objects. */
  readonly advisories: readonly Record<string, unknown>[];
  /** Vulnerabilities per query page (the service uses a larger number; tests use small ones). */
  readonly pageSize?: number;
}

export interface OsvRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly queries?: number;
  readonly pageTokens?: number;
  readonly status: number;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;

const pep503 = (name: string) => name.toLowerCase().replace(/[-_.]+/g, '-');
const sameName = (ecosystem: string, a: string, b: string) =>
  ecosystem === 'PyPI' ? pep503(a) === pep503(b) : a === b;

function dotted(a: string, b: string): number {
  const pa = a
    .replace(/^v/, '')
    .split(/[.+-]/)
    .map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  const pb = b
    .replace(/^v/, '')
    .split(/[.+-]/)
    .map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

function affects(advisory: Obj, ecosystem: string, name: string, version: string): boolean {
  if (advisory.withdrawn !== undefined) return false;
  for (const entry of (advisory.affected as unknown[] | undefined) ?? []) {
    const a = obj(entry);
    const pkg = obj(a?.package);
    if (pkg?.ecosystem !== ecosystem || typeof pkg.name !== 'string' || !sameName(ecosystem, pkg.name, name)) continue;
    if (((a?.versions as unknown[] | undefined) ?? []).includes(version)) return true;
    for (const r of (a?.ranges as unknown[] | undefined) ?? []) {
      const range = obj(r);
      if (range?.type === 'GIT') continue;
      // Like the service: SEMVER versions carry no `v` prefix, and a Go version sent with one matches no range.
      if (range?.type === 'SEMVER' && /^v\d/.test(version)) continue;
      let hit = false;
      for (const e of (range?.events as Obj[] | undefined) ?? []) {
        if (typeof e.introduced === 'string' && (e.introduced === '0' || dotted(version, e.introduced) >= 0))
          hit = true;
        if (typeof e.fixed === 'string' && dotted(version, e.fixed) >= 0) hit = false;
        if (typeof e.last_affected === 'string' && dotted(version, e.last_affected) > 0) hit = false;
      }
      if (hit) return true;
    }
  }
  return false;
}

export class OsvApiEmulator {
  readonly requests: OsvRequestRecord[] = [];
  readonly #byId = new Map<string, Obj>();
  readonly #pageSize: number;
  #server: LoopbackServer | undefined;
  /** Answer the next N requests with this status (e.g. 503 to test retries). */
  #faults: Array<{ status: number; body: unknown }> = [];

  constructor(options: OsvEmulatorOptions) {
    for (const a of options.advisories) this.#byId.set(String(a.id), a as Obj);
    this.#pageSize = options.pageSize ?? 1000;
  }

  get origin(): string {
    if (this.#server === undefined) throw new Error('OsvApiEmulator: not started');
    return this.#server.origin;
  }

  failNext(
    count: number,
    status = 503,
    body: unknown = { code: 14, message: 'The service is currently unavailable.' },
  ): void {
    for (let i = 0; i < count; i++) this.#faults.push({ status, body });
  }

  async start(): Promise<this> {
    this.#server = await listen((req, res, body) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const record = (status: number, extra: Partial<OsvRequestRecord> = {}) =>
        this.requests.push({ method: req.method ?? '', path: url.pathname, status, ...extra });
      const fault = this.#faults.shift();
      if (fault !== undefined) {
        record(fault.status);
        return sendJson(res, fault.status, fault.body);
      }
      if (req.method === 'POST' && url.pathname === '/v1/querybatch') {
        const answer = this.#querybatch(req.headers['content-type'], body);
        record(answer.status, answer.record);
        return sendJson(res, answer.status, answer.body);
      }
      const vuln = /^\/v1\/vulns\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && vuln) {
        const advisory = this.#byId.get(decodeURIComponent(vuln[1] as string));
        record(advisory ? 200 : 404);
        return advisory ? sendJson(res, 200, advisory) : sendJson(res, 404, { code: 5, message: 'Bug not found.' });
      }
      record(404);
      return sendJson(res, 404, { code: 5, message: 'Not Found' });
    });
    return this;
  }

  async close(): Promise<void> {
    await this.#server?.close();
  }

  #token(query: Obj, offset: number): string {
    const digest = createHash('sha256')
      .update(JSON.stringify([query.package, query.version, query.commit]))
      .digest('hex');
    return Buffer.from(`${offset}:${digest.slice(0, 16)}`).toString('base64url');
  }

  #querybatch(
    contentType: string | undefined,
    body: Buffer,
  ): { status: number; body: unknown; record: Partial<OsvRequestRecord> } {
    const invalid = (message: string) => ({ status: 400, body: { code: 3, message }, record: {} });
    if (!/^application\/json/.test(contentType ?? '')) return invalid('Content-Type must be application/json.');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return invalid('Invalid JSON payload received.');
    }
    const queries = obj(parsed)?.queries;
    if (!Array.isArray(queries)) return invalid('Invalid JSON payload received. Expected "queries".');
    if (queries.length > 1000) return invalid('Too many queries.');
    let tokens = 0;
    const results: unknown[] = [];
    for (const raw of queries) {
      const query = obj(raw);
      const pkg = obj(query?.package);
      if (query === undefined || typeof pkg?.name !== 'string' || typeof pkg.ecosystem !== 'string') {
        return invalid('Invalid query: a package with name and ecosystem is required.');
      }
      if (typeof query.version !== 'string' && typeof query.commit !== 'string') {
        return invalid('Invalid query: version or commit is required.');
      }
      let offset = 0;
      if (query.page_token !== undefined) {
        tokens++;
        const [at, digest] = Buffer.from(String(query.page_token), 'base64url').toString('utf8').split(':');
        if (digest === undefined || this.#token(query, Number(at)) !== query.page_token)
          return invalid('Invalid page token.');
        offset = Number(at);
      }
      const version = typeof query.version === 'string' ? query.version : undefined;
      const name = pkg.name;
      const hits = [...this.#byId.values()]
        .filter((a) => version !== undefined && affects(a, pkg.ecosystem as string, name, version))
        .map((a) => ({ id: a.id, modified: a.modified }));
      const page = hits.slice(offset, offset + this.#pageSize);
      const next = offset + this.#pageSize < hits.length ? this.#token(query, offset + this.#pageSize) : undefined;
      results.push({
        ...(page.length > 0 ? { vulns: page } : {}),
        ...(next === undefined ? {} : { next_page_token: next }),
      });
    }
    return { status: 200, body: { results }, record: { queries: queries.length, pageTokens: tokens } };
  }
}
