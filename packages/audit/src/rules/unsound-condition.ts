import { evaluate, isConstant, truthiness } from '../expressions/analysis.ts';
import { parseCondition } from '../expressions/template.ts';
import type { Fix } from '../finding.ts';
import type { StringValue } from '../model/types.ts';
import type { Span } from '../source/yaml.ts';
import { allSteps, jobLabel } from './shared.ts';
import type { Rule, RuleContext } from './types.ts';

/**
 * `if: |` followed by one `${{ … }}` line: the block keeps its final newline, so the value is a string, not an
 * expression. Changing the block indicator to strip chomping (`|-`, `>-`) makes it the expression the author meant.
 */
function chompFix(ctx: RuleContext, sv: StringValue): Fix | undefined {
  if (sv.node.type !== 'BLOCK_LITERAL' && sv.node.type !== 'BLOCK_FOLDED') return undefined;
  const trimmed = sv.value.replace(/\s+$/, '');
  const c = parseCondition(trimmed);
  if (c.kind !== 'expression' || !sv.value.startsWith('${{')) return undefined;
  const header = /^([|>])([+-]?)(\d?)([+-]?)/.exec(ctx.file.text.slice(sv.span.start));
  if (header === null) return undefined;
  const indent = header[3] ?? '';
  return {
    description: `strip the trailing newline of the block (${header[1]}-)`,
    edits: [{ start: sv.span.start, end: sv.span.start + header[0].length, text: `${header[1]}-${indent}` }],
  };
}

function check(ctx: RuleContext, sv: StringValue | undefined, who: string, within: Span): void {
  if (sv === undefined) return;
  const c = parseCondition(sv.value);
  if (c.kind === 'template') {
    const fix = chompFix(ctx, sv);
    const trailing = /\n$/.test(sv.value) && sv.value.trimEnd().endsWith('}}') && sv.value.startsWith('${{');
    ctx.report({
      span: sv.span,
      within,
      message: trailing
        ? `${who} has an if: block that ends in a newline, so the condition is the text '${sv.value.trimEnd()}⏎' — a non-empty string, always true. Use |- or a one-line if.`
        : `${who} has an if: that mixes \${{ }} with other text, so it is a string — non-empty, always true. Write the whole condition as one expression.`,
      ...(fix === undefined ? {} : { fix }),
    });
    return;
  }
  if (c.kind !== 'expression' || isConstant(c.expr)) return;
  if (truthiness(evaluate(c.expr)) === true) {
    ctx.report({
      span: sv.span,
      within,
      confidence: 'medium',
      message: `${who} has an if: that is always true ('${sv.value.trim()}'): part of it is a truthy constant (a non-empty string, a non-zero number) joined with ||. Compare explicitly, e.g. x == 'true'.`,
    });
  }
}

export const unsoundCondition: Rule = {
  id: 'unsound-condition',
  title: 'if: condition that is always true',
  severity: 'high',
  confidence: 'high',
  scope: 'both',
  autofix: true,
  description:
    // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expression syntax, not a JavaScript template
    "An `if:` is evaluated as an expression only when it is exactly one expression. `if: |` followed by `${{ … }}` keeps the block's trailing newline; `if: ${{ a }} && ${{ b }}` has text between two expressions: both are strings, and any non-empty string is true, so the guarded job or step always runs — typically a deploy or a privileged step meant to run only on the main branch or for trusted actors. Conditions such as `x || 'false'` are always true for the same reason.",
  fix: "Write the condition as a single expression on one line (`if: github.ref == 'refs/heads/main'`), or use `|-`/`>-` so the block has no trailing newline; compare strings explicitly instead of relying on truthiness. `airlock audit --fix` switches the block indicator to strip chomping.",
  check(ctx) {
    const doc = ctx.doc;
    if (doc.kind === 'workflow') for (const job of doc.jobs) check(ctx, job.if, jobLabel(job), job.span);
    for (const { step } of allSteps(doc)) check(ctx, step.if, step.label, step.span);
  },
};
