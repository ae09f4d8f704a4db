/**
 * The prefilter's sampling loop (packages/redact/src/prefilter.ts) as a few dozen bytes of WebAssembly: the loop that
 * every byte of a log goes through, where JavaScript pays bounds checks and typed-array conversions per load.
 *
 * `scan(p, end, out, dataEnd)`: for each p, p + 4, … < end (an even number of words), the trigrams at p and p + 2
 * (bytes p … p + 4) are hashed with {@link trigramHash} and looked up in the sample table; when either is set, each of
 * the starts p − 1 … p + 2 whose first four bytes hash to a set entry of the prefix table (a 3-byte pattern sets its
 * entries for every fourth byte) is written to out (32-bit memory offsets). Returns how many were written. Stores are
 * unconditional and the count grows by the table byte (0 or 1), so the loop has no branch per start, except where the
 * entry names a seek (2 + its number): the start counts only if `seek` keeps it (see {@link SEEK_OFFSET}). Memory
 * layout (fixed, one memory per sampler): the tables, the output, the input (which ends at dataEnd).
 *
 * The module is assembled here from its instructions (listed below in WebAssembly text form), not loaded from a
 * binary file: what runs is what is reviewed.
 */
export const TABLE_BITS = 16;
export const HASH = 0x9e3779b1;
const SHIFT = 32 - TABLE_BITS;

/** The table's index for a trigram (bytes b0 | b1 << 8 | b2 << 16). */
export function trigramHash(trigram: number): number {
  return Math.imul(trigram, HASH) >>> SHIFT;
}

/** Input bytes per call. */
export const PIECE = 1 << 18;
/** The sample table: trigrams of the patterns at offsets 0 and 1. */
export const TABLE_OFFSET = 0;
/** The prefix table: the first four bytes of the patterns (3-byte patterns: with each possible fourth byte). */
export const PREFIX_OFFSET = 1 << TABLE_BITS;
/** The long-literal filter of {@link sample4}: a bit set of 2^20 bits. */
export const FILTER_OFFSET = 2 << TABLE_BITS;
export const FILTER_BITS = 20;
/**
 * The seeks: a prefix-table entry of 2 + i names seek i. It keeps a start s whose first four bytes, masked, are not
 * its prefix (another pattern's start that hashes to the same entry); otherwise it keeps s only if, from s + skip on,
 * within `limit` bytes, the first byte of its byte table that is set is a target (1) rather than a stop (2). It keeps
 * the start too when the input ends first (undecided), and drops it when the limit is reached with neither. Byte
 * table i is at SEEK_OFFSET + 256·i; its skip, limit, prefix and mask are the 32-bit words at SEEK_PARAMS_OFFSET +
 * 16·i, + 4, + 8 and + 12.
 */
export const SEEK_OFFSET = FILTER_OFFSET + (1 << (FILTER_BITS - 3));
/** Seeks 0 … MAX_SEEKS − 1: a table byte holds 2 + i. */
export const MAX_SEEKS = 254;
export const SEEK_PARAMS_OFFSET = SEEK_OFFSET + 256 * MAX_SEEKS;
export const OUT_OFFSET = SEEK_PARAMS_OFFSET + 16 * MAX_SEEKS;
/**
 * Input starts here; the byte before it is the one before the piece (a start p − 1 reads it), and one byte more than
 * the samples read is copied after it (a start p + 2 reads up to p + 5).
 */
export const DATA_OFFSET = OUT_OFFSET + 4 * PIECE + 64;
const PAGES = Math.ceil((DATA_OFFSET + PIECE + 64) / 65536);

