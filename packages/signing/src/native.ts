import { createHash, createPublicKey, type KeyObject, verify as nodeVerify } from 'node:crypto';
import { statSync } from 'node:fs';
import { canonicalJson } from '@airlock/core';
import {
  type BundleJson,
  checkPolicy,
  hashAndVerify,
  NATIVE_VERIFY_MAX_BYTES,
  parseStatement,
  type VerifiedBundle,
  type VerifyRequest,
} from './checks.ts';
import { verifyPrehashed } from './prehash.ts';
import { pae, type Statement } from './statement.ts';
import type { Trust } from './trust.ts';
import { NativeCertificate } from './x509.ts';

/**
 * Native verification: the common keyless bundle checked with Node's crypto (OpenSSL) and a strict DER reader,
 * without loading sigstore-js. It covers a Fulcio certificate (bundle v0.1–v0.3, one certificate) with one Rekor v1
 * entry (hashedrekord or dsse 0.0.1) carrying a signed entry timestamp, no RFC 3161 timestamps, a message signature
 * over a file or a digest, or a DSSE envelope. That is what Airlock's sign action, cosign and sigstore-js write for keyless
 * signing against public-good Sigstore.
 *
 * Why: the verify action's cold start (target 120 ms). Loading sigstore-js (bundle, core, verify, protobuf-specs) and
 * its pure-JavaScript ASN.1 certificate checks cost ~60 ms of a ~180 ms start, the checks alone ~25 ms cold.
 *
 * Contract: this path only ever accepts. It returns a result when every check below passed, and undefined at the first
 * doubt or for anything it does not cover; verify.ts then runs sigstore-js (sigstore-js.ts), which decides the
 * bundle and names the reason of a refusal. So a bundle is accepted when native verification accepts it or
 * sigstore-js does, and native verification must never accept what sigstore-js refuses: it makes each of
 * sigstore-js's checks (@sigstore/verify 3: SET, checkpoint and Merkle inclusion, entry body, certificate path at the
 * signing time with CA flags, name chaining and path lengths, SCTs, signature) and Airlock's own (checks.ts: exact
 * identity policy, subjects, predicate type; the inclusion proof's tree is the checkpoint's), and where it is unsure
 * it declines. test/unit/signing/native.test.ts holds it to that with every fail-closed case and mutated bundles.
 */
export async function verifyNative(request: VerifyRequest, parsed: BundleJson): Promise<VerifiedBundle | undefined> {
  try {
    return await attempt(request, parsed);
  } catch {
    return undefined;
  }
}

class Decline extends Error {}

function need(condition: unknown): asserts condition {
  if (!condition) throw new Decline();
}

const isSet = (value: unknown) => value !== null && value !== undefined;

function object(value: unknown): Record<string, unknown> {
  need(value !== null && typeof value === 'object' && !Array.isArray(value));
  return value as Record<string, unknown>;
}

function text(value: unknown): string {
  need(typeof value === 'string');
  return value;
}

function bytes(value: unknown): Buffer {
  const b = Buffer.from(text(value), 'base64');
  need(b.length > 0);
  return b;
}

/** A protobuf int64 in JSON: a decimal string, absent when zero. */
function digits(value: unknown): string {
  if (!isSet(value)) return '0';
  need(typeof value === 'string' && /^\d{1,19}$/.test(value));
  return value;
}

interface Log {
  readonly baseUrl: string;
  readonly logId: Buffer;
  /** Created on first use: a root names many logs, a bundle uses one or two. */
  readonly key: () => KeyObject;
  readonly start: Date;
  readonly end: Date;
}

interface Authority {
  /** Parsed on first use, for the CAs in force at a signature's time. */
  readonly certs: () => readonly NativeCertificate[];
  readonly start: Date;
  readonly end: Date;
}

interface NativeTrust {
  readonly tlogs: readonly Log[];
  readonly ctlogs: readonly Log[];
  readonly cas: readonly Authority[];
}

const BEGINNING_OF_TIME = new Date(0);
const END_OF_TIME = new Date(8640000000000000);

