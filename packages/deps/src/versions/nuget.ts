/**
 * NuGet: NuGetVersion ordering. One to four numeric parts (missing ones are 0, leading zeros allowed), a release
 * above its pre-releases, pre-release labels compared case-insensitively (numeric labels numerically, below
 * alphanumeric ones), build metadata ignored.
 */
import type { VersionScheme } from '../model.ts';
import { makeScheme } from './common.ts';
import { compareComponents, compareIdentifiers, type SemverLike } from './semver.ts';

const LABEL = '[0-9A-Za-z-]+';
const NUGET = new RegExp(
  `^v?([0-9]+(?:\\.[0-9]+){0,3})(?:-(${LABEL}(?:\\.${LABEL})*))?(?:\\+(${LABEL}(?:\\.${LABEL})*))?$`,
);

export function parseNuGetVersion(version: string): SemverLike | undefined {
  const m = NUGET.exec(version.trim());
  if (!m) return undefined;
  return {
    components: (m[1] as string).split('.'),
    pre: m[2] === undefined ? [] : m[2].toLowerCase().split('.'),
    build: m[3] === undefined ? [] : m[3].split('.'),
  };
}

export const nugetScheme: VersionScheme = makeScheme(
  'NuGet',
  'a NuGet version like 1.2.3, 1.2.3.4 or 1.2.3-beta.1',
  parseNuGetVersion,
  (a, b) => {
    const c = compareComponents(a.components, b.components);
    if (c !== 0) return c;
    if (a.pre.length === 0 || b.pre.length === 0) return (a.pre.length === 0 ? 1 : 0) - (b.pre.length === 0 ? 1 : 0);
    return compareIdentifiers(a.pre, b.pre);
  },
);
