import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  IDLE_HOLD_BYTES,
  pumpFile,
  type RedactionStream,
  Redactor,
  RedactTransform,
  secretVariants,
} from '@airlock/redact';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Feed `input` cut at `cuts` (byte offsets), optionally pausing (idle) after some chunks. */
function feed(stream: RedactionStream, input: Buffer, cuts: readonly number[], pauses: readonly boolean[] = []) {
  const chunks: Buffer[] = [];
  const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  points.forEach((to, i) => {
    chunks.push(stream.write(input.subarray(from, to)));
    if (pauses[i]) chunks.push(stream.idle());
    from = to;
  });
  chunks.push(stream.write(input.subarray(from)));
  chunks.push(stream.end());
  return chunks;
}

const secretArb = fc
  .string({ unit: 'grapheme', minLength: 6, maxLength: 28 })
  .filter((s) => s.trim().length >= 6 && !s.includes('*'));
const noiseArb = fc.string({ unit: 'grapheme', maxLength: 40 });

describe('streaming redaction (property tests)', () => {
  it('never yields a registered secret or any of its variants, whatever the chunking and pauses', () => {
    fc.assert(
      fc.property(
        fc.array(secretArb, { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(noiseArb, fc.nat(), fc.nat()), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.array(fc.boolean(), { maxLength: 12 }),
        (secrets, pieces, cuts, pauses) => {
          const variants = secrets.flatMap((s) => secretVariants(s).map((v) => v.text));
          let text = '';
          for (const [noise, which, variant] of pieces) {
            const forms = secretVariants(secrets[which % secrets.length] as string);
            text += noise + (forms[variant % forms.length]?.text ?? '');
          }
          const redactor = new Redactor({ secrets, rules: false });
          const out = Buffer.concat(feed(redactor.stream(), Buffer.from(text), cuts, pauses)).toString('utf8');
          for (const v of variants) expect(out.includes(v), `variant ${JSON.stringify(v)} leaked`).toBe(false);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('passes text without secrets through byte-identical, in valid UTF-8 chunks', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 400 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.array(fc.boolean(), { maxLength: 20 }),
        (text, cuts, pauses) => {
          const redactor = new Redactor({
            secrets: [['not', 'in', 'the', 'text', randomBytes(4).toString('hex')].join('-')],
          });
          const input = Buffer.from(text);
          const chunks = feed(redactor.stream(), input, cuts, pauses);
          for (const chunk of chunks) expect(() => decoder.decode(chunk)).not.toThrow();
          expect(Buffer.concat(chunks).equals(input)).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('gives the same output for any chunking as for the whole input', () => {
    fc.assert(
      fc.property(secretArb, fc.array(fc.nat(), { maxLength: 16 }), (secret, cuts) => {
        const token = ['gh', 'p_'].join('') + 'Z'.repeat(4) + randomBytes(24).toString('hex').slice(0, 32);
        const text = `a ${secret} b\npassword=${randomBytes(9).toString('base64')}7\nc ${Buffer.from(secret).toString('base64')} ${token}\n`;
        const redactor = new Redactor({ secrets: [secret] });
        const whole = redactor.redact(text).output;
        expect(Buffer.concat(feed(redactor.stream(), Buffer.from(text), cuts)).equals(whole)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('large writes (four interleaved walks)', () => {
  it('finds what small writes find, at every segment boundary', () => {
    const secret = ['seg', 'ment', randomBytes(8).toString('hex')].join('-');
    const redactor = new Redactor({ secrets: [secret, 'tiny-01'] });
    const filler = Buffer.alloc(300_000, 'x.');
    const parts: string[] = [];
    let at = 0;
    // Secrets, short literals and rule keywords straddling every multiple of 16 KiB (the segment size).
    for (let boundary = 16_384; boundary < filler.length; boundary += 16_384) {
      const token = ['gh', 'p_'].join('') + randomBytes(18).toString('hex');
      const cut = boundary - (boundary % 7) - 3;
      parts.push(
        filler.subarray(at, cut).toString(),
        boundary % 3 === 0 ? secret : boundary % 3 === 1 ? ` ${token} ` : ' tiny-01 ',
      );
      at = cut;
    }
    parts.push(filler.subarray(at).toString());
    const text = Buffer.from(parts.join(''));
    const whole = redactor.stream();
    const big = Buffer.concat([whole.write(text), whole.end()]);
    const small = redactor.stream();
    const pieces: Buffer[] = [];
    for (let i = 0; i < text.length; i += 1000) pieces.push(small.write(text.subarray(i, i + 1000)));
    pieces.push(small.end());
    expect(big.equals(Buffer.concat(pieces))).toBe(true);
    expect(whole.findings).toEqual(small.findings);
    expect(whole.findings.length).toBe(Math.floor(filler.length / 16_384)); // one per insertion
    expect(big.toString()).not.toContain(secret);
  });
});

describe('reading in place', () => {
  it('writeInPlace and pumpFile give what write gives, with buffers reused', () => {
    fc.assert(
      fc.property(secretArb, fc.array(fc.nat(), { maxLength: 10 }), (secret, cuts) => {
        const token = ['gh', 's_'].join('') + randomBytes(18).toString('hex');
        const text = Buffer.from(`a ${secret} b ${token}\n${Buffer.from(secret).toString('hex')} -----BEGIN`.repeat(3));
        const redactor = new Redactor({ secrets: [secret] });
        const expected = redactor.redact(text).output;
        // Two buffers with 64 bytes of headroom, used in turn, like pumpFile.
        const buffers = [Buffer.alloc(64 + text.length), Buffer.alloc(64 + text.length)];
        const stream = redactor.stream();
        const out: Buffer[] = [];
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        let from = 0;
        [...points, text.length].forEach((to, turn) => {
          const buffer = buffers[turn % 2] as Buffer;
          text.copy(buffer, 64, from, to);
          out.push(Buffer.from(stream.writeInPlace(buffer, 64, 64 + to - from)));
          from = to;
        });
        out.push(stream.end());
        expect(Buffer.concat(out).equals(expected)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('pumpFile redacts a file read in 1 MiB pieces', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-pump-'));
    try {
      const secret = ['pump', randomBytes(8).toString('hex')].join('-');
      const text = Buffer.from(`${'x'.repeat(1_048_570)}${secret} and more\n`.repeat(3));
      writeFileSync(join(dir, 'f.log'), text);
      const redactor = new Redactor({ secrets: [secret] });
      const fd = openSync(join(dir, 'f.log'), 'r');
      const out: Buffer[] = [];
      expect(pumpFile(fd, redactor.stream(), (b) => out.push(Buffer.from(b)))).toBe(text.length);
      closeSync(fd);
      expect(Buffer.concat(out).equals(redactor.redact(text).output)).toBe(true);
      expect(Buffer.concat(out).toString()).not.toContain(secret);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('holding back', () => {
  const secret = ['hold', 'back', 'Secret', '42'].join('-');

  it('holds exactly the bytes that could begin a secret, and releases them when they cannot', () => {
    const stream = new Redactor({ secrets: [secret], rules: false }).stream();
    expect(stream.write(Buffer.from('build ok; hold-ba')).toString()).toBe('build ok; ');
    expect(stream.pending).toBe('hold-ba'.length);
    expect(stream.write(Buffer.from('ckup done\n')).toString()).toBe('hold-backup done\n');
    expect(stream.write(Buffer.from(`x ${secret.slice(0, 9)}`)).toString()).toBe('x ');
    expect(stream.write(Buffer.from(`${secret.slice(9)} y\n`)).toString()).toBe('*** y\n');
    expect(stream.end().length).toBe(0);
  });

  it('on a pause releases a short partial match but keeps a long one', () => {
    const stream = new Redactor({ secrets: [secret], rules: false }).stream();
    expect(stream.write(Buffer.from('prompt> hold')).toString()).toBe('prompt> ');
    expect(stream.idle().toString()).toBe('hold'); // 4 bytes < IDLE_HOLD_BYTES: released
    expect(stream.write(Buffer.from('-back-Sec')).toString()).toBe('');
    expect('-back-Sec'.length + 4).toBeGreaterThanOrEqual(IDLE_HOLD_BYTES);
    expect(stream.idle().toString()).toBe(''); // 13 bytes of the secret: held
    expect(stream.write(Buffer.from('ret-42!')).toString()).toBe('***!');
  });

  it('at the end of the stream, releases an unfinished partial match (it is not the secret)', () => {
    const stream = new Redactor({ secrets: [secret], rules: false }).stream();
    expect(stream.write(Buffer.from('hold-back-Sec')).toString()).toBe('');
    expect(stream.end().toString()).toBe('hold-back-Sec');
  });

  it('holds a rule window until the end of the line and redacts only the secret', () => {
    const token = ['gh', 'o_'].join('') + randomBytes(18).toString('hex');
    const stream = new Redactor().stream();
    expect(stream.write(Buffer.from(`login ${token.slice(0, 10)}`)).toString()).toBe('login ');
    expect(stream.write(Buffer.from(`${token.slice(10)} done`)).toString()).toBe('');
    expect(stream.write(Buffer.from(' really\nok\n')).toString()).toBe('*** done really\nok\n');
  });

  it('does not hold a URL without credentials until the end of its line', () => {
    const stream = new Redactor().stream();
    expect(stream.write(Buffer.from('fetching https://example.com/docs ')).toString()).toBe(
      'fetching https://example.com/docs ',
    );
    const withPassword = `https://ci:${randomBytes(6).toString('hex')}9@example.com/x`;
    expect(stream.write(Buffer.from(`then ${withPassword} `)).toString()).toBe('then https'); // held from the ://
    expect(stream.write(Buffer.from('done\n')).toString()).toBe('://ci:***@example.com/x done\n');
  });

  it('holds a PEM private key until its footer', () => {
    const body = Array.from({ length: 6 }, () => randomBytes(48).toString('base64')).join('\n');
    const key = `-----BEGIN ${'EC PRIVATE'} KEY-----\n${body}\n-----END EC PRIVATE KEY-----\n`;
    const stream = new Redactor().stream();
    let out = '';
    for (let i = 0; i < key.length; i += 17) out += stream.write(Buffer.from(key.slice(i, i + 17))).toString();
    out += stream.end().toString();
    expect(out).toBe('-----BEGIN EC PRIVATE KEY-----***-----END EC PRIVATE KEY-----\n');
  });

  it('never cuts a UTF-8 character, even when the input does', () => {
    const stream = new Redactor({ secrets: [secret] }).stream();
    const text = Buffer.from('ünïcødé 秘密 🔑 ok\n');
    const chunks = [];
    for (let i = 0; i < text.length; i++) chunks.push(stream.write(text.subarray(i, i + 1)));
    chunks.push(stream.end());
    for (const chunk of chunks) expect(() => decoder.decode(chunk)).not.toThrow();
    expect(Buffer.concat(chunks).equals(text)).toBe(true);
  });
});

describe('replacement and findings', () => {
  it('merges overlapping redactions into one, like the runner, and labels them with the rule', () => {
    const secret = ['over', 'lap', 'Value', '77'].join('');
    const redactor = new Redactor({ secrets: [secret, `${secret}Tail`], replacement: 'rule' });
    expect(redactor.redactString(`x ${secret}Tail y`)).toBe('x [REDACTED:registered-secret] y');
    const { findings } = redactor.redact(`x ${secret}Tail y ${secret}`);
    expect(findings).toEqual([
      { rule: 'registered-secret', start: 2, end: 2 + secret.length + 4 },
      { rule: 'registered-secret', start: 2 + secret.length + 7, end: 2 + secret.length * 2 + 7 },
    ]);
  });

  it('reports each rule of a merged redaction once, without the value', () => {
    const token = ['gh', 'p_'].join('') + randomBytes(18).toString('hex');
    const { output, findings } = new Redactor({ secrets: [token] }).redact(`t=${token}\n`);
    expect(output.toString()).toBe('t=***\n');
    expect(findings.map((f) => f.rule).sort()).toEqual(['github-token', 'registered-secret']);
    expect(JSON.stringify(findings)).not.toContain(token);
  });

  it('refuses nothing shorter than the minimum and reports short secrets by source', () => {
    const redactor = new Redactor({
      secrets: [
        { value: 'abc', source: 'env SHORT' },
        { value: 'abcd', source: 'env OK' },
      ],
      minLength: 4,
    });
    expect(redactor.skipped).toEqual([{ source: 'env SHORT', length: 3, reason: 'shorter than the minimum length' }]);
    expect(redactor.secretCount).toBe(1);
    expect(redactor.variants.every((v) => v.length >= 4)).toBe(true);
    expect(redactor.redactString('abc abcd abcde')).toBe('abc *** ***e');
  });
});

describe('RedactTransform', () => {
  it('redacts a Node stream and releases a prompt after the idle timeout', async () => {
    const secret = ['prompt', 'Secret', 'Value9'].join('-');
    const t = new RedactTransform(new Redactor({ secrets: [secret] }), { idleMs: 20 });
    const seen: string[] = [];
    t.on('data', (chunk: Buffer) => seen.push(chunk.toString()));
    t.write('Enter the value: ');
    t.write('prompt');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(seen.join('')).toBe('Enter the value: prompt');
    t.write(`\nvalue is ${secret}\n`);
    t.end();
    await new Promise((resolve) => t.on('end', resolve));
    expect(seen.join('')).toBe(`Enter the value: prompt\nvalue is ***\n`);
    expect(t.endsWithNewline).toBe(true);
  });
});
