import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeFetch, HttpClient } from '@airlock/core';
import { OsvApiEmulator } from '@airlock/testkit/osv';
import { afterEach, describe, expect, it } from 'vitest';
import { OsvApi } from '../../../packages/deps/src/osv/online.ts';
import { advisory } from '../../fixtures/scan/helpers.ts';

const emulators: OsvApiEmulator[] = [];
afterEach(async () => {
  for (const e of emulators.splice(0)) await e.close();
});
const start = async (advisories: Record<string, unknown>[], pageSize?: number) => {
  const e = await new OsvApiEmulator({ advisories, ...(pageSize === undefined ? {} : { pageSize }) }).start();
  emulators.push(e);
  return e;
};
const http = () => new HttpClient({ fetch: createNodeFetch(), sleep: async () => {}, retry: { maxAttempts: 3 } });

describe('OSV API client', () => {
  it('queries in batches of at most 1000 and fetches each advisory once', async () => {
    const api = await start([
      advisory('GHSA-aaaa-aaaa-aaaa', 'npm', 'pkg-7', [{ introduced: '0' }, { fixed: '2.0.0' }]),
      advisory('PYSEC-2024-1', 'PyPI', 'Jinja2', [{ introduced: '0' }, { fixed: '3.0' }]),
    ]);
    const packages = Array.from({ length: 2500 }, (_, i) => ({
      ecosystem: 'npm' as const,
      name: `pkg-${i}`,
      version: '1.0.0',
    }));
    packages.push({ ecosystem: 'PyPI' as never, name: 'jinja2', version: '2.10' });
    const client = await new OsvApi({ http: http(), baseUrl: api.origin }).load(packages);
    const batches = api.requests.filter((r) => r.path === '/v1/querybatch');
    expect(batches.map((r) => r.queries)).toEqual([1000, 1000, 501]);
    expect(
      api.requests
        .filter((r) => r.path.startsWith('/v1/vulns/'))
        .map((r) => r.path)
        .sort(),
    ).toEqual(['/v1/vulns/GHSA-aaaa-aaaa-aaaa', '/v1/vulns/PYSEC-2024-1']);
    expect(client.lookup('npm', 'pkg-7').map((a) => a.id)).toEqual(['GHSA-aaaa-aaaa-aaaa']);
    expect(client.lookup('PyPI', 'jinja2').map((a) => a.id)).toEqual(['PYSEC-2024-1']);
  });

  it('sends Go versions without the v prefix, as OSV writes them (else the API matches nothing)', async () => {
    const api = await start([
      advisory('GO-2020-0001', 'Go', 'github.com/gin-gonic/gin', [{ introduced: '0' }, { fixed: '1.6.0' }]),
    ]);
    const client = await new OsvApi({ http: http(), baseUrl: api.origin }).load([
      { ecosystem: 'Go', name: 'github.com/gin-gonic/gin', version: 'v1.5.0' },
    ]);
    expect(client.lookup('Go', 'github.com/gin-gonic/gin').map((a) => a.id)).toEqual(['GO-2020-0001']);
    const direct = await fetch(`${api.origin}/v1/querybatch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        queries: [{ package: { name: 'github.com/gin-gonic/gin', ecosystem: 'Go' }, version: 'v1.5.0' }],
      }),
    });
    expect(await direct.json()).toEqual({ results: [{}] }); // the emulator, like the service, matches no v-prefixed version
  });

  it('follows next_page_token per query until the last page', async () => {
    const many = Array.from({ length: 5 }, (_, i) =>
      advisory(`GHSA-${i}aaa-aaaa-aaaa`, 'npm', 'lodash', [{ introduced: '0' }]),
    );
    const api = await start(many, 2);
    const client = await new OsvApi({ http: http(), baseUrl: api.origin }).load([
      { ecosystem: 'npm', name: 'lodash', version: '4.17.20' },
      { ecosystem: 'npm', name: 'other', version: '1.0.0' },
    ]);
    expect(client.lookup('npm', 'lodash')).toHaveLength(5);
    const batches = api.requests.filter((r) => r.path === '/v1/querybatch');
    expect(batches.map((r) => [r.queries, r.pageTokens])).toEqual([
      [2, 0],
      [1, 1],
      [1, 1],
    ]);
  });

  it('caches advisories by id and modified (0600 files) and reuses them', async () => {
    const api = await start([advisory('GHSA-aaaa-aaaa-aaaa', 'npm', 'lodash', [{ introduced: '0' }])]);
    const cacheDir = join(mkdtempSync(join(tmpdir(), 'airlock-cache-')), 'osv');
    const q = [{ ecosystem: 'npm' as const, name: 'lodash', version: '1.0.0' }];
    const first = new OsvApi({ http: http(), baseUrl: api.origin, cacheDir });
    await first.load(q);
    expect(first.stats).toMatchObject({ fetched: 1, cached: 0 });
    const [file] = readdirSync(cacheDir);
    expect(statSync(join(cacheDir, file as string)).mode & 0o777).toBe(0o600);
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    const second = new OsvApi({ http: http(), baseUrl: api.origin, cacheDir });
    await second.load(q);
    expect(second.stats).toMatchObject({ fetched: 0, cached: 1 });
    expect(second.lookup('npm', 'lodash')).toHaveLength(1);
  });

  it('retries transient failures (503) and then succeeds', async () => {
    const api = await start([advisory('GHSA-aaaa-aaaa-aaaa', 'npm', 'lodash', [{ introduced: '0' }])]);
    api.failNext(2, 503);
    const client = await new OsvApi({ http: http(), baseUrl: api.origin }).load([
      { ecosystem: 'npm', name: 'lodash', version: '1.0.0' },
    ]);
    expect(client.lookup('npm', 'lodash')).toHaveLength(1);
    expect(api.requests.slice(0, 3).map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('fails clearly when the API cannot be reached: never "no vulnerabilities"', async () => {
    const api = await start([]);
    const origin = api.origin;
    await api.close();
    await expect(
      new OsvApi({ http: http(), baseUrl: origin }).load([{ ecosystem: 'npm', name: 'x', version: '1.0.0' }]),
    ).rejects.toThrow(
      /the OSV API at http:\/\/127.0.0.1:\d+ is unavailable \(.*ECONNREFUSED.*\); without network access scan with an offline database/,
    );
  });

  it('reports the service error message of a 4xx answer', async () => {
    const api = await start([]);
    api.failNext(1, 400, { code: 3, message: 'Too many queries.' });
    await expect(
      new OsvApi({ http: http(), baseUrl: api.origin }).load([{ ecosystem: 'npm', name: 'x', version: '1' }]),
    ).rejects.toThrow('the OSV API answered HTTP 400 to POST /v1/querybatch: Too many queries.');
  });

  it('refuses an answer that does not match the queries', async () => {
    const api = await start([]);
    api.failNext(1, 200, { results: [] });
    await expect(
      new OsvApi({ http: http(), baseUrl: api.origin }).load([{ ecosystem: 'npm', name: 'x', version: '1' }]),
    ).rejects.toThrow(/unexpected answer from the OSV API \(\/v1\/querybatch\): 0 results for 1 queries/);
  });
});

describe('the OSV API emulator checks what it is sent', () => {
  it('answers malformed requests with the service error shape', async () => {
    const api = await start([]);
    const post = (body: string, type = 'application/json') =>
      fetch(`${api.origin}/v1/querybatch`, { method: 'POST', body, headers: { 'content-type': type } });
    expect(await (await post('{')).json()).toEqual({ code: 3, message: 'Invalid JSON payload received.' });
    const tooMany = await post(
      JSON.stringify({
        queries: Array.from({ length: 1001 }, () => ({ package: { name: 'x', ecosystem: 'npm' }, version: '1' })),
      }),
    );
    expect([tooMany.status, await tooMany.json()]).toEqual([400, { code: 3, message: 'Too many queries.' }]);
    const badToken = await post(
      JSON.stringify({ queries: [{ package: { name: 'x', ecosystem: 'npm' }, version: '1', page_token: 'forged' }] }),
    );
    expect(await badToken.json()).toEqual({ code: 3, message: 'Invalid page token.' });
    const missing = await fetch(`${api.origin}/v1/vulns/GHSA-none`);
    expect([missing.status, await missing.json()]).toEqual([404, { code: 5, message: 'Bug not found.' }]);
  });
});
