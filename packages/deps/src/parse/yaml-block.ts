/**
 * A fast reader for the block-style YAML subset that package managers write (pnpm-lock.yaml, yarn berry's yarn.lock,
 * pubspec.lock): block mappings and sequences by indentation, plain, single- and double-quoted single-line scalars,
 * one-line flow mappings and sequences, comments. It returns undefined as soon as it meets anything outside that
 * subset (anchors, aliases, tags, block scalars, multi-line scalars or flows, complex keys, several documents, tabs,
 * duplicate keys, inconsistent indentation); the caller then parses the file with the full YAML parser, which also
 * produces every error message. Values are the failsafe schema's: every scalar a string, an empty value ''.
 *
 * Why: the `yaml` package composes a 2.7 MB pnpm lockfile in seconds (its duplicate-key check is quadratic in the
 * size of a mapping); this reads the same file in tens of milliseconds, linearly.
 */
import { type Arr, newArr, newObj, type Obj, pushItem, type Value } from './tree.ts';

const BAIL = Symbol('bail');
/** The line being read when the reader gave up (for the message when the full parser is not an option). */
let currentLine = 0;

function bail(): never {
  throw BAIL;
}

/** Strip a comment (` #…`) outside quotes, and trailing whitespace. */
function stripComment(s: string): string {
  let quote = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (quote !== 0) {
      if (c === quote) {
        if (quote === 39 && s.charCodeAt(i + 1) === 39) i++;
        else quote = 0;
      } else if (c === 92 && quote === 34) i++;
      continue;
    }
    if ((c === 39 || c === 34) && (i === 0 || /[\s:[{,-]/.test(s[i - 1] as string))) quote = c;
    else if (c === 35 && (i === 0 || s.charCodeAt(i - 1) === 32)) return s.slice(0, i).trimEnd();
  }
  return s.trimEnd();
}

const DQ_ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
};

/** A quoted scalar starting at s[i]; returns [value, index after the closing quote]. */
function quoted(s: string, i: number): [string, number] {
  const q = s[i];
  if (q === "'") {
    let out = '';
    let j = i + 1;
    for (;;) {
      const k = s.indexOf("'", j);
      if (k < 0) bail();
      out += s.slice(j, k);
      if (s[k + 1] === "'") {
        out += "'";
        j = k + 2;
      } else return [out, k + 1];
    }
  }
  let out = '';
  let j = i + 1;
  for (;;) {
    if (j >= s.length) bail();
    const c = s[j] as string;
    if (c === '"') return [out, j + 1];
    if (c === '\\') {
      const e = s[j + 1] as string;
      if (e === 'x' || e === 'u' || e === 'U') {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = s.slice(j + 2, j + 2 + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) bail();
        const cp = Number.parseInt(hex, 16);
        if (cp > 0x10ffff) bail();
        out += String.fromCodePoint(cp);
        j += 2 + len;
        continue;
      }
      const m = DQ_ESCAPES[e];
      if (m === undefined) bail();
      out += m;
      j += 2;
      continue;
    }
    out += c;
    j++;
  }
}

/**
 * A plain scalar must not start with an indicator (the subset is stricter than YAML: `-` and `:` only before a
 * non-space), nor contain `: ` or ` #`, nor end with `:`, nor be a document marker.
 */
