import { join } from 'node:path';
import { Job, parseCommand, parseKeyValueFile, RUNNER_COMMANDS } from '@airlock/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCommand, formatKeyValue, inputVariable, randomUuid } from '../../../packages/core/src/runner.ts';
import { FIXTURES } from '../../support/paths.ts';

/**
 * Airlock speaks the runner protocol itself instead of bundling @actions/core (see packages/core/src/runner.ts).
 * These tests hold it to the toolkit: the same operations, performed by each, must look identical to the runner.
 */
describe('runner protocol conformance with @actions/core', () => {
  it('produces the same outputs, env, path, state, annotations, masks and log', async () => {
    const run = async (impl: string) => {
      const job = new Job({ debug: true });
      try {
        const step = await job.step(join(FIXTURES, 'actions/conformance'), { inputs: { impl } });
        return { ...step, job: undefined };
      } finally {
        job.dispose();
      }
    };
    const toolkit = await run('toolkit');
    const airlock = await run('airlock');
    expect(toolkit.outcome).toBe('success');
    expect(toolkit.runnerErrors).toEqual([]);
    const comparable = (s: typeof toolkit) => ({
      outputs: s.outputs,
      exportedEnv: s.exportedEnv,
      addedPath: s.addedPath,
      state: s.state,
      annotations: s.annotations,
      masks: s.masks,
      log: s.log.replace(/printing .* and (\d+)/, 'printing <masked> and $1'),
    });
    expect(comparable(airlock)).toEqual(comparable(toolkit));
    // and the values survived the round trip
    expect(airlock.outputs.awkward).toBe('100% sure: a,b\r\nline two\n::not-a-command::\n%0A literal');
    expect(airlock.outputs.json).toBe('{"a":[1,"two"],"b":null}');
    expect(airlock.log).toContain('printing *** and');
    expect(airlock.annotations[0]).toEqual({
      level: 'warning',
      message: 'warn 100%\nnext',
      title: 'T: 1, 2 %',
      file: 'dir,with:odd/file.ts',
      line: 3,
      endLine: 4,
      col: 5,
      endColumn: 9,
    });
  });

  it('round-trips any command data and properties through the runner parser (property)', () => {
    // The runner trims the property list, so edge whitespace of a property is lost (with @actions/core too).
    const title = fc.string({ minLength: 1 }).filter((t) => t.trim() === t && t !== '');
    fc.assert(
      fc.property(fc.string(), title, (message, title) => {
        const parsed = parseCommand(formatCommand('warning', { title }, message), RUNNER_COMMANDS);
        expect(parsed).toEqual({ command: 'warning', properties: { title }, data: message });
      }),
    );
  });

  it('round-trips any output value through the file-command parser (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((n) => !/[=<\r\n]/.test(n)),
        fc.string(),
        (name, value) => {
          expect(parseKeyValueFile(formatKeyValue(name, value))).toEqual([[name, value]]);
        },
      ),
    );
  });

  it('mangles input names like the runner', () => {
    expect(inputVariable('role-to-assume')).toBe('INPUT_ROLE-TO-ASSUME');
    expect(inputVariable('input with spaces')).toBe('INPUT_INPUT_WITH_SPACES');
  });

  it('refuses to write a value containing its own delimiter', () => {
    expect(() => formatKeyValue('x', 'a\nDELIM\nb', 'DELIM')).toThrow(/contains the file-command delimiter/);
  });

  it('delimits values with a fresh random v4 UUID, from /dev/urandom or (elsewhere) node:crypto', () => {
    const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(randomUuid());
    expect(seen.size).toBe(200);
    for (const id of seen) expect(id).toMatch(V4);
    const delimiters = [0, 1].map(() => /^x<<(ghadelimiter_\S+)\n/.exec(formatKeyValue('x', 'v'))?.[1]);
    expect(delimiters[0]).toMatch(/^ghadelimiter_[0-9a-f-]{36}$/);
    expect(delimiters[0]).not.toBe(delimiters[1]);
    const platform = Object.getOwnPropertyDescriptor(process, 'platform') as PropertyDescriptor;
    Object.defineProperty(process, 'platform', { ...platform, value: 'win32' });
    try {
      expect(randomUuid()).toMatch(V4);
    } finally {
      Object.defineProperty(process, 'platform', platform);
    }
  });
});
