import { Octokit } from '@octokit/rest';
import { AuditError } from '../errors.ts';
import type { Finding } from '../finding.ts';
import type { Confidence, Severity } from '../severity.ts';

/**
 * Online review checks through the GitHub REST API (@octokit/rest with Airlock's fetch):
 *
 * - two-person-review: the commit reached its branch through a merged pull request approved by someone other than
 *   its author, on the pull request's final head commit (GET /repos/{o}/{r}/commits/{sha}/pulls, then
 *   GET /repos/{o}/{r}/pulls/{n}/reviews, paginated);
 * - branch-protection: rulesets (GET /repos/{o}/{r}/rules/branches/{branch}, readable with the default token) or
 *   classic protection (GET /repos/{o}/{r}/branches/{branch}/protection, which needs administration: read) require
 *   an approving review and status checks.
 *
 * The token needs `contents: read` and `pull-requests: read`.
 */
export interface OnlineOptions {
  readonly fetch: typeof globalThis.fetch;
  readonly baseUrl: string;
  readonly token: string;
  /** `owner/repo`. */
  readonly repository: string;
  readonly sha: string;
  readonly branch: string;
  readonly userAgent?: string;
  /** Check that the commit came through an approved pull request (off for pull-request events: not merged yet). */
  readonly twoPerson?: boolean;
}

export interface OnlineResult {
  readonly findings: readonly Finding[];
  /** What passed, in words, for the summary and the log. */
  readonly passed: readonly string[];
}

interface ReviewLike {
  readonly id: number;
  readonly user: { readonly login: string } | null;
  readonly state: string;
  readonly commit_id: string | null;
  readonly submitted_at?: string | null;
}

interface PullLike {
  readonly number: number;
  readonly user: { readonly login: string } | null;
  readonly merged_at: string | null;
  readonly merge_commit_sha: string | null;
  readonly base: { readonly ref: string };
  readonly head: { readonly sha: string };
}

function finding(path: string, rule: string, severity: Severity, confidence: Confidence, message: string): Finding {
  return {
    rule,
    severity,
    confidence,
    path,
    line: 1,
    column: 1,
    endLine: 1,
    endColumn: 1,
    message,
    scope: { from: 1, to: 1 },
  };
}

function status(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'status' in error
    ? Number((error as { status: unknown }).status)
    : undefined;
}

function apiError(error: unknown, what: string, permission: string): AuditError {
  const code = status(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code === 401) {
    return new AuditError(
      'online-denied',
      `GitHub rejected the token while ${what} (401 ${message}): check the github-token input`,
      { cause: error },
    );
  }
  if (code === 403) {
    return new AuditError('online-denied', `GitHub refused ${what} (403 ${message}): the token needs ${permission}`, {
      cause: error,
    });
  }
  if (code === 404) {
    return new AuditError(
      'online-invalid',
      `GitHub found nothing while ${what} (404): check the repository and that the token can see it`,
      { cause: error },
    );
  }
  if (code === undefined || code >= 500) {
    return new AuditError('online-unavailable', `the GitHub API failed while ${what}: ${message}`, {
      cause: error,
      kind: 'external',
    });
  }
  return new AuditError('online-invalid', `GitHub answered ${code} while ${what}: ${message}`, { cause: error });
}

