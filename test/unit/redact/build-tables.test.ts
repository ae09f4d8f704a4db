/**
 * The faster construction of a Redactor (variants with fast paths, the long-literal index in typed arrays) gives
 * exactly what the straightforward code gives. The references below are the earlier implementations, kept here.
 */
import {
  ACCEPT_FLAG,
  type AutomatonPattern,
  base64Core,
  buildAutomaton,
  encodingsOf,
  LiteralIndex,
  OWN_FLAG,
  percentEncode,
  STATE_MASK,
  TRIE_FLAG,
} from '@airlock/redact';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const ALNUM = /[A-Za-z0-9]/;
const keepSet = (extra: string) => (ch: string) => ALNUM.test(ch) || extra.includes(ch);

/** The earlier percent-encoder: one character test per byte. */
function percentEncodeReference(value: string, keep: (ch: string) => boolean, spacePlus: boolean, upper: boolean) {
  let out = '';
  for (const b of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(b);
    if (b < 0x80 && keep(ch)) out += ch;
    else if (b === 0x20 && spacePlus) out += '+';
    else {
      const hex = b.toString(16).padStart(2, '0');
      out += `%${upper ? hex.toUpperCase() : hex}`;
    }
  }
  return out;
}

const hex4 = (code: number) => `\\u${code.toString(16).padStart(4, '0')}`;

function newtonsoftReference(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) as number;
    const named: Record<string, string> = {
      '"': '\\"',
      '\\': '\\\\',
      '\b': '\\b',
      '\t': '\\t',
      '\n': '\\n',
      '\f': '\\f',
      '\r': '\\r',
    };
    if (named[ch] !== undefined) out += named[ch];
    else if (ch === '\u0085' || ch === '\u2028' || ch === '\u2029') out += hex4(code);
    else out += code < 0x20 ? hex4(code) : ch;
  }
  return out;
}

const jsonStringify = (value: string) => JSON.stringify(value).slice(1, -1);

function pythonJsonReference(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    out += code > 0x7f ? hex4(code) : jsonStringify(value[i] as string);
  }
  return out;
}

const PROFILES: ReadonlyArray<[string, string, boolean]> = [
  ['rfc3986', '-._~', false],
  ['component', "-_.!~*'()", false],
  ['uri', "-_.!~*'();/?:@&=+$,#", false],
  ['form', '*-._', true],
  ['query', '-_.~', true],
  ['python', '_.-~/', false],
];

