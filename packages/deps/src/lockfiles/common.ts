/**
 * What every lockfile reader shares: the options, the format descriptor, name normalisation as OSV names packages,
 * Package URLs, and the collector that de-duplicates packages within one lockfile.
 */
import {
  DepsError,
  type Ecosystem,
  type LockfileResult,
  type Package,
  type Scope,
  type UnpinnedRequirement,
} from '../model.ts';

export interface ParseOptions {
  /**
   * Reads another file by its path relative to the scan root (forward slashes), for `-r`/`-c` includes, the
   * package.json beside a yarn.lock, a parent pom.xml. Returns undefined when the file does not exist. Without it,
   * those inputs are treated as absent.
   */
  readonly readFile?: (path: string) => string | undefined;
  /** Report the Go standard library (from go.mod's toolchain or go directive) as package `stdlib`. Default false. */
  readonly goStdlib?: boolean;
  /** Largest lockfile read, in bytes (default {@link DEFAULT_MAX_LOCKFILE_BYTES}); larger ones fail with `lockfile-too-large`. */
  readonly maxBytes?: number;
}

/** 256 MiB: several times the largest real lockfiles, small enough to parse in bounded time and memory. */
export const DEFAULT_MAX_LOCKFILE_BYTES = 256 * 1024 * 1024;

export interface LockfileFormat {
  /** The file name (or pattern) this format reads: `package-lock.json`, `requirements*.txt`, … */
  readonly name: string;
  readonly ecosystem: Ecosystem;
  parse(path: string, text: string, options: ParseOptions): LockfileResult;
}

