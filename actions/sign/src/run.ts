import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { InputError, type JsonObject, quote, type StepIO, type StepResult, sha256Hex } from '@airlock/core';
import {
  buildStatement,
  chooseEndpoints,
  decodeJwtClaims,
  githubProvenance,
  KeylessSigner,
  mapLimit,
  parsePredicate,
  parseTrustedRoot,
  resolveSubjects,
  type SignedBundle,
  SigningError,
  SLSA_PROVENANCE_V1,
  type Subject,
  uploadAttestation,
  verifyBundle,
  workflowClaims,
} from '@airlock/signing';

export interface Inputs {
  readonly subjectPaths: readonly string[];
  readonly subjectDigests: readonly string[];
  readonly subjectNames: readonly string[];
  readonly subjectChecksums: readonly string[];
  readonly mode: 'attestation' | 'blob';
  readonly predicateType: string;
  readonly predicate: string | undefined;
  readonly predicatePath: string | undefined;
  readonly bundleDir: string | undefined;
  readonly instance: 'public-good' | 'staging';
  readonly fulcioUrl: string | undefined;
  readonly rekorUrl: string | undefined;
  readonly tsaUrl: string | undefined;
  readonly signingConfig: string | undefined;
  readonly trustedRoot: string | undefined;
  readonly uploadAttestation: boolean;
  readonly githubToken: string | undefined;
}

/** Subjects recorded in the trail record; an attestation's statement digest covers all of them. */
const TRAIL_SUBJECTS = 1000;

interface Written {
  readonly path: string;
  readonly signed: SignedBundle;
  readonly subjects: readonly Subject[];
}

