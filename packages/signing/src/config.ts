import { quote } from '@airlock/core';
import { SigningError } from './errors.ts';
import { PUBLIC_GOOD, type SigstoreEndpoints, STAGING, type TlogService } from './services.ts';

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

/** The highest Rekor API major version this client writes (v1: hashedrekord/dsse 0.0.1; v2: 0.0.2 on rekor-tiles). */
export const MAX_REKOR_API_VERSION = 2;
const REKOR_API_VERSIONS = [1, 2] as const;

export function chooseEndpoints(choice: InstanceChoice): SigstoreEndpoints {
  let base: SigstoreEndpoints = choice.staging ? STAGING : PUBLIC_GOOD;
  if (choice.signingConfig !== undefined)
    base = parseSigningConfig(choice.signingConfig.text, choice.signingConfig.source, choice.now);
  let tlogs: readonly TlogService[] =
    base.tlogs ?? (base.rekor === undefined ? [] : [{ url: base.rekor, majorApiVersion: 1 }]);
  if (choice.rekorUrl !== undefined) tlogs = [{ url: choice.rekorUrl, majorApiVersion: 1 }];
  if (choice.tlog === false) tlogs = [];
  const endpoints: SigstoreEndpoints = {
    fulcio: choice.fulcioUrl ?? base.fulcio,
    rekor: tlogs[0]?.url,
    tsa: choice.tsaUrl ?? base.tsa,
    tlogs,
  };
  if (endpoints.rekor === undefined && endpoints.tsa === undefined) {
    throw new SigningError(
      'config-invalid',
      'a signature needs a transparency log (Rekor) or a timestamp authority to prove when it was made; configure one',
    );
  }
  const v2 = tlogs.find((t) => t.majorApiVersion === 2);
  if (v2 !== undefined && endpoints.tsa === undefined) {
    throw new SigningError(
      'config-invalid',
      `${choice.signingConfig?.source ?? 'the signing configuration'} selects the Rekor v2 log ${quote(v2.url)}, which records no signing time (no integrated time, no signed entry timestamp); a Rekor v2 signature needs an RFC 3161 timestamp, but no timestamp authority is configured (add a tsaUrls entry or a tsa-url)`,
    );
  }
  return endpoints;
}

function inForce(s: Service, now: Date): boolean {
  const start = typeof s.validFor?.start === 'string' ? Date.parse(s.validFor.start) : Number.NaN;
  const end = typeof s.validFor?.end === 'string' ? Date.parse(s.validFor.end) : Number.POSITIVE_INFINITY;
  return !Number.isNaN(start) && !Number.isNaN(end) && start <= now.getTime() && now.getTime() <= end;
}

/**
 * The services of a signing config v0.2 valid now. Fulcio and the TSA: the first entry in force with API version 1.
 * Rekor: as sigstore clients select logs — among the entries in force whose major API version this client speaks,
 * only those of the highest such version (a v2 log wins over v1 logs), then `rekorTlogConfig.selector`: ANY (the
 * default) takes the first, ALL takes every one, EXACT takes the first `count` and fails when fewer are valid.
 */
export function parseSigningConfig(text: string, source: string, now = new Date()): SigstoreEndpoints {
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(text) as Record<string, unknown>;
  } catch (cause) {
    throw new SigningError('config-invalid', `${source} is not valid JSON`, { cause });
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config))
    throw new SigningError('config-invalid', `${source} is not a JSON object`);
  if (config.mediaType !== SIGNING_CONFIG_MEDIA_TYPE_V02) {
    throw new SigningError(
      'config-invalid',
      `${source}: mediaType must be ${SIGNING_CONFIG_MEDIA_TYPE_V02}; got ${quote(String(config.mediaType))}`,
    );
  }
  const valid = (key: string, versions: readonly number[]): { url: string; majorApiVersion: number }[] => {
    const list = config[key];
    if (list !== undefined && !Array.isArray(list))
      throw new SigningError('config-invalid', `${source}: ${key} must be a list`);
    return ((list ?? []) as Service[]).flatMap((s, i) => {
      if (s === null || typeof s !== 'object')
        throw new SigningError('config-invalid', `${source}: ${key}[${i}] is not an object`);
      if (typeof s.url !== 'string') throw new SigningError('config-invalid', `${source}: ${key}[${i}] has no url`);
      const version = Number(s.majorApiVersion ?? 1);
      if (!versions.includes(version) || !inForce(s, now)) return [];
      try {
        new URL(s.url);
      } catch {
        throw new SigningError('config-invalid', `${source}: ${key}[${i}] has an invalid URL ${quote(s.url)}`);
      }
      return [{ url: s.url, majorApiVersion: version }];
    });
  };
  const first = (key: string, required: boolean): string | undefined => {
    const url = valid(key, [1])[0]?.url;
    if (url === undefined && required) {
      throw new SigningError('config-invalid', `${source}: no ${key} entry is valid now with a supported API version`);
    }
    return url;
  };
  const tlogs = selectTlogs(valid('rekorTlogUrls', REKOR_API_VERSIONS), config.rekorTlogConfig, source);
  return {
    fulcio: first('caUrls', true) as string,
    rekor: tlogs[0]?.url,
    tsa: first('tsaUrls', false),
    tlogs,
  };
}

function selectTlogs(
  candidates: readonly TlogService[],
  selectorConfig: unknown,
  source: string,
): readonly TlogService[] {
  const config = (selectorConfig ?? {}) as { selector?: unknown; count?: unknown };
  if (typeof config !== 'object' || config === null)
    throw new SigningError('config-invalid', `${source}: rekorTlogConfig must be an object`);
  const selector = config.selector ?? 'ANY';
  const highest = Math.max(0, ...candidates.map((c) => c.majorApiVersion));
  const best = candidates.filter((c) => c.majorApiVersion === highest);
  switch (selector) {
    case 'ANY':
    case 'SERVICE_SELECTOR_UNDEFINED':
      return best.slice(0, 1);
    case 'ALL':
      return best;
    case 'EXACT': {
      const count = Number(config.count);
      if (!Number.isInteger(count) || count < 1) {
        throw new SigningError(
          'config-invalid',
          `${source}: rekorTlogConfig selector EXACT needs a positive count; got ${quote(String(config.count))}`,
        );
      }
      if (best.length < count) {
        throw new SigningError(
          'config-invalid',
          `${source}: rekorTlogConfig asks for exactly ${count} transparency logs, but only ${best.length} ${highest === 0 ? '' : `Rekor v${highest} `}log(s) are valid now`,
        );
      }
      return best.slice(0, count);
    }
    default:
      throw new SigningError(
        'config-invalid',
        `${source}: rekorTlogConfig has an unknown selector ${quote(String(selector))} (expected ANY, EXACT or ALL)`,
      );
  }
}