/** PEP 503: lowercase, runs of `-`, `_`, `.` become one `-`. */
export function pep503(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

const PURL_TYPE: Record<Ecosystem, string> = {
  npm: 'npm',
  PyPI: 'pypi',
  Go: 'golang',
  'crates.io': 'cargo',
  RubyGems: 'gem',
  Packagist: 'composer',
  Maven: 'maven',
  NuGet: 'nuget',
  Pub: 'pub',
  Hex: 'hex',
};

function encodeSegment(s: string): string {
  // toWellFormed: a lone surrogate (from a damaged file) would make encodeURIComponent throw.
  return /^[A-Za-z0-9._~-]*$/.test(s) ? s : encodeURIComponent(s.toWellFormed()).replace(/%3A/gi, ':');
}

/** A Package URL as the purl specification writes it for the ecosystem. */
export function purl(ecosystem: Ecosystem, name: string, version: string): string {
  const type = PURL_TYPE[ecosystem];
  let namespace = '';
  let base = name;
  let ver = version;
  switch (ecosystem) {
    case 'npm':
      if (name.startsWith('@') && name.includes('/')) {
        namespace = name.slice(0, name.indexOf('/'));
        base = name.slice(name.indexOf('/') + 1);
      }
      break;
    case 'Maven': {
      const colon = name.indexOf(':');
      if (colon > 0) {
        namespace = name.slice(0, colon);
        base = name.slice(colon + 1);
      }
      break;
    }
    case 'Packagist':
      if (name.includes('/')) {
        namespace = name.slice(0, name.indexOf('/'));
        base = name.slice(name.indexOf('/') + 1);
      }
      break;
    case 'Go': {
      const slash = name.lastIndexOf('/');
      if (slash > 0) {
        namespace = name.slice(0, slash);
        base = name.slice(slash + 1);
      }
      if (/^\d/.test(ver)) ver = `v${ver}`;
      break;
    }
    case 'PyPI':
      base = pep503(name);
      break;
    case 'Hex':
    case 'Pub':
      base = name.toLowerCase();
      break;
    default:
      break;
  }
  const ns = namespace === '' ? '' : `${namespace.split('/').map(encodeSegment).join('/')}/`;
  return `pkg:${type}/${ns}${encodeSegment(base)}${ver === '' ? '' : `@${encodeSegment(ver)}`}`;
}

const SCOPE_RANK: Record<Scope, number> = { runtime: 3, optional: 2, dev: 1 };

export interface AddOptions {
  readonly scope?: Scope;
  readonly direct?: boolean;
  readonly license?: string;
  /** Where the package came from when not the lockfile itself (an included requirements file). */
  readonly path?: string;
}

/**
 * Collects the packages of one lockfile. The same name and version found twice (npm installs one package at several
 * paths) is one package: the first line, the widest scope (runtime over optional over dev), direct if either is.
 */
export class Collector {
  readonly path: string;
  readonly ecosystem: Ecosystem;
  private readonly byKey = new Map<string, Package>();
  readonly unpinned: UnpinnedRequirement[] = [];
  readonly warnings: string[] = [];

  constructor(path: string, ecosystem: Ecosystem) {
    this.path = path;
    this.ecosystem = ecosystem;
  }

  add(name: string, version: string, line: number, options: AddOptions = {}): void {
    const key = `${name}\u0000${version}`;
    const scope = options.scope ?? 'runtime';
    const existing = this.byKey.get(key);
    if (existing !== undefined) {
      const widened = SCOPE_RANK[scope] > SCOPE_RANK[existing.scope];
      const direct = options.direct === true && existing.direct !== true;
      if (widened || direct || (existing.license === undefined && options.license !== undefined)) {
        this.byKey.set(key, {
          ...existing,
          scope: widened ? scope : existing.scope,
          ...(direct || existing.direct !== undefined || options.direct !== undefined
            ? { direct: existing.direct === true || options.direct === true }
            : {}),
          ...(existing.license === undefined && options.license !== undefined ? { license: options.license } : {}),
        });
      }
      return;
    }
    const pkg: { -readonly [K in keyof Package]: Package[K] } = {
      ecosystem: this.ecosystem,
      name,
      version,
      scope,
      source: { path: options.path ?? this.path, line },
      purl: purl(this.ecosystem, name, version),
    };
    if (options.license !== undefined) pkg.license = options.license;
    if (options.direct !== undefined) pkg.direct = options.direct;
    this.byKey.set(key, pkg);
  }

  addUnpinned(name: string, spec: string, line: number, path?: string): void {
    this.unpinned.push({ ecosystem: this.ecosystem, name, spec, source: { path: path ?? this.path, line } });
  }

  warn(line: number, message: string, path?: string): void {
    this.warnings.push(`${path ?? this.path}:${line}: ${message}`);
  }

  get size(): number {
    return this.byKey.size;
  }

  result(kind: string): LockfileResult {
    const packages = [...this.byKey.values()].sort(
      (a, b) =>
        (a.source.path === b.source.path ? 0 : a.source.path < b.source.path ? -1 : 1) || a.source.line - b.source.line,
    );
    const unpinned = [...this.unpinned].sort(
      (a, b) =>
        (a.source.path === b.source.path ? 0 : a.source.path < b.source.path ? -1 : 1) || a.source.line - b.source.line,
    );
    return { path: this.path, kind, packages, unpinned, warnings: this.warnings };
  }
}

/** 1-based line number of each offset: lines[i] is the offset where line i+1 starts. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  let i = text.indexOf('\n');
  while (i >= 0) {
    starts.push(i + 1);
    i = text.indexOf('\n', i + 1);
  }
  return starts;
}

/** Split into lines (LF or CRLF), without the BOM. */
export function splitLines(text: string): string[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (l.endsWith('\r')) lines[i] = l.slice(0, -1);
  }
  return lines;
}

/** The directory part of a forward-slash path ('' for a bare file name). */
export function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Join and normalise forward-slash paths; undefined when `..` would climb above the root. */
export function joinPath(dir: string, rel: string): string | undefined {
  const parts = dir === '' ? [] : dir.split('/');
  for (const seg of rel.replace(/\\/g, '/').split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length === 0 || parts[parts.length - 1] === '..') return undefined;
      parts.pop();
    } else parts.push(seg);
  }
  return parts.join('/');
}

/** An unsupported lockfile version or layout: `package-lock.json:2: lockfileVersion 4 is not supported …`. */
export function unsupported(path: string, line: number, message: string): DepsError {
  return new DepsError('lockfile-unsupported', `${path}:${line}: ${message}`);
}

export function lockfileTooLarge(path: string, size: number, max: number): DepsError {
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return new DepsError(
    'lockfile-too-large',
    `${path}: ${mib(size)} is larger than the ${mib(max)} limit for a lockfile; raise the limit if this file is genuine`,
  );
}
