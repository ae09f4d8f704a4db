import type { IdTokenSource } from '@airlock/core';
import { OidcError } from './errors.ts';
import { decodeUnverified } from './jwt.ts';

/**
 * Where the OIDC token comes from:
 * - the GitHub Actions token endpoint (`io.idTokens`), asked for the exact audience;
 * - a file (a Kubernetes projected service-account token, a GitLab `id_tokens` value written to a file), read afresh
 *   every time because such files are rotated in place;
 * - an environment variable (GitLab CI `id_tokens`, other CI systems).
 * File and env tokens carry whatever audience they were minted for; verification then checks it.
 *
 * Every token is handed to `mask` before it is returned.
 */
export interface TokenSource {
  /** For messages: `the GitHub OIDC token endpoint`, `token file /var/run/…`. */
  readonly description: string;
  fetch(audience: string): Promise<string>;
}

export function githubTokenSource(idTokens: IdTokenSource): TokenSource {
  return { description: 'the GitHub OIDC token endpoint', fetch: (audience) => idTokens.getToken(audience) };
}

export function fileTokenSource(
  path: string,
  readFile: (path: string) => string,
  mask: (value: string) => void,
): TokenSource {
  return {
    description: `token file ${path}`,
    fetch: async () => {
      let text: string;
      try {
        text = readFile(path);
      } catch (cause) {
        const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
        throw new OidcError(
          'token-unavailable',
          `cannot read the token file ${path} (${code}); for a Kubernetes projected service-account token check the volume mount, for GitLab write the id_tokens variable to this file first`,
          { cause },
        );
      }
      const token = text.trim();
      if (token === '') throw new OidcError('token-unavailable', `the token file ${path} is empty`);
      mask(token);
      return token;
    },
  };
}

export function envTokenSource(
  name: string,
  env: Readonly<Record<string, string | undefined>>,
  mask: (value: string) => void,
): TokenSource {
  return {
    description: `environment variable ${name}`,
    fetch: async () => {
      const token = env[name]?.trim() ?? '';
      if (token === '') {
        throw new OidcError(
          'token-unavailable',
          `the environment variable ${name} is not set or empty; it must hold the OIDC token (for GitLab: id_tokens: { ${name}: { aud: … } })`,
        );
      }
      mask(token);
      return token;
    },
  };
}

/** Seconds a token must still have before it is used; closer to expiry, a fresh one is fetched. */
export const REFRESH_WINDOW_SECONDS = 60;

/**
 * A token for one audience, refetched when it is within {@link REFRESH_WINDOW_SECONDS} of its `exp`: a retry
 * series that outlives a token (throttling, a provider outage) presents a fresh token rather than an expiring one.
 */
export class FreshToken {
  readonly #source: TokenSource;
  readonly #audience: string;
  readonly #now: () => number;
  readonly #windowSeconds: number;
  #current: { token: string; exp: number } | undefined;
  fetches = 0;

  constructor(source: TokenSource, audience: string, now: () => number, windowSeconds = REFRESH_WINDOW_SECONDS) {
    this.#source = source;
    this.#audience = audience;
    this.#now = now;
    this.#windowSeconds = windowSeconds;
  }

  get audience(): string {
    return this.#audience;
  }

  get description(): string {
    return this.#source.description;
  }

  /** Seed with a token already fetched (and verified) for this audience. */
  seed(token: string): void {
    this.#current = { token, exp: expiryOf(token) };
  }

  /** Whether the current token is within the refresh window of its expiry (or there is none). */
  get stale(): boolean {
    return this.#current === undefined || this.#current.exp - this.#now() / 1000 <= this.#windowSeconds;
  }

  /** Milliseconds until the current token enters the refresh window (≤ 0 when it already has). */
  freshForMs(): number {
    if (this.#current === undefined) return 0;
    return (this.#current.exp - this.#windowSeconds) * 1000 - this.#now();
  }

  /**
   * The current token, or a fresh one when it is within the refresh window. `allowStale` returns the current token
   * whatever its age (for the first use of a token just fetched: there is nothing fresher to be had).
   */
  async get(options: { allowStale?: boolean } = {}): Promise<{ token: string; exp: number; refreshed: boolean }> {
    if (this.#current !== undefined && (options.allowStale || !this.stale))
      return { ...this.#current, refreshed: false };
    const token = await this.#source.fetch(this.#audience);
    this.fetches++;
    this.#current = { token, exp: expiryOf(token) };
    return { ...this.#current, refreshed: true };
  }
}

/** The `exp` of a token (unverified; bookkeeping only), or 0 when it has none. */
export function expiryOf(token: string): number {
  try {
    const exp = decodeUnverified(token).claims.exp;
    return typeof exp === 'number' ? exp : 0;
  } catch {
    return 0;
  }
}
