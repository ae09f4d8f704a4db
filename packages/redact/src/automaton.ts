import { RedactError } from './errors.ts';

/**
 * A byte-level Aho–Corasick automaton compiled into a dense DFA, the engine's single pass over log bytes.
 *
 * One automaton holds two kinds of patterns: the registered secrets with all their variants (`literal`), whose matches
 * are redacted as they are, and the keywords of the rules for unknown secrets (`keyword`), whose matches only start a
 * linear-time regular-expression check in a bounded window (packages/redact/src/rules.ts). Matching both in one pass
 * costs one table lookup per input byte.
 *
 * - Bytes that occur in no pattern share one class, so a row has (distinct pattern bytes + 1) columns instead of 256;
 *   state ids are premultiplied by the row width, so a step is `state = delta[state + classOf[byte]]`.
 * - A transition to a state with an output (its own, or one reached through failure links) carries the bit
 *   {@link ACCEPT_FLAG}: the hot loop tests one bit, and can test several interleaved walks with one OR.
 * - `depth` of a state is the length of the longest suffix of the input read so far that is a prefix of some pattern:
 *   exactly the number of trailing bytes that could still begin a match, which is what the streaming redactor holds
 *   back.
 */
export interface AutomatonPattern {
  readonly bytes: Uint8Array;
  readonly kind: 'literal' | 'keyword';
  /** For keywords: an id the caller maps to rules. Ignored for literals. */
  readonly id: number;
}

export interface Automaton {
  /** Byte → column. */
  readonly classOf: Uint8Array;
  /** Columns per state row. */
  readonly width: number;
  /**
   * Transition table: `delta[(state & STATE_MASK) + classOf[byte]]` is the next state, premultiplied by `width`, with
   * {@link ACCEPT_FLAG} set when that state has an output (and {@link TRIE_FLAG}, {@link OWN_FLAG}).
   */
  readonly delta: Int32Array;
  /** The start state, always 0. */
  readonly start: number;
  /** Per state index: trie depth (bytes of a possible pattern prefix at the end of the input). */
  readonly depth: Int32Array;
  /** Per state index: the length of the longest literal pattern ending here, 0 when none. */
  readonly literalLength: Int32Array;
  /** Per state index: [keywordStart[i], keywordStart[i+1]) indexes keywordIds/keywordLengths for keywords ending here. */
  readonly keywordStart: Int32Array;
  readonly keywordIds: Int32Array;
  readonly keywordLengths: Int32Array;
  readonly states: number;
  /** The longest pattern, in bytes. */
  readonly maxPatternLength: number;
}

/** Set in a transition's target when the state has an output. */
export const ACCEPT_FLAG = 1 << 30;
/**
 * Set in a transition's target when the transition is an edge of the trie (the target's depth is the source's plus
 * one): a walk from the root that only follows such edges reads a prefix of some pattern. Used to verify candidates.
 */
export const TRIE_FLAG = 1 << 29;
/** Set in a trie edge's target when the target itself ends a pattern (not only through failure links). */
export const OWN_FLAG = 1 << 28;
/** Clears the flags: the premultiplied state. */
export const STATE_MASK = OWN_FLAG - 1;

/** The dense table may use at most this many entries (4 bytes each) before compilation is refused. */
export const MAX_TABLE_ENTRIES = 96 * 1024 * 1024;

