import type { Node } from 'yaml';
import { AuditError } from './errors.ts';
import { RULE_IDS } from './rules/index.ts';
import { FAIL_ON, type FailOn, isSeverity, type Severity } from './severity.ts';
import { asMap, asSeq, pairs, parseSource, type SourceFile, scalarString, spanOfNode } from './source/yaml.ts';

/**
 * The audit configuration: the `audit:` section of airlock.yml (or a file holding only that section).
 *
 *     audit:
 *       fail-on: medium
 *       exclude: [test/fixtures/**]
 *       rules:
 *         secrets-outside-environment: off
 *         unpinned-uses: { severity: critical }
 *       ignore:
 *         - rule: unpinned-uses
 *           paths: [.github/workflows/legacy.yml]
 *           reason: vendored workflow, replaced in Q3
 *           expires: 2026-09-30
 */
export interface RuleSetting {
  readonly enabled: boolean;
  readonly severity: Severity | undefined;
}

export interface IgnoreEntry {
  readonly rules: readonly string[];
  readonly paths: readonly string[];
  readonly reason: string;
  /** `YYYY-MM-DD`; the ignore applies through that day (UTC). */
  readonly expires: string | undefined;
  /** Where the entry is, for messages and the expired-ignore finding. */
  readonly line: number;
  readonly column: number;
}

export interface AuditConfig {
  /** The configuration file as shown to users, or undefined for the defaults. */
  readonly path: string | undefined;
  readonly failOn: FailOn | undefined;
  readonly exclude: readonly string[];
  readonly rules: ReadonlyMap<string, RuleSetting>;
  readonly ignores: readonly IgnoreEntry[];
}

export const DEFAULT_CONFIG: AuditConfig = {
  path: undefined,
  failOn: undefined,
  exclude: [],
  rules: new Map(),
  ignores: [],
};

const KEYS = new Set(['fail-on', 'exclude', 'rules', 'ignore']);

export function parseConfig(text: string, path: string): AuditConfig {
  const file = parseSource(path, text);
  const at = (node: Node | null | undefined) => {
    const { line, column } = file.position(spanOfNode(node).start);
    return { line, column, where: `${path}:${line}` };
  };
  const fail = (node: Node | null | undefined, message: string): never => {
    throw new AuditError('config-invalid', `${at(node).where}: ${message}`);
  };
  const firstError = file.errors[0];
  if (firstError !== undefined) {
    const { line } = file.position(firstError.span.start);
    throw new AuditError('config-invalid', `${path}:${line}: not valid YAML: ${firstError.message}`);
  }
  const root = asMap(file.root);
  if (file.root !== null && root === null) fail(file.root, 'expected a mapping');
  const auditPair = pairs(root).find((p) => p.key === 'audit');
  let section = root;
  if (auditPair !== undefined) {
    section = asMap(auditPair.value);
    if (section === null && auditPair.value !== null && scalarString(auditPair.value) !== undefined) {
      fail(auditPair.value, "expected a mapping under 'audit'");
    }
  } else if (!pairs(root).some((p) => KEYS.has(p.key))) {
    section = null; // airlock.yml without an audit section
  }
  let failOn: FailOn | undefined;
  const exclude: string[] = [];
  const rules = new Map<string, RuleSetting>();
  const ignores: IgnoreEntry[] = [];
  for (const entry of pairs(section)) {
    switch (entry.key) {
      case 'fail-on': {
        const value = scalarString(entry.value);
        if (value === undefined || !(FAIL_ON as readonly string[]).includes(value)) {
          fail(entry.value ?? entry.keyNode, `'fail-on' must be one of ${FAIL_ON.join(', ')}; got '${value ?? ''}'`);
        }
        failOn = value as FailOn;
        break;
      }
      case 'exclude':
        exclude.push(...stringList(entry.value, "'exclude'", fail));
        break;
      case 'rules':
        for (const r of pairs(asMap(entry.value) ?? fail(entry.value, "'rules' must be a mapping of rule ids"))) {
          if (!RULE_IDS.has(r.key)) fail(r.keyNode, `unknown rule '${r.key}' under 'rules' (see docs/audit-rules.md)`);
          rules.set(r.key, ruleSetting(r.value, r.key, fail));
        }
        break;
      case 'ignore': {
        const seq = asSeq(entry.value) ?? fail(entry.value, "'ignore' must be a list of entries");
        for (const item of seq.items) {
          const m =
            asMap(item) ?? fail(item as Node, 'each ignore entry must be a mapping with rule, paths and reason');
          const fields = new Map(pairs(m).map((p) => [p.key, p]));
          for (const key of fields.keys()) {
            if (!['rule', 'rules', 'path', 'paths', 'reason', 'expires'].includes(key)) {
              fail(fields.get(key)?.keyNode, `unknown key '${key}' in an ignore entry (rule, paths, reason, expires)`);
            }
          }
          const ruleIds = [
            ...stringList(fields.get('rule')?.value ?? null, "'rule'", fail),
            ...stringList(fields.get('rules')?.value ?? null, "'rules'", fail),
          ];
          if (ruleIds.length === 0) fail(item as Node, "an ignore entry needs 'rule' (a rule id, or '*')");
          for (const id of ruleIds) {
            if (id !== '*' && !RULE_IDS.has(id)) fail(item as Node, `unknown rule '${id}' in an ignore entry`);
          }
          const paths = [
            ...stringList(fields.get('path')?.value ?? null, "'path'", fail),
            ...stringList(fields.get('paths')?.value ?? null, "'paths'", fail),
          ];
          const reason = scalarString(fields.get('reason')?.value ?? null)?.trim() ?? '';
          if (reason === '') fail(item as Node, "an ignore entry needs a 'reason' saying why the finding is accepted");
          const expiresNode = fields.get('expires')?.value ?? null;
          const expires = expiresNode === null ? undefined : scalarString(expiresNode);
          if (expiresNode !== null && (expires === undefined || !validDate(expires))) {
            fail(expiresNode, `'expires' must be a date like 2026-06-30; got '${expires ?? ''}'`);
          }
          const { line, column } = at(item as Node);
          ignores.push({ rules: ruleIds, paths: paths.length === 0 ? ['**'] : paths, reason, expires, line, column });
        }
        break;
      }
      default:
        fail(entry.keyNode, `unknown key '${entry.key}' in the audit configuration (fail-on, exclude, rules, ignore)`);
    }
  }
  return { path, failOn, exclude, rules, ignores };
}

function validDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m === null) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

function stringList(node: Node | null, what: string, fail: (n: Node | null, m: string) => never): string[] {
  if (node === null) return [];
  const single = scalarString(node);
  if (single !== undefined) return [single];
  const seq = asSeq(node);
  if (seq === null) return fail(node, `${what} must be a string or a list of strings`);
  return seq.items.map((i) => scalarString(i) ?? fail(i as Node, `${what} must hold strings`));
}

function ruleSetting(node: Node | null, id: string, fail: (n: Node | null, m: string) => never): RuleSetting {
  const text = scalarString(node);
  if (text !== undefined) {
    const v = text.toLowerCase();
    if (v === 'off' || v === 'false' || v === 'disabled') return { enabled: false, severity: undefined };
    if (v === 'on' || v === 'true' || v === 'enabled') return { enabled: true, severity: undefined };
    if (isSeverity(v)) return { enabled: true, severity: v };
    return fail(node, `rule '${id}' must be on, off, a severity or a mapping; got '${text}'`);
  }
  const m = asMap(node) ?? fail(node, `rule '${id}' must be on, off, a severity or a mapping`);
  let enabled = true;
  let severity: Severity | undefined;
  for (const p of pairs(m)) {
    const value = scalarString(p.value);
    if (p.key === 'enabled') {
      if (value !== 'true' && value !== 'false') fail(p.value, `'enabled' of rule '${id}' must be true or false`);
      enabled = value === 'true';
    } else if (p.key === 'severity') {
      if (value === undefined || !isSeverity(value)) {
        fail(
          p.value,
          `'severity' of rule '${id}' must be one of note, low, medium, high, critical; got '${value ?? ''}'`,
        );
      }
      severity = value as Severity;
    } else fail(p.keyNode, `unknown key '${p.key}' for rule '${id}' (enabled, severity)`);
  }
  return { enabled, severity };
}

/** Is the ignore past its expiry date on `now` (UTC)? It applies through the whole of its `expires` day. */
export function isExpired(entry: IgnoreEntry, now: Date): boolean {
  return entry.expires !== undefined && now.toISOString().slice(0, 10) > entry.expires;
}

/** A glob for paths with `/` separators: `**` any depth, `*` within a segment, `?` one character. */
export function globToRegExp(glob: string): RegExp {
  let g = glob.trim().replace(/^\.\//, '');
  if (g.endsWith('/')) g += '**';
  let re = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i] as string;
    if (c === '*') {
      if (g[i + 1] === '*') {
        i++;
        if (g[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}(?:/.*)?$`);
}

export function matchesAny(path: string, globs: readonly string[]): boolean {
  return globs.some((g) => globToRegExp(g).test(path));
}

export type { SourceFile };
