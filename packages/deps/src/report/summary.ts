/**
 * The job summary: the verdict first, then counts, the failing findings, the rest, ignores (expired ones called out),
 * license violations and what could not be evaluated. Written into core's {@link Summary}, whose byte budget keeps it
 * well under GitHub's 1 MiB limit and says what was left out.
 */
import type { Summary } from '@airlock/core';
import type { ScanReport } from '../scan.ts';
import { fixedVersions } from './json.ts';

export function writeSummary(summary: Summary, report: ScanReport, extra: { sarifFile?: string } = {}): void {
  const p = report.policy;
  summary.heading('Airlock scan');
  const scope =
    report.base === undefined
      ? ''
      : ` Pull-request mode: only what the change introduces compared with ${report.base.ref.slice(0, 12)} (${report.base.preexisting} finding(s) already present at the base are not repeated).`;
  summary.paragraph(
    `${p.failed ? '❌ Failed' : '✅ Passed'}: ${report.lockfiles.length} lockfile(s), ${report.packages.length} package(s), ${report.source}.${scope}${p.failed ? ` ${p.reasons.join('; ')}.` : ''}`,
  );
  const c = report.counts;
  summary.table(
    ['critical', 'high', 'medium', 'low', 'none', 'unscored', 'ignored'],
    [
      [
        c.critical,
        c.high,
        c.medium,
        c.low,
        c.none,
        c.unscored,
        p.decisions.filter((d) => d.disposition.kind === 'ignored').length,
      ].map(String),
    ],
  );
  const row = (d: ScanReport['policy']['decisions'][number]) => {
    const f = d.finding;
    return [
      f.id,
      f.severity.level + (f.severity.score === undefined ? '' : ` ${f.severity.score}`),
      `${f.package.name}@${f.package.version}`,
      `${f.package.source.path}:${f.package.source.line}`,
      fixedVersions(f).join(', ') || '—',
      (f.advisories[0]?.summary ?? '').slice(0, 200),
    ];
  };
  const header = ['vulnerability', 'severity', 'package', 'where', 'fixed in', 'summary'];
  const failing = p.decisions.filter((d) => d.disposition.kind === 'fail');
  if (failing.length > 0) {
    summary.heading('Failing the policy', 3);
    summary.table(header, failing.map(row), 'failing findings');
  }
  const reported = p.decisions.filter((d) => d.disposition.kind === 'report');
  if (reported.length > 0) {
    summary.heading('Reported, not failing', 3);
    summary.table(
      [...header, 'why'],
      reported.map((d) => [...row(d), d.disposition.kind === 'report' ? d.disposition.why : '']),
      'reported findings',
    );
  }
  if (p.licenseViolations.length > 0) {
    summary.heading('License policy', 3);
    summary.table(
      ['package', 'license', 'where', 'problem'],
      p.licenseViolations.map((v) => [
        `${v.package.name}@${v.package.version}`,
        v.package.license ?? '',
        `${v.package.source.path}:${v.package.source.line}`,
        v.reason,
      ]),
      'license violations',
    );
  }
  const ignored = p.decisions.filter((d) => d.disposition.kind === 'ignored');
  if (ignored.length > 0 || p.expiredIgnores.length > 0) {
    summary.heading('Ignores', 3);
    summary.table(
      ['vulnerability', 'package', 'reason', 'rule', 'expires'],
      [
        ...ignored.map((d) => {
          const rule = d.disposition.kind === 'ignored' ? d.disposition.rule : undefined;
          return [
            d.finding.id,
            `${d.finding.package.name}@${d.finding.package.version}`,
            rule?.reason ?? '',
            rule?.source ?? '',
            rule?.expires ?? 'never',
          ];
        }),
        ...p.expiredIgnores.map((r) => [r.id, '—', r.reason, r.source, `EXPIRED ${r.expires}: no longer applied`]),
      ],
      'ignores',
    );
  }
  if (report.notEvaluated.length > 0) {
    summary.heading('Not evaluated', 3);
    summary.table(
      ['advisory', 'package', 'why'],
      report.notEvaluated.map((u) => [u.advisory.id, `${u.package.name}@${u.package.version}`, u.reason]),
      'advisories not evaluated',
    );
  }
  if (report.unpinned.length > 0) {
    summary.heading('Unpinned requirements (not scanned)', 3);
    summary.table(
      ['package', 'requirement', 'where'],
      report.unpinned.map((u) => [u.name, u.spec, `${u.source.path}:${u.source.line}`]),
      'unpinned requirements',
    );
  }
  if (extra.sarifFile !== undefined) summary.paragraph(`SARIF: ${extra.sarifFile}`);
}
