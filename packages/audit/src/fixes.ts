import type { YAMLMap } from 'yaml';
import type { Finding, TextEdit } from './finding.ts';
import { pairs, type SourceFile, spanOfNode } from './source/yaml.ts';

/**
 * Safe fixes edit the source text at node positions instead of re-serialising the YAML, so comments, quoting, blank
 * lines and key order are kept exactly as the author wrote them.
 */

function eolOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** The offset of the start of the line after the one holding `offset`. */
function nextLineStart(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  return nl < 0 ? text.length : nl + 1;
}

/** The column (0-based) of the first key of a block mapping, or undefined for flow mappings and empty ones. */
export function blockIndent(file: SourceFile, map: YAMLMap): number | undefined {
  if (map.flow) return undefined;
  const first = pairs(map)[0];
  if (first === undefined) return undefined;
  return file.position(spanOfNode(first.keyNode).start).column - 1;
}

/**
 * Insert lines as new entries at the end of a block mapping (after its last entry, before whatever follows).
 * `lines` are written at the mapping's indentation; nested lines carry their own extra indentation.
 */
export function appendToMap(file: SourceFile, map: YAMLMap, lines: readonly string[]): TextEdit | undefined {
  const indent = blockIndent(file, map);
  if (indent === undefined) return undefined;
  const last = pairs(map).at(-1);
  if (last === undefined) return undefined;
  const end = last.value?.range ? last.value.range[1] : spanOfNode(last.keyNode).end;
  return insertLinesAt(file, end, indent, lines);
}

/** Insert lines after the entry `key` of a block mapping (or after its last entry when `key` is absent). */
export function insertAfterKey(
  file: SourceFile,
  map: YAMLMap,
  key: string,
  lines: readonly string[],
): TextEdit | undefined {
  const indent = blockIndent(file, map);
  if (indent === undefined) return undefined;
  const entry = pairs(map).find((p) => p.key === key);
  if (entry === undefined) return appendToMap(file, map, lines);
  const end = entry.value?.range ? entry.value.range[1] : spanOfNode(entry.keyNode).end;
  return insertLinesAt(file, end, indent, lines);
}

function insertLinesAt(file: SourceFile, valueEnd: number, indent: number, lines: readonly string[]): TextEdit {
  const text = file.text;
  const eol = eolOf(text);
  // A block scalar's value ends at the start of the following line already; anything else ends mid-line.
  const at = valueEnd > 0 && text[valueEnd - 1] === '\n' ? valueEnd : nextLineStart(text, valueEnd);
  const pad = ' '.repeat(indent);
  const body = lines.map((l) => `${pad}${l}${eol}`).join('');
  const needsNewline = at === text.length && text.length > 0 && !text.endsWith('\n');
  return { start: at, end: at, text: needsNewline ? `${eol}${body}` : body };
}

/** Insert whole lines before the line holding `offset`. */
export function insertLinesBefore(file: SourceFile, offset: number, lines: readonly string[]): TextEdit {
  const eol = eolOf(file.text);
  const at = file.lineStart(file.position(offset).line);
  return { start: at, end: at, text: lines.map((l) => `${l}${eol}`).join('') };
}

/** Apply edits (non-overlapping; later conflicting edits are dropped) and return the new text and what was applied. */
export function applyEdits(text: string, edits: readonly TextEdit[]): { text: string; applied: TextEdit[] } {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  const applied: TextEdit[] = [];
  let lastEnd = -1;
  let lastInsertAt = -1;
  for (const e of sorted) {
    if (e.start < lastEnd) continue; // overlaps the previous edit
    if (e.start === e.end && e.start === lastInsertAt) continue; // two insertions at one point: keep the first
    applied.push(e);
    lastEnd = e.end;
    if (e.start === e.end) lastInsertAt = e.start;
  }
  let out = '';
  let cursor = 0;
  for (const e of applied) {
    out += text.slice(cursor, e.start) + e.text;
    cursor = e.end;
  }
  out += text.slice(cursor);
  return { text: out, applied };
}

/**
 * The fixes of some findings for one file, as a whole: edits of different findings that overlap are dropped (the
 * first wins) and the finding they belong to is reported as not fixed.
 */
