import { type AuditConfig, isExpired, matchesAny } from './config.ts';
import type { Finding } from './finding.ts';
import type { SourceFile } from './source/yaml.ts';

/**
 * Inline ignores: a YAML comment `# airlock: ignore[rule-id, other-id] reason`. On a line of its own it targets the
 * next line that is not blank or a comment; after a value it targets its own line. It silences findings of those rules
 * whose scope (the step or job they are in, up to the finding's line) includes the target line.
 */
export interface InlineIgnore {
  readonly rules: readonly string[];
  readonly reason: string;
  /** The comment's own line. */
  readonly line: number;
  readonly column: number;
  /** The line it applies to. */
  readonly target: number;
  readonly start: number;
  readonly end: number;
}

const IGNORE = /#\s*airlock:\s*ignore\[([^\]]*)\]\s*(.*)$/;

export function inlineIgnores(file: SourceFile): InlineIgnore[] {
  const out: InlineIgnore[] = [];
  if (!file.text.includes('airlock:')) return out;
  const lines = file.text.split('\n');
  const spans = file.scalarSpans;
  lines.forEach((raw, index) => {
    const text = raw.replace(/\r$/, '');
    const m = IGNORE.exec(text);
    if (m === null) return;
    const lineStart = file.lineStart(index + 1);
    const offset = lineStart + m.index;
    // A `#` inside a string (a run: script, a quoted value) is not a YAML comment.
    if (spans.some((s) => offset >= s.start && offset < s.end)) return;
    const before = text.slice(0, m.index);
    let target = index + 1;
    if (before.trim() === '') {
      target = index + 2;
      while (target <= lines.length) {
        const t = (lines[target - 1] ?? '').trim();
        if (t !== '' && !t.startsWith('#')) break;
        target++;
      }
    }
    out.push({
      rules: (m[1] ?? '')
        .split(',')
        .map((r) => r.trim())
        .filter((r) => r !== ''),
      reason: (m[2] ?? '').trim(),
      line: index + 1,
      column: m.index + 1,
      target,
      start: offset,
      end: lineStart + text.length,
    });
  });
  return out;
}

export interface SuppressionResult {
  readonly active: Finding[];
  readonly suppressed: Finding[];
  /** Findings about the ignores themselves (expired, invalid, unused). */
  readonly problems: Finding[];
}

/**
 * Apply the configuration's ignores and the inline ones. Expired configuration ignores do not apply and each is
 * reported once; inline ignores without a reason or with an unknown rule do not apply and are reported.
 */
export function applySuppressions(
  findings: readonly Finding[],
  files: ReadonlyMap<string, SourceFile>,
  config: AuditConfig,
  now: Date,
  knownRules: ReadonlySet<string>,
  disabledRules: ReadonlySet<string> = new Set(),
): SuppressionResult {
  const active: Finding[] = [];
  const suppressed: Finding[] = [];
  const problems: Finding[] = [];
  const configWhere = config.path ?? 'configuration';
  const live = config.ignores.filter((e) => !isExpired(e, now));
  for (const e of config.ignores) {
    if (!isExpired(e, now)) continue;
    problems.push({
      rule: 'expired-ignore',
      severity: 'low',
      confidence: 'high',
      path: configWhere,
      line: e.line,
      column: e.column,
      endLine: e.line,
      endColumn: e.column,
      message: `the ignore of ${e.rules.join(', ')} for ${e.paths.join(', ')} expired on ${e.expires} and no longer applies (reason given: ${e.reason}).`,
      scope: { from: e.line, to: e.line },
    });
  }
  const inline = new Map<string, InlineIgnore[]>();
  const used = new Set<InlineIgnore>();
  for (const [path, file] of files) {
    const list = inlineIgnores(file);
    inline.set(path, list);
    for (const ig of list) {
      const unknown = ig.rules.filter((r) => !knownRules.has(r));
      const problem =
        ig.rules.length === 0
          ? 'names no rule'
          : unknown.length > 0
            ? `names unknown rule${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`
            : ig.reason === ''
              ? 'gives no reason'
              : undefined;
      if (problem !== undefined) {
        const { line, column } = file.position(ig.start);
        problems.push({
          rule: 'invalid-ignore',
          severity: 'low',
          confidence: 'high',
          path,
          line,
          column,
          endLine: line,
          endColumn: column + (ig.end - ig.start),
          message: `this airlock ignore ${problem}, so it does not apply: write # airlock: ignore[rule-id] reason.`,
          scope: { from: line, to: line },
        });
        used.add(ig);
      }
    }
  }
  for (const f of findings) {
    const entry = live.find((e) => (e.rules.includes('*') || e.rules.includes(f.rule)) && matchesAny(f.path, e.paths));
    if (entry !== undefined) {
      suppressed.push({
        ...f,
        suppressed: { kind: 'config', reason: entry.reason, where: `${configWhere}:${entry.line}` },
      });
      continue;
    }
    const comment = (inline.get(f.path) ?? []).find(
      (ig) =>
        ig.rules.includes(f.rule) &&
        ig.reason !== '' &&
        ig.rules.every((r) => knownRules.has(r)) &&
        ig.target >= f.scope.from &&
        ig.target <= Math.max(f.scope.to, f.line),
    );
    if (comment !== undefined) {
      used.add(comment);
      suppressed.push({
        ...f,
        suppressed: { kind: 'inline', reason: comment.reason, where: `${f.path}:${comment.line}` },
      });
      continue;
    }
    active.push(f);
  }
  for (const [path, list] of inline) {
    const file = files.get(path) as SourceFile;
    for (const ig of list) {
      if (used.has(ig) || ig.rules.every((r) => disabledRules.has(r))) continue;
      const { line, column } = file.position(ig.start);
      problems.push({
        rule: 'invalid-ignore',
        severity: 'low',
        confidence: 'high',
        path,
        line,
        column,
        endLine: line,
        endColumn: column + (ig.end - ig.start),
        message: `this airlock ignore[${ig.rules.join(', ')}] silences nothing on line ${ig.target}: remove it.`,
        scope: { from: line, to: line },
      });
    }
  }
  return { active, suppressed, problems };
}
