import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { InputError, quote } from '@airlock/core';

/**
 * The `shell` input, run the way GitHub runs a step's shell: the script goes to a file and the shell's template gets
 * the file for `{0}` (https://docs.github.com/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_idstepsshell).
 */
export interface Shell {
  readonly name: string;
  readonly command: string;
  readonly args: (file: string) => string[];
  readonly extension: string;
  /** The script as written to the file (PowerShell gets the runner's prologue and epilogue). */
  readonly script: (run: string) => string;
}

function onPath(name: string, env: Readonly<Record<string, string | undefined>>): boolean {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** Splits a template into words, honouring "double" and 'single' quotes. */
function words(template: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoteChar: string | undefined;
  let started = false;
  for (const ch of template) {
    if (quoteChar !== undefined) {
      if (ch === quoteChar) quoteChar = undefined;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quoteChar = ch;
      started = true;
    } else if (/\s/.test(ch)) {
      if (started || current !== '') out.push(current);
      current = '';
      started = false;
    } else {
      current += ch;
    }
  }
  if (quoteChar !== undefined)
    throw new InputError('input-invalid', `input 'shell' has an unclosed ${quoteChar} quote`);
  if (started || current !== '') out.push(current);
  return out;
}

function template(name: string, text: string, extension: string, script = (run: string) => run): Shell {
  const [command, ...rest] = words(text);
  if (command === undefined) throw new InputError('input-invalid', "input 'shell' is empty");
  return {
    name,
    command,
    args: (file) => rest.map((w) => w.replaceAll('{0}', file)),
    extension,
    script,
  };
}

const powershell = (run: string) =>
  `$ErrorActionPreference = 'stop'\n${run}\nif ((Test-Path -LiteralPath variable:\\LASTEXITCODE)) { exit $LASTEXITCODE }\n`;

export function shellCommand(shell: string | undefined, env: Readonly<Record<string, string | undefined>>): Shell {
  switch (shell) {
    case undefined:
      return onPath('bash', env) ? template('bash', 'bash -e {0}', '.sh') : template('sh', 'sh -e {0}', '.sh');
    case 'bash':
      return template('bash', 'bash --noprofile --norc -eo pipefail {0}', '.sh');
    case 'sh':
      return template('sh', 'sh -e {0}', '.sh');
    case 'pwsh':
      return template('pwsh', `pwsh -command ". '{0}'"`, '.ps1', powershell);
    case 'powershell':
      return template('powershell', `powershell -command ". '{0}'"`, '.ps1', powershell);
    case 'python':
      return template('python', 'python {0}', '.py');
    case 'node':
      return template('node', 'node {0}', '.cjs');
    case 'cmd':
      return {
        name: 'cmd',
        command: env.ComSpec ?? 'cmd.exe',
        args: (file) => ['/D', '/E:ON', '/V:OFF', '/S', '/C', `CALL "${file}"`],
        extension: '.cmd',
        script: (run) => run,
      };
    default:
      if (!shell.includes('{0}')) {
        throw new InputError(
          'input-invalid',
          `input 'shell' must be bash, sh, pwsh, powershell, python, node, cmd or a command with {0} for the script file; got ${quote(shell)}`,
        );
      }
      return template(words(shell)[0] ?? 'custom', shell, '');
  }
}
