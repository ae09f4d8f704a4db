import { RULES } from '../rules/index.ts';

/**
 * docs/audit-rules.md, generated from the rules themselves so that the documentation cannot drift from the code
 * (test/unit/audit/docs.test.ts compares them). Regenerate with `node packages/audit/src/report/rules-doc.ts`.
 */
const SCOPE: Record<string, string> = {
  both: 'workflows, actions',
  workflow: 'workflows',
  action: 'actions',
  engine: 'every file',
  online: 'online (GitHub API)',
};

export function rulesMarkdown(): string {
  const lines: string[] = [
    '# Audit rules',
    '',
    '<!-- generated from packages/audit/src/rules by `node packages/audit/src/report/rules-doc.ts`; do not edit -->',
    '',
    "Every rule of `actions/audit` and `airlock audit`: its id (used in configuration, inline ignores, SARIF and JSON), default severity, confidence, what it finds and how to fix it. Severities run note < low < medium < high < critical; a finding can be less severe than its rule's default (the message says why), and configuration can override a rule's severity. Confidence is how sure the rule is that a finding is a real problem (SARIF `precision`). Rules marked autofix have safe fixes that `airlock audit --fix` writes and the action shows as a diff in the job summary; fixes edit the source text at the node positions, so comments and formatting are kept.",
    '',
    '| id | title | severity | confidence | scope | autofix |',
    '| --- | --- | --- | --- | --- | --- |',
    ...RULES.map(
      (r) =>
        `| [\`${r.id}\`](#${r.id}) | ${r.title} | ${r.severity} | ${r.confidence} | ${SCOPE[r.scope]} | ${r.autofix ? 'yes' : ''} |`,
    ),
    '',
  ];
  for (const r of RULES) {
    lines.push(
      `## ${r.id}`,
      '',
      `**${r.title}** — default severity ${r.severity}, confidence ${r.confidence}.`,
      '',
      r.description,
      '',
      `**Fix:** ${r.fix}`,
      '',
    );
  }
  return lines.join('\n');
}

if (import.meta.main) {
  const { writeFileSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const path = fileURLToPath(new URL('../../../../docs/audit-rules.md', import.meta.url));
  writeFileSync(path, rulesMarkdown());
  console.log(`wrote ${path}`);
}
