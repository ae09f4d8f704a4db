import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
  X509Certificate,
} from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import canonicalize from 'canonicalize';
import { type LoopbackServer, listen, sendJson } from './net.ts';

/**
 * A loopback Rekor v2 (rekor-tiles) write API on 127.0.0.1: `POST /api/v2/log/entries` with a CreateEntryRequest in
 * protobuf-JSON (`hashedRekordRequestV002` or `dsseRequestV002`), answered with a TransparencyLogEntry (kind/version
 * `0.0.2`, canonicalized body, inclusion proof with a signed checkpoint), as the real service does.
 *
 * What it checks before logging, like rekor-tiles:
 * - the verifier: an X.509 certificate (DER) or a public key (SPKI DER), and `keyDetails` matching that key;
 * - hashedrekord: the digest has the length of the key details' hash, and the signature verifies over that digest
 *   (ECDSA over the prehash) with the verifier's key;
 * - dsse: every envelope signature verifies over the DSSE pre-authentication encoding with one of the verifiers.
 * A refused request gets HTTP 400 with the gRPC-gateway error shape Rekor v2 uses: `{code: 3, message, details: []}`.
 *
 * Entries are appended to a real RFC 6962 Merkle tree (leaf = SHA-256(0x00 || canonicalized body)). Each answer carries
 * the audit path to the new tree head and a checkpoint (C2SP signed note) signed with the log's Ed25519 key: origin
 * line (the log's host, as rekor-tiles names shards), tree size, base64 root hash; the signature line's key hint is the
 * first four bytes of the checkpoint key ID, SHA-256(origin || 0x0A || 0x01 || public key). That key ID is the log ID
 * Sigstore's trusted root carries for a Rekor v2 log; `trustedRootEntry()` writes the matching `tlogs` entry.
 */
export interface LoopbackRekorV2Options {
  /** When the log's key starts being valid in the trusted root (default: one minute ago). */
  readonly validFrom?: Date;
}

export interface RekorV2Request {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly kind?: 'hashedrekord' | 'dsse';
}

const GRPC_INVALID_ARGUMENT = 3;
const GRPC_NOT_FOUND = 5;

type KeyDetails = 'PKIX_ECDSA_P256_SHA_256' | 'PKIX_ECDSA_P384_SHA_384' | 'PKIX_ED25519';
const KEY_DETAILS: Record<KeyDetails, { curve?: string; type: string; hash: 'sha256' | 'sha384'; bytes: number }> = {
  PKIX_ECDSA_P256_SHA_256: { type: 'ec', curve: 'P-256', hash: 'sha256', bytes: 32 },
  PKIX_ECDSA_P384_SHA_384: { type: 'ec', curve: 'P-384', hash: 'sha384', bytes: 48 },
  PKIX_ED25519: { type: 'ed25519', hash: 'sha256', bytes: 32 },
};
const HASH_NAME = { sha256: 'SHA2_256', sha384: 'SHA2_384' } as const;

class Refusal extends Error {}

/** RFC 6962 hashes. */
export const leafHash = (data: Buffer): Buffer =>
  createHash('sha256')
    .update(Buffer.from([0]))
    .update(data)
    .digest();
const nodeHash = (left: Buffer, right: Buffer): Buffer =>
  createHash('sha256')
    .update(Buffer.from([1]))
    .update(left)
    .update(right)
    .digest();

/** The largest power of two smaller than n (n > 1). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) over leaf hashes (RFC 6962 §2.1). */
export function merkleRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return leaves[0] as Buffer;
  const k = split(leaves.length);
  return nodeHash(merkleRoot(leaves.slice(0, k)), merkleRoot(leaves.slice(k)));
}

/** PATH(m, D[n]), the audit path of leaf m (RFC 6962 §2.1.1), leaf side first. */
export function inclusionPath(m: number, leaves: readonly Buffer[]): Buffer[] {
  if (leaves.length <= 1) return [];
  const k = split(leaves.length);
  if (m < k) return [...inclusionPath(m, leaves.slice(0, k)), merkleRoot(leaves.slice(k))];
  return [...inclusionPath(m - k, leaves.slice(k)), merkleRoot(leaves.slice(0, k))];
}