export async function run(inputs: Inputs, io: StepIO): Promise<StepResult> {
  checkInputs(inputs);
  const subjects = await resolveSubjects({
    paths: inputs.subjectPaths,
    digests: inputs.subjectDigests,
    names: inputs.subjectNames,
    checksums: inputs.subjectChecksums,
    root: io.workspace,
  });
  if (subjects.length === 0) {
    throw new InputError(
      'input-missing',
      'nothing to sign: give subject-path, subject-digest with subject-name, or subject-checksums',
    );
  }
  io.log.info(`sign: ${subjects.length} subject(s), ${inputs.mode} mode`);

  const readText = (path: string, input: string) => {
    try {
      return readFileSync(resolve(io.workspace, path), 'utf8');
    } catch (cause) {
      throw new InputError(
        'input-invalid',
        `input '${input}': cannot read ${path}: ${(cause as NodeJS.ErrnoException).code ?? cause}`,
      );
    }
  };
  const endpoints = chooseEndpoints({
    staging: inputs.instance === 'staging',
    ...(inputs.signingConfig === undefined
      ? {}
      : {
          signingConfig: {
            text: readText(inputs.signingConfig, 'signing-config'),
            source: `input 'signing-config' (${inputs.signingConfig})`,
          },
        }),
    ...(inputs.fulcioUrl === undefined ? {} : { fulcioUrl: inputs.fulcioUrl }),
    ...(inputs.rekorUrl === undefined ? {} : { rekorUrl: inputs.rekorUrl }),
    ...(inputs.tsaUrl === undefined ? {} : { tsaUrl: inputs.tsaUrl }),
    now: io.now(),
  });
  const trust =
    inputs.trustedRoot === undefined
      ? undefined
      : parseTrustedRoot(readText(inputs.trustedRoot, 'trusted-root'), `input 'trusted-root' (${inputs.trustedRoot})`);

  // The first token is read here for its claims (provenance, the trail); later certificates ask for fresh ones.
  const firstToken = await io.idTokens.getToken('sigstore');
  const claims = decodeJwtClaims(firstToken);
  const jobWorkflowRef = typeof claims.job_workflow_ref === 'string' ? claims.job_workflow_ref : undefined;
  if (jobWorkflowRef !== undefined) io.identify({ jobWorkflowRef });
  let pending: string | undefined = firstToken;
  const signer = new KeylessSigner({
    http: io.http({ timeoutMs: 30_000 }),
    endpoints,
    identityToken: async () => {
      const token = pending ?? (await io.idTokens.getToken('sigstore'));
      pending = undefined;
      return token;
    },
    now: io.now,
  });
  io.log.info(
    `sign: Fulcio ${endpoints.fulcio}, Rekor ${endpoints.rekor ?? '(none)'}, timestamp authority ${endpoints.tsa ?? '(none)'}`,
  );

  const outDir = (fallback: string) =>
    inputs.bundleDir === undefined ? fallback : resolve(io.workspace, inputs.bundleDir);
  const written: Written[] = [];
  if (inputs.mode === 'attestation') {
    const predicate =
      inputs.predicate !== undefined
        ? parsePredicate(inputs.predicate, "input 'predicate'")
        : inputs.predicatePath !== undefined
          ? parsePredicate(readText(inputs.predicatePath, 'predicate-path'), inputs.predicatePath)
          : inputs.predicateType === SLSA_PROVENANCE_V1
            ? githubProvenance(io.github, workflowClaims(claims))
            : undefined;
    if (predicate === undefined) {
      throw new InputError(
        'input-missing',
        `input 'predicate-type' is ${quote(inputs.predicateType)}: give its predicate with 'predicate' or 'predicate-path' (only ${SLSA_PROVENANCE_V1} is built automatically)`,
      );
    }
    const statement = buildStatement(subjects, inputs.predicateType, predicate);
    const signed = await signer.signStatement(statement);
    const dir = outDir(io.runnerTemp === undefined ? io.workspace : join(io.runnerTemp, 'airlock'));
    const path = join(dir, `attestation-${sha256Hex(JSON.stringify(statement)).slice(0, 16)}.sigstore.json`);
    writeBundle(path, signed.json, inputs.bundleDir === undefined && io.runnerTemp !== undefined);
    written.push({ path, signed, subjects });
  } else {
    const results = await mapLimit(subjects, 4, async (subject) => {
      const signed = await signer.signDigestBundle(subject.digest.sha256);
      let path: string;
      if (inputs.bundleDir !== undefined) path = join(outDir(''), `${subject.name.replace(/^\/+/, '')}.sigstore.json`);
      else if (subject.path !== undefined) path = `${subject.path}.sigstore.json`;
      else {
        throw new InputError(
          'input-missing',
          `blob mode needs input 'bundle-dir' for ${quote(subject.name)}, which has a digest but no file to write the bundle beside`,
        );
      }
      writeBundle(path, signed.json, false);
      return { path, signed, subjects: [subject] };
    });
    written.push(...results);
  }

  if (trust !== undefined) {
    for (const w of written) {
      const subject = w.subjects[0] as Subject;
      await verifyBundle({
        bundle: w.signed.json,
        source: w.path,
        artifact: { kind: 'digest', sha256: subject.digest.sha256 },
        trust,
        policy: { identity: w.signed.certificate.identity },
      });
    }
    io.log.info(`sign: every bundle verifies against ${trust.source}`);
  }

  let uploaded: { id: string; url: string } | undefined;
  if (inputs.uploadAttestation) {
    const [first] = written;
    if (io.github.repository === undefined)
      throw new InputError('input-invalid', 'upload-attestation needs GITHUB_REPOSITORY');
    if (inputs.githubToken === undefined)
      throw new InputError('input-missing', "upload-attestation needs input 'github-token'");
    uploaded = await uploadAttestation({
      bundle: (first as Written).signed.bundle,
      repository: io.github.repository,
      token: inputs.githubToken,
      apiUrl: io.github.apiUrl,
      serverUrl: io.github.serverUrl,
      fetch: globalThis.fetch,
      userAgent: `airlock-sign/${io.action.version}`,
    });
    io.log.info(`sign: attestation stored: ${uploaded.url}`);
  }

  const paths = written.map((w) => w.path);
  const firstLog = written[0]?.signed.tlog;
  io.setOutput('bundle-path', paths[0] ?? '');
  io.setOutput('bundle-paths', paths);
  io.setOutput('subject-count', subjects.length);
  io.setOutput('log-index', firstLog === undefined ? '' : String(firstLog.logIndex));
  io.setOutput('attestation-id', uploaded?.id ?? '');
  io.setOutput('attestation-url', uploaded?.url ?? '');
  for (const w of written) {
    io.log.info(
      `sign: ${w.path}${w.signed.tlog === undefined ? '' : ` (Rekor log index ${w.signed.tlog.logIndex})`}${w.signed.timestamped ? ', timestamped' : ''}`,
    );
  }

  summarize(io, inputs, subjects, written, uploaded);
  const result: JsonObject = {
    mode: inputs.mode,
    subjects: subjects.length,
    identity: written[0]?.signed.certificate.identity ?? null,
    bundles: written.length,
    log_indexes: written
      .flatMap((w) => (w.signed.tlog === undefined ? [] : [w.signed.tlog.logIndex]))
      .slice(0, TRAIL_SUBJECTS),
    attestation_url: uploaded?.url ?? null,
  };
  if (inputs.mode === 'attestation') result.predicate_type = inputs.predicateType;
  return {
    result,
    subjects: subjects.slice(0, TRAIL_SUBJECTS).map((s) => ({ name: s.name, digest: { sha256: s.digest.sha256 } })),
  };
}

