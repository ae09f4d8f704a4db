import { createHash, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeFetch, HttpClient } from '@airlock/core';
import {
  buildStatement,
  chooseEndpoints,
  KeylessSigner,
  parseTrustedRoot,
  type SignedBundle,
  type SigstoreEndpoints,
  type Trust,
  verifyBundle,
} from '@airlock/signing';
import { OidcProvider } from '@airlock/testkit';
import { inclusionPath, LoopbackRekorV2, leafHash, merkleRoot } from '@airlock/testkit/rekor2';
import { LoopbackSigstore } from '@airlock/testkit/sigstore';
import { createVerifier } from 'sigstore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTufRepo } from '../../../bench/sign/tuf-repo.ts';

/**
 * Rekor v2 signing: selection from a signing config, the v2 client, and sign → verify round trips through the
 * loopback Rekor v2 (which verifies what it is sent and answers with an inclusion proof and a signed checkpoint) plus
 * the loopback TSA. Bundles are verified by Airlock's verifier and by sigstore-js's (`sigstore.createVerifier`, its
 * trusted root served by a loopback TUF repository).
 */
const ISSUER = 'https://token.actions.githubusercontent.com';
const IDENTITY = 'https://github.com/acme/app/.github/workflows/ci.yml@refs/heads/main';
const INTOTO = 'application/vnd.in-toto+json';

let oidc: OidcProvider;
let sigstore: LoopbackSigstore;
let rekor2: LoopbackRekorV2;
let dir: string;
let trust: Trust;
let trustedRootText: string;
let signingConfig: Record<string, unknown>;
let jsVerifier: Awaited<ReturnType<typeof createVerifier>>;
let stopTuf: () => Promise<void>;
const http = new HttpClient({ fetch: createNodeFetch({}), retry: { maxAttempts: 1 } });
const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const policy = { identity: IDENTITY, issuer: ISSUER };
const HOUR = 3_600_000;

beforeAll(async () => {
  oidc = await OidcProvider.start({ claims: { iss: ISSUER } });
  sigstore = await LoopbackSigstore.start({ issuers: [{ issuer: ISSUER, jwks: () => oidc.jwks() }] });
  rekor2 = await LoopbackRekorV2.start();
  dir = mkdtempSync(join(tmpdir(), 'airlock-rekor2-'));
  // The trusted root names only the v2 log, so a bundle verifies only through its v2 entry.
  trustedRootText = JSON.stringify(rekor2.addToTrustedRoot(sigstore.trustedRoot({ tlog: false })));
  trust = parseTrustedRoot(trustedRootText, 'trusted_root.json');
  const v1 = (sigstore.signingConfig().rekorTlogUrls as object[])[0] as object;
  signingConfig = { ...sigstore.signingConfig(), rekorTlogUrls: [v1, rekor2.service()] };
  const tuf = await startTufRepo(trustedRootText, dir);
  stopTuf = () => tuf.server.close();
  jsVerifier = await createVerifier({
    tufMirrorURL: tuf.url,
    tufRootPath: tuf.rootPath,
    tufCachePath: join(dir, 'tuf-cache'),
    certificateIssuer: ISSUER,
    certificateIdentityURI: IDENTITY,
  });
});
afterAll(async () => {
  await Promise.all([sigstore.stop(), rekor2.stop(), oidc.stop(), stopTuf?.()]);
  rmSync(dir, { recursive: true, force: true });
});

const choose = (config: object, now?: Date): SigstoreEndpoints =>
  chooseEndpoints({
    signingConfig: { text: JSON.stringify(config), source: 'signing_config.json' },
    ...(now === undefined ? {} : { now }),
  });

