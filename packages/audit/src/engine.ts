import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { type AuditConfig, DEFAULT_CONFIG, matchesAny } from './config.ts';
import { AuditError } from './errors.ts';
import { compareFindings, type Finding } from './finding.ts';
import type { JobIdentities } from './inventory.ts';
import { buildAction, buildWorkflow, looksLikeAction } from './model/build.ts';
import type { Document } from './model/types.ts';
import { RULE_IDS, RULES, type Rule } from './rules/index.ts';
import { type Siblings, setSiblings } from './rules/shared.ts';
import type { Report } from './rules/types.ts';
import { highest, type Severity } from './severity.ts';
import { parseSource, type SourceFile } from './source/yaml.ts';
import { applySuppressions } from './suppress.ts';

/** Files larger than this are refused: no workflow is anywhere near it, and parsing one should not take minutes. */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;

export type FileKind = 'workflow' | 'action';

export interface AuditInput {
  /** Path as shown in findings (relative to the audit root, `/` separated). */
  readonly path: string;
  readonly text: string;
  /** Decided from the name and content when not given. */
  readonly kind?: FileKind;
}

export interface AuditOptions {
  readonly config?: AuditConfig;
  /** The clock for ignore expiry. */
  readonly now?: Date;
  /** Files that are not audited but that rules may look into (the repository's reusable workflows). */
  readonly context?: readonly AuditInput[];
}

export interface AuditResult {
  /** Findings that count, sorted by path, line and column. */
  readonly findings: readonly Finding[];
  /** Findings silenced by an ignore (kept for SARIF and the summary). */
  readonly suppressed: readonly Finding[];
  /** The parsed documents (empty when the audit ran in worker threads: see inventoryJobs). */
  readonly documents: readonly Document[];
  readonly files: ReadonlyMap<string, SourceFile>;
  /** Workflow or action, per path. */
  readonly kinds: ReadonlyMap<string, FileKind>;
  /** The identity inventory's jobs, when worker threads computed them (documents stay in the workers). */
  readonly inventoryJobs?: readonly JobIdentities[];
  /** The threads (this one and workers) the audit ran in, when worker threads took part. */
  readonly threads?: number;
  readonly highest: Severity | undefined;
}

function runRule(rule: Rule, doc: Document, file: SourceFile, out: Finding[]): void {
  if (rule.check === undefined) return;
  if (rule.scope === 'workflow' && doc.kind !== 'workflow') return;
  if (rule.scope === 'action' && doc.kind !== 'action') return;
  rule.check({
    file,
    doc,
    report: (r: Report) => {
      const start = file.position(r.span.start);
      const end = file.position(Math.max(r.span.end, r.span.start));
      const from = r.within === undefined ? start.line : Math.min(start.line, file.position(r.within.start).line);
      out.push({
        rule: rule.id,
        severity: r.severity ?? rule.severity,
        confidence: r.confidence ?? rule.confidence,
        path: file.path,
        line: start.line,
        column: start.column,
        endLine: end.line,
        endColumn: Math.max(end.column, end.line === start.line ? start.column + 1 : end.column),
        message: r.message,
        scope: { from, to: start.line },
        ...(r.fix === undefined ? {} : { fix: r.fix }),
      });
    },
  });
}

/** Parse one file into a document. */
export function parseDocumentFile(input: AuditInput): Document {
  const file = parseSource(input.path, input.text);
  const kind = input.kind ?? (looksLikeAction(file, basename(input.path)) ? 'action' : 'workflow');
  return kind === 'action' ? buildAction(file) : buildWorkflow(file);
}

export interface RawAudit {
  /** Findings after severity overrides and de-duplication, before ignores are applied. */
  readonly findings: Finding[];
  readonly documents: Document[];
}

function disabledRules(config: AuditConfig): Set<string> {
  return new Set([...config.rules].filter(([, s]) => !s.enabled).map(([id]) => id));
}

/**
 * Can a rule of these files look up another document of the audit? Only a job calling a reusable workflow of the
 * repository does (`uses: ./.github/workflows/x.yml`), and that reference holds "workflows" in the text (a YAML
 * alias points at text of the same file; only a double-quoted escape could spell it otherwise, hence the backslash).
 */
function mayLookUpSiblings(inputs: readonly AuditInput[]): boolean {
  return inputs.some((i) => i.text.includes('\\') || /workflows/i.test(i.text));
}

/**
 * Parse and run the rules over some files: the part of an audit that can run in parallel. With `each`, every
 * document is handed to it right after its rules ran and not kept (the result's documents are empty): when no file
 * can look up another, each file is parsed when its turn comes and is garbage once `each` returns, so a large audit
 * holds one parsed file at a time instead of all of them.
 */
