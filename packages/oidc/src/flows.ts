import { OidcError } from './errors.ts';
import { rdsAuthToken } from './providers/aws/rds.ts';
import { getSecretValue, secretsManagerEndpoint } from './providers/aws/secrets-manager.ts';
import type { AwsCredentials } from './providers/aws/sigv4.ts';
import {
  accountOfRoleArn,
  assumeRole,
  assumeRoleWithWebIdentity,
  sessionName,
  stsEndpoint,
} from './providers/aws/sts.ts';
import { AZURE_AUTHORITY, entraClientAssertion } from './providers/azure.ts';
import type { ProviderContext, TokenFacts } from './providers/context.ts';
import { DOPPLER_API, dopplerLogin, dopplerRevoke, dopplerSecret } from './providers/doppler.ts';
import {
  CLOUD_PLATFORM_SCOPE,
  federate,
  GCP_IAM_CREDENTIALS_ENDPOINT,
  GCP_STS_ENDPOINT,
  impersonate,
  WORKLOAD_IDENTITY_PROVIDER,
} from './providers/gcp.ts';
import { type ClientAuthMethod, revokeOAuthToken, tokenExchange } from './providers/oauth.ts';
import { vaultKvRead, vaultLogin, vaultRevokeSelf } from './providers/vault.ts';
import { jsonField, type SecretRequest, vaultField } from './secrets.ts';
import type { ExchangeSettings } from './settings.ts';
import type { FreshToken } from './tokens.ts';

/**
 * One flow per provider: exchange the verified token, then produce what the step exports. Every credential has been
 * masked by the provider client before it reaches this code; values are only carried, never logged.
 */
export interface ExportedValue {
  readonly name: string;
  readonly value: string;
  /** A credential: exported to env, but set as an output only with `output-credentials: true`. */
  readonly secret: boolean;
}

/** What the post step needs to revoke the credential. Travels in the step's state, never in env or files. */
export type Revocation =
  | { readonly kind: 'vault'; readonly url: string; readonly namespace?: string; readonly token: string }
  | {
      readonly kind: 'oauth';
      readonly endpoint: string;
      readonly token: string;
      readonly clientId?: string;
      readonly clientAuth: ClientAuthMethod;
    }
  | { readonly kind: 'doppler'; readonly api: string; readonly token: string };

export interface ProviderOutcome {
  /** Who the job now is, for the summary and trail: a role ARN, a service account, an app, a Vault policy set. */
  readonly identity: string;
  readonly expiresAt: Date | undefined;
  readonly env: ExportedValue[];
  readonly outputs: ExportedValue[];
  readonly revocation: Revocation | undefined;
  /** The credentials file's content and the variable that points tools at it (written only when asked). */
  readonly credentialsFile: { readonly content: string; readonly env: string };
  /** Facts for the summary and trail (never values). */
  readonly details: Readonly<Record<string, string>>;
  /** Fetch one just-in-time secret with this identity. */
  readonly fetchSecret: (request: SecretRequest) => Promise<string>;
}

export interface FlowDeps {
  readonly ctx: ProviderContext;
  /** A provider context whose HTTP client trusts an extra CA (Vault's custom CA). */
  readonly ctxWithCa: (caPem: string) => ProviderContext;
  readonly readFile: (path: string) => string;
  readonly run: {
    readonly repository?: string | undefined;
    readonly runId?: string | undefined;
    readonly runAttempt?: string | undefined;
  };
}

const secret = (name: string, value: string): ExportedValue => ({ name, value, secret: true });
const plain = (name: string, value: string): ExportedValue => ({ name, value, secret: false });

function checkAccount(account: string | undefined, allowed: readonly string[], what: string, where: string): void {
  if (allowed.length === 0) return;
  if (account === undefined || !allowed.includes(account)) {
    throw new OidcError(
      'account-not-allowed',
      `${what} is in AWS account ${account ?? '(unknown)'}, which ${where} does not list (${allowed.join(', ')}); no credentials were exported`,
    );
  }
}

