import { artipacked } from './artipacked.ts';
import { cachePoisoning } from './cache-poisoning.ts';
import { dangerousTriggers } from './dangerous-triggers.ts';
import { excessivePermissions } from './excessive-permissions.ts';
import { githubEnv } from './github-env.ts';
import { hardcodedCredentials } from './hardcoded-credentials.ts';
import { longLivedCredentials } from './long-lived-credentials.ts';
import { unprotectedDeploy, unsignedRelease } from './release.ts';
import { overprovisionedSecrets, secretsInherit, secretsOutsideEnvironment } from './secrets.ts';
import { selfHostedRunner } from './self-hosted-runner.ts';
import { expressionSyntax, workflowStructure, yamlSyntax } from './syntax.ts';
import { templateInjection } from './template-injection.ts';
import type { Rule } from './types.ts';
import { unpinnedUses } from './unpinned-uses.ts';
import { unsoundCondition } from './unsound-condition.ts';

export type { Report, Rule, RuleContext, RuleMeta } from './types.ts';

/** Findings about the audit's own configuration. */
export const expiredIgnore: Rule = {
  id: 'expired-ignore',
  title: 'an ignore entry has expired',
  severity: 'low',
  confidence: 'high',
  scope: 'engine',
  description:
    'An ignore in the audit configuration has passed its `expires` date. It no longer applies — the findings it covered are reported again — and the entry itself is reported so that someone decides whether the exception is still justified.',
  fix: 'Fix the findings, or renew the ignore with a new `expires` date and a reason that still holds.',
};

export const invalidIgnore: Rule = {
  id: 'invalid-ignore',
  title: 'an inline ignore that does not apply',
  severity: 'low',
  confidence: 'high',
  scope: 'engine',
  description:
    'An inline `# airlock: ignore[rule-id] reason` comment names a rule that does not exist, gives no reason, or silences nothing. It does not apply: an exception without a reason cannot be reviewed, and a stale one hides nothing but invites copying.',
  fix: 'Use a rule id from the table, add the reason after the bracket (`# airlock: ignore[unpinned-uses] vendored action, reviewed 2025-06`), or remove the comment.',
};

export const twoPersonReview: Rule = {
  id: 'two-person-review',
  title: 'commit not approved by a second person',
  severity: 'high',
  confidence: 'high',
  scope: 'online',
  description:
    'Online check (input `online: true`, `airlock audit --online`). The commit being built must have reached its branch through a merged pull request approved by someone other than its author, on the pull request’s final head commit. A direct push, a self-merged pull request or an approval given before more commits were pushed lets one person — or one stolen credential — put code into the pipeline alone.',
  fix: 'Protect the branch with a ruleset that requires a pull request with at least one approval, dismisses stale approvals on push and requires approval of the most recent push; do not grant bypass to the people or apps that push.',
};

export const branchProtection: Rule = {
  id: 'branch-protection',
  title: 'branch does not require reviews and status checks',
  severity: 'high',
  confidence: 'medium',
  scope: 'online',
  description:
    'Online check. The branch the workflow builds must be protected by a ruleset or branch protection that requires a pull request with at least one approving review and required status checks. Without them the two-person rule and CI gates are conventions, not controls.',
  fix: 'Add a repository or organisation ruleset targeting the branch with the rules “Require a pull request before merging” (one or more approvals, dismiss stale approvals, require approval of the most recent push) and “Require status checks to pass”.',
};

/** Every rule, in the order of the rule table. */
export const RULES: readonly Rule[] = [
  excessivePermissions,
  unpinnedUses,
  templateInjection,
  dangerousTriggers,
  artipacked,
  secretsInherit,
  secretsOutsideEnvironment,
  overprovisionedSecrets,
  longLivedCredentials,
  githubEnv,
  cachePoisoning,
  selfHostedRunner,
  hardcodedCredentials,
  unsoundCondition,
  unprotectedDeploy,
  unsignedRelease,
  twoPersonReview,
  branchProtection,
  yamlSyntax,
  workflowStructure,
  expressionSyntax,
  expiredIgnore,
  invalidIgnore,
];

export const RULE_IDS: ReadonlySet<string> = new Set(RULES.map((r) => r.id));

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
