import {
  encodingsOf,
  escapeDataString,
  newtonsoftEscape,
  powerShellPostAmpersand,
  powerShellPreAmpersand,
  Redactor,
  runnerBase64,
  runnerBase64Shift,
  securityElementEscape,
  trimDoubleQuotes,
} from '@airlock/redact';
import { SecretMasker } from '@airlock/testkit';
import {
  Base64StringEscape,
  Base64StringEscapeShift1,
  Base64StringEscapeShift2,
  CommandLineArgumentEscape,
  ExpressionStringEscape,
  JsonStringEscape,
  PowerShellPostAmpersandEscape,
  PowerShellPreAmpersandEscape,
  RUNNER_ENCODER_TABLE,
  RUNNER_ENCODERS,
  TrimDoubleQuotes,
  UriDataEscape,
  XmlDataEscape,
} from '@airlock/testkit/runner-encoders';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/**
 * The runner's masking as a conformance table: each of its 11 encoders (packages/testkit/src/runner-encoders.ts,
 * transcribed from actions/runner) applied to secrets with every character class that matters, printed in a log
 * line. The runner's masker (the harness's SecretMasker with the 11 encoders) and Airlock's redactor must produce the
 * same line; then the forms only Airlock masks; then a property: after Airlock, the runner finds nothing left to mask.
 */

// Secrets are built at run time; none looks like a real credential.
const SECRETS = [
  'Pass word 123!',
  '"quoted value here"',
  "it's a <secret> & more",
  'abc&+defghijk',
  'part1abc&part2defg&part3hij',
  'back\\slash/and"quote',
  'tab\there\u0085nel\u2028ls\u2029ps',
  'ünïcødé-秘密-🔑-key',
  '%41 percent %0A sign',
  'Mixed\'Quote"s&Amp<Lt>Gt',
  'abcd',
  ['ctl', '\u0001\u001f', 'chars'].join(''),
];

function runnerMasker(values: readonly string[]): SecretMasker {
  const masker = new SecretMasker(RUNNER_ENCODERS);
  for (const v of values) masker.add(v);
  return masker;
}

const airlock = (values: readonly string[]) => new Redactor({ secrets: values, rules: false });

describe('the runner encoders (reference transcription)', () => {
  it('computes the documented vectors', () => {
    // Base64 at three byte alignments; the shifts fall back to the whole value when it is too short.
    expect(Base64StringEscape('abcdef')).toBe('YWJjZGVm');
    expect(Base64StringEscapeShift1('abcdef')).toBe('YmNkZWY=');
    expect(Base64StringEscapeShift2('abcdef')).toBe('Y2RlZg==');
    expect(Base64StringEscapeShift1('a')).toBe('YQ==');
    expect(Base64StringEscapeShift2('ab')).toBe('YWI=');
    expect(Base64StringEscapeShift2('abc')).toBe('Yw==');
    expect(Base64StringEscapeShift1('é')).toBe('qQ=='); // bytes, not characters: é is C3 A9
    expect(CommandLineArgumentEscape('say "hi"')).toBe('say \\"hi\\"');
    expect(ExpressionStringEscape("it's")).toBe("it''s");
    expect(JsonStringEscape('a"b\\c\n\t\u0001\u007f\u0085\u2028/é')).toBe(
      'a\\"b\\\\c\\n\\t\\u0001\u007f\\u0085\\u2028/é',
    );
    expect(UriDataEscape("a b!*'()~-_.é")).toBe('a%20b%21%2A%27%28%29~-_.%C3%A9');
    expect(XmlDataEscape(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
    expect(TrimDoubleQuotes('"1234567"')).toBe('1234567'); // 9 characters: trimmed only when longer than 8
    expect(TrimDoubleQuotes('"123456"')).toBe('');
    expect(TrimDoubleQuotes('"short"')).toBe('');
    // actions/runner ValueEncodersL0
    expect(PowerShellPreAmpersandEscape('abcdef&')).toBe('abcdef&');
    expect(PowerShellPreAmpersandEscape('abcdef&+ghijkl')).toBe('abcdef&+');
    expect(PowerShellPreAmpersandEscape('abc&def&')).toBe('abc&def&');
    expect(PowerShellPreAmpersandEscape('ab&')).toBe('');
    expect(PowerShellPostAmpersandEscape('abc&ghijkl')).toBe('ghijkl');
    expect(PowerShellPostAmpersandEscape('abcdef&')).toBe('');
    expect(PowerShellPostAmpersandEscape('abc&+ghijklm')).toBe('hijklm');
    expect(PowerShellPostAmpersandEscape('abc&+g')).toBe('');
  });

  it('is registered in the runner order, eleven of them', () => {
    expect(RUNNER_ENCODER_TABLE.map(([name]) => name)).toEqual([
      'Base64StringEscape',
      'Base64StringEscapeShift1',
      'Base64StringEscapeShift2',
      'CommandLineArgumentEscape',
      'ExpressionStringEscape',
      'JsonStringEscape',
      'UriDataEscape',
      'XmlDataEscape',
      'TrimDoubleQuotes',
      'PowerShellPreAmpersandEscape',
      'PowerShellPostAmpersandEscape',
    ]);
  });

  it('agrees with packages/redact, an independent implementation, on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (v) => {
        expect(runnerBase64(v)).toBe(Base64StringEscape(v));
        expect(runnerBase64Shift(v, 1)).toBe(Base64StringEscapeShift1(v));
        expect(runnerBase64Shift(v, 2)).toBe(Base64StringEscapeShift2(v));
        expect(newtonsoftEscape(v)).toBe(JsonStringEscape(v));
        expect(escapeDataString(v)).toBe(UriDataEscape(v));
        expect(securityElementEscape(v)).toBe(XmlDataEscape(v));
        expect(trimDoubleQuotes(v)).toBe(TrimDoubleQuotes(v));
        expect(powerShellPreAmpersand(v)).toBe(PowerShellPreAmpersandEscape(v));
        expect(powerShellPostAmpersand(v)).toBe(PowerShellPostAmpersandEscape(v));
      }),
      { numRuns: 500 },
    );
  });
});

