import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError, type JsonObject, quote, type StepIO, type StepResult } from '@airlock/core';
import {
  type Artifact,
  embeddedPublicGoodRoot,
  expandPaths,
  fetchPublicGoodRoot,
  type IdentityPolicy,
  parseSha256,
  parseTrustedRoot,
  SigningError,
  subjectName,
  type Trust,
  type VerifiedBundle,
  verifyBundle,
} from '@airlock/signing/verification';

export interface Inputs {
  readonly subjectPaths: readonly string[];
  readonly subjectDigests: readonly string[];
  readonly bundlePaths: readonly string[];
  readonly trustedRoot: string;
  readonly identity: string | undefined;
  readonly identityRegExp: string | undefined;
  readonly issuer: string;
  readonly repository: string | undefined;
  readonly sourceRef: string | undefined;
  readonly signerWorkflow: string | undefined;
  readonly runnerEnvironment: 'github-hosted' | 'self-hosted' | undefined;
  readonly predicateType: string | undefined;
}

interface Target {
  /** How the artifact is named in messages and the summary. */
  readonly name: string;
  readonly artifact: Artifact;
  readonly bundle: string;
}

interface Outcome {
  readonly target: Target;
  readonly verified?: VerifiedBundle;
  readonly error?: SigningError;
}

export async function run(inputs: Inputs, io: StepIO): Promise<StepResult> {
  const policy = policyFrom(inputs, io);
  const targets = await targetsFrom(inputs, io);
  const trust = await trustFrom(inputs, io);
  io.log.info(`verify: ${targets.length} artifact(s) against ${trust.source}`);

  const texts = new Map<string, string>();
  const outcomes: Outcome[] = [];
  for (const target of targets) {
    try {
      let text = texts.get(target.bundle);
      if (text === undefined) {
        text = readBundle(target.bundle, io.workspace);
        texts.set(target.bundle, text);
      }
      const verified = await verifyBundle({
        bundle: text,
        source: target.bundle,
        artifact: target.artifact,
        trust,
        policy,
        ...(inputs.predicateType === undefined ? {} : { predicateType: inputs.predicateType }),
      });
      outcomes.push({ target, verified });
      const signer = verified.signer;
      io.log.info(
        `verify: ✓ ${target.name}: signed by ${signer?.identity ?? '(key)'}${verified.tlog[0] === undefined ? '' : `, Rekor log index ${verified.tlog[0].logIndex}`}`,
      );
    } catch (error) {
      if (!(error instanceof SigningError) || error.kind === 'bug') throw error;
      outcomes.push({ target, error });
      io.log.error(`✗ ${target.name}: [${error.code}] ${error.message}`);
    }
  }

  const passed = outcomes.filter((o) => o.verified !== undefined);
  const failed = outcomes.filter((o) => o.error !== undefined);
  io.setOutput('verified', failed.length === 0 ? passed.length : 0);
  io.setOutput(
    'results',
    outcomes.map((o) => ({
      artifact: o.target.name,
      bundle: o.target.bundle,
      ok: o.verified !== undefined,
      ...(o.error === undefined ? {} : { reason: o.error.code }),
      ...(o.verified === undefined ? {} : resultFacts(o.verified)),
    })),
  );
  summarize(io, outcomes, trust);

  const result: JsonObject = {
    verified: passed.length,
    failed: failed.length,
    reasons: [...new Set(failed.map((o) => (o.error as SigningError).code))],
    trusted_root: trust.source,
  };
  const subjects = passed.flatMap((o) =>
    o.verified?.sha256 === undefined ? [] : [{ name: o.target.name, digest: { sha256: o.verified.sha256 } }],
  );
  if (failed.length > 0) {
    const first = failed[0]?.error as SigningError;
    throw new SigningError(
      first.code,
      failed.length === 1
        ? first.message
        : `${failed.length} of ${outcomes.length} artifacts failed verification; first: ${first.message}`,
    );
  }
  return { result, subjects };
}

