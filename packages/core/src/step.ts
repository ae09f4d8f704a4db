import type { Env, GitHubContext } from './github.ts';
import type { FetchLike, HttpClient, HttpClientOptions } from './http.ts';
import type { Logger } from './logger.ts';
import type { IdTokenSource } from './oidc-token.ts';
import type { Summary } from './summary.ts';
import type { JsonObject, TrailSubject } from './trail.ts';

export type OutputValue = string | number | boolean | JsonObject | readonly unknown[];

/**
 * Everything an action's `run(inputs, io)` may touch of the outside world. The real implementation
 * (`@airlock/core/action`) is backed by @actions/core and the runner's files; tests use the in-memory one from
 * `@airlock/testkit`, which records every call in order (so a test can assert that a credential was masked before it
 * was exported).
 */
export interface StepIO {
  readonly action: { readonly name: string; readonly version: string; readonly phase: 'main' | 'post' };
  readonly log: Logger;
  readonly github: GitHubContext;
  /** The process environment when the step started (read-only). */
  readonly env: Env;
  /** GITHUB_WORKSPACE, or the current directory outside Actions. */
  readonly workspace: string;
  /** RUNNER_TEMP; undefined outside Actions. Anything written to disk goes here, mode 0600. */
  readonly runnerTemp: string | undefined;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** Proxy-aware fetch. */
  readonly fetch: FetchLike;
  /** An HTTP client wired to this step's fetch, logger and sleep. */
  http(options?: Partial<Omit<HttpClientOptions, 'fetch'>>): HttpClient;
  /** The job's GitHub OIDC tokens (each token is masked as soon as it arrives). */
  readonly idTokens: IdTokenSource;
  /** Register a secret (and its lines and JSON leaves) with the runner. Call before the value goes anywhere. */
  mask(value: string): void;
  setOutput(name: string, value: OutputValue): void;
  exportVariable(name: string, value: string): void;
  addPath(path: string): void;
  saveState(name: string, value: string): void;
  getState(name: string): string | undefined;
  /** The step's job summary, written when the step ends (also on failure). */
  readonly summary: Summary;
  /** Identity facts learned from a verified OIDC token, recorded in the trail. */
  identify(facts: { readonly jobWorkflowRef?: string }): void;
}

/** What `run` returns: the action-specific part of its trail record. */
export interface StepResult {
  readonly result?: JsonObject;
  readonly subjects?: readonly TrailSubject[];
}
