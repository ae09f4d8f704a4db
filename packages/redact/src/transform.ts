import { Transform, type TransformCallback } from 'node:stream';
import type { Finding, RedactionStream, Redactor } from './engine.ts';

/**
 * A Node stream over a {@link RedactionStream}: bytes in, redacted bytes out. When input pauses for `idleMs` (an
 * interactive program printing a prompt), what can be released is released, so output stays timely; what could be
 * the beginning of a secret stays held until more input or the end.
 */
export const DEFAULT_IDLE_MS = 200;

export interface RedactTransformOptions {
  /** Release held bytes after this many milliseconds without input (default 200; 0 disables). */
  readonly idleMs?: number;
  /** Called for each redaction, with absolute byte offsets; never the value. */
  readonly onFinding?: (finding: Finding) => void;
}

export class RedactTransform extends Transform {
  readonly redaction: RedactionStream;
  readonly #idleMs: number;
  #timer: NodeJS.Timeout | undefined;
  /** Whether the last byte written out was a newline (or nothing was written). */
  endsWithNewline = true;

  constructor(redactor: Redactor, options: RedactTransformOptions = {}) {
    super();
    this.redaction = redactor.stream(options.onFinding ?? (() => {}));
    this.#idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  }

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#clearTimer();
    try {
      this.#out(this.redaction.write(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk));
    } catch (error) {
      callback(error as Error);
      return;
    }
    if (this.redaction.pending > 0 && this.#idleMs > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#out(this.redaction.idle());
      }, this.#idleMs);
      this.#timer.unref();
    }
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.#clearTimer();
    this.#out(this.redaction.end());
    callback();
  }

  override _destroy(error: Error | null, callback: (error: Error | null) => void): void {
    this.#clearTimer();
    callback(error);
  }

  #out(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.endsWithNewline = bytes[bytes.length - 1] === 0x0a;
    this.push(bytes);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
