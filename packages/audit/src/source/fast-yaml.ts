import { Document, isScalar, type Node, Pair, Scalar, type Schema, YAMLMap, YAMLSeq } from 'yaml';

/**
 * A fast path for the plain block YAML most workflow files are written in: block mappings and sequences, single-line
 * plain and quoted scalars, literal and folded block scalars, one-line flow sequences of plain words, `{}`/`[]`, and
 * comment and blank lines between them. It builds the same nodes the `yaml` package's parseDocument builds (values,
 * scalar types and sources, and the same [start, valueEnd, nodeEnd] ranges, including where comment lines end a node),
 * and returns undefined as soon as the text holds anything outside that subset (anchors, aliases, tags, directives,
 * explicit keys, multi-line plain or quoted scalars, escapes, tabs, CRLF, anything yaml would report as an error…):
 * the caller then parses with `yaml`, which stays the reference. test/unit/audit/fast-yaml.test.ts checks the two
 * against each other node by node over fixtures, generated workflows and mutations of them.
 *
 * The yaml library spends most of an audit's time in its generator-based lexer and parser; this path is several
 * times faster on the files it accepts.
 */

/** Thrown internally to give up; never escapes fastParse. */
class Bail {
  readonly why: string;
  constructor(why: string) {
    this.why = why;
  }
}
const bail = (why: string): never => {
  throw new Bail(why);
};

interface ScalarTag {
  readonly default?: boolean | 'key';
  readonly test?: RegExp;
  readonly format?: string;
  readonly collection?: string;
  resolve(value: string, onError: (message: string) => void, options: object): unknown;
}

/**
 * The first characters a value matched by one of the core schema's tests can start with (null, bool, int, float);
 * any other non-empty plain scalar is a string without running the tests. Used only when the schema's tests are
 * exactly the ones this was written against.
 */
const CORE_TESTS = new Set([
  '^(?:~|[Nn]ull|NULL)?$',
  '^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$',
  '^0o[0-7]+$',
  '^[-+]?[0-9]+$',
  '^0x[0-9a-fA-F]+$',
  '^(?:[-+]?\\.(?:inf|Inf|INF)|\\.nan|\\.NaN|\\.NAN)$',
  '^[-+]?(?:\\.[0-9]+|[0-9]+(?:\\.[0-9]*)?)[eE][-+]?[0-9]+$',
  '^[-+]?(?:\\.[0-9]+|[0-9]+\\.[0-9]*)$',
]);
const CORE_FIRST = new Set([...'~nNtTfF0123456789-+.']);

interface SchemaInfo {
  readonly schema: Schema;
  readonly tags: readonly ScalarTag[];
  readonly str: ScalarTag;
  readonly options: object;
  /** Plain scalars that cannot match any default tag resolve to themselves as strings. */
  readonly shortcut: boolean;
}

let schemaCache: SchemaInfo | undefined;
export function schemaInfo(): SchemaInfo {
  if (schemaCache === undefined) {
    const options = { prettyErrors: false, uniqueKeys: true, strict: true, keepSourceTokens: false };
    const doc = new Document(null, options);
    const schema = doc.schema;
    const str = (schema as unknown as Record<symbol, ScalarTag>)[Symbol.for('yaml.scalar')] as ScalarTag;
    const tags = schema.tags as unknown as ScalarTag[];
    const defaults = tags.filter((t) => t.default !== undefined && t.default !== false);
    const shortcut =
      str.resolve('x', () => undefined, doc.options) === 'x' &&
      defaults.every((t) => t.default === true && (t.test === undefined || CORE_TESTS.has(t.test.source)));
    // composeScalar resolves with the document's options (intAsBigInt, …): the defaults here, as in parseDocument
    schemaCache = { schema, tags, str, options: doc.options, shortcut };
  }
  return schemaCache;
}

