import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { sendJson } from './net.ts';
import type { TestTls } from './tls.ts';
import { JwksClient, likeMatch, randomToken, verifyPresentedToken } from './trust.ts';

/**
 * A loopback HashiCorp Vault over HTTPS (a throw-away CA from createTestTls, so clients must be given the CA):
 * JWT auth (`POST /v1/auth/<mount>/login`), KV version 1 and 2 reads, `auth/token/lookup-self` and
 * `auth/token/revoke-self`, optional Enterprise namespace (`X-Vault-Namespace`), ACL policies by path, and errors as
 * `{"errors": [...]}` with Vault's own messages — including the Vault 1.17 rule that a token with an `aud` needs
 * `bound_audiences` on the role.
 */
export interface VaultRoleConfig {
  /** Empty or omitted: Vault refuses any token that has an aud ("no audiences bound to the role"). */
  readonly bound_audiences?: readonly string[];
  readonly bound_subject?: string;
  readonly bound_claims?: Readonly<Record<string, string | readonly string[]>>;
  /** `glob` makes bound_claims values globs (Vault's bound_claims_type). */
  readonly bound_claims_type?: 'string' | 'glob';
  readonly user_claim?: string;
  readonly policies: readonly string[];
  readonly token_ttl?: number;
}

export interface VaultEmulatorOptions {
  readonly oidc: { readonly issuer: string };
  readonly tls: TestTls;
  /** The mount of the JWT auth method (default `jwt`). */
  readonly mount?: string;
  /** When set, every request must name this namespace. */
  readonly namespace?: string;
  readonly roles: Readonly<Record<string, VaultRoleConfig>>;
  /** Policy name → API paths (after /v1/) it may read; `*` globs. */
  readonly policies?: Readonly<Record<string, readonly string[]>>;
  /** KV v2 mounts: mount → path → data. */
  readonly kv2?: Readonly<Record<string, Readonly<Record<string, Record<string, unknown>>>>>;
  /** KV v1 mounts: mount → path → data. */
  readonly kv1?: Readonly<Record<string, Readonly<Record<string, Record<string, unknown>>>>>;
  readonly now?: () => Date;
}

export interface VaultFaults {
  /** Answer the next N requests with 429 (rate limit quota). */
  throttle?: number;
  /** Answer every request with 503 (sealed) until cleared. */
  sealed?: boolean;
}

export interface VaultToken {
  readonly token: string;
  readonly accessor: string;
  readonly role: string;
  readonly policies: readonly string[];
  readonly expiresAt: Date;
  revoked: boolean;
}

export interface VaultRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly namespace: string | undefined;
  readonly error?: string;
}

export class VaultEmulator {
  readonly requests: VaultRequestRecord[] = [];
  readonly presentedTokens: string[] = [];
  readonly tokens: VaultToken[] = [];
  faults: VaultFaults = {};
  readonly #server: Server;
  readonly #origin: string;
  readonly #options: VaultEmulatorOptions;
  readonly #jwks: JwksClient;

  private constructor(server: Server, origin: string, options: VaultEmulatorOptions) {
    this.#server = server;
    this.#origin = origin;
    this.#options = options;
    this.#jwks = new JwksClient(options.oidc.issuer);
  }

  static async start(options: VaultEmulatorOptions): Promise<VaultEmulator> {
    let emulator: VaultEmulator | undefined;
    const server = createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        (emulator as VaultEmulator).handle(req, res, Buffer.concat(chunks)).catch((error: unknown) => {
          if (!res.headersSent) sendJson(res, 500, { errors: [String(error)] });
        });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    emulator = new VaultEmulator(server, `https://127.0.0.1:${port}`, options);
    return emulator;
  }

  get address(): string {
    return this.#origin;
  }

