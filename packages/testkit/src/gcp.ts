import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LoopbackServer, listen, sendJson } from './net.ts';
import { JwksClient, likeMatch, randomToken, type TrustPolicy, verifyPresentedToken } from './trust.ts';

/**
 * A loopback Google Cloud for workload identity federation:
 * - Security Token Service `POST /v1/token` (RFC 8693; JSON with camelCase fields, as Google's client libraries and
 *   google-github-actions/auth send, or form-encoded snake_case), errors OAuth-style
 *   `{"error": "invalid_grant", "error_description": …}`;
 * - IAM Credentials `POST /v1/projects/-/serviceAccounts/<email>:generateAccessToken` with the federated token as
 *   bearer, errors as Google API errors `{"error": {"code", "message", "status", "details"}}`.
 * It verifies the subject token against the OIDC provider's JWKS, the provider's allowed audiences (default
 * `https://iam.googleapis.com/<provider resource>`) and an attribute condition (claim patterns), and checks that the
 * federated principal is a workload identity user of the service account.
 */
export interface GcpProviderConfig {
  /** projects/<n>/locations/global/workloadIdentityPools/<pool>/providers/<id> */
  readonly resource: string;
  readonly allowedAudiences?: readonly string[];
  /** The attribute condition, as claim patterns (StringLike). */
  readonly condition?: Omit<TrustPolicy, 'issuer' | 'audiences'>;
}

export interface GcpServiceAccountConfig {
  readonly email: string;
  /** Federated principals allowed to impersonate it (roles/iam.workloadIdentityUser), as claim patterns. */
  readonly workloadIdentityUsers: Omit<TrustPolicy, 'issuer' | 'audiences'>;
  /** Service accounts that may use this one as a delegate. */
  readonly delegates?: readonly string[];
}

export interface GcpEmulatorOptions {
  readonly oidc: { readonly issuer: string };
  readonly providers: readonly GcpProviderConfig[];
  readonly serviceAccounts?: readonly GcpServiceAccountConfig[];
  readonly now?: () => Date;
}

export interface GcpFaults {
  /** Answer the next N calls to STS with 429. */
  stsThrottle?: number;
  /** Answer every STS call with 503 until cleared. */
  stsUnavailable?: boolean;
  iamThrottle?: number;
  iamUnavailable?: boolean;
}

export interface GcpRequestRecord {
  readonly service: 'sts' | 'iamcredentials';
  readonly path: string;
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
  readonly error?: string;
}

interface Federated {
  readonly token: string;
  readonly claims: Record<string, unknown>;
  readonly provider: string;
  readonly expiresAt: Date;
}

export class GcpEmulator {
  readonly requests: GcpRequestRecord[] = [];
  readonly presentedTokens: string[] = [];
  readonly federatedTokens: string[] = [];
  readonly accessTokens: Array<{ token: string; serviceAccount: string; scopes: string[]; expireTime: string }> = [];
  faults: GcpFaults = {};
  readonly #server: LoopbackServer;
  readonly #options: GcpEmulatorOptions;
  readonly #jwks: JwksClient;
  readonly #federated = new Map<string, Federated>();

  private constructor(server: LoopbackServer, options: GcpEmulatorOptions) {
    this.#server = server;
    this.#options = options;
    this.#jwks = new JwksClient(options.oidc.issuer);
  }

  static async start(options: GcpEmulatorOptions): Promise<GcpEmulator> {
    let emulator: GcpEmulator | undefined;
    const server = await listen((req, res, body) => (emulator as GcpEmulator).handle(req, res, body));
    emulator = new GcpEmulator(server, options);
    return emulator;
  }

  get stsEndpoint(): string {
    return `${this.#server.origin}/v1/token`;
  }

  get iamCredentialsEndpoint(): string {
    return this.#server.origin;
  }

  issuedValues(): string[] {
    return [...this.federatedTokens, ...this.accessTokens.map((a) => a.token)];
  }

  async stop(): Promise<void> {
    await this.#server.close();
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }

