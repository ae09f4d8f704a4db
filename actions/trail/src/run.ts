import { chmodSync, existsSync, globSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';
import {
  errorMessage,
  InputError,
  type StepIO,
  type StepResult,
  sha256Hex,
  trailPath,
  verifyChain,
} from '@airlock/core';
import {
  chooseEndpoints,
  decodeJwtClaims,
  embeddedPublicGoodRoot,
  KeylessSigner,
  parseTrustedRoot,
  type Trust,
} from '@airlock/signing';
import {
  buildTrailStatement,
  sigstoreStatementVerifier,
  type TrailToSeal,
  TrailVerifyError,
  verifyTrail,
} from '@airlock/trail';

export interface Inputs {
  readonly mode: 'seal' | 'verify';
  readonly trailPaths: readonly string[];
  readonly sign: boolean;
  readonly upload: boolean;
  readonly artifactName: string;
  readonly retentionDays: number | undefined;
  readonly instance: 'public-good' | 'staging';
  readonly fulcioUrl: string | undefined;
  readonly rekorUrl: string | undefined;
  readonly tsaUrl: string | undefined;
  readonly signingConfig: string | undefined;
  readonly bundlePath: string | undefined;
  readonly certificateIdentity: string | undefined;
  readonly certificateIssuer: string;
  readonly trustedRoot: string;
  readonly jobLog: string | undefined;
}

export function run(inputs: Inputs, io: StepIO): Promise<StepResult> {
  return inputs.mode === 'seal' ? seal(inputs, io) : verify(inputs, io);
}

function read(io: StepIO, path: string, what: string): string {
  try {
    return readFileSync(resolve(io.workspace, path), 'utf8');
  } catch (cause) {
    throw new InputError(
      'input-invalid',
      `${what}: cannot read ${path}: ${(cause as NodeJS.ErrnoException).code ?? cause}`,
    );
  }
}

function loadTrust(io: StepIO, trustedRoot: string): Trust {
  return trustedRoot === 'public-good'
    ? embeddedPublicGoodRoot()
    : parseTrustedRoot(read(io, trustedRoot, "input 'trusted-root'"), `input 'trusted-root' (${trustedRoot})`);
}

/** The trail files a seal covers: the given paths and globs (in the workspace), or this job's own trail. */
function trailFiles(inputs: Inputs, io: StepIO, runnerTemp: string): Array<{ path: string; name: string }> {
  if (inputs.trailPaths.length === 0) return [{ path: trailPath(runnerTemp), name: 'trail.jsonl' }];
  const files: string[] = [];
  for (const pattern of inputs.trailPaths) {
    const matches = /[*?[{]/.test(pattern) ? globSync(pattern, { cwd: io.workspace }).sort() : [pattern];
    if (matches.length === 0) {
      throw new InputError('input-invalid', `input 'trail-path': '${pattern}' matches no file in the workspace`);
    }
    files.push(...matches.map((m) => resolve(io.workspace, m)));
  }
  const unique = [...new Set(files)];
  return unique.map((path) => ({
    path,
    name: unique.length === 1 ? 'trail.jsonl' : relative(io.workspace, path).split('\\').join('/'),
  }));
}

async function seal(inputs: Inputs, io: StepIO): Promise<StepResult> {
  for (const [key, input] of [
    ['bundlePath', 'bundle-path'],
    ['certificateIdentity', 'certificate-identity'],
    ['jobLog', 'job-log'],
  ] as const) {
    if (inputs[key] !== undefined) {
      throw new InputError('input-invalid', `input '${input}' belongs to mode verify; this step seals`);
    }
  }
  if (io.runnerTemp === undefined) {
    throw new InputError('input-invalid', 'RUNNER_TEMP is not set: the seal runs inside a GitHub Actions job');
  }
  const files = trailFiles(inputs, io, io.runnerTemp);
  const own = files[0]?.path as string;
  if (inputs.trailPaths.length === 0 && !existsSync(own)) {
    io.log.warning(
      `trail: nothing to seal: there is no Airlock trail at ${own} yet. Each job has its own trail, written by the Airlock actions that ran earlier in the same job; put this step after them (with \`if: always()\`).`,
    );
    io.summary.heading('Airlock trail').paragraph('Nothing to seal: no Airlock action ran earlier in this job.');
    return { result: { sealed: false, reason: 'no trail' } };
  }
  const trails: TrailToSeal[] = files.map(({ path, name }) => {
    const text = read(io, path, 'the trail');
    const chain = verifyChain(text, name);
    if (!chain.ok) {
      throw new TrailVerifyError(
        'trail-broken',
        `cannot seal the trail: ${chain.message}. It was changed after it was written; the records before it verified (${chain.records.length}).`,
      );
    }
    return { name, text, records: chain.records, hashes: chain.hashes };
  });
  const records = trails.reduce((n, t) => n + t.records.length, 0);
  const signed = inputs.sign ? await signTrails(inputs, io, trails) : undefined;

  const dir = join(io.runnerTemp, 'airlock', `seal-${Date.now().toString(36)}`);
  const written: string[] = [];
  const write = (name: string, content: string) => {
    const file = join(dir, name);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, content, { mode: 0o600 });
    chmodSync(file, 0o600);
    written.push(file);
    return file;
  };
  const sealedPaths = trails.map((t) => write(t.name, t.text));
  const bundlePath = signed === undefined ? undefined : write('trail.sigstore.json', signed.json);
  let artifactId: number | undefined;
  if (inputs.upload) {
    try {
      const uploaded = await new DefaultArtifactClient().uploadArtifact(inputs.artifactName, written, dir, {
        ...(inputs.retentionDays === undefined ? {} : { retentionDays: inputs.retentionDays }),
      });
      artifactId = uploaded.id;
    } catch (error) {
      throw new TrailVerifyError(
        'trail-unreadable',
        `the trail was ${signed ? 'sealed' : 'checked'} (${dir}) but uploading artifact '${inputs.artifactName}' failed: ${errorMessage(error)}. Set upload: false to keep it on the runner only.`,
      );
    }
  }
  const digests = trails.map((t) => sha256Hex(t.text));
  if (bundlePath !== undefined) io.setOutput('bundle-path', bundlePath);
  io.setOutput('sealed-trail-path', sealedPaths.join('\n'));
  io.setOutput('trail-sha256', digests.join('\n'));
  io.setOutput('records', String(records));
  io.setOutput('head', trails.map((t) => t.hashes.at(-1) ?? '').join('\n'));
  if (signed?.tlog !== undefined) io.setOutput('log-index', String(signed.tlog.logIndex));
  if (artifactId !== undefined) io.setOutput('artifact-id', String(artifactId));
  const what = `${trails.length === 1 ? '' : `${trails.length} trails, `}${records} records`;
  io.log.info(
    signed === undefined
      ? `trail: checked ${what}; not signed (sign: false): a job with id-token: write must seal the uploaded trail`
      : `trail: sealed ${what} as ${signed.certificate.identity}`,
  );
  io.summary
    .heading(signed === undefined ? 'Airlock trail checked (unsigned)' : 'Airlock trail sealed')
    .paragraph(
      `${what}${signed ? `, signed by ${signed.certificate.identity}${signed.tlog ? ` (Rekor log index ${signed.tlog.logIndex})` : ''}` : ', not signed'}${artifactId !== undefined ? `, artifact '${inputs.artifactName}' (id ${artifactId})` : ''}.`,
    )
    .table(
      ['trail', '#', 'action', 'phase', 'step', 'outcome', 'time'],
      trails.flatMap((t) =>
        t.records.map((r) => [t.name, String(r.seq), r.action.name, r.action.phase, r.step ?? '', r.outcome, r.time]),
      ),
      'records',
    );
  return {
    result: {
      sealed: signed !== undefined,
      trails: trails.map((t, i) => ({
        name: t.name,
        records: t.records.length,
        head: t.hashes.at(-1) ?? '',
        sha256: digests[i] as string,
      })),
      signer: signed?.certificate.identity ?? null,
      log_index: signed?.tlog?.logIndex ?? null,
      artifact_id: artifactId ?? null,
    },
    subjects: trails.map((t, i) => ({ name: t.name, digest: { sha256: digests[i] as string } })),
  };
}

/** Sign the statement over the trails keylessly, then check the new seal verifies for each of them (fail closed). */
async function signTrails(inputs: Inputs, io: StepIO, trails: readonly TrailToSeal[]) {
  const trust = loadTrust(io, inputs.trustedRoot);
  const endpoints = chooseEndpoints({
    staging: inputs.instance === 'staging',
    ...(inputs.signingConfig === undefined
      ? {}
      : {
          signingConfig: {
            text: read(io, inputs.signingConfig, "input 'signing-config'"),
            source: `input 'signing-config' (${inputs.signingConfig})`,
          },
        }),
    ...(inputs.fulcioUrl === undefined ? {} : { fulcioUrl: inputs.fulcioUrl }),
    ...(inputs.rekorUrl === undefined ? {} : { rekorUrl: inputs.rekorUrl }),
    ...(inputs.tsaUrl === undefined ? {} : { tsaUrl: inputs.tsaUrl }),
    now: io.now(),
  });
  const token = await io.idTokens.getToken('sigstore');
  const claims = decodeJwtClaims(token);
  if (typeof claims.job_workflow_ref === 'string') io.identify({ jobWorkflowRef: claims.job_workflow_ref });
  let pending: string | undefined = token;
  const signer = new KeylessSigner({
    http: io.http({ timeoutMs: 30_000 }),
    endpoints,
    identityToken: async () => {
      const next = pending ?? (await io.idTokens.getToken('sigstore'));
      pending = undefined;
      return next;
    },
    now: io.now,
  });
  const statement = buildTrailStatement(trails);
  const signed = await signer.signStatement(statement as unknown as Parameters<KeylessSigner['signStatement']>[0]);
  const issuer = typeof claims.iss === 'string' ? claims.iss : inputs.certificateIssuer;
  for (const trail of trails) {
    const check = await verifyTrail({
      trailText: trail.text,
      trailName: trail.name,
      bundle: signed.json,
      policy: { identity: signed.certificate.identity, issuer },
      verifyStatement: sigstoreStatementVerifier(trust, 'the new seal'),
    });
    if (!check.ok)
      throw new TrailVerifyError('trail-not-verified', `the new seal does not verify: ${check.failure?.message}`);
  }
  return signed;
}

async function verify(inputs: Inputs, io: StepIO): Promise<StepResult> {
  const trailFile = inputs.trailPaths[0];
  if (trailFile === undefined || inputs.trailPaths.length > 1) {
    throw new InputError(
      'input-missing',
      "mode verify needs exactly one 'trail-path': the trail.jsonl downloaded from the sealing job",
    );
  }
  if (inputs.bundlePath === undefined || inputs.certificateIdentity === undefined) {
    throw new InputError(
      'input-missing',
      "mode verify needs input 'bundle-path' (the seal's trail.sigstore.json) and 'certificate-identity' (the workflow that sealed it): an unsigned trail proves nothing to another job",
    );
  }
  const text = read(io, trailFile, "input 'trail-path'");
  const bundle = read(io, inputs.bundlePath, "input 'bundle-path'");
  const log = inputs.jobLog === undefined ? undefined : read(io, inputs.jobLog, "input 'job-log'");
  const result = await verifyTrail({
    trailText: text,
    trailName: trailFile,
    bundle,
    policy: { identity: inputs.certificateIdentity, issuer: inputs.certificateIssuer },
    verifyStatement: sigstoreStatementVerifier(loadTrust(io, inputs.trustedRoot), inputs.bundlePath),
    ...(log === undefined ? {} : { log }),
  });
  io.summary.heading(`Airlock trail ${result.ok ? 'verified' : 'NOT verified'}`).table(
    ['check', 'result', 'detail'],
    result.checks.map((c) => [c.check, c.ok ? 'ok' : 'FAILED', c.detail]),
    'checks',
  );
  if (!result.ok) {
    throw new TrailVerifyError('trail-not-verified', `the trail does not verify: ${result.failure?.message}`);
  }
  const trailSha = sha256Hex(text);
  io.setOutput('verified', 'true');
  io.setOutput('trail-sha256', trailSha);
  io.setOutput('records', String(result.records.length));
  io.setOutput('head', result.hashes.at(-1) ?? '');
  io.log.info(`trail: ${trailFile} verified: ${result.checks.map((c) => c.detail).join('; ')}`);
  return {
    result: {
      verified: true,
      records: result.records.length,
      signer: result.signer?.identity ?? null,
      witnessed: log !== undefined,
    },
    subjects: [{ name: basename(trailFile), digest: { sha256: trailSha } }],
  };
}