/** Unsigned LEB128. */
function u32(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a 32-bit integer. */
function s32(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const section = (id: number, body: number[]) => [id, ...u32(body.length), ...body];
const name = (s: string) => [...u32(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

const I32 = 0x7f;
const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  br: (depth: number) => [0x0c, ...u32(depth)],
  brIf: (depth: number) => [0x0d, ...u32(depth)],
  end: [0x0b],
  get: (i: number) => [0x20, ...u32(i)],
  set: (i: number) => [0x21, ...u32(i)],
  const: (n: number) => [0x41, ...s32(n)],
  if: [0x04, 0x40],
  return: [0x0f],
  call: (index: number) => [0x10, ...u32(index)],
  load: (offset: number) => [0x28, 0, ...u32(offset)],
  load8: (offset: number) => [0x2d, 0, ...u32(offset)],
  store: (offset: number) => [0x36, 0, ...u32(offset)],
  eq: [0x46],
  ne: [0x47],
  gtU: [0x4b],
  geU: [0x4f],
  sub: [0x6b],
  add: [0x6a],
  mul: [0x6c],
  and: [0x71],
  or: [0x72],
  shl: [0x74],
  shrU: [0x76],
  xor: [0x73],
  popcnt: [0x69],
};

/**
 * The loop every function here is: `block loop (br_if 1 (i32.ge_u p end)) BODY (local.set p (i32.add p STEP)) br 0
 * end end (local.get RESULT) end`, with `step` the instructions that push the step.
 */
function whileBelow(
  p: number,
  end: number,
  body: readonly number[],
  step: readonly number[],
  result: number,
): number[] {
  return [
    ...op.block,
    ...op.loop,
    ...op.get(p),
    ...op.get(end),
    ...op.geU,
    ...op.brIf(1),
    ...body,
    ...op.get(p),
    ...step,
    ...op.add,
    ...op.set(p),
    ...op.br(0),
    ...op.end, // loop
    ...op.end, // block
    ...op.get(result),
    ...op.end, // function
  ];
}

/** `(i32.store (i32.add out (i32.shl count 2)) VALUE)`: append VALUE to the i32 array at `out` (count entries so far). */
function storeAt(out: number, count: number, value: readonly number[]): number[] {
  return [...op.get(out), ...op.get(count), ...op.const(2), ...op.shl, ...op.add, ...value, ...op.store(0)];
}

/** `(local.set L (i32.add <value on the stack> (local.get L)))`. */
function addTo(local: number): number[] {
  return [...op.get(local), ...op.add, ...op.set(local)];
}

interface WasmFunction {
  readonly name: string;
  /** i32 parameters; every function returns one i32. */
  readonly params: number;
  /** i32 locals after the parameters. */
  readonly locals: number;
  readonly code: readonly number[];
}

/** A module of exported i32 functions (each with its own type) and one exported memory of `pages` pages. */
function assemble(functions: readonly WasmFunction[], pages: number): Uint8Array {
  const n = functions.length;
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    // types: function i has type i, (i32 × params) → i32
    ...section(1, [
      ...u32(n),
      ...functions.flatMap((f) => [0x60, ...u32(f.params), ...Array(f.params).fill(I32), ...u32(1), I32]),
    ]),
    ...section(3, [...u32(n), ...functions.flatMap((_, i) => u32(i))]),
    ...section(5, [...u32(1), 0x00, ...u32(pages)]), // one memory, no maximum
    ...section(7, [
      ...u32(n + 1),
      ...functions.flatMap((f, i) => [...name(f.name), 0x00, ...u32(i)]),
      ...name('memory'),
      0x02,
      ...u32(0),
    ]),
    ...section(10, [
      ...u32(n),
      ...functions.flatMap((f) => {
        const body = [...u32(1), ...u32(f.locals), I32, ...f.code]; // one local declaration: locals × i32
        return [...u32(body.length), ...body];
      }),
    ]),
  ]);
}

/** The index of `seek` among the module's functions (the order of the list given to assemble()). */
const SEEK_FUNCTION = 3;

function moduleBytes(): Uint8Array {
  // Parameters p (0), end (1), out (2), dataEnd (3); locals hits (4), q (5), v (6).
  const P = 0;
  const END = 1;
  const OUT = 2;
  const DATA_END = 3;
  const HITS = 4;
  const Q = 5;
  const V = 6;
  // (i32.load8_u offset=table (i32.shr_u (i32.mul <trigram on the stack> HASH) SHIFT))
  const lookup = (table: number) => [
    ...op.const(HASH | 0),
    ...op.mul,
    ...op.const(SHIFT),
    ...op.shrU,
    ...op.load8(table),
  ];
  // Start q + j: v = prefix[hash(i32.load(q + j))]; (if (i32.gt_u v 1) (v = seek(q + j, v − 2, dataEnd))); then
  // (i32.store offset=0 (out + hits·4) (q + j)) and hits += v.
  const start = (j: number) => [
    ...op.get(Q),
    ...op.load(j),
    ...lookup(PREFIX_OFFSET),
    ...op.set(V),
    ...op.get(V),
    ...op.const(1),
    ...op.gtU,
    ...op.if,
    ...op.get(Q),
    ...op.const(j),
    ...op.add,
    ...op.get(V),
    ...op.const(2),
    ...op.sub,
    ...op.get(DATA_END),
    ...op.call(SEEK_FUNCTION),
    ...op.set(V),
    ...op.end,
    ...storeAt(OUT, HITS, [...op.get(Q), ...op.const(j), ...op.add]),
    ...op.get(V),
    ...addTo(HITS),
  ];
  // The word at p + k: (if (i32.or (table[hash(i32.load offset=k p & 0xffffff)]) (table[hash(i32.load offset=k+2
  // p & 0xffffff)])) (then q = p + k − 1; the starts q … q + 3 whose first four bytes may begin a pattern go to out)).
  const word = (k: number) => [
    ...op.get(P),
    ...op.load(k),
    ...op.const(0xffffff),
    ...op.and,
    ...lookup(TABLE_OFFSET),
    ...op.get(P),
    ...op.load(k + 2),
    ...op.const(0xffffff),
    ...op.and,
    ...lookup(TABLE_OFFSET),
    ...op.or,
    ...op.if,
    ...op.get(P),
    ...op.const(k - 1),
    ...op.add,
    ...op.set(Q),
    ...start(0),
    ...start(1),
    ...start(2),
    ...start(3),
    ...op.end,
  ];
  // Two words per iteration (the caller passes an even number of words).
  const code = whileBelow(P, END, [...word(0), ...word(4)], op.const(8), HITS);

  // seek(s, i, dataEnd): 1 keeps the start s, 0 drops it (see SEEK_OFFSET). Parameters s (0), i (1), dataEnd (2);
  // locals at (3), stop (4), c (5). In text form, with $params = (i32.shl (local.get $i) (i32.const 4)):
  //   (if (i32.ne (i32.and (i32.load (local.get $s)) (i32.load offset=SEEK_PARAMS+12 $params))
  //               (i32.load offset=SEEK_PARAMS+8 $params)) (then (return (i32.const 1))))       ;; not its prefix
  //   (local.set $at (i32.add (local.get $s) (i32.load offset=SEEK_PARAMS $params)))             ;; s + skip
  //   (local.set $stop (i32.add (local.get $at) (i32.load offset=SEEK_PARAMS+4 $params)))        ;; + limit
  //   (local.set $i (i32.shl (local.get $i) (i32.const 8)))                                      ;; the byte table
  //   block loop
  //     (br_if 1 (i32.ge_u (local.get $at) (local.get $stop)))                                    ;; the limit: drop
  //     (if (i32.ge_u (local.get $at) (local.get $dataEnd)) (then (return (i32.const 1))))        ;; undecided: keep
  //     (local.set $c (i32.load8_u offset=SEEK (i32.add (local.get $i) (i32.load8_u (local.get $at)))))
  //     (if (local.get $c) (then (return (i32.eq (local.get $c) (i32.const 1)))))                ;; target or stop
  //     (local.set $at (i32.add (local.get $at) (i32.const 1)))
  //     br 0
  //   end end
  //   (i32.const 0)
  const S = 0;
  const I = 1;
  const SEEK_DATA_END = 2;
  const AT = 3;
  const STOP = 4;
  const C = 5;
  const params = [...op.get(I), ...op.const(4), ...op.shl];
  const codeSeek = [
    ...op.get(S),
    ...op.load(0),
    ...params,
    ...op.load(SEEK_PARAMS_OFFSET + 12),
    ...op.and,
    ...params,
    ...op.load(SEEK_PARAMS_OFFSET + 8),
    ...op.ne,
    ...op.if,
    ...op.const(1),
    ...op.return,
    ...op.end,
    ...op.get(S),
    ...params,
    ...op.load(SEEK_PARAMS_OFFSET),
    ...op.add,
    ...op.set(AT),
    ...op.get(AT),
    ...params,
    ...op.load(SEEK_PARAMS_OFFSET + 4),
    ...op.add,
    ...op.set(STOP),
    ...op.get(I),
    ...op.const(8),
    ...op.shl,
    ...op.set(I),
    ...op.block,
    ...op.loop,
    ...op.get(AT),
    ...op.get(STOP),
    ...op.geU,
    ...op.brIf(1),
    ...op.get(AT),
    ...op.get(SEEK_DATA_END),
    ...op.geU,
    ...op.if,
    ...op.const(1),
    ...op.return,
    ...op.end,
    ...op.get(I),
    ...op.get(AT),
    ...op.load8(0),
    ...op.add,
    ...op.load8(SEEK_OFFSET),
    ...op.set(C),
    ...op.get(C),
    ...op.if,
    ...op.get(C),
    ...op.const(1),
    ...op.eq,
    ...op.return,
    ...op.end,
    ...op.get(AT),
    ...op.const(1),
    ...op.add,
    ...op.set(AT),
    ...op.br(0),
    ...op.end, // loop
    ...op.end, // block
    ...op.const(0),
    ...op.end, // function
  ];

  // sample4(p, end, stride, out): for p, p + stride, … < end, the 4 bytes at p hashed to FILTER_BITS bits; p goes to
  // out and the count grows by the filter's bit. Parameters p (0), end (1), stride (2), out (3); local hits (4), f (5).
  const HITS4 = 4;
  const F = 5;
  const code4 = whileBelow(
    P,
    END,
    [
      // (local.set $f (i32.shr_u (i32.mul (i32.load (local.get $p)) HASH) (32 − FILTER_BITS)))
      ...op.get(P),
      ...op.load(0),
      ...op.const(HASH | 0),
      ...op.mul,
      ...op.const(32 - FILTER_BITS),
      ...op.shrU,
      ...op.set(F),
      // (i32.store (out + hits·4) p)
      ...storeAt(3, HITS4, op.get(P)),
      // hits += (i32.load8_u offset=FILTER (f >>> 3)) >>> (f & 7) & 1
      ...op.get(F),
      ...op.const(3),
      ...op.shrU,
      ...op.load8(FILTER_OFFSET),
      ...op.get(F),
      ...op.const(7),
      ...op.and,
      ...op.shrU,
      ...op.const(1),
      ...op.and,
      ...addTo(HITS4),
    ],
    op.get(2),
    HITS4,
  );

  // newlines(p, end): how many bytes of [p, end) (a multiple of 4 bytes) are '\n', four at a time: for x = word ^
  // 0x0a0a0a0a, a byte of x is zero exactly when the high bit of that byte of ((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x is
  // clear (no carry crosses bytes). Parameters p (0), end (1); local count (2).
  const COUNT = 2;
  const codeNl = whileBelow(
    P,
    END,
    [
      ...op.get(P),
      ...op.load(0),
      ...op.const(0x0a0a0a0a),
      ...op.xor,
      ...op.set(3),
      ...op.get(3),
      ...op.const(0x7f7f7f7f),
      ...op.and,
      ...op.const(0x7f7f7f7f),
      ...op.add,
      ...op.get(3),
      ...op.or,
      ...op.const(0x80808080 | 0),
      ...op.and,
      ...op.const(0x80808080 | 0),
      ...op.xor,
      ...op.popcnt,
      ...addTo(COUNT),
    ],
    op.const(4),
    COUNT,
  );
  return assemble(
    [
      { name: 'scan', params: 4, locals: 3, code }, // locals hits (4), q (5), v (6)
      { name: 'sample4', params: 4, locals: 2, code: code4 }, // locals hits (4), f (5)
      { name: 'newlines', params: 2, locals: 2, code: codeNl }, // locals count (2), x (3)
      { name: 'seek', params: 3, locals: 3, code: codeSeek }, // locals at (3), stop (4), c (5)
    ],
    PAGES,
  );
}

/** The few WebAssembly JS API members used here (the project's TypeScript libraries do not declare them). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | undefined;

export interface Sampler {
  /** See the module comment; positions are memory offsets. */
  readonly scan: (p: number, end: number, out: number, dataEnd: number) => number;
  /** The long-literal samples: see the comment in the module. */
  readonly sample4: (p: number, end: number, stride: number, out: number) => number;
  /** '\n' bytes in memory [p, end), end − p a multiple of 4. */
  readonly newlines: (p: number, end: number) => number;
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
}

