import { resolve } from 'node:path';
import { InputError } from '@airlock/core';
import { expandPaths, scanFiles, toSarif } from '@airlock/redact';
import { type Command, EXIT } from '../cli.ts';
import { redactorFrom, SECRET_OPTIONS } from './redact.ts';

/**
 * `airlock secrets scan [--format json|sarif] PATH…`: files, directories, globs and the members of zip/tar/gzip
 * archives scanned for registered secrets (--secret, --secret-env) and credentials in known formats. JSON is
 * `[{"rule","path","line","column","endColumn"}…]` (1-based; endColumn exclusive; `endLine` added when a finding
 * spans lines), never a value. Exits 1 when anything is found or a file could not be scanned.
 */
export const secretsScan: Command = {
  path: ['secrets', 'scan'],
  summary: 'Scan files and archives for secrets before they are uploaded.',
  args: 'PATH…',
  description:
    'Exits 0 when nothing is found, 1 when a secret is found or an archive cannot be scanned (over a size, ratio or nesting limit, or corrupt), 2 for a bad option or a path that matches nothing. Values are never printed.',
  formats: ['json', 'sarif'],
  minPositionals: 1,
  options: {
    ...SECRET_OPTIONS,
    'redact-to': {
      type: 'string',
      value: 'DIR',
      description: 'Write redacted copies of the scanned files here (archives rewritten), keeping their paths.',
    },
  },
  async run(context) {
    const { values, positionals, format, io, out, err, progress } = context;
    const redactor = redactorFrom(context);
    const { files, unmatched } = await expandPaths(positionals, io.cwd);
    if (unmatched.length > 0) {
      throw new InputError('input-invalid', `${unmatched.map((p) => `'${p}'`).join(', ')} match(es) no file`);
    }
    const redactTo = values['redact-to'] === undefined ? undefined : resolve(io.cwd, values['redact-to'] as string);
    const report = await scanFiles(files, {
      redactor,
      root: io.cwd,
      ...(redactTo === undefined ? {} : { redactTo }),
      onFile: (path) => progress.update(`scanning ${path}`),
    });
    progress.done();
    if (format === 'sarif') {
      out(JSON.stringify(toSarif(report.findings), null, 2));
    } else {
      out(
        JSON.stringify(
          report.findings.map((f) => ({
            rule: f.rule,
            path: f.path,
            line: f.line,
            column: f.column,
            endColumn: f.endColumn,
            ...(f.endLine === f.line ? {} : { endLine: f.endLine }),
          })),
          null,
          2,
        ),
      );
    }
    for (const p of report.problems) err(`airlock secrets scan: ${p.message}`);
    return report.findings.length > 0 || report.problems.length > 0 ? EXIT.findings : EXIT.ok;
  },
};