export async function runProvider(
  s: ExchangeSettings,
  token: FreshToken,
  facts: TokenFacts,
  deps: FlowDeps,
): Promise<ProviderOutcome> {
  switch (s.provider) {
    case 'aws':
      return aws(s, token, facts, deps);
    case 'gcp':
      return gcp(s, token, facts, deps);
    case 'azure':
      return azure(s, token, facts, deps);
    case 'vault':
      return vault(s, token, facts, deps);
    case 'oauth':
      return oauth(s, token, facts, deps);
    case 'doppler':
      return doppler(s, token, facts, deps);
  }
}

function noSecrets(provider: string) {
  return async (request: SecretRequest): Promise<string> => {
    throw new OidcError('secret-invalid', `${request.where}: provider ${provider} has no secret store`);
  };
}

async function aws(
  s: ExchangeSettings,
  token: FreshToken,
  facts: TokenFacts,
  deps: FlowDeps,
): Promise<ProviderOutcome> {
  const { ctx } = deps;
  const a = s.aws;
  const region = a.region as string;
  const roleArn = a.roleToAssume as string;
  const allowedWhere = s.where('allowed-account-ids');
  // Refuse before any request when the ARNs alone already name another account.
  checkAccount(accountOfRoleArn(roleArn), a.allowedAccountIds, `role ${roleArn}`, allowedWhere);
  if (a.roleChain !== undefined) {
    checkAccount(accountOfRoleArn(a.roleChain), a.allowedAccountIds, `role ${a.roleChain}`, allowedWhere);
  }
  const endpoint = s.endpoints.sts ?? stsEndpoint(region);
  const name = a.roleSessionName ?? sessionName(deps.run.repository, deps.run.runId, deps.run.runAttempt);
  const policies = { policy: a.inlineSessionPolicy, policyArns: a.managedSessionPolicies };
  const first = await assumeRoleWithWebIdentity(
    ctx,
    token,
    {
      endpoint,
      roleArn,
      sessionName: name,
      durationSeconds: a.roleChain === undefined ? a.roleDurationSeconds : 900,
      ...(a.roleChain === undefined ? policies : {}),
    },
    facts,
  );
  checkAccount(first.accountId, a.allowedAccountIds, `the assumed role ${first.assumedRoleArn}`, allowedWhere);
  let final = first;
  if (a.roleChain !== undefined) {
    final = await assumeRole(ctx, {
      endpoint,
      region,
      credentials: first.credentials,
      roleArn: a.roleChain,
      sessionName: name,
      durationSeconds: Math.min(a.roleDurationSeconds, 3600),
      ...policies,
    });
    checkAccount(final.accountId, a.allowedAccountIds, `the chained role ${final.assumedRoleArn}`, allowedWhere);
  }
  const creds: AwsCredentials = final.credentials;
  const env: ExportedValue[] = [
    secret('AWS_ACCESS_KEY_ID', creds.accessKeyId),
    secret('AWS_SECRET_ACCESS_KEY', creds.secretAccessKey),
    secret('AWS_SESSION_TOKEN', creds.sessionToken as string),
    plain('AWS_REGION', region),
    plain('AWS_DEFAULT_REGION', region),
  ];
  const outputs: ExportedValue[] = [
    plain('aws-account-id', final.accountId),
    plain('aws-assumed-role-arn', final.assumedRoleArn),
    secret('aws-access-key-id', creds.accessKeyId),
    secret('aws-secret-access-key', creds.secretAccessKey),
    secret('aws-session-token', creds.sessionToken as string),
  ];
  const details: Record<string, string> = {
    role: roleArn,
    'assumed role': final.assumedRoleArn,
    account: final.accountId,
    'session name': name,
  };
  if (a.roleChain !== undefined) details['chained from'] = first.assumedRoleArn;
  if (a.inlineSessionPolicy !== undefined || a.managedSessionPolicies.length > 0) {
    details['session policies'] = [
      ...(a.inlineSessionPolicy === undefined ? [] : ['inline']),
      ...a.managedSessionPolicies,
    ].join(', ');
  }
  if (a.rdsAuth !== undefined) {
    const rds = a.rdsAuth;
    const rdsToken = rdsAuthToken({
      hostname: rds.hostname,
      port: rds.port,
      username: rds.username,
      region: rds.region ?? region,
      credentials: creds,
      now: ctx.now(),
    });
    ctx.mask(rdsToken);
    env.push(secret(rds.env, rdsToken));
    outputs.push(secret('rds-auth-token', rdsToken));
    details['RDS auth token'] = `${rds.username}@${rds.hostname}:${rds.port}, 15 min, in ${rds.env}`;
  }
  const smEndpoint = s.endpoints.secretsmanager ?? secretsManagerEndpoint(region);
  return {
    identity: final.assumedRoleArn,
    expiresAt: final.credentials.expiration,
    env,
    outputs,
    revocation: undefined,
    credentialsFile: {
      content: `[default]\naws_access_key_id = ${creds.accessKeyId}\naws_secret_access_key = ${creds.secretAccessKey}\naws_session_token = ${creds.sessionToken}\n`,
      env: 'AWS_SHARED_CREDENTIALS_FILE',
    },
    details,
    fetchSecret: async (request) => {
      if (request.reference.kind !== 'aws-sm') return noSecrets('aws')(request);
      const value = await getSecretValue(ctx, {
        endpoint: smEndpoint,
        region,
        credentials: creds,
        secretId: request.reference.secretId,
      });
      if (request.reference.jsonKey === undefined) return value;
      const field = jsonField(value, request.reference.jsonKey, request.text);
      ctx.mask(field);
      return field;
    },
  };
}

