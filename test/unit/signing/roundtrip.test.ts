import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeFetch, HttpClient } from '@airlock/core';
import {
  buildStatement,
  KeylessSigner,
  parseTrustedRoot,
  type SignedBundle,
  type SigningErrorCode,
  type Trust,
  type VerifyRequest,
  verifyBundle,
} from '@airlock/signing';
import { OidcProvider } from '@airlock/testkit';
import { LoopbackSigstore } from '@airlock/testkit/sigstore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Sign → verify round trips against the loopback Sigstore (Fulcio checks the token, Rekor checks signatures), and one
 * test per fail-closed reason.
 */
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
const IDENTITY = 'https://github.com/acme/app/.github/workflows/ci.yml@refs/heads/main';

let oidc: OidcProvider;
let sigstore: LoopbackSigstore;
let trust: Trust;
let dir: string;
let signer: KeylessSigner;
const http = new HttpClient({ fetch: createNodeFetch({}), retry: { maxAttempts: 1 } });

beforeAll(async () => {
  oidc = await OidcProvider.start({ claims: { iss: GITHUB_ISSUER } });
  sigstore = await LoopbackSigstore.start({ issuers: [{ issuer: GITHUB_ISSUER, jwks: () => oidc.jwks() }] });
  trust = parseTrustedRoot(JSON.stringify(sigstore.trustedRoot()), 'trusted_root.json');
  dir = mkdtempSync(join(tmpdir(), 'airlock-signing-'));
  signer = new KeylessSigner({
    http,
    endpoints: { fulcio: sigstore.fulcioUrl, rekor: sigstore.rekorUrl, tsa: sigstore.tsaUrl },
    identityToken: () => oidc.issue('sigstore'),
  });
});
afterAll(async () => {
  await sigstore.stop();
  await oidc.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const policy = { identity: IDENTITY, issuer: GITHUB_ISSUER };

function artifact(name: string, content: string): { path: string; sha256: string } {
  const path = join(dir, name);
  writeFileSync(path, content);
  return { path, sha256: sha(content) };
}

async function rejects(
  request: Partial<VerifyRequest> & Pick<VerifyRequest, 'bundle' | 'artifact'>,
  code: SigningErrorCode,
) {
  const error = await verifyBundle({ source: 'x.sigstore.json', trust, policy, ...request }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toMatchObject({ code });
  return (error as Error).message;
}

describe('blob signatures', () => {
  let file: { path: string; sha256: string };
  let signed: SignedBundle;
  beforeAll(async () => {
    file = artifact('app.tgz', 'the artifact\n');
    signed = await signer.signDigestBundle(file.sha256);
  });

  it('round-trips against the file and against its digest, with the signer identity, log index and times', async () => {
    const byFile = await verifyBundle({
      bundle: signed.json,
      source: 'b',
      artifact: { kind: 'file', path: file.path },
      trust,
      policy,
    });
    expect(byFile.signer).toMatchObject({
      identity: IDENTITY,
      issuer: GITHUB_ISSUER,
      sourceRepository: 'https://github.com/acme/app',
      sourceRef: 'refs/heads/main',
      signerWorkflow: IDENTITY,
      runnerEnvironment: 'github-hosted',
    });
    expect(byFile.tlog[0]?.logIndex).toBe(signed.tlog?.logIndex);
    expect(byFile.tlog[0]?.integratedTime?.getTime()).toBe(sigstore.now.getTime());
    expect(byFile.timestamps.map((t) => t.getTime())).toEqual([sigstore.now.getTime()]);
    expect(byFile.version).toBe('v0.3');
    const byDigest = await verifyBundle({
      bundle: signed.json,
      source: 'b',
      artifact: { kind: 'digest', sha256: file.sha256 },
      trust,
      policy,
    });
    expect(byDigest.sha256).toBe(file.sha256);
  });

  it('asks Fulcio for one certificate for many signatures', async () => {
    const before = sigstore.count('fulcio');
    await Promise.all([signer.signDigestBundle(sha('a')), signer.signDigestBundle(sha('b'))]);
    expect(sigstore.count('fulcio')).toBe(before);
  });

  it('verifies bundle versions v0.1, v0.2 and v0.3', async () => {
    const json = JSON.parse(signed.json);
    const chain = {
      ...json,
      verificationMaterial: {
        ...json.verificationMaterial,
        x509CertificateChain: { certificates: [json.verificationMaterial.certificate] },
      },
    };
    delete chain.verificationMaterial.certificate;
    for (const [mediaType, version] of [
      ['application/vnd.dev.sigstore.bundle+json;version=0.1', 'v0.1'],
      ['application/vnd.dev.sigstore.bundle+json;version=0.2', 'v0.2'],
    ] as const) {
      const result = await verifyBundle({
        bundle: JSON.stringify({ ...chain, mediaType }),
        source: 'b',
        artifact: { kind: 'file', path: file.path },
        trust,
        policy,
      });
      expect(result.version).toBe(version);
    }
    const legacy = await verifyBundle({
      bundle: JSON.stringify({ ...json, mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.3' }),
      source: 'b',
      artifact: { kind: 'file', path: file.path },
      trust,
      policy,
    });
    expect(legacy.version).toBe('v0.3');
  });

  it('refuses a tampered artifact', async () => {
    const tampered = artifact('tampered.tgz', 'the artifact, modified\n');
    const message = await rejects(
      { bundle: signed.json, artifact: { kind: 'file', path: tampered.path } },
      'artifact-mismatch',
    );
    expect(message).toContain('does not match');
    await rejects({ bundle: signed.json, artifact: { kind: 'digest', sha256: tampered.sha256 } }, 'artifact-mismatch');
  });

  it('refuses a modified signature', async () => {
    const json = JSON.parse(signed.json);
    const sig = Buffer.from(json.messageSignature.signature, 'base64');
    sig[sig.length - 1] = (sig[sig.length - 1] as number) ^ 1;
    json.messageSignature.signature = sig.toString('base64');
    await rejects({ bundle: JSON.stringify(json), artifact: { kind: 'file', path: file.path } }, 'signature-invalid');
  });

  it('treats an exact identity as exact: a prefix of the real identity is refused', async () => {
    await rejects(
      {
        bundle: signed.json,
        artifact: { kind: 'file', path: file.path },
        policy: { ...policy, identity: 'https://github.com/acme/ap' },
      },
      'identity-mismatch',
    );
    await rejects(
      {
        bundle: signed.json,
        artifact: { kind: 'file', path: file.path },
        policy: { ...policy, identity: 'https://github.com/acme/app/.github/workflows/ci.yml' },
      },
      'identity-mismatch',
    );
  });

  it('anchors an identity regular expression at both ends', async () => {
    const ok = await verifyBundle({
      bundle: signed.json,
      source: 'b',
      artifact: { kind: 'file', path: file.path },
      trust,
      policy: { issuer: GITHUB_ISSUER, identityRegExp: 'https://github\\.com/acme/app/\\.github/workflows/.*' },
    });
    expect(ok.signer?.identity).toBe(IDENTITY);
    await rejects(
      {
        bundle: signed.json,
        artifact: { kind: 'file', path: file.path },
        policy: { issuer: GITHUB_ISSUER, identityRegExp: 'https://github\\.com/acme/ap' },
      },
      'identity-mismatch',
    );
  });

  it('checks the issuer and the GitHub extensions exactly', async () => {
    const a = { kind: 'file', path: file.path } as const;
    await rejects(
      {
        bundle: signed.json,
        artifact: a,
        policy: { ...policy, issuer: 'https://token.actions.githubusercontent.com/' },
      },
      'issuer-mismatch',
    );
    await rejects(
      { bundle: signed.json, artifact: a, policy: { ...policy, repository: 'acme/ap' } },
      'repository-mismatch',
    );
    await rejects({ bundle: signed.json, artifact: a, policy: { ...policy, ref: 'refs/heads/mai' } }, 'ref-mismatch');
    await rejects(
      {
        bundle: signed.json,
        artifact: a,
        policy: { ...policy, signerWorkflow: 'acme/app/.github/workflows/release.yml' },
      },
      'workflow-mismatch',
    );
    await rejects(
      { bundle: signed.json, artifact: a, policy: { ...policy, runnerEnvironment: 'self-hosted' } },
      'runner-mismatch',
    );
    const ok = await verifyBundle({
      bundle: signed.json,
      source: 'b',
      artifact: a,
      trust,
      policy: {
        issuer: GITHUB_ISSUER,
        repository: 'acme/app',
        ref: 'refs/heads/main',
        signerWorkflow: 'acme/app/.github/workflows/ci.yml',
        runnerEnvironment: 'github-hosted',
      },
    });
    expect(ok.signer?.sourceRepository).toBe('https://github.com/acme/app');
  });

  it('refuses a bundle without a transparency-log entry', async () => {
    const json = JSON.parse(signed.json);
    json.verificationMaterial.tlogEntries = [];
    const message = await rejects(
      { bundle: JSON.stringify(json), artifact: { kind: 'file', path: file.path } },
      'tlog-missing',
    );
    expect(message).toMatch(/no transparency-log entry/);
  });

  it('refuses an unknown bundle media type and malformed JSON', async () => {
    const json = JSON.parse(signed.json);
    await rejects(
      {
        bundle: JSON.stringify({ ...json, mediaType: 'application/vnd.dev.sigstore.bundle.v0.9+json' }),
        artifact: { kind: 'file', path: file.path },
      },
      'bundle-unknown-media-type',
    );
    await rejects(
      { bundle: signed.json.slice(0, -20), artifact: { kind: 'file', path: file.path } },
      'bundle-malformed',
    );
    await rejects({ bundle: '[]', artifact: { kind: 'file', path: file.path } }, 'bundle-malformed');
  });

  it('refuses a trusted root with an entry that has no validity start', () => {
    const root = sigstore.trustedRoot() as { tlogs: { publicKey: { validFor?: unknown } }[] };
    delete (root.tlogs[0] as { publicKey: { validFor?: unknown } }).publicKey.validFor;
    expect(() => parseTrustedRoot(JSON.stringify(root), 'root.json')).toThrow(
      /root.json: tlogs\[0\].*has no validity start/,
    );
    const ca = sigstore.trustedRoot() as { certificateAuthorities: { validFor?: { start?: string } }[] };
    delete (ca.certificateAuthorities[0] as { validFor?: { start?: string } }).validFor?.start;
    expect(() => parseTrustedRoot(JSON.stringify(ca), 'root.json')).toThrow(/certificateAuthorities\[0\]/);
  });

  it('refuses a bundle from another Sigstore instance', async () => {
    const other = await LoopbackSigstore.start({ issuers: [{ issuer: GITHUB_ISSUER, jwks: () => oidc.jwks() }] });
    try {
      const otherTrust = parseTrustedRoot(JSON.stringify(other.trustedRoot()), 'other.json');
      // The timestamp is checked before the certificate chain: either names the foreign instance.
      const error = await verifyBundle({
        bundle: signed.json,
        source: 'b',
        artifact: { kind: 'file', path: file.path },
        trust: otherTrust,
        policy,
      }).catch((e: unknown) => e);
      expect(['certificate-untrusted', 'timestamp-invalid']).toContain((error as { code?: string }).code);
      const noTsa = parseTrustedRoot(JSON.stringify(other.trustedRoot({ tsa: false })), 'other.json');
      const json = JSON.parse(signed.json);
      json.verificationMaterial.timestampVerificationData = { rfc3161Timestamps: [] };
      await rejects(
        { bundle: JSON.stringify(json), artifact: { kind: 'file', path: file.path }, trust: noTsa },
        'certificate-untrusted',
      );
    } finally {
      await other.stop();
    }
  });
});

describe('certificates expired at signing time', () => {
  it('refuses a signature logged after its certificate expired', async () => {
    const skewed = await LoopbackSigstore.start({
      issuers: [{ issuer: GITHUB_ISSUER, jwks: () => oidc.jwks() }],
      fulcioClockOffsetSeconds: -1200,
      tsa: false,
    });
    try {
      const late = new KeylessSigner({
        http,
        endpoints: { fulcio: skewed.fulcioUrl, rekor: skewed.rekorUrl, tsa: undefined },
        identityToken: () => oidc.issue('sigstore'),
      });
      const bundle = await late.signDigestBundle(sha('late'));
      const lateTrust = parseTrustedRoot(JSON.stringify(skewed.trustedRoot()), 'late.json');
      const message = await rejects(
        { bundle: bundle.json, artifact: { kind: 'digest', sha256: sha('late') }, trust: lateTrust },
        'certificate-expired',
      );
      expect(message).toMatch(/was not valid when the signature was logged/);
    } finally {
      await skewed.stop();
    }
  });
});

describe('attestations (DSSE)', () => {
  it('round-trips one statement over 10,000 subjects, logged once', async () => {
    const subjects = Array.from({ length: 10_000 }, (_, i) => ({
      name: `dist/file-${i}.bin`,
      digest: { sha256: sha(`file ${i}`) },
    }));
    const statement = buildStatement(subjects, 'https://slsa.dev/provenance/v1', { buildDefinition: {} });
    const rekorBefore = sigstore.count('rekor');
    const signed = await signer.signStatement(statement);
    expect(sigstore.count('rekor') - rekorBefore).toBe(1);
    const result = await verifyBundle({
      bundle: signed.json,
      source: 'att',
      artifact: { kind: 'digest', sha256: sha('file 9999') },
      trust,
      policy,
      predicateType: 'https://slsa.dev/provenance/v1',
    });
    expect(result.content).toBe('dsse');
    expect(result.statement?.subject).toHaveLength(10_000);
    await rejects(
      { bundle: signed.json, artifact: { kind: 'digest', sha256: sha('not a subject') } },
      'subject-not-in-statement',
    );
    await rejects(
      {
        bundle: signed.json,
        artifact: { kind: 'digest', sha256: sha('file 1') },
        predicateType: 'https://spdx.dev/Document',
      },
      'predicate-type-mismatch',
    );
  });

  it('refuses a DSSE payload that is not an in-toto statement', async () => {
    const signed = await signer.signEnvelope(
      Buffer.from(JSON.stringify({ _type: 'https://example.com/Other', subject: [] })),
    );
    await rejects({ bundle: signed.json, artifact: { kind: 'none' } }, 'statement-invalid');
  });
});
