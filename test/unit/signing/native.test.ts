import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeFetch, HttpClient } from '@airlock/core';
import {
  buildStatement,
  embeddedPublicGoodRoot,
  KeylessSigner,
  parseTrustedRoot,
  type SignedBundle,
  SigningError,
  type Trust,
  type VerifiedBundle,
  type VerifyRequest,
  verifyBundle,
  verifyBundleNatively,
  verifyBundleWithSigstoreJs,
} from '@airlock/signing';
import { OidcProvider } from '@airlock/testkit';
import { LoopbackSigstore } from '@airlock/testkit/sigstore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DerError, oidText, readTlv } from '../../../packages/signing/src/der.ts';
import { NativeCertificate } from '../../../packages/signing/src/x509.ts';

/**
 * Native verification (packages/signing/src/native.ts) against sigstore-js: it must accept the common keyless bundles
 * with the same result, and never accept what sigstore-js refuses — every fail-closed case, and bundles mutated at
 * random. A real public-good bundle checks it on Fulcio's, Rekor's and the CT log's own keys and encodings.
 */
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
const IDENTITY = 'https://github.com/acme/app/.github/workflows/ci.yml@refs/heads/main';
const policy = { identity: IDENTITY, issuer: GITHUB_ISSUER };

let oidc: OidcProvider;
let sigstore: LoopbackSigstore;
let other: LoopbackSigstore;
let trust: Trust;
let rootJson: Record<string, unknown>;
let dir: string;
let signer: KeylessSigner;
let blob: SignedBundle;
let blob2: SignedBundle;
let attestation: SignedBundle;
let withTsa: SignedBundle;
let foreign: SignedBundle;
let file: string;
const http = new HttpClient({ fetch: createNodeFetch({}), retry: { maxAttempts: 1 } });
const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const CONTENT = 'the artifact\n';

