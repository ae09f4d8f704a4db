import { constants } from 'node:os';
import { pipeline } from 'node:stream/promises';
import { InputError } from '@airlock/core';
import {
  credentialsInEnv,
  into,
  isRegularFile,
  type KnownSecret,
  type OutputSink,
  pumpFile,
  Redactor,
  RedactTransform,
  type Replacement,
  runRedacted,
  writeAllSync,
} from '@airlock/redact';
import { type CliIO, type Command, type CommandContext, EXIT, type ExitCode } from '../cli.ts';

/** A stream of the CLI's IO as a byte sink: real streams as they are, test doubles get (UTF-8-whole) text. */
function sink(stream: CliIO['stdout']): OutputSink {
  const s = stream as unknown as OutputSink;
  return typeof s.once === 'function'
    ? s
    : { write: (chunk: Uint8Array) => stream.write(Buffer.from(chunk).toString('utf8')) };
}

/** The options shared by `airlock redact` and `airlock secrets scan`: which secrets, how they are masked. */
export const SECRET_OPTIONS = {
  secret: {
    type: 'string',
    multiple: true,
    value: 'VALUE',
    description: 'A secret to redact. Visible to other users in the process list: prefer --secret-env.',
  },
  'secret-env': {
    type: 'string',
    multiple: true,
    value: 'NAME',
    description: 'An environment variable whose value is a secret.',
  },
  'env-credentials': {
    type: 'boolean',
    description:
      'Also treat environment values that look like credentials (named like a token or key, or recognised by a rule) as secrets.',
  },
  'known-only': { type: 'boolean', description: 'Only registered secrets: no rules for unknown ones.' },
  'min-length': {
    type: 'string',
    value: 'N',
    description: 'Never mask anything shorter than N characters (default 4); shorter secrets are reported.',
  },
} as const;

/** The secrets and redactor described by the shared options; warnings about skipped secrets go to stderr. */
export function redactorFrom(context: CommandContext, replacement: Replacement = 'mask'): Redactor {
  const { values, io } = context;
  const minRaw = values['min-length'];
  const minLength = minRaw === undefined ? 4 : Number(minRaw);
  if (!Number.isInteger(minLength) || minLength < 1 || minLength > 1024) {
    throw new InputError(
      'input-invalid',
      `option '--min-length' must be a whole number from 1 to 1024; got '${String(minRaw)}'`,
    );
  }
  const secrets: KnownSecret[] = ((values.secret as string[] | undefined) ?? []).map((value, i) => ({
    value,
    source: `--secret ${i + 1}`,
  }));
  for (const name of (values['secret-env'] as string[] | undefined) ?? []) {
    const value = io.env[name];
    if (value === undefined || value === '') {
      throw new InputError('input-invalid', `option '--secret-env' names ${name}, which is not set or empty`);
    }
    secrets.push({ value, source: `env ${name}` });
  }
  if (values['env-credentials'] === true) secrets.push(...credentialsInEnv(io.env, new Redactor(), minLength));
  const redactor = new Redactor({ secrets, minLength, rules: values['known-only'] !== true, replacement });
  if (redactor.skipped.length > 0) {
    context.err(
      `airlock: ${redactor.skipped.length} secret(s) shorter than ${minLength} characters are not redacted: ${redactor.skipped.map((s) => s.source).join(', ')}`,
    );
  }
  return redactor;
}

/**
 * `airlock redact [--secret VALUE…] [--secret-env NAME…] -- CMD ARGS…` runs a command with its stdout and stderr
 * redacted (separately, each in order) and exits with its exit code (128 + the signal number when it was killed);
 * `airlock redact --stdin` filters stdin to stdout.
 */
export const redactCommand: Command = {
  path: ['redact'],
  summary: 'Run a command with secrets redacted from its output, or filter stdin (--stdin).',
  args: '[--stdin | -- CMD ARGS…]',
  description:
    "Registered secrets are redacted in every form the GitHub runner masks and more (base64 at any alignment, hex, URL, JSON, XML, shell escapes, each line); unknown credentials by rule unless --known-only. Exits with the command's exit code, 128 + the signal number when it was killed, 2 for bad options.",
  options: {
    ...SECRET_OPTIONS,
    stdin: { type: 'boolean', description: 'Redact stdin to stdout instead of running a command.' },
    replacement: {
      type: 'string',
      value: 'STYLE',
      description: 'mask (***, the default) or rule ([REDACTED:<rule-id>]).',
    },
  },
  async run(context) {
    const { values, positionals, io } = context;
    const replacement = (values.replacement as string | undefined) ?? 'mask';
    if (replacement !== 'mask' && replacement !== 'rule') {
      throw new InputError('input-invalid', `option '--replacement' must be mask or rule; got '${replacement}'`);
    }
    const redactor = redactorFrom(context, replacement);
    if (values.stdin === true) {
      if (positionals.length > 0) throw new InputError('input-invalid', 'give either --stdin or a command, not both');
      if (io.stdin === undefined) throw new InputError('input-invalid', 'no stdin to read');
      if (io.stdin === process.stdin && io.stdout === process.stdout && isRegularFile(0)) {
        // `airlock redact --stdin < build.log`: read the file directly, without a stream per chunk.
        pumpFile(0, redactor.stream(), (bytes) => writeAllSync(1, bytes));
        return EXIT.ok;
      }
      await pipeline(io.stdin, new RedactTransform(redactor), into(sink(io.stdout)));
      return EXIT.ok;
    }
    const [command, ...args] = positionals;
    if (command === undefined) {
      throw new InputError(
        'input-invalid',
        'give a command after --, e.g. airlock redact --secret-env TOKEN -- make deploy',
      );
    }
    const result = await runRedacted({
      command,
      args,
      cwd: io.cwd,
      env: io.env as NodeJS.ProcessEnv,
      redactor,
      stdout: sink(io.stdout),
      stderr: sink(io.stderr),
    });
    if (result.signal !== null) return (128 + (constants.signals[result.signal] ?? 0)) as ExitCode;
    return (result.exitCode ?? 1) as ExitCode;
  },
};
