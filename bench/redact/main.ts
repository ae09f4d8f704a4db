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
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { secretVariants } from '@airlock/redact';
import { plantedExamples } from '../../test/unit/redact/planted.ts';
import { median, ROOT, report } from '../lib.ts';

const RUNS = 3;
const MiB = 2 ** 20;
const LOG_BYTES = 512 * MiB;
const CORPUS_FILES = 16;
const CORPUS_FILE_BYTES = 4 * MiB;

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

/** mulberry32: a small seeded PRNG, so the corpus is the same shape on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS =
  'build test compile bundle module package request response cache worker thread config deploy artifact upload download resolve install lint format check render route handler client server session user order invoice payment'.split(
    ' ',
  );

/** Ordinary build-log and source lines. */
function logLine(r: () => number, i: number): string {
  const n = (k: number) => Math.floor(r() * k);
  const w = () => WORDS[n(WORDS.length)] as string;
  const hex = (len: number) => {
    let s = '';
    while (s.length < len) s += n(0xffffffff).toString(16).padStart(8, '0');
    return s.slice(0, len);
  };
  const ts = `2026-11-22T${String(10 + n(10)).padStart(2, '0')}:${String(n(60)).padStart(2, '0')}:${String(n(60)).padStart(2, '0')}.${String(n(1000)).padStart(3, '0')}Z`;
  switch (n(12)) {
    case 0:
      return `${ts} [info] webpack: compiled src/components/${w()}/${w()}${i % 997}.tsx (${(r() * 90).toFixed(1)} kB) in ${n(900)} ms`;
    case 1:
      return `  ✓ test/unit/${w()}_${i % 421}.test.ts > ${w()} ${w()} when the ${w()} is ${w()} (${n(80)} ms)`;
    case 2:
      return `npm http fetch GET 200 https://registry.npmjs.org/${w()}-${w()}/-/${w()}-${n(9)}.${n(30)}.${n(20)}.tgz ${n(400)}ms (cache hit)`;
    case 3:
      return `{"level":"info","time":"${ts}","msg":"${w()} ${w()} done","status":${200 + n(3) * 100},"duration_ms":${n(2000)},"trace_id":"${hex(32)}"}`;
    case 4:
      return `    at ${w()}${w().charAt(0).toUpperCase()}${w().slice(1)} (/home/runner/work/app/app/src/${w()}/${w()}.js:${n(900)}:${n(80)})`;
    case 5:
      return `src/${w()}/${w()}.ts(${n(400)},${n(60)}): error TS2322: Type 'string' is not assignable to type 'number'.`;
    case 6:
      return `#${n(30)} [${w()} ${n(9)}/${n(9)}] RUN npm ci --omit=dev && npm run ${w()} -- --mode=production`;
    case 7:
      return `sha256:${hex(64)}  dist/${w()}-${w()}.${['js', 'css', 'map', 'wasm'][n(4)]}`;
    case 8:
      return `  const ${w()}${n(99)} = await ${w()}.${w()}({ ${w()}: ${n(1000)}, ${w()}: '${w()}-${w()}' });`;
    case 9:
      return `Downloading https://github.com/${w()}/${w()}/releases/download/v${n(9)}.${n(20)}.${n(9)}/${w()}-linux-x64.tar.gz (${n(90)} MB)`;
    case 10:
      return `${ts} [debug] ${w()}: ${w()} ${w()} ${w()} ${w()} ${w()} retry=${n(5)} backoff=${n(3000)}ms`;
    default:
      return `${randomBase64(r, 76)}`;
  }
}

function randomBase64(r: () => number, len: number): string {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let s = '';
  for (let i = 0; i < len; i++) s += A[Math.floor(r() * 64)];
  return s;
}

function registeredSecrets(): string[] {
  const out: string[] = [];
  for (let i = 0; i < 100; i++) {
    if (i < 40) out.push(randomBytes(24).toString('base64url'));
    else if (i < 70) out.push(randomBytes(20).toString('hex'));
    else if (i < 90) out.push(`${randomBytes(9).toString('base64url')}/+=&"'<>% ${randomBytes(6).toString('hex')}`);
    else out.push(Array.from({ length: 5 }, () => randomBytes(36).toString('base64')).join('\n'));
  }
  return out;
}

function writeLog(path: string, secrets: readonly string[], bytes: number): void {
  const r = prng(42);
  const variants = secrets.map((s) => secretVariants(s).map((v) => v.text));
  const fd = openSync(path, 'w', 0o600);
  try {
    // 16 MiB of distinct text, then written over and over (the file is what `cat` and the redactor both read).
    const lines: string[] = [];
    let size = 0;
    for (let i = 0; size < 16 * MiB; i++) {
      let line: string;
      if (i % 1500 === 750) {
        const forms = variants[Math.floor(r() * variants.length)] as string[];
        line = `${logLine(r, i).slice(0, 40)} ${forms[Math.floor(r() * forms.length)]}`;
      } else if (i % 4000 === 2000) {
        const examples = plantedExamples();
        line = (examples[Math.floor(r() * examples.length)] as { line: string }).line;
      } else {
        line = logLine(r, i);
      }
      lines.push(line);
      size += Buffer.byteLength(line) + 1;
    }
    const block = Buffer.from(`${lines.join('\n')}\n`);
    for (let written = 0; written < bytes; written += block.length)
      writeSync(fd, block, 0, Math.min(block.length, bytes - written));
  } finally {
    closeSync(fd);
  }
}

interface Planted {
  readonly path: string;
  readonly line: number;
  readonly endLine: number;
  readonly rule: string;
}

function writeCorpus(dir: string): Planted[] {
  const r = prng(7);
  const planted: Planted[] = [];
  for (let f = 0; f < CORPUS_FILES; f++) {
    const name = `build-${String(f).padStart(2, '0')}.log`;
    const lines: string[] = [];
    for (let size = 0; size < CORPUS_FILE_BYTES; ) {
      const line = logLine(r, lines.length);
      lines.push(line);
      size += Buffer.byteLength(line) + 1;
    }
    // One credential of each rule type per file, each replacing an ordinary line at a random place.
    const rules = new Map<number, string>();
    for (const example of plantedExamples()) {
      let index = Math.floor(r() * lines.length);
      while (rules.has(index)) index = (index + 1) % lines.length;
      rules.set(index, example.rule);
      lines[index] = example.line;
    }
    let lineNo = 1;
    lines.forEach((text, index) => {
      const count = text.split('\n').length;
      const rule = rules.get(index);
      if (rule !== undefined) planted.push({ path: name, line: lineNo, endLine: lineNo + count - 1, rule });
      lineNo += count;
    });
    writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
  }
  return planted;
}

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
