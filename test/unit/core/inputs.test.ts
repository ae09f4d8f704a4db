import { InputError, InputReader, parseDuration } from '@airlock/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const reader = (values: Record<string, string>) => new InputReader((name) => values[name]);

describe('InputReader', () => {
  it('trims values and treats empty as not given', () => {
    const r = reader({ a: '  x  ', b: '   ' });
    expect(r.string('a')).toBe('x');
    expect(r.string('b')).toBeUndefined();
    expect(r.string('b', { default: 'd' })).toBe('d');
  });

  it('names the input in a missing-required error', () => {
    expect(() => reader({}).string('role-to-assume', { required: true })).toThrow(
      new InputError('input-missing', "input 'role-to-assume' is required but was not given"),
    );
  });

  it('accepts exactly the YAML 1.2 core booleans', () => {
    for (const t of ['true', 'True', 'TRUE']) expect(reader({ b: t }).boolean('b', { default: false })).toBe(true);
    for (const f of ['false', 'False', 'FALSE']) expect(reader({ b: f }).boolean('b', { default: true })).toBe(false);
    expect(reader({}).boolean('b', { default: true })).toBe(true);
    expect(() => reader({ b: 'yes' }).boolean('b', { default: false })).toThrow(
      "input 'b' must be true or false; got 'yes'",
    );
  });

  it('splits lists on commas and newlines, or newlines only', () => {
    expect(reader({ l: 'a, b\nc,,\n\n d ' }).list('l')).toEqual(['a', 'b', 'c', 'd']);
    expect(reader({ l: 'x{a,b}\ny' }).list('l', { separator: 'newline' })).toEqual(['x{a,b}', 'y']);
    expect(reader({}).list('l')).toEqual([]);
  });

  it('parses key=value lines and names the bad line', () => {
    const r = reader({ kv: 'repository=acme/app\n# comment\n\nref = refs/heads/main' });
    expect(r.keyValues('kv')).toEqual([
      { key: 'repository', value: 'acme/app', line: 1 },
      { key: 'ref', value: 'refs/heads/main', line: 4 },
    ]);
    expect(() => reader({ kv: 'a=1\nnot a pair' }).keyValues('kv')).toThrow(
      "input 'kv' line 2: expected NAME=value; got 'not a pair'",
    );
  });

  it('bounds integers and durations and says the unit', () => {
    expect(reader({ n: '42' }).integer('n', { min: 1, max: 100 })).toBe(42);
    expect(() => reader({ n: '4.2' }).integer('n')).toThrow("input 'n' must be a whole number; got '4.2'");
    expect(() => reader({ n: '0' }).integer('n', { min: 1 })).toThrow("input 'n' must be at least 1; got '0'");
    expect(reader({ d: '1h30m' }).duration('d')).toBe(5400);
    expect(() => reader({ d: '10s' }).duration('d', { min: 900 })).toThrow(
      "input 'd' must be at least 900 seconds; got '10s'",
    );
    expect(() => reader({ d: 'soon' }).duration('d')).toThrow(
      /must be a duration like 900, 15m, 1h30m or PT1H; got 'soon'/,
    );
  });

  it('checks choices and URLs', () => {
    expect(reader({ p: 'aws' }).choice('p', ['aws', 'gcp'], { required: true })).toBe('aws');
    expect(() => reader({ p: 'azure' }).choice('p', ['aws', 'gcp'])).toThrow(
      "input 'p' must be one of aws, gcp; got 'azure'",
    );
    expect(reader({ u: 'https://vault.example.com:8200' }).url('u')?.host).toBe('vault.example.com:8200');
    expect(() => reader({ u: 'http://vault.example.com' }).url('u')).toThrow("input 'u' must be an https URL");
    expect(reader({ u: 'http://127.0.0.1:8200' }).url('u', { allowHttp: true })?.port).toBe('8200');
    expect(() => reader({ u: 'not a url' }).url('u')).toThrow(/must be an absolute URL/);
  });

  it('never echoes a secret input in an error, and hides it in the record', () => {
    const secret = ['hunter', '2', '-value'].join('');
    const r = reader({ token: secret, other: 'plain' });
    expect(() => r.integer('token', { secret: true })).toThrow("input 'token' must be a whole number");
    try {
      r.integer('token', { secret: true });
    } catch (error) {
      expect((error as Error).message).not.toContain(secret);
    }
    r.string('other');
    expect(r.recorded()).toEqual({ other: 'plain', token: '***' });
    expect(r.secretValues()).toEqual([secret]);
  });

  it('shortens a huge value in an error message', () => {
    const huge = 'x'.repeat(10_000);
    const message = (() => {
      try {
        reader({ n: huge }).integer('n');
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message.length).toBeLessThan(200);
  });

  it('uses the CLI label for options', () => {
    const r = new InputReader(() => undefined, { label: 'option' });
    expect(() => r.string('--issuer', { required: true })).toThrow("option '--issuer' is required but was not given");
  });
});

describe('parseDuration', () => {
  it('reads seconds, unit forms and ISO 8601', () => {
    expect(parseDuration('900')).toBe(900);
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('15m')).toBe(900);
    expect(parseDuration('2d')).toBe(172_800);
    expect(parseDuration('1H30M')).toBe(5400);
    expect(parseDuration('PT1H30M')).toBe(5400);
    expect(parseDuration('P1D')).toBe(86_400);
  });

  it('rejects malformed durations', () => {
    for (const bad of ['', 'm', '1x', '30m1h', '1h1h', 'PT', 'P', '-5', '1.5h', 'h1', '1 h']) {
      expect(parseDuration(bad), bad).toBeUndefined();
    }
  });

  it('round-trips any combination of units (property)', () => {
    fc.assert(
      fc.property(fc.nat(30), fc.nat(23), fc.nat(59), fc.nat(59), (d, h, m, s) => {
        const text = `${d ? `${d}d` : ''}${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}` || '0';
        expect(parseDuration(text)).toBe(d * 86_400 + h * 3600 + m * 60 + s);
      }),
    );
  });

  it('never throws on arbitrary text (property)', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const result = parseDuration(text);
        expect(result === undefined || (Number.isInteger(result) && result >= 0)).toBe(true);
      }),
    );
  });
});
