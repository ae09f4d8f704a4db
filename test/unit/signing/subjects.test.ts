import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { githubContextFromEnv } from '@airlock/core';
import {
  buildStatement,
  chooseEndpoints,
  githubProvenance,
  parseChecksums,
  parsePredicate,
  parseSigningConfig,
  resolveSubjects,
  sha256File,
} from '@airlock/signing';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'airlock-subjects-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

describe('subjects', () => {
  mkdirSync(join(dir, 'dist/nested'), { recursive: true });
  writeFileSync(join(dir, 'dist/a.tgz'), 'a');
  writeFileSync(join(dir, 'dist/nested/b.tgz'), 'b');
  writeFileSync(join(dir, 'dist/readme.txt'), 'r');

  it('expands globs and lists, names subjects by workspace path, and dedupes identical name+digest pairs', async () => {
    const subjects = await resolveSubjects({
      paths: ['dist/**/*.tgz', 'dist/a.tgz'],
      digests: [`sha256:${sha('a')}`, `sha256:${'A'.repeat(64)}`],
      names: ['dist/a.tgz', 'image'],
      root: dir,
    });
    expect(subjects.map((s) => [s.name, s.digest.sha256])).toEqual([
      ['dist/a.tgz', sha('a')],
      ['dist/nested/b.tgz', sha('b')],
      ['image', 'a'.repeat(64)],
    ]);
    expect(subjects[0]?.path).toBe(join(dir, 'dist/a.tgz'));
  });

  it('refuses patterns that match nothing, directories, and digests without names', async () => {
    await expect(resolveSubjects({ paths: ['out/*.zip'], root: dir })).rejects.toThrow(
      /the pattern 'out\/\*\.zip' matched no file/,
    );
    await expect(resolveSubjects({ paths: ['dist'], root: dir })).rejects.toThrow(/'dist' is a directory/);
    await expect(resolveSubjects({ paths: ['nope.bin'], root: dir })).rejects.toThrow(/'nope.bin' does not exist/);
    await expect(resolveSubjects({ digests: [`sha256:${sha('x')}`], root: dir })).rejects.toThrow(
      /1 digest\(s\) but input 'subject-name' has 0/,
    );
    await expect(resolveSubjects({ digests: ['md5:abc'], names: ['x'], root: dir })).rejects.toThrow(
      /item 1 must be sha256:<64 hex digits>; got 'md5:abc'/,
    );
  });

  it('hashes by streaming, equal to a one-shot hash, across chunk boundaries', async () => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    writeFileSync(join(dir, 'big.bin'), data);
    expect(await sha256File(join(dir, 'big.bin'))).toEqual({ digest: sha(data), size: data.byteLength });
    await expect(sha256File(join(dir, 'missing.bin'), 'missing.bin')).rejects.toThrow(
      /cannot read missing.bin: no such file/,
    );
  });
});

describe('checksum files', () => {
  it('reads sha256sum text and binary lines, escaped names and BSD tags', () => {
    const text = [
      `${sha('a')}  a.bin`,
      `${sha('b').toUpperCase()} *b.bin`,
      `\\${sha('c')}  c\\nd.bin`,
      `SHA256 (e.bin) = ${sha('e')}`,
      '',
      '# comment',
    ].join('\n');
    expect(parseChecksums(text, 'SUMS').map((s) => [s.name, s.digest.sha256])).toEqual([
      ['a.bin', sha('a')],
      ['b.bin', sha('b')],
      ['c\nd.bin', sha('c')],
      ['e.bin', sha('e')],
    ]);
  });

  it('names the file and line of a bad entry', () => {
    expect(() => parseChecksums(`${sha('a')}  a\nnot a checksum\n`, 'SUMS')).toThrow(
      /^SUMS:2: expected `<sha256 hex> {2}<file name>`/,
    );
    expect(() => parseChecksums(`${'ab'.repeat(16)}  md5.bin\n`, 'SUMS')).toThrow(
      /SUMS:1: the digest is not 64 hex digits/,
    );
    expect(() => parseChecksums('\n# nothing\n', 'SUMS')).toThrow(/SUMS: no checksums/);
  });

  it('never crashes on arbitrary text: a list of subjects or a SigningError naming the file', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        try {
          for (const s of parseChecksums(text, 'F')) expect(s.digest.sha256).toMatch(/^[0-9a-f]{64}$/);
        } catch (error) {
          expect((error as { code?: string }).code).toBe('checksums-invalid');
          expect((error as Error).message.startsWith('F')).toBe(true);
        }
      }),
    );
  });
});

