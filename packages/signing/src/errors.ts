import { AirlockError, type ErrorKind } from '@airlock/core';

/**
 * Every failure of @airlock/signing has a `code`. Verification failures are named reasons (the verify action and
 * `airlock verify` print them), so a caller can tell a tampered artifact from an untrusted signer without parsing
 * messages. Any doubt during verification is one of these errors: verification never warns and carries on.
 */
export type SigningErrorCode =
  // inputs: subjects, predicates, configuration
  | 'subject-invalid'
  | 'subject-not-found'
  | 'subject-unreadable'
  | 'checksums-invalid'
  | 'predicate-invalid'
  | 'config-invalid'
  | 'token-invalid'
  // services
  | 'fulcio-failed'
  | 'rekor-failed'
  | 'tsa-failed'
  | 'attestations-api-failed'
  | 'attestations-unsupported'
  | 'trusted-root-unavailable'
  // verification: the reasons a bundle is refused
  | 'bundle-malformed'
  | 'bundle-unknown-media-type'
  | 'trusted-root-invalid'
  | 'artifact-mismatch'
  | 'signature-invalid'
  | 'certificate-untrusted'
  | 'certificate-expired'
  | 'tlog-missing'
  | 'tlog-invalid'
  | 'timestamp-invalid'
  | 'identity-mismatch'
  | 'issuer-mismatch'
  | 'repository-mismatch'
  | 'ref-mismatch'
  | 'workflow-mismatch'
  | 'runner-mismatch'
  | 'statement-invalid'
  | 'subject-not-in-statement'
  | 'predicate-type-mismatch'
  | 'key-mismatch';

export class SigningError extends AirlockError<SigningErrorCode> {
  constructor(code: SigningErrorCode, message: string, options: { cause?: unknown; kind?: ErrorKind } = {}) {
    super(code, message, options);
  }
}

/** The verification failure codes, for callers that report them. */
export const VERIFICATION_FAILURES: readonly SigningErrorCode[] = [
  'bundle-malformed',
  'bundle-unknown-media-type',
  'trusted-root-invalid',
  'artifact-mismatch',
  'signature-invalid',
  'certificate-untrusted',
  'certificate-expired',
  'tlog-missing',
  'tlog-invalid',
  'timestamp-invalid',
  'identity-mismatch',
  'issuer-mismatch',
  'repository-mismatch',
  'ref-mismatch',
  'workflow-mismatch',
  'runner-mismatch',
  'statement-invalid',
  'subject-not-in-statement',
  'predicate-type-mismatch',
  'key-mismatch',
];
