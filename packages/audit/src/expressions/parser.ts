import { type BinaryOp, CONTEXTS, type Expr, FUNCTIONS, type Literal } from './ast.ts';

/**
 * A parser for GitHub Actions expressions, written from the documented grammar: literals (null, booleans, numbers
 * including hexadecimal and exponents, single-quoted strings with `''` escapes), contexts, property access with `.name`,
 * `['name']`, computed `[expr]` and the object filter `.*`/`[*]`, function calls, `!`, comparisons, `==`/`!=`, `&&`
 * and `||`, and parentheses. Precedence, highest first: `()` `[]` `.`; `!`; `<` `<=` `>` `>=`; `==` `!=`; `&&`; `||`.
 *
 * Errors carry the offset where parsing stopped, so a finding can point at the exact column.
 */
export class ExpressionSyntaxError extends Error {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(message);
    this.name = 'ExpressionSyntaxError';
    this.offset = offset;
  }
}

type TokenKind =
  | 'number'
  | 'string'
  | 'ident'
  | 'keyword'
  | '('
  | ')'
  | '['
  | ']'
  | '.'
  | ','
  | '*'
  | '!'
  | 'op'
  | 'end';

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly value?: Literal;
  readonly start: number;
  readonly end: number;
}

const MAX_DEPTH = 64;
export const MAX_EXPRESSION_LENGTH = 21_000; // GitHub's own limit on an expression's length

const isDigit = (c: number) => c >= 48 && c <= 57;
const isIdentStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isIdentPart = (c: number) => isIdentStart(c) || isDigit(c) || c === 45;
const NUMBER = /[-+]?(?:0x[0-9a-fA-F]+|0o[0-7]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)/y;
const VALUE_KINDS = new Set<TokenKind>(['number', 'string', 'ident', 'keyword', ')', ']']);
const KEYWORDS: Readonly<Record<string, Literal>> = {
  true: true,
  false: false,
  null: null,
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
};

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const code = text.charCodeAt(i);
    if (code === 32 || code === 9 || code === 10 || code === 13) {
      i++;
      continue;
    }
    const start = i;
    const c = text[i] as string;
    if (code === 39) {
      // 'string' with '' as the escaped quote
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = text.indexOf("'", from);
        if (q < 0) throw new ExpressionSyntaxError('unterminated string literal', start);
        value += text.slice(from, q);
        if (text.charCodeAt(q + 1) === 39) {
          value += "'";
          from = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      tokens.push({ kind: 'string', text: text.slice(start, i), value, start, end: i });
      continue;
    }
    const prev = tokens.at(-1);
    const next = text.charCodeAt(i + 1);
    const startsNumber =
      isDigit(code) ||
      ((code === 45 || code === 43) && (isDigit(next) || next === 46)) ||
      (code === 46 && isDigit(next) && !(prev !== undefined && (VALUE_KINDS.has(prev.kind) || prev.kind === '*')));
    if (startsNumber) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (m === null) throw new ExpressionSyntaxError('malformed number', i);
      i += m[0].length;
      if (isIdentStart(text.charCodeAt(i))) {
        throw new ExpressionSyntaxError(`unexpected character '${text[i]}' after number`, i);
      }
      tokens.push({ kind: 'number', text: m[0], value: parseNumber(m[0]), start, end: i });
      continue;
    }
    if (isIdentStart(code)) {
      i++;
      while (i < n && isIdentPart(text.charCodeAt(i))) i++;
      const word = text.slice(start, i);
      // Keywords are case-sensitive in GitHub's lexer: only the exact spellings are literals.
      if (Object.hasOwn(KEYWORDS, word)) {
        tokens.push({ kind: 'keyword', text: word, value: KEYWORDS[word] as Literal, start, end: i });
      } else {
        tokens.push({ kind: 'ident', text: word, start, end: i });
      }
      continue;
    }
    if (next === 61 && (code === 61 || code === 33 || code === 60 || code === 62)) {
      tokens.push({ kind: 'op', text: text.slice(i, i + 2), start, end: i + 2 });
      i += 2;
      continue;
    }
    if ((code === 38 && next === 38) || (code === 124 && next === 124)) {
      tokens.push({ kind: 'op', text: text.slice(i, i + 2), start, end: i + 2 });
      i += 2;
      continue;
    }
    if (code === 60 || code === 62) {
      tokens.push({ kind: 'op', text: c, start, end: i + 1 });
      i++;
      continue;
    }
    if ('()[].,*!'.includes(c)) {
      tokens.push({ kind: c as TokenKind, text: c, start, end: i + 1 });
      i++;
      continue;
    }
    throw new ExpressionSyntaxError(`unexpected character '${c}'`, i);
  }
  tokens.push({ kind: 'end', text: '', start: n, end: n });
  return tokens;
}

function parseNumber(text: string): number {
  const sign = text.startsWith('-') ? -1 : 1;
  const body = text.replace(/^[-+]/, '');
  if (/^0x/i.test(body)) return sign * Number.parseInt(body.slice(2), 16);
  if (/^0o/i.test(body)) return sign * Number.parseInt(body.slice(2), 8);
  return sign * Number(body);
}

const PRECEDENCE: Readonly<Record<string, number>> = {
  '||': 1,
  '&&': 2,
  '==': 3,
  '!=': 3,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
};

/**
 * Parsed expressions by text. Workflows repeat the same expressions and conditions many times (`${{ github.sha }}`, a
 * job's `if:` on every step), and an Expr is immutable data with offsets relative to its own text, so one parse
 * serves every occurrence. Bounded: cleared when full. Syntax errors are not cached (they are thrown fresh).
 */