/**
 * Nodes are made without running yaml's constructors, which define the node type on every instance with
 * Object.defineProperty (a large part of this path's time): instances of the same classes, with the type (and the
 * schema of collections) on a shared prototype, and the same own fields.
 */
const NODE_TYPE = Symbol.for('yaml.node.type');
function protoOf(sample: object, extra: PropertyDescriptorMap = {}): object {
  return Object.create(Object.getPrototypeOf(sample), {
    [NODE_TYPE]: { value: (sample as Record<symbol, unknown>)[NODE_TYPE] },
    ...extra,
  });
}
interface Makers {
  scalar(value: unknown): Scalar;
  map(): YAMLMap;
  seq(): YAMLSeq;
  pair(key: Node, value: Node): Pair;
}
let makersCache: Makers | undefined;
function makers(schema: Schema): Makers {
  if (makersCache === undefined) {
    const schemaProp = { schema: { value: schema, writable: true, configurable: true, enumerable: false } };
    const scalarProto = protoOf(new Scalar(null));
    const mapProto = protoOf(new YAMLMap(schema), schemaProp);
    const seqProto = protoOf(new YAMLSeq(schema), schemaProp);
    const pairProto = protoOf(new Pair(null, null));
    const FastScalar = function (this: { value: unknown }, value: unknown) {
      this.value = value;
    } as unknown as new (
      value: unknown,
    ) => Scalar;
    const FastMap = function (this: { items: unknown[] }) {
      this.items = [];
    } as unknown as new () => YAMLMap;
    const FastSeq = function (this: { items: unknown[] }) {
      this.items = [];
    } as unknown as new () => YAMLSeq;
    const FastPair = function (this: { key: unknown; value: unknown }, key: unknown, value: unknown) {
      this.key = key;
      this.value = value;
    } as unknown as new (
      key: Node,
      value: Node,
    ) => Pair;
    FastScalar.prototype = scalarProto as Scalar;
    FastMap.prototype = mapProto as YAMLMap;
    FastSeq.prototype = seqProto as YAMLSeq;
    FastPair.prototype = pairProto as Pair;
    makersCache = {
      scalar: (value) => new FastScalar(value),
      map: () => new FastMap(),
      seq: () => new FastSeq(),
      pair: (key, value) => new FastPair(key, value),
    };
  }
  return makersCache;
}

const enum_BLANK = 0;
const enum_COMMENT = 1;
const enum_CONTENT = 2;

/** Characters that may not start a plain scalar here (or start something this path does not take). */
const PLAIN_START_BAD = new Set([...'-?:,[]{}#&*!|>\'"%@`']);

/** Why the last fastParse gave up (for tests). */
export let lastBail = '';

export function fastParse(text: string): Node | null | undefined {
  try {
    return parse(text);
  } catch (e) {
    // anything unexpected (a stack overflow on absurd nesting included) also leaves the text to yaml
    lastBail = e instanceof Bail ? e.why : String(e);
    return undefined;
  }
}

