import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkAction } from '../../../scripts/lib/action-rules.ts';
import { listActions } from '../../../scripts/lib/actions.ts';
import { PROBE_ACTION } from '../../support/paths.ts';

describe('every action follows the action rules', () => {
  const actions = listActions();
  it.each(actions.length > 0 ? actions.map((a) => [a.id, a.dir]) : [['(none yet)', '']])('%s', (_id, dir) => {
    if (dir === '') return;
    expect(checkAction(dir).problems).toEqual([]);
  });

  it('the probe fixture passes the same rules', () => {
    const check = checkAction(PROBE_ACTION);
    expect(check.problems.filter((p) => !p.includes('does not exist (run npm run build)'))).toEqual([]);
    expect(check.inputsRead).toContain('input with spaces');
  });
});

describe('the action rules catch mistakes', () => {
  const make = (yml: string, files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-action-'));
    writeFileSync(join(dir, 'action.yml'), yml);
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    return dir;
  };
  const YML = `name: X\ndescription: d\nbranding: {icon: check, color: blue}\ninputs:\n  declared:\n    description: d\n  unused:\n    description: d\nruns:\n  using: node24\n  main: index.js\n`;

  it('flags undeclared, dead and computed inputs, env reads outside index.ts and @actions/core', () => {
    const dir = make(YML, {
      'index.js': '',
      'src/index.ts': "run(input.string('declared'), input.string('typo'), input.list(name));",
      'src/run.ts': "import * as core from '@actions/core';\nconst x = process.env.HOME;",
    });
    try {
      const problems = checkAction(dir).problems.join('\n');
      expect(problems).toMatch(/reads input 'typo', which action.yml does not declare/);
      expect(problems).toMatch(/input 'unused' is declared but the code never reads it/);
      expect(problems).toMatch(/input.list\(\) must take a literal input name/);
      expect(problems).toMatch(/src\/run.ts: reads process.env/);
      expect(problems).toMatch(/src\/run.ts: imports @actions\/core/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('flags metadata gaps and missing bundles', () => {
    const dir = make(
      'name: X\ndescription: d\ninputs:\n  a: {}\noutputs:\n  o: {}\nruns:\n  using: node20\n  main: gone.js\n',
      {
        'src/index.ts': "input.string('a');",
      },
    );
    try {
      const problems = checkAction(dir).problems.join('\n');
      expect(problems).toMatch(/missing branding/);
      expect(problems).toMatch(/input 'a' has no description/);
      expect(problems).toMatch(/output 'o' has no description/);
      expect(problems).toMatch(/runs.using must be node24/);
      expect(problems).toMatch(/runs.main points at gone.js, which does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
