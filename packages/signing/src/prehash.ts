import type { KeyObject } from 'node:crypto';

/**
 * ECDSA over a message digest (a "prehash"). Node's crypto always hashes the message itself, so signing a 1 GiB
 * artifact's digest, or checking a signature when only the digest is known (`sha256:<hex>` in the conformance
 * protocol), needs this. @noble/curves (audited, no dependencies) does the curve arithmetic; it is loaded only when a
 * prehash is actually signed or verified, which keeps it out of the start-up of the DSSE and file paths.
 */
async function curves() {
  return import('@noble/curves/nist.js');
}

/** Sign a SHA-256 digest with a P-256 private scalar; a DER signature, as `crypto.sign('sha256', data)` gives. */
export async function signPrehashedP256(scalar: Uint8Array, digest: Uint8Array): Promise<Buffer> {
  const { p256 } = await curves();
  return Buffer.from(p256.sign(digest, scalar, { prehash: false, format: 'der' }));
}

/**
 * Verify a DER ECDSA signature over a digest. Undefined when the key is not a P-256/P-384 key (RSA and Ed25519
 * cannot be checked against a digest alone here).
 */
export async function verifyPrehashed(
  key: KeyObject,
  digest: Uint8Array,
  signature: Uint8Array,
): Promise<boolean | undefined> {
  if (key.asymmetricKeyType !== 'ec') return undefined;
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv !== 'P-256' && jwk.crv !== 'P-384') return undefined;
  const { p256, p384 } = await curves();
  const curve = jwk.crv === 'P-256' ? p256 : p384;
  const point = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x as string, 'base64url'),
    Buffer.from(jwk.y as string, 'base64url'),
  ]);
  try {
    return curve.verify(signature, digest, point, { prehash: false, format: 'der', lowS: false });
  } catch {
    return false;
  }
}
