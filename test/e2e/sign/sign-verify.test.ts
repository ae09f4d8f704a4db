import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyChain } from '@airlock/core';
import { Job, type JobOptions, OidcProvider, type StepRun } from '@airlock/testkit';
import { GitHubAttestationsApi } from '@airlock/testkit/github-attestations';
import { LoopbackRekorV2 } from '@airlock/testkit/rekor2';
import { LoopbackSigstore } from '@airlock/testkit/sigstore';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { actionDir } from '../../support/paths.ts';

/**
 * sign → verify through the built actions (dist/sign, dist/verify) and the runner-faithful harness, offline, against
 * the loopback Sigstore (Fulcio verifies the job's OIDC token) and a loopback GitHub attestations API.
 */
const SIGN = actionDir('sign');
const VERIFY = actionDir('verify');
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
const IDENTITY = 'https://github.com/acme/app/.github/workflows/ci.yml@refs/heads/main';
const GITHUB_TOKEN = ['ghs', 'loopback', String(process.pid), 'token'].join('_');

let oidc: OidcProvider;
let sigstore: LoopbackSigstore;
let api: GitHubAttestationsApi;
const jobs: Job[] = [];

beforeAll(async () => {
  oidc = await OidcProvider.start({ claims: { iss: GITHUB_ISSUER } });
  sigstore = await LoopbackSigstore.start({ issuers: [{ issuer: GITHUB_ISSUER, jwks: () => oidc.jwks() }] });
  api = await GitHubAttestationsApi.start({ token: GITHUB_TOKEN });
});
afterAll(async () => {
  await Promise.all([sigstore.stop(), oidc.stop(), api.stop()]);
});
afterEach(() => {
  for (const job of jobs.splice(0)) job.dispose();
  api.refuse = undefined;
});

/** A job with id-token: write, the instance's trusted root and signing config in the workspace, and dist files. */
function newJob(options: JobOptions = {}, instance = sigstore): Job {
  const job = new Job({ idToken: oidc.env(), githubToken: GITHUB_TOKEN, env: { GITHUB_API_URL: api.url }, ...options });
  jobs.push(job);
  instance.writeFiles(job.workspace);
  mkdirSync(join(job.workspace, 'dist'), { recursive: true });
  for (const name of ['app-linux.tgz', 'app-darwin.tgz'])
    writeFileSync(join(job.workspace, 'dist', name), `${name} contents\n`);
  return job;
}

const sha = (data: string) => createHash('sha256').update(data).digest('hex');
const errors = (run: StepRun) => run.annotations.filter((a) => a.level === 'error').map((a) => a.message);
const SIGN_INPUTS = { 'signing-config': 'signing_config.json', 'trusted-root': 'trusted_root.json' };
const VERIFY_INPUTS = { 'trusted-root': 'trusted_root.json', 'certificate-identity': IDENTITY };