export function buildAutomaton(patterns: readonly AutomatonPattern[]): Automaton {
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
  if (width > 256) throw new RedactError('rule-invalid', 'automaton: more than 255 byte classes');
  const capacity = totalBytes + 1;
  if (capacity * width > MAX_TABLE_ENTRIES) {
    throw new RedactError(
      'too-many-secrets',
      `the registered secrets and their variants need ${Math.round((capacity * width * 4) / 2 ** 20)} MiB of matcher tables, over the ${Math.round((MAX_TABLE_ENTRIES * 4) / 2 ** 20)} MiB limit; register fewer or shorter secrets`,
    );
  }

  // The trie (goto function) in a dense table of state indexes; -1 is "no edge". Each state's children are also in
  // a list (first child, next sibling, the class of the edge), so that the passes below visit edges, not columns.
  const go = new Int32Array(capacity * width).fill(-1);
  const depth = new Int32Array(capacity);
  const ownLiteral = new Int32Array(capacity);
  const ownKeywords = new Map<number, Array<[number, number]>>();
  const firstChild = new Int32Array(capacity).fill(-1);
  const nextSibling = new Int32Array(capacity);
  const edgeClass = new Int32Array(capacity);
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
        edgeClass[next] = c;
        nextSibling[next] = firstChild[s] as number;
        firstChild[s] = next;
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

  // Breadth-first: failure links, complete transitions, outputs inherited through failure links. A state's row is
  // its failure state's row (complete already: that state is shallower) with its own edges put in, so each row is
  // one native copy and a visit of the state's children, not a step per column (start-up time: this runs cold).
  const fail = new Int32Array(states);
  const literalLength = new Int32Array(states);
  const keywords: Array<Array<[number, number]>> = new Array(states);
  const order: number[] = [0];
  keywords[0] = ownKeywords.get(0) ?? [];
  for (let c = 0; c < width; c++) if ((go[c] as number) < 0) go[c] = 0;
  for (let child = firstChild[0] as number; child >= 0; child = nextSibling[child] as number) {
    fail[child] = 0;
    order.push(child);
  }
  for (let head = 1; head < order.length; head++) {
    const s = order[head] as number;
    const f = fail[s] as number;
    literalLength[s] = Math.max(ownLiteral[s] as number, literalLength[f] as number);
    const own = ownKeywords.get(s);
    keywords[s] = own === undefined ? (keywords[f] as Array<[number, number]>) : [...own, ...(keywords[f] ?? [])];
    go.copyWithin(s * width, f * width, f * width + width);
    for (let child = firstChild[s] as number; child >= 0; child = nextSibling[child] as number) {
      const c = edgeClass[child] as number;
      fail[child] = go[s * width + c] as number;
      go[s * width + c] = child;
      order.push(child);
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
  if (output[0] === 1) throw new RedactError('rule-invalid', 'automaton: an empty pattern');
  // A transition's flags and premultiplied target, by the target's old index and whether it is a trie edge.
  const flagged = new Int32Array(states);
  for (let s = 0; s < states; s++) flagged[s] = (newId[s] as number) * width + (output[s] === 1 ? ACCEPT_FLAG : 0);
  const edge = (child: number) => (flagged[child] as number) + TRIE_FLAG + (ownOutput[child] === 1 ? OWN_FLAG : 0);

  // The final rows, in breadth-first order again: a state's row is its failure state's final row with that state's
  // trie edges made plain transitions (their targets are no deeper than the state: never its trie edges) and its own
  // edges put in. The root's row: its edges, and the root everywhere else.
  const delta = new Int32Array(states * width);
  for (let c = 0; c < width; c++) delta[c] = flagged[go[c] as number] as number;
  for (let child = firstChild[0] as number; child >= 0; child = nextSibling[child] as number) {
    delta[edgeClass[child] as number] = edge(child);
  }
  for (let head = 1; head < order.length; head++) {
    const s = order[head] as number;
    const f = fail[s] as number;
    const row = (newId[s] as number) * width;
    const from = (newId[f] as number) * width;
    delta.copyWithin(row, from, from + width);
    for (let child = firstChild[f] as number; child >= 0; child = nextSibling[child] as number) {
      delta[row + (edgeClass[child] as number)] = flagged[child] as number;
    }
    for (let child = firstChild[s] as number; child >= 0; child = nextSibling[child] as number) {
      delta[row + (edgeClass[child] as number)] = edge(child);
    }
  }

  const depthOut = new Int32Array(states);
  const literalOut = new Int32Array(states);
  const keywordStart = new Int32Array(states + 1);
  const byNew: number[] = new Array(states);
  for (let s = 0; s < states; s++) byNew[newId[s] as number] = s;
  const ids: number[] = [];
  const lengths: number[] = [];
  for (let n = 0; n < states; n++) {
    const s = byNew[n] as number;
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
