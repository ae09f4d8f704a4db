/**
 *   npm start [-- --enforce] [--project PATH] [--out report.html]
 *
 * Runs Airlock's chain on a sample project, offline: the real bundled actions (dist/) through the runner-faithful
 * harness, against loopback services started here (GitHub OIDC provider, AWS STS + Secrets Manager, Sigstore, the
 * artifact service). One job: audit → exchange (short-lived AWS credentials and a just-in-time deploy token) →
 * build under the redactor → secret scan of the artifacts → dependency scan (an advisory database built from
 * examples/demo/advisories) → sign → verify → seal the trail; then the sealed trail is verified against the job's log.
 * A progress line per stage, a summary table, and report.html.
 *
 * Exit 0 under the demo policy (findings are reported); with --enforce, findings fail their stage and the run exits 1.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type CliIO, commands, runCli } from '@airlock/cli';
import { type JsonObject, verifyChain } from '@airlock/core';
import { Job, OidcProvider, type StepRun } from '@airlock/testkit';
import { ArtifactService } from '@airlock/testkit/artifacts';
import { AwsEmulator } from '@airlock/testkit/aws';
import { RUNNER_ENCODERS } from '@airlock/testkit/runner-encoders';
import { LoopbackSigstore } from '@airlock/testkit/sigstore';
import { writeZip } from '@airlock/testkit/zip';
import { timeline } from '@airlock/trail';
import { type DemoReport, flattenFacts, renderReport, type StageReport } from './demo/report.ts';
import { ROOT } from './lib/actions.ts';

const DEMO = join(ROOT, 'examples/demo');
const REPOSITORY = 'acme/demo-app';
const WORKFLOW = '.github/workflows/release.yml';
const ROLE = 'arn:aws:iam::111122223333:role/demo-deploy';
const action = (name: string) => join(ROOT, 'actions', name);

export interface DemoOptions {
  readonly project?: string;
  readonly enforce?: boolean;
  readonly out?: string;
  /** Where progress goes (stdout by default). */
  readonly write?: (text: string) => void;
}

export interface DemoResult {
  readonly ok: boolean;
  readonly report: DemoReport;
  readonly reportPath: string;
  readonly seconds: number;
}

const errors = (run: StepRun) => run.annotations.filter((a) => a.level === 'error').map((a) => a.message);

