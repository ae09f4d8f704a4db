import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliIO, commands, EXIT, runCli } from '@airlock/cli';
import { githubContextFromEnv, githubForTrail, TrailRecorder } from '@airlock/core';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'airlock-trail-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io() {
  let stdout = '';
  let stderr = '';
  const value: CliIO = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: {},
    cwd: dir,
  };
  return { io: value, out: () => stdout, err: () => stderr };
}

const recorder = new TrailRecorder({ path: join(dir, 'trail.jsonl'), now: () => new Date('2026-11-22T12:00:00Z') });
const witnesses: string[] = [];
for (const name of ['audit', 'scan']) {
  witnesses.push(
    recorder.append({
      action: { name, version: '0.1.0', phase: 'main', repository: null, ref: null },
      step: name,
      github: githubForTrail(githubContextFromEnv({ GITHUB_ACTOR: 'octocat' })),
      outcome: 'success',
      error: null,
      inputs: {},
      subjects: [{ name: 'dist/app.tgz', digest: { sha256: 'e'.repeat(64) } }],
      result: { findings: 0 },
    }).witness,
  );
}
writeFileSync(join(dir, 'job.log'), witnesses.map((w) => `2026-11-22T12:00:00.0000000Z ${w}`).join('\n'));
writeFileSync(join(dir, 'short.log'), `2026-11-22T12:00:00.0000000Z ${witnesses[0]}`);

describe('airlock trail verify --log', () => {
  it('passes when every record is witnessed', async () => {
    const a = io();
    expect(await runCli(['trail', 'verify', 'trail.jsonl', '--log', 'job.log'], a.io, commands)).toBe(EXIT.ok);
    expect(a.out()).toMatch(/ok {3}witness: every record witnessed/);
  });

  it('fails naming the record that has no witness', async () => {
    const a = io();
    expect(
      await runCli(['trail', 'verify', 'trail.jsonl', '--log', 'short.log', '--format', 'json'], a.io, commands),
    ).toBe(EXIT.findings);
    expect(JSON.parse(a.out()).failure).toMatchObject({ code: 'witness-missing', seq: 2 });
  });
});

describe('airlock trail show', () => {
  it('renders table, json and html', async () => {
    const t = io();
    expect(await runCli(['trail', 'show', 'trail.jsonl'], t.io, commands)).toBe(EXIT.ok);
    expect(t.out()).toMatch(/#2 .* scan .* ok/);
    expect(t.out()).toContain(`artifact dist/app.tgz sha256:${'e'.repeat(64)}`);
    const j = io();
    await runCli(['trail', 'show', 'trail.jsonl', '--format', 'json'], j.io, commands);
    expect(JSON.parse(j.out()).entries).toHaveLength(2);
    const h = io();
    await runCli(['trail', 'show', 'trail.jsonl', '--format', 'html'], h.io, commands);
    expect(h.out()).toMatch(/^<!doctype html>/);
  });
});
