import { parseDuration } from '@airlock/core';
import { type ClaimRequirement, parseRequirement } from './claims.ts';
import { checkEnvName } from './env-names.ts';
import { OidcError } from './errors.ts';
import { isSecureUrl } from './jwks.ts';
import { POLICY_ARN, ROLE_ARN } from './providers/aws/sts.ts';
import { AZURE_AUDIENCE, GUID } from './providers/azure.ts';
import { gcpDefaultAudience, WORKLOAD_IDENTITY_PROVIDER } from './providers/gcp.ts';
import { CLIENT_AUTH_METHODS, type ClientAuthMethod, TOKEN_TYPES } from './providers/oauth.ts';
import { parseSecretLines, type SecretRequest } from './secrets.ts';

/**
 * The settings of one exchange, from three places that share one vocabulary — the action's inputs, the keys of a
 * profile in the `config` file, and the CLI's options all use the same names (`role-to-assume`, `vault-url`, …).
 * Values arrive as text with a description of where they were written, so that every error names the input, option or
 * file:line the user has to fix.
 */
export const PROVIDERS = ['aws', 'gcp', 'azure', 'vault', 'oauth', 'doppler'] as const;
export type Provider = (typeof PROVIDERS)[number];

export interface RawValue {
  readonly value: string;
  /** `input 'role-to-assume'`, `option '--role-to-assume'`, `deploy.yml:7`. */
  readonly where: string;
  /** Where line `index` (0-based, of value.split('\n')) was written, for multi-line values. */
  readonly lineWhere?: (index: number) => string;
}

export type RawSettings = ReadonlyMap<string, RawValue>;

/** Every setting name, with the providers it belongs to (`*`: all) and whether a profile may set it. */
export const SETTINGS = {
  provider: { providers: '*', profile: false },
  audience: { providers: '*', profile: true },
  issuer: { providers: '*', profile: false },
  'require-claims': { providers: '*', profile: true },
  config: { providers: '*', profile: false },
  'token-file': { providers: '*', profile: false },
  'token-env': { providers: '*', profile: false },
  secrets: { providers: '*', profile: true },
  'export-env': { providers: '*', profile: true },
  'output-credentials': { providers: '*', profile: true },
  'credentials-file': { providers: '*', profile: true },
  deadline: { providers: '*', profile: true },
  endpoints: { providers: '*', profile: true },
  'role-to-assume': { providers: ['aws'], profile: true },
  'role-session-name': { providers: ['aws'], profile: true },
  'role-duration': { providers: ['aws'], profile: true },
  'role-chain': { providers: ['aws'], profile: true },
  'aws-region': { providers: ['aws'], profile: true },
  'inline-session-policy': { providers: ['aws'], profile: true },
  'managed-session-policies': { providers: ['aws'], profile: true },
  'allowed-account-ids': { providers: ['aws'], profile: true },
  'rds-auth': { providers: ['aws'], profile: true },
  'workload-identity-provider': { providers: ['gcp'], profile: true },
  'service-account': { providers: ['gcp'], profile: true },
  scopes: { providers: ['gcp'], profile: true },
  lifetime: { providers: ['gcp'], profile: true },
  delegates: { providers: ['gcp'], profile: true },
  'project-id': { providers: ['gcp'], profile: true },
  'tenant-id': { providers: ['azure'], profile: true },
  'client-id': { providers: ['azure', 'oauth'], profile: true },
  scope: { providers: ['azure', 'oauth'], profile: true },
  'vault-url': { providers: ['vault'], profile: true },
  'vault-role': { providers: ['vault'], profile: true },
  'vault-mount': { providers: ['vault'], profile: true },
  'vault-namespace': { providers: ['vault'], profile: true },
  'vault-ca-certificate': { providers: ['vault'], profile: true },
  'token-endpoint': { providers: ['oauth'], profile: true },
  'revocation-endpoint': { providers: ['oauth'], profile: true },
  'subject-token-type': { providers: ['oauth'], profile: true },
  'requested-token-type': { providers: ['oauth'], profile: true },
  'target-audience': { providers: ['oauth'], profile: true },
  resource: { providers: ['oauth'], profile: true },
  'client-secret': { providers: ['oauth'], profile: false },
  'client-auth': { providers: ['oauth'], profile: true },
  'doppler-identity': { providers: ['doppler'], profile: true },
} as const satisfies Record<string, { providers: '*' | readonly Provider[]; profile: boolean }>;
export type SettingName = keyof typeof SETTINGS;