async function gcp(
  s: ExchangeSettings,
  token: FreshToken,
  facts: TokenFacts,
  deps: FlowDeps,
): Promise<ProviderOutcome> {
  const { ctx } = deps;
  const g = s.gcp;
  const wip = g.workloadIdentityProvider as string;
  const federated = await federate(
    ctx,
    token,
    { endpoint: s.endpoints.sts ?? new URL(GCP_STS_ENDPOINT), workloadIdentityProvider: wip },
    facts,
  );
  let final = federated;
  const [, projectNumber, pool] = WORKLOAD_IDENTITY_PROVIDER.exec(wip) ?? [];
  let identity = `principal://iam.googleapis.com/projects/${projectNumber}/locations/global/workloadIdentityPools/${pool}/subject/${facts.sub}`;
  const details: Record<string, string> = { 'workload identity provider': wip };
  if (g.serviceAccount !== undefined) {
    final = await impersonate(
      ctx,
      federated,
      {
        endpoint: s.endpoints.iamcredentials ?? new URL(GCP_IAM_CREDENTIALS_ENDPOINT),
        serviceAccount: g.serviceAccount,
        scopes: g.scopes.length > 0 ? g.scopes : [CLOUD_PLATFORM_SCOPE],
        lifetimeSeconds: g.lifetimeSeconds,
        delegates: g.delegates,
      },
      facts,
      wip,
    );
    identity = g.serviceAccount;
    details['service account'] = g.serviceAccount;
    if (g.delegates.length > 0) details.delegates = g.delegates.join(', ');
  } else {
    details['service account'] = '(none: direct workload identity federation)';
  }
  const env: ExportedValue[] = [
    secret('CLOUDSDK_AUTH_ACCESS_TOKEN', final.accessToken),
    secret('GOOGLE_OAUTH_ACCESS_TOKEN', final.accessToken),
  ];
  if (g.projectId !== undefined) {
    for (const name of [
      'CLOUDSDK_CORE_PROJECT',
      'CLOUDSDK_PROJECT',
      'GCLOUD_PROJECT',
      'GCP_PROJECT',
      'GOOGLE_CLOUD_PROJECT',
    ]) {
      env.push(plain(name, g.projectId));
    }
  }
  return {
    identity,
    expiresAt: final.expiresAt,
    env,
    outputs: [secret('access-token', final.accessToken)],
    revocation: undefined,
    credentialsFile: { content: final.accessToken, env: 'CLOUDSDK_AUTH_ACCESS_TOKEN_FILE' },
    details,
    fetchSecret: noSecrets('gcp'),
  };
}

