import { createHash, generateKeyPairSync, type KeyObject, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliIO, commands, EXIT, runCli } from '@airlock/cli';
import { createNodeFetch, HttpClient } from '@airlock/core';
import {
  type Artifact,
  KeylessSigner,
  parseTrustedRoot,
  type SigningErrorCode,
  type Trust,
  verifyBundle,
} from '@airlock/signing';
import { OidcProvider } from '@airlock/testkit';
import { LoopbackSigstore } from '@airlock/testkit/sigstore';
import { initializeCA } from '@sigstore/mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Managed-key bundles logged the way Rekor v2 (and the sigstore-conformance managed-key cases) log them: a one-leaf log
 * whose signed checkpoint and inclusion proof are the only proof of logging — no signed entry timestamp, integrated
 * time 0, no RFC 3161 timestamp. Built by hand here (P-256 keys, canonical bodies, C2SP signed note), so every field is
 * under the test's control.
 *
 * A managed key has no validity window, so such a bundle verifies without a trusted time (regression: Airlock asked
 * for one timestamp for every bundle and refused these, where the conformance suite's `intoto-canonical-log-entry`
 * must pass). Keyless bundles still need one: the last tests prove it with the loopback Sigstore, along with a TSA that
 * must not borrow another authority's validity window.
 */
