/**
 * One scan in a fresh process, for bench/scan/main.ts: `node run-once.ts ROOT DB [scan|reference] [INDEX_DIR]` prints JSON with
 * the wall time of the scan (or of the physical reference), its phases and the process's peak RSS.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import { DEFAULT_POLICY } from '../../packages/deps/src/policy.ts';
import { scan } from '../../packages/deps/src/scan.ts';

const [root, db, mode, indexDir] = process.argv.slice(2) as [string, string, string | undefined, string | undefined];
const started = performance.now();
/** Peak RSS of this process in KiB: VmHWM, which starts afresh at exec (getrusage's maxrss inherits the parent's). */
const peakKiB = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? Number.NaN);
if (mode === 'reference') {
  // The physical floor of any scanner reading the same exports without an index: read the lockfiles, parse the
  // package-lock as JSON, and read, inflate and JSON-parse every advisory of the three archives once.
  JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  readFileSync(join(root, 'requirements.txt'), 'utf8');
  readFileSync(join(root, 'go.mod'), 'utf8');
  let advisories = 0;
  for (const ecosystem of readdirSync(db)) {
    const buf = readFileSync(join(db, ecosystem, 'all.zip'));
    let eocd = buf.length - 22;
    while (buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
    const count = buf.readUInt16LE(eocd + 10);
    let at = buf.readUInt32LE(eocd + 16);
    for (let i = 0; i < count; i++) {
      const size = buf.readUInt32LE(at + 20);
      const nameLength = buf.readUInt16LE(at + 28);
      const offset = buf.readUInt32LE(at + 42);
      at += 46 + nameLength + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
      const data = offset + 30 + buf.readUInt16LE(offset + 26) + buf.readUInt16LE(offset + 28);
      const out = inflateRawSync(buf.subarray(data, data + size));
      crc32(out);
      JSON.parse(out.toString('utf8'));
      advisories++;
    }
  }
  const ms = performance.now() - started;
  console.log(JSON.stringify({ ms, advisories, maxRssKiB: peakKiB() }));
} else {
  const report = await scan({
    root,
    source: { kind: 'offline', dir: db, ...(indexDir === undefined ? {} : { indexDir }) },
    policy: { ...DEFAULT_POLICY, failOn: 'none' },
  });
  const ms = performance.now() - started;
  console.log(
    JSON.stringify({
      ms,
      timings: report.timings,
      packages: report.packages.length,
      findings: report.findings.length,
      maxRssKiB: peakKiB(),
    }),
  );
}
