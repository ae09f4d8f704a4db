import type { HttpClient } from '@airlock/core';
import type { JWK } from 'jose';
import { OidcError } from './errors.ts';
import type { JsonWebKeySet } from './jwt.ts';

/**
 * The issuer's signing keys, found the OpenID Connect Discovery way: `<issuer>/.well-known/openid-configuration`
 * names `jwks_uri`, which serves the key set. The discovery document must name the same issuer (OpenID Connect
 * Discovery 1.0 §4.3), and both URLs must be https (plain http is accepted for loopback addresses only, for local
 * emulators and tests).
 */
export function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** An https URL, or http on a loopback address. */
export function isSecureUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url));
}

export function discoveryUrl(issuer: string): URL {
  return new URL(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
}

export function parseJwks(value: unknown, where: string): JsonWebKeySet {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.some((k) => k === null || typeof k !== 'object' || typeof k.kty !== 'string')) {
    throw new OidcError('jwks-unavailable', `${where} is not a JSON Web Key Set (expected {"keys": [{"kty": …}, …]})`, {
      kind: 'external',
    });
  }
  return { keys: keys as JWK[] };
}

async function getJson(http: HttpClient, url: URL, what: string): Promise<unknown> {
  const response = await http.request({ url, headers: { accept: 'application/json' }, service: what });
  if (!response.ok) {
    throw new OidcError(
      'jwks-unavailable',
      `${what} answered HTTP ${response.status} (GET ${url.origin}${url.pathname})`,
      {
        kind: 'external',
      },
    );
  }
  try {
    return response.json();
  } catch (cause) {
    throw new OidcError('jwks-unavailable', `${what} did not answer JSON`, { cause, kind: 'external' });
  }
}

/** Fetch the key set of `issuer` via discovery. */
export async function fetchIssuerJwks(http: HttpClient, issuer: string): Promise<JsonWebKeySet> {
  let issuerUrl: URL;
  try {
    issuerUrl = new URL(issuer);
  } catch {
    throw new OidcError('setting-invalid', `the issuer '${issuer}' is not a URL`);
  }
  if (!isSecureUrl(issuerUrl)) {
    throw new OidcError('setting-invalid', `the issuer '${issuer}' must be an https URL`);
  }
  const config = (await getJson(http, discoveryUrl(issuer), `the discovery document of ${issuer}`)) as {
    issuer?: unknown;
    jwks_uri?: unknown;
  };
  if (typeof config?.issuer === 'string' && config.issuer.replace(/\/+$/, '') !== issuer.replace(/\/+$/, '')) {
    throw new OidcError(
      'jwks-unavailable',
      `the discovery document of ${issuer} names a different issuer ('${config.issuer}'); refusing its keys`,
      { kind: 'external' },
    );
  }
  if (typeof config?.jwks_uri !== 'string') {
    throw new OidcError('jwks-unavailable', `the discovery document of ${issuer} has no jwks_uri`, {
      kind: 'external',
    });
  }
  let jwksUrl: URL;
  try {
    jwksUrl = new URL(config.jwks_uri);
  } catch {
    throw new OidcError('jwks-unavailable', `the jwks_uri of ${issuer} is not a URL`, { kind: 'external' });
  }
  if (!isSecureUrl(jwksUrl)) {
    throw new OidcError('jwks-unavailable', `the jwks_uri of ${issuer} is not https (${jwksUrl.origin})`, {
      kind: 'external',
    });
  }
  return parseJwks(await getJson(http, jwksUrl, `the JWKS of ${issuer}`), `the JWKS of ${issuer}`);
}

/** Fetch a key set from a URL given directly (`--jwks URL`). */
export async function fetchJwksUrl(http: HttpClient, url: URL): Promise<JsonWebKeySet> {
  if (!isSecureUrl(url)) throw new OidcError('setting-invalid', `the JWKS URL ${url.origin} must be https`);
  return parseJwks(await getJson(http, url, `the JWKS at ${url.host}`), `the JWKS at ${url.href}`);
}