describe('conformance table: what the runner masks, Airlock masks identically', () => {
  for (const [name, encode] of RUNNER_ENCODER_TABLE) {
    it(`${name}`, () => {
      let rows = 0;
      for (const secret of SECRETS) {
        const form = encode(secret);
        if (form === undefined || form === '') continue;
        rows++;
        for (const line of [`value=${form}`, `[${form}]`, `${form} at start`, `x ${form}${form} twice`]) {
          const runner = runnerMasker([secret]).mask(line);
          expect(runner, `the runner masks ${name}(${JSON.stringify(secret)})`).not.toContain(form);
          const ours = airlock([secret]).redactString(line);
          expect(ours, `${name}(${JSON.stringify(secret)}) in ${JSON.stringify(line)}`).toBe(runner);
        }
      }
      expect(rows).toBeGreaterThan(0);
    });
  }

  it('a value shorter than the minimum: the runner masks it everywhere, Airlock reports it and leaves the log alone', () => {
    const line = 'the tree has xyz leaves and xyzzy roots';
    expect(runnerMasker(['xyz']).mask(line)).toBe('the tree has *** leaves and ***zy roots');
    const redactor = airlock(['xyz']);
    expect(redactor.redactString(line)).toBe(line);
    expect(redactor.skipped).toEqual([{ source: 'secret 1', length: 3, reason: 'shorter than the minimum length' }]);
  });
});

