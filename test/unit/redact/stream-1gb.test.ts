import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Redactor, RedactTransform } from '@airlock/redact';
import { expect, it } from 'vitest';

/**
 * A gigabyte of build log through the Node stream, generated on the fly: the output is exactly what the redactor gives
 * for one block, repeated (counted, not kept), and the process's memory stays flat.
 */
it('redacts a 1 GiB stream with flat memory', { timeout: 300_000 }, async () => {
  const secrets = Array.from({ length: 10 }, (_, i) => `${randomBytes(15).toString('base64url')}-${i}`);
  const redactor = new Redactor({ secrets });
  const lines: string[] = [];
  for (let i = 0, size = 0; size < 1024 * 1024 - 400; i++, size += (lines.at(-1)?.length ?? 0) + 1) {
    const secret = secrets[i % secrets.length] as string;
    if (i % 97 === 0) lines.push(`step ${i}: auth ${Buffer.from(`ci:${secret}`).toString('base64')} ok`);
    else if (i % 131 === 0) lines.push(`step ${i}: using ${secret} for upload`);
    else if (i % 173 === 0)
      lines.push(`step ${i}: export GITHUB_TOKEN=${['gh', 's_'].join('')}${randomBytes(18).toString('hex')}`);
    else
      lines.push(
        `2026-11-22T12:00:00.${String(i % 1000).padStart(3, '0')}Z [info] compiling src/module_${i}.ts (${(i * 37) % 997} ms)`,
      );
  }
  const block = Buffer.from(`${lines.join('\n')}\n`);
  const expected = redactor.redact(block);
  expect(expected.findings.length).toBeGreaterThan(20);
  const blocks = Math.ceil(2 ** 30 / block.length);

  let produced = 0;
  let chunkIndex = 0;
  const source = new Readable({
    read() {
      // Chunks of varying size that cut lines, secrets and UTF-8 anywhere.
      for (let pushed = 0; pushed < 4; pushed++) {
        if (produced >= blocks * block.length) {
          this.push(null);
          return;
        }
        const offset = produced % block.length;
        const size = Math.min(block.length - offset, 40_000 + ((chunkIndex++ * 7919) % 60_000));
        produced += size;
        if (!this.push(block.subarray(offset, offset + size))) return;
      }
    },
  });
  let findings = 0;
  let outBytes = 0;
  const samples: number[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      outBytes += chunk.length;
      if (samples.length < Math.floor(outBytes / (32 * 2 ** 20))) samples.push(process.memoryUsage.rss());
      callback();
    },
  });
  const started = Date.now();
  await pipeline(source, new RedactTransform(redactor, { idleMs: 0, onFinding: () => findings++ }), sink);
  const seconds = (Date.now() - started) / 1000;

  expect(produced).toBeGreaterThanOrEqual(2 ** 30);
  expect(outBytes).toBe(expected.output.length * blocks);
  expect(findings).toBe(expected.findings.length * blocks);
  // Flat: after the first 128 MiB (warm-up), resident memory moves by less than 64 MiB.
  const settled = samples.slice(4);
  expect(settled.length).toBeGreaterThan(20);
  const growth = Math.max(...settled) - (settled[0] as number);
  console.log(
    `1 GiB in ${seconds.toFixed(1)} s (${(1024 / seconds).toFixed(0)} MiB/s), RSS ${Math.round((settled[0] as number) / 2 ** 20)} → max ${Math.round(Math.max(...settled) / 2 ** 20)} MiB`,
  );
  expect(growth).toBeLessThan(64 * 2 ** 20);
});
