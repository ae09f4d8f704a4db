import { createHash } from 'node:crypto';
import { type BufferedResponse, describeUrl, type HttpClient, type HttpRequest, quote } from '@airlock/core';
import { TransparencyLogEntry } from '@sigstore/protobuf-specs';
import { SigningError, type SigningErrorCode } from './errors.ts';

/**
 * Clients for the three Sigstore services, over Airlock's HttpClient (proxy support, classified retries, no
 * redirects, bodies never logged). sigstore-js's own clients use make-fetch-happen, which cannot be given a fetch,
 * a proxy policy or a test clock; the wire formats here are the same ones sigstore-js sends.
 *
 * - Fulcio v2: POST /api/v2/signingCert, a public key with a proof of possession and the OIDC token.
 * - Rekor v1: POST /api/v1/log/entries (hashedrekord 0.0.1 and dsse 0.0.1 entries); 409 → GET the existing entry.
 * - Rekor v2 (rekor-tiles): POST /api/v2/log/entries with a CreateEntryRequest in protobuf-JSON, answered with the
 *   TransparencyLogEntry (0.0.2 entries, inclusion proof and signed checkpoint) that goes into the bundle as is.
 * - TSA: POST <url> with `{artifactHash, hashAlgorithm, certificates}`, answered with an RFC 3161 TimeStampResp.
 */
export interface SigstoreEndpoints {
  /** Fulcio base URL. */
  readonly fulcio: string;
  /** The (first) Rekor base URL; undefined for a timestamp-only configuration. */
  readonly rekor: string | undefined;
  /** The full URL of the RFC 3161 endpoint; undefined when no timestamp is wanted. */
  readonly tsa: string | undefined;
  /**
   * Every transparency log each signature is written to, with its API version. When absent, `rekor` is one Rekor v1
   * log.
   */
  readonly tlogs?: readonly TlogService[];
}

/** A transparency log to write to: its base URL and Rekor API major version (1 or 2). */
export interface TlogService {
  readonly url: string;
  readonly majorApiVersion: number;
}

export const PUBLIC_GOOD: SigstoreEndpoints = {
  fulcio: 'https://fulcio.sigstore.dev',
  rekor: 'https://rekor.sigstore.dev',
  tsa: undefined,
};

export const STAGING: SigstoreEndpoints = {
  fulcio: 'https://fulcio.sigstage.dev',
  rekor: 'https://rekor.sigstage.dev',
  tsa: 'https://timestamp.sigstage.dev/api/v1/timestamp',
};

async function post(
  http: HttpClient,
  code: SigningErrorCode,
  service: string,
  request: HttpRequest,
): Promise<BufferedResponse> {
  try {
    return await http.request({ method: 'POST', service, ...request });
  } catch (cause) {
    throw new SigningError(code, `${service}: ${(cause as Error).message}`, { cause, kind: 'external' });
  }
}

function refused(code: SigningErrorCode, service: string, url: URL, response: BufferedResponse): SigningError {
  let detail = '';
  try {
    const body = response.json() as { message?: unknown };
    if (typeof body?.message === 'string') detail = `: ${quote(body.message, 200)}`;
  } catch {
    const text = response.text().trim();
    if (text !== '' && text.length < 300 && !/[\r\n]/.test(text)) detail = `: ${quote(text, 200)}`;
  }
  // 4xx is the caller's problem (a bad token, a refused entry); 5xx after retries is the service's.
  const kind = response.status >= 500 ? 'external' : 'user';
  return new SigningError(
    code,
    `${service} refused ${describeUrl('POST', url)} with HTTP ${response.status}${detail}`,
    {
      kind,
    },
  );
}

function join(base: string, path: string): URL {
  return new URL(path, base.endsWith('/') ? base : `${base}/`);
}

/** Ask Fulcio for a certificate binding `publicKeyPem` to the token's identity. Returns the chain, leaf first (PEM). */
export async function requestCertificate(
  http: HttpClient,
  fulcio: string,
  request: { identityToken: string; publicKeyPem: string; proofOfPossession: Buffer },
): Promise<string[]> {
  const url = join(fulcio, 'api/v2/signingCert');
  const response = await post(http, 'fulcio-failed', 'Fulcio', {
    url,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      credentials: { oidcIdentityToken: request.identityToken },
      publicKeyRequest: {
        publicKey: { algorithm: 'ECDSA', content: request.publicKeyPem },
        proofOfPossession: request.proofOfPossession.toString('base64'),
      },
    }),
  });
  if (!response.ok) throw refused('fulcio-failed', 'Fulcio', url, response);
  const body = response.json() as {
    signedCertificateEmbeddedSct?: { chain?: { certificates?: unknown } };
    signedCertificateDetachedSct?: { chain?: { certificates?: unknown } };
  };
  const chain = (body.signedCertificateEmbeddedSct ?? body.signedCertificateDetachedSct)?.chain?.certificates;
  if (!Array.isArray(chain) || chain.length === 0 || !chain.every((c) => typeof c === 'string')) {
    throw new SigningError('fulcio-failed', 'Fulcio answered without a certificate chain', { kind: 'external' });
  }
  return chain as string[];
}

/** A Rekor v1 log entry as the API returns it. */
export interface RekorEntry {
  readonly uuid: string;
  readonly body: string;
  readonly integratedTime: number;
  readonly logID: string;
  readonly logIndex: number;
  readonly verification?: {
    readonly signedEntryTimestamp?: string;
    readonly inclusionProof?: {
      readonly checkpoint: string;
      readonly hashes: readonly string[];
      readonly logIndex: number;
      readonly rootHash: string;
      readonly treeSize: number;
    };
  };
}

