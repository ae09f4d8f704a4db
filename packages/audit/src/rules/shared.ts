import { isMap, isPair, isScalar, isSeq, type Scalar } from 'yaml';
import type { Expr } from '../expressions/ast.ts';
import { scanTemplate, type TemplateScan } from '../expressions/template.ts';
import { type StepFacts, stepFacts } from '../knowledge/index.ts';
import { Memo } from '../memo.ts';
import type { Action, Document, EnvVar, Job, Step, StringValue, Workflow } from '../model/types.ts';
import type { SourceFile, Span } from '../source/yaml.ts';

/**
 * Map a range of a scalar's value back to the source. Block literals, plain scalars and quoted scalars without
 * escapes keep each line of the value verbatim in the source, so the text is found there; when it is not (escapes,
 * folding across lines), the scalar's own start is the best position there is.
 */
export function locate(file: SourceFile, sv: StringValue, start: number, end: number): Span {
  const needle = sv.value.slice(start, end);
  if (needle === '' || needle.includes('\n')) return { start: sv.span.start, end: sv.span.start };
  let occurrence = 0;
  for (let i = sv.value.indexOf(needle); i >= 0 && i < start; i = sv.value.indexOf(needle, i + 1)) occurrence++;
  const source = file.text.slice(sv.span.start, sv.span.end);
  let at = -1;
  for (let k = 0, from = 0; k <= occurrence; k++) {
    at = source.indexOf(needle, from);
    if (at < 0) break;
    from = at + 1;
  }
  if (at < 0) return { start: sv.span.start, end: sv.span.start };
  return { start: sv.span.start + at, end: sv.span.start + at + needle.length };
}

export interface LocatedExpression {
  readonly expr: Expr;
  /** The whole `${{ … }}` in the source. */
  readonly span: Span;
  /** The text of the placeholder as written, `${{ … }}`. */
  readonly text: string;
  /** Inner text (between the braces). */
  readonly inner: string;
  /** True when `span` is the exact text of the placeholder in the source (safe to edit). */
  readonly exact: boolean;
  /** Offset of the placeholder in the scalar's value. */
  readonly valueStart: number;
}

const LOCATED = new Memo<Scalar, LocatedExpression[]>();
const NONE: LocatedExpression[] = [];

/** The parsed `${{ … }}` of a scalar, located in the source (cached per scalar: several rules ask). */
export function expressionsIn(file: SourceFile, sv: StringValue): LocatedExpression[] {
  if (!sv.value.includes('${{')) return NONE;
  const cached = LOCATED.get(sv.node);
  if (cached !== undefined) return cached;
  const out = locateExpressions(file, sv);
  LOCATED.set(sv.node, out);
  return out;
}

const SCANS = new Memo<Scalar, TemplateScan>();

/** The `${{ … }}` placeholders of a scalar's value (cached per scalar). */
export function templateOf(sv: StringValue): TemplateScan {
  let scan = SCANS.get(sv.node);
  if (scan === undefined) {
    scan = scanTemplate(sv.value);
    SCANS.set(sv.node, scan);
  }
  return scan;
}

function locateExpressions(file: SourceFile, sv: StringValue): LocatedExpression[] {
  const scan = templateOf(sv);
  const out: LocatedExpression[] = [];
  for (const p of scan.placeholders) {
    if (p.expr === undefined) continue;
    const span = locate(file, sv, p.start, p.end);
    const text = sv.value.slice(p.start, p.end);
    out.push({
      expr: p.expr,
      span,
      text,
      inner: p.inner,
      exact: file.text.slice(span.start, span.end) === text,
      valueStart: p.start,
    });
  }
  return out;
}

/** Env variables visible to a step, innermost first (step, job, workflow). */
export function visibleEnv(doc: Document, job: Job | undefined, step: Step | undefined): EnvVar[] {
  const out: EnvVar[] = [];
  if (step) out.push(...step.env);
  if (job) out.push(...job.env);
  if (doc.kind === 'workflow') out.push(...doc.env);
  return out;
}

export function lookupEnv(
  doc: Document,
  job: Job | undefined,
  step: Step | undefined,
  name: string,
): EnvVar | undefined {
  return visibleEnv(doc, job, step).find((e) => e.name === name);
}

const TOKEN_VALUE = /\$\{\{\s*(github\.token|secrets\.github_token)\s*\}\}/i;

const carriesToken = (e: EnvVar): boolean => e.value !== undefined && TOKEN_VALUE.test(e.value.value);
/** Whether a job's or a workflow's own env carries the token (the same for each of its steps). */
const ENV_TOKEN = new Memo<object, boolean>();
function envCarriesToken(owner: object, env: readonly EnvVar[]): boolean {
  let carries = ENV_TOKEN.get(owner);
  if (carries === undefined) {
    carries = env.some(carriesToken);
    ENV_TOKEN.set(owner, carries);
  }
  return carries;
}

