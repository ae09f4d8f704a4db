import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { InputError, verifyChain } from '@airlock/core';
import { renderHtml, renderTable, timeline, verifyTrail } from '@airlock/trail';
import { type Command, EXIT } from '../cli.ts';

function readInput(cwd: string, file: string, what: string): string {
  try {
    return readFileSync(resolve(cwd, file), 'utf8');
  } catch (cause) {
    throw new InputError(
      'input-invalid',
      `cannot read ${what} ${file}: ${(cause as NodeJS.ErrnoException).code ?? cause}`,
    );
  }
}

/**
 * `airlock trail verify TRAIL [--log JOBLOG]`: the hash chain of a trail file (docs/trail-format.md) and, with a job
 * log, its witness lines.
 */
export const trailVerify: Command = {
  path: ['trail', 'verify'],
  summary: 'Verify a trail: an unbroken hash chain, and every record witnessed in the job log.',
  args: 'TRAIL',
  description:
    'Exits 0 only when every record is well formed, numbered from 1 without gaps and chained to the one before by its sha256, and (with --log) every record has a matching witness line in the job log and no witness is missing from the trail; otherwise exits 1 naming the first bad record and why.',
  options: {
    log: {
      type: 'string',
      value: 'JOBLOG',
      description: 'The job log as downloaded from GitHub, to cross-check witness lines.',
    },
  },
  formats: ['table', 'json'],
  minPositionals: 1,
  maxPositionals: 1,
  async run({ positionals, values, format, io, out }) {
    const file = positionals[0] as string;
    const trailText = readInput(io.cwd, file, 'trail file');
    const log = typeof values.log === 'string' ? readInput(io.cwd, values.log, 'job log') : undefined;
    const result = await verifyTrail({ trailText, trailName: file, ...(log === undefined ? {} : { log }) });
    if (format === 'json') {
      out(
        JSON.stringify(
          {
            ok: result.ok,
            records: result.records.length,
            head: result.hashes.at(-1) ?? null,
            checks: result.checks,
            failure: result.failure ?? null,
          },
          null,
          2,
        ),
      );
    } else {
      for (const check of result.checks) out(`${check.ok ? 'ok  ' : 'FAIL'} ${check.check}: ${check.detail}`);
      out(result.ok ? `${file}: verified` : `${file}: NOT verified`);
    }
    return result.ok ? EXIT.ok : EXIT.findings;
  },
};

/** `airlock trail show TRAIL [--format table|json|html]`: a readable timeline. */
export const trailShow: Command = {
  path: ['trail', 'show'],
  summary: 'Show a trail as a timeline: who ran each step, what it did, artifacts and decisions.',
  args: 'TRAIL',
  description: 'Shows the records that chain correctly; when the chain breaks, says where (and exits 1).',
  formats: ['table', 'json', 'html'],
  minPositionals: 1,
  maxPositionals: 1,
  async run({ positionals, format, io, out, err }) {
    const file = positionals[0] as string;
    const chain = verifyChain(readInput(io.cwd, file, 'trail file'), file);
    const entries = timeline(chain.records, chain.hashes);
    const verdict = chain.ok
      ? { ok: true, text: `chain intact: ${chain.records.length} records, head ${chain.hashes.at(-1)}` }
      : { ok: false, text: `chain broken: ${chain.message}` };
    if (format === 'json') out(JSON.stringify({ ok: chain.ok, verdict: verdict.text, entries }, null, 2));
    else if (format === 'html') out(renderHtml(entries, `Airlock trail: ${basename(file)}`, verdict));
    else {
      out(renderTable(entries));
      (chain.ok ? out : err)(verdict.text);
    }
    return chain.ok ? EXIT.ok : EXIT.findings;
  },
};
