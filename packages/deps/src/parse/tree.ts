/**
 * The positioned value tree every structured lockfile parser (JSON, TOML, YAML) produces, and the typed accessors the
 * lockfile readers use on it. A mapping is an {@link Obj}: its keys, values and the line of each key in document
 * order, never properties of a JavaScript object, so a `__proto__` or `constructor` key is plain data that cannot
 * pollute anything (parsers still reject `__proto__` outright). Lookups are linear in small mappings and through an
 * index built once in large ones. A list is an array that remembers the line of each element.
 */
import { quote } from '@airlock/core';
import { lockfileError } from '../model.ts';

export const LINE: unique symbol = Symbol('line');
export const ITEM_LINES: unique symbol = Symbol('itemLines');

export type Value = string | number | boolean | null | Obj | Arr;

const INDEX_FROM = 12;

export class Obj {
  /** Line of the mapping's first token (the key that introduced it, or its opening bracket). */
  line: number;
  /** key, value, line of key, key, value, line, … in document order: one allocation per mapping. */
  private readonly data: (string | Value | number)[] = [];
  private index: Map<string, number> | undefined;

  constructor(line: number) {
    this.line = line;
  }

  get size(): number {
    return this.data.length / 3;
  }

  /** The keys in document order (a new array). */
  get keys(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.data.length; i += 3) out.push(this.data[i] as string);
    return out;
  }

  /** The values in document order (a new array). */
  get values(): Value[] {
    const out: Value[] = [];
    for (let i = 1; i < this.data.length; i += 3) out.push(this.data[i] as Value);
    return out;
  }

  /** Call `fn` with each key, value and line, in document order (no lookups, no arrays). */
  each(fn: (key: string, value: Value, line: number) => void): void {
    const d = this.data;
    for (let i = 0; i < d.length; i += 3) fn(d[i] as string, d[i + 1] as Value, d[i + 2] as number);
  }

  /** Offset of the key in `data`, or -1. */
  private find(key: string): number {
    if (this.index !== undefined) return this.index.get(key) ?? -1;
    const d = this.data;
    for (let i = 0; i < d.length; i += 3) if (d[i] === key) return i;
    return -1;
  }

  get(key: string): Value | undefined {
    const i = this.find(key);
    return i < 0 ? undefined : (this.data[i + 1] as Value);
  }

  has(key: string): boolean {
    return this.find(key) >= 0;
  }

  /** The line of a key, or of the mapping itself when the key is absent. */
  lineOf(key?: string): number {
    if (key === undefined) return this.line;
    const i = this.find(key);
    return i < 0 ? this.line : (this.data[i + 2] as number);
  }

  /** Add a key; false (and nothing changed) when it is already there. */
  add(key: string, value: Value, line: number): boolean {
    if (this.find(key) >= 0) return false;
    const i = this.data.length;
    this.data.push(key, value, line);
    if (this.index !== undefined) this.index.set(key, i);
    else if (i >= INDEX_FROM * 3) {
      const index = new Map<string, number>();
      for (let j = 0; j < this.data.length; j += 3) index.set(this.data[j] as string, j);
      this.index = index;
    }
    return true;
  }

  /** Replace a key's value (or add it), keeping its first position: JSON's "last duplicate wins". */
  set(key: string, value: Value, line: number): void {
    const i = this.find(key);
    if (i < 0) this.add(key, value, line);
    else {
      this.data[i + 1] = value;
      this.data[i + 2] = line;
    }
  }
}

export interface Arr extends Array<Value> {
  [LINE]: number;
  [ITEM_LINES]: number[];
}

export function newObj(line: number): Obj {
  return new Obj(line);
}

export function newArr(line: number): Arr {
  const a = [] as unknown as Arr;
  a[LINE] = line;
  a[ITEM_LINES] = [];
  return a;
}

export function pushItem(a: Arr, value: Value, line: number): void {
  a.push(value);
  a[ITEM_LINES].push(line);
}

