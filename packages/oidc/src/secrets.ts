import { checkEnvName } from './env-names.ts';
import { OidcError } from './errors.ts';
import type { Provider } from './settings.ts';

/**
 * Just-in-time secrets, fetched with the identity the exchange just obtained (input `secrets`, one per line,
 * `ENV_NAME=<reference>`):
 *
 *   DB_PASSWORD=vault:secret/data/ci/db#password     Vault KV: the API path after /v1/ (v2 paths have /data/), field
 *   CONFIG=vault:kv/ci/app                            no field: the whole data object as JSON
 *   API_KEY=aws-sm:prod/api#key                       AWS Secrets Manager id or ARN, optional JSON key
 *   NPM_TOKEN=doppler:web/prd/NPM_TOKEN               Doppler project/config/NAME
 *
 * A reference must fit the provider: Vault secrets need provider vault, and so on — the identity obtained here is the
 * only one used. Each value is masked whole, line by line and leaf by leaf before it goes anywhere, and exported only
 * under the name asked for.
 */
export type SecretReference =
  | { readonly kind: 'vault'; readonly path: string; readonly field: string | undefined }
  | { readonly kind: 'aws-sm'; readonly secretId: string; readonly jsonKey: string | undefined }
  | { readonly kind: 'doppler'; readonly project: string; readonly config: string; readonly name: string };

export interface SecretRequest {
  readonly env: string;
  readonly reference: SecretReference;
  /** The reference as written, for messages and the summary (never a value). */
  readonly text: string;
  readonly where: string;
}

const KIND_PROVIDER: Record<SecretReference['kind'], Provider> = {
  vault: 'vault',
  'aws-sm': 'aws',
  doppler: 'doppler',
};

export function parseSecretReference(text: string, where: string): SecretReference {
  const colon = text.indexOf(':');
  const scheme = colon < 0 ? '' : text.slice(0, colon);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  const hash = rest.lastIndexOf('#');
  const body = hash < 0 ? rest : rest.slice(0, hash);
  const fragment = hash < 0 ? undefined : rest.slice(hash + 1);
  if (fragment === '') throw new OidcError('secret-invalid', `${where}: nothing after '#' in '${text}'`);
  switch (scheme) {
    case 'vault': {
      const path = body.replace(/^\/+/, '').replace(/^v1\//, '');
      if (!/^[\w.@-]+(\/[\w.@-]+)+$/.test(path) || path.split('/').includes('..')) {
        throw new OidcError(
          'secret-invalid',
          `${where}: '${text}' is not a Vault KV reference; write vault:<mount>/<path>#<field>, with /data/ after the mount for KV version 2 (vault:secret/data/app#password)`,
        );
      }
      return { kind: 'vault', path, field: fragment };
    }
    case 'aws-sm': {
      if (!/^[\w/+=.@:-]{1,2048}$/.test(body)) {
        throw new OidcError(
          'secret-invalid',
          `${where}: '${text}' is not an AWS Secrets Manager reference; write aws-sm:<secret name or ARN>[#<JSON key>]`,
        );
      }
      return { kind: 'aws-sm', secretId: body, jsonKey: fragment };
    }
    case 'doppler': {
      const parts = body.split('/');
      if (parts.length !== 3 || parts.some((p) => !/^[\w.-]+$/.test(p)) || fragment !== undefined) {
        throw new OidcError(
          'secret-invalid',
          `${where}: '${text}' is not a Doppler reference; write doppler:<project>/<config>/<SECRET_NAME>`,
        );
      }
      const [project, config, name] = parts as [string, string, string];
      return { kind: 'doppler', project, config, name };
    }
    default:
      throw new OidcError(
        'secret-invalid',
        `${where}: '${text}' has no known scheme; references start with vault:, aws-sm: or doppler:`,
      );
  }
}

export function parseSecretLines(
  lines: ReadonlyArray<{ text: string; where: string }>,
  provider: Provider,
): SecretRequest[] {
  const seen = new Map<string, string>();
  return lines.map(({ text, where }) => {
    const eq = text.indexOf('=');
    if (eq <= 0) {
      throw new OidcError(
        'secret-invalid',
        `${where}: expected ENV_NAME=<reference>, e.g. DB_PASSWORD=vault:secret/data/db#password`,
      );
    }
    const env = text.slice(0, eq).trim();
    const refText = text.slice(eq + 1).trim();
    checkEnvName(env, `${where}:`);
    const previous = seen.get(env);
    if (previous !== undefined)
      throw new OidcError('secret-invalid', `${where}: '${env}' is already set by ${previous}`);
    seen.set(env, where);
    const reference = parseSecretReference(refText, where);
    const needs = KIND_PROVIDER[reference.kind];
    if (needs !== provider) {
      throw new OidcError(
        'secret-invalid',
        `${where}: '${refText}' is read with a ${needs} identity, but this step obtains a ${provider} identity; fetch it in a step with provider: ${needs}`,
      );
    }
    return { env, reference, text: refText, where };
  });
}

/** Pick a field of a JSON secret (AWS Secrets Manager `#key`); the caller has masked the whole value already. */
export function jsonField(value: string, key: string, reference: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new OidcError('secret-invalid', `the secret '${reference}' is not JSON, so it has no key '${key}'`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !(key in parsed)) {
    const keys = parsed !== null && typeof parsed === 'object' ? Object.keys(parsed).join(', ') : '';
    throw new OidcError(
      'secret-not-found',
      `the secret '${reference}' has no key '${key}'${keys ? ` (keys: ${keys})` : ''}`,
    );
  }
  const field = (parsed as Record<string, unknown>)[key];
  return typeof field === 'string' ? field : JSON.stringify(field);
}

/** A field of a Vault KV data object, or the whole object as JSON. */
export function vaultField(data: Record<string, unknown>, field: string | undefined, reference: string): string {
  if (field === undefined) return JSON.stringify(data);
  if (!(field in data)) {
    throw new OidcError(
      'secret-not-found',
      `the Vault secret '${reference}' has no field '${field}' (fields: ${Object.keys(data).join(', ') || 'none'})`,
    );
  }
  const value = data[field];
  return typeof value === 'string' ? value : JSON.stringify(value);
}
