import { createHmac, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type CliIO, commands, EXIT, runCli } from '@airlock/cli';
import { OidcProvider } from '@airlock/testkit';
import { AwsEmulator } from '@airlock/testkit/aws';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** `airlock token verify` and `airlock exchange`, through the CLI framework, against loopback services. */
let oidc: OidcProvider;
let aws: AwsEmulator;
const dir = mkdtempSync(join(tmpdir(), 'airlock-cli-oidc-'));
const ROLE = 'arn:aws:iam::111122223333:role/ci';

beforeAll(async () => {
  oidc = await OidcProvider.start();
  aws = await AwsEmulator.start({
    oidc: { issuer: oidc.issuer },
    roles: [{ arn: ROLE, webIdentity: { subject: 'repo:acme/app:*' } }],
  });
});
afterAll(async () => {
  await aws.stop();
  await oidc.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(argv: string[], options: { stdin?: string; env?: Record<string, string> } = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (t: string) => (stdout += t), isTTY: false },
    stderr: { write: (t: string) => (stderr += t), isTTY: false },
    ...(options.stdin === undefined ? {} : { stdin: Readable.from([options.stdin]) }),
    env: options.env ?? {},
    cwd: dir,
  };
  const code = await runCli(argv, io, commands);
  return { code, stdout, stderr };
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('airlock token verify', () => {
  it('prints the verified claims and exits 0 (discovered JWKS, argument or stdin)', async () => {
    const token = await oidc.issue('sts.amazonaws.com');
    const args = ['token', 'verify', '--issuer', oidc.issuer, '--audience', 'sts.amazonaws.com'];
    const out = await cli([...args, token]);
    expect(out.code, out.stderr).toBe(EXIT.ok);
    expect(JSON.parse(out.stdout)).toMatchObject({ sub: 'repo:acme/app:ref:refs/heads/main', repository: 'acme/app' });
    const piped = await cli([...args, '-'], { stdin: `${token}\n` });
    expect(piped.code).toBe(EXIT.ok);
    const policy = await cli([
      ...args,
      '--require-claim',
      'ref=refs/heads/main',
      '--require-claim',
      'repository=acme/*',
      token,
    ]);
    expect(policy.code).toBe(EXIT.ok);
  });

  it('verifies with a JWKS file or URL instead of discovery', async () => {
    const token = await oidc.issue('aud-x');
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify(oidc.jwks()));
    expect(
      (await cli(['token', 'verify', '--issuer', oidc.issuer, '--audience', 'aud-x', '--jwks', 'jwks.json', token]))
        .code,
    ).toBe(EXIT.ok);
    expect(
      (await cli(['token', 'verify', '--issuer', oidc.issuer, '--audience', 'aud-x', '--jwks', oidc.jwksUri, token]))
        .code,
    ).toBe(EXIT.ok);
  });

  it('exits 1 with the reason for every kind of invalid token', async () => {
    const good = await oidc.issue('sts.amazonaws.com');
    const [h, p] = good.split('.');
    const claims = JSON.parse(Buffer.from(p as string, 'base64url').toString());
    const kid = oidc.jwks().keys[0]?.kid as string;
    const publicPem = createPublicKey({ key: oidc.jwks().keys[0] as never, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    });
    const hsHead = `${b64({ alg: 'HS256', kid })}.${p}`;
    const attacker = await generateKeyPair('RS256');
    const withJwk = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', jwk: await exportJWK(attacker.publicKey) })
      .sign(attacker.privateKey);
    const withJku = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid, jku: `${oidc.issuer}/.well-known/jwks` })
      .sign(attacker.privateKey);
    const unknownKid = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'nope' })
      .sign(attacker.privateKey);
    oidc.faults = { expired: true };
    const expired = await oidc.issue('sts.amazonaws.com');
    oidc.faults = { notYetValid: true };
    const early = await oidc.issue('sts.amazonaws.com');
    oidc.faults = {};
    const cases: Array<[string, string, RegExp, string?]> = [
      ['alg none', `${b64({ alg: 'none' })}.${p}.`, /unsigned/],
      [
        'HS256 with the RSA public key',
        `${hsHead}.${createHmac('sha256', publicPem).update(hsHead).digest('base64url')}`,
        /symmetric algorithm HS256/,
      ],
      ['embedded jwk', withJwk, /carries its own key \("jwk"\)/],
      ['jku header', withJku, /carries its own key \("jku"\)/],
      ['unknown kid', unknownKid, /signed with key nope, which the JWKS .* does not list/],
      ['bad signature', `${h}.${b64({ ...claims, repository: 'acme/evil' })}.${good.split('.')[2]}`, /does not verify/],
      ['wrong issuer', good, /issuer is '.*', expected 'https:\/\/other\.example'/, 'https://other.example'],
      [
        'wrong audience',
        await oidc.issue('https://github.com/acme'),
        /audience is 'https:\/\/github\.com\/acme', expected 'sts\.amazonaws\.com'/,
      ],
      ['expired', expired, /expired at/],
      ['not yet valid', early, /not valid before|issued .* in the future/],
      ['malformed', 'not-a-token', /not a JWT/],
    ];
    for (const [what, token, reason, issuer] of cases) {
      const args = ['token', 'verify', '--issuer', issuer ?? oidc.issuer, '--audience', 'sts.amazonaws.com'];
      if (issuer !== undefined) args.push('--jwks', oidc.jwksUri);
      const out = await cli([...args, token]);
      expect(out.code, what).toBe(EXIT.findings);
      expect(out.stderr, what).toMatch(/^airlock token verify: invalid token: /);
      expect(out.stderr, what).toMatch(reason);
      expect(out.stdout, what).toBe('');
    }
    const policy = await cli([
      'token',
      'verify',
      '--issuer',
      oidc.issuer,
      '--audience',
      'sts.amazonaws.com',
      '--require-claim',
      'ref=refs/tags/*',
      good,
    ]);
    expect(policy.code).toBe(EXIT.findings);
    expect(policy.stderr).toMatch(
      /claim 'ref' is 'refs\/heads\/main', but option '--require-claim' #1 requires 'refs\/tags\/\*'/,
    );
  });

  it('exits 2 for usage mistakes', async () => {
    expect((await cli(['token', 'verify', 'x'])).stderr).toMatch(/option '--issuer' is required/);
    expect(
      (await cli(['token', 'verify', '--issuer', oidc.issuer, '--audience', 'a', '--require-claim', 'oops', 'x'])).code,
    ).toBe(EXIT.usage);
    expect(
      (await cli(['token', 'verify', '--issuer', oidc.issuer, '--audience', 'a', '--jwks', 'missing.json', 'x']))
        .stderr,
    ).toMatch(/cannot read the JWKS file missing\.json: ENOENT/);
  });
});