export function isObj(v: Value | undefined): v is Obj {
  return v instanceof Obj;
}

export function isArr(v: Value | undefined): v is Arr {
  return Array.isArray(v);
}

export function itemLine(a: Arr | readonly Value[], index: number): number {
  const arr = a as Partial<Arr>;
  return arr[ITEM_LINES]?.[index] ?? arr[LINE] ?? 1;
}

export function describeValue(v: Value | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Obj) return 'a mapping';
  if (typeof v === 'string') return `the string ${quote(v, 40)}`;
  return `${typeof v === 'number' ? 'the number' : 'the boolean'} ${String(v)}`;
}

/** Where a key is, for messages (` of 'node_modules/a'`); a function when building it would cost on the hot path. */
export type Where = string | (() => string);

/** Typed reads with errors that name the file, the line and the key. */
export class Reader {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  fail(line: number, message: string, cause?: unknown): never {
    throw lockfileError(this.path, line, message, cause);
  }

  private wrong(o: Obj, key: string, what: string, where: Where, v: Value | undefined): never {
    const w = typeof where === 'function' ? where() : where;
    return this.fail(o.lineOf(key), `expected ${what} for '${key}'${w}, found ${describeValue(v)}`);
  }

  obj(o: Obj, key: string, where: Where = ''): Obj {
    const v = o.get(key);
    if (!(v instanceof Obj)) return this.wrong(o, key, 'a mapping', where, v);
    return v;
  }

  /** Absent, null or empty (YAML's `key:` with nothing after it) is undefined. */
  optObj(o: Obj, key: string, where: Where = ''): Obj | undefined {
    const v = o.get(key);
    if (v === undefined || v === null || v === '') return undefined;
    if (!(v instanceof Obj)) return this.wrong(o, key, 'a mapping', where, v);
    return v;
  }

  arr(o: Obj, key: string, where: Where = ''): Arr {
    const v = o.get(key);
    if (!Array.isArray(v)) return this.wrong(o, key, 'a list', where, v);
    return v as Arr;
  }

  optArr(o: Obj, key: string, where: Where = ''): Arr | undefined {
    const v = o.get(key);
    if (v === undefined || v === null || v === '') return undefined;
    if (!Array.isArray(v)) return this.wrong(o, key, 'a list', where, v);
    return v as Arr;
  }

  str(o: Obj, key: string, where: Where = ''): string {
    const v = o.get(key);
    if (typeof v !== 'string') return this.wrong(o, key, 'a string', where, v);
    return v;
  }

  optStr(o: Obj, key: string, where: Where = ''): string | undefined {
    const v = o.get(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') return this.wrong(o, key, 'a string', where, v);
    return v;
  }

  /** A string, or a number written without quotes (YAML and TOML lockfiles write versions both ways). */
  optScalar(o: Obj, key: string, where: Where = ''): string | undefined {
    const v = o.get(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number') return String(v);
    if (typeof v !== 'string') return this.wrong(o, key, 'a string', where, v);
    return v;
  }

  optBool(o: Obj, key: string, where: Where = ''): boolean | undefined {
    const v = o.get(key);
    if (v === undefined || v === null) return undefined;
    if (v === 'true') return true;
    if (v === 'false') return false;
    if (typeof v !== 'boolean') return this.wrong(o, key, 'true or false', where, v);
    return v;
  }

  /** Strings of a list (or of a mapping's keys when the lockfile writes a set as a mapping). */
  strings(o: Obj, key: string, where: Where = ''): string[] {
    const v = o.get(key);
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) {
      return v.map((item, i) => {
        if (typeof item !== 'string')
          this.fail(
            itemLine(v, i),
            `expected a string in '${key}'${typeof where === 'function' ? where() : where}, found ${describeValue(item)}`,
          );
        return item;
      });
    }
    if (v instanceof Obj) return [...v.keys];
    return this.wrong(o, key, 'a list', where, v);
  }
}
