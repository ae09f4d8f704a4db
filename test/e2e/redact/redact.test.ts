import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { secretVariants, writeZip } from '@airlock/redact';
import { Job, type JobOptions, type StepRun } from '@airlock/testkit';
import { RUNNER_ENCODERS } from '@airlock/testkit/runner-encoders';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterEach, describe, expect, it } from 'vitest';
import { actionDir, FIXTURES } from '../../support/paths.ts';

/**
 * actions/redact end to end: the built dist/redact through the runner-faithful harness, masking like the real runner
 * (its 11 encoders). What the runner masks hides leaks, so every check that Airlock redacted something looks at the
 * raw output of the step (what the process wrote), minus the add-mask commands that register the secrets.
 */
const REDACT = actionDir('redact');
const PRINTER = join(FIXTURES, 'actions/printer');
const jobs: Job[] = [];
afterEach(() => {
  for (const job of jobs.splice(0)) job.dispose();
});
const newJob = (options: JobOptions = {}) => {
  const job = new Job({ maskEncoders: RUNNER_ENCODERS, ...options });
  jobs.push(job);
  return job;
};
const write = (job: Job, rel: string, data: string | Buffer) => {
  const path = join(job.workspace, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
  return path;
};
/** What the step printed, without the add-mask commands (which carry the values by design). */
const printed = (run: StepRun) =>
  run.rawLog
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('::add-mask::'))
    .join('\n');

// Generated per run; none of these is a real credential.
const DEPLOY_KEY = ['dk', randomBytes(9).toString('base64url'), '%0A&+"q'].join('-');
const API_PASSWORD = `pw-${randomBytes(8).toString('hex')}-Z`;
const GH_TOKEN = ['gh', 'p_'].join('') + randomBytes(18).toString('hex');

const PRINT = `
const key = process.env.DEPLOY_KEY;
const pw = process.env.API_PASSWORD;
const out = process.stdout, err = process.stderr;
out.write('1 start\\n');
out.write('2 exact ' + key + '\\n');
err.write('3 stderr ' + pw + '\\n');
out.write('4 base64 ' + Buffer.from('deploy:' + key + '\\n').toString('base64') + '\\n');
out.write('5 split ' + key.slice(0, 7));
setTimeout(() => {
  out.write(key.slice(7) + ' done\\n');
  out.write('6 url ' + encodeURIComponent(key) + ' hex ' + Buffer.from(pw).toString('hex') + '\\n');
  out.write('7 json ' + JSON.stringify(JSON.stringify({ key })) + '\\n');
  err.write('8 unknown ' + ${JSON.stringify(GH_TOKEN)} + '\\n');
  out.write('9 end\\n');
  process.exit(Number(process.env.EXIT_WITH ?? 0));
}, 30);
`;