describe('airlock exchange', () => {
  const base = () => [
    'exchange',
    '--provider',
    'aws',
    '--issuer',
    oidc.issuer,
    '--role-to-assume',
    ROLE,
    '--aws-region',
    'us-east-1',
    '--endpoints',
    `sts=${aws.endpoint}`,
  ];

  it('exchanges a token from a file and prints only variable names without --print-env', async () => {
    writeFileSync(join(dir, 'token'), await oidc.issue('sts.amazonaws.com'));
    const out = await cli([...base(), '--token-file', 'token']);
    expect(out.code, out.stderr).toBe(EXIT.ok);
    const session = aws.sessions.at(-1);
    expect(out.stdout).toContain(`aws identity ${session?.assumedRoleArn}`);
    expect(out.stdout).toContain(
      'obtained AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION, AWS_DEFAULT_REGION (not printed',
    );
    expect(out.stdout).not.toContain(session?.secretAccessKey as string);
    expect(out.stderr).not.toContain(session?.secretAccessKey as string);
  });

  it('prints export lines with --print-env, from a token in an env var', async () => {
    const token = await oidc.issue('sts.amazonaws.com');
    const out = await cli(
      [...base(), '--token-env', 'CI_JOB_JWT', '--print-env', '--require-claims', 'repository=acme/app'],
      { env: { CI_JOB_JWT: token } },
    );
    expect(out.code, out.stderr).toBe(EXIT.ok);
    const session = aws.sessions.at(-1);
    expect(out.stdout.split('\n')).toEqual([
      `export AWS_ACCESS_KEY_ID='${session?.accessKeyId}'`,
      `export AWS_SECRET_ACCESS_KEY='${session?.secretAccessKey}'`,
      `export AWS_SESSION_TOKEN='${session?.sessionToken}'`,
      "export AWS_REGION='us-east-1'",
      "export AWS_DEFAULT_REGION='us-east-1'",
      '',
    ]);
    expect(out.stderr).toContain('claims checked: repository');
  });

  it('exits 1 when the provider or the claim policy refuses, 2 for bad options, 3 for an outage', async () => {
    writeFileSync(join(dir, 'token'), await oidc.issue('sts.amazonaws.com'));
    const denied = await cli([...base(), '--token-file', 'token', '--require-claims', 'environment=production']);
    expect(denied.code).toBe(EXIT.findings);
    expect(denied.stderr).toMatch(
      /claim 'environment' is missing, but option '--require-claims' #1 requires 'production'/,
    );
    const bad = await cli([...base(), '--token-file', 'token', '--role-duration', 'forever']);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toMatch(/option '--role-duration' must be a duration/);
    const none = await cli(base());
    expect(none.code).toBe(EXIT.usage);
    expect(none.stderr).toMatch(/no token source: give --token-file FILE or --token-env NAME/);
    aws.faults.stsUnavailable = true;
    const down = await cli([...base(), '--token-file', 'token', '--deadline', '1s']);
    aws.faults.stsUnavailable = false;
    expect(down.code).toBe(EXIT.internal);
    expect(down.stderr).toMatch(/AWS STS kept failing/);
  });
});
