/**
 * A TOML 1.0 parser that records the line of every key, table header and array element (Cargo.lock, poetry.lock,
 * uv.lock, pdm.lock, pylock.toml). Covers the whole language a lockfile can use: basic and literal strings, both
 * multi-line forms, escapes, integers (decimal, hex, octal, binary, underscores), floats, booleans, date-times (kept
 * as strings), arrays, inline tables (also TOML 1.1's multi-line form), dotted keys, tables and arrays of tables, with
 * TOML's rules against redefinition. Linear time; nesting bounded.
 */
import { quote } from '@airlock/core';
import { lockfileError } from '../model.ts';
import { type Arr, isArr, isObj, newArr, newObj, type Obj, pushItem, type Value } from './tree.ts';

const MAX_DEPTH = 128;

export function parseToml(text: string, path: string): Obj {
  return new TomlParser(text, path).parseDocument();
}

const isBare = (c: number) =>
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 45;

class TomlParser {
  private readonly t: string;
  private readonly path: string;
  private pos = 0;
  private line = 1;
  /** Tables defined by a [header] (cannot be defined again). */
  private readonly explicit = new WeakSet<Obj>();
  /** Tables created by dotted keys inside a table body (cannot be reopened by a header). */
  private readonly dotted = new WeakSet<Obj>();
  /** Inline tables and static arrays: complete when written. */
  private readonly frozen = new WeakSet<object>();
  /** Arrays created by [[header]]. */
  private readonly tableArrays = new WeakSet<Arr>();

  constructor(text: string, path: string) {
    this.t = text;
    this.path = path;
  }

  private fail(message: string, line = this.line): never {
    throw lockfileError(this.path, line, message);
  }

  private found(): string {
    if (this.pos >= this.t.length) return 'the end of the file (is it truncated?)';
    const c = this.t.codePointAt(this.pos) as number;
    if (c === 10 || c === 13) return 'the end of the line';
    return c < 0x20 || c === 0x7f
      ? `control character U+${c.toString(16).padStart(4, '0')}`
      : quote(String.fromCodePoint(c));
  }

  parseDocument(): Obj {
    if (this.t.charCodeAt(0) === 0xfeff) this.pos = 1;
    const root = newObj(1);
    let current = root;
    const n = this.t.length;
    while (this.pos < n) {
      this.skipSpaces();
      const c = this.t.charCodeAt(this.pos);
      if (Number.isNaN(c)) break;
      if (c === 35 || c === 10 || c === 13) {
        this.endOfLine();
        continue;
      }
      if (c === 91) {
        current = this.header(root);
      } else {
        this.keyValue(current, 0);
      }
      this.endOfLine();
    }
    return root;
  }