export const ENDPOINT_NAMES = {
  aws: ['sts', 'secretsmanager'],
  gcp: ['sts', 'iamcredentials'],
  azure: ['login'],
  vault: [],
  oauth: [],
  doppler: ['api'],
} as const satisfies Record<Provider, readonly string[]>;

export interface RdsAuthSettings {
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  readonly region: string | undefined;
  /** The variable the token is exported as. */
  readonly env: string;
}

export interface ExchangeSettings {
  readonly provider: Provider;
  readonly audience: string | undefined;
  readonly issuer: string;
  readonly requireClaims: readonly ClaimRequirement[];
  readonly secrets: readonly SecretRequest[];
  readonly exportEnv: boolean;
  readonly outputCredentials: boolean;
  readonly credentialsFile: boolean;
  readonly deadlineSeconds: number;
  readonly endpoints: Readonly<Record<string, URL>>;
  readonly aws: {
    readonly roleToAssume: string | undefined;
    readonly roleSessionName: string | undefined;
    readonly roleDurationSeconds: number;
    readonly roleChain: string | undefined;
    readonly region: string | undefined;
    readonly inlineSessionPolicy: string | undefined;
    readonly managedSessionPolicies: readonly string[];
    readonly allowedAccountIds: readonly string[];
    readonly rdsAuth: RdsAuthSettings | undefined;
  };
  readonly gcp: {
    readonly workloadIdentityProvider: string | undefined;
    readonly serviceAccount: string | undefined;
    readonly scopes: readonly string[];
    readonly lifetimeSeconds: number;
    readonly delegates: readonly string[];
    readonly projectId: string | undefined;
  };
  readonly azure: {
    readonly tenantId: string | undefined;
    readonly clientId: string | undefined;
    readonly scope: string;
  };
  readonly vault: {
    readonly url: URL | undefined;
    readonly role: string | undefined;
    readonly mount: string;
    readonly namespace: string | undefined;
    readonly caCertificate: string | undefined;
  };
  readonly oauth: {
    readonly tokenEndpoint: URL | undefined;
    readonly revocationEndpoint: URL | undefined;
    readonly subjectTokenType: string;
    readonly requestedTokenType: string | undefined;
    readonly targetAudience: string | undefined;
    readonly resource: string | undefined;
    readonly scope: string | undefined;
    readonly clientId: string | undefined;
    readonly clientSecret: string | undefined;
    readonly clientAuth: ClientAuthMethod;
  };
  readonly doppler: { readonly identity: string | undefined };
  /** Where each given setting was written, for messages. */
  readonly where: (name: SettingName) => string;
}

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

/** The issuer of a GitHub server's Actions OIDC tokens (github.com, GHE.com data residency, GHES). */
export function githubIssuer(serverUrl: string | undefined): string {
  if (serverUrl === undefined || /^https:\/\/github\.com\/?$/.test(serverUrl)) return GITHUB_ISSUER;
  const url = new URL(serverUrl);
  if (url.hostname.endsWith('.ghe.com')) return `https://token.actions.${url.hostname}`;
  return `${url.origin}/_services/token`;
}

function invalid(where: string, expected: string, got?: string): OidcError {
  const shown = got === undefined ? '' : `; got '${got.length > 120 ? `${got.slice(0, 120)}…` : got}'`;
  return new OidcError('setting-invalid', `${where} ${expected}${shown}`);
}

interface Line {
  readonly text: string;
  readonly where: string;
}