/** Does an env variable visible to the step carry the GITHUB_TOKEN? */
export function tokenInEnv(doc: Document, job: Job | undefined, step: Step): boolean {
  return (
    step.env.some(carriesToken) ||
    (job !== undefined && envCarriesToken(job, job.env)) ||
    (doc.kind === 'workflow' && envCarriesToken(doc, doc.env))
  );
}

const FACTS = new Memo<Step, StepFacts>();

export function factsOf(doc: Document, job: Job | undefined, step: Step): StepFacts {
  let facts = FACTS.get(step);
  if (facts === undefined) {
    facts = stepFacts(step, tokenInEnv(doc, job, step));
    FACTS.set(step, facts);
  }
  return facts;
}

/** Every (job, step) pair of a document: the jobs' steps of a workflow, the steps of a composite action. */
export function allSteps(doc: Document): Array<{ job: Job | undefined; step: Step }> {
  if (doc.kind === 'action') return doc.steps.map((step) => ({ job: undefined, step }));
  return doc.jobs.flatMap((job) => job.steps.map((step) => ({ job, step })));
}

export function triggerNames(doc: Document): Set<string> {
  return new Set(doc.kind === 'workflow' ? doc.triggers.map((t) => t.name) : []);
}

/** Events whose runs can be started by someone without write access, with the base repository's privileges. */
export const PRIVILEGED_UNTRUSTED_TRIGGERS = new Set([
  'pull_request_target',
  'workflow_run',
  'issue_comment',
  'issues',
  'discussion',
  'discussion_comment',
  'pull_request_review',
  'pull_request_review_comment',
  'fork',
  'watch',
]);

/** Events that run code from pull requests, forks included. */
export const PULL_REQUEST_TRIGGERS = new Set([
  'pull_request',
  'pull_request_target',
  'pull_request_review',
  'pull_request_review_comment',
  'issue_comment',
  'merge_group',
  'workflow_run',
]);

/** Inputs of the document declared with a type that cannot carry a script. */
export function typedInputs(doc: Document): Set<string> {
  const out = new Set<string>();
  const inputs = (doc as Workflow | Action).inputs;
  for (const [name, input] of inputs) {
    if (
      input.type === 'boolean' ||
      input.type === 'number' ||
      input.type === 'choice' ||
      input.type === 'environment'
    ) {
      out.add(name);
    }
  }
  return out;
}

export function jobLabel(job: Job): string {
  return `job '${job.id}'`;
}

/** The indentation (in spaces) of the line holding `offset`. */
export function indentAt(file: SourceFile, offset: number): number {
  const { line } = file.position(offset);
  const text = file.lineText(line);
  return text.length - text.trimStart().length;
}

/** The offset just after the end of the line holding `offset` (the start of the next line, or the end of text). */
export function endOfLine(file: SourceFile, offset: number): number {
  const nl = file.text.indexOf('\n', offset);
  return nl < 0 ? file.text.length : nl + 1;
}

/** The newline the file uses. */
export function eol(file: SourceFile): string {
  return file.text.includes('\r\n') ? '\r\n' : '\n';
}

const STRINGS = new Memo<SourceFile, StringValue[]>();

/** Every string scalar of a file (values and keys), in document order. */
export function allStrings(file: SourceFile): StringValue[] {
  let out = STRINGS.get(file);
  if (out !== undefined) return out;
  out = [];
  const list = out;
  if (file.root !== null) {
    visitNode(file.root, (node) => {
      if (typeof node.value === 'string' && node.range) {
        list.push({ value: node.value, node, span: { start: node.range[0], end: node.range[1] } });
      }
    });
  }
  STRINGS.set(file, list);
  return list;
}

function visitNode(node: unknown, onScalar: (s: Scalar) => void): void {
  if (isScalar(node)) onScalar(node as Scalar);
  else if (isMap(node) || isSeq(node)) {
    for (const item of (node as { items: unknown[] }).items) {
      if (isPair(item)) {
        visitNode(item.key, onScalar);
        visitNode(item.value, onScalar);
      } else visitNode(item, onScalar);
    }
  }
}

export function contains(outer: Span, inner: Span): boolean {
  return inner.start >= outer.start && inner.end <= outer.end;
}

/** The job of a workflow whose span holds this span. */
export function jobAt(doc: Document, span: Span): Job | undefined {
  if (doc.kind !== 'workflow') return undefined;
  return doc.jobs.find((j) => contains(j.span, span));
}

export function stepAt(job: Job | undefined, doc: Document, span: Span): Step | undefined {
  const steps = job ? job.steps : doc.kind === 'action' ? doc.steps : [];
  return steps.find((s) => contains(s.span, span));
}

/** Finds the other documents of an audit by path (the engine registers one resolver per audit). */
export type Siblings = (path: string) => Document | undefined;
const SIBLINGS = new Memo<Document, Siblings>();

export function setSiblings(doc: Document, siblings: Siblings): void {
  SIBLINGS.set(doc, siblings);
}

/** Another document of the same audit, by its path relative to the repository root (slug lower-cased). */
export function siblingDocument(doc: Document, path: string): Document | undefined {
  return SIBLINGS.get(doc)?.(path.toLowerCase());
}
