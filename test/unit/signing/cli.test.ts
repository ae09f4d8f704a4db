import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliIO, commands, EXIT, runCli } from '@airlock/cli';
import { OidcProvider } from '@airlock/testkit';
import { LoopbackRekorV2 } from '@airlock/testkit/rekor2';
import { LoopbackSigstore } from '@airlock/testkit/sigstore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** `airlock sign`, `airlock verify` and the sigstore-conformance protocol, against the loopback Sigstore. */
const ISSUER = 'https://token.actions.githubusercontent.com';
const IDENTITY = 'https://github.com/acme/app/.github/workflows/ci.yml@refs/heads/main';
let oidc: OidcProvider;
let sigstore: LoopbackSigstore;
let dir: string;

beforeAll(async () => {
  oidc = await OidcProvider.start({ claims: { iss: ISSUER } });
  sigstore = await LoopbackSigstore.start({ issuers: [{ issuer: ISSUER, jwks: () => oidc.jwks() }] });
  dir = mkdtempSync(join(tmpdir(), 'airlock-sign-cli-'));
  sigstore.writeFiles(dir);
  writeFileSync(join(dir, 'a.txt'), 'artifact a\n');
  writeFileSync(join(dir, 'b.txt'), 'artifact b\n');
});
afterAll(async () => {
  await Promise.all([sigstore.stop(), oidc.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (t: string) => (stdout += t), isTTY: false },
    stderr: { write: (t: string) => (stderr += t), isTTY: false },
    env: { HOME: dir, ...env },
    cwd: dir,
  };
  const code = await runCli(args, io, commands);
  return { code, stdout, stderr };
}
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('sigstore-conformance protocol', () => {
  it('sign-bundle then verify-bundle by file and by digest', async () => {
    const token = await oidc.issue('sigstore');
    const signed = await cli([
      'sigstore',
      'sign-bundle',
      '--identity-token',
      token,
      '--bundle',
      'a.txt.sigstore.json',
      '--trusted-root',
      'trusted_root.json',
      '--signing-config',
      'signing_config.json',
      'a.txt',
    ]);
    expect(signed.code, signed.stderr).toBe(EXIT.ok);
    expect(JSON.parse(readFileSync(join(dir, 'a.txt.sigstore.json'), 'utf8')).mediaType).toBe(
      'application/vnd.dev.sigstore.bundle.v0.3+json',
    );
    const base = [
      'sigstore',
      'verify-bundle',
      '--bundle',
      'a.txt.sigstore.json',
      '--certificate-identity',
      IDENTITY,
      '--certificate-oidc-issuer',
      ISSUER,
      '--trusted-root',
      'trusted_root.json',
    ];
    expect((await cli([...base, 'a.txt'])).code).toBe(EXIT.ok);
    expect((await cli([...base, `sha256:${sha('artifact a\n')}`])).code).toBe(EXIT.ok);
    const wrongDigest = await cli([...base, `sha256:${sha('artifact b\n')}`]);
    expect(wrongDigest.code).toBe(EXIT.findings);
    expect(wrongDigest.stderr).toMatch(/FAILED \[artifact-mismatch\]/);
    expect((await cli([...base, 'b.txt'])).code).toBe(EXIT.findings);
    const prefix = base.map((a) => (a === IDENTITY ? 'https://github.com/acme/ap' : a));
    const refused = await cli([...prefix, 'a.txt']);
    expect(refused.code).toBe(EXIT.findings);
    expect(refused.stderr).toMatch(/identity-mismatch/);
  });

  it('a sha256: argument that names an existing file is the file', async () => {
    const name = `sha256:${sha('artifact a\n')}`;
    writeFileSync(join(dir, name), 'not the artifact\n');
    try {
      const result = await cli([
        'sigstore',
        'verify-bundle',
        '--bundle',
        'a.txt.sigstore.json',
        '--certificate-identity',
        IDENTITY,
        '--certificate-oidc-issuer',
        ISSUER,
        '--trusted-root',
        'trusted_root.json',
        name,
      ]);
      expect(result.code).toBe(EXIT.findings);
    } finally {
      rmSync(join(dir, name));
    }
  });

  it('the conformance entry point runs verify-bundle with the bundled CLI (dist/cli)', () => {
    const entry = join(import.meta.dirname, '../../../packages/cli/bin/sigstore-conformance');
    const run = (identity: string) =>
      spawnSync(
        entry,
        [
          'verify-bundle',
          '--bundle',
          'a.txt.sigstore.json',
          '--certificate-identity',
          identity,
          '--certificate-oidc-issuer',
          ISSUER,
          '--trusted-root',
          'trusted_root.json',
          'a.txt',
        ],
        { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } },
      );
    const ok = run(IDENTITY);
    expect(ok.status, ok.stderr).toBe(EXIT.ok);
    const refused = run('https://github.com/acme/other/.github/workflows/ci.yml@refs/heads/main');
    expect(refused.status).toBe(EXIT.findings);
    expect(refused.stderr).toMatch(/identity-mismatch/);
  });

  it('sign-bundle --in-toto signs a statement as DSSE', async () => {
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'a.txt', digest: { sha256: sha('artifact a\n') } }],
      predicateType: 'https://example.com/p',
      predicate: {},
    };
    writeFileSync(join(dir, 'statement.json'), JSON.stringify(statement));
    const token = await oidc.issue('sigstore');
    const signed = await cli([
      'sigstore',
      'sign-bundle',
      '--in-toto',
      '--identity-token',
      token,
      '--bundle',
      'st.sigstore.json',
      '--signing-config',
      'signing_config.json',
      'statement.json',
    ]);
    expect(signed.code, signed.stderr).toBe(EXIT.ok);
    expect(JSON.parse(readFileSync(join(dir, 'st.sigstore.json'), 'utf8')).dsseEnvelope.payloadType).toBe(
      'application/vnd.in-toto+json',
    );
    const verified = await cli([
      'sigstore',
      'verify-bundle',
      '--bundle',
      'st.sigstore.json',
      '--certificate-identity',
      IDENTITY,
      '--certificate-oidc-issuer',
      ISSUER,
      '--trusted-root',
      'trusted_root.json',
      `sha256:${sha('artifact a\n')}`,
    ]);
    expect(verified.code, verified.stderr).toBe(EXIT.ok);
  });

  it('verify-bundle without --trusted-root uses the shipped public-good root, offline', async () => {
    const result = await cli([
      'sigstore',
      'verify-bundle',
      '--bundle',
      'a.txt.sigstore.json',
      '--certificate-identity',
      IDENTITY,
      '--certificate-oidc-issuer',
      ISSUER,
      'a.txt',
    ]);
    // a loopback certificate does not chain to the public-good Fulcio: refused, not crashed, and no network needed
    expect(result.code).toBe(EXIT.findings);
    expect(result.stderr).toMatch(/FAILED \[(certificate-untrusted|timestamp-invalid)\]/);
  });

  it('rejects bad usage with exit 2', async () => {
    expect((await cli(['sigstore', 'verify-bundle', '--bundle', 'a.txt.sigstore.json', 'a.txt'])).code).toBe(
      EXIT.usage,
    );
    expect((await cli(['sigstore', 'sign-bundle', '--bundle', 'x.json', 'a.txt'])).code).toBe(EXIT.usage);
    const garbage = await cli([
      'sigstore',
      'verify-bundle',
      '--bundle',
      'a.txt',
      '--certificate-identity',
      IDENTITY,
      '--certificate-oidc-issuer',
      ISSUER,
      'a.txt',
    ]);
    expect(garbage.code).toBe(EXIT.findings);
    expect(garbage.stderr).toMatch(/bundle-malformed.*a\.txt is not valid JSON/);
  });
});

