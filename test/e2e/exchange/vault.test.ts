import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestTls, type TestTls } from '@airlock/testkit';
import { VaultEmulator, type VaultRoleConfig } from '@airlock/testkit/vault';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resilienceSuite } from './common.ts';
import { assertNoLeaks, EXCHANGE, Scene } from './helpers.ts';

/** actions/exchange with provider: vault — JWT auth over HTTPS with a custom CA, KV v1/v2 secrets, revoke-self. */
const scene = new Scene();
afterEach(() => scene.dispose());
let tls: TestTls;
beforeAll(async () => {
  tls = await createTestTls();
});

async function setup(options: { lifetimeSeconds?: number; role?: Partial<VaultRoleConfig>; namespace?: string } = {}) {
  const oidc = await scene.oidc(
    options.lifetimeSeconds === undefined ? {} : { lifetimeSeconds: options.lifetimeSeconds },
  );
  const password = ['vault', 'pw', Math.random().toString(36).slice(2)].join('-');
  const appToken = `app-token-${Math.random().toString(36).slice(2)}`;
  const pem = `-----BEGIN KEY-----\nMIIB${Math.random().toString(36).slice(2)}QAB\n-----END KEY-----`;
  scene.secret(password, appToken, pem.split('\n')[1] as string);
  let address = '';
  const vault = scene.track(
    await VaultEmulator.start({
      oidc: { issuer: oidc.issuer },
      tls,
      ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
      roles: {
        get ci(): VaultRoleConfig {
          return {
            bound_audiences: [address],
            bound_claims: { repository: 'acme/app', ref: 'refs/heads/*' },
            bound_claims_type: 'glob',
            user_claim: 'sub',
            policies: ['ci-read'],
            ...options.role,
          };
        },
      },
      policies: { 'ci-read': ['secret/data/ci/*', 'kv/ci/*'] },
      kv2: {
        secret: {
          'ci/db': { username: 'deploy-user', password },
          'ci/key': { pem },
          'prod/db': { password: 'never-read-x1' },
        },
      },
      kv1: { kv: { 'ci/app': { token: appToken } } },
    }),
  );
  address = vault.address;
  const inputs: Record<string, string> = {
    provider: 'vault',
    issuer: oidc.issuer,
    'vault-url': vault.address,
    'vault-role': 'ci',
    'vault-ca-certificate': tls.caPem,
    ...(options.namespace === undefined ? {} : { 'vault-namespace': options.namespace }),
  };
  return { oidc, vault, inputs, password, appToken, pem };
}