/** A sampler with its own memory (the caller fills the table at {@link TABLE_OFFSET}). */
export function createSampler(): Sampler {
  compiled ??= new wasm.Module(moduleBytes());
  const instance = new wasm.Instance(compiled, {});
  const memory = instance.exports.memory as { readonly buffer: ArrayBuffer };
  return {
    scan: instance.exports.scan as (p: number, end: number, out: number, dataEnd: number) => number,
    sample4: instance.exports.sample4 as (p: number, end: number, stride: number, out: number) => number,
    newlines: instance.exports.newlines as (p: number, end: number) => number,
    bytes: new Uint8Array(memory.buffer),
    words: new Int32Array(memory.buffer),
  };
}

/**
 * The line counter's module: `newlines16(p, end)` counts the '\n' bytes of memory [p, end) (end − p a multiple of 16)
 * sixteen at a time with WebAssembly SIMD, about six times the speed of the four-byte loop above. In text form:
 *
 *   (func (param $p i32) (param $end i32) (result i32) (local $count i32)
 *     block loop
 *       (br_if 1 (i32.ge_u (local.get $p) (local.get $end)))
 *       (local.set $count (i32.add (i32.popcnt (i8x16.bitmask (i8x16.eq (v128.load (local.get $p))
 *                                                                       (v128.const i8x16 10 10 … 10))))
 *                                  (local.get $count)))
 *       (local.set $p (i32.add (local.get $p) (i32.const 16)))
 *       br 0
 *     end end
 *     (local.get $count))
 *
 * A runtime without WebAssembly SIMD (x64 without SSE4.1) rejects the module; the four-byte loop is used there.
 */
