import { createHash, createPublicKey, createVerify, type KeyObject, verify as nodeVerify } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { quote } from '@airlock/core';
import {
  assertBundle,
  BUNDLE_V01_MEDIA_TYPE,
  BUNDLE_V02_MEDIA_TYPE,
  BUNDLE_V03_LEGACY_MEDIA_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
  type Bundle,
  bundleFromJSON,
} from '@sigstore/bundle';
import { type RFC3161Timestamp, X509Certificate } from '@sigstore/core';
import { type SignedEntity, toSignedEntity, VerificationError, Verifier } from '@sigstore/verify';
import { type SignerFacts, signerFacts } from './certificate.ts';
import { errnoText, READ_CHUNK_BYTES, type Sha256Hex, sha256File } from './digest.ts';
import { SigningError, type SigningErrorCode } from './errors.ts';
import { verifyPrehashed } from './prehash.ts';
import { INTOTO_PAYLOAD_TYPE, STATEMENT_TYPE_V1, STATEMENT_TYPE_V01, type Statement } from './statement.ts';
import type { Trust } from './trust.ts';

/**
 * Verify a Sigstore bundle (v0.1–v0.3; a message signature or a DSSE envelope) against a trusted root and an identity
 * policy. Fail closed: the result is returned only when every check passed; any doubt throws a {@link SigningError}
 * whose code names the reason (artifact-mismatch, identity-mismatch, tlog-missing, certificate-expired, …).
 *
 * Cryptographic checks are @sigstore/verify's (certificate chain at the signing time, SCTs, transparency-log
 * inclusion and body, RFC 3161 timestamps, signature). Identity checks are Airlock's own and exact: sigstore-js
 * matches a plain identity as an unanchored regular expression, so `https://github.com/acme/ap` would accept a
 * certificate of `https://github.com/acme/app/…`; here it does not.
 */
export interface IdentityPolicy {
  /** The certificate SAN, compared exactly. */
  readonly identity?: string;
  /** A regular expression the whole SAN must match (it is anchored at both ends). */
  readonly identityRegExp?: string;
  /** The OIDC issuer, compared exactly. */
  readonly issuer?: string;
  /** `owner/repo` or its URL: the source repository extension. */
  readonly repository?: string;
  /** `refs/heads/main`: the source ref extension, exactly. */
  readonly ref?: string;
  /** The signing workflow (job_workflow_ref): `owner/repo/.github/workflows/release.yml`, optionally `@<ref>`. */
  readonly signerWorkflow?: string;
  /** `github-hosted` or `self-hosted`. */
  readonly runnerEnvironment?: string;
  /** The server the repository and workflow URLs are on. */
  readonly serverUrl?: string;
}

/** What the bundle is checked against. */
export type Artifact =
  | { readonly kind: 'file'; readonly path: string; readonly label?: string }
  | { readonly kind: 'digest'; readonly sha256: Sha256Hex }
  /** Only for DSSE attestations whose subjects the caller checks itself. */
  | { readonly kind: 'none' };

export interface VerifyRequest {
  /** The bundle's JSON text, and how to name it in messages. */
  readonly bundle: string;
  readonly source: string;
  readonly artifact: Artifact;
  readonly trust: Trust;
  readonly policy: IdentityPolicy;
  /** For attestations: the statement's predicateType must be this. */
  readonly predicateType?: string;
  /** Managed-key verification: the bundle must be signed by the trust's public key, not a certificate. */
  readonly keyMode?: boolean;
}

export interface VerifiedBundle {
  readonly source: string;
  readonly mediaType: string;
  readonly version: 'v0.1' | 'v0.2' | 'v0.3';
  readonly content: 'message-signature' | 'dsse';
  /** The artifact digest that was checked (undefined for `kind: 'none'`). */
  readonly sha256: Sha256Hex | undefined;
  readonly signer: SignerFacts | undefined;
  /** Transparency-log entries (verified), the first one's index for summaries. */
  /** Log entries; a Rekor v2 entry has no integrated time (its signing time is an RFC 3161 timestamp). */
  readonly tlog: readonly {
    readonly logIndex: number;
    readonly integratedTime: Date | undefined;
    readonly logId: string;
  }[];
  /** Verified RFC 3161 timestamps. */
  readonly timestamps: readonly Date[];
  readonly statement: Statement | undefined;
}

