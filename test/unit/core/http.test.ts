import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect as netConnect } from 'node:net';
import {
  bypassesProxy,
  createNodeFetch,
  type FetchLike,
  HttpClient,
  HttpError,
  MemoryLogger,
  proxySettingsFromEnv,
  retryAfterMs,
} from '@airlock/core';
import { createTestTls, type LoopbackServer, listen, sendJson } from '@airlock/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const servers: Array<{ close(): Promise<void> | void }> = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** A fetch that answers from a script of statuses (or throws), recording each call. */
function scripted(script: Array<number | Error | { status: number; headers?: Record<string, string>; body?: string }>) {
  const calls: string[] = [];
  const fetch: FetchLike = async (url, init) => {
    calls.push(`${init.method} ${url}`);
    const step = script[Math.min(calls.length - 1, script.length - 1)];
    if (step instanceof Error) throw step;
    const spec =
      typeof step === 'number'
        ? { status: step }
        : (step as { status: number; headers?: Record<string, string>; body?: string });
    const headers = new Headers(spec.headers ?? {});
    return {
      status: spec.status,
      statusText: '',
      url,
      headers,
      body: (async function* () {
        yield new TextEncoder().encode(spec.body ?? '');
      })(),
    };
  };
  return { fetch, calls };
}

function client(fetch: FetchLike, sleeps: number[] = [], now = () => 0) {
  return new HttpClient({ fetch, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, now });
}

describe('HttpClient retries', () => {
  it('retries 5xx and 429 with growing jittered delays, then succeeds', async () => {
    const { fetch, calls } = scripted([503, 429, 200]);
    const sleeps: number[] = [];
    const res = await client(fetch, sleeps).request({ url: 'https://sts.example.com/' });
    expect(res.status).toBe(200);
    expect(res.attempts).toBe(3);
    expect(calls).toHaveLength(3);
    expect(sleeps).toEqual([187.5, 375]); // base 250 ms: (1/2 + 0.5/2) × 250, then × 2
  });

  it('never retries a 4xx: it is returned for the caller to interpret', async () => {
    const { fetch, calls } = scripted([{ status: 403, body: '<Error><Code>AccessDenied</Code></Error>' }]);
    const res = await client(fetch).request({ url: 'https://sts.example.com/', body: 'x' });
    expect(res.status).toBe(403);
    expect(res.text()).toContain('AccessDenied');
    expect(calls).toEqual(['POST https://sts.example.com/']);
  });

  it('lets the caller classify (STS Throttling in a 400 body is transient)', async () => {
    const { fetch, calls } = scripted([{ status: 400, body: '<Code>Throttling</Code>' }, 200]);
    const res = await client(fetch).request({
      url: 'https://sts.example.com/',
      classify: (a) => (a.response?.text().includes('Throttling') ? 'retry' : a.response?.ok ? 'done' : 'retry'),
    });
    expect(res.status).toBe(200);
    expect(calls).toHaveLength(2);
  });

  it('honours Retry-After when longer than the backoff', async () => {
    const { fetch } = scripted([{ status: 503, headers: { 'retry-after': '3' } }, 200]);
    const sleeps: number[] = [];
    await client(fetch, sleeps).request({ url: 'https://x.example/' });
    expect(sleeps).toEqual([3000]);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(5000);
    expect(retryAfterMs('soon', 0)).toBeUndefined();
  });

  it('stops at the deadline and returns the last response', async () => {
    let t = 0;
    const { fetch, calls } = scripted([503]);
    const sleeps: number[] = [];
    const http = new HttpClient({
      fetch,
      sleep: async (ms) => {
        sleeps.push(ms);
        t += ms;
      },
      random: () => 1,
      now: () => t,
      retry: { maxAttempts: 100, baseDelayMs: 1000, maxDelayMs: 8000, deadlineMs: 20_000 },
    });
    const res = await http.request({ url: 'https://x.example/' });
    expect(res.status).toBe(503);
    expect(sleeps).toEqual([1000, 2000, 4000, 8000]);
    expect(calls).toHaveLength(5);
  });

  it('makes no attempt in the last moments before the deadline, even when a timer fires late', async () => {
    // 503s; each sleep overshoots by 50 ms, as a loaded machine's timers do. Without the margin the last attempt
    // would start with a few milliseconds left, time out, and hide the 503 behind its timeout.
    let t = 0;
    const { fetch, calls } = scripted([503]);
    const http = new HttpClient({
      fetch,
      sleep: async (ms) => {
        t += ms + 50;
      },
      random: () => 1,
      now: () => t,
      retry: { maxAttempts: 100, baseDelayMs: 1000, maxDelayMs: 1000, deadlineMs: 3_120 },
    });
    const res = await http.request({ url: 'https://x.example/' });
    expect(res.status).toBe(503);
    expect(calls).toHaveLength(3); // at 0, 1050 and 2100 ms; at 3150 ms the deadline has passed
    // Time left after a sleep, but less than an attempt needs: the last response still comes back.
    t = 0;
    const late = new HttpClient({
      fetch,
      sleep: async (ms) => {
        t += ms + 70;
      },
      random: () => 1,
      now: () => t,
      retry: { maxAttempts: 100, baseDelayMs: 1000, maxDelayMs: 1000, deadlineMs: 1_150 },
    });
    calls.length = 0;
    expect((await late.request({ url: 'https://x.example/' })).status).toBe(503);
    expect(calls).toHaveLength(1); // 1,000 + 100 < 1,150 lets it sleep; at 1,070 only 80 ms are left
  });

  it('turns repeated network errors into an external HttpError naming the service, without the query string', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const { fetch, calls } = scripted([refused]);
    const error = await client(fetch)
      .request({
        url: 'https://sts.example.com/path?X-Amz-Signature=abc123',
        service: 'AWS STS',
        retry: { maxAttempts: 3 },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ code: 'http-network', kind: 'external', attempts: 3 });
    expect((error as Error).message).toBe(
      'cannot reach AWS STS: ECONNREFUSED (connect ECONNREFUSED 127.0.0.1:1) (GET https://sts.example.com/path)',
    );
    expect((error as Error).message).not.toContain('abc123');
    expect(calls).toHaveLength(3);
  });

  it('logs attempts at debug level without bodies', async () => {
    const logger = new MemoryLogger();
    const { fetch } = scripted([{ status: 503, body: 'token=SECRET' }, 200]);
    await new HttpClient({ fetch, logger, sleep: async () => {}, random: () => 0 }).request({
      url: 'https://x.example/a?q=1',
      body: 'password=SECRET',
    });
    expect(logger.text()).toBe('POST https://x.example/a: HTTP 503; retrying in 125 ms (attempt 2 of 4)');
  });

  it('refuses oversized responses', async () => {
    const { fetch } = scripted([{ status: 200, body: 'x'.repeat(2000) }]);
    await expect(client(fetch).request({ url: 'https://x.example/', maxResponseBytes: 1000 })).rejects.toMatchObject({
      code: 'http-too-large',
    });
  });

  it('encodes URLSearchParams bodies as a form', async () => {
    let seen: { headers?: Record<string, string>; body?: unknown } = {};
    const fetch: FetchLike = async (url, init) => {
      seen = init as typeof seen;
      return scripted([200]).fetch(url, init);
    };
    await client(fetch).request({ url: 'https://x.example/', body: new URLSearchParams({ a: '1 2', b: '&' }) });
    expect(seen.body).toBe('a=1+2&b=%26');
    expect(seen.headers?.['content-type']).toBe('application/x-www-form-urlencoded');
  });
});

