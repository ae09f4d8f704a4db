// The entry point of the airlock command: bin/airlock.js (from source) and dist/cli/index.js (bundled).
import { run } from './main.ts';

process.exitCode = await run(process.argv.slice(2));
