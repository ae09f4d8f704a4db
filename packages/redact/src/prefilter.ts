import { ACCEPT_FLAG, type Automaton, OWN_FLAG, STATE_MASK, TRIE_FLAG } from './automaton.ts';
import {
  createSampler,
  DATA_OFFSET,
  MAX_SEEKS,
  OUT_OFFSET,
  PIECE,
  PREFIX_OFFSET,
  type Sampler,
  SEEK_OFFSET,
  SEEK_PARAMS_OFFSET,
  TABLE_OFFSET,
  trigramHash,
} from './wasm-sampler.ts';

/**
 * A skip-based prefilter in front of the Aho–Corasick automaton (packages/redact/src/automaton.ts), so that most bytes
 * of a log are never stepped through the automaton one by one.
 *
 * With every pattern at least 3 bytes long, an occurrence starting at `s` covers a sample position p ∈ {s, s + 1}
 * when samples are taken every 2 bytes. The filter looks only at those positions: the 3 bytes at p (a trigram) are
 * looked up in a table (hashed, one byte per entry, 64 KiB) that holds, for each pattern, its trigram at offset 0 and
 * (patterns of 4 bytes or more) its trigram at offset 1; a 3-byte pattern's offset-1 case (its last two bytes followed
 * by any byte) is held as every such trigram. Only where a sample hits are the possible starts looked at: their first
 * four bytes in a second table of the patterns' first four bytes, and those that pass are verified by a walk of the
 * automaton from its root for as long as the bytes read stay a prefix of some pattern (edges flagged TRIE_FLAG).
 * The sampling and both tables run in WebAssembly (packages/redact/src/wasm-sampler.ts) over 256 KiB pieces copied
 * into its memory; build-log text hits at a few samples in a hundred, and far fewer starts pass the second table.
 *
 * The result is exactly the automaton's: for each position e where some pattern ends, the state whose outputs are
 * every pattern ending at e (the node of the longest one), in increasing order of e. The straightforward walk
 * ({@link acceptsByWalk}) is the reference it is tested against.
 *
 * A pattern may come with a {@link PrefilterSeek}: its occurrences that the seek rules out are dropped in WebAssembly,
 * before any JavaScript runs for them (build logs are full of `://`, and a URL without `user:password@` is ruled out
 * within its host name). The result is then the automaton's without the occurrences ruled out, so that a pattern
 * ending at e may be missing from the state given for e only when its seek rules it out.
 */

/**
 * What the engine's rule precheck does for a keyword, declared so that it can run in the prefilter: from `skip` bytes
 * after the occurrence's start, within `limit` bytes, the first byte that is one of `targets` or `stops` (targets
 * first) is a stop, or there is none of either: the occurrence is ruled out. The input ending first rules nothing out.
 */
export interface PrefilterSeek {
  readonly skip: number;
  readonly targets: string;
  readonly stops: string;
  readonly limit: number;
}

/** The shortest pattern the filter can serve; with shorter ones the engine steps the automaton over every byte. */
export const PREFILTER_MIN_PATTERN = 3;

