import { ACCEPT_FLAG, type Automaton, OWN_FLAG, STATE_MASK, TRIE_FLAG } from './automaton.ts';

/**
 * A skip-based prefilter in front of the Aho–Corasick automaton (packages/redact/src/automaton.ts), so that most bytes
 * of a log are never stepped through the automaton one by one.
 *
 * With every pattern at least 3 bytes long, an occurrence starting at `s` covers an even position p ∈ {s, s + 1}
 * (even in the ArrayBuffer, so the input is read as aligned 32-bit words, two samples per word). The filter looks
 * only at those positions: the 3 bytes at p (a trigram) are looked up in a bit set that holds, for each pattern, its
 * trigram at offset 0 and (patterns of 4 bytes or more) its trigram at offset 1; a 3-byte pattern's offset-1 case (its
 * last two bytes followed by any byte) is held as every such trigram. Only when the bit is set are the two possible
 * starts p − 1 and p verified: a table of the patterns' first three bytes, a table of the patterns' first two bytes, then a walk of the automaton from its root
 * for as long as the bytes read stay a prefix of some pattern (the depth grows by one per byte). A sample costs one
 * lookup in a 64 KiB table that stays in the CPU cache; build-log text hits at a few samples in a hundred.
 *
 * The result is exactly the automaton's: for each position e where some pattern ends, the state whose outputs are
 * every pattern ending at e (the node of the longest one), in increasing order of e. The straightforward walk
 * ({@link acceptsByWalk}) is the reference it is tested against.
 */
const FILTER_BITS = 16;
const SHIFT = 32 - FILTER_BITS;
const HASH = 0x9e3779b1;