function validity(validFor: unknown): { start: Date; end: Date } {
  const v = (validFor ?? {}) as { start?: unknown; end?: unknown };
  return {
    start: typeof v.start === 'string' ? new Date(v.start) : BEGINNING_OF_TIME,
    end: typeof v.end === 'string' ? new Date(v.end) : END_OF_TIME,
  };
}

function once<T>(make: () => T): () => T {
  let value: { v: T } | undefined;
  return () => {
    value ??= { v: make() };
    return value.v;
  };
}

/**
 * A log from the trusted root, or undefined when this path does not use it: only EC and Ed25519 keys given as
 * SubjectPublicKeyInfo (sigstore-js reads some RSA key details as PKCS#1). An entry left out can only make native
 * verification decline, never accept; so can a key that does not parse (sigstore-js refuses the root then).
 */
function log(entry: Record<string, unknown>): Log | undefined {
  const publicKey = object(entry.publicKey);
  const details = publicKey.keyDetails;
  if (typeof details !== 'string' || !/^PKIX_(ECDSA_P(256|384|521)_SHA_(256|384|512)|ED25519)$/.test(details))
    return undefined;
  const id = (entry.checkpointKeyId as { keyId?: unknown } | undefined)?.keyId ?? object(entry.logId).keyId;
  const raw = bytes(publicKey.rawBytes);
  return {
    baseUrl: typeof entry.baseUrl === 'string' ? entry.baseUrl : '',
    logId: bytes(id),
    key: once(() => createPublicKey({ key: raw, format: 'der', type: 'spki' })),
    ...validity(publicKey.validFor),
  };
}

function authority(entry: Record<string, unknown>): Authority {
  const chain = object(entry.certChain).certificates;
  need(Array.isArray(chain) && chain.length > 0);
  const raw = chain.map((c) => bytes(object(c).rawBytes));
  return { certs: once(() => raw.map((der) => NativeCertificate.parse(der))), ...validity(entry.validFor) };
}

const trusts = new WeakMap<Trust, NativeTrust | null>();

function nativeTrust(trust: Trust): NativeTrust | undefined {
  let view = trusts.get(trust);
  if (view === undefined) {
    const list = (key: string) => (Array.isArray(trust.root[key]) ? (trust.root[key] as unknown[]) : []).map(object);
    try {
      view = {
        tlogs: list('tlogs').flatMap((e) => log(e) ?? []),
        ctlogs: list('ctlogs').flatMap((e) => log(e) ?? []),
        cas: list('certificateAuthorities').map(authority),
      };
    } catch {
      view = null;
    }
    trusts.set(trust, view);
  }
  return view ?? undefined;
}

const within = (date: Date, range: { start: Date; end: Date }) => range.start <= date && date <= range.end;

function verifies(algorithm: string | undefined, data: Buffer, key: KeyObject, signature: Buffer): boolean {
  try {
    return nodeVerify(algorithm, data, key, signature);
  } catch {
    return false;
  }
}

