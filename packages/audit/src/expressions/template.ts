import type { Expr } from './ast.ts';
import { ExpressionSyntaxError, parseExpression } from './parser.ts';

/**
 * `${{ … }}` placeholders inside a string value. The closing `}}` is found by scanning the expression's tokens, so a
 * `}}` inside a string literal (`${{ format('{0}}}', x) }}`) does not end it.
 */
export interface Placeholder {
  /** Offset of `${{` in the string. */
  readonly start: number;
  /** Offset just after `}}`. */
  readonly end: number;
  /** The text between `${{` and `}}`. */
  readonly inner: string;
  /** Offset of `inner` in the string. */
  readonly innerStart: number;
  /** The parsed expression, or the syntax error (offset relative to the string). */
  readonly expr: Expr | undefined;
  readonly error: ExpressionSyntaxError | undefined;
}

export interface TemplateScan {
  readonly placeholders: readonly Placeholder[];
  /** An unclosed `${{`, with its offset. */
  readonly unclosed: number | undefined;
}

export function scanTemplate(value: string): TemplateScan {
  const placeholders: Placeholder[] = [];
  let i = 0;
  for (;;) {
    const open = value.indexOf('${{', i);
    if (open < 0) return { placeholders, unclosed: undefined };
    let j = open + 3;
    let inString = false;
    let close = -1;
    while (j < value.length) {
      const c = value[j];
      if (c === "'") inString = !inString;
      else if (!inString && c === '}' && value[j + 1] === '}') {
        close = j;
        break;
      }
      j++;
    }
    if (close < 0) return { placeholders, unclosed: open };
    const inner = value.slice(open + 3, close);
    let expr: Expr | undefined;
    let error: ExpressionSyntaxError | undefined;
    try {
      if (inner.trim() === '') throw new ExpressionSyntaxError('the expression is empty', 0);
      expr = parseExpression(inner);
    } catch (e) {
      if (!(e instanceof ExpressionSyntaxError)) throw e;
      error = new ExpressionSyntaxError(e.message, open + 3 + e.offset);
    }
    placeholders.push({ start: open, end: close + 2, inner, innerStart: open + 3, expr, error });
    i = close + 2;
  }
}

/**
 * How the runner reads an `if:` value: a string that is exactly one `${{ … }}` (nothing before or after it, not even a newline) is that expression;
 * a string with no `${{` is itself an expression; anything else is a template string, always truthy when non-empty.
 */
export type Condition =
  | { readonly kind: 'expression'; readonly expr: Expr; readonly offset: number }
  | { readonly kind: 'template'; readonly scan: TemplateScan }
  | { readonly kind: 'error'; readonly error: ExpressionSyntaxError };

export function parseCondition(value: string): Condition {
  const scan = scanTemplate(value);
  if (scan.unclosed !== undefined) {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: GitHub expression syntax, not a JavaScript template
    return { kind: 'error', error: new ExpressionSyntaxError("'${{' is never closed with '}}'", scan.unclosed) };
  }
  if (scan.placeholders.length === 0) {
    try {
      return { kind: 'expression', expr: parseExpression(value), offset: 0 };
    } catch (e) {
      if (e instanceof ExpressionSyntaxError) return { kind: 'error', error: e };
      throw e;
    }
  }
  const only = scan.placeholders[0] as Placeholder;
  if (scan.placeholders.length === 1 && only.start === 0 && only.end === value.length) {
    if (only.error) return { kind: 'error', error: only.error };
    return { kind: 'expression', expr: only.expr as Expr, offset: only.innerStart };
  }
  const firstError = scan.placeholders.find((p) => p.error)?.error;
  if (firstError) return { kind: 'error', error: firstError };
  return { kind: 'template', scan };
}