describe('attestation mode', () => {
  it('signs one SLSA provenance statement over all subjects and the verify gate accepts each artifact', async () => {
    const job = newJob();
    const sign = await job.step(SIGN, { inputs: { 'subject-path': 'dist/*.tgz', ...SIGN_INPUTS }, id: 'sign' });
    expect(sign.outcome, sign.log).toBe('success');
    expect(sign.outputs['subject-count']).toBe('2');
    expect(sign.outputs['log-index']).toMatch(/^\d+$/);
    const bundlePath = sign.outputs['bundle-path'] as string;
    expect(bundlePath.startsWith(job.runnerTemp)).toBe(true);
    const bundle = JSON.parse(readFileSync(bundlePath, 'utf8'));
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
    expect(statement.subject).toEqual([
      { name: 'dist/app-darwin.tgz', digest: { sha256: sha('app-darwin.tgz contents\n') } },
      { name: 'dist/app-linux.tgz', digest: { sha256: sha('app-linux.tgz contents\n') } },
    ]);
    expect(statement.predicateType).toBe('https://slsa.dev/provenance/v1');
    expect(statement.predicate.runDetails.builder.id).toBe(IDENTITY);
    expect(statement.predicate.buildDefinition.externalParameters.workflow).toEqual({
      ref: 'refs/heads/main',
      repository: 'https://github.com/acme/app',
      path: '.github/workflows/ci.yml',
    });
    expect(statement.predicate.buildDefinition.resolvedDependencies[0].digest.gitCommit).toMatch(/^[0-9a-f]{40}$/);
    expect(statement.predicate.runDetails.metadata.invocationId).toBe(
      'https://github.com/acme/app/actions/runs/4242424242/attempts/1',
    );
    expect(sign.summary).toContain('dist/app-linux.tgz');
    expect(sign.summary).toContain(sha('app-linux.tgz contents\n'));
    // the OIDC token is masked before anything could print it, and nothing but the mask command carries it
    const unmasked = sign.rawLog.split('\n').filter((l) => !l.startsWith('::add-mask::'));
    expect(unmasked.join('\n')).not.toMatch(/eyJ[\w-]+\.eyJ/);
    expect(sign.masks.some((m) => /^eyJ[\w-]+\.eyJ/.test(m))).toBe(true);

    const verify = await job.step(VERIFY, {
      inputs: {
        'subject-path': 'dist/*.tgz',
        'bundle-path': bundlePath,
        ...VERIFY_INPUTS,
        repository: 'acme/app',
        'source-ref': 'refs/heads/main',
        'signer-workflow': 'acme/app/.github/workflows/ci.yml',
        'runner-environment': 'github-hosted',
        'predicate-type': 'https://slsa.dev/provenance/v1',
      },
      id: 'verify',
    });
    expect(verify.outcome, verify.log).toBe('success');
    expect(verify.outputs.verified).toBe('2');
    const results = JSON.parse(verify.outputs.results as string);
    expect(results[0]).toMatchObject({
      ok: true,
      identity: IDENTITY,
      repository: 'https://github.com/acme/app',
      ref: 'refs/heads/main',
      log_index: Number(sign.outputs['log-index']),
    });
    expect(verify.summary).toContain(IDENTITY.replace(/[_*]/g, (c) => `\\${c}`).split('@')[0]);
    expect(verify.summary).toContain(sign.outputs['log-index']);

    const trail = verifyChain(readFileSync(join(job.runnerTemp, 'airlock', 'trail.jsonl'), 'utf8'));
    expect(trail.ok).toBe(true);
    if (trail.ok) {
      expect(trail.records.map((r) => [r.action.name, r.outcome])).toEqual([
        ['sign', 'success'],
        ['verify', 'success'],
      ]);
      expect(trail.records[0]?.github.job_workflow_ref).toBe('acme/app/.github/workflows/ci.yml@refs/heads/main');
      expect(trail.records[0]?.subjects).toHaveLength(2);
    }
  });

  it('signs 10,000 subjects from a checksum file as one statement with one log entry', async () => {
    const job = newJob();
    const lines = Array.from({ length: 10_000 }, (_, i) => `${sha(`artifact ${i}`)}  out/artifact-${i}.bin`);
    writeFileSync(join(job.workspace, 'SHA256SUMS'), `${lines.join('\n')}\n`);
    const rekor = sigstore.count('rekor');
    const sign = await job.step(SIGN, { inputs: { 'subject-checksums': 'SHA256SUMS', ...SIGN_INPUTS } });
    expect(sign.outcome, sign.log).toBe('success');
    expect(sign.outputs['subject-count']).toBe('10000');
    expect(sigstore.count('rekor') - rekor).toBe(1);
    expect(sign.summary).toMatch(/of 10000 subjects are not shown/);
    expect(Buffer.byteLength(sign.summary)).toBeLessThan(1024 * 1024);
    const verify = await job.step(VERIFY, {
      inputs: {
        'subject-digest': `sha256:${sha('artifact 9999')}`,
        'bundle-path': sign.outputs['bundle-path'] as string,
        ...VERIFY_INPUTS,
      },
    });
    expect(verify.outcome, verify.log).toBe('success');
  });

  it('uploads the attestation to the GitHub attestations API', async () => {
    const job = newJob();
    const sign = await job.step(SIGN, {
      inputs: { 'subject-path': 'dist/app-linux.tgz', ...SIGN_INPUTS, 'upload-attestation': true },
    });
    expect(sign.outcome, sign.log).toBe('success');
    const stored = api.stored.at(-1);
    expect(stored?.repository).toBe('acme/app');
    expect(sign.outputs['attestation-id']).toBe(String(stored?.id));
    expect(sign.outputs['attestation-url']).toBe(`https://github.com/acme/app/attestations/${stored?.id}`);
    expect(
      sign.rawLog
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n'),
    ).not.toContain(GITHUB_TOKEN);
  });

  it.each([
    [403, 'Resource not accessible by integration', /permissions: attestations: write/],
    [404, 'Not Found', /no attestations API for acme\/app/],
    [422, 'Feature not available for user-owned private repositories', /cannot store attestations/],
  ] as const)('explains an attestations API refusal (HTTP %i)', async (status, message, expected) => {
    api.refuse = { status, message };
    const job = newJob();
    const sign = await job.step(SIGN, {
      inputs: { 'subject-path': 'dist/app-linux.tgz', ...SIGN_INPUTS, 'upload-attestation': true },
    });
    expect(sign.exitCode).toBe(1);
    expect(errors(sign).join('\n')).toMatch(expected);
    expect(errors(sign).join('\n')).toContain(message);
  });
});

