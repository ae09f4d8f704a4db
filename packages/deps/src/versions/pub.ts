/**
 * Pub (Dart): pub_semver ordering. Like SemVer, except that build metadata counts: a version with a build sorts
 * after the same version without one, and builds compare like pre-releases (`1.2.3+1 < 1.2.3+2 < 1.2.3+a`).
 */
import type { VersionScheme } from '../model.ts';
import { makeScheme } from './common.ts';
import { compareIdentifiers, compareSemver, parseSemverLike } from './semver.ts';

export const pubScheme: VersionScheme = makeScheme(
  'Pub',
  'a Dart package version like 1.2.3, 1.2.3-dev.1 or 1.2.3+1',
  (v) => parseSemverLike(v),
  (a, b) => {
    const c = compareSemver(a, b);
    if (c !== 0) return c;
    if (a.build.length === 0 || b.build.length === 0)
      return (a.build.length === 0 ? 0 : 1) - (b.build.length === 0 ? 0 : 1);
    return compareIdentifiers(a.build, b.build);
  },
);
