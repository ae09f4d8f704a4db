import { ACCEPT_FLAG, type Automaton, type AutomatonPattern, buildAutomaton, STATE_MASK } from './automaton.ts';
import { LiteralIndex, LONG_LITERAL_MIN } from './literals.ts';
import { PREFILTER_MIN_PATTERN, Prefilter, type PrefilterSeek } from './prefilter.ts';
import { acceptSecret, type CompiledRule, compileRules, keywordVariants, RULES, type RuleSpec } from './rules.ts';
import { DEFAULT_MIN_LENGTH, secretVariants } from './variants.ts';
import { createSampler } from './wasm-sampler.ts';

/**
 * The redaction engine: registered secrets (with every variant) and rules for unknown secrets, applied to a byte
 * stream in one pass.
 *
 * A {@link Redactor} is compiled once and is immutable; each stream of output (a command's stdout, its stderr, a file)
 * gets its own {@link RedactionStream}. A stream never emits a byte that could begin a secret until it knows that it
 * does not:
 *
 * - the automaton's depth says how many trailing bytes could still begin a registered variant or a rule keyword: those
 *   are held back (at most the longest pattern);
 * - after a keyword, the bytes from the keyword on are held until the rule's window is decided: at the end of the
 *   line, when the window is full, or at the end of the stream (a PEM block is held until its footer, at most
 *   64 KiB);
 * - a redacted range is emitted whole, as one `***` (overlapping matches merged, like the runner) or
 *   `[REDACTED:<rule-id>]`;
 * - output is cut only at UTF-8 character boundaries, so every emitted chunk of valid UTF-8 input is valid UTF-8.
 *
 * When output pauses (an interactive program waiting for input), {@link RedactionStream.idle} releases what is held
 * unless it is a partial match of 8 bytes or more of a registered variant, or a rule window whose data still ends in
 * a byte that could continue the secret. Everything else is released at the end of the stream.
 */
export const REGISTERED_RULE = 'registered-secret';
/** A partial match of a registered variant at least this long is not released when output pauses. */
export const IDLE_HOLD_BYTES = 8;
const HISTORY_BYTES = 1024;
const EMPTY = Buffer.alloc(0);
const NEWLINE = 0x0a;

export type Replacement = 'mask' | 'rule';

export interface KnownSecret {
  readonly value: string;
  /** Where the secret came from, for reports: `secrets line 2`, `env NPM_TOKEN`. Never the value. */
  readonly source: string;
}

export interface SkippedSecret {
  readonly source: string;
  readonly length: number;
  readonly reason: 'shorter than the minimum length';
}

export interface RedactorOptions {
  readonly secrets?: readonly (KnownSecret | string)[];
  /** Minimum length of a secret or variant to be masked (default 4). */
  readonly minLength?: number;
  /** Rules for unknown secrets: all of them (default), none (`false`), or a given set. */
  readonly rules?: boolean | readonly RuleSpec[];
  readonly replacement?: Replacement;
  /**
   * Find the patterns through the skip-based prefilter where they allow it (default true); false steps the automaton
   * over every byte (the reference the prefilter is tested against).
   */
  readonly prefilter?: boolean;
}

/** A redacted span: absolute byte offsets in the stream, end exclusive. Never the value. */
export interface Finding {
  readonly rule: string;
  readonly start: number;
  readonly end: number;
}

interface Range {
  start: number;
  end: number;
  readonly rule: string;
  readonly priority: number;
}

interface Window {
  readonly kwStart: number;
  readonly kwLength: number;
  readonly rule: CompiledRule;
  /** For blocks: where the body starts once the header matched. */
  bodyStart?: number;
  /** For blocks: body bytes up to here are known to be allowed body bytes. */
  checked?: number;
}

/** Walks the automaton over buf[from…to) from `state`, ignoring outputs (a warm-up). */
function walk(a: Automaton, buf: Uint8Array, from: number, to: number, state: number): number {
  const { delta, classOf } = a;
  const mask = STATE_MASK;
  let s = state;
  for (let i = from; i < to; i++) s = delta[(s & mask) + (classOf[buf[i] as number] as number)] as number;
  return s;
}

