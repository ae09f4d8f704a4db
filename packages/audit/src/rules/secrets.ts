import { type Reference, references } from '../expressions/analysis.ts';
import type { Expr } from '../expressions/ast.ts';
import { Memo } from '../memo.ts';
import type { Document, Job } from '../model/types.ts';
import type { Span } from '../source/yaml.ts';
import { allStrings, expressionsIn, jobAt, jobLabel, type LocatedExpression } from './shared.ts';
import type { Rule, RuleContext } from './types.ts';

export interface SecretUse {
  readonly name: string;
  readonly span: Span;
  readonly job: Job | undefined;
  readonly located: LocatedExpression;
}

/** Every `secrets.NAME` used in a document, with the job it is in. */
const USES = new Memo<Document, SecretUse[]>();

export function secretUses(ctx: { file: RuleContext['file']; doc: Document }): SecretUse[] {
  const cached = USES.get(ctx.doc);
  if (cached !== undefined) return cached;
  const out: SecretUse[] = [];
  USES.set(ctx.doc, out);
  for (const sv of allStrings(ctx.file)) {
    for (const located of expressionsIn(ctx.file, sv)) {
      for (const ref of references(located.expr)) {
        const name = ref.root === 'secrets' ? ref.path[0] : undefined;
        if (typeof name === 'string' && name !== '*') {
          out.push({ name, span: located.span, job: jobAt(ctx.doc, located.span), located });
        }
      }
    }
  }
  return out;
}

function wholeSecrets(expr: Expr): boolean {
  const visit = (e: Expr): boolean => {
    switch (e.kind) {
      case 'call':
        if (e.name === 'tojson' && e.args.some((a) => a.kind === 'context' && a.name === 'secrets')) return true;
        return e.args.some(visit);
      case 'binary':
        return visit(e.left) || visit(e.right);
      case 'not':
        return visit(e.operand);
      default:
        return false;
    }
  };
  return visit(expr);
}

function dynamicSecret(ref: Reference): boolean {
  return ref.root === 'secrets' && (ref.path[0] === null || ref.path[0] === '*');
}

export const secretsInherit: Rule = {
  id: 'secrets-inherit',
  title: 'every secret passed to a reusable workflow',
  severity: 'medium',
  confidence: 'high',
  scope: 'workflow',
  description:
    '`secrets: inherit` hands every secret the calling repository can see — organisation and environment-independent repository secrets included — to the called workflow and everything it runs, when it needs only a few (often none).',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expression syntax, not a JavaScript template
  fix: 'List the secrets the callee declares under `on.workflow_call.secrets`, one by one: `secrets: { NPM_TOKEN: ${{ secrets.NPM_TOKEN }} }` — or better, let the callee obtain short-lived credentials itself through OIDC (actions/exchange).',
  check(ctx) {
    if (ctx.doc.kind !== 'workflow') return;
    for (const job of ctx.doc.jobs) {
      if (job.secretsInherit === undefined) continue;
      ctx.report({
        span: job.secretsInherit,
        within: job.span,
        message: `${jobLabel(job)} passes every secret of the repository to ${job.uses?.raw ?? 'the called workflow'}: pass only the secrets it declares.`,
      });
    }
  },
};

export const overprovisionedSecrets: Rule = {
  id: 'overprovisioned-secrets',
  title: 'all secrets exposed at once',
  severity: 'high',
  confidence: 'high',
  scope: 'workflow',
  description:
    '`toJSON(secrets)` (and `secrets[…]` with a computed name) gives the step every secret available to the job, so the runner must load all of them and any compromise of the step leaks all of them.',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expression syntax, not a JavaScript template
  fix: 'Reference each secret the step needs by name: `${{ secrets.DEPLOY_KEY }}`.',
  check(ctx) {
    for (const sv of allStrings(ctx.file)) {
      for (const located of expressionsIn(ctx.file, sv)) {
        if (wholeSecrets(located.expr)) {
          ctx.report({
            span: located.span,
            message: `${located.text} exposes every secret of the repository to this step: reference the secrets it needs by name.`,
          });
        } else if (references(located.expr).some(dynamicSecret)) {
          ctx.report({
            span: located.span,
            severity: 'medium',
            message: `${located.text} selects a secret by a computed name, so every secret must be available to the job: reference the secrets it needs by name.`,
          });
        }
      }
    }
  },
};

export const secretsOutsideEnvironment: Rule = {
  id: 'secrets-outside-environment',
  title: 'secrets used by a job without an environment',
  severity: 'low',
  confidence: 'medium',
  scope: 'workflow',
  description:
    'Repository and organisation secrets are available to every job of every workflow, on any branch that can run it. Secrets stored in a deployment environment are released only to jobs that name the environment, after its protection rules (required reviewers, branch and tag restrictions, wait timers) pass.',
  fix: 'Move the secret into an environment and add `environment: <name>` to the job that uses it, with protection rules for that environment; or replace it with an OIDC exchange (actions/exchange) so there is no stored secret at all.',
  check(ctx) {
    if (ctx.doc.kind !== 'workflow') return;
    const byJob = new Map<Job, SecretUse[]>();
    for (const use of secretUses(ctx)) {
      if (use.job === undefined || use.name.toUpperCase() === 'GITHUB_TOKEN') continue;
      const list = byJob.get(use.job) ?? [];
      list.push(use);
      byJob.set(use.job, list);
    }
    for (const [job, uses] of byJob) {
      if (job.environment !== undefined) continue;
      const names = [...new Set(uses.map((u) => u.name))];
      const first = uses[0] as SecretUse;
      ctx.report({
        span: first.span,
        within: job.span,
        message: `${jobLabel(job)} uses ${names.map((n) => `secrets.${n}`).join(', ')} without an environment: any branch that can run this workflow gets ${names.length === 1 ? 'it' : 'them'}. Store ${names.length === 1 ? 'it' : 'them'} in a protected environment and name it in the job.`,
      });
    }
  },
};
