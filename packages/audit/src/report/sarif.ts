import { sha256Hex } from '@airlock/core';
import type { Finding } from '../finding.ts';
import { RULES } from '../rules/index.ts';
import { SECURITY_SEVERITY, type Severity } from '../severity.ts';

/**
 * SARIF 2.1.0 for GitHub code scanning: one run, every rule described (with its fix as help), results with exact
 * regions, `security-severity` for GitHub's severity mapping, stable fingerprints (rule, path, the text of the line,
 * and the occurrence of that text), and ignored findings as suppressed results with their justification.
 */
const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  note: 'note',
};

const PRECISION = { high: 'high', medium: 'medium', low: 'low' } as const;

export interface SarifOptions {
  readonly version: string;
  readonly informationUri?: string;
  /** The text of a line of a file, for fingerprints. */
  readonly lineText?: (path: string, line: number) => string | undefined;
  readonly properties?: Record<string, unknown>;
}

export function toSarif(findings: readonly Finding[], suppressed: readonly Finding[], options: SarifOptions): object {
  const rules = RULES.map((r) => ({
    id: r.id,
    name: r.id.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase()),
    shortDescription: { text: r.title },
    fullDescription: { text: r.description },
    help: { text: `${r.description}\n\nFix: ${r.fix}`, markdown: `${r.description}\n\n**Fix:** ${r.fix}` },
    ...(options.informationUri === undefined
      ? {}
      : { helpUri: `${options.informationUri}/blob/main/docs/audit-rules.md#${r.id}` }),
    defaultConfiguration: { level: LEVEL[r.severity] },
    properties: {
      tags: ['security', 'github-actions', 'ci-cd'],
      precision: PRECISION[r.confidence],
      'security-severity': SECURITY_SEVERITY[r.severity],
      'problem.severity': LEVEL[r.severity] === 'note' ? 'recommendation' : LEVEL[r.severity],
    },
  }));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const occurrences = new Map<string, number>();
  const result = (f: Finding) => {
    const text = options.lineText?.(f.path, f.line)?.trim() ?? '';
    const base = `${f.rule}\0${f.path}\0${text}`;
    const n = occurrences.get(base) ?? 0;
    occurrences.set(base, n + 1);
    const fingerprint = sha256Hex(`${base}\0${n}`);
    const online = f.path.startsWith('github:');
    return {
      ruleId: f.rule,
      ruleIndex: index.get(f.rule) ?? -1,
      level: LEVEL[f.severity],
      message: { text: f.message },
      locations: online
        ? [{ logicalLocations: [{ fullyQualifiedName: f.path.slice('github:'.length), kind: 'repository' }] }]
        : [
            {
              physicalLocation: {
                artifactLocation: { uri: encodeURI(f.path), uriBaseId: '%SRCROOT%' },
                region: { startLine: f.line, startColumn: f.column, endLine: f.endLine, endColumn: f.endColumn },
              },
            },
          ],
      partialFingerprints: { 'airlockAudit/v1': fingerprint },
      properties: {
        'security-severity': SECURITY_SEVERITY[f.severity],
        severity: f.severity,
        confidence: f.confidence,
      },
      ...(f.suppressed === undefined
        ? {}
        : {
            suppressions: [
              {
                kind: f.suppressed.kind === 'inline' ? 'inSource' : 'external',
                justification: `${f.suppressed.reason} (${f.suppressed.where})`,
              },
            ],
          }),
    };
  };
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'airlock-audit',
            fullName: 'Airlock audit: policy-as-code for GitHub Actions workflows',
            semanticVersion: options.version,
            version: options.version,
            ...(options.informationUri === undefined ? {} : { informationUri: options.informationUri }),
            rules,
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { description: { text: 'The root of the audited repository.' } } },
        columnKind: 'utf16CodeUnits',
        results: [...findings.map(result), ...suppressed.map(result)],
        ...(options.properties === undefined ? {} : { properties: options.properties }),
      },
    ],
  };
}
