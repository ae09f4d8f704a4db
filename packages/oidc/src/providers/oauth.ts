import { OidcError } from '../errors.ts';
import { httpClassifier, sendClassified, sendWithToken, unavailable } from '../retry.ts';
import type { FreshToken } from '../tokens.ts';
import { jsonBody, oneLine, type ProviderContext, str, type TokenFacts } from './context.ts';

/**
 * Generic OAuth 2.0 Token Exchange (RFC 8693) against any authorization server — Keycloak, Okta, Auth0, an
 * octo-sts-style broker: `POST <token endpoint>` form-encoded with
 * `grant_type=urn:ietf:params:oauth:grant-type:token-exchange`, `subject_token`, `subject_token_type` and optionally
 * `requested_token_type`, `audience`, `resource`, `scope`; client authentication none, `client_secret_basic`
 * (RFC 6749 §2.3.1: form-urlencoded id and secret in HTTP Basic) or `client_secret_post`. Success is
 * `{access_token, issued_token_type, token_type, expires_in}`; errors are RFC 6749 §5.2 `{"error": "invalid_grant",
 * "error_description": …}`. Revocation is RFC 7009: `POST <revocation endpoint>` `token=…&token_type_hint=access_token`
 * with the same client authentication; 200 whether or not the token was still valid.
 */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const TOKEN_TYPES = {
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  id_token: 'urn:ietf:params:oauth:token-type:id_token',
  access_token: 'urn:ietf:params:oauth:token-type:access_token',
  refresh_token: 'urn:ietf:params:oauth:token-type:refresh_token',
} as const;
export const CLIENT_AUTH_METHODS = ['none', 'client_secret_basic', 'client_secret_post'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

export interface OAuthClient {
  readonly clientId?: string | undefined;
  readonly clientSecret?: string | undefined;
  readonly method: ClientAuthMethod;
}

export interface TokenExchangeRequest {
  readonly tokenEndpoint: URL;
  readonly subjectTokenType: string;
  readonly requestedTokenType?: string | undefined;
  readonly audience?: string | undefined;
  readonly resource?: string | undefined;
  readonly scope?: string | undefined;
  readonly client: OAuthClient;
}

export interface ExchangedToken {
  readonly accessToken: string;
  readonly issuedTokenType: string | undefined;
  readonly tokenType: string | undefined;
  readonly scope: string | undefined;
  readonly expiresAt: Date | undefined;
}

const formEncode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');

/** Apply client authentication to a form and headers. */
export function authenticateClient(client: OAuthClient, form: URLSearchParams, headers: Record<string, string>): void {
  if (client.method === 'client_secret_basic') {
    const pair = `${formEncode(client.clientId ?? '')}:${formEncode(client.clientSecret ?? '')}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  } else if (client.method === 'client_secret_post') {
    form.set('client_id', client.clientId ?? '');
    form.set('client_secret', client.clientSecret ?? '');
  } else if (client.clientId !== undefined) {
    form.set('client_id', client.clientId);
  }
}

export async function tokenExchange(
  ctx: ProviderContext,
  token: FreshToken,
  req: TokenExchangeRequest,
  facts: TokenFacts,
): Promise<ExchangedToken> {
  const deadlineMs = ctx.budget.deadlineAt - ctx.budget.now();
  const { response } = await sendWithToken(
    ctx.http,
    token,
    (jwt) => {
      const form = new URLSearchParams({
        grant_type: TOKEN_EXCHANGE_GRANT,
        subject_token: jwt,
        subject_token_type: req.subjectTokenType,
      });
      if (req.requestedTokenType !== undefined) form.set('requested_token_type', req.requestedTokenType);
      if (req.audience !== undefined) form.set('audience', req.audience);
      if (req.resource !== undefined) form.set('resource', req.resource);
      if (req.scope !== undefined) form.set('scope', req.scope);
      const headers: Record<string, string> = { accept: 'application/json' };
      authenticateClient(req.client, form, headers);
      return {
        url: req.tokenEndpoint,
        method: 'POST',
        service: `the token endpoint ${req.tokenEndpoint.host}`,
        headers,
        body: form,
      };
    },
    httpClassifier,
    ctx.budget,
  );
  const json = jsonBody(response);
  if (response.ok) {
    const accessToken = str(json?.access_token);
    if (accessToken === undefined) {
      throw new OidcError(
        'exchange-bad-response',
        `the token endpoint ${req.tokenEndpoint.host} answered without an access_token`,
        {
          kind: 'external',
        },
      );
    }
    ctx.mask(accessToken);
    const refresh = str(json?.refresh_token);
    if (refresh !== undefined) ctx.mask(refresh);
    const expiresIn = typeof json?.expires_in === 'number' ? json.expires_in : undefined;
    return {
      accessToken,
      issuedTokenType: str(json?.issued_token_type),
      tokenType: str(json?.token_type),
      scope: str(json?.scope),
      expiresAt: expiresIn === undefined ? undefined : new Date(ctx.now().getTime() + expiresIn * 1000),
    };
  }
  if (httpClassifier({ response }) === 'retry') {
    throw unavailable(
      `the token endpoint ${req.tokenEndpoint.host}`,
      `HTTP ${response.status}`,
      response.attempts,
      deadlineMs,
    );
  }
  const error = str(json?.error) ?? `HTTP ${response.status}`;
  const description = oneLine(str(json?.error_description) ?? '');
  let fix = '';
  if (error === 'invalid_client') {
    fix = " Check inputs 'client-id', 'client-secret' and 'client-auth'.";
  } else if (error === 'invalid_grant' || error === 'access_denied') {
    fix = ` The server's trust policy refused this token: its sub is '${facts.sub}' and its aud '${facts.aud}'.`;
  } else if (error === 'invalid_target') {
    fix = " Check inputs 'target-audience' and 'resource'.";
  } else if (error === 'unsupported_grant_type') {
    fix = ' The server does not support RFC 8693 token exchange for this client; enable it.';
  } else if (error === 'invalid_scope') {
    fix = " Check input 'scope'.";
  }
  throw new OidcError(
    'exchange-denied',
    `the token endpoint ${req.tokenEndpoint.host} refused the token exchange: ${error}${description ? `: ${description}` : ''}.${fix}`,
  );
}

/** RFC 7009 revocation. */
export async function revokeOAuthToken(
  ctx: ProviderContext,
  req: { endpoint: URL; token: string; client: OAuthClient },
): Promise<'revoked'> {
  const form = new URLSearchParams({ token: req.token, token_type_hint: 'access_token' });
  const headers: Record<string, string> = {};
  authenticateClient(req.client, form, headers);
  const response = await sendClassified(
    ctx.http,
    { url: req.endpoint, method: 'POST', headers, body: form, service: `the revocation endpoint ${req.endpoint.host}` },
    httpClassifier,
    ctx.budget,
  );
  if (response.ok) return 'revoked';
  const json = jsonBody(response);
  throw new OidcError(
    'revoke-failed',
    `the revocation endpoint ${req.endpoint.host} answered HTTP ${response.status}${str(json?.error) ? ` (${str(json?.error)})` : ''}`,
    { kind: 'external' },
  );
}