describe('createNodeFetch against loopback servers', () => {
  async function server(handler: Parameters<typeof listen>[0]): Promise<LoopbackServer> {
    const s = await listen(handler);
    servers.push(s);
    return s;
  }

  it('performs a request and reads the response', async () => {
    const s = await server((req, res, body) =>
      sendJson(res, 201, { method: req.method, body: body.toString(), ua: req.headers['user-agent'] }),
    );
    const http = new HttpClient({ fetch: createNodeFetch(), userAgent: 'airlock-test/1' });
    const res = await http.request({ url: `${s.origin}/x`, body: 'hello' });
    expect(res.status).toBe(201);
    expect(res.json()).toEqual({ method: 'POST', body: 'hello', ua: 'airlock-test/1' });
    expect(res.header('Content-Type')).toBe('application/json; charset=utf-8');
  });

  it('does not follow redirects, so a credential never goes to another origin', async () => {
    const s = await server((_req, res) => {
      res.writeHead(302, { location: 'https://elsewhere.example/' });
      res.end();
    });
    const res = await new HttpClient({ fetch: createNodeFetch() }).request({ url: s.origin });
    expect(res.status).toBe(302);
  });

  it('times out a slow server and retries it', async () => {
    let hits = 0;
    const s = await server(async (_req, res) => {
      hits++;
      if (hits === 1) await new Promise((resolve) => setTimeout(resolve, 2000));
      sendJson(res, 200, { hits });
    });
    const http = new HttpClient({ fetch: createNodeFetch(), sleep: async () => {}, timeoutMs: 200 });
    const res = await http.request({ url: s.origin });
    expect(res.json()).toEqual({ hits: 2 });
    const slowOnly = new HttpClient({
      fetch: createNodeFetch(),
      sleep: async () => {},
      timeoutMs: 100,
      retry: { maxAttempts: 1 },
    });
    hits = 0;
    await expect(slowOnly.request({ url: s.origin, service: 'Slow' })).rejects.toMatchObject({
      code: 'http-timeout',
      message: `Slow did not answer within 100 ms (GET ${s.origin}/)`,
    });
  });

  it('trusts an extra CA for a private HTTPS instance, and refuses it without', async () => {
    const tls = await createTestTls();
    const httpsServer = createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, (_req, res) =>
      sendJson(res, 200, { tls: true }),
    );
    await new Promise<void>((resolve) => httpsServer.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => new Promise<void>((resolve) => httpsServer.close(() => resolve())) });
    const url = `https://127.0.0.1:${(httpsServer.address() as AddressInfo).port}/`;
    const trusting = new HttpClient({ fetch: createNodeFetch({ ca: tls.caPem }) });
    expect((await trusting.request({ url })).json()).toEqual({ tls: true });
    const untrusting = new HttpClient({ fetch: createNodeFetch(), retry: { maxAttempts: 1 } });
    await expect(untrusting.request({ url })).rejects.toMatchObject({ code: 'http-network' });
  });

  it('tunnels HTTPS through an HTTP proxy with CONNECT and proxy credentials', async () => {
    const tls = await createTestTls({ dnsNames: ['api.test'] });
    const target = createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) =>
      sendJson(res, 200, { path: req.url, host: req.headers.host }),
    );
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const targetPort = (target.address() as AddressInfo).port;
    const connects: Array<{ authority: string | undefined; auth: string | undefined }> = [];
    const sockets: Array<{ destroy(): void }> = [];
    const proxy = createHttpServer();
    proxy.on('connect', (req, socket, head) => {
      sockets.push(socket);
      connects.push({ authority: req.url, auth: req.headers['proxy-authorization'] });
      const [host, port] = (req.url ?? '').split(':');
      // the proxy reaches 'api.test' at the loopback target
      const upstream = netConnect(host === 'api.test' ? targetPort : Number(port), '127.0.0.1', () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        sockets.push(upstream);
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const closeServer = (s: typeof proxy | typeof target) =>
      new Promise<void>((resolve) => {
        s.closeAllConnections();
        s.close(() => resolve());
      });
    servers.push({
      close: async () => {
        for (const socket of sockets) socket.destroy();
        await Promise.all([closeServer(proxy), closeServer(target)]);
      },
    });
    const proxyUrl = `http://user:p%40ss@127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const fetch = createNodeFetch({
      ca: tls.caPem,
      proxy: proxySettingsFromEnv({ HTTPS_PROXY: proxyUrl, NO_PROXY: 'internal.example' }),
    });
    // 'api.test' exists only inside the proxy, which maps it to the loopback target: the request can only succeed
    // through the tunnel, with TLS to the target (its certificate names api.test) running inside it.
    const res = await new HttpClient({ fetch, retry: { maxAttempts: 1 } }).request({
      url: 'https://api.test/v1/x?y=1',
    });
    expect(res.json()).toEqual({ path: '/v1/x?y=1', host: 'api.test' });
    expect(connects).toEqual([
      { authority: 'api.test:443', auth: `Basic ${Buffer.from('user:p@ss').toString('base64')}` },
    ]);
    // NO_PROXY hosts do not go through it
    await expect(
      new HttpClient({ fetch, retry: { maxAttempts: 1 }, timeoutMs: 2000 }).request({
        url: 'https://internal.example/',
      }),
    ).rejects.toMatchObject({ code: 'http-network' });
    expect(connects).toHaveLength(1);
  });
});

describe('proxy settings', () => {
  it('reads lower case first, like curl', () => {
    expect(proxySettingsFromEnv({ https_proxy: 'http://a:1', HTTPS_PROXY: 'http://b:2', NO_PROXY: '.corp' })).toEqual({
      httpProxy: undefined,
      httpsProxy: 'http://a:1',
      noProxy: '.corp',
    });
  });

  it('matches NO_PROXY entries by host suffix, port and wildcard; loopback always bypasses', () => {
    const u = (s: string) => new URL(s);
    expect(bypassesProxy(u('https://api.corp.example/'), 'corp.example')).toBe(true);
    expect(bypassesProxy(u('https://api.corp.example/'), '.corp.example')).toBe(true);
    expect(bypassesProxy(u('https://corp.example/'), '.corp.example')).toBe(true);
    expect(bypassesProxy(u('https://notcorp.example/'), 'corp.example')).toBe(false);
    expect(bypassesProxy(u('https://vault.corp:8200/'), 'vault.corp:8200')).toBe(true);
    expect(bypassesProxy(u('https://vault.corp:8201/'), 'vault.corp:8200')).toBe(false);
    expect(bypassesProxy(u('https://anything/'), '*')).toBe(true);
    expect(bypassesProxy(u('http://127.0.0.1:9000/'), undefined)).toBe(true);
    expect(bypassesProxy(u('http://[::1]:9000/'), undefined)).toBe(true);
    expect(bypassesProxy(u('https://10.0.0.5/'), 'a.example, 10.0.0.5')).toBe(true);
    expect(bypassesProxy(u('https://sts.amazonaws.com/'), undefined)).toBe(false);
  });
});
