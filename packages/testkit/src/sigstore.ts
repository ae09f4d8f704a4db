import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  verify as nodeVerify,
  X509Certificate,
} from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import { initializeCA, initializeCTLog, initializeTLog, initializeTSA, tsaHandler } from '@sigstore/mock';
import canonicalize from 'canonicalize';
import { createLocalJWKSet, type JWK, jwtVerify } from 'jose';
import { type LoopbackServer, listen, sendJson } from './net.ts';

/**
 * A loopback Sigstore: Fulcio, Rekor (v1 API) and an RFC 3161 timestamp authority, each on its own node:http server
 * on 127.0.0.1, built from @sigstore/mock's certificate authority, transparency log and TSA, with the checks the mock
 * leaves out:
 *
 * - Fulcio verifies the OIDC token (signature against the issuer's JWKS, issuer, audience `sigstore`, expiry on the
 *   real clock unless `tokenClock` is given) and the proof of possession (the key's signature over the token's subject), then issues a
 *   certificate the way Fulcio does for GitHub Actions tokens: SAN `https://github.com/<job_workflow_ref>` and the
 *   GitHub extensions (issuer, source repository, ref, digest, signer workflow, runner environment, trigger, run
 *   invocation, visibility…).
 * - Rekor verifies the signature of each entry before logging it (hashedrekord 0.0.1 over the digest, dsse 0.0.1
 *   over the DSSE pre-authentication encoding) and stores DSSE entries in the canonical form real Rekor stores
 *   (signatures, payload and envelope hashes) rather than the proposed form, so DSSE bundles verify. A repeated entry
 *   is answered 409 with its Location, and GET /api/v1/log/entries/<uuid> returns it.
 * - The services share a fixed clock on a whole second slightly in the future (RFC 3161 times with fractions fail to
 *   parse; certificates must not start after the log's time).
 *
 * `trustedRoot()` and `signingConfig()` describe the instance in Sigstore's formats; `writeFiles(dir)` writes both.
 */
export interface TrustedIssuer {
  /** The `iss` claim the tokens carry. */
  readonly issuer: string;
  /** The issuer's current public keys. */
  readonly jwks: () => { keys: JWK[] };
}

export interface LoopbackSigstoreOptions {
  /** The OIDC issuers Fulcio accepts tokens from (an OidcProvider satisfies this). */
  readonly issuers: readonly TrustedIssuer[];
  readonly audience?: string;
  /** The fixed clock of all services; defaults to the next whole second plus one. */
  readonly now?: Date;
  /** The clock tokens are checked against (default: the real clock). */
  readonly tokenClock?: () => Date;
  /** Issue certificates as if Fulcio's clock were this many seconds off (negative: certificates already expired). */
  readonly fulcioClockOffsetSeconds?: number;
  /** Include the TSA (default true) and the CT log (default true) in the trusted root. */
  readonly tsa?: boolean;
  readonly ctlog?: boolean;
}

