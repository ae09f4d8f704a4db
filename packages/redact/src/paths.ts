import { type Dirent, readdirSync, type Stats, statSync } from 'node:fs';
import { isAbsolute, join, matchesGlob, relative, resolve, sep } from 'node:path';
import { RedactError } from './errors.ts';

/**
 * The walk is synchronous: a scan has nothing to do while it waits for a directory listing, and node:fs/promises
 * (about 2 ms to load) is then not loaded at all when the scan writes no redacted copies.
 */
function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * `paths` as users write them for upload-artifact: one glob per line (or comma), `!pattern` to exclude, a directory
 * meaning everything under it. Unlike Node's glob, hidden files and directories (`.env`, `.npmrc`) match `*` and `**`:
 * a secret scanner that skips them would skip the likeliest places for secrets.
 */
const GLOB_CHARS = /[*?[\]{}]/;
/** Segments starting with a dot are compared with this character instead, so `*` matches them. */
const DOT = '\u0001';
const undot = (path: string) => path.replace(/(^|\/)\./g, `$1${DOT}`);

function normalizePattern(pattern: string, cwd: string): string {
  const slashed = pattern.replace(/\\/g, '/');
  const absolute = isAbsolute(slashed) ? slashed : join(cwd, slashed).replace(/\\/g, '/');
  const trailing = /\/$/.test(slashed) ? '/' : '';
  return `${resolve(absolute).replace(/\\/g, '/')}${trailing}`.replace(/\/+$/, trailing ? '/' : '');
}

function walk(dir: string, out: string[]): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (entry.isFile()) out.push(path);
    else if (entry.isSymbolicLink()) {
      // Linked files are uploaded by upload-artifact, so they are scanned; linked directories are not followed.
      if (statOrUndefined(path)?.isFile()) out.push(path);
    }
  }
}

/** Files matched by the patterns (absolute, sorted, de-duplicated), and the include patterns that matched nothing. */
export async function expandPaths(
  patterns: readonly string[],
  cwd: string,
): Promise<{ files: string[]; unmatched: string[] }> {
  const includes = patterns.filter((p) => p.trim() !== '' && !p.trim().startsWith('!')).map((p) => p.trim());
  const excludes = patterns
    .filter((p) => p.trim().startsWith('!'))
    .map((p) => undot(normalizePattern(p.trim().slice(1), cwd)));
  if (includes.length === 0)
    throw new RedactError('scan-input', 'no paths to scan: give at least one file, directory or glob');
  const found = new Set<string>();
  const unmatched: string[] = [];
  for (const pattern of includes) {
    const absolute = normalizePattern(pattern, cwd);
    const matched: string[] = [];
    if (!GLOB_CHARS.test(absolute)) {
      const info = statOrUndefined(absolute);
      if (info?.isFile()) matched.push(absolute);
      else if (info?.isDirectory()) walk(absolute, matched);
    } else {
      const segments = absolute.split('/');
      const firstGlob = segments.findIndex((s) => GLOB_CHARS.test(s));
      const base = segments.slice(0, firstGlob).join('/') || '/';
      const candidates: string[] = [];
      walk(base, candidates);
      const glob = undot(absolute);
      for (const file of candidates) {
        const slashed = file.split(sep).join('/');
        if (matchesGlob(undot(slashed), glob) || matchesGlob(undot(slashed), `${glob}/**`)) matched.push(file);
      }
    }
    const kept = matched.filter((file) => {
      const slashed = undot(file.split(sep).join('/'));
      return !excludes.some((x) => matchesGlob(slashed, x) || matchesGlob(slashed, `${x}/**`));
    });
    if (kept.length === 0) unmatched.push(pattern);
    for (const file of kept) found.add(file);
  }
  return { files: [...found].sort(), unmatched };
}

/** A path for reports: relative to `root` with forward slashes when inside it, else absolute. */
export function displayPath(file: string, root: string): string {
  const rel = relative(root, file);
  return (rel.startsWith('..') || isAbsolute(rel) ? file : rel).split(sep).join('/');
}
