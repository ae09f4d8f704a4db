import { join } from 'node:path';
import {
  FileCommandError,
  inputEnvName,
  Job,
  parseCommand,
  parseKeyValueFile,
  parsePathFile,
  RUNNER_COMMANDS,
  SecretMasker,
} from '@airlock/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../support/paths.ts';

const PRINTER = join(FIXTURES, 'actions/printer');

describe('parseCommand (the runner rules)', () => {
  it('parses ::name props::data after leading whitespace, with the runner escapes', () => {
    expect(parseCommand('  ::warning file=a%2Cb.ts,line=3,col=7,title=x%3Ay::msg%0Anext %25', RUNNER_COMMANDS)).toEqual(
      {
        command: 'warning',
        properties: { file: 'a,b.ts', line: '3', col: '7', title: 'x:y' },
        data: 'msg\nnext %',
      },
    );
  });

  it('ignores unregistered names and malformed lines', () => {
    expect(parseCommand('::not-a-command::x', RUNNER_COMMANDS)).toBeUndefined();
    expect(parseCommand('::warning only one separator', RUNNER_COMMANDS)).toBeUndefined();
    expect(parseCommand('text ::warning::x', RUNNER_COMMANDS)).toBeUndefined();
  });

  it('accepts command names case-insensitively and skips empty property parts', () => {
    expect(parseCommand('::ERROR ,file=x,,=v,k=::boom', RUNNER_COMMANDS)).toEqual({
      command: 'error',
      properties: { file: 'x' },
      data: 'boom',
    });
  });

  it('parses the legacy ##[name k=v;k=v]data form anywhere in a line', () => {
    expect(parseCommand('prefix ##[add-mask]secret%3Bvalue', RUNNER_COMMANDS)).toEqual({
      command: 'add-mask',
      properties: {},
      data: 'secret;value',
    });
    expect(parseCommand('##[warning file=x;line=2]w', RUNNER_COMMANDS)).toMatchObject({
      properties: { file: 'x', line: '2' },
    });
  });
});

describe('SecretMasker', () => {
  it('replaces every occurrence, merging overlaps, like the runner', () => {
    const m = new SecretMasker();
    m.add('abcab');
    m.add('cabx');
    expect(m.mask('xxabcabcabxyy abcab')).toBe('xx***yy ***');
    expect(m.mask('nothing here')).toBe('nothing here');
  });

  it('applies encoders when configured', () => {
    const m = new SecretMasker([(v) => Buffer.from(v).toString('base64')]);
    m.add('hunter22');
    expect(m.mask(`b64 ${Buffer.from('hunter22').toString('base64')}`)).toBe('b64 ***');
  });
});

describe('file commands', () => {
  it('parses NAME=value and heredocs, keeping CRLF inside values', () => {
    expect(parseKeyValueFile('a=1\n\nb<<EOF\nx\r\ny\nEOF\nc=\n')).toEqual([
      ['a', '1'],
      ['b', 'x\r\ny'],
      ['c', ''],
    ]);
    expect(parseKeyValueFile('e<<EOF\nEOF\n')).toEqual([['e', '']]);
  });

  it('fails like the runner on bad formats', () => {
    expect(() => parseKeyValueFile('justtext\n')).toThrow(new FileCommandError("Invalid format 'justtext'"));
    expect(() => parseKeyValueFile('=v\n')).toThrow(/Name must not be empty/);
    expect(() => parseKeyValueFile('a<<\n')).toThrow(/delimiter must not be empty/);
    expect(() => parseKeyValueFile('a<<EOF\nno end\n')).toThrow("Invalid value. Matching delimiter not found 'EOF'");
    expect(() => parseKeyValueFile('a<<EOF\nno newline')).toThrow('Invalid value. EOF marker missing new line.');
  });

  it('reads GITHUB_PATH lines and mangles input names', () => {
    expect(parsePathFile(' /a \n\n/b\r\n')).toEqual(['/a', '/b']);
    expect(inputEnvName('a b-c')).toBe('INPUT_A_B-C');
  });
});

describe('harness runner emulation', () => {
  const jobs: Job[] = [];
  afterEach(() => {
    for (const job of jobs.splice(0)) job.dispose();
  });
  const step = async (inputs: Record<string, string>, options: ConstructorParameters<typeof Job>[0] = {}) => {
    const job = new Job(options);
    jobs.push(job);
    return job.step(PRINTER, { inputs });
  };

  it('stops processing commands between stop-commands and its token', async () => {
    const run = await step({
      stdout:
        '::stop-commands::pause-token\n::add-mask::notmasked\n::error::not an error\n::pause-token::\n::warning::real\n',
    });
    expect(run.masks).toEqual([]);
    expect(run.annotations).toEqual([{ level: 'warning', message: 'real' }]);
    expect(run.log).toBe(
      '::stop-commands::pause-token\n::add-mask::notmasked\n::error::not an error\n::pause-token::\n##[warning]real',
    );
  });

  it('processes commands on stderr too, and legacy ##[add-mask]', async () => {
    const run = await step({ stderr: '##[add-mask]legacy-secret\nleaked legacy-secret\n' });
    expect(run.masks).toEqual(['legacy-secret']);
    expect(run.log).toBe('leaked ***');
  });

  it('masks job secrets from the first line and warns on an empty add-mask', async () => {
    const run = await step({ stdout: 'token=shh-job-secret\n::add-mask:: \n' }, { secrets: ['shh-job-secret'] });
    expect(run.log).toContain('token=***');
    expect(run.annotations).toEqual([
      { level: 'warning', message: "Can't add secret mask for empty string in ##[add-mask] command." },
    ]);
  });

  it('refuses the disabled set-env and add-path commands', async () => {
    const run = await step({ stdout: '::set-env name=X::y\n' });
    expect(run.annotations[0]?.message).toMatch(/The `set-env` command is disabled/);
  });

  it('fails the step on a malformed file command, and blocks NODE_OPTIONS', async () => {
    const bad = await step({ 'output-file': 'oops\n' });
    expect(bad.outcome).toBe('failure');
    expect(bad.runnerErrors).toEqual(["Invalid format 'oops'"]);
    const node = await step({ 'env-file': 'NODE_OPTIONS=--require=/tmp/x.js\nOK=1\n' });
    expect(node.exportedEnv).toEqual({ OK: '1' });
    expect(node.runnerErrors[0]).toMatch(/Can't store NODE_OPTIONS/);
  });

  it('drops a step summary over 1 MiB with the runner message', async () => {
    const run = await step({ 'summary-bytes': String(1024 * 1024 + 1) });
    expect(run.summary).toBe('');
    expect(run.runnerErrors[0]).toMatch(
      /^\$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of 1024k, got 1025k/,
    );
  });

  it('reports exit codes and timeouts', async () => {
    const failed = await step({ 'exit-code': '3' });
    expect(failed).toMatchObject({ exitCode: 3, outcome: 'failure' });
    const job = new Job({ timeoutMs: 300 });
    jobs.push(job);
    const slow = await job.step(PRINTER, { inputs: { 'sleep-ms': '5000' } });
    expect(slow).toMatchObject({ signal: 'SIGKILL', outcome: 'failure' });
    expect(slow.runnerErrors[0]).toMatch(/timed out/);
  });

  it('keeps a last line without newline and splits CRLF', async () => {
    const run = await step({ stdout: 'a\r\nb\rc\nlast' });
    expect(run.lines.map((l) => l.text)).toEqual(['a', 'b', 'c', 'last']);
  });
});