describe('run mode', () => {
  it('runs the command with every secret and variant redacted from stdout and stderr, in order', async () => {
    const job = newJob();
    write(job, 'print.cjs', PRINT);
    const run = await job.step(REDACT, {
      inputs: { run: 'node print.cjs', 'secret-env': 'DEPLOY_KEY', secrets: API_PASSWORD },
      env: { DEPLOY_KEY, API_PASSWORD },
    });
    expect(run.outcome).toBe('success');
    const raw = printed(run);
    for (const secret of [DEPLOY_KEY, API_PASSWORD]) {
      for (const v of secretVariants(secret)) expect(raw.includes(v.text), `${v.encoding} leaked`).toBe(false);
    }
    expect(raw).not.toContain(GH_TOKEN);
    expect(raw).toContain('2 exact ***');
    expect(raw).toContain('5 split *** done');
    expect(raw).toContain('8 unknown ***');
    // Each stream keeps its order.
    const numbers = (stream: 'stdout' | 'stderr') =>
      run.lines.filter((l) => l.stream === stream && /^\d /.test(l.text)).map((l) => Number(l.text.split(' ')[0]));
    expect(numbers('stdout')).toEqual([1, 2, 4, 5, 6, 7, 9]);
    expect(numbers('stderr')).toEqual([3, 8]);
    // Registered with the runner: the add-mask escaping of %, CR and LF round-trips exactly.
    expect(run.masks).toContain(DEPLOY_KEY);
    expect(run.masks).toContain(API_PASSWORD);
    expect(run.masks).toContain(Buffer.from(API_PASSWORD).toString('hex'));
    expect(run.outputs).toMatchObject({ 'exit-code': '0', signal: '', secrets: '2' });
    expect(JSON.parse(run.outputs['findings-by-rule'] as string)).toEqual({
      'github-token': 1,
      'registered-secret': 7,
    });
    expect(run.summary).toContain('| registered-secret | stdout | 6 |');
    expect(run.summary).toContain('| github-token | stderr | 1 |');
    for (const text of [run.summary, run.log, readFileSync(join(job.runnerTemp, 'airlock/trail.jsonl'), 'utf8')]) {
      expect(text).not.toContain(DEPLOY_KEY);
      expect(text).not.toContain(API_PASSWORD);
    }
    const trail = JSON.parse(
      readFileSync(join(job.runnerTemp, 'airlock/trail.jsonl'), 'utf8').trim().split('\n').at(-1) as string,
    );
    expect(trail.result).toMatchObject({
      mode: 'run',
      exitCode: 0,
      findings: { 'github-token': 1, 'registered-secret': 7 },
    });
    expect(trail.inputs.secrets).toBe('***');
  });

  it('masks the variants in later steps of the job too; CR, LF and % survive add-mask exactly', async () => {
    const job = newJob();
    const multi = `first-line-${randomBytes(4).toString('hex')}\r\nsecond %25 line\n`;
    const step = await job.step(REDACT, {
      inputs: { run: 'true', 'secret-env': 'DEPLOY_KEY, MULTI' },
      env: { DEPLOY_KEY, MULTI: multi },
    });
    expect(step.masks).toContain(multi);
    expect(step.masks).toContain(multi.replace(/\r\n/g, '\n'));
    expect(printed(step)).not.toContain('first-line-');
    const hex = Buffer.from(DEPLOY_KEY).toString('hex');
    const later = await job.step(PRINTER, { inputs: { stdout: `later: ${hex} and ${DEPLOY_KEY}\n` } });
    expect(later.log).toBe('later: *** and ***');
  });

  it('passes the exit code through and fails the step', async () => {
    const job = newJob();
    write(job, 'print.cjs', PRINT);
    const run = await job.step(REDACT, {
      inputs: { run: 'node print.cjs', 'secret-env': 'DEPLOY_KEY' },
      env: { DEPLOY_KEY, API_PASSWORD, EXIT_WITH: '7' },
    });
    expect(run.outcome).toBe('failure');
    expect(run.outputs['exit-code']).toBe('7');
    expect(run.annotations.filter((a) => a.level === 'error').map((a) => a.message)).toEqual([
      'redact: the command exited with code 7',
    ]);
    expect(printed(run)).not.toContain(DEPLOY_KEY);
  });

  it('a command killed by a signal fails the step and leaks nothing it printed', async () => {
    const job = newJob();
    write(
      job,
      'die.cjs',
      `process.stdout.write('dying with ' + process.env.DEPLOY_KEY.slice(0, 9));
       setTimeout(() => { process.stdout.write(process.env.DEPLOY_KEY.slice(9)); process.kill(process.pid, 'SIGKILL'); }, 30);`,
    );
    const run = await job.step(REDACT, {
      inputs: { run: 'exec node die.cjs', 'secret-env': 'DEPLOY_KEY' },
      env: { DEPLOY_KEY },
    });
    expect(run.outcome).toBe('failure');
    expect(run.outputs).toMatchObject({ 'exit-code': '', signal: 'SIGKILL' });
    expect(printed(run)).toContain('dying with ***');
    expect(printed(run)).not.toContain(DEPLOY_KEY);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toBe('redact: the command was killed by SIGKILL');
  });

  it('reports secrets too short to mask by name, never by value', async () => {
    const job = newJob();
    const run = await job.step(REDACT, { inputs: { run: 'echo ok', 'secret-env': 'TINY' }, env: { TINY: 'ab1' } });
    expect(run.outcome).toBe('success');
    expect(run.annotations.find((a) => a.level === 'warning')?.message).toBe(
      'redact: 1 secret(s) shorter than 4 characters are not redacted (masking them would wreck the log): env TINY',
    );
    expect(run.log).toContain('ok');
  });

  it('runs other shells and working directories', async () => {
    const job = newJob();
    write(job, 'sub/hello.txt', 'hi from sub\n');
    const sh = await job.step(REDACT, {
      inputs: { run: 'cat hello.txt; pwd', shell: 'sh', 'working-directory': 'sub' },
    });
    expect(sh.outcome).toBe('success');
    expect(sh.log).toContain('hi from sub');
    const nodeShell = await job.step(REDACT, { inputs: { run: 'console.log(1 + 1)', shell: 'node {0}' } });
    expect(nodeShell.log).toContain('2');
  });
});

