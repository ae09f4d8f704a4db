import { quote } from '@airlock/core';
import { SigningError } from './errors.ts';
import { PUBLIC_GOOD, type SigstoreEndpoints, STAGING } from './services.ts';

/**
 * Which Sigstore instance to sign with: the public-good instance, staging, explicit URLs, or a Sigstore signing
 * config (`application/vnd.dev.sigstore.signingconfig.v0.2+json`, the format sigstore clients and the conformance
 * suite exchange).
 */
export interface InstanceChoice {
  readonly staging?: boolean;
  /** The text of a signing config and where it came from (for messages). */
  readonly signingConfig?: { readonly text: string; readonly source: string };
  readonly fulcioUrl?: string;
  readonly rekorUrl?: string;
  readonly tsaUrl?: string;
  /** `false` signs without a transparency-log entry (then a TSA is required). */
  readonly tlog?: boolean;
  readonly now?: Date;
}

export const SIGNING_CONFIG_MEDIA_TYPE_V02 = 'application/vnd.dev.sigstore.signingconfig.v0.2+json';

interface Service {
  readonly url?: unknown;
  readonly majorApiVersion?: unknown;
  readonly validFor?: { readonly start?: unknown; readonly end?: unknown };
}

export function chooseEndpoints(choice: InstanceChoice): SigstoreEndpoints {
  let base: SigstoreEndpoints = choice.staging ? STAGING : PUBLIC_GOOD;
  if (choice.signingConfig !== undefined)
    base = parseSigningConfig(choice.signingConfig.text, choice.signingConfig.source, choice.now);
  const endpoints: SigstoreEndpoints = {
    fulcio: choice.fulcioUrl ?? base.fulcio,
    rekor: choice.tlog === false ? undefined : (choice.rekorUrl ?? base.rekor),
    tsa: choice.tsaUrl ?? base.tsa,
  };
  if (endpoints.rekor === undefined && endpoints.tsa === undefined) {
    throw new SigningError(
      'config-invalid',
      'a signature needs a transparency log (Rekor) or a timestamp authority to prove when it was made; configure one',
    );
  }
  return endpoints;
}

/** The services of a signing config v0.2 valid now: the first Fulcio, Rekor v1 and TSA v1 entries in force. */
export function parseSigningConfig(text: string, source: string, now = new Date()): SigstoreEndpoints {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(text) as Record<string, unknown>;
  } catch (cause) {
    throw new SigningError('config-invalid', `${source} is not valid JSON`, { cause });
  }
  if (config === null || typeof config !== 'object')
    throw new SigningError('config-invalid', `${source} is not a JSON object`);
  if (config.mediaType !== SIGNING_CONFIG_MEDIA_TYPE_V02) {
    throw new SigningError(
      'config-invalid',
      `${source}: mediaType must be ${SIGNING_CONFIG_MEDIA_TYPE_V02}; got ${quote(String(config.mediaType))}`,
    );
  }
  const pick = (key: string, versions: readonly number[], required: boolean): string | undefined => {
    const list = config[key];
    if (list !== undefined && !Array.isArray(list))
      throw new SigningError('config-invalid', `${source}: ${key} must be a list`);
    const inForce = ((list ?? []) as Service[]).filter((s) => {
      if (typeof s?.url !== 'string') return false;
      if (!versions.includes(Number(s.majorApiVersion ?? 1))) return false;
      const start = typeof s.validFor?.start === 'string' ? Date.parse(s.validFor.start) : Number.NaN;
      const end = typeof s.validFor?.end === 'string' ? Date.parse(s.validFor.end) : Number.POSITIVE_INFINITY;
      return !Number.isNaN(start) && start <= now.getTime() && now.getTime() <= end;
    });
    const url = inForce[0]?.url as string | undefined;
    if (url === undefined && required) {
      throw new SigningError('config-invalid', `${source}: no ${key} entry is valid now with a supported API version`);
    }
    if (url !== undefined) {
      try {
        new URL(url);
      } catch {
        throw new SigningError('config-invalid', `${source}: ${key} has an invalid URL ${quote(url)}`);
      }
    }
    return url;
  };
  return {
    fulcio: pick('caUrls', [1], true) as string,
    rekor: pick('rekorTlogUrls', [1], false),
    tsa: pick('tsaUrls', [1], false),
  };
}