describe('exchange with provider vault', () => {
  it('logs in with the JWT, reads KV v2 and v1 secrets, masks them, and revokes the token in post', async () => {
    const { oidc, vault, inputs, password, appToken, pem } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, {
      inputs: {
        ...inputs,
        secrets: [
          'DB_PASSWORD=vault:secret/data/ci/db#password',
          'APP_TOKEN=vault:kv/ci/app#token',
          'TLS_KEY=vault:secret/data/ci/key#pem',
        ].join('\n'),
      },
    });
    expect(run.outcome, run.log).toBe('success');
    expect(oidc.requests.map((r) => r.audience)).toEqual([vault.address]);
    const token = vault.tokens.at(-1);
    expect(run.exportedEnv).toEqual({
      VAULT_TOKEN: token?.token,
      VAULT_ADDR: vault.address,
      DB_PASSWORD: password,
      APP_TOKEN: appToken,
      TLS_KEY: pem,
    });
    // every line of the multi-line value is masked, and the other fields of a secret too
    for (const value of [password, appToken, pem, ...pem.split('\n').slice(1, 2), 'deploy-user'])
      expect(run.masks).toContain(value);
    expect(run.outputs.identity).toBe('role ci (policies: default, ci-read)');
    expect(token?.revoked).toBe(false);
    const [post] = await job.post();
    expect(post?.outcome).toBe('success');
    expect(post?.log).toContain('revoked the vault token');
    expect(token?.revoked).toBe(true);
    expect(vault.requests.at(-1)).toMatchObject({ method: 'POST', path: 'auth/token/revoke-self', status: 204 });
    assertNoLeaks(scene, job, { env: ['VAULT_TOKEN', 'DB_PASSWORD', 'APP_TOKEN', 'TLS_KEY'] });
  });

  it('refuses the server without the custom CA, and accepts the CA from a workspace file', async () => {
    const { oidc, vault, inputs } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs: { ...inputs, 'vault-ca-certificate': '', deadline: '2s' } });
    expect(run.outcome).toBe('failure');
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /cannot reach Vault: .*(SELF_SIGNED|UNABLE_TO_VERIFY|self-signed|certificate)/i,
    );
    mkdirSync(join(job.workspace, 'ci'), { recursive: true });
    writeFileSync(join(job.workspace, 'ci/vault-ca.pem'), tls.caPem);
    const ok = await job.step(EXCHANGE, { inputs: { ...inputs, 'vault-ca-certificate': 'ci/vault-ca.pem' } });
    expect(ok.outcome, ok.log).toBe('success');
    await job.post();
    expect(vault.tokens.at(-1)?.revoked).toBe(true);
    assertNoLeaks(scene, job, { env: ['VAULT_TOKEN'] });
  });

  it("explains Vault's bound_audiences requirement", async () => {
    const { oidc, inputs } = await setup({ role: { bound_audiences: [] } });
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs });
    expect(run.outcome).toBe('failure');
    const error = run.annotations.find((a) => a.level === 'error')?.message ?? '';
    expect(error).toMatch(
      /^exchange: Vault refused the JWT login to role 'ci': audience claim found in JWT but no audiences bound to the role\./,
    );
    expect(error).toMatch(/add bound_audiences="https:\/\/127\.0\.0\.1:\d+" to the role/);
  });

  it('fails when bound claims refuse the token, with sub and aud', async () => {
    const { oidc, inputs, vault } = await setup({ role: { bound_claims: { repository: 'acme/other' } } });
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs });
    expect(run.outcome).toBe('failure');
    const error = run.annotations.find((a) => a.level === 'error')?.message ?? '';
    expect(error).toContain('claim "repository" does not match any associated bound claim values');
    expect(error).toContain("sub is 'repo:acme/app:ref:refs/heads/main'");
    expect(vault.tokens).toEqual([]);
    assertNoLeaks(scene, job);
  });

  it('fails on a secret the role may not read, and revokes nothing it did not get', async () => {
    const { oidc, inputs } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs: { ...inputs, secrets: 'X=vault:secret/data/prod/db#password' } });
    expect(run.outcome).toBe('failure');
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /Vault refused to read 'secret\/data\/prod\/db' with the login token: .*permission denied/,
    );
    expect(run.exportedEnv).toEqual({});
    assertNoLeaks(scene, job);
  });

  it('speaks to a namespace', async () => {
    const { oidc, vault, inputs } = await setup({ namespace: 'admin/ci' });
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs: { ...inputs, secrets: 'P=vault:secret/data/ci/db#password' } });
    expect(run.outcome, run.log).toBe('success');
    expect(run.exportedEnv.VAULT_NAMESPACE).toBe('admin/ci');
    expect(vault.requests.every((r) => r.namespace === 'admin/ci')).toBe(true);
    await job.post();
    expect(vault.tokens.at(-1)?.revoked).toBe(true);
    assertNoLeaks(scene, job, { env: ['VAULT_TOKEN', 'P'] });
  });

  it('reports an already-expired token in post instead of failing', async () => {
    const { oidc, vault, inputs } = await setup({ role: { token_ttl: 1 } });
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs });
    expect(run.outcome, run.log).toBe('success');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const [post] = await job.post();
    expect(post?.outcome).toBe('success');
    expect(post?.log).toMatch(/the vault token had already expired \(.*\); nothing to revoke/);
    expect(vault.requests.some((r) => r.path === 'auth/token/revoke-self')).toBe(false);
    assertNoLeaks(scene, job, { env: ['VAULT_TOKEN'] });
  });

  resilienceSuite(scene, async (options) => {
    const { oidc, vault, inputs } = await setup(options);
    return {
      oidc,
      inputs,
      throttle: (n) => {
        vault.faults.throttle = n;
      },
      outage: () => {
        vault.faults.sealed = true;
      },
      presented: () => vault.presentedTokens,
      exchangeRequests: () => vault.requests.filter((r) => r.path === 'auth/jwt/login').length,
      env: ['VAULT_TOKEN'],
      outageMessage: /^exchange: Vault kept failing \(Vault is sealed\) for 2 s/,
    };
  });
});
