import type { BufferedResponse } from '@airlock/core';
import { OidcError } from '../errors.ts';
import { httpClassifier, sendClassified, sendWithToken, unavailable } from '../retry.ts';
import type { FreshToken } from '../tokens.ts';
import { jsonBody, oneLine, type ProviderContext, str, type TokenFacts } from './context.ts';

/**
 * HashiCorp Vault (and OpenBao) JWT auth:
 * - login: `POST /v1/auth/<mount>/login` `{"role": …, "jwt": …}` → `{"auth": {"client_token", "accessor",
 *   "policies", "lease_duration", "renewable", …}}`;
 * - KV reads with the client token in `X-Vault-Token`: v1 `GET /v1/<mount>/<path>` → `{"data": {…}}`, v2
 *   `GET /v1/<mount>/data/<path>` → `{"data": {"data": {…}, "metadata": {…}}}`;
 * - `POST /v1/auth/token/revoke-self` (204) in the post step.
 * Enterprise namespaces go in `X-Vault-Namespace`. Errors are `{"errors": ["…"]}`.
 */
export interface VaultLoginRequest {
  readonly url: URL;
  readonly mount: string;
  readonly role: string;
  readonly namespace?: string | undefined;
}

export interface VaultToken {
  readonly clientToken: string;
  readonly accessor: string | undefined;
  readonly policies: readonly string[];
  readonly expiresAt: Date | undefined;
}

export function vaultErrors(response: BufferedResponse): string {
  const errors = jsonBody(response)?.errors;
  if (Array.isArray(errors) && errors.length > 0) return oneLine(errors.map(String).join('; '));
  return `HTTP ${response.status}`;
}

function apiUrl(base: URL, path: string): URL {
  return new URL(`${base.href.replace(/\/+$/, '')}/v1/${path.replace(/^\/+/, '')}`);
}

function namespaceHeader(namespace: string | undefined): Record<string, string> {
  return namespace === undefined || namespace === '' ? {} : { 'x-vault-namespace': namespace };
}

export async function vaultLogin(
  ctx: ProviderContext,
  token: FreshToken,
  req: VaultLoginRequest,
  facts: TokenFacts,
): Promise<VaultToken> {
  const deadlineMs = ctx.budget.deadlineAt - ctx.budget.now();
  const url = apiUrl(req.url, `auth/${req.mount}/login`);
  const { response } = await sendWithToken(
    ctx.http,
    token,
    (jwt) => ({
      url,
      method: 'POST',
      service: 'Vault',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...namespaceHeader(req.namespace) },
      body: JSON.stringify({ role: req.role, jwt }),
    }),
    httpClassifier,
    ctx.budget,
  );
  const json = jsonBody(response);
  if (response.ok) {
    const auth = json?.auth as Record<string, unknown> | undefined;
    const clientToken = str(auth?.client_token);
    if (clientToken === undefined) {
      throw new OidcError('exchange-bad-response', 'Vault answered the login without auth.client_token', {
        kind: 'external',
      });
    }
    ctx.mask(clientToken);
    const lease = typeof auth?.lease_duration === 'number' ? auth.lease_duration : undefined;
    return {
      clientToken,
      accessor: str(auth?.accessor),
      policies: Array.isArray(auth?.policies) ? auth.policies.map(String) : [],
      expiresAt: lease === undefined || lease === 0 ? undefined : new Date(ctx.now().getTime() + lease * 1000),
    };
  }
  if (httpClassifier({ response }) === 'retry') {
    throw unavailable('Vault', `${vaultErrors(response)}`, response.attempts, deadlineMs);
  }
  const said = vaultErrors(response);
  let fix = '';
  if (/no audiences bound to the role/.test(said)) {
    fix = ` Vault requires bound_audiences on role '${req.role}' when the token has an aud: add bound_audiences="${facts.aud}" to the role (this action always requests an explicit audience).`;
  } else if (/aud claim does not match|audience/i.test(said)) {
    fix = ` The token's aud is '${facts.aud}': add it to bound_audiences of role '${req.role}', or set input 'audience' to one the role lists.`;
  } else if (/sub|bound claim|claim "/i.test(said)) {
    fix = ` The token's sub is '${facts.sub}' and its aud '${facts.aud}': change bound_subject/bound_claims of role '${req.role}', or run from a ref or environment they admit.`;
  } else if (/role .* could not be found|role not found/i.test(said)) {
    fix = ` Check input 'vault-role' and 'vault-mount' (${req.mount}).`;
  } else if (/expired|not valid yet|nbf|iat/i.test(said)) {
    fix = " Check this machine's clock (NTP).";
  } else if (/unsupported path|no handler/i.test(said)) {
    fix = ` No JWT auth method is mounted at auth/${req.mount}: check input 'vault-mount'${req.namespace ? ' and the namespace' : ''}.`;
  }
  throw new OidcError('exchange-denied', `Vault refused the JWT login to role '${req.role}': ${said}.${fix}`);
}

