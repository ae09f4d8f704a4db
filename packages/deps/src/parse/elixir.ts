/**
 * The Elixir term syntax mix.lock is written in: maps (`%{k => v, "k": v}`), tuples, lists with keyword sugar
 * (`[hex: :x, optional: false]`), strings with escapes, atoms (`:name`, `:"quoted"`), booleans, nil and numbers, with
 * `#` comments. Every term records its line. Linear time; nesting bounded; no interpolation is evaluated.
 */
import { quote } from '@airlock/core';
import { lockfileError } from '../model.ts';

export type Term =
  | { readonly t: 'map'; readonly line: number; readonly entries: readonly { key: Term; value: Term; line: number }[] }
  | { readonly t: 'tuple'; readonly line: number; readonly items: readonly Term[] }
  | { readonly t: 'list'; readonly line: number; readonly items: readonly Term[] }
  | { readonly t: 'string'; readonly line: number; readonly value: string }
  | { readonly t: 'atom'; readonly line: number; readonly value: string }
  | { readonly t: 'number'; readonly line: number; readonly value: string };

const MAX_DEPTH = 128;

export function parseElixirTerm(text: string, path: string): Term {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const fail = (message: string): never => {
    throw lockfileError(path, line, message);
  };
  const found = () => (pos >= text.length ? 'the end of the file (is it truncated?)' : quote(text[pos] as string));
  const skip = () => {
    while (pos < text.length) {
      const c = text[pos];
      if (c === '\n') {
        line++;
        pos++;
      } else if (c === ' ' || c === '\t' || c === '\r') pos++;
      else if (c === '#') {
        while (pos < text.length && text[pos] !== '\n') pos++;
      } else break;
    }
  };
  const string = (): string => {
    const start = line;
    pos++;
    let out = '';
    while (pos < text.length) {
      const c = text[pos] as string;
      if (c === '"') {
        pos++;
        return out;
      }
      if (c === '\n') line++;
      if (c === '\\') {
        const e = text[pos + 1];
        const map: Record<string, string> = {
          n: '\n',
          t: '\t',
          r: '\r',
          '"': '"',
          '\\': '\\',
          '#': '#',
          s: ' ',
          e: '\x1b',
          '0': '\0',
        };
        if (e === undefined) break;
        out += map[e] ?? e;
        pos += 2;
        continue;
      }
      if (c === '#' && text[pos + 1] === '{') fail('string interpolation is not allowed in a lockfile');
      out += c;
      pos++;
    }
    line = start;
    return fail('unterminated string (is the file truncated?)');
  };
  const word = (): string => {
    const m = /^[A-Za-z_][A-Za-z0-9_@]*[?!]?/.exec(text.slice(pos, pos + 256));
    if (!m) return fail(`expected a term, found ${found()}`);
    pos += m[0].length;
    return m[0];
  };
  /** `key:` keyword syntax at the current position (bare or quoted), or undefined. */
  const keyword = (): string | undefined => {
    const save = pos;
    const saveLine = line;
    let key: string | undefined;
    if (text[pos] === '"') key = string();
    else if (/[A-Za-z_]/.test(text[pos] ?? '')) key = word();
    if (key !== undefined && text[pos] === ':' && /[\s]/.test(text[pos + 1] ?? '')) {
      pos++;
      return key;
    }
    pos = save;
    line = saveLine;
    return undefined;
  };
  const term = (depth: number): Term => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`);
    skip();
    const l = line;
    const c = text[pos];
    if (c === '%' && text[pos + 1] === '{') {
      pos += 2;
      const entries: { key: Term; value: Term; line: number }[] = [];
      for (;;) {
        skip();
        if (text[pos] === '}') {
          pos++;
          return { t: 'map', line: l, entries };
        }
        const entryLine = line;
        const kw = keyword();
        let key: Term;
        if (kw !== undefined) key = { t: 'atom', line: entryLine, value: kw };
        else {
          key = term(depth + 1);
          skip();
          if (!text.startsWith('=>', pos)) fail(`expected '=>' after a map key, found ${found()}`);
          pos += 2;
        }
        const value = term(depth + 1);
        entries.push({ key, value, line: entryLine });
        skip();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] !== '}') fail(`expected ',' or '}' in the map, found ${found()}`);
      }
    }
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      pos++;
      const items: Term[] = [];
      for (;;) {
        skip();
        if (text[pos] === close) {
          pos++;
          return c === '{' ? { t: 'tuple', line: l, items } : { t: 'list', line: l, items };
        }
        const itemLine = line;
        const kw = c === '[' ? keyword() : undefined;
        if (kw !== undefined) {
          items.push({
            t: 'tuple',
            line: itemLine,
            items: [{ t: 'atom', line: itemLine, value: kw }, term(depth + 1)],
          });
        } else items.push(term(depth + 1));
        skip();
        if (text[pos] === ',') {
          pos++;
          continue;
        }
        if (text[pos] !== close) fail(`expected ',' or '${close}', found ${found()}`);
      }
    }
    if (c === '"') return { t: 'string', line: l, value: string() };
    if (c === ':') {
      pos++;
      if (text[pos] === '"') return { t: 'atom', line: l, value: string() };
      return { t: 'atom', line: l, value: word() };
    }
    if (c !== undefined && /[-0-9]/.test(c)) {
      const m = /^-?[0-9][0-9_]*(\.[0-9_]+)?([eE][-+]?[0-9]+)?/.exec(text.slice(pos, pos + 64));
      if (!m) return fail(`expected a number, found ${found()}`);
      pos += m[0].length;
      return { t: 'number', line: l, value: m[0] };
    }
    if (c !== undefined && /[A-Za-z_]/.test(c)) {
      const w = word();
      if (w === 'true' || w === 'false' || w === 'nil') return { t: 'atom', line: l, value: w };
      return fail(`expected a term, found ${quote(w)}`);
    }
    return fail(`expected a term, found ${found()}`);
  };
  const result = term(0);
  skip();
  if (pos < text.length) fail(`expected the end of the file, found ${found()}`);
  return result;
}
