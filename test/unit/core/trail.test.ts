import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  canonicalJson,
  GENESIS_HASH,
  githubContextFromEnv,
  githubForTrail,
  recordHash,
  sha256Hex,
  type TrailEntry,
  TrailRecorder,
  trailPath,
  verifyChain,
  witnessLine,
} from '@airlock/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempTrail = () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-trail-'));
  dirs.push(dir);
  return trailPath(dir);
};

const entry = (name: string, result: Record<string, string | number> = {}): TrailEntry => ({
  action: { name, version: '0.1.0', phase: 'main', repository: null, ref: null },
  step: name,
  github: githubForTrail(githubContextFromEnv({ GITHUB_REPOSITORY: 'acme/app', GITHUB_RUN_ID: '7' })),
  outcome: 'success',
  error: null,
  inputs: { mode: 'x' },
  subjects: [],
  result,
});

const clock = (start = Date.UTC(2026, 10, 22, 12, 0, 0)) => {
  let t = start;
  return () => {
    t += 1000;
    return new Date(t);
  };
};

function writeTrail(n: number): { path: string; text: string } {
  const path = tempTrail();
  const recorder = new TrailRecorder({ path, now: clock() });
  for (let i = 0; i < n; i++) recorder.append(entry(`step${i}`, { i }));
  return { path, text: readFileSync(path, 'utf8') };
}

describe('TrailRecorder', () => {
  it('chains records: seq from 1, prev = sha256 of the previous canonical record', () => {
    const path = tempTrail();
    const recorder = new TrailRecorder({ path, now: clock() });
    const first = recorder.append(entry('scan'));
    const second = recorder.append(entry('sign'));
    expect(first.record.seq).toBe(1);
    expect(first.record.prev).toBe(GENESIS_HASH);
    expect(second.record.seq).toBe(2);
    expect(second.record.prev).toBe(first.sha256);
    expect(first.sha256).toBe(sha256Hex(canonicalJson(first.record)));
    expect(first.witness).toBe(witnessLine(1, first.sha256));
    expect(first.witness).toMatch(/^airlock-trail seq=1 sha256=[0-9a-f]{64}$/);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines).toEqual([canonicalJson(first.record), canonicalJson(second.record)]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('records UTC times from the injected clock', () => {
    const path = tempTrail();
    const { record } = new TrailRecorder({ path, now: () => new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)) }).append(
      entry('x'),
    );
    expect(record.time).toBe('2026-01-02T03:04:05.006Z');
  });

  it('replaces registered secrets anywhere in the record', () => {
    const secret = ['s3', 'cr3t', '-', 'v4lue'].join('');
    const path = tempTrail();
    new TrailRecorder({ path, secrets: () => [secret] }).append({
      ...entry('x', { note: `token ${secret} leaked` }),
      error: { code: 'e', message: `bad ${secret}` },
    });
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain(secret);
    expect(text).toContain('token *** leaked');
    expect(verifyChain(text).ok).toBe(true);
  });

  it('keeps appending after a corrupt last line, and the chain then fails to verify', () => {
    const { path } = writeTrail(2);
    writeFileSync(path, `${readFileSync(path, 'utf8')}{not json\n`);
    const appended = new TrailRecorder({ path }).append(entry('after'));
    expect(appended.warnings[0]).toMatch(/line 3\) is not a valid record/);
    expect(appended.record.seq).toBe(4);
    const report = verifyChain(readFileSync(path, 'utf8'));
    expect(report).toMatchObject({ ok: false, code: 'malformed', line: 3 });
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain and returns each record hash', () => {
    const { text } = writeTrail(5);
    const report = verifyChain(text);
    expect(report.ok).toBe(true);
    if (report.ok) {
      expect(report.records).toHaveLength(5);
      expect(report.hashes).toEqual(report.records.map(recordHash));
    }
  });

  it('names the first bad line and why', () => {
    const { text } = writeTrail(4);
    const lines = text.trimEnd().split('\n');
    const edit = (i: number, fn: (r: Record<string, unknown>) => void) => {
      const copy = [...lines];
      const record = JSON.parse(copy[i] as string);
      fn(record);
      copy[i] = JSON.stringify(record);
      return copy.join('\n');
    };
    expect(verifyChain('', 't.jsonl')).toMatchObject({ ok: false, code: 'empty' });
    expect(
      verifyChain(
        edit(1, (r) => ((r.result as Record<string, unknown>).i = 99)),
        't.jsonl',
      ),
    ).toMatchObject({
      ok: false,
      code: 'prev-mismatch',
      line: 3,
      message: expect.stringMatching(/^t\.jsonl:3: record seq 3 does not chain to record seq 2/),
    });
    expect(verifyChain([lines[0], lines[2], lines[1], lines[3]].join('\n'))).toMatchObject({
      ok: false,
      code: 'sequence',
      line: 2,
    });
    expect(verifyChain([lines[0], lines[1], lines[1]].join('\n'))).toMatchObject({
      ok: false,
      code: 'sequence',
      line: 3,
    });
    expect(verifyChain(lines.slice(1).join('\n'))).toMatchObject({ ok: false, code: 'sequence', line: 1 });
    expect(verifyChain(edit(0, (r) => (r.v = 2)))).toMatchObject({ ok: false, code: 'unknown-version', line: 1 });
    expect(verifyChain(edit(2, (r) => delete r.subjects))).toMatchObject({ ok: false, code: 'malformed', line: 3 });
    expect(verifyChain(`${lines[0]}\n[1,2]`)).toMatchObject({ ok: false, code: 'malformed', line: 2 });
    expect(verifyChain(`${lines[0]}\n${(lines[1] as string).slice(0, 40)}`)).toMatchObject({
      ok: false,
      code: 'malformed',
      line: 2,
    });
  });

  it('detects any single-character change to any record (property)', () => {
    const { text } = writeTrail(4);
    const body = text.trimEnd();
    fc.assert(
      fc.property(fc.nat(body.length - 1), fc.integer({ min: 32, max: 126 }), (at, code) => {
        const replacement = String.fromCharCode(code);
        fc.pre(body[at] !== replacement && body[at] !== '\n');
        const tampered = body.slice(0, at) + replacement + body.slice(at + 1);
        const report = verifyChain(tampered);
        // A change either breaks the chain or yields records whose canonical form differs: the hash of the last
        // record (what the seal signs) never survives unchanged.
        if (report.ok) {
          const original = verifyChain(body);
          expect(original.ok && report.hashes.at(-1) !== original.hashes.at(-1)).toBe(true);
        } else {
          expect(report.line).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 300 },
    );
  });
});