describe('choosing a log from a signing config', () => {
  it('prefers the Rekor v2 log when v1 and v2 logs are both valid, whatever their order', () => {
    const endpoints = choose(signingConfig);
    expect(endpoints.tlogs).toEqual([{ url: rekor2.url, majorApiVersion: 2 }]);
    expect(endpoints.rekor).toBe(rekor2.url);
    expect(endpoints.tsa).toBe(sigstore.tsaUrl);
    const reversed = { ...signingConfig, rekorTlogUrls: [...(signingConfig.rekorTlogUrls as object[])].reverse() };
    expect(choose(reversed).tlogs).toEqual([{ url: rekor2.url, majorApiVersion: 2 }]);
  });

  it('honours validity windows: a v2 log not yet started or already ended leaves the v1 log', () => {
    const v1 = (signingConfig.rekorTlogUrls as object[])[0] as object;
    const later = { ...signingConfig, rekorTlogUrls: [rekor2.service({ start: new Date(Date.now() + HOUR) }), v1] };
    expect(choose(later).tlogs).toEqual([{ url: sigstore.rekorUrl, majorApiVersion: 1 }]);
    const ended = {
      ...signingConfig,
      rekorTlogUrls: [rekor2.service({ start: new Date(Date.now() - 2 * HOUR), end: new Date(Date.now() - HOUR) }), v1],
    };
    expect(choose(ended).tlogs).toEqual([{ url: sigstore.rekorUrl, majorApiVersion: 1 }]);
    // At a time inside the window (the config's `now`), the v2 log is chosen again.
    const early = {
      url: sigstore.fulcioUrl,
      majorApiVersion: 1,
      validFor: { start: new Date(Date.now() - 3 * HOUR).toISOString() },
    };
    const then = { ...ended, caUrls: [early], tsaUrls: [{ ...early, url: sigstore.tsaUrl }] };
    expect(choose(then, new Date(Date.now() - 1.5 * HOUR)).tlogs).toEqual([{ url: rekor2.url, majorApiVersion: 2 }]);
  });

  it('ignores API versions it does not speak and applies ALL and EXACT to the highest version', () => {
    const v3 = { ...rekor2.service(), url: 'https://rekor3.example', majorApiVersion: 3 };
    const other = { ...rekor2.service(), url: 'https://log2.example' };
    const v1 = (signingConfig.rekorTlogUrls as object[])[0] as object;
    expect(choose({ ...signingConfig, rekorTlogUrls: [v3, v1] }).tlogs).toEqual([
      { url: sigstore.rekorUrl, majorApiVersion: 1 },
    ]);
    const all = {
      ...signingConfig,
      rekorTlogUrls: [v1, rekor2.service(), other],
      rekorTlogConfig: { selector: 'ALL' },
    };
    expect(choose(all).tlogs?.map((t) => t.url)).toEqual([rekor2.url, 'https://log2.example']);
    const exact = { ...all, rekorTlogConfig: { selector: 'EXACT', count: 2 } };
    expect(choose(exact).tlogs).toHaveLength(2);
    expect(() => choose({ ...all, rekorTlogConfig: { selector: 'EXACT', count: 3 } })).toThrow(
      /asks for exactly 3 transparency logs, but only 2 Rekor v2 log\(s\) are valid now/,
    );
    expect(() => choose({ ...all, rekorTlogConfig: { selector: 'EXACT' } })).toThrow(/EXACT needs a positive count/);
    expect(() => choose({ ...all, rekorTlogConfig: { selector: 'SOME' } })).toThrow(/unknown selector 'SOME'/);
  });

  it('refuses a config that selects a Rekor v2 log without a timestamp authority', () => {
    const v2Only = { ...signingConfig, rekorTlogUrls: [rekor2.service()], tsaUrls: [] };
    expect(() => choose(v2Only)).toThrow(
      /signing_config\.json selects the Rekor v2 log .* needs an RFC 3161 timestamp, but no timestamp authority is configured/,
    );
    // A TSA whose window has ended counts as none.
    const endedTsa = {
      ...v2Only,
      tsaUrls: [
        {
          url: sigstore.tsaUrl,
          majorApiVersion: 1,
          validFor: { start: '2020-01-01T00:00:00Z', end: '2021-01-01T00:00:00Z' },
        },
      ],
    };
    expect(() => choose(endedTsa)).toThrow(/no timestamp authority is configured/);
    // The signer refuses too when handed such endpoints directly.
    const signer = new KeylessSigner({
      http,
      endpoints: {
        fulcio: sigstore.fulcioUrl,
        rekor: rekor2.url,
        tsa: undefined,
        tlogs: [{ url: rekor2.url, majorApiVersion: 2 }],
      },
      identityToken: () => oidc.issue('sigstore'),
    });
    return expect(signer.signDigestBundle(sha('x'))).rejects.toMatchObject({ code: 'config-invalid' });
  });
});