/** The shortest pattern the filter can serve; with shorter ones the engine steps the automaton over every byte. */
export const PREFILTER_MIN_PATTERN = 3;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export class Prefilter {
  /** One byte per hashed trigram (a byte table tests faster than a bit set). */
  readonly #table = new Uint8Array(2 ** FILTER_BITS);
  /** First two bytes of some pattern: bit (b0 << 8 | b1). */
  readonly #first2 = new Int32Array(2 ** 11);
  readonly #a: Automaton;
  /** Occurrences found by {@link scan}: end positions and node states. */
  #ends = new Int32Array(1024);
  /** Word indexes where a sample hit the table, in {@link scan}. */
  #hitWords = new Int32Array(0);
  #nodes = new Int32Array(1024);

  constructor(automaton: Automaton, patterns: readonly Uint8Array[]) {
    this.#a = automaton;
    for (const p of patterns) {
      if (p.length < PREFILTER_MIN_PATTERN) throw new Error('prefilter: a pattern shorter than 3 bytes');
      this.#add((p[0] as number) | ((p[1] as number) << 8) | ((p[2] as number) << 16));
      if (p.length >= 4) {
        this.#add((p[1] as number) | ((p[2] as number) << 8) | ((p[3] as number) << 16));
      } else {
        const pair = (p[1] as number) | ((p[2] as number) << 8);
        for (let b = 0; b < 256; b++) this.#add(pair | (b << 16));
      }
      const t = ((p[0] as number) << 8) | (p[1] as number);
      this.#first2[t >>> 5] = (this.#first2[t >>> 5] as number) | (1 << (t & 31));
    }
  }

  #add(trigram: number): void {
    this.#table[Math.imul(trigram, HASH) >>> SHIFT] = 1;
  }

  /**
   * Every pattern occurrence in buf[0, n) that starts at or after `from` and ends after `after` (positions relative
   * to buf), as accepts for the automaton: `accept(state, end)` in increasing order of end, `state` being a state
   * (with {@link ACCEPT_FLAG}) whose outputs are all the patterns ending at `end`.
   */
  scan(buf: Uint8Array, from: number, n: number, after: number, accept: (state: number, end: number) => void): void {
    let count = 0;
    // Aligned 32-bit words from the first word boundary at or after `from`; samples at its bytes 0 and 2.
    const offset = buf.byteOffset;
    let aligned = (((offset + from + 3) & ~3) - offset) | 0;
    const words = LITTLE_ENDIAN ? Math.max(0, ((n - aligned) >> 2) - 1) : 0;
    if (words === 0) aligned = n;
    // Starts before the first sample's reach are verified one by one.
    for (let s = from; s < aligned - 1 && s < n; s++) count = this.#verify(buf, s, n, after, count);
    if (words > 0) {
      const table = this.#table;
      const first2 = this.#first2;
      const w32 = new Int32Array(buf.buffer, offset + aligned, words + 1);
      // First pass: the words where either sample is in the table (a tight loop with no calls).
      if (this.#hitWords.length < words) this.#hitWords = new Int32Array(words);
      const hitWords = this.#hitWords;
      let hits = 0;
      let w = w32[0] as number;
      for (let q = 0; q < words; q++) {
        const x = w32[q + 1] as number;
        const h1 = Math.imul(w & 0xffffff, HASH) >>> SHIFT;
        const h2 = Math.imul((w >>> 16) | ((x & 0xff) << 16), HASH) >>> SHIFT;
        w = x;
        hitWords[hits] = q;
        hits += (table[h1] as number) | (table[h2] as number);
      }
      // Second pass: the sample at byte 0 of word q covers starts p − 1 and p, the one at byte 2 starts p + 1 and
      // p + 2; a start is walked only when its first two bytes begin some pattern.
      for (let k = 0; k < hits; k++) {
        const p = aligned + 4 * (hitWords[k] as number);
        for (let s = p - 1; s <= p + 2; s++) {
          if (s < from) continue;
          const t = ((buf[s] as number) << 8) | (buf[s + 1] as number);
          if (((first2[t >>> 5] as number) & (1 << (t & 31))) !== 0) count = this.#verify(buf, s, n, after, count);
        }
      }
      // Starts after the last word's reach.
      for (let s = aligned + 4 * words - 1; s < n; s++) if (s >= from) count = this.#verify(buf, s, n, after, count);
    }
    if (count === 0) return;
    const ends = this.#ends;
    const nodes = this.#nodes;
    // Starts were verified in increasing order, so for one end the longest pattern came first; ends are usually in
    // order already (a long occurrence ending after a shorter one that starts later needs the sort).
    let ordered = true;
    for (let i = 1; i < count && ordered; i++) if ((ends[i] as number) < (ends[i - 1] as number)) ordered = false;
    let order: number[] | undefined;
    if (!ordered) {
      const depth = (state: number) => this.#a.depth[(state & STATE_MASK) / this.#a.width] as number;
      order = Array.from({ length: count }, (_, i) => i).sort(
        (x, y) =>
          (ends[x] as number) - (ends[y] as number) || depth(nodes[y] as number) - depth(nodes[x] as number) || x - y,
      );
    }
    let last = -1;
    for (let k = 0; k < count; k++) {
      const i = order === undefined ? k : (order[k] as number);
      const end = ends[i] as number;
      if (end === last) continue;
      last = end;
      accept(nodes[i] as number, end);
    }
  }

  /** Records each pattern that starts at s and ends after `after`: a walk from the root while the bytes are a prefix. */
  #verify(buf: Uint8Array, s: number, n: number, after: number, found: number): number {
    let count = found;
    const a = this.#a;
    const delta = a.delta;
    const classOf = a.classOf;
    let state = 0;
    for (let i = s; i < n; i++) {
      state = delta[(state & STATE_MASK) + (classOf[buf[i] as number] as number)] as number;
      if ((state & TRIE_FLAG) === 0) break;
      if ((state & OWN_FLAG) !== 0 && i >= after) {
        if (count === this.#ends.length) this.#grow();
        (this.#ends as Int32Array)[count] = i + 1;
        (this.#nodes as Int32Array)[count] = state;
        count++;
      }
    }
    return count;
  }

  #grow(): void {
    const ends = new Int32Array(this.#ends.length * 2);
    ends.set(this.#ends);
    this.#ends = ends;
    const nodes = new Int32Array(this.#nodes.length * 2);
    nodes.set(this.#nodes);
    this.#nodes = nodes;
  }
}

/**
 * The reference: the automaton stepped over every byte of buf[from, n) from `state`, accepts for ends after `after`.
 * Returns the final state.
 */
export function acceptsByWalk(
  a: Automaton,
  buf: Uint8Array,
  from: number,
  n: number,
  after: number,
  state: number,
  accept: (state: number, end: number) => void,
): number {
  let s = state;
  for (let i = from; i < n; i++) {
    s = a.delta[(s & STATE_MASK) + (a.classOf[buf[i] as number] as number)] as number;
    if ((s & ACCEPT_FLAG) !== 0 && i + 1 > after) accept(s, i + 1);
  }
  return s;
}
