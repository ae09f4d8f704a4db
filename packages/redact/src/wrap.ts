import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Finding, Redactor } from './engine.ts';
import { RedactError } from './errors.ts';
import { RedactTransform } from './transform.ts';

/**
 * Runs a command with its stdout and stderr each through its own redaction stream, so the order of each stream is
 * kept and nothing a secret could begin with is written before it is decided. The exit code and the signal are
 * reported as they are; signals this process receives (a cancelled job) are forwarded to the command, and what the
 * command printed before it died is still redacted and flushed.
 */
/** Where redacted output goes: a writable stream, or anything with write() (back-pressure honoured when it has once()). */
export interface OutputSink {
  write(chunk: Uint8Array): unknown;
  once?(event: 'drain', listener: () => void): unknown;
}

export interface WrapOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly redactor: Redactor;
  /** Where redacted output goes (never ended). */
  readonly stdout: OutputSink;
  readonly stderr: OutputSink;
  readonly onFinding?: (stream: 'stdout' | 'stderr', finding: Finding) => void;
  readonly idleMs?: number;
  /** Signals to forward to the command while it runs (default SIGINT, SIGTERM, SIGHUP). */
  readonly forward?: readonly NodeJS.Signals[];
  readonly spawn?: (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;
}

export interface WrapResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly bytesIn: { readonly stdout: number; readonly stderr: number };
  /** Signals received and forwarded. */
  readonly forwarded: readonly NodeJS.Signals[];
}

/** A Writable into `target` that never ends it and honours its back-pressure. */
export function into(target: OutputSink): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (target.write(chunk) !== false || target.once === undefined) callback();
      else target.once('drain', () => callback());
    },
  });
}

export async function runRedacted(options: WrapOptions): Promise<WrapResult> {
  const spawn = options.spawn ?? process.getBuiltinModule('node:child_process').spawn;
  const forwarded: NodeJS.Signals[] = [];
  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['inherit', 'pipe', 'pipe'],
    });
  } catch (cause) {
    throw new RedactError('command-failed', `cannot start '${options.command}': ${(cause as Error).message}`, {
      cause,
    });
  }
  const started = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new RedactError(
          'command-failed',
          error.code === 'ENOENT'
            ? `cannot start '${options.command}': not found (is it installed and on PATH?)`
            : `cannot start '${options.command}': ${error.message}`,
          { cause: error },
        ),
      ),
    );
  });
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (code, signal) => resolve([code, signal])),
  );
  const forward = (signal: NodeJS.Signals) => {
    forwarded.push(signal);
    child.kill(signal);
  };
  const signals = options.forward ?? ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, forward);
  try {
    await started;
    const out = new RedactTransform(options.redactor, {
      ...(options.idleMs === undefined ? {} : { idleMs: options.idleMs }),
      onFinding: (f) => options.onFinding?.('stdout', f),
    });
    const err = new RedactTransform(options.redactor, {
      ...(options.idleMs === undefined ? {} : { idleMs: options.idleMs }),
      onFinding: (f) => options.onFinding?.('stderr', f),
    });
    await Promise.all([
      pipeline(child.stdout as NodeJS.ReadableStream, out, into(options.stdout)),
      pipeline(child.stderr as NodeJS.ReadableStream, err, into(options.stderr)),
    ]);
    // Later output (workflow commands) must start on a line of its own.
    if (!out.endsWithNewline) options.stdout.write(Buffer.from('\n'));
    if (!err.endsWithNewline) options.stderr.write(Buffer.from('\n'));
    const [exitCode, signal] = await exited;
    return {
      exitCode,
      signal,
      bytesIn: { stdout: out.redaction.bytesIn, stderr: err.redaction.bytesIn },
      forwarded,
    };
  } finally {
    for (const signal of signals) process.off(signal, forward);
  }
}
