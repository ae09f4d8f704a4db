import { references, referenceText } from '../expressions/analysis.ts';
import { COMMAND_ROLES } from '../knowledge/index.ts';
import type { Step, StringValue } from '../model/types.ts';
import { expressionsIn } from './shared.ts';
import type { Rule, RuleContext } from './types.ts';

const DANGEROUS: Record<string, string> = {
  pull_request_target:
    'pull_request_target runs in the context of the base repository — with a write-capable GITHUB_TOKEN, the secrets and the cache — for pull requests from forks too',
  workflow_run:
    'workflow_run runs with the base repository’s token and secrets after a workflow that fork pull requests can trigger, and typically consumes that run’s artifacts',
};

/** Refs and repositories that name the pull request's own code. */
const HEAD_REFERENCES = [
  'github.event.pull_request.head.sha',
  'github.event.pull_request.head.ref',
  'github.event.pull_request.head.repo.full_name',
  'github.event.pull_request.merge_commit_sha',
  'github.event.pull_request.number',
  'github.event.number',
  'github.head_ref',
  'github.event.workflow_run.head_sha',
  'github.event.workflow_run.head_branch',
  'github.event.workflow_run.head_repository.full_name',
];

function headReference(ctx: RuleContext, value: StringValue): string | undefined {
  for (const located of expressionsIn(ctx.file, value)) {
    for (const ref of references(located.expr)) {
      const text = referenceText(ref).toLowerCase();
      if (HEAD_REFERENCES.includes(text)) return text;
    }
  }
  return undefined;
}

/** What in a step checks out the pull request's code, if anything. */
function headCheckout(ctx: RuleContext, step: Step): string | undefined {
  if (step.uses?.slug === 'actions/checkout') {
    const ref = step.with.get('ref');
    if (ref !== undefined && /refs\/pull\//.test(ref.value)) return `ref: ${ref.value.trim()}`;
    for (const key of ['ref', 'repository']) {
      const value = step.with.get(key);
      const head = value === undefined ? undefined : headReference(ctx, value);
      if (head !== undefined) return `${key}: ${head}`;
    }
    return undefined;
  }
  if (step.run === undefined) return undefined;
  const script = step.run.value;
  const command = COMMAND_ROLES.find((c) => c.role === 'checkout' && c.pattern.test(script));
  if (command !== undefined) return command.what;
  if (/\bgit\s+(checkout|fetch|switch|pull|clone)\b/.test(script)) {
    const head = headReference(ctx, step.run);
    if (head !== undefined) return `git with ${head}`;
  }
  return undefined;
}

export const dangerousTriggers: Rule = {
  id: 'dangerous-triggers',
  title: 'privileged trigger reachable from forks',
  severity: 'high',
  confidence: 'medium',
  scope: 'workflow',
  description:
    // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expression syntax, not a JavaScript template
    '`pull_request_target` and `workflow_run` run with the base repository’s privileges (a write-capable token, secrets, the default branch’s cache) in response to pull requests from anyone, forks included. They are safe only while the workflow never runs the pull request’s code. Checking out the pull request head (`ref: ${{ github.event.pull_request.head.sha }}`, `gh pr checkout`, `refs/pull/N/merge`) and then building, testing or installing it hands those privileges to the pull request’s author: a “pwn request”.',
  fix: 'Use `pull_request` (no secrets, read-only token for forks) for anything that builds or tests the pull request. If a privileged follow-up is needed (labelling, commenting), keep it in a separate `pull_request_target`/`workflow_run` workflow that never checks out or executes the pull request’s code and treats its artifacts as untrusted data.',
  check(ctx) {
    const doc = ctx.doc;
    if (doc.kind !== 'workflow') return;
    const dangerous = doc.triggers.filter((t) => DANGEROUS[t.name] !== undefined);
    if (dangerous.length === 0) return;
    const checkouts: Array<{ step: Step; what: string }> = [];
    for (const job of doc.jobs) {
      for (const step of job.steps) {
        const what = headCheckout(ctx, step);
        if (what !== undefined) checkouts.push({ step, what });
      }
    }
    for (const t of dangerous) {
      ctx.report({
        span: t.span,
        severity: 'medium',
        message: `${DANGEROUS[t.name]}. Make sure no job runs code from the pull request${checkouts.length === 0 ? '' : ' (this one checks it out: see the findings below)'}.`,
      });
    }
    const names = dangerous.map((t) => t.name).join(' and ');
    for (const { step, what } of checkouts) {
      ctx.report({
        span: step.uses?.span ?? step.run?.span ?? step.span,
        within: step.span,
        severity: 'high',
        confidence: 'high',
        message: `${step.label} checks out the pull request's code (${what}) in a workflow triggered by ${names}: whatever that code runs gets the base repository's token and secrets.`,
      });
    }
  },
};
