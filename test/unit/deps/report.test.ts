import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Summary } from '@airlock/core';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type Policy } from '../../../packages/deps/src/policy.ts';
import { toCycloneDx } from '../../../packages/deps/src/report/cyclonedx.ts';
import { toJsonReport } from '../../../packages/deps/src/report/json.ts';
import { toSarif } from '../../../packages/deps/src/report/sarif.ts';
import { writeSummary } from '../../../packages/deps/src/report/summary.ts';
import { toTable } from '../../../packages/deps/src/report/table.ts';
import { scan } from '../../../packages/deps/src/scan.ts';
import { advisory, packageLock, writeDb } from '../../fixtures/scan/helpers.ts';
import { FIXTURES } from '../../support/paths.ts';

const TOOL = { name: 'Airlock scan', version: '0.0.0-test', informationUri: 'https://example.com/airlock' };
const db = writeDb({
  npm: [
    advisory('GHSA-35jh-r3h4-6jhm', 'npm', 'lodash', [{ introduced: '0' }, { fixed: '4.17.21' }], {
      aliases: ['CVE-2021-23337'],
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' }],
    }),
    advisory('GHSA-xvch-5gv4-984h', 'npm', 'minimist', [{ introduced: '0' }, { fixed: '1.2.6' }], {
      database_specific: { severity: 'CRITICAL' },
    }),
    advisory('GHSA-pppp-qqqq-rrrr', 'npm', 'left-pad', [{ introduced: '0' }]),
  ],
});

async function report(lines: 0 | 5 = 0, policy: Policy = DEFAULT_POLICY) {
  const root = mkdtempSync(join(tmpdir(), 'airlock-report-'));
  const lock = packageLock([
    { name: 'lodash', version: '4.17.20', license: 'MIT' },
    { name: 'minimist', version: '1.2.5', license: 'MIT' },
    { name: 'left-pad', version: '1.3.0', dev: true, license: 'WTFPL' },
  ]);
  writeFileSync(join(root, 'package-lock.json'), '\n'.repeat(lines) + lock);
  return scan({ root, source: { kind: 'offline', dir: db }, policy, now: () => new Date('2026-01-01T00:00:00Z') });
}

const ignoring: Policy = {
  ...DEFAULT_POLICY,
  ignores: [{ id: 'CVE-2021-23337', reason: 'template() unused', expires: '2026-12-31', source: 'airlock.yml:6' }],
};

describe('SARIF 2.1.0', () => {
  it('validates against the OASIS SARIF 2.1.0 schema', async () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(join(FIXTURES, 'scan/sarif-schema-2.1.0.json'), 'utf8')));
    const sarif = toSarif(await report(0, ignoring), TOOL);
    const ok = validate(sarif);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    // a schema that cannot fail is no check: break the log and see it rejected
    expect(validate({ ...sarif, version: '2.0.0' })).toBe(false);
  });

  it('locates results at the lockfile line, carries security-severity, and suppresses ignored findings', async () => {
    const r = await report(0, ignoring);
    const sarif = toSarif(r, TOOL) as {
      runs: [
        {
          tool: { driver: { rules: Array<{ id: string; properties: Record<string, unknown> }> } };
          results: Array<Record<string, unknown>>;
        },
      ];
    };
    const [run] = sarif.runs;
    const rule = (id: string) => run.tool.driver.rules.find((x) => x.id === id)?.properties;
    expect(rule('GHSA-35jh-r3h4-6jhm')).toMatchObject({
      'security-severity': '7.2',
      'airlock-severity-source': 'CVSS_V3',
    });
    expect(rule('GHSA-xvch-5gv4-984h')).toMatchObject({
      'security-severity': '9.0',
      'airlock-severity-source': 'database_specific',
    });
    expect(rule('GHSA-pppp-qqqq-rrrr')?.['security-severity']).toBeUndefined(); // unscored: no invented number
    const lodash = run.results.find((x) => x.ruleId === 'GHSA-35jh-r3h4-6jhm') as Record<string, unknown>;
    const lodashPkg = r.packages.find((p) => p.name === 'lodash');
    expect(lodash.locations).toEqual([
      {
        physicalLocation: {
          artifactLocation: { uri: 'package-lock.json', uriBaseId: '%SRCROOT%' },
          region: { startLine: lodashPkg?.source.line },
        },
      },
    ]);
    expect(lodash.suppressions).toEqual([
      { kind: 'external', justification: 'template() unused (airlock.yml:6, until 2026-12-31)' },
    ]);
    expect(run.results.find((x) => x.ruleId === 'GHSA-xvch-5gv4-984h')?.level).toBe('error');
  });

  it('keeps fingerprints stable when lockfile lines move', async () => {
    const fp = async (lines: 0 | 5) =>
      (
        toSarif(await report(lines), TOOL) as {
          runs: [{ results: Array<{ partialFingerprints: object; locations: unknown }> }];
        }
      ).runs[0].results.map((r) => r.partialFingerprints);
    expect(await fp(5)).toEqual(await fp(0));
  });
});

