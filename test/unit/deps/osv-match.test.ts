import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Ecosystem, Package, VersionScheme } from '../../../packages/deps/src/model.ts';
import {
  type AdvisoryIndex,
  evaluateAdvisory,
  groupByAlias,
  inRange,
  matchPackages,
} from '../../../packages/deps/src/osv/match.ts';
import { normalizeName } from '../../../packages/deps/src/osv/names.ts';
import { type Advisory, parseAdvisory, parseAdvisoryJson } from '../../../packages/deps/src/osv/schema.ts';
import { semver2 } from '../../../packages/deps/src/osv/semver.ts';

/** A small test scheme: dotted numbers only (1.2.10 > 1.2.9), as the contract's VersionScheme. */
const dotted: VersionScheme = {
  ecosystem: 'PyPI',
  isValid: (v) => /^\d+(\.\d+)*$/.test(v),
  compare(a, b) {
    if (!dotted.isValid(a) || !dotted.isValid(b)) throw new Error(`invalid version ${a} or ${b}`);
    const x = a.split('.').map(Number);
    const y = b.split('.').map(Number);
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      const d = (x[i] ?? 0) - (y[i] ?? 0);
      if (d !== 0) return d;
    }
    return 0;
  },
};

const adv = (fields: Record<string, unknown>): Advisory =>
  parseAdvisory({ id: 'PYSEC-2024-1', modified: '2024-01-01T00:00:00Z', ...fields }, 'test');
const eco = (name: string, events: object[], extra: object = {}) =>
  adv({ affected: [{ package: { ecosystem: 'PyPI', name }, ranges: [{ type: 'ECOSYSTEM', events }], ...extra }] });
const target = (version: string, name = 'requests') => ({ ecosystem: 'PyPI' as Ecosystem, name, version });

