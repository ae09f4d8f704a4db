import { createPublicKey, type KeyObject } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { quote } from '@airlock/core';
import { assertBundle, type Bundle, bundleFromJSON } from '@sigstore/bundle';
import { type RFC3161Timestamp, X509Certificate } from '@sigstore/core';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import {
  type SignedEntity,
  type TrustMaterial,
  toSignedEntity,
  toTrustMaterial,
  VerificationError,
  Verifier,
} from '@sigstore/verify';
import { type SignerFacts, signerFacts } from './certificate.ts';
import {
  type BundleJson,
  checkPolicy,
  fail,
  hashAndVerify,
  NATIVE_VERIFY_MAX_BYTES,
  parseStatement,
  type VerifiedBundle,
  type VerifyRequest,
  verifyOverFile,
} from './checks.ts';
import { sha256File } from './digest.ts';
import { SigningError } from './errors.ts';
import { verifyPrehashed } from './prehash.ts';
import type { Statement } from './statement.ts';
import type { Trust } from './trust.ts';

/**
 * Verification with sigstore-js (@sigstore/verify): every bundle native verification (native.ts) does not accept
 * comes here, so this path decides every refusal and its reason, and accepts what the native path does not cover
 * (Rekor v2 entries, RFC 3161 timestamps, certificate chains in the bundle, managed keys, digests without the file).
 * It is loaded on demand, which keeps sigstore-js out of the verify action's start-up when the native path accepts.
 *
 * Cryptographic checks are @sigstore/verify's (certificate chain at the signing time, SCTs, transparency-log
 * inclusion and body, RFC 3161 timestamps, signature). Identity checks are Airlock's own and exact (checks.ts).
 */

const materials = new WeakMap<Trust, TrustMaterial>();

/** sigstore-js's view of a trusted root, built on first use. */
function trustMaterial(trust: Trust): TrustMaterial {
  let material = materials.get(trust);
  if (material === undefined) {
    try {
      const key = trust.publicKey;
      material = toTrustMaterial(
        TrustedRoot.fromJSON(trust.root),
        key === undefined ? {} : () => ({ publicKey: key, validFor: () => true }),
      );
    } catch (cause) {
      throw new SigningError('trusted-root-invalid', `${trust.source}: ${(cause as Error).message}`, { cause });
    }
    materials.set(trust, material);
  }
  return material;
}

function parseBundle({ json, version }: BundleJson, source: string): Bundle {
  try {
    const bundle = bundleFromJSON(json);
    assertBundle(bundle);
    return bundle;
  } catch (cause) {
    throw fail('bundle-malformed', `${source}: not a valid ${version} bundle: ${(cause as Error).message}`, cause);
  }
}

