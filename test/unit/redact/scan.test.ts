import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import {
  expandPaths,
  locate,
  type Member,
  Redactor,
  readTar,
  readZip,
  scanFiles,
  toSarif,
  writeTar,
  writeZip,
} from '@airlock/redact';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../support/paths.ts';

const have = (tool: string) =>
  spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0 || spawnSync('which', [tool]).status === 0;
const HAVE_ZIP = have('zip') && have('unzip');
if (!HAVE_ZIP) console.warn('scan.test: zip/unzip are not installed; the cross-checks with them are skipped');

let dir: string;
const w = (rel: string, data: string | Buffer) => {
  const path = join(dir, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
  return path;
};
// Secrets are generated per run; none is committed.
const SECRET = ['artifact', randomBytes(6).toString('hex'), 'Value'].join('-');
const TOKEN = ['gh', 'p_'].join('') + randomBytes(18).toString('hex');
const PASSWORD = `Pw${randomBytes(12).toString('hex')}9x`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'airlock-scan-'));
  w('logs/build.log', `step 1 ok\nÿ unicode before: ${SECRET} after\n\tpush with ${TOKEN}\n`);
  w('.env', `PASSWORD="${PASSWORD}"\n`);
  w('reports/junit.xml', `<testcase name="t"><property value="${Buffer.from(SECRET).toString('hex')}"/></testcase>\n`);
  w('reports/clean.xml', '<testsuite tests="3" failures="0"/>\n');
  w('dist/image.bin', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0]), randomBytes(64)]));
  w('staging/config/app.env', `API_URL=https://example.com\nGITHUB_TOKEN=${TOKEN}\n`);
  w('staging/readme.txt', 'nothing to see\n');
  execFileSync('tar', ['-czf', join(dir, 'dist/bundle.tar.gz'), '-C', join(dir, 'staging'), 'config', 'readme.txt']);
  if (HAVE_ZIP)
    execFileSync('zip', ['-qr', join(dir, 'dist/app.zip'), 'config', 'readme.txt'], { cwd: join(dir, 'staging') });
  rmSync(join(dir, 'staging'), { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('expandPaths', () => {
  it('expands globs, directories and exclusions, hidden files included, and reports patterns that match nothing', async () => {
    const { files, unmatched } = await expandPaths(
      ['logs/', '**/*.xml', '!**/clean.xml', '.env', 'missing/*.log'],
      dir,
    );
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['.env', 'logs/build.log', 'reports/junit.xml']);
    expect(unmatched).toEqual(['missing/*.log']);
    const all = await expandPaths(['**'], dir);
    expect(all.files.map((f) => f.slice(dir.length + 1))).toContain('.env');
  });
});

describe('scanFiles', () => {
  it('finds registered and unknown secrets in files and archive members, with exact locations and no values', async () => {
    const redactor = new Redactor({ secrets: [SECRET] });
    const { files } = await expandPaths(['.'], dir);
    const report = await scanFiles(files, { redactor, root: dir });
    const lines = report.findings.map((f) => `${f.path}:${f.line}:${f.column}-${f.endColumn} ${f.rule}`).sort();
    const expected = [
      `.env:1:11-${11 + PASSWORD.length} generic-secret`,
      `logs/build.log:2:19-${19 + SECRET.length} registered-secret`,
      `logs/build.log:3:12-${12 + TOKEN.length} github-token`,
      `reports/junit.xml:1:37-${37 + SECRET.length * 2} registered-secret`,
      `dist/bundle.tar.gz!/config/app.env:2:14-${14 + TOKEN.length} github-token`,
      `dist/bundle.tar.gz!/config/app.env:2:14-${14 + TOKEN.length} generic-secret`,
    ];
    if (HAVE_ZIP) {
      expected.push(
        `dist/app.zip!/config/app.env:2:14-${14 + TOKEN.length} github-token`,
        `dist/app.zip!/config/app.env:2:14-${14 + TOKEN.length} generic-secret`,
      );
    }
    expect(lines).toEqual(expected.sort());
    expect(JSON.stringify(report)).not.toContain(SECRET);
    expect(JSON.stringify(report)).not.toContain(TOKEN);
    expect(report.problems).toEqual([]);
  });

  it('writes redacted copies, archives rewritten so that standard tools read them', async () => {
    const redactor = new Redactor({ secrets: [SECRET] });
    const out = join(dir, '..', `${dir.split('/').pop()}-redacted`);
    try {
      const { files } = await expandPaths(['logs', 'dist', 'reports'], dir);
      const report = await scanFiles(files, { redactor, root: dir, redactTo: out });
      expect(report.written.sort()).toEqual(
        ['dist/bundle.tar.gz', 'dist/image.bin', 'logs/build.log', 'reports/clean.xml', 'reports/junit.xml']
          .concat(HAVE_ZIP ? ['dist/app.zip'] : [])
          .sort(),
      );
      expect(readFileSync(join(out, 'logs/build.log'), 'utf8')).toBe(
        `step 1 ok\nÿ unicode before: *** after\n\tpush with ***\n`,
      );
      expect(readFileSync(join(out, 'dist/image.bin'))).toEqual(readFileSync(join(dir, 'dist/image.bin')));
      const listed = execFileSync('tar', ['-xzOf', join(out, 'dist/bundle.tar.gz'), 'config/app.env']).toString();
      expect(listed).toBe('API_URL=https://example.com\nGITHUB_TOKEN=***\n');
      if (HAVE_ZIP) {
        expect(execFileSync('unzip', ['-p', join(out, 'dist/app.zip'), 'config/app.env']).toString()).toBe(
          'API_URL=https://example.com\nGITHUB_TOKEN=***\n',
        );
        expect(execFileSync('unzip', ['-p', join(out, 'dist/app.zip'), 'readme.txt']).toString()).toBe(
          'nothing to see\n',
        );
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('opens nested archives and refuses ones nested too deep', async () => {
    const inner = writeZip([{ name: 'deep/secret.txt', data: Buffer.from(`x ${TOKEN}\n`) }]);
    const middle = writeTar([{ name: 'inner.zip', data: inner }]);
    const path = w('nested/outer.tgz', gzipSync(middle));
    const redactor = new Redactor();
    const report = await scanFiles([path], { redactor, root: dir });
    expect(report.findings.map((f) => `${f.path}:${f.line}:${f.column} ${f.rule}`)).toEqual([
      'nested/outer.tgz!/inner.zip!/deep/secret.txt:1:3 github-token',
    ]);
    const shallow = await scanFiles([path], { redactor, root: dir, limits: { maxDepth: 1 } });
    expect(shallow.findings).toEqual([]);
    expect(shallow.problems).toEqual([
      {
        path: 'nested/outer.tgz!/inner.zip',
        code: 'archive-limit',
        message: expect.stringMatching(/nested deeper than 1/),
      },
    ]);
  });

  it('treats archive bombs and corrupt archives as problems, never as clean', async () => {
    const zeros = Buffer.alloc(4 * 2 ** 20);
    const bombZip = writeZip([{ name: 'zeros.txt', data: zeros }]);
    const bomb = w('bad/bomb.zip', bombZip);
    const big = w(
      'bad/big.tar.gz',
      gzipSync(writeTar([{ name: 'big.txt', data: Buffer.from(randomBytes(3 * 2 ** 20).toString('base64')) }])),
    );
    const corrupt = w('bad/corrupt.zip', Buffer.concat([bombZip.subarray(0, 100), bombZip.subarray(-22)]));
    const report = await scanFiles([bomb, big, corrupt], {
      redactor: new Redactor(),
      root: dir,
      limits: { maxMemberBytes: 2 * 2 ** 20 },
    });
    expect(report.problems.map((p) => `${p.path} ${p.code}`)).toEqual([
      'bad/bomb.zip!/zeros.txt archive-limit',
      'bad/big.tar.gz!/big.txt archive-limit',
      'bad/corrupt.zip archive-invalid',
    ]);
    const xz = w(
      'bad/logs.tar.xz',
      Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), randomBytes(64)]),
    );
    const inZip = w(
      'bad/inner.zip',
      writeZip([
        { name: 'a.7z', data: Buffer.concat([Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]), randomBytes(9)]) },
      ]),
    );
    const text = w('bad/bzh.txt', 'BZh is how this text starts\n');
    const unsupported = await scanFiles([xz, inZip, text], { redactor: new Redactor(), root: dir });
    expect(unsupported.problems.map((p) => p.message)).toEqual([
      'bad/logs.tar.xz: xz-compressed content cannot be scanned (supported: zip, tar, gzip); not scanned',
      'bad/inner.zip!/a.7z: 7z-compressed content cannot be scanned (supported: zip, tar, gzip)',
    ]);
    expect(unsupported.scanned).toBe(1);
    const ratio = await scanFiles([bomb], { redactor: new Redactor(), root: dir });
    expect(ratio.problems[0]?.message).toMatch(/over 200:1/);
  });
});

