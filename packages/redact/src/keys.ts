import { bytesAt, charSet, runEnd, type TokenMatcher } from './token.ts';

/**
 * Hand-written matchers for two key formats whose patterns put a literal inside a run of characters that contains it
 * (`C{20,250}T3BlbkFJC{20,250}`, `C{80,128}AA`), which token shapes refuse as ambiguous. Each reproduces RE2's
 * leftmost-first answer for its pattern directly (derivation below), and test/unit/redact/token.test.ts holds both to
 * their patterns on generated keys. Why: these two patterns were the largest re2js programs left after the token
 * shapes (openai alone about 11 ms to compile).
 */

const B64URL = charSet('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');
const latin1 = (text: string) => Buffer.from(text, 'latin1');
const OPENAI_PREFIXES = ['sk-proj-', 'sk-svcacct-', 'sk-admin-'].map(latin1);
const OPENAI_MARK = latin1('T3BlbkFJ');
const ANTHROPIC_PREFIXES = ['sk-ant-api0', 'sk-ant-admin0'].map(latin1);

/**
 * `(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,250}T3BlbkFJ[A-Za-z0-9_-]{20,250})`. Everything after the prefix lies
 * in the run R of [A-Za-z0-9_-] that follows it (the literal is made of such characters too). The first repetition
 * is greedy, so RE2 prefers its longest length n ≤ 250 at which the literal follows and the second repetition, also
 * greedy, finds at least 20 characters (it takes up to 250).
 */
export const matchOpenAiKey: TokenMatcher['match'] = (b, length = b.length) => {
  const prefix = OPENAI_PREFIXES.find((w) => bytesAt(b, 0, length, w));
  if (prefix === undefined) return undefined;
  const p = prefix.length;
  const end = runEnd(b, p, length, B64URL);
  for (let n = Math.min(250, end - p); n >= 20; n--) {
    if (!bytesAt(b, p + n, end, OPENAI_MARK)) continue;
    const rest = end - (p + n + 8);
    if (rest >= 20) return { start: 0, end: p + n + 8 + Math.min(250, rest) };
  }
  return undefined;
};

/**
 * `(sk-ant-(?:api|admin)0[0-9]-[A-Za-z0-9_-]{80,128}AA)(?:[^A-Za-z0-9_-]|$)`. The token must end where the run of
 * [A-Za-z0-9_-] after the prefix ends (the character after it is not one of them), so it matches when that run ends
 * in `AA` and is 82 to 130 characters long.
 */
export const matchAnthropicKey: TokenMatcher['match'] = (b, length = b.length) => {
  const prefix = ANTHROPIC_PREFIXES.find((w) => bytesAt(b, 0, length, w));
  if (prefix === undefined) return undefined;
  const p = prefix.length;
  if (p + 2 > length) return undefined;
  const digit = b[p] as number;
  if (digit < 0x30 || digit > 0x39 || b[p + 1] !== 0x2d) return undefined;
  const from = p + 2;
  const end = runEnd(b, from, length, B64URL);
  const n = end - from;
  if (n < 82 || n > 130 || b[end - 1] !== 0x41 || b[end - 2] !== 0x41) return undefined;
  return { start: 0, end };
};
