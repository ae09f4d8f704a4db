import { createNodeFetch, HttpClient, nullLogger } from '@airlock/core';
import { type AwsCredentials, FreshToken, parseStsError, presignUrl, rdsAuthToken, signRequest } from '@airlock/oidc';
import { OidcProvider } from '@airlock/testkit';
import { AwsEmulator } from '@airlock/testkit/aws';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  GetCallerIdentityCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import { Signer } from '@aws-sdk/rds-signer';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getSecretValue } from '../../../packages/oidc/src/providers/aws/secrets-manager.ts';
import { assumeRoleWithWebIdentity } from '../../../packages/oidc/src/providers/aws/sts.ts';

/**
 * Fidelity of the lean AWS code in packages/oidc, and of the loopback AWS in packages/testkit:
 * - the real SDK clients (@aws-sdk/client-sts, client-secrets-manager) work against the emulator unchanged, and the
 *   emulator verifies their SigV4 signatures (so its verifier agrees with the SDK's signer);
 * - our signatures and RDS tokens are byte-identical to @smithy/signature-v4's and @aws-sdk/rds-signer's for the
 *   same inputs and clock.
 */
const ROLE = 'arn:aws:iam::111122223333:role/deploy';
const CHAINED = 'arn:aws:iam::111122223333:role/chained';
const secretValue = () => JSON.stringify({ username: 'app', password: ['p', 'w', String(process.pid)].join('-') });

let oidc: OidcProvider;
let aws: AwsEmulator;
const value = secretValue();

beforeAll(async () => {
  oidc = await OidcProvider.start();
  aws = await AwsEmulator.start({
    oidc: { issuer: oidc.issuer },
    roles: [
      { arn: ROLE, webIdentity: { subject: 'repo:acme/app:*' } },
      { arn: CHAINED, trustedRoles: [ROLE] },
    ],
    secrets: [{ name: 'prod/db', value, readers: [ROLE] }],
  });
});
afterAll(async () => {
  await aws.stop();
  await oidc.stop();
});

const fixed = {
  accessKeyId: ['AKID', 'EXAMPLE', 'FIXED'].join(''),
  secretAccessKey: ['wJalr', 'XUtnFEMI', 'K7MDENG', 'bPxRfiCY', 'FIXEDKEY'].join('/'),
  sessionToken: ['session', 'token', 'fixed', '=='].join('+'),
} satisfies AwsCredentials;

describe('the real AWS SDK against the loopback STS and Secrets Manager', () => {
  it('assumes a role with a web identity, signs GetCallerIdentity, chains, and reads a secret', async () => {
    const sts = new STSClient({ endpoint: aws.endpoint, region: 'us-east-1' });
    const token = await oidc.issue('sts.amazonaws.com');
    const assumed = await sts.send(
      new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE, RoleSessionName: 'sdk-session', WebIdentityToken: token }),
    );
    expect(assumed.AssumedRoleUser?.Arn).toBe('arn:aws:sts::111122223333:assumed-role/deploy/sdk-session');
    expect(assumed.SubjectFromWebIdentityToken).toBe('repo:acme/app:ref:refs/heads/main');
    const credentials = {
      accessKeyId: assumed.Credentials?.AccessKeyId as string,
      secretAccessKey: assumed.Credentials?.SecretAccessKey as string,
      sessionToken: assumed.Credentials?.SessionToken as string,
    };
    const signed = new STSClient({ endpoint: aws.endpoint, region: 'us-east-1', credentials });
    const who = await signed.send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe(assumed.AssumedRoleUser?.Arn);
    expect(aws.requests.at(-1)).toMatchObject({ action: 'GetCallerIdentity', status: 200 });

    const chained = await signed.send(new AssumeRoleCommand({ RoleArn: CHAINED, RoleSessionName: 'chain' }));
    expect(chained.AssumedRoleUser?.Arn).toBe('arn:aws:sts::111122223333:assumed-role/chained/chain');

    const sm = new SecretsManagerClient({ endpoint: aws.endpoint, region: 'us-east-1', credentials });
    const got = await sm.send(new GetSecretValueCommand({ SecretId: 'prod/db' }));
    expect(got.SecretString).toBe(value);
    expect(aws.requests.at(-1)).toMatchObject({ service: 'secretsmanager', status: 200 });
  });

  it('gives the SDK the same error codes as AWS: AccessDenied, InvalidIdentityToken, SignatureDoesNotMatch, ResourceNotFound', async () => {
    const sts = new STSClient({ endpoint: aws.endpoint, region: 'us-east-1', maxAttempts: 1 });
    const other = await oidc.issue('sts.amazonaws.com', { repository: 'evil/app' });
    await expect(
      sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE, RoleSessionName: 's1', WebIdentityToken: other })),
    ).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    const wrongAud = await oidc.issue('https://github.com/acme');
    await expect(
      sts.send(
        new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE, RoleSessionName: 's1', WebIdentityToken: wrongAud }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidIdentityTokenException', message: 'Incorrect token audience' });

    const token = await oidc.issue('sts.amazonaws.com');
    const assumed = await sts.send(
      new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE, RoleSessionName: 's2', WebIdentityToken: token }),
    );
    const tampered = {
      accessKeyId: assumed.Credentials?.AccessKeyId as string,
      secretAccessKey: `${assumed.Credentials?.SecretAccessKey}x`,
      sessionToken: assumed.Credentials?.SessionToken as string,
    };
    const bad = new STSClient({ endpoint: aws.endpoint, region: 'us-east-1', credentials: tampered, maxAttempts: 1 });
    await expect(bad.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    const sm = new SecretsManagerClient({
      endpoint: aws.endpoint,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { ...tampered, secretAccessKey: assumed.Credentials?.SecretAccessKey as string },
    });
    await expect(sm.send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('retries the SDK on Throttling like AWS does, then succeeds', async () => {
    aws.faults.stsThrottle = 2;
    const sts = new STSClient({ endpoint: aws.endpoint, region: 'us-east-1', maxAttempts: 3 });
    const token = await oidc.issue('sts.amazonaws.com');
    const out = await sts.send(
      new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE, RoleSessionName: 's3', WebIdentityToken: token }),
    );
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(out.$metadata.attempts).toBe(3);
  });
});

