import { type CliIO, runCli } from './cli.ts';
import { commands } from './commands/index.ts';

/** The airlock CLI over the real process. */
export function run(argv: readonly string[], io: Partial<CliIO> = {}): Promise<number> {
  return runCli(
    argv,
    {
      stdout: process.stdout,
      stderr: process.stderr,
      stdin: process.stdin,
      env: process.env,
      cwd: process.cwd(),
      ...io,
    },
    commands,
  );
}
