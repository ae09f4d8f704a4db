import { createHash, randomUUID } from 'node:crypto';
import { type LoopbackServer, listen, sendJson } from './net.ts';

/**
 * A loopback GitHub Actions artifact service (the "results" service @actions/artifact v2+ talks to):
 * Twirp JSON `POST /twirp/github.actions.results.api.v1.ArtifactService/{CreateArtifact,FinalizeArtifact}` with
 * `Authorization: Bearer $ACTIONS_RUNTIME_TOKEN`, and an Azure Blob Storage endpoint for the signed upload URL (Put Block
 * and Put Block List). It checks the bearer, the backend ids carried in the token's `scp` claim, and that the size and
 * sha256 declared at finalize match the bytes uploaded.
 */
export interface StoredArtifact {
  readonly id: number;
  readonly name: string;
  readonly size: number;
  readonly sha256: string;
  readonly data: Buffer;
  readonly expiresAt: string | undefined;
}

const SERVICE = '/twirp/github.actions.results.api.v1.ArtifactService/';

function b64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export class ArtifactService {
  readonly artifacts = new Map<string, StoredArtifact>();
  readonly runtimeToken: string;
  readonly #runId = randomUUID();
  readonly #jobId = randomUUID();
  readonly #server: LoopbackServer;
  readonly #uploads = new Map<string, { name: string; blocks: Map<string, Buffer>; committed?: Buffer }>();
  #nextId = 1000;
  /** Answer CreateArtifact with this status (e.g. 403 for "artifacts disabled"). */
  failCreateWith: number | undefined;

  private constructor(server: LoopbackServer) {
    this.#server = server;
    // The runner's ACTIONS_RUNTIME_TOKEN is a JWT; @actions/artifact reads the backend ids from its `scp` claim.
    const header = b64url({ alg: 'RS256', typ: 'JWT' });
    const payload = b64url({
      scp: `Actions.GenericRead:x Actions.Results:${this.#runId}:${this.#jobId}`,
      nonce: randomUUID(),
    });
    this.runtimeToken = `${header}.${payload}.${Buffer.from(randomUUID()).toString('base64url')}`;
  }

  static async start(): Promise<ArtifactService> {
    let service: ArtifactService | undefined;
    const server = await listen((req, res, body) => (service as ArtifactService).handle(req, res, body));
    service = new ArtifactService(server);
    return service;
  }

  /** The variables the runner gives every step for artifacts. */
  env(): Record<string, string> {
    return { ACTIONS_RUNTIME_TOKEN: this.runtimeToken, ACTIONS_RESULTS_URL: `${this.#server.origin}/` };
  }

  async stop(): Promise<void> {
    await this.#server.close();
  }

  private handle(
    req: import('node:http').IncomingMessage,
    res: import('node:http').ServerResponse,
    body: Buffer,
  ): void {
    const url = new URL(req.url ?? '/', this.#server.origin);
    if (url.pathname.startsWith(SERVICE)) {
      if (req.headers.authorization !== `Bearer ${this.runtimeToken}`) {
        sendJson(res, 401, { code: 'unauthenticated', msg: 'invalid runtime token' });
        return;
      }
      let request: Record<string, unknown>;
      try {
        request = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      } catch {
        sendJson(res, 400, { code: 'malformed', msg: 'request body is not JSON' });
        return;
      }
      if (request.workflow_run_backend_id !== this.#runId || request.workflow_job_run_backend_id !== this.#jobId) {
        sendJson(res, 400, { code: 'invalid_argument', msg: 'backend ids do not match the runtime token' });
        return;
      }
      const name = String(request.name ?? '');
      const method = url.pathname.slice(SERVICE.length);
      if (method === 'CreateArtifact') {
        if (this.failCreateWith !== undefined) {
          sendJson(res, this.failCreateWith, {
            code: 'permission_denied',
            msg: 'artifact storage is not available for this repository',
          });
          return;
        }
        if (this.artifacts.has(name)) {
          sendJson(res, 409, {
            code: 'already_exists',
            msg: `an artifact with this name already exists on the workflow run: ${name}`,
          });
          return;
        }
        const key = randomUUID();
        this.#uploads.set(key, { name, blocks: new Map() });
        sendJson(res, 200, {
          ok: true,
          signed_upload_url: `${this.#server.origin}/blob/${key}?sv=2024-01-01&sig=loopback`,
        });
        return;
      }
      if (method === 'FinalizeArtifact') {
        const upload = [...this.#uploads.values()].find((u) => u.name === name);
        if (upload?.committed === undefined) {
          sendJson(res, 404, { code: 'not_found', msg: `no committed upload for ${name}` });
          return;
        }
        const data = upload.committed;
        const sha256 = createHash('sha256').update(data).digest('hex');
        const hash = (request.hash as string | undefined) ?? '';
        if (String(request.size) !== String(data.length) || (hash !== '' && hash !== `sha256:${sha256}`)) {
          sendJson(res, 400, { code: 'invalid_argument', msg: 'size or hash does not match the uploaded content' });
          return;
        }
        const id = this.#nextId++;
        this.artifacts.set(name, {
          id,
          name,
          size: data.length,
          sha256,
          data,
          expiresAt: request.expires_at as string | undefined,
        });
        sendJson(res, 200, { ok: true, artifact_id: String(id) });
        return;
      }
      sendJson(res, 404, { code: 'bad_route', msg: `no handler for ${method}` });
      return;
    }
    if (url.pathname.startsWith('/blob/')) {
      const upload = this.#uploads.get(url.pathname.slice('/blob/'.length));
      if (upload === undefined || url.searchParams.get('sig') !== 'loopback' || req.method !== 'PUT') {
        res.writeHead(403, { 'x-ms-error-code': 'AuthenticationFailed' }).end();
        return;
      }
      const headers = {
        'x-ms-request-id': randomUUID(),
        'x-ms-version': '2024-01-01',
        etag: `"0x${Date.now().toString(16)}"`,
        'last-modified': new Date().toUTCString(),
        'x-ms-request-server-encrypted': 'true',
      };
      const comp = url.searchParams.get('comp');
      if (comp === 'block') {
        upload.blocks.set(url.searchParams.get('blockid') ?? '', body);
        res.writeHead(201, headers).end();
        return;
      }
      if (comp === 'blocklist') {
        const ids = [...body.toString('utf8').matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]*)<\//g)].map(
          (m) => m[1] as string,
        );
        const missing = ids.filter((id) => !upload.blocks.has(id));
        if (missing.length > 0) {
          res.writeHead(400, { 'x-ms-error-code': 'InvalidBlockList' }).end();
          return;
        }
        upload.committed = Buffer.concat(ids.map((id) => upload.blocks.get(id) as Buffer));
        res.writeHead(201, headers).end();
        return;
      }
      if (req.headers['x-ms-blob-type'] === 'BlockBlob') {
        upload.committed = body;
        res.writeHead(201, headers).end();
        return;
      }
      res.writeHead(400, { 'x-ms-error-code': 'InvalidQueryParameterValue' }).end();
      return;
    }
    sendJson(res, 404, { msg: 'not found' });
  }
}
