/**
 * Cold start and full exchange of actions/exchange (dist/exchange/index.js, the committed bundle) on loopback, beside
 * a peer built the usual way — @actions/core + @aws-sdk/client-sts bundled with ncc, doing what
 * aws-actions/configure-aws-credentials does for OIDC — and beside `node -e 0` as the floor.
 *
 * - cold start to first request: from spawning the process to the first HTTP request reaching the loopback services
 *   (arrival times recorded in the server process, same system clock);
 * - full AWS exchange: process start to exit — token request, (ours only: discovery, JWKS, verification),
 *   AssumeRoleWithWebIdentity, masking and export, the job summary and the trail record.
 * Targets from issue 3: cold start ≤ 150 ms, full exchange ≤ 250 ms.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, ms, ROOT, ratio, report, timeProcess } from '../lib.ts';

const RUNS = 25;
const require = createRequire(import.meta.url);
const ncc = require('@vercel/ncc') as (input: string, options: object) => Promise<{ code: string }>;
const work = mkdtempSync(join(tmpdir(), 'airlock-bench-exchange-'));
const ours = join(ROOT, 'dist/exchange/index.js');

const server = spawn(process.execPath, [join(ROOT, 'bench/exchange/server.ts')], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
try {
  const info = await new Promise<{ control: string; issuer: string; sts: string; env: Record<string, string> }>(
    (resolve) => server.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()))),
  );
  const peer = join(work, 'peer.mjs');
  writeFileSync(
    peer,
    (await ncc(join(ROOT, 'bench/exchange/sdk-action.mjs'), { minify: true, quiet: true, cache: false })).code,
  );

  const files = (
    tag: string,
  ): Record<'GITHUB_OUTPUT' | 'GITHUB_ENV' | 'GITHUB_STATE' | 'GITHUB_STEP_SUMMARY' | 'GITHUB_PATH', string> => {
    const paths = Object.fromEntries(
      ['GITHUB_OUTPUT', 'GITHUB_ENV', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY', 'GITHUB_PATH'].map((n) => [
        n,
        join(work, `${tag}-${n}`),
      ]),
    );
    for (const p of Object.values(paths)) writeFileSync(p, '');
    return paths as Record<
      'GITHUB_OUTPUT' | 'GITHUB_ENV' | 'GITHUB_STATE' | 'GITHUB_STEP_SUMMARY' | 'GITHUB_PATH',
      string
    >;
  };
  const common = {
    PATH: process.env.PATH ?? '',
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: 'acme/app',
    GITHUB_RUN_ID: '1',
    GITHUB_RUN_ATTEMPT: '1',
    RUNNER_TEMP: work,
    ...info.env,
  };
  const oursEnv = {
    ...common,
    ...files('ours'),
    INPUT_PROVIDER: 'aws',
    INPUT_ISSUER: info.issuer,
    'INPUT_ROLE-TO-ASSUME': 'arn:aws:iam::111122223333:role/bench',
    'INPUT_AWS-REGION': 'us-east-1',
    INPUT_ENDPOINTS: `sts=${info.sts}`,
    'INPUT_EXPORT-ENV': 'true',
    'INPUT_OUTPUT-CREDENTIALS': 'false',
    'INPUT_CREDENTIALS-FILE': 'false',
    INPUT_DEADLINE: '60s',
  };
  const peerEnv = {
    ...common,
    ...files('peer'),
    'INPUT_ROLE-TO-ASSUME': 'arn:aws:iam::111122223333:role/bench',
    'INPUT_AWS-REGION': 'us-east-1',
    'INPUT_STS-ENDPOINT': info.sts,
  };
  const arrivals = async (): Promise<{ arrivals: number[]; sessions: number }> =>
    (await (await fetch(info.control)).json()) as { arrivals: number[]; sessions: number };

  const measure = async (script: string, env: Record<string, string>) => {
    const first: number[] = [];
    const total: number[] = [];
    for (let i = -1; i < RUNS; i++) {
      await arrivals(); // clear
      const before = (await arrivals()).sessions;
      const started = performance.timeOrigin + performance.now();
      const result = spawnSync(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const elapsed = performance.timeOrigin + performance.now() - started;
      const seen = await arrivals();
      if (result.status !== 0 || seen.sessions !== before + 1) {
        throw new Error(
          `bench: ${script} did not complete an exchange: ${result.stdout.toString()}${result.stderr.toString()}`,
        );
      }
      if (i < 0) continue; // warm-up (file cache)
      first.push((seen.arrivals[0] as number) - started);
      total.push(elapsed);
    }
    return { first: median(first), total: median(total) };
  };

  const floor = median(timeProcess(process.execPath, ['-e', '0'], RUNS));
  const a = await measure(ours, oursEnv);
  const p = await measure(peer, peerEnv);
  if (!readFileSync(oursEnv.GITHUB_ENV, 'utf8').includes('AWS_SESSION_TOKEN'))
    throw new Error('bench: no credentials exported');
  const kib = (path: string) => `${(statSync(path).size / 1024).toFixed(0)} KiB`;

  report(
    'exchange',
    'OIDC → AWS credentials: cold start and full exchange',
    [
      {
        what: 'cold start: process start to first request',
        ours: ms(a.first),
        reference: `${ms(p.first)} (@actions/core + @aws-sdk/client-sts)`,
        ratio: ratio(a.first, p.first),
        note: `target ≤ 150 ms; floor \`node -e 0\`: ${ms(floor)}`,
      },
      {
        what: 'cold start above the floor',
        ours: ms(a.first - floor),
        reference: ms(p.first - floor),
        ratio: ratio(a.first - floor, p.first - floor),
      },
      {
        what: 'full AWS exchange: process start to exit',
        ours: ms(a.total),
        reference: ms(p.total),
        ratio: ratio(a.total, p.total),
        note: 'target ≤ 250 ms; ours also fetches the JWKS and verifies the token and claims',
      },
      {
        what: 'the same, above the floor',
        ours: ms(a.total - floor),
        reference: ms(p.total - floor),
        ratio: ratio(a.total - floor, p.total - floor),
      },
      {
        what: 'bundle size (main step)',
        ours: kib(ours),
        reference: kib(peer),
        ratio: ratio(statSync(ours).size, statSync(peer).size),
      },
    ],
    [
      `Medians of ${RUNS} runs each, after one warm-up run; loopback OIDC provider and STS in a separate process; the action's job summary and trail record included.`,
      'The peer is what configure-aws-credentials does, built in the same run (it is not downloaded): it does not verify the token.',
      `Load average when the run ended: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(
          ' ',
        )} (other work on the machine inflates every figure, the floor included; compare above-the-floor rows).`,
    ],
  );
} finally {
  server.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
