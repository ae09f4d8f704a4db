import { AirlockError } from './errors.ts';
import type { Env } from './github.ts';
import { type Logger, nullLogger } from './logger.ts';

/**
 * The HTTP client every Airlock library uses: per-attempt timeouts, an overall deadline, classified retries with
 * jittered exponential backoff and Retry-After, bounded response bodies, and proxy support. Its collaborators (fetch,
 * sleep, clock, random) are injected, so retry tests run instantly and deterministically.
 *
 * Secrets discipline: request and response bodies are never logged, and error messages carry the method, origin and
 * path of the URL only (never the query string, which may hold a presigned credential).
 */

/** The slice of the fetch Response this client needs; undici's and Node's global fetch both satisfy it. */
export interface FetchResponseLike {
  readonly status: number;
  readonly statusText: string;
  readonly url: string;
  readonly headers: { get(name: string): string | null; forEach(fn: (value: string, key: string) => void): void };
  readonly body: AsyncIterable<Uint8Array> | null;
}

export interface FetchInitLike {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array | null;
  signal?: AbortSignal;
  redirect?: 'follow' | 'manual' | 'error';
}

export type FetchLike = (url: string, init: FetchInitLike) => Promise<FetchResponseLike>;

/** The least time left for which another attempt is made before the deadline. */
export const MIN_ATTEMPT_MS = 100;

export type HttpErrorCode = 'http-timeout' | 'http-network' | 'http-deadline' | 'http-too-large';

export class HttpError extends AirlockError<HttpErrorCode> {
  /** The last HTTP status seen, when the failure came after a response (deadline reached while retrying a 503). */
  readonly status: number | undefined;
  readonly attempts: number;

  constructor(
    code: HttpErrorCode,
    message: string,
    options: { cause?: unknown; status?: number | undefined; attempts: number },
  ) {
    super(code, message, { cause: options.cause, kind: 'external' });
    this.status = options.status;
    this.attempts = options.attempts;
  }
}

export interface BufferedResponse {
  readonly status: number;
  readonly statusText: string;
  readonly url: string;
  readonly ok: boolean;
  /** Header lookup, case-insensitive. */
  header(name: string): string | undefined;
  readonly body: Uint8Array;
  text(): string;
  /** Parses the body as JSON; throws a SyntaxError that does not include the body. */
  json(): unknown;
  /** How many attempts it took. */
  readonly attempts: number;
}

export interface RetryOptions {
  /** Attempts in total, the first included. 1 disables retries. */
  readonly maxAttempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Budget for all attempts and waits together. */
  readonly deadlineMs?: number;
}

export type Attempt =
  | { readonly response: BufferedResponse; readonly error?: undefined }
  | { readonly response?: undefined; readonly error: HttpError };

/** `retry`: try again if the budget allows; `done`: return this response (or throw this error) now. */
export type Classifier = (attempt: Attempt) => 'retry' | 'done';

/** Retry timeouts, network errors, 408, 429 and 5xx except 501/505; everything else is final. */
export const defaultClassifier: Classifier = (attempt) => {
  if (attempt.error) return attempt.error.code === 'http-too-large' ? 'done' : 'retry';
  const { status } = attempt.response;
  if (status === 408 || status === 429) return 'retry';
  if (status >= 500 && status !== 501 && status !== 505) return 'retry';
  return 'done';
};

export interface HttpRequest {
  readonly url: string | URL;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array | URLSearchParams;
  /** Per-attempt timeout; defaults to the client's. */
  readonly timeoutMs?: number;
  readonly retry?: RetryOptions;
  readonly classify?: Classifier;
  /** Named in error messages: "AWS STS", "the GitHub OIDC token endpoint". */
  readonly service?: string;
  readonly maxResponseBytes?: number;
}

export interface HttpClientOptions {
  readonly fetch: FetchLike;
  readonly logger?: Logger;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly userAgent?: string;
  readonly timeoutMs?: number;
  readonly retry?: RetryOptions;
}

