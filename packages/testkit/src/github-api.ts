import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LoopbackServer, listen, sendJson } from './net.ts';

/**
 * A loopback slice of the GitHub REST API for the audit's online review checks, speaking the real protocol so that
 * @octokit/rest works against it through `baseUrl` unchanged:
 *
 * - `GET /repos/{owner}/{repo}/commits/{sha}/pulls` — pull requests associated with a commit (422 for an unknown
 *   commit, as GitHub answers);
 * - `GET /repos/{owner}/{repo}/pulls/{number}` and `GET /repos/{owner}/{repo}/pulls/{number}/reviews`;
 * - `GET /repos/{owner}/{repo}/rules/branches/{branch}` — the rules of active rulesets that apply to a branch;
 * - `GET /repos/{owner}/{repo}/branches/{branch}/protection` — classic protection (404 "Branch not protected");
 * - the `/api/v3` prefix of GitHub Enterprise Server.
 *
 * It checks what GitHub checks: the token (`Authorization: token …` or `Bearer …`; 401 "Bad credentials"), a
 * User-Agent (403 without one), the token's permissions per endpoint like a GITHUB_TOKEN (`pull-requests: read` for
 * pull requests and reviews, `administration: read` for classic protection — which a GITHUB_TOKEN can never have — 403
 * "Resource not accessible by integration" with `x-accepted-github-permissions`), and the methods allowed. Lists are
 * paginated with `per_page` (≤ 100) and `page`, with a `Link` header. Rate-limit headers are sent; faults (a status for
 * the next N requests, an exhausted rate limit) can be injected. Every request is recorded.
 */
export type TokenPermissions = Readonly<
  Partial<Record<'contents' | 'pull-requests' | 'administration', 'read' | 'write'>>
>;

export interface PullRequestSpec {
  readonly number: number;
  readonly author: string;
  readonly base: string;
  /** The head commit when the pull request was merged (or now). */
  readonly headSha: string;
  /** Commits of the pull request (the head is added). */
  readonly commits?: readonly string[];
  /** Set when merged: the commit on the base branch. */
  readonly mergeCommitSha?: string;
  readonly title?: string;
}

export interface ReviewSpec {
  readonly user: string;
  readonly state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';
  /** The pull request head the review was given on. */
  readonly commitId: string;
}

export interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly status: number;
  readonly authorization: 'valid' | 'invalid' | 'missing';
  readonly userAgent: string | undefined;
  readonly accept: string | undefined;
}

interface Repo {
  readonly owner: string;
  readonly name: string;
  readonly id: number;
  readonly commits: Set<string>;
  readonly pulls: Map<number, PullRequestSpec & { mergedAt: string | null }>;
  readonly reviews: Map<number, Array<ReviewSpec & { id: number; submittedAt: string }>>;
  readonly rules: Map<string, Array<Record<string, unknown>>>;
  readonly protection: Map<string, Record<string, unknown>>;
}

const DOCS = 'https://docs.github.com/rest';

export class GitHubApi {
  readonly requests: RequestRecord[] = [];
  /** Answer the next `count` requests with this status (a GitHub-style error body). */
  fault: { status: number; count: number; message?: string } | undefined;
  /** Pretend the token's rate limit is exhausted (403 with x-ratelimit-remaining: 0) for the next `count` requests. */
  rateLimited: { count: number } | undefined;
  readonly #server: LoopbackServer;
  readonly #token: string;
  readonly #permissions: TokenPermissions;
  readonly #repos = new Map<string, Repo>();
  readonly #now: () => Date;
  #ids = 1000;
  #remaining = 5000;

  private constructor(server: LoopbackServer, token: string, permissions: TokenPermissions, now: () => Date) {
    this.#server = server;
    this.#token = token;
    this.#permissions = permissions;
    this.#now = now;
  }

