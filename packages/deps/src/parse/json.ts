/**
 * A JSON parser that records the line of every key and array element (the standard JSON.parse forgets positions).
 * Linear time, iterative over whitespace and strings, recursion bounded by a nesting limit; objects have no prototype
 * and a `__proto__` key is rejected. `jsonc` also accepts comments and trailing commas (bun.lock).
 */
import { quote } from '@airlock/core';
import { lockfileError } from '../model.ts';
import { type Arr, newArr, newObj, type Obj, pushItem, type Value } from './tree.ts';

export interface JsonOptions {
  /** Accept `//` and `/* *\/` comments and trailing commas. */
  readonly jsonc?: boolean;
  readonly maxDepth?: number;
  /**
   * Values the caller does not need: checked for well-formedness but never built (an npm lockfile's integrity
   * hashes, URLs and engine ranges are most of its bytes). `depth` is the nesting depth of the object holding the key
   * (1 for the top-level object) and `parentKey` the key that object is the value of.
   */
  readonly skip?: (key: string, parentKey: string | undefined, depth: number) => boolean;
}

const MAX_DEPTH = 256;

export function parseJson(text: string, path: string, options: JsonOptions = {}): Value {
  return new JsonParser(text, path, options).parseDocument();
}

class JsonParser {
  private readonly text: string;
  private readonly path: string;
  private readonly jsonc: boolean;
  private readonly maxDepth: number;
  private readonly skipValue: JsonOptions['skip'];
  private pos = 0;
  private line = 1;

  constructor(text: string, path: string, options: JsonOptions) {
    this.text = text;
    this.path = path;
    this.jsonc = options.jsonc === true;
    this.maxDepth = options.maxDepth ?? MAX_DEPTH;
    this.skipValue = options.skip;
  }

  parseDocument(): Value {
    if (this.text.charCodeAt(0) === 0xfeff) this.pos = 1;
    this.skip();
    if (this.pos >= this.text.length) this.fail('expected a JSON value, found an empty file');
    const value = this.value(0);
    this.skip();
    if (this.pos < this.text.length)
      this.fail(`expected the end of the file after the top-level value, found ${this.found()}`);
    return value;
  }

  private fail(message: string): never {
    throw lockfileError(this.path, this.line, message);
  }

  private found(): string {
    if (this.pos >= this.text.length) return 'the end of the file (is it truncated?)';
    const c = this.text.codePointAt(this.pos) as number;
    return c < 0x20 || c === 0x7f
      ? `control character U+${c.toString(16).padStart(4, '0')}`
      : quote(String.fromCodePoint(c));
  }

  /** Skip whitespace (and comments in JSONC), counting lines. */
  private skip(): void {
    const t = this.text;
    const n = t.length;
    let p = this.pos;
    for (;;) {
      while (p < n) {
        const c = t.charCodeAt(p);
        if (c === 10) {
          this.line++;
          p++;
        } else if (c === 32 || c === 13 || c === 9) {
          p++;
        } else break;
      }
      if (this.jsonc && p + 1 < n && t.charCodeAt(p) === 47) {
        const next = t.charCodeAt(p + 1);
        if (next === 47) {
          const end = t.indexOf('\n', p);
          p = end < 0 ? n : end;
          continue;
        }
        if (next === 42) {
          const end = t.indexOf('*/', p + 2);
          if (end < 0) {
            this.pos = p;
            this.fail('unterminated /* comment (is the file truncated?)');
          }
          for (let i = p; i < end; i++) if (t.charCodeAt(i) === 10) this.line++;
          p = end + 2;
          continue;
        }
      }
      break;
    }
    this.pos = p;
  }