describe('CycloneDX 1.6 SBOM', () => {
  it('lists every package with purl, scope and license, and the vulnerabilities affecting them', async () => {
    const bom = JSON.parse(toCycloneDx(await report(0, ignoring), TOOL, new Date('2026-01-01T00:00:00Z')));
    expect(bom).toMatchObject({
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      metadata: { timestamp: '2026-01-01T00:00:00.000Z' },
    });
    const lodash = bom.components.find((c: { name: string }) => c.name === 'lodash');
    expect(lodash).toMatchObject({
      purl: 'pkg:npm/lodash@4.17.20',
      'bom-ref': 'pkg:npm/lodash@4.17.20',
      scope: 'required',
      licenses: [{ expression: 'MIT' }],
    });
    expect(bom.components.find((c: { name: string }) => c.name === 'left-pad').scope).toBe('excluded');
    const vuln = bom.vulnerabilities.find((v: { id: string }) => v.id === 'GHSA-35jh-r3h4-6jhm');
    expect(vuln).toMatchObject({
      ratings: [{ score: 7.2, severity: 'high', method: 'CVSSv31' }],
      affects: [{ ref: 'pkg:npm/lodash@4.17.20' }],
      analysis: { state: 'not_affected', detail: 'template() unused' },
    });
  });
});

describe('job summary, JSON and table', () => {
  it('stays within its budget with thousands of findings and says what was left out', async () => {
    const r = await report();
    const many = {
      ...r,
      policy: { ...r.policy, decisions: Array.from({ length: 20_000 }, () => r.policy.decisions[0] as never) },
    };
    const summary = new Summary();
    writeSummary(summary, many);
    const text = summary.toString();
    expect(Buffer.byteLength(text)).toBeLessThan(512 * 1024);
    expect(text).toMatch(/The summary was shortened to stay under 512 KiB/);
    expect(text).toMatch(/of 20000 failing findings are not shown/);
  });

  it('puts the verdict, counts and fixes in the summary', async () => {
    const summary = new Summary();
    writeSummary(summary, await report(0, ignoring), { sarifFile: '/tmp/r.sarif' });
    const text = summary.toString();
    expect(text).toMatch(/❌ Failed: 1 lockfile\(s\), 3 package\(s\)/);
    expect(text).toContain('| GHSA-xvch-5gv4-984h | critical | minimist@1.2.5 |');
    expect(text).toContain('1.2.6');
    expect(text).toContain('template() unused');
  });

  it('gives machines everything in JSON and people a table', async () => {
    const r = await report(0, { ...ignoring, licenses: { allow: ['MIT'], deny: [] } });
    const json = toJsonReport(r) as {
      findings: Array<{ id: string; disposition: { kind: string }; fixed: string[] }>;
      licenseViolations: unknown[];
      counts: object;
    };
    expect(json.findings.map((f) => [f.id, f.disposition.kind, f.fixed])).toEqual([
      ['GHSA-xvch-5gv4-984h', 'fail', ['1.2.6']],
      ['GHSA-35jh-r3h4-6jhm', 'ignored', ['4.17.21']],
      ['GHSA-pppp-qqqq-rrrr', 'fail', []],
    ]);
    expect(json.licenseViolations).toHaveLength(1);
    expect(toTable(r)).toMatch(
      /FAILED: 2 vulnerabilities at or above fail-on high \(or unscored\); 1 package violates the license policy$/,
    );
  });
});
