import { AuditError } from '@airlock/audit';
import { octokitFetch, onlineChecks } from '@airlock/audit/online';
import { createNodeFetch, HttpClient } from '@airlock/core';
import { GitHubApi, type TokenPermissions } from '@airlock/testkit/github-api';
import { afterEach, describe, expect, it } from 'vitest';

/** The online review checks through @octokit/rest, Airlock's HTTP client and the loopback GitHub REST emulator. */
const TOKEN = ['ghs', 'loopback', String(process.pid)].join('_');
const REPO = 'acme/app';
const sha = (c: string) => c.repeat(40);
const apis: GitHubApi[] = [];
afterEach(async () => {
  for (const api of apis.splice(0)) await api.stop();
});

async function start(permissions?: TokenPermissions) {
  const api = await GitHubApi.start({ token: TOKEN, ...(permissions ? { permissions } : {}) });
  apis.push(api);
  api.addRepository(REPO);
  return api;
}

function check(api: GitHubApi, options: { sha?: string; branch?: string; token?: string; baseUrl?: string } = {}) {
  const slept: number[] = [];
  const http = new HttpClient({
    fetch: createNodeFetch(),
    userAgent: 'airlock-test',
    sleep: async (ms) => {
      slept.push(ms);
    },
  });
  return {
    slept,
    run: () =>
      onlineChecks({
        fetch: octokitFetch(http),
        baseUrl: options.baseUrl ?? api.url,
        token: options.token ?? TOKEN,
        repository: REPO,
        sha: options.sha ?? sha('a'),
        branch: options.branch ?? 'main',
      }),
  };
}

const PROTECTED = [
  { type: 'pull_request', parameters: { required_approving_review_count: 1, dismiss_stale_reviews_on_push: true } },
  { type: 'required_status_checks', parameters: { required_status_checks: [{ context: 'ci' }] } },
];

describe('two-person review', () => {
  it('passes a commit merged through a pull request approved by someone else on its final head', async () => {
    const api = await start();
    api.addPullRequest(REPO, { number: 7, author: 'alice', base: 'main', headSha: sha('b'), mergeCommitSha: sha('a') });
    api.addReview(REPO, 7, { user: 'carol', state: 'COMMENTED', commitId: sha('b') });
    api.addReview(REPO, 7, { user: 'bob', state: 'APPROVED', commitId: sha('b') });
    api.setRules(REPO, 'main', PROTECTED);
    const result = await check(api).run();
    expect(result.findings).toEqual([]);
    expect(result.passed).toEqual([
      'two-person review: commit aaaaaaa reached main through pull request #7, approved by bob on its final head',
      'branch protection: main requires an approving review and status checks',
    ]);
    // what octokit actually sent
    const first = api.requests[0];
    expect(first).toMatchObject({
      method: 'GET',
      path: `/repos/${REPO}/commits/${sha('a')}/pulls`,
      authorization: 'valid',
    });
    expect(first?.userAgent).toMatch(/airlock-test|octokit/);
    expect(first?.accept).toMatch(/application\/vnd\.github/);
  });

  it('fails a direct push, a self-approved pull request, and an approval of an older head', async () => {
    const api = await start();
    api.setRules(REPO, 'main', PROTECTED);
    api.addCommit(REPO, sha('d'));
    expect((await check(api, { sha: sha('d') }).run()).findings.map((f) => f.message)).toEqual([
      'commit ddddddd on main did not come from a merged pull request: it was pushed directly, so nobody else reviewed it.',
    ]);

    api.addPullRequest(REPO, { number: 8, author: 'alice', base: 'main', headSha: sha('e'), mergeCommitSha: sha('f') });
    api.addReview(REPO, 8, { user: 'alice', state: 'APPROVED', commitId: sha('e') });
    api.addReview(REPO, 8, { user: 'bob', state: 'APPROVED', commitId: sha('e') });
    api.addReview(REPO, 8, { user: 'bob', state: 'DISMISSED', commitId: sha('e') });
    const self = await check(api, { sha: sha('f') }).run();
    expect(self.findings.map((f) => [f.rule, f.severity, f.path, f.line])).toEqual([
      ['two-person-review', 'high', 'github:acme/app', 1],
    ]);
    expect(self.findings[0]?.message).toMatch(
      /#8 by alice, which was merged without an approval from anyone else \(only its author approved it\)/,
    );

    api.addPullRequest(REPO, {
      number: 9,
      author: 'alice',
      base: 'main',
      headSha: sha('2'),
      commits: [sha('1')],
      mergeCommitSha: sha('3'),
    });
    api.addReview(REPO, 9, { user: 'Bob', state: 'APPROVED', commitId: sha('1') });
    const stale = await check(api, { sha: sha('3') }).run();
    expect(stale.findings[0]?.message).toMatch(
      /approved by bob on commit 1111111, but merged at head 2222222: the commits pushed after the approval were not reviewed/,
    );
  });

  it('reads every page of reviews (octokit pagination over the Link header)', async () => {
    const api = await start();
    api.setRules(REPO, 'main', PROTECTED);
    api.addPullRequest(REPO, { number: 5, author: 'alice', base: 'main', headSha: sha('b'), mergeCommitSha: sha('a') });
    for (let i = 0; i < 230; i++) api.addReview(REPO, 5, { user: `user${i}`, state: 'COMMENTED', commitId: sha('b') });
    api.addReview(REPO, 5, { user: 'zed', state: 'APPROVED', commitId: sha('b') });
    const result = await check(api).run();
    expect(result.findings).toEqual([]);
    const pages = api.requests.filter((r) => r.path.endsWith('/reviews')).map((r) => r.query.page ?? '1');
    expect(pages).toEqual(['1', '2', '3']);
  });
});