/** Strings rich in what the encoders treat specially, lone surrogates included. */
const valueArb = fc.oneof(
  fc.string({
    unit: fc.constantFrom(
      'a',
      'Z',
      '7',
      '-',
      '_',
      '.',
      '~',
      '"',
      "'",
      '\\',
      '\n',
      '\r',
      '\x01',
      ' ',
      '%',
      '&',
      '<',
      '+',
      '/',
      '=',
      '*',
      '#',
      'é',
      '😀',
      '\u0085',
      '\u2028',
      '\ud800',
    ),
    maxLength: 40,
  }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
);

describe('variants: the fast paths change nothing', () => {
  it('percentEncode equals the byte-by-byte reference for any keep set', () => {
    fc.assert(
      fc.property(
        valueArb,
        fc.string({ unit: 'grapheme-ascii', maxLength: 8 }),
        fc.boolean(),
        fc.boolean(),
        (v, extra, plus, upper) => {
          expect(percentEncode(v, keepSet(extra), plus, upper)).toBe(
            percentEncodeReference(v, keepSet(extra), plus, upper),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('URL, JSON and base64-core encodings of a value equal the references', () => {
    fc.assert(
      fc.property(valueArb, (v) => {
        const byName = new Map(encodingsOf(v).map((e) => [e.encoding, e.text]));
        const expected = new Map<string, string>();
        for (const [name, extra, plus] of PROFILES) {
          expected.set(`url-${name}-upper`, percentEncodeReference(v, keepSet(extra), plus, true));
          expected.set(`url-${name}-lower`, percentEncodeReference(v, keepSet(extra), plus, false));
        }
        expected.set('runner-uri-data', percentEncodeReference(v, keepSet('-._~'), false, true));
        expected.set('runner-json', newtonsoftReference(v));
        expected.set('json-newtonsoft', newtonsoftReference(v));
        expected.set('json-python', pythonJsonReference(v));
        const bytes = Buffer.from(v, 'utf8');
        for (const shift of [0, 1, 2]) {
          if (shift > 0 && bytes.length <= shift) continue;
          expected.set(`base64-shift${shift}-core`, base64Core(bytes.subarray(shift), 'base64'));
          expected.set(`base64-shift${shift}-url-core`, base64Core(bytes.subarray(shift), 'base64url'));
        }
        for (const [name, text] of expected) {
          // encodingsOf leaves out empty forms.
          expect(byName.get(name) ?? '').toBe(text);
        }
        if (/^[\x20-\x7e]*$/.test(v)) {
          // Independent oracles where JavaScript has the same encoder.
          expect(byName.get('url-component-upper') ?? '').toBe(encodeURIComponent(v));
          expect(byName.get('url-uri-upper') ?? '').toBe(encodeURI(v));
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('LiteralIndex: the 4-gram table in typed arrays', () => {
  const bytesArb = (min: number, max: number) =>
    fc
      .array(fc.constantFrom(0x61, 0x62, 0x00, 0xff, 0x80, 0x41), { minLength: min, maxLength: max })
      .map((xs) => Buffer.from(xs));

  it('gives the candidates of a Map from 4-gram to (pattern, offset) entries, in the same order', () => {
    fc.assert(
      fc.property(fc.array(bytesArb(16, 30), { minLength: 1, maxLength: 40 }), bytesArb(4, 400), (patterns, buf) => {
        const index = new LiteralIndex(patterns);
        const reference = new Map<number, number[]>();
        patterns.forEach((p, i) => {
          for (let offset = 0; offset < index.stride && offset + 4 <= p.length; offset++) {
            const gram = p.readUInt32LE(offset);
            reference.set(gram, [...(reference.get(gram) ?? []), i, offset]);
          }
        });
        for (let i = 0; i + 4 <= buf.length; i++) {
          const got: number[] = [];
          index.sample(buf, i, (pattern, start) => got.push(pattern, start));
          const list = reference.get(buf.readUInt32LE(i)) ?? [];
          const want: number[] = [];
          for (let j = 0; j < list.length; j += 2) want.push(list[j] as number, i - (list[j + 1] as number));
          expect(got).toEqual(want);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('isPrefix is true exactly for the prefixes of some pattern (byte order sort)', () => {
    fc.assert(
      fc.property(fc.array(bytesArb(16, 24), { minLength: 1, maxLength: 30 }), bytesArb(1, 26), (patterns, probe) => {
        const index = new LiteralIndex(patterns);
        const want = patterns.some((p) => p.length >= probe.length && p.subarray(0, probe.length).equals(probe));
        expect(index.isPrefix(probe)).toBe(want);
        for (const p of patterns) {
          for (const n of [1, 3, 7, p.length]) expect(index.isPrefix(p.subarray(0, n))).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('buildAutomaton: the tables against naive matching', () => {
  const alphabet = [0x61, 0x62, 0x63, 0x00, 0xff];
  const bytesArb = (min: number, max: number) =>
    fc.array(fc.constantFrom(...alphabet), { minLength: min, maxLength: max }).map((xs) => Uint8Array.from(xs));
  const startsWith = (text: Uint8Array, at: number, p: Uint8Array) =>
    at >= 0 && at + p.length <= text.length && p.every((b, j) => text[at + j] === b);

  it('outputs, depths and trie/own flags are those of the patterns', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(bytesArb(1, 6), fc.boolean(), fc.nat(3)), { minLength: 1, maxLength: 10 }),
        bytesArb(0, 200),
        (specs, text) => {
          const patterns: AutomatonPattern[] = specs.map(([bytes, literal, id]) => ({
            bytes,
            kind: literal ? 'literal' : 'keyword',
            id,
          }));
          const a = buildAutomaton(patterns);
          let state = 0;
          for (let i = 0; i < text.length; i++) {
            state = a.delta[(state & STATE_MASK) + (a.classOf[text[i] as number] as number)] as number;
            const index = (state & STATE_MASK) / a.width;
            const end = i + 1;
            const ending = patterns.filter((p) => startsWith(text, end - p.bytes.length, p.bytes));
            const literal = Math.max(0, ...ending.filter((p) => p.kind === 'literal').map((p) => p.bytes.length));
            const ids = new Set(ending.filter((p) => p.kind === 'keyword').map((p) => p.id));
            expect(a.literalLength[index]).toBe(literal);
            const got = new Set(Array.from(a.keywordIds.subarray(a.keywordStart[index], a.keywordStart[index + 1])));
            expect(got).toEqual(ids);
            expect((state & ACCEPT_FLAG) !== 0).toBe(ending.length > 0);
            // depth: the longest suffix of the text read that is a prefix of some pattern.
            let depth = 0;
            for (let d = Math.min(end, 6); d > 0 && depth === 0; d--) {
              if (
                patterns.some(
                  (p) => p.bytes.length >= d && startsWith(text.subarray(end - d, end), 0, p.bytes.subarray(0, d)),
                )
              )
                depth = d;
            }
            expect(a.depth[index]).toBe(depth);
          }
          // From the root, trie edges spell exactly the pattern prefixes; OWN marks a pattern's own end.
          for (let s = 0; s < text.length; s++) {
            let st = 0;
            for (let i = s; i < text.length; i++) {
              st = a.delta[(st & STATE_MASK) + (a.classOf[text[i] as number] as number)] as number;
              const read = text.subarray(s, i + 1);
              const prefix = patterns.some((p) => p.bytes.length >= read.length && startsWith(p.bytes, 0, read));
              expect((st & TRIE_FLAG) !== 0).toBe(prefix);
              if (!prefix) break;
              const own = patterns.some((p) => p.bytes.length === read.length && startsWith(p.bytes, 0, read));
              expect((st & OWN_FLAG) !== 0).toBe(own);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
