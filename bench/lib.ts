/**
 * Shared benchmark helpers: medians of repeated runs, a table with our figure, the peer's and the ratio, the machine
 * it ran on, and bench/RESULTS.md updated per area.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../scripts/lib/actions.ts';

export { ROOT };

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Wall time of a whole process, in milliseconds, `runs` times (after one warm-up run). */
export function timeProcess(
  command: string,
  args: readonly string[],
  runs: number,
  env: NodeJS.ProcessEnv = process.env,
): number[] {
  const times: number[] = [];
  for (let i = -1; i < runs; i++) {
    const started = process.hrtime.bigint();
    const result = spawnSync(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr?.toString()}`);
    if (i >= 0) times.push(elapsed);
  }
  return times;
}

export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} × ${cpu.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, ${process.platform}`;
}

export interface Row {
  readonly what: string;
  readonly ours: string;
  readonly reference: string;
  readonly ratio: string;
  readonly note?: string;
}

export function renderTable(rows: readonly Row[]): string {
  const lines = ['| measurement | Airlock | peer / reference | ratio | note |', '| --- | --- | --- | --- | --- |'];
  for (const r of rows) lines.push(`| ${r.what} | ${r.ours} | ${r.reference} | ${r.ratio} | ${r.note ?? ''} |`);
  return lines.join('\n');
}

export const ms = (value: number) => `${value.toFixed(1)} ms`;
export const ratio = (ours: number, theirs: number) => `${(ours / theirs).toFixed(2)}×`;

/** Replace this area's section of bench/RESULTS.md (and print the table). */
export function report(area: string, title: string, rows: readonly Row[], notes: readonly string[] = []): void {
  const date = new Date().toISOString().slice(0, 10);
  const section = [
    `## ${area}: ${title}`,
    '',
    `Measured ${date} on ${machine()}.`,
    '',
    renderTable(rows),
    '',
    ...notes.map((n) => `- ${n}`),
    '',
  ]
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
  console.log(`\n${section}`);
  const path = join(ROOT, 'bench/RESULTS.md');
  const header =
    '# Benchmark results\n\nLatest figures per area, written by `npm run bench -- <area>`. Each row compares Airlock with a peer or a physical reference measured in the same run on the same input.\n\n';
  const current = existsSync(path) ? readFileSync(path, 'utf8') : header;
  const start = current.indexOf(`## ${area}:`);
  let next: string;
  if (start < 0) {
    next = `${current.trimEnd()}\n\n${section}`;
  } else {
    const after = current.indexOf('\n## ', start + 1);
    next = current.slice(0, start) + section + (after < 0 ? '' : current.slice(after + 1));
  }
  writeFileSync(path, `${next.trimEnd()}\n`);
}