describe('airlock sign / airlock verify', () => {
  it('signs an attestation over files and verifies each, with JSON output', async () => {
    const token = await oidc.issue('sigstore');
    const signed = await cli(
      [
        'sign',
        'a.txt',
        'b.txt',
        '--identity-token',
        token,
        '--signing-config',
        'signing_config.json',
        '--trusted-root',
        'trusted_root.json',
        '--format',
        'json',
      ],
      {
        GITHUB_REPOSITORY: 'acme/app',
        GITHUB_WORKFLOW_REF: 'acme/app/.github/workflows/ci.yml@refs/heads/main',
        GITHUB_SHA: 'd6f3a1c0b2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8',
        GITHUB_REF: 'refs/heads/main',
      },
    );
    expect(signed.code, signed.stderr).toBe(EXIT.ok);
    const bundle = JSON.parse(signed.stdout).bundles[0].bundle as string;
    const verified = await cli([
      'verify',
      'a.txt',
      'b.txt',
      '--bundle',
      bundle,
      '--trusted-root',
      'trusted_root.json',
      '--certificate-identity',
      IDENTITY,
      '--repository',
      'acme/app',
      '--format',
      'json',
    ]);
    expect(verified.code, verified.stdout).toBe(EXIT.ok);
    expect(JSON.parse(verified.stdout).results).toHaveLength(2);
  });

  it('blob mode: verify fails closed on a tampered file and names the reason', async () => {
    const token = await oidc.issue('sigstore');
    writeFileSync(join(dir, 'c.txt'), 'artifact c\n');
    const signed = await cli([
      'sign',
      'c.txt',
      '--mode',
      'blob',
      '--identity-token',
      token,
      '--signing-config',
      'signing_config.json',
    ]);
    expect(signed.code, signed.stderr).toBe(EXIT.ok);
    writeFileSync(join(dir, 'c.txt'), 'artifact c, modified\n');
    const verified = await cli([
      'verify',
      'c.txt',
      '--trusted-root',
      'trusted_root.json',
      '--certificate-identity',
      IDENTITY,
    ]);
    expect(verified.code).toBe(EXIT.findings);
    expect(verified.stdout).toMatch(/✗ c.txt: \[artifact-mismatch\]/);
  });

  it('verify needs an expected signer', async () => {
    const result = await cli(['verify', 'a.txt', '--trusted-root', 'trusted_root.json']);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toMatch(/give the expected signer/);
  });
});

