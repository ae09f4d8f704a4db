import { flows, referenceText } from '../expressions/analysis.ts';
import { GITHUB_ENV_WRITES, lookupAction, taintOf } from '../knowledge/index.ts';
import type { StringValue } from '../model/types.ts';
import {
  allSteps,
  expressionsIn,
  locate,
  PRIVILEGED_UNTRUSTED_TRIGGERS,
  triggerNames,
  typedInputs,
  visibleEnv,
} from './shared.ts';
import { taintedUses } from './template-injection.ts';
import type { Rule } from './types.ts';

/** Every write pattern needs GITHUB_ENV/GITHUB_PATH (in any case) or `core.`: most scripts have neither. */
const WRITE_HINT = /GITHUB_(?:ENV|PATH)|core\./i;

function firstWrite(script: string): { start: number; end: number } | undefined {
  if (!WRITE_HINT.test(script)) return undefined;
  let best: { start: number; end: number } | undefined;
  for (const pattern of GITHUB_ENV_WRITES) {
    const m = pattern.exec(script);
    if (m !== null && (best === undefined || m.index < best.start))
      best = { start: m.index, end: m.index + m[0].length };
  }
  return best;
}

export const githubEnv: Rule = {
  id: 'github-env',
  title: 'untrusted data written to GITHUB_ENV or GITHUB_PATH',
  severity: 'high',
  confidence: 'medium',
  scope: 'both',
  description:
    'Lines appended to `$GITHUB_ENV` become environment variables of every later step, and lines appended to `$GITHUB_PATH` come first on their PATH. Whoever controls what is written can set `LD_PRELOAD`, `NODE_OPTIONS`, `BASH_ENV` or a PATH entry and run code in every later step — including steps that hold secrets. The data is untrusted when it comes from an attacker-controllable context (directly or through env), or when the workflow runs on a privileged trigger (`pull_request_target`, `workflow_run`, `issue_comment`, …) where files and artifacts come from the pull request.',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expression syntax, not a JavaScript template
  fix: 'Do not write untrusted data to GITHUB_ENV/GITHUB_PATH. Pass values between steps as step outputs (`$GITHUB_OUTPUT`) read through `${{ steps.<id>.outputs.<name> }}` in `env:`, validate them against a strict pattern first, and never write a whole file or multi-line value.',
  check(ctx) {
    const doc = ctx.doc;
    const typed = typedInputs(doc);
    const privileged = [...triggerNames(doc)].filter((t) => PRIVILEGED_UNTRUSTED_TRIGGERS.has(t));
    for (const { job, step } of allSteps(doc)) {
      const scripts: StringValue[] = [];
      if (step.run !== undefined) scripts.push(step.run);
      const known = step.uses === undefined ? undefined : lookupAction(step.uses);
      const scriptInput = known?.scriptInput === undefined ? undefined : step.with.get(known.scriptInput);
      if (scriptInput !== undefined) scripts.push(scriptInput);
      for (const script of scripts) {
        const write = firstWrite(script.value);
        if (write === undefined) continue;
        const span = locate(ctx.file, script, write.start, write.end);
        // attacker data in the script itself
        const direct = expressionsIn(ctx.file, script).flatMap((l) => taintedUses(ctx, job, step, l, typed));
        // attacker data in env variables the script reads
        const viaEnv: string[] = [];
        for (const env of visibleEnv(doc, job, step)) {
          if (env.value === undefined) continue;
          const name = env.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          if (!new RegExp(`\\$\\{?${name}\\b|\\$env:${name}\\b|process\\.env\\.${name}\\b`).test(script.value))
            continue;
          for (const l of expressionsIn(ctx.file, env.value)) {
            for (const f of flows(l.expr)) {
              if (taintOf(f.ref, f.whole, typed) === 'attacker') viaEnv.push(`${env.name} (${referenceText(f.ref)})`);
            }
          }
        }
        const sources = [...new Set([...direct.filter((d) => d.taint === 'attacker').map((d) => d.source), ...viaEnv])];
        if (sources.length > 0) {
          ctx.report({
            span,
            within: step.span,
            severity: 'high',
            confidence: 'high',
            message: `${step.label} writes to GITHUB_ENV/GITHUB_PATH with attacker-controllable data (${sources.join(', ')}): it can set variables such as LD_PRELOAD or NODE_OPTIONS for every later step.`,
          });
        } else if (privileged.length > 0) {
          ctx.report({
            span,
            within: step.span,
            severity: 'medium',
            confidence: 'low',
            message: `${step.label} writes to GITHUB_ENV/GITHUB_PATH in a workflow triggered by ${privileged.join(', ')}, where files and artifacts can come from a pull request: make sure nothing written comes from it.`,
          });
        }
      }
    }
  },
};
