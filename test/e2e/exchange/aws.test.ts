import { lstatSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { verifyChain } from '@airlock/core';
import type { OidcProvider } from '@airlock/testkit';
import { AwsEmulator } from '@airlock/testkit/aws';
import { afterEach, describe, expect, it } from 'vitest';
import { assertNoLeaks, EXCHANGE, Scene } from './helpers.ts';

/**
 * actions/exchange with provider: aws, end to end: the built dist/exchange through the runner-faithful harness,
 * against the loopback GitHub OIDC provider and the loopback STS + Secrets Manager (which verify the token against the
 * provider's JWKS, the audience and each role's trust policy, and SigV4 on signed calls).
 */
const ACCOUNT = '111122223333';
const DEPLOY = `arn:aws:iam::${ACCOUNT}:role/deploy`;
const CHAINED = `arn:aws:iam::${ACCOUNT}:role/prod-admin`;
const OTHER_ACCOUNT_ROLE = 'arn:aws:iam::999988887777:role/deploy';

const scene = new Scene();
afterEach(() => scene.dispose());

async function setup(options: { lifetimeSeconds?: number; subject?: string } = {}) {
  const oidc = await scene.oidc(
    options.lifetimeSeconds === undefined ? {} : { lifetimeSeconds: options.lifetimeSeconds },
  );
  const dbPassword = ['db', 'pw', Math.random().toString(36).slice(2), 'x'].join('-');
  const apiKey = `k-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  scene.secret(dbPassword, apiKey);
  const aws = scene.track(
    await AwsEmulator.start({
      oidc: { issuer: oidc.issuer },
      roles: [
        {
          arn: DEPLOY,
          webIdentity: { subject: options.subject ?? 'repo:acme/app:*', claims: { repository: 'acme/app' } },
          maxSessionDuration: 7200,
        },
        { arn: CHAINED, trustedRoles: [DEPLOY] },
        { arn: OTHER_ACCOUNT_ROLE, webIdentity: { subject: 'repo:acme/app:*' } },
      ],
      secrets: [
        { name: 'prod/db', value: JSON.stringify({ username: 'app', password: dbPassword }), readers: [DEPLOY] },
        { name: 'prod/api-key', value: `line one\n${apiKey}\nline three`, readers: [DEPLOY] },
        { name: 'prod/forbidden', value: 'nope-nope-nope', readers: [CHAINED] },
      ],
    }),
  );
  return { oidc, aws, dbPassword, apiKey };
}

const base = (oidc: OidcProvider, aws: AwsEmulator): Record<string, string> => ({
  provider: 'aws',
  issuer: oidc.issuer,
  'role-to-assume': DEPLOY,
  'aws-region': 'us-east-1',
  endpoints: `sts=${aws.endpoint}\nsecretsmanager=${aws.endpoint}`,
});

const CREDENTIAL_ENV = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'];

describe('exchange with provider aws', () => {
  it('assumes the role, exports the credentials STS issued, and never leaks them', async () => {
    const { oidc, aws } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs: base(oidc, aws), id: 'creds' });
    expect(run.outcome, run.log).toBe('success');
    const session = aws.sessions.at(-1);
    expect(session?.roleArn).toBe(DEPLOY);
    expect(run.exportedEnv).toEqual({
      AWS_ACCESS_KEY_ID: session?.accessKeyId,
      AWS_SECRET_ACCESS_KEY: session?.secretAccessKey,
      AWS_SESSION_TOKEN: session?.sessionToken,
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
    });
    expect(run.outputs).toMatchObject({
      'aws-account-id': ACCOUNT,
      'aws-assumed-role-arn': `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/acme-app-4242424242-1`,
      identity: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/acme-app-4242424242-1`,
    });
    expect(run.outputs['aws-secret-access-key']).toBeUndefined();
    // the token was requested for STS's own audience, never the shared github.com/<owner> default
    expect(oidc.requests.map((r) => r.audience)).toEqual(['sts.amazonaws.com']);
    const sts = aws.requests.find((r) => r.action === 'AssumeRoleWithWebIdentity');
    expect(sts?.params).toMatchObject({
      RoleSessionName: 'acme-app-4242424242-1',
      DurationSeconds: '3600',
      Version: '2011-06-15',
    });
    // the credentials were masked before anything else: the runner received add-mask for each
    for (const value of [session?.accessKeyId, session?.secretAccessKey, session?.sessionToken])
      expect(run.masks).toContain(value);
    expect(run.summary).toContain('Airlock exchange');
    expect(run.summary).toContain(DEPLOY);
    // the trail record names the identity, never a value
    const trail = verifyChain(readFileSync(join(job.runnerTemp, 'airlock', 'trail.jsonl'), 'utf8'));
    expect(trail.ok).toBe(true);
    if (trail.ok) {
      expect(trail.records[0]?.result).toMatchObject({
        provider: 'aws',
        subject_format: 'classic',
        tokens_requested: 1,
      });
      expect(trail.records[0]?.github.job_workflow_ref).toBe('acme/app/.github/workflows/ci.yml@refs/heads/main');
    }
    const [post] = await job.post();
    expect(post?.outcome).toBe('success');
    expect(post?.exportedEnv).toMatchObject({
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: '',
    });
    expect(post?.log).toContain('unset AWS_ACCESS_KEY_ID');
    assertNoLeaks(scene, job, { env: CREDENTIAL_ENV });
  });

  it('fails with STS AccessDenied when the trust policy does not admit the subject, showing sub and aud', async () => {
    const { oidc, aws } = await setup({ subject: 'repo:acme/app:environment:production' });
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs: base(oidc, aws) });
    expect(run.outcome).toBe('failure');
    const error = run.annotations.find((a) => a.level === 'error')?.message ?? '';
    expect(error).toMatch(
      /^exchange: AWS STS refused AssumeRoleWithWebIdentity for arn:aws:iam::111122223333:role\/deploy: AccessDenied/,
    );
    expect(error).toContain("sub is 'repo:acme/app:ref:refs/heads/main'");
    expect(error).toContain("aud is 'sts.amazonaws.com'");
    expect(error).toContain(`${oidc.issuer.replace('http://', '')}:sub`);
    expect(run.exportedEnv).toEqual({});
    expect(aws.requests.filter((r) => r.action === 'AssumeRoleWithWebIdentity')).toHaveLength(1); // never retried
    await job.post();
    assertNoLeaks(scene, job);
  });

  it('retries STS Throttling and IDPCommunicationError, then succeeds', async () => {
    const { oidc, aws } = await setup();
    aws.faults.stsThrottle = 2;
    aws.faults.stsIdpError = 1;
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs: base(oidc, aws) });
    expect(run.outcome, run.log).toBe('success');
    expect(aws.requests.map((r) => r.errorCode ?? r.status)).toEqual([
      'Throttling',
      'Throttling',
      'IDPCommunicationError',
      200,
    ]);
    assertNoLeaks(scene, job, { env: CREDENTIAL_ENV });
  });

  it('gives up on 5xx when the deadline comes, saying so', async () => {
    const { oidc, aws } = await setup();
    aws.faults.stsUnavailable = true;
    const job = scene.job(oidc);
    const started = Date.now();
    const run = await job.step(EXCHANGE, { inputs: { ...base(oidc, aws), deadline: '3s' } });
    expect(run.outcome).toBe('failure');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /^exchange: AWS STS kept failing \(ServiceUnavailable: Service is unavailable\) for 3 s \(\d+ attempts?\)/,
    );
    expect(aws.requests.length).toBeGreaterThan(1);
    assertNoLeaks(scene, job);
  });

  it('fetches a fresh GitHub token when the current one is within 60 s of expiry', async () => {
    const { oidc, aws } = await setup({ lifetimeSeconds: 50 });
    aws.faults.stsThrottle = 2;
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs: base(oidc, aws) });
    expect(run.outcome, run.log).toBe('success');
    expect(new Set(aws.presentedTokens).size).toBe(3);
    expect(oidc.requests.filter((r) => r.status === 200).length).toBe(3);
    assertNoLeaks(scene, job, { env: CREDENTIAL_ENV });
  });

  it('fetches Secrets Manager secrets with the assumed role, masks every line and leaf, exports only the names asked', async () => {
    const { oidc, aws, dbPassword, apiKey } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, {
      inputs: {
        ...base(oidc, aws),
        secrets: 'DB_PASSWORD=aws-sm:prod/db#password\nAPI_KEY=aws-sm:prod/api-key',
        'export-env': false,
      },
    });
    expect(run.outcome, run.log).toBe('success');
    expect(run.exportedEnv).toEqual({ DB_PASSWORD: dbPassword, API_KEY: `line one\n${apiKey}\nline three` });
    expect(run.masks).toContain(dbPassword);
    expect(run.masks).toContain(apiKey);
    expect(run.summary).toContain('aws-sm:prod/db\\#password');
    const calls = aws.requests.filter((r) => r.service === 'secretsmanager');
    expect(calls.map((c) => c.params.SecretId)).toEqual(['prod/db', 'prod/api-key']);
    expect(calls.every((c) => c.signedBy === aws.sessions.at(-1)?.accessKeyId)).toBe(true);
    // a later step printing the secret shows *** in the log
    await job.post();
    assertNoLeaks(scene, job, { env: ['DB_PASSWORD', 'API_KEY'] });
  });

  it('fails clearly on a secret the role may not read, exporting nothing', async () => {
    const { oidc, aws } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs: { ...base(oidc, aws), secrets: 'X=aws-sm:prod/forbidden' } });
    expect(run.outcome).toBe('failure');
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /AWS Secrets Manager refused 'prod\/forbidden' to the assumed role: AccessDeniedException/,
    );
    expect(run.exportedEnv).toEqual({});
    assertNoLeaks(scene, job);
  });

  it('chains roles, applies session policies, mints an RDS token, and keeps to allowed-account-ids', async () => {
    const { oidc, aws } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, {
      inputs: {
        ...base(oidc, aws),
        'role-chain': CHAINED,
        'allowed-account-ids': ACCOUNT,
        'managed-session-policies': 'arn:aws:iam::aws:policy/ReadOnlyAccess',
        'inline-session-policy':
          '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}',
        'rds-auth': 'host=db.cluster-x.us-east-1.rds.amazonaws.com\nport=5432\nuser=deployer\nenv=PGPASSWORD',
      },
    });
    expect(run.outcome, run.log).toBe('success');
    const [first, second] = aws.sessions.slice(-2);
    expect(first?.roleArn).toBe(DEPLOY);
    expect(second?.roleArn).toBe(CHAINED);
    expect(second?.policyArns).toEqual(['arn:aws:iam::aws:policy/ReadOnlyAccess']);
    expect(second?.policy).toContain('s3:GetObject');
    expect(aws.requests.find((r) => r.action === 'AssumeRole')?.signedBy).toBe(first?.accessKeyId);
    expect(run.exportedEnv.AWS_ACCESS_KEY_ID).toBe(second?.accessKeyId);
    expect(run.outputs['aws-assumed-role-arn']).toContain('assumed-role/prod-admin/');
    const rds = run.exportedEnv.PGPASSWORD as string;
    expect(
      aws.verifyRdsToken(rds, {
        hostname: 'db.cluster-x.us-east-1.rds.amazonaws.com',
        port: 5432,
        user: 'deployer',
        region: 'us-east-1',
      }),
    ).toMatchObject({
      ok: true,
      roleArn: CHAINED,
    });
    expect(run.masks).toContain(rds);
    scene.secret(rds);
    assertNoLeaks(scene, job, { env: [...CREDENTIAL_ENV, 'PGPASSWORD'] });
  });

  it('refuses a role outside allowed-account-ids before any request', async () => {
    const { oidc, aws } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, {
      inputs: {
        ...base(oidc, aws),
        'role-to-assume': OTHER_ACCOUNT_ROLE,
        'allowed-account-ids': `${ACCOUNT}, 444455556666`,
      },
    });
    expect(run.outcome).toBe('failure');
    expect(run.annotations.find((a) => a.level === 'error')?.message).toBe(
      `exchange: role ${OTHER_ACCOUNT_ROLE} is in AWS account 999988887777, which input 'allowed-account-ids' does not list (${ACCOUNT}, 444455556666); no credentials were exported`,
    );
    expect(aws.requests).toEqual([]);
    assertNoLeaks(scene, job);
  });

  it('sets credential outputs only when asked', async () => {
    const { oidc, aws } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, {
      inputs: { ...base(oidc, aws), 'output-credentials': true, 'export-env': false },
    });
    expect(run.outcome, run.log).toBe('success');
    expect(run.exportedEnv).toEqual({});
    expect(run.outputs['aws-secret-access-key']).toBe(aws.sessions.at(-1)?.secretAccessKey);
    assertNoLeaks(scene, job, { outputs: true });
  });

  it('writes a 0600 credentials file in RUNNER_TEMP on request and deletes it in post', async () => {
    const { oidc, aws } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, {
      inputs: { ...base(oidc, aws), 'credentials-file': true, 'export-env': false },
    });
    expect(run.outcome, run.log).toBe('success');
    const path = run.outputs['credentials-file'] as string;
    expect(path.startsWith(job.runnerTemp)).toBe(true);
    expect(run.exportedEnv).toEqual({ AWS_SHARED_CREDENTIALS_FILE: path });
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain(`aws_secret_access_key = ${aws.sessions.at(-1)?.secretAccessKey}`);
    assertNoLeaks(scene, job, { files: [path] });
    const [post] = await job.post();
    expect(post?.log).toContain('deleted 1 credentials file');
    expect(() => lstatSync(path)).toThrow();
    assertNoLeaks(scene, job);
  });

  it('refuses to write the credentials file through a symlink', async () => {
    const { oidc, aws } = await setup();
    const job = scene.job(oidc);
    symlinkSync(job.workspace, join(job.runnerTemp, 'airlock-exchange'));
    const run = await job.step(EXCHANGE, { inputs: { ...base(oidc, aws), 'credentials-file': true } });
    expect(run.outcome).toBe('failure');
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /refusing to write credentials through a symlink/,
    );
    expect(run.exportedEnv).toEqual({});
    assertNoLeaks(scene, job);
  });

  it('refuses before any exchange when the claim policy does not match', async () => {
    const { oidc, aws } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, {
      inputs: {
        ...base(oidc, aws),
        'require-claims': 'repository=acme/app\nref=refs/heads/release/*\nrunner_environment=github-hosted',
      },
    });
    expect(run.outcome).toBe('failure');
    expect(run.annotations.find((a) => a.level === 'error')?.message).toBe(
      "exchange: the claim policy refused the token: claim 'ref' is 'refs/heads/main', but input 'require-claims' line 2 requires 'refs/heads/release/*'. The token's subject is 'repo:acme/app:ref:refs/heads/main'. Run the job from a ref, environment or workflow the policy admits, or change the policy.",
    );
    expect(aws.requests).toEqual([]);
    assertNoLeaks(scene, job);
  });

  it('understands the immutable subject format, pinning repository IDs', async () => {
    const { oidc, aws } = await setup({ subject: 'repo:acme@987654/app@123456789:*' });
    oidc.setSubjectFormat('immutable');
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, {
      inputs: { ...base(oidc, aws), 'require-claims': 'sub=repo:acme@987654/app@123456789:ref:refs/heads/*' },
    });
    expect(run.outcome, run.log).toBe('success');
    expect(run.log).toContain('subject repo:acme@987654/app@123456789:ref:refs/heads/main');
    const trail = verifyChain(readFileSync(join(job.runnerTemp, 'airlock', 'trail.jsonl'), 'utf8'));
    expect(trail.ok && trail.records[0]?.result.subject_format).toBe('immutable');
    // the same policy refuses a re-created repository of the same name (another ID)
    oidc.setClaims({ repository_id: '555' });
    const again = await job.step(EXCHANGE, {
      inputs: { ...base(oidc, aws), 'require-claims': 'sub=repo:acme@987654/app@123456789:ref:refs/heads/*' },
    });
    expect(again.outcome).toBe('failure');
    expect(again.annotations.find((a) => a.level === 'error')?.message).toContain(
      '(repository ID 555 is not 123456789)',
    );
    assertNoLeaks(scene, job, { env: CREDENTIAL_ENV });
  });

  it('refuses an expired or not-yet-valid token itself, pointing at the clock, before STS sees it', async () => {
    const { oidc, aws } = await setup();
    oidc.faults = { expired: true };
    const job = scene.job(oidc);
    const expired = await job.step(EXCHANGE, { inputs: base(oidc, aws) });
    expect(expired.outcome).toBe('failure');
    expect(expired.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /^exchange: the OIDC token from the GitHub OIDC token endpoint failed verification: the token expired at .*, \d+ s ago \(leeway 30 s\)/,
    );
    oidc.faults = { notYetValid: true };
    const early = await job.step(EXCHANGE, { inputs: base(oidc, aws) });
    expect(early.annotations.find((a) => a.level === 'error')?.message).toMatch(/clock is behind.*NTP/);
    oidc.faults = { unknownKid: true };
    const stray = await job.step(EXCHANGE, { inputs: base(oidc, aws) });
    expect(stray.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /which the JWKS of http:\/\/127\.0\.0\.1:\d+ does not list/,
    );
    expect(aws.requests).toEqual([]);
    assertNoLeaks(scene, job);
  });

  it('explains an audience the IAM OIDC provider does not list (InvalidIdentityToken, never retried)', async () => {
    const { oidc, aws } = await setup();
    const job = scene.job(oidc);
    const run = await job.step(EXCHANGE, { inputs: { ...base(oidc, aws), audience: 'api://my-audience' } });
    expect(run.outcome).toBe('failure');
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /InvalidIdentityToken: Incorrect token audience.*aud is 'api:\/\/my-audience'.*client ID list must contain the token's aud/,
    );
    expect(aws.requests).toHaveLength(1);
    assertNoLeaks(scene, job);
  });

  it('says how to fix a missing id-token: write permission', async () => {
    const { oidc, aws } = await setup();
    const job = scene.job(undefined);
    const run = await job.step(EXCHANGE, { inputs: base(oidc, aws) });
    expect(run.outcome).toBe('failure');
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /ACTIONS_ID_TOKEN_REQUEST_URL is not set\. Add `permissions: id-token: write`.*forks/,
    );
    expect(aws.requests).toEqual([]);
  });

  it('chooses the role from a per-environment profile, and gives a job with no matching profile nothing', async () => {
    const { oidc, aws } = await setup();
    aws.setRole({
      arn: `arn:aws:iam::${ACCOUNT}:role/prod`,
      webIdentity: { subject: 'repo:acme/app:environment:production' },
    });
    const configure = (job: ReturnType<typeof scene.job>) => {
      mkdirSync(join(job.workspace, '.github'), { recursive: true });
      const yaml = [
        'profiles:',
        '  production:',
        '    when: { environment: production }',
        `    role-to-assume: arn:aws:iam::${ACCOUNT}:role/prod`,
        '    require-claims:',
        '      ref: refs/heads/main',
        '  staging:',
        '    when:',
        '      environment: [staging, "preview-*"]',
        `    role-to-assume: ${DEPLOY}`,
      ].join('\n');
      require('node:fs').writeFileSync(join(job.workspace, '.github/exchange.yml'), yaml);
    };
    const inputs = { ...base(oidc, aws), 'role-to-assume': '', config: '.github/exchange.yml' };
    oidc.setClaims({ environment: 'production' });
    const prodJob = scene.job(oidc);
    configure(prodJob);
    const prod = await prodJob.step(EXCHANGE, { inputs });
    expect(prod.outcome, prod.log).toBe('success');
    expect(prod.outputs.profile).toBe('production');
    expect(aws.sessions.at(-1)?.roleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/prod`);

    oidc.setClaims({ environment: 'dev' });
    const devJob = scene.job(oidc);
    configure(devJob);
    const before = aws.requests.length;
    const dev = await devJob.step(EXCHANGE, { inputs });
    expect(dev.outcome).toBe('failure');
    expect(dev.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /^exchange: no profile in \.github\/exchange\.yml matches this job \(environment 'dev', ref 'refs\/heads\/main'\), so it gets no credentials\. Profiles: production \(environment production\); staging \(environment staging, environment preview-\*\)/,
    );
    expect(dev.exportedEnv).toEqual({});
    expect(aws.requests.length).toBe(before);
    assertNoLeaks(scene, prodJob, { env: CREDENTIAL_ENV });
    assertNoLeaks(scene, devJob);
  });
});
