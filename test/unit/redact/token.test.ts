import { compileRules, RULES } from '@airlock/redact';
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { GENERIC_KEYWORDS } from '../../../packages/redact/src/generic.ts';
import { compileToken, compileTokens, type TokenPart, type TokenShape } from '../../../packages/redact/src/token.ts';

/** What the engine takes from a pattern: anchored at 0, leftmost-first, the first capture group that took part. */
function byPattern(regex: RE2JS, text: string): { start: number; end: number } | undefined {
  const m = regex.matcher(text);
  if (!m.lookingAt()) return undefined;
  for (let g = 1; g <= m.groupCount(); g++) if (m.start(g) >= 0) return { start: m.start(g), end: m.end(g) };
  return undefined;
}

/**
 * The matcher gives what the pattern gives on every generated window (also with the window inside a longer buffer,
 * as the engine passes it), and the windows reach matches, not only misses.
 */
function agrees(
  match: (bytes: Uint8Array, length?: number) => { start: number; end: number } | undefined,
  pattern: string,
  windows: fc.Arbitrary<string>,
  runs: number,
  minMatches: number,
): void {
  const regex = RE2JS.compile(pattern);
  let matched = 0;
  fc.assert(
    fc.property(windows, (text) => {
      const expected = byPattern(regex, text);
      if (expected !== undefined) matched++;
      expect(match(Buffer.from(text, 'latin1'), text.length), JSON.stringify(text)).toEqual(expected);
      expect(match(Buffer.from(`${text}@@@@`, 'latin1'), text.length)).toEqual(expected);
    }),
    { numRuns: runs },
  );
  expect(matched).toBeGreaterThan(minMatches);
}

const SPECIALS = ['_', '-', '.', '=', '+', '/', ' ', '\t', '\n', '\r', '\f', '\v', '"', "'", '$', ':', '\x80', '\xe9'];

function charsOf(part: TokenPart): string {
  if ('literal' in part) return part.literal;
  if ('chars' in part) return part.chars;
  return Array.from({ length: 256 }, (_, c) => String.fromCharCode(c))
    .filter((c) => !part.except.includes(c))
    .join('');
}

/** Windows built from the shape's own pieces: its prefixes (and near misses), runs of its classes of every length around their bounds, its literals, and bytes that end tokens. */
function windows(shape: TokenShape): fc.Arbitrary<string> {
  const classes = shape.parts.filter((p) => !('literal' in p)).map(charsOf);
  const literals = shape.parts.flatMap((p) => ('literal' in p ? [p.literal] : []));
  const bounds = shape.parts.flatMap((p) => ('literal' in p ? [] : [p.min, p.max ?? p.min + 40]));
  const lengths = fc.oneof(
    fc.constantFrom(...bounds.flatMap((b) => [b - 1, b, b + 1].filter((n) => n >= 0))),
    fc.nat(80),
  );
  const run = fc.tuple(fc.constantFrom(...classes), lengths, fc.infiniteStream(fc.nat())).map(([chars, n, picks]) => {
    let out = '';
    for (const pick of picks.take(n)) out += chars[pick % chars.length];
    return out;
  });
  const exact = fc.constantFrom(...shape.prefixes);
  const cased = shape.prefixCaseless
    ? fc
        .tuple(exact, fc.infiniteStream(fc.boolean()))
        .map(([p, flips]) => Array.from(p, (c) => (flips.next().value ? c.toUpperCase() : c.toLowerCase())).join(''))
    : exact;
  const prefix = fc.oneof(
    { weight: 6, arbitrary: cased },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...shape.prefixes), fc.nat(), fc.constantFrom(...SPECIALS, 'a', 'Z', '0'))
        .map(([p, i, c]) => p.slice(0, i % p.length) + c + p.slice((i % p.length) + 1)),
    },
  );
  const piece = fc.oneof(
    { weight: 4, arbitrary: run },
    { weight: 1, arbitrary: fc.constantFrom(...SPECIALS, ...(literals.length > 0 ? literals : ['.'])) },
  );
  const random = fc.tuple(prefix, fc.array(piece, { maxLength: 6 })).map(([p, pieces]) => p + pieces.join(''));
  // The shape's own sequence, each run near or inside its bounds, then anything: most of these match.
  const partArbs = shape.parts.map((part) => {
    if ('literal' in part) return fc.constant(part.literal);
    const chars = charsOf(part);
    const max = part.max ?? part.min + 60;
    return fc
      .tuple(
        fc.oneof(
          fc.constantFrom(part.min, max, Math.max(0, part.min - 1), max + 1),
          fc.integer({ min: part.min, max }),
        ),
        fc.infiniteStream(fc.nat()),
      )
      .map(([n, picks]) => {
        let out = '';
        for (const pick of picks.take(n)) out += chars[pick % chars.length];
        return out;
      });
  });
  const structured = fc
    .tuple(prefix, fc.tuple(...partArbs), fc.array(piece, { maxLength: 2 }))
    .map(([p, parts, tail]) => p + parts.join('') + tail.join(''));
  return fc.oneof(random, structured);
}

