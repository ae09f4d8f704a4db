/**
 * Lockfile parse speed: a generated npm project of 10,000 packages written as package-lock.json v3, yarn.lock v1 and
 * pnpm-lock.yaml v9, each parsed by Airlock (packages/deps, from source) and by the package manager's own reader in
 * the same run: @npmcli/arborist's virtual tree (`loadVirtual`), @yarnpkg/lockfile's `parse`, @pnpm/lockfile-file's
 * `readWantedLockfile`. Every measurement runs in its own process (bench/scan-parse/child.ts) so its peak memory is
 * its own. Speed: medians of repeated parses after a warm-up (wall clock, and CPU time beside it, since this machine
 * is shared). Memory: one parse in a fresh process, its peak resident set above the resident set once its modules
 * are loaded (the first parse's wall time, JIT warm-up included, is reported too).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ratio as libRatio, median, ms, ROOT, report } from '../lib.ts';
import { makeGraph, packageJson, packageLockV3, pnpmLockV9, yarnLockV1 } from './generate.ts';

const PACKAGES = 10_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// Arborist's loadVirtual re-checks every edge of the root's children as each child is added: minutes at this size.
const ARBORIST_RUNS = Number(process.env.BENCH_ARBORIST_RUNS ?? 1);

/** lib.ts's ratio, with two significant digits when it is below 0.1 (arborist is hundreds of times slower). */
const ratio = (ours: number, theirs: number) =>
  ours / theirs < 0.1 ? `${(ours / theirs).toPrecision(2)}×` : libRatio(ours, theirs);

interface Measurement {
  readonly wall: number;
  readonly cpu: number;
  readonly peakMiB: number;
  readonly aboveBaselineMiB: number;
  readonly packages: number;
}

