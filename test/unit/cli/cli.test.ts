import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliIO, type Command, commands, EXIT, runCli } from '@airlock/cli';
import { githubContextFromEnv, githubForTrail, TrailRecorder } from '@airlock/core';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../support/paths.ts';

function io(options: { tty?: boolean } = {}) {
  let stdout = '';
  let stderr = '';
  const value: CliIO = {
    stdout: { write: (t: string) => (stdout += t), isTTY: false },
    stderr: { write: (t: string) => (stderr += t), isTTY: options.tty ?? false },
    env: {},
    cwd: process.cwd(),
  };
  return { io: value, out: () => stdout, err: () => stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'airlock-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const trailFile = join(dir, 'trail.jsonl');
const recorder = new TrailRecorder({ path: trailFile, now: () => new Date('2026-11-22T12:00:00Z') });
for (const name of ['audit', 'scan', 'sign']) {
  recorder.append({
    action: { name, version: '0.1.0', phase: 'main', repository: null, ref: null },
    step: name,
    github: githubForTrail(githubContextFromEnv({})),
    outcome: 'success',
    error: null,
    inputs: {},
    subjects: [],
    result: {},
  });
}

describe('airlock CLI framework', () => {
  it('prints help with exit codes, and the version', async () => {
    const h = io();
    expect(await runCli(['--help'], h.io, commands)).toBe(EXIT.ok);
    expect(h.out()).toContain('trail verify');
    expect(h.out()).toContain(
      'Exit codes: 0 ok; 1 policy failure or findings; 2 usage or input error; 3 internal error.',
    );
    const v = io();
    expect(await runCli(['--version'], v.io, commands)).toBe(EXIT.ok);
    expect(v.out()).toBe('0.1.0\n');
    expect(await runCli([], io().io, commands)).toBe(EXIT.usage);
  });

  it('rejects unknown commands, options and formats with exit 2', async () => {
    const a = io();
    expect(await runCli(['trial'], a.io, commands)).toBe(EXIT.usage);
    expect(a.err()).toMatch(/unknown command 'trial'/);
    const b = io();
    expect(await runCli(['trail', 'verify', trailFile, '--bogus'], b.io, commands)).toBe(EXIT.usage);
    expect(b.err()).toMatch(/unknown option '--bogus'/);
    const c = io();
    expect(await runCli(['trail', 'verify', trailFile, '--format', 'sarif'], c.io, commands)).toBe(EXIT.usage);
    expect(c.err()).toContain("option '--format' must be one of table, json; got 'sarif'");
    const d = io();
    expect(await runCli(['trail'], d.io, commands)).toBe(EXIT.usage);
    expect(d.err()).toMatch(/'trail' has: verify/);
  });

  it('maps errors to exit codes: input errors 2, bugs 3 with a hint', async () => {
    const broken: Command = {
      path: ['boom'],
      summary: 'x',
      run: async () => {
        throw new TypeError('undefined is not a function');
      },
    };
    const e = io();
    expect(await runCli(['boom', '--debug'], e.io, [broken])).toBe(EXIT.internal);
    expect(e.err()).toMatch(/airlock boom: internal error: undefined is not a function\. This is a bug/);
    expect(e.err()).toMatch(/TypeError: undefined is not a function\n\s+at /);
    const missing = io();
    expect(await runCli(['trail', 'verify', join(dir, 'nope.jsonl')], missing.io, commands)).toBe(EXIT.usage);
    expect(missing.err()).toMatch(/cannot read trail file .*nope\.jsonl: ENOENT/);
  });

  it('shows progress only on a terminal', async () => {
    const slow: Command = {
      path: ['slow'],
      summary: 'x',
      run: async ({ progress }) => {
        progress.update('working 1/2');
        return EXIT.ok;
      },
    };
    const tty = io({ tty: true });
    await runCli(['slow'], tty.io, [slow]);
    expect(tty.err()).toContain('working 1/2');
    const pipe = io();
    await runCli(['slow'], pipe.io, [slow]);
    expect(pipe.err()).toBe('');
  });
});

describe('airlock trail verify', () => {
  it('exits 0 on an intact chain, 1 naming the first bad record', async () => {
    const ok = io();
    expect(await runCli(['trail', 'verify', trailFile, '--format', 'json'], ok.io, commands)).toBe(EXIT.ok);
    expect(JSON.parse(ok.out())).toMatchObject({ ok: true, records: 3 });
    const lines = readFileSync(trailFile, 'utf8').trimEnd().split('\n');
    const tampered = join(dir, 'tampered.jsonl');
    writeFileSync(tampered, [lines[0], lines[1]?.replace('"scan"', '"sbom"'), lines[2]].join('\n'));
    const bad = io();
    expect(await runCli(['trail', 'verify', tampered], bad.io, commands)).toBe(EXIT.findings);
    expect(bad.out()).toMatch(/tampered\.jsonl:3: record seq 3 does not chain to record seq 2/);
  });

  it('works the same from the bundled dist/cli', () => {
    const run = spawnSync(process.execPath, [join(ROOT, 'dist/cli/index.js'), 'trail', 'verify', trailFile], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/ok {3}chain: 3 records, head [0-9a-f]{64}\n.*: verified/);
    expect(
      execFileSync(process.execPath, [join(ROOT, 'packages/cli/bin/airlock.js'), '--version'], { encoding: 'utf8' }),
    ).toBe('0.1.0\n');
  });
});