const MEDIA_TYPES: Record<string, VerifiedBundle['version']> = {
  [BUNDLE_V01_MEDIA_TYPE]: 'v0.1',
  [BUNDLE_V02_MEDIA_TYPE]: 'v0.2',
  [BUNDLE_V03_MEDIA_TYPE]: 'v0.3',
  [BUNDLE_V03_LEGACY_MEDIA_TYPE]: 'v0.3',
};

const fail = (code: SigningErrorCode, message: string, cause?: unknown) =>
  new SigningError(code, message, cause === undefined ? {} : { cause });

export function parseBundle(
  text: string,
  source: string,
): { bundle: Bundle; mediaType: string; version: VerifiedBundle['version'] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw fail('bundle-malformed', `${source} is not valid JSON (${(cause as Error).message})`, cause);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw fail('bundle-malformed', `${source} is not a Sigstore bundle (not a JSON object)`);
  }
  const mediaType = (json as { mediaType?: unknown }).mediaType;
  const version = typeof mediaType === 'string' ? MEDIA_TYPES[mediaType] : undefined;
  if (version === undefined) {
    throw fail(
      'bundle-unknown-media-type',
      `${source}: unknown bundle media type ${quote(String(mediaType))}; Airlock verifies Sigstore bundles v0.1, v0.2 and v0.3`,
    );
  }
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(json);
    assertBundle(bundle);
  } catch (cause) {
    throw fail('bundle-malformed', `${source}: not a valid ${version} bundle: ${(cause as Error).message}`, cause);
  }
  return { bundle, mediaType: mediaType as string, version };
}

export async function verifyBundle(request: VerifyRequest): Promise<VerifiedBundle> {
  const { source, artifact, trust, policy } = request;
  const { bundle, mediaType, version } = parseBundle(request.bundle, source);
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
  const verifier = new Verifier(trust.material, {
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
    return trust.material.publicKey(entity.key.hint).publicKey;
  } catch {
    return undefined;
  }
}

/** Files up to this size are verified natively in the hashing pass; larger ones against their digest. */
const NATIVE_VERIFY_MAX_BYTES = 256 * 1024 * 1024;

async function hashAndVerify(
  path: string,
  label: string,
  key: KeyObject,
  signature: Buffer,
): Promise<{ digest: Buffer; ok: boolean | undefined }> {
  const hash = createHash('sha256');
  // Ed25519 keys sign the message itself and cannot be fed in pieces; they are handled after hashing.
  const verifier = key.asymmetricKeyType === 'ed25519' ? undefined : createVerify('sha256');
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK_BYTES })) {
      hash.update(chunk as Buffer);
      verifier?.update(chunk as Buffer);
    }
  } catch (cause) {
    throw fail('subject-unreadable', `cannot read ${label}: ${errnoText(cause)}`, cause);
  }
  let ok: boolean | undefined;
  try {
    ok = verifier?.verify(key, signature);
  } catch {
    ok = false;
  }
  return { digest: hash.digest(), ok };
}

async function verifyOverFile(key: KeyObject, path: string, signature: Buffer): Promise<boolean> {
  if (key.asymmetricKeyType === 'rsa') {
    const verifier = createVerify('sha256');
    for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }))
      verifier.update(chunk as Buffer);
    return verifier.verify(key, signature);
  }
  // Ed25519 signs the message itself; it is read whole.
  return nodeVerify(null, await readFile(path), key, signature);
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

