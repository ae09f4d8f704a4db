import { RedactError } from './errors.ts';

/**
 * Token shapes: the common credential format "one of some prefixes, then runs of characters of a class, then not a
 * token character", matched directly on the window's bytes instead of by the regular-expression engine.
 *
 * Why: a rule's pattern is compiled by re2js on first use, and a counted repetition such as `[A-Za-z0-9]{10,247}`
 * compiles to hundreds of instructions. In a scan where every rule fires once (bench/redact), compiling and first
 * running the patterns was about a quarter of the time. A shape is matched with a 256-entry table per class, no
 * compilation, and no string per window.
 *
 * A rule with a shape keeps its RE2 pattern as the specification: test/unit/redact/token.test.ts checks, for every
 * rule with a shape, that the shape matches exactly what the pattern matches (anchored, leftmost-first, the first
 * capture group) on generated windows. The matcher needs no backtracking because a shape is refused unless it is
 * unambiguous (see {@link compileToken}); ambiguous formats (an optional group, a repetition followed by characters
 * of its own class) stay regular expressions.
 */
export type TokenPart =
  | { readonly literal: string }
  /** Characters of `chars` (or any byte but those of `except`), `min` to `max` of them (no `max`: any number). */
  | { readonly chars: string; readonly min: number; readonly max?: number }
  | { readonly except: string; readonly min: number; readonly max?: number };

export interface TokenShape {
  /** The token starts with one of these; none may be a prefix of another. */
  readonly prefixes: readonly string[];
  /** The prefixes match in any ASCII case (`(?i:bearer) `). */
  readonly prefixCaseless?: boolean;
  readonly parts: readonly TokenPart[];
  /** The byte after the token must not be one of these (or the window ends there). */
  readonly notFollowedBy?: string;
  /** The secret: the whole token (default), what follows the prefix, or what one part (by index) matched. */
  readonly capture?: 'token' | 'after-prefix' | number;
}

interface CompiledPart {
  readonly literal: Uint8Array | undefined;
  readonly set: Uint8Array | undefined;
  readonly min: number;
  readonly max: number;
  /** A run longer than `max` fails the match (something after the part checks the byte it stopped at). */
  stopAtMax: boolean;
}

export interface TokenMatcher {
  /** The secret's span in `bytes[0, length)` (matched at 0), or undefined. */
  match(bytes: Uint8Array, length?: number): { readonly start: number; readonly end: number } | undefined;
}

// The byte-level pieces the shapes and the hand-written matchers (generic.ts, keys.ts) share.

/** RE2's `\s`: ASCII white space without the vertical tab. */
export const RE2_SPACE = '\t\n\f\r ';

/** A 256-entry table of the given ASCII characters. */
export function charSet(chars: string): Uint8Array {
  const set = new Uint8Array(256);
  for (const ch of chars) {
    const code = ch.charCodeAt(0);
    if (code > 0x7f) throw new Error(`not ASCII: ${JSON.stringify(ch)}`);
    set[code] = 1;
  }
  return set;
}

/** Every byte but the given ASCII characters (a negated class: `[^…]` on latin1 text). */
export function exceptSet(chars: string): Uint8Array {
  return charSet(chars).map((v) => 1 - v);
}

const lower = (c: number) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c);

/** The end of the run of bytes of `set` starting at `b[at]`, at most `max` long and before `length`. */
export function runEnd(
  b: Uint8Array,
  at: number,
  length: number,
  set: Uint8Array,
  max = Number.POSITIVE_INFINITY,
): number {
  const stop = Math.min(length, at + max);
  let i = at;
  while (i < stop && set[b[i] as number] === 1) i++;
  return i;
}

/** Whether `word` is at `b[at]`, before `length`; `caseless` compares ASCII letters in any case (`word` in lower case). */
export function bytesAt(b: Uint8Array, at: number, length: number, word: Uint8Array, caseless = false): boolean {
  if (at + word.length > length) return false;
  if (caseless) {
    for (let k = 0; k < word.length; k++) if (lower(b[at + k] as number) !== word[k]) return false;
  } else {
    for (let k = 0; k < word.length; k++) if (b[at + k] !== word[k]) return false;
  }
  return true;
}

/**
 * Checks that the shape is unambiguous and builds its matcher. Unambiguous means: the prefixes are prefix-free, and a
 * part of variable length is followed by a part (or literal) that cannot start with a character of its class, or is
 * the last part and then either ends the token (taking as many characters as it may) or is followed by a
 * `notFollowedBy` set containing its whole class. Then the longest run is the only run that can lead to a match, which
 * is what RE2's leftmost-first semantics pick too.
 */
