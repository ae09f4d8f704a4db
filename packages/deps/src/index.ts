/**
 * @airlock/deps: find every locked dependency, order versions per ecosystem, match them against OSV advisories, and
 * gate on a policy. Pure: file access goes through the paths and readers the caller gives.
 */

// Lockfiles, discovery and version order (the ecosystem half).
export { type DiscoverOptions, discoverLockfiles, SKIPPED_DIRECTORIES } from './discovery.ts';
export {
  DEFAULT_MAX_LOCKFILE_BYTES,
  type LockfileFormat,
  type ParseOptions,
  pep503,
  purl,
} from './lockfiles/common.ts';
export { detectLockfile, LOCKFILE_FORMATS, parseLockfile } from './lockfiles/index.ts';
export {
  type ListedPackage,
  type ListOptions,
  type LoadOptions,
  listPackages,
  loadLockfile,
} from './lockfiles/load.ts';
export * from './model.ts';
export { versionScheme } from './versions/index.ts';
