import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CliIO, commands, runCli } from '@airlock/cli';
import { verifyChain } from '@airlock/core';
import { Job, type JobOptions, OidcProvider, type StepRun } from '@airlock/testkit';
import { ArtifactService } from '@airlock/testkit/artifacts';
import { LoopbackSigstore } from '@airlock/testkit/sigstore';
import { readZip } from '@airlock/testkit/zip';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { actionDir } from '../../support/paths.ts';

/**
 * The trail end to end: several built Airlock actions run in one simulated job and append to its trail; the trail
 * action seals it with the loopback Sigstore (Fulcio checks the job's OIDC token) and uploads it to a loopback
 * artifact service; a downstream job verifies the sealed trail with the upstream job's combined log.
 */
const TRAIL = actionDir('trail');
const SIGN = actionDir('sign');
const VERIFY = actionDir('verify');
const AUDIT = actionDir('audit');
const ISSUER = 'https://token.actions.githubusercontent.com';
const IDENTITY = 'https://github.com/acme/app/.github/workflows/ci.yml@refs/heads/main';

let oidc: OidcProvider;
let sigstore: LoopbackSigstore;
let artifacts: ArtifactService;
const jobs: Job[] = [];

beforeAll(async () => {
  oidc = await OidcProvider.start({ claims: { iss: ISSUER } });
  sigstore = await LoopbackSigstore.start({ issuers: [{ issuer: ISSUER, jwks: () => oidc.jwks() }] });
  artifacts = await ArtifactService.start();
});
afterAll(async () => {
  await Promise.all([sigstore.stop(), oidc.stop(), artifacts.stop()]);
});
afterEach(() => {
  for (const job of jobs.splice(0)) job.dispose();
  artifacts.failCreateWith = undefined;
});

function newJob(options: JobOptions = {}): Job {
  const job = new Job({
    idToken: oidc.env(),
    env: artifacts.env(),
    secrets: [artifacts.runtimeToken],
    job: 'build',
    ...options,
  });
  jobs.push(job);
  sigstore.writeFiles(job.workspace);
  mkdirSync(join(job.workspace, 'dist'), { recursive: true });
  writeFileSync(join(job.workspace, 'dist', 'app.tgz'), 'app contents\n');
  mkdirSync(join(job.workspace, '.github', 'workflows'), { recursive: true });
  writeFileSync(
    join(job.workspace, '.github', 'workflows', 'ci.yml'),
    'name: CI\non: push\npermissions: {}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n    steps:\n      - run: echo hello\n',
  );
  return job;
}

const SEAL_INPUTS = { 'signing-config': 'signing_config.json', 'trusted-root': 'trusted_root.json' };
const errors = (run: StepRun) => run.annotations.filter((a) => a.level === 'error').map((a) => a.message);

/** Runs audit, sign and verify, then seals. */
async function sealedJob(artifactName = `trail-${jobs.length}`) {
  const job = newJob();
  const steps = [
    await job.step(AUDIT, { id: 'audit', inputs: { paths: '.github/workflows' } }),
    await job.step(SIGN, { id: 'sign', inputs: { 'subject-path': 'dist/app.tgz', ...SEAL_INPUTS } }),
  ];
  steps.push(
    await job.step(VERIFY, {
      id: 'verify',
      inputs: {
        'subject-path': 'dist/app.tgz',
        'bundle-path': steps[1]?.outputs['bundle-path'] as string,
        'trusted-root': 'trusted_root.json',
        'certificate-identity': IDENTITY,
      },
    }),
  );
  for (const s of steps) expect(s.outcome, `${s.id}: ${s.log}`).toBe('success');
  const seal = await job.step(TRAIL, { id: 'seal', inputs: { ...SEAL_INPUTS, 'artifact-name': artifactName } });
  return { job, steps, seal };
}