/** Bytes per interleaved walk in one call of {@link scan4}; the events buffer holds an event for each of them. */
const SEGMENT = 16_384;
/** New bytes from which a write goes through the prefilter instead of stepping the automaton over every byte. */
const FAST_MIN = 512;

/**
 * The hot loop: four interleaved walks over buf[from…from+4·seg), their states in `state[0..3]` (in and out).
 * Whenever one of them reaches an output, the position and the four states go to `events` (5 numbers); there is
 * room for one per position, so the loop has no other exit (V8 keeps such a loop tight). Returns the numbers written.
 */
function scan4(
  delta: Int32Array,
  classOf: Uint8Array,
  buf: Uint8Array,
  from: number,
  seg: number,
  state: Int32Array,
  events: Int32Array,
): number {
  const mask = STATE_MASK;
  const flag = ACCEPT_FLAG;
  const b1 = from;
  const b2 = b1 + seg;
  const b3 = b2 + seg;
  const b4 = b3 + seg;
  let s1 = state[0] as number;
  let s2 = state[1] as number;
  let s3 = state[2] as number;
  let s4 = state[3] as number;
  let k = 0;
  for (let i = 0; i < seg; i++) {
    s1 = delta[(s1 & mask) + (classOf[buf[b1 + i] as number] as number)] as number;
    s2 = delta[(s2 & mask) + (classOf[buf[b2 + i] as number] as number)] as number;
    s3 = delta[(s3 & mask) + (classOf[buf[b3 + i] as number] as number)] as number;
    s4 = delta[(s4 & mask) + (classOf[buf[b4 + i] as number] as number)] as number;
    if (((s1 | s2 | s3 | s4) & flag) !== 0) {
      events[k] = i;
      events[k + 1] = s1;
      events[k + 2] = s2;
      events[k + 3] = s3;
      events[k + 4] = s4;
      k += 5;
    }
  }
  state[0] = s1;
  state[1] = s2;
  state[2] = s3;
  state[3] = s4;
  return k;
}

/**
 * A keyword's seek for the prefilter: the one its rules all declare (RuleSpec.seek), whose keyword hits the prefilter
 * may then drop where every rule's precheck would; none when a rule declares none or they differ.
 */
function keywordSeek(rules: readonly CompiledRule[], keyword: Uint8Array): PrefilterSeek | undefined {
  const first = rules[0]?.spec.seek;
  if (first === undefined) return undefined;
  for (const rule of rules) {
    const seek = rule.spec.seek;
    if (
      seek === undefined ||
      seek.targets !== first.targets ||
      seek.stops !== first.stops ||
      seek.limit !== first.limit
    )
      return undefined;
  }
  return { skip: keyword.length, ...first };
}

export class Redactor {
  readonly automaton: Automaton;
  /** The skip-based prefilter over the automaton's patterns, when every pattern is long enough for it. */
  readonly prefilter: Prefilter | undefined;
  /** Registered variants of LONG_LITERAL_MIN bytes and more (the rest are in the automaton). */
  readonly literals: LiteralIndex | undefined;
  readonly rules: readonly CompiledRule[];
  readonly replacement: Replacement;
  readonly minLength: number;
  /** Secrets not masked because they are too short (reported, never the value). */
  readonly skipped: readonly SkippedSecret[];
  /** How many secrets are registered. */
  readonly secretCount: number;
  readonly #variants: readonly string[];
  /** keyword id → rules it starts. */
  readonly keywordRules: readonly (readonly CompiledRule[])[];
  /** The most bytes a stream may hold back. */
  readonly maxHold: number;

