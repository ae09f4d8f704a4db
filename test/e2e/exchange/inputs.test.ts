import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AwsEmulator } from '@airlock/testkit/aws';
import { afterEach, describe, expect, it } from 'vitest';
import { assertNoLeaks, EXCHANGE, Scene } from './helpers.ts';

/** Token sources other than the GitHub endpoint, and bad inputs through the built action: a clear error, nothing lost. */
const ROLE = 'arn:aws:iam::111122223333:role/k8s';
const scene = new Scene();
afterEach(() => scene.dispose());

async function setup() {
  const oidc = await scene.oidc();
  const aws = scene.track(
    await AwsEmulator.start({
      oidc: { issuer: oidc.issuer },
      roles: [{ arn: ROLE, webIdentity: { subject: 'system:serviceaccount:ci:deployer' } }],
    }),
  );
  const inputs = {
    provider: 'aws',
    issuer: oidc.issuer,
    'role-to-assume': ROLE,
    'aws-region': 'us-east-1',
    endpoints: `sts=${aws.endpoint}`,
  };
  return { oidc, aws, inputs };
}

describe('other token sources', () => {
  it('reads a Kubernetes-style projected token from a file, on a runner without id-token: write', async () => {
    const { oidc, aws, inputs } = await setup();
    const token = await oidc.issue('sts.amazonaws.com', { sub: 'system:serviceaccount:ci:deployer' });
    const job = scene.job(undefined);
    mkdirSync(join(job.workspace, 'tokens'));
    writeFileSync(join(job.workspace, 'tokens/sts'), `${token}\n`);
    const run = await job.step(EXCHANGE, { inputs: { ...inputs, 'token-file': 'tokens/sts' } });
    expect(run.outcome, run.log).toBe('success');
    expect(run.masks).toContain(token);
    expect(aws.presentedTokens).toEqual([token]);
    expect(run.log).toContain('subject system:serviceaccount:ci:deployer;');
    // the token file is the user's; the leak check covers everything else
    assertNoLeaks(scene, job, {
      env: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'],
      files: [join(job.workspace, 'tokens/sts')],
    });
  });

  it('reads the token from an environment variable (GitLab id_tokens style)', async () => {
    const { oidc, inputs } = await setup();
    const token = await oidc.issue('sts.amazonaws.com', { sub: 'system:serviceaccount:ci:deployer' });
    scene.secret(token);
    const job = scene.job(undefined);
    const run = await job.step(EXCHANGE, {
      inputs: { ...inputs, 'token-env': 'CI_STS_TOKEN' },
      env: { CI_STS_TOKEN: token },
    });
    expect(run.outcome, run.log).toBe('success');
    assertNoLeaks(scene, job, { env: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] });
  });

  it('names a missing token file and a wrong audience baked into a file token', async () => {
    const { oidc, inputs } = await setup();
    const job = scene.job(undefined);
    const missing = await job.step(EXCHANGE, { inputs: { ...inputs, 'token-file': 'nope/token' } });
    expect(missing.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /^exchange: cannot read the token file .*nope\/token \(ENOENT\); for a Kubernetes projected service-account token check the volume mount/,
    );
    writeFileSync(join(job.workspace, 'token'), await oidc.issue('vault'));
    const wrong = await job.step(EXCHANGE, { inputs: { ...inputs, 'token-file': 'token' } });
    expect(wrong.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /failed verification: the token's audience is 'vault', expected 'sts\.amazonaws\.com'/,
    );
  });
});

describe('bad inputs', () => {
  it.each([
    [
      { provider: 'ibm' },
      "exchange: input 'provider' must be one of aws, gcp, azure, vault, oauth, doppler; got 'ibm'",
    ],
    [
      { 'role-to-assume': '' },
      "exchange: provider aws needs 'role-to-assume' (the ARN of the IAM role to assume); set input 'role-to-assume'",
    ],
    [
      { 'token-file': 'a', 'token-env': 'B' },
      "exchange: inputs 'token-file' and 'token-env' are exclusive; give one token source",
    ],
    [
      { 'tenant-id': 'x' },
      "exchange: input 'tenant-id' is a setting of provider azure, not of provider aws; remove it or change 'provider'",
    ],
    [
      { 'require-claims': 'repository acme/app' },
      "exchange: input 'require-claims' line 1: expected claim=pattern, e.g. ref=refs/heads/main; got 'repository acme/app'",
    ],
    [
      { config: 'missing.yml' },
      "exchange: input 'config': cannot read missing.yml (ENOENT); the path is relative to the workspace — check out the repository first",
    ],
  ])('%o', async (over, message) => {
    const { oidc, aws, inputs } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs: { ...inputs, ...over } });
    expect(run.outcome).toBe('failure');
    expect(run.annotations.filter((a) => a.level === 'error').map((a) => a.message)).toEqual([message]);
    expect(run.log).not.toMatch(/\n\s+at /);
    expect(run.exportedEnv).toEqual({});
    expect(aws.requests).toEqual([]);
  });

  it('reports a broken profiles file with file and line', async () => {
    const { oidc, inputs } = await setup();
    const job = scene.job(oidc);
    writeFileSync(
      join(job.workspace, 'exchange.yml'),
      'profiles:\n  prod:\n    when: { environment: prod }\n    role-to-asume: x\n',
    );
    const run = await job.step(EXCHANGE, { inputs: { ...inputs, config: 'exchange.yml' } });
    expect(run.annotations.find((a) => a.level === 'error')?.message).toBe(
      "exchange: exchange.yml:4: unknown setting 'role-to-asume' in profile 'prod'; did you mean 'role-to-assume'?",
    );
  });
});
