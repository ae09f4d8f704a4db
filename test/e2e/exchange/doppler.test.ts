import { DopplerEmulator } from '@airlock/testkit/doppler';
import { afterEach, describe, expect, it } from 'vitest';
import { resilienceSuite } from './common.ts';
import { assertNoLeaks, EXCHANGE, Scene } from './helpers.ts';

/** actions/exchange with provider: doppler — service-account identity login, secrets, revoke in post. */
const scene = new Scene();
afterEach(() => scene.dispose());

async function setup(options: { lifetimeSeconds?: number; subject?: string } = {}) {
  const oidc = await scene.oidc(
    options.lifetimeSeconds === undefined ? {} : { lifetimeSeconds: options.lifetimeSeconds },
  );
  const npmToken = ['npm', Math.random().toString(36).slice(2), 'tok'].join('_');
  scene.secret(npmToken);
  let origin = '';
  const doppler = scene.track(
    await DopplerEmulator.start({
      oidc: { issuer: oidc.issuer },
      identities: [
        {
          id: 'b1f8c2d4-identity',
          get trust() {
            return { audiences: [origin], subject: options.subject ?? 'repo:acme/app:ref:refs/heads/main' };
          },
          access: ['web/prd'],
        },
      ],
      secrets: { 'web/prd': { NPM_TOKEN: npmToken }, 'billing/prd': { STRIPE_KEY: 'sk-never-seen-x' } },
    }),
  );
  origin = doppler.api;
  const inputs: Record<string, string> = {
    provider: 'doppler',
    issuer: oidc.issuer,
    'doppler-identity': 'b1f8c2d4-identity',
    endpoints: `api=${doppler.api}`,
  };
  return { oidc, doppler, inputs, npmToken };
}

describe('exchange with provider doppler', () => {
  it('logs in with the identity, fetches a secret, and revokes the token in post', async () => {
    const { oidc, doppler, inputs, npmToken } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs: { ...inputs, secrets: 'NPM_TOKEN=doppler:web/prd/NPM_TOKEN' } });
    expect(run.outcome, run.log).toBe('success');
    expect(oidc.requests.map((r) => r.audience)).toEqual([doppler.api]);
    const token = doppler.issued.at(-1)?.token as string;
    expect(run.exportedEnv).toEqual({ DOPPLER_TOKEN: token, NPM_TOKEN: npmToken });
    expect(run.masks).toContain(npmToken);
    expect(doppler.live(token)).toBe(true);
    const [post] = await job.post();
    expect(post?.log).toContain('revoked the doppler token');
    expect(doppler.live(token)).toBe(false);
    expect(post?.exportedEnv).toEqual({ DOPPLER_TOKEN: '', NPM_TOKEN: '' });
    assertNoLeaks(scene, job, { env: ['DOPPLER_TOKEN', 'NPM_TOKEN'] });
  });

  it("fails when the identity's claim rules refuse the token", async () => {
    const { oidc, inputs } = await setup({ subject: 'repo:acme/app:environment:production' });
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs });
    expect(run.outcome).toBe('failure');
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /^exchange: Doppler refused the OIDC login: Token claim sub did not match the identity's claim rules\. .*its sub is 'repo:acme\/app:ref:refs\/heads\/main'/,
    );
    assertNoLeaks(scene, job);
  });

  it('fails on a config the service account cannot read, exporting nothing, and still revokes nothing it kept', async () => {
    const { oidc, inputs } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs: { ...inputs, secrets: 'S=doppler:billing/prd/STRIPE_KEY' } });
    expect(run.outcome).toBe('failure');
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /Doppler refused to read billing\/prd\/STRIPE_KEY/,
    );
    expect(run.exportedEnv).toEqual({});
    assertNoLeaks(scene, job);
  });

  resilienceSuite(scene, async (options) => {
    const { oidc, doppler, inputs } = await setup(options);
    return {
      oidc,
      inputs,
      throttle: (n) => {
        doppler.faults.throttle = n;
      },
      outage: () => {
        doppler.faults.unavailable = true;
      },
      presented: () => doppler.presentedTokens,
      exchangeRequests: () => doppler.requests.filter((r) => r.path === '/v3/auth/oidc').length,
      env: ['DOPPLER_TOKEN'],
      outageMessage: /^exchange: Doppler kept failing \(Service Unavailable\) for 2 s/,
    };
  });
});
