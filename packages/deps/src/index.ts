/**
 * @airlock/deps: find every locked dependency, order versions per ecosystem, match them against OSV advisories, and
 * gate on a policy. Pure: file access goes through the paths and readers the caller gives.
 */

export { type BaseRevision, baseFromEvent, type EventBase, readBaseLockfile, resolveBase } from './diff.ts';
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
export {
  type AdvisoryIndex,
  evaluateAdvisory,
  type Finding,
  matchPackages,
  type Undecided,
  type Verdict,
} from './osv/match.ts';
export { normalizeName } from './osv/names.ts';
export { OfflineDb } from './osv/offline.ts';
export { OSV_API_URL, OsvApi } from './osv/online.ts';
export { type Advisory, parseAdvisory, parseAdvisoryJson } from './osv/schema.ts';
export { writeZip, ZipReader } from './osv/zip.ts';
export {
  DEFAULT_POLICY,
  FAIL_ON,
  type FailOn,
  licenseList,
  mergePolicy,
  type Policy,
  type PolicyOverrides,
  parsePolicyFile,
  SCOPES,
  UNSCORED,
  type UnscoredPolicy,
} from './policy.ts';
export { toCycloneDx } from './report/cyclonedx.ts';
export { toJsonReport } from './report/json.ts';
export { toSarif } from './report/sarif.ts';
export { writeSummary } from './report/summary.ts';
export { toTable } from './report/table.ts';
export {
  type AdvisorySourceOptions,
  type NoLockfilesOutcome,
  type ScanOptions,
  type ScanReport,
  scan,
} from './scan.ts';
export { SEVERITY_LEVELS, type Severity, type SeverityLevel } from './severity/index.ts';
export { versionScheme } from './versions/index.ts';
