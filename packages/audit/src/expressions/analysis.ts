import { type Expr, type Literal, type PathSegment, STATUS_FUNCTIONS } from './ast.ts';

/** A use of a context: `github.event.issue.title` → root `github`, path `['event', 'issue', 'title']`. */
export interface Reference {
  readonly root: string;
  readonly path: readonly PathSegment[];
  /** Offsets of the whole reference in the expression text. */
  readonly start: number;
  readonly end: number;
}

export function referenceText(ref: Reference): string {
  return [ref.root, ...ref.path.map((p) => (p === null ? '[…]' : p))].join('.').replace(/\.\[…\]/g, '[…]');
}

/** The reference an access chain makes, or undefined when the chain does not start at a context. */
export function asReference(expr: Expr): Reference | undefined {
  const path: PathSegment[] = [];
  let node: Expr = expr;
  for (;;) {
    switch (node.kind) {
      case 'property':
        path.unshift(node.name);
        node = node.object;
        continue;
      case 'star':
        path.unshift('*');
        node = node.object;
        continue;
      case 'index':
        path.unshift(
          node.index.kind === 'literal' && typeof node.index.value === 'number' ? String(node.index.value) : null,
        );
        node = node.object;
        continue;
      case 'context':
        return { root: node.name, path, start: expr.start, end: expr.end };
      default:
        return undefined;
    }
  }
}

/** Every context reference in an expression (maximal access chains only, plus references inside computed indexes). */
export function references(expr: Expr): Reference[] {
  const out: Reference[] = [];
  const visit = (node: Expr): void => {
    const ref = asReference(node);
    if (ref !== undefined) {
      out.push(ref);
      collectIndexes(node, visit);
      return;
    }
    switch (node.kind) {
      case 'call':
        node.args.forEach(visit);
        return;
      case 'not':
        visit(node.operand);
        return;
      case 'binary':
        visit(node.left);
        visit(node.right);
        return;
      case 'property':
      case 'star':
        visit(node.object);
        return;
      case 'index':
        visit(node.object);
        visit(node.index);
        return;
      default:
        return;
    }
  };
  visit(expr);
  return out;
}

function collectIndexes(node: Expr, visit: (e: Expr) => void): void {
  let n: Expr = node;
  while (n.kind === 'property' || n.kind === 'star' || n.kind === 'index') {
    if (n.kind === 'index') visit(n.index);
    n = n.object;
  }
}

/**
 * The references whose value can end up in the expression's result, i.e. in the text a template produces. Booleans
 * from comparisons, `!`, `contains()`, `startsWith()`, `endsWith()`, `hashFiles()` and status functions carry no
 * attacker text; `format()`, `join()`, `toJSON()`, `fromJSON()`, `case()` values and `||` operands do. `a && b` yields
 * `b` unless `a` is falsy, and a falsy value is empty, so only `b` flows.
 */
export interface Flow {
  readonly ref: Reference;
  /** The reference is serialised whole (toJSON or an object interpolated): everything under it flows. */
  readonly whole: boolean;
  /** It flows through a function (format, join, …) rather than directly. */
  readonly indirect: boolean;
}

export function flows(expr: Expr): Flow[] {
  const out: Flow[] = [];
  const visit = (node: Expr, indirect: boolean, whole: boolean): void => {
    const ref = asReference(node);
    if (ref !== undefined) {
      out.push({ ref, whole, indirect });
      return;
    }
    switch (node.kind) {
      case 'call': {
        switch (node.name) {
          case 'format':
          case 'join':
          case 'fromjson':
            for (const a of node.args) visit(a, true, whole);
            return;
          case 'tojson':
            for (const a of node.args) visit(a, true, true);
            return;
          case 'case':
            node.args.forEach((a, i) => {
              if (i % 2 === 1 || i === node.args.length - 1) visit(a, true, whole);
            });
            return;
          default:
            return;
        }
      }
      case 'binary':
        if (node.op === '||') {
          visit(node.left, indirect, whole);
          visit(node.right, indirect, whole);
        } else if (node.op === '&&') {
          visit(node.right, indirect, whole);
        }
        return;
      default:
        return;
    }
  };
  visit(expr, false, false);
  return out;
}

/** Every function called in an expression (lower case). */
export function functionsCalled(expr: Expr): string[] {
  const out: string[] = [];
  const visit = (node: Expr): void => {
    switch (node.kind) {
      case 'call':
        out.push(node.name);
        node.args.forEach(visit);
        return;
      case 'not':
        visit(node.operand);
        return;
      case 'binary':
        visit(node.left);
        visit(node.right);
        return;
      case 'property':
      case 'star':
        visit(node.object);
        return;
      case 'index':
        visit(node.object);
        visit(node.index);
        return;
      default:
        return;
    }
  };
  visit(expr);
  return out;
}

/**
 * Abstract evaluation for conditions: a value is either known, or unknown with possibly known truthiness. Contexts
 * and status functions are unknown; literals and what can be computed from them are known. `a || 'x'` is unknown but
 * known truthy — the shape of an always-true condition.
 */