describe('the README workflow', () => {
  it('bundle-dir puts the attestation beside the artifacts and verify finds it by glob', async () => {
    const job = newJob();
    const sign = await job.step(SIGN, {
      inputs: { 'subject-path': 'dist/*.tgz', 'bundle-dir': 'dist', ...SIGN_INPUTS },
    });
    expect(sign.outcome, sign.log).toBe('success');
    expect(sign.outputs['bundle-path']).toMatch(
      new RegExp(`^${join(job.workspace, 'dist')}/attestation-[0-9a-f]{16}\\.sigstore\\.json$`),
    );
    const verify = await job.step(VERIFY, {
      inputs: {
        'subject-path': 'dist/*.tgz',
        'bundle-path': 'dist/attestation-*.sigstore.json',
        ...VERIFY_INPUTS,
        'predicate-type': 'https://slsa.dev/provenance/v1',
      },
    });
    expect(verify.outcome, verify.log).toBe('success');
    expect(verify.outputs.verified).toBe('2');
  });
});

describe('blob mode', () => {
  it('writes <file>.sigstore.json beside each artifact and verify finds them there', async () => {
    const job = newJob();
    const sign = await job.step(SIGN, {
      inputs: { 'subject-path': 'dist/app-linux.tgz, dist/app-darwin.tgz', mode: 'blob', ...SIGN_INPUTS },
    });
    expect(sign.outcome, sign.log).toBe('success');
    expect(JSON.parse(sign.outputs['bundle-paths'] as string)).toEqual([
      join(job.workspace, 'dist/app-linux.tgz.sigstore.json'),
      join(job.workspace, 'dist/app-darwin.tgz.sigstore.json'),
    ]);
    const verify = await job.step(VERIFY, { inputs: { 'subject-path': 'dist/*.tgz', ...VERIFY_INPUTS } });
    expect(verify.outcome, verify.log).toBe('success');
    expect(verify.outputs.verified).toBe('2');
  });
});

