import type { BufferedResponse } from '@airlock/core';
import { OidcError } from '../errors.ts';
import { httpClassifier, sendClassified, sendWithToken, unavailable } from '../retry.ts';
import type { FreshToken } from '../tokens.ts';
import { jsonBody, oneLine, type ProviderContext, str, type TokenFacts } from './context.ts';

/**
 * Google Cloud workload identity federation:
 * 1. Security Token Service: `POST https://sts.googleapis.com/v1/token` (RFC 8693 token exchange; JSON body with
 *    `grantType`, `audience: //iam.googleapis.com/<provider>`, `subjectToken`…) → a federated access token
 *    `{access_token, issued_token_type, token_type, expires_in}`; errors are OAuth-style
 *    `{"error": "invalid_grant", "error_description": …}`.
 * 2. Optionally, service-account impersonation: `POST https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/<email>:generateAccessToken`
 *    with the federated token as bearer, `{scope, lifetime, delegates}` → `{accessToken, expireTime}`; errors are
 *    Google API errors `{"error": {"code": 403, "message": …, "status": "PERMISSION_DENIED"}}`.
 */
export const WORKLOAD_IDENTITY_PROVIDER =
  /^projects\/(\d+)\/locations\/global\/workloadIdentityPools\/([a-z0-9-]{4,32})\/providers\/([a-z0-9-]{4,32})$/;
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
export const GCP_STS_ENDPOINT = 'https://sts.googleapis.com/v1/token';
export const GCP_IAM_CREDENTIALS_ENDPOINT = 'https://iamcredentials.googleapis.com';

/** The audience google-github-actions/auth and the provider's default "allowed audiences" use. */
export function gcpDefaultAudience(workloadIdentityProvider: string): string {
  return `https://iam.googleapis.com/${workloadIdentityProvider}`;
}

export interface GcpToken {
  readonly accessToken: string;
  readonly expiresAt: Date;
}

function oauthError(response: BufferedResponse): { error: string; description: string } | undefined {
  const json = jsonBody(response);
  const error = str(json?.error);
  if (error === undefined) return undefined;
  return { error, description: oneLine(str(json?.error_description) ?? '') };
}

function googleError(response: BufferedResponse): { status: string; message: string } | undefined {
  const error = jsonBody(response)?.error as { status?: unknown; message?: unknown } | undefined;
  if (error === undefined || typeof error !== 'object') return undefined;
  return { status: str(error.status) ?? '', message: oneLine(str(error.message) ?? '') };
}

export interface FederationRequest {
  readonly endpoint: URL;
  readonly workloadIdentityProvider: string;
}

export async function federate(
  ctx: ProviderContext,
  token: FreshToken,
  req: FederationRequest,
  facts: TokenFacts,
): Promise<GcpToken> {
  const deadlineMs = ctx.budget.deadlineAt - ctx.budget.now();
  const { response } = await sendWithToken(
    ctx.http,
    token,
    (jwt) => ({
      url: req.endpoint,
      method: 'POST',
      service: 'Google STS',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        audience: `//iam.googleapis.com/${req.workloadIdentityProvider}`,
        grantType: 'urn:ietf:params:oauth:grant-type:token-exchange',
        requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
        scope: CLOUD_PLATFORM_SCOPE,
        subjectTokenType: 'urn:ietf:params:oauth:token-type:jwt',
        subjectToken: jwt,
      }),
    }),
    httpClassifier,
    ctx.budget,
  );
  const json = jsonBody(response);
  if (response.ok) {
    const accessToken = str(json?.access_token);
    if (accessToken === undefined) {
      throw new OidcError('exchange-bad-response', 'Google STS answered without an access_token', { kind: 'external' });
    }
    ctx.mask(accessToken);
    const expiresIn = typeof json?.expires_in === 'number' ? json.expires_in : 3600;
    return { accessToken, expiresAt: new Date(ctx.now().getTime() + expiresIn * 1000) };
  }
  if (httpClassifier({ response }) === 'retry') {
    throw unavailable('Google STS', `HTTP ${response.status}`, response.attempts, deadlineMs);
  }
  const error = oauthError(response);
  const said = error === undefined ? `HTTP ${response.status}` : `${error.error}: ${error.description}`;
  let fix = '';
  if (/audience/i.test(said)) {
    fix = ` The provider's allowed audiences must include the token's aud '${facts.aud}' (the default is https://iam.googleapis.com/${req.workloadIdentityProvider}), or set input 'audience' to one it allows.`;
  } else if (/attribute condition|rejected/i.test(said)) {
    fix = ` The provider's attribute condition refused this token; its sub is '${facts.sub}'. Widen the condition (for example assertion.repository == 'owner/repo') or run from a ref it admits.`;
  } else if (/not found|does not exist|disabled/i.test(said)) {
    fix = ` Check input 'workload-identity-provider' (${req.workloadIdentityProvider}).`;
  } else if (/expired|future|iat|nbf/i.test(said)) {
    fix = " Check this machine's clock (NTP).";
  }
  throw new OidcError('exchange-denied', `Google STS refused the token exchange: ${said}.${fix}`);
}

