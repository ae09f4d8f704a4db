import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
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
import { buildTrailStatement, sigstoreStatementVerifier, TrailVerifyError, verifyTrail } from '@airlock/trail';

export interface Inputs {
  readonly mode: 'seal' | 'verify';
  readonly trailPath: string | undefined;
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

async function seal(inputs: Inputs, io: StepIO): Promise<StepResult> {
  for (const name of ['bundlePath', 'certificateIdentity', 'jobLog'] as const) {
    if (inputs[name] !== undefined) {
      throw new InputError(
        'input-invalid',
        `input '${name === 'bundlePath' ? 'bundle-path' : name === 'jobLog' ? 'job-log' : 'certificate-identity'}' belongs to mode verify; this step seals`,
      );
    }
  }
  if (io.runnerTemp === undefined) {
    throw new InputError('input-invalid', 'RUNNER_TEMP is not set: the seal runs inside a GitHub Actions job');
  }
  const path = inputs.trailPath === undefined ? trailPath(io.runnerTemp) : resolve(io.workspace, inputs.trailPath);
  if (!existsSync(path)) {
    io.log.warning(
      `trail: nothing to seal: there is no Airlock trail at ${path} yet. Each job has its own trail, written by the Airlock actions that ran earlier in the same job; put this step after them (with \`if: always()\`).`,
    );
    io.summary.heading('Airlock trail').paragraph('Nothing to seal: no Airlock action ran earlier in this job.');
    return { result: { sealed: false, reason: 'no trail' } };
  }
  const text = read(io, path, 'the trail');
  const chain = verifyChain(text, basename(path));
  if (!chain.ok) {
    throw new TrailVerifyError(
      'trail-broken',
      `cannot seal the trail: ${chain.message}. It was changed after it was written; the records before it verified (${chain.records.length}).`,
    );
  }
  const statement = buildTrailStatement(text, chain.records, chain.hashes, 'trail.jsonl');
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
  const signed = await signer.signStatement(statement as unknown as Parameters<KeylessSigner['signStatement']>[0]);

  // Fail closed: the seal must verify, with the identity it claims, before anything relies on it.
  const issuer = typeof claims.iss === 'string' ? claims.iss : inputs.certificateIssuer;
  const check = await verifyTrail({
    trailText: text,
    trailName: 'trail.jsonl',
    bundle: signed.json,
    policy: { identity: signed.certificate.identity, issuer },
    verifyStatement: sigstoreStatementVerifier(trust, 'the new seal'),
  });
  if (!check.ok)
    throw new TrailVerifyError('trail-not-verified', `the new seal does not verify: ${check.failure?.message}`);

  const last = chain.records.at(-1)?.seq ?? 0;
  const dir = join(io.runnerTemp, 'airlock', `seal-${last}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const sealedTrail = join(dir, 'trail.jsonl');
  const bundlePath = join(dir, 'trail.sigstore.json');
  for (const [file, content] of [
    [sealedTrail, text],
    [bundlePath, signed.json],
  ] as const) {
    writeFileSync(file, content, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  const trailSha = sha256Hex(text);
  const head = chain.hashes.at(-1) ?? '';
  let artifactId: number | undefined;
  if (inputs.upload) {
    try {
      const uploaded = await new DefaultArtifactClient().uploadArtifact(
        inputs.artifactName,
        [sealedTrail, bundlePath],
        dir,
        {
          ...(inputs.retentionDays === undefined ? {} : { retentionDays: inputs.retentionDays }),
        },
      );
      artifactId = uploaded.id;
    } catch (error) {
      throw new TrailVerifyError(
        'trail-unreadable',
        `the trail was sealed (${bundlePath}) but uploading artifact '${inputs.artifactName}' failed: ${errorMessage(error)}. Set upload: false to keep the seal on the runner only.`,
      );
    }
  }
  io.setOutput('bundle-path', bundlePath);
  io.setOutput('sealed-trail-path', sealedTrail);
  io.setOutput('trail-sha256', trailSha);
  io.setOutput('records', String(chain.records.length));
  io.setOutput('head', head);
  if (signed.tlog !== undefined) io.setOutput('log-index', String(signed.tlog.logIndex));
  if (artifactId !== undefined) io.setOutput('artifact-id', String(artifactId));
  io.log.info(`trail: sealed ${chain.records.length} records (head ${head}) as ${signed.certificate.identity}`);
  io.summary
    .heading('Airlock trail sealed')
    .paragraph(
      `${chain.records.length} records, head ${head}, signed by ${signed.certificate.identity}${signed.tlog ? ` (Rekor log index ${signed.tlog.logIndex})` : ''}${artifactId !== undefined ? `, artifact '${inputs.artifactName}' (id ${artifactId})` : ''}.`,
    )
    .table(
      ['#', 'action', 'phase', 'step', 'outcome', 'time'],
      chain.records.map((r) => [String(r.seq), r.action.name, r.action.phase, r.step ?? '', r.outcome, r.time]),
      'records',
    );
  return {
    result: {
      sealed: true,
      records: chain.records.length,
      head,
      trail_sha256: trailSha,
      signer: signed.certificate.identity,
      log_index: signed.tlog?.logIndex ?? null,
      artifact_id: artifactId ?? null,
    },
    subjects: [{ name: 'trail.jsonl', digest: { sha256: trailSha } }],
  };
}

async function verify(inputs: Inputs, io: StepIO): Promise<StepResult> {
  if (inputs.trailPath === undefined) {
    throw new InputError(
      'input-missing',
      "input 'trail-path' is required in mode verify: the trail.jsonl downloaded from the sealing job",
    );
  }
  if (inputs.bundlePath === undefined || inputs.certificateIdentity === undefined) {
    throw new InputError(
      'input-missing',
      "mode verify needs input 'bundle-path' (the seal's trail.sigstore.json) and 'certificate-identity' (the workflow that sealed it): an unsigned trail proves nothing to another job",
    );
  }
  const text = read(io, inputs.trailPath, "input 'trail-path'");
  const bundle = read(io, inputs.bundlePath, "input 'bundle-path'");
  const log = inputs.jobLog === undefined ? undefined : read(io, inputs.jobLog, "input 'job-log'");
  const result = await verifyTrail({
    trailText: text,
    trailName: inputs.trailPath,
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
  io.log.info(`trail: ${inputs.trailPath} verified: ${result.checks.map((c) => c.detail).join('; ')}`);
  return {
    result: {
      verified: true,
      records: result.records.length,
      signer: result.signer?.identity ?? null,
      witnessed: log !== undefined,
    },
    subjects: [{ name: basename(inputs.trailPath), digest: { sha256: trailSha } }],
  };
}