describe('Rekor v2', () => {
  let rekor2: LoopbackRekorV2;
  beforeAll(async () => {
    rekor2 = await LoopbackRekorV2.start();
  });
  afterAll(() => rekor2.stop());

  /** A job whose signing config lists the v1 and the v2 log, and whose trusted root names only the v2 log. */
  function v2Job(options: { tsa?: boolean } = {}): Job {
    const job = newJob();
    const config = sigstore.signingConfig();
    writeFileSync(
      join(job.workspace, 'signing_config.json'),
      JSON.stringify({
        ...config,
        rekorTlogUrls: [...(config.rekorTlogUrls as object[]), rekor2.service()],
        ...(options.tsa === false ? { tsaUrls: [] } : {}),
      }),
    );
    writeFileSync(
      join(job.workspace, 'trusted_root.json'),
      JSON.stringify(rekor2.addToTrustedRoot(sigstore.trustedRoot({ tlog: false }))),
    );
    return job;
  }

  it('signs blobs and an attestation through the v2 log and a TSA; the verify gate accepts them', async () => {
    const job = v2Job();
    const before = rekor2.treeSize;
    const blobs = await job.step(SIGN, { inputs: { 'subject-path': 'dist/*.tgz', mode: 'blob', ...SIGN_INPUTS } });
    expect(blobs.outcome, blobs.log).toBe('success');
    const attest = await job.step(SIGN, { inputs: { 'subject-path': 'dist/*.tgz', ...SIGN_INPUTS }, id: 'attest' });
    expect(attest.outcome, attest.log).toBe('success');
    expect(rekor2.treeSize).toBe(before + 3);
    const bundlePath = attest.outputs['bundle-path'] as string;
    const bundle = JSON.parse(readFileSync(bundlePath, 'utf8'));
    expect(bundle.verificationMaterial.tlogEntries[0].kindVersion).toEqual({ kind: 'dsse', version: '0.0.2' });
    const blob = JSON.parse(readFileSync(join(job.workspace, 'dist', 'app-linux.tgz.sigstore.json'), 'utf8'));
    expect(blob.verificationMaterial.tlogEntries[0].kindVersion).toEqual({ kind: 'hashedrekord', version: '0.0.2' });
    for (const inputs of [{}, { 'bundle-path': bundlePath, 'predicate-type': 'https://slsa.dev/provenance/v1' }]) {
      const verify = await job.step(VERIFY, { inputs: { 'subject-path': 'dist/*.tgz', ...VERIFY_INPUTS, ...inputs } });
      expect(verify.outcome, verify.log).toBe('success');
      expect(verify.outputs.verified).toBe('2');
    }
  });

  it('refuses a signing config that selects the v2 log without a timestamp authority', async () => {
    const job = v2Job({ tsa: false });
    const before = rekor2.treeSize;
    const sign = await job.step(SIGN, { inputs: { 'subject-path': 'dist/*.tgz', ...SIGN_INPUTS } });
    expect(sign.outcome).toBe('failure');
    expect(errors(sign).join('\n')).toMatch(/Rekor v2 log .* needs an RFC 3161 timestamp/);
    expect(rekor2.treeSize).toBe(before);
  });
});