function policyFrom(inputs: Inputs, io: StepIO): IdentityPolicy {
  if (inputs.identity !== undefined && inputs.identityRegExp !== undefined) {
    throw new InputError('input-invalid', "give 'certificate-identity' or 'certificate-identity-regexp', not both");
  }
  if (
    inputs.identity === undefined &&
    inputs.identityRegExp === undefined &&
    inputs.repository === undefined &&
    inputs.signerWorkflow === undefined
  ) {
    throw new InputError(
      'input-missing',
      "verify needs a signer to expect: give 'certificate-identity', 'certificate-identity-regexp', 'signer-workflow' or 'repository'. Accepting any signer would accept anyone's signature.",
    );
  }
  if (inputs.identityRegExp !== undefined) {
    try {
      new RegExp(inputs.identityRegExp, 'u');
    } catch (cause) {
      throw new InputError(
        'input-invalid',
        `input 'certificate-identity-regexp' is not a valid regular expression (${(cause as Error).message}); got ${quote(inputs.identityRegExp)}`,
      );
    }
  }
  if (inputs.repository !== undefined && !/^[\w.-]+\/[\w.-]+$/.test(inputs.repository)) {
    throw new InputError('input-invalid', `input 'repository' must be owner/name; got ${quote(inputs.repository)}`);
  }
  if (inputs.sourceRef !== undefined && !inputs.sourceRef.startsWith('refs/')) {
    throw new InputError(
      'input-invalid',
      `input 'source-ref' must be a full ref like refs/heads/main or refs/tags/v1.0.0; got ${quote(inputs.sourceRef)}`,
    );
  }
  return {
    issuer: inputs.issuer,
    serverUrl: io.github.serverUrl,
    ...(inputs.identity === undefined ? {} : { identity: inputs.identity }),
    ...(inputs.identityRegExp === undefined ? {} : { identityRegExp: inputs.identityRegExp }),
    ...(inputs.repository === undefined ? {} : { repository: inputs.repository }),
    ...(inputs.sourceRef === undefined ? {} : { ref: inputs.sourceRef }),
    ...(inputs.signerWorkflow === undefined ? {} : { signerWorkflow: inputs.signerWorkflow }),
    ...(inputs.runnerEnvironment === undefined ? {} : { runnerEnvironment: inputs.runnerEnvironment }),
  };
}

async function targetsFrom(inputs: Inputs, io: StepIO): Promise<Target[]> {
  const files = await expandPaths(inputs.subjectPaths, io.workspace, "input 'subject-path'");
  const artifacts: { name: string; artifact: Artifact; beside?: string }[] = files.map((path) => ({
    name: subjectName(path, io.workspace),
    artifact: { kind: 'file', path, label: subjectName(path, io.workspace) },
    beside: `${path}.sigstore.json`,
  }));
  inputs.subjectDigests.forEach((text, i) => {
    const sha256 = parseSha256(text);
    if (sha256 === undefined) {
      throw new InputError(
        'input-invalid',
        `input 'subject-digest' item ${i + 1} must be sha256:<64 hex digits>; got ${quote(text)}`,
      );
    }
    artifacts.push({ name: `sha256:${sha256}`, artifact: { kind: 'digest', sha256 } });
  });
  if (artifacts.length === 0)
    throw new InputError('input-missing', "nothing to verify: give 'subject-path' or 'subject-digest'");
  // A glob (dist/attestation-*.sigstore.json) names the bundle(s) it matches; a literal path is kept as given so a
  // missing bundle is reported against its artifact.
  const bundles: string[] = [];
  for (const entry of inputs.bundlePaths) {
    if (/[*?[\]{}]/.test(entry)) bundles.push(...(await expandPaths([entry], io.workspace, "input 'bundle-path'")));
    else bundles.push(entry);
  }
  if (bundles.length > 1 && bundles.length !== artifacts.length) {
    throw new InputError(
      'input-invalid',
      `input 'bundle-path' has ${bundles.length} bundles for ${artifacts.length} artifacts; give one per artifact (in the same order), one attestation for all, or none to use <artifact>.sigstore.json`,
    );
  }
  return artifacts.map((a, i) => {
    const bundle = bundles.length === 0 ? a.beside : bundles.length === 1 ? bundles[0] : bundles[i];
    if (bundle === undefined) {
      throw new InputError(
        'input-missing',
        `input 'bundle-path' is needed for ${a.name}, which has no file to find a bundle beside`,
      );
    }
    return { name: a.name, artifact: a.artifact, bundle };
  });
}

