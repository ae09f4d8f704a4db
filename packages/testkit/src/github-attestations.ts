import { randomInt } from 'node:crypto';
import { type LoopbackServer, listen, sendJson } from './net.ts';

/**
 * A loopback slice of the GitHub REST API: `POST /repos/{owner}/{repo}/attestations`, as Octokit calls it with a
 * `baseUrl`. It checks the bearer token and the body (a Sigstore bundle with a known media type and a DSSE
 * envelope), stores what it accepts, and can answer the ways GitHub refuses: 404 (no such repository, or no API on
 * the server), 403 (the token lacks `attestations: write`), 422 (the repository cannot store attestations).
 */
export interface StoredAttestation {
  readonly id: number;
  readonly repository: string;
  readonly bundle: Record<string, unknown>;
}

export class GitHubAttestationsApi {
  readonly stored: StoredAttestation[] = [];
  /** Answer every upload with this status and a GitHub-style message instead. */
  refuse: { status: 403 | 404 | 422; message: string } | undefined;
  readonly #server: LoopbackServer;
  readonly #token: string;

  private constructor(server: LoopbackServer, token: string) {
    this.#server = server;
    this.#token = token;
  }

  static async start(options: { token: string }): Promise<GitHubAttestationsApi> {
    let api: GitHubAttestationsApi | undefined;
    const server = await listen((req, res, body) => {
      const self = api as GitHubAttestationsApi;
      const url = new URL(req.url ?? '/', self.url);
      const match = /^\/repos\/([^/]+)\/([^/]+)\/attestations$/.exec(url.pathname);
      if (req.method !== 'POST' || match === null) {
        sendJson(res, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
        return;
      }
      const auth = req.headers.authorization ?? '';
      if (auth !== `token ${self.#token}` && auth !== `Bearer ${self.#token}`) {
        sendJson(res, 401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
        return;
      }
      if (self.refuse !== undefined) {
        sendJson(res, self.refuse.status, {
          message: self.refuse.message,
          documentation_url: 'https://docs.github.com/rest',
        });
        return;
      }
      let parsed: { bundle?: Record<string, unknown> };
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        sendJson(res, 400, { message: 'Problems parsing JSON' });
        return;
      }
      const bundle = parsed.bundle;
      if (
        bundle === undefined ||
        typeof bundle.mediaType !== 'string' ||
        !bundle.mediaType.startsWith('application/vnd.dev.sigstore.bundle') ||
        typeof bundle.dsseEnvelope !== 'object'
      ) {
        sendJson(res, 422, { message: 'Invalid request.\n\nbundle must be a Sigstore bundle with a DSSE envelope' });
        return;
      }
      const id = randomInt(1, 2 ** 31);
      self.stored.push({ id, repository: `${match[1]}/${match[2]}`, bundle });
      sendJson(res, 201, { id });
    });
    api = new GitHubAttestationsApi(server, options.token);
    return api;
  }

  /** The API base URL (GITHUB_API_URL). */
  get url(): string {
    return this.#server.origin;
  }

  async stop(): Promise<void> {
    await this.#server.close();
  }
}
