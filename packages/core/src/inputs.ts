import { InputError, quote } from './errors.ts';

/**
 * Typed reading of action inputs (and CLI options, with `label: 'option'`).
 *
 * The reader is the only way an action reads its inputs: `actions/<name>/src/index.ts` calls it with string literals,
 * so a test can check that the inputs read are exactly the inputs action.yml declares. It also remembers what was read
 * (secret values replaced) so the trail can record the inputs of each run.
 *
 * Values are trimmed like `@actions/core.getInput`; an empty value means "not given", which is how the runner passes
 * an input that has no default and was not set.
 */
export type InputLookup = (name: string) => string | undefined;

export interface ReadOptions {
  /** Fail when the input is missing or empty. */
  readonly required?: boolean;
  /** Never echo the value in an error message or in the trail. */
  readonly secret?: boolean;
}

export interface RecordedInput {
  readonly value: string;
  readonly secret: boolean;
}

export const SECRET_PLACEHOLDER = '***';

export class InputReader {
  readonly #lookup: InputLookup;
  readonly #label: string;
  readonly #recorded = new Map<string, RecordedInput>();

  constructor(lookup: InputLookup, options: { label?: string } = {}) {
    this.#lookup = lookup;
    this.#label = options.label ?? 'input';
  }

  /** The inputs read so far, with secret values replaced by `***`, for the trail record. */
  recorded(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, { value, secret }] of [...this.#recorded].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      out[name] = secret && value !== '' ? SECRET_PLACEHOLDER : value;
    }
    return out;
  }

  /** Values of inputs read with `secret: true`, so callers can register them as secrets. */
  secretValues(): string[] {
    return [...this.#recorded.values()].filter((r) => r.secret && r.value !== '').map((r) => r.value);
  }

  string(name: string, options: ReadOptions & { required: true }): string;
  string(name: string, options: ReadOptions & { default: string }): string;
  string(name: string, options?: ReadOptions & { default?: string }): string | undefined;
  string(name: string, options: ReadOptions & { default?: string } = {}): string | undefined {
    const raw = this.#raw(name, options);
    if (raw === '') return options.default;
    return raw;
  }

  /** `true`/`false` in the YAML 1.2 core schema spellings (true, True, TRUE, false, False, FALSE), like @actions/core. */
  boolean(name: string, options: ReadOptions & { default: boolean }): boolean {
    const raw = this.#raw(name, options);
    if (raw === '') return options.default;
    if (raw === 'true' || raw === 'True' || raw === 'TRUE') return true;
    if (raw === 'false' || raw === 'False' || raw === 'FALSE') return false;
    throw this.#invalid(name, 'must be true or false', raw, options);
  }

  /** Items separated by commas or newlines (or only newlines with `separator: 'newline'`), trimmed, empties dropped. */
  list(name: string, options: ReadOptions & { separator?: 'comma-or-newline' | 'newline' } = {}): string[] {
    const raw = this.#raw(name, options);
    if (raw === '') return [];
    const pattern = options.separator === 'newline' ? /\r?\n/ : /[\r\n,]+/;
    return raw
      .split(pattern)
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }

  /**
   * `KEY=value` pairs, one per line (blank lines and `#` comments skipped). Keys are matched by `keyPattern`.
   * Errors name the line: `input 'require-claims' line 2: expected NAME=value; got 'repository'`.
   */
  keyValues(
    name: string,
    options: ReadOptions & { keyPattern?: RegExp; example?: string } = {},
  ): Array<{ key: string; value: string; line: number }> {
    const raw = this.#raw(name, options);
    if (raw === '') return [];
    const keyPattern = options.keyPattern ?? /^[A-Za-z_][A-Za-z0-9_.-]*$/;
    const example = options.example ?? 'NAME=value';
    const out: Array<{ key: string; value: string; line: number }> = [];
    raw.split(/\r?\n/).forEach((text, index) => {
      const line = text.trim();
      if (line === '' || line.startsWith('#')) return;
      const eq = line.indexOf('=');
      const key = eq < 0 ? '' : line.slice(0, eq).trim();
      if (eq <= 0 || !keyPattern.test(key)) {
        const got = options.secret ? '' : `; got ${quote(line)}`;
        throw new InputError('input-invalid', `${this.#label} '${name}' line ${index + 1}: expected ${example}${got}`);
      }
      out.push({ key, value: line.slice(eq + 1).trim(), line: index + 1 });
    });
    return out;
  }

  /** A whole number, optionally bounded. */
  integer(
    name: string,
    options: ReadOptions & { default?: number; min?: number; max?: number } = {},
  ): number | undefined {
    const raw = this.#raw(name, options);
    if (raw === '') return options.default;
    if (!/^-?\d+$/.test(raw)) throw this.#invalid(name, 'must be a whole number', raw, options);
    return this.#bounded(name, Number(raw), raw, options, '');
  }

  /**
   * A duration in seconds. Accepts plain seconds (`900`), units (`90s`, `15m`, `1h30m`, `2d`) and ISO 8601
   * (`PT1H30M`).
   */
  duration(
    name: string,
    options: ReadOptions & { default?: number; min?: number; max?: number } = {},
  ): number | undefined {
    const raw = this.#raw(name, options);
    if (raw === '') return options.default;
    const seconds = parseDuration(raw);
    if (seconds === undefined) {
      throw this.#invalid(name, 'must be a duration like 900, 15m, 1h30m or PT1H', raw, options);
    }
    return this.#bounded(name, seconds, raw, options, ' seconds');
  }

  /** One of a fixed set of values. */
  choice<const T extends string>(name: string, choices: readonly T[], options: ReadOptions & { required: true }): T;
  choice<const T extends string>(name: string, choices: readonly T[], options: ReadOptions & { default: T }): T;
  choice<const T extends string>(name: string, choices: readonly T[], options?: ReadOptions): T | undefined;
  choice<const T extends string>(
    name: string,
    choices: readonly T[],
    options: ReadOptions & { default?: T } = {},
  ): T | undefined {
    const raw = this.#raw(name, options);
    if (raw === '') return options.default;
    if ((choices as readonly string[]).includes(raw)) return raw as T;
    throw this.#invalid(name, `must be one of ${choices.join(', ')}`, raw, options);
  }

  /** An absolute URL. Only https unless `allowHttp` (for loopback services and private instances). */
  url(name: string, options: ReadOptions & { default?: string; allowHttp?: boolean } = {}): URL | undefined {
    const raw = this.#raw(name, options);
    const value = raw === '' ? options.default : raw;
    if (value === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw this.#invalid(name, 'must be an absolute URL like https://example.com/path', value, options);
    }
    const allowed = options.allowHttp ? ['https:', 'http:'] : ['https:'];
    if (!allowed.includes(url.protocol)) {
      throw this.#invalid(name, `must be an ${allowed.join(' or ').replaceAll(':', '')} URL`, value, options);
    }
    return url;
  }

  #raw(name: string, options: ReadOptions): string {
    const value = (this.#lookup(name) ?? '').trim();
    this.#recorded.set(name, { value, secret: options.secret === true });
    if (value === '' && options.required) {
      throw new InputError('input-missing', `${this.#label} '${name}' is required but was not given`);
    }
    return value;
  }

  #bounded(
    name: string,
    value: number,
    raw: string,
    options: ReadOptions & { min?: number; max?: number },
    unit: string,
  ): number {
    if (!Number.isSafeInteger(value)) throw this.#invalid(name, 'is too large', raw, options);
    if (options.min !== undefined && value < options.min) {
      throw this.#invalid(name, `must be at least ${options.min}${unit}`, raw, options);
    }
    if (options.max !== undefined && value > options.max) {
      throw this.#invalid(name, `must be at most ${options.max}${unit}`, raw, options);
    }
    return value;
  }

  #invalid(name: string, expected: string, raw: string, options: ReadOptions): InputError {
    const got = options.secret ? '' : `; got ${quote(raw)}`;
    return new InputError('input-invalid', `${this.#label} '${name}' ${expected}${got}`);
  }
}

const UNIT_SECONDS: Record<string, number> = { d: 86_400, h: 3_600, m: 60, s: 1 };

/** Seconds for `900`, `90s`, `15m`, `1h30m`, `2d`, `PT1H30M` (and `P1D`); undefined when not a duration. */
export function parseDuration(text: string): number | undefined {
  const value = text.trim();
  if (/^\d+$/.test(value)) return Number(value);
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i.exec(value);
  if (iso && value.length > 1 && !/T$/i.test(value)) {
    const [, d, h, m, s] = iso;
    return Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3_600 + Number(m ?? 0) * 60 + Number(s ?? 0);
  }
  if (!/^(?:\d+[dhms])+$/i.test(value)) return undefined;
  let total = 0;
  let lastRank = -1;
  for (const [, amount, unit] of value.toLowerCase().matchAll(/(\d+)([dhms])/g)) {
    const rank = 'dhms'.indexOf(unit as string);
    if (rank <= lastRank) return undefined; // units must appear once, largest first: 1h30m, not 30m1h or 1h1h
    lastRank = rank;
    total += Number(amount) * (UNIT_SECONDS[unit as string] as number);
  }
  return total;
}
