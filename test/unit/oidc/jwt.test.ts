import { createHmac, createPublicKey } from 'node:crypto';
import { decodeUnverified, type JsonWebKeySet, OidcError, verifyToken } from '@airlock/oidc';
import fc from 'fast-check';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * Token verification refuses every known way to get a forged or stale token accepted; each case is a real token
 * built with jose (or by hand, for what jose will not produce).
 */
const ISSUER = 'https://token.actions.githubusercontent.com';
const AUDIENCE = 'sts.amazonaws.com';
const NOW = new Date('2026-05-01T12:00:00Z');
const now = () => NOW;
const t = Math.floor(NOW.getTime() / 1000);

type Key = Awaited<ReturnType<typeof generateKeyPair>>;
let rsa: Key;
let ec: Key;
let stranger: Key;
let rsaJwk: JWK;
let jwks: JsonWebKeySet;

beforeAll(async () => {
  rsa = await generateKeyPair('RS256', { extractable: true });
  ec = await generateKeyPair('ES256', { extractable: true });
  stranger = await generateKeyPair('RS256', { extractable: true });
  rsaJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' };
  jwks = { keys: [rsaJwk, { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' }] };
});

const claims = (over: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: 'repo:acme/app:ref:refs/heads/main',
  iat: t - 10,
  nbf: t - 15,
  exp: t + 300,
  repository: 'acme/app',
  ...over,
});

async function sign(
  over: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
  key: Key = rsa,
  alg = 'RS256',
): Promise<string> {
  const kid = key === ec ? 'ec-1' : 'rsa-1';
  return new SignJWT(claims(over)).setProtectedHeader({ alg, typ: 'JWT', kid, ...header }).sign(key.privateKey);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function refusal(token: string, options: Partial<Parameters<typeof verifyToken>[1]> = {}): Promise<OidcError> {
  try {
    await verifyToken(token, { issuer: ISSUER, audience: AUDIENCE, jwks, now, ...options });
  } catch (error) {
    expect(error).toBeInstanceOf(OidcError);
    return error as OidcError;
  }
  throw new Error('the token was accepted');
}

describe('verifyToken accepts', () => {
  it('RS256 and ES256 tokens signed by a key of the JWKS', async () => {
    const verified = await verifyToken(await sign(), { issuer: ISSUER, audience: AUDIENCE, jwks, now });
    expect(verified.claims.repository).toBe('acme/app');
    expect(verified.expiresAt).toBe(t + 300);
    const es = await verifyToken(await sign({}, {}, ec, 'ES256'), { issuer: ISSUER, audience: AUDIENCE, jwks, now });
    expect(es.header.alg).toBe('ES256');
  });

  it('a token a few seconds past exp or before nbf, within the leeway', async () => {
    await expect(
      verifyToken(await sign({ exp: t - 20 }), { issuer: ISSUER, audience: AUDIENCE, jwks, now }),
    ).resolves.toBeDefined();
    await expect(
      verifyToken(await sign({ nbf: t + 20 }), { issuer: ISSUER, audience: AUDIENCE, jwks, now }),
    ).resolves.toBeDefined();
  });

  it('a token without kid when the JWKS has exactly one key for its algorithm', async () => {
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256' }).sign(ec.privateKey);
    await expect(verifyToken(token, { issuer: ISSUER, audience: AUDIENCE, jwks, now })).resolves.toBeDefined();
  });
});

describe('verifyToken refuses', () => {
  it('alg none (an unsigned token)', async () => {
    const token = `${b64({ alg: 'none', typ: 'JWT', kid: 'rsa-1' })}.${b64(claims())}.`;
    const error = await refusal(token);
    expect(error.code).toBe('token-header');
    expect(error.message).toMatch(/unsigned \("alg": "none"\)/);
  });

  it('HS256 "signed" with the issuer RSA public key (key confusion)', async () => {
    const publicPem = createPublicKey({ key: rsaJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const head = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'rsa-1' })}.${b64(claims())}`;
    const mac = createHmac('sha256', publicPem).update(head).digest('base64url');
    const error = await refusal(`${head}.${mac}`);
    expect(error.code).toBe('token-header');
    expect(error.message).toMatch(/symmetric algorithm HS256.*known forgery/);
  });

  it('an embedded jwk header carrying the attacker key, and jku/x5u/x5c headers', async () => {
    const attackerJwk = await exportJWK(stranger.publicKey);
    const withJwk = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'RS256', jwk: attackerJwk })
      .sign(stranger.privateKey);
    const error = await refusal(withJwk);
    expect(error.code).toBe('token-header');
    expect(error.message).toMatch(/carries its own key \("jwk"\)/);
    for (const header of ['jku', 'x5u']) {
      const token = await sign({}, { [header]: 'https://attacker.example/keys' });
      expect((await refusal(token)).message).toContain(`("${header}")`);
    }
    expect((await refusal(await sign({}, { x5c: ['MIIB'] }))).code).toBe('token-header');
  });

  it('a kid the JWKS does not list', async () => {
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'RS256', kid: 'rotated-away' })
      .sign(stranger.privateKey);
    const error = await refusal(token);
    expect(error.code).toBe('token-unknown-key');
    expect(error.message).toMatch(
      /signed with key rotated-away, which the JWKS of https:\/\/token\.actions\.githubusercontent\.com does not list/,
    );
  });

  it('a token signed by another key under a listed kid (bad signature), and a tampered payload', async () => {
    const forged = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .sign(stranger.privateKey);
    expect((await refusal(forged)).code).toBe('token-signature');
    const [h, , s] = (await sign()).split('.');
    const tampered = `${h}.${b64(claims({ repository: 'acme/evil' }))}.${s}`;
    const error = await refusal(tampered);
    expect(error.code).toBe('token-signature');
    expect(error.message).toMatch(/altered or forged/);
  });

  it('an algorithm whose key type the kid does not have (RS256 header on the EC key)', async () => {
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', kid: 'ec-1' }).sign(rsa.privateKey);
    const error = await refusal(token);
    expect(error.code).toBe('token-unknown-key');
    expect(error.message).toMatch(/listed .* but is not a RS256 signing key/);
  });

  it('other algorithms (PS256, RS512, ES384, EdDSA), before any cryptography', async () => {
    for (const alg of ['PS256', 'RS512', 'ES384', 'EdDSA']) {
      const token = `${b64({ alg, kid: 'rsa-1' })}.${b64(claims())}.c2ln`;
      expect((await refusal(token)).message).toMatch(`algorithm ${alg}; only RS256 and ES256`);
    }
  });

  it('the wrong issuer or audience, naming both', async () => {
    const iss = await refusal(await sign({ iss: 'https://evil.example' }));
    expect(iss.code).toBe('token-issuer');
    expect(iss.message).toBe(
      "the token's issuer is 'https://evil.example', expected 'https://token.actions.githubusercontent.com'",
    );
    const aud = await refusal(await sign({ aud: 'https://github.com/acme' }));
    expect(aud.code).toBe('token-audience');
    expect(aud.message).toBe("the token's audience is 'https://github.com/acme', expected 'sts.amazonaws.com'");
  });

  it('an expired token, a token not valid yet, one issued in the future, pointing at the clock', async () => {
    const expired = await refusal(await sign({ exp: t - 120 }));
    expect(expired.code).toBe('token-expired');
    expect(expired.message).toMatch(/expired at 2026-05-01T11:58:00Z, 120 s ago \(leeway 30 s\)/);
    const early = await refusal(await sign({ nbf: t + 600 }));
    expect(early.code).toBe('token-not-yet-valid');
    expect(early.message).toMatch(/not valid before .* 600 s from now .*clock is behind/);
    const future = await refusal(await sign({ iat: t + 900, nbf: t - 5 }));
    expect(future.message).toMatch(/issued 900 s in the future .*sync it with NTP/);
  });

  it('a token without exp', async () => {
    const { exp: _exp, ...noExp } = claims();
    const token = await new SignJWT(noExp).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).sign(rsa.privateKey);
    const error = await refusal(token);
    expect(error.code).toBe('token-claims');
    expect(error.message).toMatch(/"exp" claim is invalid: missing/);
  });

  it('crit headers', async () => {
    const token = `${b64({ alg: 'RS256', kid: 'rsa-1', crit: ['b64'], b64: false })}.${b64(claims())}.c2ln`;
    expect((await refusal(token)).message).toMatch(/"crit"/);
  });

  it('malformed tokens with a reason, never a crash', async () => {
    expect((await refusal('abc')).message).toMatch(/not a JWT \(expected 3 dot-separated parts, found 1\)/);
    expect((await refusal('a.b.c.d.e')).message).toMatch(/an encrypted JWE is not an OIDC ID token/);
    expect((await refusal('!!!.e30.sig')).message).toMatch(/header is not base64url/);
    expect((await refusal(`${Buffer.from('not json').toString('base64url')}.e30.sig`)).message).toMatch(
      /header is not JSON/,
    );
    expect((await refusal(`${b64([1])}.e30.sig`)).message).toMatch(/header is not a JSON object/);
  });

  it('any random input with an OidcError (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.array(fc.base64String(), { minLength: 3, maxLength: 3 }).map((p) => p.join('.')),
        ),
        async (input) => {
          await expect(verifyToken(input, { issuer: ISSUER, audience: AUDIENCE, jwks, now })).rejects.toBeInstanceOf(
            OidcError,
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('decodeUnverified', () => {
  it('reads header and claims for bookkeeping', async () => {
    const { header, claims: c } = decodeUnverified(await sign());
    expect(header.kid).toBe('rsa-1');
    expect(c.sub).toBe('repo:acme/app:ref:refs/heads/main');
  });
});
