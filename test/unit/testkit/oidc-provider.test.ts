import { OidcProvider } from '@airlock/testkit';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';

const NOW = new Date('2026-11-22T12:00:00Z');
const providers: OidcProvider[] = [];
afterEach(async () => {
  for (const p of providers.splice(0)) await p.stop();
});
async function start(options: ConstructorParameters<typeof Object>[0] = {}) {
  const p = await OidcProvider.start({ now: () => NOW, ...(options as object) });
  providers.push(p);
  return p;
}

async function discoverAndVerify(p: OidcProvider, token: string, audience: string) {
  const config = (await (await fetch(`${p.issuer}/.well-known/openid-configuration`)).json()) as {
    issuer: string;
    jwks_uri: string;
  };
  const jwks = createRemoteJWKSet(new URL(config.jwks_uri));
  return jwtVerify(token, jwks, { issuer: config.issuer, audience, algorithms: ['RS256'], currentDate: NOW });
}

async function requestToken(p: OidcProvider, audience: string, bearer = p.requestToken) {
  const url = new URL(p.requestUrl);
  url.searchParams.set('audience', audience);
  return fetch(url, { headers: { authorization: `Bearer ${bearer}` } });
}

describe('loopback GitHub OIDC provider', () => {
  it('serves tokens over the runner protocol that verify with jose against its JWKS', async () => {
    const p = await start();
    const res = await requestToken(p, 'sts.amazonaws.com');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { value: string; count: number };
    expect(body.count).toBe(body.value.length);
    const { payload, protectedHeader } = await discoverAndVerify(p, body.value, 'sts.amazonaws.com');
    expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(payload).toMatchObject({
      iss: p.issuer,
      aud: 'sts.amazonaws.com',
      sub: 'repo:acme/app:ref:refs/heads/main',
      repository: 'acme/app',
      repository_id: '123456789',
      repository_owner: 'acme',
      repository_owner_id: '987654',
      ref: 'refs/heads/main',
      ref_type: 'branch',
      ref_protected: 'true',
      event_name: 'push',
      job_workflow_ref: 'acme/app/.github/workflows/ci.yml@refs/heads/main',
      workflow_ref: 'acme/app/.github/workflows/ci.yml@refs/heads/main',
      runner_environment: 'github-hosted',
      actor: 'octocat',
      run_id: '4242424242',
      run_attempt: '1',
      iat: NOW.getTime() / 1000,
      exp: NOW.getTime() / 1000 + 300,
    });
    for (const claim of ['jti', 'nbf', 'sha', 'job_workflow_sha', 'workflow_sha', 'actor_id', 'run_number']) {
      expect(payload, claim).toHaveProperty(claim);
    }
    expect(p.requests).toEqual([{ audience: 'sts.amazonaws.com', authorized: true, status: 200 }]);
  });

  it('answers 401 to a wrong or missing bearer', async () => {
    const p = await start();
    expect((await requestToken(p, 'x', 'wrong')).status).toBe(401);
    const url = new URL(p.requestUrl);
    expect((await fetch(url)).status).toBe(401);
    expect(p.requests.map((r) => r.status)).toEqual([401, 401]);
  });

  it('uses the environment and both subject formats', async () => {
    const p = await start({ claims: { environment: 'prod', repository: 'acme/api', repository_id: '42' } });
    let payload = (await discoverAndVerify(p, await p.issue('a'), 'a')).payload;
    expect(payload.sub).toBe('repo:acme/api:environment:prod');
    p.setSubjectFormat('immutable');
    payload = (await discoverAndVerify(p, await p.issue('a'), 'a')).payload;
    expect(payload.sub).toBe('repo:acme@987654/api@42:environment:prod');
    p.setClaims({ environment: undefined, event_name: 'pull_request', ref: 'refs/pull/7/merge' });
    payload = (await discoverAndVerify(p, await p.issue('a'), 'a')).payload;
    expect(payload.sub).toBe('repo:acme@987654/api@42:pull_request');
  });

  it('rotates keys: old tokens verify while the old key is listed, and fail once it is dropped', async () => {
    const p = await start();
    const before = await p.issue('aud');
    const oldKid = decodeProtectedHeader(before).kid;
    await p.rotateKey();
    const after = await p.issue('aud');
    expect(decodeProtectedHeader(after).kid).not.toBe(oldKid);
    expect(p.jwks().keys).toHaveLength(2);
    await discoverAndVerify(p, before, 'aud');
    await discoverAndVerify(p, after, 'aud');
    await p.rotateKey({ dropPrevious: true });
    await expect(discoverAndVerify(p, after, 'aud')).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });

  it('injects faults: expired, not yet valid, unknown kid, 5xx, slow answers', async () => {
    const p = await start();
    p.faults = { expired: true };
    await expect(discoverAndVerify(p, await p.issue('a'), 'a')).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
    p.faults = { notYetValid: true };
    await expect(discoverAndVerify(p, await p.issue('a'), 'a')).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim: 'nbf',
    });
    p.faults = { unknownKid: true };
    await expect(discoverAndVerify(p, await p.issue('a'), 'a')).rejects.toMatchObject({
      code: 'ERR_JWKS_NO_MATCHING_KEY',
    });
    p.faults = { tokenStatus: { status: 503, count: 2 } };
    expect((await requestToken(p, 'a')).status).toBe(503);
    expect((await requestToken(p, 'a')).status).toBe(503);
    expect((await requestToken(p, 'a')).status).toBe(200);
    p.faults = { delayMs: 300 };
    const started = Date.now();
    await requestToken(p, 'a');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('rejects a token for another audience', async () => {
    const p = await start();
    await expect(discoverAndVerify(p, await p.issue('sigstore'), 'sts.amazonaws.com')).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim: 'aud',
    });
  });
});
