// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub expression syntax throughout, not JavaScript templates
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliIO, commands, EXIT, runCli } from '@airlock/cli';
import { GitHubApi } from '@airlock/testkit/github-api';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../support/paths.ts';

/** `airlock audit` through the CLI framework, and once through the real bin. */
const BAD = `on:
  issues:
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      # keep this comment
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - run: echo "\${{ github.event.issue.title }}"
`;

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function repo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-audit-cli-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

async function cli(argv: string[], cwd: string, env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (t: string) => (stdout += t), isTTY: false },
    stderr: { write: (t: string) => (stderr += t), isTTY: false },
    env,
    cwd,
  };
  const code = await runCli(argv, io, commands);
  return { code, stdout, stderr };
}

describe('airlock audit', () => {
  it('prints findings as path:line:col with severity and rule, and the fixes as a diff; exits 1 at fail-on', async () => {
    const dir = repo({ '.github/workflows/ci.yml': BAD });
    const r = await cli(['audit'], dir);
    expect(r.code).toBe(EXIT.findings);
    expect(r.stdout).toMatch(
      /^\.github\/workflows\/ci\.yml:10:20 {2}critical template-injection {2}step 2: \$\{\{ github\.event\.issue\.title \}\}/m,
    );
    expect(r.stdout).toMatch(/^\.github\/workflows\/ci\.yml:9:15 {2}medium {3}artipacked/m);
    expect(r.stdout).toMatch(/^\d+ findings \(1 critical, /m);
    expect(r.stdout).toContain(
      'Safe fixes for 2 finding(s) (airlock audit --fix writes them):\n--- a/.github/workflows/ci.yml',
    );
    expect((await cli(['audit', '--fail-on', 'never'], dir)).code).toBe(EXIT.ok);
  });

  it('--format json prints [{rule, severity, path, line, column, message}] with 1-based positions', async () => {
    const dir = repo({ '.github/workflows/ci.yml': BAD });
    const r = await cli(['audit', '.', '--format', 'json'], dir);
    const findings = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(findings.find((f) => f.rule === 'template-injection')).toEqual({
      rule: 'template-injection',
      severity: 'critical',
      path: '.github/workflows/ci.yml',
      line: 10,
      column: 20,
      message: expect.stringContaining('into the run script'),
    });
    for (const f of findings) expect(Object.keys(f)).toEqual(['rule', 'severity', 'path', 'line', 'column', 'message']);
    const withInventory = JSON.parse((await cli(['audit', '--format', 'json', '--inventory'], dir)).stdout);
    expect(Object.keys(withInventory)).toEqual(['findings', 'inventory']);
    expect(withInventory.inventory.jobs[0]).toMatchObject({ job: 'build', token: { permissions: {} } });
  });

  it('--format sarif prints SARIF 2.1.0', async () => {
    const dir = repo({ '.github/workflows/ci.yml': BAD });
    const sarif = JSON.parse((await cli(['audit', '--format', 'sarif'], dir)).stdout);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].tool.driver.name).toBe('airlock-audit');
    expect(sarif.runs[0].results.some((r: { ruleId: string }) => r.ruleId === 'template-injection')).toBe(true);
  });

  it('--fix writes the safe fixes, keeps comments, and exits on what is left', async () => {
    const dir = repo({ '.github/workflows/ci.yml': BAD });
    const r = await cli(['audit', '--fix', '--fail-on', 'low'], dir);
    const fixed = readFileSync(join(dir, '.github/workflows/ci.yml'), 'utf8');
    expect(fixed).toContain('# keep this comment');
    expect(fixed).toContain('# v4.2.2');
    expect(fixed).toContain('persist-credentials: false');
    expect(fixed).toContain('echo "${ISSUE_TITLE}"');
    expect(r.stderr).toMatch(/^airlock audit: fixed 2 finding\(s\) in 1 file\(s\):/);
    expect(r.stdout).not.toMatch(/template-injection|artipacked/);
    const again = await cli(['audit', '--fail-on', 'low'], dir);
    expect(again.stdout).not.toContain('Safe fixes');
  });

  it('audits single files and directories, and says what is wrong with bad input (exit 2)', async () => {
    const dir = repo({
      'wf.yml': BAD,
      'actions/a/action.yml': 'name: a\ndescription: a\nruns:\n  using: node24\n  main: a.js\n',
    });
    expect((await cli(['audit', 'wf.yml', '--fail-on', 'never'], dir)).stdout).toMatch(/^wf\.yml:10:20/m);
    expect((await cli(['audit', 'actions'], dir)).stdout).toBe('no findings\n');
    const missing = await cli(['audit', 'nope.yml'], dir);
    expect([missing.code, missing.stderr]).toEqual([EXIT.usage, 'airlock audit: nope.yml does not exist\n']);
    const failOn = await cli(['audit', '--fail-on', 'loud'], dir);
    expect(failOn.code).toBe(EXIT.usage);
    expect(failOn.stderr).toMatch(
      /option '--fail-on' must be one of critical, high, medium, low, note, never; got 'loud'/,
    );
    writeFileSync(join(dir, 'airlock.yml'), 'audit:\n  rules:\n    artipacked: sometimes\n');
    const config = await cli(['audit', 'wf.yml'], dir);
    expect(config.code).toBe(EXIT.usage);
    expect(config.stderr).toMatch(
      /^airlock audit: airlock.yml:3: rule 'artipacked' must be on, off, a severity or a mapping/,
    );
    const format = await cli(['audit', '--format', 'xml'], dir);
    expect(format.code).toBe(EXIT.usage);
  });

  it('--online checks reviews and branch rules with the token from GITHUB_TOKEN', async () => {
    const token = ['ghs', 'cli', String(process.pid)].join('_');
    const api = await GitHubApi.start({ token });
    try {
      api.addRepository('acme/app').addCommit('acme/app', 'c'.repeat(40));
      const dir = repo({ '.github/workflows/ci.yml': 'on: push\npermissions: {}\njobs: {}\n' });
      const args = ['audit', '--online', '--repository', 'acme/app', '--sha', 'c'.repeat(40), '--branch', 'main'];
      const r = await cli([...args, '--api-url', api.url, '--format', 'json'], dir, { GITHUB_TOKEN: token });
      expect(r.code).toBe(EXIT.findings);
      expect(JSON.parse(r.stdout).map((f: { rule: string; path: string }) => [f.rule, f.path])).toEqual([
        ['branch-protection', 'github:acme/app'],
        ['branch-protection', 'github:acme/app'],
        ['two-person-review', 'github:acme/app'],
      ]);
      const noToken = await cli([...args, '--api-url', api.url], dir);
      expect(noToken.stderr).toMatch(/--online needs a token in GITHUB_TOKEN or GH_TOKEN/);
      const http = await cli([...args, '--api-url', 'http://example.com'], dir, { GITHUB_TOKEN: token });
      expect(http.stderr).toMatch(/option '--api-url' must be https/);
    } finally {
      await api.stop();
    }
  });

  it('is registered in the airlock command (the real bin)', () => {
    const dir = repo({ 'wf.yml': BAD });
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'packages/cli/bin/airlock.js'), 'audit', 'wf.yml', '--format', 'json'],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).length).toBeGreaterThan(0);
    const help = spawnSync(process.execPath, [join(ROOT, 'packages/cli/bin/airlock.js'), '--help'], {
      encoding: 'utf8',
    });
    expect(help.stdout).toMatch(/^ {2}audit +Audit GitHub Actions workflows/m);
  });
});