export interface ImpersonationRequest {
  readonly endpoint: URL;
  readonly serviceAccount: string;
  readonly scopes: readonly string[];
  readonly lifetimeSeconds: number;
  readonly delegates: readonly string[];
}

export async function impersonate(
  ctx: ProviderContext,
  federated: GcpToken,
  req: ImpersonationRequest,
  facts: TokenFacts,
  workloadIdentityProvider: string,
): Promise<GcpToken> {
  const deadlineMs = ctx.budget.deadlineAt - ctx.budget.now();
  const base = req.endpoint.href.replace(/\/+$/, '');
  const url = new URL(
    // The e-mail is checked against [a-z0-9-]+@[a-z0-9.-]+ when read, so it goes into the path as written.
    `${base}/v1/projects/-/serviceAccounts/${req.serviceAccount}:generateAccessToken`,
  );
  const response = await sendClassified(
    ctx.http,
    {
      url,
      method: 'POST',
      service: 'Google IAM Credentials',
      headers: {
        authorization: `Bearer ${federated.accessToken}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify({
        delegates: req.delegates.map((d) => (d.startsWith('projects/') ? d : `projects/-/serviceAccounts/${d}`)),
        scope: req.scopes,
        lifetime: `${req.lifetimeSeconds}s`,
      }),
    },
    httpClassifier,
    ctx.budget,
  );
  const json = jsonBody(response);
  if (response.ok) {
    const accessToken = str(json?.accessToken);
    const expireTime = str(json?.expireTime);
    if (accessToken === undefined) {
      throw new OidcError('exchange-bad-response', 'Google IAM Credentials answered without an accessToken', {
        kind: 'external',
      });
    }
    ctx.mask(accessToken);
    const expiresAt = expireTime === undefined ? new Date(Number.NaN) : new Date(expireTime);
    return {
      accessToken,
      expiresAt: Number.isNaN(expiresAt.getTime())
        ? new Date(ctx.now().getTime() + req.lifetimeSeconds * 1000)
        : expiresAt,
    };
  }
  if (httpClassifier({ response }) === 'retry') {
    throw unavailable('Google IAM Credentials', `HTTP ${response.status}`, response.attempts, deadlineMs);
  }
  const error = googleError(response);
  const said = error === undefined ? `HTTP ${response.status}` : `${error.status}: ${error.message}`;
  const fix =
    response.status === 403
      ? ` Grant roles/iam.workloadIdentityUser on ${req.serviceAccount} to the federated principal of this job (for example principalSet://iam.googleapis.com/projects/${WORKLOAD_IDENTITY_PROVIDER.exec(workloadIdentityProvider)?.[1] ?? 'NUMBER'}/locations/global/workloadIdentityPools/${WORKLOAD_IDENTITY_PROVIDER.exec(workloadIdentityProvider)?.[2] ?? 'POOL'}/attribute.repository/<owner/repo>); the token's sub is '${facts.sub}'.`
      : response.status === 400 && /lifetime/i.test(said)
        ? ` Lower input 'lifetime' to 3600s or less, or allow longer lifetimes with the constraints/iam.allowServiceAccountCredentialLifetimeExtension org policy.`
        : '';
  throw new OidcError(
    'exchange-denied',
    `Google IAM Credentials refused to mint a token for ${req.serviceAccount}: ${said}.${fix}`,
  );
}