export async function verifyWithSigstoreJs(request: VerifyRequest, parsed: BundleJson): Promise<VerifiedBundle> {
  const { source, artifact, trust, policy } = request;
  const { mediaType, version } = parsed;
  const bundle = parseBundle(parsed, source);
  const material = bundle.verificationMaterial.content;

  // The key: a Fulcio certificate (chain or single) or, in managed-key mode only, a key hint.
  if (material.$case === 'publicKey' && !request.keyMode) {
    throw fail(
      'certificate-untrusted',
      `${source} is signed with a key, not a certificate; it carries no identity to check against the policy`,
    );
  }
  if (material.$case !== 'publicKey' && request.keyMode) {
    throw fail('key-mismatch', `${source} is signed with a certificate, not with the given key`);
  }
  if (material.$case === 'x509CertificateChain') {
    for (const cert of material.x509CertificateChain.certificates.slice(1)) {
      const parsed = X509Certificate.parse(Buffer.from(cert.rawBytes));
      if (parsed.isCA && parsed.subject.equals(parsed.issuer)) {
        throw fail(
          'certificate-untrusted',
          `${source} includes a root certificate in its chain; roots come only from the trusted root`,
        );
      }
    }
  }

  let entity: SignedEntity;
  try {
    entity = toSignedEntity(bundle, Buffer.alloc(0));
  } catch (cause) {
    throw fail('bundle-malformed', `${source}: ${(cause as Error).message}`, cause);
  }
  // The artifact digest. For a blob signature over a file of ordinary size, the same read also checks the signature
  // with Node's native verifier (two hashes in one pass beat loading a JavaScript curve implementation); a large file
  // is hashed once and its signature checked against the digest.
  const key = bundleKey(entity, request.trust);
  let sha256: Buffer | undefined;
  let fileSignatureOk: boolean | undefined;
  if (artifact.kind === 'file') {
    const label = artifact.label ?? artifact.path;
    const size = await stat(artifact.path).then(
      (s) => s.size,
      () => 0,
    );
    if (bundle.content.$case === 'messageSignature' && key !== undefined && size <= NATIVE_VERIFY_MAX_BYTES) {
      const both = await hashAndVerify(artifact.path, label, key, bundle.content.messageSignature.signature);
      sha256 = both.digest;
      fileSignatureOk = both.ok;
    } else {
      sha256 = Buffer.from((await sha256File(artifact.path, label)).digest, 'hex');
    }
  }
  if (artifact.kind === 'digest') sha256 = Buffer.from(artifact.sha256, 'hex');
  let statement: Statement | undefined;
  if (bundle.content.$case === 'messageSignature') {
    const { messageDigest, signature } = bundle.content.messageSignature;
    if (artifact.kind === 'none')
      throw fail('artifact-mismatch', `${source} is a blob signature: give the artifact or its digest`);
    if (messageDigest.algorithm !== 1 /* SHA2_256 */ || messageDigest.digest.byteLength !== 32) {
      throw fail('bundle-malformed', `${source}: only SHA-256 message digests are supported`);
    }
    if (!(sha256 as Buffer).equals(messageDigest.digest)) {
      throw fail(
        'artifact-mismatch',
        `${artifact.kind === 'file' ? (artifact.label ?? artifact.path) : `sha256:${artifact.sha256}`} does not match ${source}: the artifact has sha256 ${(sha256 as Buffer).toString('hex')} but the bundle signed ${messageDigest.digest.toString('hex')} (the artifact was modified, or this is another artifact's bundle)`,
      );
    }
    // The signature is over the artifact's digest: check it against the digest (never re-reading the artifact),
    // with the key the bundle names; the verifier below accepts the answer only for that same key.
    let ok = fileSignatureOk;
    if (ok === undefined && key !== undefined) ok = await verifyPrehashed(key, messageDigest.digest, signature);
    if (ok === undefined && key !== undefined && artifact.kind === 'file')
      ok = await verifyOverFile(key, artifact.path, signature);
    if (ok === undefined) {
      throw fail(
        'signature-invalid',
        `${source}: a ${key?.asymmetricKeyType ?? 'unknown'} signature cannot be verified against a digest alone; give the artifact file instead`,
      );
    }
    entity = { ...entity, signature: digestContent(messageDigest.digest, signature, key as KeyObject, ok) };
  } else {
    const envelope = bundle.content.dsseEnvelope;
    if (envelope.signatures.length !== 1) {
      throw fail(
        'signature-invalid',
        `${source}: a DSSE envelope must carry exactly one signature; it has ${envelope.signatures.length}`,
      );
    }
    statement = parseStatement(envelope.payloadType, envelope.payload, source);
    if (sha256 !== undefined) {
      const hex = sha256.toString('hex');
      const found = statement.subject.some((s) => s.digest.sha256?.toLowerCase() === hex);
      if (!found) {
        throw fail(
          'subject-not-in-statement',
          `${artifact.kind === 'file' ? (artifact.label ?? artifact.path) : `sha256:${hex}`} (sha256 ${hex}) is not a subject of the attestation in ${source} (${statement.subject.length} subject(s)); the artifact was modified or the attestation is for other artifacts`,
        );
      }
    }
    if (request.predicateType !== undefined && statement.predicateType !== request.predicateType) {
      throw fail(
        'predicate-type-mismatch',
        `${source}: the attestation's predicate type is ${quote(statement.predicateType)}, not ${quote(request.predicateType)}`,
      );
    }
  }

  // The signature itself first, so a modified signature is reported as such rather than as a log or timestamp
  // mismatch (the verifier below checks it again, with the key it trusts).
  const leafKey = signingKey(entity);
  if (leafKey !== undefined && !entity.signature.verifySignature(leafKey)) {
    throw fail('signature-invalid', `${source}: the signature does not verify with the certificate's key`);
  }

  // An inclusion proof's own root hash and tree size must be the checkpoint's: sigstore-js proves inclusion against
  // the signed checkpoint and ignores these two fields, so a bundle could otherwise carry a root no log signed.
  for (const entry of entity.tlogEntries) checkProofMatchesCheckpoint(entry, source);

  // Cryptography: certificate chain and validity at the signing time, SCTs, logs, timestamps, signature.
  // A certificate is valid for minutes, so a keyless bundle needs a verified time (an SET's integrated time or an
  // RFC 3161 timestamp) to place the signature inside that window. A managed key given with --key has no validity
  // window, so it needs none: a Rekor v2 entry (checkpoint and inclusion proof, no integrated time) without a
  // timestamp still proves the signature was logged. Every timestamp a bundle does carry is verified either way, and
  // the transparency-log entry is still required whenever the trusted root names a log.
  const verifier = new Verifier(trustMaterial(trust), {
    tlogThreshold: trust.counts.tlogs > 0 ? 1 : 0,
    ctlogThreshold: trust.counts.ctlogs > 0 && !request.keyMode ? 1 : 0,
    timestampThreshold: request.keyMode ? 0 : 1,
  });
  let signerKey: Awaited<ReturnType<Verifier['verify']>>;
  try {
    signerKey = verifier.verify(entity);
  } catch (error) {
    throw translate(error, source, entity);
  }

  // Identity policy, exactly.
  let facts: SignerFacts | undefined;
  if (entity.key.$case === 'certificate') {
    facts = signerFacts(entity.key.certificate);
    checkPolicy(facts, policy, source);
  } else if (signerKey.identity !== undefined) {
    facts = undefined;
  }

  const tlog = entity.tlogEntries.map((e) => ({
    logIndex: Number(e.logIndex),
    integratedTime: Number(e.integratedTime) > 0 ? new Date(Number(e.integratedTime) * 1000) : undefined,
    logId: Buffer.from(e.logId.keyId).toString('hex'),
  }));
  const timestamps = entity.timestamps.flatMap((t) =>
    t.$case === 'timestamp-authority' ? [(t.timestamp as RFC3161Timestamp).signingTime] : [],
  );
  return {
    source,
    mediaType,
    version,
    content: bundle.content.$case === 'dsseEnvelope' ? 'dsse' : 'message-signature',
    sha256: sha256?.toString('hex'),
    signer: facts,
    tlog,
    timestamps,
    statement,
  };
}

