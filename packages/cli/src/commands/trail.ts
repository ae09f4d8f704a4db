import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError, verifyChain } from '@airlock/core';
import { type Command, EXIT } from '../cli.ts';

/**
 * `airlock trail verify TRAIL`: the hash chain of a trail file (docs/trail-format.md). Signature and job-log witness
 * checks are layered on this by the trail package.
 */
export const trailVerify: Command = {
  path: ['trail', 'verify'],
  summary: 'Check that a trail file is an unbroken hash chain.',
  args: 'TRAIL',
  description:
    'Exits 0 when every record is well formed, numbered from 1 without gaps, and chained to the one before by its sha256; otherwise exits 1 naming the first bad record and why.',
  formats: ['table', 'json'],
  minPositionals: 1,
  maxPositionals: 1,
  async run({ positionals, format, io, out }) {
    const file = positionals[0] as string;
    let text: string;
    try {
      text = readFileSync(resolve(io.cwd, file), 'utf8');
    } catch (cause) {
      throw new InputError(
        'input-invalid',
        `cannot read trail file ${file}: ${(cause as NodeJS.ErrnoException).code ?? cause}`,
      );
    }
    const report = verifyChain(text, file);
    if (format === 'json') {
      out(
        JSON.stringify(
          report.ok
            ? { ok: true, records: report.records.length, head: report.hashes.at(-1) }
            : {
                ok: false,
                code: report.code,
                line: report.line,
                message: report.message,
                verified: report.records.length,
              },
          null,
          2,
        ),
      );
    } else if (report.ok) {
      out(`${file}: chain intact, ${report.records.length} records, head sha256 ${report.hashes.at(-1)}`);
    } else {
      out(`${report.message} (${report.records.length} records before it verified)`);
    }
    return report.ok ? EXIT.ok : EXIT.findings;
  },
};
