import { AirlockError, type ErrorKind } from '@airlock/core';

/**
 * The one error type of @airlock/oidc. `code` says what went wrong; the message names the input or file the way the
 * user wrote it and says how to fix it. User mistakes and policy refusals are `user` errors (no stack); a provider
 * that keeps failing is `external`.
 */
export type OidcErrorCode =
  /** A setting (action input, CLI option or profile key) is missing or malformed. */
  | 'setting-invalid'
  /** The profiles file (input `config`) cannot be read or parsed, or a key is unknown. */
  | 'config-invalid'
  /** No profile matches the verified token: the job gets nothing. */
  | 'no-profile'
  /** The token source (GitHub endpoint, file, env var) could not produce a token. */
  | 'token-unavailable'
  /** The token is not a well-formed JWS compact serialization. */
  | 'token-malformed'
  /** Refused header: alg none, a symmetric alg, an embedded jwk/jku/x5u/x5c, an unknown crit. */
  | 'token-header'
  /** The kid is not in the issuer's JWKS. */
  | 'token-unknown-key'
  | 'token-signature'
  | 'token-issuer'
  | 'token-audience'
  | 'token-expired'
  | 'token-not-yet-valid'
  /** A required registered claim (exp, iss, aud) is missing or has the wrong type. */
  | 'token-claims'
  /** The issuer's discovery document or JWKS could not be fetched or is unusable. */
  | 'jwks-unavailable'
  /** The claim policy (`require-claims`) refused the token. */
  | 'claims-mismatch'
  /** The provider refused the exchange (trust policy, audience, unknown role/client…). */
  | 'exchange-denied'
  /** The provider kept failing (throttling, 5xx, timeouts) until the deadline. */
  | 'exchange-unavailable'
  /** The provider answered something that is not its documented response. */
  | 'exchange-bad-response'
  /** The credentials belong to an AWS account outside `allowed-account-ids`. */
  | 'account-not-allowed'
  /** A just-in-time secret reference is malformed, not found, or refused. */
  | 'secret-invalid'
  | 'secret-not-found'
  | 'secret-denied'
  /** The credentials file could not be written safely. */
  | 'credentials-file'
  /** Revocation in the post step failed. */
  | 'revoke-failed';

export class OidcError extends AirlockError<OidcErrorCode> {
  constructor(code: OidcErrorCode, message: string, options: { cause?: unknown; kind?: ErrorKind } = {}) {
    super(code, message, options);
  }
}

export function isOidcError(value: unknown): value is OidcError {
  return value instanceof OidcError;
}
