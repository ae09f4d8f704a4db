import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULES } from '@airlock/audit';
import { describe, expect, it } from 'vitest';
import { rulesMarkdown } from '../../../packages/audit/src/report/rules-doc.ts';
import { ROOT } from '../../support/paths.ts';

describe('audit documentation', () => {
  it('docs/audit-rules.md is generated from the rules (node packages/audit/src/report/rules-doc.ts)', () => {
    expect(readFileSync(join(ROOT, 'docs/audit-rules.md'), 'utf8')).toBe(rulesMarkdown());
  });

  it("the action's README names every rule id in its table", () => {
    const readme = readFileSync(join(ROOT, 'actions/audit/README.md'), 'utf8');
    const table = readme.split('\n').filter((l) => l.startsWith('| `'));
    for (const rule of RULES)
      expect(
        table.some((row) => row.includes(`\`${rule.id}\``)),
        rule.id,
      ).toBe(true);
  });

  it('every rule has a description and a fix worth reading', () => {
    for (const rule of RULES) {
      expect(rule.description.length, rule.id).toBeGreaterThan(120);
      expect(rule.fix.length, rule.id).toBeGreaterThan(40);
    }
  });
});
