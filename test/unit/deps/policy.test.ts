import { describe, expect, it } from 'vitest';
import type { Package } from '../../../packages/deps/src/model.ts';
import { parseAdvisory } from '../../../packages/deps/src/osv/schema.ts';
import {
  type AssessedFinding,
  DEFAULT_POLICY,
  evaluatePolicy,
  licenseList,
  mergePolicy,
  parsePolicyFile,
} from '../../../packages/deps/src/policy.ts';
import type { Severity } from '../../../packages/deps/src/severity/index.ts';
import { checkLicense, parseSpdx } from '../../../packages/deps/src/spdx.ts';

const pkg = (name: string, scope: Package['scope'] = 'runtime', license?: string): Package => ({
  ecosystem: 'npm',
  name,
  version: '1.0.0',
  scope,
  source: { path: 'package-lock.json', line: 10 },
  purl: `pkg:npm/${name}@1.0.0`,
  ...(license === undefined ? {} : { license }),
});

const finding = (id: string, aliases: string[], severity: Severity, p = pkg('lodash')): AssessedFinding => {
  const advisory = parseAdvisory({ id, modified: 'm', aliases }, 't');
  return { package: p, advisories: [advisory], id, ids: [id, ...aliases].sort(), severity };
};
const high: Severity = { level: 'high', score: 7.5, source: 'CVSS_V3' };
const medium: Severity = { level: 'medium', score: 5, source: 'CVSS_V3' };
const unscored: Severity = { level: 'unscored', source: 'none' };
const NOW = new Date('2026-03-01T12:00:00Z');

describe('policy file', () => {
  it('reads the scan section of airlock.yml', () => {
    const policy = parsePolicyFile(
      [
        'audit: {}',
        'scan:',
        '  fail-on: medium',
        '  unscored: warn',
        '  scopes: [runtime]',
        '  ignore:',
        '    - id: CVE-2021-23337',
        '      reason: template() is never called with user input',
        '      expires: 2026-06-30',
        '      packages: [lodash]',
        '  licenses:',
        '    allow: MIT OR Apache-2.0 OR ISC',
        '    deny: [GPL-3.0-only]',
      ].join('\n'),
      'airlock.yml',
    );
    expect(policy).toEqual({
      failOn: 'medium',
      unscored: 'warn',
      scopes: ['runtime'],
      ignores: [
        {
          id: 'CVE-2021-23337',
          reason: 'template() is never called with user input',
          expires: '2026-06-30',
          packages: ['lodash'],
          source: 'airlock.yml:7',
        },
      ],
      licenses: { allow: ['MIT', 'Apache-2.0', 'ISC'], deny: ['GPL-3.0-only'] },
    });
    expect(parsePolicyFile('', 'airlock.yml')).toBe(DEFAULT_POLICY);
    expect(parsePolicyFile('audit:\n  x: 1\n', 'airlock.yml')).toBe(DEFAULT_POLICY);
  });

  it.each([
    ['scan:\n  ignore:\n    - id: GHSA-1\n', /^airlock.yml:3: ignore entry 'GHSA-1' needs a reason$/],
    [
      'scan:\n  ignore:\n    - id: GHSA-1\n      reason: "  "\n',
      /^airlock.yml:3: ignore entry 'GHSA-1' needs a reason$/,
    ],
    ['scan:\n  ignore:\n    - reason: x\n', /^airlock.yml:3: an ignore entry needs an 'id'$/],
    [
      'scan:\n  ignore:\n    - id: X\n      reason: y\n      expires: next year\n',
      /^airlock.yml:5: 'expires' must be a date like 2026-06-30; got 'next year'$/,
    ],
    [
      'scan:\n  ignore:\n    - id: X\n      reason: y\n      expires: 2026-02-30\n',
      /^airlock.yml:5: 'expires' must be a date/,
    ],
    [
      'scan:\n  ignore:\n    - id: X\n      reason: y\n      until: 2026-01-01\n',
      /^airlock.yml:5: unknown key 'until' in an ignore entry/,
    ],
    [
      'scan:\n  fail-on: severe\n',
      /^airlock.yml:2: 'fail-on' must be one of critical, high, medium, low, any, none; got 'severe'$/,
    ],
    ['scan:\n  failon: high\n', /^airlock.yml:2: unknown key 'failon' under 'scan'/],
    [
      'scan:\n  scopes: [runtime, test]\n',
      /^airlock.yml:2: 'scopes' items must be runtime, dev or optional; got 'test'$/,
    ],
    ['scan:\n  licenses:\n    allow: MIT AND ISC\n', /^airlock.yml:3: a license list joins ids with OR, not AND/],
    ['scan:\n  licenses:\n    allow: "MIT OR ("\n', /^airlock.yml:3: unexpected end in license expression/],
    ['scan: [1, 2]\n', /^airlock.yml:1: expected a mapping under 'scan'$/],
    ['scan:\n  fail-on: high\n  fail-on: low\n', /^airlock.yml:3: Map keys must be unique/],
    ['scan:\n  fail-on: [high\n', /^airlock.yml:\d+: /],
    ['\uFEFFscan:\r\n  fail-on: nope\r\n', /^airlock.yml:2: 'fail-on' must be one of/],
  ])('reports %j with file and line', (text, message) => {
    expect(() => parsePolicyFile(text, 'airlock.yml')).toThrow(message);
  });

  it('survives a YAML alias bomb without expanding it', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      ...'bcdefghij'
        .split('')
        .map(
          (c, i) => `${c}: &${c} [*${'abcdefghij'[i]}, *${'abcdefghij'[i]}, *${'abcdefghij'[i]}, *${'abcdefghij'[i]}]`,
        ),
      'scan:',
      '  fail-on: low',
    ].join('\n');
    const started = Date.now();
    expect(parsePolicyFile(bomb, 'airlock.yml').failOn).toBe('low');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('lets inputs override the file', () => {
    const merged = mergePolicy(DEFAULT_POLICY, {
      failOn: 'critical',
      licenses: { deny: licenseList('GPL-2.0-only OR GPL-3.0-only', 'x') },
    });
    expect(merged).toMatchObject({
      failOn: 'critical',
      unscored: 'fail',
      licenses: { allow: [], deny: ['GPL-2.0-only', 'GPL-3.0-only'] },
    });
  });
});

