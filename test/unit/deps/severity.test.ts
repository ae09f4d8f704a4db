import { describe, expect, it } from 'vitest';
import { parseAdvisory } from '../../../packages/deps/src/osv/schema.ts';
import {
  advisorySeverity,
  cvss3,
  cvss4,
  groupSeverity,
  levelOfScore,
  roundup31,
} from '../../../packages/deps/src/severity/index.ts';

/**
 * Published example vectors and their scores:
 * - CVSS v3.1: FIRST's "CVSS v3.1 Examples" document (https://www.first.org/cvss/v3.1/examples) and the v3.1
 *   specification's Roundup definition (Appendix A).
 * - CVSS v4.0: FIRST's "CVSS v4.0 Examples" (https://www.first.org/cvss/v4-0/examples), the scores FIRST's reference
 *   calculator gives for them.
 */
const V31: Array<[string, number]> = [
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1], // CVE-2013-1937 phpMyAdmin XSS
  ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N', 6.4], // CVE-2013-0375 MySQL
  ['CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N', 3.1], // CVE-2014-3566 POODLE
  ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H', 9.9], // CVE-2012-1516 VMware
  ['CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L', 4.2], // CVE-2009-0783 Tomcat
  ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 8.8], // CVE-2012-0384 Cisco IOS
  ['CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', 7.8], // CVE-2015-1098 iWork
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', 7.5], // CVE-2014-0160 Heartbleed
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8], // CVE-2014-6271 Shellshock
  ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N', 6.8], // CVE-2008-1447 DNS
  ['CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 6.8], // CVE-2014-2005 Sophos
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N', 5.8], // CVE-2010-0467 Joomla
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:L/A:N', 5.8], // CVE-2012-1342 Cisco
  ['CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:N/I:H/A:H', 9.3], // CVE-2013-6014 Juniper
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10],
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0],
];

const V40: Array<[string, number]> = [
  ['CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 7.3], // CVE-2022-41741
  ['CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 7.7], // CVE-2020-3549
  ['CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U', 5.2], // CVE-2020-3549, threat
  ['CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N', 8.3], // CVE-2023-3089
  ['CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N/CR:H/IR:L/AR:L/MAV:N/MAC:H/MVC:H/MVI:L/MVA:L', 8.1], // CVE-2023-3089, environmental
  ['CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N', 4.6], // CVE-2021-44714
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N', 5.1], // CVE-2022-21830
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N', 6.9], // CVE-2022-22186
  ['CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:N/VI:N/VA:N/SC:H/SI:N/SA:N', 5.9], // CVE-2023-21989
  ['CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H', 9.4], // CVE-2020-3947
  ['CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:H/SA:N/S:P/V:D', 8.3], // CVE-2023-30560
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N/E:A', 8.7], // Heartbleed
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:A', 10], // CVE-2014-6271
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A', 9.3], // Log4Shell
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:H/VA:N/SC:H/SI:H/SA:H', 9.3], // CVE-2023-48228
  ['CVSS:4.0/AV:N/AC:H/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:P', 8.2], // CVE-2024-6387
  ['CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/VA:N/SC:H/SI:N/SA:H', 6.4], // CVE-2013-6014
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:L', 8.7], // CVE-2021-44228-style DoS example
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:L/E:U', 6.6],
  ['CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N', 8.3],
  ['CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/E:U', 5.6],
  ['CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/S:P', 8.6],
  ['CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/MSI:S/S:P', 9.7],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:N/VI:N/VA:N/SC:H/SI:L/SA:H', 6.4],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:N/VI:N/VA:N/SC:H/SI:L/SA:H/E:U/MAV:A/R:U/V:C', 2.4],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N', 0],
];

describe('CVSS v3.x base scores', () => {
  it.each(V31)('%s → %d', (vector, score) => {
    expect(cvss3(vector).score).toBe(score);
  });

  it('scores v3.0 vectors with the v3.0 roundup', () => {
    expect(cvss3('CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N').score).toBe(6.1);
    expect(cvss3('CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toMatchObject({ version: '3.0', score: 9.8 });
  });

  it("implements v3.1's Roundup without float artefacts", () => {
    expect(roundup31(4.000002)).toBe(4.0); // the specification's own example of an artefact rounded away
    expect(roundup31(4.0)).toBe(4.0);
    expect(roundup31(4.02)).toBe(4.1);
    // 0.1 + 0.2 is 0.30000000000000004 in floating point: a naive ceil gives 0.4
    expect(roundup31(0.1 + 0.2)).toBe(0.3);
  });

  it('accepts temporal and environmental metrics without changing the base score', () => {
    expect(cvss3('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:R/CR:L').score).toBe(9.8);
  });

  it.each([
    ['CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P', /not a CVSS v3.0\/v3.1 vector/],
    ['AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /must start with CVSS:3.0\/ or CVSS:3.1\//],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H', /lacks base metric\(s\) A/],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:L', /A appears twice/],
    ['CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /AV cannot be X/],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1', /unknown CVSS v3.1 metric ZZ/],
    ['CVSS:3.1/AV:N//AC:L', /is not METRIC:VALUE/],
  ])('rejects %s', (vector, message) => {
    expect(() => cvss3(vector)).toThrow(message);
  });
});

describe('CVSS v4.0 scores', () => {
  it.each(V40)('%s → %d', (vector, score) => {
    expect(cvss4(vector).score).toBe(score);
  });

  it.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /not a CVSS v4.0 vector/],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N', /lacks base metric\(s\) SA/],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N', /SI cannot be S/],
    ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:Q', /E cannot be Q/],
  ])('rejects %s', (vector, message) => {
    expect(() => cvss4(vector)).toThrow(message);
  });

  it('uses the qualitative bands of the specifications', () => {
    expect([0, 0.1, 3.9, 4, 6.9, 7, 8.9, 9, 10].map(levelOfScore)).toEqual([
      'none',
      'low',
      'low',
      'medium',
      'medium',
      'high',
      'high',
      'critical',
      'critical',
    ]);
  });
});

