/**
 *   npm run bench -- <area> [...]
 *
 * Runs bench/<area>/main.ts for each area given (all areas without arguments).
 */
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
for (const area of wanted.length > 0 ? wanted : areas) {
  console.log(`\n=== bench ${area} ===`);
  await import(join(ROOT, 'bench', area, 'main.ts'));
}
