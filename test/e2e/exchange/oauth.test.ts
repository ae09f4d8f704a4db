import { OAuthEmulator } from '@airlock/testkit/oauth';
import { afterEach, describe, expect, it } from 'vitest';
import { resilienceSuite } from './common.ts';
import { assertNoLeaks, EXCHANGE, Scene } from './helpers.ts';

/** actions/exchange with provider: oauth — RFC 8693 token exchange and RFC 7009 revocation. */
const scene = new Scene();
afterEach(() => scene.dispose());

async function setup(options: { lifetimeSeconds?: number; subject?: string } = {}) {
  const oidc = await scene.oidc(
    options.lifetimeSeconds === undefined ? {} : { lifetimeSeconds: options.lifetimeSeconds },
  );
  const clientSecret = ['client', 'secret', Math.random().toString(36).slice(2)].join('-');
  scene.secret(clientSecret);
  let origin = '';
  const oauth = scene.track(
    await OAuthEmulator.start({
      oidc: { issuer: oidc.issuer },
      clients: [
        {
          clientId: 'ci-deployer',
          clientSecret,
          get trust() {
            return { audiences: [origin], subject: options.subject ?? 'repo:acme/app:*' };
          },
          audiences: ['https://api.example.com'],
          scopes: ['deploy', 'read'],
        },
      ],
    }),
  );
  origin = oauth.origin;
  const inputs: Record<string, string> = {
    provider: 'oauth',
    issuer: oidc.issuer,
    'token-endpoint': oauth.tokenEndpoint,
    'revocation-endpoint': oauth.revocationEndpoint,
    'client-id': 'ci-deployer',
    'client-secret': clientSecret,
    'target-audience': 'https://api.example.com',
    scope: 'deploy',
  };
  return { oidc, oauth, inputs, clientSecret };
}

describe('exchange with provider oauth', () => {
  it('exchanges the token (client_secret_basic), exports it, and revokes it in post', async () => {
    const { oidc, oauth, inputs } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs });
    expect(run.outcome, run.log).toBe('success');
    expect(oidc.requests.map((r) => r.audience)).toEqual([oauth.origin]);
    const request = oauth.requests.at(-1);
    expect(request?.authorization).toMatch(/^Basic /);
    expect(request?.params).toMatchObject({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      audience: 'https://api.example.com',
      scope: 'deploy',
    });
    expect(request?.params.client_secret).toBeUndefined();
    const token = oauth.issued.at(-1)?.token as string;
    expect(run.exportedEnv).toEqual({ OAUTH_ACCESS_TOKEN: token });
    expect(oauth.active(token)).toBe(true);
    const [post] = await job.post();
    expect(post?.log).toContain('revoked the oauth token');
    expect(oauth.active(token)).toBe(false);
    expect(oauth.requests.at(-1)).toMatchObject({ path: '/revoke', status: 200 });
    assertNoLeaks(scene, job, { env: ['OAUTH_ACCESS_TOKEN'] });
  });

  it('authenticates with client_secret_post when asked', async () => {
    const { oidc, oauth, inputs, clientSecret } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs: { ...inputs, 'client-auth': 'client_secret_post' } });
    expect(run.outcome, run.log).toBe('success');
    expect(oauth.requests.at(-1)?.params).toMatchObject({ client_id: 'ci-deployer', client_secret: clientSecret });
    expect(oauth.requests.at(-1)?.authorization).toBeUndefined();
    await job.post();
    assertNoLeaks(scene, job, { env: ['OAUTH_ACCESS_TOKEN'] });
  });

  it('fails with invalid_grant and the sub when the server refuses the subject', async () => {
    const { oidc, inputs } = await setup({ subject: 'repo:acme/app:environment:prod' });
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs });
    expect(run.outcome).toBe('failure');
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /^exchange: the token endpoint 127\.0\.0\.1:\d+ refused the token exchange: invalid_grant: .*its sub is 'repo:acme\/app:ref:refs\/heads\/main'/,
    );
    assertNoLeaks(scene, job);
  });

  it('fails with invalid_client for a wrong client secret, without echoing it', async () => {
    const { oidc, inputs } = await setup();
    const wrong = `wrong-${Math.random().toString(36).slice(2)}-secret`;
    scene.secret(wrong);
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs: { ...inputs, 'client-secret': wrong } });
    expect(run.outcome).toBe('failure');
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /invalid_client.*Check inputs 'client-id', 'client-secret' and 'client-auth'/,
    );
    assertNoLeaks(scene, job);
  });

  it('fails with invalid_target for an audience the client may not ask for', async () => {
    const { oidc, inputs } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs: { ...inputs, 'target-audience': 'https://admin.example.com' } });
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /invalid_target.*Check inputs 'target-audience' and 'resource'/,
    );
  });

  resilienceSuite(scene, async (options) => {
    const { oidc, oauth, inputs } = await setup(options);
    return {
      oidc,
      inputs,
      throttle: (n) => {
        oauth.faults.throttle = n;
      },
      outage: () => {
        oauth.faults.unavailable = true;
      },
      presented: () => oauth.presentedTokens,
      exchangeRequests: () => oauth.requests.filter((r) => r.path === '/token').length,
      env: ['OAUTH_ACCESS_TOKEN'],
      outageMessage: /^exchange: the token endpoint 127\.0\.0\.1:\d+ kept failing \(HTTP 503\) for 2 s/,
    };
  });
});
