import { AirlockError } from './errors.ts';
import type { HttpClient } from './http.ts';

/**
 * The job's GitHub OIDC token, from the Actions token endpoint: GET `$ACTIONS_ID_TOKEN_REQUEST_URL&audience=<aud>`
 * with `Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`, answered with `{"value": "<jwt>"}`.
 *
 * Unlike @actions/core's client (which retries only 502/503/504 GETs), this one uses Airlock's classified retries,
 * and every token is handed to `mask` before it is returned to anyone.
 */
export interface IdTokenSource {
  /** A fresh token for the audience. */
  getToken(audience: string): Promise<string>;
}

export type IdTokenErrorCode = 'oidc-unavailable' | 'oidc-denied' | 'oidc-bad-response' | 'oidc-unreachable';

export class IdTokenError extends AirlockError<IdTokenErrorCode> {}

export interface GitHubIdTokenSourceOptions {
  readonly requestUrl: string | undefined;
  readonly requestToken: string | undefined;
  readonly http: HttpClient;
  readonly mask: (value: string) => void;
}

export class GitHubIdTokenSource implements IdTokenSource {
  readonly #options: GitHubIdTokenSourceOptions;

  constructor(options: GitHubIdTokenSourceOptions) {
    this.#options = options;
    if (options.requestToken !== undefined && options.requestToken !== '') options.mask(options.requestToken);
  }

  get available(): boolean {
    return !!this.#options.requestUrl && !!this.#options.requestToken;
  }

  async getToken(audience: string): Promise<string> {
    const { requestUrl, requestToken, http, mask } = this.#options;
    if (!requestUrl || !requestToken) {
      throw new IdTokenError(
        'oidc-unavailable',
        'this job cannot request a GitHub OIDC token: ACTIONS_ID_TOKEN_REQUEST_URL is not set. Add `permissions: id-token: write` to the job (or workflow). Pull requests from forks never receive an OIDC token; run this step on push, merge_group or a trusted event instead.',
      );
    }
    let url: URL;
    try {
      url = new URL(requestUrl);
    } catch {
      throw new IdTokenError('oidc-unavailable', 'ACTIONS_ID_TOKEN_REQUEST_URL is not a valid URL', {
        kind: 'external',
      });
    }
    url.searchParams.set('audience', audience);
    let response: Awaited<ReturnType<HttpClient['request']>>;
    try {
      response = await http.request({
        url,
        headers: { authorization: `Bearer ${requestToken}`, accept: 'application/json' },
        service: 'the GitHub OIDC token endpoint',
      });
    } catch (cause) {
      throw new IdTokenError('oidc-unreachable', `cannot get an OIDC token: ${(cause as Error).message}`, {
        cause,
        kind: 'external',
      });
    }
    if (response.status === 401 || response.status === 403) {
      throw new IdTokenError(
        'oidc-denied',
        `the GitHub OIDC token endpoint refused the request (HTTP ${response.status}); the job's request token is invalid or expired`,
        { kind: 'external' },
      );
    }
    if (!response.ok) {
      throw new IdTokenError(
        'oidc-unreachable',
        `the GitHub OIDC token endpoint answered HTTP ${response.status} for audience '${audience}'`,
        { kind: 'external' },
      );
    }
    let value: unknown;
    try {
      value = (response.json() as { value?: unknown }).value;
    } catch {
      value = undefined;
    }
    if (typeof value !== 'string' || value.split('.').length !== 3) {
      throw new IdTokenError(
        'oidc-bad-response',
        'the GitHub OIDC token endpoint did not return a token (no "value" JWT in its response)',
        {
          kind: 'external',
        },
      );
    }
    mask(value);
    return value;
  }
}