  private skipSpaces(): void {
    const t = this.t;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 32 || c === 9) this.pos++;
      else break;
    }
  }

  /** Optional comment, then a newline or the end of the file. */
  private endOfLine(): void {
    this.skipSpaces();
    const t = this.t;
    if (t.charCodeAt(this.pos) === 35) {
      while (this.pos < t.length) {
        const c = t.charCodeAt(this.pos);
        if (c === 10 || (c === 13 && t.charCodeAt(this.pos + 1) === 10)) break;
        if ((c < 0x20 && c !== 9) || c === 0x7f) this.fail(`${this.found()} in a comment`);
        this.pos++;
      }
    }
    if (this.pos >= t.length) return;
    const c = t.charCodeAt(this.pos);
    if (c === 10) {
      this.pos++;
      this.line++;
      return;
    }
    if (c === 13 && t.charCodeAt(this.pos + 1) === 10) {
      this.pos += 2;
      this.line++;
      return;
    }
    this.fail(`expected the end of the line, found ${this.found()}`);
  }

  /** Whitespace, newlines and comments inside arrays (and multi-line inline tables). */
  private skipBlank(): void {
    for (;;) {
      this.skipSpaces();
      const c = this.t.charCodeAt(this.pos);
      if (c === 35 || c === 10 || c === 13) this.endOfLine();
      else return;
    }
  }

  private key(): string[] {
    const parts: string[] = [];
    for (;;) {
      this.skipSpaces();
      const c = this.t.charCodeAt(this.pos);
      let part: string;
      if (c === 34) part = this.basicString();
      else if (c === 39) part = this.literalString();
      else {
        const start = this.pos;
        while (this.pos < this.t.length && isBare(this.t.charCodeAt(this.pos))) this.pos++;
        if (this.pos === start) this.fail(`expected a key, found ${this.found()}`);
        part = this.t.slice(start, this.pos);
      }
      if (part === '__proto__') this.fail(`key '__proto__' is not allowed`);
      parts.push(part);
      this.skipSpaces();
      if (this.t.charCodeAt(this.pos) !== 46) return parts;
      this.pos++;
    }
  }

  private header(root: Obj): Obj {
    const line = this.line;
    const array = this.t.charCodeAt(this.pos + 1) === 91;
    this.pos += array ? 2 : 1;
    const path = this.key();
    this.skipSpaces();
    if (this.t.charCodeAt(this.pos) !== 93 || (array && this.t.charCodeAt(this.pos + 1) !== 93))
      this.fail(`expected '${array ? ']]' : ']'}' to close the table header, found ${this.found()}`);
    this.pos += array ? 2 : 1;
    const name = path.join('.');
    let table = root;
    for (let i = 0; i < path.length - 1; i++) table = this.descend(table, path[i] as string, line, name);
    const last = path[path.length - 1] as string;
    const existing = table.get(last);
    if (array) {
      let arr: Arr;
      if (existing === undefined) {
        arr = newArr(line);
        this.tableArrays.add(arr);
        table.add(last, arr, line);
      } else if (isArr(existing) && this.tableArrays.has(existing)) {
        arr = existing;
      } else {
        return this.fail(
          `[[${name}]] redefines '${last}', which is already ${isArr(existing) ? 'a static array' : 'a table or value'}`,
        );
      }
      const element = newObj(line);
      this.explicit.add(element);
      pushItem(arr, element, line);
      return element;
    }
    if (existing === undefined) {
      const created = newObj(line);
      this.explicit.add(created);
      table.add(last, created, line);
      return created;
    }
    if (!isObj(existing) || this.explicit.has(existing) || this.dotted.has(existing) || this.frozen.has(existing))
      this.fail(`table [${name}] is defined more than once`);
    this.explicit.add(existing);
    existing.line = line;
    return existing;
  }

  /** One level of a header path: an existing or new (implicit) table, or the last element of an array of tables. */
  private descend(table: Obj, key: string, line: number, name: string): Obj {
    const v = table.get(key);
    if (v === undefined) {
      const created = newObj(line);
      table.add(key, created, line);
      return created;
    }
    if (isObj(v) && !this.frozen.has(v)) return v;
    if (isArr(v) && this.tableArrays.has(v)) {
      const lastEl = v[v.length - 1];
      if (isObj(lastEl)) return lastEl;
    }
    return this.fail(`[${name}]: '${key}' is already ${isArr(v) ? 'an array' : 'a value'}, not a table`);
  }

  private keyValue(table: Obj, depth: number): void {
    const line = this.line;
    const path = this.key();
    if (this.t.charCodeAt(this.pos) !== 61)
      this.fail(`expected '=' after the key '${path.join('.')}', found ${this.found()}`);
    this.pos++;
    this.skipSpaces();
    let target = table;
    for (let i = 0; i < path.length - 1; i++) {
      const k = path[i] as string;
      const v = target.get(k);
      if (v === undefined) {
        const created = newObj(line);
        this.dotted.add(created);
        target.add(k, created, line);
        target = created;
      } else if (isObj(v) && this.dotted.has(v) && !this.frozen.has(v)) {
        target = v;
      } else {
        this.fail(`the dotted key '${path.join('.')}' extends '${k}', which is already defined`);
      }
    }
    const last = path[path.length - 1] as string;
    if (target.has(last)) this.fail(`duplicate key '${path.join('.')}'`);
    target.add(last, this.value(depth), line);
  }

  private value(depth: number): Value {
    const t = this.t;
    const c = t.charCodeAt(this.pos);
    if (c === 34) return t.startsWith('"""', this.pos) ? this.multilineBasic() : this.basicString();
    if (c === 39) return t.startsWith("'''", this.pos) ? this.multilineLiteral() : this.literalString();
    if (c === 91) return this.array(depth + 1);
    if (c === 123) return this.inlineTable(depth + 1);
    if (t.startsWith('true', this.pos) && !isBare(t.charCodeAt(this.pos + 4))) {
      this.pos += 4;
      return true;
    }
    if (t.startsWith('false', this.pos) && !isBare(t.charCodeAt(this.pos + 5))) {
      this.pos += 5;
      return false;
    }
    return this.numberOrDate();
  }

  private numberOrDate(): number | string {
    const t = this.t;
    const start = this.pos;
    // A date-time may contain one space between date and time.
    const dt =
      /^(\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})?)?|\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)/.exec(
        t.slice(start, start + 40),
      );
    if (dt) {
      let text = dt[0];
      // "1979-05-27 " followed by something that is not a time: the space ends the value.
      if (/ $/.test(text)) text = text.trimEnd();
      this.pos += text.length;
      this.checkValueEnd('date-time');
      return text;
    }
    let p = start;
    while (p < t.length) {
      const c = t.charCodeAt(p);
      if (isBare(c) || c === 43 || c === 46) p++;
      else break;
    }
    const word = t.slice(start, p);
    if (word === '') this.fail(`expected a value, found ${this.found()}`);
    this.pos = p;
    const dec = /^[+-]?(?:0|[1-9](?:_?[0-9])*)$/;
    if (dec.test(word)) return Number(word.replace(/_/g, ''));
    const radix = /^0(x[0-9A-Fa-f](?:_?[0-9A-Fa-f])*|o[0-7](?:_?[0-7])*|b[01](?:_?[01])*)$/.exec(word);
    if (radix) {
      const body = (radix[1] as string).slice(1).replace(/_/g, '');
      const base = word[1] === 'x' ? 16 : word[1] === 'o' ? 8 : 2;
      return Number.parseInt(body, base);
    }
    if (
      /^[+-]?(?:0|[1-9](?:_?[0-9])*)(?:\.[0-9](?:_?[0-9])*)?(?:[eE][+-]?[0-9](?:_?[0-9])*)?$/.test(word) &&
      /[.eE]/.test(word)
    )
      return Number(word.replace(/_/g, ''));
    if (/^[+-]?(?:inf|nan)$/.test(word))
      return word.endsWith('nan') ? Number.NaN : word.startsWith('-') ? -Infinity : Infinity;
    this.pos = start;
    return this.fail(`expected a value (string, number, boolean, date, array or table), found ${quote(word)}`);
  }

  private checkValueEnd(what: string): void {
    const c = this.t.charCodeAt(this.pos);
    if (
      !(Number.isNaN(c) || c === 32 || c === 9 || c === 10 || c === 13 || c === 44 || c === 93 || c === 125 || c === 35)
    )
      this.fail(`unexpected ${this.found()} after a ${what}`);
  }

  private unterminated(what: string, line: number): never {
    return this.fail(`unterminated ${what} (is the file truncated?)`, line);
  }

  private escape(): string {
    const t = this.t;
    const e = t.charCodeAt(this.pos + 1);
    this.pos += 2;
    switch (e) {
      case 98:
        return '\b';
      case 116:
        return '\t';
      case 110:
        return '\n';
      case 102:
        return '\f';
      case 114:
        return '\r';
      case 101:
        return '\x1b';
      case 34:
        return '"';
      case 92:
        return '\\';
      case 117:
      case 85: {
        const len = e === 117 ? 4 : 8;
        const hex = t.slice(this.pos, this.pos + len);
        if (!new RegExp(`^[0-9A-Fa-f]{${len}}$`).test(hex))
          this.fail(`expected ${len} hex digits after \\${e === 117 ? 'u' : 'U'}, found ${quote(hex)}`);
        const cp = Number.parseInt(hex, 16);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
          this.fail(`\\${e === 117 ? 'u' : 'U'}${hex} is not a Unicode scalar value`);
        this.pos += len;
        return String.fromCodePoint(cp);
      }
      default:
        this.pos -= 1;
        return this.fail(
          Number.isNaN(e)
            ? 'unterminated string (is the file truncated?)'
            : `invalid escape \\${this.found().slice(1, -1)}`,
        );
    }
  }

  private basicString(): string {
    const t = this.t;
    const line = this.line;
    this.pos++;
    let out = '';
    let from = this.pos;
    for (;;) {
      if (this.pos >= t.length) this.unterminated('string', line);
      const c = t.charCodeAt(this.pos);
      if (c === 34) {
        out += t.slice(from, this.pos);
        this.pos++;
        return out;
      }
      if (c === 92) {
        out += t.slice(from, this.pos);
        out += this.escape();
        from = this.pos;
        continue;
      }
      if (c === 10 || c === 13) this.unterminated('string', line);
      if ((c < 0x20 && c !== 9) || c === 0x7f) this.fail(`${this.found()} in a string`);
      this.pos++;
    }
  }

  private literalString(): string {
    const t = this.t;
    const line = this.line;
    const start = ++this.pos;
    for (;;) {
      if (this.pos >= t.length) this.unterminated('string', line);
      const c = t.charCodeAt(this.pos);
      if (c === 39) return t.slice(start, this.pos++);
      if (c === 10 || c === 13) this.unterminated('string', line);
      if ((c < 0x20 && c !== 9) || c === 0x7f) this.fail(`${this.found()} in a string`);
      this.pos++;
    }
  }

  private newline(): boolean {
    const t = this.t;
    const c = t.charCodeAt(this.pos);
    if (c === 10) {
      this.pos++;
      this.line++;
      return true;
    }
    if (c === 13 && t.charCodeAt(this.pos + 1) === 10) {
      this.pos += 2;
      this.line++;
      return true;
    }
    return false;
  }

  private multilineBasic(): string {
    const t = this.t;
    const line = this.line;
    this.pos += 3;
    this.newline();
    let out = '';
    for (;;) {
      if (this.pos >= t.length) this.unterminated('multi-line string', line);
      const c = t.charCodeAt(this.pos);
      if (c === 34 && t.startsWith('"""', this.pos)) {
        // Up to two quotes may sit right before the closing delimiter.
        let extra = 0;
        while (extra < 2 && t.charCodeAt(this.pos + 3 + extra) === 34) extra++;
        out += '"'.repeat(extra);
        this.pos += 3 + extra;
        return out;
      }
      if (c === 92) {
        // A line-ending backslash trims the newline and the whitespace after it.
        let p = this.pos + 1;
        while (t.charCodeAt(p) === 32 || t.charCodeAt(p) === 9) p++;
        if (t.charCodeAt(p) === 10 || (t.charCodeAt(p) === 13 && t.charCodeAt(p + 1) === 10)) {
          this.pos = p;
          for (;;) {
            if (this.newline()) continue;
            const d = t.charCodeAt(this.pos);
            if (d === 32 || d === 9) this.pos++;
            else break;
          }
          continue;
        }
        out += this.escape();
        continue;
      }
      if (this.newline()) {
        out += '\n';
        continue;
      }
      if ((c < 0x20 && c !== 9) || c === 0x7f) this.fail(`${this.found()} in a string`);
      out += t[this.pos];
      this.pos++;
    }
  }

  private multilineLiteral(): string {
    const t = this.t;
    const line = this.line;
    this.pos += 3;
    this.newline();
    let out = '';
    for (;;) {
      if (this.pos >= t.length) this.unterminated('multi-line string', line);
      const c = t.charCodeAt(this.pos);
      if (c === 39 && t.startsWith("'''", this.pos)) {
        let extra = 0;
        while (extra < 2 && t.charCodeAt(this.pos + 3 + extra) === 39) extra++;
        out += "'".repeat(extra);
        this.pos += 3 + extra;
        return out;
      }
      if (this.newline()) {
        out += '\n';
        continue;
      }
      if ((c < 0x20 && c !== 9) || c === 0x7f) this.fail(`${this.found()} in a string`);
      out += t[this.pos];
      this.pos++;
    }
  }

  private array(depth: number): Arr {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    const line = this.line;
    const arr = newArr(line);
    this.frozen.add(arr);
    this.pos++;
    for (;;) {
      this.skipBlank();
      if (this.pos >= this.t.length) this.unterminated('array', line);
      if (this.t.charCodeAt(this.pos) === 93) {
        this.pos++;
        return arr;
      }
      const itemLine = this.line;
      pushItem(arr, this.value(depth), itemLine);
      this.skipBlank();
      const c = this.t.charCodeAt(this.pos);
      if (c === 44) {
        this.pos++;
        continue;
      }
      if (c === 93) {
        this.pos++;
        return arr;
      }
      if (Number.isNaN(c)) this.unterminated('array', line);
      this.fail(`expected ',' or ']' in the array, found ${this.found()}`);
    }
  }

  private inlineTable(depth: number): Obj {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    const line = this.line;
    const table = newObj(line);
    this.pos++;
    for (;;) {
      this.skipBlank();
      if (this.pos >= this.t.length) this.unterminated('inline table', line);
      if (this.t.charCodeAt(this.pos) === 125) {
        this.pos++;
        break;
      }
      this.keyValue(table, depth);
      this.skipBlank();
      const c = this.t.charCodeAt(this.pos);
      if (c === 44) {
        this.pos++;
        continue;
      }
      if (c === 125) {
        this.pos++;
        break;
      }
      if (Number.isNaN(c)) this.unterminated('inline table', line);
      this.fail(`expected ',' or '}' in the inline table, found ${this.found()}`);
    }
    this.freeze(table);
    return table;
  }

  private freeze(v: Value): void {
    if (isObj(v)) {
      this.frozen.add(v);
      for (const child of v.values) this.freeze(child);
    }
  }
}
