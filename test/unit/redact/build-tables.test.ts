/**
 * The faster construction of a Redactor (variants with fast paths, the long-literal index in typed arrays) gives
 * exactly what the straightforward code gives. The references below are the earlier implementations, kept here.
 */
import {
  ACCEPT_FLAG,
  type Automaton,
  type AutomatonPattern,
  base64Core,
  buildAutomaton,
  encodingsOf,
  keywordVariants,
  LiteralIndex,
  OWN_FLAG,
  percentEncode,
  RULES,
  STATE_MASK,
  TRIE_FLAG,
} from '@airlock/redact';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { secretVariants } from '../../../packages/redact/src/variants.ts';

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

/** The earlier buildAutomaton: every transition filled and flagged one column at a time. */
function buildAutomatonReference(patterns: readonly AutomatonPattern[]): Automaton {
  // Byte classes: every byte that occurs in a pattern gets its own column; all other bytes share column 0.
  const classOf = new Uint8Array(256);
  let width = 1;
  let totalBytes = 0;
  let maxPatternLength = 0;
  for (const p of patterns) {
    totalBytes += p.bytes.length;
    maxPatternLength = Math.max(maxPatternLength, p.bytes.length);
    for (const b of p.bytes) {
      if (classOf[b] === 0) classOf[b] = width++;
    }
  }
  const capacity = totalBytes + 1;

  // The trie (goto function) in a dense table of state indexes; -1 is "no edge".
  const go = new Int32Array(capacity * width).fill(-1);
  const depth = new Int32Array(capacity);
  const ownLiteral = new Int32Array(capacity);
  const ownKeywords = new Map<number, Array<[number, number]>>();
  let states = 1;
  for (const p of patterns) {
    if (p.bytes.length === 0) continue;
    let s = 0;
    for (const b of p.bytes) {
      const c = classOf[b] as number;
      let next = go[s * width + c] as number;
      if (next < 0) {
        next = states++;
        go[s * width + c] = next;
        depth[next] = (depth[s] as number) + 1;
      }
      s = next;
    }
    if (p.kind === 'literal') {
      ownLiteral[s] = Math.max(ownLiteral[s] as number, p.bytes.length);
    } else {
      const list = ownKeywords.get(s) ?? [];
      if (!list.some(([id]) => id === p.id)) list.push([p.id, p.bytes.length]);
      ownKeywords.set(s, list);
    }
  }

  // Breadth-first: failure links, complete transitions, outputs inherited through failure links.
  const fail = new Int32Array(states);
  const literalLength = new Int32Array(states);
  const keywords: Array<Array<[number, number]>> = new Array(states);
  const order: number[] = [0];
  keywords[0] = ownKeywords.get(0) ?? [];
  for (let c = 0; c < width; c++) {
    const child = go[c] as number;
    if (child < 0) {
      go[c] = 0;
    } else {
      fail[child] = 0;
      order.push(child);
    }
  }
  for (let head = 1; head < order.length; head++) {
    const s = order[head] as number;
    const f = fail[s] as number;
    literalLength[s] = Math.max(ownLiteral[s] as number, literalLength[f] as number);
    const own = ownKeywords.get(s);
    keywords[s] = own === undefined ? (keywords[f] as Array<[number, number]>) : [...own, ...(keywords[f] ?? [])];
    for (let c = 0; c < width; c++) {
      const child = go[s * width + c] as number;
      if (child < 0) {
        go[s * width + c] = go[f * width + c] as number;
      } else {
        fail[child] = go[f * width + c] as number;
        order.push(child);
      }
    }
  }

  // Per state: has an output (own or inherited), ends a pattern itself.
  const output = new Uint8Array(states);
  const ownOutput = new Uint8Array(states);
  for (let s = 0; s < states; s++) {
    output[s] = (literalLength[s] as number) > 0 || (keywords[s]?.length ?? 0) > 0 ? 1 : 0;
    ownOutput[s] = (ownLiteral[s] as number) > 0 ? 1 : 0;
  }
  for (const s of ownKeywords.keys()) ownOutput[s] = 1;

  // Renumber: the start state first, states without output next, states with output last (denser hot rows).
  const newId = new Int32Array(states);
  let next = 0;
  newId[0] = next++;
  for (let s = 1; s < states; s++) if (output[s] === 0) newId[s] = next++;
  for (let s = 1; s < states; s++) if (output[s] === 1) newId[s] = next++;
  // A transition's flags and premultiplied target, by the target's old index and whether it is a trie edge.
  const flagged = new Int32Array(states);
  for (let s = 0; s < states; s++) flagged[s] = (newId[s] as number) * width + (output[s] === 1 ? ACCEPT_FLAG : 0);

  const delta = new Int32Array(states * width);
  const depthOut = new Int32Array(states);
  const literalOut = new Int32Array(states);
  const keywordStart = new Int32Array(states + 1);
  const byNew: number[] = new Array(states);
  for (let s = 0; s < states; s++) byNew[newId[s] as number] = s;
  const ids: number[] = [];
  const lengths: number[] = [];
  for (let n = 0; n < states; n++) {
    const s = byNew[n] as number;
    const childDepth = (depth[s] as number) + 1;
    const row = s * width;
    const outRow = n * width;
    for (let c = 0; c < width; c++) {
      const target = go[row + c] as number;
      let value = flagged[target] as number;
      if ((depth[target] as number) === childDepth) {
        value += TRIE_FLAG;
        if (ownOutput[target] === 1) value += OWN_FLAG;
      }
      delta[outRow + c] = value;
    }
    depthOut[n] = depth[s] as number;
    literalOut[n] = literalLength[s] as number;
    keywordStart[n] = ids.length;
    for (const [id, length] of keywords[s] ?? []) {
      ids.push(id);
      lengths.push(length);
    }
  }
  keywordStart[states] = ids.length;
  return {
    classOf,
    width,
    delta,
    start: 0,
    depth: depthOut,
    literalLength: literalOut,
    keywordStart,
    keywordIds: Int32Array.from(ids),
    keywordLengths: Int32Array.from(lengths),
    states,
    maxPatternLength,
  };
}

