import { AIRLOCK_VERSION } from '@airlock/core/version';
import { REGISTERED_RULE } from './engine.ts';
import { RULES, type RuleSpec } from './rules.ts';
import type { FileFinding } from './scan.ts';

/** SARIF 2.1.0 for secret findings: rule ids and locations, never the value (GitHub code scanning reads it). */
export interface SarifLog {
  readonly $schema: string;
  readonly version: '2.1.0';
  readonly runs: readonly unknown[];
}

const REGISTERED_DESCRIPTION = 'a registered secret (or a base64, hex, URL, JSON, XML, shell or PowerShell form of it)';

export function toSarif(findings: readonly FileFinding[], rules: readonly RuleSpec[] = RULES): SarifLog {
  const used = [...new Set(findings.map((f) => f.rule))].sort();
  const describe = (id: string) =>
    id === REGISTERED_RULE ? REGISTERED_DESCRIPTION : (rules.find((r) => r.id === id)?.title ?? id);
  const index = new Map(used.map((id, i) => [id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'airlock-redact',
            version: AIRLOCK_VERSION,
            informationUri: 'https://github.com/airlock-actions/airlock',
            rules: used.map((id) => ({
              id,
              name: id
                .split('-')
                .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
                .join(''),
              shortDescription: { text: `Secret: ${describe(id)}` },
              fullDescription: {
                text: `A ${describe(id)} was found. Rotate the credential, remove it from the file, and keep it out of build output.`,
              },
              defaultConfiguration: { level: 'error' },
              properties: { tags: ['security', 'secret'], 'security-severity': '9.0' },
            })),
          },
        },
        columnKind: 'utf16CodeUnits',
        results: findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: index.get(f.rule),
          level: 'error',
          message: { text: `${describe(f.rule)} (value not shown)` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.path },
                region: {
                  startLine: f.line,
                  startColumn: f.column,
                  endLine: f.endLine,
                  endColumn: f.endColumn,
                },
              },
            },
          ],
          partialFingerprints: { 'airlockSecret/v1': `${f.rule}:${f.path}:${f.line}:${f.column}` },
        })),
      },
    ],
  };
}