export interface SigstoreRequest {
  readonly service: 'fulcio' | 'rekor' | 'tsa';
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

export interface SigstoreFaults {
  /** Answer Fulcio / Rekor / TSA requests with this status. */
  fulcioStatus?: number;
  rekorStatus?: number;
  tsaStatus?: number;
}

interface CA {
  rootCertificate: ArrayBufferView;
  issueCertificate(options: {
    publicKey: ArrayBufferView;
    subjectAltName: string;
    extensions?: { oid: string; value: string; legacy?: boolean }[];
  }): Promise<ArrayBufferView>;
}

interface TLogLike {
  readonly publicKey: Buffer;
  log(entry: object): Promise<Record<string, Record<string, unknown>>>;
}
type TsaFn = (
  body: string,
) => Promise<{ statusCode: number; response: string | ArrayBufferView; contentType?: string }>;
interface Servers {
  readonly fulcio: LoopbackServer;
  readonly rekor: LoopbackServer;
  readonly tsa: LoopbackServer;
}
interface Init {
  readonly options: LoopbackSigstoreOptions;
  readonly now: Date;
  readonly servers: Servers;
  readonly ca: CA;
  readonly ctlog: { readonly publicKey: Buffer; readonly logID: ArrayBufferView };
  readonly tlog: TLogLike;
  readonly tsa: { readonly rootCertificate: ArrayBufferView; readonly intCertificate: ArrayBufferView };
  readonly tsaFn: TsaFn;
}

interface Logged {
  readonly uuid: string;
  readonly entry: Record<string, unknown>;
}

const toBuffer = (view: ArrayBufferView) => Buffer.from(view.buffer, view.byteOffset, view.byteLength);

export class LoopbackSigstore {
  readonly now: Date;
  readonly requests: SigstoreRequest[] = [];
  faults: SigstoreFaults = {};
  readonly #options: LoopbackSigstoreOptions;
  readonly #servers: Servers;
  readonly #ca: CA;
  readonly #ctlogKey: Buffer;
  readonly #ctlogId: Buffer;
  readonly #tlog: TLogLike;
  readonly #tsa: { rootCertificate: ArrayBufferView; intCertificate: ArrayBufferView };
  readonly #tsaFn: TsaFn;
  readonly #logged = new Map<string, Logged>();
  readonly #validFrom: Date;

  private constructor(init: Init) {
    this.#options = init.options;
    this.now = init.now;
    this.#servers = init.servers;
    this.#ca = init.ca;
    this.#ctlogKey = init.ctlog.publicKey;
    this.#ctlogId = toBuffer(init.ctlog.logID);
    this.#tlog = init.tlog;
    this.#tsa = init.tsa;
    this.#tsaFn = init.tsaFn;
    this.#validFrom = new Date(Date.now() - 60_000);
  }

