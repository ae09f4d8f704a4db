import type { Reference } from '../expressions/analysis.ts';
import type { PathSegment } from '../expressions/ast.ts';

/**
 * Context values an outsider can choose: opening an issue, a pull request from a fork, a comment, a branch name, a
 * commit message. Interpolated into a script, they run as code. `*` matches any one segment (an array index or a key).
 * Sources: GitHub's "Security hardening for GitHub Actions" list of untrusted input, and the webhook payloads.
 */
export const ATTACKER_CONTROLLED: readonly string[] = [
  'github.head_ref',
  'github.event.issue.title',
  'github.event.issue.body',
  'github.event.pull_request.title',
  'github.event.pull_request.body',
  'github.event.pull_request.head.ref',
  'github.event.pull_request.head.label',
  'github.event.pull_request.head.repo.default_branch',
  'github.event.pull_request.head.repo.description',
  'github.event.pull_request.head.repo.homepage',
  'github.event.pull_request.head.repo.name',
  'github.event.pull_request.head.repo.full_name',
  'github.event.changes.title.from',
  'github.event.changes.body.from',
  'github.event.comment.body',
  'github.event.review.body',
  'github.event.review_comment.body',
  'github.event.discussion.title',
  'github.event.discussion.body',
  'github.event.pages.*.page_name',
  'github.event.pages.*.title',
  'github.event.commits.*.message',
  'github.event.commits.*.author.email',
  'github.event.commits.*.author.name',
  'github.event.commits.*.committer.email',
  'github.event.commits.*.committer.name',
  'github.event.head_commit.message',
  'github.event.head_commit.author.email',
  'github.event.head_commit.author.name',
  'github.event.head_commit.committer.email',
  'github.event.head_commit.committer.name',
  'github.event.workflow_run.head_branch',
  'github.event.workflow_run.display_title',
  'github.event.workflow_run.head_commit.message',
  'github.event.workflow_run.head_commit.author.email',
  'github.event.workflow_run.head_commit.author.name',
  'github.event.workflow_run.head_commit.committer.email',
  'github.event.workflow_run.head_commit.committer.name',
  'github.event.workflow_run.head_repository.description',
  'github.event.workflow_run.pull_requests.*.head.ref',
  'github.event.merge_group.head_commit.message',
  'github.event.merge_group.head_commit.author.email',
  'github.event.merge_group.head_commit.author.name',
  'github.event.check_suite.head_branch',
  'github.event.check_run.check_suite.head_branch',
  'github.event.check_suite.pull_requests.*.head.ref',
  'github.event.issue_comment.comment.body',
];

/**
 * Values chosen by someone with some access, or by a caller: `workflow_dispatch`/`workflow_call` inputs and
 * `repository_dispatch` payloads. Interpolating them is an injection when the caller is less trusted than the job.
 */
export const CALLER_CONTROLLED: readonly string[] = [
  'github.event.inputs.*',
  'inputs.*',
  'github.event.client_payload',
  'github.event.client_payload.*',
];

export type Taint = 'attacker' | 'caller';

function split(pattern: string): string[] {
  return pattern.split('.');
}

const ATTACKER = ATTACKER_CONTROLLED.map(split);
const CALLER = CALLER_CONTROLLED.map(split);

function segmentMatches(pattern: string, segment: PathSegment): boolean {
  if (pattern === '*') return true;
  return segment !== null && segment !== '*' && segment.toLowerCase() === pattern;
}

/**
 * Does a reference reach attacker-controlled data? Exactly (`github.event.issue.title`), or because it is a whole
 * object that contains it and is serialised whole (`toJSON(github.event)`), or through a wildcard/computed
 * segment (`github.event.commits[0].message`, `github.event.*.body`).
 */
function matchesAny(patterns: readonly string[][], full: readonly PathSegment[], whole: boolean): boolean {
  for (const pattern of patterns) {
    const n = Math.min(pattern.length, full.length);
    let ok = true;
    for (let i = 0; i < n; i++) {
      const seg = full[i] as PathSegment;
      const pat = pattern[i] as string;
      if (seg === '*' || seg === null) continue; // a filter or computed index may select the attacker's field
      if (!segmentMatches(pat, seg)) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    if (full.length >= pattern.length) return true; // the field itself, or something inside it
    // A prefix of the pattern is an object holding the field. Interpolated as is, an object renders as the word
    // `Object`; serialised by toJSON() it carries the field.
    if (whole) return true;
  }
  return false;
}

export function taintOf(ref: Reference, whole: boolean, typedInputs: ReadonlySet<string>): Taint | undefined {
  const full: PathSegment[] = [ref.root, ...ref.path];
  if (matchesAny(ATTACKER, full, whole)) return 'attacker';
  if (matchesAny(CALLER, full, whole)) {
    // typed inputs (boolean, number, choice) cannot carry a script
    const inputName =
      ref.root === 'inputs'
        ? ref.path[0]
        : ref.path[0] === 'event' && ref.path[1] === 'inputs'
          ? ref.path[2]
          : undefined;
    if (typeof inputName === 'string' && typedInputs.has(inputName)) return undefined;
    return 'caller';
  }
  return undefined;
}