const DEFAULT_RETRY: Required<RetryOptions> = {
  maxAttempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 10_000,
  deadlineMs: 60_000,
};
const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class HttpClient {
  readonly #fetch: FetchLike;
  readonly #logger: Logger;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #userAgent: string | undefined;
  readonly #timeoutMs: number;
  readonly #retry: Required<RetryOptions>;

  constructor(options: HttpClientOptions) {
    this.#fetch = options.fetch;
    this.#logger = options.logger ?? nullLogger;
    this.#sleep = options.sleep ?? realSleep;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#userAgent = options.userAgent;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  /**
   * Send a request, retrying what `classify` says is transient. Resolves with the final HTTP response whatever its
   * status (callers interpret 4xx bodies, e.g. STS error XML); rejects with an {@link HttpError} only when no
   * response could be obtained (timeout, network, deadline).
   */
  async request(req: HttpRequest): Promise<BufferedResponse> {
    const retry = { ...this.#retry, ...req.retry };
    const classify = req.classify ?? defaultClassifier;
    const method = (req.method ?? (req.body === undefined ? 'GET' : 'POST')).toUpperCase();
    const url = new URL(req.url);
    const where = describeUrl(method, url);
    const service = req.service ?? url.host;
    const started = this.#now();
    const deadline = started + retry.deadlineMs;
    const headers: Record<string, string> = { ...req.headers };
    if (this.#userAgent !== undefined && !hasHeader(headers, 'user-agent')) headers['user-agent'] = this.#userAgent;
    let body: string | Uint8Array | undefined;
    if (req.body instanceof URLSearchParams) {
      body = req.body.toString();
      if (!hasHeader(headers, 'content-type')) headers['content-type'] = 'application/x-www-form-urlencoded';
    } else {
      body = req.body;
    }

    // Out of time after `attempt` attempts: the last answer goes back to the caller (a 503 stays a 503), or the
    // last error becomes a deadline error.
    const outOfTime = (outcome: Attempt, attempt: number, what: string): BufferedResponse => {
      this.#logger.debug(`${where}: ${what}; no time left for attempt ${attempt + 1}`);
      if (outcome.response) return outcome.response;
      throw new HttpError(
        'http-deadline',
        `${service} did not succeed within ${Math.round(retry.deadlineMs / 1000)} s (${attempt} attempts, last: ${outcome.error?.message ?? what})`,
        { cause: outcome.error, attempts: attempt },
      );
    };
    for (let attempt = 1; ; attempt++) {
      const remaining = deadline - this.#now();
      const timeoutMs = Math.max(1, Math.min(req.timeoutMs ?? this.#timeoutMs, remaining));
      const outcome = await this.#attempt(url, { method, headers, body }, timeoutMs, attempt, service, where, req);
      const decision = classify(outcome);
      const what = outcome.response ? `HTTP ${outcome.response.status}` : (outcome.error as HttpError).message;
      if (decision === 'done' || attempt >= retry.maxAttempts) {
        if (decision === 'retry') this.#logger.debug(`${where}: ${what}; giving up after ${attempt} attempts`);
        if (outcome.response) return outcome.response;
        throw outcome.error;
      }
      let delay = backoff(attempt, retry, this.#random);
      const retryAfter = outcome.response
        ? retryAfterMs(outcome.response.header('retry-after'), this.#now())
        : undefined;
      if (retryAfter !== undefined) delay = Math.max(delay, retryAfter);
      // An attempt needs time to be worth making: one started with a few milliseconds left can only time out, and
      // its timeout would hide the answer that matters (the 503 or the throttling before it).
      if (this.#now() + delay + MIN_ATTEMPT_MS >= deadline) return outOfTime(outcome, attempt, what);
      this.#logger.debug(
        `${where}: ${what}; retrying in ${Math.round(delay)} ms (attempt ${attempt + 1} of ${retry.maxAttempts})`,
      );
      await this.#sleep(delay);
      // A late timer can still eat the margin.
      if (deadline - this.#now() < MIN_ATTEMPT_MS) return outOfTime(outcome, attempt, what);
    }
  }

  async #attempt(
    url: URL,
    init: { method: string; headers: Record<string, string>; body: string | Uint8Array | undefined },
    timeoutMs: number,
    attempt: number,
    service: string,
    where: string,
    req: HttpRequest,
  ): Promise<Attempt> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await this.#fetch(url.href, {
        method: init.method,
        headers: init.headers,
        body: init.body ?? null,
        signal,
        redirect: 'error',
      });
      const body = await readBounded(res.body, req.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, signal);
      if (body === undefined) {
        return {
          error: new HttpError('http-too-large', `${service} sent a response larger than allowed (${where})`, {
            attempts: attempt,
            status: res.status,
          }),
        };
      }
      return { response: buffered(res, body, attempt) };
    } catch (cause) {
      if (signal.aborted) {
        return {
          error: new HttpError('http-timeout', `${service} did not answer within ${timeoutMs} ms (${where})`, {
            cause,
            attempts: attempt,
          }),
        };
      }
      return {
        error: new HttpError('http-network', `cannot reach ${service}: ${networkReason(cause)} (${where})`, {
          cause,
          attempts: attempt,
        }),
      };
    }
  }
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}

/** `POST https://sts.amazonaws.com/` — never the query string. */
export function describeUrl(method: string, url: URL): string {
  return `${method} ${url.origin}${url.pathname}`;
}

function backoff(attempt: number, retry: Required<RetryOptions>, random: () => number): number {
  const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
  return ceiling / 2 + (random() * ceiling) / 2;
}

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date. */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function networkReason(cause: unknown): string {
  let current: unknown = cause;
  for (let i = 0; i < 4 && current instanceof Error; i++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return `${code}${current.message ? ` (${current.message})` : ''}`;
    current = current.cause;
  }
  return cause instanceof Error ? cause.message : String(cause);
}

async function readBounded(
  body: AsyncIterable<Uint8Array> | null,
  max: number,
  signal: AbortSignal,
): Promise<Uint8Array | undefined> {
  if (body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    signal.throwIfAborted();
    size += chunk.byteLength;
    if (size > max) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function buffered(res: FetchResponseLike, body: Uint8Array, attempts: number): BufferedResponse {
  const headers = new Map<string, string>();
  res.headers.forEach((value, key) => {
    headers.set(key.toLowerCase(), value);
  });
  let text: string | undefined;
  const decode = () => {
    text ??= new TextDecoder().decode(body);
    return text;
  };
  return {
    status: res.status,
    statusText: res.statusText,
    url: res.url,
    ok: res.status >= 200 && res.status < 300,
    header: (name) => headers.get(name.toLowerCase()),
    body,
    text: decode,
    json: () => {
      try {
        return JSON.parse(decode());
      } catch {
        throw new SyntaxError(
          `response from ${res.url === '' ? 'the server' : new URL(res.url).host} is not valid JSON`,
        );
      }
    },
    attempts,
  };
}

/** Proxy settings as the usual environment variables spell them. */
export interface ProxySettings {
  readonly httpProxy: string | undefined;
  readonly httpsProxy: string | undefined;
  readonly noProxy: string | undefined;
}

export function proxySettingsFromEnv(env: Env): ProxySettings {
  const pick = (upper: string) => {
    const value = env[upper.toLowerCase()] ?? env[upper];
    return value === undefined || value === '' ? undefined : value;
  };
  return { httpProxy: pick('HTTP_PROXY'), httpsProxy: pick('HTTPS_PROXY'), noProxy: pick('NO_PROXY') };
}

/**
 * Whether NO_PROXY exempts a URL: `*`; host names matching exactly or as a domain suffix (`example.com` and
 * `.example.com` both cover `api.example.com`); optional `:port`; IP addresses exactly. Loopback is always exempt so
 * local emulators and metadata services are reached directly.
 */
export function bypassesProxy(url: URL, noProxy: string | undefined): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1' || /^127\./.test(host)) return true;
  if (noProxy === undefined) return false;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const m = /^(.*?)(?::(\d+))?$/.exec(entry.replace(/^\[(.*)\](:\d+)?$/, '$1$2'));
    const entryHost = (m?.[1] ?? entry).replace(/^\*?\./, '');
    const entryPort = m?.[2];
    if (entryPort !== undefined && entryPort !== port) continue;
    if (host === entryHost || host.endsWith(`.${entryHost}`)) return true;
  }
  return false;
}