async function azure(
  s: ExchangeSettings,
  token: FreshToken,
  facts: TokenFacts,
  deps: FlowDeps,
): Promise<ProviderOutcome> {
  const { ctx } = deps;
  const z = s.azure;
  const result = await entraClientAssertion(
    ctx,
    token,
    {
      authority: s.endpoints.login ?? new URL(AZURE_AUTHORITY),
      tenantId: z.tenantId as string,
      clientId: z.clientId as string,
      scope: z.scope,
    },
    facts,
  );
  return {
    identity: `app ${z.clientId} in tenant ${z.tenantId}`,
    expiresAt: result.expiresAt,
    env: [
      secret('AZURE_ACCESS_TOKEN', result.accessToken),
      plain('AZURE_CLIENT_ID', z.clientId as string),
      plain('AZURE_TENANT_ID', z.tenantId as string),
    ],
    outputs: [secret('access-token', result.accessToken)],
    revocation: undefined,
    credentialsFile: { content: result.accessToken, env: 'AIRLOCK_CREDENTIALS_FILE' },
    details: { tenant: z.tenantId as string, 'client id': z.clientId as string, scope: z.scope },
    fetchSecret: noSecrets('azure'),
  };
}

function caPem(value: string | undefined, readFile: (path: string) => string, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.includes('-----BEGIN CERTIFICATE-----')) return value;
  try {
    const text = readFile(value);
    if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
    return text;
  } catch (cause) {
    throw new OidcError(
      'setting-invalid',
      `${where} must be a PEM certificate or the path of a PEM file; cannot use '${value}': ${(cause as Error).message}`,
      { cause },
    );
  }
}

async function vault(
  s: ExchangeSettings,
  token: FreshToken,
  facts: TokenFacts,
  deps: FlowDeps,
): Promise<ProviderOutcome> {
  const v = s.vault;
  const ca = caPem(v.caCertificate, deps.readFile, s.where('vault-ca-certificate'));
  const ctx = ca === undefined ? deps.ctx : deps.ctxWithCa(ca);
  const url = v.url as URL;
  const login = await vaultLogin(
    ctx,
    token,
    { url, mount: v.mount, role: v.role as string, namespace: v.namespace },
    facts,
  );
  const env: ExportedValue[] = [
    secret('VAULT_TOKEN', login.clientToken),
    plain('VAULT_ADDR', url.href.replace(/\/+$/, '')),
  ];
  if (v.namespace !== undefined) env.push(plain('VAULT_NAMESPACE', v.namespace));
  return {
    identity: `role ${v.role} (policies: ${login.policies.join(', ') || 'none'})`,
    expiresAt: login.expiresAt,
    env,
    outputs: [secret('access-token', login.clientToken)],
    revocation: {
      kind: 'vault',
      url: url.href,
      token: login.clientToken,
      ...(v.namespace === undefined ? {} : { namespace: v.namespace }),
    },
    credentialsFile: { content: login.clientToken, env: 'AIRLOCK_CREDENTIALS_FILE' },
    details: {
      address: url.origin,
      mount: v.mount,
      role: v.role as string,
      ...(v.namespace === undefined ? {} : { namespace: v.namespace }),
      policies: login.policies.join(', ') || 'none',
    },
    fetchSecret: async (request) => {
      if (request.reference.kind !== 'vault') return noSecrets('vault')(request);
      const data = await vaultKvRead(ctx, {
        url,
        token: login.clientToken,
        namespace: v.namespace,
        path: request.reference.path,
      });
      // Every field of the secret is masked, not only the one exported: tools may print the others.
      ctx.mask(JSON.stringify(data));
      const value = vaultField(data, request.reference.field, request.text);
      ctx.mask(value);
      return value;
    },
  };
}

