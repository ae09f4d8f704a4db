import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign as nodeSign,
  X509Certificate,
} from 'node:crypto';
import type { HttpClient } from '@airlock/core';
import {
  type Bundle,
  bundleToJSON,
  envelopeToJSON,
  type SerializedBundle,
  type TransparencyLogEntry,
  toDSSEBundle,
  toMessageSignatureBundle,
} from '@sigstore/bundle';
import { SigningError } from './errors.ts';
import { signPrehashedP256 } from './prehash.ts';
import {
  createRekorEntry,
  createRekorV2Entry,
  type RekorEntry,
  type RekorV2Request,
  requestCertificate,
  requestTimestamp,
  type SigstoreEndpoints,
  type TlogService,
} from './services.ts';
import { decodeJwtClaims, INTOTO_PAYLOAD_TYPE, pae, type Statement } from './statement.ts';

/**
 * Keyless signing: an ephemeral P-256 key that lives only in memory, a short-lived Fulcio certificate binding its
 * public key to the OIDC identity, and for each signature a Rekor entry and/or an RFC 3161 timestamp. One
 * certificate serves every signature of a run (renewed when it nears its end), so signing 10,000 blobs asks Fulcio
 * once.
 *
 * Bundles are assembled and serialised by @sigstore/bundle (v0.3, a single leaf certificate, as sigstore-js 5
 * writes them). Blob signatures sign the artifact's SHA-256 digest directly (ECDSA over the prehash), so a 1 GiB
 * artifact is read once, by the streaming hasher, never held in memory.
 */
export interface KeylessSignerOptions {
  readonly http: HttpClient;
  readonly endpoints: SigstoreEndpoints;
  /** A fresh OIDC token (audience `sigstore`), already registered as a secret by the caller. */
  readonly identityToken: () => Promise<string>;
  readonly now?: () => Date;
  /** How many signatures are witnessed (logged, timestamped) at once. */
  readonly concurrency?: number;
}

export interface SigningCertificate {
  readonly der: Buffer;
  readonly pem: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The identity Fulcio bound (the certificate's SAN). */
  readonly identity: string;
}

/** A signed bundle, with what a caller reports about it. */
export interface SignedBundle {
  readonly bundle: SerializedBundle;
  /** The bundle as written to disk (JSON, one line, newline at the end). */
  readonly json: string;
  readonly certificate: SigningCertificate;
  /**
   * The first transparency-log entry. A Rekor v2 entry has no integrated time (its time is the RFC 3161 timestamp)
   * and no UUID.
   */
  readonly tlog:
    | {
        readonly logIndex: number;
        readonly logId: string;
        readonly integratedTime: Date | undefined;
        readonly uuid: string | undefined;
        readonly apiVersion: number;
      }
    | undefined;
  readonly timestamped: boolean;
}

const RENEW_BEFORE_MS = 120_000;

/** The key details of the ephemeral key (what Rekor v2 is told the verifier's algorithm is). */
const KEY_DETAILS = 'PKIX_ECDSA_P256_SHA_256';

export class KeylessSigner {
  readonly #options: KeylessSignerOptions;
  readonly #privateKey: KeyObject;
  readonly #publicKeyPem: string;
  readonly #scalar: Uint8Array;
  #certificate: Promise<SigningCertificate> | undefined;

  constructor(options: KeylessSignerOptions) {
    this.#options = options;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.#privateKey = privateKey;
    this.#publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    this.#scalar = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url');
  }

  get endpoints(): SigstoreEndpoints {
    return this.#options.endpoints;
  }

