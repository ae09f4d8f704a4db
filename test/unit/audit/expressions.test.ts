// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub expression syntax throughout, not JavaScript templates
import {
  type Expr,
  ExpressionSyntaxError,
  evaluate,
  flows,
  parseCondition,
  parseExpression,
  references,
  referenceText,
  scanTemplate,
  truthiness,
} from '@airlock/audit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/** The tree without offsets, for comparisons. */
function shape(e: Expr): unknown {
  switch (e.kind) {
    case 'literal':
      return { lit: e.value };
    case 'context':
      return { ctx: e.name };
    case 'property':
      return { prop: e.name, of: shape(e.object) };
    case 'index':
      return { index: shape(e.index), of: shape(e.object) };
    case 'star':
      return { star: shape(e.object) };
    case 'call':
      return { call: e.name, args: e.args.map(shape) };
    case 'not':
      return { not: shape(e.operand) };
    case 'binary':
      return { op: e.op, l: shape(e.left), r: shape(e.right) };
  }
}

function print(e: Expr): string {
  switch (e.kind) {
    case 'literal':
      if (typeof e.value === 'string') return `'${e.value.replaceAll("'", "''")}'`;
      return String(e.value);
    case 'context':
      return e.name;
    case 'property':
      return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(e.name) && !['true', 'false', 'null', 'NaN', 'Infinity'].includes(e.name)
        ? `${print(e.object)}.${e.name}`
        : `${print(e.object)}['${e.name.replaceAll("'", "''")}']`;
    case 'index':
      return `${print(e.object)}[${print(e.index)}]`;
    case 'star':
      return `${print(e.object)}.*`;
    case 'call':
      return `${e.name}(${e.args.map(print).join(', ')})`;
    case 'not':
      return `!(${print(e.operand)})`;
    case 'binary':
      return `(${print(e.left)} ${e.op} ${print(e.right)})`;
  }
}

const at = { start: 0, end: 0 };
const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(
      fc.constantFrom<Expr>(
        { kind: 'literal', value: null, ...at },
        { kind: 'literal', value: true, ...at },
        { kind: 'literal', value: false, ...at },
      ),
      fc.integer({ min: 0, max: 1_000_000 }).map<Expr>((n) => ({ kind: 'literal', value: n, ...at })),
      fc.string({ maxLength: 8 }).map<Expr>((s) => ({ kind: 'literal', value: s, ...at })),
      fc
        .constantFrom('github', 'env', 'inputs', 'steps', 'matrix', 'secrets')
        .map<Expr>((name) => ({ kind: 'context', name, ...at })),
    ),
    fc
      .tuple(tie('expr'), fc.stringMatching(/^[a-z_][a-z0-9_-]{0,6}$/))
      .filter(([o]) => o.kind === 'context' || o.kind === 'property')
      .map<Expr>(([object, name]) => ({ kind: 'property', object, name, ...at })),
    fc
      .tuple(tie('expr'), fc.constantFrom('a b', "it's", '0'))
      .filter(([o]) => o.kind === 'context')
      .map<Expr>(([object, name]) => ({ kind: 'property', object, name, ...at })),
    tie('expr')
      .filter((o) => o.kind === 'context')
      .map<Expr>((object) => ({ kind: 'star', object, ...at })),
    fc.tuple(tie('expr'), tie('expr')).map<Expr>(([a, b]) => ({ kind: 'call', name: 'contains', args: [a, b], ...at })),
    fc
      .array(tie('expr'), { minLength: 1, maxLength: 3 })
      .map<Expr>((args) => ({ kind: 'call', name: 'format', args, ...at })),
    tie('expr').map<Expr>((operand) => ({ kind: 'not', operand, ...at })),
    fc
      .tuple(fc.constantFrom('||', '&&', '==', '!=', '<', '<=', '>', '>=' as const), tie('expr'), tie('expr'))
      .map<Expr>(([op, left, right]) => ({ kind: 'binary', op, left, right, ...at })),
  ),
})).expr;

