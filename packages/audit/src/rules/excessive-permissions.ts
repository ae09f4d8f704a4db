import type { TextEdit } from '../finding.ts';
import { insertAfterKey, insertLinesBefore } from '../fixes.ts';
import { holds, type Level, lookupAction, type Scope } from '../knowledge/index.ts';
import { Memo } from '../memo.ts';
import type { Job, Permissions, Workflow } from '../model/types.ts';
import type { Span } from '../source/yaml.ts';
import { factsOf, jobLabel, siblingDocument, triggerNames } from './shared.ts';
import type { Rule, RuleContext } from './types.ts';

export interface JobNeeds {
  /** The highest level needed per scope, with a reason. */
  readonly needs: ReadonlyMap<Scope, { level: Level; why: string }>;
  /** Scopes something in the job may need depending on inputs the knowledge base does not model. */
  readonly may: ReadonlySet<Scope>;
  /** Why the job requests an OIDC token, if it does. */
  readonly oidc: string | undefined;
  /** Actions and reusable workflows the knowledge base does not know. */
  readonly unknown: readonly string[];
  /** Steps that use the token in ways the knowledge base cannot pin down. */
  readonly opaque: readonly string[];
}

const NEEDS = new Memo<Job, JobNeeds>();
const visiting = new Set<Workflow>();

