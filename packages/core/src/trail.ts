import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { canonicalJson, sha256Hex } from './canonical.ts';
import { AirlockError } from './errors.ts';
import type { GitHubContext } from './github.ts';

/**
 * The Airlock trail: one hash-chained JSON line per action run, appended to `$RUNNER_TEMP/airlock/trail.jsonl`.
 * docs/trail-format.md is the specification; this module is its reference implementation.
 *
 * - Each line is the RFC 8785 canonical JSON of one {@link TrailRecord}.
 * - `prev` is the sha256 (hex) of the previous record's canonical JSON; the first record's `prev` is 64 zeros.
 * - `seq` counts from 1 without gaps.
 * - After appending, the action prints a witness line `airlock-trail seq=<n> sha256=<hash>` to the job log, so a
 *   verifier can later compare the file with what GitHub's log recorded while the job ran.
 */
export const TRAIL_FORMAT_VERSION = 1;
export const GENESIS_HASH = '0'.repeat(64);
export const TRAIL_DIR = 'airlock';
export const TRAIL_FILE = 'trail.jsonl';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** An artifact a step produced, consumed or checked: in-toto ResourceDescriptor style (`digest` by algorithm). */
export interface TrailSubject {
  readonly name: string;
  readonly digest: Readonly<Record<string, string>>;
}

export interface TrailGitHub {
  readonly repository: string | null;
  readonly run_id: string | null;
  readonly run_attempt: string | null;
  readonly job: string | null;
  /** Only known when the step verified an OIDC token (the runner exposes no variable for it). */
  readonly job_workflow_ref: string | null;
  readonly workflow_ref: string | null;
  readonly sha: string | null;
  readonly ref: string | null;
  readonly actor: string | null;
  readonly event_name: string | null;
}

export interface TrailRecord {
  readonly v: 1;
  readonly seq: number;
  readonly prev: string;
  /** UTC, RFC 3339 with milliseconds. */
  readonly time: string;
  readonly action: {
    readonly name: string;
    readonly version: string;
    readonly phase: 'main' | 'post';
    /** `GITHUB_ACTION_REPOSITORY` and `GITHUB_ACTION_REF`: which copy of the action ran. */
    readonly repository: string | null;
    readonly ref: string | null;
  };
  /** The step id (`GITHUB_ACTION`). */
  readonly step: string | null;
  readonly github: TrailGitHub;
  readonly outcome: 'success' | 'failure';
  readonly error: { readonly code: string; readonly message: string } | null;
  /** The inputs the action read, secret values replaced by `***`. */
  readonly inputs: Readonly<Record<string, string>>;
  readonly subjects: readonly TrailSubject[];
  /** Action-specific result: counts, decisions, identities obtained (never credential values). */
  readonly result: JsonObject;
}

/** What an action supplies; the recorder adds `v`, `seq`, `prev` and `time`. */
export type TrailEntry = Omit<TrailRecord, 'v' | 'seq' | 'prev' | 'time'>;

export type TrailErrorCode = 'trail-unsafe' | 'trail-io' | 'trail-malformed' | 'trail-broken';

export class TrailError extends AirlockError<TrailErrorCode> {}

export function trailPath(runnerTemp: string): string {
  return join(runnerTemp, TRAIL_DIR, TRAIL_FILE);
}

export function witnessLine(seq: number, sha256: string): string {
  return `airlock-trail seq=${seq} sha256=${sha256}`;
}

/** Matches a witness line anywhere in a log line (GitHub prefixes log lines with a timestamp). */
export const WITNESS_PATTERN = /airlock-trail seq=(\d+) sha256=([0-9a-f]{64})/;

export function recordHash(record: TrailRecord): string {
  return sha256Hex(canonicalJson(record));
}

export function githubForTrail(context: GitHubContext, jobWorkflowRef: string | null = null): TrailGitHub {
  return {
    repository: context.repository ?? null,
    run_id: context.runId ?? null,
    run_attempt: context.runAttempt ?? null,
    job: context.job ?? null,
    job_workflow_ref: jobWorkflowRef,
    workflow_ref: context.workflowRef ?? null,
    sha: context.sha ?? null,
    ref: context.ref ?? null,
    actor: context.actor ?? null,
    event_name: context.eventName ?? null,
  };
}