/** Add an entry to Rekor (v1 API). An entry that already exists (409) is fetched and returned. */
export async function createRekorEntry(http: HttpClient, rekor: string, proposedEntry: object): Promise<RekorEntry> {
  const url = join(rekor, 'api/v1/log/entries');
  const response = await post(http, 'rekor-failed', 'Rekor', {
    url,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(proposedEntry),
  });
  if (response.status === 409) {
    const location = response.header('location');
    if (location === undefined) throw refused('rekor-failed', 'Rekor', url, response);
    const existing = new URL(location, url);
    if (existing.origin !== url.origin) {
      throw new SigningError('rekor-failed', `Rekor pointed at an entry on another host (${existing.origin})`, {
        kind: 'external',
      });
    }
    const again = await http
      .request({ url: existing, headers: { accept: 'application/json' }, service: 'Rekor' })
      .catch((cause: unknown) => {
        throw new SigningError('rekor-failed', `Rekor: ${(cause as Error).message}`, { cause, kind: 'external' });
      });
    if (!again.ok) throw refused('rekor-failed', 'Rekor', existing, again);
    return entryFromResponse(again);
  }
  if (!response.ok) throw refused('rekor-failed', 'Rekor', url, response);
  return entryFromResponse(response);
}

function entryFromResponse(response: BufferedResponse): RekorEntry {
  let data: unknown;
  try {
    data = response.json();
  } catch (cause) {
    throw new SigningError('rekor-failed', 'Rekor answered with something that is not JSON', {
      cause,
      kind: 'external',
    });
  }
  const entries = data !== null && typeof data === 'object' ? Object.entries(data) : [];
  const [first] = entries;
  if (entries.length !== 1 || first === undefined) {
    throw new SigningError('rekor-failed', `Rekor answered with ${entries.length} entries; expected one`, {
      kind: 'external',
    });
  }
  const [uuid, entry] = first as [string, Omit<RekorEntry, 'uuid'>];
  if (typeof entry?.body !== 'string' || typeof entry.logIndex !== 'number' || typeof entry.logID !== 'string') {
    throw new SigningError('rekor-failed', 'Rekor answered with an incomplete log entry', { kind: 'external' });
  }
  return { ...entry, uuid };
}

const REKOR_V2_TIMEOUT_MS = 20_000;

/** The protobuf-JSON CreateEntryRequest of Rekor v2: exactly one of the two entry kinds it accepts. */
export type RekorV2Request =
  | { readonly hashedRekordRequestV002: object; readonly dsseRequestV002?: never }
  | { readonly dsseRequestV002: object; readonly hashedRekordRequestV002?: never };

/**
 * Add an entry to a Rekor v2 log. The answer is checked to be a complete 0.0.2 entry of the kind that was sent, with an
 * inclusion proof and checkpoint (Rekor v2 has no signed entry timestamp, so without them the entry proves nothing)
 * and a canonicalized body; the verifier checks the proof and the checkpoint signature against the trusted root.
 */
export async function createRekorV2Entry(
  http: HttpClient,
  rekor: string,
  request: RekorV2Request,
): Promise<TransparencyLogEntry> {
  const url = join(rekor, 'api/v2/log/entries');
  const response = await post(http, 'rekor-failed', 'Rekor v2', {
    url,
    // Rekor v2 batches uploads before it signs a checkpoint; clients are asked to wait at least 10 s (sigstore-js
    // waits 20 s).
    timeoutMs: REKOR_V2_TIMEOUT_MS,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(request),
  });
  if (!response.ok) throw refused('rekor-failed', 'Rekor v2', url, response);
  let data: unknown;
  try {
    data = response.json();
  } catch (cause) {
    throw new SigningError('rekor-failed', 'Rekor v2 answered with something that is not JSON', {
      cause,
      kind: 'external',
    });
  }
  const incomplete = (what: string) =>
    new SigningError('rekor-failed', `Rekor v2 answered with an incomplete log entry: ${what}`, { kind: 'external' });
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw incomplete('not a JSON object');
  let entry: TransparencyLogEntry;
  try {
    entry = TransparencyLogEntry.fromJSON(data);
  } catch (cause) {
    throw new SigningError(
      'rekor-failed',
      `Rekor v2 answered with a malformed log entry: ${(cause as Error).message}`,
      {
        cause,
        kind: 'external',
      },
    );
  }
  const kind = request.hashedRekordRequestV002 !== undefined ? 'hashedrekord' : 'dsse';
  if (!/^\d+$/.test(entry.logIndex)) throw incomplete('no log index');
  if (entry.logId === undefined || entry.logId.keyId.byteLength === 0) throw incomplete('no log ID');
  if (entry.kindVersion?.kind !== kind || entry.kindVersion.version !== '0.0.2') {
    throw incomplete(
      `kind/version ${entry.kindVersion?.kind ?? '?'}/${entry.kindVersion?.version ?? '?'}, expected ${kind}/0.0.2`,
    );
  }
  if (entry.inclusionProof === undefined || entry.inclusionProof.checkpoint === undefined) {
    throw incomplete('no inclusion proof with a checkpoint');
  }
  if (entry.canonicalizedBody.byteLength === 0) throw incomplete('no canonicalized body');
  return entry;
}

/** An RFC 3161 timestamp over `signature` (its SHA-256), as DER. */
export async function requestTimestamp(http: HttpClient, tsa: string, signature: Buffer): Promise<Buffer> {
  const url = new URL(tsa);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/api/v1/timestamp';
  const response = await post(http, 'tsa-failed', 'the timestamp authority', {
    url,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      artifactHash: createHash('sha256').update(signature).digest('base64'),
      hashAlgorithm: 'sha256',
      certificates: true,
    }),
  });
  if (!response.ok) throw refused('tsa-failed', 'the timestamp authority', url, response);
  return Buffer.from(response.body);
}
