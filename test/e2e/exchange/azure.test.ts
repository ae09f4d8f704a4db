import { AzureEmulator } from '@airlock/testkit/azure';
import { afterEach, describe, expect, it } from 'vitest';
import { resilienceSuite } from './common.ts';
import { assertNoLeaks, EXCHANGE, Scene } from './helpers.ts';

/** actions/exchange with provider: azure — Entra client-assertion token request. */
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';

const scene = new Scene();
afterEach(() => scene.dispose());

async function setup(options: { lifetimeSeconds?: number; subject?: string } = {}) {
  const oidc = await scene.oidc(
    options.lifetimeSeconds === undefined ? {} : { lifetimeSeconds: options.lifetimeSeconds },
  );
  const azure = scene.track(
    await AzureEmulator.start({
      oidc: { issuer: oidc.issuer },
      apps: [
        {
          tenantId: TENANT,
          clientId: CLIENT,
          federatedCredentials: [
            { issuer: oidc.issuer, subject: options.subject ?? 'repo:acme/app:ref:refs/heads/main' },
          ],
        },
      ],
    }),
  );
  const inputs: Record<string, string> = {
    provider: 'azure',
    issuer: oidc.issuer,
    'tenant-id': TENANT,
    'client-id': CLIENT,
    endpoints: `login=${azure.authority}`,
  };
  return { oidc, azure, inputs };
}

describe('exchange with provider azure', () => {
  it('gets an Entra token with the OIDC token as client assertion', async () => {
    const { oidc, azure, inputs } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs: { ...inputs, scope: 'https://vault.azure.net/.default' } });
    expect(run.outcome, run.log).toBe('success');
    expect(oidc.requests.map((r) => r.audience)).toEqual(['api://AzureADTokenExchange']);
    expect(azure.requests.at(-1)?.params).toMatchObject({
      client_id: CLIENT,
      grant_type: 'client_credentials',
      scope: 'https://vault.azure.net/.default',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    });
    expect(run.exportedEnv).toEqual({
      AZURE_ACCESS_TOKEN: azure.accessTokens.at(-1),
      AZURE_CLIENT_ID: CLIENT,
      AZURE_TENANT_ID: TENANT,
    });
    expect(run.outputs.identity).toBe(`app ${CLIENT} in tenant ${TENANT}`);
    const [post] = await job.post();
    expect(post?.log).toContain('unset AZURE_ACCESS_TOKEN');
    assertNoLeaks(scene, job, { env: ['AZURE_ACCESS_TOKEN'] });
  });

  it('fails with AADSTS700213 and the federated credential fix when the subject does not match', async () => {
    const { oidc, inputs } = await setup({ subject: 'repo:acme/app:environment:production' });
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs });
    expect(run.outcome).toBe('failure');
    const error = run.annotations.find((a) => a.level === 'error')?.message ?? '';
    expect(error).toMatch(
      /^exchange: Microsoft Entra ID refused the client assertion: invalid_client: AADSTS700213: No matching federated identity record found for presented assertion subject 'repo:acme\/app:ref:refs\/heads\/main'/,
    );
    expect(error).toContain(
      `Add a federated identity credential to app ${CLIENT} with issuer '${oidc.issuer}' and subject 'repo:acme/app:ref:refs/heads/main'`,
    );
    assertNoLeaks(scene, job);
  });

  it('fails with AADSTS700212 when the audience is not the credential audience', async () => {
    const { oidc, inputs } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs: { ...inputs, audience: 'api://something-else' } });
    expect(run.outcome).toBe('failure');
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /AADSTS700212: .*set input 'audience' to the credential's audience/,
    );
  });

  it('names the input to fix for an unknown tenant and a malformed client id', async () => {
    const { oidc, inputs } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, {
      inputs: { ...inputs, 'tenant-id': '00000000-0000-0000-0000-000000000000' },
    });
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /AADSTS90002: Tenant '00000000-0000-0000-0000-000000000000' not found.*Check input 'tenant-id'/,
    );
    const bad = await job.step(EXCHANGE, { inputs: { ...inputs, 'client-id': 'my-app' } });
    expect(bad.annotations.find((a) => a.level === 'error')?.message).toBe(
      "exchange: input 'client-id' must be the application (client) ID, a GUID; got 'my-app'",
    );
  });

  resilienceSuite(scene, async (options) => {
    const { oidc, azure, inputs } = await setup(options);
    return {
      oidc,
      inputs,
      throttle: (n) => {
        azure.faults.throttle = n;
      },
      outage: () => {
        azure.faults.unavailable = true;
      },
      presented: () => azure.presentedTokens,
      exchangeRequests: () => azure.requests.length,
      env: ['AZURE_ACCESS_TOKEN'],
      outageMessage: /^exchange: Microsoft Entra ID kept failing \(HTTP 503\) for 2 s/,
    };
  });
});
