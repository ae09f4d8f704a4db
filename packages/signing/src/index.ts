/**
 * @airlock/signing: Sigstore signing and verification for Airlock's sign, verify and trail actions and the CLI.
 * Pure: every collaborator (HTTP client, token source, clock, file root) is passed in; errors are
 * {@link SigningError}s with a `code`.
 *
 * Sign (keyless): `new KeylessSigner({ http, endpoints, identityToken })`, then `signDigestBundle(sha256)` for a blob
 * or `signStatement(statement)` / `signEnvelope(payload, type)` for DSSE. Endpoints come from `chooseEndpoints()`
 * (public good, staging, URLs, or a signing config).
 *
 * Verify: `verifyBundle({ bundle, source, artifact, trust, policy })` with trust from `parseTrustedRoot()`,
 * `embeddedPublicGoodRoot()` or `fetchPublicGoodRoot()`; it returns the signer's identity and GitHub facts, the log
 * entries and timestamps, and the statement of an attestation, or throws with a named reason.
 */

export { chooseEndpoints, type InstanceChoice, parseSigningConfig, SIGNING_CONFIG_MEDIA_TYPE_V02 } from './config.ts';
export { mapLimit, READ_CHUNK_BYTES } from './digest.ts';
export { type UploadedAttestation, type UploadRequest, uploadAttestation } from './github.ts';
export { signPrehashedP256 } from './prehash.ts';
export { PUBLIC_GOOD, type SigstoreEndpoints, STAGING } from './services.ts';
export { KeylessSigner, type KeylessSignerOptions, type SignedBundle, type SigningCertificate } from './sign.ts';
export {
  buildStatement,
  decodeJwtClaims,
  GITHUB_WORKFLOW_BUILD_TYPE,
  githubProvenance,
  INTOTO_PAYLOAD_TYPE,
  pae,
  parsePredicate,
  type ResourceDescriptor,
  SLSA_PROVENANCE_V1,
  STATEMENT_TYPE_V1,
  type Statement,
  type WorkflowClaims,
  workflowClaims,
} from './statement.ts';
export {
  dedupeSubjects,
  parseChecksums,
  resolveSubjects,
  type Subject,
  type SubjectSources,
} from './subjects.ts';
export * from './verification.ts';