function readBundle(path: string, root: string): string {
  try {
    return readFileSync(resolve(root, path), 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new SigningError(
      'bundle-malformed',
      `cannot read the bundle ${path}: ${code === 'ENOENT' ? 'no such file (was the artifact signed, and the bundle downloaded beside it?)' : (code ?? String(cause))}`,
    );
  }
}

async function trustFrom(inputs: Inputs, io: StepIO): Promise<Trust> {
  if (inputs.trustedRoot === 'embedded') return embeddedPublicGoodRoot();
  if (inputs.trustedRoot === 'public-good') {
    const base = io.runnerTemp ?? join(io.workspace, '.airlock');
    return fetchPublicGoodRoot({ cachePath: join(base, 'airlock', 'sigstore-tuf') });
  }
  let text: string;
  try {
    text = readFileSync(resolve(io.workspace, inputs.trustedRoot), 'utf8');
  } catch (cause) {
    throw new InputError(
      'input-invalid',
      `input 'trusted-root': cannot read ${inputs.trustedRoot}: ${(cause as NodeJS.ErrnoException).code ?? cause}; give public-good, embedded or the path of a trusted_root.json`,
    );
  }
  return parseTrustedRoot(text, `input 'trusted-root' (${inputs.trustedRoot})`);
}

function when(v: VerifiedBundle): Date | undefined {
  return v.timestamps[0] ?? v.tlog[0]?.integratedTime;
}

function resultFacts(v: VerifiedBundle): JsonObject {
  return {
    sha256: v.sha256 ?? null,
    identity: v.signer?.identity ?? null,
    issuer: v.signer?.issuer ?? null,
    repository: v.signer?.sourceRepository ?? null,
    ref: v.signer?.sourceRef ?? null,
    workflow: v.signer?.signerWorkflow ?? null,
    log_index: v.tlog[0]?.logIndex ?? null,
    signed_at: when(v)?.toISOString() ?? null,
    bundle_version: v.version,
    content: v.content,
  };
}

function summarize(io: StepIO, outcomes: readonly Outcome[], trust: Trust): void {
  const failed = outcomes.filter((o) => o.error !== undefined).length;
  io.summary.heading(
    failed === 0
      ? `Airlock verify: ${outcomes.length} artifact(s) verified`
      : `Airlock verify: ${failed} of ${outcomes.length} artifact(s) failed`,
    2,
  );
  io.summary.paragraph(`Trusted root: ${trust.source}.`);
  io.summary.table(
    ['artifact', 'result', 'signed by', 'issuer', 'repository', 'ref', 'workflow', 'signed at', 'log index'],
    outcomes.map((o) => {
      const v = o.verified;
      if (v === undefined)
        return [o.target.name, `✗ ${o.error?.code ?? ''}: ${o.error?.message ?? ''}`, '', '', '', '', '', '', ''];
      return [
        o.target.name,
        `✓ ${v.content === 'dsse' ? `attestation (${v.statement?.predicateType ?? ''})` : 'signature'}`,
        v.signer?.identity ?? '(key)',
        v.signer?.issuer ?? '',
        v.signer?.sourceRepository ?? '',
        v.signer?.sourceRef ?? '',
        v.signer?.signerWorkflow ?? '',
        `${when(v)?.toISOString() ?? ''}${v.timestamps.length > 0 ? ' (TSA)' : v.tlog.length > 0 ? ' (Rekor)' : ''}`,
        v.tlog[0] === undefined ? '' : String(v.tlog[0].logIndex),
      ];
    }),
    'artifacts',
  );
}