export function auditRaw(
  inputs: readonly AuditInput[],
  config: AuditConfig = DEFAULT_CONFIG,
  /** Other files of the audit, parsed only if a rule looks them up (a worker's view of the whole audit). */
  context: readonly AuditInput[] = [],
  each?: (doc: Document) => void,
): RawAudit {
  const raw: Finding[] = [];
  const disabled = disabledRules(config);
  const check = (doc: Document) => {
    for (const rule of RULES) if (!disabled.has(rule.id)) runRule(rule, doc, doc.file, raw);
  };
  const overridden = () =>
    dedupe(
      raw.map((f) => {
        const severity = config.rules.get(f.rule)?.severity;
        return severity === undefined ? f : { ...f, severity };
      }),
    );
  if (each !== undefined && !mayLookUpSiblings(inputs)) {
    // No rule can ask for another document: the resolver is never called, so no document needs to outlive its turn.
    const none: Siblings = () => undefined;
    for (const input of inputs) {
      const doc = parseDocumentFile(input);
      setSiblings(doc, none);
      check(doc);
      each(doc);
    }
    return { findings: overridden(), documents: [] };
  }
  const documents = inputs.map(parseDocumentFile);
  const byPath = new Map<string, Document>(documents.map((d) => [d.file.path.toLowerCase(), d]));
  const pending = new Map(context.map((i) => [i.path.toLowerCase(), i]));
  const siblings: Siblings = (path) => {
    const key = [...byPath.keys(), ...pending.keys()].find((p) => p === path || p.endsWith(`/${path}`));
    if (key === undefined) return undefined;
    let doc = byPath.get(key);
    if (doc === undefined) {
      doc = parseDocumentFile(pending.get(key) as AuditInput);
      byPath.set(key, doc);
      pending.delete(key);
    }
    return doc;
  };
  for (const doc of documents) {
    setSiblings(doc, siblings);
    check(doc);
    each?.(doc);
  }
  return { findings: overridden(), documents: each === undefined ? documents : [] };
}

/** Apply the configuration's ignores and the inline ones to raw findings, and sort. */
export function finishAudit(
  raw: readonly Finding[],
  files: ReadonlyMap<string, SourceFile>,
  documents: readonly Document[],
  options: AuditOptions = {},
  extra: Partial<Pick<AuditResult, 'kinds' | 'inventoryJobs' | 'threads'>> = {},
): AuditResult {
  const config = options.config ?? DEFAULT_CONFIG;
  const now = options.now ?? new Date();
  const disabled = disabledRules(config);
  const { active, suppressed, problems } = applySuppressions(raw, files, config, now, RULE_IDS, disabled);
  const findings = [...active, ...problems.filter((p) => !disabled.has(p.rule))].sort(compareFindings);
  return {
    findings,
    suppressed: suppressed.sort(compareFindings),
    documents,
    files,
    kinds: extra.kinds ?? new Map(documents.map((d) => [d.file.path, d.kind])),
    ...(extra.inventoryJobs === undefined ? {} : { inventoryJobs: extra.inventoryJobs }),
    ...(extra.threads === undefined ? {} : { threads: extra.threads }),
    highest: highest(findings.map((f) => f.severity)),
  };
}

/** Audit files already read. Pure: no file system, no network. */
export function auditTexts(inputs: readonly AuditInput[], options: AuditOptions = {}): AuditResult {
  const raw = auditRaw(inputs, options.config ?? DEFAULT_CONFIG, options.context ?? []);
  const files = new Map(raw.documents.map((d) => [d.file.path, d.file]));
  return finishAudit(raw.findings, files, raw.documents, options);
}