describe('policy evaluation', () => {
  it('fails at or above fail-on and reports the rest', () => {
    const r = evaluatePolicy([finding('GHSA-h', [], high), finding('GHSA-m', [], medium)], [], DEFAULT_POLICY, NOW);
    expect(r.decisions.map((d) => d.disposition)).toEqual([
      { kind: 'fail' },
      { kind: 'report', why: 'below fail-on high' },
    ]);
    expect(r.failed).toBe(true);
    expect(r.reasons).toEqual(['1 vulnerability at or above fail-on high (or unscored)']);
    expect(evaluatePolicy([finding('GHSA-h', [], high)], [], { ...DEFAULT_POLICY, failOn: 'none' }, NOW).failed).toBe(
      false,
    );
  });

  it("treats unscored as the policy says, never as 'low'", () => {
    const f = [finding('GO-2024-1', [], unscored)];
    expect(evaluatePolicy(f, [], { ...DEFAULT_POLICY, failOn: 'critical' }, NOW).failed).toBe(true);
    const warn = evaluatePolicy(f, [], { ...DEFAULT_POLICY, unscored: 'warn' }, NOW);
    expect(warn.failed).toBe(false);
    expect(warn.decisions[0]?.disposition).toEqual({ kind: 'report', why: 'unscored (policy: unscored warn)' });
  });

  it('gates only the configured scopes', () => {
    const r = evaluatePolicy(
      [finding('GHSA-d', [], high, pkg('jest', 'dev'))],
      [],
      { ...DEFAULT_POLICY, scopes: ['runtime'] },
      NOW,
    );
    expect(r.failed).toBe(false);
    expect(r.decisions[0]?.disposition).toEqual({ kind: 'report', why: 'scope dev is not gated' });
  });

  it('applies ignores through any alias (CVE ↔ GHSA ↔ PYSEC ↔ GO), case-insensitively', () => {
    const rule = { id: 'cve-2020-28493', reason: 'not reachable', source: 'airlock.yml:4' };
    const r = evaluatePolicy(
      [finding('GHSA-g3rq-g295-4j3m', ['CVE-2020-28493', 'PYSEC-2021-66'], high)],
      [],
      { ...DEFAULT_POLICY, ignores: [rule] },
      NOW,
    );
    expect(r.decisions[0]?.disposition).toEqual({ kind: 'ignored', rule });
    expect(r.failed).toBe(false);
    expect(r.unusedIgnores).toEqual([]);
    const other = evaluatePolicy([finding('GHSA-x', [], high)], [], { ...DEFAULT_POLICY, ignores: [rule] }, NOW);
    expect(other.unusedIgnores).toEqual([rule]);
  });

  it('stops applying an expired ignore and reports it; an ignore is valid through its expiry day', () => {
    const expired = { id: 'GHSA-x', reason: 'r', expires: '2026-02-28', source: 'airlock.yml:5' };
    const r = evaluatePolicy([finding('GHSA-x', [], high)], [], { ...DEFAULT_POLICY, ignores: [expired] }, NOW);
    expect(r.failed).toBe(true);
    expect(r.expiredIgnores).toEqual([expired]);
    const today = { ...expired, expires: '2026-03-01' };
    expect(evaluatePolicy([finding('GHSA-x', [], high)], [], { ...DEFAULT_POLICY, ignores: [today] }, NOW).failed).toBe(
      false,
    );
  });

  it('limits an ignore to the packages it names', () => {
    const rule = { id: 'GHSA-x', reason: 'r', packages: ['other'], source: 's' };
    expect(evaluatePolicy([finding('GHSA-x', [], high)], [], { ...DEFAULT_POLICY, ignores: [rule] }, NOW).failed).toBe(
      true,
    );
  });

  it('checks SPDX license expressions against allow and deny lists', () => {
    const packages = [
      pkg('a', 'runtime', 'MIT'),
      pkg('b', 'runtime', '(MIT OR GPL-3.0-only)'),
      pkg('c', 'runtime', 'GPL-3.0-only'),
      pkg('d', 'runtime', 'MIT AND BSD-3-Clause'),
      pkg('e', 'runtime', 'not a (license'),
      pkg('f', 'runtime'),
      pkg('g', 'dev', 'GPL-3.0-only'),
    ];
    const r = evaluatePolicy(
      [],
      packages,
      { ...DEFAULT_POLICY, scopes: ['runtime'], licenses: { allow: ['MIT', 'ISC'], deny: ['GPL-3.0-only'] } },
      NOW,
    );
    expect(r.licenseViolations.map((v) => [v.package.name, v.reason])).toEqual([
      ['c', "'GPL-3.0-only' requires a denied license"],
      ['d', "'MIT AND BSD-3-Clause' is not satisfied by the allowed licenses"],
      ['e', expect.stringMatching(/^license is not a valid SPDX expression: unexpected 'a'/)],
    ]);
    expect(r.failed).toBe(true);
  });
});