/** The offline OSV database: the demo's advisories as npm/all.zip, plus the real Go and PyPI exports when present. */
function buildAdvisoryDb(dir: string, advisories: string): void {
  mkdirSync(join(dir, 'npm'), { recursive: true });
  const entries: Record<string, Buffer> = {};
  for (const file of existsSync(advisories) ? readdirSync(advisories) : []) {
    if (file.endsWith('.json')) entries[file] = readFileSync(join(advisories, file));
  }
  writeFileSync(join(dir, 'npm', 'all.zip'), writeZip(entries));
  for (const ecosystem of ['Go', 'PyPI']) {
    const shared = join(ROOT, '..', 'shared', 'osv', ecosystem, 'all.zip');
    if (existsSync(shared)) {
      mkdirSync(join(dir, ecosystem), { recursive: true });
      cpSync(shared, join(dir, ecosystem, 'all.zip'));
    }
  }
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const tty = options.write === undefined && process.stdout.isTTY === true;
  const started = Date.now();
  const project = resolve(options.project ?? DEMO);
  if (!existsSync(project)) throw new Error(`npm start: --project ${project} does not exist`);
  const enforce = options.enforce === true;
  const work = join(tmpdir(), `airlock-demo-${randomBytes(4).toString('hex')}`);
  mkdirSync(work, { recursive: true });

  // A deploy token that exists only for this run, kept in the loopback Secrets Manager.
  const deployToken = `dpt_${randomBytes(18).toString('base64url')}`;
  const oidc = await OidcProvider.start({
    claims: { repository: REPOSITORY, workflow_ref: `${REPOSITORY}/${WORKFLOW}@refs/heads/main` },
  });
  const [sigstore, artifacts, aws] = await Promise.all([
    LoopbackSigstore.start({ issuers: [{ issuer: oidc.issuer, jwks: () => oidc.jwks() }] }),
    ArtifactService.start(),
    AwsEmulator.start({
      oidc: { issuer: oidc.issuer, clientIds: ['sts.amazonaws.com'] },
      roles: [{ arn: ROLE, webIdentity: { subject: `repo:${REPOSITORY}:*`, claims: { repository: REPOSITORY } } }],
      secrets: [{ name: 'demo/deploy-token', value: deployToken, readers: [ROLE] }],
    }),
  ]);
  const job = new Job({
    repository: REPOSITORY,
    workflow: 'release',
    workflowRef: `${REPOSITORY}/${WORKFLOW}@refs/heads/main`,
    job: 'release',
    workspace: join(work, 'workspace'),
    idToken: oidc.env(),
    env: artifacts.env(),
    secrets: [artifacts.runtimeToken],
    maskEncoders: RUNNER_ENCODERS, // the real runner's masking, so the log shows what GitHub would show
  });
  cpSync(project, job.workspace, {
    recursive: true,
    filter: (src) => !src.includes(`${'/'}node_modules`) && !src.endsWith('/.git'),
  });
  sigstore.writeFiles(job.workspace);
  const db = join(work, 'osv');
  buildAdvisoryDb(db, join(project, 'advisories'));

  const stages: StageReport[] = [];
  const runs = new Map<string, StepRun>();
  const stage = async (
    id: string,
    title: string,
    step: () => Promise<StepRun>,
    describe: (run: StepRun) => { headline: string; findings: boolean },
  ) => {
    const t0 = Date.now();
    if (tty) write(`  … ${title}`);
    let run: StepRun;
    try {
      run = await step();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      stages.push({
        id,
        title,
        outcome: 'failed',
        seconds: (Date.now() - t0) / 1000,
        headline: message,
        facts: [],
        errors: [message],
      });
      write(`${tty ? '\r\u001b[2K' : ''}  ✗ ${title.padEnd(44)} ${message}\n`);
      return undefined;
    }
    runs.set(id, run);
    const { headline, findings } = describe(run);
    const outcome: StageReport['outcome'] = run.outcome === 'failure' ? 'failed' : findings ? 'findings' : 'passed';
    const record = lastRecord(job, id);
    stages.push({
      id,
      title,
      outcome,
      seconds: (Date.now() - t0) / 1000,
      headline,
      facts: record === undefined ? [] : flattenFacts(record as JsonObject),
      errors: errors(run),
    });
    const mark = outcome === 'passed' ? '✓' : outcome === 'findings' ? '!' : '✗';
    write(
      `${tty ? '\r\u001b[2K' : ''}  ${mark} ${title.padEnd(44)} ${headline.padEnd(60)} ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );
    return run;
  };

  write(
    `Airlock: running the chain on ${project === DEMO ? 'examples/demo' : project} (${enforce ? 'enforced' : 'demo'} policy, offline)\n`,
  );
  try {
    await stage(
      'audit',
      'audit: workflows against least privilege',
      () =>
        job.step(action('audit'), {
          id: 'audit',
          inputs: { paths: '.', 'fail-on': enforce ? 'high' : 'never', sarif: true },
        }),
      (run) => ({
        headline: `${run.outputs.findings ?? '?'} finding(s), highest ${run.outputs.highest || 'none'}`,
        findings: Number(run.outputs.findings ?? 0) > 0,
      }),
    );
    await stage(
      'exchange',
      'exchange: OIDC → short-lived AWS credentials',
      () =>
        job.step(action('exchange'), {
          id: 'exchange',
          inputs: {
            provider: 'aws',
            issuer: oidc.issuer,
            'role-to-assume': ROLE,
            'aws-region': 'eu-west-1',
            endpoints: `sts=${aws.endpoint}\nsecretsmanager=${aws.endpoint}`,
            'require-claims': `repository=${REPOSITORY}\nref=refs/heads/main\nrunner_environment=github-hosted`,
            secrets: 'DEMO_DEPLOY_TOKEN=aws-sm:demo/deploy-token',
          },
        }),
      (run) => ({
        headline:
          run.outcome === 'success'
            ? `role ${ROLE.split('/').at(-1)} assumed, deploy token fetched just in time`
            : 'refused',
        findings: false,
      }),
    );
    await stage(
      'build',
      'build: under the redactor',
      () =>
        job.step(action('redact'), { id: 'build', inputs: { run: 'sh build.sh', 'secret-env': 'DEMO_DEPLOY_TOKEN' } }),
      (run) => ({
        headline: `exit ${run.outputs['exit-code'] ?? '?'}, ${run.outputs.findings ?? 0} secret occurrence(s) redacted`,
        findings: false,
      }),
    );
    await stage(
      'secrets',
      'redact: scan the artifacts before upload',
      () =>
        job.step(action('redact'), {
          id: 'secrets',
          inputs: { paths: 'dist', 'fail-on-findings': enforce, 'secret-env': 'DEMO_DEPLOY_TOKEN' },
        }),
      (run) => ({
        headline: `${run.outputs.files ?? '?'} file(s), ${run.outputs.findings ?? 0} secret(s) found`,
        findings: Number(run.outputs.findings ?? 0) > 0,
      }),
    );
    await stage(
      'scan',
      'scan: dependencies against OSV advisories',
      () =>
        job.step(action('scan'), {
          id: 'scan',
          inputs: {
            'offline-db': db,
            'fail-on': enforce ? '' : 'none',
            mode: 'full',
            'json-file': 'airlock-scan.json',
          },
        }),
      (run) => ({
        headline: `${run.outputs.packages ?? '?'} packages, ${run.outputs.findings ?? '?'} vulnerable (${run.outputs.critical ?? 0} critical, ${run.outputs.high ?? 0} high), ${run.outputs.ignored ?? 0} ignored`,
        findings: Number(run.outputs.findings ?? 0) > 0,
      }),
    );
    const sign = await stage(
      'sign',
      'sign: SLSA provenance with Sigstore',
      () =>
        job.step(action('sign'), {
          id: 'sign',
          inputs: {
            'subject-path': 'dist/*',
            'signing-config': 'signing_config.json',
            'trusted-root': 'trusted_root.json',
          },
        }),
      (run) => ({
        headline: `${run.outputs['subject-count'] ?? '?'} artifact(s), Rekor log index ${run.outputs['log-index'] ?? '?'}`,
        findings: false,
      }),
    );
    const identity = `https://github.com/${REPOSITORY}/${WORKFLOW}@refs/heads/main`;
    await stage(
      'verify',
      'verify: fail-closed gate on the signer identity',
      () =>
        job.step(action('verify'), {
          id: 'verify',
          inputs: {
            'subject-path': 'dist/*',
            'bundle-path': sign?.outputs['bundle-path'] ?? 'missing.sigstore.json',
            'trusted-root': 'trusted_root.json',
            'certificate-identity': identity,
            'certificate-oidc-issuer': oidc.issuer,
          },
        }),
      (run) => ({
        headline:
          Number(run.outputs.verified ?? 0) > 0
            ? `${run.outputs.verified} artifact(s) verified, signed by the release workflow`
            : 'NOT verified',
        findings: false,
      }),
    );
    const seal = await stage(
      'trail',
      'trail: seal the job’s record and upload it',
      () =>
        job.step(action('trail'), {
          id: 'trail',
          inputs: {
            'signing-config': 'signing_config.json',
            'trusted-root': 'trusted_root.json',
            'artifact-name': 'airlock-trail-release',
          },
        }),
      (run) => ({
        headline: `${run.outputs.records ?? '?'} records sealed, artifact ${run.outputs['artifact-id'] ?? '?'}`,
        findings: false,
      }),
    );

    // Verify the sealed trail the way an auditor would: the CLI, the bundle, the identity and the job's own log.
    const t0 = Date.now();
    const logFile = join(work, 'job.log');
    writeFileSync(logFile, job.log);
    let cliOut = '';
    const io: CliIO = {
      stdout: { write: (t: string) => (cliOut += t) },
      stderr: { write: (t: string) => (cliOut += t) },
      env: {},
      cwd: job.workspace,
    };
    const sealedTrail = seal?.outputs['sealed-trail-path'];
    const code =
      sealedTrail === undefined
        ? 1
        : await runCli(
            [
              'trail',
              'verify',
              sealedTrail,
              '--bundle',
              seal?.outputs['bundle-path'] ?? '',
              '--certificate-identity',
              identity,
              '--certificate-oidc-issuer',
              oidc.issuer,
              '--trusted-root',
              'trusted_root.json',
              '--log',
              logFile,
            ],
            io,
            commands,
          );
    const verifiedTrail = code === 0;
    stages.push({
      id: 'trail-verify',
      title: 'trail verify: chain, seal and job-log witnesses',
      outcome: verifiedTrail ? 'passed' : 'failed',
      seconds: (Date.now() - t0) / 1000,
      headline: verifiedTrail
        ? 'the sealed trail verifies against the signer identity and the job log'
        : 'the sealed trail does NOT verify',
      facts: cliOut.trim().split('\n'),
      errors: verifiedTrail ? [] : [cliOut.trim()],
    });
    write(
      `  ${verifiedTrail ? '✓' : '✗'} ${'trail verify: chain, seal and job-log witnesses'.padEnd(44)} ${(verifiedTrail ? 'verified' : 'NOT verified').padEnd(60)} ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );

    // No form of the deploy token may appear in the log a user sees.
    const forms = [
      deployToken,
      Buffer.from(`demo:${deployToken}`).toString('base64'),
      encodeURIComponent(deployToken),
      JSON.stringify({ token: deployToken }),
    ];
    const leaked = forms.filter((f) => job.log.includes(f) || job.log.includes(f.slice(4, -4)));
    const leakCheck =
      leaked.length === 0
        ? 'Leak check: the deploy token appears in the job log in none of the forms the build printed (plain, base64, URL-encoded, JSON).'
        : `Leak check FAILED: ${leaked.length} form(s) of the deploy token reached the log.`;

    const report = buildReport({
      project: project === DEMO ? 'examples/demo' : project,
      enforce,
      stages,
      runs,
      job,
      leakCheck,
      identity,
    });
    const reportPath = resolve(options.out ?? join(ROOT, 'report.html'));
    writeFileSync(reportPath, renderReport(report));
    const seconds = (Date.now() - started) / 1000;
    write(
      `\n${summaryTable(stages)}\n\n${leakCheck}\n${report.verdict}\nReport: ${reportPath} (${seconds.toFixed(1)} s)\n`,
    );
    return { ok: report.ok && leaked.length === 0, report, reportPath, seconds };
  } finally {
    job.dispose();
    await Promise.all([sigstore.stop(), artifacts.stop(), aws.stop(), oidc.stop()]);
    rmSync(work, { recursive: true, force: true });
  }
}

function lastRecord(job: Job, step: string): Record<string, unknown> | undefined {
  const file = join(job.runnerTemp, 'airlock', 'trail.jsonl');
  if (!existsSync(file)) return undefined;
  const chain = verifyChain(readFileSync(file, 'utf8'));
  const record = chain.records.filter((r) => r.step === step && r.action.phase === 'main').at(-1);
  return record?.result as Record<string, unknown> | undefined;
}

function summaryTable(stages: readonly StageReport[]): string {
  const rows = stages.map((s) => `| ${s.title} | ${s.outcome} | ${s.headline} |`);
  return ['| stage | outcome | result |', '| --- | --- | --- |', ...rows].join('\n');
}

function buildReport(input: {
  project: string;
  enforce: boolean;
  stages: readonly StageReport[];
  runs: ReadonlyMap<string, StepRun>;
  job: Job;
  leakCheck: string;
  identity: string;
}): DemoReport {
  const { stages, runs, job, enforce } = input;
  const failed = stages.filter((s) => s.outcome === 'failed');
  const withFindings = stages.filter((s) => s.outcome === 'findings');
  const ok = failed.length === 0;
  const verdict = ok
    ? withFindings.length === 0
      ? 'Every stage passed.'
      : `The chain ran end to end. ${withFindings.length} stage(s) reported findings (${withFindings.map((s) => s.id).join(', ')}); the demo policy reports them, --enforce makes them fail.`
    : `${failed.length} stage(s) failed: ${failed.map((s) => s.id).join(', ')}.`;

  const audit: Array<{ rule: string; severity: string; where: string; message: string }> = [];
  const sarifFile = runs.get('audit')?.outputs['sarif-file'];
  if (sarifFile !== undefined && existsSync(sarifFile)) {
    const sarif = JSON.parse(readFileSync(sarifFile, 'utf8')) as {
      runs: Array<{
        results: Array<{
          ruleId: string;
          level?: string;
          message: { text: string };
          locations?: Array<{
            physicalLocation?: {
              artifactLocation?: { uri?: string };
              region?: { startLine?: number; startColumn?: number };
            };
          }>;
          properties?: Record<string, unknown>;
        }>;
      }>;
    };
    for (const r of sarif.runs.flatMap((x) => x.results)) {
      const loc = r.locations?.[0]?.physicalLocation;
      audit.push({
        rule: r.ruleId,
        severity: String(r.properties?.severity ?? r.level ?? ''),
        where: `${loc?.artifactLocation?.uri ?? '?'}:${loc?.region?.startLine ?? '?'}:${loc?.region?.startColumn ?? '?'}`,
        message: r.message.text,
      });
    }
  }
  const vulnerabilities: Array<{ id: string; pkg: string; severity: string; status: string }> = [];
  const scanJson = join(job.workspace, 'airlock-scan.json');
  if (existsSync(scanJson)) {
    const scan = JSON.parse(readFileSync(scanJson, 'utf8')) as {
      findings: Array<{
        id: string;
        package: { name: string; version: string };
        severity: { level: string; score?: number };
        disposition: { kind: string; reason?: string };
      }>;
    };
    for (const f of scan.findings) {
      vulnerabilities.push({
        id: f.id,
        pkg: `${f.package.name}@${f.package.version}`,
        severity: `${f.severity.level}${f.severity.score === undefined ? '' : ` (${f.severity.score})`}`,
        status: f.disposition.kind === 'ignored' ? `ignored: ${f.disposition.reason}` : f.disposition.kind,
      });
    }
  }
  const redactions: Array<{ rule: string; count: number }> = [];
  for (const id of ['build', 'secrets']) {
    const byRule = runs.get(id)?.outputs['findings-by-rule'];
    if (byRule === undefined || byRule === '') continue;
    try {
      for (const [rule, count] of Object.entries(JSON.parse(byRule) as Record<string, number>))
        redactions.push({ rule: `${id}: ${rule}`, count });
    } catch {
      redactions.push({ rule: `${id}: ${byRule}`, count: Number(runs.get(id)?.outputs.findings ?? 0) });
    }
  }
  const signed: Array<{ name: string; sha256: string }> = [];
  const trailFile = join(job.runnerTemp, 'airlock', 'trail.jsonl');
  const chain = existsSync(trailFile) ? verifyChain(readFileSync(trailFile, 'utf8')) : undefined;
  for (const r of chain?.records ?? []) {
    if (r.action.name === 'sign')
      for (const s of r.subjects) signed.push({ name: s.name, sha256: s.digest.sha256 ?? '' });
  }
  const verify = runs.get('verify');
  const verification =
    Number(verify?.outputs.verified ?? 0) > 0
      ? `Every signed artifact verified against ${input.identity} (exact identity, trusted root of the loopback Sigstore).`
      : `Verification failed: ${verify === undefined ? 'the stage did not run' : errors(verify).join('; ')}`;
  return {
    project: input.project,
    enforce,
    ok,
    verdict,
    stages,
    audit,
    vulnerabilities,
    redactions,
    signed,
    verification,
    leakCheck: input.leakCheck,
    timeline: chain === undefined ? [] : timeline(chain.records, chain.hashes),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { enforce: { type: 'boolean', default: false }, project: { type: 'string' }, out: { type: 'string' } },
  });
  try {
    const result = await runDemo({
      enforce: values.enforce === true,
      ...(values.project === undefined ? {} : { project: values.project }),
      ...(values.out === undefined ? {} : { out: values.out }),
    });
    process.exitCode = result.ok ? 0 : 1;
  } catch (error) {
    console.error(`npm start: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 3;
  }
}
