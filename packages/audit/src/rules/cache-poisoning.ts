import type { Node } from 'yaml';
import { asMap, pairOf } from '../source/yaml.ts';
import { factsOf, jobLabel } from './shared.ts';
import type { Rule, Workflow } from './types.ts';

/** Why a workflow counts as a release workflow, or undefined. */
export function releaseReason(doc: Workflow): string | undefined {
  for (const t of doc.triggers) {
    if (t.name === 'release') return 'it runs on release';
    if (t.name === 'push' && pairOf(asMap(t.config as Node | null), 'tags') !== null) return 'it runs on tag pushes';
  }
  for (const job of doc.jobs) {
    for (const step of job.steps) {
      const what = factsOf(doc, job, step).roles.get('publish');
      if (what !== undefined) return `${jobLabel(job)} publishes (${what})`;
    }
  }
  return undefined;
}

export const cachePoisoning: Rule = {
  id: 'cache-poisoning',
  title: 'cache restored in a release workflow',
  severity: 'high',
  confidence: 'medium',
  scope: 'workflow',
  description:
    'GitHub Actions caches are shared across workflows: a cache entry written by any workflow on the default branch — including a `pull_request_target` or `issue_comment` workflow an outsider can trigger, or one running compromised code — is restored by every other workflow that asks for the same key. A release workflow that restores a cache can ship whatever was planted in it (the Ultralytics compromise, December 2024).',
  fix: 'Do not use caches in workflows that publish or release: remove actions/cache, leave `cache:` unset on setup-node/setup-python/setup-java, set `cache: false` on setup-go, drop `cache-from: type=gha`. Build releases from a clean state; they run rarely enough that the time does not matter.',
  check(ctx) {
    const doc = ctx.doc;
    if (doc.kind !== 'workflow') return;
    const reason = releaseReason(doc);
    if (reason === undefined) return;
    for (const job of doc.jobs) {
      for (const step of job.steps) {
        const cache = factsOf(doc, job, step).roles.get('cache');
        if (cache === undefined) continue;
        ctx.report({
          span: step.uses?.span ?? step.span,
          within: step.span,
          message: `${step.label} (${cache}) restores a cache in a release workflow (${reason}): a poisoned cache entry would ship in the release. Build releases without caches.`,
        });
      }
    }
  },
};
