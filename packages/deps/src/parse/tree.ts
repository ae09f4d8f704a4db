/**
 * The positioned value tree every structured lockfile parser (JSON, TOML, YAML) produces, and the typed accessors the
 * lockfile readers use on it. Objects have no prototype (a `__proto__` or `constructor` key is plain data and cannot
 * pollute anything; parsers reject `__proto__` outright), and remember the line of each key; arrays remember the line
 * of each element.
 */
import { quote } from '@airlock/core';
import { lockfileError } from '../model.ts';

export const LINE: unique symbol = Symbol('line');
export const KEY_LINES: unique symbol = Symbol('keyLines');
export const ITEM_LINES: unique symbol = Symbol('itemLines');

export type Value = string | number | boolean | null | Obj | Arr;

export interface Obj {
  [key: string]: Value;
  /** Line of the object's first token (the key that introduced it, or its opening bracket). */
  [LINE]: number;
  /** Line of each key. */
  [KEY_LINES]: Record<string, number>;
}

export interface Arr extends Array<Value> {
  [LINE]: number;
  [ITEM_LINES]: number[];
}

export function newObj(line: number): Obj {
  const o = Object.create(null) as Obj;
  o[LINE] = line;
  o[KEY_LINES] = Object.create(null) as Record<string, number>;
  return o;
}

export function newArr(line: number): Arr {
  const a = [] as unknown as Arr;
  a[LINE] = line;
  a[ITEM_LINES] = [];
  return a;
}

export function setKey(o: Obj, key: string, value: Value, line: number): void {
  o[key] = value;
  o[KEY_LINES][key] = line;
}

export function pushItem(a: Arr, value: Value, line: number): void {
  a.push(value);
  a[ITEM_LINES].push(line);
}

export function isObj(v: Value | undefined): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isArr(v: Value | undefined): v is Arr {
  return Array.isArray(v);
}

export function has(o: Obj, key: string): boolean {
  return Object.hasOwn(o, key);
}

/** Own keys of an object, in document order. */
export function keys(o: Obj): string[] {
  return Object.keys(o);
}

/** The line of a key (or of the object itself when the key is absent). */
export function lineOf(o: Obj, key?: string): number {
  if (key !== undefined) {
    const line = o[KEY_LINES][key];
    if (line !== undefined) return line;
  }
  return o[LINE];
}

export function itemLine(a: Arr | readonly Value[], index: number): number {
  const arr = a as Partial<Arr>;
  return arr[ITEM_LINES]?.[index] ?? arr[LINE] ?? 1;
}

export function describeValue(v: Value | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${quote(v, 40)}`;
  return `${typeof v === 'number' ? 'the number' : 'the boolean'} ${String(v)}`;
}

/** Typed reads with errors that name the file, the line and the key. */
export class Reader {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  fail(line: number, message: string, cause?: unknown): never {
    throw lockfileError(this.path, line, message, cause);
  }

  obj(o: Obj, key: string, where = ''): Obj {
    const v = o[key];
    if (!isObj(v)) this.fail(lineOf(o, key), `expected a mapping for '${key}'${where}, found ${describeValue(v)}`);
    return v;
  }

  optObj(o: Obj, key: string, where = ''): Obj | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (!isObj(v)) this.fail(lineOf(o, key), `expected a mapping for '${key}'${where}, found ${describeValue(v)}`);
    return v;
  }

  arr(o: Obj, key: string, where = ''): Arr {
    const v = o[key];
    if (!isArr(v)) this.fail(lineOf(o, key), `expected a list for '${key}'${where}, found ${describeValue(v)}`);
    return v;
  }

  optArr(o: Obj, key: string, where = ''): Arr | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (!isArr(v)) this.fail(lineOf(o, key), `expected a list for '${key}'${where}, found ${describeValue(v)}`);
    return v;
  }

  str(o: Obj, key: string, where = ''): string {
    const v = o[key];
    if (typeof v !== 'string')
      this.fail(lineOf(o, key), `expected a string for '${key}'${where}, found ${describeValue(v)}`);
    return v;
  }

  optStr(o: Obj, key: string, where = ''): string | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string')
      this.fail(lineOf(o, key), `expected a string for '${key}'${where}, found ${describeValue(v)}`);
    return v;
  }

  /** A string, or a number written without quotes (YAML and TOML lockfiles write versions both ways). */
  optScalar(o: Obj, key: string, where = ''): string | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number') return String(v);
    if (typeof v !== 'string')
      this.fail(lineOf(o, key), `expected a string for '${key}'${where}, found ${describeValue(v)}`);
    return v;
  }

  optBool(o: Obj, key: string, where = ''): boolean | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (v === 'true') return true;
    if (v === 'false') return false;
    if (typeof v !== 'boolean')
      this.fail(lineOf(o, key), `expected true or false for '${key}'${where}, found ${describeValue(v)}`);
    return v;
  }

  /** Strings of a list (or of a mapping's keys when the lockfile writes a set as a mapping). */
  strings(o: Obj, key: string, where = ''): string[] {
    const v = o[key];
    if (v === undefined || v === null) return [];
    if (isArr(v)) {
      return v.map((item, i) => {
        if (typeof item !== 'string')
          this.fail(itemLine(v, i), `expected a string in '${key}'${where}, found ${describeValue(item)}`);
        return item;
      });
    }
    if (isObj(v)) return keys(v);
    return this.fail(lineOf(o, key), `expected a list for '${key}'${where}, found ${describeValue(v)}`);
  }
}
