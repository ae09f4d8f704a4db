import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type CliIO, commands, EXIT, runCli } from '@airlock/cli';
import { writeZip } from '@airlock/redact';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../support/paths.ts';

const SECRET = ['cli', randomBytes(8).toString('hex'), 'Secret'].join('-');
const TOKEN = ['gh', 'p_'].join('') + randomBytes(18).toString('hex');

function io(options: { stdin?: string; env?: Record<string, string>; cwd?: string } = {}) {
  let stdout = '';
  let stderr = '';
  const value: CliIO = {
    stdout: { write: (t: string) => (stdout += t), isTTY: false },
    stderr: { write: (t: string) => (stderr += t), isTTY: false },
    ...(options.stdin === undefined ? {} : { stdin: Readable.from([Buffer.from(options.stdin)]) }),
    env: { PATH: process.env.PATH, ...options.env },
    cwd: options.cwd ?? process.cwd(),
  };
  return { io: value, out: () => stdout, err: () => stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'airlock-cli-redact-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('airlock redact', () => {
  it('--stdin filters stdin to stdout', async () => {
    const h = io({
      stdin: `a ${SECRET} b\n${Buffer.from(SECRET).toString('base64')}\ntoken ${TOKEN}\n`,
      env: { S: SECRET },
    });
    expect(await runCli(['redact', '--secret-env', 'S', '--stdin'], h.io, commands)).toBe(EXIT.ok);
    expect(h.out()).toBe('a *** b\n***\ntoken ***\n');
  });

  it('--stdin redirected from a file reads it directly, with the same result, into a slow pipe', async () => {
    const file = join(dir, 'stdin.log');
    writeFileSync(file, `a ${SECRET} b\n`.repeat(50_000));
    const fd = openSync(file, 'r');
    const child = spawn(
      process.execPath,
      [join(ROOT, 'packages/cli/bin/airlock.js'), 'redact', '--secret-env', 'S', '--stdin'],
      {
        env: { PATH: process.env.PATH, S: SECRET },
        stdio: [fd, 'pipe', 'pipe'],
      },
    );
    closeSync(fd);
    const out: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    // A reader that falls behind: the pipe fills up and the writer must wait, not fail.
    child.stdout?.pause();
    setTimeout(() => child.stdout?.resume(), 300);
    expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
    expect(Buffer.concat(out).toString()).toBe('a *** b\n'.repeat(50_000));
  });

  it('--replacement rule labels each redaction; --known-only leaves unknown tokens alone', async () => {
    const a = io({ stdin: `${SECRET} ${TOKEN}\n` });
    expect(await runCli(['redact', '--secret', SECRET, '--replacement', 'rule', '--stdin'], a.io, commands)).toBe(0);
    expect(a.out()).toBe('[REDACTED:registered-secret] [REDACTED:github-token]\n');
    const b = io({ stdin: `${SECRET} ${TOKEN}\n` });
    expect(await runCli(['redact', '--secret', SECRET, '--known-only', '--stdin'], b.io, commands)).toBe(0);
    expect(b.out()).toBe(`*** ${TOKEN}\n`);
  });

  it('wraps a command: stdout and stderr redacted, its exit code returned', async () => {
    const h = io({ env: { S: SECRET } });
    const code = await runCli(
      [
        'redact',
        '--secret-env',
        'S',
        '--',
        process.execPath,
        '-e',
        'console.log("out " + process.env.S); console.error("err " + process.env.S); process.exit(5)',
      ],
      h.io,
      commands,
    );
    expect(code).toBe(5);
    expect(h.out()).toBe('out ***\n');
    expect(h.err()).toBe('err ***\n');
  });

  it('returns 128 + the signal number when the command is killed, and leaks nothing it printed', async () => {
    const h = io({ env: { S: SECRET } });
    const code = await runCli(
      [
        'redact',
        '--secret-env',
        'S',
        '--',
        process.execPath,
        '-e',
        'process.stdout.write(process.env.S.slice(0, 9)); setTimeout(() => { process.stdout.write(process.env.S.slice(9)); process.kill(process.pid, "SIGKILL"); }, 20)',
      ],
      h.io,
      commands,
    );
    expect(code).toBe(128 + 9);
    expect(h.out()).toBe('***\n');
  });

  it('forwards a signal it receives to the command, and still redacts and flushes', async () => {
    const child = spawn(
      process.execPath,
      [
        join(ROOT, 'packages/cli/bin/airlock.js'),
        'redact',
        '--secret-env',
        'S',
        '--',
        process.execPath,
        '-e',
        'process.on("SIGTERM", () => { process.stdout.write("got SIGTERM with " + process.env.S); process.exit(0); }); console.log("ready"); setInterval(() => {}, 1000);',
      ],
      { env: { PATH: process.env.PATH, S: SECRET }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) resolve();
      }),
    );
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(out).toBe('ready\ngot SIGTERM with ***\n');
  });

  it('rejects bad usage with exit 2 and a clear message', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['redact'], /give a command after --, e\.g\. airlock redact --secret-env TOKEN -- make deploy/],
      [
        ['redact', '--min-length', 'x', '--stdin'],
        /option '--min-length' must be a whole number from 1 to 1024; got 'x'/,
      ],
      [['redact', '--replacement', 'stars', '--stdin'], /option '--replacement' must be mask or rule; got 'stars'/],
      [
        ['redact', '--secret-env', 'NOPE_NOT_SET', '--stdin'],
        /option '--secret-env' names NOPE_NOT_SET, which is not set or empty/,
      ],
      [['redact', '--', 'no-such-command-airlock'], /cannot start 'no-such-command-airlock': not found/],
    ];
    for (const [argv, message] of cases) {
      const h = io({ stdin: '' });
      expect(await runCli(argv, h.io, commands), argv.join(' ')).toBe(EXIT.usage);
      expect(h.err()).toMatch(message);
    }
  });

  it('reports short secrets by source on stderr', async () => {
    const h = io({ stdin: 'ab cd\n' });
    expect(await runCli(['redact', '--secret', 'ab', '--stdin'], h.io, commands)).toBe(0);
    expect(h.out()).toBe('ab cd\n');
    expect(h.err()).toBe('airlock: 1 secret(s) shorter than 4 characters are not redacted: --secret 1\n');
  });
});

