import {
  createSampler,
  DATA_OFFSET,
  FILTER_BITS,
  FILTER_OFFSET,
  OUT_OFFSET,
  PIECE,
  type Sampler,
} from './wasm-sampler.ts';

/**
 * Long literal patterns (registered secrets and their variants, 16 bytes and more) found by sampling instead of a
 * per-byte automaton: with every pattern at least L bytes long, any occurrence contains one of the positions that
 * are multiples of k = L − 3, and the 4 bytes there are one of the first k 4-grams of the pattern. So only every k-th
 * position of the input is looked up (a bit in a 128 KiB filter that stays in cache, then an exact table), and
 * candidates are verified by comparing bytes. Hundreds of secrets with thousands of variants cost about the same per
 * byte as none; the keyword
 * automaton stays small enough to live in the CPU cache.
 *
 * The streaming redactor also needs to know which trailing bytes could still begin a pattern (to hold them back):
 * {@link LiteralIndex.partialStart} answers with a binary search over the sorted patterns, after a trigram filter.
 */
export const LONG_LITERAL_MIN = 16;

function gramAt(buf: Uint8Array, i: number): number {
  return (
    ((buf[i] as number) |
      ((buf[i + 1] as number) << 8) |
      ((buf[i + 2] as number) << 16) |
      ((buf[i + 3] as number) << 24)) >>>
    0
  );
}

const filterIndex = (gram: number) => Math.imul(gram, 0x9e3779b1) >>> (32 - FILTER_BITS);

export class LiteralIndex {
  readonly patterns: readonly Buffer[];
  /** Sample every `stride`-th absolute position. */
  readonly stride: number;
  readonly maxLength: number;
  readonly #filter = new Int32Array(2 ** (FILTER_BITS - 5));
  /** The sampling loop (WebAssembly), with a copy of the filter in its memory. */
  readonly #sampler: Sampler;
  /**
   * 4-gram → (pattern, offset) entries, as a chained hash table in typed arrays: the first entry of each bucket, and
   * per entry its 4-gram, pattern, offset and the next entry of the same bucket (entries of one 4-gram in the order
   * they were added: by pattern, then offset).
   */
  readonly #heads: Int32Array;
  readonly #shift: number;
  readonly #grams: Int32Array;
  readonly #entryPattern: Int32Array;
  readonly #entryOffset: Int32Array;
  readonly #next: Int32Array;
  /** Patterns in byte order, for prefix queries: sorted when first needed (most streams never ask). */
  #sorted: Buffer[] | undefined;
  /** First byte, first two bytes (16-bit) and first three bytes (24-bit) of some pattern. */
  readonly #first = new Uint8Array(256);
  readonly #first2 = new Uint8Array(65536);
  readonly #first3 = new Uint8Array(2 ** 21);

