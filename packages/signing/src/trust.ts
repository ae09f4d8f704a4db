import type { KeyObject } from 'node:crypto';
import { quote } from '@airlock/core';
import seeds from '@sigstore/tuf/seeds.json' with { type: 'json' };
import { SigningError } from './errors.ts';

/**
 * Trust material for verification: Sigstore's trusted root (Fulcio CAs, Rekor logs, CT logs, timestamp
 * authorities, each with its validity window).
 *
 * - {@link parseTrustedRoot}: a trusted_root.json given by the user (offline verification, private instances).
 * - {@link embeddedPublicGoodRoot}: the public-good root shipped inside @sigstore/tuf (the TUF target at the time the
 *   package was built), for offline use.
 * - {@link fetchPublicGoodRoot}: a fresh root from Sigstore's TUF repository (network).
 *
 * Fail closed: an entry without `validFor.start` is refused. sigstore-js would treat it as valid since 1970, which
 * turns a truncated or hand-edited root into one that trusts a key for every signature ever made.
 */
export interface Trust {
  /** The trusted root's JSON, checked here; each verification path builds its own view of it when first used. */
  readonly root: Readonly<Record<string, unknown>>;
  /** A managed public key (managed-key verification). */
  readonly publicKey?: KeyObject;
  /** Where it came from, for messages and summaries. */
  readonly source: string;
  readonly counts: { readonly tlogs: number; readonly ctlogs: number; readonly cas: number; readonly tsas: number };
}

export interface TrustOptions {
  /** A managed public key: bundles whose verification material is a key hint are checked against it. */
  readonly publicKey?: KeyObject;
}

const TRUSTED_ROOT_MEDIA_TYPES = [
  'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  'application/vnd.dev.sigstore.trustedroot.v0.2+json',
];

export const PUBLIC_GOOD_TUF_MIRROR = 'https://tuf-repo-cdn.sigstore.dev';

export function parseTrustedRoot(text: string, source: string, options: TrustOptions = {}): Trust {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new SigningError('trusted-root-invalid', `${source} is not valid JSON`, { cause });
  }
  return trustFromJson(json, source, options);
}

export function trustFromJson(json: unknown, source: string, options: TrustOptions = {}): Trust {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new SigningError('trusted-root-invalid', `${source} is not a JSON object`);
  }
  const root = json as Record<string, unknown>;
  if (!TRUSTED_ROOT_MEDIA_TYPES.includes(String(root.mediaType))) {
    throw new SigningError(
      'trusted-root-invalid',
      `${source}: unknown mediaType ${quote(String(root.mediaType))}; expected ${TRUSTED_ROOT_MEDIA_TYPES.join(' or ')}`,
    );
  }
  const list = (key: string): Record<string, unknown>[] => {
    const value = root[key] ?? [];
    if (!Array.isArray(value)) throw new SigningError('trusted-root-invalid', `${source}: '${key}' must be a list`);
    return value as Record<string, unknown>[];
  };
  const checkStart = (key: string, index: number, validFor: unknown, name: unknown) => {
    const start = (validFor as { start?: unknown } | undefined)?.start;
    const label = `${source}: ${key}[${index}]${typeof name === 'string' ? ` (${name})` : ''}`;
    if (typeof start !== 'string' || Number.isNaN(Date.parse(start))) {
      throw new SigningError(
        'trusted-root-invalid',
        `${label} has no validity start (validFor.start); an entry without one would be trusted for all time, so the root is refused`,
      );
    }
    const end = (validFor as { end?: unknown }).end;
    if (end !== undefined && (typeof end !== 'string' || Number.isNaN(Date.parse(end)))) {
      throw new SigningError('trusted-root-invalid', `${label} has an invalid validFor.end`);
    }
  };
  const tlogs = list('tlogs');
  const ctlogs = list('ctlogs');
  const cas = list('certificateAuthorities');
  const tsas = list('timestampAuthorities');
  const keyValidity = (t: Record<string, unknown>) => (t.publicKey as { validFor?: unknown } | undefined)?.validFor;
  for (const [i, t] of tlogs.entries()) checkStart('tlogs', i, keyValidity(t), t.baseUrl);
  for (const [i, t] of ctlogs.entries()) checkStart('ctlogs', i, keyValidity(t), t.baseUrl);
  for (const [i, c] of cas.entries()) checkStart('certificateAuthorities', i, c.validFor, c.uri);
  for (const [i, c] of tsas.entries()) checkStart('timestampAuthorities', i, c.validFor, c.uri);
  return {
    root,
    ...(options.publicKey === undefined ? {} : { publicKey: options.publicKey }),
    source,
    counts: { tlogs: tlogs.length, ctlogs: ctlogs.length, cas: cas.length, tsas: tsas.length },
  };
}

/** The public-good trusted root embedded in @sigstore/tuf (works offline). */
export function embeddedPublicGoodRoot(options: TrustOptions = {}): Trust {
  const target = (seeds as Record<string, { targets?: Record<string, string> }>)[PUBLIC_GOOD_TUF_MIRROR]?.targets?.[
    'trusted_root.json'
  ];
  if (target === undefined) throw new SigningError('trusted-root-unavailable', 'no embedded public-good trusted root');
  return parseTrustedRoot(
    Buffer.from(target, 'base64').toString('utf8'),
    'the embedded public-good trusted root',
    options,
  );
}

/**
 * The public-good trusted root from Sigstore's TUF repository (refreshes over the network; the TUF client checks the
 * repository's signatures from the embedded root of trust). `cachePath` should be under RUNNER_TEMP.
 */
export async function fetchPublicGoodRoot(options: { cachePath: string }): Promise<Trust> {
  // Loaded only on this path: the TUF client and its HTTP stack are most of a bundle's start-up cost.
  const tuf = await import('@sigstore/tuf');
  let root: Awaited<ReturnType<typeof tuf.getTrustedRoot>>;
  try {
    root = await tuf.getTrustedRoot({ cachePath: options.cachePath, mirrorURL: PUBLIC_GOOD_TUF_MIRROR });
  } catch (cause) {
    throw new SigningError(
      'trusted-root-unavailable',
      `cannot refresh Sigstore's TUF repository (${PUBLIC_GOOD_TUF_MIRROR}): ${(cause as Error).message}. Offline, give trusted-root: embedded or a trusted_root.json`,
      { cause, kind: 'external' },
    );
  }
  const { TrustedRoot } = await import('@sigstore/protobuf-specs');
  return trustFromJson(TrustedRoot.toJSON(root), `Sigstore's TUF repository (${PUBLIC_GOOD_TUF_MIRROR})`);
}