describe('our lean STS and Secrets Manager clients against the same emulator', () => {
  const ctx = () => ({
    http: new HttpClient({ fetch: createNodeFetch(), sleep: async () => {} }),
    budget: { deadlineAt: Date.now() + 10_000, now: Date.now, sleep: async () => {} },
    mask: () => {},
    now: () => new Date(),
    log: nullLogger,
  });

  it('parses what the SDK parses and signs what the emulator accepts', async () => {
    const fresh = new FreshToken(
      { description: 'test', fetch: (aud) => oidc.issue(aud) },
      'sts.amazonaws.com',
      Date.now,
    );
    const masked: string[] = [];
    const assumed = await assumeRoleWithWebIdentity(
      { ...ctx(), mask: (v: string) => masked.push(v) },
      fresh,
      { endpoint: new URL(aws.endpoint), roleArn: ROLE, sessionName: 'lean', durationSeconds: 900 },
      { sub: 's', aud: 'a', iss: oidc.issuer },
    );
    expect(assumed.assumedRoleArn).toBe('arn:aws:sts::111122223333:assumed-role/deploy/lean');
    expect(assumed.accountId).toBe('111122223333');
    expect(masked).toEqual([
      assumed.credentials.secretAccessKey,
      assumed.credentials.sessionToken,
      assumed.credentials.accessKeyId,
    ]);
    expect(assumed.credentials.expiration.getTime() - Date.now()).toBeGreaterThan(800_000);
    const got = await getSecretValue(ctx(), {
      endpoint: new URL(aws.endpoint),
      region: 'us-east-1',
      credentials: assumed.credentials,
      secretId: 'prod/db',
    });
    expect(got).toBe(value);
    const sm = aws.requests.at(-1);
    expect(sm).toMatchObject({ service: 'secretsmanager', status: 200, signedBy: assumed.credentials.accessKeyId });
  });

  it('parses STS XML errors', async () => {
    const response = await new HttpClient({ fetch: createNodeFetch() }).request({
      url: aws.endpoint,
      body: new URLSearchParams({
        Action: 'AssumeRoleWithWebIdentity',
        Version: '2011-06-15',
        RoleArn: ROLE,
        RoleSessionName: 'x1',
        WebIdentityToken: 'not.a.jwt',
      }),
    });
    expect(parseStsError(response)).toMatchObject({ type: 'Sender', code: 'InvalidIdentityToken' });
  });
});

