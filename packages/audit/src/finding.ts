import type { Confidence, Severity } from './severity.ts';

/** A replacement of source text: [start, end) becomes `text`. Offsets index the file's text. */
export interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** A safe automatic fix: edits of the source text at node positions, so comments and formatting survive. */
export interface Fix {
  readonly description: string;
  readonly edits: readonly TextEdit[];
}

export interface Suppression {
  readonly kind: 'inline' | 'config';
  readonly reason: string;
  /** Where the ignore was written: `airlock.yml:12` or `ci.yml:30`. */
  readonly where: string;
}

export interface Finding {
  readonly rule: string;
  readonly severity: Severity;
  readonly confidence: Confidence;
  /** Path relative to the audit root, `/` separated; `github:owner/repo` for online checks. */
  readonly path: string;
  /** 1-based. */
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly message: string;
  /** The lines an inline `# airlock: ignore[rule]` comment may target to silence this finding. */
  readonly scope: { readonly from: number; readonly to: number };
  readonly fix?: Fix;
  readonly suppressed?: Suppression;
}

/** The public JSON shape of a finding (`airlock audit --format json`). */
export interface FindingJson {
  readonly rule: string;
  readonly severity: Severity;
  readonly confidence: Confidence;
  readonly path: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  readonly message: string;
  readonly fixable: boolean;
}

export function findingJson(f: Finding): FindingJson {
  return {
    rule: f.rule,
    severity: f.severity,
    confidence: f.confidence,
    path: f.path,
    line: f.line,
    column: f.column,
    endLine: f.endLine,
    endColumn: f.endColumn,
    message: f.message,
    fixable: f.fix !== undefined,
  };
}

export function compareFindings(a: Finding, b: Finding): number {
  return a.path < b.path
    ? -1
    : a.path > b.path
      ? 1
      : a.line - b.line || a.column - b.column || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0);
}
