import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compileRules, Redactor, RULES, type RuleSpec } from '@airlock/redact';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/paths.ts';
import { plantedExamples } from './planted.ts';

describe('private keys', () => {
  const body = () => Array.from({ length: 4 }, () => randomBytes(48).toString('base64')).join('\n');
  it('are found JSON-escaped (a service-account key) and with encrypted-PEM headers', () => {
    const redactor = new Redactor({ replacement: 'rule' });
    const escaped = `{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\n${body().replace(/\n/g, '\\n')}\\n-----END PRIVATE KEY-----\\n"}`;
    expect(redactor.redactString(escaped)).toBe(
      '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----[REDACTED:private-key]-----END PRIVATE KEY-----\\n"}',
    );
    const encrypted = `-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0A1B2C3D4E5F60718293A4B5C6D7E8F9\n\n${body()}\n-----END RSA PRIVATE KEY-----\n`;
    expect(redactor.redactString(encrypted)).toBe(
      '-----BEGIN RSA PRIVATE KEY-----[REDACTED:private-key]-----END RSA PRIVATE KEY-----\n',
    );
  });
});

describe('rules', () => {
  it('compile, have unique ids, keywords and a test example each', () => {
    const compiled = compileRules();
    expect(compiled.map((r) => r.spec.id)).toEqual(RULES.map((r) => r.id));
    for (const rule of compiled) expect(rule.regex.pattern()).toBe(rule.spec.pattern); // each compiles
    const covered = new Set(plantedExamples().map((e) => e.rule));
    for (const rule of RULES) expect(covered.has(rule.id), `no example for ${rule.id}`).toBe(true);
  });

  it('refuse a rule whose pattern does not compile, as a bug', () => {
    const bad: RuleSpec = { id: 'bad', title: 'bad', keywords: ['x'], pattern: '(', window: 10, continuation: '' };
    expect(() => compileRules([bad])).toThrow(/rule bad: the pattern does not compile/);
  });

  it('refuse a rule with both a precheck and a seek, or a seek its window cannot hold, as a bug', () => {
    const rule: RuleSpec = {
      id: 'seeks',
      title: 'seeks',
      keywords: ['key:'],
      pattern: 'key:(x+)',
      window: 20,
      seek: { targets: 'x', stops: ' ', limit: 16 },
      continuation: '',
    };
    expect(compileRules([rule])[0]?.precheck?.(Buffer.from('key: x'), 0, 6, 4)).toBe(0);
    expect(compileRules([rule])[0]?.precheck?.(Buffer.from('key:x'), 0, 5, 4)).toBe(1);
    expect(compileRules([rule])[0]?.precheck?.(Buffer.from('key:'), 0, 4, 4)).toBe(-1);
    expect(() => compileRules([{ ...rule, precheck: () => 1 }])).toThrow(/rule seeks: both a precheck and a seek/);
    expect(() => compileRules([{ ...rule, window: 19 }])).toThrow(/rule seeks: the window is shorter/);
    expect(() => compileRules([{ ...rule, seek: { targets: 'é', stops: ' ', limit: 4 } }])).toThrow(
      /rule seeks: seek bytes not ASCII/,
    );
  });

  for (const example of plantedExamples()) {
    it(`${example.rule} finds and redacts exactly the secret`, () => {
      const redactor = new Redactor({ replacement: 'rule' });
      const { output, findings } = redactor.redact(`${example.line}\n`);
      const text = output.toString();
      expect(text).not.toContain(example.secret);
      expect(text).toBe(`${example.line.replace(example.secret, `[REDACTED:${example.rule}]`)}\n`);
      expect(findings.map((f) => f.rule)).toContain(example.rule);
      const hit = findings.find((f) => f.rule === example.rule);
      expect(hit?.end).toBe((hit?.start ?? 0) + Buffer.byteLength(example.secret));
    });
  }

  it('vercel-token finds each of its keywords’ prefixes (vca_ was missing from the pattern)', () => {
    const redactor = new Redactor();
    for (const prefix of ['vcp_', 'vci_', 'vca_', 'vcr_', 'vck_']) {
      const token = `${prefix}${'aB3dE5gH7jK9'.repeat(2)}`;
      const { findings } = redactor.redact(`vercel deploy --token ${token}\n`);
      expect(
        findings.map((f) => f.rule),
        prefix,
      ).toEqual(['vercel-token']);
    }
  });

  const negatives = [
    'ghp_short and gho_ prefixes alone',
    'the AKIAFOO key is not a key; XAKIA1234567890ABCDEF neither',
    'password: ******** (masked)',
    'password = getPassword(config)',
    'token = options.token || process.env.TOKEN',
    'secret_name: my-secret-name',
    'const tokenizer = "gpt2-tokenizer-v3";',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, on purpose
    'password: ${{ secrets.DB_PASSWORD }}',
    'PASSWORD=$DB_PASSWORD',
    'see https://github.com/actions/runner and http://localhost:8080/path',
    'Bearer token required for this endpoint',
    'Basic authentication is disabled',
    'eyJhbGciOiJIUzI1NiJ9 is a header only',
    'sig=abc without a signed version',
    '-----BEGIN CERTIFICATE-----',
    'api_key: YOUR_API_KEY_HERE',
    'token_type: bearer, expires_in: 3600',
    'access_key_id = AKIA_placeholder',
    'if (e.indexOf("-----BEGIN PRIVATE KEY-----") !== 0) throw new TypeError("pkcs8 expected"); // -----END',
    [
      'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq',
      '/K1SZFPTOtr/KBHBeksoGMGw==;',
    ].join(''),
    ['aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/', 'bPxRfiCYEXAMPLEKEY'].join(''),
  ];
  it('leave ordinary lines alone', () => {
    const redactor = new Redactor();
    for (const line of negatives) {
      const { output, findings } = redactor.redact(`${line}\n`);
      expect(findings, line).toEqual([]);
      expect(output.toString()).toBe(`${line}\n`);
    }
  });
});

