/**
 * The measured side of bench/redact, one process per run:
 *
 *   node bench/redact/child.ts redact FILE SECRETS.json STATS.json [LIMIT_BYTES]
 *       FILE through a RedactionStream with the registered secrets (all variants) and every rule, output to stdout
 *   node bench/redact/child.ts scan DIR STATS.json
 *       every file under DIR scanned with the rules (what `airlock secrets scan` does), findings to STATS.json
 */
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { expandPaths, pumpFile, Redactor, scanFiles, writeAllSync } from '@airlock/redact';

const [mode, target, arg3, arg4, arg5] = process.argv.slice(2);

if (mode === 'redact') {
  const secrets = JSON.parse(readFileSync(arg3 as string, 'utf8')) as string[];
  const limit = arg5 === undefined ? Number.POSITIVE_INFINITY : Math.floor(Number(arg5));
  const started = performance.now();
  const redactor = new Redactor({ secrets });
  const compiled = performance.now();
  const cpu0 = process.cpuUsage();
  let findings = 0;
  const stream = redactor.stream(() => findings++);
  let bytesOut = 0;
  const fd = openSync(target as string, 'r');
  // What `airlock redact --stdin < FILE > OUT` does.
  pumpFile(
    fd,
    stream,
    (buf) => {
      bytesOut += buf.length;
      writeAllSync(1, buf);
    },
    limit,
  );
  closeSync(fd);
  writeFileSync(
    arg4 as string,
    JSON.stringify({
      bytesIn: stream.bytesIn,
      bytesOut,
      findings,
      variants: redactor.variants.length,
      rules: redactor.rules.length,
      compileMs: compiled - started,
      streamMs: performance.now() - compiled,
      streamCpuMs: (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1000,
      maxRssKiB: process.resourceUsage().maxRSS,
    }),
  );
} else if (mode === 'scan') {
  const { files } = await expandPaths([target as string], process.cwd());
  const report = await scanFiles(files, { redactor: new Redactor(), root: target as string });
  writeFileSync(
    arg3 as string,
    JSON.stringify(report.findings.map((f) => ({ path: f.path, line: f.line, endLine: f.endLine, rule: f.rule }))),
  );
} else {
  console.error('usage: child.ts redact FILE SECRETS STATS [LIMIT] | scan DIR STATS');
  process.exit(2);
}