describe('signing through Rekor v2 and a TSA', () => {
  let signer: KeylessSigner;
  beforeAll(() => {
    signer = new KeylessSigner({ http, endpoints: choose(signingConfig), identityToken: () => oidc.issue('sigstore') });
  });

  function checkV2Entry(signed: SignedBundle, kind: string) {
    const entry = signed.bundle.verificationMaterial.tlogEntries[0];
    expect(signed.bundle.verificationMaterial.tlogEntries).toHaveLength(1);
    expect(entry?.kindVersion).toEqual({ kind, version: '0.0.2' });
    expect(entry?.inclusionPromise).toBeUndefined();
    expect(entry?.logId.keyId).toBe(rekor2.logId.toString('base64'));
    expect(entry?.inclusionProof?.checkpoint.envelope).toMatch(new RegExp(`^${rekor2.origin}\\n\\d+\\n`));
    expect(signed.bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps).toHaveLength(1);
    expect(signed.tlog).toMatchObject({
      apiVersion: 2,
      integratedTime: undefined,
      logId: rekor2.logId.toString('hex'),
    });
    expect(signed.timestamped).toBe(true);
  }

  it('signs a blob: a hashedrekord 0.0.2 entry that both verifiers accept', async () => {
    const content = Buffer.from('the artifact\n');
    const path = join(dir, 'app.tgz');
    writeFileSync(path, content);
    const before = rekor2.treeSize;
    const signed = await signer.signDigestBundle(sha(content));
    expect(rekor2.treeSize).toBe(before + 1);
    checkV2Entry(signed, 'hashedrekord');
    const ours = await verifyBundle({
      bundle: signed.json,
      source: 'b',
      artifact: { kind: 'file', path },
      trust,
      policy,
    });
    expect(ours.signer?.identity).toBe(IDENTITY);
    expect(ours.tlog[0]?.logIndex).toBe(signed.tlog?.logIndex);
    expect(ours.timestamps.map((t) => t.getTime())).toEqual([sigstore.now.getTime()]);
    expect(jsVerifier.verify(signed.bundle, content).identity?.subjectAlternativeName).toBe(IDENTITY);
    // The other artifact is refused by both.
    await expect(
      verifyBundle({
        bundle: signed.json,
        source: 'b',
        artifact: { kind: 'digest', sha256: sha('other') },
        trust,
        policy,
      }),
    ).rejects.toMatchObject({ code: 'artifact-mismatch' });
    expect(() => jsVerifier.verify(signed.bundle, Buffer.from('other'))).toThrow();
  });

  it('signs an attestation: a dsse 0.0.2 entry that both verifiers accept', async () => {
    const statement = buildStatement(
      [
        { name: 'dist/a.bin', digest: { sha256: sha('a') } },
        { name: 'dist/b.bin', digest: { sha256: sha('b') } },
      ],
      'https://slsa.dev/provenance/v1',
      { buildDefinition: {} },
    );
    const signed = await signer.signStatement(statement);
    checkV2Entry(signed, 'dsse');
    const ours = await verifyBundle({
      bundle: signed.json,
      source: 'att',
      artifact: { kind: 'digest', sha256: sha('b') },
      trust,
      policy,
      predicateType: 'https://slsa.dev/provenance/v1',
    });
    expect(ours.content).toBe('dsse');
    expect(jsVerifier.verify(signed.bundle).identity?.subjectAlternativeName).toBe(IDENTITY);
  });

  it('earlier entries keep verifying as the tree grows (each proof is against its own checkpoint)', async () => {
    const first = await signer.signDigestBundle(sha('one'));
    await Promise.all([signer.signDigestBundle(sha('two')), signer.signDigestBundle(sha('three'))]);
    await expect(
      verifyBundle({
        bundle: first.json,
        source: 'b',
        artifact: { kind: 'digest', sha256: sha('one') },
        trust,
        policy,
      }),
    ).resolves.toBeDefined();
    expect(() => jsVerifier.verify(first.bundle, Buffer.from('one'))).not.toThrow();
  });

  it('EXACT with count 2 writes each signature to two v2 logs; the bundle carries both entries', async () => {
    const second = await LoopbackRekorV2.start();
    try {
      const config = {
        ...signingConfig,
        rekorTlogUrls: [rekor2.service(), second.service()],
        rekorTlogConfig: { selector: 'EXACT', count: 2 },
      };
      const both = new KeylessSigner({ http, endpoints: choose(config), identityToken: () => oidc.issue('sigstore') });
      const content = Buffer.from('logged twice\n');
      const signed = await both.signDigestBundle(sha(content));
      expect(second.treeSize).toBe(1);
      expect(signed.bundle.verificationMaterial.tlogEntries.map((e) => e.logId.keyId)).toEqual([
        rekor2.logId.toString('base64'),
        second.logId.toString('base64'),
      ]);
      const root = second.addToTrustedRoot(JSON.parse(trustedRootText));
      const bothTrusted = parseTrustedRoot(JSON.stringify(root), 'trusted_root.json');
      const ours = await verifyBundle({
        bundle: signed.json,
        source: 'b',
        artifact: { kind: 'digest', sha256: sha(content) },
        trust: bothTrusted,
        policy,
      });
      expect(ours.tlog).toHaveLength(2);
    } finally {
      await second.stop();
    }
  });

  it('a tampered inclusion proof or checkpoint fails verification', async () => {
    const content = Buffer.from('proof target\n');
    const signed = await signer.signDigestBundle(sha(content));
    await signer.signDigestBundle(sha('grow the tree'));
    interface Entry {
      logIndex: string;
      inclusionProof: { logIndex: string; rootHash: string; checkpoint: { envelope: string } };
    }
    const tamper = (change: (entry: Entry) => void) => {
      const bundle = JSON.parse(signed.json);
      change(bundle.verificationMaterial.tlogEntries[0]);
      return JSON.stringify(bundle);
    };
    const root = tamper((e) => {
      const hash = Buffer.from(e.inclusionProof.rootHash, 'base64');
      hash[0] = (hash[0] as number) ^ 1;
      e.inclusionProof.rootHash = hash.toString('base64');
    });
    const checkpoint = tamper((e) => {
      e.inclusionProof.checkpoint.envelope = e.inclusionProof.checkpoint.envelope.replace(/\n\d+\n/, '\n999\n');
    });
    const body = tamper((e) => {
      e.logIndex = String(Number(e.logIndex) + 1);
      e.inclusionProof.logIndex = e.logIndex;
    });
    for (const bundle of [root, checkpoint, body]) {
      await expect(
        verifyBundle({ bundle, source: 'b', artifact: { kind: 'digest', sha256: sha(content) }, trust, policy }),
      ).rejects.toMatchObject({ code: 'tlog-invalid' });
    }
    // sigstore-js checks the path against the signed checkpoint (and ignores the proof's own rootHash field).
    for (const bundle of [checkpoint, body]) expect(() => jsVerifier.verify(JSON.parse(bundle), content)).toThrow();
  });
});