describe('the verify gate fails closed', () => {
  let job: Job;
  let attestation: string;
  beforeAll(async () => {
    job = new Job({ idToken: oidc.env() });
    sigstore.writeFiles(job.workspace);
    mkdirSync(join(job.workspace, 'dist'));
    writeFileSync(join(job.workspace, 'dist/app.tgz'), 'app\n');
    const blob = await job.step(SIGN, { inputs: { 'subject-path': 'dist/app.tgz', mode: 'blob', ...SIGN_INPUTS } });
    expect(blob.outcome, blob.log).toBe('success');
    const att = await job.step(SIGN, { inputs: { 'subject-path': 'dist/app.tgz', ...SIGN_INPUTS } });
    attestation = att.outputs['bundle-path'] as string;
  });
  afterAll(() => job.dispose());

  const gate = async (inputs: Record<string, string>, workspace?: (dir: string) => void) => {
    const j = new Job({ workspace: job.workspace });
    jobs.push(j);
    workspace?.(job.workspace);
    return j.step(VERIFY, { inputs: { 'subject-path': 'dist/app.tgz', ...VERIFY_INPUTS, ...inputs } });
  };
  const failsWith = (run: StepRun, pattern: RegExp) => {
    expect(run.exitCode, run.log).toBe(1);
    expect(errors(run).join('\n')).toMatch(pattern);
    expect(run.outputs.verified).toBe('0');
  };
  // biome-ignore lint/suspicious/noExplicitAny: tests edit arbitrary bundle fields
  const editBundle = (edit: (bundle: Record<string, any>) => void) => (dir: string) => {
    const bundle = JSON.parse(readFileSync(join(dir, 'dist/app.tgz.sigstore.json'), 'utf8'));
    edit(bundle);
    writeFileSync(join(dir, 'dist/bad.sigstore.json'), JSON.stringify(bundle));
  };

  it('accepts the untouched artifact', async () => {
    const run = await gate({});
    expect(run.outcome, run.log).toBe('success');
  });

  it('refuses a tampered artifact', async () => {
    const copy = (dir: string) => writeFileSync(join(dir, 'dist/tampered.tgz'), 'app, modified\n');
    const run = await gate({ 'subject-path': 'dist/tampered.tgz', 'bundle-path': 'dist/app.tgz.sigstore.json' }, copy);
    failsWith(run, /artifact-mismatch.*does not match/);
  });

  it('refuses an identity that is only a prefix of the signer (exact, not a regular expression)', async () => {
    failsWith(
      await gate({ 'certificate-identity': 'https://github.com/acme/ap' }),
      /identity-mismatch.*expected exactly 'https:\/\/github.com\/acme\/ap'/,
    );
  });

  it('refuses the wrong issuer, repository, ref, workflow or runner', async () => {
    failsWith(await gate({ 'certificate-oidc-issuer': 'https://accounts.google.com' }), /issuer-mismatch/);
    failsWith(await gate({ repository: 'acme/other' }), /repository-mismatch/);
    failsWith(await gate({ 'source-ref': 'refs/heads/dev' }), /ref-mismatch/);
    failsWith(await gate({ 'signer-workflow': 'acme/app/.github/workflows/release.yml' }), /workflow-mismatch/);
    failsWith(await gate({ 'runner-environment': 'self-hosted' }), /runner-mismatch/);
  });

  it('refuses a bundle without a transparency-log entry', async () => {
    const run = await gate(
      { 'bundle-path': 'dist/bad.sigstore.json' },
      editBundle((b) => {
        b.verificationMaterial.tlogEntries = [];
      }),
    );
    failsWith(run, /tlog-missing/);
  });

  it('refuses an unknown bundle media type', async () => {
    const run = await gate(
      { 'bundle-path': 'dist/bad.sigstore.json' },
      editBundle((b) => {
        b.mediaType = 'application/vnd.dev.sigstore.bundle.v0.4+json';
      }),
    );
    failsWith(run, /bundle-unknown-media-type/);
  });

  it('refuses malformed JSON, naming the bundle', async () => {
    const run = await gate({ 'bundle-path': 'dist/bad.sigstore.json' }, (dir) =>
      writeFileSync(join(dir, 'dist/bad.sigstore.json'), '{"mediaType": '),
    );
    failsWith(run, /bundle-malformed.*dist\/bad\.sigstore\.json is not valid JSON/);
  });

  it('refuses a trusted root with an entry that has no validity start', async () => {
    const run = await gate({ 'trusted-root': 'root-nostart.json' }, (dir) => {
      const root = JSON.parse(readFileSync(join(dir, 'trusted_root.json'), 'utf8'));
      delete root.tlogs[0].publicKey.validFor;
      writeFileSync(join(dir, 'root-nostart.json'), JSON.stringify(root));
    });
    expect(run.exitCode).toBe(1);
    expect(errors(run).join('\n')).toMatch(/tlogs\[0\].*has no validity start/);
  });

  it('refuses an attestation whose subjects do not include the artifact, or with another predicate type', async () => {
    const other = (dir: string) => writeFileSync(join(dir, 'dist/other.tgz'), 'other\n');
    failsWith(
      await gate({ 'subject-path': 'dist/other.tgz', 'bundle-path': attestation }, other),
      /subject-not-in-statement/,
    );
    failsWith(
      await gate({ 'bundle-path': attestation, 'predicate-type': 'https://spdx.dev/Document' }),
      /predicate-type-mismatch/,
    );
  });

  it('refuses a signature whose certificate had expired when it was logged', async () => {
    const skewed = await LoopbackSigstore.start({
      issuers: [{ issuer: GITHUB_ISSUER, jwks: () => oidc.jwks() }],
      fulcioClockOffsetSeconds: -1200,
    });
    try {
      const j = newJob({}, skewed);
      const sign = await j.step(SIGN, {
        inputs: { 'subject-path': 'dist/app-linux.tgz', mode: 'blob', 'signing-config': 'signing_config.json' },
      });
      expect(sign.outcome, sign.log).toBe('success');
      const run = await j.step(VERIFY, { inputs: { 'subject-path': 'dist/app-linux.tgz', ...VERIFY_INPUTS } });
      expect(run.exitCode).toBe(1);
      expect(errors(run).join('\n')).toMatch(/certificate-expired.*was not valid when the signature was logged/);
    } finally {
      await skewed.stop();
    }
  });

  it('refuses a missing bundle and reports every failing artifact', async () => {
    const run = await gate({ 'subject-path': 'dist/*' }, (dir) => writeFileSync(join(dir, 'dist/unsigned.bin'), 'x'));
    expect(run.exitCode).toBe(1);
    expect(errors(run).join('\n')).toMatch(/unsigned\.bin: \[bundle-malformed\] cannot read the bundle .*no such file/);
  });
});

