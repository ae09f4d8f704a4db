/** Which lockfile formats Airlock reads, how a file name maps to one, and the single entry point that parses one. */
import { DepsError, type LockfileResult } from '../model.ts';
import { bunLock } from './bun.ts';
import { cargoLock } from './cargo.ts';
import { DEFAULT_MAX_LOCKFILE_BYTES, type LockfileFormat, lockfileTooLarge, type ParseOptions } from './common.ts';
import { composerLock } from './composer.ts';
import { gemfileLock, gemsLocked } from './gemfile.ts';
import { goMod, goSum } from './go.ts';
import { gradleLockfile } from './gradle.ts';
import { mixLock } from './mix.ts';
import { nugetLock } from './nuget.ts';
import { npmShrinkwrap, packageLock } from './package-lock.ts';
import { pdmLock } from './pdm.ts';
import { pipfileLock } from './pipfile.ts';
import { pnpmLock } from './pnpm.ts';
import { poetryLock } from './poetry.ts';
import { pomXml } from './pom.ts';
import { pubspecLock } from './pub.ts';
import { pylockToml } from './pylock.ts';
import { requirementsTxt } from './requirements.ts';
import { uvLock } from './uv.ts';
import { yarnLock } from './yarn.ts';

/** Exact file names. */
const BY_NAME = new Map<string, LockfileFormat>([
  ['package-lock.json', packageLock],
  ['npm-shrinkwrap.json', npmShrinkwrap],
  ['yarn.lock', yarnLock],
  ['pnpm-lock.yaml', pnpmLock],
  ['bun.lock', bunLock],
  ['poetry.lock', poetryLock],
  ['Pipfile.lock', pipfileLock],
  ['pdm.lock', pdmLock],
  ['uv.lock', uvLock],
  ['pylock.toml', pylockToml],
  ['go.mod', goMod],
  ['go.sum', goSum],
  ['Cargo.lock', cargoLock],
  ['Gemfile.lock', gemfileLock],
  ['gems.locked', gemsLocked],
  ['composer.lock', composerLock],
  ['gradle.lockfile', gradleLockfile],
  ['buildscript-gradle.lockfile', gradleLockfile],
  ['pom.xml', pomXml],
  ['packages.lock.json', nugetLock],
  ['pubspec.lock', pubspecLock],
  ['mix.lock', mixLock],
]);

/** Every format, for documentation and error messages. */
export const LOCKFILE_FORMATS: readonly LockfileFormat[] = [...new Set([...BY_NAME.values(), requirementsTxt])];

/**
 * The format of a lockfile from its path (only the file name matters, except for Gradle's per-configuration lock
 * files under gradle/dependency-locks/ and requirement files under a requirements/ directory); undefined when Airlock
 * does not read it.
 */
export function detectLockfile(fileName: string): LockfileFormat | undefined {
  const parts = fileName.replace(/\\/g, '/').split('/');
  const base = parts[parts.length - 1] ?? '';
  const parent = parts[parts.length - 2] ?? '';
  const exact = BY_NAME.get(base);
  if (exact !== undefined) return exact;
  if (/^requirements.*\.txt$/i.test(base)) return requirementsTxt;
  if (/^pylock\.[^/]+\.toml$/.test(base)) return pylockToml;
  if (parent === 'dependency-locks' && (parts[parts.length - 3] ?? '') === 'gradle' && base.endsWith('.lockfile'))
    return gradleLockfile;
  if (parent.toLowerCase() === 'requirements' && /\.txt$/i.test(base)) return requirementsTxt;
  return undefined;
}

/**
 * Parse one lockfile. `path` names the file in every error and in each package's source (use the path relative to
 * the scan root, with forward slashes). Throws DepsError: `lockfile-parse` (`<path>:<line>: <what was expected>`),
 * `lockfile-unsupported` (not a lockfile, or an unknown lockfile version), `lockfile-too-large`.
 */
export function parseLockfile(path: string, text: string, options: ParseOptions = {}): LockfileResult {
  const format = detectLockfile(path);
  if (format === undefined) {
    throw new DepsError(
      'lockfile-unsupported',
      `${path}: not a lockfile Airlock reads; supported: ${LOCKFILE_FORMATS.map((f) => f.name).join(', ')}`,
    );
  }
  const max = options.maxBytes ?? DEFAULT_MAX_LOCKFILE_BYTES;
  if (text.length > max) throw lockfileTooLarge(path, text.length, max);
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return format.parse(path, body, options);
  } catch (error) {
    if (error instanceof RangeError && /call stack/i.test(error.message))
      throw new DepsError('lockfile-parse', `${path}:1: nested too deeply to read`, { cause: error });
    throw error;
  }
}

export function describeFormats(): string {
  return LOCKFILE_FORMATS.map((f) => `${f.name} (${f.ecosystem})`).join(', ');
}