/** DSSE pre-authentication encoding. */
function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.byteLength} `),
    type,
    Buffer.from(` ${payload.byteLength} `),
    payload,
  ]);
}

function bytes(value: unknown, field: string): Buffer {
  if (typeof value !== 'string' || value === '' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) {
    throw new Refusal(`invalid ${field}: expected non-empty base64 bytes`);
  }
  return Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Refusal(`missing ${field}`);
  return value as Record<string, unknown>;
}

interface ParsedVerifier {
  readonly key: KeyObject;
  readonly details: KeyDetails;
  /** The verifier as it is stored in the entry (protobuf-JSON). */
  readonly stored: Record<string, unknown>;
}

function parseVerifier(value: unknown, field: string): ParsedVerifier {
  const verifier = object(value, field);
  const details = verifier.keyDetails;
  if (typeof details !== 'string' || !(details in KEY_DETAILS)) {
    throw new Refusal(`${field}.keyDetails: unsupported key details ${JSON.stringify(details)}`);
  }
  let key: KeyObject;
  let stored: Record<string, unknown>;
  if (verifier.x509Certificate !== undefined) {
    const raw = bytes(
      object(verifier.x509Certificate, `${field}.x509Certificate`).rawBytes,
      `${field}.x509Certificate`,
    );
    try {
      key = new X509Certificate(raw).publicKey;
    } catch {
      throw new Refusal(`${field}.x509Certificate: not a DER X.509 certificate`);
    }
    stored = { x509Certificate: { rawBytes: raw.toString('base64') }, keyDetails: details };
  } else if (verifier.publicKey !== undefined) {
    const raw = bytes(object(verifier.publicKey, `${field}.publicKey`).rawBytes, `${field}.publicKey`);
    try {
      key = createPublicKey({ key: raw, format: 'der', type: 'spki' });
    } catch {
      throw new Refusal(`${field}.publicKey: not a DER SubjectPublicKeyInfo`);
    }
    stored = { publicKey: { rawBytes: raw.toString('base64') }, keyDetails: details };
  } else {
    throw new Refusal(`${field}: missing verifier (x509Certificate or publicKey)`);
  }
  const expected = KEY_DETAILS[details as KeyDetails];
  const curve = key.asymmetricKeyType === 'ec' ? key.export({ format: 'jwk' }).crv : undefined;
  if (key.asymmetricKeyType !== expected.type || curve !== expected.curve) {
    throw new Refusal(`${field}.keyDetails ${details} does not match the verifier's ${key.asymmetricKeyType} key`);
  }
  return { key, details: details as KeyDetails, stored };
}

