import { sha256Hex, type TrailRecord, type TrailSubject } from '@airlock/core';

/**
 * The in-toto statement a seal signs: its subjects are every artifact digest the trail's records name plus the trail
 * file itself; its predicate is the Airlock trail predicate (the chain's shape and the hash of every record).
 */
export const TRAIL_PREDICATE_TYPE = 'https://airlock.dev/attestations/trail/v1';
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';

export interface TrailPredicate {
  readonly format: 1;
  /** The trail file's name in the sealed artifact. */
  readonly trail: { readonly name: string; readonly sha256: string; readonly records: number };
  /** sha256 of each record, in order: the chain itself. */
  readonly hashes: readonly string[];
  /** The last record's hash. */
  readonly head: string;
  readonly run: {
    readonly repository: string | null;
    readonly run_id: string | null;
    readonly run_attempt: string | null;
    readonly job: string | null;
    readonly workflow_ref: string | null;
    readonly sha: string | null;
  };
  /** A line per record: who did what, for readers of the attestation who do not have the trail file. */
  readonly steps: ReadonlyArray<{
    readonly seq: number;
    readonly action: string;
    readonly phase: string;
    readonly step: string | null;
    readonly outcome: string;
    readonly time: string;
  }>;
}

export interface TrailStatement {
  readonly _type: typeof STATEMENT_TYPE;
  readonly subject: readonly TrailSubject[];
  readonly predicateType: typeof TRAIL_PREDICATE_TYPE;
  readonly predicate: TrailPredicate;
}

/** Every artifact subject named by the records, deduplicated by name and sha256, in first-seen order. */
export function recordedSubjects(records: readonly TrailRecord[]): TrailSubject[] {
  const seen = new Set<string>();
  const out: TrailSubject[] = [];
  for (const record of records) {
    for (const subject of record.subjects) {
      const key = `${subject.name}\u0000${JSON.stringify(Object.entries(subject.digest).sort())}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ name: subject.name, digest: { ...subject.digest } });
    }
  }
  return out;
}

export function buildTrailStatement(
  trailText: string,
  records: readonly TrailRecord[],
  hashes: readonly string[],
  fileName = 'trail.jsonl',
): TrailStatement {
  const fileDigest = sha256Hex(trailText);
  const first = records[0];
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: fileName, digest: { sha256: fileDigest } }, ...recordedSubjects(records)],
    predicateType: TRAIL_PREDICATE_TYPE,
    predicate: {
      format: 1,
      trail: { name: fileName, sha256: fileDigest, records: records.length },
      hashes: [...hashes],
      head: hashes.at(-1) ?? '',
      run: {
        repository: first?.github.repository ?? null,
        run_id: first?.github.run_id ?? null,
        run_attempt: first?.github.run_attempt ?? null,
        job: first?.github.job ?? null,
        workflow_ref: first?.github.workflow_ref ?? null,
        sha: first?.github.sha ?? null,
      },
      steps: records.map((r) => ({
        seq: r.seq,
        action: r.action.name,
        phase: r.action.phase,
        step: r.step,
        outcome: r.outcome,
        time: r.time,
      })),
    },
  };
}
