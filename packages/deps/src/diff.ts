/**
 * Pull-request mode: the base revision's lockfiles are read from git (`git show <base>:<path>`) in the same checkout
 * — no second checkout — and only what the change introduces is reported.
 *
 * The base comes from the event that started the workflow:
 * - `pull_request` / `pull_request_target`: `pull_request.base.sha`;
 * - `merge_group` (merge queues): `merge_group.base_sha` — the queue's base, not the PR's, so a PR that is fine on
 *   its own but not on top of the queue is still judged on what it adds to the queue;
 * - `push`: `before` (absent on a new branch: the whole tree is new, so everything is reported).
 */
import { execFileSync } from 'node:child_process';
import { DepsError } from './model.ts';

export interface BaseRevision {
  /** A commit sha or ref name. */
  readonly ref: string;
  /** The directory git runs in (the scan root, inside the repository's work tree). */
  readonly cwd: string;
}

export interface EventBase {
  readonly ref: string;
  /** Where the ref came from, for the log: `pull_request.base.sha`. */
  readonly from: string;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/** The base revision of an event payload, or undefined when the event has none (a new branch, a schedule). */
export function baseFromEvent(eventName: string | undefined, payload: unknown): EventBase | undefined {
  const event = obj(payload);
  if (event === undefined) return undefined;
  const valid = (value: unknown, from: string): EventBase | undefined =>
    typeof value === 'string' && SHA.test(value) && !/^0+$/.test(value) ? { ref: value, from } : undefined;
  switch (eventName) {
    case 'pull_request':
    case 'pull_request_target':
      return valid(obj(obj(event.pull_request)?.base)?.sha, 'pull_request.base.sha');
    case 'merge_group':
      return valid(obj(event.merge_group)?.base_sha, 'merge_group.base_sha');
    case 'push':
      return valid(event.before, 'push before');
    default:
      return undefined;
  }
}

function git(
  cwd: string,
  args: readonly string[],
): { ok: true; stdout: Buffer } | { ok: false; stderr: string; code: string | undefined } {
  try {
    const stdout = execFileSync('git', args, {
      cwd,
      maxBuffer: 512 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { ok: true, stdout };
  } catch (error) {
    const e = error as { stderr?: Buffer; code?: string };
    return { ok: false, stderr: e.stderr?.toString('utf8').trim() ?? String(error), code: e.code };
  }
}

/** Check that the base revision is a commit available in this clone; a clear error when it is not. */
export function resolveBase(ref: string, cwd: string): BaseRevision {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/~^@{}-]*$/.test(ref) || ref.includes('..')) {
    throw new DepsError('git', `the base revision '${ref.slice(0, 80)}' is not a commit sha or ref name`);
  }
  const result = git(cwd, ['--no-optional-locks', 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (!result.ok) {
    if (result.code === 'ENOENT') throw new DepsError('git', 'pull-request mode needs git, which is not installed');
    if (/not a git repository/i.test(result.stderr)) {
      throw new DepsError('git', `pull-request mode needs a git checkout; ${cwd} is not inside one`);
    }
    throw new DepsError(
      'git',
      `the base revision ${ref} is not in this clone; fetch it (actions/checkout with fetch-depth: 0, or git fetch origin ${ref})`,
    );
  }
  return { ref: result.stdout.toString('utf8').trim(), cwd };
}

/** A file at the base revision (path relative to `base.cwd`), or undefined when it did not exist there. */
export function readBaseLockfile(base: BaseRevision, path: string): string | undefined {
  const clean = path.replace(/^\.\//, '');
  if (clean.split('/').includes('..') || clean.startsWith('/')) return undefined;
  const result = git(base.cwd, ['--no-optional-locks', 'show', `${base.ref}:./${clean}`]);
  if (result.ok) return result.stdout.toString('utf8');
  if (/does not exist in|exists on disk, but not in|not in '/.test(result.stderr)) return undefined;
  throw new DepsError('git', `git show ${base.ref}:${clean} failed: ${result.stderr.split('\n')[0]}`);
}