describe('archives', () => {
  it('round-trips zip and tar members, including long names and pax headers', () => {
    const members: Member[] = [
      { name: 'a.txt', data: Buffer.from('alpha\n') },
      { name: `${'long/'.repeat(30)}name.txt`, data: Buffer.from('beta\n') },
      { name: 'empty.txt', data: Buffer.alloc(0) },
    ];
    const limits = { maxMemberBytes: 2 ** 20, maxTotalBytes: 2 ** 22, maxRatio: 200, maxMembers: 10, maxDepth: 3 };
    expect(readZip('t.zip', writeZip(members), limits, 2 ** 22).map((m) => [m.name, m.data.toString()])).toEqual(
      members.map((m) => [m.name, m.data.toString()]),
    );
    const staging = join(dir, 'tarsrc');
    mkdirSync(join(staging, 'long/'.repeat(30)), { recursive: true });
    for (const m of members) writeFileSync(join(staging, m.name), m.data);
    const tarred = execFileSync('tar', [
      '--format=pax',
      '-cf',
      '-',
      '-C',
      staging,
      'a.txt',
      members[1]?.name as string,
    ]);
    const read = readTar('t.tar', tarred, limits, 2 ** 22).filter((m) => !m.directory);
    expect(read.map((m) => [m.name, m.data.toString()])).toEqual([
      ['a.txt', 'alpha\n'],
      [members[1]?.name, 'beta\n'],
    ]);
    const changed = read.map((m) => ({ ...m, data: Buffer.from(m.data.toString().toUpperCase().repeat(3)) }));
    const rewritten = join(dir, 'rewritten.tar');
    writeFileSync(rewritten, writeTar(changed));
    expect(execFileSync('tar', ['-xOf', rewritten, members[1]?.name as string]).toString()).toBe('BETA\n'.repeat(3));
    expect(() => readZip('x.zip', Buffer.from('not a zip at all, no end record'), limits, 2 ** 22)).toThrow(
      /x\.zip: no zip end-of-central-directory record/,
    );
    const badMethod = writeZip([{ name: 'x', data: Buffer.from('x') }]);
    badMethod.writeUInt16LE(12, 8); // local header method (bzip2)
    badMethod.writeUInt16LE(12, badMethod.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 10);
    expect(() => readZip('b.zip', badMethod, limits, 2 ** 22)).toThrow(/b\.zip!\/x: uses compression method 12/);
    expect(deflateRawSync(Buffer.from('x')).length).toBeGreaterThan(0);
  });
});