function parseStatement(payloadType: string, payload: Buffer, source: string): Statement {
  if (payloadType !== INTOTO_PAYLOAD_TYPE) {
    throw fail(
      'statement-invalid',
      `${source}: the DSSE payload type is ${quote(payloadType)}, not ${INTOTO_PAYLOAD_TYPE}`,
    );
  }
  let statement: Record<string, unknown>;
  try {
    statement = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw fail('statement-invalid', `${source}: the in-toto statement is not valid JSON`, cause);
  }
  if (statement === null || typeof statement !== 'object' || Array.isArray(statement)) {
    throw fail('statement-invalid', `${source}: the in-toto statement is not a JSON object`);
  }
  if (statement._type !== STATEMENT_TYPE_V1 && statement._type !== STATEMENT_TYPE_V01) {
    throw fail(
      'statement-invalid',
      `${source}: the statement's _type is ${quote(String(statement._type))}, not ${STATEMENT_TYPE_V1}`,
    );
  }
  const subjects = statement.subject;
  if (
    !Array.isArray(subjects) ||
    subjects.length === 0 ||
    !subjects.every(
      (s) =>
        s !== null &&
        typeof s === 'object' &&
        typeof (s as { digest?: unknown }).digest === 'object' &&
        (s as { digest?: unknown }).digest !== null,
    )
  ) {
    throw fail('statement-invalid', `${source}: the statement has no valid subject list`);
  }
  if (typeof statement.predicateType !== 'string' || statement.predicateType === '') {
    throw fail('statement-invalid', `${source}: the statement has no predicateType`);
  }
  return statement as unknown as Statement;
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

function checkPolicy(facts: SignerFacts, policy: IdentityPolicy, source: string): void {
  const server = (policy.serverUrl ?? 'https://github.com').replace(/\/+$/, '');
  const show = (value: string | undefined) => (value === undefined ? '(none)' : quote(value, 200));
  if (policy.issuer !== undefined && facts.issuer !== policy.issuer) {
    throw fail(
      'issuer-mismatch',
      `${source}: signed with a token from issuer ${show(facts.issuer)}, expected ${quote(policy.issuer)}`,
    );
  }
  if (policy.identity !== undefined && facts.identity !== policy.identity) {
    throw fail(
      'identity-mismatch',
      `${source}: signed by ${show(facts.identity)}, expected exactly ${quote(policy.identity, 200)}`,
    );
  }
  if (policy.identityRegExp !== undefined) {
    let pattern: RegExp;
    try {
      pattern = new RegExp(`^(?:${policy.identityRegExp})$`, 'u');
    } catch (cause) {
      throw new SigningError(
        'config-invalid',
        `the identity regular expression ${quote(policy.identityRegExp)} is invalid: ${(cause as Error).message}`,
      );
    }
    if (facts.identity === undefined || !pattern.test(facts.identity)) {
      throw fail(
        'identity-mismatch',
        `${source}: signed by ${show(facts.identity)}, which does not match ${quote(policy.identityRegExp, 200)} (the whole identity must match)`,
      );
    }
  }
  if (policy.repository !== undefined) {
    const want = policy.repository.includes('://') ? policy.repository : `${server}/${policy.repository}`;
    if (
      facts.sourceRepository === undefined ||
      facts.sourceRepository.toLowerCase() !== want.replace(/\/+$/, '').toLowerCase()
    ) {
      throw fail(
        'repository-mismatch',
        `${source}: built from repository ${show(facts.sourceRepository)}, expected ${quote(want)}`,
      );
    }
  }
  if (policy.ref !== undefined && facts.sourceRef !== policy.ref) {
    throw fail('ref-mismatch', `${source}: built from ref ${show(facts.sourceRef)}, expected ${quote(policy.ref)}`);
  }
  if (policy.signerWorkflow !== undefined) {
    const want = policy.signerWorkflow.includes('://') ? policy.signerWorkflow : `${server}/${policy.signerWorkflow}`;
    const got = facts.signerWorkflow;
    const ok = got !== undefined && (want.includes('@') ? got === want : got.slice(0, got.lastIndexOf('@')) === want);
    if (!ok)
      throw fail(
        'workflow-mismatch',
        `${source}: signed by workflow ${show(got)}, expected ${quote(want)}${want.includes('@') ? '' : ' (any ref)'}`,
      );
  }
  if (policy.runnerEnvironment !== undefined && facts.runnerEnvironment !== policy.runnerEnvironment) {
    throw fail(
      'runner-mismatch',
      `${source}: signed on a ${show(facts.runnerEnvironment)} runner, expected ${quote(policy.runnerEnvironment)}`,
    );
  }
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
