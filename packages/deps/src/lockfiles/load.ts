/**
 * Reading lockfiles from disk: the size limit before any byte is read, includes confined to the scan root, and
 * `listPackages`, the `airlock scan --list-packages` view.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { type DiscoverOptions, discoverLockfiles } from '../discovery.ts';
import { DepsError, type Ecosystem, type LockfileResult, type Scope } from '../model.ts';
import { DEFAULT_MAX_LOCKFILE_BYTES, lockfileTooLarge, type ParseOptions } from './common.ts';
import { parseLockfile } from './index.ts';

export interface LoadOptions extends Omit<ParseOptions, 'readFile'> {}

function ioError(path: string, cause: unknown): DepsError {
  const code = (cause as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (code ?? String(cause));
  return new DepsError('lockfile-io', `${path}: cannot read the lockfile (${why})`, { cause });
}

/**
 * A reader of other files relative to `root` (forward slashes), for includes: confined to the root (no `..` out of
 * it, no symbolic link out of it), bounded by the size limit, undefined when absent.
 */
export function rootReader(root: string, maxBytes: number): (path: string) => string | undefined {
  const realRoot = realpathSync(root);
  return (path) => {
    const full = resolve(root, path);
    let real: string;
    try {
      real = realpathSync(full);
    } catch {
      return undefined;
    }
    if (real !== realRoot && !real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep)) return undefined;
    let size: number;
    try {
      const s = statSync(real);
      if (!s.isFile()) return undefined;
      size = s.size;
    } catch {
      return undefined;
    }
    if (size > maxBytes) throw lockfileTooLarge(path, size, maxBytes);
    return readFileSync(real, 'utf8');
  };
}

/** The path a lockfile is named by: relative to the root (forward slashes) when inside it, else as given. */
export function displayPath(root: string, file: string): string {
  const abs = resolve(root, file);
  const rel = relative(resolve(root), abs);
  if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
  return file.split(sep).join('/');
}

/** Read and parse one lockfile; `file` is relative to `root` (or absolute). */
export async function loadLockfile(root: string, file: string, options: LoadOptions = {}): Promise<LockfileResult> {
  const path = displayPath(root, file);
  const full = resolve(root, file);
  const max = options.maxBytes ?? DEFAULT_MAX_LOCKFILE_BYTES;
  let text: string;
  try {
    const s = await stat(full);
    if (s.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (s.size > max) throw lockfileTooLarge(path, s.size, max);
    text = await readFile(full, 'utf8');
  } catch (cause) {
    if (cause instanceof DepsError) throw cause;
    throw ioError(path, cause);
  }
  return parseLockfile(path, text, { ...options, readFile: rootReader(root, max) });
}

/** One line of `airlock scan --list-packages --format json`. */
export interface ListedPackage {
  readonly ecosystem: Ecosystem;
  readonly name: string;
  readonly version: string;
  readonly scope: Scope;
  readonly source: { readonly path: string; readonly line: number };
}

export interface ListOptions extends LoadOptions {
  /** Directory paths are relative to, and includes are confined to (default: the process's working directory). */
  readonly root?: string;
  readonly discover?: DiscoverOptions;
}

/**
 * The packages of exactly the given lockfiles (or, given one directory, of every lockfile discovered under it), in
 * file order then line order, in the `--list-packages` shape. The first lockfile that fails to parse throws.
 */
export async function listPackages(
  target: string | readonly string[],
  options: ListOptions = {},
): Promise<ListedPackage[]> {
  let root = resolve(options.root ?? process.cwd());
  let files: readonly string[];
  if (typeof target === 'string') {
    const s = await stat(resolve(root, target)).catch((cause: unknown) => {
      throw ioError(target, cause);
    });
    if (s.isDirectory()) {
      root = resolve(root, target);
      files = await discoverLockfiles(root, options.discover);
    } else files = [target];
  } else files = target;
  const out: ListedPackage[] = [];
  for (const file of files) {
    const result = await loadLockfile(root, file, options);
    for (const p of result.packages)
      out.push({
        ecosystem: p.ecosystem,
        name: p.name,
        version: p.version,
        scope: p.scope,
        source: { path: p.source.path, line: p.source.line },
      });
  }
  return out;
}