function parse(text: string): Node | null {
  const n = text.length;
  if (n === 0 || text.charCodeAt(n - 1) !== 10) bail('no final newline');
  if (text.includes('\t') || text.includes('\r') || text.charCodeAt(0) === 0xfeff) bail('tab, CR or BOM');
  // lines
  const lineStart: number[] = [];
  const lineEnd: number[] = []; // index of the '\n'
  const lineIndent: number[] = [];
  const lineKind: number[] = [];
  for (let s = 0; s < n; ) {
    const e = text.indexOf('\n', s);
    let i = s;
    while (i < e && text.charCodeAt(i) === 32) i++;
    lineStart.push(s);
    lineEnd.push(e);
    lineIndent.push(i - s);
    lineKind.push(i === e ? enum_BLANK : text.charCodeAt(i) === 35 ? enum_COMMENT : enum_CONTENT);
    if (i === s && e - s >= 3) {
      const three = text.slice(s, s + 3);
      if (three === '---' || three === '...') bail('document marker');
    }
    if (i === s && text.charCodeAt(s) === 37) bail('directive');
    s = e + 1;
  }
  const L = lineStart.length;
  const info = schemaInfo();

  const make = makers(info.schema);
  const resolvePlain = (value: string, atKey: boolean): Scalar => {
    if (info.shortcut && value !== '' && !CORE_FIRST.has(value[0] as string)) {
      const scalar = make.scalar(value);
      scalar.source = value;
      scalar.type = 'PLAIN';
      return scalar;
    }
    let tag: ScalarTag | undefined;
    for (const t of info.tags) {
      if ((t.default === true || (atKey && t.default === 'key')) && t.test?.test(value)) {
        tag = t;
        break;
      }
    }
    tag ??= info.str;
    if (tag.collection) bail('collection tag');
    let failed = false;
    const res = tag.resolve(
      value,
      () => {
        failed = true;
      },
      info.options,
    );
    if (failed) bail('tag resolve failed');
    const scalar = isScalar(res) ? (res as Scalar) : make.scalar(res);
    scalar.source = value;
    scalar.type = 'PLAIN';
    if (tag.format) scalar.format = tag.format;
    return scalar;
  };
  const stringScalar = (value: string, type: Scalar.Type): Scalar => {
    const res = info.str.resolve(value, () => bail('str resolve'), info.options);
    const scalar = isScalar(res) ? (res as Scalar) : make.scalar(res);
    scalar.source = value;
    scalar.type = type;
    return scalar;
  };

  const nextNonBlank = (from: number): number => {
    let i = from;
    while (i < L && lineKind[i] === enum_BLANK) i++;
    return i;
  };
  const nextContent = (from: number): number => {
    let i = from;
    while (i < L && lineKind[i] !== enum_CONTENT) i++;
    return i;
  };

  /**
   * Where a single-line node ends (its range[2]) and the line where parsing continues: trailing spaces and a comment,
   * the newline, and comment lines indented deeper than the collection holding the node.
   */
  const finishLine = (pos: number, line: number, owner: number): { end: number; next: number } => {
    const e = lineEnd[line] as number;
    let i = pos;
    while (i < e && text.charCodeAt(i) === 32) i++;
    if (i < e && (text.charCodeAt(i) !== 35 || i === pos)) bail('content after a value');
    let end = e + 1;
    let next = line + 1;
    let absorbing = true;
    for (let k = line + 1; k < L && lineKind[k] !== enum_CONTENT; k++) {
      if (lineKind[k] === enum_COMMENT) {
        if ((lineIndent[k] as number) > owner) {
          if (!absorbing) bail('deep comment after a shallow one');
          end = (lineEnd[k] as number) + 1;
          next = k + 1;
        } else absorbing = false;
      }
    }
    return { end, next };
  };

  /** Skip a plain scalar in block context on one line: returns its end (exclusive), trailing spaces trimmed. */
  const plainEnd = (pos: number, line: number): number => {
    const e = lineEnd[line] as number;
    let i = pos;
    let last = pos;
    while (i < e) {
      const c = text.charCodeAt(i);
      if (c === 32) {
        if (text.charCodeAt(i + 1) === 35) break;
      } else {
        if (c === 58 && (i + 1 === e || text.charCodeAt(i + 1) === 32)) bail('colon in a value');
        last = i + 1;
      }
      i++;
    }
    return last;
  };

  const continuationCheck = (line: number, owner: number): void => {
    // a following content line deeper than the owner would continue a plain scalar (or be an error)
    const k = nextContent(line + 1);
    if (k < L && (lineIndent[k] as number) > owner) bail('continued or deeper line');
  };

  interface Parsed {
    node: Node;
    /** range[2] of the node. */
    end: number;
    /** The next line to parse. */
    next: number;
  }

  /** A quoted scalar on one line, starting at pos. */
  const quoted = (pos: number, line: number): { scalar: Scalar; valueEnd: number } => {
    const e = lineEnd[line] as number;
    const q = text.charCodeAt(pos);
    let i = pos + 1;
    let value = '';
    if (q === 39) {
      for (;;) {
        const j = text.indexOf("'", i);
        if (j < 0 || j >= e) bail('multi-line single quote');
        if (text.charCodeAt(j + 1) === 39) {
          value += `${text.slice(i, j)}'`;
          i = j + 2;
          continue;
        }
        value += text.slice(i, j);
        i = j + 1;
        break;
      }
    } else {
      const j = text.indexOf('"', i);
      if (j < 0 || j >= e) bail('multi-line double quote');
      value = text.slice(i, j);
      if (value.includes('\\')) bail('escape');
      i = j + 1;
    }
    const scalar = stringScalar(value, q === 39 ? 'QUOTE_SINGLE' : 'QUOTE_DOUBLE');
    return { scalar, valueEnd: i };
  };

  /** A one-line flow sequence of plain words, or [] / {}. */
  const flow = (pos: number, line: number): { node: Node; valueEnd: number } => {
    const e = lineEnd[line] as number;
    const open = text.charCodeAt(pos);
    if (open === 123) {
      if (text.charCodeAt(pos + 1) !== 125) bail('flow mapping');
      const map = make.map();
      map.flow = true;
      return { node: map, valueEnd: pos + 2 };
    }
    const seq = make.seq();
    seq.flow = true;
    let i = pos + 1;
    if (text.charCodeAt(i) === 93) return { node: seq, valueEnd: i + 1 };
    for (;;) {
      const s = i;
      while (i < e) {
        const c = text.charCodeAt(i);
        if (c === 44 || c === 93) break;
        if (
          c === 32 ||
          c === 35 ||
          c === 58 ||
          c === 91 ||
          c === 123 ||
          c === 125 ||
          c === 34 ||
          c === 39 ||
          c === 38 ||
          c === 42 ||
          c === 33 ||
          c === 63 ||
          c === 124 ||
          c === 62 ||
          c === 37 ||
          c === 64 ||
          c === 96
        )
          bail('flow item');
        i++;
      }
      if (i === s || i >= e) bail('flow item');
      const item = resolvePlain(text.slice(s, i), false);
      item.range = [s, i, i];
      seq.items.push(item);
      if (text.charCodeAt(i) === 93) return { node: seq, valueEnd: i + 1 };
      i++; // ','
      if (text.charCodeAt(i) === 32) i++;
      else bail('flow spacing');
    }
  };

  /** A block scalar whose header (| or >) is at pos; `owner` is the indentation of the collection holding it. */
  const blockScalar = (pos: number, line: number, owner: number): Parsed => {
    const e = lineEnd[line] as number;
    const folded = text.charCodeAt(pos) === 62;
    let i = pos + 1;
    let strip = false;
    if (text.charCodeAt(i) === 45) {
      strip = true;
      i++;
    }
    if (i !== e) bail('block scalar header');
    let k = line + 1;
    // the first non-blank line sets the indentation
    const first = nextNonBlank(k);
    if (first >= L) bail('empty block scalar');
    const indent = lineIndent[first] as number;
    if (indent <= owner) bail('empty block scalar');
    const lines: string[] = [];
    for (let b = k; b < first; b++) {
      if ((lineEnd[b] as number) - (lineStart[b] as number) > 0) bail('spaces before');
      if (folded) bail('folded scalar with leading blank lines');
      lines.push('');
    }
    let lastContent = first;
    for (k = first; k < L; k++) {
      const len = (lineEnd[k] as number) - (lineStart[k] as number);
      if (lineKind[k] === enum_BLANK) {
        if (len > indent) bail('blank line with extra spaces');
        lines.push('');
        continue;
      }
      if ((lineIndent[k] as number) < indent) break;
      if (folded && (lineIndent[k] as number) > indent) bail('more indented folded line');
      lines.push(text.slice((lineStart[k] as number) + indent, lineEnd[k] as number));
      lastContent = k;
    }
    // trailing blank lines
    const contentLines = lines.slice(0, lastContent - line);
    for (let b = lastContent + 1; b < k; b++)
      if ((lineEnd[b] as number) - (lineStart[b] as number) > 0) bail('trailing spaces');
    let value: string;
    if (folded) {
      value = '';
      let pendingBreaks = 0;
      let started = false;
      for (const l of contentLines) {
        if (l === '') {
          pendingBreaks++;
          continue;
        }
        if (started) value += pendingBreaks > 0 ? '\n'.repeat(pendingBreaks) : ' ';
        value += l;
        started = true;
        pendingBreaks = 0;
      }
    } else {
      value = contentLines.join('\n');
    }
    if (!strip) value += '\n';
    const end = (lineEnd[lastContent] as number) + 1;
    // a comment line right after that is deeper than the owner: not handled here
    const after = nextNonBlank(lastContent + 1);
    if (after < L && lineKind[after] === enum_COMMENT && (lineIndent[after] as number) > owner)
      bail('comment after block');
    const scalar = stringScalar(value, folded ? 'BLOCK_FOLDED' : 'BLOCK_LITERAL');
    scalar.range = [pos, end, end];
    return { node: scalar, end, next: lastContent + 1 };
  };

  /**
   * A value that starts on the same line, at pos (after "key: " or "- "). `owner` is the indentation of the holding
   * collection; `seqItem` when the value is a sequence entry (a compact mapping may start there).
   */
  const inlineValue = (pos: number, line: number, owner: number, seqItem: boolean): Parsed => {
    const c = text.charCodeAt(pos);
    if (c === 124 || c === 62) return blockScalar(pos, line, owner);
    if (c === 91 || c === 123) {
      const { node, valueEnd } = flow(pos, line);
      const { end, next } = finishLine(valueEnd, line, owner);
      node.range = [pos, valueEnd, end];
      continuationCheck(line, owner);
      return { node, end, next };
    }
    if (c === 39 || c === 34) {
      const { scalar, valueEnd } = quoted(pos, line);
      // a quoted key of a compact mapping
      if (text.charCodeAt(valueEnd) === 58) {
        if (!seqItem) bail('colon after quoted value');
        return blockMap(line, pos - (lineStart[line] as number), pos);
      }
      const { end, next } = finishLine(valueEnd, line, owner);
      scalar.range = [pos, valueEnd, end];
      continuationCheck(line, owner);
      return { node: scalar, end, next };
    }
    if (c === 45 && text.charCodeAt(pos + 1) === 32) bail('nested sequence');
    if (PLAIN_START_BAD.has(text[pos] as string) && !plainDash(pos)) bail('indicator');
    // a plain scalar, or (in a sequence entry) the key of a compact mapping
    if (seqItem && keyColon(pos, line) >= 0) return blockMap(line, pos - (lineStart[line] as number), pos);
    const valueEnd = plainEnd(pos, line);
    const scalar = resolvePlain(text.slice(pos, valueEnd), false);
    const { end, next } = finishLine(valueEnd, line, owner);
    scalar.range = [pos, valueEnd, end];
    continuationCheck(line, owner);
    return { node: scalar, end, next };
  };

  /** "-x", "?x" and ":x" start plain scalars (the indicator is not followed by a space). */
  const plainDash = (pos: number): boolean => {
    const c = text.charCodeAt(pos);
    const d = text.charCodeAt(pos + 1);
    return (c === 45 || c === 63 || c === 58) && d !== 32 && d !== 10 && !Number.isNaN(d);
  };

  /** The offset of the ':' of a plain implicit key starting at pos, or -1. */
  const keyColon = (pos: number, line: number): number => {
    const e = lineEnd[line] as number;
    for (let i = pos; i < e; i++) {
      const c = text.charCodeAt(i);
      if (c === 58 && (i + 1 === e || text.charCodeAt(i + 1) === 32)) return i;
      if (c === 32 && text.charCodeAt(i + 1) === 35) return -1;
    }
    return -1;
  };

  /** A value that starts on a following line (after "key:" at the end of a line), or an empty value. */
  const valueBelow = (afterColon: number, line: number, mapIndent: number): Parsed => {
    const e = lineEnd[line] as number;
    if (afterColon !== e) bail('comment or space after key');
    const k = nextContent(line + 1);
    for (let j = line + 1; j < k; j++) if (lineKind[j] === enum_COMMENT) bail('comment before nested value');
    if (k < L) {
      const ind = lineIndent[k] as number;
      const at = (lineStart[k] as number) + ind;
      const isSeq = text.charCodeAt(at) === 45 && (text.charCodeAt(at + 1) === 32 || at + 1 === lineEnd[k]);
      if (ind > mapIndent) {
        if (isSeq) return blockSeq(k, ind);
        if (keyColon(at, k) >= 0 || text.charCodeAt(at) === 34 || text.charCodeAt(at) === 39) {
          return blockMap(k, ind, at);
        }
        bail('scalar on the next line');
      }
      if (ind === mapIndent && isSeq) return blockSeq(k, ind, true);
    }
    // empty value: a null scalar right after the colon
    const scalar = resolvePlain('', false);
    scalar.range = [afterColon, afterColon, afterColon];
    return { node: scalar, end: afterColon, next: line + 1 };
  };

  /**
   * Trailing comment lines of a collection at its own indentation (after its last entry, before a shallower line):
   * the collection's range[2].
   */
  const trailingComments = (from: number, indent: number): { end: number | undefined; next: number } => {
    let end: number | undefined;
    let shallow = false;
    let blankAfter = false;
    let k = from;
    for (; k < L && lineKind[k] !== enum_CONTENT; k++) {
      if (lineKind[k] !== enum_COMMENT) {
        if (end !== undefined) blankAfter = true;
        continue;
      }
      const ci = lineIndent[k] as number;
      if (ci === indent) {
        if (shallow) bail('mixed comment indentation');
        end = (lineEnd[k] as number) + 1;
        blankAfter = false;
      } else if (ci > indent) bail('deep comment at the end of a collection');
      else {
        if (end !== undefined) bail('shallow comment after a trailing one');
        shallow = true;
      }
    }
    if (end !== undefined) {
      if (k < L) {
        if ((lineIndent[k] as number) >= indent) bail('comment then content');
        // yaml ends the collection where the next content starts (after that line's indentation)
        end = (lineStart[k] as number) + (lineIndent[k] as number);
      } else if (blankAfter) bail('blank lines after a trailing comment at the end');
    }
    return { end, next: end === undefined ? from : k };
  };

  /** A block mapping whose first key is at pos on `line`, at column `indent`. */
  const blockMap = (line: number, indent: number, pos: number, root = false): Parsed => {
    const map = make.map();
    const keys = new Set<unknown>();
    let offset = pos;
    let k = line;
    let at = pos;
    for (;;) {
      // a key
      const c = text.charCodeAt(at);
      let keyNode: Scalar;
      let colon: number;
      if (c === 39 || c === 34) {
        const q = quoted(at, k);
        keyNode = q.scalar;
        colon = q.valueEnd;
        if (text.charCodeAt(colon) !== 58) bail('quoted key without colon');
        keyNode.range = [at, colon, colon];
      } else {
        if (PLAIN_START_BAD.has(text[at] as string) && !plainDash(at)) bail('key indicator');
        colon = keyColon(at, k);
        if (colon < 0) bail('not a key');
        let ke = colon;
        while (text.charCodeAt(ke - 1) === 32) ke--;
        if (ke !== colon) bail('space before colon');
        const src = text.slice(at, ke);
        if (src === '<<') bail('merge key');
        keyNode = resolvePlain(src, true);
        keyNode.range = [at, ke, ke];
      }
      const kv = keyNode.value;
      if (keys.has(kv) || (typeof kv === 'number' && Number.isNaN(kv))) bail('duplicate key');
      keys.add(kv);
      const e = lineEnd[k] as number;
      let value: Parsed;
      if (colon + 1 === e) value = valueBelow(colon + 1, k, indent);
      else {
        if (text.charCodeAt(colon + 1) !== 32) bail('no space after colon');
        let v = colon + 1;
        while (v < e && text.charCodeAt(v) === 32) v++;
        if (v === e) bail('trailing space after key');
        if (text.charCodeAt(v) === 35) bail('comment after key');
        value = inlineValue(v, k, indent, false);
      }
      map.items.push(make.pair(keyNode, value.node));
      offset = value.end;
      // the next entry
      const nk = nextContent(value.next);
      if (nk < L && (lineIndent[nk] as number) === indent) {
        const nat = (lineStart[nk] as number) + indent;
        if (text.charCodeAt(nat) === 45 && (text.charCodeAt(nat + 1) === 32 || nat + 1 === lineEnd[nk])) {
          bail("sequence entry at a mapping's indentation");
        }
        k = nk;
        at = nat;
        continue;
      }
      if (nk < L && (lineIndent[nk] as number) > indent) bail('deeper line after a value');
      return finishCollection(map, pos, offset, value.next, indent, nk, root);
    }
  };

  const finishCollection = (
    node: YAMLMap | YAMLSeq,
    start: number,
    offset: number,
    from: number,
    indent: number,
    nextContentLine: number,
    root = false,
  ): Parsed => {
    // the document, not the root mapping, holds comments after the root's last entry
    const { end: commentEnd, next } = root ? { end: undefined, next: from } : trailingComments(from, indent);
    node.range = [start, offset, commentEnd ?? offset];
    if (nextContentLine < L && (lineIndent[nextContentLine] as number) > indent) bail('deeper line');
    return { node, end: commentEnd ?? offset, next };
  };

  /** A block sequence whose first "- " is on `line` at column `indent`. */
  const blockSeq = (line: number, indent: number, atParentIndent = false): Parsed => {
    const seq = make.seq();
    const start = (lineStart[line] as number) + indent;
    let k = line;
    let offset = start;
    for (;;) {
      const dash = (lineStart[k] as number) + indent;
      const e = lineEnd[k] as number;
      if (dash + 1 === e) bail('empty sequence entry');
      let v = dash + 1;
      while (v < e && text.charCodeAt(v) === 32) v++;
      if (v === e) bail('empty sequence entry');
      if (text.charCodeAt(v) === 35) bail('comment in sequence entry');
      if (v !== dash + 2) bail('extra spaces after dash');
      const value = inlineValue(v, k, indent, true);
      seq.items.push(value.node);
      offset = value.end;
      const nk = nextContent(value.next);
      if (nk < L && (lineIndent[nk] as number) === indent) {
        const nat = (lineStart[nk] as number) + indent;
        if (text.charCodeAt(nat) === 45 && (text.charCodeAt(nat + 1) === 32 || nat + 1 === lineEnd[nk])) {
          k = nk;
          continue;
        }
      }
      if (nk < L && (lineIndent[nk] as number) > indent) bail('deeper line after an entry');
      const done = finishCollection(seq, start, offset, value.next, indent, nk);
      // comments after a sequence at its mapping's indentation: whose they are is not worked out here
      if (atParentIndent && done.end !== offset) bail("comment after a sequence at its mapping's indentation");
      return done;
    }
  };

  const first = nextContent(0);
  if (first >= L) bail('no content');
  if ((lineIndent[first] as number) !== 0) bail('indented root');
  const at = lineStart[first] as number;
  if (text.charCodeAt(at) === 45) bail('root sequence');
  const root = blockMap(first, 0, at, true);
  if (nextContent(root.next) < L) bail('content after the root');
  return root.node;
}
