/**
 * The contract between the two halves of the dependency scanner:
 * - lockfiles/ and versions/ (ecosystem knowledge: what is locked, and how versions order) produce {@link Package}s
 *   and implement {@link VersionScheme}s;
 * - osv/, severity/, policy and the reports consume them.
 * Change this file only by adding to it; both halves depend on it.
 */
import { AirlockError } from '@airlock/core';

/** Ecosystem names exactly as OSV spells them. */
export type Ecosystem =
  | 'npm'
  | 'PyPI'
  | 'Go'
  | 'crates.io'
  | 'RubyGems'
  | 'Packagist'
  | 'Maven'
  | 'NuGet'
  | 'Pub'
  | 'Hex';

export const ECOSYSTEMS: readonly Ecosystem[] = [
  'npm',
  'PyPI',
  'Go',
  'crates.io',
  'RubyGems',
  'Packagist',
  'Maven',
  'NuGet',
  'Pub',
  'Hex',
];

export type Scope = 'runtime' | 'dev' | 'optional';

/** Where something was found: a path relative to the scan root (forward slashes) and a 1-based line. */
export interface SourceLocation {
  readonly path: string;
  readonly line: number;
}

/** One locked dependency. */
export interface Package {
  readonly ecosystem: Ecosystem;
  /** The name as OSV names it: PEP 503-normalised for PyPI, `group:artifact` for Maven, module path for Go, … */
  readonly name: string;
  readonly version: string;
  readonly scope: Scope;
  readonly source: SourceLocation;
  /** Package URL (https://github.com/package-url/purl-spec). */
  readonly purl: string;
  /** SPDX license expression, where the lockfile carries one. */
  readonly license?: string;
  /** True when declared directly by the project (not only pulled in transitively), where the lockfile says so. */
  readonly direct?: boolean;
}

/** A requirement that does not pin one version (`requests>=2`): reported, never silently dropped. */
export interface UnpinnedRequirement {
  readonly ecosystem: Ecosystem;
  readonly name: string;
  /** The requirement as written, e.g. `>=2,<3`. */
  readonly spec: string;
  readonly source: SourceLocation;
}

export interface LockfileResult {
  /** Path relative to the scan root. */
  readonly path: string;
  /** `package-lock.json@3`, `yarn.lock@berry`, `requirements.txt`, … */
  readonly kind: string;
  readonly packages: readonly Package[];
  readonly unpinned: readonly UnpinnedRequirement[];
  readonly warnings: readonly string[];
}

/** Total order of versions in one ecosystem, as the ecosystem itself orders them. */
export interface VersionScheme {
  readonly ecosystem: Ecosystem;
  /** Whether the string is a version this scheme understands. */
  isValid(version: string): boolean;
  /** Negative, zero or positive like Array.prototype.sort; throws DepsError('version-invalid') on an invalid version. */
  compare(a: string, b: string): number;
}

export type DepsErrorCode =
  | 'lockfile-parse'
  | 'lockfile-unsupported'
  | 'lockfile-too-large'
  | 'lockfile-io'
  | 'version-invalid'
  | 'db-unavailable'
  | 'db-corrupt'
  | 'advisory-invalid'
  | 'policy-invalid'
  | 'git'
  | 'no-lockfiles';

export class DepsError extends AirlockError<DepsErrorCode> {}

/** A parse error naming the file and line: `pnpm-lock.yaml:214: expected a mapping under 'packages', found a list`. */
export function lockfileError(path: string, line: number, message: string, cause?: unknown): DepsError {
  return new DepsError('lockfile-parse', `${path}:${line}: ${message}`, cause === undefined ? {} : { cause });
}