describe('locate', () => {
  it('gives 1-based lines and UTF-16 columns, end exclusive, across chunk boundaries and lines', async () => {
    const text = Buffer.from('ab\n🔑é SECRET x\nline3\nBEGIN\nbody\nEND\n');
    const start = text.indexOf('SECRET');
    const blockStart = text.indexOf('body');
    const findings = [
      { rule: 'r', start, end: start + 6 },
      { rule: 'pem', start: blockStart - 1, end: text.indexOf('END') },
    ];
    const chunks = [...Array(text.length).keys()].map((i) => text.subarray(i, i + 1));
    expect(await locate(chunks, findings)).toEqual([
      { rule: 'r', line: 2, column: 5, endLine: 2, endColumn: 11 },
      { rule: 'pem', line: 4, column: 6, endLine: 6, endColumn: 1 },
    ]);
  });
});

describe('toSarif', () => {
  it('is valid SARIF 2.1.0 with rule ids and regions, and no values', async () => {
    const redactor = new Redactor({ secrets: [SECRET] });
    const report = await scanFiles([join(dir, 'logs/build.log')], { redactor, root: dir });
    const sarif = toSarif(report.findings);
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(join(FIXTURES, 'scan/sarif-schema-2.1.0.json'), 'utf8')));
    expect(validate(sarif), JSON.stringify(validate.errors)).toBe(true);
    const run = sarif.runs[0] as {
      results: Array<{ ruleId: string; locations: unknown[] }>;
      tool: { driver: { rules: Array<{ id: string }> } };
    };
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(['github-token', 'registered-secret']);
    expect(run.results.map((r) => r.ruleId)).toEqual(['registered-secret', 'github-token']);
    expect(JSON.stringify(sarif)).not.toContain(SECRET);
  });
});