  constructor(options: RedactorOptions = {}) {
    this.minLength = options.minLength ?? DEFAULT_MIN_LENGTH;
    this.replacement = options.replacement ?? 'mask';
    const specs =
      options.rules === false ? [] : options.rules === true || options.rules === undefined ? RULES : options.rules;
    this.rules = compileRules(specs);
    const patterns: AutomatonPattern[] = [];
    const skipped: SkippedSecret[] = [];
    const variants = new Set<string>();
    let count = 0;
    const seen = new Set<string>();
    for (const [index, entry] of (options.secrets ?? []).entries()) {
      const secret = typeof entry === 'string' ? { value: entry, source: `secret ${index + 1}` } : entry;
      if (secret.value === '' || seen.has(secret.value)) continue;
      seen.add(secret.value);
      const forms = secretVariants(secret.value, { minLength: this.minLength });
      if (forms.length === 0) {
        skipped.push({ source: secret.source, length: secret.value.length, reason: 'shorter than the minimum length' });
        continue;
      }
      count++;
      for (const form of forms) variants.add(form.text);
    }
    const long: Buffer[] = [];
    for (const text of variants) {
      const bytes = Buffer.from(text, 'utf8');
      if (bytes.length >= LONG_LITERAL_MIN) long.push(bytes);
      else patterns.push({ bytes, kind: 'literal', id: 0 });
    }
    // One WebAssembly memory for both samplers: the long-literal samples of the bytes the prefilter has copied in are
    // taken from its copy (RedactionStream.#scan), so each byte is copied into WebAssembly once, not twice.
    const sampler = createSampler();
    this.literals = long.length === 0 ? undefined : new LiteralIndex(long, sampler);
    const keywordIds = new Map<string, number>();
    const keywordRules: CompiledRule[][] = [];
    for (const rule of this.rules) {
      for (const keyword of keywordVariants(rule.spec)) {
        let id = keywordIds.get(keyword);
        if (id === undefined) {
          id = keywordRules.length;
          keywordIds.set(keyword, id);
          keywordRules.push([]);
          patterns.push({ bytes: Buffer.from(keyword, 'latin1'), kind: 'keyword', id });
        }
        const list = keywordRules[id] as CompiledRule[];
        if (!list.includes(rule)) list.push(rule);
      }
    }
    this.keywordRules = keywordRules;
    this.automaton = buildAutomaton(patterns);
    this.prefilter =
      options.prefilter !== false &&
      patterns.length > 0 &&
      patterns.every((p) => p.bytes.length >= PREFILTER_MIN_PATTERN)
        ? new Prefilter(
            this.automaton,
            patterns.map((p) => p.bytes),
            sampler,
            patterns.map((p) =>
              p.kind === 'keyword' ? keywordSeek(keywordRules[p.id] as CompiledRule[], p.bytes) : undefined,
            ),
          )
        : undefined;
    this.skipped = skipped;
    this.secretCount = count;
    this.#variants = [...variants];
    this.maxHold = Math.max(
      this.automaton.maxPatternLength,
      this.literals?.maxLength ?? 0,
      ...this.rules.map((r) => (r.spec.block ? r.spec.block.maxBytes + r.spec.window : r.spec.window)),
    );
  }

  /** Every registered variant (for registering with the runner). */
  get variants(): readonly string[] {
    return this.#variants;
  }

  /** A stream of output. Findings go to `onFinding` when given (nothing is kept), else to `stream.findings`. */
  stream(onFinding?: (finding: Finding) => void): RedactionStream {
    return new RedactionStream(this, onFinding);
  }

  /** Redact a whole buffer or string. */
  redact(input: Uint8Array | string): { output: Buffer; findings: Finding[] } {
    const stream = this.stream();
    const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
    const head = stream.write(bytes);
    const tail = stream.end();
    return { output: Buffer.concat([head, tail]), findings: stream.findings };
  }

  redactString(input: string): string {
    return this.redact(input).output.toString('utf8');
  }

  replacementFor(rule: string): string {
    return this.replacement === 'mask' ? '***' : `[REDACTED:${rule}]`;
  }
}

/** One stream of output through a {@link Redactor}. Feed bytes with write(), finish with end(). */
export class RedactionStream {
  readonly #r: Redactor;
  readonly #a: Automaton;
  #buf: Buffer = EMPTY;
  /** Absolute offset of #buf[0]; everything before it has been emitted. */
  #bufStart = 0;
  #state = 0;
  #ranges: Range[] = [];
  #windows: Window[] = [];
  /** The last bytes before #bufStart, for rules that look behind their keyword. */
  #history: Buffer = EMPTY;
  #ended = false;
  /** Next absolute position at which long literals are sampled. */
  #nextSample = 0;
  readonly #hits: number[] = [];
  /** Long-literal candidates whose bytes so far match, waiting for the rest. */
  #candidates: Array<{ readonly pattern: number; readonly start: number }> = [];
  /** Findings, in order of emission (when no `onFinding` callback was given). */
  readonly findings: Finding[] = [];
  readonly #onFinding: (finding: Finding) => void;
  /** Bytes read and bytes written so far. */
  bytesIn = 0;
  bytesOut = 0;

