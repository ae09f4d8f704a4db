/**
 * YAML lockfiles (pnpm-lock.yaml, yarn berry's yarn.lock, pubspec.lock): the block subset package managers write is
 * read by ./yaml-block.ts; anything else goes through the `yaml` package's Document API, converted to the positioned
 * tree with the line of every key. The failsafe schema keeps every scalar a string
 * (`1.10` stays "1.10", not the number 1.1). Aliases are resolved with a budget on the nodes they expand to, so an
 * alias bomb ("billion laughs") fails fast instead of exhausting memory; `__proto__` keys and complex keys are refused.
 */
import { quote } from '@airlock/core';
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { lockfileError } from '../model.ts';
import { type Arr, newArr, newObj, type Obj, pushItem, type Value } from './tree.ts';
import { readBlockYaml, type SkipKey } from './yaml-block.ts';

const MAX_DEPTH = 128;

/**
 * Above this size only the block subset is read: the full parser's time and memory grow too fast for a file that
 * large, and no package manager writes one outside the subset.
 */
export const FULL_YAML_MAX_BYTES = 8 * 1024 * 1024;

export function parseYaml(text: string, path: string, skipKey?: SkipKey): Value {
  const fast = readBlockYaml(text, skipKey);
  if ('value' in fast) return fast.value;
  if (text.length > FULL_YAML_MAX_BYTES)
    throw lockfileError(
      path,
      fast.outsideAt,
      'expected plain block YAML as package managers write it; this line has a syntax error or a construct they do not use (anchors, aliases, tags, multi-line scalars…), and a file over 8 MiB is only read in that style',
    );
  return parseFullYaml(text, path);
}

/** The `yaml` package's parser, for everything outside the block subset (and for every error message). */
export function parseFullYaml(text: string, path: string): Value {
  const lineCounter = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, {
      lineCounter,
      schema: 'failsafe',
      // Duplicate keys are checked below: the library's own check is quadratic in the size of a mapping.
      uniqueKeys: false,
      prettyErrors: true,
      strict: true,
      stringKeys: false,
    });
  } catch (cause) {
    throw lockfileError(path, 1, `cannot read the YAML: ${(cause as Error).message}`, cause);
  }
  const error = doc.errors[0];
  if (error !== undefined) {
    const line = error.linePos?.[0]?.line ?? 1;
    const what = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw lockfileError(path, line, `invalid YAML: ${what}`, error);
  }
  // Every node can be reached at most this many times, counting alias expansions.
  let budget = text.length + 10_000;
  const lineOf = (node: Node | null | undefined, fallback: number): number => {
    const offset = node?.range?.[0];
    return offset === undefined ? fallback : lineCounter.linePos(offset).line;
  };
  const convert = (node: unknown, depth: number, fallbackLine: number): Value => {
    if (--budget < 0)
      throw lockfileError(
        path,
        fallbackLine,
        'YAML aliases expand to more nodes than the file could hold (an alias bomb?)',
      );
    if (depth > MAX_DEPTH) throw lockfileError(path, fallbackLine, `nesting deeper than ${MAX_DEPTH} levels`);
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (target === undefined) throw lockfileError(path, lineOf(node, fallbackLine), `unknown alias *${node.source}`);
      return convert(target, depth + 1, lineOf(node, fallbackLine));
    }
    if (isScalar(node)) {
      const v = node.value;
      return v === null || v === undefined ? null : typeof v === 'string' ? v : String(v);
    }
    if (isMap(node)) {
      const line = lineOf(node, fallbackLine);
      const obj: Obj = newObj(line);
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const keyLine = lineOf(keyNode, line);
        if (!isScalar(keyNode))
          throw lockfileError(path, keyLine, 'expected a plain key, found a complex (mapping or list) key');
        const key = keyNode.value === null ? '' : String(keyNode.value);
        if (key === '__proto__') throw lockfileError(path, keyLine, `key '__proto__' is not allowed`);
        if (!obj.add(key, convert(pair.value, depth + 1, keyLine), keyLine))
          throw lockfileError(path, keyLine, `invalid YAML: the key ${quote(key)} appears twice`);
      }
      return obj;
    }
    if (isSeq(node)) {
      const line = lineOf(node, fallbackLine);
      const arr: Arr = newArr(line);
      for (const item of node.items) {
        const itemLine = lineOf(item as Node, line);
        pushItem(arr, convert(item, depth + 1, itemLine), itemLine);
      }
      return arr;
    }
    throw lockfileError(path, fallbackLine, `unexpected YAML node ${quote(String(node))}`);
  };
  return convert(doc.contents, 0, 1);
}