describe('bad inputs', () => {
  const fails = async (
    action: string,
    inputs: Record<string, string>,
    pattern: RegExp,
    prepare?: (dir: string) => void,
  ) => {
    const job = newJob();
    prepare?.(job.workspace);
    const run = await job.step(action, { inputs });
    expect(run.exitCode, run.log).toBe(1);
    expect(errors(run).join('\n')).toMatch(pattern);
    expect(run.log).not.toMatch(/\n\s+at /);
  };

  it('sign: nothing to sign, unmatched globs, bad digests, unpaired names', async () => {
    await fails(SIGN, { ...SIGN_INPUTS }, /^sign: nothing to sign/);
    await fails(
      SIGN,
      { 'subject-path': 'build/*.zip', ...SIGN_INPUTS },
      /input 'subject-path': the pattern 'build\/\*\.zip' matched no file/,
    );
    await fails(SIGN, { 'subject-path': 'dist/missing.tgz', ...SIGN_INPUTS }, /'dist\/missing.tgz' does not exist/);
    await fails(
      SIGN,
      { 'subject-digest': 'sha256:abc', 'subject-name': 'img', ...SIGN_INPUTS },
      /input 'subject-digest' item 1 must be sha256:<64 hex digits>; got 'sha256:abc'/,
    );
    await fails(
      SIGN,
      { 'subject-digest': `sha256:${sha('x')}`, ...SIGN_INPUTS },
      /has 1 digest\(s\) but input 'subject-name' has 0/,
    );
  });

  it('sign: a malformed checksum file is named with its line', async () => {
    await fails(
      SIGN,
      { 'subject-checksums': 'SUMS', ...SIGN_INPUTS },
      /SUMS:2: the digest is not 64 hex digits/,
      (dir) => writeFileSync(join(dir, 'SUMS'), `${sha('a')}  a.bin\n${'ab'.repeat(20)}  b.bin\n`),
    );
  });

  it('sign: predicates, modes and URLs', async () => {
    await fails(
      SIGN,
      { 'subject-path': 'dist/app-linux.tgz', 'predicate-type': 'https://example.com/custom', ...SIGN_INPUTS },
      /give its predicate with 'predicate' or 'predicate-path'/,
    );
    await fails(
      SIGN,
      {
        'subject-path': 'dist/app-linux.tgz',
        predicate: '{"a": ',
        'predicate-type': 'https://example.com/custom',
        ...SIGN_INPUTS,
      },
      /input 'predicate' is not valid JSON/,
    );
    await fails(
      SIGN,
      { 'subject-path': 'dist/app-linux.tgz', mode: 'blob', 'upload-attestation': 'true', ...SIGN_INPUTS },
      /applies to mode: attestation/,
    );
    await fails(
      SIGN,
      { 'subject-path': 'dist/app-linux.tgz', mode: 'sideways' },
      /input 'mode' must be one of attestation, blob/,
    );
    await fails(
      SIGN,
      { 'subject-path': 'dist/app-linux.tgz', 'fulcio-url': 'http://fulcio.example.com' },
      /input 'fulcio-url' must be an https URL/,
    );
    await fails(
      SIGN,
      { 'subject-path': 'dist/app-linux.tgz', 'signing-config': 'nope.json' },
      /input 'signing-config': cannot read nope.json: ENOENT/,
    );
  });

  it('sign: without id-token: write the step explains the permission', async () => {
    const job = new Job({});
    jobs.push(job);
    writeFileSync(join(job.workspace, 'a.txt'), 'a');
    const run = await job.step(SIGN, { inputs: { 'subject-path': 'a.txt' } });
    expect(run.exitCode).toBe(1);
    expect(errors(run).join('\n')).toMatch(/id-token: write/);
  });

  it('sign: Fulcio refuses a token for another audience-less issuer', async () => {
    const stranger = await OidcProvider.start();
    try {
      const job = newJob({ idToken: stranger.env() });
      const run = await job.step(SIGN, { inputs: { 'subject-path': 'dist/app-linux.tgz', ...SIGN_INPUTS } });
      expect(run.exitCode).toBe(1);
      expect(errors(run).join('\n')).toMatch(/Fulcio refused .* HTTP 401.*untrusted OIDC issuer/);
    } finally {
      await stranger.stop();
    }
  });

  it('verify: needs an expected signer, one identity form, valid refs and regexps', async () => {
    await fails(
      VERIFY,
      { 'subject-path': 'dist/app-linux.tgz', 'trusted-root': 'trusted_root.json' },
      /verify needs a signer to expect/,
    );
    await fails(
      VERIFY,
      { 'subject-path': 'dist/app-linux.tgz', ...VERIFY_INPUTS, 'certificate-identity-regexp': '.*' },
      /not both/,
    );
    await fails(
      VERIFY,
      { 'subject-path': 'dist/app-linux.tgz', 'trusted-root': 'trusted_root.json', 'certificate-identity-regexp': '(' },
      /not a valid regular expression/,
    );
    await fails(
      VERIFY,
      { 'subject-path': 'dist/app-linux.tgz', ...VERIFY_INPUTS, 'source-ref': 'main' },
      /input 'source-ref' must be a full ref/,
    );
    await fails(
      VERIFY,
      { 'subject-path': 'dist/app-linux.tgz', ...VERIFY_INPUTS, 'trusted-root': 'missing.json' },
      /input 'trusted-root': cannot read missing.json/,
    );
    await fails(VERIFY, { 'subject-digest': `sha256:${sha('x')}`, ...VERIFY_INPUTS }, /input 'bundle-path' is needed/);
    await fails(
      VERIFY,
      { 'subject-path': 'dist/*.tgz', 'bundle-path': 'a.json, b.json, c.json', ...VERIFY_INPUTS },
      /has 3 bundles for 2 artifacts/,
    );
  });
});
