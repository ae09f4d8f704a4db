import { appendFileSync, closeSync, existsSync, openSync, readSync, writeSync } from 'node:fs';
import type { Env } from './github.ts';
import type { AnnotationProperties } from './logger.ts';

/**
 * The GitHub Actions runner protocol, spoken directly: workflow commands on stdout (`::name k=v::message`) and file
 * commands (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH, GITHUB_STATE, GITHUB_STEP_SUMMARY). The encoding is the one
 * @actions/core uses, and test/unit/core/runner-conformance.test.ts checks that both produce what the runner parses
 * identically.
 *
 * Why not @actions/core itself: version 3 imports @actions/http-client, which imports undici, at module load. On
 * Node 24 that costs about 110 ms of start-up before an action does anything (bench/startup), against cold-start
 * targets of 120–150 ms for the actions that run on every job. What Airlock needs from the toolkit is this protocol,
 * which fits in this file.
 */
export interface RunnerChannel {
  readonly env: Env;
  /** Writes to the step's stdout. */
  readonly write: (text: string) => void;
  /** Appends to a runner file; throws when the file does not exist (the runner creates them). */
  readonly appendFile: (path: string, text: string) => void;
}

export const processChannel = (): RunnerChannel => ({
  env: process.env,
  write: writeStdout,
  appendFile: (path, text) => {
    if (!existsSync(path)) throw new Error(`the runner file ${path} does not exist`);
    appendFileSync(path, text, { encoding: 'utf8' });
  },
});

let stdoutStream = process.platform === 'win32';

/**
 * Writes to the step's stdout with write(2) on fd 1. Why not process.stdout: creating it for a pipe (how the runner
 * runs a step) builds a net.Socket, ~6 ms of every action's start-up for a few lines of output. Writes stay in order
 * with anything written through process.stdout, which is synchronous for files and pipes on Linux and macOS. Windows
 * pipes are asynchronous there, so Windows uses process.stdout; so does everything after a failed write (a non-blocking
 * pipe that is full, a closed stdout), which leaves the rest, and the error, to the stream as before.
 */
function writeStdout(text: string): void {
  if (!stdoutStream) {
    const bytes = Buffer.from(text, 'utf8');
    let done = 0;
    try {
      while (done < bytes.length) done += writeSync(1, bytes, done);
      return;
    } catch {
      stdoutStream = true;
      process.stdout.write(bytes.subarray(done));
      return;
    }
  }
  process.stdout.write(text);
}

export function toCommandValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

export function escapeData(value: unknown): string {
  return toCommandValue(value).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(value: unknown): string {
  return toCommandValue(value)
    .replace(/%/g, '%25')
    .replace(/\r/g, '%0D')
    .replace(/\n/g, '%0A')
    .replace(/:/g, '%3A')
    .replace(/,/g, '%2C');
}

export function formatCommand(
  command: string,
  properties: Readonly<Record<string, string | number | undefined>>,
  message: unknown,
): string {
  const props = Object.entries(properties)
    .filter(([, value]) => value !== undefined && value !== '' && value !== 0)
    .map(([key, value]) => `${key}=${escapeProperty(value)}`)
    .join(',');
  return `::${command}${props === '' ? '' : ` ${props}`}::${escapeData(message)}`;
}

/**
 * A random (version 4) UUID from the kernel's generator (/dev/urandom) where there is one, so that an action that needs
 * nothing else from node:crypto does not load it for this; node:crypto's randomUUID elsewhere.
 */
export function randomUuid(): string {
  if (process.platform !== 'win32') {
    try {
      const fd = openSync('/dev/urandom', 'r');
      try {
        const b = Buffer.alloc(16);
        if (readSync(fd, b, 0, 16, null) === 16) {
          b[6] = ((b[6] as number) & 0x0f) | 0x40;
          b[8] = ((b[8] as number) & 0x3f) | 0x80;
          const hex = b.toString('hex');
          return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
        }
      } finally {
        closeSync(fd);
      }
    } catch {
      // no /dev/urandom (a sandbox): node:crypto below
    }
  }
  return process.getBuiltinModule('node:crypto').randomUUID();
}

/** `name<<ghadelimiter_<uuid>\nvalue\nghadelimiter_<uuid>`, refusing a name or value that contains the delimiter. */
export function formatKeyValue(name: string, value: unknown, delimiter = `ghadelimiter_${randomUuid()}`): string {
  const text = toCommandValue(value);
  if (name.includes(delimiter) || text.includes(delimiter)) {
    throw new Error(`refusing to write '${name}': it contains the file-command delimiter`);
  }
  return `${name}<<${delimiter}\n${text}\n${delimiter}\n`;
}

/** The environment variable holding an input: upper case, spaces to `_`, hyphens kept (the runner's mangling). */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

export function annotationProperties(
  props: AnnotationProperties | undefined,
): Record<string, string | number | undefined> {
  if (props === undefined) return {};
  return {
    title: props.title,
    file: props.file,
    line: props.startLine,
    endLine: props.endLine,
    col: props.startColumn,
    endColumn: props.endColumn,
  };
}

export class Runner {
  readonly #channel: RunnerChannel;

  constructor(channel: RunnerChannel) {
    this.#channel = channel;
  }

  input(name: string): string | undefined {
    return this.#channel.env[inputVariable(name)];
  }

  state(name: string): string | undefined {
    const value = this.#channel.env[`STATE_${name}`];
    return value === '' ? undefined : value;
  }

  command(command: string, properties: Readonly<Record<string, string | number | undefined>>, message: unknown): void {
    this.#channel.write(`${formatCommand(command, properties, message)}\n`);
  }

  line(text: string): void {
    this.#channel.write(`${text}\n`);
  }

  setSecret(value: string): void {
    this.command('add-mask', {}, value);
  }

  setOutput(name: string, value: unknown): void {
    this.#file('GITHUB_OUTPUT', formatKeyValue(name, value), () => this.command('set-output', { name }, value));
  }

  exportVariable(name: string, value: string): void {
    this.#file('GITHUB_ENV', formatKeyValue(name, value), () => this.command('set-env', { name }, value));
  }

  addPath(path: string): void {
    this.#file('GITHUB_PATH', `${path}\n`, () => this.command('add-path', {}, path));
  }

  saveState(name: string, value: string): void {
    this.#file('GITHUB_STATE', formatKeyValue(name, value), () => this.command('save-state', { name }, value));
  }

  appendSummary(markdown: string): void {
    const path = this.#channel.env.GITHUB_STEP_SUMMARY;
    if (path === undefined || path === '') return;
    this.#channel.appendFile(path, markdown);
  }

  #file(variable: string, text: string, legacy: () => void): void {
    const path = this.#channel.env[variable];
    if (path === undefined || path === '') {
      legacy();
      return;
    }
    this.#channel.appendFile(path, text);
  }
}