/** Non-blank, non-comment lines of a value with where each was written. */
export function linesOf(raw: RawValue | undefined): Line[] {
  if (raw === undefined) return [];
  return raw.value.split(/\r?\n/).flatMap((text, index) => {
    const trimmed = text.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return [];
    return [{ text: trimmed, where: raw.lineWhere?.(index) ?? `${raw.where} line ${index + 1}` }];
  });
}

/** Items separated by newlines or commas. */
function listOf(raw: RawValue | undefined): Line[] {
  return linesOf(raw).flatMap((line) =>
    line.text
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '')
      .map((text) => ({ text, where: line.where })),
  );
}

function keyValuesOf(raw: RawValue | undefined, example: string): Array<{ key: string; value: string; where: string }> {
  return linesOf(raw).map((line) => {
    const eq = line.text.indexOf('=');
    if (eq <= 0) throw invalid(`${line.where}:`, `expected ${example}`, line.text);
    return { key: line.text.slice(0, eq).trim(), value: line.text.slice(eq + 1).trim(), where: line.where };
  });
}

export class SettingsReader {
  readonly #raw: RawSettings;

  constructor(raw: RawSettings) {
    this.#raw = raw;
  }

  where(name: string): string {
    return this.#raw.get(name)?.where ?? `input '${name}'`;
  }

  raw(name: string): RawValue | undefined {
    const value = this.#raw.get(name);
    return value === undefined || value.value.trim() === '' ? undefined : value;
  }

  string(name: string): string | undefined {
    return this.raw(name)?.value.trim();
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.string(name);
    if (value === undefined) return fallback;
    if (/^(true|True|TRUE)$/.test(value)) return true;
    if (/^(false|False|FALSE)$/.test(value)) return false;
    throw invalid(this.where(name), 'must be true or false', value);
  }

  duration(name: string, fallback: number, min: number, max: number): number {
    const value = this.string(name);
    if (value === undefined) return fallback;
    const seconds = parseDuration(value);
    if (seconds === undefined) throw invalid(this.where(name), 'must be a duration like 900, 15m, 1h or PT1H', value);
    if (seconds < min || seconds > max) {
      throw invalid(this.where(name), `must be between ${min} and ${max} seconds`, value);
    }
    return seconds;
  }

  url(name: string): URL | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    return checkedUrl(value, this.where(name));
  }

  list(name: string): Line[] {
    return listOf(this.raw(name));
  }
}

/** An https URL (http only on loopback addresses, for local emulators). */
export function checkedUrl(value: string, where: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(where, 'must be an absolute URL like https://example.com', value);
  }
  if (!isSecureUrl(url)) {
    throw invalid(where, 'must be an https URL (plain http is accepted only for loopback addresses)', value);
  }
  if (url.username !== '' || url.password !== '') throw invalid(where, 'must not carry credentials in the URL');
  return url;
}

