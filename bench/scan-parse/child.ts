/**
 * One measurement in its own process, so that its peak memory (maxRSS) is its own:
 *   node child.ts <parser> <dir> <runs> [warmups]
 * Prints JSON { times: [wall ms…], cpu: [CPU ms…], baselineRssKiB, maxRssKiB, packages }: baselineRss is the resident
 * set after every module is loaded and before the first parse, maxRss the peak. `warmups` runs (default 1) are not
 * timed.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseLockfile } from '../../packages/deps/src/index.ts';

const [parser, dir, runsArg, warmupsArg] = process.argv.slice(2) as [string, string, string, string | undefined];
const runs = Number(runsArg);
const warmups = Number(warmupsArg ?? 1);
const require = createRequire(import.meta.url);
// Load the peers before the baseline is taken, as our own modules are.
const peers = {
  arborist: parser === 'arborist' ? require('@npmcli/arborist') : undefined,
  yarn: parser === 'yarnpkg-lockfile' ? require('@yarnpkg/lockfile') : undefined,
  pnpm: parser === 'pnpm-lockfile-file' ? require('@pnpm/lockfile-file') : undefined,
};

async function once(): Promise<number> {
  switch (parser) {
    case 'airlock-package-lock':
    case 'airlock-yarn':
    case 'airlock-pnpm': {
      const file = {
        'airlock-package-lock': 'package-lock.json',
        'airlock-yarn': 'yarn.lock',
        'airlock-pnpm': 'pnpm-lock.yaml',
      }[parser];
      const text = readFileSync(join(dir, file), 'utf8');
      const result = parseLockfile(file, text, {
        readFile: (p) => (p === 'package.json' ? readFileSync(join(dir, p), 'utf8') : undefined),
      });
      return result.packages.length;
    }
    case 'arborist': {
      const Arborist = peers.arborist;
      const tree = await new Arborist({ path: dir }).loadVirtual();
      return tree.inventory.size - 1;
    }
    case 'yarnpkg-lockfile': {
      const lockfile = peers.yarn;
      const parsed = lockfile.parse(readFileSync(join(dir, 'yarn.lock'), 'utf8'));
      return new Set(Object.values(parsed.object as Record<string, { resolved: string }>).map((v) => v.resolved)).size;
    }
    case 'pnpm-lockfile-file': {
      const { readWantedLockfile } = peers.pnpm;
      const lock = await readWantedLockfile(dir, { ignoreIncompatible: false });
      return Object.keys(lock.packages ?? {}).length;
    }
    default:
      throw new Error(`unknown parser ${parser}`);
  }
}

const times: number[] = [];
const cpu: number[] = [];
let packages = 0;
const baselineRssKiB = Math.round(process.memoryUsage().rss / 1024);
for (let i = -warmups; i < runs; i++) {
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  packages = await once();
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  const used = process.cpuUsage(cpuStarted);
  if (i >= 0) {
    times.push(elapsed);
    cpu.push((used.user + used.system) / 1000);
  }
}
console.log(JSON.stringify({ times, cpu, baselineRssKiB, maxRssKiB: process.resourceUsage().maxRSS, packages }));
