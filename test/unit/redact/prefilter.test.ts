import {
  type Automaton,
  acceptsByWalk,
  buildAutomaton,
  LiteralIndex,
  locate,
  locateBuffer,
  Prefilter,
  type PrefilterSeek,
  type RedactionStream,
  Redactor,
  STATE_MASK,
} from '@airlock/redact';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countNewlines, createSampler, lineCounter, PIECE } from '../../../packages/redact/src/wasm-sampler.ts';

/** What an accept means: the end, the longest literal ending there, and the keyword ids ending there (in order). */
function outputs(a: Automaton, state: number, end: number): string {
  const index = (state & STATE_MASK) / a.width;
  const ids = Array.from(a.keywordIds.subarray(a.keywordStart[index], a.keywordStart[index + 1]));
  return `${end}:${a.literalLength[index]}:${ids.join(',')}`;
}

/** Bytes over a small alphabet, so that random patterns occur often and overlap. */
const alphabet = [0x61, 0x62, 0x63, 0x3a, 0x2f, 0x0a, 0xc3, 0xa9];
const bytesArb = (min: number, max: number) =>
  fc
    .array(fc.nat(alphabet.length - 1), { minLength: min, maxLength: max })
    .map((xs) => Uint8Array.from(xs, (x) => alphabet[x] as number));

const patternsArb = fc.array(fc.tuple(bytesArb(3, 12), fc.boolean()), { minLength: 1, maxLength: 12 });