const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** Parse and check formats; does not require provider settings yet (a profile may still supply them). */
export function parseSettings(raw: RawSettings, defaults: { issuer: string }): ExchangeSettings {
  const r = new SettingsReader(raw);
  const providerText = r.string('provider');
  if (providerText === undefined) {
    throw new OidcError('setting-invalid', `${r.where('provider')} is required: one of ${PROVIDERS.join(', ')}`);
  }
  if (!(PROVIDERS as readonly string[]).includes(providerText)) {
    throw invalid(r.where('provider'), `must be one of ${PROVIDERS.join(', ')}`, providerText);
  }
  const provider = providerText as Provider;

  for (const [name, value] of raw) {
    const spec = (SETTINGS as Record<string, { providers: '*' | readonly Provider[] }>)[name];
    if (spec === undefined || value.value.trim() === '') continue;
    if (spec.providers !== '*' && !spec.providers.includes(provider)) {
      throw new OidcError(
        'setting-invalid',
        `${value.where} is a setting of provider ${spec.providers.join('/')}, not of provider ${provider}; remove it or change 'provider'`,
      );
    }
  }

  const issuer = r.string('issuer') ?? defaults.issuer;
  checkedUrl(issuer, r.where('issuer'));

  const requireClaims = keyValuesOf(r.raw('require-claims'), 'claim=pattern, e.g. ref=refs/heads/main').map((kv) =>
    parseRequirement(kv.key, kv.value, kv.where),
  );

  const endpoints: Record<string, URL> = {};
  for (const kv of keyValuesOf(r.raw('endpoints'), 'name=URL, e.g. sts=https://sts.us-east-1.amazonaws.com')) {
    const allowed: readonly string[] = ENDPOINT_NAMES[provider];
    if (!allowed.includes(kv.key)) {
      throw invalid(
        `${kv.where}:`,
        allowed.length === 0
          ? `provider ${provider} has no endpoint overrides (use its URL setting)`
          : `endpoint '${kv.key}' is not one of provider ${provider}'s: ${allowed.join(', ')}`,
      );
    }
    endpoints[kv.key] = checkedUrl(kv.value, kv.where);
  }

  // aws
  const roleToAssume = r.string('role-to-assume');
  if (roleToAssume !== undefined && !ROLE_ARN.test(roleToAssume)) {
    throw invalid(
      r.where('role-to-assume'),
      'must be an IAM role ARN like arn:aws:iam::123456789012:role/deploy',
      roleToAssume,
    );
  }
  const roleChain = r.string('role-chain');
  if (roleChain !== undefined && !ROLE_ARN.test(roleChain)) {
    throw invalid(
      r.where('role-chain'),
      'must be an IAM role ARN like arn:aws:iam::123456789012:role/deploy',
      roleChain,
    );
  }
  const roleSessionName = r.string('role-session-name');
  if (roleSessionName !== undefined && !/^[\w+=,.@-]{2,64}$/.test(roleSessionName)) {
    throw invalid(
      r.where('role-session-name'),
      'must be 2 to 64 characters of letters, digits and +=,.@_-',
      roleSessionName,
    );
  }
  const region = r.string('aws-region');
  if (region !== undefined && !REGION.test(region)) {
    throw invalid(r.where('aws-region'), 'must be an AWS region like us-east-1', region);
  }
  const inlineSessionPolicy = r.string('inline-session-policy');
  if (inlineSessionPolicy !== undefined) {
    try {
      JSON.parse(inlineSessionPolicy);
    } catch {
      throw invalid(r.where('inline-session-policy'), 'must be an IAM policy document in JSON');
    }
    if (inlineSessionPolicy.length > 2048) {
      throw invalid(r.where('inline-session-policy'), `is ${inlineSessionPolicy.length} characters; STS allows 2048`);
    }
  }
  const managedSessionPolicies = r.list('managed-session-policies').map((l) => {
    if (!POLICY_ARN.test(l.text))
      throw invalid(l.where, 'must be an IAM policy ARN like arn:aws:iam::aws:policy/ReadOnlyAccess', l.text);
    return l.text;
  });
  if (managedSessionPolicies.length > 10)
    throw invalid(r.where('managed-session-policies'), 'lists more than the 10 STS allows');
  const allowedAccountIds = r.list('allowed-account-ids').map((l) => {
    if (!ACCOUNT_ID.test(l.text)) throw invalid(l.where, 'must be a 12-digit AWS account ID', l.text);
    return l.text;
  });
  let rdsAuth: RdsAuthSettings | undefined;
  const rds = keyValuesOf(r.raw('rds-auth'), 'key=value with keys host, port, user, region, env');
  if (rds.length > 0) {
    const get = (key: string) => rds.find((kv) => kv.key === key);
    for (const kv of rds) {
      if (!['host', 'port', 'user', 'region', 'env'].includes(kv.key)) {
        throw invalid(`${kv.where}:`, `'${kv.key}' is not an rds-auth key; use host, port, user, region, env`);
      }
    }
    const host = get('host');
    const user = get('user');
    if (host === undefined || !/^[A-Za-z0-9.-]+$/.test(host.value)) {
      throw invalid(r.where('rds-auth'), 'needs host=<database endpoint host name>', host?.value);
    }
    if (user === undefined || user.value === '') throw invalid(r.where('rds-auth'), 'needs user=<database user>');
    const portText = get('port')?.value ?? '5432';
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535)
      throw invalid(get('port')?.where ?? r.where('rds-auth'), 'port must be 1–65535', portText);
    const rdsRegion = get('region')?.value;
    if (rdsRegion !== undefined && !REGION.test(rdsRegion))
      throw invalid(get('region')?.where ?? '', 'region must be an AWS region', rdsRegion);
    const env = get('env')?.value ?? 'RDS_AUTH_TOKEN';
    checkEnvName(env, get('env')?.where ?? r.where('rds-auth'));
    rdsAuth = { hostname: host.value, port, username: user.value, region: rdsRegion, env };
  }

  // gcp
  const workloadIdentityProvider = r.string('workload-identity-provider');
  if (workloadIdentityProvider !== undefined && !WORKLOAD_IDENTITY_PROVIDER.test(workloadIdentityProvider)) {
    throw invalid(
      r.where('workload-identity-provider'),
      'must be the full resource name projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>',
      workloadIdentityProvider,
    );
  }
  const serviceAccount = r.string('service-account');
  if (serviceAccount !== undefined && !/^[a-z0-9-]+@[a-z0-9.-]+\.gserviceaccount\.com$/.test(serviceAccount)) {
    throw invalid(
      r.where('service-account'),
      'must be a service account e-mail like deploy@my-project.iam.gserviceaccount.com',
      serviceAccount,
    );
  }

  // azure
  const tenantId = r.string('tenant-id');
  if (tenantId !== undefined && !GUID.test(tenantId) && !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(tenantId)) {
    throw invalid(r.where('tenant-id'), 'must be a tenant GUID or a verified domain', tenantId);
  }
  const clientId = r.string('client-id');
  if (provider === 'azure' && clientId !== undefined && !GUID.test(clientId)) {
    throw invalid(r.where('client-id'), 'must be the application (client) ID, a GUID', clientId);
  }

  // vault
  const vaultMount = r.string('vault-mount') ?? 'jwt';
  if (!/^[\w./-]+$/.test(vaultMount) || vaultMount.includes('..'))
    throw invalid(r.where('vault-mount'), 'must be a mount path like jwt', vaultMount);

  // oauth
  const subjectTokenType = tokenType(r.string('subject-token-type') ?? 'jwt', r.where('subject-token-type'));
  const requestedText = r.string('requested-token-type');
  const clientSecret = r.string('client-secret');
  const clientAuthText = r.string('client-auth') ?? (clientSecret === undefined ? 'none' : 'client_secret_basic');
  if (!(CLIENT_AUTH_METHODS as readonly string[]).includes(clientAuthText)) {
    throw invalid(r.where('client-auth'), `must be one of ${CLIENT_AUTH_METHODS.join(', ')}`, clientAuthText);
  }
  if (clientAuthText !== 'none' && (clientSecret === undefined || clientId === undefined)) {
    throw invalid(r.where('client-auth'), `is ${clientAuthText}, which needs both 'client-id' and 'client-secret'`);
  }

  const secrets = parseSecretLines(linesOf(r.raw('secrets')), provider);

  return {
    provider,
    audience: r.string('audience'),
    issuer: issuer.replace(/\/+$/, ''),
    requireClaims,
    secrets,
    exportEnv: r.boolean('export-env', true),
    outputCredentials: r.boolean('output-credentials', false),
    credentialsFile: r.boolean('credentials-file', false),
    deadlineSeconds: r.duration('deadline', 60, 1, 3600),
    endpoints,
    aws: {
      roleToAssume,
      roleSessionName,
      roleDurationSeconds: r.duration('role-duration', 3600, 900, 43_200),
      roleChain,
      region,
      inlineSessionPolicy,
      managedSessionPolicies,
      allowedAccountIds,
      rdsAuth,
    },
    gcp: {
      workloadIdentityProvider,
      serviceAccount,
      scopes: r.list('scopes').map((l) => l.text),
      lifetimeSeconds: r.duration('lifetime', 3600, 1, 43_200),
      delegates: r.list('delegates').map((l) => l.text),
      projectId: r.string('project-id'),
    },
    azure: { tenantId, clientId, scope: r.string('scope') ?? 'https://management.azure.com/.default' },
    vault: {
      url: r.url('vault-url'),
      role: r.string('vault-role'),
      mount: vaultMount.replace(/^\/+|\/+$/g, ''),
      namespace: r.string('vault-namespace'),
      caCertificate: r.string('vault-ca-certificate'),
    },
    oauth: {
      tokenEndpoint: r.url('token-endpoint'),
      revocationEndpoint: r.url('revocation-endpoint'),
      subjectTokenType,
      requestedTokenType:
        requestedText === undefined ? undefined : tokenType(requestedText, r.where('requested-token-type')),
      targetAudience: r.string('target-audience'),
      resource: r.string('resource'),
      scope: r.string('scope'),
      clientId,
      clientSecret,
      clientAuth: clientAuthText as ClientAuthMethod,
    },
    doppler: { identity: r.string('doppler-identity') },
    where: (name) => r.where(name),
  };
}

