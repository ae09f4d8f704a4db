/**
 * A CycloneDX 1.6 SBOM of the scanned packages (with their vulnerabilities), built and serialised with the OWASP
 * @cyclonedx/cyclonedx-library. Deterministic for the same input: sorted lists and the timestamp the caller gives.
 */
import * as CDX from '@cyclonedx/cyclonedx-library';
import type { Package } from '../model.ts';
import type { ScanReport } from '../scan.ts';

const SCOPE: Record<Package['scope'], CDX.Enums.ComponentScope> = {
  runtime: CDX.Enums.ComponentScope.Required,
  optional: CDX.Enums.ComponentScope.Optional,
  dev: CDX.Enums.ComponentScope.Excluded,
};

const SEVERITY: Record<string, CDX.Enums.Vulnerability.Severity> = {
  critical: CDX.Enums.Vulnerability.Severity.Critical,
  high: CDX.Enums.Vulnerability.Severity.High,
  medium: CDX.Enums.Vulnerability.Severity.Medium,
  low: CDX.Enums.Vulnerability.Severity.Low,
  none: CDX.Enums.Vulnerability.Severity.None,
  unscored: CDX.Enums.Vulnerability.Severity.Unknown,
};

export function toCycloneDx(report: ScanReport, tool: { name: string; version: string }, timestamp: Date): string {
  const bom = new CDX.Models.Bom();
  bom.metadata.timestamp = timestamp;
  bom.metadata.tools.components.add(
    new CDX.Models.Component(CDX.Enums.ComponentType.Application, tool.name, { version: tool.version }),
  );
  const components = new Map<string, CDX.Models.Component>();
  for (const pkg of report.packages) {
    if (components.has(pkg.purl)) continue;
    const component = new CDX.Models.Component(CDX.Enums.ComponentType.Library, pkg.name, {
      version: pkg.version,
      bomRef: pkg.purl,
      scope: SCOPE[pkg.scope],
      // The library serialises a purl with toString(); Airlock builds purls itself (packageurl-js is not needed).
      purl: { toString: () => pkg.purl } as unknown as CDX.Models.Component['purl'],
    });
    if (pkg.license !== undefined) component.licenses.add(new CDX.Models.LicenseExpression(pkg.license));
    component.properties.add(new CDX.Models.Property('airlock:lockfile', `${pkg.source.path}:${pkg.source.line}`));
    components.set(pkg.purl, component);
    bom.components.add(component);
  }
  const vulns = new Map<string, CDX.Models.Vulnerability.Vulnerability>();
  for (const { finding, disposition } of report.policy.decisions) {
    let vuln = vulns.get(finding.id);
    if (vuln === undefined) {
      vuln = new CDX.Models.Vulnerability.Vulnerability({
        bomRef: `vuln:${finding.id}`,
        id: finding.id,
        source: new CDX.Models.Vulnerability.Source({
          name: 'OSV',
          url: `https://osv.dev/vulnerability/${finding.id}`,
        }),
        description: finding.advisories[0]?.summary,
      });
      for (const id of finding.ids.filter((i) => i !== finding.id)) {
        vuln.references.add(
          new CDX.Models.Vulnerability.Reference(id, new CDX.Models.Vulnerability.Source({ name: 'OSV' })),
        );
      }
      const s = finding.severity;
      vuln.ratings.add(
        new CDX.Models.Vulnerability.Rating({
          ...(s.score === undefined ? {} : { score: s.score }),
          severity: SEVERITY[s.level],
          ...(s.vector === undefined
            ? { method: CDX.Enums.Vulnerability.RatingMethod.Other }
            : {
                method: s.vector.startsWith('CVSS:4.0')
                  ? CDX.Enums.Vulnerability.RatingMethod.CVSSv4
                  : s.vector.startsWith('CVSS:3.1')
                    ? CDX.Enums.Vulnerability.RatingMethod.CVSSv31
                    : CDX.Enums.Vulnerability.RatingMethod.CVSSv3,
                vector: s.vector,
              }),
        }),
      );
      if (disposition.kind === 'ignored') {
        vuln.analysis = new CDX.Models.Vulnerability.Analysis({
          state: CDX.Enums.Vulnerability.AnalysisState.NotAffected,
          detail: disposition.rule.reason,
        });
      }
      vulns.set(finding.id, vuln);
      bom.vulnerabilities.add(vuln);
    }
    const component = components.get(finding.package.purl);
    if (component !== undefined) vuln.affects.add(new CDX.Models.Vulnerability.Affect(component.bomRef));
  }
  const serializer = new CDX.Serialize.JsonSerializer(new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.Spec1dot6));
  return serializer.serialize(bom, { sortLists: true, space: 2 });
}
