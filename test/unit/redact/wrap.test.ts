import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { credentialNamed, credentialsInEnv, Redactor, runRedacted } from '@airlock/redact';
import { describe, expect, it } from 'vitest';

const SECRET = ['wrapped', randomBytes(8).toString('hex'), 'Secret'].join('-');

function sinks() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  return { stdout, stderr, out: () => Buffer.concat(out).toString(), err: () => Buffer.concat(err).toString() };
}

const node = (script: string) => ({ command: process.execPath, args: ['-e', script] });

describe('runRedacted', () => {
  it('redacts stdout and stderr separately, each in its own order', async () => {
    const s = sinks();
    const script = `
      const secret = ${JSON.stringify(SECRET)};
      const half = secret.length >> 1;
      for (let i = 0; i < 300; i++) {
        const stream = i % 3 === 0 ? process.stderr : process.stdout;
        if (i % 7 === 0) { stream.write('line ' + i + ' ' + secret.slice(0, half)); stream.write(secret.slice(half) + ' end\\n'); }
        else stream.write('line ' + i + '\\n');
      }`;
    const findings: string[] = [];
    const result = await runRedacted({
      ...node(script),
      redactor: new Redactor({ secrets: [SECRET] }),
      stdout: s.stdout,
      stderr: s.stderr,
      onFinding: (stream, f) => findings.push(`${stream}:${f.rule}`),
    });
    expect(result).toMatchObject({ exitCode: 0, signal: null });
    const numbers = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((l) => Number(l.split(' ')[1]));
    const outLines = numbers(s.out());
    const errLines = numbers(s.err());
    expect(outLines).toEqual([...Array(300).keys()].filter((i) => i % 3 !== 0));
    expect(errLines).toEqual([...Array(300).keys()].filter((i) => i % 3 === 0));
    expect(s.out() + s.err()).not.toContain(SECRET);
    expect(s.out()).toContain('line 7 *** end\n');
    expect(s.err()).toContain('line 21 *** end\n');
    expect(findings.filter((f) => f === 'stdout:registered-secret').length).toBe(
      [...Array(300).keys()].filter((i) => i % 7 === 0 && i % 3 !== 0).length,
    );
  });

  it('passes the exit code through and ends output on a new line', async () => {
    const s = sinks();
    const result = await runRedacted({
      ...node("process.stdout.write('no newline'); process.exit(3)"),
      redactor: new Redactor(),
      stdout: s.stdout,
      stderr: s.stderr,
    });
    expect(result).toMatchObject({ exitCode: 3, signal: null });
    expect(s.out()).toBe('no newline\n');
  });

  it('leaks nothing of what a child killed by a signal printed', async () => {
    const s = sinks();
    const token = ['gh', 'u_'].join('') + randomBytes(18).toString('hex');
    const script = `
      process.stdout.write('about to die with ' + ${JSON.stringify(SECRET)}.slice(0, 12));
      setTimeout(() => {
        process.stdout.write(${JSON.stringify(SECRET)}.slice(12) + ' and ' + ${JSON.stringify(token)});
        process.stderr.write('err ' + ${JSON.stringify(SECRET)});
        process.kill(process.pid, 'SIGKILL');
      }, 50);`;
    const result = await runRedacted({
      ...node(script),
      redactor: new Redactor({ secrets: [SECRET] }),
      stdout: s.stdout,
      stderr: s.stderr,
    });
    expect(result).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
    expect(s.out()).toBe('about to die with *** and ***\n');
    expect(s.err()).toBe('err ***\n');
  });

  it('fails clearly when the command cannot be started', async () => {
    const s = sinks();
    await expect(
      runRedacted({
        command: 'no-such-command-airlock',
        args: [],
        redactor: new Redactor(),
        stdout: s.stdout,
        stderr: s.stderr,
      }),
    ).rejects.toThrow("cannot start 'no-such-command-airlock': not found (is it installed and on PATH?)");
  });
});

describe('credentials in the environment', () => {
  it('recognises them by name or by value, never by an innocent name and value', () => {
    expect(credentialNamed('NPM_TOKEN')).toBe(true);
    expect(credentialNamed('DB_PASSWORD')).toBe(true);
    expect(credentialNamed('AWS_SECRET_ACCESS_KEY')).toBe(true);
    expect(credentialNamed('ACTIONS_ID_TOKEN_REQUEST_URL')).toBe(false);
    expect(credentialNamed('TOKEN_PATH')).toBe(false);
    expect(credentialNamed('TOKENIZER')).toBe(false);
    expect(credentialNamed('PWD')).toBe(false);
    expect(credentialNamed('SSH_AUTH_SOCK')).toBe(false);
    const ghs = ['gh', 's_'].join('') + randomBytes(18).toString('hex');
    const found = credentialsInEnv(
      {
        NPM_TOKEN: 'npm-value-1234',
        INNOCENT: ghs,
        HOME: '/home/runner',
        FEATURE_TOKEN: 'true',
        SHORT_SECRET: 'ab',
        INPUT_SECRETS: 'not from here',
      },
      new Redactor(),
      4,
    );
    expect(found).toEqual([
      { value: ghs, source: 'env INNOCENT' },
      { value: 'npm-value-1234', source: 'env NPM_TOKEN' },
    ]);
  });
});
