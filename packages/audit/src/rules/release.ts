import type { Job, Step, Workflow } from '../model/types.ts';
import { factsOf, jobLabel } from './shared.ts';
import type { Rule } from './types.ts';

interface Publisher {
  readonly job: Job;
  readonly step: Step;
  readonly role: 'publish' | 'deploy';
  readonly what: string;
}

function publishers(doc: Workflow): Publisher[] {
  const out: Publisher[] = [];
  for (const job of doc.jobs) {
    for (const step of job.steps) {
      const roles = factsOf(doc, job, step).roles;
      const publish = roles.get('publish');
      const deploy = roles.get('deploy');
      if (publish !== undefined) out.push({ job, step, role: 'publish', what: publish });
      else if (deploy !== undefined) out.push({ job, step, role: 'deploy', what: deploy });
    }
  }
  return out;
}

export const unprotectedDeploy: Rule = {
  id: 'unprotected-deploy',
  title: 'deploy or publish job without an environment',
  severity: 'medium',
  confidence: 'medium',
  scope: 'workflow',
  description:
    'A job that deploys or publishes without `environment:` runs whenever the workflow runs, on whatever branch triggered it, with no required reviewer, no wait timer and no branch restriction — and its credentials cannot be scoped to a deployment environment (OIDC `sub` claims and environment secrets both key on it).',
  fix: 'Add `environment: production` (or the target’s name) to the job and configure the environment’s protection rules: required reviewers, allowed branches and tags, and environment-scoped secrets or OIDC trust conditions (`sub: repo:owner/repo:environment:production`).',
  check(ctx) {
    const doc = ctx.doc;
    if (doc.kind !== 'workflow') return;
    const seen = new Set<Job>();
    for (const p of publishers(doc)) {
      if (p.job.environment !== undefined || seen.has(p.job)) continue;
      seen.add(p.job);
      ctx.report({
        span: p.job.keySpan,
        within: p.job.span,
        message: `${jobLabel(p.job)} ${p.role === 'publish' ? 'publishes' : 'deploys'} (${p.step.label}: ${p.what}) without an environment: nothing reviews or restricts when it runs. Add environment: with protection rules.`,
      });
    }
  },
};

/** Jobs a job depends on, transitively. */
function ancestors(doc: Workflow, job: Job): Set<Job> {
  const byId = new Map(doc.jobs.map((j) => [j.id, j]));
  const out = new Set<Job>();
  const stack = [...job.needs];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    const j = byId.get(id);
    if (j === undefined || out.has(j)) continue;
    out.add(j);
    stack.push(...j.needs);
  }
  return out;
}

export const unsignedRelease: Rule = {
  id: 'unsigned-release',
  title: 'release without signing or a dependency-scan gate',
  severity: 'medium',
  confidence: 'medium',
  scope: 'workflow',
  description:
    'A workflow that publishes (a release, npm publish, docker push, a deployment) should leave a signature or provenance attestation binding the artifact to the workflow that built it, so consumers and later stages can verify where it came from; and a dependency scan must gate the publish step, so known-vulnerable dependencies do not move forward. Without the first, a tampered artifact is indistinguishable from a real one; without the second, nothing stops a vulnerable build from shipping.',
  fix: 'Sign or attest what you publish (actions/sign, actions/attest-build-provenance, cosign, npm publish --provenance, PyPI attestations) and run a dependency scan (actions/scan, dependency-review-action, osv-scanner, npm audit) in the publishing job before the publish step, or in a job it `needs`.',
  check(ctx) {
    const doc = ctx.doc;
    if (doc.kind !== 'workflow') return;
    const signed = doc.jobs.some((job) => job.steps.some((s) => factsOf(doc, job, s).roles.has('sign')));
    const seen = new Set<Job>();
    for (const p of publishers(doc)) {
      if (seen.has(p.job)) continue;
      seen.add(p.job);
      const before = p.job.steps.slice(0, p.step.index);
      const scanned =
        before.some((s) => factsOf(doc, p.job, s).roles.has('scan')) ||
        [...ancestors(doc, p.job)].some((j) => j.steps.some((s) => factsOf(doc, j, s).roles.has('scan')));
      const missing = [
        ...(signed ? [] : ['no signing or attestation step']),
        ...(scanned ? [] : ['no dependency scan before it']),
      ];
      if (missing.length === 0) continue;
      ctx.report({
        span: p.step.uses?.span ?? p.step.run?.span ?? p.step.span,
        within: p.step.span,
        message: `${jobLabel(p.job)} ${p.role === 'publish' ? 'publishes' : 'deploys'} (${p.step.label}: ${p.what}) with ${missing.join(' and ')} in the workflow.`,
      });
    }
  },
};
