/**
 * bench/redact: the redactor against physical and peer references, in one run.
 *
 * 1. Redaction throughput: a 512 MiB generated build log (under os.tmpdir, deleted afterwards) with 100 registered
 *    secrets printed in their variants and credentials of every rule planted, through a redaction stream with every
 *    variant of the 100 secrets and every rule; `cat` of the same file is the physical reference. Whole processes,
 *    medians of 3 runs after a warm-up. Peak RSS at 51 MiB and at 512 MiB shows whether memory stays flat.
 * 2. Rule scanning beside secretlint (the recommended preset, its CLI): the same 64 MiB corpus of 16 files with a
 *    planted credential of each of Airlock's rule types per file; wall time, recall on the planted secrets (all of
 *    them, and those of the types secretlint has rules for) and hits outside them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, ROOT, report } from '../lib.ts';
import { CORPUS_FILE_BYTES, CORPUS_FILES, type Planted, registeredSecrets, writeCorpus, writeLog } from './corpus.ts';

const RUNS = 3;
const MiB = 2 ** 20;
const LOG_BYTES = 512 * MiB;

/** Rule types secretlint's recommended preset also has rules for (with its default options). */
const SECRETLINT_TYPES = new Set([
  'aws-secret-access-key',
  'github-token',
  'github-fine-grained-pat',
  'gitlab-token',
  'slack-token',
  'slack-webhook',
  'npm-token',
  'npmrc-auth-token',
  'private-key',
  'url-credentials',
  'sendgrid-api-key',
  'vault-token',
  'openai-api-key',
  'anthropic-api-key',
  'huggingface-token',
  'groq-api-key',
  'docker-pat',
  'shopify-token',
  'linear-api-key',
  'notion-token',
  'grafana-token',
  'databricks-token',
  'figma-token',
  'vercel-token',
  'onepassword-service-account-token',
]);

/** Wall time of a process in ms (after one warm-up), `runs` times; its stdout discarded. */
function timed(command: string, args: readonly string[], runs: number, okCodes = [0]): number[] {
  const times: number[] = [];
  for (let i = -1; i < runs; i++) {
    const started = process.hrtime.bigint();
    const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * MiB });
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    if (!okCodes.includes(result.status ?? -1)) {
      throw new Error(
        `${command} ${args.join(' ')} exited ${result.status}: ${result.stderr?.toString().slice(0, 2000)}`,
      );
    }
    if (i >= 0) times.push(elapsed);
  }
  return times;
}

function recall(planted: readonly Planted[], found: ReadonlyArray<{ path: string; line: number; endLine: number }>) {
  const hit = (p: Planted) => found.some((f) => f.path === p.path && f.line <= p.endLine && f.endLine >= p.line);
  const outside = found.filter(
    (f) => !planted.some((p) => f.path === p.path && f.line <= p.endLine && f.endLine >= p.line),
  );
  const all = planted.filter(hit).length;
  const common = planted.filter((p) => SECRETLINT_TYPES.has(p.rule));
  return { all, common: common.filter(hit).length, commonTotal: common.length, outside: outside.length };
}