  /** The current signing certificate, requested from Fulcio on first use and renewed near its end. */
  async certificate(): Promise<SigningCertificate> {
    const now = (this.#options.now ?? (() => new Date()))();
    if (this.#certificate !== undefined) {
      const current = await this.#certificate.catch(() => undefined);
      if (current !== undefined && current.notAfter.getTime() - now.getTime() > RENEW_BEFORE_MS) return current;
    }
    this.#certificate = this.#requestCertificate();
    return this.#certificate;
  }

  async #requestCertificate(): Promise<SigningCertificate> {
    const token = await this.#options.identityToken();
    const claims = decodeJwtClaims(token);
    // Fulcio's challenge: the key signs the token's subject (its email, for email-based identities).
    const challenge = typeof claims.email === 'string' && claims.email !== '' ? claims.email : claims.sub;
    if (typeof challenge !== 'string' || challenge === '') {
      throw new SigningError('token-invalid', 'the identity token has no subject (sub) claim');
    }
    const chain = await requestCertificate(this.#options.http, this.#options.endpoints.fulcio, {
      identityToken: token,
      publicKeyPem: this.#publicKeyPem,
      proofOfPossession: nodeSign('sha256', Buffer.from(challenge), this.#privateKey),
    });
    let leaf: X509Certificate;
    try {
      leaf = new X509Certificate(chain[0] as string);
    } catch (cause) {
      throw new SigningError('fulcio-failed', 'Fulcio returned a certificate that cannot be parsed', {
        cause,
        kind: 'external',
      });
    }
    const ours = createPublicKey(this.#publicKeyPem);
    if (!leaf.publicKey.equals(ours)) {
      throw new SigningError('fulcio-failed', 'Fulcio returned a certificate for a different public key', {
        kind: 'external',
      });
    }
    const san = leaf.subjectAltName ?? '';
    return {
      der: Buffer.from(leaf.raw),
      pem: leaf.toString(),
      notBefore: new Date(leaf.validFrom),
      notAfter: new Date(leaf.validTo),
      identity: san.replace(/^(URI|email):/, ''),
    };
  }

  /** ECDSA P-256 over a SHA-256 digest (DER signature), as `crypto.sign('sha256', data)` would give over the data. */
  async signDigest(digest: Buffer): Promise<Buffer> {
    if (digest.byteLength !== 32) throw new SigningError('subject-invalid', 'a SHA-256 digest is 32 bytes');
    return signPrehashedP256(this.#scalar, digest);
  }

  signBytes(data: Buffer): Buffer {
    return nodeSign('sha256', data, this.#privateKey);
  }

  /** A message-signature bundle over an artifact digest (hex). */
  async signDigestBundle(sha256: string): Promise<SignedBundle> {
    const digest = Buffer.from(sha256, 'hex');
    const certificate = await this.certificate();
    const signature = await this.signDigest(digest);
    const bundle = toMessageSignatureBundle({
      digest,
      signature,
      certificate: certificate.der,
      certificateChain: false,
    });
    const proposed = {
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: 'sha256', value: sha256 } },
        signature: {
          content: signature.toString('base64'),
          publicKey: { content: Buffer.from(certificate.pem).toString('base64') },
        },
      },
    };
    const v2: RekorV2Request = {
      hashedRekordRequestV002: {
        digest: digest.toString('base64'),
        signature: { content: signature.toString('base64'), verifier: v2Verifier(certificate) },
      },
    };
    return this.#witness(bundle, signature, { v1: proposed, v2 }, certificate);
  }

  /** A DSSE bundle over a payload (an in-toto statement by default). */
  async signEnvelope(payload: Buffer, payloadType = INTOTO_PAYLOAD_TYPE): Promise<SignedBundle> {
    const certificate = await this.certificate();
    const signature = this.signBytes(pae(payloadType, payload));
    const bundle = toDSSEBundle({
      artifact: payload,
      artifactType: payloadType,
      signature,
      certificate: certificate.der,
      certificateChain: false,
    });
    if (bundle.content.$case !== 'dsseEnvelope') throw new Error('unreachable: not a DSSE bundle');
    const proposed = {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        proposedContent: {
          envelope: JSON.stringify(envelopeToJSON(bundle.content.dsseEnvelope)),
          verifiers: [Buffer.from(certificate.pem).toString('base64')],
        },
      },
    };
    const v2: RekorV2Request = {
      dsseRequestV002: {
        envelope: envelopeToJSON(bundle.content.dsseEnvelope),
        verifiers: [v2Verifier(certificate)],
      },
    };
    return this.#witness(bundle, signature, { v1: proposed, v2 }, certificate);
  }

  async signStatement(statement: Statement): Promise<SignedBundle> {
    return this.signEnvelope(Buffer.from(JSON.stringify(statement)), INTOTO_PAYLOAD_TYPE);
  }

