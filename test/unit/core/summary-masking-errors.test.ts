import {
  AirlockError,
  errorKind,
  errorMessage,
  errorStack,
  escapeMarkdown,
  InputError,
  quote,
  Summary,
  secretForms,
} from '@airlock/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('Summary', () => {
  it('escapes every cell and text', () => {
    const s = new Summary().heading('Scan <results>').table(['pkg', 'note'], [['a|b', '<script>x</script>\nnext']]);
    expect(s.toString()).toBe(
      '## Scan &lt;results&gt;\n\n| pkg | note |\n| --- | --- |\n| a\\|b | &lt;script&gt;x&lt;/script&gt;<br>next |\n\n',
    );
  });

  it('never exceeds its budget and says what was left out', () => {
    const rows = Array.from({ length: 50_000 }, (_, i) => [`package-${i}`, 'GHSA-xxxx-yyyy-zzzz', 'critical']);
    const s = new Summary({ budgetBytes: 64 * 1024 })
      .heading('Findings')
      .table(['package', 'advisory', 'severity'], rows, 'findings');
    const text = s.toString();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(64 * 1024);
    expect(s.overflow[0]).toMatch(/^\d+ of 50000 findings are not shown\.$/);
    expect(text).toContain('The summary was shortened to stay under 64 KiB');
  });

  it('stays under budget for any content (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.string({ unit: 'grapheme', maxLength: 200 }), { minLength: 2, maxLength: 2 }), {
          maxLength: 300,
        }),
        fc.string({ maxLength: 3000 }),
        (rows, text) => {
          const s = new Summary({ budgetBytes: 8 * 1024 }).paragraph(text).table(['a', 'b'], rows).code(text);
          expect(Buffer.byteLength(s.toString())).toBeLessThanOrEqual(8 * 1024);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('fences code that contains backticks', () => {
    expect(new Summary().code('a ``` b', 'sh').toString()).toBe('````sh\na ``` b\n````\n\n');
    expect(escapeMarkdown('*bold* _x_ [l](u) #')).toBe('\\*bold\\* \\_x\\_ \\[l\\](u) \\#');
  });
});

describe('secretForms', () => {
  it('registers the value, each line of a multi-line value and the leaves of JSON', () => {
    const key = ['-----BEGIN KEY-----', 'MIIEvQIBADANBgkq', 'hkiG9w0BAQEFAASC', '-----END KEY-----'].join('\n');
    expect(secretForms(key)).toEqual([
      key,
      '-----BEGIN KEY-----',
      'MIIEvQIBADANBgkq',
      'hkiG9w0BAQEFAASC',
      '-----END KEY-----',
    ]);
    const json = JSON.stringify({
      type: 'service_account',
      private_key_id: 'abcd1234ef',
      nested: { token: 'tok-5678', n: 12345 },
      short: 'ab',
    });
    expect(secretForms(json)).toEqual([json, 'service_account', 'abcd1234ef', 'tok-5678', '12345']);
  });

  it('skips blank values and short lines', () => {
    expect(secretForms('   ')).toEqual([]);
    expect(secretForms('{\n  "k": "long-enough"\n}')).toEqual([
      '{\n  "k": "long-enough"\n}',
      '"k": "long-enough"',
      'long-enough',
    ]);
  });
});

describe('errors', () => {
  it('carries a code, a kind and a cause', () => {
    const cause = new Error('low level');
    const e = new AirlockError('sts-denied', 'role refused', { cause, kind: 'user' });
    expect(e).toMatchObject({ name: 'AirlockError', code: 'sts-denied', kind: 'user', cause });
    expect(new InputError('input-invalid', 'x').name).toBe('InputError');
    expect(errorKind(e)).toBe('user');
    expect(errorKind(new TypeError('x'))).toBe('bug');
    expect(new AirlockError('x', 'y').kind).toBe('user');
  });

  it('describes any thrown value', () => {
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage({ a: 1 })).toBe('{"a":1}');
    expect(errorStack(new AirlockError('x', 'outer', { cause: new Error('inner') }))).toMatch(
      /outer[\s\S]*Caused by:[\s\S]*inner/,
    );
    expect(quote('a\nb')).toBe("'a⏎b'");
  });
});