describe('sign-bundle with a Rekor v2 signing config', () => {
  let rekor2: LoopbackRekorV2;
  beforeAll(async () => {
    rekor2 = await LoopbackRekorV2.start();
    const config = sigstore.signingConfig();
    // v1 listed first: the client still picks the highest API version it speaks.
    writeFileSync(
      join(dir, 'signing_config.v2.json'),
      JSON.stringify({ ...config, rekorTlogUrls: [...(config.rekorTlogUrls as object[]), rekor2.service()] }),
    );
    writeFileSync(
      join(dir, 'signing_config.v2-no-tsa.json'),
      JSON.stringify({ ...config, rekorTlogUrls: [rekor2.service()], tsaUrls: [] }),
    );
    writeFileSync(
      join(dir, 'trusted_root.v2.json'),
      JSON.stringify(rekor2.addToTrustedRoot(sigstore.trustedRoot({ tlog: false }))),
    );
  });
  afterAll(() => rekor2.stop());

  const sign = async (config: string, extra: string[] = []) =>
    cli([
      'sigstore',
      'sign-bundle',
      ...extra,
      '--identity-token',
      await oidc.issue('sigstore'),
      '--bundle',
      'b.txt.v2.sigstore.json',
      '--trusted-root',
      'trusted_root.v2.json',
      '--signing-config',
      config,
      'b.txt',
    ]);
  const verify = (file: string) =>
    cli([
      'sigstore',
      'verify-bundle',
      '--bundle',
      'b.txt.v2.sigstore.json',
      '--certificate-identity',
      IDENTITY,
      '--certificate-oidc-issuer',
      ISSUER,
      '--trusted-root',
      'trusted_root.v2.json',
      file,
    ]);

  it('signs through the Rekor v2 log and a TSA; verify-bundle accepts it with a trusted root naming only that log', async () => {
    const before = rekor2.treeSize;
    const signed = await sign('signing_config.v2.json');
    expect(signed.code, signed.stderr).toBe(EXIT.ok);
    expect(rekor2.treeSize).toBe(before + 1);
    const bundle = JSON.parse(readFileSync(join(dir, 'b.txt.v2.sigstore.json'), 'utf8'));
    expect(bundle.verificationMaterial.tlogEntries[0].kindVersion).toEqual({ kind: 'hashedrekord', version: '0.0.2' });
    expect(bundle.verificationMaterial.timestampVerificationData.rfc3161Timestamps).toHaveLength(1);
    expect((await verify('b.txt')).code).toBe(EXIT.ok);
    expect((await verify('a.txt')).code).toBe(EXIT.findings);
  });

  it('signs an in-toto statement through Rekor v2 (a dsse 0.0.2 entry)', async () => {
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'b.txt', digest: { sha256: sha('artifact b\n') } }],
      predicateType: 'https://example.com/predicate',
      predicate: {},
    };
    writeFileSync(join(dir, 'statement.v2.json'), JSON.stringify(statement));
    const signed = await cli([
      'sigstore',
      'sign-bundle',
      '--in-toto',
      '--identity-token',
      await oidc.issue('sigstore'),
      '--bundle',
      'statement.v2.sigstore.json',
      '--signing-config',
      'signing_config.v2.json',
      'statement.v2.json',
    ]);
    expect(signed.code, signed.stderr).toBe(EXIT.ok);
    const bundle = JSON.parse(readFileSync(join(dir, 'statement.v2.sigstore.json'), 'utf8'));
    expect(bundle.verificationMaterial.tlogEntries[0].kindVersion).toEqual({ kind: 'dsse', version: '0.0.2' });
    const verified = await cli([
      'sigstore',
      'verify-bundle',
      '--bundle',
      'statement.v2.sigstore.json',
      '--certificate-identity',
      IDENTITY,
      '--certificate-oidc-issuer',
      ISSUER,
      '--trusted-root',
      'trusted_root.v2.json',
      `sha256:${sha('artifact b\n')}`,
    ]);
    expect(verified.code, verified.stderr).toBe(EXIT.ok);
  });

  it('refuses a signing config that selects a Rekor v2 log without a timestamp authority', async () => {
    const before = rekor2.treeSize;
    const refused = await sign('signing_config.v2-no-tsa.json');
    expect(refused.code).not.toBe(EXIT.ok);
    expect(refused.stderr).toMatch(
      /Rekor v2 log .* needs an RFC 3161 timestamp, but no timestamp authority is configured/,
    );
    expect(rekor2.treeSize).toBe(before);
  });
});