  async #witness(
    bundle: Bundle,
    signature: Buffer,
    proposed: { readonly v1: object; readonly v2: RekorV2Request },
    certificate: SigningCertificate,
  ): Promise<SignedBundle> {
    const { http, endpoints } = this.#options;
    const tlogs: readonly TlogService[] =
      endpoints.tlogs ?? (endpoints.rekor === undefined ? [] : [{ url: endpoints.rekor, majorApiVersion: 1 }]);
    if (tlogs.some((t) => t.majorApiVersion === 2) && endpoints.tsa === undefined) {
      throw new SigningError(
        'config-invalid',
        'a Rekor v2 log records no signing time; signing with it needs a timestamp authority, and none is configured',
      );
    }
    const [entries, timestamp] = await Promise.all([
      Promise.all(
        tlogs.map(async (log) => {
          if (log.majorApiVersion === 1) {
            const entry = await createRekorEntry(http, log.url, proposed.v1);
            return {
              tle: toTlogEntry(entry),
              summary: {
                logIndex: entry.logIndex,
                logId: entry.logID,
                integratedTime: new Date(entry.integratedTime * 1000),
                uuid: entry.uuid,
                apiVersion: 1,
              },
            };
          }
          if (log.majorApiVersion === 2) {
            const tle = await createRekorV2Entry(http, log.url, proposed.v2);
            return {
              tle,
              summary: {
                logIndex: Number(tle.logIndex),
                logId: Buffer.from(tle.logId?.keyId ?? []).toString('hex'),
                integratedTime: undefined,
                uuid: undefined,
                apiVersion: 2,
              },
            };
          }
          throw new SigningError('config-invalid', `Rekor API version ${log.majorApiVersion} is not supported`);
        }),
      ),
      endpoints.tsa === undefined ? undefined : requestTimestamp(http, endpoints.tsa, signature),
    ]);
    if (entries.length > 0) bundle.verificationMaterial.tlogEntries = entries.map((e) => e.tle as TransparencyLogEntry);
    if (timestamp !== undefined) {
      bundle.verificationMaterial.timestampVerificationData = { rfc3161Timestamps: [{ signedTimestamp: timestamp }] };
    }
    const serialized = bundleToJSON(bundle);
    return {
      bundle: serialized,
      json: `${JSON.stringify(serialized)}\n`,
      certificate,
      tlog: entries[0]?.summary,
      timestamped: timestamp !== undefined,
    };
  }
}

/** A Rekor v2 verifier naming the signing certificate (protobuf-JSON). */
function v2Verifier(certificate: SigningCertificate): object {
  return { x509Certificate: { rawBytes: certificate.der.toString('base64') }, keyDetails: KEY_DETAILS };
}

function toTlogEntry(entry: RekorEntry): TransparencyLogEntry {
  const body = Buffer.from(entry.body, 'base64');
  let kind: { kind?: unknown; apiVersion?: unknown };
  try {
    kind = JSON.parse(body.toString('utf8')) as typeof kind;
  } catch (cause) {
    throw new SigningError('rekor-failed', 'Rekor returned an entry whose body is not JSON', {
      cause,
      kind: 'external',
    });
  }
  const proof = entry.verification?.inclusionProof;
  const set = entry.verification?.signedEntryTimestamp;
  return {
    logIndex: String(entry.logIndex),
    logId: { keyId: Buffer.from(entry.logID, 'hex') },
    kindVersion: { kind: String(kind.kind), version: String(kind.apiVersion) },
    integratedTime: String(entry.integratedTime),
    inclusionPromise: set === undefined ? undefined : { signedEntryTimestamp: Buffer.from(set, 'base64') },
    inclusionProof:
      proof === undefined
        ? undefined
        : {
            logIndex: String(proof.logIndex),
            rootHash: Buffer.from(proof.rootHash, 'hex'),
            treeSize: String(proof.treeSize),
            hashes: proof.hashes.map((h) => Buffer.from(h, 'hex')),
            checkpoint: { envelope: proof.checkpoint },
          },
    canonicalizedBody: body,
  };
}

/** SHA-256 of a buffer as hex (for DSSE payload digests and tests). */
export function sha256Of(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
