export {
  type CliIO,
  type Command,
  type CommandContext,
  commandHelp,
  EXIT,
  type ExitCode,
  type Format,
  mainHelp,
  runCli,
  UsageError,
} from './cli.ts';
export { commands } from './commands/index.ts';
export { run } from './main.ts';
