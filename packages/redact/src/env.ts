import type { KnownSecret, Redactor } from './engine.ts';

/**
 * Environment values that look like credentials, to register as known secrets (`mask-env-credentials`): by name (a
 * `TOKEN`, `SECRET`, `PASSWORD`, `API_KEY`… word that is not followed by `_URL`, `_PATH`, `_ID`…) or by value (a
 * value any rule recognises, such as a `ghs_…` token under an innocent name). Names only ever appear in reports.
 */
const NAME =
  /(?:^|_)(?:TOKEN|SECRET|SECRETS|PASSWORD|PASSWD|PASS|PWD_SECRET|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|SECRET_?KEY|CREDENTIALS?|AUTH|AUTH_?TOKEN|SAS|CONNECTION_?STRING)(?:_|$)/i;
const NOT_SECRET_SUFFIX =
  /_(?:URL|URI|PATH|FILE|DIR|DIRECTORY|NAME|TYPE|ID|ENDPOINT|HOST|PORT|USER|USERNAME|REGION|SOCK|MODE|METHOD|ENABLED)$/i;
/** Set by the runner and tools; not credentials (or not worth masking). */
const IGNORED = new Set(['PWD', 'OLDPWD', 'GITHUB_TOKEN_URL', 'ACTIONS_ID_TOKEN_REQUEST_URL']);

export function credentialNamed(name: string): boolean {
  return !IGNORED.has(name) && NAME.test(name) && !NOT_SECRET_SUFFIX.test(name);
}

/**
 * Credentials in `env`: named like one, or recognised by `rules` (a redactor with rules and no secrets). Values
 * shorter than `minLength` or obviously not secret (`true`, a number) are left out.
 */
export function credentialsInEnv(
  env: Readonly<Record<string, string | undefined>>,
  rules: Redactor,
  minLength: number,
): KnownSecret[] {
  const out: KnownSecret[] = [];
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (value === undefined || value.trim().length < minLength || IGNORED.has(name) || name.startsWith('INPUT_'))
      continue;
    if (/^(?:true|false|yes|no|on|off|null|\d+)$/i.test(value.trim())) continue;
    if (credentialNamed(name) || rules.redact(value).findings.length > 0) out.push({ value, source: `env ${name}` });
  }
  return out;
}
