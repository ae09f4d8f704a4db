import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DepsError } from '../../../packages/deps/src/model.ts';
import { evaluateAdvisory } from '../../../packages/deps/src/osv/match.ts';
import { OfflineDb } from '../../../packages/deps/src/osv/offline.ts';
import { writeZip, ZipReader } from '../../../packages/deps/src/osv/zip.ts';
import { versionScheme } from '../../../packages/deps/src/versions/index.ts';
import { advisory, HAS_SHARED_OSV, SHARED_OSV, writeDb } from '../../fixtures/scan/helpers.ts';

const readAll = (buf: Buffer, limits = {}) => {
  const zip = new ZipReader(buf, 'test.zip', limits);
  return zip.entries.map((e) => [e.name, zip.read(e).toString()]);
};

/** The offset of the first central directory entry. */
const central = (buf: Buffer) => buf.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));

describe('zip reader', () => {
  it('reads stored and deflated entries written by writeZip', () => {
    const buf = writeZip([
      { name: 'A-1.json', data: '{"a":1}' },
      { name: 'B-2.json', data: 'x'.repeat(1000), store: true },
    ]);
    expect(readAll(buf)).toEqual([
      ['A-1.json', '{"a":1}'],
      ['B-2.json', 'x'.repeat(1000)],
    ]);
  });

  it('refuses a zip bomb by compression ratio', () => {
    const buf = writeZip([{ name: 'BOMB.json', data: Buffer.alloc(2 * 1024 * 1024, 0x20) }]);
    expect(() => new ZipReader(buf, 'bomb.zip')).toThrow(
      /bomb.zip: BOMB.json: compression ratio \d+:1 exceeds 100:1 \(a zip bomb\?\)/,
    );
  });

  it('refuses oversized entries and archives that add up to too much', () => {
    const buf = writeZip([
      { name: 'A.json', data: 'a'.repeat(5000), store: true },
      { name: 'B.json', data: 'b'.repeat(5000), store: true },
    ]);
    expect(() => new ZipReader(buf, 'big.zip', { maxEntryBytes: 4096 })).toThrow(
      /A.json: 5000 bytes uncompressed, more than the limit of 4096/,
    );
    expect(() => new ZipReader(buf, 'big.zip', { maxTotalBytes: 8000 })).toThrow(
      /entries add up to more than 8000 bytes/,
    );
    expect(() => new ZipReader(buf, 'big.zip', { maxEntries: 1 })).toThrow(/2 entries, more than the limit of 1/);
  });

  it('bounds inflation by the declared size: a header that understates it is caught', () => {
    const lying = writeZip([{ name: 'LIE.json', data: Buffer.alloc(50_000, 0x41) }]);
    lying.writeUInt32LE(100, central(lying) + 24); // claim 100 bytes uncompressed
    const zip = new ZipReader(lying, 'lie.zip');
    expect(() => zip.read(zip.entries[0] as never)).toThrow(/LIE.json: inflates to more than its declared 100 bytes/);
  });

  it('inflates entry after entry with one reused inflater, recovering after a bad entry', () => {
    const body = (i: number) => `{"id":"X-${i}","details":"${'lorem ipsum '.repeat(i % 7)}"}`;
    const buf = writeZip([
      ...Array.from({ length: 30 }, (_, i) => ({ name: `X-${i}.json`, data: body(i) })),
      { name: 'EMPTY.json', data: '' },
    ]);
    const zip = new ZipReader(buf, 'many.zip');
    // view() shares one buffer between calls; read() gives each entry its own.
    const read = zip.entries.map((e) => zip.read(e));
    expect(read.map((b) => b.toString())).toEqual([...Array.from({ length: 30 }, (_, i) => body(i)), '']);
    expect(zip.entries.map((e) => zip.view(e).toString())).toEqual(read.map((b) => b.toString()));

    // One byte more than declared, a truncated stream, garbage: each a clear error, and the next entry still reads.
    const entry = (name: string, data: string) => writeZip([{ name, data }]);
    const plusOne = entry('P.json', 'hello world');
    plusOne.writeUInt32LE(10, central(plusOne) + 24);
    const p = new ZipReader(plusOne, 'p.zip');
    expect(() => p.read(p.entries[0] as never)).toThrow(/P.json: inflates to 11 bytes, the directory says 10/);
    const truncated = entry('T.json', 'hello world, hello world, hello world');
    const t = new ZipReader(truncated, 't.zip');
    const first = t.entries[0] as (typeof t.entries)[number];
    const start = truncated.indexOf('T.json') + 'T.json'.length;
    truncated.fill(0xff, start, start + first.compressedSize); // not a deflate stream any more
    expect(() => t.read(first)).toThrow(/T.json: cannot inflate \(.+\)/);
    expect(zip.read(zip.entries[3] as never).toString()).toBe(body(3));
    const short = writeZip([{ name: 'S.json', data: 'hello world, hello world, hello world' }]);
    const s = new ZipReader(short, 's.zip');
    const e = { ...(s.entries[0] as (typeof s.entries)[number]) };
    (e as { compressedSize: number }).compressedSize -= 3; // the stream ends early
    expect(() => s.read(e)).toThrow(/S.json: cannot inflate \(unexpected end of file\)/);
    expect(s.read(s.entries[0] as never).toString()).toBe('hello world, hello world, hello world');
  });

  it.each([
    ['../evil.json'],
    ['dir/x.json'],
    ['/abs.json'],
    ['C:evil.json'],
    ['a\\b.json'],
    ['bad\u0001.json'],
    ['..'],
  ])('refuses the entry name %j (path traversal)', (name) => {
    const buf = writeZip([{ name, data: '{}' }]);
    expect(() => new ZipReader(buf, 'trav.zip')).toThrow(/refusing entry name/);
  });

  it('detects CRC mismatches, truncation, unknown methods and non-zips', () => {
    const buf = writeZip([{ name: 'A.json', data: 'hello world', store: true }]);
    const corrupt = Buffer.from(buf);
    corrupt[corrupt.indexOf('hello')] = 0x48;
    const zip = new ZipReader(corrupt, 'c.zip');
    expect(() => zip.read(zip.entries[0] as never)).toThrow(/A.json: CRC-32 mismatch/);
    expect(() => new ZipReader(buf.subarray(0, buf.length - 5), 't.zip')).toThrow(/no end-of-central-directory/);
    expect(() => new ZipReader(Buffer.from('not a zip at all, just text of some length'), 'n.zip')).toThrow(
      /not a zip archive/,
    );
    const method = Buffer.from(buf);
    method.writeUInt16LE(99, central(method) + 10);
    expect(() => new ZipReader(method, 'm.zip')).toThrow(/unsupported compression method 99/);
  });

  it('never crashes on arbitrary bytes: a DepsError or a valid read (property)', () => {
    const base = writeZip([
      { name: 'A.json', data: '{"id":"A"}' },
      { name: 'B.json', data: 'x'.repeat(300) },
    ]);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        (edits) => {
          const buf = Buffer.from(base);
          for (const [at, value] of edits) buf[at] = value;
          try {
            readAll(buf);
          } catch (error) {
            expect(error).toBeInstanceOf(DepsError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('offline database', () => {
  it('loads only the ecosystems scanned, indexes by package name, and parses only relevant advisories', () => {
    const dir = writeDb({
      npm: [
        advisory('GHSA-aaaa-aaaa-aaaa', 'npm', 'lodash', [{ introduced: '0' }, { fixed: '4.17.21' }]),
        advisory('GHSA-bbbb-bbbb-bbbb', 'npm', 'left-pad', [{ introduced: '0' }]),
      ],
    });
    mkdirSync(join(dir, 'PyPI'));
    writeFileSync(join(dir, 'PyPI', 'all.zip'), 'corrupt, but never read');
    const db = new OfflineDb({ dir }).load([{ ecosystem: 'npm', name: 'lodash' }]);
    expect(db.lookup('npm', 'lodash').map((a) => a.id)).toEqual(['GHSA-aaaa-aaaa-aaaa']);
    expect(db.loads).toMatchObject([{ ecosystem: 'npm', entries: 2, parsed: 1 }]);
    expect(() => db.load([{ ecosystem: 'PyPI', name: 'x' }])).toThrow(/PyPI\/all.zip: not a zip archive/);
  });

  it('fails clearly when an ecosystem has no export, naming where to get it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-osv-empty-'));
    expect(() => new OfflineDb({ dir }).load([{ ecosystem: 'Go', name: 'x' }])).toThrow(
      /has no Go\/all.zip; download it from https:\/\/osv-vulnerabilities.storage.googleapis.com\/Go\/all.zip/,
    );
  });

  it('names the entry of an invalid advisory', () => {
    const dir = writeDb({
      npm: [{ id: 'GHSA-cccc-cccc-cccc', modified: 5, affected: [{ package: { ecosystem: 'npm', name: 'lodash' } }] }],
    });
    expect(() => new OfflineDb({ dir }).load([{ ecosystem: 'npm', name: 'lodash' }])).toThrow(
      'npm/all.zip: GHSA-cccc-cccc-cccc.json: $.modified: expected a string, found number 5',
    );
  });

  it('parses an entry in full when its names cannot be read cheaply', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-osv-'));
    mkdirSync(join(dir, 'npm'));
    writeFileSync(
      join(dir, 'npm', 'all.zip'),
      writeZip([{ name: 'X.json', data: '{"id": "X-1", "modified": "m", "affected": [' }]),
    );
    expect(() => new OfflineDb({ dir }).load([{ ecosystem: 'npm', name: 'lodash' }])).toThrow(
      /npm\/all.zip: X.json: not valid JSON/,
    );
  });
});

describe('name index of an export', () => {
  it('lets a later load inflate only the entries naming scanned packages, with the same result', () => {
    const dir = writeDb({
      npm: Array.from({ length: 50 }, (_, i) =>
        advisory(`GHSA-${String(i).padStart(4, '0')}-aaaa-aaaa`, 'npm', `pkg-${i % 10}`, [{ introduced: '0' }]),
      ),
    });
    const indexDir = join(mkdtempSync(join(tmpdir(), 'airlock-index-')), 'idx');
    const want = [{ ecosystem: 'npm' as const, name: 'pkg-3' }];
    const cold = new OfflineDb({ dir, indexDir }).load(want);
    expect(cold.loads[0]).toMatchObject({ entries: 50, inflated: 50, parsed: 5, indexed: false });
    const [file] = readdirSync(indexDir);
    expect(statSync(join(indexDir, file as string)).mode & 0o777).toBe(0o600);
    const warm = new OfflineDb({ dir, indexDir }).load(want);
    expect(warm.loads[0]).toMatchObject({ entries: 50, inflated: 5, parsed: 5, indexed: true });
    expect(warm.lookup('npm', 'pkg-3').map((a) => a.id)).toEqual(cold.lookup('npm', 'pkg-3').map((a) => a.id));
    // a damaged index is ignored (and the archive read in full), never trusted
    writeFileSync(join(indexDir, file as string), '{"format":1,"digest":"x","entries":{}}');
    expect(new OfflineDb({ dir, indexDir }).load(want).loads[0]).toMatchObject({ inflated: 50, indexed: false });
  });
});

describe.skipIf(!HAS_SHARED_OSV)('the real Go and PyPI exports (../shared/osv)', () => {
  it('reads every advisory of both exports and validates them all', () => {
    const db = new OfflineDb({ dir: SHARED_OSV, parseAll: true }).load([
      { ecosystem: 'Go', name: 'x' },
      { ecosystem: 'PyPI', name: 'x' },
    ]);
    expect(db.loads.map((l) => [l.ecosystem, l.entries, l.parsed])).toEqual([
      ['Go', 4291, 4291],
      ['PyPI', 2661, 2661],
    ]);
  });

  it('matches known vulnerable versions exactly and not the fixed ones', () => {
    const db = new OfflineDb({ dir: SHARED_OSV }).load([
      { ecosystem: 'Go', name: 'github.com/gin-gonic/gin' },
      { ecosystem: 'PyPI', name: 'Jinja2' },
    ]);
    const gin = db.lookup('Go', 'github.com/gin-gonic/gin');
    const go001 = gin.find((a) => a.id === 'GO-2020-0001');
    expect(go001).toBeDefined();
    const scheme = versionScheme('Go');
    expect(
      evaluateAdvisory(go001 as never, { ecosystem: 'Go', name: 'github.com/gin-gonic/gin', version: 'v1.5.0' }, scheme)
        .kind,
    ).toBe('affected');
    expect(
      evaluateAdvisory(go001 as never, { ecosystem: 'Go', name: 'github.com/gin-gonic/gin', version: 'v1.6.0' }, scheme)
        .kind,
    ).toBe('not-affected');
    const jinja = db.lookup('PyPI', 'jinja2');
    expect(jinja.length).toBeGreaterThan(3);
    const pep440 = versionScheme('PyPI');
    const affected = (v: string) =>
      jinja
        .filter(
          (a) => evaluateAdvisory(a, { ecosystem: 'PyPI', name: 'jinja2', version: v }, pep440).kind === 'affected',
        )
        .map((a) => a.id);
    expect(affected('2.10').length).toBeGreaterThan(affected('3.1.6').length);
  });
});