/** Verify a signature over a prehashed digest with an EC key (what rekor-tiles does for hashedrekord). */
function verifyDigest(verifier: ParsedVerifier, digest: Buffer, signature: Buffer): boolean {
  const jwk = verifier.key.export({ format: 'jwk' });
  if (verifier.details === 'PKIX_ED25519') return false; // Ed25519 cannot sign a prehash (Rekor needs ed25519ph)
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

function verifyMessage(verifier: ParsedVerifier, message: Buffer, signature: Buffer): boolean {
  const hash = verifier.details === 'PKIX_ED25519' ? null : KEY_DETAILS[verifier.details].hash;
  try {
    return nodeVerify(hash, message, verifier.key, signature);
  } catch {
    return false;
  }
}

export class LoopbackRekorV2 {
  readonly requests: RekorV2Request[] = [];
  /** Canonicalized bodies of the logged entries, in log order. */
  readonly bodies: Buffer[] = [];
  /** Answer every request with this HTTP status (a fault to test error handling); undefined for normal service. */
  faultStatus: number | undefined;
  readonly #server: LoopbackServer;
  readonly #privateKey: KeyObject;
  readonly #publicKeyDer: Buffer;
  readonly #keyId: Buffer;
  readonly #origin: string;
  readonly #leaves: Buffer[] = [];
  readonly #validFrom: Date;

  private constructor(server: LoopbackServer, options: LoopbackRekorV2Options) {
    this.#server = server;
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    this.#privateKey = privateKey;
    this.#publicKeyDer = publicKey.export({ format: 'der', type: 'spki' });
    this.#origin = new URL(server.origin).host;
    // The raw Ed25519 key is the last 32 bytes of its SPKI encoding.
    const raw = this.#publicKeyDer.subarray(this.#publicKeyDer.byteLength - 32);
    this.#keyId = createHash('sha256')
      .update(`${this.#origin}\n`)
      .update(Buffer.from([0x01]))
      .update(raw)
      .digest();
    this.#validFrom = options.validFrom ?? new Date(Date.now() - 60_000);
  }

  static async start(options: LoopbackRekorV2Options = {}): Promise<LoopbackRekorV2> {
    let instance: LoopbackRekorV2 | undefined;
    const server = await listen((req, res, body) => {
      const self = instance as LoopbackRekorV2;
      const path = (req.url ?? '/').split('?')[0] as string;
      const answer = self.#handle(req.method ?? 'GET', path, body);
      self.requests.push({ method: req.method ?? 'GET', path, status: answer.status, ...answer.kind });
      sendJson(res, answer.status, answer.json);
    });
    instance = new LoopbackRekorV2(server, options);
    return instance;
  }

  /** The log's base URL (what a signing config lists with majorApiVersion 2). */
  get url(): string {
    return this.#server.origin;
  }

  /** The checkpoint origin (and key name): the log's host. */
  get origin(): string {
    return this.#origin;
  }

  /** The checkpoint key ID, which is the log ID of a Rekor v2 log. */
  get logId(): Buffer {
    return Buffer.from(this.#keyId);
  }

  get treeSize(): number {
    return this.#leaves.length;
  }

  /** The `tlogs` entry of a trusted root for this log. */
  trustedRootEntry(): Record<string, unknown> {
    return {
      baseUrl: this.url,
      hashAlgorithm: 'SHA2_256',
      publicKey: {
        rawBytes: this.#publicKeyDer.toString('base64'),
        keyDetails: 'PKIX_ED25519',
        validFor: { start: this.#validFrom.toISOString() },
      },
      logId: { keyId: this.#keyId.toString('base64') },
    };
  }

  /** A copy of `trustedRoot` with this log added to its `tlogs`. */
  addToTrustedRoot(trustedRoot: Record<string, unknown>): Record<string, unknown> {
    const tlogs = Array.isArray(trustedRoot.tlogs) ? trustedRoot.tlogs : [];
    return { ...trustedRoot, tlogs: [...tlogs, this.trustedRootEntry()] };
  }

  /** The signing-config service entry for this log (`rekorTlogUrls` item). */
  service(validFor: { start?: Date; end?: Date } = {}): Record<string, unknown> {
    return {
      url: this.url,
      majorApiVersion: 2,
      validFor: {
        start: (validFor.start ?? this.#validFrom).toISOString(),
        ...(validFor.end === undefined ? {} : { end: validFor.end.toISOString() }),
      },
      operator: 'sigstore.mock',
    };
  }

  async stop(): Promise<void> {
    await this.#server.close();
  }

  #handle(
    method: string,
    path: string,
    body: Buffer,
  ): { status: number; json: unknown; kind?: { kind: 'hashedrekord' | 'dsse' } } {
    if (this.faultStatus !== undefined) {
      return { status: this.faultStatus, json: { code: 14, message: 'injected fault', details: [] } };
    }
    if (path !== '/api/v2/log/entries') {
      return { status: 404, json: { code: GRPC_NOT_FOUND, message: 'Not Found', details: [] } };
    }
    if (method !== 'POST') {
      return { status: 405, json: { code: 12, message: 'Method Not Allowed', details: [] } };
    }
    let kind: 'hashedrekord' | 'dsse' | undefined;
    try {
      let request: unknown;
      try {
        request = JSON.parse(body.toString('utf8'));
      } catch {
        throw new Refusal('invalid request body: not JSON');
      }
      const fields = object(request, 'request');
      const hashed = fields.hashedRekordRequestV002 ?? fields.hashedRekordRequestV0_0_2;
      const dsse = fields.dsseRequestV002 ?? fields.dsseRequestV0_0_2;
      if ((hashed === undefined) === (dsse === undefined)) {
        throw new Refusal('exactly one of hashedRekordRequestV002 or dsseRequestV002 is required');
      }
      kind = hashed !== undefined ? 'hashedrekord' : 'dsse';
      const entry = hashed !== undefined ? this.#hashedRekord(hashed) : this.#dsse(dsse);
      return { status: 201, json: this.#append(kind, entry), kind: { kind } };
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      return {
        status: 400,
        json: { code: GRPC_INVALID_ARGUMENT, message: error.message, details: [] },
        ...(kind === undefined ? {} : { kind: { kind } }),
      };
    }
  }

  #hashedRekord(value: unknown): Record<string, unknown> {
    const request = object(value, 'hashedRekordRequestV002');
    const signature = object(request.signature, 'signature');
    const verifier = parseVerifier(signature.verifier, 'signature.verifier');
    const digest = bytes(request.digest, 'digest');
    const { hash, bytes: size } = KEY_DETAILS[verifier.details];
    if (digest.byteLength !== size) {
      throw new Refusal(`digest must be ${size} bytes for ${verifier.details}; got ${digest.byteLength}`);
    }
    const content = bytes(signature.content, 'signature.content');
    if (!verifyDigest(verifier, digest, content)) {
      throw new Refusal('verifying signature: invalid signature when validating ASN.1 encoded signature');
    }
    return {
      hashedRekordV002: {
        data: { algorithm: HASH_NAME[hash], digest: digest.toString('base64') },
        signature: { content: content.toString('base64'), verifier: verifier.stored },
      },
    };
  }

  #dsse(value: unknown): Record<string, unknown> {
    const request = object(value, 'dsseRequestV002');
    const envelope = object(request.envelope, 'envelope');
    if (typeof envelope.payloadType !== 'string' || envelope.payloadType === '') {
      throw new Refusal('envelope.payloadType is required');
    }
    const payload = bytes(envelope.payload, 'envelope.payload');
    const signatures = envelope.signatures;
    if (!Array.isArray(signatures) || signatures.length === 0) throw new Refusal('envelope.signatures is empty');
    if (!Array.isArray(request.verifiers) || request.verifiers.length === 0) throw new Refusal('verifiers is empty');
    const verifiers = request.verifiers.map((v, i) => parseVerifier(v, `verifiers[${i}]`));
    const message = pae(envelope.payloadType, payload);
    const logged = signatures.map((s, i) => {
      const sig = bytes(object(s, `envelope.signatures[${i}]`).sig, `envelope.signatures[${i}].sig`);
      const by = verifiers.find((v) => verifyMessage(v, message, sig));
      if (by === undefined) {
        throw new Refusal(`verifying envelope: signature ${i} does not verify with any of the given verifiers`);
      }
      return { content: sig.toString('base64'), verifier: by.stored };
    });
    return {
      dsseV002: {
        payloadHash: { algorithm: 'SHA2_256', digest: createHash('sha256').update(payload).digest('base64') },
        signatures: logged,
      },
    };
  }

  #append(kind: 'hashedrekord' | 'dsse', spec: Record<string, unknown>): Record<string, unknown> {
    const body = Buffer.from(canonicalize({ kind, apiVersion: '0.0.2', spec }) as string, 'utf8');
    const index = this.#leaves.length;
    this.#leaves.push(leafHash(body));
    this.bodies.push(body);
    const size = this.#leaves.length;
    const root = merkleRoot(this.#leaves);
    return {
      logIndex: String(index),
      logId: { keyId: this.#keyId.toString('base64') },
      kindVersion: { kind, version: '0.0.2' },
      inclusionProof: {
        logIndex: String(index),
        rootHash: root.toString('base64'),
        treeSize: String(size),
        hashes: inclusionPath(index, this.#leaves).map((h) => h.toString('base64')),
        checkpoint: { envelope: this.checkpoint(size, root) },
      },
      canonicalizedBody: body.toString('base64'),
    };
  }

  /** A C2SP checkpoint for a tree head, signed with the log's key. */
  checkpoint(size: number, root: Buffer): string {
    const note = `${this.#origin}\n${size}\n${root.toString('base64')}\n`;
    const signature = nodeSign(null, Buffer.from(note, 'utf8'), this.#privateKey);
    const keyHint = this.#keyId.subarray(0, 4);
    return `${note}\n\u2014 ${this.#origin} ${Buffer.concat([keyHint, signature]).toString('base64')}\n`;
  }
}