describe('forms the runner leaks and Airlock masks', () => {
  const secret = ['s3cr3t', 'V4lue', '+/=', 'Q'].join('-');
  const prefixes = ['', 'u', 'us', 'use', 'user:'];
  const cases: Array<[string, string]> = [
    ...prefixes.map((p): [string, string] => [
      `base64 of '${p}<secret>\\n' (any alignment, any suffix)`,
      Buffer.from(`${p}${secret}\n`).toString('base64'),
    ]),
    ...prefixes.map((p): [string, string] => [
      `unpadded base64url of '${p}<secret>.'`,
      Buffer.from(`${p}${secret}.`).toString('base64url'),
    ]),
    ['hex', Buffer.from(secret).toString('hex')],
    ['HEX', Buffer.from(secret).toString('hex').toUpperCase()],
    ['lower-case %xx', encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())],
    ['encodeURIComponent', encodeURIComponent(`${secret}!`)],
    ['form encoding', new URLSearchParams({ k: `${secret} x` }).toString().slice(2)],
    ['JSON escaped twice', JSON.stringify(JSON.stringify(`"${secret}"`))],
    ['HTML &#39; entities', `it&#39;s ${secret}`.replace(/&#39;s /, '')],
    ["shell '\\'' escaping", `'${`a'b${secret}`.replace(/'/g, "'\\''")}'`],
  ];
  for (const [what, text] of cases) {
    it(what, () => {
      const line = `>> ${text} <<`;
      const ours = airlock([secret]).redactString(line);
      expect(ours).toContain('***');
      // Nothing of the secret's own bytes is left: at most the characters shared with the prefix and suffix.
      expect(ours.replace('***', '').length).toBeLessThan(line.length - Math.floor(secret.length * 0.9));
    });
  }

  it('the runner leaks a secret inside base64(user:secret\\n) that Airlock masks', () => {
    const text = Buffer.from(`deploy:${secret}\n`).toString('base64');
    expect(runnerMasker([secret]).mask(text)).toBe(text);
    expect(airlock([secret]).redactString(text)).toMatch(/^ZGVwbG95O\w*\*\*\*\w{0,2}=*$/);
  });

  it('a multi-line secret: the whole block across lines, each line, CRLF endings, base64 wrapped at 76 columns', () => {
    const key = [
      '-----BEGIN TEST KEY-----',
      ...Array.from({ length: 4 }, (_, i) => `${'Q'.repeat(10)}${i}${'w'.repeat(40)}`),
      '-----END TEST KEY-----',
    ].join('\n');
    const redactor = airlock([key]);
    expect(redactor.redactString(`k=${key}\n`)).toBe('k=***\n');
    expect(redactor.redactString(key.replace(/\n/g, '\r\n'))).toBe('***');
    const wrapped = (
      Buffer.from(key)
        .toString('base64')
        .match(/.{1,76}/g) as string[]
    ).join('\n');
    expect(redactor.redactString(`${wrapped}\n`)).toBe('***\n');
    for (const line of key.split('\n')) expect(redactor.redactString(`: ${line.trim()}`)).toBe(': ***');
  });

  it('JSON and YAML structured secrets: each leaf', () => {
    const leaf = ['pw', 'Leaf', 'Value', '91'].join('');
    const json = JSON.stringify({ user: 'svc-deploy', password: leaf, port: 5432 });
    expect(airlock([json]).redactString(`connecting with ${leaf}`)).toBe('connecting with ***');
    const yaml = `user: svc-deploy\npassword: ${leaf}\n`;
    expect(airlock([yaml]).redactString(`pw=${leaf};`)).toBe('pw=***;');
  });
});

describe('property: after Airlock, the runner has nothing left to mask', () => {
  it('holds for every runner encoding of every secret, in random text', () => {
    const secretArb = fc
      .string({ unit: 'grapheme', minLength: 4, maxLength: 24 })
      .filter((s) => s.trim().length >= 4 && !s.includes('*') && !/[\r\n]/.test(s));
    fc.assert(
      fc.property(
        fc.array(secretArb, { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(RUNNER_ENCODERS.length), fc.string({ maxLength: 12 })), { maxLength: 8 }),
        (secrets, pieces) => {
          let text = '';
          for (const [which, encoder, noise] of pieces) {
            const secret = secrets[which % secrets.length] as string;
            const form = encoder === RUNNER_ENCODERS.length ? secret : (RUNNER_ENCODERS[encoder]?.(secret) ?? '');
            text += noise.replace(/\*/g, '') + form;
          }
          const ours = airlock(secrets).redactString(text);
          for (const line of ours.split(/\r\n|\r|\n/)) {
            expect(runnerMasker(secrets).mask(line)).toBe(line);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('Airlock registers every runner form of a secret among its own variants', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 4, maxLength: 30 }), (secret) => {
        const ours = new Set(encodingsOf(secret).map((v) => v.text));
        for (const encode of RUNNER_ENCODERS) {
          const form = encode(secret);
          if (form !== undefined && form !== '') expect(ours.has(form)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
