/**
 * One scan, as the action and the CLI run it: find the lockfiles, parse them, load advisories (offline export or the
 * OSV API), match exactly, score severities, apply the policy; in pull-request mode, do the same for the base
 * revision's lockfiles (read with `git show`) and keep only what the change introduces.
 *
 * Any failure to read a lockfile or the advisory database throws a DepsError naming the file (and line): a scan that
 * could not look is never reported as "no vulnerabilities".
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type HttpClient, type Logger, nullLogger } from '@airlock/core';
import { type BaseRevision, readBaseLockfile } from './diff.ts';
import { discoverLockfiles } from './discovery.ts';
import { parseLockfile } from './lockfiles/index.ts';
import { loadLockfile } from './lockfiles/load.ts';
import { DepsError, type Ecosystem, type LockfileResult, type Package, type VersionScheme } from './model.ts';
import { type AdvisoryIndex, matchPackages, type Undecided } from './osv/match.ts';
import { OfflineDb } from './osv/offline.ts';
import { OsvApi } from './osv/online.ts';
import { type AssessedFinding, evaluatePolicy, type Policy, type PolicyResult } from './policy.ts';
import { groupSeverity, LEVEL_RANK, type SeverityLevel } from './severity/index.ts';
import { versionScheme } from './versions/index.ts';

export type AdvisorySourceOptions =
  | { readonly kind: 'offline'; readonly dir: string; readonly indexDir?: string }
  | {
      readonly kind: 'online';
      readonly http: HttpClient;
      readonly baseUrl?: string | URL;
      readonly cacheDir?: string;
      readonly concurrency?: number;
    };

export type NoLockfilesOutcome = 'fail' | 'warn' | 'ignore';

export interface ScanOptions {
  /** The directory paths are relative to (the workspace, the current directory). */
  readonly root: string;
  /** Lockfiles or directories to search, relative to root. Default: the root. */
  readonly paths?: readonly string[];
  readonly source: AdvisorySourceOptions;
  readonly policy: Policy;
  /** Pull-request mode: compare with this revision and report only what the change introduces. */
  readonly base?: BaseRevision;
  readonly noLockfiles?: NoLockfilesOutcome;
  readonly goStdlib?: boolean;
  readonly now?: () => Date;
  readonly log?: Logger;
  /** Version order per ecosystem (default: the ecosystem half's comparators). */
  readonly schemes?: (ecosystem: Ecosystem) => VersionScheme | undefined;
}

export interface LockfileSummary {
  readonly path: string;
  readonly kind: string;
  readonly packages: number;
  readonly warnings: readonly string[];
}

export interface ScanReport {
  readonly root: string;
  readonly lockfiles: readonly LockfileSummary[];
  readonly packages: readonly Package[];
  readonly unpinned: readonly LockfileResult['unpinned'][number][];
  /** Findings at the head; in pull-request mode only those the change introduces. */
  readonly findings: readonly AssessedFinding[];
  readonly policy: PolicyResult;
  readonly notEvaluated: readonly Undecided[];
  readonly warnings: readonly string[];
  readonly source: string;
  readonly counts: Readonly<Record<SeverityLevel, number>>;
  readonly base?: {
    readonly ref: string;
    readonly packages: number;
    /** Findings present at the base too, not reported. */
    readonly preexisting: number;
  };
  readonly timings: Readonly<Record<string, number>>;
}

const defaultSchemes = (ecosystem: Ecosystem): VersionScheme | undefined => {
  try {
    return versionScheme(ecosystem);
  } catch {
    return undefined;
  }
};

/** Lockfile paths for the given paths: files as they are, directories searched. */
async function lockfilePaths(root: string, paths: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const path of paths.length === 0 ? ['.'] : paths) {
    const full = resolve(root, path);
    let isDir: boolean;
    try {
      isDir = statSync(full).isDirectory();
    } catch (cause) {
      throw new DepsError('lockfile-io', `${path}: no such file or directory`, { cause });
    }
    if (isDir) {
      for (const found of await discoverLockfiles(full)) {
        out.add(path === '.' ? found : `${path.replace(/\/+$/, '')}/${found}`);
      }
    } else {
      out.add(path);
    }
  }
  return [...out].sort();
}

