import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  canonicalJson,
  githubContextFromEnv,
  githubForTrail,
  type TrailEntry,
  TrailRecorder,
  verifyChain,
} from '@airlock/core';
import {
  buildTrailStatement,
  parseWitnesses,
  renderHtml,
  renderTable,
  type StatementVerifier,
  timeline,
  verifyTrail,
} from '@airlock/trail';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The verification logic on its own: chain, statement-vs-file, witness lines. The signature itself is checked by the
 * real Sigstore verifier in the e2e tests; here a stand-in verifier returns the statement a "bundle" carries and
 * refuses a wrong identity, so the logic around it can be tested exhaustively.
 */
const dir = mkdtempSync(join(tmpdir(), 'airlock-trail-verify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = (name: string, i: number, variant: string): TrailEntry => ({
  action: { name, version: '0.1.0', phase: 'main', repository: 'acme-sec/airlock', ref: 'v1' },
  step: `${name}-${i}`,
  github: githubForTrail(
    githubContextFromEnv({ GITHUB_REPOSITORY: 'acme/app', GITHUB_RUN_ID: '9', GITHUB_ACTOR: 'octocat' }),
  ),
  outcome: i === 2 ? 'failure' : 'success',
  error: i === 2 ? { code: 'scan-findings', message: '2 critical vulnerabilities' } : null,
  inputs: { 'fail-on': 'high', variant },
  subjects: i === 3 ? [{ name: 'app.tgz', digest: { sha256: 'b'.repeat(64) } }] : [],
  result: { count: i, tags: ['a', 'b'], nested: { ok: true } },
});

function makeTrail(n: number, variant = 'original') {
  const path = join(dir, `trail-${Math.random().toString(36).slice(2)}.jsonl`);
  const recorder = new TrailRecorder({ path, now: () => new Date('2026-11-22T12:00:00Z') });
  const witnesses: string[] = [];
  for (let i = 0; i < n; i++) {
    witnesses.push(
      `2026-11-22T12:00:0${i}.0000000Z ${recorder.append(entry(['audit', 'scan', 'sign', 'verify', 'trail'][i % 5] as string, i, variant)).witness}`,
    );
  }
  const text = readFileSync(path, 'utf8');
  return { text, log: ['2026-11-22T12:00:00.0000000Z ##[group]Run audit', ...witnesses].join('\n') };
}

const POLICY = {
  identity: 'https://github.com/acme/app/.github/workflows/ci.yml@refs/heads/main',
  issuer: 'https://token.actions.githubusercontent.com',
};
const stubVerifier: StatementVerifier = async (bundle, policy) => {
  const b = bundle as { statement: unknown; identity: string; issuer: string };
  if (b.identity !== policy.identity || b.issuer !== policy.issuer) {
    throw new Error(`certificate identity ${b.identity} does not match ${policy.identity}`);
  }
  return {
    statement: b.statement,
    signer: { identity: b.identity, issuer: b.issuer },
    signedAt: '2026-11-22T12:00:10Z',
  };
};
function seal(text: string) {
  const chain = verifyChain(text);
  if (!chain.ok) throw new Error('bad chain');
  return {
    statement: buildTrailStatement([{ name: 'trail.jsonl', text, records: chain.records, hashes: chain.hashes }]),
    ...POLICY,
  };
}