export interface AppendResult {
  readonly record: TrailRecord;
  readonly sha256: string;
  readonly witness: string;
  /** Problems found in the existing file (the record is still appended; sealing will report them). */
  readonly warnings: readonly string[];
}

export interface TrailRecorderOptions {
  /** The trail file, usually {@link trailPath}(RUNNER_TEMP). */
  readonly path: string;
  readonly now?: () => Date;
  /** Registered secret values: any occurrence in a string of the record is replaced by `***` before writing. */
  readonly secrets?: () => Iterable<string>;
}

/**
 * Appends records to a trail file. The directory is created 0700 and the file 0600; a symlink in place of the file or
 * the directory is refused, so a step cannot redirect the trail somewhere else.
 */
export class TrailRecorder {
  readonly path: string;
  readonly #now: () => Date;
  readonly #secrets: () => Iterable<string>;

  constructor(options: TrailRecorderOptions) {
    this.path = options.path;
    this.#now = options.now ?? (() => new Date());
    this.#secrets = options.secrets ?? (() => []);
  }

  append(entry: TrailEntry): AppendResult {
    const dir = dirname(this.path);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (cause) {
      throw new TrailError('trail-io', `cannot create the trail directory ${dir}`, { cause, kind: 'external' });
    }
    refuseSymlink(dir);
    refuseSymlink(this.path);

    let fd: number;
    try {
      fd = openSync(this.path, constants.O_RDWR | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW, 0o600);
    } catch (cause) {
      throw new TrailError('trail-io', `cannot open the trail file ${this.path}`, { cause, kind: 'external' });
    }
    try {
      if (!fstatSync(fd).isFile()) {
        throw new TrailError('trail-unsafe', `the trail file ${this.path} is not a regular file`);
      }
      const { seq, prev, warnings } = lastLink(readFileSync(fd, 'utf8'));
      const record = redactStrings({ v: TRAIL_FORMAT_VERSION, seq, prev, time: this.#now().toISOString(), ...entry }, [
        ...this.#secrets(),
      ]) as TrailRecord;
      const line = canonicalJson(record);
      writeSync(fd, `${line}\n`);
      const sha256 = sha256Hex(line);
      return { record, sha256, witness: witnessLine(seq, sha256), warnings };
    } finally {
      closeSync(fd);
    }
  }
}

function refuseSymlink(path: string): void {
  let isLink = false;
  try {
    isLink = lstatSync(path).isSymbolicLink();
  } catch {
    return; // does not exist yet
  }
  if (isLink) throw new TrailError('trail-unsafe', `refusing to write the trail through a symlink: ${path}`);
}

/** The `seq` and `prev` for the next record, from the current file content. */
function lastLink(text: string): { seq: number; prev: string; warnings: string[] } {
  const lines = text.split('\n');
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const last = lines[lines.length - 1];
  if (last === undefined) return { seq: 1, prev: GENESIS_HASH, warnings: [] };
  try {
    const parsed = JSON.parse(last) as { seq?: unknown };
    if (typeof parsed.seq !== 'number' || !Number.isSafeInteger(parsed.seq)) throw new Error('no seq');
    return { seq: parsed.seq + 1, prev: sha256Hex(canonicalJson(parsed)), warnings: [] };
  } catch {
    return {
      seq: lines.length + 1,
      prev: sha256Hex(last),
      warnings: [`the trail's last line (line ${lines.length}) is not a valid record; the chain will not verify`],
    };
  }
}

/** Replace every occurrence of each secret in every string of a JSON value (longest secrets first). */
export function redactStrings(value: unknown, secrets: readonly string[]): unknown {
  const list = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  if (list.length === 0) return value;
  const visit = (v: unknown): unknown => {
    if (typeof v === 'string') return list.reduce((s, secret) => s.split(secret).join('***'), v);
    if (Array.isArray(v)) return v.map(visit);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, inner]) => [visit(k) as string, visit(inner)]));
    }
    return v;
  };
  return visit(value);
}

export type ChainFailureCode = 'malformed' | 'unknown-version' | 'sequence' | 'prev-mismatch' | 'empty';

