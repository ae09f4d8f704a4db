import { errors, importJWK, type JWK, jwtVerify } from 'jose';
import { OidcError } from './errors.ts';

/**
 * Verification of an OIDC token (a JWS-signed JWT) against its issuer's JWKS.
 *
 * What is refused before any cryptography, because each is a known way to forge a token that a lax verifier accepts:
 * - `alg: none` (an unsigned token);
 * - any algorithm but RS256 and ES256 — in particular HS256, where a verifier that feeds the issuer's RSA public key
 *   to HMAC accepts a token "signed" with that public (so: known) key;
 * - keys carried by the token itself (`jwk`, `jku`, `x5u`, `x5c` headers): a token never gets to say which key
 *   verifies it;
 * - a `kid` the issuer's JWKS does not list, and a key whose type does not fit the algorithm;
 * - `crit` extensions (none is understood).
 * Then jose checks the signature, `iss`, `aud`, `exp` and `nbf` with a small leeway (30 s by default).
 */
export const ALLOWED_ALGORITHMS = ['RS256', 'ES256'] as const;
export type AllowedAlgorithm = (typeof ALLOWED_ALGORITHMS)[number];
export const DEFAULT_LEEWAY_SECONDS = 30;

export interface JsonWebKeySet {
  readonly keys: readonly JWK[];
}

export interface JwtHeader {
  readonly alg?: unknown;
  readonly kid?: unknown;
  readonly typ?: unknown;
  readonly [name: string]: unknown;
}

export type JwtClaims = Readonly<Record<string, unknown>>;

export interface VerifiedToken {
  readonly header: JwtHeader;
  readonly claims: JwtClaims;
  /** Seconds since the epoch. */
  readonly expiresAt: number;
}

export interface VerifyOptions {
  /** The issuer the token must name in `iss`, exactly (a trailing slash is not ignored). */
  readonly issuer: string;
  /** The audience the token must carry in `aud`. */
  readonly audience: string;
  readonly jwks: JsonWebKeySet;
  readonly now?: () => Date;
  readonly leewaySeconds?: number;
}

