import type { BufferedResponse } from '@airlock/core';
import { OidcError } from '../errors.ts';
import { httpClassifier, sendClassified, sendWithToken, unavailable } from '../retry.ts';
import type { FreshToken } from '../tokens.ts';
import { isoDate, jsonBody, oneLine, type ProviderContext, str, type TokenFacts } from './context.ts';

/**
 * Doppler service-account identities (OIDC):
 * - `POST https://api.doppler.com/v3/auth/oidc` `{"identity": "<identity id>", "token": "<jwt>"}` →
 *   `{"success": true, "token": "dp.said.…", "expires_at": "…"}`;
 * - secrets: `GET /v3/configs/config/secret?project=…&config=…&name=…` with `Authorization: Bearer <token>` →
 *   `{"name": …, "value": {"raw": …, "computed": …}, "success": true}`;
 * - `POST /v3/auth/revoke` `{"token": …}` in the post step.
 * Errors are `{"messages": ["…"], "success": false}`.
 */
export const DOPPLER_API = 'https://api.doppler.com';

export function dopplerMessages(response: BufferedResponse): string {
  const messages = jsonBody(response)?.messages;
  if (Array.isArray(messages) && messages.length > 0) return oneLine(messages.map(String).join(' '));
  return `HTTP ${response.status}`;
}

function api(base: URL, path: string): URL {
  return new URL(`${base.href.replace(/\/+$/, '')}${path}`);
}

export interface DopplerToken {
  readonly token: string;
  readonly expiresAt: Date | undefined;
}

export async function dopplerLogin(
  ctx: ProviderContext,
  token: FreshToken,
  req: { api: URL; identity: string },
  facts: TokenFacts,
): Promise<DopplerToken> {
  const deadlineMs = ctx.budget.deadlineAt - ctx.budget.now();
  const { response } = await sendWithToken(
    ctx.http,
    token,
    (jwt) => ({
      url: api(req.api, '/v3/auth/oidc'),
      method: 'POST',
      service: 'Doppler',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ identity: req.identity, token: jwt }),
    }),
    httpClassifier,
    ctx.budget,
  );
  const json = jsonBody(response);
  if (response.ok && json?.success !== false) {
    const value = str(json?.token);
    if (value === undefined) {
      throw new OidcError('exchange-bad-response', 'Doppler answered the OIDC login without a token', {
        kind: 'external',
      });
    }
    ctx.mask(value);
    return { token: value, expiresAt: isoDate(json?.expires_at) };
  }
  if (httpClassifier({ response }) === 'retry') {
    throw unavailable('Doppler', dopplerMessages(response), response.attempts, deadlineMs);
  }
  const said = dopplerMessages(response);
  const fix =
    response.status === 404 || /identity not found/i.test(said)
      ? ` Check input 'doppler-identity' (${req.identity}).`
      : ` The identity's claim rules refused this token: its sub is '${facts.sub}' and its aud '${facts.aud}'; the identity's audience rule must equal the aud, and its subject rule must match the sub.`;
  throw new OidcError('exchange-denied', `Doppler refused the OIDC login: ${said}.${fix}`);
}

export async function dopplerSecret(
  ctx: ProviderContext,
  req: { api: URL; token: string; project: string; config: string; name: string },
): Promise<string> {
  const deadlineMs = ctx.budget.deadlineAt - ctx.budget.now();
  const url = api(req.api, '/v3/configs/config/secret');
  url.searchParams.set('project', req.project);
  url.searchParams.set('config', req.config);
  url.searchParams.set('name', req.name);
  const response = await sendClassified(
    ctx.http,
    { url, service: 'Doppler', headers: { authorization: `Bearer ${req.token}`, accept: 'application/json' } },
    httpClassifier,
    ctx.budget,
  );
  const json = jsonBody(response);
  const where = `${req.project}/${req.config}/${req.name}`;
  if (response.ok) {
    const value = json?.value as { computed?: unknown; raw?: unknown } | undefined;
    const text = str(value?.computed) ?? str(value?.raw);
    if (text === undefined) {
      throw new OidcError('exchange-bad-response', `Doppler returned no value for ${where}`, { kind: 'external' });
    }
    ctx.mask(text);
    return text;
  }
  if (httpClassifier({ response }) === 'retry') {
    throw unavailable('Doppler', dopplerMessages(response), response.attempts, deadlineMs);
  }
  if (response.status === 404) {
    throw new OidcError('secret-not-found', `Doppler has no secret ${where}: ${dopplerMessages(response)}`);
  }
  throw new OidcError(
    'secret-denied',
    `Doppler refused to read ${where}: ${dopplerMessages(response)}. Give the service account access to project '${req.project}' config '${req.config}'`,
  );
}

export async function dopplerRevoke(ctx: ProviderContext, req: { api: URL; token: string }): Promise<'revoked'> {
  const response = await sendClassified(
    ctx.http,
    {
      url: api(req.api, '/v3/auth/revoke'),
      method: 'POST',
      service: 'Doppler',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${req.token}` },
      body: JSON.stringify({ token: req.token }),
    },
    httpClassifier,
    ctx.budget,
  );
  if (response.ok) return 'revoked';
  throw new OidcError('revoke-failed', `Doppler did not revoke the token: ${dopplerMessages(response)}`, {
    kind: 'external',
  });
}