  private async handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', this.#server.origin);
    const text = raw.toString('utf8');
    let body: Record<string, unknown> = {};
    if (String(req.headers['content-type'] ?? '').startsWith('application/json')) {
      try {
        body = JSON.parse(text || '{}');
      } catch {
        body = {};
      }
    } else {
      body = Object.fromEntries(new URLSearchParams(text));
    }
    if (req.method === 'POST' && url.pathname === '/v1/token') return this.#sts(res, body);
    const m = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(url.pathname);
    if (req.method === 'POST' && m !== null) return this.#generate(req, res, decodeURIComponent(m[1] as string), body);
    sendJson(res, 404, { error: { code: 404, message: 'Not Found', status: 'NOT_FOUND' } });
  }

  async #sts(res: ServerResponse, body: Record<string, unknown>): Promise<void> {
    const field = (camel: string, snake: string) => String(body[camel] ?? body[snake] ?? '');
    if (field('subjectToken', 'subject_token') !== '')
      this.presentedTokens.push(field('subjectToken', 'subject_token'));
    const fail = (status: number, error: string, description: string) => {
      this.requests.push({ service: 'sts', path: '/v1/token', status, body, error });
      sendJson(res, status, { error, error_description: description });
    };
    if (this.faults.stsUnavailable)
      return fail(503, 'temporarily_unavailable', 'The service is currently unavailable.');
    if ((this.faults.stsThrottle ?? 0) > 0) {
      this.faults.stsThrottle = (this.faults.stsThrottle ?? 0) - 1;
      return fail(429, 'rate_limit_exceeded', 'Quota exceeded for quota metric token exchange requests.');
    }
    if (field('grantType', 'grant_type') !== 'urn:ietf:params:oauth:grant-type:token-exchange') {
      return fail(
        400,
        'unsupported_grant_type',
        `The grant type ${field('grantType', 'grant_type')} is not supported.`,
      );
    }
    const subjectTokenType = field('subjectTokenType', 'subject_token_type');
    if (
      !['urn:ietf:params:oauth:token-type:jwt', 'urn:ietf:params:oauth:token-type:id_token'].includes(subjectTokenType)
    ) {
      return fail(400, 'invalid_request', `Invalid value for "subject_token_type": ${subjectTokenType}`);
    }
    if (field('requestedTokenType', 'requested_token_type') !== 'urn:ietf:params:oauth:token-type:access_token') {
      return fail(400, 'invalid_request', 'Invalid value for "requested_token_type".');
    }
    const audience = field('audience', 'audience');
    const provider = this.#options.providers.find((p) => audience === `//iam.googleapis.com/${p.resource}`);
    if (provider === undefined) {
      return fail(
        400,
        'invalid_target',
        'The target service indicated by the "audience" parameters is invalid. This might either be because the pool or provider is disabled or deleted or because it doesn\'t exist.',
      );
    }
    const token = field('subjectToken', 'subject_token');
    const audiences = provider.allowedAudiences ?? [`https://iam.googleapis.com/${provider.resource}`];
    const verdict = await verifyPresentedToken(
      token,
      { issuer: this.#options.oidc.issuer, audiences, ...provider.condition },
      this.#jwks,
      () => this.#now(),
    );
    if (!verdict.ok) {
      switch (verdict.failure) {
        case 'audience':
          return fail(
            400,
            'invalid_grant',
            `The audience in ID Token [${String(verdict.claims?.aud)}] does not match the expected audience ${audiences[0]}.`,
          );
        case 'expired':
          return fail(400, 'invalid_grant', 'ID Token issued at ... is stale to sign-in.');
        case 'issuer':
          return fail(
            400,
            'invalid_grant',
            `The issuer in ID Token ${String(verdict.claims?.iss)} does not match the expected ones: ${this.#options.oidc.issuer}.`,
          );
        case 'subject':
        case 'claim':
          return fail(400, 'unauthorized_client', 'The given credential is rejected by the attribute condition.');
        default:
          return fail(400, 'invalid_grant', `Invalid ID Token: ${verdict.message}`);
      }
    }
    const federated = randomToken('ya29.d.', 120);
    const expiresAt = new Date(this.#now().getTime() + 3600_000);
    this.#federated.set(federated, {
      token: federated,
      claims: verdict.claims,
      provider: provider.resource,
      expiresAt,
    });
    this.federatedTokens.push(federated);
    this.requests.push({ service: 'sts', path: '/v1/token', status: 200, body });
    sendJson(res, 200, {
      access_token: federated,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: 3599,
    });
  }

  #generate(req: IncomingMessage, res: ServerResponse, email: string, body: Record<string, unknown>) {
    const path = `/v1/projects/-/serviceAccounts/${email}:generateAccessToken`;
    const fail = (code: number, status: string, message: string) => {
      this.requests.push({ service: 'iamcredentials', path, status: code, body, error: status });
      sendJson(res, code, {
        error: {
          code,
          message,
          status,
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: code === 403 ? 'IAM_PERMISSION_DENIED' : status,
              domain: 'iam.googleapis.com',
              metadata: { permission: 'iam.serviceAccounts.getAccessToken' },
            },
          ],
        },
      });
    };
    if (this.faults.iamUnavailable) return fail(503, 'UNAVAILABLE', 'The service is currently unavailable.');
    if ((this.faults.iamThrottle ?? 0) > 0) {
      this.faults.iamThrottle = (this.faults.iamThrottle ?? 0) - 1;
      return fail(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.');
    }
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const federated = bearer === undefined ? undefined : this.#federated.get(bearer);
    if (federated === undefined || federated.expiresAt.getTime() <= this.#now().getTime()) {
      return fail(
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      );
    }
    const denied = `Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).`;
    const account = this.#options.serviceAccounts?.find((s) => s.email === email);
    if (account === undefined) return fail(403, 'PERMISSION_DENIED', denied);
    const users = account.workloadIdentityUsers;
    const subjects =
      users.subject === undefined ? [] : typeof users.subject === 'string' ? [users.subject] : users.subject;
    const subOk = subjects.length === 0 || subjects.some((p) => likeMatch(p, String(federated.claims.sub)));
    const claimsOk = Object.entries(users.claims ?? {}).every(([claim, patterns]) =>
      (typeof patterns === 'string' ? [patterns] : patterns).some((p) => likeMatch(p, String(federated.claims[claim]))),
    );
    if (!subOk || !claimsOk) return fail(403, 'PERMISSION_DENIED', denied);
    const delegates = Array.isArray(body.delegates) ? body.delegates.map(String) : [];
    for (const d of delegates) {
      if (!(account.delegates ?? []).includes(d.replace(/^projects\/-\/serviceAccounts\//, ''))) {
        return fail(
          403,
          'PERMISSION_DENIED',
          `Permission 'iam.serviceAccounts.getAccessToken' denied on resource ${d}`,
        );
      }
    }
    const lifetime = /^(\d+)s$/.exec(String(body.lifetime ?? '3600s'));
    if (lifetime === null) return fail(400, 'INVALID_ARGUMENT', 'Invalid value for "lifetime".');
    const seconds = Number(lifetime[1]);
    if (seconds > 3600) {
      return fail(
        400,
        'INVALID_ARGUMENT',
        'The lifetime of the requested token must be less than or equal to 3600s unless extended by the org policy.',
      );
    }
    const scopes = Array.isArray(body.scope) ? body.scope.map(String) : [];
    if (scopes.length === 0) return fail(400, 'INVALID_ARGUMENT', 'Scope required.');
    const token = randomToken('ya29.c.', 140);
    const expireTime = new Date(this.#now().getTime() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    this.accessTokens.push({ token, serviceAccount: email, scopes, expireTime });
    this.requests.push({ service: 'iamcredentials', path, status: 200, body });
    sendJson(res, 200, { accessToken: token, expireTime }, { 'x-request-id': randomUUID() });
  }
}
