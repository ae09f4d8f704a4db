import { parseCondition } from '../expressions/template.ts';
import { allSteps, allStrings, locate, templateOf } from './shared.ts';
import type { Rule } from './types.ts';

/** YAML that does not parse. What did parse is still audited. */
export const yamlSyntax: Rule = {
  id: 'yaml-syntax',
  title: 'YAML syntax error',
  severity: 'high',
  confidence: 'high',
  scope: 'engine',
  description:
    'The file is not valid YAML (or uses YAML GitHub does not accept, such as duplicate keys). GitHub refuses to run it, and the parts of the file after the error may not have been audited as GitHub would read them.',
  fix: 'Correct the YAML at the position shown; `actionlint` and an editor with the GitHub Actions schema show the same position.',
  check(ctx) {
    for (const e of ctx.file.errors) {
      ctx.report({ span: e.span, message: `YAML: ${e.message}` });
    }
  },
};

/** Parts of the document with the wrong shape (jobs that are not mappings, steps with both uses and run…). */
export const workflowStructure: Rule = {
  id: 'workflow-structure',
  title: 'invalid workflow or action structure',
  severity: 'high',
  confidence: 'high',
  scope: 'both',
  description:
    'A key has a value of the wrong shape (a job that is not a mapping, a step with both `uses` and `run`, a permission that is not read, write or none). GitHub rejects the file; the part with the wrong shape was not audited.',
  fix: 'Give the key the shape the workflow syntax documents.',
  check(ctx) {
    for (const p of ctx.doc.problems) ctx.report({ span: p.span, message: p.message });
  },
};

/** `${{ … }}` that does not parse: GitHub rejects the workflow when it loads it. */
export const expressionSyntax: Rule = {
  id: 'expression-syntax',
  title: 'invalid expression',
  severity: 'high',
  confidence: 'high',
  scope: 'both',
  description:
    // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expression syntax, not a JavaScript template
    'An expression inside `${{ … }}` (or an `if:` condition) does not parse: an unknown context or function, a wrong number of arguments, an unterminated string, a `${{` never closed. GitHub fails the run, and the audit cannot reason about what the expression does.',
  fix: 'Correct the expression; contexts are github, env, vars, job, jobs, steps, runner, secrets, strategy, matrix, needs and inputs, and strings use single quotes.',
  check(ctx) {
    const conditions = new Set<unknown>();
    const ifValues = [
      ...(ctx.doc.kind === 'workflow' ? ctx.doc.jobs.map((j) => j.if) : []),
      ...allSteps(ctx.doc).map(({ step }) => step.if),
    ];
    for (const sv of ifValues) {
      if (sv === undefined) continue;
      conditions.add(sv.node);
      const c = parseCondition(sv.value);
      if (c.kind === 'error') {
        const at = Math.min(c.error.offset, sv.value.length);
        ctx.report({
          span: locate(ctx.file, sv, at, Math.min(at + 1, sv.value.length)),
          message: `invalid condition: ${c.error.message}`,
        });
      }
    }
    for (const sv of allStrings(ctx.file)) {
      if (conditions.has(sv.node) || !sv.value.includes('${{')) continue;
      const scan = templateOf(sv);
      if (scan.unclosed !== undefined) {
        ctx.report({
          span: locate(ctx.file, sv, scan.unclosed, scan.unclosed + 3),
          // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expression syntax, not a JavaScript template
          message: "'${{' is never closed with '}}'",
        });
      }
      for (const p of scan.placeholders) {
        if (p.error === undefined) continue;
        const at = Math.min(p.error.offset, sv.value.length - 1);
        const span = locate(ctx.file, sv, p.start, p.end);
        const exact = ctx.file.text.slice(span.start, span.end) === sv.value.slice(p.start, p.end);
        const point = exact ? span.start + (at - p.start) : span.start;
        ctx.report({
          span: { start: point, end: point + 1 },
          message: `invalid expression '${sv.value.slice(p.start, p.end)}': ${p.error.message}`,
        });
      }
    }
  },
};
