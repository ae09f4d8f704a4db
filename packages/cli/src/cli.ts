import { parseArgs } from 'node:util';
import { AIRLOCK_VERSION, errorKind, errorMessage, errorStack, InputError } from '@airlock/core';

/**
 * The `airlock` command-line framework: subcommands registered by each capability, shared option parsing, help,
 * `--format`, a progress indicator on TTYs, and one mapping from outcomes to exit codes.
 */
export const EXIT = {
  /** Everything passed. */
  ok: 0,
  /** A policy failure or findings at or above the threshold. */
  findings: 1,
  /** Bad usage, a bad option or a bad input file. */
  usage: 2,
  /** Airlock could not finish: a bug, or a service it needed was unavailable. */
  internal: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export type Format = 'table' | 'json' | 'sarif' | 'cyclonedx' | 'html';

export interface CliIO {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
  readonly stdin?: NodeJS.ReadableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
  readonly description: string;
  /** Shown in help, e.g. `FILE`. */
  readonly value?: string;
}

export interface CommandContext {
  readonly values: Readonly<Record<string, string | boolean | string[] | boolean[] | undefined>>;
  readonly positionals: readonly string[];
  readonly format: Format;
  readonly io: CliIO;
  readonly progress: Progress;
  /** Write a line to stdout. */
  out(text: string): void;
  /** Write a line to stderr. */
  err(text: string): void;
}

export interface Command {
  /** Words after `airlock`: `['trail', 'verify']`. */
  readonly path: readonly string[];
  readonly summary: string;
  /** Arguments after the command words, for the usage line: `TRAIL`. */
  readonly args?: string;
  readonly description?: string;
  readonly options?: Readonly<Record<string, OptionSpec>>;
  /** Accepted `--format` values; the first is the default. Omit when the command has no format. */
  readonly formats?: readonly Format[];
  readonly minPositionals?: number;
  readonly maxPositionals?: number;
  run(context: CommandContext): Promise<ExitCode>;
}

export class UsageError extends InputError {}

export interface Progress {
  /** Update the progress line (only shown when stderr is a terminal). */
  update(text: string): void;
  done(): void;
}

export function createProgress(io: CliIO, enabled: boolean): Progress {
  if (!enabled || !io.stderr.isTTY) return { update() {}, done() {} };
  let shown = false;
  return {
    update(text) {
      io.stderr.write(`\r\u001b[2K${text}`);
      shown = true;
    },
    done() {
      if (shown) io.stderr.write('\r\u001b[2K');
      shown = false;
    },
  };
}

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', description: 'Show help for the command.' },
  quiet: { type: 'boolean', short: 'q', description: 'No progress indicator.' },
  debug: { type: 'boolean', description: 'Print stack traces of internal errors.' },
};

function findCommand(
  commands: readonly Command[],
  argv: readonly string[],
): { command: Command; rest: string[] } | undefined {
  let best: { command: Command; rest: string[] } | undefined;
  for (const command of commands) {
    const n = command.path.length;
    if (argv.length >= n && command.path.every((word, i) => argv[i] === word)) {
      if (best === undefined || n > best.command.path.length) best = { command, rest: argv.slice(n) };
    }
  }
  return best;
}

function usageLine(command: Command): string {
  const format = command.formats === undefined ? '' : ` [--format ${command.formats.join('|')}]`;
  return `airlock ${command.path.join(' ')}${command.args ? ` ${command.args}` : ''}${format} [options]`;
}

function optionHelp(options: Readonly<Record<string, OptionSpec>>): string[] {
  return Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
    return `  ${flag.padEnd(34)} ${spec.description}${spec.multiple ? ' (repeatable)' : ''}`;
  });
}

export function commandHelp(command: Command): string {
  const lines = [`Usage: ${usageLine(command)}`, '', command.summary];
  if (command.description) lines.push('', command.description);
  const options = { ...command.options };
  if (command.formats) {
    options.format = {
      type: 'string',
      value: 'FORMAT',
      description: `Output format: ${command.formats.join(', ')} (default ${command.formats[0]}).`,
    };
  }
  lines.push('', 'Options:', ...optionHelp({ ...options, ...GLOBAL_OPTIONS }));
  return `${lines.join('\n')}\n`;
}