export function fixFile(
  text: string,
  findings: readonly Finding[],
): { text: string; fixed: Finding[]; skipped: Finding[] } {
  const fixed: Finding[] = [];
  const skipped: Finding[] = [];
  const accepted: TextEdit[] = [];
  const overlaps = (a: TextEdit, b: TextEdit) =>
    (a.start < b.end && b.start < a.end) || (a.start === a.end && b.start === b.end && a.start === b.start);
  for (const f of findings) {
    if (f.fix === undefined) continue;
    const edits = f.fix.edits;
    if (edits.some((e) => accepted.some((a) => overlaps(a, e)))) {
      skipped.push(f);
      continue;
    }
    accepted.push(...edits);
    fixed.push(f);
  }
  return { text: applyEdits(text, accepted).text, fixed, skipped };
}

/** A unified diff of two texts (3 lines of context), `--- a/path` / `+++ b/path`. */
export function unifiedDiff(path: string, before: string, after: string, context = 3): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = diffLines(a, b);
  const changed = ops.flatMap((o, k) => (o.kind === ' ' ? [] : [k]));
  const groups: Array<[number, number]> = [];
  for (const k of changed) {
    const last = groups.at(-1);
    if (last !== undefined && k - last[1] - 1 <= 2 * context) last[1] = k;
    else groups.push([k, k]);
  }
  const hunks = groups.map(([first, lastChange]) => {
    const slice = ops.slice(Math.max(0, first - context), Math.min(ops.length, lastChange + context + 1));
    const aCount = slice.filter((o) => o.kind !== '+').length;
    const bCount = slice.filter((o) => o.kind !== '-').length;
    const aStart = (slice.find((o) => o.kind !== '+')?.aLine ?? (slice[0]?.aLine ?? 0) - 1) + 1;
    const bStart = (slice.find((o) => o.kind !== '-')?.bLine ?? (slice[0]?.bLine ?? 0) - 1) + 1;
    return `@@ -${aStart},${aCount} +${bStart},${bCount} @@\n${slice.map((o) => `${o.kind}${o.text}\n`).join('')}`;
  });
  const name = path.replace(/^\/+/, '');
  return `--- a/${name}\n+++ b/${name}\n${hunks.join('')}`;
}

interface Op {
  readonly kind: ' ' | '-' | '+';
  readonly text: string;
  readonly aLine: number;
  readonly bLine: number;
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((l) => l.replace(/\r$/, ''));
}

/** Line diff by longest common subsequence, after trimming the common prefix and suffix (edits are small). */
function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < a.length - prefix &&
    suffix < b.length - prefix &&
    a[a.length - 1 - suffix] === b[b.length - 1 - suffix]
  )
    suffix++;
  const am = a.slice(prefix, a.length - suffix);
  const bm = b.slice(prefix, b.length - suffix);
  const ops: Op[] = [];
  for (let k = 0; k < prefix; k++) ops.push({ kind: ' ', text: a[k] as string, aLine: k, bLine: k });
  const n = am.length;
  const m = bm.length;
  if (n * m > 4_000_000) {
    // too large for the table: show a replacement
    for (const [k, t] of am.entries()) ops.push({ kind: '-', text: t, aLine: prefix + k, bLine: prefix });
    for (const [k, t] of bm.entries()) ops.push({ kind: '+', text: t, aLine: prefix + n, bLine: prefix + k });
  } else {
    const table = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let x = n - 1; x >= 0; x--) {
      for (let y = m - 1; y >= 0; y--) {
        (table[x] as Uint32Array)[y] =
          am[x] === bm[y]
            ? ((table[x + 1] as Uint32Array)[y + 1] as number) + 1
            : Math.max((table[x + 1] as Uint32Array)[y] as number, (table[x] as Uint32Array)[y + 1] as number);
      }
    }
    let x = 0;
    let y = 0;
    while (x < n || y < m) {
      if (x < n && y < m && am[x] === bm[y]) {
        ops.push({ kind: ' ', text: am[x] as string, aLine: prefix + x, bLine: prefix + y });
        x++;
        y++;
      } else if (
        y < m &&
        (x >= n || ((table[x] as Uint32Array)[y + 1] as number) > ((table[x + 1] as Uint32Array)[y] as number))
      ) {
        ops.push({ kind: '+', text: bm[y] as string, aLine: prefix + x, bLine: prefix + y });
        y++;
      } else {
        ops.push({ kind: '-', text: am[x] as string, aLine: prefix + x, bLine: prefix + y });
        x++;
      }
    }
  }
  for (let k = 0; k < suffix; k++) {
    const ai = a.length - suffix + k;
    const bi = b.length - suffix + k;
    ops.push({ kind: ' ', text: a[ai] as string, aLine: ai, bLine: bi });
  }
  return ops;
}
