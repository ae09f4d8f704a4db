/**
 * A CycloneDX 1.6 SBOM of the scanned packages (with their vulnerabilities), built and serialised with the OWASP
 * @cyclonedx/cyclonedx-library. Deterministic for the same input: sorted lists and the timestamp the caller gives.
 */
// Subpath imports: the package's main entry also loads its schema resources through __dirname, which an ESM bundle
// cannot do (ERR_AMBIGUOUS_MODULE_SYNTAX); Enums, Models, Serialize and Spec are all the SBOM needs.
import * as Enums from '@cyclonedx/cyclonedx-library/Enums';
import * as Models from '@cyclonedx/cyclonedx-library/Models';
import * as Serialize from '@cyclonedx/cyclonedx-library/Serialize';
import * as Spec from '@cyclonedx/cyclonedx-library/Spec';
import type { Package } from '../model.ts';
import type { ScanReport } from '../scan.ts';

const SCOPE: Record<Package['scope'], Enums.ComponentScope> = {
  runtime: Enums.ComponentScope.Required,
  optional: Enums.ComponentScope.Optional,
  dev: Enums.ComponentScope.Excluded,
};

const SEVERITY: Record<string, Enums.Vulnerability.Severity> = {
  critical: Enums.Vulnerability.Severity.Critical,
  high: Enums.Vulnerability.Severity.High,
  medium: Enums.Vulnerability.Severity.Medium,
  low: Enums.Vulnerability.Severity.Low,
  none: Enums.Vulnerability.Severity.None,
  unscored: Enums.Vulnerability.Severity.Unknown,
};

export function toCycloneDx(report: ScanReport, tool: { name: string; version: string }, timestamp: Date): string {
  const bom = new Models.Bom();
  bom.metadata.timestamp = timestamp;
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Application, tool.name, { version: tool.version }),
  );
  const components = new Map<string, Models.Component>();
  for (const pkg of report.packages) {
    if (components.has(pkg.purl)) continue;
    const component = new Models.Component(Enums.ComponentType.Library, pkg.name, {
      version: pkg.version,
      bomRef: pkg.purl,
      scope: SCOPE[pkg.scope],
      // The library serialises a purl with toString(); Airlock builds purls itself (packageurl-js is not needed).
      purl: { toString: () => pkg.purl } as unknown as Models.Component['purl'],
    });
    if (pkg.license !== undefined) component.licenses.add(new Models.LicenseExpression(pkg.license));
    component.properties.add(new Models.Property('airlock:lockfile', `${pkg.source.path}:${pkg.source.line}`));
    components.set(pkg.purl, component);
    bom.components.add(component);
  }
  const vulns = new Map<string, Models.Vulnerability.Vulnerability>();
  for (const { finding, disposition } of report.policy.decisions) {
    let vuln = vulns.get(finding.id);
    if (vuln === undefined) {
      vuln = new Models.Vulnerability.Vulnerability({
        bomRef: `vuln:${finding.id}`,
        id: finding.id,
        source: new Models.Vulnerability.Source({
          name: 'OSV',
          url: `https://osv.dev/vulnerability/${finding.id}`,
        }),
        description: finding.advisories[0]?.summary,
      });
      for (const id of finding.ids.filter((i) => i !== finding.id)) {
        vuln.references.add(new Models.Vulnerability.Reference(id, new Models.Vulnerability.Source({ name: 'OSV' })));
      }
      const s = finding.severity;
      vuln.ratings.add(
        new Models.Vulnerability.Rating({
          ...(s.score === undefined ? {} : { score: s.score }),
          severity: SEVERITY[s.level],
          ...(s.vector === undefined
            ? { method: Enums.Vulnerability.RatingMethod.Other }
            : {
                method: s.vector.startsWith('CVSS:4.0')
                  ? Enums.Vulnerability.RatingMethod.CVSSv4
                  : s.vector.startsWith('CVSS:3.1')
                    ? Enums.Vulnerability.RatingMethod.CVSSv31
                    : Enums.Vulnerability.RatingMethod.CVSSv3,
                vector: s.vector,
              }),
        }),
      );
      if (disposition.kind === 'ignored') {
        vuln.analysis = new Models.Vulnerability.Analysis({
          state: Enums.Vulnerability.AnalysisState.NotAffected,
          detail: disposition.rule.reason,
        });
      }
      vulns.set(finding.id, vuln);
      bom.vulnerabilities.add(vuln);
    }
    const component = components.get(finding.package.purl);
    if (component !== undefined) vuln.affects.add(new Models.Vulnerability.Affect(component.bomRef));
  }
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  return serializer.serialize(bom, { sortLists: true, space: 2 });
}
