import {
  type Attempt,
  type BufferedResponse,
  type Classifier,
  defaultClassifier,
  type HttpClient,
  HttpError,
  type HttpRequest,
  MIN_ATTEMPT_MS,
} from '@airlock/core';
import { OidcError } from './errors.ts';
import type { FreshToken } from './tokens.ts';

/**
 * Classified retries under one overall deadline. The HTTP client retries what a provider's classifier calls
 * transient (STS `Throttling` and `IDPCommunicationError`, 429, 5xx, timeouts) with jittered exponential backoff;
 * everything else — AccessDenied, InvalidIdentityToken, any other 4xx — is final at once.
 *
 * Requests that carry the OIDC token go through {@link sendWithToken}: a retry series never outlives the token's
 * freshness; when the token comes within 60 s of its expiry the series stops, a fresh token is fetched, and the
 * series resumes with it, until the overall deadline.
 */
export interface RetryBudget {
  /** Epoch milliseconds after which no new attempt starts. */
  readonly deadlineAt: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
}

const MANY = 1000;

export function backoffMs(attempt: number, budget: RetryBudget): number {
  const base = budget.baseDelayMs ?? 250;
  const ceiling = Math.min(budget.maxDelayMs ?? 10_000, base * 2 ** (attempt - 1));
  return ceiling / 2 + ((budget.random ?? Math.random)() * ceiling) / 2;
}

/** One request with classified retries until the deadline; resolves with the final response (any status). */
export function sendClassified(
  http: HttpClient,
  request: HttpRequest,
  classify: Classifier,
  budget: RetryBudget,
): Promise<BufferedResponse> {
  const remaining = Math.max(1, budget.deadlineAt - budget.now());
  return http.request({
    ...request,
    classify,
    retry: {
      maxAttempts: MANY,
      deadlineMs: remaining,
      ...(budget.baseDelayMs === undefined ? {} : { baseDelayMs: budget.baseDelayMs }),
      ...(budget.maxDelayMs === undefined ? {} : { maxDelayMs: budget.maxDelayMs }),
    },
  });
}

export interface TokenSendResult {
  readonly response: BufferedResponse;
  /** Attempts over all tokens. */
  readonly attempts: number;
  /** Distinct tokens presented (more than one when the first came near its expiry). */
  readonly tokens: number;
}

/** Send a request built around the OIDC token, refetching the token whenever it comes near expiry. */
export async function sendWithToken(
  http: HttpClient,
  token: FreshToken,
  build: (token: string) => HttpRequest,
  classify: Classifier,
  budget: RetryBudget,
): Promise<TokenSendResult> {
  let attempts = 0;
  let tokens = 0;
  let lastToken: string | undefined;
  for (let round = 1; ; round++) {
    const current = await token.get({ allowStale: round === 1 });
    if (current.token !== lastToken) tokens++;
    lastToken = current.token;
    const remaining = budget.deadlineAt - budget.now();
    const freshFor = token.freshForMs();
    // A series ends when the overall deadline comes or the token enters its refresh window, whichever is first.
    const seriesMs = freshFor > 0 ? Math.max(1, Math.min(remaining, freshFor)) : Math.max(1, remaining);
    const request = build(current.token);
    let response: BufferedResponse | undefined;
    let error: HttpError | undefined;
    try {
      response = await http.request({
        ...request,
        classify,
        retry: {
          maxAttempts: freshFor > 0 ? MANY : 1,
          deadlineMs: seriesMs,
          ...(budget.baseDelayMs === undefined ? {} : { baseDelayMs: budget.baseDelayMs }),
          ...(budget.maxDelayMs === undefined ? {} : { maxDelayMs: budget.maxDelayMs }),
        },
      });
      attempts += response.attempts;
    } catch (caught) {
      if (!(caught instanceof HttpError)) throw caught;
      error = caught;
      attempts += caught.attempts;
    }
    const outcome: Attempt = response !== undefined ? { response } : { error: error as HttpError };
    const transient = classify(outcome) === 'retry';
    const delay = backoffMs(round, budget);
    // As in HttpClient: no new series in the last moments, where its first attempt could only time out and hide
    // the provider's own answer.
    if (!transient || budget.now() + delay + MIN_ATTEMPT_MS >= budget.deadlineAt) {
      if (response !== undefined) return { response, attempts, tokens };
      throw error;
    }
    // Transient and time is left: the series stopped because the token needs refreshing.
    await budget.sleep(delay);
  }
}

/** The error for a provider that was still failing transiently when the deadline came. */
export function unavailable(service: string, outcome: string, attempts: number, deadlineMs: number): OidcError {
  return new OidcError(
    'exchange-unavailable',
    `${service} kept failing (${outcome}) for ${Math.round(deadlineMs / 1000)} s (${attempts} attempt${attempts === 1 ? '' : 's'}); it is unavailable or throttling this job. Re-run the job later, or raise input 'deadline'`,
    { kind: 'external' },
  );
}

/** Retry 429, 5xx (but 501/505), timeouts and network errors: the default, for JSON APIs. */
export const httpClassifier: Classifier = defaultClassifier;