describe('token shapes (the regular-expression-free matcher of token rules)', () => {
  const shaped = RULES.filter((r) => r.token !== undefined);

  it('cover the simple token rules', () => {
    expect(shaped.length).toBeGreaterThanOrEqual(31);
    expect(RULES.filter((r) => r.matcher !== undefined).map((r) => r.id)).toEqual([
      'openai-api-key',
      'anthropic-api-key',
      'generic-secret',
    ]);
  });

  for (const rule of shaped) {
    it(`${rule.id}: matches exactly what its pattern matches`, () => {
      const shapes = (Array.isArray(rule.token) ? rule.token : [rule.token]) as TokenShape[];
      agrees(compileTokens(rule.id, shapes).match, rule.pattern, fc.oneof(...shapes.map(windows)), 400, 20);
    });
  }

  it('generic-secret: the hand-written matcher matches exactly what the pattern matches', () => {
    const rule = RULES.find((r) => r.id === 'generic-secret');
    if (rule?.matcher === undefined) throw new Error('generic-secret has no matcher');
    const anyCase = (words: string[]) =>
      fc
        .tuple(fc.constantFrom(...words), fc.infiniteStream(fc.boolean()))
        .map(([w, flips]) => Array.from(w, (c) => (flips.next().value ? c.toUpperCase() : c)).join(''));
    const keyword = anyCase([...GENERIC_KEYWORDS, 'passw', 'api', 'secre', 'credentia']);
    const suffix = fc.oneof(
      fc.constant(''),
      fc
        .tuple(
          fc.constantFrom('', '_', '-', '__'),
          anyCase(['key', 'value', 'token', 'str', 'string', 'hash', 'strin', 'ha']),
        )
        .map(([a, b]) => a + b),
    );
    const small = (chars: string[]) =>
      fc.oneof(
        { weight: 3, arbitrary: fc.constant('') },
        { weight: 1, arbitrary: fc.array(fc.constantFrom(...chars), { maxLength: 3 }).map((a) => a.join('')) },
      );
    const blanks = fc.oneof(
      fc.constantFrom('', ' ', '\t', '  '),
      fc.nat(11).map((n) => ' '.repeat(n)),
    );
    const operator = fc.constantFrom(':=', '=>', '=', ':', '::', '==', '=:', '', ':>');
    const valueChar = fc.oneof(
      { weight: 30, arbitrary: fc.constantFrom(...'abcXYZ0189+/=-_.~!@#$%&*'.split('')) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '"',
          "'",
          '\\',
          ' ',
          '\t',
          '\n',
          '\v',
          '`',
          ',',
          ';',
          '<',
          ')',
          ']',
          '}',
          '\xe9',
          '\x80',
        ),
      },
    );
    const lengths = fc.oneof(fc.constantFrom(0, 6, 7, 8, 9, 255, 256, 257, 300), fc.integer({ min: 8, max: 40 }));
    const run = fc.tuple(lengths, fc.infiniteStream(valueChar)).map(([n, cs]) => [...cs.take(n)].join(''));
    const quote = fc.constantFrom('', '"', "'", '\\"');
    const value = fc.oneof(
      fc.tuple(quote, run).map(([q, r]) => q + r + q),
      fc
        .tuple(fc.constantFrom('', '"', "'", '\\"', '\\', '""'), run, fc.constantFrom('', '"', "'", '\\"', ' x', '\n'))
        .map((p) => p.join('')),
    );
    const windows = fc
      .tuple(keyword, suffix, small(['s', 'S', '\\', '"', "'"]), blanks, operator, blanks, value)
      .map((parts) => parts.join(''));
    agrees(rule.matcher.match, rule.pattern, windows, 3000, 150);
  });

  it('are checked when a custom rule set is compiled (the built-in ones on first use)', () => {
    const base = RULES.find((r) => r.id === 'github-token');
    if (base === undefined) throw new Error('no github-token rule');
    const bad = { ...base, id: 'custom', token: { prefixes: ['gh', 'ghp_'], parts: [] } };
    expect(() => compileRules([bad])).toThrow(/rule custom: token shape has prefix gh of prefix ghp_/);
    expect(compileRules([{ ...base, id: 'custom' }])[0]?.token).toBeDefined();
  });

  for (const [id, prefixes, literal] of [
    ['openai-api-key', ['sk-proj-', 'sk-svcacct-', 'sk-admin-', 'sk-proj', 'sk-admi-'], 'T3BlbkFJ'],
    ['anthropic-api-key', ['sk-ant-api01-', 'sk-ant-admin07-', 'sk-ant-api0x-', 'sk-ant-api011', 'sk-ant-ap01-'], 'AA'],
  ] as const) {
    it(`${id}: the hand-written matcher matches exactly what the pattern matches`, () => {
      const rule = RULES.find((r) => r.id === id);
      if (rule?.matcher === undefined) throw new Error(`${id} has no matcher`);
      const C = 'abcXYZ019_-';
      const runOf = (n: number, picks: fc.Stream<number>) => [...picks.take(n)].map((i) => C[i % C.length]).join('');
      const sizes = fc.oneof(
        fc.constantFrom(0, 19, 20, 21, 79, 80, 81, 82, 127, 128, 129, 130, 131, 249, 250, 251),
        fc.integer({ min: 78, max: 132 }),
        fc.nat(300),
      );
      const windows = fc
        .tuple(
          fc.constantFrom(...prefixes),
          fc.array(fc.tuple(sizes, fc.constantFrom(literal, literal.slice(1), `${literal}${literal}`)), {
            minLength: 1,
            maxLength: 3,
          }),
          fc.oneof(fc.constant(0), sizes),
          fc.infiniteStream(fc.nat()),
          fc.constantFrom('', ' ', '.', '"', '=', '\n', 'A', '_'),
        )
        .map(
          ([p, pieces, last, picks, tail]) =>
            p + pieces.map(([n, l]) => runOf(n, picks) + l).join('') + runOf(last, picks) + tail,
        );
      agrees(rule.matcher.match, rule.pattern, windows, 2000, 20);
    });
  }

  it('refuses shapes it could not match without backtracking', () => {
    const shape = (s: Partial<TokenShape>): TokenShape => ({ prefixes: ['t_'], parts: [], ...s });
    expect(() => compileToken('r', shape({ prefixes: ['ab', 'abc'] }))).toThrow(/rule r: token shape has prefix ab/);
    expect(() => compileToken('r', shape({ prefixes: [] }))).toThrow(/non-empty prefixes/);
    // a variable run followed by something that may start with one of its characters
    expect(() => compileToken('r', shape({ parts: [{ chars: 'ab', min: 1, max: 5 }, { literal: 'a' }] }))).toThrow(
      /part 1 may be followed by one of its own characters/,
    );
    expect(() =>
      compileToken(
        'r',
        shape({
          parts: [
            { chars: 'ab', min: 1 },
            { chars: 'bc', min: 1 },
          ],
        }),
      ),
    ).toThrow(/part 1 may be followed by one of its own characters/);
    // … also through parts that may be empty: in `a?b?a`, "a" matches only with the first part empty
    expect(() =>
      compileToken(
        'r',
        shape({ parts: [{ chars: 'a', min: 0, max: 1 }, { chars: 'b', min: 0, max: 1 }, { literal: 'a' }] }),
      ),
    ).toThrow(/part 1 may be followed by one of its own characters \(part 3\)/);
    expect(() => compileToken('r', shape({ parts: [{ literal: 'x' }], capture: 1 }))).toThrow(/captures part 1/);
    // a variable last run whose class notFollowedBy does not contain
    expect(() => compileToken('r', shape({ parts: [{ chars: 'ab+', min: 1 }], notFollowedBy: 'ab' }))).toThrow(
      /notFollowedBy allows/,
    );
    expect(() => compileToken('r', shape({ parts: [{ chars: 'ab', min: 3, max: 2 }] }))).toThrow(/repetition 3..2/);
    expect(() => compileToken('r', shape({ parts: [{ chars: 'é', min: 1 }] }))).toThrow(/not ASCII/);
    // fixed-length runs need none of this
    expect(() =>
      compileToken(
        'r',
        shape({
          parts: [
            { chars: 'ab', min: 2, max: 2 },
            { chars: 'ab', min: 1, max: 3 },
          ],
        }),
      ),
    ).not.toThrow();
  });
});
