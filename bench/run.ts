/**
 *   npm run bench -- <area> [...]
 *
 * Runs bench/<area>/main.ts for each area given (all areas without arguments), each in a process of its own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib.ts';

const areas = readdirSync(join(ROOT, 'bench'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(ROOT, 'bench', d.name, 'main.ts')))
  .map((d) => d.name)
  .sort();
const wanted = process.argv.slice(2);
const unknown = wanted.filter((a) => !areas.includes(a));
if (unknown.length > 0) {
  console.error(`bench: unknown area(s) ${unknown.join(', ')}; known: ${areas.join(', ')}`);
  process.exit(2);
}
// Each area in a fresh process: run in this one, a later area would start its child processes from a parent grown by
// the earlier areas (slower spawns, and Linux carries a parent's peak RSS into a child's getrusage maxRSS).
let failed = false;
for (const area of wanted.length > 0 ? wanted : areas) {
  console.log(`\n=== bench ${area} ===`);
  const run = spawnSync(process.execPath, [join(ROOT, 'bench', area, 'main.ts')], { stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`bench ${area} failed (${run.signal ?? run.status})`);
    failed = true;
  }
}
if (failed) process.exit(1);
