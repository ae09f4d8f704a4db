import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { auditTexts, RULE_IDS, RULES } from '@airlock/audit';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../support/paths.ts';

/**
 * Positive and negative fixtures per rule (test/fixtures/audit/<rule>/). Each `# expect: rule[, rule]` comment marks a
 * line where a finding of that rule must be reported; the findings of the directory's rule and of every rule named in
 * an expectation must be exactly the marked lines, so negative fixtures (no marks) must produce none.
 */
const BASE = join(FIXTURES, 'audit');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

function expectations(text: string): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  text.split('\n').forEach((line, i) => {
    const m = /#\s*expect:\s*([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)\s*$/.exec(line);
    if (m === null) return;
    for (const rule of (m[1] as string).split(',').map((r) => r.trim())) {
      const set = out.get(rule) ?? new Set<number>();
      set.add(i + 1);
      out.set(rule, set);
    }
  });
  return out;
}

const ruleDirs = readdirSync(BASE).filter((d) => statSync(join(BASE, d)).isDirectory() && RULE_IDS.has(d));

describe('rule fixtures', () => {
  it('cover every static rule with a positive and a negative fixture', () => {
    const staticRules = RULES.filter((r) => r.check !== undefined).map((r) => r.id);
    for (const id of staticRules) {
      expect(ruleDirs, `test/fixtures/audit/${id}`).toContain(id);
      const names = files(join(BASE, id)).map((f) => relative(join(BASE, id), f));
      expect(
        names.some((n) => n.startsWith('positive') || n.endsWith('action.yml')),
        `${id} has a positive fixture`,
      ).toBe(true);
      expect(
        names.some((n) => n.startsWith('negative')),
        `${id} has a negative fixture`,
      ).toBe(true);
    }
  });

  for (const rule of ruleDirs) {
    describe(rule, () => {
      for (const file of files(join(BASE, rule))) {
        const name = relative(BASE, file);
        it(name, () => {
          const text = readFileSync(file, 'utf8');
          const expected = expectations(text);
          const positive = !relative(join(BASE, rule), file).startsWith('negative');
          if (positive) expect(expected.get(rule)?.size ?? 0, `${name} marks its ${rule} findings`).toBeGreaterThan(0);
          else expect(expected.get(rule), `${name} is negative`).toBeUndefined();
          const checked = new Set([rule, ...expected.keys()]);
          const { findings } = auditTexts([{ path: name, text }]);
          for (const id of checked) {
            const got = [...new Set(findings.filter((f) => f.rule === id).map((f) => f.line))].sort((a, b) => a - b);
            const want = [...(expected.get(id) ?? [])].sort((a, b) => a - b);
            expect(
              got,
              `${id} findings in ${name}:\n${findings.map((f) => `${f.line}: ${f.rule} ${f.message}`).join('\n')}`,
            ).toEqual(want);
          }
          for (const f of findings) {
            expect(f.line).toBeGreaterThanOrEqual(1);
            expect(f.column).toBeGreaterThanOrEqual(1);
            expect(f.message.length).toBeGreaterThan(10);
          }
        });
      }
    });
  }
});
