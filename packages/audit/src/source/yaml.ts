import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  parseDocument,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { fastParse } from './fast-yaml.ts';

/**
 * A YAML file parsed for auditing: the `yaml` package's Document (every node keeps its source range) plus a line
 * counter, so any node or offset maps back to a 1-based line and column. Files that are partly invalid still give a
 * Document: `errors` lists the YAML problems with positions and the rules audit whatever parsed.
 */
export interface Position {
  readonly line: number;
  readonly column: number;
}

export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface YamlProblem {
  readonly message: string;
  readonly code: string;
  readonly span: Span;
}

export interface SourceFile {
  /** The path as shown to users (relative to the audit root, `/` separators). */
  readonly path: string;
  readonly text: string;
  readonly root: Node | null;
  readonly errors: readonly YamlProblem[];
  readonly warnings: readonly YamlProblem[];
  position(offset: number): Position;
  /** The source line (without its newline) holding `line` (1-based). */
  lineText(line: number): string;
  /** Offset of the first character of a 1-based line. */
  lineStart(line: number): number;
  /** Every scalar's value span, to tell comments from `#` inside strings. */
  readonly scalarSpans: readonly Span[];
}

const MAX_ALIAS_COUNT = 100;
const MAX_DEPTH = 500;
const RESOLVED = new WeakMap<object, Node>();

export function parseSource(path: string, text: string): SourceFile {
  // The plain block YAML of most workflows takes the fast path (same nodes and ranges); anything else goes to yaml.
  const fast = fastParse(text);
  return fast === undefined ? parseWithYaml(path, text) : sourceFile(path, text, fast, [], []);
}

function parseWithYaml(path: string, text: string): SourceFile {
  const doc = parseDocument(text, {
    prettyErrors: false,
    uniqueKeys: true,
    strict: true,
    keepSourceTokens: false,
  });
  const errors: YamlProblem[] = doc.errors.map((e) => ({
    message: cleanMessage(e.message),
    code: e.code,
    span: spanOf(e.pos),
  }));
  const warnings: YamlProblem[] = doc.warnings.map((e) => ({
    message: cleanMessage(e.message),
    code: e.code,
    span: spanOf(e.pos),
  }));
  // Resolve aliases (bounded: GitHub rejects workflows whose aliases expand beyond reason, and so do we, instead of
  // looping over a billion laughs). A file without `*` has none, and most have none.
  let aliases = 0;
  const resolveAliases = (node: unknown, depth: number): void => {
    if (depth > MAX_DEPTH || node === null || typeof node !== 'object') return;
    if (isAlias(node)) {
      aliases++;
      try {
        const target = node.resolve(doc);
        if (target) RESOLVED.set(node, target as Node);
      } catch {
        // an alias to an unknown anchor is already in doc.errors
      }
    } else if (isMap(node) || isSeq(node)) {
      for (const item of (node as { items: unknown[] }).items) {
        if (isPair(item)) {
          resolveAliases(item.key, depth + 1);
          resolveAliases(item.value, depth + 1);
        } else resolveAliases(item, depth + 1);
      }
    }
  };
  if (text.includes('*')) resolveAliases(doc.contents, 0);
  if (aliases > MAX_ALIAS_COUNT) {
    errors.push({
      message: `the document uses ${aliases} aliases; at most ${MAX_ALIAS_COUNT} are audited`,
      code: 'ALIAS_COUNT',
      span: { start: 0, end: 0 },
    });
  }
  return sourceFile(path, text, (doc.contents as Node | null) ?? null, errors, warnings);
}

/** Every scalar below a node (aliases are not followed). */
function walkScalars(node: unknown, depth: number, onScalar: (s: Scalar) => void): void {
  if (depth > MAX_DEPTH || node === null || typeof node !== 'object') return;
  if (isScalar(node)) {
    onScalar(node as Scalar);
  } else if (isMap(node) || isSeq(node)) {
    for (const item of (node as { items: unknown[] }).items) {
      if (isPair(item)) {
        walkScalars(item.key, depth + 1, onScalar);
        walkScalars(item.value, depth + 1, onScalar);
      } else walkScalars(item, depth + 1, onScalar);
    }
  }
}

/**
 * The line index of a text and the questions it answers. SourceFiles are class instances with their getters on the
 * prototype: an object literal with a getter gets its accessor pair allocated in V8's old generation, which then kept
 * the getter's closure, and through it the file's whole tree, alive through every young-generation collection (each
 * audited file was promoted to the old generation instead of dying young).
 */
class Lines {
  readonly path: string;
  readonly text: string;
  readonly position: (offset: number) => Position;
  readonly lineStart: (line: number) => number;
  readonly lineText: (line: number) => string;

  constructor(path: string, text: string) {
    this.path = path;
    this.text = text;
    const starts = [0];
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    this.position = (offset) => {
      let lo = 0;
      let hi = starts.length - 1;
      const o = Math.max(0, Math.min(offset, text.length));
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((starts[mid] as number) <= o) lo = mid;
        else hi = mid - 1;
      }
      return { line: lo + 1, column: o - (starts[lo] as number) + 1 };
    };
    this.lineStart = (line) => starts[Math.max(0, Math.min(line - 1, starts.length - 1))] as number;
    this.lineText = (line) => {
      const start = starts[line - 1];
      if (start === undefined) return '';
      const end = starts[line];
      return text.slice(start, end === undefined ? text.length : end - 1).replace(/\r$/, '');
    };
  }
}