  constructor(redactor: Redactor, onFinding?: (finding: Finding) => void) {
    this.#r = redactor;
    this.#a = redactor.automaton;
    this.#onFinding = onFinding ?? ((finding) => void this.findings.push(finding));
  }

  /** Bytes held back, not yet emitted. */
  get pending(): number {
    return this.#buf.length;
  }

  write(chunk: Uint8Array): Buffer {
    if (this.#ended) throw new Error('redact: write after end');
    if (chunk.length === 0) return EMPTY;
    this.bytesIn += chunk.length;
    const incoming = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const from = this.#buf.length;
    this.#buf = from === 0 ? incoming : Buffer.concat([this.#buf, incoming]);
    this.#scan(from);
    if (this.#r.literals !== undefined) this.#sampleLiterals(this.#r.literals);
    if (this.#windows.length > 0) this.#evaluate('none');
    return this.#emit('none');
  }

  /**
   * write() for callers that read into their own buffers: the data is buffer[start, end), and the `start` bytes
   * before it are headroom the stream may overwrite, where it puts the bytes it holds back instead of copying the
   * whole chunk after them. The output is views into `buffer` (consume it before reusing the buffer): returned, or
   * given piece by piece to `sink` (then nothing is concatenated, and the empty buffer is returned).
   */
  writeInPlace(buffer: Buffer, start: number, end: number, sink?: (bytes: Buffer) => void): Buffer {
    if (this.#ended) throw new Error('redact: write after end');
    if (end === start) return EMPTY;
    this.bytesIn += end - start;
    const held = this.#buf.length;
    if (held === 0) {
      this.#buf = buffer.subarray(start, end);
    } else if (held <= start) {
      this.#buf.copy(buffer, start - held);
      this.#buf = buffer.subarray(start - held, end);
    } else {
      this.#buf = Buffer.concat([this.#buf, buffer.subarray(start, end)]);
    }
    this.#scan(held);
    if (this.#r.literals !== undefined) this.#sampleLiterals(this.#r.literals);
    if (this.#windows.length > 0) this.#evaluate('none');
    return this.#emit('none', sink);
  }

  /** Output paused: release what cannot be part of a secret in progress. */
  idle(): Buffer {
    if (this.#ended || this.#buf.length === 0) return EMPTY;
    if (this.#windows.length > 0) this.#evaluate('idle');
    return this.#emit('idle');
  }

  /** Flushes everything held; with `sink`, piece by piece (see writeInPlace). */
  end(sink?: (bytes: Buffer) => void): Buffer {
    if (this.#ended) return EMPTY;
    if (this.#windows.length > 0) this.#evaluate('end');
    const out = this.#emit('end', sink);
    this.#ended = true;
    return out;
  }

  /**
   * Runs the automaton over #buf[from…]. Large inputs are walked as four interleaved segments: a walk's state depends
   * only on the last `maxPatternLength` bytes, so segments 2–4 start from the root that many bytes early (their
   * warm-up, whose outputs belong to the segment before) and reach exactly the state a single walk would have. Four
   * independent dependency chains keep the CPU busy where one chain waits on each table load.
   */
  #scan(from: number): void {
    const a = this.#a;
    const buf = this.#buf;
    const n = buf.length;
    const base = this.#bufStart;
    const warm = a.maxPatternLength;
    const mask = STATE_MASK;
    const flag = ACCEPT_FLAG;
    const { delta, classOf } = a;
    let s = this.#state;
    const prefilter = this.#r.prefilter;
    if (prefilter !== undefined && n - from >= Math.max(FAST_MIN, 4 * warm)) {
      // The first `warm` bytes one by one from the carried state (occurrences that began in earlier input end there),
      // the rest through the prefilter (occurrences that start in the new bytes), then the state at the end, which
      // depends only on the last `warm` bytes.
      const head = from + warm;
      for (let i = from; i < head; i++) {
        s = delta[(s & mask) + (classOf[buf[i] as number] as number)] as number;
        if ((s & flag) !== 0) this.#accept(s, base + i + 1);
      }
      // The long-literal samples of the new bytes are taken piece by piece from the prefilter's copy of them in the
      // memory the two share (candidates verified later, in #sampleLiterals, in the same order as without this).
      const literals = this.#r.literals;
      let onPiece: ((pieceBase: number, lo: number, hi: number) => void) | undefined;
      let cursor = 0;
      let m = 0;
      if (literals !== undefined) {
        const k = literals.stride;
        let i = this.#nextSample;
        if (i < base) i += Math.ceil((base - i) / k) * k;
        this.#passStart = i;
        cursor = i - base;
        const hits = this.#passHits;
        const push = (pattern: number, start: number) => {
          hits[m++] = pattern;
          hits[m++] = start;
        };
        onPiece = (pieceBase, lo, hi) => {
          for (; cursor < lo && cursor + 4 <= hi; cursor += k) literals.sample(buf, cursor, push);
          if (cursor + 4 <= hi) {
            m = literals.scanCopied(buf, pieceBase, cursor, hi, hits, m);
            cursor += (Math.floor((hi - 4 - cursor) / k) + 1) * k;
          }
        };
      }
      prefilter.scan(buf, from, n, head, (state, end) => this.#accept(state, base + end), onPiece);
      if (literals !== undefined) {
        this.#passCount = m;
        this.#passEnd = base + cursor;
      }
      this.#state = walk(a, buf, n - warm, n, 0);
      return;
    }
    let at = from;
    // Blocks of four interleaved segments while the input is long enough to be worth the warm-ups.
    const state = this.#scanState;
    const events = this.#events;
    while (n - at >= 4 * SEGMENT && SEGMENT >= 8 * warm) {
      state[0] = s;
      state[1] = walk(a, buf, at + SEGMENT - warm, at + SEGMENT, 0);
      state[2] = walk(a, buf, at + 2 * SEGMENT - warm, at + 2 * SEGMENT, 0);
      state[3] = walk(a, buf, at + 3 * SEGMENT - warm, at + 3 * SEGMENT, 0);
      const k = scan4(delta, classOf, buf, at, SEGMENT, state, events);
      for (let e = 0; e < k; e += 5) {
        const i = events[e] as number;
        for (let c = 0; c < 4; c++) {
          const sc = events[e + 1 + c] as number;
          if ((sc & flag) !== 0) this.#accept(sc, base + at + c * SEGMENT + i + 1);
        }
      }
      s = state[3] as number;
      at += 4 * SEGMENT;
    }
    for (let i = at; i < n; i++) {
      s = delta[(s & mask) + (classOf[buf[i] as number] as number)] as number;
      if ((s & flag) !== 0) this.#accept(s, base + i + 1);
    }
    this.#state = s;
  }

  /** The four walks' states between {@link scan4} calls. */
  readonly #scanState = new Int32Array(4);
  readonly #events = new Int32Array(5 * SEGMENT);

  /** Long-literal candidates found by #scan from the prefilter's copy of the input: samples #passStart ≤ i < #passEnd. */
  readonly #passHits: number[] = [];
  #passCount = -1;
  #passStart = 0;
  #passEnd = 0;

  /** Examines the long-literal samples the new bytes complete, and the candidates still waiting. */
  #sampleLiterals(literals: LiteralIndex): void {
    if (this.#candidates.length > 0) {
      const waiting = this.#candidates;
      this.#candidates = [];
      for (const c of waiting) this.#verify(literals, c.pattern, c.start);
    }
    const base = this.#bufStart;
    const end = this.#bufEnd;
    const k = literals.stride;
    let i = this.#nextSample;
    for (; i + 4 <= end && i < base; i += k) {
      // A sample straddling bytes already emitted (after a pause): read it from the history.
      literals.sample(this.#slice(i, i + 4), 0, (pattern, start) => this.#verify(literals, pattern, i + start));
    }
    const passCount = this.#passCount;
    this.#passCount = -1;
    if (passCount >= 0 && i === this.#passStart) {
      const hits = this.#passHits;
      for (let h = 0; h < passCount; h += 2) this.#verify(literals, hits[h] as number, base + (hits[h + 1] as number));
      i = this.#passEnd;
    }
    if (i + 4 <= end) {
      const hits = this.#hits;
      const count = literals.scan(this.#buf, i - base, end - base, hits);
      for (let h = 0; h < count; h += 2) this.#verify(literals, hits[h] as number, base + (hits[h + 1] as number));
      i += Math.ceil((end - 3 - i) / k) * k;
    }
    this.#nextSample = i;
  }

  #verify(literals: LiteralIndex, pattern: number, start: number): void {
    const bytes = literals.patterns[pattern] as Buffer;
    const stop = start + bytes.length;
    if (start >= this.#bufStart) {
      // Within the held buffer (nearly always): compare in place, most candidates differ at the first byte.
      const buf = this.#buf;
      const at = start - this.#bufStart;
      const length = Math.min(bytes.length, buf.length - at);
      for (let j = 0; j < length; j++) if (buf[at + j] !== bytes[j]) return;
    } else {
      if (start < this.#bufStart - this.#history.length) return;
      const have = this.#slice(start, Math.min(stop, this.#bufEnd));
      if (!have.equals(bytes.subarray(0, have.length))) return;
    }
    if (stop > this.#bufEnd) this.#candidates.push({ pattern, start });
    else this.#ranges.push({ start, end: stop, rule: REGISTERED_RULE, priority: 1 });
  }

  #accept(state: number, end: number): void {
    const a = this.#a;
    const index = (state & STATE_MASK) / a.width;
    const literal = a.literalLength[index] as number;
    if (literal > 0) this.#ranges.push({ start: end - literal, end, rule: REGISTERED_RULE, priority: 1 });
    const last = a.keywordStart[index + 1] as number;
    for (let k = a.keywordStart[index] as number; k < last; k++) {
      const kwLength = a.keywordLengths[k] as number;
      for (const rule of this.#r.keywordRules[a.keywordIds[k] as number] as CompiledRule[]) {
        const kwStart = end - kwLength;
        const precheck = rule.precheck;
        // Most keyword hits can be dropped at once from the bytes at hand (a URL without credentials).
        if (precheck !== undefined && kwStart >= this.#bufStart) {
          const at = kwStart - this.#bufStart;
          if (precheck(this.#buf, at, Math.min(this.#buf.length, at + rule.spec.window), kwLength) === 0) continue;
        }
        this.#windows.push({ kwStart, kwLength, rule });
      }
    }
  }

  get #bufEnd(): number {
    return this.#bufStart + this.#buf.length;
  }

  /** Bytes [start, end) of the stream, from the history and the held buffer. */
  #slice(start: number, end: number): Buffer {
    const base = this.#bufStart;
    if (start >= base) return this.#buf.subarray(start - base, end - base);
    const fromHistory = this.#history.subarray(Math.max(0, this.#history.length - (base - start)));
    return Buffer.concat([fromHistory, this.#buf.subarray(0, Math.max(0, end - base))]);
  }

  #byteAt(offset: number): number | undefined {
    const base = this.#bufStart;
    if (offset >= base) return this.#buf[offset - base];
    const i = this.#history.length - (base - offset);
    return i >= 0 ? this.#history[i] : undefined;
  }

  #indexOf(byte: number | Buffer, from: number, limit: number): number {
    const base = this.#bufStart;
    const start = Math.max(from, base);
    if (start >= limit) return -1;
    const i = this.#buf.subarray(0, limit - base).indexOf(byte, start - base);
    return i < 0 ? -1 : base + i;
  }

  #evaluate(force: 'none' | 'idle' | 'end'): void {
    const end = this.#bufEnd;
    const kept: Window[] = [];
    for (const w of this.#windows) {
      const done = w.rule.spec.block ? this.#evaluateBlock(w, force, end) : this.#evaluateLine(w, force, end);
      if (!done) kept.push(w);
    }
    this.#windows = kept;
  }

  /** Returns true when the window is decided (matched or not). */
  #evaluateLine(w: Window, force: 'none' | 'idle' | 'end', end: number): boolean {
    const spec = w.rule.spec;
    const limit = Math.min(end, w.kwStart + spec.window);
    const newline = this.#indexOf(NEWLINE, w.kwStart + w.kwLength, limit);
    const full = end >= w.kwStart + spec.window;
    if (newline < 0 && !full && force !== 'end') {
      if (force === 'none') return false;
      const last = this.#buf[this.#buf.length - 1] as number;
      if (w.rule.continuation[last] === 1 || end <= w.kwStart + w.kwLength) return false;
    }
    const windowEnd = newline >= 0 ? newline + 1 : limit;
    if (w.rule.notAfter !== undefined) {
      const before = this.#byteAt(w.kwStart - 1);
      if (before !== undefined && w.rule.notAfter[before] === 1) return true;
    }
    const bytes = this.#slice(w.kwStart, windowEnd);
    const precheck = w.rule.precheck;
    if (precheck !== undefined && precheck(bytes, 0, bytes.length, w.kwLength) !== 1) return true;
    if (spec.context !== undefined && !this.#hasContext(w.kwStart, spec.context)) return true;
    const token = w.rule.token;
    if (token !== undefined) {
      const span = token.match(bytes);
      if (span !== undefined) this.#found(w, span.start, span.end, bytes.toString('latin1', span.start, span.end));
      return true;
    }
    const text = bytes.toString('latin1');
    const m = w.rule.regex.matcher(text);
    if (!m.lookingAt()) return true;
    for (let g = 1; g <= m.groupCount(); g++) {
      const s = m.start(g);
      if (s < 0) continue;
      this.#found(w, s, m.end(g), text.slice(s, m.end(g)));
      break;
    }
    return true;
  }

  /** A rule's match at [start, end) of its window: a range to redact when the secret passes the rule's gates. */
  #found(w: Window, start: number, end: number, secret: string): void {
    const spec = w.rule.spec;
    if (!acceptSecret(spec, secret)) return;
    this.#ranges.push({ start: w.kwStart + start, end: w.kwStart + end, rule: spec.id, priority: spec.priority ?? 2 });
  }

  #hasContext(kwStart: number, context: NonNullable<RuleSpec['context']>): boolean {
    const from = Math.max(kwStart - context.bytes, this.#bufStart - this.#history.length);
    let before = this.#slice(from, kwStart).toString('latin1');
    const nl = before.lastIndexOf('\n');
    if (nl >= 0) before = before.slice(nl + 1);
    return context.contains.some((c) => before.includes(c));
  }

  #evaluateBlock(w: Window, force: 'none' | 'idle' | 'end', end: number): boolean {
    const spec = w.rule.spec;
    const block = spec.block as NonNullable<RuleSpec['block']>;
    if (w.bodyStart === undefined) {
      const limit = Math.min(end, w.kwStart + spec.window);
      const newline = this.#indexOf(NEWLINE, w.kwStart, limit);
      if (newline < 0 && end < w.kwStart + spec.window && force !== 'end') {
        // The header line is still arriving: decide as soon as it is complete.
        const text = this.#slice(w.kwStart, limit).toString('latin1');
        const m = w.rule.regex.matcher(text);
        if (!m.lookingAt()) return text.indexOf('-----', w.kwLength) >= 0;
        w.bodyStart = w.kwStart + m.end(0);
      } else {
        const m = w.rule.regex.matcher(this.#slice(w.kwStart, newline >= 0 ? newline : limit).toString('latin1'));
        if (!m.lookingAt()) return true;
        w.bodyStart = w.kwStart + m.end(0);
      }
    }
    const bodyStart = w.bodyStart;
    const marker = Buffer.from(block.end, 'latin1');
    const footer = this.#indexOf(marker, bodyStart, Math.min(end, bodyStart + block.maxBytes + marker.length));
    // The body must be made of body bytes (base64, line breaks, escaped line breaks, PEM headers): a header quoted in
    // code (`includes("-----BEGIN PRIVATE KEY-----")`) is dropped at the first byte that cannot be in a key.
    const stop = footer >= 0 ? footer : Math.min(end, bodyStart + block.maxBytes);
    const allowed = w.rule.body;
    for (let i = Math.max(w.checked ?? bodyStart, bodyStart); i < stop; i++) {
      if (allowed[this.#byteAt(i) as number] !== 1) return true;
    }
    w.checked = stop;
    const range = (to: number) => {
      if (to - bodyStart >= 16)
        this.#ranges.push({ start: bodyStart, end: to, rule: spec.id, priority: spec.priority ?? 2 });
      return true;
    };
    if (footer >= 0) return range(footer);
    if (end >= bodyStart + block.maxBytes) return range(bodyStart + block.maxBytes);
    if (force === 'end') return range(end);
    return false;
  }

  #emit(mode: 'none' | 'idle' | 'end', sink?: (bytes: Buffer) => void): Buffer {
    const base = this.#bufStart;
    const end = this.#bufEnd;
    let safe = end;
    if (mode !== 'end') {
      const depth = this.#a.depth[(this.#state & STATE_MASK) / this.#a.width] as number;
      if (mode === 'none' || depth >= IDLE_HOLD_BYTES) safe = end - depth;
      const literals = this.#r.literals;
      if (literals !== undefined) {
        const partial = base + literals.partialStart(this.#buf, Math.max(0, safe - literals.maxLength - base));
        if (partial < safe && (mode === 'none' || end - partial >= IDLE_HOLD_BYTES)) safe = partial;
        for (const c of this.#candidates)
          if (c.start < safe && (mode === 'none' || end - c.start >= IDLE_HOLD_BYTES)) safe = c.start;
      }
      for (const w of this.#windows) if (w.kwStart < safe) safe = w.kwStart;
      // A range is emitted whole: never cut one.
      for (let changed = true; changed; ) {
        changed = false;
        for (const r of this.#ranges) {
          if (r.start < safe && r.end > safe) {
            safe = r.start;
            changed = true;
          }
        }
      }
      // Never cut a UTF-8 character: back off to the lead byte of an incomplete sequence before `safe`.
      for (let p = safe - 1; p >= base && p >= safe - 4; p--) {
        const b = this.#buf[p - base] as number;
        if ((b & 0xc0) === 0x80) continue;
        const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
        if (p + length > safe) safe = p;
        break;
      }
      if (safe < base) safe = base;
    }
    if (safe <= base) return EMPTY;

    let out: Buffer;
    if (this.#ranges.length === 0) {
      out = this.#buf.subarray(0, safe - base);
    } else {
      const ready = this.#ranges.filter((r) => r.start < safe).sort((x, y) => x.start - y.start || y.end - x.end);
      this.#ranges = this.#ranges.filter((r) => r.start >= safe);
      const parts: Buffer[] = [];
      let cursor = base;
      let i = 0;
      while (i < ready.length) {
        const first = ready[i] as Range;
        const clusterStart = Math.max(first.start, cursor);
        let clusterEnd = first.end;
        const byRule = new Map<string, { start: number; end: number }>();
        let label = first;
        for (; i < ready.length && (ready[i] as Range).start <= clusterEnd; i++) {
          const r = ready[i] as Range;
          if (r.priority > label.priority) label = r;
          clusterEnd = Math.max(clusterEnd, r.end);
          const span = byRule.get(r.rule);
          const start = Math.max(r.start, clusterStart);
          if (span === undefined) byRule.set(r.rule, { start, end: r.end });
          else span.end = Math.max(span.end, r.end);
        }
        if (clusterEnd <= cursor) continue;
        parts.push(this.#buf.subarray(cursor - base, clusterStart - base));
        parts.push(Buffer.from(this.#r.replacementFor(label.rule), 'utf8'));
        cursor = clusterEnd;
        for (const [rule, span] of byRule) this.#onFinding({ rule, start: span.start, end: span.end });
      }
      parts.push(this.#buf.subarray(cursor - base, safe - base));
      if (sink !== undefined) {
        out = EMPTY;
        for (const part of parts) {
          if (part.length === 0) continue;
          this.bytesOut += part.length;
          sink(part);
        }
      } else {
        out = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
      }
    }
    if (sink !== undefined && out.length > 0) {
      sink(out);
      this.bytesOut += out.length;
      out = EMPTY;
    }

    // Keep a little history for rules that look behind their keyword, and drop what was emitted.
    const emitted = this.#buf.subarray(0, safe - base);
    this.#history =
      emitted.length >= HISTORY_BYTES
        ? Buffer.from(emitted.subarray(emitted.length - HISTORY_BYTES))
        : Buffer.concat([
            this.#history.subarray(Math.max(0, this.#history.length + emitted.length - HISTORY_BYTES)),
            emitted,
          ]);
    this.#buf = safe - base === this.#buf.length ? EMPTY : this.#buf.subarray(safe - base);
    if (mode === 'end') this.#candidates = [];
    this.#bufStart = safe;
    this.bytesOut += out.length;
    return out;
  }
}