describe('scan mode', () => {
  function workspace(job: Job) {
    write(job, 'logs/build.log', `ok\nusing ${DEPLOY_KEY} now\n`);
    write(job, 'dist/.env', `TOKEN=${GH_TOKEN}\n`);
    write(job, 'dist/notes.txt', 'nothing here\n');
    write(
      job,
      'dist/app.zip',
      writeZip([{ name: 'conf/app.properties', data: Buffer.from(`db.password=${API_PASSWORD}\n`) }]),
    );
    mkdirSync(join(job.dir, 'stage'), { recursive: true });
    writeFileSync(join(job.dir, 'stage/report.txt'), `deploy key ${Buffer.from(DEPLOY_KEY).toString('base64')}\n`);
    execFileSync('tar', ['-czf', join(job.workspace, 'dist/reports.tgz'), '-C', join(job.dir, 'stage'), 'report.txt']);
  }

  it('finds secrets in files and archive members, annotates them and writes SARIF, and fails', async () => {
    const job = newJob();
    workspace(job);
    const run = await job.step(REDACT, {
      inputs: { paths: 'logs\ndist', 'secret-env': 'DEPLOY_KEY', secrets: API_PASSWORD },
      env: { DEPLOY_KEY },
    });
    expect(run.outcome).toBe('failure');
    const errors = run.annotations.filter((a) => a.level === 'error');
    expect(errors).toContainEqual({
      level: 'error',
      message: `registered-secret: a secret at logs/build.log:2:7 (value not shown)`,
      title: 'secret: registered-secret',
      file: 'logs/build.log',
      line: 2,
      col: 7,
      endColumn: 7 + DEPLOY_KEY.length,
    });
    expect(errors.map((a) => a.message)).toContain(
      'registered-secret: a secret at dist/app.zip!/conf/app.properties:1:13 (value not shown)',
    );
    expect(errors.map((a) => a.message)).toContain('github-token: a secret at dist/.env:1:7 (value not shown)');
    expect(
      errors.some((a) => a.message.startsWith('registered-secret: a secret at dist/reports.tgz!/report.txt:1:')),
    ).toBe(true);
    expect(errors.at(-1)?.message).toMatch(
      /^redact: \d+ secret\(s\) found in 4 file\(s\) \(.*github-token.*registered-secret.*\)\. See the annotations and .*results\.sarif; values are never shown/,
    );
    const sarif = JSON.parse(readFileSync(run.outputs['sarif-file'] as string, 'utf8'));
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    expect(ajv.validate(JSON.parse(readFileSync(join(FIXTURES, 'scan/sarif-schema-2.1.0.json'), 'utf8')), sarif)).toBe(
      true,
    );
    expect(run.outputs.files).toBe('5');
    expect(run.summary).toContain('| github-token | dist/.env | 1 |');
    for (const text of [run.log, run.summary, JSON.stringify(sarif), printed(run)]) {
      expect(text).not.toContain(DEPLOY_KEY);
      expect(text).not.toContain(GH_TOKEN);
    }
  });

  it('writes redacted copies for upload and reports without failing when asked', async () => {
    const job = newJob();
    workspace(job);
    const run = await job.step(REDACT, {
      inputs: {
        paths: 'dist, logs/*.log',
        'secret-env': 'DEPLOY_KEY',
        secrets: API_PASSWORD,
        'fail-on-findings': false,
        'redact-to': 'redacted',
      },
      env: { DEPLOY_KEY },
    });
    expect(run.outcome).toBe('success');
    expect(run.outputs['redacted-dir']).toBe(join(job.workspace, 'redacted'));
    expect(readFileSync(join(job.workspace, 'redacted/logs/build.log'), 'utf8')).toBe('ok\nusing *** now\n');
    expect(readFileSync(join(job.workspace, 'redacted/dist/.env'), 'utf8')).toBe('TOKEN=***\n');
    expect(
      execFileSync('tar', ['-xzOf', join(job.workspace, 'redacted/dist/reports.tgz'), 'report.txt']).toString(),
    ).toBe('deploy key ***\n');
    expect(existsSync(join(job.workspace, 'redacted/dist/app.zip'))).toBe(true);
  });

  it('passes a clean tree', async () => {
    const job = newJob();
    write(job, 'out/clean.txt', 'all good\n');
    const run = await job.step(REDACT, { inputs: { paths: 'out/**' } });
    expect(run.outcome).toBe('success');
    expect(run.outputs).toMatchObject({ findings: '0', files: '1' });
    expect(run.summary).toContain('No secrets found.');
  });
});

