/**
 * End-to-end scan: a generated package-lock.json v3 with 10,000 packages, a synthetic npm export of 20,000 advisories,
 * and the real Go and PyPI exports from ../shared/osv (with a go.mod and a requirements.txt, so both are read): parse
 * + load advisories + match + policy, in a fresh process each run (cold, nothing cached), target ≤ 1 s.
 *
 * Peer: osv-scanner is a Go binary fetched from GitHub releases, which this machine cannot reach (only the npm
 * registry), so it is not measured. The reference is physical instead: reading, inflating and JSON-parsing every
 * advisory of the same three archives plus the package-lock once — the work any scanner does that reads these exports
 * without a prebuilt index. Also measured: the built action (dist/scan) as a whole process, start to exit.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeZip } from '../../packages/deps/src/osv/zip.ts';
import { median, ms, ROOT, ratio, report, timeProcess } from '../lib.ts';

const RUNS = 5;
const SHARED_OSV = join(ROOT, '..', 'shared', 'osv');
if (!existsSync(join(SHARED_OSV, 'Go', 'all.zip')) || !existsSync(join(SHARED_OSV, 'PyPI', 'all.zip'))) {
  console.error(`bench scan: needs ${SHARED_OSV}/{Go,PyPI}/all.zip, which is absent`);
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), 'airlock-bench-scan-'));
try {
  // --- inputs -----------------------------------------------------------------------------------------------------
  const root = join(work, 'project');
  const db = join(work, 'db');
  mkdirSync(root);
  mkdirSync(join(db, 'npm'), { recursive: true });
  symlinkSync(join(SHARED_OSV, 'Go'), join(db, 'Go'));
  symlinkSync(join(SHARED_OSV, 'PyPI'), join(db, 'PyPI'));
  const N = 10_000;
  const name = (i: number) => (i % 10 === 0 ? `@scope${i % 97}/pkg-${i}` : `pkg-${i}`);
  const packages: Record<string, unknown> = {
    '': {
      name: 'bench',
      version: '1.0.0',
      dependencies: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [name(i), '*'])),
    },
  };
  for (let i = 0; i < N; i++) {
    packages[`node_modules/${name(i)}`] = {
      version: `${1 + (i % 5)}.${i % 13}.${i % 7}`,
      resolved: `https://registry.npmjs.org/${name(i)}/-/pkg-${i}-1.0.0.tgz`,
      integrity: `sha512-${Buffer.from(String(i)).toString('base64')}`,
      ...(i % 3 === 0 ? { dev: true } : {}),
      license: 'MIT',
    };
  }
  writeFileSync(
    join(root, 'package-lock.json'),
    JSON.stringify({ name: 'bench', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2),
  );
  // 20,000 advisories over 14,000 package names. As in real exports, most name packages this project does not use:
  // 3,000 (15%) name one of 1,500 locked packages, two each; 17,000 name 12,500 packages that are not locked.
  const advisories: Array<{ name: string; data: string }> = [];
  for (let k = 0; k < 20_000; k++) {
    const pkg = k < 3_000 ? name((k % 1_500) * 6) : `absent-${k % 12_500}`;
    const id = `GHSA-${k.toString(36).padStart(4, '0')}-bnch-${(k * 7919).toString(36).slice(-4).padStart(4, '0')}`;
    const fixed = `${1 + (k % 5)}.${(k * 3) % 13}.0`;
    advisories.push({
      name: `${id}.json`,
      data: JSON.stringify({
        schema_version: '1.6.0',
        id,
        modified: '2025-01-01T00:00:00Z',
        published: '2024-06-01T00:00:00Z',
        aliases: [`CVE-2024-${10000 + k}`],
        summary: `Synthetic advisory ${k} for ${pkg}`,
        details: 'A synthetic advisory for the benchmark. '.repeat(8),
        severity: k % 4 === 0 ? [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }] : [],
        affected: [
          {
            package: { ecosystem: 'npm', name: pkg, purl: `pkg:npm/${pkg}` },
            ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }],
          },
        ],
        references: [{ type: 'ADVISORY', url: `https://example.com/${id}` }],
        database_specific: { severity: 'HIGH', cwe_ids: ['CWE-79'], github_reviewed: true },
      }),
    });
  }
  writeFileSync(join(db, 'npm', 'all.zip'), writeZip(advisories));
  writeFileSync(
    join(root, 'requirements.txt'),
    [
      'jinja2==2.10',
      'django==3.2.0',
      'requests==2.19.0',
      'urllib3==1.24.1',
      'pyyaml==5.3',
      'flask==0.12',
      'pillow==8.0.0',
      'numpy==1.16.0',
      'lxml==4.6.0',
      'cryptography==3.2',
    ].join('\n'),
  );
  writeFileSync(
    join(root, 'go.mod'),
    'module example.com/bench\n\ngo 1.21\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.5.0\n\tgolang.org/x/net v0.0.0-20200226121028-0de0cce0169b\n\tgithub.com/gorilla/websocket v1.4.0\n\tgolang.org/x/crypto v0.0.0-20200622213623-75b288015ac9\n\tgopkg.in/yaml.v2 v2.2.2\n)\n',
  );

  // --- runs -------------------------------------------------------------------------------------------------------
  const node = process.execPath;
  const once = (mode: 'scan' | 'reference', indexDir?: string) => {
    const args = [join(ROOT, 'bench/scan/run-once.ts'), root, db, mode, ...(indexDir === undefined ? [] : [indexDir])];
    const r = spawnSync(node, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bench: run failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').at(-1) as string);
  };
  const indexDir = join(work, 'index');
  once('scan');
  once('reference');
  once('scan', indexDir); // builds the name index the warm runs use
  const cold = Array.from({ length: RUNS }, () => once('scan'));
  const warm = Array.from({ length: RUNS }, () => once('scan', indexDir));
  const refs = Array.from({ length: RUNS }, () => once('reference'));
  const m = (xs: number[]) => median(xs);
  const coldMs = m(cold.map((r) => r.ms));
  const warmMs = m(warm.map((r) => r.ms));
  const refMs = m(refs.map((r) => r.ms));
  const phase = (runs: Array<{ timings: Record<string, number> }>, k: string) => m(runs.map((r) => r.timings[k] ?? 0));
  const rssCold = m(cold.map((r) => r.maxRssKiB)) / 1024;
  const rssWarm = m(warm.map((r) => r.maxRssKiB)) / 1024;
  const rssRef = m(refs.map((r) => r.maxRssKiB)) / 1024;

  // The built action as a whole process.
  const files = join(work, 'files');
  mkdirSync(files);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GITHUB_WORKSPACE: root,
    RUNNER_TEMP: join(work, 'runner-temp'),
    'INPUT_OFFLINE-DB': db,
    INPUT_PATHS: '.',
    'INPUT_FAIL-ON': 'none',
    'INPUT_OSV-API-URL': 'https://api.osv.dev',
    'INPUT_POLICY-FILE': 'airlock.yml',
    INPUT_MODE: 'full',
    'INPUT_IF-NO-LOCKFILES': 'fail',
    'INPUT_GO-STDLIB': 'false',
    GITHUB_OUTPUT: join(files, 'output'),
    GITHUB_STEP_SUMMARY: join(files, 'summary'),
  };
  mkdirSync(env.RUNNER_TEMP as string);
  for (const f of ['output', 'summary']) writeFileSync(join(files, f), '');
  const bundle = join(ROOT, 'dist/scan/index.js');
  const hasBundle = existsSync(bundle);
  // Without RUNNER_TEMP the action keeps no name index (and writes its SARIF to the workspace): every run is cold.
  const coldEnv = { ...env, RUNNER_TEMP: undefined };
  const actionCold = hasBundle ? median(timeProcess(node, [bundle], RUNS, coldEnv)) : undefined;
  const actionWarm = hasBundle ? median(timeProcess(node, [bundle], RUNS, env)) : undefined;
  const floor = median(timeProcess(node, ['-e', '0'], RUNS));

  const sample = cold[0];
  const target = (x: number) => `target ≤ 1000 ms: ${x <= 1000 ? 'met' : 'NOT met'}`;
  report(
    'scan',
    'end-to-end dependency scan (parse + OSV match), fresh process per run',
    [
      {
        what: 'scan, cold (no name index): 10,000-package package-lock + go.mod + requirements.txt vs npm (20,000 synthetic) + Go (4,291) + PyPI (2,661) exports',
        ours: ms(coldMs),
        reference: ms(refMs),
        ratio: ratio(coldMs, refMs),
        note: `reference: read + inflate + JSON.parse every advisory of the 3 archives and the package-lock; ${target(coldMs)}`,
      },
      {
        what: 'scan, warm (name index from an earlier scan of the same archives)',
        ours: ms(warmMs),
        reference: ms(refMs),
        ratio: ratio(warmMs, refMs),
        note: target(warmMs),
      },
      {
        what: 'phase (cold): discover + parse lockfiles',
        ours: ms(phase(cold, 'discover') + phase(cold, 'parse')),
        reference: '—',
        ratio: '—',
        note: `${sample.packages} packages`,
      },
      {
        what: 'phase: load advisories, cold / warm',
        ours: `${ms(phase(cold, 'advisories'))} / ${ms(phase(warm, 'advisories'))}`,
        reference: '—',
        ratio: '—',
      },
      {
        what: 'phase (cold): match + severity + policy',
        ours: ms(phase(cold, 'match')),
        reference: '—',
        ratio: '—',
        note: `${sample.findings} findings`,
      },
      {
        what: 'peak RSS (process), cold / warm',
        ours: `${rssCold.toFixed(0)} / ${rssWarm.toFixed(0)} MiB`,
        reference: `${rssRef.toFixed(0)} MiB`,
        ratio: ratio(rssCold, rssRef),
      },
      ...(actionCold === undefined || actionWarm === undefined
        ? []
        : [
            {
              what: 'built action dist/scan, process start to exit (same inputs), cold / warm',
              ours: `${ms(actionCold)} / ${ms(actionWarm)}`,
              reference: ms(floor),
              ratio: `${ratio(actionCold, floor)} / ${ratio(actionWarm, floor)}`,
              note: 'reference: node -e 0; warm: RUNNER_TEMP kept between runs, so the name index from the warm-up run is used',
            },
          ]),
    ],
    [
      `Medians of ${RUNS} runs, each in a fresh process after one warm-up run; the machine is shared with other work, so figures move between runs.`,
      'osv-scanner (the peer) is not installable here: it ships as a Go binary from GitHub releases and this machine reaches only the npm registry. The reference is the physical floor of reading the same exports without an index.',
      "Cold, every entry of each needed archive is inflated and CRC-checked, but only advisories that name a scanned package are JSON-parsed and validated (the reference parses all). Warm, the name index (keyed by the sha256 of the archive's central directory) lets the scan inflate only those.",
      '3,000 of the 20,000 synthetic npm advisories (15%) name a locked package; the rest name packages the project does not use, as in real exports.',
    ],
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
