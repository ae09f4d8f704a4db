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

interface Line {
  readonly n: number;
  readonly indent: number;
  /** The line after its indentation, with a trailing comment removed and trailing spaces trimmed. */
  readonly text: string;
}

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

function splitLines(text: string): Line[] {
  const out: Line[] = [];
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let n = 0;
  const len = text.length;
  while (start <= len) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = len;
    n++;
    currentLine = n;
    let e = end;
    if (e > start && text.charCodeAt(e - 1) === 13) e--;
    let i = start;
    while (i < e && text.charCodeAt(i) === 32) i++;
    if (i < e) {
      const c = text.charCodeAt(i);
      if (c === 9) bail();
      if (c !== 35) {
        const body = text.slice(i, e);
        const t = body.includes('#') ? stripComment(body) : body.trimEnd();
        if (t !== '') out.push({ n, indent: i - start, text: t });
      }
    }
    start = end + 1;
  }
  return out;
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

/** Split `key: rest` (rest may be ''); undefined when the line is not a mapping entry. */
function splitKey(t: string): [string, string] | undefined {
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
  return [key, t.slice(i + 1).trim()];
}

/** Keys whose values the caller does not need, by the depth of the mapping holding them (0 for the top level). */
export type SkipKey = (key: string, depth: number) => boolean;

/** A one-line flow mapping with no quotes or nested brackets: well-formed enough to leave unbuilt. */
const SIMPLE_FLOW = /^\{[^{}[\]'"]*\}$/;

class BlockReader {
  private readonly lines: Line[];
  private readonly skipKey: SkipKey | undefined;
  private pos = 0;

  constructor(lines: Line[], skipKey: SkipKey | undefined) {
    this.lines = lines;
    this.skipKey = skipKey;
  }

  document(): Value {
    if (this.lines.length === 0) return null;
    if (this.lines[0]?.text === '---' && this.lines[0].indent === 0) this.pos = 1;
    if (this.pos >= this.lines.length) return null;
    const first = this.lines[this.pos] as Line;
    if (first.indent !== 0) bail();
    const v = this.node(0, 0);
    if (this.pos < this.lines.length) bail();
    return v;
  }

  private node(indent: number, depth: number): Value {
    if (depth > 128) bail();
    const l = this.lines[this.pos] as Line;
    currentLine = l.n;
    if (l.indent !== indent) bail();
    if (l.text === '-' || l.text.startsWith('- ')) return this.seq(indent, depth);
    return this.map(indent, depth);
  }

  /**
   * The value of a key (or item) whose line ended after the colon (or dash): a nested block, a same-indent sequence,
   * or the empty string (the failsafe schema's empty scalar).
   */
  private blockValue(parentIndent: number, depth: number, allowSameIndentSeq: boolean): Value {
    const next = this.lines[this.pos];
    if (next === undefined) return '';
    if (next.indent > parentIndent) return this.node(next.indent, depth + 1);
    if (allowSameIndentSeq && next.indent === parentIndent && (next.text === '-' || next.text.startsWith('- ')))
      return this.seq(parentIndent, depth + 1);
    return '';
  }

  private map(indent: number, depth: number): Obj {
    const first = this.lines[this.pos] as Line;
    const obj = newObj(first.n);
    while (this.pos < this.lines.length) {
      const l = this.lines[this.pos] as Line;
      currentLine = l.n;
      if (l.indent < indent) break;
      if (l.indent > indent) bail();
      if (l.text === '-' || l.text.startsWith('- ')) break;
      const kv = splitKey(l.text);
      if (kv === undefined) bail();
      const [key, rest] = kv;
      if (key === '__proto__' || key === '<<') bail();
      this.pos++;
      if (rest !== '' && this.skipKey?.(key, depth) === true && (SIMPLE_FLOW.test(rest) || !/^[[{'"]/.test(rest))) {
        if (rest[0] !== '{') checkPlain(rest);
        continue;
      }
      const value = rest === '' ? this.blockValue(indent, depth, true) : inlineValue(rest, l.n);
      if (!obj.add(key, value, l.n)) bail();
    }
    return obj;
  }

  private seq(indent: number, depth: number): Arr {
    const first = this.lines[this.pos] as Line;
    const arr = newArr(first.n);
    while (this.pos < this.lines.length) {
      const l = this.lines[this.pos] as Line;
      currentLine = l.n;
      if (l.indent !== indent || !(l.text === '-' || l.text.startsWith('- '))) {
        if (l.indent > indent) bail();
        break;
      }
      const rest = l.text === '-' ? '' : l.text.slice(2).trimStart();
      if (rest === '') {
        this.pos++;
        const v = this.blockValue(indent, depth, false);
        pushItem(arr, v, l.n);
        continue;
      }
      if (rest.startsWith('- ')) bail();
      const kv = rest[0] === '{' || rest[0] === '[' ? undefined : splitKey(rest);
      if (kv !== undefined) {
        // A compact mapping: `- key: value` with its other keys aligned under `key`.
        const inner = indent + (l.text.length - rest.length);
        this.lines[this.pos] = { n: l.n, indent: inner, text: rest };
        pushItem(arr, this.map(inner, depth + 1), l.n);
        continue;
      }
      this.pos++;
      pushItem(arr, inlineValue(rest, l.n), l.n);
    }
    return arr;
  }
}

/** The document, or the line where it leaves the subset this reader handles. */
export function readBlockYaml(text: string, skipKey?: SkipKey): { value: Value } | { outsideAt: number } {
  currentLine = 1;
  try {
    return { value: new BlockReader(splitLines(text), skipKey).document() };
  } catch (e) {
    if (e === BAIL) return { outsideAt: currentLine };
    throw e;
  }
}