function checkInputs(inputs: Inputs): void {
  for (const [name, value] of [
    ['fulcio-url', inputs.fulcioUrl],
    ['rekor-url', inputs.rekorUrl],
    ['tsa-url', inputs.tsaUrl],
  ] as const) {
    if (value === undefined) continue;
    const url = new URL(value);
    if (url.protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
      throw new InputError(
        'input-invalid',
        `input '${name}' must be an https URL (http only for a loopback address); got ${quote(value)}`,
      );
    }
  }
  if (inputs.mode === 'blob') {
    for (const name of ['predicate', 'predicate-path'] as const) {
      if ((name === 'predicate' ? inputs.predicate : inputs.predicatePath) !== undefined) {
        throw new InputError(
          'input-invalid',
          `input '${name}' applies to mode: attestation; blob signatures have no predicate`,
        );
      }
    }
    if (inputs.uploadAttestation) {
      throw new InputError(
        'input-invalid',
        "input 'upload-attestation' applies to mode: attestation (GitHub stores attestations, not blob signatures)",
      );
    }
  }
  if (inputs.predicate !== undefined && inputs.predicatePath !== undefined) {
    throw new InputError('input-invalid', "give 'predicate' or 'predicate-path', not both");
  }
  if (
    inputs.bundleDir !== undefined &&
    isAbsolute(inputs.bundleDir) === false &&
    inputs.bundleDir.split(/[\\/]/).includes('..')
  ) {
    throw new InputError(
      'input-invalid',
      `input 'bundle-dir' must stay inside the workspace; got ${quote(inputs.bundleDir)}`,
    );
  }
}

function writeBundle(path: string, json: string, temp: boolean): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: temp ? 0o700 : 0o755 });
    writeFileSync(path, json, { mode: temp ? 0o600 : 0o644 });
    if (temp) chmodSync(path, 0o600);
  } catch (cause) {
    throw new SigningError(
      'subject-unreadable',
      `cannot write the bundle ${path}: ${(cause as NodeJS.ErrnoException).code ?? cause}`,
      {
        cause,
        kind: 'external',
      },
    );
  }
}

function summarize(
  io: StepIO,
  inputs: Inputs,
  subjects: readonly Subject[],
  written: readonly Written[],
  uploaded: { id: string; url: string } | undefined,
): void {
  const first = written[0]?.signed;
  io.summary.heading(`Airlock sign: ${subjects.length} subject(s) signed (${inputs.mode})`, 2);
  if (first !== undefined) {
    io.summary.paragraph(
      `Signed by ${first.certificate.identity} with a Fulcio certificate valid ${first.certificate.notBefore.toISOString()} to ${first.certificate.notAfter.toISOString()}.`,
    );
  }
  if (uploaded !== undefined) io.summary.paragraph(`Attestation stored: ${uploaded.url}`);
  io.summary.table(
    ['bundle', 'Rekor log index', 'logged at', 'timestamped'],
    written.map((w) => [
      w.path,
      w.signed.tlog === undefined ? '—' : String(w.signed.tlog.logIndex),
      w.signed.tlog?.integratedTime?.toISOString() ?? '—',
      w.signed.timestamped ? 'yes' : 'no',
    ]),
    'log entries',
  );
  io.summary.table(
    ['subject', 'sha256'],
    subjects.map((s) => [s.name, s.digest.sha256]),
    'subjects',
  );
}
