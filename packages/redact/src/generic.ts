import { bytesAt, exceptSet, RE2_SPACE, runEnd, type TokenMatcher } from './token.ts';

/**
 * The generic assignment rule's pattern, matched by hand:
 *
 *   (?i:password|passwd|secret|token|api_?key|api-key|access_?key|private_?key|credentials?)
 *   (?:[_-]?(?i:key|value|token|str|string|hash))?s?\\?["']?[ \t]{0,8}(?::=|=>|=|:)[ \t]{0,8}
 *   (?:"([^"\\\s]{8,256})"|'([^'\\\s]{8,256})'|\\"([^"\\\s]{8,256})\\"|([^\s"'`,;<>()\[\]{}\\]{8,256}))
 *
 * Why: it is the rule that fires most in build logs, and its four 256-character repetitions made it the largest
 * program to compile and to run in re2js (about 60 ms of a 64 MiB scan). The pattern stays the rule's specification;
 * test/unit/redact/token.test.ts holds this matcher to it on generated assignments.
 *
 * How it gives the same answer: RE2 reports the match its leftmost-first (Perl) order prefers, which is the first
 * success of a depth-first search trying each choice in the pattern's order (an alternative before the next, an
 * optional piece present before absent). The search below walks the pattern's optional pieces and alternatives in that
 * order. Its repetitions need no search: each is followed by something that cannot start with one of its characters,
 * so only its longest run can lead to a match. The input is bytes (latin1), where RE2's case folding of ASCII letters
 * is plain ASCII case (the other folds, such as K to the Kelvin sign, are outside latin1).
 */

/** The keyword alternation, optional characters expanded, in the pattern's order (present before absent). */
export const GENERIC_KEYWORDS = [
  'password',
  'passwd',
  'secret',
  'token',
  'api_key',
  'apikey',
  'api-key',
  'access_key',
  'accesskey',
  'private_key',
  'privatekey',
  'credentials',
  'credential',
] as const;
const KEYWORDS = GENERIC_KEYWORDS.map((k) => Buffer.from(k, 'latin1'));
const SUFFIXES = ['key', 'value', 'token', 'str', 'string', 'hash'].map((k) => Buffer.from(k, 'latin1'));
const OPERATORS = [':=', '=>', '=', ':'].map((k) => Buffer.from(k, 'latin1'));

const DQ = 0x22;
const SQ = 0x27;
const BS = 0x5c;
const DOUBLE_QUOTE = Uint8Array.of(DQ);
const SINGLE_QUOTE = Uint8Array.of(SQ);
const ESCAPED_QUOTE = Uint8Array.of(BS, DQ);
const IN_DOUBLE = exceptSet(`"\\${RE2_SPACE}`);
const IN_SINGLE = exceptSet(`'\\${RE2_SPACE}`);
const BARE = exceptSet(`${RE2_SPACE}"'\`,;<>()[]{}\\`);
const MAX_VALUE = 256;
const MIN_VALUE = 8;

/** `[ \t]{0,8}` at `at`: the end of the longest run, or −1 when the run is longer than 8. */
function blanks(b: Uint8Array, at: number, length: number): number {
  let i = at;
  while (i < length && (b[i] === 0x20 || b[i] === 0x09)) i++;
  return i - at > 8 ? -1 : i;
}

/** The value alternatives: the first byte picks the only one that can match. */
function value(b: Uint8Array, at: number, length: number): { start: number; end: number } | undefined {
  // A quoted value's run must stop at its closing quote: a 257th character of the class is not one.
  const quoted = (open: number, inside: Uint8Array, close: Uint8Array) => {
    const end = runEnd(b, open, length, inside, MAX_VALUE);
    return end - open >= MIN_VALUE && bytesAt(b, end, length, close) ? { start: open, end } : undefined;
  };
  if (at >= length) return undefined;
  const c = b[at];
  if (c === DQ) return quoted(at + 1, IN_DOUBLE, DOUBLE_QUOTE);
  if (c === SQ) return quoted(at + 1, IN_SINGLE, SINGLE_QUOTE);
  if (c === BS) return bytesAt(b, at, length, ESCAPED_QUOTE) ? quoted(at + 2, IN_DOUBLE, ESCAPED_QUOTE) : undefined;
  const end = runEnd(b, at, length, BARE, MAX_VALUE);
  return end - at >= MIN_VALUE ? { start: at, end } : undefined;
}

/** Ends of an optional byte at `at`, present first. */
function optional(b: Uint8Array, at: number, length: number, test: (c: number) => boolean): number[] {
  return at < length && test(b[at] as number) ? [at + 1, at] : [at];
}

export const matchGenericSecret: TokenMatcher['match'] = (b, length = b.length) => {
  for (const keyword of KEYWORDS) {
    if (!bytesAt(b, 0, length, keyword, true)) continue;
    const k = keyword.length;
    // (?:[_-]?(?i:key|value|token|str|string|hash))? — present (with the separator, then without), then absent
    const afterSuffix: number[] = [];
    for (const sep of optional(b, k, length, (c) => c === 0x5f || c === 0x2d)) {
      for (const word of SUFFIXES) if (bytesAt(b, sep, length, word, true)) afterSuffix.push(sep + word.length);
    }
    afterSuffix.push(k);
    for (const a of afterSuffix) {
      for (const s of optional(b, a, length, (c) => c === 0x73)) {
        for (const e of optional(b, s, length, (c) => c === BS)) {
          for (const q of optional(b, e, length, (c) => c === DQ || c === SQ)) {
            const op = blanks(b, q, length);
            if (op < 0) continue;
            for (const operator of OPERATORS) {
              if (!bytesAt(b, op, length, operator)) continue;
              const v = blanks(b, op + operator.length, length);
              if (v < 0) continue;
              const found = value(b, v, length);
              if (found !== undefined) return found;
            }
          }
        }
      }
    }
  }
  return undefined;
};