describe('SPDX expressions', () => {
  it('parses precedence, WITH, + and LicenseRef', () => {
    expect(parseSpdx('MIT OR Apache-2.0 AND BSD-3-Clause')).toEqual({
      type: 'or',
      left: { type: 'license', id: 'MIT', plus: false },
      right: {
        type: 'and',
        left: { type: 'license', id: 'Apache-2.0', plus: false },
        right: { type: 'license', id: 'BSD-3-Clause', plus: false },
      },
    });
    expect(parseSpdx('GPL-2.0+ with Classpath-exception-2.0')).toEqual({
      type: 'license',
      id: 'GPL-2.0',
      plus: true,
      exception: 'Classpath-exception-2.0',
    });
    expect(parseSpdx('LicenseRef-acme')).toMatchObject({ id: 'LicenseRef-acme' });
    expect(checkLicense('GPL-2.0-only WITH Classpath-exception-2.0', ['GPL-2.0-only'], []).ok).toBe(true);
  });

  it.each(['', 'MIT OR', '(MIT', 'MIT)', 'AND MIT', 'MIT WITH', 'M!T', `${'('.repeat(60)}MIT${')'.repeat(60)}`])(
    'rejects %j',
    (text) => {
      expect(() => parseSpdx(text)).toThrow(/license expression/);
    },
  );
});
