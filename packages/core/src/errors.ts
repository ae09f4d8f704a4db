/**
 * Errors shared by every Airlock library and action.
 *
 * Each library defines one subclass of {@link AirlockError} with its own `code` union. The `kind` separates what the
 * user can fix from what they cannot:
 *
 * - `user`: a configuration mistake, a policy violation, a bad input file. The message says what was expected and how
 *   to fix it; no stack trace is ever shown.
 * - `external`: a service or the network failed (5xx after retries, timeouts, DNS). Not the user's mistake and not a
 *   bug either; the message names the service and what was tried.
 * - `bug`: anything else. The stack trace is printed at debug level.
 *
 * Any thrown value that is not an AirlockError is a bug by definition.
 */
export type ErrorKind = 'user' | 'external' | 'bug';

export interface AirlockErrorOptions {
  readonly cause?: unknown;
  readonly kind?: ErrorKind;
}

export class AirlockError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly kind: ErrorKind;

  constructor(code: Code, message: string, options: AirlockErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.kind = options.kind ?? 'user';
  }
}

export type InputErrorCode = 'input-missing' | 'input-invalid';

/** A bad action input or CLI option. The message always names the input as the user wrote it. */
export class InputError extends AirlockError<InputErrorCode> {}

export function isAirlockError(value: unknown): value is AirlockError {
  return value instanceof AirlockError;
}

/** The kind of any thrown value: AirlockErrors carry theirs; everything else is a bug. */
export function errorKind(value: unknown): ErrorKind {
  return isAirlockError(value) ? value.kind : 'bug';
}

/** A one-line message for any thrown value, without a stack. */
export function errorMessage(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The stack of a thrown value and of its causes, for debug output of bugs. */
export function errorStack(value: unknown): string {
  const parts: string[] = [];
  let current: unknown = value;
  for (let depth = 0; current !== undefined && depth < 8; depth++) {
    parts.push(current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : String(current));
    current = current instanceof Error ? current.cause : undefined;
    if (current !== undefined) parts.push('Caused by:');
  }
  return parts.join('\n');
}

/** Quote a user-supplied value for an error message, shortened so a huge value cannot flood the log. */
export function quote(value: string, max = 120): string {
  const shown = value.length > max ? `${value.slice(0, max)}…` : value;
  return `'${shown.replace(/[\r\n]+/g, '⏎')}'`;
}
