/**
 * The GitHub Actions runner's side of the protocol, reimplemented from the runner's own sources
 * (ActionCommandManager, ActionCommand.TryParseV2/TryParse, SecretMasker, the file-command parsers) so the harness
 * reacts to an action's output the way a real runner does.
 */

/** Commands the runner recognises; any other `::name::` line is plain output. */
export const RUNNER_COMMANDS = new Set([
  'add-mask',
  'add-matcher',
  'add-path',
  'debug',
  'echo',
  'endgroup',
  'error',
  'group',
  'notice',
  'remove-matcher',
  'save-state',
  'set-env',
  'set-output',
  'stop-commands',
  'warning',
]);

export interface ParsedCommand {
  readonly command: string;
  readonly properties: Readonly<Record<string, string>>;
  readonly data: string;
}

/** Sequential replacement, exactly as the runner unescapes (`%0D`, then `%0A`, then `%25`). */
function unescapeWith(value: string, mappings: ReadonlyArray<readonly [string, string]>): string {
  let out = value;
  for (const [token, replacement] of mappings) out = out.split(replacement).join(token);
  return out;
}

const DATA_ESCAPES = [
  ['\r', '%0D'],
  ['\n', '%0A'],
  ['%', '%25'],
] as const;
const PROPERTY_ESCAPES = [
  ['\r', '%0D'],
  ['\n', '%0A'],
  [':', '%3A'],
  [',', '%2C'],
  ['%', '%25'],
] as const;
const LEGACY_ESCAPES = [
  [';', '%3B'],
  ['\r', '%0D'],
  ['\n', '%0A'],
  [']', '%5D'],
  ['%', '%25'],
] as const;

/**
 * `::name k=v,k=v::data` (after trimming leading whitespace), or the legacy `##[name k=v;k=v]data` anywhere in the
 * line. Only registered command names are commands; property names are case-insensitive (stored lower case).
 */
export function parseCommand(line: string, registered: ReadonlySet<string>): ParsedCommand | undefined {
  const v2 = parseV2(line, registered);
  return v2 ?? parseLegacy(line, registered);
}

function parseV2(raw: string, registered: ReadonlySet<string>): ParsedCommand | undefined {
  const line = raw.trimStart();
  if (!line.startsWith('::')) return undefined;
  const end = line.indexOf('::', 2);
  if (end < 0) return undefined;
  const info = line.slice(2, end);
  const space = info.indexOf(' ');
  const command = space < 0 ? info : info.slice(0, space);
  if (!registered.has(command.toLowerCase())) return undefined;
  const properties: Record<string, string> = {};
  if (space > 0) {
    for (const part of info
      .slice(space + 1)
      .trim()
      .split(',')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      if (eq <= 0 || eq === part.length - 1) continue;
      properties[part.slice(0, eq).toLowerCase()] = unescapeWith(part.slice(eq + 1), PROPERTY_ESCAPES);
    }
  }
  return { command: command.toLowerCase(), properties, data: unescapeWith(line.slice(end + 2), DATA_ESCAPES) };
}

function parseLegacy(line: string, registered: ReadonlySet<string>): ParsedCommand | undefined {
  const start = line.indexOf('##[');
  if (start < 0) return undefined;
  const close = line.indexOf(']', start);
  if (close < 0) return undefined;
  const info = line.slice(start + 3, close);
  const space = info.indexOf(' ');
  const command = space < 0 ? info : info.slice(0, space);
  if (!registered.has(command.toLowerCase())) return undefined;
  const properties: Record<string, string> = {};
  if (space > 0) {
    for (const part of info.slice(space + 1).split(';')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      if (eq <= 0 || eq === part.length - 1) continue;
      properties[part.slice(0, eq).toLowerCase()] = unescapeWith(part.slice(eq + 1), LEGACY_ESCAPES);
    }
  }
  return { command: command.toLowerCase(), properties, data: unescapeWith(line.slice(close + 1), LEGACY_ESCAPES) };
}

/** A value encoder: given a secret, the other forms the masker should hide. */
export type ValueEncoder = (value: string) => string | undefined;

/**
 * The runner's SecretMasker: every registered value (and whatever the configured encoders derive from it) is found
 * at every position, overlapping matches merged, and each merged range replaced by `***`. By default the harness
 * masks exact values only, which is stricter than the real runner for tests that look for leaks.
 */
