import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyChain, WITNESS_PATTERN } from '@airlock/core';
import { Job, runAction } from '@airlock/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { PROBE_ACTION } from '../../support/paths.ts';

/**
 * The harness proves itself on a small real action (test/fixtures/actions/probe), bundled by the same build as dist/
 * and driven through @airlock/core's runner glue.
 */
const jobs: Job[] = [];
afterEach(() => {
  for (const job of jobs.splice(0)) job.dispose();
});
const newJob = (options?: ConstructorParameters<typeof Job>[0]) => {
  const job = new Job(options);
  jobs.push(job);
  return job;
};

describe('harness on the probe action', () => {
  it('fills input defaults and mangles input names like the runner', async () => {
    const job = newJob();
    const run = await job.step(PROBE_ACTION, { inputs: { who: 'world' } });
    expect(run.outcome).toBe('success');
    expect(run.outputs.message).toBe('hello, world');
    // 'input with spaces' arrives as INPUT_INPUT_WITH_SPACES with its action.yml default
    expect(run.outputs.mangled).toBe('spaced default');
    const given = await job.step(PROBE_ACTION, { inputs: { who: 'you', greeting: 'hi', 'input with spaces': 'set' } });
    expect(given.outputs.message).toBe('hi, you');
    expect(given.outputs.mangled).toBe('set');
  });

  it('refuses inputs that action.yml does not declare, unless asked to warn like the runner', async () => {
    const job = newJob();
    await expect(job.step(PROBE_ACTION, { inputs: { who: 'x', whom: 'y' } })).rejects.toThrow(
      /Unexpected input\(s\) 'whom'/,
    );
    const run = await job.step(PROBE_ACTION, { inputs: { who: 'x', whom: 'y' }, allowUnexpectedInputs: true });
    expect(run.log).toContain("##[warning]Unexpected input(s) 'whom'");
  });

  it('reads heredoc-delimited multi-line outputs', async () => {
    const { main, job } = await runAction(PROBE_ACTION, { inputs: { who: 'world' } });
    jobs.push(job);
    expect(main.outputs.multi).toBe('line one\nline two\nline three');
  });

  it('hides a value masked mid-run in later output but not in earlier output', async () => {
    const value = ['late', 'mask', String(process.pid)].join('-');
    const { main, job } = await runAction(PROBE_ACTION, { inputs: { who: 'world', 'late-mask': value } });
    jobs.push(job);
    expect(main.log).toContain(`before mask: ${value}`);
    expect(main.log).toContain('after mask: ***');
    expect(main.log).not.toContain(`after mask: ${value}`);
    expect(main.masks).toContain(value);
    // the add-mask command itself never appears in the log
    expect(main.log).not.toContain('::add-mask::');
  });

  it('masks a secret input before anything prints it', async () => {
    const secret = ['s', 'e', 'c', 'r', 'e', 't'].join('') + Date.now();
    const { main, job } = await runAction(PROBE_ACTION, { inputs: { who: 'world', secret } });
    jobs.push(job);
    expect(main.log).toContain('the secret is ***');
    expect(main.log).not.toContain(secret);
    expect(main.rawLog).toContain(secret); // it was printed: the masking is what hid it
  });

  it('gives the post step the state the main step saved', async () => {
    const { main, post, job } = await runAction(PROBE_ACTION, { inputs: { who: 'state-check' } });
    jobs.push(job);
    expect(main.state.greeted).toBe('state-check');
    expect(post?.phase).toBe('post');
    expect(post?.log).toContain('post saw state greeted=state-check');
  });

  it('fails with exit code 1 and an error annotation for a user error, without a stack trace', async () => {
    const { main, job } = await runAction(PROBE_ACTION, { inputs: { who: 'world', outcome: 'fail' } });
    jobs.push(job);
    expect(main.exitCode).toBe(1);
    expect(main.outcome).toBe('failure');
    const errors = main.annotations.filter((a) => a.level === 'error');
    expect(errors).toEqual([{ level: 'error', message: "probe: input 'outcome' asked the probe to fail for world" }]);
    const warning = main.annotations.find((a) => a.level === 'warning');
    expect(warning).toMatchObject({ message: 'about to fail', file: 'probe.txt', line: 3, col: 7 });
    expect(main.log).not.toMatch(/\n\s+at /);
  });

  it('reports a bug as an internal error, with the stack only at debug level', async () => {
    const job = newJob();
    const run = await job.step(PROBE_ACTION, { inputs: { who: 'world', outcome: 'crash' } });
    expect(run.exitCode).toBe(1);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /^probe: internal error: .*This is a bug in Airlock/,
    );
    expect(run.log).not.toMatch(/\n\s+at /);
    const debugJob = newJob({ debug: true });
    const debugRun = await debugJob.step(PROBE_ACTION, { inputs: { who: 'world', outcome: 'crash' } });
    expect(debugRun.log).toMatch(/##\[debug\]TypeError: .*\n\s+at /);
  });

  it('makes exported env and PATH visible to the next step', async () => {
    const job = newJob();
    const first = await job.step(PROBE_ACTION, { inputs: { who: 'first' } });
    expect(first.exportedEnv).toEqual({ PROBE_GREETED: 'first' });
    expect(first.addedPath).toEqual(['/opt/probe/bin']);
    expect(job.env.PROBE_GREETED).toBe('first');
    const second = await job.step(PROBE_ACTION, { inputs: { who: 'second', 'show-env': 'PROBE_GREETED' } });
    expect(second.log).toContain('PROBE_GREETED=first');
    expect(second.log).toMatch(/PATH=\/opt\/probe\/bin:/);
    expect(job.env.PROBE_GREETED).toBe('second');
  });

  it('writes the job summary file', async () => {
    const { main, job } = await runAction(PROBE_ACTION, { inputs: { who: 'a|b' } });
    jobs.push(job);
    expect(main.summary).toContain('## Probe');
    expect(main.summary).toContain('| a\\|b | hello |');
  });

  it('appends one chained trail record per step and prints its witness line', async () => {
    const job = newJob();
    await job.step(PROBE_ACTION, { inputs: { who: 'one' }, id: 'first' });
    await job.step(PROBE_ACTION, { inputs: { who: 'two', outcome: 'fail' }, id: 'second' });
    await job.post();
    const trailFile = join(job.runnerTemp, 'airlock', 'trail.jsonl');
    const text = readFileSync(trailFile, 'utf8');
    expect(statSync(trailFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(job.runnerTemp, 'airlock')).mode & 0o777).toBe(0o700);
    const report = verifyChain(text);
    expect(report.ok).toBe(true);
    if (!report.ok) return;
    expect(report.records.map((r) => [r.seq, r.step, r.action.phase, r.outcome])).toEqual([
      [1, 'first', 'main', 'success'],
      [2, 'second', 'main', 'failure'],
      [3, 'second', 'post', 'success'],
      [4, 'first', 'post', 'success'],
    ]);
    expect(report.records[1]?.error).toEqual({
      code: 'probe-failed',
      message: "input 'outcome' asked the probe to fail for two",
    });
    expect(report.records[0]?.github).toMatchObject({
      repository: 'acme/app',
      run_id: '4242424242',
      event_name: 'push',
    });
    expect(report.records[0]?.subjects).toEqual([{ name: 'probe.txt', digest: { sha256: 'a'.repeat(64) } }]);
    const witnesses = [...job.log.matchAll(new RegExp(WITNESS_PATTERN, 'g'))].map((m) => [Number(m[1]), m[2]]);
    expect(witnesses).toEqual(report.hashes.map((hash, i) => [i + 1, hash]));
  });

  it('keeps secret inputs out of the trail', async () => {
    const secret = `tr41l-${Date.now()}-secret`;
    const job = newJob();
    await job.step(PROBE_ACTION, { inputs: { who: 'world', secret } });
    const text = readFileSync(join(job.runnerTemp, 'airlock', 'trail.jsonl'), 'utf8');
    expect(text).not.toContain(secret);
    expect(JSON.parse(text.split('\n')[0] as string).inputs.secret).toBe('***');
  });

  it('refuses to write the trail through a symlink', async () => {
    const job = newJob();
    const { mkdirSync, symlinkSync } = await import('node:fs');
    mkdirSync(join(job.runnerTemp, 'airlock'), { mode: 0o700 });
    const elsewhere = join(job.dir, 'elsewhere.jsonl');
    writeFileSync(elsewhere, '');
    symlinkSync(elsewhere, join(job.runnerTemp, 'airlock', 'trail.jsonl'));
    const run = await job.step(PROBE_ACTION, { inputs: { who: 'world' } });
    expect(run.outcome).toBe('failure');
    expect(run.annotations.some((a) => /refusing to write the trail through a symlink/.test(a.message))).toBe(true);
    expect(readFileSync(elsewhere, 'utf8')).toBe('');
  });

  it('rejects a required input left empty with a message naming it', async () => {
    const job = newJob();
    const run = await job.step(PROBE_ACTION, { inputs: {} });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]?.message).toBe("probe: input 'who' is required but was not given");
  });
});

describe('harness job context', () => {
  it('gives each job a fresh workspace and RUNNER_TEMP, and an event payload', async () => {
    const job = newJob({ event: { pull_request: { number: 7 } }, eventName: 'pull_request' });
    writeFileSync(join(job.workspace, 'present.txt'), 'x');
    const run = await job.step(PROBE_ACTION, {
      inputs: { who: 'w', 'workspace-file': 'present.txt', 'show-env': 'GITHUB_EVENT_NAME' },
    });
    expect(run.log).toContain('workspace file exists: true');
    expect(run.log).toContain('GITHUB_EVENT_NAME=pull_request');
    expect(JSON.parse(readFileSync(job.env.GITHUB_EVENT_PATH as string, 'utf8'))).toEqual({
      pull_request: { number: 7 },
    });
    const other = newJob();
    expect(other.workspace).not.toBe(job.workspace);
    expect(other.runnerTemp).not.toBe(job.runnerTemp);
  });
});