const PARSED = new Map<string, Expr>();
const MAX_PARSED = 20_000;

/** Parse one expression (the text between `${{` and `}}`, or an `if:` condition). */
export function parseExpression(text: string): Expr {
  let expr = PARSED.get(text);
  if (expr === undefined) {
    expr = parse(text);
    if (PARSED.size >= MAX_PARSED) PARSED.clear();
    PARSED.set(text, expr);
  }
  return expr;
}

function parse(text: string): Expr {
  if (text.length > MAX_EXPRESSION_LENGTH) {
    throw new ExpressionSyntaxError(`the expression is longer than ${MAX_EXPRESSION_LENGTH} characters`, 0);
  }
  const tokens = tokenize(text);
  let pos = 0;
  let depth = 0;
  const peek = (): Token => tokens[pos] as Token;
  const next = (): Token => tokens[pos++] as Token;
  const expect = (kind: TokenKind, what: string): Token => {
    const t = peek();
    if (t.kind !== kind) throw new ExpressionSyntaxError(`expected ${what}, found ${describe(t)}`, t.start);
    return next();
  };
  const enter = (at: number) => {
    if (++depth > MAX_DEPTH)
      throw new ExpressionSyntaxError(`the expression nests deeper than ${MAX_DEPTH} levels`, at);
  };

  const binary = (minPrec: number): Expr => {
    let left = unary();
    for (;;) {
      const t = peek();
      if (t.kind !== 'op') return left;
      const prec = PRECEDENCE[t.text] as number;
      if (prec < minPrec) return left;
      next();
      enter(t.start);
      const right = binary(prec + 1);
      depth--;
      left = { kind: 'binary', op: t.text as BinaryOp, left, right, start: left.start, end: right.end };
    }
  };

  const unary = (): Expr => {
    const t = peek();
    if (t.kind === '!') {
      next();
      enter(t.start);
      const operand = unary();
      depth--;
      return { kind: 'not', operand, start: t.start, end: operand.end };
    }
    return postfix(primary());
  };

  const primary = (): Expr => {
    const t = next();
    switch (t.kind) {
      case 'number':
      case 'string':
      case 'keyword':
        return { kind: 'literal', value: t.value as Literal, start: t.start, end: t.end };
      case '(': {
        enter(t.start);
        const inner = binary(1);
        depth--;
        const close = expect(')', "')'");
        return { ...inner, start: t.start, end: close.end } as Expr;
      }
      case 'ident': {
        if (peek().kind === '(') {
          next();
          const name = t.text.toLowerCase();
          const arity = FUNCTIONS[name];
          if (arity === undefined) throw new ExpressionSyntaxError(`unknown function '${t.text}'`, t.start);
          const args: Expr[] = [];
          if (peek().kind !== ')') {
            for (;;) {
              enter(t.start);
              args.push(binary(1));
              depth--;
              if (peek().kind === ',') {
                next();
                continue;
              }
              break;
            }
          }
          const close = expect(')', "',' or ')'");
          if (args.length < arity[0] || args.length > arity[1]) {
            const range = arity[0] === arity[1] ? `${arity[0]}` : `${arity[0]} or more`;
            throw new ExpressionSyntaxError(
              `${t.text}() takes ${range} argument${arity[1] === 1 ? '' : 's'}, got ${args.length}`,
              t.start,
            );
          }
          return { kind: 'call', name, args, start: t.start, end: close.end };
        }
        const lower = t.text.toLowerCase();
        if (!(CONTEXTS as readonly string[]).includes(lower)) {
          throw new ExpressionSyntaxError(
            `unknown context '${t.text}' (expected one of ${CONTEXTS.join(', ')})`,
            t.start,
          );
        }
        return { kind: 'context', name: lower, start: t.start, end: t.end };
      }
      default:
        throw new ExpressionSyntaxError(`expected a value, found ${describe(t)}`, t.start);
    }
  };

  const postfix = (base: Expr): Expr => {
    let node = base;
    for (;;) {
      const t = peek();
      if (t.kind === '.') {
        next();
        const name = next();
        if (name.kind === '*') {
          node = { kind: 'star', object: node, start: node.start, end: name.end };
        } else if (name.kind === 'ident' || name.kind === 'keyword') {
          node = { kind: 'property', object: node, name: name.text, start: node.start, end: name.end };
        } else {
          throw new ExpressionSyntaxError(`expected a property name after '.', found ${describe(name)}`, name.start);
        }
        continue;
      }
      if (t.kind === '[') {
        next();
        if (peek().kind === '*') {
          next();
          const close = expect(']', "']'");
          node = { kind: 'star', object: node, start: node.start, end: close.end };
          continue;
        }
        enter(t.start);
        const index = binary(1);
        depth--;
        const close = expect(']', "']'");
        node =
          index.kind === 'literal' && typeof index.value === 'string'
            ? { kind: 'property', object: node, name: index.value, start: node.start, end: close.end }
            : { kind: 'index', object: node, index, start: node.start, end: close.end };
        continue;
      }
      return node;
    }
  };

  const expr = binary(1);
  const rest = peek();
  if (rest.kind !== 'end')
    throw new ExpressionSyntaxError(`unexpected ${describe(rest)} after the expression`, rest.start);
  return expr;
}

function describe(t: Token): string {
  return t.kind === 'end' ? 'the end of the expression' : `'${t.text}'`;
}
