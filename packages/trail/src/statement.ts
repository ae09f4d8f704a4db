import { sha256Hex, type TrailRecord, type TrailSubject } from '@airlock/core';

/**
 * The in-toto statement a seal signs. A seal covers one or more trail files (a job's own, or several jobs' trails
 * collected by a final job that holds `id-token: write`). Its subjects are each trail file and every artifact digest
 * the records name; its predicate lists, per trail, the hash of every record (the chain itself) and a line per step.
 */
export const TRAIL_PREDICATE_TYPE = 'https://airlock.dev/attestations/trail/v1';
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';

export interface SealedTrail {
  /** The trail file's name in the sealed artifact. */
  readonly name: string;
  readonly sha256: string;
  readonly records: number;
  /** sha256 of each record, in order. */
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

export interface TrailPredicate {
  readonly format: 1;
  readonly trails: readonly SealedTrail[];
}

export interface TrailStatement {
  readonly _type: typeof STATEMENT_TYPE;
  readonly subject: readonly TrailSubject[];
  readonly predicateType: typeof TRAIL_PREDICATE_TYPE;
  readonly predicate: TrailPredicate;
}

/** A verified trail file to seal. */
export interface TrailToSeal {
  readonly name: string;
  readonly text: string;
  readonly records: readonly TrailRecord[];
  readonly hashes: readonly string[];
}

/** Every artifact subject named by the records, deduplicated by name and digest, in first-seen order. */
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

export function sealedTrail(trail: TrailToSeal): SealedTrail {
  const first = trail.records[0];
  return {
    name: trail.name,
    sha256: sha256Hex(trail.text),
    records: trail.records.length,
    hashes: [...trail.hashes],
    head: trail.hashes.at(-1) ?? '',
    run: {
      repository: first?.github.repository ?? null,
      run_id: first?.github.run_id ?? null,
      run_attempt: first?.github.run_attempt ?? null,
      job: first?.github.job ?? null,
      workflow_ref: first?.github.workflow_ref ?? null,
      sha: first?.github.sha ?? null,
    },
    steps: trail.records.map((r) => ({
      seq: r.seq,
      action: r.action.name,
      phase: r.action.phase,
      step: r.step,
      outcome: r.outcome,
      time: r.time,
    })),
  };
}

export function buildTrailStatement(trails: readonly TrailToSeal[]): TrailStatement {
  const sealed = trails.map(sealedTrail);
  const artifactSubjects = recordedSubjects(trails.flatMap((t) => t.records));
  return {
    _type: STATEMENT_TYPE,
    subject: [...sealed.map((t) => ({ name: t.name, digest: { sha256: t.sha256 } })), ...artifactSubjects],
    predicateType: TRAIL_PREDICATE_TYPE,
    predicate: { format: 1, trails: sealed },
  };
}
