/** The plain-text report of `airlock scan --format table`. */
import type { ScanReport } from '../scan.ts';
import { fixedVersions } from './json.ts';

export function toTable(report: ScanReport): string {
  const p = report.policy;
  const lines: string[] = [];
  const rows = p.decisions.map(({ finding: f, disposition: d }) => [
    d.kind === 'fail' ? 'FAIL' : d.kind === 'ignored' ? 'ignored' : 'report',
    f.severity.level + (f.severity.score === undefined ? '' : ` ${f.severity.score}`),
    f.id,
    `${f.package.name}@${f.package.version}`,
    `${f.package.source.path}:${f.package.source.line}`,
    fixedVersions(f).join(', ') || '-',
  ]);
  if (rows.length > 0) {
    const header = ['', 'severity', 'vulnerability', 'package', 'where', 'fixed in'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
    const fmt = (r: string[]) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] as number))
        .join('  ')
        .trimEnd();
    lines.push(fmt(header), ...rows.map(fmt), '');
  }
  for (const v of p.licenseViolations) {
    lines.push(
      `license: ${v.package.name}@${v.package.version} (${v.package.source.path}:${v.package.source.line}): ${v.reason}`,
    );
  }
  for (const r of p.expiredIgnores)
    lines.push(`expired ignore: ${r.id} (${r.source}) expired on ${r.expires}; it no longer applies`);
  for (const u of report.notEvaluated)
    lines.push(`not evaluated: ${u.advisory.id} for ${u.package.name}@${u.package.version}: ${u.reason}`);
  for (const u of report.unpinned)
    lines.push(`unpinned: ${u.name} ${u.spec} (${u.source.path}:${u.source.line}) is not scanned`);
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  const c = report.counts;
  const base = report.base === undefined ? '' : ` introduced since ${report.base.ref.slice(0, 12)}`;
  lines.push(
    `${report.lockfiles.length} lockfile(s), ${report.packages.length} package(s)${base}: ${c.critical} critical, ${c.high} high, ${c.medium} medium, ${c.low} low, ${c.unscored} unscored; ${p.failed ? `FAILED: ${p.reasons.join('; ')}` : 'passed'}`,
  );
  return lines.join('\n');
}