  static async start(options: LoopbackSigstoreOptions): Promise<LoopbackSigstore> {
    const now = options.now ?? new Date((Math.floor(Date.now() / 1000) + 2) * 1000);
    if (now.getTime() % 1000 !== 0) throw new Error('LoopbackSigstore: the clock must be on a whole second');
    const key = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const fulcioNow = new Date(now.getTime() + (options.fulcioClockOffsetSeconds ?? 0) * 1000);
    const ctlog = await initializeCTLog(key(), fulcioNow);
    const ca = (await initializeCA(key(), ctlog, fulcioNow)) as unknown as CA;
    const tsa = await initializeTSA(key(), now);
    const tsaFn = tsaHandler(tsa).fn as TsaFn;
    let instance: LoopbackSigstore | undefined;
    const route = (service: 'fulcio' | 'rekor' | 'tsa') =>
      listen(async (req, res, body) => {
        const self = instance as LoopbackSigstore;
        const answer = await self.#handle(service, req.method ?? 'GET', req.url ?? '/', req.headers.host ?? '', body);
        self.requests.push({
          service,
          method: req.method ?? 'GET',
          path: (req.url ?? '/').split('?')[0] as string,
          status: answer.status,
        });
        if (answer.json !== undefined) {
          sendJson(res, answer.status, answer.json, answer.headers ?? {});
        } else {
          res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'text/plain', ...answer.headers });
          res.end(answer.raw ?? '');
        }
      });
    const servers = { fulcio: await route('fulcio'), rekor: await route('rekor'), tsa: await route('tsa') };
    const tlog = (await initializeTLog(servers.rekor.origin, key(), now)) as unknown as TLogLike;
    instance = new LoopbackSigstore({ options, now, servers, ca, ctlog, tlog, tsa, tsaFn });
    return instance;
  }

  get fulcioUrl(): string {
    return this.#servers.fulcio.origin;
  }
  get rekorUrl(): string {
    return this.#servers.rekor.origin;
  }
  get tsaUrl(): string {
    return `${this.#servers.tsa.origin}/api/v1/timestamp`;
  }

  /** The trusted root (`application/vnd.dev.sigstore.trustedroot+json;version=0.1`) for this instance. */
  trustedRoot(options: { tlog?: boolean; tsa?: boolean } = {}): Record<string, unknown> {
    const start = this.#validFrom.toISOString();
    const b64 = (b: Buffer) => b.toString('base64');
    const tsaEnabled = options.tsa ?? this.#options.tsa ?? true;
    return {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs:
        options.tlog === false
          ? []
          : [
              {
                baseUrl: this.rekorUrl,
                hashAlgorithm: 'SHA2_256',
                publicKey: {
                  rawBytes: b64(this.#tlog.publicKey),
                  keyDetails: 'PKIX_ECDSA_P256_SHA_256',
                  validFor: { start },
                },
                logId: { keyId: b64(createHash('sha256').update(this.#tlog.publicKey).digest()) },
              },
            ],
      certificateAuthorities: [
        {
          subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
          uri: this.fulcioUrl,
          certChain: { certificates: [{ rawBytes: b64(toBuffer(this.#ca.rootCertificate)) }] },
          validFor: { start },
        },
      ],
      ctlogs:
        (this.#options.ctlog ?? true)
          ? [
              {
                baseUrl: 'https://ctfe.sigstore.mock',
                hashAlgorithm: 'SHA2_256',
                publicKey: {
                  rawBytes: b64(this.#ctlogKey),
                  keyDetails: 'PKIX_ECDSA_P256_SHA_256',
                  validFor: { start },
                },
                logId: { keyId: b64(this.#ctlogId) },
              },
            ]
          : [],
      timestampAuthorities: tsaEnabled
        ? [
            {
              subject: { organization: 'sigstore.mock', commonName: 'tsa' },
              uri: this.tsaUrl,
              certChain: {
                certificates: [
                  { rawBytes: b64(toBuffer(this.#tsa.intCertificate)) },
                  { rawBytes: b64(toBuffer(this.#tsa.rootCertificate)) },
                ],
              },
              validFor: { start },
            },
          ]
        : [],
    };
  }

  /** A signing config v0.2 naming this instance's services. */
  signingConfig(options: { tlog?: boolean; tsa?: boolean } = {}): Record<string, unknown> {
    const validFor = { start: this.#validFrom.toISOString() };
    const service = (url: string) => ({ url, majorApiVersion: 1, validFor, operator: 'sigstore.mock' });
    return {
      mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
      caUrls: [service(this.fulcioUrl)],
      oidcUrls: [],
      rekorTlogUrls: options.tlog === false ? [] : [service(this.rekorUrl)],
      tsaUrls: (options.tsa ?? this.#options.tsa ?? true) ? [service(this.tsaUrl)] : [],
      rekorTlogConfig: { selector: 'ANY' },
      tsaConfig: { selector: 'ANY' },
    };
  }

  /** Write trusted_root.json and signing_config.json into `dir`; returns their paths. */
  writeFiles(
    dir: string,
    options: { tlog?: boolean; tsa?: boolean } = {},
  ): { trustedRoot: string; signingConfig: string } {
    const trustedRoot = join(dir, 'trusted_root.json');
    const signingConfig = join(dir, 'signing_config.json');
    writeFileSync(trustedRoot, `${JSON.stringify(this.trustedRoot(options), null, 2)}\n`);
    writeFileSync(signingConfig, `${JSON.stringify(this.signingConfig(options), null, 2)}\n`);
    return { trustedRoot, signingConfig };
  }

  /** How many requests a service answered with the given status (any status when omitted). */
  count(service: SigstoreRequest['service'], status?: number): number {
    return this.requests.filter((r) => r.service === service && (status === undefined || r.status === status)).length;
  }

  async stop(): Promise<void> {
    await Promise.all(Object.values(this.#servers).map((s) => s.close()));
  }

  async #handle(
    service: 'fulcio' | 'rekor' | 'tsa',
    method: string,
    url: string,
    host: string,
    body: Buffer,
  ): Promise<{
    status: number;
    json?: unknown;
    raw?: Buffer | string;
    contentType?: string;
    headers?: Record<string, string>;
  }> {
    const path = url.split('?')[0] as string;
    const fault = this.faults[`${service}Status`];
    if (fault !== undefined) return { status: fault, json: { code: fault, message: 'injected fault' } };
    if (service === 'fulcio') {
      if (method !== 'POST' || path !== '/api/v2/signingCert') return { status: 404, json: { message: 'Not Found' } };
      return this.#fulcio(body);
    }
    if (service === 'rekor') {
      if (method === 'POST' && path === '/api/v1/log/entries') return this.#rekorCreate(body, host);
      const get = /^\/api\/v1\/log\/entries\/([0-9a-f]{64})$/.exec(path);
      if (method === 'GET' && get) {
        const found = this.#logged.get(get[1] as string);
        return found === undefined
          ? { status: 404, json: { message: 'entry not found' } }
          : { status: 200, json: { [found.uuid]: found.entry } };
      }
      return { status: 404, json: { message: 'Not Found' } };
    }
    if (method !== 'POST' || path !== '/api/v1/timestamp') return { status: 404, json: { message: 'Not Found' } };
    try {
      JSON.parse(body.toString('utf8'));
    } catch {
      return { status: 400, json: { message: 'the request is not JSON' } };
    }
    const answer = await this.#tsaFn(body.toString('utf8'));
    const response = typeof answer.response === 'string' ? answer.response : toBuffer(answer.response);
    return { status: answer.statusCode, raw: response, contentType: answer.contentType ?? 'text/plain' };
  }

  async #fulcio(body: Buffer) {
    let request: {
      credentials?: { oidcIdentityToken?: unknown };
      publicKeyRequest?: { publicKey?: { algorithm?: unknown; content?: unknown }; proofOfPossession?: unknown };
    };
    try {
      request = JSON.parse(body.toString('utf8'));
    } catch {
      return { status: 400, json: { code: 400, message: 'the request body is not JSON' } };
    }
    const token = request.credentials?.oidcIdentityToken;
    const pem = request.publicKeyRequest?.publicKey?.content;
    const pop = request.publicKeyRequest?.proofOfPossession;
    if (typeof token !== 'string' || typeof pem !== 'string' || typeof pop !== 'string') {
      return { status: 400, json: { code: 400, message: 'missing token, public key or proof of possession' } };
    }
    let claims: Record<string, unknown>;
    try {
      const unverified = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
        iss?: unknown;
      };
      const issuer = this.#options.issuers.find((i) => i.issuer === unverified.iss);
      if (issuer === undefined)
        return { status: 401, json: { code: 401, message: `untrusted OIDC issuer ${String(unverified.iss)}` } };
      const { payload } = await jwtVerify(token, createLocalJWKSet(issuer.jwks()), {
        issuer: issuer.issuer,
        audience: this.#options.audience ?? 'sigstore',
        // Tokens are checked on the real clock, as Fulcio does; only certificates and log entries use the fixed one.
        currentDate: (this.#options.tokenClock ?? (() => new Date()))(),
        clockTolerance: 60,
      });
      claims = payload as Record<string, unknown>;
    } catch (error) {
      return {
        status: 401,
        json: { code: 401, message: `error processing the identity token: ${(error as Error).message}` },
      };
    }
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch {
      return { status: 400, json: { code: 400, message: 'the public key cannot be parsed' } };
    }
    const challenge = typeof claims.email === 'string' ? claims.email : String(claims.sub ?? '');
    if (!nodeVerify('sha256', Buffer.from(challenge), key, Buffer.from(pop, 'base64'))) {
      return {
        status: 400,
        json: { code: 400, message: 'the proof of possession does not verify with the public key' },
      };
    }
    const { subjectAltName, extensions } = githubCertificateFields(claims);
    const der = toBuffer(
      await this.#ca.issueCertificate({
        publicKey: key.export({ format: 'der', type: 'spki' }),
        subjectAltName,
        extensions,
      }),
    );
    const toPem = (b: Buffer) =>
      `-----BEGIN CERTIFICATE-----\n${b
        .toString('base64')
        .replace(/(.{64})/g, '$1\n')
        .trimEnd()}\n-----END CERTIFICATE-----\n`;
    return {
      status: 201,
      json: {
        signedCertificateEmbeddedSct: {
          chain: { certificates: [toPem(der), toPem(toBuffer(this.#ca.rootCertificate))] },
        },
      },
    };
  }

  async #rekorCreate(body: Buffer, host: string) {
    let proposed: { kind?: unknown; apiVersion?: unknown; spec?: Record<string, unknown> };
    try {
      proposed = JSON.parse(body.toString('utf8'));
    } catch {
      return { status: 400, json: { code: 400, message: 'the proposed entry is not JSON' } };
    }
    let stored: object;
    try {
      stored = canonicalEntry(proposed);
    } catch (error) {
      return { status: 400, json: { code: 400, message: (error as Error).message } };
    }
    const uuid = createHash('sha256')
      .update(canonicalize(stored) as string)
      .digest('hex');
    const existing = this.#logged.get(uuid);
    if (existing !== undefined) {
      return {
        status: 409,
        json: { code: 409, message: 'an equivalent entry already exists in the transparency log' },
        headers: { location: `http://${host}/api/v1/log/entries/${uuid}` },
      };
    }
    const answer = await this.#tlog.log(stored);
    const entry = Object.values(answer)[0] as Record<string, unknown>;
    this.#logged.set(uuid, { uuid, entry });
    return { status: 201, json: { [uuid]: entry }, headers: { location: `/api/v1/log/entries/${uuid}` } };
  }
}

function publicKeyFrom(pemOrCertBase64: unknown): KeyObject {
  if (typeof pemOrCertBase64 !== 'string') throw new Error('missing public key');
  const pem = Buffer.from(pemOrCertBase64, 'base64').toString('utf8');
  if (pem.includes('BEGIN CERTIFICATE')) return new X509Certificate(pem).publicKey;
  return createPublicKey(pem);
}

/** What Rekor stores for a proposed entry, after verifying its signatures. */
function canonicalEntry(proposed: { kind?: unknown; apiVersion?: unknown; spec?: Record<string, unknown> }): object {
  const spec = proposed.spec ?? {};
  if (proposed.kind === 'hashedrekord' && proposed.apiVersion === '0.0.1') {
    const data = spec.data as { hash?: { algorithm?: unknown; value?: unknown } } | undefined;
    const signature = spec.signature as { content?: unknown; publicKey?: { content?: unknown } } | undefined;
    if (
      data?.hash?.algorithm !== 'sha256' ||
      typeof data.hash.value !== 'string' ||
      !/^[0-9a-f]{64}$/.test(data.hash.value)
    ) {
      throw new Error('hashedrekord: data.hash must be a sha256 hex digest');
    }
    if (typeof signature?.content !== 'string') throw new Error('hashedrekord: missing signature');
    const key = publicKeyFrom(signature.publicKey?.content);
    const jwk = key.export({ format: 'jwk' });
    if (jwk.crv !== 'P-256') throw new Error('hashedrekord: only P-256 keys are supported by this log');
    const point = Buffer.concat([
      Buffer.from([4]),
      Buffer.from(jwk.x as string, 'base64url'),
      Buffer.from(jwk.y as string, 'base64url'),
    ]);
    const ok = p256.verify(Buffer.from(signature.content, 'base64'), Buffer.from(data.hash.value, 'hex'), point, {
      prehash: false,
      format: 'der',
      lowS: false,
    });
    if (!ok) throw new Error('hashedrekord: the signature does not verify with the public key');
    return { apiVersion: '0.0.1', kind: 'hashedrekord', spec: { data: { hash: data.hash }, signature } };
  }
  if (proposed.kind === 'dsse' && proposed.apiVersion === '0.0.1') {
    const content = spec.proposedContent as { envelope?: unknown; verifiers?: unknown } | undefined;
    if (typeof content?.envelope !== 'string' || !Array.isArray(content.verifiers) || content.verifiers.length === 0) {
      throw new Error('dsse: proposedContent needs an envelope and verifiers');
    }
    const envelope = JSON.parse(content.envelope) as {
      payload?: unknown;
      payloadType?: unknown;
      signatures?: { sig?: unknown }[];
    };
    if (
      typeof envelope.payload !== 'string' ||
      typeof envelope.payloadType !== 'string' ||
      !Array.isArray(envelope.signatures)
    ) {
      throw new Error('dsse: malformed envelope');
    }
    const payload = Buffer.from(envelope.payload, 'base64');
    const type = Buffer.from(envelope.payloadType);
    const pae = Buffer.concat([
      Buffer.from(`DSSEv1 ${type.byteLength} `),
      type,
      Buffer.from(` ${payload.byteLength} `),
      payload,
    ]);
    const signatures = envelope.signatures.map((s) => {
      if (typeof s.sig !== 'string') throw new Error('dsse: signature without sig');
      const verifier = (content.verifiers as unknown[]).find((v) =>
        nodeVerify('sha256', pae, publicKeyFrom(v), Buffer.from(s.sig as string, 'base64')),
      );
      if (verifier === undefined) throw new Error('dsse: a signature does not verify with any verifier');
      return { signature: s.sig, verifier };
    });
    const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
    return {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: sha(content.envelope) },
        payloadHash: { algorithm: 'sha256', value: sha(payload) },
        signatures,
      },
    };
  }
  throw new Error(`unsupported entry kind ${String(proposed.kind)} ${String(proposed.apiVersion)}`);
}

/**
 * The SAN and extensions Fulcio puts in a certificate for a GitHub Actions token
 * (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md).
 */
export function githubCertificateFields(claims: Readonly<Record<string, unknown>>, server = 'https://github.com') {
  const s = (key: string) => (typeof claims[key] === 'string' ? (claims[key] as string) : undefined);
  const extensions: { oid: string; value: string; legacy?: boolean }[] = [];
  const add = (oid: string, value: string | undefined, legacy = false) => {
    if (value !== undefined) extensions.push(legacy ? { oid, value, legacy } : { oid, value });
  };
  const prefix = '1.3.6.1.4.1.57264.1.';
  add(`${prefix}1`, s('iss'), true);
  add(`${prefix}8`, s('iss'));
  add(`${prefix}2`, s('event_name'), true);
  add(`${prefix}3`, s('sha'), true);
  add(`${prefix}4`, s('workflow'), true);
  add(`${prefix}5`, s('repository'), true);
  add(`${prefix}6`, s('ref'), true);
  const jobWorkflowRef = s('job_workflow_ref');
  add(`${prefix}9`, jobWorkflowRef && `${server}/${jobWorkflowRef}`);
  add(`${prefix}10`, s('job_workflow_sha'));
  add(`${prefix}11`, s('runner_environment'));
  add(`${prefix}12`, s('repository') && `${server}/${s('repository')}`);
  add(`${prefix}13`, s('sha'));
  add(`${prefix}14`, s('ref'));
  add(`${prefix}15`, s('repository_id'));
  add(`${prefix}16`, s('repository_owner') && `${server}/${s('repository_owner')}`);
  add(`${prefix}17`, s('repository_owner_id'));
  add(`${prefix}18`, s('workflow_ref') && `${server}/${s('workflow_ref')}`);
  add(`${prefix}19`, s('workflow_sha'));
  add(`${prefix}20`, s('event_name'));
  if (s('repository') && s('run_id') && s('run_attempt')) {
    add(`${prefix}21`, `${server}/${s('repository')}/actions/runs/${s('run_id')}/attempts/${s('run_attempt')}`);
  }
  add(`${prefix}22`, s('repository_visibility'));
  const subjectAltName =
    jobWorkflowRef !== undefined ? `${server}/${jobWorkflowRef}` : (s('email') ?? s('sub') ?? 'unknown');
  return { subjectAltName, extensions };
}