/** The scan option, or none (the default). */
const limit = (wholeFileBytes: number | undefined) => (wholeFileBytes === undefined ? {} : { wholeFileBytes });

describe('scans running at once', () => {
  it('locate their findings as they would one at a time (the reused read buffer is not shared)', async () => {
    const base = mkdtempSync(join(tmpdir(), 'airlock-scan-both-'));
    try {
      // Two large files, the token on different lines of each, past the first megabyte.
      const filler = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} line ${i} of the build`);
      const write = (name: string, lines: string[]) => {
        mkdirSync(join(base, name), { recursive: true });
        writeFileSync(join(base, name, 'build.log'), `${lines.join('\n')}\n`);
        return join(base, name, 'build.log');
      };
      const a = filler(90_000, 'aaaaaaaa');
      a[70_000] = `push with ${TOKEN}`;
      const b = filler(60_000, 'bb');
      b[55_555] = `  again ${TOKEN}`;
      const files = [write('a', a), write('b', b)];
      // Read whole (the default), and streamed then read again (files larger than wholeFileBytes).
      for (const wholeFileBytes of [undefined, 64 * 1024]) {
        const one = async (file: string) =>
          (await scanFiles([file], { redactor: new Redactor(), root: base, ...limit(wholeFileBytes) })).findings.map(
            (f) => ({
              ...f,
            }),
          );
        const alone = [await one(files[0] as string), await one(files[1] as string)];
        expect(alone[0]?.[0]).toMatchObject({ path: 'a/build.log', line: 70_001, column: 11 });
        expect(alone[1]?.[0]).toMatchObject({ path: 'b/build.log', line: 55_556, column: 9 });
        expect(await Promise.all(files.map(one))).toEqual(alone);
      }
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('files read whole or streamed (wholeFileBytes)', () => {
  it('give the same findings, locations and redacted copies at every size around the limit', async () => {
    const base = mkdtempSync(join(tmpdir(), 'airlock-scan-whole-'));
    try {
      // A token on the first line, one across the limits tried below, and one on the last line (no newline after).
      const lines = Array.from({ length: 400 }, (_, i) => `line ${i} ÿ of the build ${'x'.repeat(i % 50)}`);
      lines[0] = `first ${TOKEN}`;
      lines[150] = `middle PASSWORD="${PASSWORD}"`;
      lines[399] = `last ${TOKEN}`;
      const text = lines.join('\n');
      const file = join(base, 'build.log');
      writeFileSync(file, text);
      const size = Buffer.byteLength(text);
      const scan = async (wholeFileBytes: number | undefined) => {
        const out = join(base, `out-${wholeFileBytes}`);
        const report = await scanFiles([file], {
          redactor: new Redactor(),
          root: base,
          redactTo: out,
          ...limit(wholeFileBytes),
        });
        return { findings: report.findings, bytes: report.bytes, copy: readFileSync(join(out, 'build.log'), 'utf8') };
      };
      const reference = await scan(undefined);
      expect(reference.findings.map((f) => `${f.line}:${f.column} ${f.rule}`)).toEqual([
        '1:7 github-token',
        '151:18 generic-secret',
        '400:6 github-token',
      ]);
      expect(reference.bytes).toBe(size);
      expect(reference.copy).toBe(text.replaceAll(TOKEN, '***').replace(PASSWORD, '***'));
      // 0: streamed from the start; size and size + 1: one byte short of knowing the file ended, and read whole.
      for (const wholeFileBytes of [0, 1, 4096, Math.floor(size / 2), size - 1, size, size + 1, 1 << 20]) {
        expect(await scan(wholeFileBytes), `wholeFileBytes ${wholeFileBytes}`).toEqual(reference);
      }
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('scan empty files and files that end in the middle of a keyword', async () => {
    const base = mkdtempSync(join(tmpdir(), 'airlock-scan-edge-'));
    try {
      writeFileSync(join(base, 'empty.log'), '');
      writeFileSync(join(base, 'cut.log'), 'clone https:/');
      for (const wholeFileBytes of [undefined, 0, 5]) {
        const report = await scanFiles([join(base, 'cut.log'), join(base, 'empty.log')], {
          redactor: new Redactor(),
          root: base,
          ...limit(wholeFileBytes),
        });
        expect(report).toMatchObject({ findings: [], scanned: 2, bytes: 13, problems: [] });
      }
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
