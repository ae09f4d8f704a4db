/** The JSON report: everything the scan found and decided, for machines (`--format json`, input 'json-file'). */
import type { ScanReport } from '../scan.ts';

export function toJsonReport(report: ScanReport): object {
  return {
    source: report.source,
    lockfiles: report.lockfiles,
    packages: report.packages.length,
    ...(report.base === undefined ? {} : { base: report.base }),
    failed: report.policy.failed,
    reasons: report.policy.reasons,
    counts: report.counts,
    findings: report.policy.decisions.map(({ finding, disposition }) => ({
      id: finding.id,
      ids: finding.ids,
      summary: finding.advisories[0]?.summary ?? null,
      package: {
        ecosystem: finding.package.ecosystem,
        name: finding.package.name,
        version: finding.package.version,
        scope: finding.package.scope,
        purl: finding.package.purl,
        source: finding.package.source,
      },
      severity: finding.severity,
      fixed: fixedVersions(finding),
      disposition:
        disposition.kind === 'ignored'
          ? {
              kind: 'ignored',
              reason: disposition.rule.reason,
              rule: disposition.rule.source,
              expires: disposition.rule.expires ?? null,
            }
          : disposition,
    })),
    expiredIgnores: report.policy.expiredIgnores,
    unusedIgnores: report.policy.unusedIgnores,
    licenseViolations: report.policy.licenseViolations.map((v) => ({
      package: {
        ecosystem: v.package.ecosystem,
        name: v.package.name,
        version: v.package.version,
        license: v.package.license,
        source: v.package.source,
      },
      reason: v.reason,
    })),
    notEvaluated: report.notEvaluated.map((u) => ({
      id: u.advisory.id,
      package: {
        ecosystem: u.package.ecosystem,
        name: u.package.name,
        version: u.package.version,
        source: u.package.source,
      },
      reason: u.reason,
    })),
    unpinned: report.unpinned,
    warnings: report.warnings,
  };
}

/** Versions that fix the finding, from the advisories' `fixed` events for the package. */
export function fixedVersions(finding: ScanReport['findings'][number]): string[] {
  const out = new Set<string>();
  for (const advisory of finding.advisories) {
    for (const affected of advisory.affected) {
      if (affected.package?.ecosystem !== finding.package.ecosystem) continue;
      for (const range of affected.ranges) {
        if (range.type === 'GIT') continue;
        for (const e of range.events) if ('fixed' in e) out.add(e.fixed);
      }
    }
  }
  return [...out];
}