export function githubClient(options: Pick<OnlineOptions, 'fetch' | 'baseUrl' | 'token' | 'userAgent'>): Octokit {
  return new Octokit({
    auth: options.token,
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    userAgent: options.userAgent ?? 'airlock-audit',
    request: { fetch: options.fetch },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
}

export async function onlineChecks(options: OnlineOptions): Promise<OnlineResult> {
  const [owner, repo, ...rest] = options.repository.split('/');
  if (!owner || !repo || rest.length > 0) {
    throw new AuditError('online-invalid', `repository must be owner/name; got '${options.repository}'`);
  }
  if (!/^[0-9a-f]{40}$/i.test(options.sha)) {
    throw new AuditError('online-invalid', `the commit must be a full 40-character SHA; got '${options.sha}'`);
  }
  if (options.branch.trim() === '') throw new AuditError('online-invalid', 'the branch to check is empty');
  const octokit = githubClient(options);
  const path = `github:${owner}/${repo}`;
  const findings: Finding[] = [];
  const passed: string[] = [];
  const short = options.sha.slice(0, 7);

  // --- two-person review -------------------------------------------------------------------------------------------
  if (options.twoPerson !== false) await twoPerson(octokit, { owner, repo, path, short, options, findings, passed });
  await protection(octokit, { owner, repo, path, options, findings, passed });
  return { findings, passed };
}

interface CheckState {
  readonly owner: string;
  readonly repo: string;
  readonly path: string;
  readonly options: OnlineOptions;
  readonly findings: Finding[];
  readonly passed: string[];
}

async function twoPerson(octokit: Octokit, state: CheckState & { short: string }): Promise<void> {
  const { owner, repo, path, short, options, findings, passed } = state;
  let pulls: PullLike[];
  try {
    pulls = (await octokit.paginate(octokit.rest.repos.listPullRequestsAssociatedWithCommit, {
      owner,
      repo,
      commit_sha: options.sha,
      per_page: 100,
    })) as PullLike[];
  } catch (error) {
    throw apiError(error, `listing the pull requests of commit ${short}`, 'contents: read and pull-requests: read');
  }
  const merged = pulls.filter((p) => p.merged_at !== null && p.base.ref === options.branch);
  const pull = merged.find((p) => p.merge_commit_sha === options.sha) ?? merged[0];
  if (pull === undefined) {
    findings.push(
      finding(
        path,
        'two-person-review',
        'high',
        'high',
        `commit ${short} on ${options.branch} did not come from a merged pull request: it was pushed directly, so nobody else reviewed it.`,
      ),
    );
  } else {
    let reviews: ReviewLike[];
    try {
      reviews = (await octokit.paginate(octokit.rest.pulls.listReviews, {
        owner,
        repo,
        pull_number: pull.number,
        per_page: 100,
      })) as ReviewLike[];
    } catch (error) {
      throw apiError(error, `listing the reviews of pull request #${pull.number}`, 'pull-requests: read');
    }
    const author = (pull.user?.login ?? '').toLowerCase();
    // Each reviewer's latest decisive review; comments do not change an approval, a dismissal cancels it.
    const latest = new Map<string, ReviewLike>();
    for (const r of [...reviews].sort((a, b) => a.id - b.id)) {
      const login = r.user?.login.toLowerCase();
      if (login === undefined || r.state === 'COMMENTED' || r.state === 'PENDING') continue;
      latest.set(login, r);
    }
    const approvals = [...latest.entries()].filter(([login, r]) => r.state === 'APPROVED' && login !== author);
    const onHead = approvals.filter(([, r]) => r.commit_id === pull.head.sha);
    if (approvals.length === 0) {
      const self = latest.get(author)?.state === 'APPROVED' ? ' (only its author approved it)' : '';
      findings.push(
        finding(
          path,
          'two-person-review',
          'high',
          'high',
          `commit ${short} reached ${options.branch} through pull request #${pull.number} by ${pull.user?.login ?? 'unknown'}, which was merged without an approval from anyone else${self}.`,
        ),
      );
    } else if (onHead.length === 0) {
      const [login, r] = approvals[0] as [string, ReviewLike];
      findings.push(
        finding(
          path,
          'two-person-review',
          'high',
          'high',
          `pull request #${pull.number} was approved by ${login} on commit ${(r.commit_id ?? '').slice(0, 7)}, but merged at head ${pull.head.sha.slice(0, 7)}: the commits pushed after the approval were not reviewed.`,
        ),
      );
    } else {
      passed.push(
        `two-person review: commit ${short} reached ${options.branch} through pull request #${pull.number}, approved by ${onHead.map(([l]) => l).join(', ')} on its final head`,
      );
    }
  }
}

async function protection(octokit: Octokit, state: CheckState): Promise<void> {
  const { owner, repo, path, options, findings, passed } = state;
  let rules: Array<{ type: string; parameters?: Record<string, unknown> }>;
  try {
    rules = (await octokit.paginate(octokit.rest.repos.getBranchRules, {
      owner,
      repo,
      branch: options.branch,
      per_page: 100,
    })) as Array<{ type: string; parameters?: Record<string, unknown> }>;
  } catch (error) {
    throw apiError(error, `reading the rules of branch ${options.branch}`, 'contents: read (metadata)');
  }
  let reviewsRequired = rules.some(
    (r) => r.type === 'pull_request' && Number(r.parameters?.required_approving_review_count ?? 0) >= 1,
  );
  let checksRequired = rules.some((r) => {
    const checks = r.parameters?.required_status_checks;
    return r.type === 'required_status_checks' && Array.isArray(checks) && checks.length > 0;
  });
  let classic: 'read' | 'absent' | 'unreadable' = 'absent';
  if (!reviewsRequired || !checksRequired) {
    try {
      const { data } = await octokit.rest.repos.getBranchProtection({ owner, repo, branch: options.branch });
      classic = 'read';
      reviewsRequired ||= (data.required_pull_request_reviews?.required_approving_review_count ?? 0) >= 1;
      checksRequired ||=
        (data.required_status_checks?.contexts?.length ?? 0) > 0 ||
        (data.required_status_checks?.checks?.length ?? 0) > 0;
    } catch (error) {
      const code = status(error);
      if (code === 404) classic = 'absent';
      else if (code === 403) classic = 'unreadable';
      else throw apiError(error, `reading the protection of branch ${options.branch}`, 'administration: read');
    }
  }
  const caveat =
    classic === 'unreadable'
      ? ' (classic branch protection could not be read: the token lacks administration: read, so only rulesets were checked)'
      : '';
  const confidence: Confidence = classic === 'unreadable' ? 'medium' : 'high';
  if (!reviewsRequired) {
    findings.push(
      finding(
        path,
        'branch-protection',
        'high',
        confidence,
        `branch ${options.branch} has no ruleset or protection requiring an approving review before merging${caveat}.`,
      ),
    );
  }
  if (!checksRequired) {
    findings.push(
      finding(
        path,
        'branch-protection',
        'medium',
        confidence,
        `branch ${options.branch} has no ruleset or protection requiring status checks to pass${caveat}.`,
      ),
    );
  }
  if (reviewsRequired && checksRequired) {
    passed.push(`branch protection: ${options.branch} requires an approving review and status checks`);
  }
}