describe('airlock secrets scan', () => {
  mkdirSync(join(dir, 'out'), { recursive: true });
  writeFileSync(join(dir, 'out/build.log'), `line one\n  key=${SECRET}\n`);
  writeFileSync(join(dir, 'out/app.zip'), writeZip([{ name: 'cfg/.npmrc', data: Buffer.from(`x\n_t ${TOKEN}\n`) }]));
  writeFileSync(join(dir, 'clean.txt'), 'nothing\n');

  it('prints findings as JSON (rule, path, 1-based line and column, exclusive endColumn) and exits 1', async () => {
    const h = io({ cwd: dir, env: { S: SECRET } });
    expect(await runCli(['secrets', 'scan', '--secret-env', 'S', 'out'], h.io, commands)).toBe(EXIT.findings);
    expect(JSON.parse(h.out())).toEqual([
      { rule: 'github-token', path: 'out/app.zip!/cfg/.npmrc', line: 2, column: 4, endColumn: 4 + TOKEN.length },
      { rule: 'registered-secret', path: 'out/build.log', line: 2, column: 7, endColumn: 7 + SECRET.length },
    ]);
    expect(h.out()).not.toContain(SECRET);
  });

  it('prints SARIF with --format sarif', async () => {
    const h = io({ cwd: dir });
    expect(await runCli(['secrets', 'scan', '--format', 'sarif', 'out/app.zip'], h.io, commands)).toBe(EXIT.findings);
    const sarif = JSON.parse(h.out());
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results[0]).toMatchObject({ ruleId: 'github-token', level: 'error' });
  });

  it('exits 0 with [] when nothing is found, 2 for a path that matches nothing', async () => {
    const clean = io({ cwd: dir });
    expect(await runCli(['secrets', 'scan', 'clean.txt'], clean.io, commands)).toBe(EXIT.ok);
    expect(JSON.parse(clean.out())).toEqual([]);
    const missing = io({ cwd: dir });
    expect(await runCli(['secrets', 'scan', 'nope/*.log'], missing.io, commands)).toBe(EXIT.usage);
    expect(missing.err()).toMatch(/'nope\/\*\.log' match\(es\) no file/);
  });

  it('exits 1 when an archive cannot be scanned, naming it', async () => {
    writeFileSync(join(dir, 'broken.zip'), Buffer.from('PK\u0003\u0004 truncated'));
    const h = io({ cwd: dir });
    expect(await runCli(['secrets', 'scan', 'broken.zip'], h.io, commands)).toBe(EXIT.findings);
    expect(h.err()).toMatch(/airlock secrets scan: broken\.zip: no zip end-of-central-directory record/);
  });
});