async function oauth(
  s: ExchangeSettings,
  token: FreshToken,
  facts: TokenFacts,
  deps: FlowDeps,
): Promise<ProviderOutcome> {
  const { ctx } = deps;
  const o = s.oauth;
  const endpoint = o.tokenEndpoint as URL;
  const client = { clientId: o.clientId, clientSecret: o.clientSecret, method: o.clientAuth };
  const result = await tokenExchange(
    ctx,
    token,
    {
      tokenEndpoint: endpoint,
      subjectTokenType: o.subjectTokenType,
      requestedTokenType: o.requestedTokenType,
      audience: o.targetAudience,
      resource: o.resource,
      scope: o.scope,
      client,
    },
    facts,
  );
  return {
    identity: `${endpoint.host}${o.clientId ? ` client ${o.clientId}` : ''}${result.scope ? ` (scope ${result.scope})` : ''}`,
    expiresAt: result.expiresAt,
    env: [secret('OAUTH_ACCESS_TOKEN', result.accessToken)],
    outputs: [secret('access-token', result.accessToken)],
    revocation:
      o.revocationEndpoint === undefined
        ? undefined
        : {
            kind: 'oauth',
            endpoint: o.revocationEndpoint.href,
            token: result.accessToken,
            clientAuth: o.clientAuth,
            ...(o.clientId === undefined ? {} : { clientId: o.clientId }),
          },
    credentialsFile: { content: result.accessToken, env: 'AIRLOCK_CREDENTIALS_FILE' },
    details: {
      'token endpoint': endpoint.origin + endpoint.pathname,
      'issued token type': result.issuedTokenType ?? '(not stated)',
      ...(o.targetAudience === undefined ? {} : { 'target audience': o.targetAudience }),
      ...(o.resource === undefined ? {} : { resource: o.resource }),
      ...(result.scope === undefined ? {} : { scope: result.scope }),
    },
    fetchSecret: noSecrets('oauth'),
  };
}

async function doppler(
  s: ExchangeSettings,
  token: FreshToken,
  facts: TokenFacts,
  deps: FlowDeps,
): Promise<ProviderOutcome> {
  const { ctx } = deps;
  const api = s.endpoints.api ?? new URL(DOPPLER_API);
  const identity = s.doppler.identity as string;
  const login = await dopplerLogin(ctx, token, { api, identity }, facts);
  return {
    identity: `service account identity ${identity}`,
    expiresAt: login.expiresAt,
    env: [secret('DOPPLER_TOKEN', login.token)],
    outputs: [secret('access-token', login.token)],
    revocation: { kind: 'doppler', api: api.href, token: login.token },
    credentialsFile: { content: login.token, env: 'AIRLOCK_CREDENTIALS_FILE' },
    details: { identity, api: api.origin },
    fetchSecret: async (request) => {
      if (request.reference.kind !== 'doppler') return noSecrets('doppler')(request);
      const { project, config, name } = request.reference;
      return dopplerSecret(ctx, { api, token: login.token, project, config, name });
    },
  };
}

export type RevocationOutcome =
  | { readonly status: 'revoked' }
  | { readonly status: 'already-invalid' }
  | { readonly status: 'expired' };

/** Revoke in the post step. An already-expired credential is reported, not revoked. */
export async function revoke(
  revocation: Revocation,
  ctx: ProviderContext,
  options: { expiresAt: Date | undefined; clientSecret?: string | undefined },
): Promise<RevocationOutcome> {
  if (options.expiresAt !== undefined && options.expiresAt.getTime() <= ctx.now().getTime())
    return { status: 'expired' };
  switch (revocation.kind) {
    case 'vault':
      return {
        status: await vaultRevokeSelf(ctx, {
          url: new URL(revocation.url),
          token: revocation.token,
          namespace: revocation.namespace,
        }),
      };
    case 'oauth':
      await revokeOAuthToken(ctx, {
        endpoint: new URL(revocation.endpoint),
        token: revocation.token,
        client: { clientId: revocation.clientId, clientSecret: options.clientSecret, method: revocation.clientAuth },
      });
      return { status: 'revoked' };
    case 'doppler':
      await dopplerRevoke(ctx, { api: new URL(revocation.api), token: revocation.token });
      return { status: 'revoked' };
  }
}
