/**
 * SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/) for GitHub code scanning: one rule per vulnerability,
 * one result per vulnerable package located at its lockfile line, `security-severity` from the computed CVSS score
 * (or the lower bound of the advisory's rating band, said so in the rule's properties), stable partial fingerprints
 * that do not change when the lockfile's lines move, and ignored findings as suppressed results with their reason.
 */
import { createHash } from 'node:crypto';
import type { Disposition } from '../policy.ts';
import type { ScanReport } from '../scan.ts';
import type { Severity } from '../severity/index.ts';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

const BAND_FLOOR: Record<string, number> = { critical: 9, high: 7, medium: 4, low: 0.1, none: 0 };

function securitySeverity(s: Severity): string | undefined {
  if (s.score !== undefined) return s.score.toFixed(1);
  const floor = BAND_FLOOR[s.level];
  return floor === undefined ? undefined : floor.toFixed(1);
}

function level(disposition: Disposition, s: Severity): 'error' | 'warning' | 'note' {
  if (disposition.kind === 'fail') return 'error';
  return s.level === 'low' || s.level === 'none' ? 'note' : 'warning';
}

/** A fingerprint of what the finding is, not where it is: path, package, version, vulnerability. */
export function fingerprint(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

export function toSarif(report: ScanReport, tool: { name: string; version: string; informationUri: string }): object {
  const rules: object[] = [];
  const ruleIndex = new Map<string, number>();
  const results: object[] = [];
  for (const { finding, disposition } of report.policy.decisions) {
    const primary = finding.advisories[0];
    if (primary === undefined) continue;
    let index = ruleIndex.get(finding.id);
    if (index === undefined) {
      index = rules.length;
      ruleIndex.set(finding.id, index);
      const summary = primary.summary ?? `${finding.id} in ${finding.package.name}`;
      const sev = securitySeverity(finding.severity);
      const aliases = finding.ids.filter((id) => id !== finding.id);
      rules.push({
        id: finding.id,
        name: finding.id.replace(/[^A-Za-z0-9]/g, ''),
        shortDescription: { text: summary.slice(0, 1000) },
        fullDescription: { text: (primary.details ?? summary).slice(0, 10_000) },
        helpUri: `https://osv.dev/vulnerability/${encodeURIComponent(finding.id)}`,
        help: {
          text: `${summary}\n\nAliases: ${aliases.join(', ') || 'none'}. See https://osv.dev/vulnerability/${finding.id}`,
          markdown: `**${summary.replace(/[*_`[\]]/g, '\\$&')}**\n\nAliases: ${aliases.join(', ') || 'none'}. See [osv.dev](https://osv.dev/vulnerability/${encodeURIComponent(finding.id)}).`,
        },
        defaultConfiguration: { level: finding.severity.level === 'low' ? 'note' : 'warning' },
        properties: {
          tags: ['security', 'vulnerability', 'dependency', finding.package.ecosystem],
          ...(sev === undefined ? {} : { 'security-severity': sev }),
          'airlock-severity': finding.severity.level,
          'airlock-severity-source': finding.severity.source,
          ...(finding.severity.vector === undefined ? {} : { 'airlock-cvss-vector': finding.severity.vector }),
          aliases,
        },
      });
    }
    const pkg = finding.package;
    results.push({
      ruleId: finding.id,
      ruleIndex: index,
      level: level(disposition, finding.severity),
      message: {
        text: `${pkg.name}@${pkg.version} (${pkg.ecosystem}, ${pkg.scope}) is affected by ${finding.id}${primary.summary ? `: ${primary.summary}` : ''} [severity: ${finding.severity.level}${finding.severity.score === undefined ? '' : ` ${finding.severity.score}`}]`,
      },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: encodeURI(pkg.source.path), uriBaseId: '%SRCROOT%' },
            region: { startLine: Math.max(1, pkg.source.line) },
          },
        },
      ],
      partialFingerprints: {
        'airlockScan/v1': fingerprint([pkg.source.path, pkg.ecosystem, pkg.name, pkg.version, finding.id]),
      },
      ...(disposition.kind === 'ignored'
        ? {
            suppressions: [
              {
                kind: 'external',
                justification: `${disposition.rule.reason} (${disposition.rule.source}${disposition.rule.expires ? `, until ${disposition.rule.expires}` : ''})`,
              },
            ],
          }
        : {}),
      properties: { purl: pkg.purl, ecosystem: pkg.ecosystem, scope: pkg.scope, ids: finding.ids },
    });
  }
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: tool.name, version: tool.version, informationUri: tool.informationUri, rules } },
        automationDetails: { id: 'airlock-scan/' },
        originalUriBaseIds: {
          '%SRCROOT%': {
            uri: `${encodeURI(report.root.replace(/\\/g, '/').replace(/\/?$/, '/')).replace(/^(?!file:)/, 'file://')}`,
          },
        },
        results,
      },
    ],
  };
}
