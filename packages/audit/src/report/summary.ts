import { escapeMarkdown, type Summary } from '@airlock/core';
import type { Finding } from '../finding.ts';
import { describePermissions, type Inventory } from '../inventory.ts';
import { countBySeverity } from './text.ts';

/** The job summary of an audit: counts, the findings table, the inventory, the fixes as a diff. */
export function writeSummary(
  summary: Summary,
  input: {
    readonly findings: readonly Finding[];
    readonly suppressed: readonly Finding[];
    readonly files: number;
    readonly failOn: string;
    readonly failed: boolean;
    readonly inventory?: Inventory | undefined;
    readonly diff?: string | undefined;
    readonly online?: readonly string[] | undefined;
  },
): void {
  const { findings } = input;
  summary.heading('Airlock audit');
  summary.paragraph(
    `${input.files} file${input.files === 1 ? '' : 's'} audited: ${
      findings.length === 0
        ? 'no findings'
        : `${findings.length} finding${findings.length === 1 ? '' : 's'} (${countBySeverity(findings)})`
    }${input.suppressed.length > 0 ? `, ${input.suppressed.length} ignored` : ''}. fail-on: ${input.failOn}, ${input.failed ? 'failed' : 'passed'}.`,
  );
  if (findings.length > 0) {
    summary.table(
      ['severity', 'rule', 'location', 'message'],
      findings.map((f) => [f.severity, f.rule, `${f.path}:${f.line}:${f.column}`, f.message]),
      'findings',
    );
  }
  if (input.online !== undefined && input.online.length > 0) {
    summary.heading('Online checks', 3).list(input.online, 'checks');
  }
  if (input.suppressed.length > 0) {
    summary.details(
      `${input.suppressed.length} ignored`,
      input.suppressed
        .map(
          (f) =>
            `- ${escapeMarkdown(`${f.rule} at ${f.path}:${f.line}: ${f.suppressed?.reason ?? ''} (${f.suppressed?.where ?? ''})`)}`,
        )
        .join('\n'),
    );
  }
  const inv = input.inventory;
  if (inv !== undefined) {
    summary.heading('Identity inventory', 3);
    summary.table(
      ['job', 'environment', 'GITHUB_TOKEN', 'OIDC', 'secrets', 'static credentials'],
      inv.jobs.map((j) => [
        `${j.path}#${j.job}`,
        j.environment ?? '—',
        describePermissions(j.token),
        j.oidc.map((o) => `${o.provider} (aud ${o.audience ?? 'default'})`).join('; ') ||
          (j.token.canMintOidc ? 'can mint (unused)' : '—'),
        j.secrets.join(', ') || '—',
        [...j.staticCredentials, ...j.appTokens].join('; ') || '—',
      ]),
      'jobs',
    );
  }
  if (input.diff !== undefined && input.diff !== '') {
    summary.details(
      'Safe fixes (airlock audit --fix applies them)',
      `\n\`\`\`diff\n${input.diff.replace(/```/g, '`\u200b``')}\n\`\`\`\n`,
    );
  }
}