/** A reusable workflow of the same repository (`uses: ./.github/workflows/x.yml`) among the audited files. */
function localWorkflow(caller: Workflow, slug: string): Workflow | undefined {
  const path = slug.replace(/^\.\//, '');
  if (!/^\.github\/workflows\/[^/]+\.ya?ml$/.test(path)) return undefined;
  const doc = siblingDocument(caller, path);
  return doc?.kind === 'workflow' ? doc : undefined;
}

/** What a job's steps need from the GITHUB_TOKEN, from the knowledge base (cached per job). */
export function jobNeeds(workflow: Workflow, job: Job): JobNeeds {
  let needs = NEEDS.get(job);
  if (needs === undefined) {
    needs = computeJobNeeds(workflow, job);
    NEEDS.set(job, needs);
  }
  return needs;
}

function computeJobNeeds(workflow: Workflow, job: Job): JobNeeds {
  const needs = new Map<Scope, { level: Level; why: string }>();
  const may = new Set<Scope>();
  const unknown: string[] = [];
  const opaque: string[] = [];
  let oidc: string | undefined;
  const add = (scope: Scope, level: Level, why: string) => {
    const current = needs.get(scope);
    if (current === undefined || (current.level === 'read' && level === 'write')) needs.set(scope, { level, why });
  };
  const callee = job.uses?.kind === 'local' ? localWorkflow(workflow, job.uses.slug) : undefined;
  if (callee !== undefined && !visiting.has(callee)) {
    // A reusable workflow of this repository: what its jobs need is what the calling job must grant.
    visiting.add(callee);
    try {
      for (const calleeJob of callee.jobs) {
        const inner = jobNeeds(callee, calleeJob);
        for (const [scope, n] of inner.needs) add(scope, n.level, `${job.uses?.raw}: ${n.why}`);
        for (const scope of inner.may) may.add(scope);
        oidc ??= inner.oidc === undefined ? undefined : `${job.uses?.raw}: ${inner.oidc}`;
        unknown.push(...inner.unknown);
        opaque.push(...inner.opaque);
      }
    } finally {
      visiting.delete(callee);
    }
  } else if (job.uses !== undefined) {
    const known = lookupAction(job.uses);
    if (known === undefined) unknown.push(`reusable workflow ${job.uses.raw}`);
    else {
      for (const n of known.needs) if (holds(n.when, job.with)) add(n.scope, n.level, `${known.uses} ${n.why}`);
      for (const s of known.may ?? []) may.add(s);
      if (known.oidc !== undefined && holds(known.oidc, job.with)) oidc = known.title;
    }
  }
  for (const step of job.steps) {
    const facts = factsOf(workflow, job, step);
    for (const n of facts.needs) add(n.scope, n.level, n.why);
    for (const s of facts.may) may.add(s);
    if (facts.unknownAction && step.uses !== undefined) unknown.push(step.uses.raw);
    if (facts.opaqueTokenUse !== undefined) opaque.push(facts.opaqueTokenUse);
    oidc ??= facts.oidc;
  }
  return { needs, may, oidc, unknown, opaque };
}

function describeNeeds(needs: JobNeeds['needs']): string {
  if (needs.size === 0) return 'its steps need no token permissions';
  return `its steps need ${[...needs].map(([s, n]) => `${s}: ${n.level}`).join(', ')}`;
}

/**
 * localeCompare's order (the default collator). Scope names of lowercase letters and hyphens collate in code-unit
 * order (each is one primary weight, '-' below every letter), so they are compared directly; anything else goes to
 * one collator, built on first use: building it loads ICU collation data (about 15 ms, a tenth of a cold start).
 */
let collator: Intl.Collator | undefined;
const PLAIN_SCOPE = /^[a-z-]*$/;

function compareScopes(a: string, b: string): number {
  if (PLAIN_SCOPE.test(a) && PLAIN_SCOPE.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  collator ??= new Intl.Collator();
  return collator.compare(a, b);
}

function permissionsBlock(needs: JobNeeds['needs']): string[] {
  if (needs.size === 0) return ['permissions: {}'];
  return ['permissions:', ...[...needs].sort(([a], [b]) => compareScopes(a, b)).map(([s, n]) => `  ${s}: ${n.level}`)];
}

function checkAllAccess(ctx: RuleContext, perms: Permissions | undefined, where: string, within?: Span): void {
  if (perms === undefined) return;
  if (perms.kind === 'write-all') {
    ctx.report({
      span: perms.span,
      within,
      severity: 'high',
      message: `${where} grants write-all: every scope of the GITHUB_TOKEN can write (contents, packages, actions, id-token, …). Grant only the scopes the steps need.`,
    });
  } else if (perms.kind === 'read-all') {
    ctx.report({
      span: perms.span,
      within,
      severity: 'low',
      message: `${where} grants read-all: the token can read every scope (security events, actions, packages, …). Grant only the scopes the steps need.`,
    });
  }
}

export const excessivePermissions: Rule = {
  id: 'excessive-permissions',
  title: 'GITHUB_TOKEN permissions broader than the jobs need',
  severity: 'high',
  confidence: 'high',
  scope: 'workflow',
  autofix: true,
  description:
    "Without a top-level `permissions` key, every job gets the repository's default token permissions, which are write access to most scopes in repositories created before February 2023 and in many organisations. `write-all` grants every scope. A write scope that no step uses, or `id-token: write` on a job that never requests an OIDC token, is privilege an attacker who compromises any step (a poisoned dependency, an injected script) inherits for free. A reusable workflow's jobs without their own permissions run with whatever the caller's token has. The knowledge base in packages/audit/src/knowledge lists what common actions need (checkout: contents: read; upload-sarif: security-events: write; attest: id-token and attestations: write; …).",
  fix: "Put `permissions: {}` at the top of the workflow and give each job only what its steps need, e.g. `permissions: { contents: read }` for a job that checks out code; drop write scopes and `id-token: write` the steps do not use. `airlock audit --fix` inserts `permissions: {}` at the top (with each job's inferred minimal permissions when a job has none and every step of it is known).",
  check(ctx) {
    const doc = ctx.doc;
    if (doc.kind !== 'workflow') return;
    const top = doc.permissions;
    const callee = triggerNames(doc).has('workflow_call');
    checkAllAccess(ctx, top, 'the workflow');
    for (const job of doc.jobs) checkAllAccess(ctx, job.permissions, jobLabel(job), job.span);

    if (top === undefined && doc.jobs.length > 0) {
      const bare = doc.jobs.filter((j) => j.permissions === undefined);
      if (callee) {
        // One fix for all of them: adding permissions: {} at the top without giving every bare job its own block
        // would take their permissions away.
        const fix = fixFor(ctx, doc, bare);
        bare.forEach((job, i) => {
          ctx.report({
            span: job.keySpan,
            within: job.span,
            severity: 'medium',
            message: `${jobLabel(job)} of this reusable workflow has no permissions and the workflow none at the top: it runs with whatever the caller's token has. Declare the permissions it needs.`,
            ...(i === 0 ? fix : {}),
          });
        });
      } else if (bare.length > 0) {
        ctx.report({
          span: doc.onSpan ?? doc.jobsKeySpan ?? { start: 0, end: 0 },
          severity: 'medium',
          message: `the workflow has no top-level permissions, so ${bare.map(jobLabel).join(', ')} ${bare.length === 1 ? 'runs' : 'run'} with the repository's default token permissions (possibly write to everything). Add permissions: {} at the top and grant each job what it needs.`,
          ...fixFor(ctx, doc, bare),
        });
      } else {
        ctx.report({
          span: doc.onSpan ?? doc.jobsKeySpan ?? { start: 0, end: 0 },
          severity: 'low',
          message:
            'the workflow has no top-level permissions: every job declares its own today, but a job added later gets the default token permissions. Add permissions: {} at the top.',
          ...fixFor(ctx, doc, []),
        });
      }
    }

    // Write scopes nobody needs. Job-level grants are checked per job; a top-level grant is checked once, against
    // every job that inherits it.
    const inheritors = doc.jobs.filter((j) => j.permissions === undefined);
    for (const job of doc.jobs) {
      if (job.permissions?.kind === 'map') checkUnneeded(ctx, doc, job.permissions, [job]);
    }
    if (top?.kind === 'map' && inheritors.length > 0) checkUnneeded(ctx, doc, top, inheritors);
  },
};

function checkUnneeded(ctx: RuleContext, doc: Workflow, perms: Permissions, jobs: readonly Job[]): void {
  const all = jobs.map((job) => ({ job, needs: jobNeeds(doc, job) }));
  const within = jobs.length === 1 ? (jobs[0] as Job).span : undefined;
  const who =
    jobs.length === 1 ? jobLabel(jobs[0] as Job) : `the jobs that inherit it (${jobs.map((j) => j.id).join(', ')})`;
  for (const entry of perms.scopes) {
    if (entry.level !== 'write') continue;
    const scope = entry.scope as Scope;
    if (all.some((a) => a.needs.may.has(scope))) continue;
    const uncertain = all.flatMap((a) => [...a.needs.unknown, ...a.needs.opaque]);
    if (scope === 'id-token') {
      const users = all.filter((a) => a.needs.oidc !== undefined);
      if (users.length > 0) continue;
      report(
        ctx,
        entry.span,
        within,
        uncertain,
        `${who} ${jobs.length === 1 ? 'has' : 'get'} id-token: write but no step requests an OIDC token: anyone who controls a step could mint tokens for your cloud trust policies. Remove id-token: write`,
      );
      continue;
    }
    if (all.some((a) => a.needs.needs.get(scope)?.level === 'write')) continue;
    const needsRead = all.some((a) => a.needs.needs.has(scope));
    const summary =
      jobs.length === 1 ? describeNeeds((all[0] as (typeof all)[number]).needs.needs) : 'no step needs it';
    report(
      ctx,
      entry.span,
      within,
      uncertain,
      `${who} ${jobs.length === 1 ? 'has' : 'get'} ${scope}: write, but ${summary}. ${needsRead ? `Use ${scope}: read` : `Remove ${scope}: write`}`,
    );
  }
}

function report(ctx: RuleContext, span: Span, within: Span | undefined, uncertain: string[], message: string): void {
  if (uncertain.length === 0) {
    ctx.report({ span, within, severity: 'medium', confidence: 'high', message: `${message}.` });
  } else {
    const list = [...new Set(uncertain)].slice(0, 3).join('; ');
    ctx.report({
      span,
      within,
      severity: 'low',
      confidence: 'low',
      message: `${message}, unless ${list} needs it (not in the knowledge base).`,
    });
  }
}

/**
 * The safe fix: `permissions: {}` at the top, and for each job without permissions the minimal block inferred from
 * its steps. Only offered when every such job is fully known (no unknown action, no opaque token use, no reusable
 * workflow call), so the fix never takes away a permission a step needs.
 */
function fixFor(
  ctx: RuleContext,
  doc: Workflow,
  bare: readonly Job[],
): { fix?: { description: string; edits: TextEdit[] } } {
  if (doc.jobsKeySpan === undefined || ctx.file.position(doc.jobsKeySpan.start).column !== 1) return {};
  const edits: TextEdit[] = [];
  if (doc.permissions === undefined)
    edits.push(insertLinesBefore(ctx.file, doc.jobsKeySpan.start, ['permissions: {}', '']));
  for (const job of bare) {
    if (job.uses !== undefined) return {};
    const needs = jobNeeds(doc, job);
    if (needs.unknown.length > 0 || needs.opaque.length > 0) return {};
    const edit = insertAfterKey(ctx.file, job.node, 'runs-on', permissionsBlock(needs.needs));
    if (edit === undefined) return {};
    edits.push(edit);
  }
  if (edits.length === 0) return {};
  return {
    fix: {
      description:
        bare.length === 0
          ? 'add permissions: {} at the top'
          : `add permissions: {} at the top and minimal permissions to ${bare.map((j) => j.id).join(', ')}`,
      edits,
    },
  };
}
