import type { Finding } from './engine.ts';
import { countNewlines } from './wasm-sampler.ts';

/**
 * Byte offsets → 1-based line and column. Columns count UTF-16 code units (SARIF's default `columnKind`, and what
 * editors show for most text); `endColumn` is exclusive. A finding that spans lines (a PEM block) gets `endLine`.
 */
export interface Location {
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

export interface LocatedFinding extends Location {
  readonly rule: string;
}

/** UTF-16 code units in a UTF-8 byte range (a 4-byte sequence is a surrogate pair). */
function units(bytes: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const b = bytes[i] as number;
    if ((b & 0xc0) !== 0x80) n += b >= 0xf0 ? 2 : 1;
  }
  return n;
}

/**
 * Locates findings in a stream of chunks (the same bytes that were scanned), reading only as far as the last finding.
 * Findings may come in any order.
 */
export async function locate(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  findings: readonly Finding[],
): Promise<LocatedFinding[]> {
  if (findings.length === 0) return [];
  // Every boundary we need a position for: starts and ends.
  const targets = [...new Set(findings.flatMap((f) => [f.start, f.end]))].sort((a, b) => a - b);
  const positions = new Map<number, { line: number; column: number }>();
  let line = 1;
  let column = 1;
  let offset = 0;
  let t = 0;
  for await (const chunk of chunks) {
    const end = offset + chunk.length;
    let cursor = 0; // index in chunk up to which line/column are accounted for
    // Line and column at `at`, from those at `cursor`: the line breaks in between are counted (WebAssembly), and the
    // column restarts after the last of them.
    const advance = (at: number) => {
      const breaks = countNewlines(chunk, cursor, at);
      if (breaks > 0) {
        line += breaks;
        column = 1;
        cursor = chunk.lastIndexOf(0x0a, at - 1) + 1;
      }
      column += units(chunk, cursor, at);
      cursor = at;
    };
    while (t < targets.length && (targets[t] as number) <= end) {
      advance((targets[t] as number) - offset);
      positions.set(targets[t] as number, { line, column });
      t++;
    }
    if (t >= targets.length) break;
    advance(chunk.length);
    offset = end;
  }
  return findings.map((f) => {
    const start = positions.get(f.start) ?? { line, column };
    const stop = positions.get(f.end) ?? { line, column };
    return { rule: f.rule, line: start.line, column: start.column, endLine: stop.line, endColumn: stop.column };
  });
}

/** Synchronous {@link locate} for a buffer. */
export function locateBuffer(data: Uint8Array, findings: readonly Finding[]): LocatedFinding[] {
  const targets = [...new Set(findings.flatMap((f) => [f.start, f.end]))].sort((a, b) => a - b);
  const positions = new Map<number, { line: number; column: number }>();
  let line = 1;
  let lineStart = 0;
  let counted = 0;
  for (const target of targets) {
    const breaks = countNewlines(data, counted, target);
    if (breaks > 0) {
      line += breaks;
      lineStart = data.lastIndexOf(0x0a, target - 1) + 1;
    }
    counted = target;
    let column = 1;
    for (let i = lineStart; i < target; i++) {
      const b = data[i] as number;
      if ((b & 0xc0) !== 0x80) column += b >= 0xf0 ? 2 : 1;
    }
    positions.set(target, { line, column });
  }
  return findings.map((f) => {
    const start = positions.get(f.start) as { line: number; column: number };
    const end = positions.get(f.end) as { line: number; column: number };
    return { rule: f.rule, line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
  });
}
