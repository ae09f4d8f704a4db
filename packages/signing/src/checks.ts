import { createHash, createVerify, type KeyObject, verify as nodeVerify } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { quote } from '@airlock/core';
import type { SignerFacts } from './certificate.ts';
import { errnoText, fsp, READ_CHUNK_BYTES, type Sha256Hex } from './digest.ts';
import { SigningError, type SigningErrorCode } from './errors.ts';
import { INTOTO_PAYLOAD_TYPE, STATEMENT_TYPE_V1, STATEMENT_TYPE_V01, type Statement } from './statement.ts';
import type { Trust } from './trust.ts';

/**
 * What both verification paths share (see verify.ts): the request and result types, the bundle's JSON and media
 * type, the identity policy, the in-toto statement, and hashing the artifact while checking its signature natively.
 * Nothing here loads sigstore-js.
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
  'application/vnd.dev.sigstore.bundle+json;version=0.1': 'v0.1',
  'application/vnd.dev.sigstore.bundle+json;version=0.2': 'v0.2',
  'application/vnd.dev.sigstore.bundle.v0.3+json': 'v0.3',
  'application/vnd.dev.sigstore.bundle+json;version=0.3': 'v0.3',
};

export const fail = (code: SigningErrorCode, message: string, cause?: unknown) =>
  new SigningError(code, message, cause === undefined ? {} : { cause });

/** A bundle's JSON, its media type and version; malformed JSON and unknown media types are refused here. */
export interface BundleJson {
  readonly json: Record<string, unknown>;
  readonly mediaType: string;
  readonly version: VerifiedBundle['version'];
}

export function readBundleJson(text: string, source: string): BundleJson {
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
  return { json: json as Record<string, unknown>, mediaType: mediaType as string, version };
}

/** Files up to this size are verified natively in the hashing pass; larger ones against their digest. */
export const NATIVE_VERIFY_MAX_BYTES = 256 * 1024 * 1024;

const SYNC_READ_MAX_BYTES = 16 * 1024 * 1024;

function readChunksSync(path: string, feed: (chunk: Buffer) => void): void {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) feed(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

export async function hashAndVerify(
  path: string,
  label: string,
  key: KeyObject | undefined,
  signature: Buffer | undefined,
): Promise<{ digest: Buffer; ok: boolean | undefined }> {
  const hash = createHash('sha256');
  // Ed25519 keys sign the message itself and cannot be fed in pieces; they are handled after hashing.
  const verifier = key === undefined || key.asymmetricKeyType === 'ed25519' ? undefined : createVerify('sha256');
  const feed = (chunk: Buffer) => {
    hash.update(chunk);
    verifier?.update(chunk);
  };
  try {
    // Up to SYNC_READ_MAX_BYTES the file is read synchronously: loading the stream machinery costs a verifier's
    // start-up ~4 ms, more than reading a file of that size takes. Larger files stream, leaving the event loop free.
    if (statSync(path).size <= SYNC_READ_MAX_BYTES) readChunksSync(path, feed);
    else for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK_BYTES })) feed(chunk as Buffer);
  } catch (cause) {
    throw fail('subject-unreadable', `cannot read ${label}: ${errnoText(cause)}`, cause);
  }
  let ok: boolean | undefined;
  try {
    ok = verifier?.verify(key as KeyObject, signature as Buffer);
  } catch {
    ok = false;
  }
  return { digest: hash.digest(), ok };
}

export async function verifyOverFile(key: KeyObject, path: string, signature: Buffer): Promise<boolean> {
  if (key.asymmetricKeyType === 'rsa') {
    const verifier = createVerify('sha256');
    for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }))
      verifier.update(chunk as Buffer);
    return verifier.verify(key, signature);
  }
  // Ed25519 signs the message itself; it is read whole.
  return nodeVerify(null, await fsp().readFile(path), key, signature);
}

export function parseStatement(payloadType: string, payload: Buffer, source: string): Statement {
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

export function checkPolicy(facts: SignerFacts, policy: IdentityPolicy, source: string): void {
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
