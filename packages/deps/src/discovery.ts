/**
 * Lockfile discovery: walk a directory tree and return every file a lockfile parser reads. Honours .gitignore files at
 * every level (and .git/info/exclude) with git's semantics, never descends into node_modules, vendor or VCS
 * directories, follows symbolic links only to places inside the root and at most once (so link loops end), and bounds
 * the depth and the number of entries visited. A lockfile larger than the size limit is still returned: reading it
 * fails with a clear `lockfile-too-large` error instead of being silently skipped.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { detectLockfile } from './lockfiles/index.ts';
import { DepsError } from './model.ts';

export interface DiscoverOptions {
  /** Extra gitignore-style patterns, relative to the root. */
  readonly exclude?: readonly string[];
  /** Honour .gitignore files (default true). */
  readonly gitignore?: boolean;
  /** Deepest directory level walked (default 64). */
  readonly maxDepth?: number;
  /** Most directory entries examined before giving up with an error (default 2,000,000). */
  readonly maxEntries?: number;
  /** Also return go.sum when a go.mod sits beside it (default false: go.sum is a fallback). */
  readonly goSumWithGoMod?: boolean;
}

/** Directories never walked: installed dependencies and VCS metadata, not the project's own lockfiles. */
export const SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set([
  'node_modules',
  'vendor',
  '.git',
  '.hg',
  '.svn',
  'bower_components',
]);

interface Rules {
  /** Directory of the .gitignore, relative to the root ('' for the root), with a trailing slash unless ''. */
  readonly base: string;
  readonly ig: Ignore;
}

const toPosix = (p: string) => (sep === '/' ? p : p.split(sep).join('/'));

async function readRules(dir: string, names: readonly string[]): Promise<string | undefined> {
  const texts: string[] = [];
  for (const name of names) {
    try {
      texts.push(await readFile(join(dir, name), 'utf8'));
    } catch {
      // absent or unreadable: no rules
    }
  }
  return texts.length === 0 ? undefined : texts.join('\n');
}

function isIgnored(rules: readonly Rules[], rel: string, isDir: boolean): boolean {
  let ignored = false;
  for (const r of rules) {
    if (!rel.startsWith(r.base)) continue;
    const local = rel.slice(r.base.length) + (isDir ? '/' : '');
    if (local === '' || local === '/') continue;
    const t = r.ig.test(local);
    if (t.ignored) ignored = true;
    else if (t.unignored) ignored = false;
  }
  return ignored;
}

/** Every lockfile under `root`, as sorted paths relative to it with forward slashes. */
export async function discoverLockfiles(root: string, options: DiscoverOptions = {}): Promise<string[]> {
  const maxDepth = options.maxDepth ?? 64;
  const maxEntries = options.maxEntries ?? 2_000_000;
  let realRoot: string;
  try {
    realRoot = await realpath(root);
    if (!(await stat(realRoot)).isDirectory()) throw new Error('not a directory');
  } catch (cause) {
    throw new DepsError(
      'lockfile-io',
      `cannot walk ${root}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`,
      {
        cause,
      },
    );
  }
  const inside = (real: string) =>
    real === realRoot || real.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep);
  const found: string[] = [];
  const visited = new Set<string>([realRoot]);
  let entries = 0;
  const base: Rules[] = [];
  if (options.exclude !== undefined && options.exclude.length > 0)
    base.push({ base: '', ig: ignore().add([...options.exclude]) });
  if (options.gitignore !== false) {
    const exclude = await readRules(join(realRoot, '.git', 'info'), ['exclude']);
    if (exclude !== undefined) base.push({ base: '', ig: ignore().add(exclude) });
  }

  const walk = async (dir: string, rel: string, depth: number, inherited: readonly Rules[]): Promise<void> => {
    let rules = inherited;
    if (options.gitignore !== false) {
      const text = await readRules(dir, ['.gitignore']);
      if (text !== undefined) rules = [...inherited, { base: rel === '' ? '' : `${rel}/`, ig: ignore().add(text) }];
    }
    let list: Dirent[];
    try {
      list = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // unreadable directory: nothing we can scan there
    }
    list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const files = new Set<string>();
    const subdirs: { path: string; rel: string }[] = [];
    for (const entry of list) {
      if (++entries > maxEntries)
        throw new DepsError(
          'lockfile-io',
          `more than ${maxEntries} directory entries under ${root}; narrow the scan paths`,
        );
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      const full = join(dir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        let real: string;
        try {
          real = await realpath(full);
          const s = await stat(real);
          isDir = s.isDirectory();
          isFile = s.isFile();
        } catch {
          continue; // dangling link
        }
        if (!inside(real)) continue;
      }
      if (isDir) {
        if (SKIPPED_DIRECTORIES.has(entry.name) || depth + 1 > maxDepth) continue;
        if (isIgnored([...base, ...rules], childRel, true)) continue;
        let real: string;
        try {
          real = await realpath(full);
        } catch {
          continue;
        }
        if (visited.has(real)) continue; // a link loop, or a second way to the same directory
        visited.add(real);
        subdirs.push({ path: full, rel: childRel });
      } else if (isFile && detectLockfile(childRel) !== undefined) {
        if (isIgnored([...base, ...rules], childRel, false)) continue;
        files.add(entry.name);
        found.push(childRel);
      }
    }
    if (options.goSumWithGoMod !== true && files.has('go.sum') && files.has('go.mod')) {
      const goSum = rel === '' ? 'go.sum' : `${rel}/go.sum`;
      found.splice(found.indexOf(goSum), 1);
    }
    for (const sub of subdirs) await walk(sub.path, sub.rel, depth + 1, rules);
  };
  await walk(realRoot, '', 0, []);
  return found.map(toPosix).sort();
}
