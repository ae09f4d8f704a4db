import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LoopbackServer, listen, sendJson } from './net.ts';
import { JwksClient, randomToken, type TrustPolicy, verifyPresentedToken } from './trust.ts';

/**
 * A loopback Doppler API for service-account identities: `POST /v3/auth/oidc` (`{identity, token}` →
 * `{success, token, expires_at}`), `GET /v3/configs/config/secret` with a bearer token, `POST /v3/auth/revoke`.
 * Each identity has claim rules (audience and subject required, as in Doppler, plus optional claims) checked after
 * the token verifies against the issuer's JWKS; errors are `{"messages": [...], "success": false}`.
 */
export interface DopplerIdentityConfig {
  readonly id: string;
  readonly trust: Omit<TrustPolicy, 'issuer'>;
  /** `project/config` pairs the service account may read. */
  readonly access: readonly string[];
  readonly ttlSeconds?: number;
}

export interface DopplerEmulatorOptions {
  readonly oidc: { readonly issuer: string };
  readonly identities: readonly DopplerIdentityConfig[];
  /** `project/config` → secret name → value. */
  readonly secrets?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly now?: () => Date;
}

export interface DopplerFaults {
  throttle?: number;
  unavailable?: boolean;
}

export interface DopplerRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly message?: string;
}

interface Issued {
  readonly token: string;
  readonly identity: string;
  readonly expiresAt: Date;
  revoked: boolean;
}

export class DopplerEmulator {
  readonly requests: DopplerRequestRecord[] = [];
  readonly presentedTokens: string[] = [];
  readonly issued: Issued[] = [];
  faults: DopplerFaults = {};
  readonly #server: LoopbackServer;
  readonly #options: DopplerEmulatorOptions;
  readonly #jwks: JwksClient;

  private constructor(server: LoopbackServer, options: DopplerEmulatorOptions) {
    this.#server = server;
    this.#options = options;
    this.#jwks = new JwksClient(options.oidc.issuer);
  }

  static async start(options: DopplerEmulatorOptions): Promise<DopplerEmulator> {
    let emulator: DopplerEmulator | undefined;
    const server = await listen((req, res, body) => (emulator as DopplerEmulator).handle(req, res, body));
    emulator = new DopplerEmulator(server, options);
    return emulator;
  }

  get api(): string {
    return this.#server.origin;
  }

  issuedValues(): string[] {
    return this.issued.map((i) => i.token);
  }

  live(token: string): boolean {
    const found = this.issued.find((i) => i.token === token);
    return found !== undefined && !found.revoked && found.expiresAt.getTime() > this.#now().getTime();
  }

  async stop(): Promise<void> {
    await this.#server.close();
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }

  private async handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', this.#server.origin);
    const method = req.method ?? 'GET';
    try {
      const presented = (JSON.parse(raw.toString('utf8') || '{}') as { token?: unknown }).token;
      if (typeof presented === 'string' && url.pathname === '/v3/auth/oidc') this.presentedTokens.push(presented);
    } catch {
      // not JSON: nothing presented
    }
    const reply = (status: number, body: Record<string, unknown>, message?: string) => {
      this.requests.push({ method, path: url.pathname, status, ...(message === undefined ? {} : { message }) });
      sendJson(res, status, body);
    };
    const fail = (status: number, message: string) => reply(status, { messages: [message], success: false }, message);
    if (this.faults.unavailable) return fail(503, 'Service Unavailable');
    if ((this.faults.throttle ?? 0) > 0) {
      this.faults.throttle = (this.faults.throttle ?? 0) - 1;
      return fail(429, 'Too many requests. Please try again later.');
    }
    let body: Record<string, unknown> = {};
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return fail(400, 'Invalid JSON body');
      }
    }
    if (method === 'POST' && url.pathname === '/v3/auth/oidc') {
      const identity = this.#options.identities.find((i) => i.id === body.identity);
      const token = typeof body.token === 'string' ? body.token : '';
      if (identity === undefined) return fail(404, 'Identity not found');
      const verdict = await verifyPresentedToken(
        token,
        { issuer: this.#options.oidc.issuer, ...identity.trust },
        this.#jwks,
        () => this.#now(),
      );
      if (!verdict.ok) {
        const what =
          verdict.failure === 'audience' || verdict.failure === 'subject' || verdict.failure === 'claim'
            ? `Token claim ${verdict.failure === 'claim' ? verdict.claim : verdict.failure === 'audience' ? 'aud' : 'sub'} did not match the identity's claim rules`
            : `Invalid OIDC token: ${verdict.message}`;
        return fail(401, what);
      }
      const issued: Issued = {
        token: randomToken('dp.said.', 40),
        identity: identity.id,
        expiresAt: new Date(this.#now().getTime() + (identity.ttlSeconds ?? 900) * 1000),
        revoked: false,
      };
      this.issued.push(issued);
      return reply(200, { success: true, token: issued.token, expires_at: issued.expiresAt.toISOString() });
    }
    if (method === 'POST' && url.pathname === '/v3/auth/revoke') {
      const found = this.issued.find((i) => i.token === body.token);
      if (found !== undefined) found.revoked = true;
      return reply(200, { success: true });
    }
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
    if (method === 'GET' && url.pathname === '/v3/configs/config/secret') {
      if (!this.live(bearer)) return fail(401, 'Invalid Auth token');
      const issued = this.issued.find((i) => i.token === bearer) as Issued;
      const identity = this.#options.identities.find((i) => i.id === issued.identity) as DopplerIdentityConfig;
      const key = `${url.searchParams.get('project')}/${url.searchParams.get('config')}`;
      if (!identity.access.includes(key)) return fail(403, 'You do not have access to this config');
      const value = this.#options.secrets?.[key]?.[url.searchParams.get('name') ?? ''];
      if (value === undefined) return fail(404, 'Could not find requested secret');
      return reply(200, {
        success: true,
        name: url.searchParams.get('name'),
        value: { raw: value, computed: value, note: '', rawVisibility: 'masked', computedVisibility: 'masked' },
      });
    }
    return fail(404, 'Not Found');
  }
}
