import type { Command } from '../cli.ts';
import { auditCommand } from './audit.ts';
import { exchangeCommand } from './exchange.ts';
import { redactCommand } from './redact.ts';
import { scanCommand } from './scan.ts';
import { secretsScan } from './secrets.ts';
import { signingCommands } from './sigstore.ts';
import { tokenVerify } from './token.ts';
import { trailShow, trailVerify } from './trail.ts';

/**
 * Every subcommand of `airlock`. Each capability adds its commands here (one import and one entry); the framework
 * in cli.ts does parsing, help, formats and exit codes.
 */
export const commands: readonly Command[] = [
  auditCommand,
  trailVerify,
  trailShow,
  scanCommand,
  ...signingCommands,
  tokenVerify,
  exchangeCommand,
  redactCommand,
  secretsScan,
];