describe('the loopback Rekor v2', () => {
  async function post(body: unknown) {
    const response = await fetch(`${rekor2.url}/api/v2/log/entries`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = key.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const verifier = { publicKey: { rawBytes: spki }, keyDetails: 'PKIX_ECDSA_P256_SHA_256' };
  const digest = createHash('sha256').update('payload').digest();
  const goodSig = nodeSign('sha256', Buffer.from('payload'), key.privateKey).toString('base64');

  it('logs a hashedrekord signed with a public key, and refuses a wrong signature with Rekor’s error shape', async () => {
    const ok = await post({
      hashedRekordRequestV002: { digest: digest.toString('base64'), signature: { content: goodSig, verifier } },
    });
    expect(ok.status).toBe(201);
    expect(ok.json.kindVersion).toEqual({ kind: 'hashedrekord', version: '0.0.2' });
    const wrong = nodeSign('sha256', Buffer.from('something else'), key.privateKey).toString('base64');
    const refused = await post({
      hashedRekordRequestV002: { digest: digest.toString('base64'), signature: { content: wrong, verifier } },
    });
    expect(refused).toEqual({
      status: 400,
      json: { code: 3, message: expect.stringMatching(/verifying signature/), details: [] },
    });
  });

  it('refuses malformed requests: no entry, two entries, bad key details, short digest, bad DSSE signature', async () => {
    const hashed = { digest: digest.toString('base64'), signature: { content: goodSig, verifier } };
    const cases: [unknown, RegExp][] = [
      ['not json', /not JSON/],
      [{}, /exactly one of/],
      [{ hashedRekordRequestV002: hashed, dsseRequestV002: {} }, /exactly one of/],
      [
        {
          hashedRekordRequestV002: {
            ...hashed,
            signature: { content: goodSig, verifier: { ...verifier, keyDetails: 'PKIX_ED25519' } },
          },
        },
        /does not match the verifier's ec key/,
      ],
      [
        { hashedRekordRequestV002: { ...hashed, digest: digest.subarray(0, 20).toString('base64') } },
        /digest must be 32 bytes/,
      ],
      [
        {
          hashedRekordRequestV002: {
            ...hashed,
            signature: { content: goodSig, verifier: { keyDetails: 'PKIX_ECDSA_P256_SHA_256' } },
          },
        },
        /missing verifier/,
      ],
      [
        {
          dsseRequestV002: {
            envelope: {
              payload: Buffer.from('{}').toString('base64'),
              payloadType: INTOTO,
              signatures: [{ sig: goodSig, keyid: '' }],
            },
            verifiers: [verifier],
          },
        },
        /does not verify with any of the given verifiers/,
      ],
    ];
    const before = rekor2.treeSize;
    for (const [body, message] of cases) {
      const answer = await post(body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.json.code).toBe(3);
      expect(answer.json.message).toMatch(message);
    }
    expect(rekor2.treeSize).toBe(before);
  });

  it('the signer reports Rekor v2’s refusal with its message', async () => {
    rekor2.faultStatus = 503;
    try {
      const signer = new KeylessSigner({
        http,
        endpoints: choose(signingConfig),
        identityToken: () => oidc.issue('sigstore'),
      });
      await expect(signer.signDigestBundle(sha('x'))).rejects.toMatchObject({
        code: 'rekor-failed',
        message: expect.stringMatching(/Rekor v2 refused POST .*api\/v2\/log\/entries with HTTP 503: 'injected fault'/),
      });
    } finally {
      rekor2.faultStatus = undefined;
    }
  });

  it('builds RFC 6962 trees: every audit path leads to the root', () => {
    const leaves = Array.from({ length: 13 }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
    const root = merkleRoot(leaves);
    for (let n = 1; n <= leaves.length; n++) {
      for (let m = 0; m < n; m++) {
        // RFC 9162 §2.1.3.2: recompute the root from the leaf and its path.
        let fn = m;
        let sn = n - 1;
        let r = leaves[m] as Buffer;
        for (const p of inclusionPath(m, leaves.slice(0, n))) {
          if (sn === 0) throw new Error('path too long');
          const h = (a: Buffer, b: Buffer) =>
            createHash('sha256')
              .update(Buffer.from([1]))
              .update(a)
              .update(b)
              .digest();
          if (fn % 2 === 1 || fn === sn) {
            r = h(p, r);
            while (fn % 2 === 0 && fn !== 0) {
              fn >>= 1;
              sn >>= 1;
            }
          } else r = h(r, p);
          fn >>= 1;
          sn >>= 1;
        }
        expect(sn).toBe(0);
        expect(r.equals(merkleRoot(leaves.slice(0, n)))).toBe(true);
      }
    }
    expect(root.equals(merkleRoot(leaves))).toBe(true);
  });
});