export async function scan(options: ScanOptions): Promise<ScanReport> {
  const log = options.log ?? nullLogger;
  const now = options.now ?? (() => new Date());
  const schemes = options.schemes ?? defaultSchemes;
  const timings: Record<string, number> = {};
  const time = async <T>(what: string, fn: () => Promise<T> | T): Promise<T> => {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      timings[what] = (timings[what] ?? 0) + performance.now() - started;
    }
  };

  const root = resolve(options.root);
  const files = await time('discover', () => lockfilePaths(root, options.paths ?? ['.']));
  const warnings: string[] = [];
  if (files.length === 0) {
    const message = `no lockfile found under ${(options.paths ?? ['.']).join(', ')} (see docs/supported-lockfiles.md for the files Airlock reads)`;
    if ((options.noLockfiles ?? 'fail') === 'fail') throw new DepsError('no-lockfiles', message);
    warnings.push(message);
  }
  const results = await time('parse', async () => {
    const out: LockfileResult[] = [];
    for (const file of files) out.push(await loadLockfile(root, file, { goStdlib: options.goStdlib === true }));
    return out;
  });
  const packages = results.flatMap((r) => r.packages);
  for (const r of results) for (const w of r.warnings) warnings.push(`${r.path}: ${w}`);

  // Pull-request mode: the same lockfiles at the base revision.
  let basePackages: Package[] | undefined;
  if (options.base !== undefined) {
    const base = options.base;
    basePackages = await time('base', () =>
      files.flatMap((file) => {
        const text = readBaseLockfile(base, file);
        if (text === undefined) return [];
        try {
          return parseLockfile(file, text, {
            goStdlib: options.goStdlib === true,
            readFile: (path) => readBaseLockfile(base, path),
          }).packages;
        } catch (error) {
          if (!(error instanceof DepsError) || error.code === 'git') throw error;
          // A base lockfile this version cannot read is treated as absent: everything at the head is reported (the
          // conservative direction), and the reason is shown.
          warnings.push(
            `base ${base.ref.slice(0, 12)}: ${error.message}; comparing as if the file did not exist there`,
          );
          return [];
        }
      }),
    );
  }

  const index: AdvisoryIndex = await time('advisories', async () => {
    const wanted = basePackages === undefined ? packages : [...packages, ...basePackages];
    if (options.source.kind === 'offline') {
      const db = new OfflineDb({
        dir: options.source.dir,
        ...(options.source.indexDir === undefined ? {} : { indexDir: options.source.indexDir }),
      }).load(wanted);
      for (const l of db.loads) {
        log.debug(
          `${l.ecosystem}/all.zip: ${l.entries} advisories, ${l.inflated} read${l.indexed ? ' (name index)' : ''}, ${l.parsed} parsed, ${l.ms.toFixed(0)} ms`,
        );
      }
      return db;
    }
    const api = new OsvApi({
      http: options.source.http,
      ...(options.source.baseUrl === undefined ? {} : { baseUrl: options.source.baseUrl }),
      ...(options.source.cacheDir === undefined ? {} : { cacheDir: options.source.cacheDir }),
      ...(options.source.concurrency === undefined ? {} : { concurrency: options.source.concurrency }),
      log,
    });
    await api.load(wanted);
    const s = api.stats;
    log.debug(
      `OSV API: ${s.queries} queries in ${s.batches} batches, ${s.ids} advisories (${s.fetched} fetched, ${s.cached} cached)`,
    );
    return api;
  });

  const match = await time('match', () => matchPackages(packages, index, schemes));
  const problems: string[] = [];
  let findings: AssessedFinding[] = match.findings.map((f) => ({
    ...f,
    severity: groupSeverity(f.advisories, f.package.name, problems),
  }));
  for (const p of new Set(problems)) warnings.push(p);
  findings.sort(
    (a, b) =>
      LEVEL_RANK[b.severity.level] - LEVEL_RANK[a.severity.level] ||
      (b.severity.score ?? 0) - (a.severity.score ?? 0) ||
      a.package.source.path.localeCompare(b.package.source.path) ||
      a.package.name.localeCompare(b.package.name) ||
      a.id.localeCompare(b.id),
  );

  let reportedPackages: readonly Package[] = packages;
  let baseInfo: ScanReport['base'];
  if (basePackages !== undefined && options.base !== undefined) {
    const baseMatch = matchPackages(basePackages, index, schemes);
    const key = (path: string, ecosystem: string, name: string, ids: readonly string[]) =>
      ids.map((id) => `${path}\u0000${ecosystem}\u0000${name}\u0000${id.toUpperCase()}`);
    const before = new Set(
      baseMatch.findings.flatMap((f) => key(f.package.source.path, f.package.ecosystem, f.package.name, f.ids)),
    );
    const all = findings.length;
    findings = findings.filter(
      (f) => !key(f.package.source.path, f.package.ecosystem, f.package.name, f.ids).some((k) => before.has(k)),
    );
    const had = new Set(
      basePackages.map((p) => `${p.source.path}\u0000${p.ecosystem}\u0000${p.name}\u0000${p.version}`),
    );
    reportedPackages = packages.filter(
      (p) => !had.has(`${p.source.path}\u0000${p.ecosystem}\u0000${p.name}\u0000${p.version}`),
    );
    baseInfo = { ref: options.base.ref, packages: basePackages.length, preexisting: all - findings.length };
  }

  const policy = evaluatePolicy(findings, reportedPackages, options.policy, now());
  const counts: Record<SeverityLevel, number> = { critical: 0, high: 0, medium: 0, low: 0, none: 0, unscored: 0 };
  for (const d of policy.decisions) if (d.disposition.kind !== 'ignored') counts[d.finding.severity.level]++;
  return {
    root,
    lockfiles: results.map((r) => ({ path: r.path, kind: r.kind, packages: r.packages.length, warnings: r.warnings })),
    packages,
    unpinned: results.flatMap((r) => r.unpinned),
    findings,
    policy,
    notEvaluated: match.notEvaluated,
    warnings,
    source:
      options.source.kind === 'offline'
        ? `offline database ${options.source.dir}`
        : `OSV API ${options.source.baseUrl ?? 'https://api.osv.dev'}`,
    counts,
    ...(baseInfo === undefined ? {} : { base: baseInfo }),
    timings,
  };
}
