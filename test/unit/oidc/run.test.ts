import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeFetch } from '@airlock/core';
import { createMemoryStep, OidcProvider, type StepEvent } from '@airlock/testkit';
import { AwsEmulator } from '@airlock/testkit/aws';
import { DopplerEmulator } from '@airlock/testkit/doppler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post } from '../../../actions/exchange/src/cleanup.ts';
import { run } from '../../../actions/exchange/src/run.ts';

/**
 * Mask first: run() of actions/exchange registers every credential, token and secret before any other effect that
 * carries it — env export, output, log line, state — and before any request made with it. The in-memory StepIO
 * records every effect in order.
 */
const ROLE = 'arn:aws:iam::111122223333:role/deploy';
const CHAINED = 'arn:aws:iam::111122223333:role/admin';
let oidc: OidcProvider;
let aws: AwsEmulator;
let doppler: DopplerEmulator;
const secret = ['sm', 'value', String(Date.now())].join('-');
const dopplerSecret = ['dop', 'value', String(process.pid)].join('-');
const temp = mkdtempSync(join(tmpdir(), 'airlock-run-'));

beforeAll(async () => {
  oidc = await OidcProvider.start();
  aws = await AwsEmulator.start({
    oidc: { issuer: oidc.issuer },
    roles: [
      { arn: ROLE, webIdentity: {} },
      { arn: CHAINED, trustedRoles: [ROLE] },
    ],
    secrets: [
      { name: 'app/key', value: JSON.stringify({ key: secret, other: 'other-field-value' }), readers: [CHAINED] },
    ],
  });
  doppler = await DopplerEmulator.start({
    oidc: { issuer: oidc.issuer },
    identities: [{ id: 'ident', trust: { audiences: ['https://api.doppler.com'] }, access: ['web/prd'] }],
    secrets: { 'web/prd': { TOKEN: dopplerSecret } },
  });
});
afterAll(async () => {
  await aws.stop();
  await doppler.stop();
  await oidc.stop();
  rmSync(temp, { recursive: true, force: true });
});

function step(options: { env?: Record<string, string> } = {}) {
  const holder: { mask?: (v: string) => void } = {};
  const memory = createMemoryStep({
    name: 'exchange',
    env: { GITHUB_REPOSITORY: 'acme/app', GITHUB_RUN_ID: '77', ...options.env },
    runnerTemp: temp,
    workspace: temp,
    fetch: createNodeFetch(),
    idTokens: {
      getToken: async (audience) => {
        const token = await oidc.issue(audience);
        holder.mask?.(token); // as GitHubIdTokenSource does
        return token;
      },
    },
  });
  holder.mask = memory.io.mask;
  return memory;
}

const carries = (event: StepEvent, value: string): boolean => {
  switch (event.type) {
    case 'env':
    case 'output':
    case 'state':
      return event.value.includes(value);
    case 'log':
      return event.message.includes(value);
    default:
      return false;
  }
};

function assertMaskedFirst(events: readonly StepEvent[], values: readonly string[]): void {
  for (const value of values) {
    const masked = events.findIndex((e) => e.type === 'mask' && e.value === value);
    expect(masked, `never masked: ${value.slice(0, 6)}…`).toBeGreaterThanOrEqual(0);
    const used = events.findIndex((e) => carries(e, value));
    if (used >= 0) expect(used, `used before it was masked: ${value.slice(0, 6)}…`).toBeGreaterThan(masked);
    // a value never appears in a log line at all
    expect(events.some((e) => e.type === 'log' && e.message.includes(value))).toBe(false);
  }
}

describe('run() masks first', () => {
  it('aws: web identity, chained role, RDS token and a JSON secret are masked before export, output and requests', async () => {
    const memory = step();
    await run(
      {
        settings: {
          provider: 'aws',
          issuer: oidc.issuer,
          'role-to-assume': ROLE,
          'role-chain': CHAINED,
          'aws-region': 'us-east-1',
          endpoints: `sts=${aws.endpoint}\nsecretsmanager=${aws.endpoint}`,
          'rds-auth': 'host=db.example.internal\nuser=app',
          secrets: 'KEY=aws-sm:app/key#key',
          'output-credentials': 'true',
        },
      },
      memory.io,
    );
    const [first, chained] = aws.sessions.slice(-2);
    if (first === undefined || chained === undefined) throw new Error('no sessions');
    const rds = memory.exported.RDS_AUTH_TOKEN as string;
    const whole = JSON.stringify({ key: secret, other: 'other-field-value' });
    assertMaskedFirst(memory.events, [
      first.accessKeyId,
      first.secretAccessKey,
      first.sessionToken,
      chained.accessKeyId,
      chained.secretAccessKey,
      chained.sessionToken,
      rds,
      secret,
      whole,
      'other-field-value',
    ]);
    // the first role's credentials were masked before they signed AssumeRole; the chained ones before GetSecretValue
    const requests = memory.events.flatMap((e, i) =>
      e.type === 'request' && e.url.startsWith(aws.endpoint) ? [i] : [],
    );
    expect(requests).toHaveLength(3); // AssumeRoleWithWebIdentity, AssumeRole, GetSecretValue
    const maskOf = (v: string) => memory.events.findIndex((e) => e.type === 'mask' && e.value === v);
    expect(maskOf(first.sessionToken)).toBeLessThan(requests[1] as number);
    expect(maskOf(chained.sessionToken)).toBeLessThan(requests[2] as number);
    // the OIDC token was masked when it arrived, before it was sent to STS
    const token = aws.presentedTokens.at(-1) as string;
    expect(maskOf(token)).toBeLessThan(requests[0] as number);
    expect(memory.outputs['aws-session-token']).toBe(chained.sessionToken);
    // nothing on disk: no credentials file unless asked
    expect(readdirSync(temp)).toEqual([]);
  });

  it('doppler: the token and the secret are masked first, and post revokes and unsets', async () => {
    const memory = step();
    await run(
      {
        settings: {
          provider: 'doppler',
          issuer: oidc.issuer,
          'doppler-identity': 'ident',
          endpoints: `api=${doppler.api}`,
          audience: 'https://api.doppler.com',
          secrets: 'TOKEN=doppler:web/prd/TOKEN',
        },
      },
      memory.io,
    );
    const token = doppler.issued.at(-1)?.token as string;
    assertMaskedFirst(memory.events, [token, dopplerSecret]);
    expect(memory.exported).toEqual({ DOPPLER_TOKEN: token, TOKEN: dopplerSecret });

    const after = createMemoryStep({ name: 'exchange', phase: 'post', state: memory.state, fetch: createNodeFetch() });
    const result = await post({ clientSecret: undefined, vaultCaCertificate: undefined }, after.io);
    expect(result.result).toMatchObject({
      provider: 'doppler',
      revocation: 'revoked',
      unset: ['DOPPLER_TOKEN', 'TOKEN'],
    });
    expect(doppler.live(token)).toBe(false);
    // the revocation token from the state is masked before the revoke request and before anything else
    expect(after.events[0]).toEqual({ type: 'mask', value: token });
    expect(after.exported).toEqual({ DOPPLER_TOKEN: '', TOKEN: '' });
  });

  it('post with no state (main failed early) does nothing, and says so', async () => {
    const after = createMemoryStep({ name: 'exchange', phase: 'post' });
    const result = await post({ clientSecret: undefined, vaultCaCertificate: undefined }, after.io);
    expect(result.result).toEqual({ cleaned: false });
    expect(after.events.filter((e) => e.type === 'env' || e.type === 'request')).toEqual([]);
  });
});