function simdModuleBytes(): Uint8Array {
  const P = 0;
  const END = 1;
  const COUNT = 2;
  const simd = (opcode: number) => [0xfd, ...u32(opcode)];
  const code = whileBelow(
    P,
    END,
    [
      ...op.get(P),
      ...simd(0x00), // v128.load
      0,
      0, // align 1, offset 0
      ...simd(0x0c), // v128.const
      ...new Array<number>(16).fill(0x0a),
      ...simd(0x23), // i8x16.eq
      ...simd(0x64), // i8x16.bitmask
      ...op.popcnt,
      ...addTo(COUNT),
    ],
    op.const(16),
    COUNT,
  );
  return assemble([{ name: 'newlines16', params: 2, locals: 1, code }], Math.ceil((PIECE + 64) / 65536));
}

interface LineCounter {
  readonly count: (p: number, end: number) => number;
  readonly bytes: Uint8Array;
  /** Bytes per call must be a multiple of this. */
  readonly step: number;
}

let counter: LineCounter | undefined;
function defaultCounter(): LineCounter {
  counter ??= lineCounter();
  return counter;
}

/** The SIMD line counter, or the sampler's four-byte loop where SIMD is missing (or `simd` is false: tests). */
export function lineCounter(simd = true): LineCounter {
  if (simd) {
    try {
      const instance = new wasm.Instance(new wasm.Module(simdModuleBytes()), {});
      const memory = instance.exports.memory as { readonly buffer: ArrayBuffer };
      return {
        count: instance.exports.newlines16 as (p: number, end: number) => number,
        bytes: new Uint8Array(memory.buffer),
        step: 16,
      };
    } catch {
      // no WebAssembly SIMD here: the four-byte loop below
    }
  }
  const sampler = createSampler();
  return { count: sampler.newlines, bytes: sampler.bytes, step: 4 };
}

/** How many '\n' bytes `bytes[from, to)` holds (WebAssembly, sixteen bytes at a time where SIMD is available). */
export function countNewlines(bytes: Uint8Array, from: number, to: number, using?: LineCounter): number {
  const c = using ?? defaultCounter();
  const base = c.step === 16 ? 0 : DATA_OFFSET;
  let count = 0;
  let at = from;
  for (; to - at >= c.step; ) {
    const length = Math.min(PIECE, (to - at) & -c.step);
    c.bytes.set(bytes.subarray(at, at + length), base);
    count += c.count(base, base + length);
    at += length;
  }
  for (; at < to; at++) if (bytes[at] === 0x0a) count++;
  return count;
}
