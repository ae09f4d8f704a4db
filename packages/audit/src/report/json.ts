import type { Finding } from '../finding.ts';
import type { Severity } from '../severity.ts';

/** The JSON shape of `airlock audit --format json`: exactly these keys, 1-based lines and columns. */
export interface FindingRecord {
  readonly rule: string;
  readonly severity: Severity;
  readonly path: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export function findingRecords(findings: readonly Finding[]): FindingRecord[] {
  return findings.map((f) => ({
    rule: f.rule,
    severity: f.severity,
    path: f.path,
    line: f.line,
    column: f.column,
    message: f.message,
  }));
}