beforeAll(async () => {
  oidc = await OidcProvider.start({ claims: { iss: GITHUB_ISSUER } });
  const issuers = [{ issuer: GITHUB_ISSUER, jwks: () => oidc.jwks() }];
  sigstore = await LoopbackSigstore.start({ issuers });
  other = await LoopbackSigstore.start({ issuers });
  rootJson = sigstore.trustedRoot();
  trust = parseTrustedRoot(JSON.stringify(rootJson), 'trusted_root.json');
  dir = mkdtempSync(join(tmpdir(), 'airlock-native-'));
  file = join(dir, 'app.tgz');
  writeFileSync(file, CONTENT);
  const identityToken = () => oidc.issue('sigstore');
  // Public-good signing (Airlock's default) asks for no RFC 3161 timestamp: the signed entry timestamp is the time.
  signer = new KeylessSigner({
    http,
    endpoints: { fulcio: sigstore.fulcioUrl, rekor: sigstore.rekorUrl, tsa: undefined },
    identityToken,
  });
  blob = await signer.signDigestBundle(sha(CONTENT));
  blob2 = await signer.signDigestBundle(sha('another artifact'));
  const statement = buildStatement(
    [
      { name: 'app.tgz', digest: { sha256: sha(CONTENT) } },
      { name: 'other.bin', digest: { sha256: sha('other') } },
    ],
    'https://slsa.dev/provenance/v1',
    { buildDefinition: {} },
  );
  attestation = await signer.signStatement(statement);
  withTsa = await new KeylessSigner({
    http,
    endpoints: { fulcio: sigstore.fulcioUrl, rekor: sigstore.rekorUrl, tsa: sigstore.tsaUrl },
    identityToken,
  }).signDigestBundle(sha(CONTENT));
  foreign = await new KeylessSigner({
    http,
    endpoints: { fulcio: other.fulcioUrl, rekor: other.rekorUrl, tsa: undefined },
    identityToken,
  }).signDigestBundle(sha(CONTENT));
});
afterAll(async () => {
  await sigstore.stop();
  await other.stop();
  await oidc.stop();
  rmSync(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: bundles are mutated freely here
type Json = Record<string, any>;

const request = (bundle: string | Json, more: Partial<VerifyRequest> = {}): VerifyRequest => ({
  bundle: typeof bundle === 'string' ? bundle : JSON.stringify(bundle),
  source: 'b.sigstore.json',
  artifact: { kind: 'file', path: file },
  trust,
  policy,
  ...more,
});

/** Both paths on one request: what native verification returned, and what sigstore-js returned or threw. */
async function both(req: VerifyRequest): Promise<{ native: VerifiedBundle | undefined; reference: unknown }> {
  const reference = await verifyBundleWithSigstoreJs(req).catch((e: unknown) => e);
  // Malformed JSON and unknown media types are refused before either path runs.
  const native = await verifyBundleNatively(req).catch((e: unknown) => {
    expect(e).toEqual(reference);
    return undefined;
  });
  return { native, reference };
}

async function acceptsLikeSigstoreJs(req: VerifyRequest): Promise<VerifiedBundle> {
  const { native, reference } = await both(req);
  expect(reference).not.toBeInstanceOf(Error);
  expect(native, 'native verification declined').toBeDefined();
  expect(native).toEqual(reference);
  return native as VerifiedBundle;
}

async function bothRefuse(req: VerifyRequest): Promise<string> {
  const { native, reference } = await both(req);
  expect(reference, 'sigstore-js accepted').toBeInstanceOf(SigningError);
  expect(native, `native verification accepted what sigstore-js refuses (${(reference as Error).message})`).toBe(
    undefined,
  );
  // And the public entry point refuses it too, with sigstore-js's reason.
  const error = await verifyBundle(req).catch((e: unknown) => e);
  expect((error as SigningError).code).toBe((reference as SigningError).code);
  return (reference as SigningError).code;
}

const json = (b: SignedBundle): Json => JSON.parse(b.json);
const entry = (b: Json): Json => b.verificationMaterial.tlogEntries[0];
const flip = (b64: string, at = 10): string => {
  const bytes = Buffer.from(b64, 'base64');
  bytes[at % bytes.length] = (bytes[at % bytes.length] as number) ^ 0x01;
  return bytes.toString('base64');
};
const root = (edit: (r: Json) => void): Trust => {
  const copy = structuredClone(rootJson) as Json;
  edit(copy);
  return parseTrustedRoot(JSON.stringify(copy), 'edited trusted_root.json');
};

describe('native verification accepts the common keyless bundles, as sigstore-js does', () => {
  it('a blob signature by file and by digest, v0.3, v0.2, v0.1 and the legacy v0.3 media type', async () => {
    const result = await acceptsLikeSigstoreJs(request(blob.json));
    expect(result.signer?.identity).toBe(IDENTITY);
    await acceptsLikeSigstoreJs(request(blob.json, { artifact: { kind: 'digest', sha256: sha(CONTENT) } }));
    const b = json(blob);
    const chain = {
      ...b.verificationMaterial,
      x509CertificateChain: { certificates: [b.verificationMaterial.certificate] },
    };
    delete chain.certificate;
    for (const mediaType of [
      'application/vnd.dev.sigstore.bundle+json;version=0.2',
      'application/vnd.dev.sigstore.bundle+json;version=0.1',
    ])
      await acceptsLikeSigstoreJs(request({ ...b, mediaType, verificationMaterial: chain }));
    await acceptsLikeSigstoreJs(request({ ...b, mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.3' }));
  });

  it('a DSSE attestation by file, by digest and without an artifact, with its predicate type', async () => {
    for (const artifact of [
      { kind: 'file', path: file },
      { kind: 'digest', sha256: sha('other') },
      { kind: 'none' },
    ] as const) {
      const result = await acceptsLikeSigstoreJs(
        request(attestation.json, { artifact, predicateType: 'https://slsa.dev/provenance/v1' }),
      );
      expect(result.content).toBe('dsse');
      expect(result.statement?.subject).toHaveLength(2);
    }
  });

  it('a trusted root listing a decoy CA with the same name but another key first', async () => {
    const decoy = await LoopbackSigstore.start({ issuers: [{ issuer: GITHUB_ISSUER, jwks: () => oidc.jwks() }] });
    try {
      const decoyCa = (decoy.trustedRoot().certificateAuthorities as Json[])[0] as Json;
      const t = root((r) => r.certificateAuthorities.unshift(decoyCa));
      await acceptsLikeSigstoreJs(request(blob.json, { trust: t }));
    } finally {
      await decoy.stop();
    }
  });

  it('a real public-good bundle: Fulcio chain, SCT, signed entry timestamp and a 16-hash inclusion proof', async () => {
    const text = readFileSync(
      join(import.meta.dirname, '../../fixtures/signing/public-good/rfc8785-0.1.2.whl.sigstore.json'),
      'utf8',
    );
    const digest = Buffer.from(JSON.parse(text).messageSignature.messageDigest.digest, 'base64').toString('hex');
    const real = request(text, {
      artifact: { kind: 'digest', sha256: digest },
      trust: embeddedPublicGoodRoot(),
      policy: {
        identity: 'https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2',
        issuer: GITHUB_ISSUER,
        repository: 'trailofbits/rfc8785.py',
        ref: 'refs/tags/v0.1.2',
      },
    });
    const result = await acceptsLikeSigstoreJs(real);
    expect(result.tlog[0]).toMatchObject({ logIndex: 79605083 });
    const b = JSON.parse(text) as Json;
    const proof = entry(b).inclusionProof;
    proof.hashes[7] = flip(proof.hashes[7]);
    await bothRefuse({ ...real, bundle: JSON.stringify(b) });
  });
});

describe('native verification declines what it does not cover; sigstore-js decides', () => {
  it('RFC 3161 timestamps, managed keys, certificate chains in the bundle', async () => {
    const tsa = await both(request(withTsa.json));
    expect(tsa.native).toBeUndefined();
    expect(tsa.reference).not.toBeInstanceOf(Error);
    expect((await verifyBundle(request(withTsa.json))).timestamps).toHaveLength(1);

    const b = json(blob);
    const rootCert = ((rootJson.certificateAuthorities as Json[])[0] as Json).certChain.certificates[0];
    const chain = {
      ...b.verificationMaterial,
      x509CertificateChain: { certificates: [b.verificationMaterial.certificate, rootCert] },
    };
    delete chain.certificate;
    expect(
      await bothRefuse(
        request({
          ...b,
          mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.2',
          verificationMaterial: chain,
        }),
      ),
    ).toBe('certificate-untrusted');
    const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    expect(
      await verifyBundleNatively(
        request(blob.json, {
          keyMode: true,
          trust: parseTrustedRoot(JSON.stringify(rootJson), 'r', { publicKey: key }),
        }),
      ),
    ).toBeUndefined();
  });
});

describe('native verification never accepts what sigstore-js refuses', () => {
  const cases: Array<[string, () => VerifyRequest]> = [
    ['a tampered artifact', () => request(blob.json, { artifact: { kind: 'digest', sha256: sha('tampered') } })],
    [
      'a tampered file',
      () => {
        const path = join(dir, 'tampered.tgz');
        writeFileSync(path, 'the artifact, modified\n');
        return request(blob.json, { artifact: { kind: 'file', path } });
      },
    ],
    [
      'a modified signature',
      () => {
        const b = json(blob);
        b.messageSignature.signature = flip(b.messageSignature.signature, 20);
        return request(b);
      },
    ],
    [
      'an identity that is a prefix of the real one',
      () => request(blob.json, { policy: { ...policy, identity: 'https://github.com/acme/ap' } }),
    ],
    ['another issuer', () => request(blob.json, { policy: { ...policy, issuer: 'https://accounts.google.com' } })],
    ['another repository', () => request(blob.json, { policy: { ...policy, repository: 'acme/other' } })],
    ['another ref', () => request(blob.json, { policy: { ...policy, ref: 'refs/heads/dev' } })],
    [
      'another workflow',
      () => request(blob.json, { policy: { ...policy, signerWorkflow: 'acme/app/.github/workflows/x.yml' } }),
    ],
    [
      'a self-hosted runner required',
      () => request(blob.json, { policy: { ...policy, runnerEnvironment: 'self-hosted' } }),
    ],
    [
      'no transparency-log entry',
      () => {
        const b = json(blob);
        b.verificationMaterial.tlogEntries = [];
        return request(b);
      },
    ],
    [
      'a modified signed entry timestamp',
      () => {
        const b = json(blob);
        entry(b).inclusionPromise.signedEntryTimestamp = flip(entry(b).inclusionPromise.signedEntryTimestamp, 30);
        return request(b);
      },
    ],
    [
      'another integrated time',
      () => {
        const b = json(blob);
        entry(b).integratedTime = String(Number(entry(b).integratedTime) - 60);
        return request(b);
      },
    ],
    [
      'another log index',
      () => {
        const b = json(blob);
        entry(b).logIndex = String(Number(entry(b).logIndex) + 1);
        return request(b);
      },
    ],
    [
      "another entry's body and proof (CVE-2022-36056)",
      () => {
        const b = json(blob);
        b.verificationMaterial.tlogEntries = json(blob2).verificationMaterial.tlogEntries;
        return request(b);
      },
    ],
    [
      'a modified canonicalized body',
      () => {
        const b = json(blob);
        entry(b).canonicalizedBody = flip(entry(b).canonicalizedBody, 40);
        return request(b);
      },
    ],
    [
      'a kind/version the body does not have',
      () => {
        const b = json(blob);
        entry(b).kindVersion = { kind: 'hashedrekord', version: '0.0.2' };
        return request(b);
      },
    ],
    [
      "an inclusion proof whose root is not the checkpoint's",
      () => {
        const b = json(blob);
        entry(b).inclusionProof.rootHash = flip(entry(b).inclusionProof.rootHash);
        return request(b);
      },
    ],
    [
      'an inclusion proof with an extra hash',
      () => {
        const b = json(blob);
        entry(b).inclusionProof.hashes = [
          ...(entry(b).inclusionProof.hashes ?? []),
          Buffer.alloc(32).toString('base64'),
        ];
        return request(b);
      },
    ],
    [
      'a checkpoint with a modified signature',
      () => {
        const b = json(blob);
        const cp = entry(b).inclusionProof.checkpoint;
        cp.envelope = cp.envelope.replace(/ (\S+)\n$/, (_: string, sig: string) => ` ${flip(sig, 12)}\n`);
        return request(b);
      },
    ],
    [
      'a checkpoint for another tree size',
      () => {
        const b = json(blob);
        entry(b).inclusionProof.treeSize = String(Number(entry(b).inclusionProof.treeSize ?? 0) + 1);
        return request(b);
      },
    ],
    [
      'a trusted root of another instance',
      () => request(blob.json, { trust: parseTrustedRoot(JSON.stringify(other.trustedRoot()), 'o') }),
    ],
    [
      "another instance's certificate with this instance's log entry",
      () => {
        const b = json(blob);
        b.verificationMaterial.certificate = json(foreign).verificationMaterial.certificate;
        return request(b);
      },
    ],
    [
      'a CA whose validity ended before the signature',
      () =>
        request(blob.json, { trust: root((r) => (r.certificateAuthorities[0].validFor.end = '2000-01-01T00:00:00Z')) }),
    ],
    [
      'a log key not yet valid at the integrated time',
      () => request(blob.json, { trust: root((r) => (r.tlogs[0].publicKey.validFor.start = '2999-01-01T00:00:00Z')) }),
    ],
    [
      'a log known under another id',
      () =>
        request(blob.json, { trust: root((r) => (r.tlogs[0].logId.keyId = Buffer.alloc(32, 7).toString('base64'))) }),
    ],
    [
      'a CT log key that did not sign the SCT',
      () => {
        const spki = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({
          format: 'der',
          type: 'spki',
        });
        return request(blob.json, { trust: root((r) => (r.ctlogs[0].publicKey.rawBytes = spki.toString('base64'))) });
      },
    ],
    ['a trusted root without the CT log', () => request(blob.json, { trust: root((r) => (r.ctlogs = [])) })],
    [
      'an attestation for other artifacts',
      () => request(attestation.json, { artifact: { kind: 'digest', sha256: sha('not a subject') } }),
    ],
    [
      'an attestation of another predicate type',
      () => request(attestation.json, { predicateType: 'https://spdx.dev/Document' }),
    ],
    [
      'a modified DSSE payload',
      () => {
        const b = json(attestation);
        const statement = JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString());
        statement.subject.push({ name: 'evil', digest: { sha256: sha('evil') } });
        b.dsseEnvelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
        return request(b, { artifact: { kind: 'digest', sha256: sha('evil') } });
      },
    ],
    [
      'another DSSE payload type',
      () => {
        const b = json(attestation);
        b.dsseEnvelope.payloadType = 'application/json';
        return request(b, { artifact: { kind: 'none' } });
      },
    ],
  ];
  for (const [name, make] of cases) it(name, async () => void (await bothRefuse(make())));

  it('a certificate expired when the signature was logged', async () => {
    const skewed = await LoopbackSigstore.start({
      issuers: [{ issuer: GITHUB_ISSUER, jwks: () => oidc.jwks() }],
      fulcioClockOffsetSeconds: -1200,
      tsa: false,
    });
    try {
      const late = await new KeylessSigner({
        http,
        endpoints: { fulcio: skewed.fulcioUrl, rekor: skewed.rekorUrl, tsa: undefined },
        identityToken: () => oidc.issue('sigstore'),
      }).signDigestBundle(sha(CONTENT));
      const t = parseTrustedRoot(JSON.stringify(skewed.trustedRoot()), 'late.json');
      expect(await bothRefuse(request(late.json, { trust: t }))).toBe('certificate-expired');
    } finally {
      await skewed.stop();
    }
  });

  it('random mutations of blob and DSSE bundles: whatever native verification accepts, sigstore-js accepts alike', async () => {
    let seed = 0x5eed; // mulberry32: the same mutations on every run
    const random = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const leaves = (value: unknown, path: (string | number)[] = []): (string | number)[][] =>
      value !== null && typeof value === 'object'
        ? Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, Array.isArray(value) ? Number(k) : k]))
        : [path];
    let nativeAccepted = 0;
    let refused = 0;
    for (const [signed, artifact] of [
      [blob, { kind: 'file', path: file }],
      [attestation, { kind: 'digest', sha256: sha(CONTENT) }],
    ] as const) {
      const paths = leaves(json(signed));
      for (let i = 0; i < 150; i++) {
        const b = json(signed);
        const path = paths[random(paths.length)] as (string | number)[];
        const parent = path.slice(0, -1).reduce((o: Json, k) => o[k], b);
        const key = path[path.length - 1] as string;
        const value = parent[key];
        const how = random(4);
        if (how === 0) delete parent[key];
        else if (how === 1)
          parent[key] = typeof value === 'string' && /^\d+$/.test(value) ? String(Number(value) + 1) : '';
        else if (typeof value === 'string' && value.length > 0) {
          const at = random(value.length);
          const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n.:';
          parent[key] = value.slice(0, at) + alphabet[random(alphabet.length)] + value.slice(at + 1);
        } else parent[key] = 0;
        const { native, reference } = await both(request(b, { artifact }));
        if (native !== undefined) {
          nativeAccepted++;
          expect(
            reference,
            `native accepted a mutation at ${path.join('.')} that sigstore-js refuses`,
          ).not.toBeInstanceOf(Error);
          expect(native).toEqual(reference);
        }
        if (reference instanceof Error) refused++;
      }
    }
    // The mutations mostly break something; some are harmless (a key id, base64 padding) and both accept those.
    expect(refused).toBeGreaterThan(150);
    expect(nativeAccepted).toBeGreaterThan(0);
  }, 60_000);
});

describe('the DER reader', () => {
  it('refuses truncated, non-minimal, multi-byte-tag and overlong elements with a DerError, never a crash', () => {
    const bad = [
      [0x30],
      [0x30, 0x05, 0x01],
      [0x30, 0x81, 0x05, 0, 0, 0, 0, 0],
      [0x30, 0x82, 0x00, 0x80],
      [0x1f, 0x01, 0x00],
      [0x30, 0x80],
      [0x30, 0x85, 1, 0, 0, 0, 0],
    ];
    for (const bytes of bad) expect(() => readTlv(Uint8Array.from(bytes), 0)).toThrow(DerError);
    expect(readTlv(Uint8Array.from([0x30, 0x81, 0x80, ...new Array(128).fill(0)]), 0)).toMatchObject({
      tag: 0x30,
      contentStart: 3,
      end: 131,
    });
  });

  it('reads OIDs, and refuses non-minimal and truncated arcs', () => {
    expect(oidText(Uint8Array.from([0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x08]))).toBe(
      '1.3.6.1.4.1.57264.1.8',
    );
    expect(oidText(Uint8Array.from([0x55, 0x1d, 0x13]))).toBe('2.5.29.19');
    expect(() => oidText(Uint8Array.from([0x2b, 0x80, 0x01]))).toThrow(DerError);
    expect(() => oidText(Uint8Array.from([0x2b, 0x86]))).toThrow(DerError);
    expect(() => oidText(Uint8Array.from([]))).toThrow(DerError);
  });

  it('a certificate with any byte changed or cut short parses to an error or to a certificate, never hangs', () => {
    const der = Buffer.from(json(blob).verificationMaterial.certificate.rawBytes, 'base64');
    expect(NativeCertificate.parse(der).facts().identity).toBe(IDENTITY);
    for (let i = 0; i < der.length; i += 7) {
      const copy = Buffer.from(der);
      copy[i] = (copy[i] as number) ^ 0xff;
      try {
        NativeCertificate.parse(copy);
      } catch (error) {
        expect(error).toBeInstanceOf(Error);
      }
      expect(() => NativeCertificate.parse(der.subarray(0, i))).toThrow();
    }
  });
});