const sha256 = (...parts: Buffer[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

async function attempt(request: VerifyRequest, parsed: BundleJson): Promise<VerifiedBundle | undefined> {
  const { source, artifact, policy } = request;
  const { json, mediaType, version } = parsed;
  if (request.keyMode) return undefined;
  const trust = nativeTrust(request.trust);
  need(trust !== undefined);

  // Verification material: one certificate (v0.3 `certificate`; a one-certificate chain before v0.3).
  const material = object(json.verificationMaterial);
  need(!isSet(material.publicKey));
  need(isSet(material.certificate) !== isSet(material.x509CertificateChain));
  let certDer: Buffer;
  if (isSet(material.certificate)) certDer = bytes(object(material.certificate).rawBytes);
  else {
    need(version !== 'v0.3');
    const chain = object(material.x509CertificateChain).certificates;
    need(Array.isArray(chain) && chain.length === 1);
    certDer = bytes(object(chain[0]).rawBytes);
  }
  const timestamps = material.timestampVerificationData;
  if (isSet(timestamps)) {
    const list = object(timestamps).rfc3161Timestamps;
    need(!isSet(list) || (Array.isArray(list) && list.length === 0));
  }
  const entries = material.tlogEntries;
  need(Array.isArray(entries) && entries.length === 1);
  const entry = object(entries[0]);
  const logIndex = digits(entry.logIndex);
  const logId = bytes(object(entry.logId).keyId);
  const kindVersion = object(entry.kindVersion);
  const kind = text(kindVersion.kind);
  const kindApiVersion = text(kindVersion.version);
  const integratedTime = digits(entry.integratedTime);
  const signedEntryTimestamp = bytes(object(entry.inclusionPromise).signedEntryTimestamp);
  const body = bytes(entry.canonicalizedBody);
  need(version === 'v0.1' || isSet(entry.inclusionProof));
  const time = new Date(Number(integratedTime) * 1000);
  need(Number(integratedTime) > 0);

  // Content: a message signature or a DSSE envelope, never both.
  need(isSet(json.messageSignature) !== isSet(json.dsseEnvelope));
  let signature: Buffer;
  let messageDigest: Buffer | undefined;
  let envelope: { payload: Buffer; payloadType: string } | undefined;
  if (isSet(json.messageSignature)) {
    const ms = object(json.messageSignature);
    const md = object(ms.messageDigest);
    need(md.algorithm === 'SHA2_256');
    messageDigest = bytes(md.digest);
    need(messageDigest.length === 32);
    signature = bytes(ms.signature);
  } else {
    const env = object(json.dsseEnvelope);
    const sigs = env.signatures;
    need(Array.isArray(sigs) && sigs.length === 1);
    signature = bytes(object(sigs[0]).sig);
    envelope = { payload: bytes(env.payload), payloadType: text(env.payloadType) };
  }

  // The signed entry timestamp: the log's promise of the entry and its integrated time, the signing time below.
  const setPayload = canonicalJson({
    body: body.toString('base64'),
    integratedTime: Number(integratedTime),
    logIndex: Number(logIndex),
    logID: logId.toString('hex'),
  });
  need(
    trust.tlogs.some(
      (l) =>
        l.logId.equals(logId) &&
        within(time, l) &&
        verifies(undefined, Buffer.from(setPayload, 'utf8'), l.key(), signedEntryTimestamp),
    ),
  );

  // The inclusion proof, against a checkpoint signed by the log; the proof's tree must be the checkpoint's.
  if (isSet(entry.inclusionProof)) verifyInclusion(object(entry.inclusionProof), body, logId, trust.tlogs);

  // The entry records this signature over this content.
  const recorded = object(JSON.parse(body.toString('utf8')));
  need(recorded.kind === kind && recorded.apiVersion === kindApiVersion && kindApiVersion === '0.0.1');
  const spec = object(recorded.spec);
  if (kind === 'hashedrekord') {
    need(messageDigest !== undefined);
    need(bytes(object(spec.signature).content).equals(signature));
    const hash = object(object(spec.data).hash);
    need(hash.algorithm === 'sha256' && Buffer.from(text(hash.value), 'hex').equals(messageDigest));
  } else {
    need(kind === 'dsse' && envelope !== undefined);
    const sigs = spec.signatures;
    need(Array.isArray(sigs) && sigs.length === 1);
    need(bytes(object(sigs[0]).signature).equals(signature));
    const hash = object(spec.payloadHash);
    need(hash.algorithm === 'sha256' && Buffer.from(text(hash.value), 'hex').equals(sha256(envelope.payload)));
  }

  // The certificate: a path to a trusted CA, every certificate valid at the signing time; then its SCTs.
  const leaf = verifyCertificate(certDer, request.trust, time);
  need(leaf !== undefined);
  const key = leaf.publicKey;
  need(key.asymmetricKeyType === 'ec' || key.asymmetricKeyType === 'rsa');

  // The signature, and the artifact against what was signed.
  let digest: Buffer | undefined;
  let statement: Statement | undefined;
  if (messageDigest !== undefined && artifact.kind === 'digest') {
    // Only the digest is known: ECDSA over the prehash (@noble/curves, as on the sigstore-js path).
    digest = Buffer.from(artifact.sha256, 'hex');
    need(digest.equals(messageDigest) && (await verifyPrehashed(key, digest, signature)) === true);
  } else if (messageDigest !== undefined) {
    need(artifact.kind === 'file');
    need(statSync(artifact.path).size <= NATIVE_VERIFY_MAX_BYTES);
    const checked = await hashAndVerify(artifact.path, artifact.label ?? artifact.path, key, signature);
    need(checked.ok === true && checked.digest.equals(messageDigest));
    digest = checked.digest;
  } else {
    const { payload, payloadType } = envelope as { payload: Buffer; payloadType: string };
    need(verifies(undefined, pae(payloadType, payload), key, signature));
    statement = parseStatement(payloadType, payload, source);
    if (artifact.kind === 'file')
      digest = (await hashAndVerify(artifact.path, artifact.label ?? artifact.path, undefined, undefined)).digest;
    if (artifact.kind === 'digest') digest = Buffer.from(artifact.sha256, 'hex');
    if (digest !== undefined) {
      const hex = digest.toString('hex');
      need(statement.subject.some((s) => s.digest.sha256?.toLowerCase() === hex));
    }
    need(request.predicateType === undefined || statement.predicateType === request.predicateType);
  }

  const signer = leaf.facts();
  checkPolicy(signer, policy, source);
  return {
    source,
    mediaType,
    version,
    content: envelope === undefined ? 'message-signature' : 'dsse',
    sha256: digest?.toString('hex'),
    signer,
    tlog: [{ logIndex: Number(logIndex), integratedTime: time, logId: logId.toString('hex') }],
    timestamps: [],
    statement,
  };
}

function verifyInclusion(proof: Record<string, unknown>, body: Buffer, logId: Buffer, tlogs: readonly Log[]): void {
  const index = BigInt(digits(proof.logIndex));
  const treeSize = digits(proof.treeSize);
  const rootHash = bytes(proof.rootHash);
  const hashes = isSet(proof.hashes) ? proof.hashes : [];
  need(Array.isArray(hashes));
  const envelope = text(object(proof.checkpoint).envelope);
  const split = envelope.indexOf('\n\n');
  need(split >= 0);
  const note = envelope.slice(0, split + 1);
  const lines = note.trimEnd().split('\n');
  need(lines.length >= 3 && lines[1] === treeSize);
  need(Buffer.from(lines[2] as string, 'base64').equals(rootHash));
  const signatures = [...envelope.slice(split + 2).matchAll(/\u2014 (\S+) (\S+)\n/g)].map(([, name, sig]) => {
    const b = Buffer.from(sig as string, 'base64');
    need(b.length >= 5);
    return { name: name as string, hint: b.subarray(0, 4), signature: b.subarray(4) };
  });
  need(signatures.length > 0);
  const logs = tlogs.filter((l) => l.logId.equals(logId));
  need(
    signatures.some((s) => {
      const l = logs.find((t) => t.logId.subarray(0, 4).equals(s.hint) && t.baseUrl.includes(s.name));
      return l !== undefined && verifies(undefined, Buffer.from(note, 'utf8'), l.key(), s.signature);
    }),
  );

  // RFC 6962 / 9162 audit path from the leaf to the checkpoint's root.
  const size = BigInt(treeSize);
  need(index < size);
  const inner = (index ^ (size - 1n)).toString(2).replace(/^0+/, '').length;
  const border = (index >> BigInt(inner)).toString(2).split('1').length - 1;
  need(hashes.length === inner + border);
  let node = sha256(Buffer.from([0]), body);
  hashes.forEach((h, i) => {
    const sibling = Buffer.from(text(h), 'base64');
    need(sibling.length === 32);
    if (i < inner && ((index >> BigInt(i)) & 1n) === 0n) node = sha256(Buffer.from([1]), node, sibling);
    else node = sha256(Buffer.from([1]), sibling, node);
  });
  need(node.equals(rootHash));
}

/**
 * The signing certificate, when it chains to a CA of the trusted root in force at `time` (every certificate on the
 * path valid then) and its SCTs verify (at least one when the root names CT logs); undefined otherwise.
 */
export function verifyCertificate(der: Buffer, trust: Trust, time: Date): NativeCertificate | undefined {
  try {
    const view = nativeTrust(trust);
    need(view !== undefined);
    const leaf = NativeCertificate.parse(der);
    need(!leaf.selfSigned);
    const path = certificatePath(leaf, view.cas, time);
    need(path !== undefined && path.length >= 2);
    verifySCTs(leaf, path[1] as NativeCertificate, view.ctlogs, trust.counts.ctlogs > 0 ? 1 : 0);
    return leaf;
  } catch {
    return undefined;
  }
}

/**
 * The path from `leaf` to a self-signed root of the first CA in force at `time` that yields one, as sigstore-js's
 * CertificateChainVerifier would find it; undefined when no CA does. Declines when a certificate has two possible
 * issuers in a CA (sigstore-js would pick the shortest path; this path does not guess).
 */
function certificatePath(
  leaf: NativeCertificate,
  cas: readonly Authority[],
  time: Date,
): NativeCertificate[] | undefined {
  for (const ca of cas) {
    if (!within(time, ca)) continue;
    const path = [leaf];
    for (let cert = leaf; !(cert !== leaf && cert.selfSigned); ) {
      const akid = cert.authorityKeyId;
      const issuers = ca.certs().filter((c) => {
        if (c.equals(cert) || !c.subject.equals(cert.issuer)) return false;
        const skid = c.subjectKeyId;
        return (akid === undefined || skid === undefined || akid.equals(skid)) && cert.signedBy(c);
      });
      need(issuers.length <= 1);
      const issuer = issuers[0];
      if (issuer === undefined || path.includes(issuer)) {
        path.length = 0;
        break;
      }
      path.push(issuer);
      cert = issuer;
    }
    if (path.length === 0) continue;
    // Every certificate above the leaf is a CA; path lengths hold; all are valid at the signing time.
    need(path.slice(1).every((c) => c.isCA));
    path.forEach((c, i) => {
      const limit = c.pathLenConstraint;
      need(limit === undefined || limit >= i - 1);
    });
    need(path.every((c) => c.validAt(time)));
    return path;
  }
  return undefined;
}

const SCT_HASHES: Record<number, string> = { 4: 'sha256', 5: 'sha384', 6: 'sha512' };

/** Every embedded SCT verifies against a CT log of the trusted root in force at its time; at least `threshold`. */
function verifySCTs(leaf: NativeCertificate, issuer: NativeCertificate, ctlogs: readonly Log[], threshold: number) {
  const scts = leaf.scts();
  need(scts.length >= threshold);
  if (scts.length === 0) return;
  const tbs = leaf.precertTbs() as Buffer;
  const length = Buffer.alloc(3);
  length.writeUIntBE(tbs.length, 0, 3);
  const preCert = Buffer.concat([sha256(issuer.spki), length, tbs]);
  const seen = new Set<string>();
  for (const sct of scts) {
    const id = sct.logId.toString('hex');
    need(!seen.has(id));
    seen.add(id);
    const algorithm = SCT_HASHES[sct.hashAlgorithm];
    need(algorithm !== undefined);
    const extLength = Buffer.alloc(2);
    extLength.writeUInt16BE(sct.extensions.length);
    const signed = Buffer.concat([
      Buffer.from([sct.version, 0]),
      sct.timestamp,
      Buffer.from([0, 1]),
      preCert,
      extLength,
      sct.extensions,
    ]);
    const when = new Date(Number(sct.timestamp.readBigInt64BE()));
    need(
      ctlogs.some(
        (l) => l.logId.equals(sct.logId) && within(when, l) && verifies(algorithm, signed, l.key(), sct.signature),
      ),
    );
  }
}
