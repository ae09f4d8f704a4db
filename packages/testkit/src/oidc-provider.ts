import { type KeyObject, randomBytes, randomUUID, type webcrypto } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { type LoopbackServer, listen, sendJson } from './net.ts';

/**
 * A loopback GitHub Actions OIDC provider. It speaks both halves of the real protocol:
 *
 * - the runner's token endpoint: GET `<ACTIONS_ID_TOKEN_REQUEST_URL>&audience=<aud>` with
 *   `Authorization: Bearer <ACTIONS_ID_TOKEN_REQUEST_TOKEN>` → `{"count": …, "value": "<jwt>"}`, 401 on a wrong or
 *   missing bearer;
 * - the issuer: `/.well-known/openid-configuration` and its `jwks_uri`.
 *
 * Tokens are RS256 JWTs with GitHub's claim set, on an injectable clock. Tests can override claims, switch the subject
 * to the immutable `repo:owner@ID/repo@ID:…` format, rotate keys, and inject faults (expired or not-yet-valid tokens,
 * a kid the JWKS does not list, 5xx answers, slow answers).
 */

export interface GitHubClaims {
  sub: string;
  aud: string;
  iss: string;
  jti: string;
  iat: number;
  nbf: number;
  exp: number;
  repository: string;
  repository_id: string;
  repository_owner: string;
  repository_owner_id: string;
  repository_visibility: string;
  ref: string;
  ref_type: string;
  ref_protected: string;
  sha: string;
  environment?: string | undefined;
  event_name: string;
  head_ref: string;
  base_ref: string;
  job_workflow_ref: string;
  job_workflow_sha: string;
  workflow: string;
  workflow_ref: string;
  workflow_sha: string;
  runner_environment: string;
  actor: string;
  actor_id: string;
  run_id: string;
  run_number: string;
  run_attempt: string;
  [claim: string]: unknown;
}

export interface OidcFaults {
  /** Tokens are issued already expired. */
  expired?: boolean;
  /** Tokens are not valid yet (nbf in the future). */
  notYetValid?: boolean;
  /** Tokens are signed with a key the JWKS does not list. */
  unknownKid?: boolean;
  /** Answer the token endpoint with this status for the next `count` requests. */
  tokenStatus?: { status: number; count: number };
  /** Answer the JWKS endpoint with this status. */
  jwksStatus?: number;
  /** Delay every answer by this many milliseconds. */
  delayMs?: number;
}

export interface OidcProviderOptions {
  /** The clock used for iat/nbf/exp (a fixed date in tests). */
  readonly now?: () => Date;
  /** Seconds a token lives. */
  readonly lifetimeSeconds?: number;
  readonly claims?: Partial<GitHubClaims>;
  /** `classic` (`repo:owner/repo:…`) or `immutable` (`repo:owner@ID/repo@ID:…`). */
  readonly subjectFormat?: 'classic' | 'immutable';
}

interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject | webcrypto.CryptoKey;
  readonly jwk: JWK;
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const kid = randomBytes(20).toString('hex').toUpperCase();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, jwk };
}

export interface TokenRequestRecord {
  readonly audience: string | undefined;
  readonly authorized: boolean;
  readonly status: number;
}

export class OidcProvider {
  readonly requestToken = `oidc-request-${randomUUID()}`;
  readonly requests: TokenRequestRecord[] = [];
  faults: OidcFaults = {};
  readonly #server: LoopbackServer;
  readonly #options: OidcProviderOptions;
  #claims: Partial<GitHubClaims>;
  #subjectFormat: 'classic' | 'immutable';
  #keys: SigningKey[];
  #strayKey: SigningKey | undefined;

  private constructor(server: LoopbackServer, keys: SigningKey[], options: OidcProviderOptions) {
    this.#server = server;
    this.#keys = keys;
    this.#options = options;
    this.#claims = { ...options.claims };
    this.#subjectFormat = options.subjectFormat ?? 'classic';
  }

  static async start(options: OidcProviderOptions = {}): Promise<OidcProvider> {
    const key = await newKey();
    let provider: OidcProvider | undefined;
    const server = await listen((req, res) => (provider as OidcProvider).handle(req, res));
    provider = new OidcProvider(server, [key], options);
    return provider;
  }

  get issuer(): string {
    return this.#server.origin;
  }

  get jwksUri(): string {
    return `${this.#server.origin}/.well-known/jwks`;
  }

  /** The URL the runner gives a job (already carrying a query string, as the real one does). */
  get requestUrl(): string {
    return `${this.#server.origin}/_apis/distributedtask/hubs/Actions/plans/${'1'.repeat(8)}/jobs/${'2'.repeat(8)}/idtoken?api-version=2.0`;
  }

  /** The variables the runner sets for a job with `id-token: write`. */
  env(): Record<string, string> {
    return { ACTIONS_ID_TOKEN_REQUEST_URL: this.requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: this.requestToken };
  }