const NOT_PLAIN = /^[&*!|>%@`?{}[\],#]|^[-:](?: |$)|: | #|:$|^(?:---|\.\.\.)$/;

function checkPlain(v: string): string {
  if (NOT_PLAIN.test(v)) bail();
  return v;
}

class FlowReader {
  private readonly s: string;
  private readonly line: number;
  i = 0;

  constructor(s: string, line: number) {
    this.s = s;
    this.line = line;
  }

  private ws(): void {
    while (this.s[this.i] === ' ') this.i++;
  }

  value(depth: number): Value {
    if (depth > 64) bail();
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.map(depth);
    if (c === '[') return this.seq(depth);
    if (c === '"' || c === "'") {
      const [v, j] = quoted(this.s, this.i);
      this.i = j;
      return v;
    }
    return this.plain();
  }

  private plain(): string | null {
    const start = this.i;
    while (this.i < this.s.length) {
      const c = this.s[this.i] as string;
      if (c === ',' || c === '[' || c === ']' || c === '{' || c === '}') break;
      if (
        c === ':' &&
        (this.s[this.i + 1] === ' ' || this.s[this.i + 1] === undefined || /[,\]}]/.test(this.s[this.i + 1] as string))
      )
        break;
      this.i++;
    }
    const v = this.s.slice(start, this.i).trim();
    if (v === '') return null;
    return checkPlain(v);
  }

  private key(): string {
    this.ws();
    const c = this.s[this.i];
    if (c === '"' || c === "'") {
      const [v, j] = quoted(this.s, this.i);
      this.i = j;
      return v;
    }
    const v = this.plain();
    if (v === null) bail();
    return v;
  }

  private map(depth: number): Obj {
    const obj = newObj(this.line);
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return obj;
    }
    for (;;) {
      const k = this.key();
      if (k === '__proto__') bail();
      this.ws();
      if (this.s[this.i] !== ':') bail();
      this.i++;
      this.ws();
      const v = this.s[this.i] === ',' || this.s[this.i] === '}' ? '' : this.value(depth + 1);
      if (!obj.add(k, v, this.line)) bail();
      this.ws();
      const c = this.s[this.i];
      this.i++;
      if (c === '}') return obj;
      if (c !== ',') bail();
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return obj;
      }
    }
  }

  private seq(depth: number): Arr {
    const arr = newArr(this.line);
    this.i++;
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return arr;
    }
    for (;;) {
      const v = this.value(depth + 1);
      if (v === null) bail();
      pushItem(arr, v, this.line);
      this.ws();
      const c = this.s[this.i];
      this.i++;
      if (c === ']') return arr;
      if (c !== ',') bail();
      this.ws();
      if (this.s[this.i] === ']') {
        this.i++;
        return arr;
      }
    }
  }
}

/** An inline value after `key: ` or `- `. */
function inlineValue(s: string, line: number): Value {
  if (s === '{}') return newObj(line);
  if (s === '[]') return newArr(line);
  const c = s[0];
  if (c === '{' || c === '[') {
    const r = new FlowReader(s, line);
    const v = r.value(0);
    if (r.i !== s.length && s.slice(r.i).trim() !== '') bail();
    return v;
  }
  if (c === '"' || c === "'") {
    const [v, j] = quoted(s, 0);
    if (j !== s.length) bail();
    return v;
  }
  return checkPlain(s);
}

/** The value part of the line splitKey last split (saves an array per line). */
let splitRest = '';

/** The key of `key: rest` (rest, maybe '', left in splitRest); undefined when the line is not a mapping entry. */
function splitKey(t: string): string | undefined {
  let key: string;
  let i: number;
  const c = t[0];
  if (c === '"' || c === "'") {
    const [k, j] = quoted(t, 0);
    key = k;
    i = j;
    if (t[i] !== ':') return undefined;
  } else {
    i = t.indexOf(':');
    while (i >= 0 && i + 1 < t.length && t[i + 1] !== ' ') i = t.indexOf(':', i + 1);
    if (i <= 0) return undefined;
    key = checkPlain(t.slice(0, i).trimEnd());
  }
  if (i + 1 < t.length && t[i + 1] !== ' ') return undefined;
  splitRest = i + 1 >= t.length ? '' : t.slice(i + 1).trim();
  return key;
}

/** Keys whose values the caller does not need, by the depth of the mapping holding them (0 for the top level). */
export type SkipKey = (key: string, depth: number) => boolean;

/** A one-line flow mapping with no quotes or nested brackets: well-formed enough to leave unbuilt. */
const SIMPLE_FLOW = /^\{[^{}[\]'"]*\}$/;

/**
 * Reads the document line by line without materialising the lines: the current significant line (not blank, not a
 * comment) is `n` (its number), `indent` and `t` (after the indentation, comment and trailing spaces removed).
 */
class BlockReader {
  private readonly text: string;
  private readonly skipKey: SkipKey | undefined;
  private next: number;
  private lineNo = 0;
  done = false;
  n = 0;
  indent = 0;
  t = '';

  constructor(text: string, skipKey: SkipKey | undefined) {
    this.text = text;
    this.skipKey = skipKey;
    this.next = text.charCodeAt(0) === 0xfeff ? 1 : 0;
    this.advance();
  }

  /** Move to the next significant line. */
  private advance(): void {
    const text = this.text;
    const len = text.length;
    while (this.next <= len) {
      const start = this.next;
      let end = text.indexOf('\n', start);
      if (end < 0) end = len;
      this.next = end + 1;
      this.lineNo++;
      currentLine = this.lineNo;
      let e = end;
      if (e > start && text.charCodeAt(e - 1) === 13) e--;
      let i = start;
      while (i < e && text.charCodeAt(i) === 32) i++;
      if (i >= e) continue;
      const c = text.charCodeAt(i);
      if (c === 9) bail();
      if (c === 35) continue;
      const body = text.slice(i, e);
      const t = body.includes('#') ? stripComment(body) : body.trimEnd();
      if (t === '') continue;
      this.n = this.lineNo;
      this.indent = i - start;
      this.t = t;
      return;
    }
    this.done = true;
  }

  private isItem(): boolean {
    return this.t === '-' || this.t.startsWith('- ');
  }

  document(): Value {
    if (this.done) return null;
    if (this.t === '---' && this.indent === 0) this.advance();
    if (this.done) return null;
    if (this.indent !== 0) bail();
    const v = this.node(0, 0);
    if (!this.done) bail();
    return v;
  }

  private node(indent: number, depth: number): Value {
    if (depth > 128) bail();
    currentLine = this.n;
    if (this.indent !== indent) bail();
    return this.isItem() ? this.seq(indent, depth) : this.map(indent, depth);
  }

  /**
   * The value of a key (or item) whose line ended after the colon (or dash): a nested block, a same-indent sequence,
   * or the empty string (the failsafe schema's empty scalar).
   */
  private blockValue(parentIndent: number, depth: number, allowSameIndentSeq: boolean): Value {
    if (this.done) return '';
    if (this.indent > parentIndent) return this.node(this.indent, depth + 1);
    if (allowSameIndentSeq && this.indent === parentIndent && this.isItem()) return this.seq(parentIndent, depth + 1);
    return '';
  }

  private map(indent: number, depth: number): Obj {
    const obj = newObj(this.n);
    while (!this.done) {
      currentLine = this.n;
      if (this.indent < indent) break;
      if (this.indent > indent) bail();
      if (this.isItem()) break;
      const key = splitKey(this.t);
      if (key === undefined) bail();
      const rest = splitRest;
      if (key === '__proto__' || key === '<<') bail();
      const n = this.n;
      this.advance();
      if (rest !== '' && this.skipKey?.(key, depth) === true && (SIMPLE_FLOW.test(rest) || !/^[[{'"]/.test(rest))) {
        if (rest[0] !== '{') checkPlain(rest);
        continue;
      }
      const value = rest === '' ? this.blockValue(indent, depth, true) : inlineValue(rest, n);
      if (!obj.add(key, value, n)) bail();
    }
    return obj;
  }

  private seq(indent: number, depth: number): Arr {
    const arr = newArr(this.n);
    while (!this.done) {
      currentLine = this.n;
      if (this.indent !== indent || !this.isItem()) {
        if (this.indent > indent) bail();
        break;
      }
      const n = this.n;
      const rest = this.t === '-' ? '' : this.t.slice(2).trimStart();
      if (rest === '') {
        this.advance();
        pushItem(arr, this.blockValue(indent, depth, false), n);
        continue;
      }
      if (rest.startsWith('- ')) bail();
      const key = rest[0] === '{' || rest[0] === '[' ? undefined : splitKey(rest);
      if (key !== undefined) {
        // A compact mapping: `- key: value` with its other keys aligned under `key`.
        this.indent = indent + (this.t.length - rest.length);
        this.t = rest;
        pushItem(arr, this.map(this.indent, depth + 1), n);
        continue;
      }
      this.advance();
      pushItem(arr, inlineValue(rest, n), n);
    }
    return arr;
  }
}

/** The document, or the line where it leaves the subset this reader handles. */
export function readBlockYaml(text: string, skipKey?: SkipKey): { value: Value } | { outsideAt: number } {
  currentLine = 1;
  try {
    return { value: new BlockReader(text, skipKey).document() };
  } catch (e) {
    if (e === BAIL) return { outsideAt: currentLine };
    throw e;
  }
}