describe('OSV evaluation rules', () => {
  it('walks introduced/fixed events in version order, with introduced "0" first', () => {
    const a = eco('requests', [{ fixed: '2.0' }, { introduced: '1.5' }, { introduced: '0' }, { fixed: '1.2' }]);
    const at = (v: string) => evaluateAdvisory(a, target(v), dotted).kind;
    expect(['0.1', '1.1.9', '1.2', '1.4', '1.5', '1.9.9', '2.0', '3'].map(at)).toEqual([
      'affected',
      'affected',
      'not-affected',
      'not-affected',
      'affected',
      'affected',
      'not-affected',
      'not-affected',
    ]);
  });

  it('treats last_affected as inclusive and limit as an upper bound for the whole range', () => {
    const last = eco('requests', [{ introduced: '1.0' }, { last_affected: '1.4' }]);
    expect(evaluateAdvisory(last, target('1.4'), dotted).kind).toBe('affected');
    expect(evaluateAdvisory(last, target('1.4.1'), dotted).kind).toBe('not-affected');
    const limited = eco('requests', [{ introduced: '0' }, { limit: '2.0' }]);
    expect(evaluateAdvisory(limited, target('1.9'), dotted).kind).toBe('affected');
    expect(evaluateAdvisory(limited, target('2.0'), dotted).kind).toBe('not-affected');
    expect(inRange('9', [{ introduced: '0' }, { limit: '*' }], dotted.compare)).toBe(true);
  });

  it('matches an exact versions entry first, even outside every range', () => {
    const a = eco('requests', [{ introduced: '5.0' }], { versions: ['1.0.0'] });
    expect(evaluateAdvisory(a, target('1.0.0'), dotted)).toEqual({ kind: 'affected', via: 'versions' });
    expect(evaluateAdvisory(a, target('1.0'), dotted)).toEqual({ kind: 'affected', via: 'versions' }); // equal in the scheme
    expect(evaluateAdvisory(a, target('1.0.1'), dotted).kind).toBe('not-affected');
  });

  it('evaluates SEMVER ranges with SemVer 2.0 precedence whatever the ecosystem scheme', () => {
    const a = adv({
      affected: [
        {
          package: { ecosystem: 'Go', name: 'github.com/x/y' },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.6.0' }] }],
        },
      ],
    });
    const go = (version: string) =>
      evaluateAdvisory(a, { ecosystem: 'Go', name: 'github.com/x/y', version }, undefined).kind;
    expect(go('v1.5.9')).toBe('affected');
    expect(go('v1.6.0-rc.1')).toBe('affected'); // a pre-release precedes its release
    expect(go('v1.6.0')).toBe('not-affected');
    expect(go('v0.0.0-20200101000000-abcdefabcdef')).toBe('affected'); // a pseudo-version
    expect(go('v2.0.0+incompatible')).toBe('not-affected');
  });

  it('never matches a GIT range by accident: reported as not evaluated when it is all there is', () => {
    const gitOnly = adv({
      affected: [
        {
          package: { ecosystem: 'PyPI', name: 'requests' },
          ranges: [
            {
              type: 'GIT',
              repo: 'https://github.com/psf/requests',
              events: [{ introduced: '0' }, { fixed: 'abc123' }],
            },
          ],
        },
      ],
    });
    expect(evaluateAdvisory(gitOnly, target('1.0'), dotted)).toEqual({
      kind: 'not-evaluated',
      reason: 'a GIT range of https://github.com/psf/requests names commits, not versions',
    });
    const both = adv({
      affected: [
        {
          package: { ecosystem: 'PyPI', name: 'requests' },
          ranges: [
            { type: 'GIT', repo: 'r', events: [{ introduced: '0' }, { fixed: 'abc123' }] },
            { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0' }] },
          ],
        },
      ],
    });
    expect(evaluateAdvisory(both, target('2.1'), dotted).kind).toBe('not-affected');
    expect(evaluateAdvisory(both, target('1.9'), dotted).kind).toBe('affected');
  });

  it('skips withdrawn advisories', () => {
    const a = eco('requests', [{ introduced: '0' }], { versions: [] });
    const withdrawn = adv({
      ...a,
      withdrawn: '2024-02-01T00:00:00Z',
      affected: [
        {
          package: { ecosystem: 'PyPI', name: 'requests' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
        },
      ],
    });
    expect(evaluateAdvisory(withdrawn, target('1.0'), dotted).kind).toBe('withdrawn');
  });

  it('reports versions it cannot order instead of guessing', () => {
    const a = eco('requests', [{ introduced: '0' }, { fixed: '2.0' }]);
    expect(evaluateAdvisory(a, target('not-a-version'), dotted)).toEqual({
      kind: 'not-evaluated',
      reason: "version 'not-a-version' is not a valid PyPI version",
    });
    const bad = eco('requests', [{ introduced: '0' }, { fixed: 'two' }]);
    expect(evaluateAdvisory(bad, target('1.0'), dotted).kind).toBe('not-evaluated');
    expect(evaluateAdvisory(a, target('1.0'), undefined)).toEqual({
      kind: 'not-evaluated',
      reason: 'no version comparator for PyPI',
    });
  });

  it('compares names as each ecosystem does (PEP 503 for PyPI)', () => {
    const a = eco('Zope.Interface', [{ introduced: '0' }]);
    expect(evaluateAdvisory(a, target('1.0', 'zope-interface'), dotted).kind).toBe('affected');
    expect(evaluateAdvisory(a, target('1.0', 'zope_interface'), dotted).kind).toBe('affected');
    expect(normalizeName('npm', 'Lodash')).toBe('Lodash');
    expect(normalizeName('NuGet', 'Newtonsoft.Json')).toBe('newtonsoft.json');
    const npm = adv({ affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, versions: ['1.0.0'] }] });
    expect(evaluateAdvisory(npm, { ecosystem: 'npm', name: 'Lodash', version: '1.0.0' }, semver2).kind).toBe(
      'not-affected',
    );
    // another ecosystem's entry never applies
    expect(evaluateAdvisory(npm, { ecosystem: 'PyPI', name: 'lodash', version: '1.0.0' }, dotted).kind).toBe(
      'not-affected',
    );
  });

  it('agrees with a brute-force model of introduced/fixed intervals (property)', () => {
    fc.assert(
      fc.property(
        fc
          .uniqueArray(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 })
          .map((xs) => xs.sort((a, b) => a - b)),
        fc.integer({ min: 0, max: 45 }),
        fc.boolean(),
        (points, version, startAtZero) => {
          // Alternate introduced/fixed over sorted points; shuffle the event order: the evaluation must sort.
          const events = points.map((p, i) =>
            (i % 2 === 0) !== startAtZero ? { introduced: String(p) } : { fixed: String(p) },
          );
          if (startAtZero) events.unshift({ introduced: '0' });
          let expected = false;
          for (const e of events) {
            if ('introduced' in e && (e.introduced === '0' || version >= Number(e.introduced))) expected = true;
            if ('fixed' in e && version >= Number(e.fixed)) expected = false;
          }
          const shuffled = [...events].reverse();
          expect(inRange(String(version), shuffled, dotted.compare)).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('matching packages', () => {
  const pkg = (name: string, version: string): Package => ({
    ecosystem: 'PyPI',
    name,
    version,
    scope: 'runtime',
    source: { path: 'requirements.txt', line: 3 },
    purl: `pkg:pypi/${name}@${version}`,
  });

  it('groups advisories of one vulnerability by shared aliases and prefers the GHSA id', () => {
    const a = eco('jinja2', [{ introduced: '0' }, { fixed: '2.11.3' }]);
    const pysec = { ...a, id: 'PYSEC-2021-66', aliases: ['CVE-2020-28493'] } as Advisory;
    const ghsa = { ...a, id: 'GHSA-g3rq-g295-4j3m', aliases: ['CVE-2020-28493'] } as Advisory;
    const other = { ...a, id: 'PYSEC-2019-217', aliases: ['CVE-2019-10906'] } as Advisory;
    expect(groupByAlias([pysec, other, ghsa]).map((g) => g.map((x) => x.id))).toEqual([
      ['PYSEC-2021-66', 'GHSA-g3rq-g295-4j3m'],
      ['PYSEC-2019-217'],
    ]);
    const index: AdvisoryIndex = { lookup: () => [pysec, other, ghsa] };
    const result = matchPackages([pkg('jinja2', '2.10')], index, () => dotted);
    expect(result.findings.map((f) => [f.id, f.ids])).toEqual([
      ['GHSA-g3rq-g295-4j3m', ['CVE-2020-28493', 'GHSA-g3rq-g295-4j3m', 'PYSEC-2021-66']],
      ['PYSEC-2019-217', ['CVE-2019-10906', 'PYSEC-2019-217']],
    ]);
    expect(matchPackages([pkg('jinja2', '2.11.3')], index, () => dotted).findings).toEqual([]);
  });
});

describe('advisory validation', () => {
  it.each([
    ['{', /PyPI\/all.zip: X.json: not valid JSON/],
    ['[]', /\$: expected an object, found a list/],
    ['{"id": "X"}', /\$.modified: expected a string, found undefined/],
    ['{"id": "../../etc/passwd", "modified": "x"}', /\$.id: '..\/..\/etc\/passwd' is not an OSV id/],
    [
      '{"id":"X","modified":"m","affected":[{"ranges":[{"type":"RANGE","events":[{"introduced":"0"}]}]}]}',
      /\$.affected\[0\].ranges\[0\].type: unknown range type 'RANGE'/,
    ],
    [
      '{"id":"X","modified":"m","affected":[{"ranges":[{"type":"SEMVER","events":[{"introduced":"0","fixed":"1"}]}]}]}',
      /events\[0\]: an event has exactly one of/,
    ],
    [
      '{"id":"X","modified":"m","affected":[{"ranges":[{"type":"SEMVER","events":[]}]}]}',
      /a range needs at least one event/,
    ],
    ['{"id":"X","modified":"m","aliases":"CVE-1"}', /\$.aliases: expected a list/],
  ])('rejects %s naming the entry', (text, message) => {
    expect(() => parseAdvisoryJson(text, 'PyPI/all.zip: X.json')).toThrow(message);
  });

  it('ignores __proto__ keys without polluting anything', () => {
    const a = parseAdvisoryJson(
      '{"id":"X-1","modified":"m","__proto__":{"polluted":true},"database_specific":{"__proto__":{"x":1}}}',
      'w',
    );
    expect(a.id).toBe('X-1');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