export function mainHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.path.join(' ').length), 10) + 2;
  const list = [...commands]
    .sort((a, b) => a.path.join(' ').localeCompare(b.path.join(' ')))
    .map((c) => `  ${c.path.join(' ').padEnd(width)} ${c.summary}`);
  return [
    `airlock ${AIRLOCK_VERSION}: zero-trust checks for CI/CD pipelines, outside GitHub Actions too.`,
    '',
    'Usage: airlock <command> [options]',
    '',
    'Commands:',
    ...list,
    '',
    'Global options:',
    '  -h, --help                         Show help (also: airlock <command> --help).',
    '      --version                      Print the version.',
    '',
    'Exit codes: 0 ok; 1 policy failure or findings; 2 usage or input error; 3 internal error.',
    '',
  ].join('\n');
}

/** Run the CLI with argv (without `node` and the script) and return the exit code. */
export async function runCli(argv: readonly string[], io: CliIO, commands: readonly Command[]): Promise<ExitCode> {
  const out = (text: string) => void io.stdout.write(`${text}\n`);
  const err = (text: string) => void io.stderr.write(`${text}\n`);
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    io.stdout.write(mainHelp(commands));
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  if (argv[0] === '--version' || argv[0] === 'version') {
    out(AIRLOCK_VERSION);
    return EXIT.ok;
  }
  if (argv[0] === 'help') {
    const found = findCommand(commands, argv.slice(1));
    io.stdout.write(found === undefined ? mainHelp(commands) : commandHelp(found.command));
    return found === undefined && argv.length > 1 ? EXIT.usage : EXIT.ok;
  }
  const found = findCommand(commands, argv);
  if (found === undefined) {
    const prefix = commands.filter((c) => c.path[0] === argv[0]);
    const hint =
      prefix.length > 0
        ? `; '${argv[0]}' has: ${prefix.map((c) => c.path.slice(1).join(' ')).join(', ')}`
        : '; run airlock --help for the list';
    err(
      `airlock: unknown command '${argv
        .filter((a) => !a.startsWith('-'))
        .slice(0, 2)
        .join(' ')}'${hint}`,
    );
    return EXIT.usage;
  }
  const { command, rest } = found;
  const name = `airlock ${command.path.join(' ')}`;
  const options: Record<string, OptionSpec> = { ...command.options, ...GLOBAL_OPTIONS };
  if (command.formats) options.format = { type: 'string', description: 'Output format.' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...rest],
      options: Object.fromEntries(
        Object.entries(options).map(([key, spec]) => [
          key,
          {
            type: spec.type,
            ...(spec.multiple ? { multiple: true } : {}),
            ...(spec.short ? { short: spec.short } : {}),
          },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    err(`${name}: ${errorMessage(error).replace(/^Unknown option/, 'unknown option')}\nUsage: ${usageLine(command)}`);
    return EXIT.usage;
  }
  const values = parsed.values as CommandContext['values'];
  if (values.help) {
    io.stdout.write(commandHelp(command));
    return EXIT.ok;
  }
  const positionals = parsed.positionals;
  if (
    positionals.length < (command.minPositionals ?? 0) ||
    positionals.length > (command.maxPositionals ?? Number.POSITIVE_INFINITY)
  ) {
    err(`${name}: expected ${command.args ?? 'no arguments'}\nUsage: ${usageLine(command)}`);
    return EXIT.usage;
  }
  let format: Format = command.formats?.[0] ?? 'table';
  if (typeof values.format === 'string') {
    if (!command.formats?.includes(values.format as Format)) {
      err(`${name}: option '--format' must be one of ${command.formats?.join(', ')}; got '${values.format}'`);
      return EXIT.usage;
    }
    format = values.format as Format;
  }
  const progress = createProgress(io, values.quiet !== true);
  try {
    return await command.run({ values, positionals, format, io, progress, out, err });
  } catch (error) {
    const kind = errorKind(error);
    if (kind === 'bug') {
      err(
        `${name}: internal error: ${errorMessage(error)}. This is a bug in Airlock; re-run with --debug and report it.`,
      );
      if (values.debug) err(errorStack(error));
      return EXIT.internal;
    }
    err(`${name}: ${errorMessage(error)}`);
    return kind === 'external' ? EXIT.internal : EXIT.usage;
  } finally {
    progress.done();
  }
}
