import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LoopbackServer, listen, sendJson } from './net.ts';
import { JwksClient, randomToken, verifyPresentedToken } from './trust.ts';

/**
 * A loopback Microsoft Entra ID token endpoint for workload identity federation:
 * `POST /<tenant>/oauth2/v2.0/token` with the client credentials grant and a JWT client assertion. Like Entra, it
 * matches the assertion against the app's federated identity credentials — issuer, subject (exact, case-sensitive)
 * and audience — after verifying it against the issuer's JWKS, and answers errors with `AADSTS…` codes in
 * `error_description` plus `error_codes`, `trace_id`, `correlation_id` and `error_uri`.
 */
export interface FederatedCredential {
  readonly issuer: string;
  readonly subject: string;
  readonly audiences?: readonly string[];
}

export interface AzureAppConfig {
  readonly tenantId: string;
  readonly clientId: string;
  readonly federatedCredentials: readonly FederatedCredential[];
}

export interface AzureEmulatorOptions {
  readonly oidc: { readonly issuer: string };
  readonly apps: readonly AzureAppConfig[];
  readonly now?: () => Date;
}

export interface AzureFaults {
  /** Answer the next N requests with 429 and Retry-After. */
  throttle?: number;
  /** Answer with 503 (AADSTS90033 transient) until cleared. */
  unavailable?: boolean;
}

export interface AzureRequestRecord {
  readonly tenant: string;
  readonly params: Readonly<Record<string, string>>;
  readonly status: number;
  readonly code?: string;
}

const AUDIENCE = 'api://AzureADTokenExchange';

export class AzureEmulator {
  readonly requests: AzureRequestRecord[] = [];
  readonly presentedTokens: string[] = [];
  readonly accessTokens: string[] = [];
  faults: AzureFaults = {};
  readonly #server: LoopbackServer;
  readonly #options: AzureEmulatorOptions;
  readonly #jwks: JwksClient;

  private constructor(server: LoopbackServer, options: AzureEmulatorOptions) {
    this.#server = server;
    this.#options = options;
    this.#jwks = new JwksClient(options.oidc.issuer);
  }

  static async start(options: AzureEmulatorOptions): Promise<AzureEmulator> {
    let emulator: AzureEmulator | undefined;
    const server = await listen((req, res, body) => (emulator as AzureEmulator).handle(req, res, body));
    emulator = new AzureEmulator(server, options);
    return emulator;
  }

  /** The authority host (what https://login.microsoftonline.com is in production). */
  get authority(): string {
    return this.#server.origin;
  }

  issuedValues(): string[] {
    return [...this.accessTokens];
  }

  async stop(): Promise<void> {
    await this.#server.close();
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }

  private async handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const m = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(new URL(req.url ?? '/', this.#server.origin).pathname);
    if (req.method !== 'POST' || m === null) {
      sendJson(res, 404, { error: 'not_found' });
      return;
    }
    const tenant = decodeURIComponent(m[1] as string);
    const params = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
    if (params.client_assertion !== undefined) this.presentedTokens.push(params.client_assertion);
    const fail = (
      status: number,
      error: string,
      code: number,
      description: string,
      headers: Record<string, string> = {},
    ) => {
      this.requests.push({ tenant, params, status, code: `AADSTS${code}` });
      const trace = randomUUID();
      const correlation = randomUUID();
      const timestamp = this.#now()
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
      sendJson(
        res,
        status,
        {
          error,
          error_description: `AADSTS${code}: ${description} Trace ID: ${trace} Correlation ID: ${correlation} Timestamp: ${timestamp}`,
          error_codes: [code],
          timestamp,
          trace_id: trace,
          correlation_id: correlation,
          error_uri: `https://login.microsoftonline.com/error?code=${code}`,
        },
        headers,
      );
    };
    if (this.faults.unavailable) {
      return fail(503, 'temporarily_unavailable', 90033, 'A transient error has occurred. Please try again.');
    }
    if ((this.faults.throttle ?? 0) > 0) {
      this.faults.throttle = (this.faults.throttle ?? 0) - 1;
      return fail(
        429,
        'temporarily_unavailable',
        50196,
        'The server terminated an operation because it encountered a client request loop.',
        {
          'retry-after': '1',
        },
      );
    }
    const apps = this.#options.apps.filter((a) => a.tenantId === tenant);
    if (apps.length === 0) {
      return fail(
        400,
        'invalid_tenant',
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    }
    if (params.grant_type !== 'client_credentials') {
      return fail(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    }
    if (
      params.client_assertion_type !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' ||
      !params.client_assertion
    ) {
      return fail(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    const app = apps.find((a) => a.clientId === params.client_id);
    if (app === undefined) {
      return fail(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${params.client_id}' was not found in the directory '${tenant}'.`,
      );
    }
    if (!/\/\.default$/.test(params.scope ?? '')) {
      return fail(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${params.scope ?? ''} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    const token = params.client_assertion;
    const audiences = [...new Set(app.federatedCredentials.flatMap((f) => f.audiences ?? [AUDIENCE]))];
    const verdict = await verifyPresentedToken(
      token,
      { issuer: this.#options.oidc.issuer, audiences },
      this.#jwks,
      () => this.#now(),
    );
    if (!verdict.ok) {
      switch (verdict.failure) {
        case 'issuer':
          return fail(
            400,
            'invalid_client',
            700211,
            `No matching federated identity record found for presented assertion issuer '${String(verdict.claims?.iss)}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
          );
        case 'audience':
          return fail(
            400,
            'invalid_client',
            700212,
            `No matching federated identity record found for presented assertion audience '${String(verdict.claims?.aud)}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
          );
        case 'expired':
        case 'not-yet-valid':
          return fail(
            400,
            'invalid_client',
            700024,
            `Client assertion is not within its valid time range. Current time: ${this.#now().toISOString()}, assertion valid from ${new Date(Number(verdict.claims?.nbf) * 1000).toISOString()}, expiry time of assertion ${new Date(Number(verdict.claims?.exp) * 1000).toISOString()}.`,
          );
        default:
          return fail(401, 'invalid_client', 5002738, `Invalid JWT token. ${verdict.message}`);
      }
    }
    const sub = String(verdict.claims.sub);
    const aud = String(verdict.claims.aud);
    const match = app.federatedCredentials.find(
      (f) => f.issuer === verdict.claims.iss && f.subject === sub && (f.audiences ?? [AUDIENCE]).includes(aud),
    );
    if (match === undefined) {
      return fail(
        400,
        'invalid_client',
        700213,
        `No matching federated identity record found for presented assertion subject '${sub}'. Please note that the matching is done using a case-sensitive comparison. Check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
      );
    }
    const accessToken = randomToken('eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.', 300);
    this.accessTokens.push(accessToken);
    this.requests.push({ tenant, params, status: 200 });
    sendJson(
      res,
      200,
      { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: accessToken },
      {
        'cache-control': 'no-store, no-cache',
      },
    );
  }
}