export function compileToken(rule: string, shape: TokenShape): TokenMatcher {
  const invalid = (why: string) => new RedactError('rule-invalid', `rule ${rule}: token shape ${why}`);
  const caseless = shape.prefixCaseless === true;
  const prefixes = shape.prefixes.map((p) => Buffer.from(caseless ? p.toLowerCase() : p, 'latin1'));
  if (prefixes.length === 0 || prefixes.some((p) => p.length === 0)) throw invalid('needs non-empty prefixes');
  for (const a of prefixes)
    for (const b of prefixes)
      if (a !== b && b.subarray(0, a.length).equals(a)) throw invalid(`has prefix ${a} of prefix ${b}`);
  const parts: CompiledPart[] = shape.parts.map((p) =>
    'literal' in p
      ? { literal: Buffer.from(p.literal, 'latin1'), set: undefined, min: 0, max: 0, stopAtMax: false }
      : {
          literal: undefined,
          set: 'chars' in p ? charSet(p.chars) : exceptSet(p.except),
          min: p.min,
          max: p.max ?? Number.POSITIVE_INFINITY,
          stopAtMax: false,
        },
  );
  const after = shape.notFollowedBy === undefined ? undefined : charSet(shape.notFollowedBy);
  const first = (p: CompiledPart) =>
    p.literal !== undefined ? charSet(String.fromCharCode(p.literal[0] as number)) : p.set;
  const nullable = (p: CompiledPart) => p.literal === undefined && p.min === 0;
  for (const [i, part] of parts.entries()) {
    if (part.literal !== undefined) {
      if (part.literal.length === 0) throw invalid('has an empty literal');
      continue;
    }
    const set = part.set as Uint8Array;
    if (!(part.min >= 0 && part.max >= part.min)) throw invalid(`has a repetition ${part.min}..${part.max}`);
    if (part.min === part.max) continue;
    // What may come right after this part: the first bytes of the following parts, up to the first that cannot be
    // empty; if all can be empty, what follows the token.
    let j = i + 1;
    for (; j < parts.length; j++) {
      const next = parts[j] as CompiledPart;
      if ((first(next) as Uint8Array).some((v, c) => v === 1 && set[c] === 1)) {
        throw invalid(`part ${i + 1} may be followed by one of its own characters (part ${j + 1})`);
      }
      if (!nullable(next)) break;
    }
    if (j === parts.length && after !== undefined && set.some((v, c) => v === 1 && after[c] !== 1)) {
      throw invalid(`part ${i + 1} has characters that notFollowedBy allows after it`);
    }
    part.stopAtMax = j < parts.length || after !== undefined;
  }
  const capture = shape.capture ?? 'token';
  if (typeof capture === 'number' && !(capture >= 0 && capture < parts.length))
    throw invalid(`captures part ${capture}`);

  return {
    match(bytes, length = bytes.length) {
      const prefix = prefixes.find((p) => bytesAt(bytes, 0, length, p, caseless));
      if (prefix === undefined) return undefined;
      let i = prefix.length;
      let start = capture === 'token' ? 0 : i;
      let end = -1;
      for (let n = 0; n < parts.length; n++) {
        const part = parts[n] as CompiledPart;
        if (n === capture) start = i;
        if (part.literal !== undefined) {
          if (!bytesAt(bytes, i, length, part.literal)) return undefined;
          i += part.literal.length;
        } else {
          const set = part.set as Uint8Array;
          const run = runEnd(bytes, i, length, set, part.max) - i;
          if (run < part.min) return undefined;
          // The class goes on past the most the part may take: what follows (which cannot start with one of its
          // characters, or notFollowedBy, which holds them all) fails there, and no shorter run can do better. With
          // nothing after it that looks, the part stops at its maximum, as the pattern's greedy repetition does.
          if (part.stopAtMax && run === part.max && i + run < length && set[bytes[i + run] as number] === 1) {
            return undefined;
          }
          i += run;
        }
        if (n === capture) end = i;
      }
      if (after !== undefined && i < length && after[bytes[i] as number] === 1) return undefined;
      return { start, end: end < 0 ? i : end };
    },
  };
}

/** Alternatives, tried in order: RE2's leftmost-first choice among them, each being unambiguous itself. */
export function compileTokens(rule: string, shapes: TokenShape | readonly TokenShape[]): TokenMatcher {
  const list = (Array.isArray(shapes) ? shapes : [shapes]) as readonly TokenShape[];
  const matchers = list.map((shape) => compileToken(rule, shape));
  if (matchers.length === 1) return matchers[0] as TokenMatcher;
  return {
    match(bytes, length = bytes.length) {
      for (const m of matchers) {
        const span = m.match(bytes, length);
        if (span !== undefined) return span;
      }
      return undefined;
    },
  };
}
