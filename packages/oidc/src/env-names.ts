import { OidcError } from './errors.ts';

/** Names that would let a value take over later steps if exported; refused for secrets and the RDS token. */
const RESERVED_ENV =
  /^(GITHUB_|RUNNER_|ACTIONS_|INPUT_|STATE_|DYLD_)|^(PATH|NODE_OPTIONS|NODE_PATH|LD_PRELOAD|LD_LIBRARY_PATH|LD_AUDIT|BASH_ENV|ENV|PROMPT_COMMAND|SHELLOPTS|PS4|IFS|HOME|PYTHONPATH|PYTHONSTARTUP|PERL5OPT|RUBYOPT|JAVA_TOOL_OPTIONS|GIT_SSH_COMMAND|GIT_ASKPASS|SSH_ASKPASS)$/;

export function checkEnvName(name: string, where: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new OidcError(
      'setting-invalid',
      `${where} needs an environment variable name (letters, digits, _); got '${name}'`,
    );
  }
  if (RESERVED_ENV.test(name)) {
    throw new OidcError(
      'setting-invalid',
      `${where} cannot export '${name}': it would change how later steps or the runner behave`,
    );
  }
}
