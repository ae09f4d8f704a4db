import { type Stats, statSync } from 'node:fs';
import { basename, isAbsolute, relative, resolve, sep } from 'node:path';
import { quote } from '@airlock/core';
import { errnoText, fsp, mapLimit, parseSha256, type Sha256Hex, sha256File } from './digest.ts';
import { SigningError } from './errors.ts';

/**
 * The artifacts a signature or an attestation is about: in-toto ResourceDescriptors with a name and a SHA-256
 * digest. `path` is set when the subject is a file on disk (blob signing needs it).
 */
export interface Subject {
  readonly name: string;
  readonly digest: { readonly sha256: Sha256Hex };
  readonly path?: string;
  readonly size?: number;
}

export interface SubjectSources {
  /** Paths or globs (`dist/**\/*.tgz`), relative to `root` unless absolute. */
  readonly paths?: readonly string[];
  /** `sha256:<hex>` digests of things built elsewhere (images…), paired by position with `names`. */
  readonly digests?: readonly string[];
  readonly names?: readonly string[];
  /** sha256sum files (`<hex>  <name>` lines, or BSD `SHA256 (name) = <hex>`). */
  readonly checksums?: readonly string[];
  /** The directory relative paths start from (the workspace). */
  readonly root: string;
  /** How many files are hashed at once. */
  readonly concurrency?: number;
  /** What inputs are called, for error messages (`input 'subject-path'` or `--subject`). */
  readonly labels?: { paths?: string; digests?: string; names?: string; checksums?: string };
}

const GLOB_CHARS = /[*?[\]{}]/;

/**
 * Resolve every subject source to a deduplicated list: globs expanded (directories skipped), files hashed by
 * streaming, checksum files parsed. A pattern that matches nothing is an error, never a silent empty list.
 */
export async function resolveSubjects(sources: SubjectSources): Promise<Subject[]> {
  const labels = {
    paths: "input 'subject-path'",
    digests: "input 'subject-digest'",
    names: "input 'subject-name'",
    checksums: "input 'subject-checksums'",
    ...sources.labels,
  };
  const root = resolve(sources.root);
  const files = await expandPaths(sources.paths ?? [], root, labels.paths);
  const hashed = await mapLimit(files, sources.concurrency ?? 8, async (file) => {
    const { digest, size } = await sha256File(file, displayPath(file, root));
    return { name: subjectName(file, root), digest: { sha256: digest }, path: file, size } satisfies Subject;
  });

  const given: Subject[] = [];
  const digests = sources.digests ?? [];
  const names = sources.names ?? [];
  if (digests.length !== names.length) {
    throw new SigningError(
      'subject-invalid',
      `${labels.digests} has ${digests.length} digest(s) but ${labels.names} has ${names.length} name(s); give one name per digest, in the same order`,
    );
  }
  digests.forEach((text, i) => {
    const digest = parseSha256(text);
    if (digest === undefined) {
      throw new SigningError(
        'subject-invalid',
        `${labels.digests} item ${i + 1} must be sha256:<64 hex digits>; got ${quote(text)}`,
      );
    }
    given.push({ name: names[i] as string, digest: { sha256: digest } });
  });

  for (const file of sources.checksums ?? []) {
    const path = resolve(root, file);
    let text: string;
    try {
      text = await fsp().readFile(path, 'utf8');
    } catch (cause) {
      throw new SigningError('subject-unreadable', `${labels.checksums}: cannot read ${file}: ${errnoText(cause)}`, {
        cause,
      });
    }
    given.push(...parseChecksums(text, file));
  }
  return dedupeSubjects([...hashed, ...given]);
}

/** A literal path is looked up synchronously: one system call, and no node:fs/promises when no glob is given. */
function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/**
 * Expand paths and globs to files (absolute paths, sorted per pattern, duplicates removed). A literal path that does
 * not exist, a directory, or a glob that matches nothing is an error naming the input.
 */
export async function expandPaths(patterns: readonly string[], root: string, label: string): Promise<string[]> {
  const out: string[] = [];
  for (const pattern of patterns) {
    const literal = resolve(root, pattern);
    const info = statOrUndefined(literal);
    if (info?.isFile()) {
      out.push(literal);
      continue;
    }
    if (info?.isDirectory()) {
      throw new SigningError(
        'subject-invalid',
        `${label}: ${quote(pattern)} is a directory; give files or a glob such as ${pattern.replace(/\/+$/, '')}/**/*`,
      );
    }
    if (!GLOB_CHARS.test(pattern)) {
      throw new SigningError('subject-not-found', `${label}: ${quote(pattern)} does not exist (looked in ${root})`);
    }
    const matches: string[] = [];
    for await (const match of fsp().glob(pattern, { cwd: root })) {
      const path = isAbsolute(match) ? match : resolve(root, match);
      const entry = await fsp()
        .stat(path)
        .catch(() => undefined);
      if (entry?.isFile()) matches.push(path);
    }
    if (matches.length === 0) {
      throw new SigningError('subject-not-found', `${label}: the pattern ${quote(pattern)} matched no file in ${root}`);
    }
    out.push(...matches.sort());
  }
  return [...new Set(out)];
}

/** A subject's name: the path relative to the workspace with `/` separators, or the file name outside it. */
export function subjectName(path: string, root: string): string {
  const rel = relative(root, path);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return basename(path);
  return rel.split(sep).join('/');
}

function displayPath(path: string, root: string): string {
  const rel = relative(root, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** Identical name+digest pairs collapse into one, keeping the first (which carries the path when there is one). */
export function dedupeSubjects(subjects: readonly Subject[]): Subject[] {
  const seen = new Set<string>();
  const out: Subject[] = [];
  for (const subject of subjects) {
    const key = `${subject.digest.sha256}\u0000${subject.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(subject);
  }
  return out;
}

/**
 * Parse a checksum file as `sha256sum` writes it (`<hex>  <name>`, `<hex> *<name>` for binary mode, a leading `\`
 * when the name has escaped characters) or in BSD tag style (`SHA256 (<name>) = <hex>`). Blank lines and `#`
 * comments are skipped; anything else is an error naming the file and line.
 */
export function parseChecksums(text: string, file: string): Subject[] {
  const out: Subject[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trimEnd();
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const gnu = /^(\\?)([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    const bsd = /^(\\?)SHA256 \((.+)\) = ([0-9a-fA-F]{64})$/.exec(line);
    let name: string;
    let digest: string;
    let escaped: boolean;
    if (gnu) {
      escaped = gnu[1] === '\\';
      digest = gnu[2] as string;
      name = gnu[3] as string;
    } else if (bsd) {
      escaped = bsd[1] === '\\';
      name = bsd[2] as string;
      digest = bsd[3] as string;
    } else {
      const why = /^[0-9a-fA-F]+\s/.test(line)
        ? 'the digest is not 64 hex digits (only SHA-256 checksums are accepted)'
        : 'expected `<sha256 hex>  <file name>` as sha256sum writes it';
      throw new SigningError('checksums-invalid', `${file}:${index + 1}: ${why}; got ${quote(line)}`);
    }
    if (escaped) name = name.replace(/\\(\\|n|r)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
    out.push({ name, digest: { sha256: digest.toLowerCase() } });
  });
  if (out.length === 0) throw new SigningError('checksums-invalid', `${file}: no checksums in the file`);
  return out;
}
