/**
 * Go modules: golang.org/x/mod/semver ordering. A `v` prefix (optional here, since OSV writes Go versions without
 * it), `vMAJOR` and `vMAJOR.MINOR` shorthands, no leading zeros; build metadata, and so `+incompatible`, is ignored;
 * pseudo-versions (`v0.0.0-20191109021931-daa7c04131f5`, `v1.2.4-0.2019…`) are pre-releases and order by their
 * timestamp like the Go command does.
 */
import type { VersionScheme } from '../model.ts';
import { makeScheme } from './common.ts';
import { compareSemver, type SemverLike } from './semver.ts';

const NUM = '(0|[1-9][0-9]*)';
const IDENT = '[0-9A-Za-z-]+';
const GO_SEMVER = new RegExp(
  `^v?${NUM}(?:\\.${NUM}(?:\\.${NUM}(?:-(${IDENT}(?:\\.${IDENT})*))?(?:\\+(${IDENT}(?:\\.${IDENT})*))?)?)?$`,
);

export function parseGoVersion(version: string): SemverLike | undefined {
  const m = GO_SEMVER.exec(version);
  if (!m) return undefined;
  const pre = m[4] === undefined ? [] : m[4].split('.');
  // Numeric pre-release identifiers must not have leading zeros.
  if (pre.some((p) => /^0[0-9]+$/.test(p))) return undefined;
  return {
    components: [m[1] as string, m[2] ?? '0', m[3] ?? '0'],
    pre,
    build: m[5] === undefined ? [] : m[5].split('.'),
  };
}

export const goScheme: VersionScheme = makeScheme(
  'Go',
  'a Go module version like v1.2.3, 1.2.3, v2.0.0+incompatible or a pseudo-version',
  parseGoVersion,
  compareSemver,
);
