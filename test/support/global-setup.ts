import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../scripts/lib/actions.ts';

/**
 * Builds the test-only fixture actions (test/fixtures/actions/*) into .build/fixtures with the same pipeline as
 * dist/, so harness tests exercise real ncc bundles. The product bundles in dist/ are not rebuilt here: e2e tests run
 * the committed dist/, and `npm run check-dist` proves it matches the sources.
 */
export default function setup(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.ts'), '--fixtures'], { cwd: ROOT, stdio: 'inherit' });
}