describe('bad inputs', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    [
      'both modes',
      { run: 'true', paths: 'x' },
      "redact: inputs 'run' and 'paths' are both given; use one step for each",
    ],
    ['no mode', {}, "redact: give 'run' (a command to run with its output redacted) or 'paths' (files to scan)"],
    [
      'a bad shell',
      { run: 'true', shell: 'zsh-ish' },
      "redact: input 'shell' must be bash, sh, pwsh, powershell, python, node, cmd or a command with {0} for the script file; got 'zsh-ish'",
    ],
    [
      'a missing working directory',
      { run: 'true', 'working-directory': 'nope' },
      "redact: input 'working-directory' is nope, which is not a directory",
    ],
    [
      'paths matching nothing',
      { paths: 'nothing/**' },
      "redact: input 'paths' matches no file in the workspace (nothing/**)",
    ],
    [
      'a bad min-length',
      { run: 'true', 'min-length': 'four' },
      "redact: input 'min-length' must be a whole number; got 'four'",
    ],
    [
      'a bad replacement',
      { run: 'true', replacement: 'stars' },
      "redact: input 'replacement' must be one of mask, rule; got 'stars'",
    ],
    [
      'scan inputs in run mode',
      { run: 'true', 'redact-to': 'x' },
      "redact: inputs 'redact-to' and 'sarif-file' only apply with 'paths'",
    ],
    [
      'a command that does not exist',
      { run: 'true', shell: 'no-such-shell-xyz {0}' },
      "redact: cannot start 'no-such-shell-xyz': not found (is it installed and on PATH?)",
    ],
  ];
  for (const [what, inputs, message] of cases) {
    it(`fails clearly on ${what}`, async () => {
      const run = await newJob().step(REDACT, { inputs });
      expect(run.outcome).toBe('failure');
      expect(run.annotations.filter((a) => a.level === 'error').map((a) => a.message)).toEqual([message]);
      expect(run.log).not.toMatch(/\n\s+at /);
    });
  }
});
