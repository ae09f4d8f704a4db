import { type FetchLike, type FetchResponseLike, HttpClient } from '@airlock/core';
import {
  backoffMs,
  FreshToken,
  parseStsError,
  sendClassified,
  sendWithToken,
  stsClassifier,
  xmlRoot,
  xmlText,
} from '@airlock/oidc';
import { describe, expect, it } from 'vitest';
import { secretsManagerClassifier } from '../../../packages/oidc/src/providers/aws/secrets-manager.ts';
import { entraClassifier } from '../../../packages/oidc/src/providers/azure.ts';

/** Classified retries, on a virtual clock: transient answers are retried with jittered backoff, final ones never. */
const stsError = (code: string, type = 'Sender') =>
  `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>${type}</Type><Code>${code}</Code><Message>m &amp; more</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`;

type Scripted = { status: number; body?: string; headers?: Record<string, string> } | 'network';

function scripted(script: Scripted[], seen: Array<{ body: string }> = []) {
  let i = 0;
  const fetch: FetchLike = async (_url, init) => {
    seen.push({ body: String(init.body ?? '') });
    const step = script[Math.min(i++, script.length - 1)] as Scripted;
    if (step === 'network') throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const bytes = new TextEncoder().encode(step.body ?? '');
    const headers = new Map(Object.entries(step.headers ?? {}));
    const response: FetchResponseLike = {
      status: step.status,
      statusText: '',
      url: 'https://sts.example/',
      headers: {
        get: (n) => headers.get(n) ?? null,
        forEach: (fn) => {
          for (const [k, v] of headers) fn(v, k);
        },
      },
      body: (async function* () {
        yield bytes;
      })(),
    };
    return response;
  };
  return { fetch, calls: () => i };
}

function clock() {
  let t = 1_000_000;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    advance: (ms: number) => {
      t += ms;
    },
    sleeps,
  };
}

const response = (status: number, body: string) => ({
  status,
  statusText: '',
  url: '',
  ok: status < 300,
  header: () => undefined,
  body: new TextEncoder().encode(body),
  text: () => body,
  json: () => JSON.parse(body),
  attempts: 1,
});

describe('STS error classification', () => {
  it.each([
    ['Throttling', 'retry'],
    ['IDPCommunicationError', 'retry'],
    ['ServiceUnavailable', 'retry'],
    ['AccessDenied', 'done'],
    ['InvalidIdentityToken', 'done'],
    ['ExpiredTokenException', 'done'],
    ['IDPRejectedClaim', 'done'],
    ['ValidationError', 'done'],
    ['MalformedPolicyDocument', 'done'],
  ])('%s → %s', (code, decision) => {
    expect(stsClassifier({ response: response(400, stsError(code)) })).toBe(decision);
  });

  it('retries 5xx and 429 without an STS document, never other 4xx, never success', () => {
    expect(stsClassifier({ response: response(503, 'busy') })).toBe('retry');
    expect(stsClassifier({ response: response(429, '') })).toBe('retry');
    expect(stsClassifier({ response: response(403, 'no') })).toBe('done');
    expect(stsClassifier({ response: response(200, '') })).toBe('done');
    expect(stsClassifier({ response: response(501, '') })).toBe('done');
  });

  it('parses the error document (entities decoded)', () => {
    expect(parseStsError(response(400, stsError('AccessDenied')))).toEqual({
      type: 'Sender',
      code: 'AccessDenied',
      message: 'm & more',
      requestId: 'r-1',
    });
    expect(parseStsError(response(400, '<html>oops</html>'))).toBeUndefined();
    expect(xmlRoot('<?xml version="1.0"?>\n<a:Root xmlns:a="x"><b>1</b></a:Root>')).toBe('Root');
    expect(xmlText('<R><A><B>x&lt;&#65;&#x42;</B></A></R>', ['A', 'B'])).toBe('x<AB');
    expect(xmlText('<R><A><B><C>1</C></B></A></R>', ['A', 'B'])).toBeUndefined();
  });

  it('classifies Secrets Manager and Entra answers', () => {
    const sm = (type: string, status = 400) => ({
      response: {
        ...response(status, JSON.stringify({ __type: type })),
        header: (n: string) => (n === 'x-amzn-errortype' ? `${type}:http://internal` : undefined),
      },
    });
    expect(secretsManagerClassifier(sm('ThrottlingException'))).toBe('retry');
    expect(secretsManagerClassifier(sm('ResourceNotFoundException'))).toBe('done');
    expect(secretsManagerClassifier(sm('AccessDeniedException'))).toBe('done');
    expect(entraClassifier({ response: response(400, JSON.stringify({ error: 'invalid_client' })) })).toBe('done');
    expect(entraClassifier({ response: response(400, JSON.stringify({ error: 'temporarily_unavailable' })) })).toBe(
      'retry',
    );
  });
});

