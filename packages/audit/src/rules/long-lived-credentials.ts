import { references } from '../expressions/analysis.ts';
import { lookupAction, staticCredential } from '../knowledge/index.ts';
import type { EnvVar } from '../model/types.ts';
import { secretUses } from './secrets.ts';
import { allSteps, expressionsIn } from './shared.ts';
import type { Rule } from './types.ts';

const EXCHANGE = 'an OIDC exchange (actions/exchange, or the provider’s own OIDC login) with id-token: write';

export const longLivedCredentials: Rule = {
  id: 'long-lived-credentials',
  title: 'static cloud keys where OIDC exists',
  severity: 'high',
  confidence: 'medium',
  scope: 'both',
  description:
    'AWS access keys, Google service-account keys and Azure client secrets stored as repository secrets are long-lived: they work from anywhere until someone rotates them, they leak through logs, artifacts and compromised actions, and nothing ties their use to this repository, branch or workflow. AWS, Google Cloud and Azure all accept the job’s GitHub OIDC token instead, exchanged for credentials that expire within the hour and that the cloud’s trust policy can restrict to a repository, branch or environment.',
  fix: 'Configure the cloud to trust GitHub’s OIDC issuer for this repository (and branch or environment), grant the job `id-token: write`, and exchange the token for short-lived credentials with actions/exchange (or aws-actions/configure-aws-credentials `role-to-assume`, google-github-actions/auth `workload_identity_provider`, azure/login `client-id`). Then delete the stored key and revoke it at the provider.',
  check(ctx) {
    const doc = ctx.doc;
    const reported: Array<{ start: number; end: number }> = [];
    const report = (
      start: number,
      end: number,
      within: { start: number; end: number } | undefined,
      message: string,
    ) => {
      if (reported.some((r) => start < r.end && r.start < end) || reported.some((r) => r.start === start)) return;
      reported.push({ start, end });
      ctx.report({ span: { start, end }, within, message });
    };
    // 1. known actions given static keys
    for (const { step } of allSteps(doc)) {
      if (step.uses === undefined) continue;
      const known = lookupAction(step.uses);
      for (const cred of known?.staticCredentials ?? []) {
        const value = step.with.get(cred.input);
        if (value === undefined || value.value.trim() === '') continue;
        report(
          value.span.start,
          value.span.end,
          step.span,
          `${step.label} gives ${known?.uses} ${cred.what} (${cred.input}): a long-lived credential. Use ${cred.oidc} instead, or actions/exchange.`,
        );
      }
    }
    // 2. environment variables that carry static keys from secrets
    const envs: EnvVar[] = [];
    if (doc.kind === 'workflow') {
      envs.push(...doc.env);
      for (const job of doc.jobs) {
        envs.push(...job.env);
        if (job.container) envs.push(...job.container.env);
        for (const s of job.services) envs.push(...s.env);
      }
    }
    for (const { step } of allSteps(doc)) envs.push(...step.env);
    for (const env of envs) {
      const cred = staticCredential(env.name);
      if (cred === undefined || env.value === undefined) continue;
      const fromSecret = expressionsIn(ctx.file, env.value).some((e) =>
        references(e.expr).some((r) => r.root === 'secrets'),
      );
      if (!fromSecret) continue;
      report(
        env.value.span.start,
        env.value.span.end,
        undefined,
        `${env.name} is set from a secret: ${cred.what}, a long-lived credential. Use ${EXCHANGE} instead.`,
      );
    }
    // 3. secrets whose names say they are static cloud keys, wherever they are used
    for (const use of secretUses(ctx)) {
      const cred = staticCredential(use.name);
      if (cred === undefined) continue;
      report(
        use.span.start,
        use.span.end,
        undefined,
        `secrets.${use.name} looks like ${cred.what}: a long-lived credential. Use ${EXCHANGE} instead.`,
      );
    }
  },
};
