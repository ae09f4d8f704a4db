import { GcpEmulator } from '@airlock/testkit/gcp';
import { afterEach, describe, expect, it } from 'vitest';
import { resilienceSuite } from './common.ts';
import { assertNoLeaks, EXCHANGE, Scene } from './helpers.ts';

/** actions/exchange with provider: gcp — workload identity federation and service-account impersonation. */
const WIP = 'projects/123456789/locations/global/workloadIdentityPools/github/providers/acme';
const SA = 'deploy@acme-prod.iam.gserviceaccount.com';
const TOKEN_ENV = ['CLOUDSDK_AUTH_ACCESS_TOKEN', 'GOOGLE_OAUTH_ACCESS_TOKEN'];

const scene = new Scene();
afterEach(() => scene.dispose());

async function setup(options: { lifetimeSeconds?: number; owner?: string; saRepository?: string } = {}) {
  const oidc = await scene.oidc(
    options.lifetimeSeconds === undefined ? {} : { lifetimeSeconds: options.lifetimeSeconds },
  );
  const gcp = scene.track(
    await GcpEmulator.start({
      oidc: { issuer: oidc.issuer },
      providers: [{ resource: WIP, condition: { claims: { repository_owner: options.owner ?? 'acme' } } }],
      serviceAccounts: [
        {
          email: SA,
          workloadIdentityUsers: { claims: { repository: options.saRepository ?? 'acme/app' } },
          delegates: ['hop@acme-prod.iam.gserviceaccount.com'],
        },
      ],
    }),
  );
  const inputs: Record<string, string> = {
    provider: 'gcp',
    issuer: oidc.issuer,
    'workload-identity-provider': WIP,
    'service-account': SA,
    'project-id': 'acme-prod',
    endpoints: `sts=${gcp.stsEndpoint}\niamcredentials=${gcp.iamCredentialsEndpoint}`,
  };
  return { oidc, gcp, inputs };
}

describe('exchange with provider gcp', () => {
  it('federates, impersonates the service account, exports the token gcloud and Terraform read', async () => {
    const { oidc, gcp, inputs } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, {
      inputs: { ...inputs, lifetime: '20m', scopes: 'https://www.googleapis.com/auth/cloud-platform' },
    });
    expect(run.outcome, run.log).toBe('success');
    expect(oidc.requests.map((r) => r.audience)).toEqual([`https://iam.googleapis.com/${WIP}`]);
    const minted = gcp.accessTokens.at(-1);
    expect(minted?.serviceAccount).toBe(SA);
    expect(run.exportedEnv).toMatchObject({
      CLOUDSDK_AUTH_ACCESS_TOKEN: minted?.token,
      GOOGLE_OAUTH_ACCESS_TOKEN: minted?.token,
      GOOGLE_CLOUD_PROJECT: 'acme-prod',
      CLOUDSDK_CORE_PROJECT: 'acme-prod',
    });
    expect(run.outputs).toMatchObject({
      identity: SA,
      expiration: new Date(minted?.expireTime as string).toISOString(),
    });
    expect(gcp.requests.find((r) => r.service === 'iamcredentials')?.body).toMatchObject({ lifetime: '1200s' });
    const [post] = await job.post();
    expect(post?.log).toContain('unset CLOUDSDK_AUTH_ACCESS_TOKEN');
    assertNoLeaks(scene, job, { env: TOKEN_ENV });
  });

  it('uses the federated token directly without a service account', async () => {
    const { oidc, gcp, inputs } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs: { ...inputs, 'service-account': '' } });
    expect(run.outcome, run.log).toBe('success');
    expect(run.exportedEnv.CLOUDSDK_AUTH_ACCESS_TOKEN).toBe(gcp.federatedTokens.at(-1));
    expect(run.outputs.identity).toMatch(
      /^principal:\/\/iam\.googleapis\.com\/projects\/123456789\/locations\/global\/workloadIdentityPools\/github\/subject\/repo:acme\/app:ref:refs\/heads\/main$/,
    );
    assertNoLeaks(scene, job, { env: TOKEN_ENV });
  });

  it("fails when the provider's attribute condition rejects the token, naming the sub", async () => {
    const { oidc, inputs } = await setup({ owner: 'other-org' });
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs });
    expect(run.outcome).toBe('failure');
    const error = run.annotations.find((a) => a.level === 'error')?.message ?? '';
    expect(error).toMatch(
      /^exchange: Google STS refused the token exchange: unauthorized_client: The given credential is rejected by the attribute condition\./,
    );
    expect(error).toContain("sub is 'repo:acme/app:ref:refs/heads/main'");
    assertNoLeaks(scene, job);
  });

  it('fails when the job is not a workload identity user of the service account', async () => {
    const { oidc, inputs } = await setup({ saRepository: 'acme/other' });
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs });
    expect(run.outcome).toBe('failure');
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /Google IAM Credentials refused to mint a token for deploy@acme-prod\.iam\.gserviceaccount\.com: PERMISSION_DENIED: .*Grant roles\/iam\.workloadIdentityUser/,
    );
    assertNoLeaks(scene, job);
  });

  it('fails with the audience fix when the token is for another audience', async () => {
    const { oidc, inputs } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs: { ...inputs, audience: 'https://github.com/acme' } });
    expect(run.outcome).toBe('failure');
    expect(run.log).toContain("the audience 'https://github.com/acme' is GitHub's default");
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /does not match the expected audience.*allowed audiences must include/,
    );
  });

  it('refuses a secret reference that needs another provider before any exchange', async () => {
    const { oidc, gcp, inputs } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs: { ...inputs, secrets: 'DB=vault:secret/data/db#password' } });
    expect(run.outcome).toBe('failure');
    expect(run.annotations.find((a) => a.level === 'error')?.message).toBe(
      "exchange: input 'secrets' line 1: 'vault:secret/data/db#password' is read with a vault identity, but this step obtains a gcp identity; fetch it in a step with provider: vault",
    );
    expect(gcp.requests).toEqual([]);
  });

  resilienceSuite(scene, async (options) => {
    const { oidc, gcp, inputs } = await setup(options);
    return {
      oidc,
      inputs,
      throttle: (n) => {
        gcp.faults.stsThrottle = n;
      },
      outage: () => {
        gcp.faults.stsUnavailable = true;
      },
      presented: () => gcp.presentedTokens,
      exchangeRequests: () => gcp.requests.filter((r) => r.service === 'sts').length,
      env: TOKEN_ENV,
      outageMessage: /^exchange: Google STS kept failing \(HTTP 503\) for 2 s/,
    };
  });
});