describe('buildAutomaton: the tables against the earlier construction', () => {
  const same = (patterns: AutomatonPattern[]) => {
    const a = buildAutomaton(patterns);
    const b = buildAutomatonReference(patterns);
    expect(a.width).toBe(b.width);
    expect(a.states).toBe(b.states);
    expect(a.maxPatternLength).toBe(b.maxPatternLength);
    for (const key of [
      'classOf',
      'delta',
      'depth',
      'literalLength',
      'keywordStart',
      'keywordIds',
      'keywordLengths',
    ] as const)
      expect(
        Buffer.from(a[key].buffer, a[key].byteOffset, a[key].byteLength).equals(
          Buffer.from(b[key].buffer, b[key].byteOffset, b[key].byteLength),
        ),
        key,
      ).toBe(true);
  };

  it('gives the same tables for random patterns (overlapping, repeated, any bytes)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.array(fc.constantFrom(0x61, 0x62, 0x63, 0x00, 0xff, 0x2f), { minLength: 1, maxLength: 9 }),
            fc.boolean(),
            fc.nat(5),
          ),
          { minLength: 1, maxLength: 25 },
        ),
        (specs) =>
          same(
            specs.map(([bytes, literal, id]) => ({
              bytes: Uint8Array.from(bytes),
              kind: literal ? 'literal' : 'keyword',
              id,
            })),
          ),
      ),
      { numRuns: 500 },
    );
  });

  it('gives the same tables for the built-in rules, alone and with registered secrets', () => {
    const keywords = [...new Set(RULES.flatMap((r) => keywordVariants(r)))].map(
      (k, id): AutomatonPattern => ({ bytes: Buffer.from(k, 'latin1'), kind: 'keyword', id }),
    );
    same(keywords);
    const literals = ['hunter2-Secret!', 'p@ss w0rd/"x"', 'AKIA-like-but-not'].flatMap((s) =>
      secretVariants(s, { minLength: 4 }).map(
        (v): AutomatonPattern => ({ bytes: Buffer.from(v.text), kind: 'literal', id: 0 }),
      ),
    );
    same([...literals, ...keywords]);
  });
});
