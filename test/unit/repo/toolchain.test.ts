import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AIRLOCK_VERSION } from '@airlock/core';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/paths.ts';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

describe('toolchain', () => {
  it("runs on Node 24, like the runner's node24", () => {
    expect(process.versions.node.startsWith('24.')).toBe(true);
    expect(pkg.engines.node).toBe('>=24');
    expect(pkg.devDependencies.node).toMatch(/^\^24\./);
    expect(pkg.allowScripts?.node).toBe(true);
  });

  it('keeps AIRLOCK_VERSION equal to package.json', () => {
    expect(AIRLOCK_VERSION).toBe(pkg.version);
  });

  it('uses strict TypeScript settings', () => {
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')).compilerOptions;
    expect(tsconfig).toMatchObject({ strict: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true });
  });

  it('documents every runtime dependency in README', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const name of Object.keys(pkg.dependencies)) expect(readme, name).toContain(`\`${name}\``);
  });
});

describe('layering', () => {
  const files = (dir: string): string[] =>
    (existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []).flatMap((d) =>
      d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
    );

  it('keeps domain libraries pure: no runner glue, no process.env, no testkit', () => {
    for (const pkgName of readdirSync(join(ROOT, 'packages'))) {
      if (['core', 'testkit', 'cli'].includes(pkgName)) continue;
      for (const file of files(join(ROOT, 'packages', pkgName, 'src'))) {
        const text = readFileSync(file, 'utf8');
        expect(text, file).not.toMatch(/['"]@actions\/core['"]|['"]@airlock\/core\/action['"]/);
        // code that reads the environment (not a comment, not an example quoted in a message)
        expect(text, file).not.toMatch(/^(?!\s*(?:\/\/|\*)).*(?<![`'"])\bprocess\.env\b/m);
        expect(text, file).not.toMatch(/['"]@airlock\/testkit['"]/);
      }
    }
  });

  it('keeps the pure part of @airlock/core free of the runner glue', () => {
    // action.ts and runner.ts are the glue (exported as @airlock/core/action); the rest is pure.
    for (const file of files(join(ROOT, 'packages/core/src'))) {
      if (file.endsWith('/action.ts') || file.endsWith('/runner.ts')) continue;
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/\bprocess\.env\b/);
      expect(text, file).not.toMatch(/['"]\.\/(action|runner)\.ts['"]/);
    }
  });

  it('never bundles the testkit into an action', () => {
    for (const file of [...files(join(ROOT, 'actions')), ...files(join(ROOT, 'packages/cli/src'))]) {
      expect(readFileSync(file, 'utf8'), file).not.toMatch(/['"]@airlock\/testkit['"]/);
    }
  });
});
