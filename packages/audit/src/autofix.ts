import { type AuditOptions, type AuditResult, auditTexts, type FileKind } from './engine.ts';
import type { Finding } from './finding.ts';
import { fixFile, unifiedDiff } from './fixes.ts';

export interface FixPlan {
  /** New text per changed file (path as in findings). */
  readonly files: ReadonlyMap<string, string>;
  /** Unified diff of all changes. */
  readonly diff: string;
  /** How many findings the changes fix. */
  readonly fixed: number;
}

/**
 * The safe fixes of an audit, applied to the texts in memory: each file is fixed, re-audited and fixed again (fixes
 * that overlapped an earlier one in the same pass get their turn), at most three passes.
 */
export function planFixes(result: AuditResult, options: AuditOptions = {}): FixPlan {
  const files = new Map<string, string>();
  let diff = '';
  let fixed = 0;
  // The fixable findings per file, in their order (one pass over the findings, not one per file).
  const fixable = new Map<string, Finding[]>();
  for (const f of result.findings) {
    if (f.fix === undefined) continue;
    const list = fixable.get(f.path);
    if (list === undefined) fixable.set(f.path, [f]);
    else list.push(f);
  }
  for (const [path, source] of result.files) {
    const kind: FileKind = result.kinds.get(path) ?? 'workflow';
    let findings: readonly Finding[] = fixable.get(path) ?? [];
    let text = source.text;
    for (let pass = 0; pass < 3 && findings.length > 0; pass++) {
      const applied = fixFile(text, findings);
      if (applied.fixed.length === 0) break;
      fixed += applied.fixed.length;
      text = applied.text;
      // Fixes that overlapped one applied in this pass get another turn on the new text; when none did, there is
      // nothing left to fix (a fix never creates a fixable finding) and the file is not parsed again.
      if (applied.skipped.length === 0) break;
      findings = auditTexts([{ path, text, kind }], options).findings.filter((f) => f.fix !== undefined);
    }
    if (text !== source.text) {
      files.set(path, text);
      diff += unifiedDiff(path, source.text, text);
    }
  }
  return { files, diff, fixed };
}
