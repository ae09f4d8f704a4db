import { readBundleJson, type VerifiedBundle, type VerifyRequest } from './checks.ts';
import { verifyNative } from './native.ts';

export type { Artifact, IdentityPolicy, VerifiedBundle, VerifyRequest } from './checks.ts';

/**
 * Verify a Sigstore bundle (v0.1–v0.3; a message signature or a DSSE envelope) against a trusted root and an identity
 * policy. Fail closed: the result is returned only when every check passed; any doubt throws a {@link SigningError}
 * whose code names the reason (artifact-mismatch, identity-mismatch, tlog-missing, certificate-expired, …).
 *
 * Two paths. Native verification (native.ts: Node's crypto and a strict DER reader) checks the common keyless bundle
 * without loading sigstore-js, and only ever accepts; everything it does not accept goes to @sigstore/verify
 * (sigstore-js.ts, loaded on demand), which accepts or refuses and names the reason. Identity checks are Airlock's own
 * and exact on both paths (checks.ts): sigstore-js matches a plain identity as an unanchored regular expression, so
 * `https://github.com/acme/ap` would accept a certificate of `https://github.com/acme/app/…`; here it does not.
 */
export async function verifyBundle(request: VerifyRequest): Promise<VerifiedBundle> {
  const parsed = readBundleJson(request.bundle, request.source);
  const native = await verifyNative(request, parsed);
  if (native !== undefined) return native;
  const { verifyWithSigstoreJs } = await import('./sigstore-js.ts');
  return verifyWithSigstoreJs(request, parsed);
}

/** Verification with sigstore-js alone (tests compare the two paths; see native.ts). */
export async function verifyBundleWithSigstoreJs(request: VerifyRequest): Promise<VerifiedBundle> {
  const { verifyWithSigstoreJs } = await import('./sigstore-js.ts');
  return verifyWithSigstoreJs(request, readBundleJson(request.bundle, request.source));
}

/** Native verification alone: the result, or undefined where it declines (tests; see native.ts). */
export async function verifyBundleNatively(request: VerifyRequest): Promise<VerifiedBundle | undefined> {
  return verifyNative(request, readBundleJson(request.bundle, request.source));
}