/** Text files from installed packages: prose (READMEs, docs) and code (declarations, sources). */
function corpus(limitBytes: number): Array<{ path: string; text: string }> {
  const roots = [
    'node_modules/@types/node',
    'node_modules/typescript/lib',
    'node_modules/yaml/dist',
    'node_modules/vitest/dist',
    'node_modules/undici',
    'node_modules/ajv/dist',
    'node_modules/semver',
    'node_modules/@octokit',
  ];
  const out: Array<{ path: string; text: string }> = [];
  let total = 0;
  const visit = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (total >= limitBytes) return;
      const path = join(dir, name);
      const stat = statSync(path);
      if (stat.isDirectory()) {
        if (name !== 'node_modules' && name !== 'test' && name !== 'tests') visit(path);
      } else if (/\.(md|d\.ts|ts|js|mjs|json)$/.test(name) && stat.size < 12 * 1024 * 1024) {
        const text = readFileSync(path, 'utf8');
        out.push({ path, text });
        total += text.length;
      }
    }
  };
  for (const root of roots) visit(join(ROOT, root));
  return out;
}

/**
 * The only hits in the corpus, each a true positive: strings in a real credential format (GitHub tokens documented as
 * examples, a token in a URL query).
 */
const TRUE_POSITIVES = new Set([
  '@octokit/auth-token/README.md:github-token',
  '@octokit/auth-token/README.md:generic-secret',
  'undici/README.md:generic-secret',
]);

describe('over-masking guard', () => {
  it('finds nothing in ordinary prose and code (installed packages, about 16 MB) but real-format tokens', () => {
    const files = corpus(16 * 1024 * 1024);
    const bytes = files.reduce((n, f) => n + f.text.length, 0);
    expect(bytes).toBeGreaterThan(8 * 1024 * 1024);
    const redactor = new Redactor({ secrets: [['unrelated', randomBytes(6).toString('hex')].join('-')] });
    const hits: string[] = [];
    let expected = 0;
    for (const file of files) {
      const { output, findings } = redactor.redact(file.text);
      const where = file.path.replace(/^.*node_modules\//, '');
      for (const f of findings) {
        if (TRUE_POSITIVES.has(`${where}:${f.rule}`)) expected++;
        else
          hits.push(
            `${where}:${f.rule}: …${Buffer.from(file.text)
              .subarray(f.start - 30, f.end + 5)
              .toString()}`,
          );
      }
      if (findings.length === 0) expect(output.toString()).toBe(file.text);
    }
    expect(hits).toEqual([]);
    expect(expected).toBeGreaterThan(0);
  });

  it('never masks anything shorter than the minimum length', () => {
    for (const value of ['a', 'ab', 'abc', ' ab ', '\n\n']) {
      const redactor = new Redactor({ secrets: [value], rules: false });
      expect(redactor.variants).toEqual([]);
      expect(redactor.redactString('a ab abc abcd')).toBe('a ab abc abcd');
    }
    const redactor = new Redactor({ secrets: ['abcdefgh'], rules: false, minLength: 8 });
    expect(redactor.variants.every((v) => v.length >= 8)).toBe(true);
  });
});
