import { jobLabel, PULL_REQUEST_TRIGGERS } from './shared.ts';
import type { Rule } from './types.ts';

export const selfHostedRunner: Rule = {
  id: 'self-hosted-runner',
  title: 'self-hosted runner reachable from pull requests',
  severity: 'high',
  confidence: 'medium',
  scope: 'workflow',
  description:
    'A self-hosted runner is a persistent machine on your network. In a public repository, a workflow that runs on pull requests lets anyone with a fork run code on it: they can read what other jobs left behind, persist on the machine, and reach whatever the network reaches. GitHub’s hosted runners are discarded after each job.',
  fix: 'Run pull-request workflows on GitHub-hosted runners, or on ephemeral, isolated self-hosted runners (`--ephemeral`, one job per VM) in a runner group restricted to the workflows that need it; require approval for workflows from outside collaborators.',
  check(ctx) {
    const doc = ctx.doc;
    if (doc.kind !== 'workflow') return;
    const triggers = doc.triggers.filter((t) => PULL_REQUEST_TRIGGERS.has(t.name) && t.name !== 'merge_group');
    if (triggers.length === 0) return;
    const names = triggers.map((t) => t.name).join(', ');
    for (const job of doc.jobs) {
      const selfHosted = job.runsOn.labels.some((l) => l.toLowerCase() === 'self-hosted');
      if (selfHosted) {
        ctx.report({
          span: job.runsOn.span,
          within: job.span,
          message: `${jobLabel(job)} runs on a self-hosted runner in a workflow triggered by ${names}: if the repository is public, anyone can run code on that machine through a pull request.`,
        });
      } else if (job.runsOn.group !== undefined) {
        ctx.report({
          span: job.runsOn.span,
          within: job.span,
          severity: 'medium',
          confidence: 'low',
          message: `${jobLabel(job)} runs in runner group '${job.runsOn.group}' in a workflow triggered by ${names}: if that group holds self-hosted runners, pull requests can run code on them.`,
        });
      }
    }
  },
};
