import { quote } from '@airlock/core';
import { SigningError } from './errors.ts';

/**
 * Upload a Sigstore bundle to GitHub's attestations API (`POST /repos/{owner}/{repo}/attestations`) through
 * @octokit/rest, so `gh attestation verify` and the repository's attestations page find it. Octokit gets its fetch
 * explicitly; it is loaded only when an upload is asked for.
 */
export interface UploadRequest {
  /** The serialized bundle (JSON object). */
  readonly bundle: object;
  /** `owner/repo` */
  readonly repository: string;
  readonly token: string;
  /** GITHUB_API_URL */
  readonly apiUrl: string;
  /** GITHUB_SERVER_URL, for the attestation's web URL. */
  readonly serverUrl: string;
  readonly fetch: typeof globalThis.fetch;
  readonly userAgent?: string;
}

export interface UploadedAttestation {
  readonly id: string;
  readonly url: string;
}

export async function uploadAttestation(request: UploadRequest): Promise<UploadedAttestation> {
  const [owner, repo, ...rest] = request.repository.split('/');
  if (!owner || !repo || rest.length > 0) {
    throw new SigningError('config-invalid', `the repository must be owner/name; got ${quote(request.repository)}`);
  }
  const { Octokit } = await import(/* webpackMode: "eager" */ '@octokit/rest');
  const octokit = new Octokit({
    auth: request.token,
    baseUrl: request.apiUrl,
    userAgent: request.userAgent ?? 'airlock-sign',
    request: { fetch: request.fetch, retries: 0 },
    log: { debug() {}, info() {}, warn() {}, error() {} },
  });
  let id: unknown;
  try {
    const response = await octokit.request('POST /repos/{owner}/{repo}/attestations', {
      owner,
      repo,
      bundle: request.bundle as never,
    });
    id = (response.data as { id?: unknown }).id;
  } catch (cause) {
    const status = (cause as { status?: unknown }).status;
    const detail = (cause as { response?: { data?: { message?: unknown } } }).response?.data?.message;
    const said = typeof detail === 'string' ? ` (GitHub said: ${quote(detail, 200)})` : '';
    const where = `${request.repository}`;
    if (status === 403) {
      throw new SigningError(
        'attestations-unsupported',
        `GitHub refused to store the attestation in ${where} (HTTP 403)${said}. The job needs \`permissions: attestations: write\` (and \`id-token: write\` to sign); a token from a fork's pull request never has it.`,
        { cause },
      );
    }
    if (status === 404) {
      throw new SigningError(
        'attestations-unsupported',
        `GitHub has no attestations API for ${where} (HTTP 404)${said}: the repository does not exist, the token cannot see it, or the server does not support attestations. Set upload-attestation: false and keep the bundle file instead.`,
        { cause },
      );
    }
    if (status === 422) {
      throw new SigningError(
        'attestations-unsupported',
        `${where} cannot store attestations (HTTP 422)${said}: attestations on private repositories need GitHub Enterprise Cloud, and the bundle must be signed by this repository's workflow. Keep the bundle file instead (upload-attestation: false).`,
        { cause },
      );
    }
    throw new SigningError(
      'attestations-api-failed',
      `the GitHub attestations API failed for ${where}${typeof status === 'number' ? ` (HTTP ${status})` : ''}: ${(cause as Error).message}`,
      { cause, kind: 'external' },
    );
  }
  if (typeof id !== 'number' && typeof id !== 'string') {
    throw new SigningError('attestations-api-failed', 'the GitHub attestations API answered without an id', {
      kind: 'external',
    });
  }
  return { id: String(id), url: `${request.serverUrl.replace(/\/+$/, '')}/${owner}/${repo}/attestations/${id}` };
}