class ParsedSource extends Lines implements SourceFile {
  readonly root: Node | null;
  readonly errors: readonly YamlProblem[];
  readonly warnings: readonly YamlProblem[];
  #scalarSpans: Span[] | undefined;

  constructor(path: string, text: string, root: Node | null, errors: YamlProblem[], warnings: YamlProblem[]) {
    super(path, text);
    this.root = root;
    this.errors = errors;
    this.warnings = warnings;
  }

  get scalarSpans(): readonly Span[] {
    if (this.#scalarSpans === undefined) {
      const spans: Span[] = [];
      walkScalars(this.root, 0, (n) => {
        if (n.range) spans.push({ start: n.range[0], end: n.range[1] });
      });
      this.#scalarSpans = spans;
    }
    return this.#scalarSpans;
  }
}

function sourceFile(
  path: string,
  text: string,
  root: Node | null,
  errors: YamlProblem[],
  warnings: YamlProblem[],
): SourceFile {
  return new ParsedSource(path, text, root, errors, warnings);
}

function spanOf(pos: [number, number] | undefined): Span {
  return pos === undefined ? { start: 0, end: 0 } : { start: pos[0], end: pos[1] };
}

function cleanMessage(message: string): string {
  // yaml appends " at line X, column Y" and a code frame only with prettyErrors; keep the first line only.
  const first = (message.split('\n')[0] ?? message).trim();
  if (/Maximum call stack/i.test(first)) return 'the document nests too deeply to be read';
  if (/multiple documents/i.test(first))
    return 'a workflow or action file holds one YAML document; this one has several';
  return first;
}

/** Resolve an alias to the node its anchor names (or pass the node through). */
export function deref(node: unknown): Node | null {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return RESOLVED.get(node) ?? null;
  return node as Node;
}

export function asMap(node: unknown): YAMLMap | null {
  const n = deref(node);
  return isMap(n) ? (n as YAMLMap) : null;
}

export function asSeq(node: unknown): YAMLSeq | null {
  const n = deref(node);
  return isSeq(n) ? (n as YAMLSeq) : null;
}

export function asScalar(node: unknown): Scalar | null {
  const n = deref(node);
  return isScalar(n) ? (n as Scalar) : null;
}

/** The pairs of a mapping whose keys are scalars, with the key as a string. */
export function pairs(map: YAMLMap | null): Array<{ key: string; pair: Pair; keyNode: Scalar; value: Node | null }> {
  if (map === null) return [];
  const out: Array<{ key: string; pair: Pair; keyNode: Scalar; value: Node | null }> = [];
  for (const item of map.items) {
    if (!isPair(item)) continue;
    const keyNode = asScalar(item.key);
    if (keyNode === null) continue;
    out.push({ key: String(keyNode.value), pair: item as Pair, keyNode, value: deref(item.value) });
  }
  return out;
}

/** The pair with a key in a mapping. */
export function pairOf(map: YAMLMap | null, key: string): { pair: Pair; keyNode: Scalar; value: Node | null } | null {
  if (map === null) return null;
  for (const item of map.items) {
    if (!isPair(item)) continue;
    const keyNode = isScalar(item.key) ? (item.key as Scalar) : asScalar(item.key);
    if (keyNode === null || String(keyNode.value) !== key) continue;
    return { pair: item as Pair, keyNode, value: deref(item.value) };
  }
  return null;
}

export function valueAt(map: YAMLMap | null, key: string): Node | null {
  return pairOf(map, key)?.value ?? null;
}

/** A scalar's value as a string (numbers and booleans as written), or undefined for collections and nulls. */
export function scalarString(node: unknown): string | undefined {
  const s = asScalar(node);
  if (s === null || s.value === null || s.value === undefined) return undefined;
  if (typeof s.value === 'string') return s.value;
  if (typeof s.value === 'number' || typeof s.value === 'boolean' || typeof s.value === 'bigint') {
    return typeof s.source === 'string' ? s.source : String(s.value);
  }
  return undefined;
}

/** The span of a node: [start, value end). */
export function spanOfNode(node: Node | null | undefined, fallback: Span = { start: 0, end: 0 }): Span {
  const range = node?.range;
  if (!range) return fallback;
  return { start: range[0], end: range[1] };
}

export function keySpan(pair: { keyNode: Scalar }): Span {
  return spanOfNode(pair.keyNode);
}

/**
 * A SourceFile that answers positions and lines from the text alone and parses only when asked for the tree: the
 * main thread's view of files audited in worker threads (inline ignores and SARIF need lines, rarely the tree).
 */
export function lazySource(path: string, text: string): SourceFile {
  return new LazySource(path, text);
}

class LazySource extends Lines implements SourceFile {
  #parsed: SourceFile | undefined;

  #full(): SourceFile {
    this.#parsed ??= parseSource(this.path, this.text);
    return this.#parsed;
  }

  get root(): Node | null {
    return this.#full().root;
  }

  get errors(): readonly YamlProblem[] {
    return this.#full().errors;
  }

  get warnings(): readonly YamlProblem[] {
    return this.#full().warnings;
  }

  get scalarSpans(): readonly Span[] {
    return this.#full().scalarSpans;
  }
}