const mbps = (bytes: number, ms: number) => (bytes / MiB / (ms / 1000)).toFixed(0);
const node = process.execPath;
const child = join(ROOT, 'bench/redact/child.ts');
const startLoad = loadavg();
const work = mkdtempSync(join(tmpdir(), 'airlock-bench-redact-'));
try {
  // 1. Redaction throughput against cat.
  const secrets = registeredSecrets();
  const secretsFile = join(work, 'secrets.json');
  writeFileSync(secretsFile, JSON.stringify(secrets), { mode: 0o600 });
  const log = join(work, 'build.log');
  console.log(`generating ${LOG_BYTES / MiB} MiB of build log in ${work} …`);
  writeLog(log, secrets, LOG_BYTES);
  const stats = join(work, 'stats.json');
  const cat = median(timed('cat', [log], RUNS));
  const ours = median(timed(node, [child, 'redact', log, secretsFile, stats], RUNS));
  const big = JSON.parse(readFileSync(stats, 'utf8'));
  console.log(
    `cat ${mbps(LOG_BYTES, cat)} MB/s, redact ${mbps(LOG_BYTES, ours)} MB/s (stream ${mbps(LOG_BYTES, big.streamMs)} MB/s)`,
  );
  timed(node, [child, 'redact', log, secretsFile, stats, String(Math.floor(LOG_BYTES / 10))], 0);
  const small = JSON.parse(readFileSync(stats, 'utf8'));
  if (big.bytesIn !== LOG_BYTES || big.findings === 0)
    throw new Error(`bench: the redactor read ${big.bytesIn} bytes, ${big.findings} findings`);

  // 2. Rules beside secretlint on one corpus.
  const corpus = join(work, 'corpus');
  mkdirSync(corpus);
  const planted = writeCorpus(corpus);
  const corpusBytes = CORPUS_FILES * CORPUS_FILE_BYTES;
  const found = join(work, 'found.json');
  const oursScan = median(timed(node, [child, 'scan', corpus, found], RUNS));
  const oursFound = JSON.parse(readFileSync(found, 'utf8')) as Array<{ path: string; line: number; endLine: number }>;
  const secretlint = join(ROOT, 'node_modules/secretlint/bin/secretlint.js');
  const config = JSON.stringify({ rules: [{ id: '@secretlint/secretlint-rule-preset-recommend' }] });
  const slOut = join(work, 'secretlint.json');
  const args = [secretlint, '--secretlintrcJSON', config, '--format', 'json', '--output', slOut, `${corpus}/**/*`];
  const theirScan = median(timed(node, args, RUNS, [0, 1]));
  // Start-up floors: each tool on a one-line file.
  const tiny = join(work, 'tiny');
  mkdirSync(tiny);
  writeFileSync(join(tiny, 'one.log'), 'nothing to see\n');
  const oursFloor = median(timed(node, [child, 'scan', tiny, join(work, 'tiny.json')], RUNS));
  const theirFloor = median(
    timed(
      node,
      [
        secretlint,
        '--secretlintrcJSON',
        config,
        '--format',
        'json',
        '--output',
        join(work, 'tiny-sl.json'),
        `${tiny}/**/*`,
      ],
      RUNS,
      [0, 1],
    ),
  );
  const theirFound = (
    JSON.parse(readFileSync(slOut, 'utf8')) as Array<{
      filePath: string;
      messages: Array<{ loc: { start: { line: number }; end: { line: number } } }>;
    }>
  ).flatMap((file) =>
    file.messages.map((m) => ({
      path: file.filePath.slice(corpus.length + 1),
      line: m.loc.start.line,
      endLine: m.loc.end.line,
    })),
  );
  console.log(`rule scan: airlock ${oursScan.toFixed(0)} ms, secretlint ${theirScan.toFixed(0)} ms`);
  const a = recall(planted, oursFound);
  const b = recall(planted, theirFound);

  report(
    'redact',
    'streaming redaction and secret scanning',
    [
      {
        what: `redaction throughput, ${LOG_BYTES / MiB} MiB log, 100 secrets (${big.variants} registered forms) + ${big.rules} rules`,
        ours: `${mbps(LOG_BYTES, ours)} MB/s`,
        reference: `${mbps(LOG_BYTES, cat)} MB/s (cat)`,
        ratio: `${(cat / ours).toFixed(3)}×`,
        note: `throughput ratio; target ≥ 300 MB/s; ${big.findings} redactions; medians of ${RUNS} runs, whole processes (compile ${Math.round(big.compileMs)} ms)`,
      },
      {
        what: 'peak RSS of the redaction process, 51 MiB → 512 MiB of input',
        ours: `${Math.round(small.maxRssKiB / 1024)} → ${Math.round(big.maxRssKiB / 1024)} MiB`,
        reference: 'n/a',
        ratio: `${(big.maxRssKiB / small.maxRssKiB).toFixed(2)}×`,
        note: `10× the input, ${big.maxRssKiB >= small.maxRssKiB ? '+' : ''}${Math.round((big.maxRssKiB - small.maxRssKiB) / 1024)} MiB`,
      },
      {
        what: `rule scan, ${corpusBytes / MiB} MiB in ${CORPUS_FILES} files`,
        ours: `${(oursScan / 1000).toFixed(2)} s`,
        reference: `${(theirScan / 1000).toFixed(2)} s (secretlint 12, recommended preset)`,
        ratio: `${(theirScan / oursScan).toFixed(1)}× faster`,
        note: `target ≥ 10×; ${mbps(corpusBytes, oursScan)} vs ${mbps(corpusBytes, theirScan)} MB/s, whole processes`,
      },
      {
        what: "the same, above each tool's start-up (measured on a one-line file)",
        ours: `${((oursScan - oursFloor) / 1000).toFixed(2)} s`,
        reference: `${((theirScan - theirFloor) / 1000).toFixed(2)} s`,
        ratio: `${((theirScan - theirFloor) / Math.max(1, oursScan - oursFloor)).toFixed(1)}× faster`,
        note: `start-up ${(oursFloor / 1000).toFixed(2)} s vs ${(theirFloor / 1000).toFixed(2)} s; ${mbps(corpusBytes, oursScan - oursFloor)} vs ${mbps(corpusBytes, theirScan - theirFloor)} MB/s`,
      },
      {
        what: `recall on ${planted.length} planted secrets (${new Set(planted.map((p) => p.rule)).size} types)`,
        ours: `${a.all}/${planted.length}`,
        reference: `${b.all}/${planted.length}`,
        ratio: `${(a.all / Math.max(1, b.all)).toFixed(2)}×`,
      },
      {
        what: `recall on the ${a.commonTotal} of the types secretlint has rules for`,
        ours: `${a.common}/${a.commonTotal}`,
        reference: `${b.common}/${b.commonTotal}`,
        ratio: `${(a.common / Math.max(1, b.common)).toFixed(2)}×`,
      },
      {
        what: 'findings outside the planted secrets',
        ours: String(a.outside),
        reference: String(b.outside),
        ratio: '',
      },
    ],
    [
      `The log and the corpus are generated (seeded) under ${tmpdir()} and deleted afterwards; secrets are random per run.`,
      `Load average when the run started: ${startLoad.map((l) => l.toFixed(2)).join(', ')} (the machine is shared; figures vary with it).`,
      'Airlock runs as bench/redact/child.ts (the library behind `airlock redact` and `airlock secrets scan`, from source); secretlint as its CLI with --format json.',
    ],
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