export interface KvReadRequest {
  readonly url: URL;
  readonly token: string;
  readonly namespace?: string | undefined;
  /** The API path after /v1/: `secret/data/app` (KV v2) or `kv/app` (KV v1). */
  readonly path: string;
}

/** Read a KV secret; v1 and v2 are told apart by the response shape, like hashicorp/vault-action does. */
export async function vaultKvRead(ctx: ProviderContext, req: KvReadRequest): Promise<Record<string, unknown>> {
  const deadlineMs = ctx.budget.deadlineAt - ctx.budget.now();
  const response = await sendClassified(
    ctx.http,
    {
      url: apiUrl(req.url, req.path),
      service: 'Vault',
      headers: { 'x-vault-token': req.token, accept: 'application/json', ...namespaceHeader(req.namespace) },
    },
    httpClassifier,
    ctx.budget,
  );
  if (response.ok) {
    const data = jsonBody(response)?.data as Record<string, unknown> | undefined;
    if (data === undefined || data === null || typeof data !== 'object') {
      throw new OidcError('exchange-bad-response', `Vault returned no data for '${req.path}'`, { kind: 'external' });
    }
    const inner = data.data;
    const isV2 = inner !== null && typeof inner === 'object' && typeof data.metadata === 'object';
    return (isV2 ? inner : data) as Record<string, unknown>;
  }
  if (httpClassifier({ response }) === 'retry') {
    throw unavailable('Vault', vaultErrors(response), response.attempts, deadlineMs);
  }
  if (response.status === 404) {
    const hint = /\/data\//.test(req.path)
      ? ''
      : ' (for a KV version 2 mount the path needs /data/ after the mount, e.g. secret/data/app)';
    throw new OidcError('secret-not-found', `Vault has no secret at '${req.path}'${hint}`);
  }
  if (response.status === 403) {
    throw new OidcError(
      'secret-denied',
      `Vault refused to read '${req.path}' with the login token: ${vaultErrors(response)}. Add a policy granting read on it to the JWT role`,
    );
  }
  throw new OidcError('secret-denied', `Vault refused to read '${req.path}': ${vaultErrors(response)}`);
}

/** `POST /v1/auth/token/revoke-self`. Resolves to 'revoked', or 'already-invalid' when Vault no longer knows it. */
export async function vaultRevokeSelf(
  ctx: ProviderContext,
  req: { url: URL; token: string; namespace?: string | undefined },
): Promise<'revoked' | 'already-invalid'> {
  const response = await sendClassified(
    ctx.http,
    {
      url: apiUrl(req.url, 'auth/token/revoke-self'),
      method: 'POST',
      service: 'Vault',
      headers: { 'x-vault-token': req.token, ...namespaceHeader(req.namespace) },
      body: '',
    },
    httpClassifier,
    ctx.budget,
  );
  if (response.ok) return 'revoked';
  if (response.status === 403 || response.status === 401) return 'already-invalid';
  throw new OidcError('revoke-failed', `Vault did not revoke the token: ${vaultErrors(response)}`, {
    kind: 'external',
  });
}
