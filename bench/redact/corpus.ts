/**
 * The generated inputs of bench/redact: a build log with registered secrets printed in their variants and planted
 * credentials of every rule, and a corpus of files with one credential of each rule type per file. Seeded, so each
 * run has the same shape (the secrets themselves are random per run). Also used by small profiling drivers.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { secretVariants } from '@airlock/redact';
import { plantedExamples } from '../../test/unit/redact/planted.ts';

const MiB = 2 ** 20;
export const CORPUS_FILES = 16;
export const CORPUS_FILE_BYTES = 4 * MiB;

/** mulberry32: a small seeded PRNG, so the corpus is the same shape on every run. */
export function prng(seed: number): () => number {
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

export function registeredSecrets(): string[] {
  const out: string[] = [];
  for (let i = 0; i < 100; i++) {
    if (i < 40) out.push(randomBytes(24).toString('base64url'));
    else if (i < 70) out.push(randomBytes(20).toString('hex'));
    else if (i < 90) out.push(`${randomBytes(9).toString('base64url')}/+=&"'<>% ${randomBytes(6).toString('hex')}`);
    else out.push(Array.from({ length: 5 }, () => randomBytes(36).toString('base64')).join('\n'));
  }
  return out;
}

export function writeLog(path: string, secrets: readonly string[], bytes: number): void {
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

export interface Planted {
  readonly path: string;
  readonly line: number;
  readonly endLine: number;
  readonly rule: string;
}

export function writeCorpus(dir: string): Planted[] {
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