describe('trail seal', () => {
  it('seals the records of the actions before it, uploads them, and a downstream job verifies with the log', async () => {
    const { job, seal } = await sealedJob('sealed-build');
    expect(seal.outcome, seal.log).toBe('success');
    expect(seal.outputs.records).toBe('3');
    const sealedTrail = readFileSync(seal.outputs['sealed-trail-path'] as string, 'utf8');
    const chain = verifyChain(sealedTrail);
    expect(chain.ok && chain.records.map((r) => r.action.name)).toEqual(['audit', 'sign', 'verify']);
    // the seal's own record follows in the live trail
    const live = verifyChain(readFileSync(join(job.runnerTemp, 'airlock', 'trail.jsonl'), 'utf8'));
    expect(live.ok && live.records.map((r) => r.action.name)).toEqual(['audit', 'sign', 'verify', 'trail']);
    expect(live.ok && live.records[3]?.github.job_workflow_ref).toBe(
      'acme/app/.github/workflows/ci.yml@refs/heads/main',
    );
    // the artifact holds exactly the sealed trail and its bundle
    const stored = artifacts.artifacts.get('sealed-build');
    expect(stored?.id).toBe(Number(seal.outputs['artifact-id']));
    const files = readZip(stored?.data as Buffer);
    expect([...files.keys()].sort()).toEqual(['trail.jsonl', 'trail.sigstore.json']);
    expect(files.get('trail.jsonl')?.toString()).toBe(sealedTrail);
    expect(seal.summary).toContain('Airlock trail sealed');
    expect(job.log).not.toContain(artifacts.runtimeToken);

    // downstream job: download (here: copy) the artifact, verify against identity, trusted root and the job log
    const downstream = newJob({ job: 'deploy' });
    writeFileSync(join(downstream.workspace, 'trail.jsonl'), files.get('trail.jsonl') as Buffer);
    writeFileSync(join(downstream.workspace, 'trail.sigstore.json'), files.get('trail.sigstore.json') as Buffer);
    writeFileSync(join(downstream.workspace, 'build.log'), job.log);
    const verified = await downstream.step(TRAIL, {
      inputs: {
        mode: 'verify',
        'trail-path': 'trail.jsonl',
        'bundle-path': 'trail.sigstore.json',
        'certificate-identity': IDENTITY,
        'trusted-root': 'trusted_root.json',
        'job-log': 'build.log',
      },
    });
    expect(verified.outcome, verified.log).toBe('success');
    expect(verified.outputs.verified).toBe('true');
    expect(verified.summary).toMatch(/witness \| ok/);

    // and the CLI agrees
    let out = '';
    const io: CliIO = {
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: () => true },
      env: {},
      cwd: downstream.workspace,
    };
    const code = await runCli(
      [
        'trail',
        'verify',
        'trail.jsonl',
        '--bundle',
        'trail.sigstore.json',
        '--certificate-identity',
        IDENTITY,
        '--certificate-oidc-issuer',
        ISSUER,
        '--trusted-root',
        'trusted_root.json',
        '--log',
        'build.log',
      ],
      io,
      commands,
    );
    expect(code, out).toBe(0);
    expect(out).toMatch(/ok {3}signature: signed by https:\/\/github.com\/acme\/app/);
  });

  it('fails verification of a tampered trail, a wrong signer, and a bundle for another trail', async () => {
    const first = await sealedJob('a');
    const second = await sealedJob('b');
    const downstream = newJob({ job: 'deploy' });
    const ws = downstream.workspace;
    const trailA = readFileSync(first.seal.outputs['sealed-trail-path'] as string, 'utf8');
    writeFileSync(join(ws, 'a.jsonl'), trailA);
    writeFileSync(join(ws, 'a.sigstore.json'), readFileSync(first.seal.outputs['bundle-path'] as string));
    writeFileSync(join(ws, 'b.sigstore.json'), readFileSync(second.seal.outputs['bundle-path'] as string));
    writeFileSync(join(ws, 'tampered.jsonl'), trailA.replace('"outcome":"success"', '"outcome":"failure"'));
    const verify = (trail: string, bundle: string, identity = IDENTITY) =>
      downstream.step(TRAIL, {
        inputs: {
          mode: 'verify',
          'trail-path': trail,
          'bundle-path': bundle,
          'certificate-identity': identity,
          'trusted-root': 'trusted_root.json',
        },
      });
    const tampered = await verify('tampered.jsonl', 'a.sigstore.json');
    expect(errors(tampered)[0]).toMatch(
      /^trail: the trail does not verify: tampered\.jsonl:2: record seq 2 does not chain/,
    );
    const wrongSigner = await verify(
      'a.jsonl',
      'a.sigstore.json',
      'https://github.com/acme/app/.github/workflows/other.yml@refs/heads/main',
    );
    expect(errors(wrongSigner)[0]).toMatch(
      /the seal's signature does not verify: .*expected exactly 'https:\/\/github.com\/acme\/app\/.github\/workflows\/other.yml/,
    );
    const otherBundle = await verify('a.jsonl', 'b.sigstore.json');
    expect(errors(otherBundle)[0]).toMatch(/the seal is for another trail/);
  });

  it('refuses to seal a broken chain, and says so when there is no trail yet', async () => {
    const empty = newJob();
    const nothing = await empty.step(TRAIL, { inputs: SEAL_INPUTS });
    expect(nothing.outcome).toBe('success');
    expect(nothing.annotations[0]?.message).toMatch(/nothing to seal: there is no Airlock trail/);
    const job = newJob();
    await job.step(AUDIT, { inputs: { paths: '.github/workflows' } });
    await job.step(AUDIT, { inputs: { paths: '.github/workflows' } });
    const file = join(job.runnerTemp, 'airlock', 'trail.jsonl');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"outcome":"success"', '"outcome":"failure"'));
    const seal = await job.step(TRAIL, { inputs: SEAL_INPUTS });
    expect(seal.outcome).toBe('failure');
    expect(errors(seal)[0]).toMatch(
      /^trail: cannot seal the trail: trail\.jsonl:2: record seq 2 does not chain to record seq 1/,
    );
  });

  it('lets jobs without id-token upload their trail unsigned, and a final job seal them all together', async () => {
    const audit = newJob({ job: 'audit', idToken: {} });
    await audit.step(AUDIT, { inputs: { paths: '.github/workflows' } });
    const unsigned = await audit.step(TRAIL, { inputs: { sign: false, 'artifact-name': 'trail-audit' } });
    expect(unsigned.outcome, unsigned.log).toBe('success');
    expect(unsigned.outputs['bundle-path']).toBeUndefined();
    expect(unsigned.summary).toContain('Airlock trail checked (unsigned)');
    const { job: build } = await sealedJob('trail-build-own');
    const final = newJob({ job: 'seal' });
    for (const [name, job] of [
      ['audit', audit],
      ['build', build],
    ] as const) {
      mkdirSync(join(final.workspace, 'trails', name), { recursive: true });
      writeFileSync(
        join(final.workspace, 'trails', name, 'trail.jsonl'),
        readFileSync(join(job.runnerTemp, 'airlock', 'trail.jsonl')),
      );
    }
    const all = await final.step(TRAIL, {
      inputs: { ...SEAL_INPUTS, 'trail-path': 'trails/*/trail.jsonl', 'artifact-name': 'trails-all' },
    });
    expect(all.outcome, all.log).toBe('success');
    const files = readZip(artifacts.artifacts.get('trails-all')?.data as Buffer);
    expect([...files.keys()].sort()).toEqual([
      'trail.sigstore.json',
      'trails/audit/trail.jsonl',
      'trails/build/trail.jsonl',
    ]);
    for (const name of ['audit', 'build']) {
      writeFileSync(join(final.workspace, `${name}.jsonl`), files.get(`trails/${name}/trail.jsonl`) as Buffer);
      const ok = await final.step(TRAIL, {
        inputs: {
          mode: 'verify',
          'trail-path': `${name}.jsonl`,
          'bundle-path': all.outputs['bundle-path'] as string,
          'certificate-identity': IDENTITY,
          'trusted-root': 'trusted_root.json',
        },
      });
      expect(ok.outcome, ok.log).toBe('success');
    }
  });

  it('reports an artifact service refusal clearly, keeping the seal on the runner', async () => {
    artifacts.failCreateWith = 403;
    const job = newJob();
    await job.step(AUDIT, { inputs: { paths: '.github/workflows' } });
    const seal = await job.step(TRAIL, { inputs: { ...SEAL_INPUTS, 'artifact-name': 'refused' } });
    expect(seal.outcome).toBe('failure');
    expect(errors(seal)[0]).toMatch(
      /the trail was sealed \(.*seal-[a-z0-9]+\) but uploading artifact 'refused' failed: .*Set upload: false/,
    );
    const noUpload = await job.step(TRAIL, { inputs: { ...SEAL_INPUTS, upload: false } });
    expect(noUpload.outcome, noUpload.log).toBe('success');
  });
});