function runChild(parser: string, dir: string, runs: number, warmups: number) {
  const child = spawnSync(
    process.execPath,
    ['--max-old-space-size=4096', join(ROOT, 'bench/scan-parse/child.ts'), parser, dir, String(runs), String(warmups)],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  if (child.status !== 0) throw new Error(`bench: ${parser} failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as {
    times: number[];
    cpu: number[];
    baselineRssKiB: number;
    maxRssKiB: number;
    packages: number;
  };
}

function toMeasurement(rs: ReturnType<typeof runChild>[]): Measurement {
  const last = rs[rs.length - 1] as ReturnType<typeof runChild>;
  return {
    wall: median(rs.flatMap((r) => r.times)),
    cpu: median(rs.flatMap((r) => r.cpu)),
    peakMiB: last.maxRssKiB / 1024,
    aboveBaselineMiB: (last.maxRssKiB - last.baselineRssKiB) / 1024,
    packages: Math.min(...rs.map((r) => r.packages)),
  };
}

function measure(parser: string, dir: string, runs: number, warmups: number): Measurement {
  return toMeasurement([runChild(parser, dir, runs, warmups)]);
}

/**
 * Ours and the peer in alternating processes, `rounds` times, so that both see the same load on a shared machine;
 * the median is over every timed parse of every round.
 */
function measurePair(
  ours: string,
  peer: string,
  dir: string,
  rounds: number,
  runs: number,
): [Measurement, Measurement] {
  const a: ReturnType<typeof runChild>[] = [];
  const b: ReturnType<typeof runChild>[] = [];
  for (let i = 0; i < rounds; i++) {
    a.push(runChild(ours, dir, runs, 1));
    b.push(runChild(peer, dir, runs, 1));
  }
  return [toMeasurement(a), toMeasurement(b)];
}

const dir = mkdtempSync(join(tmpdir(), 'airlock-bench-scan-parse-'));
try {
  const graph = makeGraph(PACKAGES);
  const files = {
    'package-lock.json': packageLockV3(graph),
    'yarn.lock': yarnLockV1(graph),
    'pnpm-lock.yaml': pnpmLockV9(graph),
  };
  writeFileSync(join(dir, 'package.json'), packageJson(graph));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const size = (name: string) => `${(statSync(join(dir, name)).size / 2 ** 20).toFixed(1)} MiB`;

  const pairs = [
    {
      file: 'package-lock.json',
      ours: 'airlock-package-lock',
      peer: 'arborist',
      peerName: '@npmcli/arborist loadVirtual',
    },
    { file: 'yarn.lock', ours: 'airlock-yarn', peer: 'yarnpkg-lockfile', peerName: '@yarnpkg/lockfile parse' },
    {
      file: 'pnpm-lock.yaml',
      ours: 'airlock-pnpm',
      peer: 'pnpm-lockfile-file',
      peerName: '@pnpm/lockfile-file readWantedLockfile',
    },
  ];
  const rows = [];
  for (const p of pairs) {
    console.log(`bench scan-parse: ${p.file} (${size(p.file)})…`);
    const peerIsArborist = p.peer === 'arborist';
    const oursOnce = measure(p.ours, dir, 1, 0);
    const peerOnce = measure(p.peer, dir, 1, 0);
    let ours: Measurement;
    let peer: Measurement;
    if (peerIsArborist) {
      // Arborist's one cold run is its measurement: a warm-up and repeats would take minutes more.
      ours = measure(p.ours, dir, RUNS, 1);
      peer = ARBORIST_RUNS <= 1 ? peerOnce : measure(p.peer, dir, ARBORIST_RUNS, 0);
    } else {
      [ours, peer] = measurePair(p.ours, p.peer, dir, ROUNDS, RUNS);
    }
    for (const [who, m] of [
      [p.ours, ours],
      [p.ours, oursOnce],
      [p.peer, peer],
      [p.peer, peerOnce],
    ] as const)
      if (m.packages !== PACKAGES)
        throw new Error(`bench: ${p.file}: expected ${PACKAGES} packages from ${who}, got ${m.packages}`);
    rows.push(
      {
        what: `parse ${p.file} v${p.file === 'yarn.lock' ? '1' : p.file === 'pnpm-lock.yaml' ? '9' : '3'} (${size(p.file)}, ${PACKAGES} packages): wall`,
        ours: ms(ours.wall),
        reference: `${ms(peer.wall)} (${p.peerName})`,
        ratio: ratio(ours.wall, peer.wall),
        note: peerIsArborist
          ? `ours: median of ${RUNS} warm parses; arborist: ${ARBORIST_RUNS} cold run(s), about a minute each (it re-checks the root's edges as each of 10,000 children is added)`
          : `median of ${ROUNDS * RUNS} warm parses each, ${ROUNDS} alternating processes of ${RUNS}`,
      },
      {
        what: `parse ${p.file}: first parse in a fresh process`,
        ours: ms(oursOnce.wall),
        reference: ms(peerOnce.wall),
        ratio: ratio(oursOnce.wall, peerOnce.wall),
        note: 'JIT warm-up included',
      },
      {
        what: `parse ${p.file}: CPU time`,
        ours: ms(ours.cpu),
        reference: ms(peer.cpu),
        ratio: ratio(ours.cpu, peer.cpu),
        note: 'user + system, median',
      },
      {
        what: `parse ${p.file}: peak memory of one parse`,
        ours: `${oursOnce.aboveBaselineMiB.toFixed(0)} MiB`,
        reference: `${peerOnce.aboveBaselineMiB.toFixed(0)} MiB`,
        ratio: ratio(oursOnce.aboveBaselineMiB, peerOnce.aboveBaselineMiB),
        note: `maxRSS above the loaded process; whole process ${oursOnce.peakMiB.toFixed(0)} vs ${peerOnce.peakMiB.toFixed(0)} MiB (ours from TypeScript source, Node's type stripper loaded)`,
      },
    );
  }
  report('scan-parse', 'lockfile parse speed against the package managers’ own readers', rows, [
    `Input generated at bench time (bench/scan-parse/generate.ts): ${PACKAGES} packages in ten dependency tiers, 11% scoped, 25% dev, the same graph in each format; Airlock's figure includes scope (dev/optional/runtime) from the dependency graph and package.json where the format needs it, and Package URLs.`,
    'Each measurement runs in its own process (bench/scan-parse/child.ts); memory is process.resourceUsage().maxRSS of a process that parses once, minus its resident set after the modules are loaded.',
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
