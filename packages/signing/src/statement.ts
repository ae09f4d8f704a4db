import type { GitHubContext } from '@airlock/core';
import { SigningError } from './errors.ts';
import type { Subject } from './subjects.ts';

/** in-toto Statement v1 (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md). */
export const STATEMENT_TYPE_V1 = 'https://in-toto.io/Statement/v1';
/** The v0.1 type, still accepted when verifying. */
export const STATEMENT_TYPE_V01 = 'https://in-toto.io/Statement/v0.1';
export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
/** GitHub's build type for Actions workflows, as actions/attest-build-provenance writes it. */
export const GITHUB_WORKFLOW_BUILD_TYPE = 'https://actions.github.io/buildtypes/workflow/v1';

export interface ResourceDescriptor {
  readonly name: string;
  readonly digest: Readonly<Record<string, string>>;
}

export interface Statement {
  readonly _type: string;
  readonly subject: readonly ResourceDescriptor[];
  readonly predicateType: string;
  readonly predicate: Readonly<Record<string, unknown>>;
}

/** One statement over all subjects. No limit on their number (10,000 are tested). */
export function buildStatement(
  subjects: readonly Subject[],
  predicateType: string,
  predicate: Readonly<Record<string, unknown>>,
): Statement {
  if (subjects.length === 0) throw new SigningError('subject-invalid', 'an attestation needs at least one subject');
  return {
    _type: STATEMENT_TYPE_V1,
    subject: subjects.map((s) => ({ name: s.name, digest: { sha256: s.digest.sha256 } })),
    predicateType,
    predicate,
  };
}

/** A predicate given as text (input `predicate` or the content of `predicate-path`): a JSON object. */
export function parsePredicate(text: string, source: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const position = /position (\d+)/.exec((cause as Error).message)?.[1];
    const where = position === undefined ? '' : ` at ${lineColumn(text, Number(position))}`;
    throw new SigningError('predicate-invalid', `${source} is not valid JSON${where}`, { cause });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SigningError('predicate-invalid', `${source} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

/** The claims of a GitHub Actions OIDC token that provenance uses (what Fulcio binds into the certificate). */
export interface WorkflowClaims {
  readonly job_workflow_ref?: string;
  readonly workflow_ref?: string;
  readonly repository?: string;
  readonly repository_id?: string;
  readonly repository_owner_id?: string;
  readonly ref?: string;
  readonly sha?: string;
  readonly event_name?: string;
  readonly runner_environment?: string;
  readonly run_id?: string;
  readonly run_attempt?: string;
}

/**
 * SLSA provenance v1 for a GitHub Actions run, in the shape actions/attest-build-provenance produces: the builder id is
 * the job's workflow (`job_workflow_ref`, which names a reusable workflow when one builds), the external parameters
 * name the workflow file and ref, the resolved dependency is the commit, and the invocation id is the run attempt's
 * URL. Token claims win over the runner's environment where both exist, because the claims are what Fulcio puts in
 * the certificate.
 */
export function githubProvenance(context: GitHubContext, claims: WorkflowClaims = {}): Record<string, unknown> {
  const server = context.serverUrl;
  const repository = claims.repository ?? context.repository;
  const workflowRef = claims.workflow_ref ?? context.workflowRef;
  const jobWorkflowRef = claims.job_workflow_ref ?? workflowRef;
  const ref = claims.ref ?? context.ref;
  const sha = claims.sha ?? context.sha;
  const runId = claims.run_id ?? context.runId;
  const attempt = claims.run_attempt ?? context.runAttempt;
  if (repository === undefined || workflowRef === undefined || jobWorkflowRef === undefined || sha === undefined) {
    throw new SigningError(
      'predicate-invalid',
      'cannot build SLSA provenance outside a GitHub Actions run (no repository, workflow ref or commit); give predicate-type and predicate instead',
    );
  }
  const at = workflowRef.lastIndexOf('@');
  const workflowPath = (at < 0 ? workflowRef : workflowRef.slice(0, at)).slice(repository.length + 1);
  const workflowRefName = at < 0 ? (ref ?? '') : workflowRef.slice(at + 1);
  const internal: Record<string, string> = {};
  const eventName = claims.event_name ?? context.eventName;
  if (eventName !== undefined) internal.event_name = eventName;
  const repositoryId = claims.repository_id ?? context.repositoryId;
  if (repositoryId !== undefined) internal.repository_id = repositoryId;
  if (claims.repository_owner_id !== undefined) internal.repository_owner_id = claims.repository_owner_id;
  const runner = claims.runner_environment ?? context.runnerEnvironment;
  if (runner !== undefined) internal.runner_environment = runner;
  return {
    buildDefinition: {
      buildType: GITHUB_WORKFLOW_BUILD_TYPE,
      externalParameters: {
        workflow: { ref: workflowRefName, repository: `${server}/${repository}`, path: workflowPath },
      },
      internalParameters: { github: internal },
      resolvedDependencies: [
        { uri: `git+${server}/${repository}@${ref ?? workflowRefName}`, digest: { gitCommit: sha } },
      ],
    },
    runDetails: {
      builder: { id: `${server}/${jobWorkflowRef}` },
      metadata:
        runId === undefined
          ? {}
          : { invocationId: `${server}/${repository}/actions/runs/${runId}${attempt ? `/attempts/${attempt}` : ''}` },
    },
  };
}

/** The payload of a JWT, decoded without verifying it (Fulcio verifies the token; this only reads its claims). */
export function decodeJwtClaims(token: string): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new SigningError('token-invalid', 'the identity token is not a JWT (three parts)');
  try {
    const claims = JSON.parse(Buffer.from(parts[1] as string, 'base64url').toString('utf8')) as unknown;
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) throw new Error('not an object');
    return claims as Record<string, unknown>;
  } catch (cause) {
    throw new SigningError('token-invalid', 'the identity token payload is not a JSON object', { cause });
  }
}

/** The claims provenance reads, as strings. */
export function workflowClaims(claims: Readonly<Record<string, unknown>>): WorkflowClaims {
  const out: Record<string, string> = {};
  for (const key of [
    'job_workflow_ref',
    'workflow_ref',
    'repository',
    'repository_id',
    'repository_owner_id',
    'ref',
    'sha',
    'event_name',
    'runner_environment',
    'run_id',
    'run_attempt',
  ]) {
    const value = claims[key];
    if (typeof value === 'string' && value !== '') out[key] = value;
  }
  return out as WorkflowClaims;
}

/** DSSE pre-authentication encoding: `DSSEv1 <len(type)> <type> <len(body)> <body>`. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.byteLength} `),
    type,
    Buffer.from(` ${payload.byteLength} `),
    payload,
  ]);
}