/** What makes two patterns' seeks the same (none: a key of its own), checked when built. */
function seekKey(pattern: Uint8Array, seek: PrefilterSeek | undefined): string {
  if (seek === undefined) return `none ${Buffer.from(pattern).toString('latin1')}`;
  const { skip, targets, stops, limit } = seek;
  for (const n of [skip, limit]) {
    if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new Error('prefilter: a seek skip or limit out of range');
  }
  for (const ch of targets + stops) if (ch.charCodeAt(0) > 0xff) throw new Error('prefilter: a seek byte above 0xff');
  return JSON.stringify([skip, targets, stops, limit]);
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

export class Prefilter {
  /** The sampling loop, with both tables in its memory. */
  readonly #sampler: Sampler;
  readonly #a: Automaton;
  /** Occurrences found by {@link scan}: end positions and node states. */
  #ends = new Int32Array(1024);
  #nodes = new Int32Array(1024);

  /**
   * `sampler`: one whose memory may be shared with a LiteralIndex (the two use separate tables in it). `seeks[i]`:
   * pattern i's seek, if it has one.
   */
  constructor(
    automaton: Automaton,
    patterns: readonly Uint8Array[],
    sampler: Sampler = createSampler(),
    seeks: readonly (PrefilterSeek | undefined)[] = [],
  ) {
    this.#sampler = sampler;
    this.#a = automaton;
    const bytes = this.#sampler.bytes;
    // A pattern's seek is used only when every pattern that can start where it does (its first four bytes, or three
    // for a 3-byte pattern, are theirs or begin with theirs) has the same one: a start is dropped for all of them.
    const keys = patterns.map((p, i) => seekKey(p, seeks[i]));
    const prefixes = patterns.map((p) => p.subarray(0, 4));
    const programs = new Map<string, number>();
    for (const [i, p] of patterns.entries()) {
      if (p.length < PREFILTER_MIN_PATTERN) throw new Error('prefilter: a pattern shorter than 3 bytes');
      this.#add((p[0] as number) | ((p[1] as number) << 8) | ((p[2] as number) << 16));
      if (p.length >= 4) {
        this.#add((p[1] as number) | ((p[2] as number) << 8) | ((p[3] as number) << 16));
      } else {
        const pair = (p[1] as number) | ((p[2] as number) << 8);
        for (let b = 0; b < 256; b++) this.#add(pair | (b << 16));
      }
      const mine = prefixes[i] as Uint8Array;
      const shared = (q: Uint8Array) => startsWith(mine, q) || startsWith(q, mine);
      const seek = seeks[i];
      const program =
        seek !== undefined && prefixes.every((q, j) => keys[j] === keys[i] || !shared(q))
          ? this.#program(programs, seek, mine)
          : -1;
      // The entry keeps its first seek (the seek checks the prefix, so the other patterns' starts are kept).
      const enter = (prefix: number) => {
        const entry = PREFIX_OFFSET + trigramHash(prefix);
        if ((bytes[entry] as number) < 2) bytes[entry] = program < 0 ? 1 : 2 + program;
      };
      const prefix = (p[0] as number) | ((p[1] as number) << 8) | ((p[2] as number) << 16);
      if (p.length >= 4) enter(prefix | ((p[3] as number) << 24));
      else for (let b = 0; b < 256; b++) enter(prefix | (b << 24));
    }
  }

  /** The number of a seek in the sampler's memory (written there the first time), or −1 when there is no room. */
  #program(programs: Map<string, number>, seek: PrefilterSeek, prefix: Uint8Array): number {
    const { skip, targets, stops, limit } = seek;
    const key = JSON.stringify([skip, targets, stops, limit, [...prefix]]);
    let program = programs.get(key);
    if (program === undefined) {
      if (programs.size >= MAX_SEEKS) return -1;
      program = programs.size;
      programs.set(key, program);
      const table = SEEK_OFFSET + 256 * program;
      for (const [chars, kind] of [
        [stops, 2],
        [targets, 1],
      ] as const) {
        for (let c = 0; c < chars.length; c++) this.#sampler.bytes[table + chars.charCodeAt(c)] = kind;
      }
      let value = 0;
      let mask = 0;
      for (const [k, b] of prefix.entries()) {
        value |= b << (8 * k);
        mask |= 0xff << (8 * k);
      }
      const words = this.#sampler.words;
      const at = (SEEK_PARAMS_OFFSET >> 2) + 4 * program;
      words[at] = skip;
      words[at + 1] = limit;
      words[at + 2] = value;
      words[at + 3] = mask;
    }
    return program;
  }

  #add(trigram: number): void {
    (this.#sampler.bytes as Uint8Array)[TABLE_OFFSET + trigramHash(trigram)] = 1;
  }

  /**
   * Every pattern occurrence in buf[0, n) that starts at or after `from` and ends after `after` (positions relative
   * to buf), as accepts for the automaton: `accept(state, end)` in increasing order of end, `state` being a state
   * (with {@link ACCEPT_FLAG}) whose outputs are all the patterns ending at `end`.
   *
   * `onPiece(base, lo, hi)`, if given, is called after each piece of input has been sampled, while the sampler's memory
   * holds buf[p] at DATA_OFFSET + (p − base) for lo ≤ p < hi (a sharer of the memory may read it, and overwrite the
   * output area).
   */
  scan(
    buf: Uint8Array,
    from: number,
    n: number,
    after: number,
    accept: (state: number, end: number) => void,
    onPiece?: (base: number, lo: number, hi: number) => void,
  ): void {
    let count = 0;
    const { scan, bytes, words } = this.#sampler;
    // Pieces of input copied into the sampler's memory (with the byte before each): words at a, a + 4, … (samples at
    // a word's bytes 0 and 2, reading up to its byte 4); the word at p covers starts p − 1 … p + 2.
    let a = from;
    for (;;) {
      const b = Math.min(n, a + PIECE + 5);
      // An even number of words (the WebAssembly loop takes two per iteration); the last one goes to the next piece.
      const count4 = (b - a >= 5 ? ((b - a - 5) >> 2) + 1 : 0) & ~1;
      if (count4 === 0) break;
      const copyEnd = Math.min(n, b + 1);
      if (a > 0) bytes.set(buf.subarray(a - 1, copyEnd), DATA_OFFSET - 1);
      else bytes.set(buf.subarray(a, copyEnd), DATA_OFFSET);
      const hits = scan(DATA_OFFSET, DATA_OFFSET + 4 * count4, OUT_OFFSET, DATA_OFFSET + (copyEnd - a));
      for (let k = 0; k < hits; k++) {
        const s = a + ((words[(OUT_OFFSET >> 2) + k] as number) - DATA_OFFSET);
        if (s >= from) count = this.#verify(buf, s, n, after, count);
      }
      if (onPiece !== undefined) onPiece(a, a > 0 ? a - 1 : a, copyEnd);
      a += 4 * count4;
    }
    // Starts after the last word's reach.
    for (let s = Math.max(from, a - 1); s + PREFILTER_MIN_PATTERN <= n; s++)
      count = this.#verify(buf, s, n, after, count);
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
