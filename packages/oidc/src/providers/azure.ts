import type { Attempt, Classifier } from '@airlock/core';
import { OidcError } from '../errors.ts';
import { sendWithToken, unavailable } from '../retry.ts';
import type { FreshToken } from '../tokens.ts';
import { jsonBody, oneLine, type ProviderContext, str, type TokenFacts } from './context.ts';

/**
 * Microsoft Entra ID workload identity federation: the OAuth 2.0 client credentials grant with the OIDC token as a
 * client assertion — `POST https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token` with `client_id`, `scope`,
 * `grant_type=client_credentials`,
 * `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` and `client_assertion=<jwt>`.
 * Entra checks the assertion against the app's federated identity credentials (issuer, subject, audience
 * `api://AzureADTokenExchange`). Errors carry `AADSTS…` codes: 700213/70021 (no federated credential matches the
 * subject), 700212 (audience), 700024 (time window), 700016 (unknown application), 90002 (unknown tenant).
 */
export const AZURE_AUDIENCE = 'api://AzureADTokenExchange';
export const AZURE_AUTHORITY = 'https://login.microsoftonline.com';
export const AZURE_DEFAULT_SCOPE = 'https://management.azure.com/.default';
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Retry 429, 5xx and Entra's transient codes (temporarily_unavailable, AADSTS50196 loops, AADSTS90033). */
export const entraClassifier: Classifier = (attempt: Attempt) => {
  if (attempt.error) return attempt.error.code === 'http-too-large' ? 'done' : 'retry';
  const { status } = attempt.response;
  if (status >= 200 && status < 300) return 'done';
  if (status === 429 || (status >= 500 && status !== 501 && status !== 505)) return 'retry';
  const json = jsonBody(attempt.response);
  if (str(json?.error) === 'temporarily_unavailable') return 'retry';
  return 'done';
};

export interface EntraRequest {
  /** The authority host (https://login.microsoftonline.com, or a sovereign cloud's). */
  readonly authority: URL;
  readonly tenantId: string;
  readonly clientId: string;
  readonly scope: string;
}

export interface EntraToken {
  readonly accessToken: string;
  readonly expiresAt: Date;
}

export async function entraClientAssertion(
  ctx: ProviderContext,
  token: FreshToken,
  req: EntraRequest,
  facts: TokenFacts,
): Promise<EntraToken> {
  const deadlineMs = ctx.budget.deadlineAt - ctx.budget.now();
  const url = new URL(
    `${req.authority.href.replace(/\/+$/, '')}/${encodeURIComponent(req.tenantId)}/oauth2/v2.0/token`,
  );
  const { response } = await sendWithToken(
    ctx.http,
    token,
    (jwt) => ({
      url,
      method: 'POST',
      service: 'Microsoft Entra ID',
      headers: { accept: 'application/json' },
      body: new URLSearchParams({
        client_id: req.clientId,
        scope: req.scope,
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: jwt,
      }),
    }),
    entraClassifier,
    ctx.budget,
  );
  const json = jsonBody(response);
  if (response.ok) {
    const accessToken = str(json?.access_token);
    if (accessToken === undefined) {
      throw new OidcError('exchange-bad-response', 'Microsoft Entra ID answered without an access_token', {
        kind: 'external',
      });
    }
    ctx.mask(accessToken);
    const expiresIn = Number(json?.expires_in ?? 3600);
    return {
      accessToken,
      expiresAt: new Date(ctx.now().getTime() + (Number.isFinite(expiresIn) ? expiresIn : 3600) * 1000),
    };
  }
  if (entraClassifier({ response }) === 'retry') {
    throw unavailable('Microsoft Entra ID', `HTTP ${response.status}`, response.attempts, deadlineMs);
  }
  const error = str(json?.error) ?? `HTTP ${response.status}`;
  const description = oneLine(str(json?.error_description) ?? '', 400);
  const code = /AADSTS(\d+)/.exec(description)?.[1];
  let fix = '';
  switch (code) {
    case '700213':
    case '70021':
      fix = ` Add a federated identity credential to app ${req.clientId} with issuer '${facts.iss}' and subject '${facts.sub}' (subjects must match exactly), or run from the ref/environment an existing credential names.`;
      break;
    case '700212':
      fix = ` The federated credential's audience must be '${facts.aud}', or set input 'audience' to the credential's audience (normally ${AZURE_AUDIENCE}).`;
      break;
    case '700024':
      fix = " The token is outside its validity window for Entra: check this machine's clock (NTP).";
      break;
    case '700016':
      fix = ` Check input 'client-id' (${req.clientId}) and that the app exists in tenant ${req.tenantId}.`;
      break;
    case '90002':
      fix = ` Check input 'tenant-id' (${req.tenantId}).`;
      break;
    default:
      break;
  }
  throw new OidcError(
    'exchange-denied',
    `Microsoft Entra ID refused the client assertion: ${error}: ${description}${fix}`,
  );
}