function tokenType(value: string, where: string): string {
  if (value in TOKEN_TYPES) return TOKEN_TYPES[value as keyof typeof TOKEN_TYPES];
  if (/^urn:[\w.:-]+$/.test(value)) return value;
  throw invalid(where, `must be one of ${Object.keys(TOKEN_TYPES).join(', ')} or a token type URN`, value);
}

/** Settings a provider cannot do without; checked after the profile is applied. */
export function requireProviderSettings(s: ExchangeSettings): void {
  const need = (value: unknown, name: SettingName, what: string) => {
    if (value === undefined) {
      throw new OidcError('setting-invalid', `provider ${s.provider} needs '${name}' (${what}); set ${s.where(name)}`);
    }
  };
  switch (s.provider) {
    case 'aws':
      need(s.aws.roleToAssume, 'role-to-assume', 'the ARN of the IAM role to assume');
      need(s.aws.region, 'aws-region', 'the AWS region, e.g. us-east-1');
      if (s.aws.roleChain !== undefined && s.aws.roleDurationSeconds > 3600) {
        throw invalid(s.where('role-duration'), 'can be at most 3600 seconds with role chaining (an AWS limit)');
      }
      break;
    case 'gcp':
      need(
        s.gcp.workloadIdentityProvider,
        'workload-identity-provider',
        'the workload identity provider resource name',
      );
      if (s.gcp.serviceAccount === undefined && (s.gcp.delegates.length > 0 || s.gcp.scopes.length > 0)) {
        throw invalid(s.where('delegates'), "'scopes' and 'delegates' need 'service-account' (impersonation)");
      }
      break;
    case 'azure':
      need(s.azure.tenantId, 'tenant-id', 'the Entra tenant ID');
      need(s.azure.clientId, 'client-id', 'the application (client) ID of the app registration or managed identity');
      break;
    case 'vault':
      need(s.vault.url, 'vault-url', 'the Vault address, e.g. https://vault.example.com:8200');
      need(s.vault.role, 'vault-role', 'the JWT auth role to log in with');
      break;
    case 'oauth':
      need(s.oauth.tokenEndpoint, 'token-endpoint', 'the authorization server token endpoint URL');
      break;
    case 'doppler':
      need(s.doppler.identity, 'doppler-identity', 'the service account identity ID');
      break;
  }
}

/** The provider-specific default audience; undefined when it depends on a setting not given yet. */
export function defaultAudience(s: ExchangeSettings): string | undefined {
  switch (s.provider) {
    case 'aws':
      return 'sts.amazonaws.com';
    case 'gcp':
      return s.gcp.workloadIdentityProvider === undefined
        ? undefined
        : gcpDefaultAudience(s.gcp.workloadIdentityProvider);
    case 'azure':
      return AZURE_AUDIENCE;
    case 'vault':
      return s.vault.url?.origin;
    case 'oauth':
      return s.oauth.tokenEndpoint?.origin;
    case 'doppler':
      return (s.endpoints.api ?? new URL('https://api.doppler.com')).origin;
  }
}