describe('retries under a deadline', () => {
  const request = { url: 'https://sts.example/', method: 'POST', body: 'x' };

  it('retries throttling with jittered exponential backoff, then returns the success', async () => {
    const c = clock();
    const { fetch, calls } = scripted([
      { status: 400, body: stsError('Throttling') },
      { status: 400, body: stsError('IDPCommunicationError') },
      { status: 400, body: stsError('Throttling') },
      { status: 200, body: 'ok' },
    ]);
    const http = new HttpClient({ fetch, now: c.now, sleep: c.sleep, random: () => 0.5 });
    const res = await sendClassified(http, request, stsClassifier, {
      deadlineAt: c.now() + 60_000,
      now: c.now,
      sleep: c.sleep,
    });
    expect(res.status).toBe(200);
    expect(calls()).toBe(4);
    expect(c.sleeps).toEqual([187.5, 375, 750]);
  });

  it('never retries AccessDenied or InvalidIdentityToken', async () => {
    for (const code of ['AccessDenied', 'InvalidIdentityToken']) {
      const c = clock();
      const { fetch, calls } = scripted([{ status: 403, body: stsError(code) }]);
      const http = new HttpClient({ fetch, now: c.now, sleep: c.sleep });
      const res = await sendClassified(http, request, stsClassifier, {
        deadlineAt: c.now() + 60_000,
        now: c.now,
        sleep: c.sleep,
      });
      expect(res.status).toBe(403);
      expect(calls()).toBe(1);
      expect(c.sleeps).toEqual([]);
    }
  });

  it('stops at the deadline on 5xx and network errors', async () => {
    const c = clock();
    const { fetch, calls } = scripted(['network', { status: 503, body: 'busy' }]);
    const http = new HttpClient({ fetch, now: c.now, sleep: c.sleep, random: () => 1 });
    const started = c.now();
    const res = await sendClassified(http, request, stsClassifier, {
      deadlineAt: started + 10_000,
      now: c.now,
      sleep: c.sleep,
    });
    expect(res.status).toBe(503);
    expect(calls()).toBeGreaterThan(3);
    expect(c.now() - started).toBeLessThanOrEqual(10_000);
  });

  it('keeps the jitter between half and all of the exponential ceiling, capped', () => {
    for (let attempt = 1; attempt < 12; attempt++) {
      const ceiling = Math.min(10_000, 250 * 2 ** (attempt - 1));
      const budget = { deadlineAt: 0, now: () => 0, sleep: async () => {} };
      expect(backoffMs(attempt, { ...budget, random: () => 0 })).toBe(ceiling / 2);
      expect(backoffMs(attempt, { ...budget, random: () => 1 })).toBe(ceiling);
    }
  });
});

describe('a token near expiry is refetched between rounds', () => {
  it('presents a fresh token after the current one enters its last 60 s', async () => {
    const c = clock();
    const fetched: string[] = [];
    let n = 0;
    // Each token lives 65 s from its fetch: 5 s of freshness before the 60 s window.
    const source = {
      description: 'test',
      fetch: async () => {
        n++;
        const exp = Math.floor(c.now() / 1000) + 65;
        const token = `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify({ exp, n })).toString('base64url')}.sig`;
        fetched.push(token);
        return token;
      },
    };
    const fresh = new FreshToken(source, 'aud', c.now);
    await fresh.get();
    const seen: Array<{ body: string }> = [];
    const throttled = { status: 400, body: stsError('Throttling') };
    const { fetch } = scripted([...Array(12).fill(throttled), { status: 200, body: 'ok' }], seen);
    const http = new HttpClient({ fetch, now: c.now, sleep: c.sleep, random: () => 1 });
    const result = await sendWithToken(
      http,
      fresh,
      (token) => ({ url: 'https://sts.example/', method: 'POST', body: token }),
      stsClassifier,
      {
        deadlineAt: c.now() + 120_000,
        now: c.now,
        sleep: c.sleep,
        random: () => 1,
      },
    );
    expect(result.response.status).toBe(200);
    expect(result.tokens).toBeGreaterThan(1);
    expect(fetched.length).toBe(result.tokens);
    // every request carried the token that was current when it was sent, and every token fetched was presented
    expect(new Set(seen.map((s) => s.body))).toEqual(new Set(fetched));
  });

  it('does not refetch while the token is fresh', async () => {
    const c = clock();
    let fetches = 0;
    const source = {
      description: 'test',
      fetch: async () => {
        fetches++;
        return `e30.${Buffer.from(JSON.stringify({ exp: Math.floor(c.now() / 1000) + 3600 })).toString('base64url')}.sig`;
      },
    };
    const fresh = new FreshToken(source, 'aud', c.now);
    await fresh.get();
    const { fetch } = scripted([
      { status: 400, body: stsError('Throttling') },
      { status: 200, body: 'ok' },
    ]);
    const http = new HttpClient({ fetch, now: c.now, sleep: c.sleep });
    await sendWithToken(http, fresh, (t) => ({ url: 'https://x.example/', body: t }), stsClassifier, {
      deadlineAt: c.now() + 60_000,
      now: c.now,
      sleep: c.sleep,
    });
    expect(fetches).toBe(1);
  });
});