  static async start(options: {
    token: string;
    /** The token's permissions; a GITHUB_TOKEN with `contents: read, pull-requests: read` by default. */
    permissions?: TokenPermissions;
    now?: () => Date;
  }): Promise<GitHubApi> {
    let api: GitHubApi | undefined;
    const server = await listen((req, res) => (api as GitHubApi).#handle(req, res));
    api = new GitHubApi(
      server,
      options.token,
      options.permissions ?? { contents: 'read', 'pull-requests': 'read' },
      options.now ?? (() => new Date('2026-11-22T12:00:00Z')),
    );
    return api;
  }

  /** The API base URL (GITHUB_API_URL). */
  get url(): string {
    return this.#server.origin;
  }

  async stop(): Promise<void> {
    await this.#server.close();
  }

  addRepository(fullName: string): this {
    const [owner, name] = fullName.split('/') as [string, string];
    this.#repos.set(fullName.toLowerCase(), {
      owner,
      name,
      id: this.#ids++,
      commits: new Set(),
      pulls: new Map(),
      reviews: new Map(),
      rules: new Map(),
      protection: new Map(),
    });
    return this;
  }

  /** A commit pushed directly (no pull request). */
  addCommit(fullName: string, sha: string): this {
    this.#repo(fullName).commits.add(sha);
    return this;
  }

  addPullRequest(fullName: string, pull: PullRequestSpec): this {
    const repo = this.#repo(fullName);
    repo.pulls.set(pull.number, { ...pull, mergedAt: pull.mergeCommitSha ? this.#now().toISOString() : null });
    for (const sha of [...(pull.commits ?? []), pull.headSha, ...(pull.mergeCommitSha ? [pull.mergeCommitSha] : [])]) {
      repo.commits.add(sha);
    }
    return this;
  }

  addReview(fullName: string, pullNumber: number, review: ReviewSpec): this {
    const repo = this.#repo(fullName);
    const list = repo.reviews.get(pullNumber) ?? [];
    list.push({ ...review, id: this.#ids++, submittedAt: this.#now().toISOString() });
    repo.reviews.set(pullNumber, list);
    return this;
  }

  /** Rules of active rulesets for a branch, in the shape GitHub returns (`{type, parameters}`). */
  setRules(fullName: string, branch: string, rules: ReadonlyArray<{ type: string; parameters?: object }>): this {
    const repo = this.#repo(fullName);
    repo.rules.set(
      branch,
      rules.map((r, i) => ({
        ...r,
        ruleset_source_type: 'Repository',
        ruleset_source: `${repo.owner}/${repo.name}`,
        ruleset_id: 100 + i,
      })),
    );
    return this;
  }

  /** Classic branch protection, in the shape GET .../protection returns; undefined removes it. */
  setProtection(fullName: string, branch: string, protection: Record<string, unknown> | undefined): this {
    const repo = this.#repo(fullName);
    if (protection === undefined) repo.protection.delete(branch);
    else repo.protection.set(branch, protection);
    return this;
  }

  #repo(fullName: string): Repo {
    const repo = this.#repos.get(fullName.toLowerCase());
    if (repo === undefined) throw new Error(`github-api: add the repository ${fullName} first`);
    return repo;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const path = url.pathname.replace(/^\/api\/v3(?=\/)/, '');
    const query = Object.fromEntries(url.searchParams);
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    const auth = header('authorization');
    const authorization: RequestRecord['authorization'] =
      auth === undefined
        ? 'missing'
        : auth === `token ${this.#token}` || auth === `Bearer ${this.#token}`
          ? 'valid'
          : 'invalid';
    const record = (status: number) =>
      this.requests.push({
        method: req.method ?? 'GET',
        path,
        query,
        status,
        authorization,
        userAgent: header('user-agent'),
        accept: header('accept'),
      });
    const rate = {
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(Math.max(0, --this.#remaining)),
      'x-ratelimit-reset': String(Math.floor(this.#now().getTime() / 1000) + 3600),
      'x-ratelimit-used': String(5000 - this.#remaining),
      'x-ratelimit-resource': 'core',
      'x-github-api-version-selected': '2022-11-28',
    };
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record(status);
      sendJson(res, status, body, { ...rate, ...headers });
    };
    const error = (status: number, message: string, headers: Record<string, string> = {}) =>
      send(status, { message, documentation_url: DOCS, status: String(status) }, headers);

    if (header('user-agent') === undefined || header('user-agent') === '') {
      error(
        403,
        'Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required).',
      );
      return;
    }
    if (authorization !== 'valid') {
      error(401, 'Bad credentials');
      return;
    }
    if (this.rateLimited !== undefined && this.rateLimited.count > 0) {
      this.rateLimited.count--;
      record(403);
      sendJson(
        res,
        403,
        { message: 'API rate limit exceeded for installation.', documentation_url: DOCS },
        { ...rate, 'x-ratelimit-remaining': '0', 'retry-after': '1' },
      );
      return;
    }
    if (this.fault !== undefined && this.fault.count > 0) {
      this.fault.count--;
      error(this.fault.status, this.fault.message ?? (this.fault.status >= 500 ? 'Server Error' : 'Error'));
      return;
    }
    if (req.method !== 'GET') {
      error(404, 'Not Found');
      return;
    }
    const m =
      /^\/repos\/([^/]+)\/([^/]+)\/(commits\/([^/]+)\/pulls|pulls\/(\d+)(\/reviews)?|rules\/branches\/(.+)|branches\/(.+)\/protection)$/.exec(
        path,
      );
    if (m === null) {
      error(404, 'Not Found');
      return;
    }
    const repo = this.#repos.get(`${m[1]}/${m[2]}`.toLowerCase());
    if (repo === undefined) {
      error(404, 'Not Found');
      return;
    }
    const need = (scope: keyof TokenPermissions, accepted: string): boolean => {
      if (this.#permissions[scope] !== undefined) return true;
      error(403, 'Resource not accessible by integration', { 'x-accepted-github-permissions': accepted });
      return false;
    };
    const page = <T>(items: readonly T[]) => {
      const perPage = Math.min(100, Math.max(1, Number(query.per_page ?? 30) || 30));
      const pageNo = Math.max(1, Number(query.page ?? 1) || 1);
      const last = Math.max(1, Math.ceil(items.length / perPage));
      const links: string[] = [];
      const link = (n: number, rel: string) => {
        const u = new URL(url.href);
        u.searchParams.set('per_page', String(perPage));
        u.searchParams.set('page', String(n));
        links.push(`<${u.href}>; rel="${rel}"`);
      };
      if (pageNo < last) {
        link(pageNo + 1, 'next');
        link(last, 'last');
      }
      if (pageNo > 1) {
        link(1, 'first');
        link(pageNo - 1, 'prev');
      }
      send(
        200,
        items.slice((pageNo - 1) * perPage, pageNo * perPage),
        links.length > 0 ? { link: links.join(', ') } : {},
      );
    };

    if (m[4] !== undefined) {
      if (!need('pull-requests', 'pull_requests=read; contents=read')) return;
      const sha = m[4];
      if (!repo.commits.has(sha)) {
        error(422, `No commit found for SHA: ${sha}`);
        return;
      }
      const pulls = [...repo.pulls.values()]
        .filter((p) => p.headSha === sha || p.mergeCommitSha === sha || (p.commits ?? []).includes(sha))
        .map((p) => this.#pull(repo, p));
      page(pulls);
      return;
    }
    if (m[5] !== undefined) {
      if (!need('pull-requests', 'pull_requests=read')) return;
      const pull = repo.pulls.get(Number(m[5]));
      if (pull === undefined) {
        error(404, 'Not Found');
        return;
      }
      if (m[6] === undefined) {
        send(200, this.#pull(repo, pull));
        return;
      }
      page(
        (repo.reviews.get(pull.number) ?? []).map((r) => ({
          id: r.id,
          node_id: `PRR_${r.id}`,
          user: { login: r.user, id: loginId(r.user), type: r.user.endsWith('[bot]') ? 'Bot' : 'User' },
          body: '',
          state: r.state,
          html_url: `https://github.com/${repo.owner}/${repo.name}/pull/${pull.number}#pullrequestreview-${r.id}`,
          pull_request_url: `${this.url}/repos/${repo.owner}/${repo.name}/pulls/${pull.number}`,
          author_association: 'MEMBER',
          submitted_at: r.state === 'PENDING' ? undefined : r.submittedAt,
          commit_id: r.commitId,
        })),
      );
      return;
    }
    if (m[7] !== undefined) {
      // Branch rules need only metadata access, which every token has.
      page(repo.rules.get(decodeURIComponent(m[7])) ?? []);
      return;
    }
    const branch = decodeURIComponent(m[8] as string);
    if (!need('administration', 'administration=read')) return;
    const protection = repo.protection.get(branch);
    if (protection === undefined) {
      error(404, 'Branch not protected');
      return;
    }
    send(200, { url: `${this.url}/repos/${repo.owner}/${repo.name}/branches/${branch}/protection`, ...protection });
  }

  #pull(repo: Repo, p: PullRequestSpec & { mergedAt: string | null }): Record<string, unknown> {
    return {
      url: `${this.url}/repos/${repo.owner}/${repo.name}/pulls/${p.number}`,
      id: p.number * 10 + repo.id,
      number: p.number,
      state: p.mergedAt === null ? 'open' : 'closed',
      title: p.title ?? `pull request ${p.number}`,
      user: { login: p.author, id: loginId(p.author), type: 'User' },
      merged_at: p.mergedAt,
      closed_at: p.mergedAt,
      merge_commit_sha: p.mergeCommitSha ?? null,
      head: { ref: `topic-${p.number}`, sha: p.headSha, label: `${repo.owner}:topic-${p.number}` },
      base: { ref: p.base, sha: '0'.repeat(40), label: `${repo.owner}:${p.base}` },
      author_association: 'MEMBER',
      draft: false,
    };
  }
}

function loginId(login: string): number {
  let h = 0;
  for (const c of login) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h % 10_000_000;
}