describe('branch protection', () => {
  it('reports missing review and status-check rules, and accepts classic protection when readable', async () => {
    const api = await start({ contents: 'read', 'pull-requests': 'read', administration: 'read' });
    api.addPullRequest(REPO, { number: 7, author: 'alice', base: 'main', headSha: sha('b'), mergeCommitSha: sha('a') });
    api.addReview(REPO, 7, { user: 'bob', state: 'APPROVED', commitId: sha('b') });
    const none = await check(api).run();
    expect(none.findings.map((f) => [f.rule, f.severity, f.message])).toEqual([
      [
        'branch-protection',
        'high',
        'branch main has no ruleset or protection requiring an approving review before merging.',
      ],
      ['branch-protection', 'medium', 'branch main has no ruleset or protection requiring status checks to pass.'],
    ]);
    api.setProtection(REPO, 'main', {
      required_pull_request_reviews: { required_approving_review_count: 2 },
      required_status_checks: { strict: true, contexts: ['ci'], checks: [{ context: 'ci', app_id: null }] },
    });
    expect((await check(api).run()).findings).toEqual([]);
  });

  it('says when classic protection cannot be read with a GITHUB_TOKEN, and lowers its confidence', async () => {
    const api = await start();
    api.addCommit(REPO, sha('a'));
    api.setRules(REPO, 'main', [PROTECTED[1] as (typeof PROTECTED)[number]]);
    const result = await check(api).run();
    const protection = result.findings.filter((f) => f.rule === 'branch-protection');
    expect(protection.map((f) => [f.severity, f.confidence])).toEqual([['high', 'medium']]);
    expect(protection[0]?.message).toMatch(/lacks administration: read, so only rulesets were checked/);
    expect(api.requests.find((r) => r.path.endsWith('/protection'))?.status).toBe(403);
  });
});

describe('failures', () => {
  it('a bad token, a missing permission, an unknown repository: clear errors', async () => {
    const api = await start({ contents: 'read' });
    api.addCommit(REPO, sha('a'));
    await expect(check(api, { token: 'wrong' }).run()).rejects.toThrow(
      /GitHub rejected the token while listing the pull requests of commit aaaaaaa \(401 Bad credentials/,
    );
    await expect(check(api).run()).rejects.toThrow(/the token needs contents: read and pull-requests: read/);
    const err = await check(api, { baseUrl: `${api.url}/nowhere` })
      .run()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditError);
    expect((err as AuditError).code).toBe('online-invalid');
  });

  it('retries 5xx and rate limits with Retry-After, then succeeds', async () => {
    const api = await start();
    api.setRules(REPO, 'main', PROTECTED);
    api.addCommit(REPO, sha('a'));
    api.fault = { status: 502, count: 2 };
    const c = check(api);
    const result = await c.run();
    expect(result.findings.map((f) => f.rule)).toEqual(['two-person-review']);
    expect(c.slept).toHaveLength(2);
    api.rateLimited = { count: 1 };
    const d = check(api);
    await d.run();
    expect(d.slept.some((ms) => ms >= 1000)).toBe(true);
  });

  it('gives up on a server that keeps failing, as an external error', async () => {
    const api = await start();
    api.fault = { status: 503, count: 100 };
    const err = await check(api)
      .run()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditError);
    expect((err as AuditError).kind).toBe('external');
    expect((err as AuditError).message).toMatch(/the GitHub API failed while listing the pull requests/);
  });

  it('refuses input that cannot be right before sending anything', async () => {
    const api = await start();
    await expect(check(api, { sha: 'abc' }).run()).rejects.toThrow(/full 40-character SHA/);
    expect(api.requests).toEqual([]);
  });

  it('works under the /api/v3 prefix of GitHub Enterprise Server', async () => {
    const api = await start();
    api.setRules(REPO, 'main', PROTECTED);
    api.addPullRequest(REPO, { number: 7, author: 'alice', base: 'main', headSha: sha('b'), mergeCommitSha: sha('a') });
    api.addReview(REPO, 7, { user: 'bob', state: 'APPROVED', commitId: sha('b') });
    expect((await check(api, { baseUrl: `${api.url}/api/v3` }).run()).findings).toEqual([]);
  });
});