describe('SigV4 byte-for-byte against the SDK signer', () => {
  const date = new Date('2026-03-04T05:06:07Z');

  it('signs a Query API POST like @smithy/signature-v4', async () => {
    const url = new URL('https://sts.us-east-1.amazonaws.com/');
    const body =
      'Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Arole%2Fx&RoleSessionName=s';
    const ours = signRequest({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
      service: 'sts',
      region: 'us-east-1',
      credentials: fixed,
      now: date,
    });
    const signer = new SignatureV4({
      service: 'sts',
      region: 'us-east-1',
      credentials: fixed,
      sha256: Sha256,
      applyChecksum: false,
    });
    const theirs = await signer.sign(
      new HttpRequest({
        method: 'POST',
        protocol: 'https:',
        hostname: url.hostname,
        path: '/',
        headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body,
      }),
      { signingDate: date },
    );
    expect(ours.authorization).toBe(theirs.headers.authorization);
    expect(ours['x-amz-date']).toBe(theirs.headers['x-amz-date']);
  });

  it('signs a JSON 1.1 call with a path and a query, and a port, like the SDK', async () => {
    const url = new URL('http://127.0.0.1:8443/some/pa th/?b=2&a=1&a=0&sp=x y');
    const body = JSON.stringify({ SecretId: 'prod/db' });
    const headers = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' };
    const ours = signRequest({
      method: 'POST',
      url,
      headers,
      body,
      service: 'secretsmanager',
      region: 'eu-west-3',
      credentials: fixed,
      now: date,
    });
    const signer = new SignatureV4({
      service: 'secretsmanager',
      region: 'eu-west-3',
      credentials: fixed,
      sha256: Sha256,
      applyChecksum: false,
    });
    const theirs = await signer.sign(
      new HttpRequest({
        method: 'POST',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: 8443,
        path: url.pathname,
        query: { b: '2', a: ['1', '0'], sp: 'x y' },
        headers: { host: url.host, ...headers },
        body,
      }),
      { signingDate: date },
    );
    expect(ours.authorization).toBe(theirs.headers.authorization);
  });

  it('makes RDS auth tokens identical to @aws-sdk/rds-signer', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(date);
      for (const [hostname, port, username, region] of [
        ['db.abc123.us-east-1.rds.amazonaws.com', 5432, 'app_user', 'us-east-1'],
        ['aurora.cluster-xyz.eu-central-1.rds.amazonaws.com', 3306, 'user+with/odd=chars', 'eu-central-1'],
        ['db.local', 443, 'x', 'ap-south-1'],
      ] as const) {
        const theirs = await new Signer({ hostname, port, username, region, credentials: fixed }).getAuthToken();
        const ours = rdsAuthToken({ hostname, port, username, region, credentials: fixed, now: date });
        expect(ours).toBe(theirs);
      }
      const noSession = { accessKeyId: fixed.accessKeyId, secretAccessKey: fixed.secretAccessKey };
      const theirs = await new Signer({
        hostname: 'h.example',
        port: 5432,
        username: 'u',
        region: 'us-west-2',
        credentials: noSession,
      }).getAuthToken();
      expect(
        rdsAuthToken({
          hostname: 'h.example',
          port: 5432,
          username: 'u',
          region: 'us-west-2',
          credentials: noSession,
          now: date,
        }),
      ).toBe(theirs);
    } finally {
      vi.useRealTimers();
    }
  });

  it('presigns like the SDK for any service', async () => {
    const url = new URL('https://example.amazonaws.com/path/x?Action=Foo&Z=last');
    const ours = presignUrl({
      method: 'GET',
      url,
      service: 'foo',
      region: 'us-east-1',
      credentials: fixed,
      now: date,
      expiresInSeconds: 60,
    });
    const signer = new SignatureV4({ service: 'foo', region: 'us-east-1', credentials: fixed, sha256: Sha256 });
    const theirs = await signer.presign(
      new HttpRequest({
        method: 'GET',
        protocol: 'https:',
        hostname: url.hostname,
        path: '/path/x',
        query: { Action: 'Foo', Z: 'last' },
        headers: { host: url.host },
      }),
      { signingDate: date, expiresIn: 60 },
    );
    expect(ours.searchParams.get('X-Amz-Signature')).toBe(theirs.query?.['X-Amz-Signature']);
  });

  it('the emulator accepts an RDS token from the SDK signer and from ours, and refuses a tampered one', async () => {
    const token = await oidc.issue('sts.amazonaws.com');
    const sts = new STSClient({ endpoint: aws.endpoint, region: 'us-east-1' });
    const out = await sts.send(
      new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE, RoleSessionName: 'rds', WebIdentityToken: token }),
    );
    const credentials = {
      accessKeyId: out.Credentials?.AccessKeyId as string,
      secretAccessKey: out.Credentials?.SecretAccessKey as string,
      sessionToken: out.Credentials?.SessionToken as string,
    };
    const expect_ = { hostname: 'db.example.internal', port: 5432, user: 'app', region: 'us-east-1' };
    const sdk = await new Signer({
      hostname: expect_.hostname,
      port: 5432,
      username: 'app',
      region: 'us-east-1',
      credentials,
    }).getAuthToken();
    expect(aws.verifyRdsToken(sdk, expect_)).toMatchObject({ ok: true, roleArn: ROLE });
    const ours = rdsAuthToken({
      hostname: expect_.hostname,
      port: 5432,
      username: 'app',
      region: 'us-east-1',
      credentials,
      now: new Date(),
    });
    expect(aws.verifyRdsToken(ours, expect_)).toMatchObject({ ok: true, roleArn: ROLE });
    expect(aws.verifyRdsToken(ours.replace('DBUser=app', 'DBUser=admin'), { ...expect_, user: 'admin' }).ok).toBe(
      false,
    );
  });
});