describe('expression parser', () => {
  it('parses literals as GitHub defines them', () => {
    const lit = (t: string) => (parseExpression(t) as { value: unknown }).value;
    expect(lit('null')).toBe(null);
    expect(lit('true')).toBe(true);
    expect(lit('0x1F')).toBe(31);
    expect(lit('-1.5e3')).toBe(-1500);
    expect(lit('.5')).toBe(0.5);
    expect(lit("'it''s'")).toBe("it's");
    expect(lit('NaN')).toBeNaN();
  });

  it('gives && precedence over || and comparisons over both, and reads access chains', () => {
    expect(shape(parseExpression("env.b == 'x' || !vars.c && steps.d[0] != needs['f-g'].* < 2"))).toEqual(
      shape(parseExpression("(env.b == 'x') || ((!vars.c) && (steps.d[0] != (needs['f-g'].* < 2)))")),
    );
    expect(shape(parseExpression('github.a || github.b && github.c'))).toEqual(
      shape(parseExpression('github.a || (github.b && github.c)')),
    );
    const e = parseExpression("github.event.pull_request['head'].ref");
    expect(referenceText(references(e)[0] as never)).toBe('github.event.pull_request.head.ref');
    const call = parseExpression("CONTAINS(github.event.*.labels, 'x')");
    expect(call.kind === 'call' && call.name).toBe('contains');
  });

  it('rejects bad input with an ExpressionSyntaxError at the right offset, never anything else', () => {
    const cases: Array<[string, number, RegExp]> = [
      ['github.', 7, /property name/],
      ['nosuch.x', 0, /unknown context 'nosuch'/],
      ['contains(a)', 0, /unknown context|takes 2/],
      ["contains(github.ref, 'x', 'y')", 0, /takes 2 arguments, got 3/],
      ["'open", 0, /unterminated string/],
      ['github.ref = 1', 11, /unexpected character '='/],
      ['(github.ref', 11, /expected '\)'/],
      ['github.ref ==', 13, /expected a value/],
      ['frobnicate()', 0, /unknown function 'frobnicate'/],
      ['1abc', 1, /after number/],
      ['github.ref github.sha', 11, /unexpected 'github'/],
    ];
    for (const [text, offset, message] of cases) {
      let error: unknown;
      try {
        parseExpression(text);
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(ExpressionSyntaxError);
      expect((error as ExpressionSyntaxError).message, text).toMatch(message);
      if (!/unknown context|takes 2/.test(message.source))
        expect((error as ExpressionSyntaxError).offset, text).toBe(offset);
    }
  });

  it('refuses pathological nesting and length instead of overflowing the stack', () => {
    expect(() => parseExpression(`${'('.repeat(50_000)}1${')'.repeat(50_000)}`)).toThrow(ExpressionSyntaxError);
    expect(() => parseExpression(`${'!'.repeat(10_000)}true`)).toThrow(/nests deeper/);
    expect(() => parseExpression(`'${'x'.repeat(30_000)}'`)).toThrow(/longer than/);
  });

  it('round-trips any expression it prints (property)', () => {
    fc.assert(
      fc.property(exprArb, (e) => {
        expect(shape(parseExpression(print(e)))).toEqual(shape(parseExpression(print(parseExpression(print(e))))));
        expect(shape(parseExpression(print(e)))).toEqual(shape(e));
      }),
      { numRuns: 400 },
    );
  });

  it('never throws anything but ExpressionSyntaxError on arbitrary text (property)', () => {
    const piece = fc.constantFrom(
      'github',
      '.',
      'event',
      '(',
      ')',
      '[',
      ']',
      "'",
      "''",
      '==',
      '&&',
      '||',
      '!',
      '*',
      ',',
      '1',
      '-',
      '0x',
      'e5',
      ' ',
      'contains',
      'toJSON',
      'true',
      'inputs',
      '}}',
      '${{',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(piece, { maxLength: 30 }).map((p) => p.join('')),
        ),
        (text) => {
          try {
            parseExpression(text);
          } catch (e) {
            expect(e).toBeInstanceOf(ExpressionSyntaxError);
          }
          const scan = scanTemplate(`x ${text} \${{ ${text} }} y`);
          for (const p of scan.placeholders) {
            expect(p.start).toBeGreaterThanOrEqual(0);
            expect(p.end).toBeGreaterThan(p.start);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('templates and conditions', () => {
  it('finds placeholders, ignoring }} inside string literals', () => {
    const scan = scanTemplate("a ${{ format('{0}}}', github.sha) }} b ${{ github.ref }}");
    expect(scan.placeholders.map((p) => p.inner.trim())).toEqual(["format('{0}}}', github.sha)", 'github.ref']);
    expect(scanTemplate('x ${{ github.ref').unclosed).toBe(2);
  });

  it('reads if: the way the runner does', () => {
    expect(parseCondition("github.ref == 'refs/heads/main'").kind).toBe('expression');
    expect(parseCondition('${{ github.ref }}').kind).toBe('expression');
    expect(parseCondition('${{ github.ref }}\n').kind).toBe('template');
    expect(parseCondition('${{ a.b }} && ${{ c }}').kind).toBe('error');
    expect(parseCondition('${{ github.a }} && ${{ github.b }}').kind).toBe('template');
  });

  it('evaluates what can be known: always-true shapes', () => {
    const t = (text: string) => truthiness(evaluate(parseExpression(text)));
    expect(t("github.ref == 'x' || 'false'")).toBe(true);
    expect(t("github.ref == 'x' || 0")).toBeUndefined();
    expect(t("'A' == 'a'")).toBe(true);
    expect(t("1 == '1'")).toBe(true);
    expect(t('null == 0')).toBe(true);
    expect(t("format('{0}-x', github.ref)")).toBe(true);
    expect(t('always()')).toBeUndefined();
    expect(t("!(github.ref && '')")).toBe(true);
  });

  it('follows attacker data through functions and operators, not through booleans', () => {
    const refs = (text: string) => flows(parseExpression(text)).map((f) => referenceText(f.ref));
    expect(refs("format('{0}', github.event.issue.title)")).toEqual(['github.event.issue.title']);
    expect(refs("github.head_ref || 'main'")).toEqual(['github.head_ref']);
    expect(refs("contains(github.event.issue.title, 'x')")).toEqual([]);
    expect(refs("github.event.issue.title == 'x'")).toEqual([]);
    expect(refs("github.event.issue.title && 'yes'")).toEqual([]);
    expect(flows(parseExpression('toJSON(github.event)'))[0]?.whole).toBe(true);
  });
});
