import { AirlockError, type AirlockErrorOptions } from '@airlock/core';

/**
 * The audit library's error. Findings are not errors: a workflow with problems is audited and its problems are
 * reported as findings (YAML syntax errors included). Errors are for what stops the audit itself: a path that does not
 * exist, a configuration file that is wrong, an online check that cannot reach GitHub.
 */
export type AuditErrorCode =
  | 'path-not-found'
  | 'path-unreadable'
  | 'no-files'
  | 'config-invalid'
  | 'findings'
  | 'online-unavailable'
  | 'online-denied'
  | 'online-invalid';

export class AuditError extends AirlockError<AuditErrorCode> {
  constructor(code: AuditErrorCode, message: string, options: AirlockErrorOptions = {}) {
    super(code, message, options);
  }
}