function signingKey(entity: SignedEntity): KeyObject | undefined {
  if (entity.key.$case !== 'certificate') return undefined;
  return createPublicKey({ key: entity.key.certificate.publicKey, format: 'der', type: 'spki' });
}

/** The key a bundle is signed with: its certificate's, or the managed key for a key hint. */
function bundleKey(entity: SignedEntity, trust: Trust): KeyObject | undefined {
  if (entity.key.$case === 'certificate') return signingKey(entity);
  try {
    return trustMaterial(trust).publicKey(entity.key.hint).publicKey;
  } catch {
    return undefined;
  }
}

/**
 * Signature content over a message digest whose signature was already checked (asynchronously, above): the verifier
 * gets that answer only when it asks about the same key.
 */
function digestContent(
  digest: Buffer,
  signature: Buffer,
  checkedKey: KeyObject,
  ok: boolean,
): SignedEntity['signature'] {
  return {
    signature,
    compareSignature: (other) => other.equals(signature),
    compareDigest: (other) => other.equals(digest),
    compareSignedDigest: (other) => other.equals(digest),
    verifySignature: (key) => key.equals(checkedKey) && ok,
  };
}

function translate(error: unknown, source: string, entity: SignedEntity): SigningError {
  if (error instanceof SigningError) return error;
  if (!(error instanceof VerificationError))
    return fail('signature-invalid', `${source}: ${(error as Error).message}`, error);
  const message = error.message;
  const code = error.code;
  if (code === 'TLOG_ERROR' && /expected \d+ tlog entries, got 0/.test(message)) {
    return fail(
      'tlog-missing',
      `${source} has no transparency-log entry; a signature that was never logged is refused`,
      error,
    );
  }
  if (code.startsWith('TLOG'))
    return fail('tlog-invalid', `${source}: transparency-log entry does not verify: ${message}`, error);
  if (code === 'TIMESTAMP_ERROR') return fail('timestamp-invalid', `${source}: ${message}`, error);
  if (code === 'CERTIFICATE_ERROR') {
    const cert = entity.key.$case === 'certificate' ? entity.key.certificate : undefined;
    const times = entity.timestamps.map((t) =>
      t.$case === 'transparency-log' ? new Date(Number(t.tlogEntry.integratedTime) * 1000) : t.timestamp.signingTime,
    );
    if (cert !== undefined && times.some((t) => t < cert.notBefore || t > cert.notAfter)) {
      return fail(
        'certificate-expired',
        `${source}: the signing certificate (valid ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}) was not valid when the signature was logged or timestamped (${times.map((t) => t.toISOString()).join(', ')})`,
        error,
      );
    }
    return fail(
      'certificate-untrusted',
      `${source}: the signing certificate does not chain to the trusted root: ${message}`,
      error,
    );
  }
  if (code === 'PUBLIC_KEY_ERROR') return fail('key-mismatch', `${source}: ${message}`, error);
  return fail('signature-invalid', `${source}: ${message}`, error);
}

function checkProofMatchesCheckpoint(entry: SignedEntity['tlogEntries'][number], source: string): void {
  const proof = entry.inclusionProof;
  if (proof === undefined) return;
  const envelope = proof.checkpoint?.envelope ?? '';
  const [note] = envelope.split('\n\n');
  const [, size, root] = (note ?? '').split('\n');
  if (size === undefined || root === undefined || !/^\d+$/.test(size)) {
    throw fail('tlog-invalid', `${source}: transparency-log entry does not verify: malformed checkpoint`);
  }
  if (size !== String(proof.treeSize) || !Buffer.from(root, 'base64').equals(Buffer.from(proof.rootHash))) {
    throw fail(
      'tlog-invalid',
      `${source}: transparency-log entry does not verify: the inclusion proof's tree (size ${String(proof.treeSize)}) is not the one its checkpoint signs (size ${size})`,
    );
  }
}