  private value(depth: number, key?: string): Value {
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case 123: // {
        return this.object(depth + 1, key);
      case 91: // [
        return this.array(depth + 1);
      case 34: // "
        return this.string();
      case 116: // t
        return this.literal('true', true);
      case 102: // f
        return this.literal('false', false);
      case 110: // n
        return this.literal('null', null);
      default:
        if (c === 45 || (c >= 48 && c <= 57)) return this.number();
        return this.fail(`expected a JSON value, found ${this.found()}`);
    }
  }

  private literal<T extends Value>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail(`expected a JSON value, found ${this.found()}`);
    this.pos += word.length;
    return value;
  }

  private number(): number {
    const t = this.text;
    const start = this.pos;
    let p = start;
    if (t.charCodeAt(p) === 45) p++;
    const digits = (): number => {
      const from = p;
      while (p < t.length && t.charCodeAt(p) >= 48 && t.charCodeAt(p) <= 57) p++;
      return p - from;
    };
    const intStart = p;
    const intDigits = digits();
    if (intDigits === 0 || (intDigits > 1 && t.charCodeAt(intStart) === 48)) {
      this.pos = intStart;
      this.fail(
        intDigits === 0 ? `expected a digit, found ${this.found()}` : 'a JSON number cannot have leading zeros',
      );
    }
    if (t.charCodeAt(p) === 46) {
      p++;
      if (digits() === 0) {
        this.pos = p;
        this.fail(`expected a digit after the decimal point, found ${this.found()}`);
      }
    }
    const e = t.charCodeAt(p);
    if (e === 101 || e === 69) {
      p++;
      const s = t.charCodeAt(p);
      if (s === 43 || s === 45) p++;
      if (digits() === 0) {
        this.pos = p;
        this.fail(`expected a digit in the exponent, found ${this.found()}`);
      }
    }
    this.pos = p;
    return Number(t.slice(start, p));
  }

  private string(): string {
    const t = this.text;
    let p = this.pos + 1;
    const start = p;
    // Fast path: no escapes.
    for (;;) {
      if (p >= t.length) {
        this.pos = p;
        this.fail('unterminated string (is the file truncated?)');
      }
      const c = t.charCodeAt(p);
      if (c === 34) {
        this.pos = p + 1;
        return t.slice(start, p);
      }
      if (c === 92) break;
      if (c < 0x20) {
        this.pos = p;
        this.fail(`unescaped ${this.found()} in a string`);
      }
      p++;
    }
    let out = t.slice(start, p);
    for (;;) {
      if (p >= t.length) {
        this.pos = p;
        this.fail('unterminated string (is the file truncated?)');
      }
      const c = t.charCodeAt(p);
      if (c === 34) {
        this.pos = p + 1;
        return out;
      }
      if (c < 0x20) {
        this.pos = p;
        this.fail(`unescaped ${this.found()} in a string`);
      }
      if (c !== 92) {
        const from = p;
        while (p < t.length) {
          const d = t.charCodeAt(p);
          if (d === 34 || d === 92 || d < 0x20) break;
          p++;
        }
        out += t.slice(from, p);
        continue;
      }
      const e = t.charCodeAt(p + 1);
      p += 2;
      switch (e) {
        case 34:
          out += '"';
          break;
        case 92:
          out += '\\';
          break;
        case 47:
          out += '/';
          break;
        case 98:
          out += '\b';
          break;
        case 102:
          out += '\f';
          break;
        case 110:
          out += '\n';
          break;
        case 114:
          out += '\r';
          break;
        case 116:
          out += '\t';
          break;
        case 117: {
          const hex = t.slice(p, p + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.pos = p;
            this.fail(`expected four hex digits after \\u, found ${quote(hex)}`);
          }
          out += String.fromCharCode(Number.parseInt(hex, 16));
          p += 4;
          break;
        }
        default:
          this.pos = p - 1;
          this.fail(
            Number.isNaN(e)
              ? 'unterminated string (is the file truncated?)'
              : `invalid escape \\${this.found().slice(1, -1)}`,
          );
      }
    }
  }

  private object(depth: number, parentKey?: string): Obj {
    if (depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth} levels`);
    const obj = newObj(this.line);
    this.pos++; // {
    this.skip();
    if (this.text.charCodeAt(this.pos) === 125) {
      this.pos++;
      return obj;
    }
    for (;;) {
      const keyLine = this.line;
      const key = this.key();
      if (this.skipValue?.(key, parentKey, depth) === true) this.skipOver(depth);
      else obj.set(key, this.value(depth, key), keyLine);
      this.skip();
      const c = this.text.charCodeAt(this.pos);
      if (c === 44) {
        this.pos++;
        this.skip();
        if (this.jsonc && this.text.charCodeAt(this.pos) === 125) {
          this.pos++;
          return obj;
        }
        continue;
      }
      if (c === 125) {
        this.pos++;
        return obj;
      }
      this.fail(`expected ',' or '}' after the value of ${quote(key)}, found ${this.found()}`);
    }
  }

  /** Check one value's syntax without building it (the same errors as building it). */
  private skipOver(depth: number): void {
    const t = this.text;
    const c = t.charCodeAt(this.pos);
    if (c === 34) {
      this.skipString();
      return;
    }
    if (c !== 123 && c !== 91) {
      this.value(depth);
      return;
    }
    // A container: walk it, strings skipped without building them, nesting checked.
    const stack: number[] = [];
    for (;;) {
      const d = t.charCodeAt(this.pos);
      if (d === 123 || d === 91) {
        if (depth + stack.length + 1 > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth} levels`);
        stack.push(d === 123 ? 125 : 93);
        this.pos++;
        this.skip();
        if (t.charCodeAt(this.pos) === stack[stack.length - 1]) {
          this.pos++;
          stack.pop();
          if (stack.length === 0) return;
          this.afterItem(stack);
          continue;
        }
        if (d === 123) this.key();
        continue;
      }
      if (d === 34) this.skipString();
      else this.value(depth + stack.length);
      if (this.afterItem(stack)) return;
    }
  }

  /** After an item inside a skipped container: ',' (then the next key in an object) or the closing bracket(s). */
  private afterItem(stack: number[]): boolean {
    for (;;) {
      this.skip();
      const c = this.text.charCodeAt(this.pos);
      const close = stack[stack.length - 1] as number;
      if (c === 44) {
        this.pos++;
        this.skip();
        if (this.jsonc && this.text.charCodeAt(this.pos) === close) continue;
        if (close === 125) this.key();
        return false;
      }
      if (c === close) {
        this.pos++;
        stack.pop();
        if (stack.length === 0) return true;
        continue;
      }
      this.fail(`expected ',' or '${close === 125 ? '}' : ']'}', found ${this.found()}`);
    }
  }

  /** An object key and the ':' after it (whitespace skipped on both sides); the parser stands at the value. */
  private key(): string {
    if (this.text.charCodeAt(this.pos) !== 34) this.fail(`expected a quoted key or '}', found ${this.found()}`);
    const keyLine = this.line;
    const key = this.string();
    if (key === '__proto__') {
      this.line = keyLine;
      this.fail(`key '__proto__' is not allowed`);
    }
    this.skip();
    if (this.text.charCodeAt(this.pos) !== 58)
      this.fail(`expected ':' after the key ${quote(key)}, found ${this.found()}`);
    this.pos++;
    this.skip();
    return key;
  }

  /** A string's syntax, without building it. */
  private skipString(): void {
    const t = this.text;
    const p = this.pos + 1;
    for (;;) {
      const q = t.indexOf('"', p);
      if (q < 0) {
        this.pos = t.length;
        this.fail('unterminated string (is the file truncated?)');
      }
      // Escapes and control characters: let the full reader check this string.
      let plain = true;
      for (let i = p; i < q; i++) {
        const c = t.charCodeAt(i);
        if (c === 92 || c < 0x20) {
          plain = false;
          break;
        }
      }
      if (plain) {
        this.pos = q + 1;
        return;
      }
      this.string();
      return;
    }
  }

  private array(depth: number): Arr {
    if (depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth} levels`);
    const arr = newArr(this.line);
    this.pos++; // [
    this.skip();
    if (this.text.charCodeAt(this.pos) === 93) {
      this.pos++;
      return arr;
    }
    for (;;) {
      const line = this.line;
      if (this.pos >= this.text.length) this.fail(`expected a JSON value or ']', found ${this.found()}`);
      pushItem(arr, this.value(depth), line);
      this.skip();
      const c = this.text.charCodeAt(this.pos);
      if (c === 44) {
        this.pos++;
        this.skip();
        if (this.jsonc && this.text.charCodeAt(this.pos) === 93) {
          this.pos++;
          return arr;
        }
        continue;
      }
      if (c === 93) {
        this.pos++;
        return arr;
      }
      this.fail(`expected ',' or ']' after a list item, found ${this.found()}`);
    }
  }
}
