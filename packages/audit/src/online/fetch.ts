import { type Classifier, defaultClassifier, type HttpClient } from '@airlock/core';

/**
 * A fetch for @octokit/rest backed by Airlock's HTTP client: per-attempt timeouts, an overall deadline, bounded
 * response bodies, no redirects followed (the token is never sent to another origin), proxies, and classified
 * retries — 5xx, 429, and GitHub's rate limits (403 with Retry-After or x-ratelimit-remaining: 0).
 */
const RESPONSE_HEADERS = [
  'content-type',
  'link',
  'etag',
  'last-modified',
  'location',
  'deprecation',
  'sunset',
  'retry-after',
  'x-github-request-id',
  'x-github-api-version-selected',
  'x-oauth-scopes',
  'x-accepted-github-permissions',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'x-ratelimit-used',
  'x-ratelimit-resource',
];

export const githubClassifier: Classifier = (attempt) => {
  const response = attempt.response;
  if (response !== undefined && response.status === 403) {
    if (response.header('retry-after') !== undefined || response.header('x-ratelimit-remaining') === '0')
      return 'retry';
    return 'done';
  }
  return defaultClassifier(attempt);
};

interface OctokitResponse {
  readonly status: number;
  readonly statusText: string;
  readonly url: string;
  readonly ok: boolean;
  readonly headers: {
    get(name: string): string | null;
    [Symbol.iterator](): IterableIterator<[string, string]>;
  };
  readonly body: null;
  text(): Promise<string>;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export function octokitFetch(http: HttpClient, service = 'the GitHub API'): typeof globalThis.fetch {
  const fetchLike = async (input: unknown, init: Record<string, unknown> = {}): Promise<OctokitResponse> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : String(input);
    const headers: Record<string, string> = {};
    const given = init.headers as Record<string, string> | undefined;
    for (const [k, v] of Object.entries(given ?? {})) headers[k.toLowerCase()] = String(v);
    const body = init.body;
    if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
      throw new TypeError('the GitHub client sent a streaming body, which Airlock does not send');
    }
    const response = await http.request({
      url,
      method: typeof init.method === 'string' ? init.method : 'GET',
      headers,
      ...(body === undefined || body === null ? {} : { body: body as string | Uint8Array }),
      service,
      classify: githubClassifier,
    });
    const entries: Array<[string, string]> = [];
    for (const name of RESPONSE_HEADERS) {
      const value = response.header(name);
      if (value !== undefined) entries.push([name, value]);
    }
    const bytes = response.body;
    return {
      status: response.status,
      statusText: response.statusText,
      url: response.url,
      ok: response.ok,
      headers: {
        get: (name) => response.header(name) ?? null,
        [Symbol.iterator]: () => entries[Symbol.iterator](),
      },
      body: null,
      text: async () => response.text(),
      json: async () => response.json(),
      arrayBuffer: async () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    };
  };
  return fetchLike as unknown as typeof globalThis.fetch;
}