  /**
   * `sampler`: a sampler whose memory this index may share (its filter goes in the region at FILTER_OFFSET, which no
   * one else writes), so that {@link scanCopied} can sample input the prefilter has already copied there.
   */
  constructor(patterns: readonly Buffer[], sampler: Sampler = createSampler()) {
    this.#sampler = sampler;
    this.patterns = patterns;
    const min = Math.min(...patterns.map((p) => p.length));
    this.maxLength = Math.max(0, ...patterns.map((p) => p.length));
    this.stride = Math.max(1, min - 3);
    const stride = this.stride;
    const filter = this.#filter;
    const first = this.#first;
    const first2 = this.#first2;
    const first3 = this.#first3;
    let entries = 0;
    for (const p of patterns) entries += Math.max(0, Math.min(stride, p.length - 3));
    let bits = 4;
    while (1 << bits < entries * 2) bits++;
    const shift = 32 - bits;
    const filterShift = 32 - FILTER_BITS;
    this.#shift = shift;
    const heads = new Int32Array(1 << bits).fill(-1);
    const tails = new Int32Array(1 << bits);
    const grams = new Int32Array(entries);
    const entryPattern = new Int32Array(entries);
    const entryOffset = new Int32Array(entries);
    const next = new Int32Array(entries).fill(-1);
    let e = 0;
    for (let index = 0; index < patterns.length; index++) {
      const p = patterns[index] as Buffer;
      // The 4-gram at each offset, read one new byte at a time (a signed 32-bit word: hashes and filter bits only
      // multiply it, and the table compares it as a signed word).
      let gram = p.length >= 4 ? ((p[0] as number) << 8) | ((p[1] as number) << 16) | ((p[2] as number) << 24) : 0;
      for (let offset = 0; offset < stride && offset + 4 <= p.length; offset++) {
        gram = (gram >>> 8) | ((p[offset + 3] as number) << 24);
        const f = Math.imul(gram, 0x9e3779b1) >>> filterShift; // filterIndex(gram)
        filter[f >>> 5] = (filter[f >>> 5] as number) | (1 << (f & 31));
        const h = Math.imul(gram, 0x85ebca6b) >>> shift;
        grams[e] = gram;
        entryPattern[e] = index;
        entryOffset[e] = offset;
        if ((heads[h] as number) < 0) heads[h] = e;
        else next[tails[h] as number] = e;
        tails[h] = e;
        e++;
      }
      first[p[0] as number] = 1;
      first2[((p[0] as number) << 8) | (p[1] as number)] = 1;
      const t = ((p[0] as number) << 16) | ((p[1] as number) << 8) | (p[2] as number);
      first3[t >>> 3] = (first3[t >>> 3] as number) | (1 << (t & 7));
    }
    this.#heads = heads;
    this.#grams = grams;
    this.#entryPattern = entryPattern;
    this.#entryOffset = entryOffset;
    this.#next = next;
    // The same bits, little-endian bytes: bit f is bit (f & 7) of byte f >>> 3.
    const filterBytes = new Uint8Array(this.#filter.buffer);
    if (new Uint8Array(Int32Array.of(1).buffer)[0] !== 1) throw new Error('literals: a big-endian machine');
    this.#sampler.bytes.set(filterBytes, FILTER_OFFSET);
  }

  get size(): number {
    return this.patterns.length;
  }

  /**
   * Candidates for the sample at `i` (bytes i…i+3 of `buf`): calls `found(pattern, start)` with the start of each
   * possible occurrence (which the caller verifies).
   */
  sample(buf: Uint8Array, i: number, found: (pattern: number, start: number) => void): void {
    const gram = gramAt(buf, i);
    const f = filterIndex(gram);
    if (((this.#filter[f >>> 5] as number) & (1 << (f & 31))) === 0) return;
    const g = gram | 0;
    for (
      let e = this.#heads[Math.imul(gram, 0x85ebca6b) >>> this.#shift] as number;
      e >= 0;
      e = this.#next[e] as number
    ) {
      if (this.#grams[e] === g) found(this.#entryPattern[e] as number, i - (this.#entryOffset[e] as number));
    }
  }

  /**
   * Examines the samples at from, from + stride, … while 4 bytes are available before `end`; each candidate goes to
   * `hits` as (pattern, start) pairs, starts relative to `buf`. Returns the number of entries written.
   */
  scan(buf: Uint8Array, from: number, end: number, hits: number[]): number {
    const stride = this.stride;
    const { sample4, bytes } = this.#sampler;
    // Pieces copied into the sampler's memory; the samples whose 4-gram is in the filter come back, then the table.
    let n = 0;
    for (let a = from; a + 4 <= end; ) {
      const b = Math.min(end, a + PIECE + 3);
      const count = Math.floor((b - 4 - a) / stride) + 1;
      bytes.set(buf.subarray(a, b), DATA_OFFSET);
      const m = sample4(DATA_OFFSET, DATA_OFFSET + count * stride, stride, OUT_OFFSET);
      n = this.#candidates(buf, a, m, hits, n);
      a += count * stride;
    }
    return n;
  }

  /**
   * {@link scan} of the samples at from, from + stride, … (while 4 bytes are available before `end`), without copying:
   * the sampler's memory already holds buf[p] at DATA_OFFSET + (p − base) for every p in [from, end) (the prefilter
   * copied it there). Candidates are appended to `hits` from index `n`; returns the new count.
   */
  scanCopied(buf: Uint8Array, base: number, from: number, end: number, hits: number[], n0: number): number {
    if (from + 4 > end) return n0;
    const stride = this.stride;
    const count = Math.floor((end - 4 - from) / stride) + 1;
    const p = DATA_OFFSET + (from - base);
    const m = this.#sampler.sample4(p, p + count * stride, stride, OUT_OFFSET);
    return this.#candidates(buf, base, m, hits, n0);
  }

  /**
   * The table lookups behind {@link scan} and {@link scanCopied}: the sampler wrote `m` sample offsets (memory offsets,
   * DATA_OFFSET standing for buf[base]); each entry of the sample's 4-gram is appended to `hits` from index `n` as
   * (pattern, start). Returns the new count.
   */
  #candidates(buf: Uint8Array, base: number, m: number, hits: number[], n0: number): number {
    const words = this.#sampler.words;
    const heads = this.#heads;
    const shift = this.#shift;
    const grams = this.#grams;
    const entryPattern = this.#entryPattern;
    const entryOffset = this.#entryOffset;
    const next = this.#next;
    let n = n0;
    for (let k = 0; k < m; k++) {
      const i = base + ((words[(OUT_OFFSET >> 2) + k] as number) - DATA_OFFSET);
      const gram = gramAt(buf, i);
      const g = gram | 0;
      for (let e = heads[Math.imul(gram, 0x85ebca6b) >>> shift] as number; e >= 0; e = next[e] as number) {
        if (grams[e] === g) {
          hits[n++] = entryPattern[e] as number;
          hits[n++] = i - (entryOffset[e] as number);
        }
      }
    }
    return n;
  }

  #sort(): Buffer[] {
    // Byte order: as Latin-1 strings (one UTF-16 unit per byte) the default sort compares the same way as
    // Buffer.compare, without a call back into JavaScript per comparison.
    const byKey = new Map<string, Buffer[]>();
    for (const p of this.patterns) {
      const key = p.toString('latin1');
      const same = byKey.get(key);
      if (same === undefined) byKey.set(key, [p]);
      else same.push(p);
    }
    this.#sorted = [...byKey.keys()].sort().flatMap((key) => byKey.get(key) as Buffer[]);
    return this.#sorted;
  }

  /** Whether `bytes` (non-empty) is a prefix of some pattern (possibly all of it). */
  isPrefix(bytes: Buffer): boolean {
    const n = bytes.length;
    if (this.#first[bytes[0] as number] === 0) return false;
    if (n >= 2 && this.#first2[((bytes[0] as number) << 8) | (bytes[1] as number)] === 0) return false;
    if (n >= 3) {
      const t = ((bytes[0] as number) << 16) | ((bytes[1] as number) << 8) | (bytes[2] as number);
      if (((this.#first3[t >>> 3] as number) & (1 << (t & 7))) === 0) return false;
    }
    let lo = 0;
    const sorted = this.#sorted ?? this.#sort();
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Buffer.compare(sorted[mid] as Buffer, bytes) < 0) lo = mid + 1;
      else hi = mid;
    }
    const candidate = sorted[lo];
    return candidate !== undefined && candidate.length >= n && candidate.subarray(0, n).equals(bytes);
  }

  /**
   * The first position p in [from, buf.length) such that buf[p…] is a prefix of some pattern (an occurrence that
   * may continue in the next chunk), or buf.length when there is none.
   */
  partialStart(buf: Buffer, from: number): number {
    const end = buf.length;
    const first = this.#first;
    for (let p = Math.max(from, end - this.maxLength + 1); p < end; p++) {
      const b0 = buf[p] as number;
      if (first[b0] === 0) continue;
      if (p + 1 < end && this.#first2[(b0 << 8) | (buf[p + 1] as number)] === 0) continue;
      if (p + 2 < end) {
        const t = (b0 << 16) | ((buf[p + 1] as number) << 8) | (buf[p + 2] as number);
        if (((this.#first3[t >>> 3] as number) & (1 << (t & 7))) === 0) continue;
      }
      if (this.isPrefix(buf.subarray(p))) return p;
    }
    return end;
  }
}
