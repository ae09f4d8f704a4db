import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LoopbackServer, listen, sendJson } from './net.ts';
import { JwksClient, randomToken, type TrustPolicy, verifyPresentedToken } from './trust.ts';

/**
 * A loopback OAuth 2.0 authorization server with RFC 8693 token exchange (`POST /token`), RFC 7009 revocation
 * (`POST /revoke`) and RFC 7662 introspection (`POST /introspect`). Client authentication by `client_secret_basic`
 * (RFC 6749 §2.3.1, form-urlencoded id and secret), `client_secret_post` or none for public clients. Errors are
 * RFC 6749 §5.2 JSON (`invalid_grant`, `invalid_client` with 401 and WWW-Authenticate, `invalid_target`, …).
 */
export interface OAuthClientConfig {
  readonly clientId: string;
  readonly clientSecret?: string;
  /** The subject tokens this client may exchange. */
  readonly trust: Omit<TrustPolicy, 'issuer'>;
  /** RFC 8693 `audience` values it may ask for. */
  readonly audiences?: readonly string[];
  readonly scopes?: readonly string[];
}

export interface OAuthEmulatorOptions {
  readonly oidc: { readonly issuer: string };
  readonly clients: readonly OAuthClientConfig[];
  readonly now?: () => Date;
  readonly tokenLifetime?: number;
}

export interface OAuthFaults {
  throttle?: number;
  unavailable?: boolean;
}

export interface OAuthRequestRecord {
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly authorization: string | undefined;
  readonly status: number;
  readonly error?: string;
}

interface Issued {
  readonly token: string;
  readonly clientId: string;
  readonly expiresAt: Date;
  revoked: boolean;
}

export class OAuthEmulator {
  readonly requests: OAuthRequestRecord[] = [];
  readonly presentedTokens: string[] = [];
  readonly issued: Issued[] = [];
  faults: OAuthFaults = {};
  readonly #server: LoopbackServer;
  readonly #options: OAuthEmulatorOptions;
  readonly #jwks: JwksClient;

  private constructor(server: LoopbackServer, options: OAuthEmulatorOptions) {
    this.#server = server;
    this.#options = options;
    this.#jwks = new JwksClient(options.oidc.issuer);
  }

  static async start(options: OAuthEmulatorOptions): Promise<OAuthEmulator> {
    let emulator: OAuthEmulator | undefined;
    const server = await listen((req, res, body) => (emulator as OAuthEmulator).handle(req, res, body));
    emulator = new OAuthEmulator(server, options);
    return emulator;
  }

  get origin(): string {
    return this.#server.origin;
  }

  get tokenEndpoint(): string {
    return `${this.#server.origin}/token`;
  }

  get revocationEndpoint(): string {
    return `${this.#server.origin}/revoke`;
  }

  issuedValues(): string[] {
    return this.issued.map((i) => i.token);
  }

  /** RFC 7662's view of a token. */
  active(token: string): boolean {
    const found = this.issued.find((i) => i.token === token);
    return found !== undefined && !found.revoked && found.expiresAt.getTime() > this.#now().getTime();
  }

  async stop(): Promise<void> {
    await this.#server.close();
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }

  #client(req: IncomingMessage, params: Record<string, string>): OAuthClientConfig | 'invalid' | undefined {
    const basic = /^Basic (.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    let id: string | undefined;
    let secret: string | undefined;
    if (basic !== undefined) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const form = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
      id = form(decoded.slice(0, colon));
      secret = form(decoded.slice(colon + 1));
      if (params.client_secret !== undefined) return 'invalid'; // one method only (RFC 6749 §2.3)
    } else {
      id = params.client_id;
      secret = params.client_secret;
    }
    if (id === undefined) return undefined;
    const client = this.#options.clients.find((c) => c.clientId === id);
    if (client === undefined) return 'invalid';
    if (client.clientSecret !== undefined && client.clientSecret !== secret) return 'invalid';
    if (client.clientSecret === undefined && secret !== undefined) return 'invalid';
    return client;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const path = new URL(req.url ?? '/', this.#server.origin).pathname;
    const params = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
    if (params.subject_token !== undefined) this.presentedTokens.push(params.subject_token);
    const record = (status: number, error?: string) =>
      this.requests.push({
        path,
        params,
        authorization: req.headers.authorization,
        status,
        ...(error === undefined ? {} : { error }),
      });
    const fail = (status: number, error: string, description: string) => {
      record(status, error);
      sendJson(
        res,
        status,
        { error, error_description: description },
        {
          'cache-control': 'no-store',
          ...(status === 401 ? { 'www-authenticate': 'Basic realm="loopback"' } : {}),
        },
      );
    };
    if (this.faults.unavailable) return fail(503, 'temporarily_unavailable', 'The server is unavailable.');
    if ((this.faults.throttle ?? 0) > 0) {
      this.faults.throttle = (this.faults.throttle ?? 0) - 1;
      return fail(429, 'slow_down', 'Too many requests.');
    }
    if (req.method !== 'POST') return fail(405, 'invalid_request', 'POST only');
    const client = this.#client(req, params);
    if (client === 'invalid') return fail(401, 'invalid_client', 'Client authentication failed.');

    if (path === '/revoke') {
      if (client === undefined) return fail(401, 'invalid_client', 'Client authentication failed.');
      const found = this.issued.find((i) => i.token === params.token);
      if (found !== undefined && found.clientId === client.clientId) found.revoked = true;
      record(200);
      res.writeHead(200, { 'content-length': '0' });
      res.end();
      return;
    }
    if (path === '/introspect') {
      record(200);
      sendJson(res, 200, { active: this.active(params.token ?? '') });
      return;
    }
    if (path !== '/token') return fail(404, 'invalid_request', 'unknown endpoint');
    if (client === undefined) return fail(401, 'invalid_client', 'Client authentication failed.');
    if (params.grant_type !== 'urn:ietf:params:oauth:grant-type:token-exchange') {
      return fail(400, 'unsupported_grant_type', `grant_type ${params.grant_type ?? ''} is not supported`);
    }
    if (
      !['urn:ietf:params:oauth:token-type:jwt', 'urn:ietf:params:oauth:token-type:id_token'].includes(
        params.subject_token_type ?? '',
      )
    ) {
      return fail(400, 'invalid_request', 'unsupported subject_token_type');
    }
    const requested = params.requested_token_type ?? 'urn:ietf:params:oauth:token-type:access_token';
    if (requested !== 'urn:ietf:params:oauth:token-type:access_token') {
      return fail(400, 'invalid_request', `requested_token_type ${requested} is not supported`);
    }
    if (params.audience !== undefined && !(client.audiences ?? []).includes(params.audience)) {
      return fail(400, 'invalid_target', `audience ${params.audience} is not allowed for this client`);
    }
    const scopes = (params.scope ?? '').split(' ').filter((s) => s !== '');
    if (scopes.some((s) => !(client.scopes ?? []).includes(s))) {
      return fail(400, 'invalid_scope', 'the requested scope exceeds what the client may get');
    }
    const token = params.subject_token ?? '';
    const verdict = await verifyPresentedToken(
      token,
      { issuer: this.#options.oidc.issuer, ...client.trust },
      this.#jwks,
      () => this.#now(),
    );
    if (!verdict.ok) return fail(400, 'invalid_grant', `subject_token rejected: ${verdict.message}`);
    const lifetime = this.#options.tokenLifetime ?? 300;
    const issued: Issued = {
      token: randomToken('at_', 48),
      clientId: client.clientId,
      expiresAt: new Date(this.#now().getTime() + lifetime * 1000),
      revoked: false,
    };
    this.issued.push(issued);
    record(200);
    sendJson(
      res,
      200,
      {
        access_token: issued.token,
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        token_type: 'Bearer',
        expires_in: lifetime,
        ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
      },
      { 'cache-control': 'no-store' },
    );
  }
}