export type Abstract =
  | { readonly known: true; readonly value: Literal }
  | { readonly known: false; readonly truthy: boolean | undefined };

const UNKNOWN: Abstract = { known: false, truthy: undefined };

export function truthy(value: Literal): boolean {
  if (value === null || value === false || value === '' || value === 0) return false;
  if (typeof value === 'number' && Number.isNaN(value)) return false;
  return true;
}

export function truthiness(a: Abstract): boolean | undefined {
  return a.known ? truthy(a.value) : a.truthy;
}

function toNumber(value: Literal): number {
  if (value === null) return 0;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  const trimmed = value.trim();
  if (trimmed === '') return 0;
  if (/^[-+]?0x[0-9a-f]+$/i.test(trimmed)) return Number.parseInt(trimmed, 16);
  const n = Number(trimmed);
  return n;
}

/** GitHub's loose equality: same types compare directly (strings case-insensitively), others as numbers. */
export function looseEquals(a: Literal, b: Literal): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  if (a === null && b === null) return true;
  if (typeof a === typeof b) return a === b;
  const x = toNumber(a);
  const y = toNumber(b);
  return !Number.isNaN(x) && !Number.isNaN(y) && x === y;
}

function compare(op: '<' | '<=' | '>' | '>=', a: Literal, b: Literal): boolean {
  let x: number | string;
  let y: number | string;
  if (typeof a === 'string' && typeof b === 'string') {
    x = a.toLowerCase();
    y = b.toLowerCase();
  } else {
    x = toNumber(a);
    y = toNumber(b);
    if (Number.isNaN(x) || Number.isNaN(y)) return false;
  }
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    default:
      return x >= y;
  }
}

const known = (value: Literal): Abstract => ({ known: true, value });

export function evaluate(expr: Expr): Abstract {
  switch (expr.kind) {
    case 'literal':
      return known(expr.value);
    case 'context':
    case 'property':
    case 'index':
    case 'star':
      return UNKNOWN;
    case 'not': {
      const t = truthiness(evaluate(expr.operand));
      return t === undefined ? UNKNOWN : known(!t);
    }
    case 'call': {
      if (STATUS_FUNCTIONS.has(expr.name) || expr.name === 'hashfiles') return UNKNOWN;
      const args = expr.args.map(evaluate);
      if (!args.every((a) => a.known)) {
        if (expr.name === 'format' || expr.name === 'join' || expr.name === 'tojson') {
          // format('{0}', x) is a non-empty string when the format string has text outside its placeholders
          const first = args[0];
          if (expr.name === 'format' && first?.known && typeof first.value === 'string') {
            if (first.value.replace(/\{\d+\}/g, '') !== '') return { known: false, truthy: true };
          }
          if (expr.name === 'tojson') return { known: false, truthy: true };
        }
        return UNKNOWN;
      }
      const values = args.map((a) => (a as { value: Literal }).value);
      const str = (v: Literal) => (v === null ? '' : String(v));
      switch (expr.name) {
        case 'contains':
          return known(
            str(values[0] ?? null)
              .toLowerCase()
              .includes(str(values[1] ?? null).toLowerCase()),
          );
        case 'startswith':
          return known(
            str(values[0] ?? null)
              .toLowerCase()
              .startsWith(str(values[1] ?? null).toLowerCase()),
          );
        case 'endswith':
          return known(
            str(values[0] ?? null)
              .toLowerCase()
              .endsWith(str(values[1] ?? null).toLowerCase()),
          );
        case 'format': {
          const [fmt, ...rest] = values;
          return known(str(fmt ?? null).replace(/\{(\d+)\}/g, (_m, i: string) => str(rest[Number(i)] ?? null)));
        }
        default:
          return UNKNOWN;
      }
    }
    case 'binary': {
      const left = evaluate(expr.left);
      if (expr.op === '||') {
        const lt = truthiness(left);
        if (lt === true) return left;
        const right = evaluate(expr.right);
        if (lt === false) return right;
        return truthiness(right) === true ? { known: false, truthy: true } : UNKNOWN;
      }
      if (expr.op === '&&') {
        const lt = truthiness(left);
        if (lt === false) return left;
        const right = evaluate(expr.right);
        if (lt === true) return right;
        return truthiness(right) === false ? { known: false, truthy: false } : UNKNOWN;
      }
      const right = evaluate(expr.right);
      if (!left.known || !right.known) return UNKNOWN;
      switch (expr.op) {
        case '==':
          return known(looseEquals(left.value, right.value));
        case '!=':
          return known(!looseEquals(left.value, right.value));
        default:
          return known(compare(expr.op, left.value, right.value));
      }
    }
  }
}

/** True when the expression has no context or function in it (a constant the author wrote on purpose). */
export function isConstant(expr: Expr): boolean {
  switch (expr.kind) {
    case 'literal':
      return true;
    case 'not':
      return isConstant(expr.operand);
    case 'binary':
      return isConstant(expr.left) && isConstant(expr.right);
    default:
      return false;
  }
}
