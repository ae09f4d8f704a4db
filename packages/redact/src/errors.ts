import { AirlockError, type AirlockErrorOptions } from '@airlock/core/errors';

export type RedactErrorCode =
  /** A rule definition that does not compile or breaks an engine invariant (a bug in the rule set). */
  | 'rule-invalid'
  /** Too many registered secret variants for the automaton's memory budget. */
  | 'too-many-secrets'
  /** A file or archive that cannot be read or is not what its name says. */
  | 'file-unreadable'
  /** An archive over the size, ratio, depth or member-count limits (a likely zip bomb). */
  | 'archive-limit'
  /** A malformed archive (bad header, truncated member, unsupported method). */
  | 'archive-invalid'
  /** A glob or path that matched nothing, or a bad option. */
  | 'scan-input'
  /** The wrapped command could not be started. */
  | 'command-failed';

/** The one error type of packages/redact. Messages never contain a secret value. */
export class RedactError extends AirlockError<RedactErrorCode> {
  constructor(code: RedactErrorCode, message: string, options: AirlockErrorOptions = {}) {
    super(code, message, { kind: code === 'rule-invalid' ? 'bug' : 'user', ...options });
  }
}
