/**
 * @airlock/oidc: OIDC token verification, claim policy, and short-lived credential exchange with AWS, Google Cloud,
 * Microsoft Entra ID, Vault, any RFC 8693 authorization server and Doppler. Pure: collaborators (HTTP client, clock,
 * sleep, token source, file reader, mask) are passed in.
 */
export {
  type ClaimCheck,
  type ClaimMismatch,
  type ClaimRequirement,
  checkClaims,
  describeMismatches,
  globMatch,
  globToRegExp,
  parseRepoSubject,
  parseRequirement,
  type RepoSubject,
  subjectFormat,
  subjectMatches,
} from './claims.ts';
export { checkEnvName } from './env-names.ts';
export { isOidcError, OidcError, type OidcErrorCode } from './errors.ts';
export {
  type ExchangeDeps,
  type ExchangedSecret,
  type ExchangeResult,
  exchange,
  PROFILE_SELECTION_AUDIENCE,
} from './exchange.ts';
export { type ExportedValue, type ProviderOutcome, type Revocation, type RevocationOutcome, revoke } from './flows.ts';
export { discoveryUrl, fetchIssuerJwks, fetchJwksUrl, isLoopback, isSecureUrl, parseJwks } from './jwks.ts';
export {
  ALLOWED_ALGORITHMS,
  DEFAULT_LEEWAY_SECONDS,
  decodeUnverified,
  type JsonWebKeySet,
  type JwtClaims,
  type JwtHeader,
  selectKey,
  type VerifiedToken,
  type VerifyOptions,
  verifyToken,
} from './jwt.ts';
export { applyProfile, type Profile, type ProfileFile, parseProfiles, selectProfile } from './profiles.ts';
export { RDS_TOKEN_SECONDS, rdsAuthToken } from './providers/aws/rds.ts';
export { type AwsCredentials, amzDate, presignUrl, signRequest, uriEncode } from './providers/aws/sigv4.ts';
export { conditionKeyPrefix, parseStsError, sessionName, stsClassifier, stsEndpoint } from './providers/aws/sts.ts';
export { xmlRoot, xmlText } from './providers/aws/xml.ts';
export { AZURE_AUDIENCE } from './providers/azure.ts';
export type { ProviderContext, TokenFacts } from './providers/context.ts';
export { gcpDefaultAudience } from './providers/gcp.ts';
export { backoffMs, type RetryBudget, sendClassified, sendWithToken } from './retry.ts';
export { parseSecretReference, type SecretReference, type SecretRequest } from './secrets.ts';
export {
  defaultAudience,
  type ExchangeSettings,
  GITHUB_ISSUER,
  githubIssuer,
  PROVIDERS,
  type Provider,
  parseSettings,
  type RawSettings,
  type RawValue,
  requireProviderSettings,
  SETTINGS,
  type SettingName,
} from './settings.ts';
export {
  envTokenSource,
  expiryOf,
  FreshToken,
  fileTokenSource,
  githubTokenSource,
  REFRESH_WINDOW_SECONDS,
  type TokenSource,
} from './tokens.ts';