  issuedValues(): string[] {
    return this.tokens.flatMap((t) => [t.token, t.accessor]);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.closeAllConnections();
      this.#server.close(() => resolve());
    });
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }

  private async handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', this.#origin);
    const path = url.pathname.replace(/^\/v1\//, '');
    const namespace = req.headers['x-vault-namespace'] as string | undefined;
    const method = req.method ?? 'GET';
    try {
      const jwt = (JSON.parse(raw.toString('utf8') || '{}') as { jwt?: unknown }).jwt;
      if (typeof jwt === 'string') this.presentedTokens.push(jwt);
    } catch {
      // not JSON: nothing presented
    }
    const reply = (status: number, body: unknown, error?: string) => {
      this.requests.push({ method, path, status, namespace, ...(error === undefined ? {} : { error }) });
      if (status === 204) {
        res.writeHead(204);
        res.end();
        return;
      }
      sendJson(res, status, body, { 'cache-control': 'no-store' });
    };
    const errors = (status: number, ...messages: string[]) => reply(status, { errors: messages }, messages.join('; '));
    if (this.faults.sealed) return errors(503, 'Vault is sealed');
    if ((this.faults.throttle ?? 0) > 0) {
      this.faults.throttle = (this.faults.throttle ?? 0) - 1;
      return errors(429, `request path "${path}": rate limit quota exceeded`);
    }
    if ((this.#options.namespace ?? undefined) !== (namespace?.replace(/\/+$/, '') || undefined)) {
      return errors(400, `no handler for route "${path}". route entry not found.`);
    }
    const mount = this.#options.mount ?? 'jwt';
    if (method === 'POST' && path === `auth/${mount}/login`) return this.#login(raw, reply, errors);

    const presented = req.headers['x-vault-token'] as string | undefined;
    const token = this.tokens.find((t) => t.token === presented);
    const live = token !== undefined && !token.revoked && token.expiresAt.getTime() > this.#now().getTime();
    if (!live) return errors(403, 'permission denied');
    if (method === 'POST' && path === 'auth/token/revoke-self') {
      token.revoked = true;
      return reply(204, undefined);
    }
    if (method === 'GET' && path === 'auth/token/lookup-self') {
      return reply(200, {
        data: {
          accessor: token.accessor,
          policies: token.policies,
          ttl: Math.round((token.expiresAt.getTime() - this.#now().getTime()) / 1000),
        },
      });
    }
    if (method !== 'GET') return errors(405, 'unsupported operation');
    const allowed = token.policies.some((p) =>
      (this.#options.policies?.[p] ?? []).some((pattern) => likeMatch(pattern, path)),
    );
    for (const [m, entries] of Object.entries(this.#options.kv2 ?? {})) {
      if (!path.startsWith(`${m}/`)) continue;
      if (!path.startsWith(`${m}/data/`)) {
        return errors(
          404,
          `Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation.`,
        );
      }
      if (!allowed) return errors(403, '1 error occurred:\n\t* permission denied\n\n');
      const data = entries[path.slice(`${m}/data/`.length)];
      if (data === undefined) return reply(404, { errors: [] }, 'not found');
      return reply(200, {
        request_id: randomUUID(),
        lease_id: '',
        renewable: false,
        lease_duration: 0,
        data: {
          data,
          metadata: {
            created_time: this.#now().toISOString(),
            custom_metadata: null,
            deletion_time: '',
            destroyed: false,
            version: 1,
          },
        },
        wrap_info: null,
        warnings: null,
        auth: null,
      });
    }
    for (const [m, entries] of Object.entries(this.#options.kv1 ?? {})) {
      if (!path.startsWith(`${m}/`)) continue;
      if (!allowed) return errors(403, '1 error occurred:\n\t* permission denied\n\n');
      const data = entries[path.slice(m.length + 1)];
      if (data === undefined) return reply(404, { errors: [] }, 'not found');
      return reply(200, {
        request_id: randomUUID(),
        lease_id: '',
        renewable: false,
        lease_duration: 2_764_800,
        data,
        wrap_info: null,
        warnings: null,
        auth: null,
      });
    }
    return errors(404, `no handler for route "${path}". route entry not found.`);
  }

  async #login(
    raw: Buffer,
    reply: (status: number, body: unknown, error?: string) => void,
    errors: (status: number, ...messages: string[]) => void,
  ): Promise<void> {
    let body: { role?: unknown; jwt?: unknown };
    try {
      body = JSON.parse(raw.toString('utf8') || '{}');
    } catch {
      return errors(400, 'failed to parse JSON input');
    }
    const roleName = typeof body.role === 'string' ? body.role : '';
    if (roleName === '') return errors(400, 'missing role');
    if (typeof body.jwt !== 'string' || body.jwt === '') return errors(400, 'missing token');
    const role = this.#options.roles[roleName];
    if (role === undefined) return errors(400, `role "${roleName}" could not be found`);
    // Signature, issuer and time first (any audience), then Vault's own audience and claim rules.
    const verdict = await verifyPresentedToken(
      body.jwt,
      { issuer: this.#options.oidc.issuer, audiences: [] },
      this.#jwks,
      () => this.#now(),
    );
    if (!verdict.ok && verdict.failure !== 'audience') {
      if (verdict.failure === 'expired') return errors(400, 'error validating token: token is expired (exp)');
      if (verdict.failure === 'not-yet-valid') return errors(400, 'error validating token: token not valid yet (nbf)');
      if (verdict.failure === 'issuer') return errors(400, 'error validating token: invalid issuer (iss) claim');
      return errors(400, 'error validating token: failed to verify id token signature');
    }
    const claims = verdict.claims ?? {};
    const aud = Array.isArray(claims.aud)
      ? claims.aud.map(String)
      : claims.aud === undefined
        ? []
        : [String(claims.aud)];
    const bound = role.bound_audiences ?? [];
    if (aud.length > 0 && bound.length === 0)
      return errors(400, 'audience claim found in JWT but no audiences bound to the role');
    if (bound.length > 0 && !aud.some((a) => bound.includes(a))) {
      return errors(400, 'error validating claims: aud claim does not match any bound audience');
    }
    if (role.bound_subject !== undefined && claims.sub !== role.bound_subject) {
      return errors(400, 'error validating claims: sub claim does not match bound subject');
    }
    for (const [claim, values] of Object.entries(role.bound_claims ?? {})) {
      const list = typeof values === 'string' ? [values] : values;
      const actual = String(claims[claim] ?? '');
      const ok = list.some((v) => (role.bound_claims_type === 'glob' ? likeMatch(v, actual) : v === actual));
      if (!ok) return errors(400, `claim "${claim}" does not match any associated bound claim values`);
    }
    const ttl = role.token_ttl ?? 3600;
    const token: VaultToken = {
      token: randomToken('hvs.', 90),
      accessor: randomToken('', 24),
      role: roleName,
      policies: ['default', ...role.policies],
      expiresAt: new Date(this.#now().getTime() + ttl * 1000),
      revoked: false,
    };
    this.tokens.push(token);
    reply(200, {
      request_id: randomUUID(),
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data: null,
      wrap_info: null,
      warnings: null,
      auth: {
        client_token: token.token,
        accessor: token.accessor,
        policies: token.policies,
        token_policies: token.policies,
        metadata: { role: roleName },
        lease_duration: ttl,
        renewable: true,
        entity_id: randomUUID(),
        token_type: 'service',
        orphan: true,
        mfa_requirement: null,
        num_uses: 0,
      },
    });
  }
}
