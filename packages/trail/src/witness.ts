import type { TrailRecord } from '@airlock/core';

/**
 * Witness lines: each Airlock action prints `airlock-trail seq=<n> sha256=<hash>` to the job log right after it
 * appends a record. GitHub stores the log as the job runs, outside the runner's reach, so the log is an independent
 * copy of the chain's hashes. A downloaded job log prefixes each line with a timestamp; the pattern matches anywhere in
 * a line.
 */
export interface Witness {
  readonly seq: number;
  readonly sha256: string;
  /** 1-based line of the job log. */
  readonly line: number;
}

const WITNESS = /(?:^|\s)airlock-trail seq=(\d+) sha256=([0-9a-f]{64})(?:\s|$)/;

export function parseWitnesses(log: string): Witness[] {
  const out: Witness[] = [];
  log.split(/\r?\n/).forEach((text, index) => {
    const m = WITNESS.exec(text);
    if (m) out.push({ seq: Number(m[1]), sha256: m[2] as string, line: index + 1 });
  });
  return out;
}

export type WitnessFailureCode = 'witness-missing' | 'witness-mismatch' | 'witness-conflict' | 'witness-extra';

export interface WitnessFailure {
  readonly code: WitnessFailureCode;
  readonly seq: number;
  readonly message: string;
}

/**
 * Compare the records of a verified chain with the witnesses in a job log. Every record must have a witness with its
 * hash, and no seq may be witnessed with two different hashes.
 *
 * Witnesses beyond the last record mean the trail lost its end — unless the trail is a sealed copy
 * (`sealed: true`): the job went on appending after the seal (the seal's own record first), so later witnesses are
 * expected. A trail truncated before it was sealed still fails: the records appended afterwards reuse the removed
 * sequence numbers, and the log then witnesses those numbers with two different hashes.
 */
export function checkWitnesses(
  records: readonly TrailRecord[],
  hashes: readonly string[],
  witnesses: readonly Witness[],
  options: { readonly sealed?: boolean } = {},
): WitnessFailure | undefined {
  const bySeq = new Map<number, Witness[]>();
  for (const w of witnesses) bySeq.set(w.seq, [...(bySeq.get(w.seq) ?? []), w]);
  for (const [seq, list] of [...bySeq].sort(([a], [b]) => a - b)) {
    const distinct = new Set(list.map((w) => w.sha256));
    if (distinct.size > 1) {
      return {
        code: 'witness-conflict',
        seq,
        message: `the job log witnesses record seq ${seq} with ${distinct.size} different hashes (log lines ${list.map((w) => w.line).join(', ')}): a line was injected into the log`,
      };
    }
  }
  for (const [i, record] of records.entries()) {
    const list = bySeq.get(record.seq);
    if (list === undefined) {
      return {
        code: 'witness-missing',
        seq: record.seq,
        message: `record seq ${record.seq} (${record.action.name}, ${record.action.phase}) has no witness line in the job log: it was added or rewritten after the log was written`,
      };
    }
    const witness = list[0] as Witness;
    if (witness.sha256 !== hashes[i]) {
      return {
        code: 'witness-mismatch',
        seq: record.seq,
        message: `record seq ${record.seq} (${record.action.name}) hashes to ${(hashes[i] as string).slice(0, 12)}… but the job log (line ${witness.line}) witnessed ${witness.sha256.slice(0, 12)}…: the record was changed after it was written`,
      };
    }
  }
  const extra = [...bySeq.keys()].filter((seq) => seq > records.length).sort((a, b) => a - b)[0];
  if (extra !== undefined && !options.sealed) {
    return {
      code: 'witness-extra',
      seq: extra,
      message: `the job log witnesses record seq ${extra} but the trail has only ${records.length} records: records were removed from the end`,
    };
  }
  return undefined;
}
