import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { auditTexts, parseSource, planFixes } from '@airlock/audit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../support/paths.ts';

/**
 * Mutated workflows (characters deleted, YAML punctuation and expression fragments inserted, lines duplicated or
 * swapped) never crash or hang the audit, every finding points inside the file, a file with YAML errors always gets a
 * yaml-syntax finding (never a silent "no findings"), and safe fixes never turn valid YAML invalid.
 */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}
const corpus = files(join(FIXTURES, 'audit')).map((f) => readFileSync(f, 'utf8'));
const ALPHABET = [
  ':',
  '-',
  ' ',
  '  ',
  '\n',
  '[',
  ']',
  '{',
  '}',
  '"',
  "'",
  '#',
  '|',
  '>',
  '&a',
  '*a',
  '${{',
  '}}',
  'github.event.issue.title',
  '\t',
  'on',
  'jobs',
  'steps',
  'run: x',
  'uses: a/b@v1',
  '!',
];

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.array(fc.constantFrom(...ALPHABET), { minLength: 1, maxLength: 4 }).map((a) => a.join('')),
  }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat() }),
);

interface Mutation {
  readonly kind: string;
  readonly at: number;
  readonly length?: number;
  readonly text?: string;
}

function mutate(text: string, m: Mutation): string {
  const at = text.length === 0 ? 0 : m.at % text.length;
  switch (m.kind) {
    case 'delete':
      return text.slice(0, at) + text.slice(at + (m.length ?? 1));
    case 'insert':
      return text.slice(0, at) + (m.text ?? '') + text.slice(at);
    default: {
      const lines = text.split('\n');
      const i = m.at % Math.max(1, lines.length);
      if (m.kind === 'duplicate') lines.splice(i, 0, lines[i] ?? '');
      else if (i + 1 < lines.length) [lines[i], lines[i + 1]] = [lines[i + 1] as string, lines[i] as string];
      return lines.join('\n');
    }
  }
}

describe('the audit on mutated workflows (property)', () => {
  it('never throws, points inside the file, and never hides a YAML error', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: corpus.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (index, mutations) => {
          let text = corpus[index] as string;
          for (const m of mutations) text = mutate(text, m);
          const result = auditTexts([{ path: 'fuzz.yml', text }]);
          const lines = text.split('\n').length;
          for (const f of result.findings) {
            expect(f.line).toBeGreaterThanOrEqual(1);
            expect(f.line).toBeLessThanOrEqual(lines + 1);
            expect(f.column).toBeGreaterThanOrEqual(1);
            expect(f.message).not.toMatch(/undefined|\[object Object\]|NaN/);
          }
          if (parseSource('fuzz.yml', text).errors.length > 0) {
            expect(result.findings.some((f) => f.rule === 'yaml-syntax')).toBe(true);
          }
          const plan = planFixes(result);
          const fixed = plan.files.get('fuzz.yml');
          if (fixed !== undefined && parseSource('fuzz.yml', text).errors.length === 0) {
            expect(parseSource('fuzz.yml', fixed).errors.map((e) => e.message)).toEqual([]);
          }
        },
      ),
      { numRuns: Number(process.env.AUDIT_FUZZ_RUNS ?? 300) },
    );
  });
});
