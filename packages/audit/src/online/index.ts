/**
 * @airlock/audit/online: the checks that talk to the GitHub API. A separate entry point so that the static audit
 * does not load @octokit/rest (the action imports this lazily, only when `online: true`).
 */
export { githubClassifier, octokitFetch } from './fetch.ts';
export { githubClient, type OnlineOptions, type OnlineResult, onlineChecks } from './review.ts';
