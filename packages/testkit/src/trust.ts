import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, type JSONWebKeySet, jwtVerify } from 'jose';

/**
 * What every loopback identity provider (STS, Google STS, Entra, Vault, OAuth, Doppler) does with a presented OIDC
 * token, the way the real services do it: find the issuer's keys through OpenID Connect discovery over HTTP, verify
 * the signature (RS256/ES256 only), iss, aud and exp/nbf, then apply a trust policy on sub and other claims.
 * Patterns use AWS `StringLike` semantics (`*` any run of characters, `?` one character), the common denominator
 * of the cloud-side policies.
 */
export interface TrustPolicy {
  /** The issuer the service trusts (the loopback OIDC provider's origin). */
  readonly issuer: string;
  /** Accepted `aud` values. */
  readonly audiences: readonly string[];
  /** Patterns the `sub` must match (any of them); omitted: any subject. */
  readonly subject?: string | readonly string[];
  /** Other claims and the patterns they must match. */
  readonly claims?: Readonly<Record<string, string | readonly string[]>>;
}

export type VerifyFailure =
  | 'malformed'
  | 'issuer'
  | 'signature'
  | 'expired'
  | 'not-yet-valid'
  | 'audience'
  | 'algorithm'
  | 'subject'
  | 'claim';

export type TrustResult =
  | { readonly ok: true; readonly claims: Record<string, unknown> }
  | {
      readonly ok: false;
      readonly failure: VerifyFailure;
      readonly message: string;
      readonly claims?: Record<string, unknown>;
      readonly claim?: string;
    };

/** AWS StringLike: `*` matches any characters (also none), `?` exactly one; everything else literally. */
export function likeMatch(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[\\^$.|+()[\]{}]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(value);
}

const asList = (value: string | readonly string[] | undefined): readonly string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : value;

/** Fetches an issuer's JWKS over HTTP (discovery, then jwks_uri), caching it and refetching on an unknown kid. */
export class JwksClient {
  readonly #issuer: string;
  #keys: JSONWebKeySet | undefined;
  fetches = 0;

  constructor(issuer: string) {
    this.#issuer = issuer.replace(/\/+$/, '');
  }

  async keys(refresh = false): Promise<JSONWebKeySet> {
    if (this.#keys !== undefined && !refresh) return this.#keys;
    const config = (await (await fetch(`${this.#issuer}/.well-known/openid-configuration`)).json()) as {
      jwks_uri: string;
    };
    this.#keys = (await (await fetch(config.jwks_uri)).json()) as JSONWebKeySet;
    this.fetches++;
    return this.#keys;
  }
}

export async function verifyPresentedToken(
  token: string,
  policy: TrustPolicy,
  jwks: JwksClient,
  now: () => Date = () => new Date(),
): Promise<TrustResult> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  let unverified: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token);
    unverified = decodeJwt(token) as Record<string, unknown>;
  } catch {
    return { ok: false, failure: 'malformed', message: 'the token is not a JWT' };
  }
  if (header.alg !== 'RS256' && header.alg !== 'ES256') {
    return { ok: false, failure: 'algorithm', message: `algorithm ${String(header.alg)} is not accepted` };
  }
  if (unverified.iss !== policy.issuer) {
    return { ok: false, failure: 'issuer', message: `no trusted issuer ${String(unverified.iss)}`, claims: unverified };
  }
  let keys = await jwks.keys();
  if (typeof header.kid === 'string' && !keys.keys.some((k) => k.kid === header.kid)) keys = await jwks.keys(true);
  let claims: Record<string, unknown>;
  try {
    const verified = await jwtVerify(token, createLocalJWKSet(keys), {
      issuer: policy.issuer,
      algorithms: ['RS256', 'ES256'],
      currentDate: now(),
      clockTolerance: 5,
    });
    claims = verified.payload as Record<string, unknown>;
  } catch (error) {
    if (error instanceof errors.JWTExpired) {
      return { ok: false, failure: 'expired', message: 'the token has expired', claims: unverified };
    }
    if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf') {
      return { ok: false, failure: 'not-yet-valid', message: 'the token is not valid yet', claims: unverified };
    }
    return {
      ok: false,
      failure: 'signature',
      message: `the token signature does not verify (${(error as Error).message})`,
      claims: unverified,
    };
  }
  const aud = Array.isArray(claims.aud) ? claims.aud.map(String) : [String(claims.aud)];
  if (!aud.some((a) => policy.audiences.includes(a))) {
    return { ok: false, failure: 'audience', message: `audience ${aud.join(', ')} is not accepted`, claims };
  }
  const subjects = asList(policy.subject);
  if (subjects.length > 0 && !subjects.some((p) => likeMatch(p, String(claims.sub)))) {
    return { ok: false, failure: 'subject', message: `subject ${String(claims.sub)} is not trusted`, claims };
  }
  for (const [claim, patterns] of Object.entries(policy.claims ?? {})) {
    const value = claims[claim];
    if (typeof value !== 'string' || !asList(patterns).some((p) => likeMatch(p, value))) {
      return { ok: false, failure: 'claim', claim, message: `claim ${claim} is not trusted`, claims };
    }
  }
  return { ok: true, claims };
}

/** A random credential-looking value (never a realistic key format; built at run time). */
export function randomToken(prefix: string, length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = prefix;
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}