export class SecretMasker {
  readonly #originals = new Set<string>();
  readonly #values = new Set<string>();
  readonly #encoders: readonly ValueEncoder[];

  constructor(encoders: readonly ValueEncoder[] = []) {
    this.#encoders = encoders;
  }

  get values(): readonly string[] {
    return [...this.#originals];
  }

  add(value: string): void {
    if (value === '' || this.#originals.has(value)) return;
    this.#originals.add(value);
    this.#values.add(value);
    for (const encode of this.#encoders) {
      const variant = encode(value);
      if (variant !== undefined && variant !== '') this.#values.add(variant);
    }
  }

  mask(input: string): string {
    if (input === '' || this.#values.size === 0) return input;
    const ranges: Array<[number, number]> = [];
    for (const value of this.#values) {
      for (let at = input.indexOf(value); at >= 0; at = input.indexOf(value, at + 1)) {
        ranges.push([at, at + value.length]);
      }
    }
    if (ranges.length === 0) return input;
    ranges.sort((a, b) => a[0] - b[0]);
    let out = '';
    let cursor = 0;
    let current: [number, number] | undefined;
    for (const range of ranges) {
      if (current !== undefined && range[0] <= current[1]) {
        current[1] = Math.max(current[1], range[1]);
        continue;
      }
      if (current !== undefined) {
        out += `${input.slice(cursor, current[0])}***`;
        cursor = current[1];
      }
      current = [range[0], range[1]];
    }
    if (current !== undefined) {
      out += `${input.slice(cursor, current[0])}***`;
      cursor = current[1];
    }
    return out + input.slice(cursor);
  }
}

export class FileCommandError extends Error {}

/** Reads one line and its terminator (`\r\n` or `\n`), like the runner's ReadLine. */
function readLine(
  text: string,
  index: number,
): { line: string; newline: string | undefined; next: number } | undefined {
  if (index >= text.length) return undefined;
  const lf = text.indexOf('\n', index);
  if (lf < 0) return { line: text.slice(index), newline: undefined, next: text.length };
  const crlf = lf > index && text[lf - 1] === '\r';
  return { line: text.slice(index, crlf ? lf - 1 : lf), newline: crlf ? '\r\n' : '\n', next: lf + 1 };
}

/** GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STATE: `NAME=value` lines and `NAME<<DELIMITER` heredocs. */
export function parseKeyValueFile(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let index = 0;
  for (;;) {
    const read = readLine(text, index);
    if (read === undefined) break;
    index = read.next;
    const { line } = read;
    if (line === '') continue;
    const eq = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (eq >= 0 && (heredoc < 0 || eq < heredoc)) {
      const name = line.slice(0, eq);
      if (name === '') throw new FileCommandError(`Invalid format '${line}'. Name must not be empty`);
      out.push([name, line.slice(eq + 1)]);
    } else if (heredoc >= 0 && (eq < 0 || heredoc < eq)) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (name === '' || delimiter === '') {
        throw new FileCommandError(`Invalid format '${line}'. Name must not be empty and delimiter must not be empty`);
      }
      const start = index;
      let end = index;
      for (;;) {
        const value = readLine(text, index);
        if (value === undefined)
          throw new FileCommandError(`Invalid value. Matching delimiter not found '${delimiter}'`);
        index = value.next;
        if (value.line === delimiter) break;
        if (value.newline === undefined) throw new FileCommandError('Invalid value. EOF marker missing new line.');
        end = index - value.newline.length;
      }
      out.push([name, end > start ? text.slice(start, end) : '']);
    } else {
      throw new FileCommandError(`Invalid format '${line}'`);
    }
  }
  return out;
}

/** GITHUB_PATH: one directory per non-empty line. */
export function parsePathFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** The runner's mangling of an input name into its environment variable. */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** GitHub's limit on a step summary, and the runner's message when it is exceeded. */
export const STEP_SUMMARY_LIMIT = 1024 * 1024;
export function summaryTooLargeMessage(bytes: number): string {
  return `$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of ${STEP_SUMMARY_LIMIT / 1024}k, got ${Math.ceil(bytes / 1024)}k. For more information see: https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions#adding-a-markdown-summary`;
}
