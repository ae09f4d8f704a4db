import type { Finding } from '../finding.ts';
import { describePermissions, type Inventory } from '../inventory.ts';
import { SEVERITIES, type Severity } from '../severity.ts';

/** Counts per severity, most severe first: `2 high, 1 medium`. */
export function countBySeverity(findings: readonly Finding[]): string {
  const counts = new Map<Severity, number>();
  for (const f of findings) counts.set(f.severity, (counts.get(f.severity) ?? 0) + 1);
  return [...SEVERITIES]
    .reverse()
    .filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${s}`)
    .join(', ');
}

/** Compiler-style lines: `path:line:col  severity  rule  message`. */
export function findingsText(findings: readonly Finding[], suppressed: readonly Finding[]): string {
  const lines = findings.map(
    (f) =>
      `${f.path}:${f.line}:${f.column}  ${f.severity.padEnd(8)} ${f.rule}  ${f.message}${f.fix ? '  [fixable]' : ''}`,
  );
  const total =
    findings.length === 0
      ? 'no findings'
      : `${findings.length} finding${findings.length === 1 ? '' : 's'} (${countBySeverity(findings)})`;
  const ignored = suppressed.length === 0 ? '' : `; ${suppressed.length} ignored by configuration or inline comments`;
  return `${[...lines, ...(lines.length > 0 ? [''] : []), `${total}${ignored}`].join('\n')}\n`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function inventoryText(inv: Inventory): string {
  const parts: string[] = [];
  parts.push(
    'Identities per job',
    table(
      ['job', 'environment', 'GITHUB_TOKEN', 'OIDC', 'secrets', 'static credentials'],
      inv.jobs.map((j) => [
        `${j.path}#${j.job}`,
        j.environment ?? '-',
        describePermissions(j.token),
        j.oidc.length === 0
          ? j.token.canMintOidc
            ? 'can mint (unused)'
            : '-'
          : j.oidc
              .map(
                (o) =>
                  `${o.provider} aud=${o.audience ?? '(default)'}${Object.entries(o.principal)
                    .map(([k, v]) => ` ${k}=${v}`)
                    .join('')}`,
              )
              .join('; '),
        j.secrets.length === 0 ? '-' : j.secrets.join(', '),
        [...j.staticCredentials, ...j.appTokens].join('; ') || '-',
      ]),
    ),
  );
  if (inv.environments.length > 0) {
    parts.push(
      '',
      'Environments',
      table(
        ['environment', 'jobs'],
        inv.environments.map((e) => [e.name, e.jobs.join(', ')]),
      ),
    );
  }
  if (inv.secrets.length > 0) {
    parts.push(
      '',
      'Secrets',
      table(
        ['secret', 'jobs'],
        inv.secrets.map((s) => [s.name, s.jobs.join(', ')]),
      ),
    );
  }
  if (inv.oidcAudiences.length > 0) {
    parts.push(
      '',
      'OIDC audiences',
      table(
        ['provider: audience', 'jobs'],
        inv.oidcAudiences.map((o) => [o.audience, o.jobs.join(', ')]),
      ),
    );
  }
  return `${parts.join('\n')}\n`;
}