function base64UrlJson(part: string, what: string): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]*$/.test(part) || part === '') {
    throw new OidcError('token-malformed', `the token's ${what} is not base64url`);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new OidcError('token-malformed', `the token's ${what} is not JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new OidcError('token-malformed', `the token's ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Header and claims without any verification: for messages and expiry bookkeeping only, never for decisions. */
export function decodeUnverified(token: string): { header: JwtHeader; claims: JwtClaims } {
  const parts = token.trim().split('.');
  if (parts.length !== 3) {
    throw new OidcError(
      'token-malformed',
      `the token is not a JWT (expected 3 dot-separated parts, found ${parts.length}${parts.length === 5 ? ': an encrypted JWE is not an OIDC ID token' : ''})`,
    );
  }
  return { header: base64UrlJson(parts[0] as string, 'header'), claims: base64UrlJson(parts[1] as string, 'payload') };
}

/** Check the protected header and pick the verification key from the JWKS. */
export function selectKey(header: JwtHeader, jwks: JsonWebKeySet, issuer: string): { alg: AllowedAlgorithm; jwk: JWK } {
  const alg = header.alg;
  if (typeof alg !== 'string') throw new OidcError('token-header', 'the token header has no "alg"');
  if (alg.toLowerCase() === 'none') {
    throw new OidcError('token-header', 'the token is unsigned ("alg": "none"); unsigned tokens are always refused');
  }
  if (/^HS/i.test(alg)) {
    throw new OidcError(
      'token-header',
      `the token uses the symmetric algorithm ${alg}; only RS256 and ES256 are accepted (an HMAC token "signed" with the issuer's public key is a known forgery)`,
    );
  }
  if (!(ALLOWED_ALGORITHMS as readonly string[]).includes(alg)) {
    throw new OidcError('token-header', `the token uses algorithm ${alg}; only RS256 and ES256 are accepted`);
  }
  for (const embedded of ['jwk', 'jku', 'x5u', 'x5c']) {
    if (header[embedded] !== undefined) {
      throw new OidcError(
        'token-header',
        `the token header carries its own key ("${embedded}"); keys come only from the issuer's JWKS, so this token is refused`,
      );
    }
  }
  if (header.crit !== undefined) {
    throw new OidcError('token-header', 'the token header has "crit" extensions, which are not supported');
  }
  const kty = alg === 'RS256' ? 'RSA' : 'EC';
  const usable = jwks.keys.filter(
    (k) =>
      k.kty === kty &&
      (k.use === undefined || k.use === 'sig') &&
      (k.alg === undefined || k.alg === alg) &&
      (kty !== 'EC' || k.crv === 'P-256'),
  );
  const kid = header.kid;
  if (kid !== undefined && typeof kid !== 'string')
    throw new OidcError('token-header', 'the token "kid" is not a string');
  let jwk: JWK | undefined;
  if (kid === undefined) {
    if (usable.length !== 1) {
      throw new OidcError(
        'token-unknown-key',
        `the token has no "kid" and the JWKS of ${issuer} has ${usable.length} ${alg} keys; cannot tell which one signed it`,
      );
    }
    jwk = usable[0];
  } else {
    jwk = usable.find((k) => k.kid === kid);
    if (jwk === undefined) {
      const listed = jwks.keys.some((k) => k.kid === kid);
      throw new OidcError(
        'token-unknown-key',
        listed
          ? `the token's key ${kid} is listed by ${issuer} but is not a ${alg} signing key`
          : `the token was signed with key ${kid}, which the JWKS of ${issuer} does not list (${jwks.keys.length} keys): the token was not issued by ${issuer}, or was signed by a key already retired`,
      );
    }
  }
  return { alg: alg as AllowedAlgorithm, jwk: jwk as JWK };
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

/** Verify a token; throws an {@link OidcError} whose message says what is wrong and, where it can, how to fix it. */
export async function verifyToken(token: string, options: VerifyOptions): Promise<VerifiedToken> {
  const compact = token.trim();
  const { header, claims } = decodeUnverified(compact);
  const { alg, jwk } = selectKey(header, options.jwks, options.issuer);
  const now = options.now?.() ?? new Date();
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const leeway = options.leewaySeconds ?? DEFAULT_LEEWAY_SECONDS;

  let key: Awaited<ReturnType<typeof importJWK>>;
  try {
    key = await importJWK({ ...jwk, alg }, alg);
  } catch (cause) {
    throw new OidcError('jwks-unavailable', `the JWKS of ${options.issuer} has an unusable key ${jwk.kid ?? ''}`, {
      cause,
      kind: 'external',
    });
  }
  try {
    await jwtVerify(compact, key, {
      algorithms: [alg],
      issuer: options.issuer,
      audience: options.audience,
      clockTolerance: leeway,
      currentDate: now,
      requiredClaims: ['iss', 'aud', 'exp'],
    });
  } catch (error) {
    throw translate(error, claims, options, nowSeconds, leeway, jwk.kid);
  }
  const iat = claims.iat;
  if (typeof iat === 'number' && iat > nowSeconds + leeway) {
    throw new OidcError(
      'token-not-yet-valid',
      `the token was issued ${iat - nowSeconds} s in the future (iat ${iso(iat)}, this machine's clock says ${iso(nowSeconds)}): this machine's clock is behind; sync it with NTP`,
    );
  }
  return { header, claims, expiresAt: claims.exp as number };
}

function translate(
  error: unknown,
  claims: JwtClaims,
  options: VerifyOptions,
  nowSeconds: number,
  leeway: number,
  kid: string | undefined,
): OidcError {
  if (error instanceof errors.JWTExpired) {
    const exp = claims.exp as number;
    return new OidcError(
      'token-expired',
      `the token expired at ${iso(exp)}, ${nowSeconds - exp} s ago (leeway ${leeway} s); request a fresh one${nowSeconds - exp > 3600 ? ", or check this machine's clock" : ''}`,
      { cause: error },
    );
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const shown = (v: unknown) => (Array.isArray(v) ? v.map(String).join(', ') : String(v));
    switch (error.claim) {
      case 'iss':
        return new OidcError(
          'token-issuer',
          `the token's issuer is '${shown(claims.iss)}', expected '${options.issuer}'`,
          { cause: error },
        );
      case 'aud':
        return new OidcError(
          'token-audience',
          `the token's audience is '${shown(claims.aud)}', expected '${options.audience}'`,
          { cause: error },
        );
      case 'nbf': {
        const nbf = claims.nbf as number;
        return new OidcError(
          'token-not-yet-valid',
          `the token is not valid before ${iso(nbf)}, ${nbf - nowSeconds} s from now (leeway ${leeway} s): this machine's clock is behind the issuer's; sync it with NTP`,
          { cause: error },
        );
      }
      default:
        return new OidcError(
          'token-claims',
          `the token's "${error.claim}" claim is invalid: ${error.reason === 'missing' ? 'missing' : error.message}`,
          { cause: error },
        );
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new OidcError(
      'token-signature',
      `the token's signature does not verify with key ${kid ?? '(the only key)'} of ${options.issuer}: the token was altered or forged`,
      { cause: error },
    );
  }
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) {
    return new OidcError('token-malformed', `the token is malformed: ${error.message}`, { cause: error });
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new OidcError('token-header', `the token's algorithm is not allowed: ${error.message}`, { cause: error });
  }
  return new OidcError('token-malformed', `the token could not be verified: ${(error as Error).message}`, {
    cause: error,
  });
}
