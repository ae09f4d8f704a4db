/**
 * Rebuilds every bundle into a temporary directory and compares it with the committed dist/.
 * Exits 1 with a readable report (which files differ, and a diff of the first lines that do) when they differ.
 *
 *   node scripts/check-dist.ts
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { build, productTargets, STAGING_DIR, withBuildLock } from './build.ts';
import { ROOT } from './lib/actions.ts';

function files(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path, base) : [relative(base, path)];
  });
}

/** Minified bundles are one long line; break them at statement ends so a diff shows where they differ. */
function readable(text: string): string {
  return text.replace(/;(?=\S)/g, ';\n').replace(/\}(?=[A-Za-z_$])/g, '}\n');
}

function diff(a: string, b: string, label: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-diff-'));
  try {
    const left = join(dir, 'committed');
    const right = join(dir, 'rebuilt');
    writeFileSync(left, readable(a));
    writeFileSync(right, readable(b));
    try {
      execFileSync(
        'diff',
        ['-u', '--label', `dist/${label} (committed)`, '--label', `dist/${label} (rebuilt)`, left, right],
        {
          encoding: 'utf8',
        },
      );
      return '';
    } catch (error) {
      const out = String((error as { stdout?: string }).stdout ?? '');
      const lines = out.split('\n');
      return lines.length > 60 ? `${lines.slice(0, 60).join('\n')}\n… ${lines.length - 60} more diff lines` : out;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const out = mkdtempSync(join(tmpdir(), 'airlock-check-dist-'));
  try {
    await withBuildLock(() => build(productTargets(), out, STAGING_DIR));
    const committed = new Set(files(join(ROOT, 'dist')));
    const rebuilt = new Set(files(out));
    const problems: string[] = [];
    for (const file of [...new Set([...committed, ...rebuilt])].sort()) {
      if (!committed.has(file)) {
        problems.push(`dist/${file} is missing: the sources produce it but it is not committed`);
        continue;
      }
      if (!rebuilt.has(file)) {
        problems.push(`dist/${file} is stale: the sources no longer produce it`);
        continue;
      }
      const a = readFileSync(join(ROOT, 'dist', file), 'utf8');
      const b = readFileSync(join(out, file), 'utf8');
      if (a !== b) problems.push(`dist/${file} differs from a fresh build:\n${diff(a, b, file)}`);
    }
    if (problems.length === 0) {
      console.log(`check-dist: dist/ matches the sources (${rebuilt.size} files)`);
      return 0;
    }
    console.error(`check-dist: dist/ does not match the sources. Run 'npm run build' and commit dist/.\n`);
    for (const problem of problems) console.error(`- ${problem}\n`);
    return 1;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

process.exitCode = await main();
