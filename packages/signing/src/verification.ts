/**
 * @airlock/signing/verification: the verification half of @airlock/signing, for code that only verifies (the verify
 * action). The same functions as the package's main entry; what it leaves out (the keyless signer, its Sigstore
 * clients, the attestations upload with Octokit) is then not bundled into a verifier, whose start-up is parsing and
 * evaluating its bundle (bench/sign measures the cold start of dist/verify).
 */
export { type SignerFacts, signerFacts } from './certificate.ts';
export { parseSha256, SHA256_HEX, type Sha256Hex, sha256Bytes, sha256File } from './digest.ts';
export { SigningError, type SigningErrorCode, VERIFICATION_FAILURES } from './errors.ts';
export { verifyPrehashed } from './prehash.ts';
export { expandPaths, subjectName } from './subjects.ts';
export {
  embeddedPublicGoodRoot,
  fetchPublicGoodRoot,
  parseTrustedRoot,
  type Trust,
  type TrustOptions,
  trustFromJson,
} from './trust.ts';
export {
  type Artifact,
  type IdentityPolicy,
  type VerifiedBundle,
  type VerifyRequest,
  verifyBundle,
  verifyBundleNatively,
  verifyBundleWithSigstoreJs,
} from './verify.ts';