const advisory = (fields: Record<string, unknown>) =>
  parseAdvisory({ id: 'GHSA-aaaa-bbbb-cccc', modified: '2024-01-01T00:00:00Z', ...fields }, 'test');

describe('advisory severity', () => {
  it('prefers a CVSS v4 vector over v3, and computes rather than trusts', () => {
    const a = advisory({
      severity: [
        { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
        { type: 'CVSS_V4', score: 'CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N' },
      ],
      database_specific: { severity: 'CRITICAL' },
    });
    expect(advisorySeverity(a)).toMatchObject({ level: 'medium', score: 4.6, source: 'CVSS_V4' });
  });

  it("falls back to the GHSA rating in database_specific, then to 'unscored'", () => {
    expect(advisorySeverity(advisory({ database_specific: { severity: 'MODERATE' } }))).toEqual({
      level: 'medium',
      source: 'database_specific',
      advisory: 'GHSA-aaaa-bbbb-cccc',
    });
    expect(advisorySeverity(advisory({}))).toEqual({ level: 'unscored', source: 'none' });
  });

  it('skips an invalid vector, says so, and falls back', () => {
    const problems: string[] = [];
    const s = advisorySeverity(
      advisory({ severity: [{ type: 'CVSS_V3', score: '9.8' }], database_specific: { severity: 'HIGH' } }),
      undefined,
      problems,
    );
    expect(s.level).toBe('high');
    expect(problems[0]).toMatch(/GHSA-aaaa-bbbb-cccc: ignoring CVSS_V3 '9.8'/);
  });

  it('reads per-package severity in affected[] and takes the worst of a group', () => {
    const a = advisory({
      affected: [
        {
          package: { ecosystem: 'npm', name: 'x' },
          severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' }],
        },
      ],
    });
    expect(advisorySeverity(a, 'x')).toMatchObject({ level: 'high', score: 7.5 });
    const b = advisory({ id: 'PYSEC-1', database_specific: { severity: 'CRITICAL' } });
    expect(groupSeverity([a, b], 'x').level).toBe('critical');
  });
});