describe('statements and provenance', () => {
  it('builds SLSA provenance v1 from the GitHub context and token claims', () => {
    const context = githubContextFromEnv({
      GITHUB_REPOSITORY: 'acme/app',
      GITHUB_WORKFLOW_REF: 'acme/app/.github/workflows/ci.yml@refs/heads/main',
      GITHUB_SHA: 'f'.repeat(40),
      GITHUB_REF: 'refs/heads/main',
      GITHUB_RUN_ID: '7',
      GITHUB_RUN_ATTEMPT: '2',
      GITHUB_EVENT_NAME: 'push',
      RUNNER_ENVIRONMENT: 'github-hosted',
    });
    const predicate = githubProvenance(context, {
      job_workflow_ref: 'acme/release/.github/workflows/build.yml@refs/tags/v1',
    });
    expect(predicate).toMatchObject({
      buildDefinition: {
        buildType: 'https://actions.github.io/buildtypes/workflow/v1',
        externalParameters: {
          workflow: {
            ref: 'refs/heads/main',
            repository: 'https://github.com/acme/app',
            path: '.github/workflows/ci.yml',
          },
        },
        resolvedDependencies: [
          { uri: 'git+https://github.com/acme/app@refs/heads/main', digest: { gitCommit: 'f'.repeat(40) } },
        ],
      },
      runDetails: {
        builder: { id: 'https://github.com/acme/release/.github/workflows/build.yml@refs/tags/v1' },
        metadata: { invocationId: 'https://github.com/acme/app/actions/runs/7/attempts/2' },
      },
    });
    expect(() => githubProvenance(githubContextFromEnv({}))).toThrow(/outside a GitHub Actions run/);
    expect(() => buildStatement([], 'x', {})).toThrow(/at least one subject/);
  });

  it('reports where a predicate is not JSON', () => {
    expect(() => parsePredicate('{\n  "a": 1,\n  oops\n}', 'predicate.json')).toThrow(
      /predicate.json is not valid JSON at line 3/,
    );
    expect(() => parsePredicate('[1]', 'p')).toThrow(/must be a JSON object/);
  });
});

describe('signing configs', () => {
  const config = (over: object = {}) =>
    JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
      caUrls: [{ url: 'https://fulcio.example', majorApiVersion: 1, validFor: { start: '2024-01-01T00:00:00Z' } }],
      rekorTlogUrls: [
        { url: 'https://rekor2.example', majorApiVersion: 2, validFor: { start: '2024-01-01T00:00:00Z' } },
        { url: 'https://rekor.example', majorApiVersion: 1, validFor: { start: '2024-01-01T00:00:00Z' } },
      ],
      tsaUrls: [
        {
          url: 'https://tsa.example/api/v1/timestamp',
          majorApiVersion: 1,
          validFor: { start: '2024-01-01T00:00:00Z', end: '2025-01-01T00:00:00Z' },
        },
      ],
      ...over,
    });

  it('picks the services in force with supported API versions', () => {
    // The highest Rekor API version in force wins (v2 over v1); parseSigningConfig leaves the TSA check to
    // chooseEndpoints.
    expect(parseSigningConfig(config(), 'sc.json', new Date('2026-01-01'))).toEqual({
      fulcio: 'https://fulcio.example',
      rekor: 'https://rekor2.example',
      tsa: undefined,
      tlogs: [{ url: 'https://rekor2.example', majorApiVersion: 2 }],
    });
    const v1Only = config({
      rekorTlogUrls: [
        { url: 'https://rekor.example', majorApiVersion: 1, validFor: { start: '2024-01-01T00:00:00Z' } },
      ],
    });
    expect(parseSigningConfig(v1Only, 'sc.json', new Date('2026-01-01')).tlogs).toEqual([
      { url: 'https://rekor.example', majorApiVersion: 1 },
    ]);
    expect(parseSigningConfig(config(), 'sc.json', new Date('2024-06-01')).tsa).toBe(
      'https://tsa.example/api/v1/timestamp',
    );
  });

  it('refuses bad configs and configurations that cannot prove a signing time', () => {
    expect(() => parseSigningConfig('{', 'sc.json')).toThrow(/sc.json is not valid JSON/);
    expect(() => parseSigningConfig(config({ mediaType: 'x' }), 'sc.json')).toThrow(/mediaType must be/);
    expect(() => parseSigningConfig(config({ caUrls: [] }), 'sc.json')).toThrow(/no caUrls entry is valid now/);
    expect(() => chooseEndpoints({ tlog: false })).toThrow(/needs a transparency log .* or a timestamp authority/);
    expect(chooseEndpoints({ staging: true }).fulcio).toBe('https://fulcio.sigstage.dev');
  });
});