  /** The current public keys. */
  jwks(): { keys: JWK[] } {
    return { keys: this.#keys.map((k) => k.jwk) };
  }

  /** Override claims for tokens issued from now on (merged into the defaults). */
  setClaims(claims: Partial<GitHubClaims>): void {
    this.#claims = { ...this.#claims, ...claims };
  }

  setSubjectFormat(format: 'classic' | 'immutable'): void {
    this.#subjectFormat = format;
  }

  /** A new signing key; the old one stays in the JWKS unless `dropPrevious`. */
  async rotateKey(options: { dropPrevious?: boolean } = {}): Promise<void> {
    const key = await newKey();
    this.#keys = options.dropPrevious ? [key] : [key, ...this.#keys];
  }

  /** The claims a token for `audience` would carry now. */
  claims(audience: string, overrides: Partial<GitHubClaims> = {}): GitHubClaims {
    const now = Math.floor((this.#options.now?.() ?? new Date()).getTime() / 1000);
    const lifetime = this.#options.lifetimeSeconds ?? 300;
    const merged = { ...this.#claims, ...overrides };
    const repository = merged.repository ?? 'acme/app';
    const [owner = 'acme', name = 'app'] = repository.split('/');
    const ref = merged.ref ?? 'refs/heads/main';
    const repositoryId = merged.repository_id ?? '123456789';
    const ownerId = merged.repository_owner_id ?? '987654';
    const environment = merged.environment;
    const eventName = merged.event_name ?? 'push';
    const context =
      environment !== undefined
        ? `environment:${environment}`
        : eventName === 'pull_request'
          ? 'pull_request'
          : `ref:${ref}`;
    const subjectRepo =
      this.#subjectFormat === 'immutable' ? `${owner}@${ownerId}/${name}@${repositoryId}` : `${owner}/${name}`;
    const workflowRef = merged.workflow_ref ?? `${repository}/.github/workflows/ci.yml@${ref}`;
    const sha = merged.sha ?? 'd6f3a1c0b2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8';
    let iat = now;
    if (this.faults.expired) iat = now - lifetime - 600;
    if (this.faults.notYetValid) iat = now + 600;
    const claims: GitHubClaims = {
      jti: randomUUID(),
      sub: `repo:${subjectRepo}:${context}`,
      aud: audience,
      ref,
      sha,
      repository,
      repository_owner: owner,
      repository_owner_id: ownerId,
      run_id: '4242424242',
      run_number: '17',
      run_attempt: '1',
      repository_visibility: 'private',
      repository_id: repositoryId,
      actor_id: '583231',
      actor: 'octocat',
      workflow: 'CI',
      head_ref: '',
      base_ref: '',
      event_name: eventName,
      ref_protected: 'true',
      ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
      workflow_ref: workflowRef,
      workflow_sha: sha,
      job_workflow_ref: workflowRef,
      job_workflow_sha: sha,
      runner_environment: 'github-hosted',
      iss: this.issuer,
      nbf: iat - 5,
      exp: iat + lifetime,
      iat,
      ...(environment === undefined ? {} : { environment }),
      ...merged,
    };
    if (merged.sub !== undefined) claims.sub = merged.sub;
    return claims;
  }

  /** Sign a token directly (what the token endpoint would return). */
  async issue(audience: string, overrides: Partial<GitHubClaims> = {}): Promise<string> {
    let key = this.#keys[0] as SigningKey;
    if (this.faults.unknownKid) {
      this.#strayKey ??= await newKey();
      key = this.#strayKey;
    }
    const { iss, sub, aud, exp, nbf, iat, jti, ...custom } = this.claims(audience, overrides);
    return new SignJWT(custom)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid })
      .setIssuer(iss)
      .setSubject(sub)
      .setAudience(aud)
      .setJti(jti)
      .setIssuedAt(iat)
      .setNotBefore(nbf)
      .setExpirationTime(exp)
      .sign(key.privateKey);
  }

  async stop(): Promise<void> {
    await this.#server.close();
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    if (this.faults.delayMs) await new Promise((resolve) => setTimeout(resolve, this.faults.delayMs));
    const url = new URL(req.url ?? '/', this.#server.origin);
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
      sendJson(res, 200, {
        issuer: this.issuer,
        jwks_uri: this.jwksUri,
        subject_types_supported: ['public', 'pairwise'],
        response_types_supported: ['id_token'],
        claims_supported: Object.keys(this.claims('x'))
          .filter((c) => c !== 'environment')
          .concat('environment'),
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid'],
      });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/.well-known/jwks') {
      if (this.faults.jwksStatus !== undefined) {
        sendJson(res, this.faults.jwksStatus, { message: 'injected fault' });
        return;
      }
      sendJson(res, 200, this.jwks(), { 'cache-control': 'max-age=3600' });
      return;
    }
    if (url.pathname.endsWith('/idtoken')) {
      const audience = url.searchParams.get('audience') ?? undefined;
      const authorized = req.headers.authorization === `Bearer ${this.requestToken}`;
      const record = (status: number) => this.requests.push({ audience, authorized, status });
      if (req.method !== 'GET') {
        record(405);
        sendJson(res, 405, { message: 'method not allowed' });
        return;
      }
      if (!authorized) {
        record(401);
        sendJson(res, 401, { message: 'Unauthorized' });
        return;
      }
      const fault = this.faults.tokenStatus;
      if (fault !== undefined && fault.count > 0) {
        fault.count--;
        record(fault.status);
        sendJson(res, fault.status, { message: 'injected fault' });
        return;
      }
      // Without an audience the real endpoint uses the repository owner's URL.
      const aud = audience ?? `https://github.com/${(this.#claims.repository ?? 'acme/app').split('/')[0]}`;
      const value = await this.issue(aud);
      record(200);
      sendJson(res, 200, { count: value.length, value });
      return;
    }
    sendJson(res, 404, { message: 'Not Found' });
  }
}