export type ChainReport =
  | { readonly ok: true; readonly records: TrailRecord[]; readonly hashes: string[] }
  | {
      readonly ok: false;
      readonly code: ChainFailureCode;
      /** 1-based line of the first bad record in the file. */
      readonly line: number;
      readonly message: string;
      /** Records before the first bad one, which did verify. */
      readonly records: TrailRecord[];
      readonly hashes: string[];
    };

/**
 * Check a trail file's chain: every line a well-formed record, `seq` 1, 2, 3… and each `prev` the hash of the record
 * before. Reports the first bad line and why. Signature and witness checks build on this (packages/trail).
 */
export function verifyChain(text: string, source = 'trail.jsonl'): ChainReport {
  const records: TrailRecord[] = [];
  const hashes: string[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const fail = (code: ChainFailureCode, line: number, why: string): ChainReport => ({
    ok: false,
    code,
    line,
    message: `${source}:${line}: ${why}`,
    records,
    hashes,
  });
  if (lines.length === 0) return fail('empty', 1, 'the trail is empty');
  for (const [index, raw] of lines.entries()) {
    const lineNo = index + 1;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return fail('malformed', lineNo, 'not valid JSON');
    }
    const problem = recordProblem(parsed);
    if (problem !== undefined) {
      return fail(problem.startsWith('v ') ? 'unknown-version' : 'malformed', lineNo, problem);
    }
    const record = parsed as TrailRecord;
    const expectedSeq = index + 1;
    if (record.seq !== expectedSeq) {
      return fail('sequence', lineNo, `expected seq ${expectedSeq}, found ${record.seq}`);
    }
    const expectedPrev = index === 0 ? GENESIS_HASH : (hashes[index - 1] as string);
    if (record.prev !== expectedPrev) {
      return fail(
        'prev-mismatch',
        lineNo,
        index === 0
          ? `record seq ${record.seq} should start the chain (prev ${GENESIS_HASH.slice(0, 12)}…) but has prev ${record.prev.slice(0, 12)}…`
          : `record seq ${record.seq} does not chain to record seq ${record.seq - 1}: prev ${record.prev.slice(0, 12)}… but that record hashes to ${expectedPrev.slice(0, 12)}…`,
      );
    }
    records.push(record);
    hashes.push(recordHash(record));
  }
  return { ok: true, records, hashes };
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Why a parsed line is not a v1 record, or undefined when it is one. */
export function recordProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'a record must be a JSON object';
  const r = value as Record<string, unknown>;
  if (r.v !== TRAIL_FORMAT_VERSION)
    return `v ${JSON.stringify(r.v)} is not a trail format this version understands (1)`;
  if (typeof r.seq !== 'number' || !Number.isSafeInteger(r.seq) || r.seq < 1) return "'seq' must be a positive integer";
  if (typeof r.prev !== 'string' || !HEX64.test(r.prev)) return "'prev' must be 64 lowercase hex digits";
  if (typeof r.time !== 'string' || Number.isNaN(Date.parse(r.time))) return "'time' must be an RFC 3339 time";
  const action = r.action as Record<string, unknown> | undefined;
  if (typeof action !== 'object' || action === null || typeof action.name !== 'string') {
    return "'action.name' must be a string";
  }
  if (action.phase !== 'main' && action.phase !== 'post') return "'action.phase' must be main or post";
  if (typeof r.github !== 'object' || r.github === null) return "'github' must be an object";
  if (r.outcome !== 'success' && r.outcome !== 'failure') return "'outcome' must be success or failure";
  if (typeof r.inputs !== 'object' || r.inputs === null || Array.isArray(r.inputs)) return "'inputs' must be an object";
  if (!Array.isArray(r.subjects)) return "'subjects' must be an array";
  for (const [i, s] of r.subjects.entries()) {
    const subject = s as { name?: unknown; digest?: unknown } | null;
    if (typeof subject?.name !== 'string' || typeof subject.digest !== 'object' || subject.digest === null) {
      return `'subjects[${i}]' must have a name and a digest`;
    }
  }
  if (typeof r.result !== 'object' || r.result === null || Array.isArray(r.result)) return "'result' must be an object";
  return undefined;
}
