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
 * Line and column of increasing offsets, from the bytes before them given in order, chunk by chunk: the line breaks
 * between two targets are counted (WebAssembly) and the column restarts after the last of them, so each byte is
 * looked at about once however long the lines are.
 */
class Locator {
  readonly #targets: readonly number[];
  readonly #positions = new Map<number, { line: number; column: number }>();
  #line = 1;
  #column = 1;
  #offset = 0;
  #t = 0;

  constructor(findings: readonly Finding[]) {
    this.#targets = [...new Set(findings.flatMap((f) => [f.start, f.end]))].sort((a, b) => a - b);
  }

  /** The next chunk of bytes; returns false once every target is placed (the rest need not be read). */
  feed(chunk: Uint8Array): boolean {
    const targets = this.#targets;
    const end = this.#offset + chunk.length;
    let cursor = 0; // index in chunk up to which line/column are accounted for
    const advance = (at: number) => {
      const breaks = countNewlines(chunk, cursor, at);
      if (breaks > 0) {
        this.#line += breaks;
        this.#column = 1;
        cursor = chunk.lastIndexOf(0x0a, at - 1) + 1;
      }
      this.#column += units(chunk, cursor, at);
      cursor = at;
    };
    while (this.#t < targets.length && (targets[this.#t] as number) <= end) {
      const target = targets[this.#t] as number;
      advance(target - this.#offset);
      this.#positions.set(target, { line: this.#line, column: this.#column });
      this.#t++;
    }
    if (this.#t >= targets.length) return false;
    advance(chunk.length);
    this.#offset = end;
    return true;
  }

  /** The findings located (a target past the end of the bytes given is placed at their end). */
  located(findings: readonly Finding[]): LocatedFinding[] {
    const last = { line: this.#line, column: this.#column };
    return findings.map((f) => {
      const start = this.#positions.get(f.start) ?? last;
      const stop = this.#positions.get(f.end) ?? last;
      return { rule: f.rule, line: start.line, column: start.column, endLine: stop.line, endColumn: stop.column };
    });
  }
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
  const locator = new Locator(findings);
  for await (const chunk of chunks) if (!locator.feed(chunk)) break;
  return locator.located(findings);
}

/** Synchronous {@link locate} for a buffer. */
export function locateBuffer(data: Uint8Array, findings: readonly Finding[]): LocatedFinding[] {
  if (findings.length === 0) return [];
  const locator = new Locator(findings);
  locator.feed(data);
  return locator.located(findings);
}