describe('verifyTrail', () => {
  const { text, log } = makeTrail(5);
  const bundle = seal(text);

  it('accepts an intact, sealed and witnessed trail', async () => {
    const result = await verifyTrail({
      trailText: text,
      trailName: 't.jsonl',
      bundle,
      policy: POLICY,
      verifyStatement: stubVerifier,
      log,
    });
    expect(result.ok).toBe(true);
    expect(result.checks.map((c) => c.check)).toEqual(['chain', 'signature', 'statement', 'witness']);
    expect(result.signer).toEqual({ identity: POLICY.identity, issuer: POLICY.issuer });
  });

  it('names the reason for each kind of tampering', async () => {
    const lines = text.trimEnd().split('\n');
    const verify = (t: string, extra: Partial<Parameters<typeof verifyTrail>[0]> = {}) =>
      verifyTrail({
        trailText: t,
        trailName: 't.jsonl',
        bundle,
        policy: POLICY,
        verifyStatement: stubVerifier,
        log,
        ...extra,
      });
    const edited = (i: number, fn: (r: Record<string, unknown>) => void) => {
      const copy = [...lines];
      const r = JSON.parse(copy[i] as string);
      fn(r);
      copy[i] = canonicalJson(r);
      return `${copy.join('\n')}\n`;
    };
    // a changed field breaks the chain at the next record
    expect((await verify(edited(1, (r) => (r.outcome = 'failure')))).failure).toMatchObject({ code: 'chain', seq: 3 });
    // a changed last record keeps the chain but not the seal
    expect((await verify(edited(4, (r) => (r.outcome = 'failure')))).failure).toMatchObject({
      code: 'statement-digest',
    });
    // deleted, reordered, duplicated, inserted records
    expect((await verify(`${[lines[0], lines[2], lines[3], lines[4]].join('\n')}\n`)).failure?.code).toBe('chain');
    expect((await verify(`${[lines[1], lines[0], ...lines.slice(2)].join('\n')}\n`)).failure?.code).toBe('chain');
    expect((await verify(`${[lines[0], lines[0], ...lines.slice(1)].join('\n')}\n`)).failure?.code).toBe('chain');
    // truncation: the chain is intact, the seal is for a longer trail
    const truncated = `${lines.slice(0, 3).join('\n')}\n`;
    expect((await verify(truncated)).failure).toMatchObject({ code: 'statement-digest' });
    // and without a seal, the witness log shows records were removed
    expect((await verify(truncated, { bundle: undefined })).failure).toMatchObject({ code: 'witness-extra', seq: 4 });
  });

  it('catches a consistently rewritten chain by the signature or by the witness log', async () => {
    const forged = makeTrail(5, 'forged'); // a whole new, internally consistent chain
    const withOldSeal = await verifyTrail({
      trailText: forged.text,
      trailName: 'f',
      bundle,
      policy: POLICY,
      verifyStatement: stubVerifier,
    });
    expect(withOldSeal.failure?.code).toBe('statement-digest');
    const forgedSeal = {
      ...seal(forged.text),
      identity: 'https://github.com/mallory/fork/.github/workflows/x.yml@refs/heads/main',
    };
    const withForgedSeal = await verifyTrail({
      trailText: forged.text,
      trailName: 'f',
      bundle: forgedSeal,
      policy: POLICY,
      verifyStatement: stubVerifier,
    });
    expect(withForgedSeal.failure).toMatchObject({ code: 'signature' });
    expect(withForgedSeal.failure?.message).toMatch(/does not match/);
    const againstLog = await verifyTrail({ trailText: forged.text, trailName: 'f', log });
    expect(againstLog.failure).toMatchObject({ code: 'witness-mismatch', seq: 1 });
  });

  it('checks witness lines: missing, mismatched, conflicting, none', async () => {
    const { text: t, log: l } = makeTrail(3);
    const logLines = l.split('\n');
    const drop = logLines.filter((x) => !x.includes('seq=2 ')).join('\n');
    expect((await verifyTrail({ trailText: t, trailName: 't', log: drop })).failure).toMatchObject({
      code: 'witness-missing',
      seq: 2,
    });
    const other = makeTrail(3, 'other').log; // witnesses of a different chain
    expect((await verifyTrail({ trailText: t, trailName: 't', log: other })).failure).toMatchObject({
      code: 'witness-mismatch',
      seq: 1,
    });
    const conflict = `${l}\nairlock-trail seq=1 sha256=${'c'.repeat(64)}`;
    expect((await verifyTrail({ trailText: t, trailName: 't', log: conflict })).failure).toMatchObject({
      code: 'witness-conflict',
      seq: 1,
    });
    expect((await verifyTrail({ trailText: t, trailName: 't', log: 'no witnesses here' })).failure?.code).toBe(
      'witness-none',
    );
    expect(parseWitnesses('x airlock-trail seq=1 sha256=abc')).toEqual([]); // not a full hash
  });

  it('accepts witnesses after the end of a sealed copy, but catches a trail truncated before the seal', async () => {
    const { text: t, log: l } = makeTrail(5);
    const sealedCopy = `${t.trimEnd().split('\n').slice(0, 3).join('\n')}\n`;
    const ok = await verifyTrail({
      trailText: sealedCopy,
      trailName: 's',
      bundle: seal(sealedCopy),
      policy: POLICY,
      verifyStatement: stubVerifier,
      log: l,
    });
    expect(ok.ok).toBe(true);
    // truncated to 3 records before sealing: the seal's own record takes seq 4 again, with another hash
    const sealRecord = makeTrail(4, 'seal-record')
      .log.split('\n')
      .find((x) => x.includes('seq=4 ')) as string;
    const conflict = await verifyTrail({
      trailText: sealedCopy,
      trailName: 's',
      bundle: seal(sealedCopy),
      policy: POLICY,
      verifyStatement: stubVerifier,
      log: `${l}\n${sealRecord}`,
    });
    expect(conflict.failure).toMatchObject({ code: 'witness-conflict', seq: 4 });
  });

  it('verifies each trail of a seal that covers several jobs, and only those', async () => {
    const a = makeTrail(2, 'job-a');
    const b = makeTrail(4, 'job-b');
    const chainOf = (t: string) => {
      const c = verifyChain(t);
      if (!c.ok) throw new Error('chain');
      return c;
    };
    const both = {
      statement: buildTrailStatement([
        { name: 'a/trail.jsonl', text: a.text, ...chainOf(a.text) },
        { name: 'b/trail.jsonl', text: b.text, ...chainOf(b.text) },
      ]),
      ...POLICY,
    };
    for (const t of [a, b]) {
      const r = await verifyTrail({
        trailText: t.text,
        trailName: 't',
        bundle: both,
        policy: POLICY,
        verifyStatement: stubVerifier,
        log: t.log,
      });
      expect(r.ok).toBe(true);
    }
    const c = makeTrail(2, 'job-c');
    const other = await verifyTrail({
      trailText: c.text,
      trailName: 'c',
      bundle: both,
      policy: POLICY,
      verifyStatement: stubVerifier,
    });
    expect(other.failure?.code).toBe('statement-digest');
    expect(both.statement.subject.map((s) => s.name)).toEqual(['a/trail.jsonl', 'b/trail.jsonl', 'app.tgz']);
  });

  it('detects any random mutation of the file (property)', async () => {
    const lines = text.trimEnd().split('\n');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({
            kind: fc.constant('edit' as const),
            line: fc.nat(lines.length - 1),
            at: fc.nat(400),
            char: fc.string({ minLength: 1, maxLength: 1 }),
          }),
          fc.record({ kind: fc.constant('delete' as const), line: fc.nat(lines.length - 1) }),
          fc.record({ kind: fc.constant('swap' as const), a: fc.nat(lines.length - 1), b: fc.nat(lines.length - 1) }),
          fc.record({ kind: fc.constant('duplicate' as const), line: fc.nat(lines.length - 1) }),
          fc.record({ kind: fc.constant('truncate' as const), bytes: fc.integer({ min: 1, max: text.length - 1 }) }),
        ),
        async (m) => {
          const copy = [...lines];
          let mutated: string;
          if (m.kind === 'edit') {
            const line = copy[m.line] as string;
            const at = m.at % line.length;
            fc.pre(line[at] !== m.char);
            copy[m.line] = line.slice(0, at) + m.char + line.slice(at + 1);
            mutated = `${copy.join('\n')}\n`;
          } else if (m.kind === 'delete') {
            copy.splice(m.line, 1);
            mutated = `${copy.join('\n')}\n`;
          } else if (m.kind === 'swap') {
            fc.pre(m.a !== m.b);
            [copy[m.a], copy[m.b]] = [copy[m.b] as string, copy[m.a] as string];
            mutated = `${copy.join('\n')}\n`;
          } else if (m.kind === 'duplicate') {
            copy.splice(m.line, 0, copy[m.line] as string);
            mutated = `${copy.join('\n')}\n`;
          } else {
            mutated = text.slice(0, text.length - m.bytes);
          }
          fc.pre(mutated !== text && mutated.trimEnd() !== text.trimEnd());
          const result = await verifyTrail({
            trailText: mutated,
            trailName: 't',
            bundle,
            policy: POLICY,
            verifyStatement: stubVerifier,
            log,
          });
          expect(result.ok).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('trail show', () => {
  it('renders who, what, artifacts and decisions, escaping everything in HTML', () => {
    const { text } = makeTrail(4);
    const chain = verifyChain(text);
    if (!chain.ok) throw new Error('chain');
    const entries = timeline(chain.records, chain.hashes);
    expect(entries[0]).toMatchObject({ seq: 1, action: 'audit', who: 'actor octocat; action acme-sec/airlock@v1' });
    expect(entries[0]?.facts).toEqual(['count: 0', 'nested.ok: true', 'tags: a, b']);
    expect(entries[3]?.subjects).toEqual([{ name: 'app.tgz', sha256: 'b'.repeat(64) }]);
    const table = renderTable(entries);
    expect(table).toMatch(/#3 .* sign .* FAILED/);
    expect(table).toContain('error: scan-findings: 2 critical vulnerabilities');
    const html = renderHtml(entries, 'Trail <of> acme/app', { ok: true, text: 'chain intact' });
    expect(html).toContain('Trail &lt;of&gt; acme/app');
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain("default-src 'none'");
  });
});