function dedupe(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.rule}\0${f.path}\0${f.line}\0${f.column}\0${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const SKIP_DIRS = new Set(['node_modules', '.git', '.build', 'dist', 'vendor', '.venv', '__pycache__']);
const YAML = /\.ya?ml$/i;

export interface DiscoveredFile {
  /** Absolute path. */
  readonly absolute: string;
  /** Relative to the root, `/` separated. */
  readonly path: string;
  readonly kind: FileKind | undefined;
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

/**
 * The files an audit of these paths covers. A directory with `.github/workflows` is a repository root: its workflows
 * and every action.yml/action.yaml below it (node_modules, .git, dist and vendor skipped). Any other directory: the
 * workflow files directly in it and the action metadata below it. A file: itself.
 */
export function discover(root: string, paths: readonly string[], exclude: readonly string[] = []): DiscoveredFile[] {
  const out = new Map<string, DiscoveredFile>();
  const rootAbs = resolve(root);
  const add = (absolute: string, kind: FileKind | undefined) => {
    const rel = toPosix(relative(rootAbs, absolute));
    const path = rel === '' || rel.startsWith('..') ? toPosix(absolute) : rel;
    if (exclude.length > 0 && matchesAny(path, exclude)) return;
    if (!out.has(absolute)) out.set(absolute, { absolute, path, kind });
  };
  const actionsBelow = (dir: string, depth: number) => {
    if (depth > 12) return;
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) {
        if (SKIP_DIRS.has(e.name) || (e.name.startsWith('.') && e.name !== '.github')) continue;
        actionsBelow(join(dir, e.name), depth + 1);
      } else if (e.isFile() && /^action\.ya?ml$/.test(e.name)) add(join(dir, e.name), 'action');
    }
  };
  for (const p of paths) {
    const absolute = isAbsolute(p) ? p : resolve(rootAbs, p);
    if (!existsSync(absolute)) throw new AuditError('path-not-found', `${p} does not exist`);
    const stat = statSync(absolute);
    if (stat.isDirectory()) {
      const workflows = join(absolute, '.github', 'workflows');
      const dir = existsSync(workflows) ? workflows : absolute;
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isFile() && YAML.test(e.name) && !/^action\.ya?ml$/.test(e.name)) add(join(dir, e.name), 'workflow');
      }
      actionsBelow(absolute, 0);
    } else {
      add(absolute, undefined);
    }
  }
  return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Read discovered files (bounded in size). */
export function readInputs(files: readonly DiscoveredFile[]): AuditInput[] {
  return files.map((f) => {
    let size: number;
    try {
      size = statSync(f.absolute).size;
    } catch (cause) {
      throw new AuditError('path-unreadable', `cannot read ${f.path}: ${(cause as NodeJS.ErrnoException).code}`, {
        cause,
      });
    }
    if (size > MAX_FILE_BYTES) {
      throw new AuditError(
        'path-unreadable',
        `${f.path} is ${size} bytes; workflow files over ${MAX_FILE_BYTES} bytes are not audited`,
      );
    }
    let text: string;
    try {
      text = readFileSync(f.absolute, 'utf8');
    } catch (cause) {
      throw new AuditError('path-unreadable', `cannot read ${f.path}: ${(cause as NodeJS.ErrnoException).code}`, {
        cause,
      });
    }
    return { path: f.path, text, ...(f.kind === undefined ? {} : { kind: f.kind }) };
  });
}

/** Discover, read and audit. */
export function auditPaths(root: string, paths: readonly string[], options: AuditOptions = {}): AuditResult {
  const files = discover(root, paths, options.config?.exclude ?? []);
  return auditTexts(readInputs(files), {
    ...options,
    context: [...(options.context ?? []), ...workflowContext(root, files)],
  });
}

/**
 * The repository's own workflows that are not among the audited files, so that a job calling
 * `./.github/workflows/x.yml` is judged by what that workflow needs even when only the caller is audited.
 */
export function workflowContext(root: string, audited: readonly DiscoveredFile[]): AuditInput[] {
  const dir = join(resolve(root), '.github', 'workflows');
  if (!existsSync(dir)) return [];
  const seen = new Set(audited.map((f) => f.absolute));
  try {
    const extra = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && YAML.test(e.name) && !seen.has(join(dir, e.name)))
      .map((e) => ({ absolute: join(dir, e.name), path: `.github/workflows/${e.name}`, kind: 'workflow' as const }));
    return readInputs(extra);
  } catch {
    return []; // context is a help, never a reason to fail
  }
}

/**
 * Add findings made outside the static rules (the online checks) to a result, under the same configuration:
 * disabled rules dropped, severities overridden, configuration ignores applied.
 */
export function withFindings(result: AuditResult, extra: readonly Finding[], options: AuditOptions = {}): AuditResult {
  const config = options.config ?? DEFAULT_CONFIG;
  const now = options.now ?? new Date();
  const kept = extra
    .filter((f) => config.rules.get(f.rule)?.enabled !== false)
    .map((f) => {
      const severity = config.rules.get(f.rule)?.severity;
      return severity === undefined ? f : { ...f, severity };
    });
  const noExpiredReports = {
    ...config,
    ignores: config.ignores.filter((e) => !e.expires || now.toISOString().slice(0, 10) <= e.expires),
  };
  const { active, suppressed } = applySuppressions(kept, new Map(), noExpiredReports, now, RULE_IDS);
  const findings = [...result.findings, ...active].sort(compareFindings);
  return {
    ...result,
    findings,
    suppressed: [...result.suppressed, ...suppressed].sort(compareFindings),
    highest: highest(findings.map((f) => f.severity)),
  };
}