const INTOTO = 'application/vnd.in-toto+json';
const STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
const LOG = 'https://rekor.test';
const b64 = (data: Buffer | string) => Buffer.from(data).toString('base64');
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();
const spki = (key: KeyObject) => key.export({ type: 'spki', format: 'der' });
const p256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pae = (type: string, payload: Buffer) =>
  Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `), payload]);

const artifactKey = p256();
const logKey = p256();
const logId = sha256(spki(logKey.publicKey));
const ARTIFACT = Buffer.from('the artifact\n');
const ARTIFACT_SHA = sha256(ARTIFACT).toString('hex');

function trustedRoot(tlogs = true) {
  return JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: tlogs
      ? [
          {
            baseUrl: LOG,
            hashAlgorithm: 'SHA2_256',
            publicKey: {
              rawBytes: b64(spki(logKey.publicKey)),
              keyDetails: 'PKIX_ECDSA_P256_SHA_256',
              validFor: { start: '2020-01-01T00:00:00Z' },
            },
            logId: { keyId: b64(logId) },
          },
        ]
      : [],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  });
}

function trustFor(key: KeyObject = artifactKey.publicKey, tlogs = true): Trust {
  return parseTrustedRoot(trustedRoot(tlogs), 'trusted_root.json', { publicKey: key });
}

/** A log with one leaf: its root is the leaf hash, and the checkpoint over it is signed with `signer`. */
function oneLeafEntry(kind: string, version: string, body: object, signer: KeyObject = logKey.privateKey) {
  const canonical = Buffer.from(JSON.stringify(body));
  const root = b64(sha256(Buffer.concat([Buffer.from([0]), canonical])));
  const note = `rekor.test\n1\n${root}\n`;
  const signature = Buffer.concat([logId.subarray(0, 4), sign('sha256', Buffer.from(note), signer)]);
  return {
    logIndex: '0',
    logId: { keyId: b64(logId) },
    kindVersion: { kind, version },
    integratedTime: '0',
    inclusionProof: {
      logIndex: '0',
      rootHash: root,
      treeSize: '1',
      hashes: [],
      checkpoint: { envelope: `${note}\n\u2014 rekor.test ${b64(signature)}\n` },
    },
    canonicalizedBody: b64(canonical),
  };
}

function statement(fields: Record<string, unknown> = {}) {
  return Buffer.from(
    JSON.stringify({
      _type: STATEMENT_V1,
      subject: [{ name: 'app.tgz', digest: { sha256: ARTIFACT_SHA } }],
      predicateType: 'https://example.com/test',
      predicate: {},
      ...fields,
    }),
  );
}

type Entry = ReturnType<typeof oneLeafEntry>;

function dsseBundle(
  payload: Buffer,
  entry: (sig: Buffer, payload: Buffer) => Entry | undefined,
  key: KeyObject = artifactKey.privateKey,
) {
  const sig = sign('sha256', pae(INTOTO, payload), key);
  const tlog = entry(sig, payload);
  return JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      publicKey: { hint: b64(sha256(spki(artifactKey.publicKey))) },
      tlogEntries: tlog === undefined ? [] : [tlog],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    dsseEnvelope: { payload: b64(payload), payloadType: INTOTO, signatures: [{ sig: b64(sig), keyid: '' }] },
  });
}

/** Rekor v1 intoto/0.0.2 canonical entry: the payload hash, not the payload (as Rekor stores it). */
const intotoEntry = (sig: Buffer, payload: Buffer, signer?: KeyObject) =>
  oneLeafEntry(
    'intoto',
    '0.0.2',
    {
      apiVersion: '0.0.2',
      kind: 'intoto',
      spec: {
        content: {
          envelope: {
            payloadType: INTOTO,
            signatures: [
              {
                publicKey: b64(artifactKey.publicKey.export({ type: 'spki', format: 'pem' })),
                sig: b64(b64(sig)),
              },
            ],
          },
          hash: { algorithm: 'sha256', value: sha256(Buffer.from('envelope')).toString('hex') },
          payloadHash: { algorithm: 'sha256', value: sha256(payload).toString('hex') },
        },
      },
    },
    signer,
  );

/** Rekor v2 hashedrekord/0.0.2: the digest of what was signed (the PAE, for DSSE) and the signature. */
const hashedRekordV2 = (sig: Buffer, signed: Buffer) =>
  oneLeafEntry('hashedrekord', '0.0.2', {
    apiVersion: '0.0.2',
    kind: 'hashedrekord',
    spec: {
      hashedRekordV002: {
        data: { algorithm: 'SHA2_256', digest: b64(sha256(signed)) },
        signature: {
          content: b64(sig),
          verifier: {
            publicKey: { rawBytes: b64(spki(artifactKey.publicKey)) },
            keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          },
        },
      },
    },
  });

let dir: string;
let artifactPath: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'airlock-managed-key-'));
  artifactPath = join(dir, 'app.tgz');
  writeFileSync(artifactPath, ARTIFACT);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const digest = (sha256: string): Artifact => ({ kind: 'digest', sha256 });
const verifyKey = (bundle: string, trust = trustFor(), artifact: Artifact = { kind: 'file', path: artifactPath }) =>
  verifyBundle({ bundle, source: 'b.sigstore.json', artifact, trust, policy: {}, keyMode: true });

async function rejects(promise: Promise<unknown>, code: SigningErrorCode): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toMatchObject({ code });
  return (error as Error).message;
}

describe('managed-key bundles proven by a checkpoint alone (no integrated time, no timestamp)', () => {
  it('a DSSE bundle whose Rekor v1 intoto entry records the payload hash verifies, by file and by digest', async () => {
    const bundle = dsseBundle(statement(), intotoEntry);
    const byFile = await verifyKey(bundle);
    expect(byFile.content).toBe('dsse');
    expect(byFile.timestamps).toEqual([]);
    expect(byFile.tlog).toHaveLength(1);
    const byDigest = await verifyKey(bundle, trustFor(), digest(ARTIFACT_SHA));
    expect(byDigest.sha256).toBe(ARTIFACT_SHA);
  });

  it('a DSSE bundle logged as a Rekor v2 hashedrekord over the PAE verifies', async () => {
    const bundle = dsseBundle(statement(), (sig, payload) => hashedRekordV2(sig, pae(INTOTO, payload)));
    await expect(verifyKey(bundle)).resolves.toMatchObject({ content: 'dsse' });
  });

  it('a message signature logged as a Rekor v2 hashedrekord verifies by file and by digest (prehash)', async () => {
    const sig = sign('sha256', ARTIFACT, artifactKey.privateKey);
    const bundle = JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: {
        publicKey: { hint: b64(sha256(spki(artifactKey.publicKey))) },
        tlogEntries: [hashedRekordV2(sig, ARTIFACT)],
      },
      messageSignature: {
        messageDigest: { algorithm: 'SHA2_256', digest: b64(sha256(ARTIFACT)) },
        signature: b64(sig),
      },
    });
    await expect(verifyKey(bundle)).resolves.toMatchObject({ content: 'message-signature' });
    await expect(verifyKey(bundle, trustFor(), digest(ARTIFACT_SHA))).resolves.toMatchObject({ sha256: ARTIFACT_SHA });
    await rejects(verifyKey(bundle, trustFor(), digest('0'.repeat(64))), 'artifact-mismatch');
  });

  it('with a trusted root that names no log, a managed-key signature alone verifies; with one, the entry is required', async () => {
    const sig = sign('sha256', ARTIFACT, artifactKey.privateKey);
    const bundle = JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: { hint: b64(sha256(spki(artifactKey.publicKey))) } },
      messageSignature: {
        messageDigest: { algorithm: 'SHA2_256', digest: b64(sha256(ARTIFACT)) },
        signature: b64(sig),
      },
    });
    const noLogs = trustFor(artifactKey.publicKey, false);
    await expect(verifyKey(bundle, noLogs)).resolves.toMatchObject({ tlog: [], timestamps: [] });
    await expect(verifyKey(bundle, noLogs, digest(ARTIFACT_SHA))).resolves.toMatchObject({ sha256: ARTIFACT_SHA });
    await rejects(verifyKey(bundle, trustFor(p256().publicKey, false)), 'signature-invalid');
    await rejects(verifyKey(bundle), 'tlog-missing');
  });

  it('still fails closed: no log entry, a checkpoint from another key, an entry for another signature, another key', async () => {
    expect(await rejects(verifyKey(dsseBundle(statement(), () => undefined)), 'tlog-missing')).toMatch(/never logged/);
    const forged = dsseBundle(statement(), (sig, payload) => intotoEntry(sig, payload, p256().privateKey));
    await rejects(verifyKey(forged), 'tlog-invalid');
    const otherSig = sign('sha256', pae(INTOTO, statement()), artifactKey.privateKey);
    const swapped = dsseBundle(statement(), (_sig, payload) => intotoEntry(otherSig, payload));
    await rejects(verifyKey(swapped), 'tlog-invalid');
    const byOther = dsseBundle(statement(), intotoEntry, p256().privateKey);
    await expect(verifyKey(byOther)).rejects.toMatchObject({ code: expect.stringMatching(/signature|key|tlog/) });
    await expect(verifyKey(dsseBundle(statement(), intotoEntry), trustFor(p256().publicKey))).rejects.toThrow();
  });

  it('refuses a statement whose _type is missing or unknown, even when everything else verifies', async () => {
    const unknown = dsseBundle(statement({ _type: 'https://in-toto.io/Statement/v2' }), (sig, payload) =>
      hashedRekordV2(sig, pae(INTOTO, payload)),
    );
    expect(await rejects(verifyKey(unknown), 'statement-invalid')).toMatch(/Statement\/v2/);
    const missing = JSON.parse(statement().toString()) as Record<string, unknown>;
    delete missing._type;
    const bundle = dsseBundle(Buffer.from(JSON.stringify(missing)), (sig, payload) =>
      hashedRekordV2(sig, pae(INTOTO, payload)),
    );
    await rejects(verifyKey(bundle), 'statement-invalid');
    await rejects(
      verifyKey(dsseBundle(statement(), intotoEntry), trustFor(), digest('1'.repeat(64))),
      'subject-not-in-statement',
    );
  });

  it('airlock sigstore verify-bundle --key: exit 0 by file and by digest, 1 for another artifact', async () => {
    writeFileSync(join(dir, 'b.sigstore.json'), dsseBundle(statement(), intotoEntry));
    writeFileSync(join(dir, 'trusted_root.json'), trustedRoot());
    writeFileSync(join(dir, 'key.pub'), artifactKey.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(dir, 'other.tgz'), 'another artifact\n');
    const cli = async (target: string) => {
      let stderr = '';
      const io: CliIO = {
        stdout: { write: () => true, isTTY: false },
        stderr: { write: (t: string) => (stderr += t), isTTY: false },
        env: { HOME: dir },
        cwd: dir,
      };
      const args = ['sigstore', 'verify-bundle', '--bundle', 'b.sigstore.json', '--key', 'key.pub'];
      const code = await runCli([...args, '--trusted-root', 'trusted_root.json', target], io, commands);
      return { code, stderr };
    };
    expect((await cli('app.tgz')).code).toBe(EXIT.ok);
    expect((await cli(`sha256:${ARTIFACT_SHA}`)).code).toBe(EXIT.ok);
    const other = await cli('other.tgz');
    expect(other.code).toBe(EXIT.findings);
    expect(other.stderr).toMatch(/FAILED \[subject-not-in-statement\]/);
  });
});

describe('keyless bundles still need a verified time', () => {
  const ISSUER = 'https://token.actions.githubusercontent.com';
  const IDENTITY = 'https://github.com/acme/app/.github/workflows/ci.yml@refs/heads/main';
  let oidc: OidcProvider;
  let sigstore: LoopbackSigstore;
  let signed: string;
  beforeAll(async () => {
    oidc = await OidcProvider.start({ claims: { iss: ISSUER } });
    sigstore = await LoopbackSigstore.start({ issuers: [{ issuer: ISSUER, jwks: () => oidc.jwks() }] });
    const signer = new KeylessSigner({
      http: new HttpClient({ fetch: createNodeFetch({}), retry: { maxAttempts: 1 } }),
      endpoints: { fulcio: sigstore.fulcioUrl, rekor: sigstore.rekorUrl, tsa: sigstore.tsaUrl },
      identityToken: () => oidc.issue('sigstore'),
    });
    signed = (await signer.signDigestBundle(ARTIFACT_SHA)).json;
  });
  afterAll(async () => {
    await Promise.all([sigstore.stop(), oidc.stop()]);
  });
  const keyless = (bundle: string, root: object = sigstore.trustedRoot()) =>
    verifyBundle({
      bundle,
      source: 'k.sigstore.json',
      artifact: { kind: 'digest', sha256: ARTIFACT_SHA },
      trust: parseTrustedRoot(JSON.stringify(root), 'trusted_root.json'),
      policy: { identity: IDENTITY, issuer: ISSUER },
    });

  it('a certificate-signed bundle without its signed entry timestamp and TSA timestamp is refused', async () => {
    await expect(keyless(signed)).resolves.toMatchObject({ signer: { identity: IDENTITY } });
    const bundle = JSON.parse(signed) as {
      verificationMaterial: {
        tlogEntries: { inclusionPromise?: unknown; integratedTime?: string }[];
        timestampVerificationData?: unknown;
      };
    };
    for (const entry of bundle.verificationMaterial.tlogEntries) {
      delete entry.inclusionPromise;
      entry.integratedTime = '0';
    }
    bundle.verificationMaterial.timestampVerificationData = { rfc3161Timestamps: [] };
    const error = await keyless(JSON.stringify(bundle)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: expect.stringMatching(/^(timestamp-invalid|tlog-invalid)$/) });
  });

  it('validity windows are closed: a log key and a TSA whose validity ends exactly at the signing time still verify', async () => {
    type Root = {
      tlogs: { publicKey: { validFor: { start: string; end?: string } } }[];
      timestampAuthorities: { validFor: { start: string; end?: string } }[];
    };
    const at = (offset: number) => {
      const root = sigstore.trustedRoot() as Root;
      const end = new Date(sigstore.now.getTime() + offset).toISOString();
      for (const t of root.tlogs) t.publicKey.validFor.end = end;
      for (const t of root.timestampAuthorities) t.validFor.end = end;
      return root;
    };
    await expect(keyless(signed, at(0))).resolves.toMatchObject({ signer: { identity: IDENTITY } });
    const error = await keyless(signed, at(-1000)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: expect.stringMatching(/^(timestamp-invalid|tlog-invalid)$/) });
  });

  it('a decoy CA with the same subject name but another key, listed first, does not hide the real issuer', async () => {
    const decoy = await initializeCA(generateKeyPairSync('ec', { namedCurve: 'P-256' }));
    const root = sigstore.trustedRoot() as { certificateAuthorities: Record<string, unknown>[] };
    const real = root.certificateAuthorities[0] as { certChain: { certificates: { rawBytes: string }[] } };
    const decoyDer = Buffer.from(
      decoy.rootCertificate.buffer,
      decoy.rootCertificate.byteOffset,
      decoy.rootCertificate.byteLength,
    );
    const realDer = Buffer.from(real.certChain.certificates[0]?.rawBytes ?? '', 'base64');
    expect(decoyDer.equals(realDer)).toBe(false);
    expect(new X509Certificate(decoyDer).subject).toBe(new X509Certificate(realDer).subject);
    root.certificateAuthorities = [
      { ...real, certChain: { certificates: [{ rawBytes: decoyDer.toString('base64') }] } },
      ...root.certificateAuthorities,
    ];
    await expect(keyless(signed, root)).resolves.toMatchObject({ signer: { identity: IDENTITY } });
    root.certificateAuthorities = root.certificateAuthorities.slice(0, 1);
    await rejects(keyless(signed, root), 'certificate-untrusted');
  });

  it("a TSA whose validity ended before the timestamp does not borrow another authority's window", async () => {
    const root = sigstore.trustedRoot() as { timestampAuthorities: Record<string, unknown>[] };
    const [tsa] = root.timestampAuthorities as [Record<string, unknown> & { validFor: { start: string } }];
    const ended = new Date(sigstore.now.getTime() - 1000).toISOString();
    root.timestampAuthorities = [
      { ...tsa, validFor: { start: tsa.validFor.start, end: ended } },
      {
        subject: { organization: 'unrelated', commonName: 'unrelated-tsa' },
        uri: 'https://unrelated.invalid',
        certChain: { certificates: [] },
        validFor: { start: ended, end: new Date(sigstore.now.getTime() + 60_000).toISOString() },
      },
    ];
    await rejects(keyless(signed, root), 'timestamp-invalid');
  });
});
