import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DepsError } from '../../../packages/deps/src/model.ts';
import { parsePolicyFile } from '../../../packages/deps/src/policy.ts';
import { cvss3, cvss4 } from '../../../packages/deps/src/severity/index.ts';
import { parseSpdx, SpdxError } from '../../../packages/deps/src/spdx.ts';

/** Parsers of untrusted text fail only with their own clear errors: never a crash, a hang, or a wrong type. */
describe('parser properties', () => {
  it('parsePolicyFile: any text gives a policy or a DepsError naming the file and a line', () => {
    const yamlish = fc.array(
      fc.oneof(
        fc.constantFrom(
          'scan:',
          '  fail-on: high',
          '  ignore:',
          '    - id: GHSA-1',
          '      reason: r',
          '      expires: 2026-01-01',
          '  licenses:',
          '    allow: MIT',
          '  scopes: [runtime]',
          '&a [*a]',
          '- x',
          '  : :',
          '"',
          "'",
          '{',
          '\t',
          '\uFEFF',
        ),
        fc.string({ maxLength: 20 }),
      ),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(yamlish, (lines) => {
        try {
          const policy = parsePolicyFile(lines.join('\n'), 'airlock.yml');
          expect(['critical', 'high', 'medium', 'low', 'any', 'none']).toContain(policy.failOn);
        } catch (error) {
          expect(error).toBeInstanceOf(DepsError);
          expect((error as Error).message).toMatch(/^airlock.yml:\d+: /);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('parseSpdx: any text parses or fails with an SpdxError', () => {
    const token = fc.constantFrom(
      'MIT',
      'Apache-2.0',
      'GPL-2.0+',
      'AND',
      'OR',
      'WITH',
      'Classpath-exception-2.0',
      '(',
      ')',
      'and',
      'LicenseRef-x',
      '!',
      '',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 12 }), (tokens) => {
        try {
          parseSpdx(tokens.join(' '));
        } catch (error) {
          expect(error).toBeInstanceOf(SpdxError);
        }
      }),
      { numRuns: 500 },
    );
  });

  const pick = (values: readonly string[]) => fc.constantFrom(...values);
  it('CVSS v3.1: every valid base vector scores within [0, 10] with one decimal; scope change never lowers it', () => {
    fc.assert(
      fc.property(
        pick(['N', 'A', 'L', 'P']),
        pick(['L', 'H']),
        pick(['N', 'L', 'H']),
        pick(['N', 'R']),
        pick(['H', 'L', 'N']),
        pick(['H', 'L', 'N']),
        pick(['H', 'L', 'N']),
        (av, ac, pr, ui, c, i, a) => {
          const base = `AV:${av}/AC:${ac}/PR:${pr}/UI:${ui}`;
          const u = cvss3(`CVSS:3.1/${base}/S:U/C:${c}/I:${i}/A:${a}`).score;
          const s = cvss3(`CVSS:3.1/${base}/S:C/C:${c}/I:${i}/A:${a}`).score;
          for (const score of [u, s]) {
            expect(score).toBeGreaterThanOrEqual(0);
            expect(score).toBeLessThanOrEqual(10);
            expect(Math.round(score * 10) / 10).toBe(score);
          }
          expect(s).toBeGreaterThanOrEqual(u);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('CVSS v4.0: every valid base vector scores within [0, 10], and 0 exactly when nothing is impacted', () => {
    fc.assert(
      fc.property(
        fc.tuple(
          pick(['N', 'A', 'L', 'P']),
          pick(['L', 'H']),
          pick(['N', 'P']),
          pick(['N', 'L', 'H']),
          pick(['N', 'P', 'A']),
        ),
        fc.tuple(
          pick(['H', 'L', 'N']),
          pick(['H', 'L', 'N']),
          pick(['H', 'L', 'N']),
          pick(['H', 'L', 'N']),
          pick(['H', 'L', 'N']),
          pick(['H', 'L', 'N']),
        ),
        pick(['X', 'A', 'P', 'U']),
        ([av, ac, at, pr, ui], [vc, vi, va, sc, si, sa], e) => {
          const vector = `CVSS:4.0/AV:${av}/AC:${ac}/AT:${at}/PR:${pr}/UI:${ui}/VC:${vc}/VI:${vi}/VA:${va}/SC:${sc}/SI:${si}/SA:${sa}/E:${e}`;
          const { score } = cvss4(vector);
          expect(score).toBeGreaterThanOrEqual(0);
          expect(score).toBeLessThanOrEqual(10);
          const none = [vc, vi, va, sc, si, sa].every((x) => x === 'N');
          expect(score === 0).toBe(none);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