describe('Prefilter', () => {
  it('finds exactly the accepts of the automaton stepped over every byte (random patterns, inputs, alignments)', () => {
    fc.assert(
      fc.property(
        patternsArb,
        bytesArb(0, 600),
        fc.nat(7),
        fc.nat(40),
        fc.array(fc.tuple(fc.nat(), fc.nat(11)), { maxLength: 8 }),
        (patterns, noise, align, fromSeed, plants) => {
          const list = patterns.map(([bytes, keyword], id) => ({
            bytes,
            kind: keyword ? ('keyword' as const) : ('literal' as const),
            id,
          }));
          const a = buildAutomaton(list);
          // Plant whole patterns into the noise so that matches (and overlapping ones) are certain.
          const parts: number[] = [...noise];
          for (const [at, which] of plants) {
            const p = list[which % list.length]?.bytes as Uint8Array;
            parts.splice(at % (parts.length + 1), 0, ...p);
          }
          // At an arbitrary byte offset in a larger buffer, so the aligned words start anywhere.
          const backing = new Uint8Array(parts.length + align + 8);
          backing.set(parts, align);
          const buf = backing.subarray(align, align + parts.length);
          const n = buf.length;
          const from = Math.min(fromSeed, n);
          const after = from + a.maxPatternLength;
          const expected: string[] = [];
          acceptsByWalk(a, buf, 0, n, after, 0, (state, end) => expected.push(outputs(a, state, end)));
          const got: string[] = [];
          new Prefilter(
            a,
            list.map((p) => p.bytes),
          ).scan(buf, from, n, after, (state, end) => got.push(outputs(a, state, end)));
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('refuses patterns shorter than 3 bytes (the engine steps the automaton over every byte then)', () => {
    const a = buildAutomaton([{ bytes: Uint8Array.of(0x61, 0x62), kind: 'literal', id: 0 }]);
    expect(() => new Prefilter(a, [Uint8Array.of(0x61, 0x62)])).toThrow(/shorter than 3/);
    expect(new Redactor({ secrets: ['abcd'], rules: false }).prefilter).toBeDefined();
    expect(new Redactor({ secrets: ['ab'], minLength: 2, rules: false }).prefilter).toBeUndefined();
  });
});

/** The seek's verdict on an occurrence starting at `start` (the rule precheck's semantics): 0 rules it out. */
function seekVerdict(buf: Uint8Array, start: number, seek: PrefilterSeek): 1 | 0 | -1 {
  const from = start + seek.skip;
  const stop = Math.min(buf.length, from + seek.limit);
  for (let i = from; i < stop; i++) {
    const ch = String.fromCharCode(buf[i] as number);
    if (seek.targets.includes(ch)) return 1;
    if (seek.stops.includes(ch)) return 0;
  }
  return stop === from + seek.limit ? 0 : -1;
}

describe('Prefilter with seeks (occurrences ruled out in WebAssembly)', () => {
  /** Every pattern ending at `end` that the state's outputs name, as `id@end` (literal: by length). */
  function named(a: Automaton, list: readonly { bytes: Uint8Array }[], state: number, end: number): string[] {
    const index = (state & STATE_MASK) / a.width;
    const out: string[] = [];
    const ids = new Set(a.keywordIds.subarray(a.keywordStart[index], a.keywordStart[index + 1]));
    // All patterns are keywords here (id = index in the list): the outputs are every keyword that ends at `end`.
    for (const [id, p] of list.entries()) if (ids.has(id)) out.push(`${id}@${end - p.bytes.length}`);
    return out;
  }

  const seekArb = fc.record({
    targets: fc.constantFrom('@', ':=', '@b'),
    stops: fc.constantFrom('/', '/ \n', '\n', 'c'),
    limit: fc.integer({ min: 0, max: 40 }),
  });

  it('reports every occurrence its seek does not rule out, and nothing else the walk does not (random seeks)', () => {
    const seekAlphabet = [0x61, 0x62, 0x63, 0x3a, 0x2f, 0x0a, 0x40, 0x3d, 0x20];
    const text = (min: number, max: number) =>
      fc
        .array(fc.nat(seekAlphabet.length - 1), { minLength: min, maxLength: max })
        .map((xs) => Uint8Array.from(xs, (x) => seekAlphabet[x] as number));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(text(3, 8), fc.option(seekArb, { nil: undefined })), { minLength: 1, maxLength: 10 }),
        text(0, 700),
        fc.nat(7),
        fc.array(fc.tuple(fc.nat(), fc.nat(9)), { maxLength: 10 }),
        (patterns, noise, align, plants) => {
          const list = patterns.map(([bytes], id) => ({ bytes, kind: 'keyword' as const, id }));
          const seeks = patterns.map(([bytes, seek]) =>
            seek === undefined ? undefined : { skip: bytes.length, ...seek },
          );
          const a = buildAutomaton(list);
          const parts: number[] = [...noise];
          for (const [at, which] of plants) {
            parts.splice(at % (parts.length + 1), 0, ...(list[which % list.length] as { bytes: Uint8Array }).bytes);
          }
          const backing = new Uint8Array(parts.length + align + 8);
          backing.set(parts, align);
          const buf = backing.subarray(align, align + parts.length);
          const n = buf.length;
          const kept = (occurrence: string) => {
            const [id, start] = occurrence.split('@').map(Number) as [number, number];
            const seek = seeks[id];
            return seek === undefined || seekVerdict(buf, start, seek) !== 0;
          };
          const walked = new Set<string>();
          acceptsByWalk(a, buf, 0, n, 0, 0, (state, end) => {
            for (const o of named(a, list, state, end)) walked.add(o);
          });
          const reported = new Set<string>();
          const ends: number[] = [];
          new Prefilter(
            a,
            list.map((p) => p.bytes),
            createSampler(),
            seeks,
          ).scan(buf, 0, n, 0, (state, end) => {
            ends.push(end);
            for (const o of named(a, list, state, end)) reported.add(o);
          });
          expect([...reported].filter((o) => !walked.has(o))).toEqual([]);
          expect([...walked].filter(kept).filter((o) => !reported.has(o))).toEqual([]);
          expect(ends).toEqual([...ends].sort((x, y) => x - y));
          expect(new Set(ends).size).toBe(ends.length);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('drops the URLs of a log before JavaScript sees them, and keeps the ones with credentials', () => {
    const url = Buffer.from('://');
    const a = buildAutomaton([{ bytes: url, kind: 'keyword', id: 0 }]);
    const seek = { skip: 3, targets: '@', stops: '/ \t\n\r"\'<>', limit: 390 };
    const line = 'GET https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz 200\n';
    const log = Buffer.from(`${line.repeat(5000)}git clone https://ci:s3cr3tPass@git.example.com/app.git\n${line}`);
    const count = (seeks: (PrefilterSeek | undefined)[]) => {
      const ends: number[] = [];
      new Prefilter(a, [url], createSampler(), seeks).scan(log, 0, log.length, 0, (_, end) => ends.push(end));
      return ends;
    };
    expect(count([])).toHaveLength(5002);
    expect(count([seek])).toEqual([log.indexOf('://ci:') + 3]);
    // A pattern that can start where `://` does and has no seek keeps every start: nothing is dropped for it.
    const both = buildAutomaton([
      { bytes: url, kind: 'keyword', id: 0 },
      { bytes: Buffer.from('://r'), kind: 'literal', id: 0 },
    ]);
    const ends: number[] = [];
    new Prefilter(both, [url, Buffer.from('://r')], createSampler(), [seek, undefined]).scan(
      log,
      0,
      log.length,
      0,
      (_, end) => ends.push(end),
    );
    expect(ends).toHaveLength(2 * 5001 + 1);
  });

  it('keeps an occurrence whose seek runs past the bytes in WebAssembly (piece ends), and rules it out after', () => {
    // `://` planted around the ends of the 256 KiB pieces, its `@` or `/` a few bytes after: the seek cannot see
    // past the piece, so the start is kept for the engine's precheck, which sees the whole input.
    const url = Buffer.from('://');
    const a = buildAutomaton([{ bytes: url, kind: 'keyword', id: 0 }]);
    const seek = { skip: 3, targets: '@', stops: '/', limit: 30 };
    const size = 2 * PIECE + 4096;
    for (const tail of ['user:password@h', 'some.host.name/p']) {
      for (let shift = -12; shift <= 4; shift++) {
        const buf = Buffer.alloc(size, 0x61);
        const at = PIECE + shift;
        url.copy(buf, at);
        Buffer.from(tail).copy(buf, at + 3);
        const ends: number[] = [];
        new Prefilter(a, [url], createSampler(), [seek]).scan(buf, 0, size, 0, (_, end) => ends.push(end));
        const verdict = seekVerdict(buf, at, { ...seek, skip: 3 });
        if (verdict === 1) expect(ends, `${tail} at ${shift}`).toEqual([at + 3]);
        else expect(ends.length, `${tail} at ${shift}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it('refuses seeks it cannot hold', () => {
    const a = buildAutomaton([{ bytes: Buffer.from('abc'), kind: 'keyword', id: 0 }]);
    const make = (seek: PrefilterSeek) => () => new Prefilter(a, [Buffer.from('abc')], createSampler(), [seek]);
    expect(make({ skip: 3, targets: '@', stops: '/', limit: -1 })).toThrow(/skip or limit out of range/);
    expect(make({ skip: 3, targets: '@', stops: '/', limit: 1.5 })).toThrow(/skip or limit out of range/);
    expect(make({ skip: 3, targets: '\u0100', stops: '/', limit: 4 })).toThrow(/above 0xff/);
  });
});

function feed(stream: RedactionStream, input: Buffer, cuts: readonly number[], pauses: readonly boolean[]) {
  const chunks: Buffer[] = [];
  const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((x, y) => x - y);
  let from = 0;
  points.forEach((to, i) => {
    chunks.push(stream.write(input.subarray(from, to)));
    if (pauses[i]) chunks.push(stream.idle());
    from = to;
  });
  chunks.push(stream.write(input.subarray(from)));
  chunks.push(stream.end());
  return Buffer.concat(chunks);
}

describe('the engine with and without the prefilter', () => {
  const secretArb = fc.string({ unit: 'grapheme-ascii', minLength: 3, maxLength: 20 }).filter((s) => s.trim() !== '');
  const noiseArb = fc.string({ unit: 'grapheme', maxLength: 120 });

  it('gives the same output and findings: short and long secrets, rule keywords, chunk boundaries anywhere', () => {
    fc.assert(
      fc.property(
        fc.array(secretArb, { minLength: 0, maxLength: 4 }),
        fc.array(fc.tuple(noiseArb, fc.nat(), fc.nat(), fc.nat(3)), { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.array(fc.boolean(), { maxLength: 6 }),
        fc.constantFrom(3, 4, 8),
        (secrets, pieces, cuts, pauses, minLength) => {
          // Keyword hits whose rules' seeks (run in WebAssembly by the prefilter) decide either way, or not yet.
          const keywords = [
            'ghp_',
            '://u:p4ssw0rd@h ',
            'token=',
            'eyJ',
            'sig=',
            'A3T',
            '-----BEGIN ',
            '://h.example/p ',
            '://u p@',
            '://',
            'SECRET_ACCESS_KEY = ',
            'password(',
            'api_key: ',
          ];
          let text = '';
          for (const [noise, which, variant, kind] of pieces) {
            text += noise;
            if (kind === 0 && secrets.length > 0) {
              const s = secrets[which % secrets.length] as string;
              text += [s, Buffer.from(s).toString('base64'), encodeURIComponent(s)][variant % 3];
            } else if (kind === 1) {
              text += keywords[which % keywords.length];
            }
          }
          // Long enough that writes go through the prefilter.
          const input = Buffer.from(text.repeat(Math.ceil(2048 / Math.max(1, text.length))));
          const run = (prefilter: boolean) => {
            const redactor = new Redactor({ secrets, minLength, prefilter, replacement: 'rule' });
            const stream = redactor.stream();
            const out = feed(stream, input, cuts, pauses);
            return { out: out.toString('latin1'), findings: stream.findings, used: redactor.prefilter !== undefined };
          };
          const fast = run(true);
          const slow = run(false);
          expect(slow.used).toBe(false);
          expect(fast.used).toBe(true);
          expect(fast.out).toEqual(slow.out);
          expect(fast.findings).toEqual(slow.findings);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('LiteralIndex.scan (the long-literal samples in WebAssembly)', () => {
  it('finds the same candidates as looking up every sample one by one', () => {
    fc.assert(
      fc.property(
        fc.array(bytesArb(16, 40), { minLength: 1, maxLength: 8 }),
        bytesArb(0, 3000),
        fc.nat(50),
        fc.array(fc.tuple(fc.nat(), fc.nat(7)), { maxLength: 6 }),
        (patterns, noise, fromSeed, plants) => {
          const index = new LiteralIndex(patterns.map((p) => Buffer.from(p)));
          const parts: number[] = [...noise];
          for (const [at, which] of plants) {
            parts.splice(at % (parts.length + 1), 0, ...(patterns[which % patterns.length] as Uint8Array));
          }
          const buf = Buffer.from(parts);
          const from = Math.min(fromSeed, buf.length);
          const expected: number[] = [];
          for (let i = from; i + 4 <= buf.length; i += index.stride) {
            index.sample(buf, i, (pattern, start) => expected.push(pattern, start));
          }
          const hits: number[] = [];
          const count = index.scan(buf, from, buf.length, hits);
          expect(hits.slice(0, count)).toEqual(expected);
          // Every planted occurrence is among the candidates.
          for (const [p, bytes] of patterns.entries()) {
            for (
              let at = buf.indexOf(Buffer.from(bytes), from);
              at >= 0;
              at = buf.indexOf(Buffer.from(bytes), at + 1)
            ) {
              if (
                at + bytes.length <= buf.length &&
                Math.ceil((at - from) / index.stride) * index.stride + from + 4 <= at + bytes.length
              ) {
                let found = false;
                for (let h = 0; h < count; h += 2) if (hits[h] === p && hits[h + 1] === at) found = true;
                expect(found).toBe(true);
              }
            }
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('locate and locateBuffer (line breaks counted in WebAssembly)', () => {
  it('give the line and UTF-16 column of every offset, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: fc.constantFrom('a', '\n', 'é', '😀', 'x', ' '), maxLength: 3000 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(40)), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        async (text, spans, cuts) => {
          const data = Buffer.from(text);
          // Offsets at character boundaries, as findings always are.
          const starts: number[] = [0];
          for (let i = 1; i <= data.length; i++)
            if (i === data.length || ((data[i] as number) & 0xc0) !== 0x80) starts.push(i);
          const findings = spans.map(([a, len], i) => {
            const start = starts[a % starts.length] as number;
            const end = starts[Math.min(starts.length - 1, starts.indexOf(start) + len)] as number;
            return { rule: `r${i}`, start, end };
          });
          const naive = (offset: number) => {
            const before = data.subarray(0, offset).toString('utf8');
            const lines = before.split('\n');
            return { line: lines.length, column: (lines[lines.length - 1] as string).length + 1 };
          };
          const expected = findings.map((f) => ({
            rule: f.rule,
            line: naive(f.start).line,
            column: naive(f.start).column,
            endLine: naive(f.end).line,
            endColumn: naive(f.end).column,
          }));
          expect(locateBuffer(data, findings)).toEqual(expected);
          const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((x, y) => x - y);
          const chunks: Buffer[] = [];
          let from = 0;
          for (const to of points) {
            chunks.push(data.subarray(from, to));
            from = to;
          }
          chunks.push(data.subarray(from));
          expect(await locate(chunks, findings)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('countNewlines (WebAssembly SIMD, sixteen bytes at a time; the four-byte loop where SIMD is missing)', () => {
  const naive = (b: Uint8Array, from: number, to: number) => {
    let n = 0;
    for (let i = from; i < to; i++) if (b[i] === 0x0a) n++;
    return n;
  };
  const swar = lineCounter(false);

  it('uses SIMD on this runtime (Node 24 on x64 or arm64)', () => {
    expect(lineCounter().step).toBe(16);
    expect(swar.step).toBe(4);
  });

  it('counts exactly what a byte-by-byte loop counts, at any start, end and alignment', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 700 }).map((b) => b.map((x) => (x % 5 === 0 ? 0x0a : x))),
        fc.nat(),
        fc.nat(),
        (bytes, a, b) => {
          const from = a % (bytes.length + 1);
          const to = from + (b % (bytes.length - from + 1));
          const expected = naive(bytes, from, to);
          expect(countNewlines(bytes, from, to)).toBe(expected);
          expect(countNewlines(bytes, from, to, swar)).toBe(expected);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('counts across WebAssembly pieces (inputs larger than one piece of memory)', () => {
    const bytes = new Uint8Array(3 * PIECE + 123);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 13 === 0 ? 0x0a : 0x61 + (i % 26);
    for (const [from, to] of [
      [0, bytes.length],
      [5, bytes.length - 9],
      [PIECE - 3, 2 * PIECE + 17],
    ] as const) {
      expect(countNewlines(bytes, from, to)).toBe(naive(bytes, from, to));
      expect(countNewlines(bytes, from, to, swar)).toBe(naive(bytes, from, to));
    }
  });
});

describe('long-literal samples taken from the prefilter’s copy of the input (shared WebAssembly memory)', () => {
  // Pieces of input go into WebAssembly 256 KiB at a time; long registered secrets are planted across those piece
  // boundaries (of the whole input and of each write) and at random, and the input is written in random pieces,
  // some into headroom as pumpFile does. The stream without the prefilter samples every literal by copying the input
  // itself: the reference.
  it('gives the same output and findings as sampling from a copy of its own, across piece and write boundaries', () => {
    const PIECE = 1 << 18;
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme-ascii', minLength: 16, maxLength: 60 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: PIECE + 1000, max: 3 * PIECE }),
        fc.array(fc.tuple(fc.nat(3), fc.integer({ min: -80, max: 80 }), fc.nat(3), fc.nat(2)), { maxLength: 24 }),
        fc.array(fc.integer({ min: 1, max: 2 * PIECE }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 6 }),
        (secrets, size, plants, sizes, inPlace) => {
          const text = Buffer.alloc(size);
          for (let i = 0; i < size; i++) text[i] = i % 61 === 60 ? 0x0a : 0x61 + ((i * 7) % 23);
          let writeAt = 0;
          const boundaries: number[] = [];
          for (const s of sizes) {
            writeAt += s;
            boundaries.push(writeAt);
          }
          for (const [k, delta, which, variant] of plants) {
            const s = secrets[which % secrets.length] as string;
            const bytes = Buffer.from([s, Buffer.from(s).toString('base64'), encodeURIComponent(s)][variant] as string);
            const anchor = k === 3 ? (boundaries[which % boundaries.length] as number) : k * PIECE + (k > 0 ? 1 : 0);
            const at = Math.max(0, Math.min(size - bytes.length, anchor + delta));
            bytes.copy(text, at);
          }
          const run = (prefilter: boolean) => {
            const redactor = new Redactor({ secrets, prefilter, replacement: 'rule' });
            const stream = redactor.stream();
            const out: Buffer[] = [];
            let from = 0;
            for (let i = 0; from < size; i++) {
              const to = Math.min(size, from + (sizes[i % sizes.length] as number));
              if (inPlace[i % inPlace.length]) {
                const headroom = 64 * 1024;
                const buffer = Buffer.alloc(headroom + (to - from));
                text.copy(buffer, headroom, from, to);
                stream.writeInPlace(buffer, headroom, buffer.length, (b) => out.push(Buffer.from(b)));
              } else {
                out.push(Buffer.from(stream.write(text.subarray(from, to))));
              }
              from = to;
            }
            out.push(stream.end());
            return { out: Buffer.concat(out), findings: stream.findings, literals: redactor.literals !== undefined };
          };
          const fast = run(true);
          const slow = run(false);
          expect(fast.literals).toBe(true);
          expect(fast.out.equals(slow.out)).toBe(true);
          expect(fast.findings).toEqual(slow.findings);
        },
      ),
      { numRuns: 25 },
    );
  });
});
