// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub expression syntax throughout, not JavaScript templates
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuditError,
  auditPaths,
  auditTexts,
  discover,
  findingRecords,
  inventory,
  parseConfig,
  parseSource,
  planFixes,
  RULES,
  toSarif,
} from '@airlock/audit';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../../support/paths.ts';

const audit = (text: string, path = 'wf.yml', config?: ReturnType<typeof parseConfig>, now?: Date) =>
  auditTexts([{ path, text }], { ...(config ? { config } : {}), ...(now ? { now } : {}) });

const INJECTED = `on: issues
permissions: {}
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - name: greet
        run: |
          set -e
          echo "Hello ${'${{ github.event.issue.title }}'}"
      - run: "echo ${'${{ github.event.issue.body }}'}"
`;

describe('positions', () => {
  it('points at the exact line and column of an expression inside a block or quoted scalar', () => {
    const { findings } = audit(INJECTED);
    const injections = findings.filter((f) => f.rule === 'template-injection');
    expect(injections.map((f) => [f.line, f.column, f.endColumn])).toEqual([
      [10, 23, 54],
      [11, 20, 50],
    ]);
    const line10 = INJECTED.split('\n')[9] as string;
    expect(line10.slice(22, 53)).toBe('${{ github.event.issue.title }}');
  });

  it('audits what parsed in a partly invalid file and reports the YAML errors with positions', () => {
    const text = readFileSync(join(FIXTURES, 'audit/yaml-syntax/positive.yml'), 'utf8');
    const { findings } = audit(text);
    expect(findings.find((f) => f.rule === 'yaml-syntax')).toMatchObject({ line: 8, column: 5 });
    expect(findings.find((f) => f.rule === 'template-injection')).toMatchObject({ line: 7 });
  });

  it('handles hostile YAML without hanging: deep nesting, alias bombs, several documents, an empty file', () => {
    const deep = audit(`on: push\njobs: ${'['.repeat(3000)}${']'.repeat(3000)}\n`);
    expect(deep.findings.some((f) => f.rule === 'yaml-syntax' || f.rule === 'workflow-structure')).toBe(true);
    const bomb = audit(
      'a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\non: push\njobs: {}\n',
    );
    expect(bomb.findings.filter((f) => f.rule === 'yaml-syntax')).toEqual([]);
    expect(audit('on: push\n---\nx: 1\n').findings[0]?.message).toMatch(/one YAML document/);
    expect(audit('').findings.map((f) => f.message)).toEqual(['the workflow file is empty']);
  });
});

describe('configuration', () => {
  const WORKFLOW = `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
`;
  it('turns rules off, overrides severities, ignores by path with a reason, and reports expired ignores', () => {
    const config = parseConfig(
      `audit:
  fail-on: medium
  exclude: [vendor/**]
  rules:
    artipacked: off
    unpinned-uses: { severity: critical }
  ignore:
    - rule: excessive-permissions
      paths: [wf.yml]
      reason: legacy workflow, replaced in Q3
      expires: 2027-01-31
    - rule: unpinned-uses
      path: other.yml
      reason: expired exception
      expires: 2026-01-31
`,
      'airlock.yml',
    );
    expect(config.failOn).toBe('medium');
    const now = new Date('2026-11-22T12:00:00Z');
    const r = audit(WORKFLOW, 'wf.yml', config, now);
    expect(r.findings.map((f) => [f.rule, f.severity])).toEqual([
      ['expired-ignore', 'low'],
      ['unpinned-uses', 'critical'],
    ]);
    expect(r.suppressed.map((f) => [f.rule, f.suppressed?.where])).toEqual([
      ['excessive-permissions', 'airlock.yml:8'],
    ]);
    const other = audit(WORKFLOW, 'other.yml', config, now);
    expect(other.findings.map((f) => f.rule).sort()).toEqual([
      'excessive-permissions',
      'expired-ignore',
      'unpinned-uses',
    ]);
    expect(other.findings.find((f) => f.rule === 'expired-ignore')).toMatchObject({ path: 'airlock.yml', line: 12 });
    // the day of expiry still counts
    const lastDay = audit(WORKFLOW, 'wf.yml', config, new Date('2027-01-31T23:59:00Z'));
    expect(lastDay.suppressed).toHaveLength(1);
  });

  it('names the file and line of every mistake', () => {
    const bad: Array<[string, RegExp]> = [
      ['audit:\n  rules:\n    no-such-rule: off\n', /^airlock.yml:3: unknown rule 'no-such-rule'/],
      ['audit:\n  rules:\n    artipacked: loud\n', /^airlock.yml:3: rule 'artipacked' must be on, off, a severity/],
      ['audit:\n  fail-on: sometimes\n', /^airlock.yml:2: 'fail-on' must be one of critical, high/],
      [
        'audit:\n  ignore:\n    - rule: artipacked\n      paths: [x]\n',
        /^airlock.yml:3: an ignore entry needs a 'reason'/,
      ],
      [
        'audit:\n  ignore:\n    - rule: artipacked\n      reason: r\n      expires: 31/12/2026\n',
        /^airlock.yml:5: 'expires' must be a date like 2026-06-30/,
      ],
      ['audit:\n  ignore:\n    - rule: artipacked\n      reason: r\n      expires: 2026-02-30\n', /^airlock.yml:5:/],
      ['audit:\n  colour: blue\n', /^airlock.yml:2: unknown key 'colour'/],
      ['audit: [\n', /^airlock.yml:\d+: not valid YAML/],
    ];
    for (const [text, message] of bad) {
      expect(() => parseConfig(text, 'airlock.yml'), text).toThrow(message);
      try {
        parseConfig(text, 'airlock.yml');
      } catch (e) {
        expect(e).toBeInstanceOf(AuditError);
        expect((e as AuditError).code).toBe('config-invalid');
      }
    }
    expect(parseConfig('scan:\n  fail-on: high\n', 'airlock.yml').rules.size).toBe(0);
  });

  it('honours inline ignores with a reason, and reports the ones that do not apply', () => {
    const text = `on: push
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      # airlock: ignore[unpinned-uses, artipacked] vendored composite, reviewed 2026-10
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4 # airlock: ignore[unpinned-uses]
      - uses: actions/setup-go@v5 # airlock: ignore[no-such-rule] typo
      - run: |
          # airlock: ignore[template-injection] this is shell, not YAML
          echo "\${{ github.event.head_commit.message }}"
      - run: echo ok # airlock: ignore[artipacked] nothing to silence here
`;
    const r = audit(text);
    expect(r.suppressed.map((f) => [f.rule, f.line, f.suppressed?.kind])).toEqual([
      ['artipacked', 8, 'inline'],
      ['unpinned-uses', 8, 'inline'],
    ]);
    const by = (rule: string) => r.findings.filter((f) => f.rule === rule).map((f) => f.line);
    expect(by('unpinned-uses')).toEqual([9, 10]);
    expect(by('invalid-ignore')).toEqual([9, 10, 14]);
    expect(r.findings.find((f) => f.line === 9 && f.rule === 'invalid-ignore')?.message).toMatch(/gives no reason/);
    expect(r.findings.find((f) => f.line === 10 && f.rule === 'invalid-ignore')?.message).toMatch(
      /unknown rule no-such-rule/,
    );
    expect(r.findings.find((f) => f.line === 14 && f.rule === 'invalid-ignore')?.message).toMatch(/silences nothing/);
    expect(by('template-injection')).toEqual([13]);
  });
});

describe('safe fixes', () => {
  const BAD = `# CI for the thing
on:
  issues: # comments survive
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - name: title
        run: |
          echo '${'${{ github.event.issue.title }}'}'   # quoted
          printf '%s\\n' "${'${{ github.event.issue.title }}'}"
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          path: other
  win:
    runs-on: windows-latest
    permissions:
      contents: read
    steps:
      - run: Write-Output "${'${{ github.head_ref }}'}"
      - if: |
          ${"${{ github.ref == 'refs/heads/main' }}"}
        run: echo deploy
`;

  it('fixes what it says, keeps comments and formatting, and leaves valid YAML that audits clean for those rules', () => {
    const result = audit(BAD);
    const plan = planFixes(result);
    const fixed = plan.files.get('wf.yml') as string;
    expect(fixed).toBeDefined();
    expect(parseSource('wf.yml', fixed).errors).toEqual([]);
    for (const comment of ['# CI for the thing', '# comments survive', '# v4.2.2', '# quoted']) {
      expect(fixed).toContain(comment);
    }
    expect(fixed).toContain('permissions: {}\n\njobs:');
    expect(fixed).toContain('    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n');
    expect(fixed).toContain(`echo "\${ISSUE_TITLE}"   # quoted`);
    expect(fixed).toContain(`printf '%s\\n' "\${ISSUE_TITLE}"`);
    expect(fixed).toContain('          ISSUE_TITLE: ${{ github.event.issue.title }}\n');
    expect(fixed).toContain('Write-Output "$env:HEAD_REF"');
    expect(fixed).toContain('        with:\n          persist-credentials: false\n');
    expect(fixed).toContain('        with:\n          path: other\n          persist-credentials: false\n');
    expect(fixed).toContain('      - if: |-\n');
    const after = audit(fixed);
    const left = new Set(after.findings.map((f) => f.rule));
    for (const rule of ['template-injection', 'artipacked', 'excessive-permissions', 'unsound-condition']) {
      expect(left.has(rule), `${rule} after the fix:\n${fixed}`).toBe(false);
    }
    // idempotent
    expect(planFixes(after).files.size).toBe(0);
    expect(plan.diff).toMatch(/^--- a\/wf.yml\n\+\+\+ b\/wf.yml\n@@ -\d+,\d+ \+\d+,\d+ @@/);
  });

  it('offers no permissions fix when a job uses an action the knowledge base does not know', () => {
    const text =
      'on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: acme/mystery@11bd71901bbe5b1630ceea73d27597364c9af683 # v1\n';
    const f = audit(text).findings.find((x) => x.rule === 'excessive-permissions');
    expect(f?.fix).toBeUndefined();
  });
});

describe('outputs', () => {
  it('JSON findings have exactly rule, severity, path, line, column and message, 1-based', () => {
    const records = findingRecords(audit(INJECTED).findings);
    expect(records.length).toBeGreaterThan(0);
    for (const r of records) {
      expect(Object.keys(r)).toEqual(['rule', 'severity', 'path', 'line', 'column', 'message']);
      expect(r.line).toBeGreaterThanOrEqual(1);
      expect(r.column).toBeGreaterThanOrEqual(1);
    }
  });

  it('SARIF 2.1.0: every rule described, results indexed to their rule, regions, fingerprints, suppressions', () => {
    const text = `${INJECTED}      - uses: actions/checkout@v4 # airlock: ignore[unpinned-uses] pinned by the org proxy\n`;
    const r = audit(text);
    const lineText = (path: string, line: number) => r.files.get(path)?.lineText(line);
    const sarif = toSarif(r.findings, r.suppressed, { version: '1.2.3', lineText }) as {
      version: string;
      runs: Array<{
        tool: { driver: { name: string; rules: Array<{ id: string; properties: Record<string, string> }> } };
        results: Array<{
          ruleId: string;
          ruleIndex: number;
          level: string;
          locations: Array<{ physicalLocation: { region: Record<string, number>; artifactLocation: { uri: string } } }>;
          partialFingerprints: Record<string, string>;
          suppressions?: Array<{ kind: string; justification: string }>;
        }>;
      }>;
    };
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0];
    if (run === undefined) throw new Error('no run');
    expect(run.tool.driver.rules.map((x) => x.id)).toEqual(RULES.map((x) => x.id));
    for (const rule of run.tool.driver.rules) expect(Number(rule.properties['security-severity'])).toBeGreaterThan(0);
    for (const res of run.results) {
      expect(run.tool.driver.rules[res.ruleIndex]?.id).toBe(res.ruleId);
      expect(['error', 'warning', 'note']).toContain(res.level);
      expect(res.locations[0]?.physicalLocation.artifactLocation.uri).toBe('wf.yml');
      expect(res.locations[0]?.physicalLocation.region.startLine).toBeGreaterThanOrEqual(1);
      expect(res.partialFingerprints['airlockAudit/v1']).toMatch(/^[0-9a-f]{64}$/);
    }
    const suppressed = run.results.filter((x) => x.suppressions !== undefined);
    expect(suppressed.map((x) => [x.ruleId, x.suppressions?.[0]?.kind])).toEqual([['unpinned-uses', 'inSource']]);
    const fingerprints = run.results.map((x) => x.partialFingerprints['airlockAudit/v1']);
    expect(new Set(fingerprints).size).toBe(fingerprints.length);
    // stable: moving the workflow down a line keeps the fingerprints
    const moved = audit(`# a comment\n${text}`);
    const again = toSarif(moved.findings, moved.suppressed, {
      version: '1.2.3',
      lineText: (p, l) => moved.files.get(p)?.lineText(l),
    }) as typeof sarif;
    expect(again.runs[0]?.results.map((x) => x.partialFingerprints['airlockAudit/v1'])).toEqual(fingerprints);
  });

  it('SARIF validates against the OASIS SARIF 2.1.0 schema, online findings and suppressions included', () => {
    const text = `${INJECTED}      - uses: actions/checkout@v4 # airlock: ignore[unpinned-uses] pinned by the org proxy\n`;
    const r = audit(text);
    const online = {
      rule: 'two-person-review',
      severity: 'high' as const,
      confidence: 'high' as const,
      path: 'github:acme/app',
      line: 1,
      column: 1,
      endLine: 1,
      endColumn: 1,
      message: 'commit abc on main did not come from a merged pull request.',
      scope: { from: 1, to: 1 },
    };
    const sarif = toSarif([...r.findings, online], r.suppressed, {
      version: '1.2.3',
      informationUri: 'https://github.com/acme/airlock',
      lineText: (p, l) => r.files.get(p)?.lineText(l),
    }) as { version: string };
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(join(FIXTURES, 'scan/sarif-schema-2.1.0.json'), 'utf8')));
    const ok = validate(sarif);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(validate({ ...sarif, version: '2.0.0' })).toBe(false);
  });

  it('the identity inventory lists token grants, OIDC exchanges, secrets and environments per job', () => {
    const text = `on: push
permissions: {}
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    permissions:
      id-token: write
      contents: read
    steps:
      - uses: aws-actions/configure-aws-credentials@b47578312673ae6fa5b5096b330d9fbac3d116df # v4.2.1
        with:
          role-to-assume: arn:aws:iam::123456789012:role/deploy
          aws-region: eu-west-1
      - uses: acme/airlock/actions/exchange@11bd71901bbe5b1630ceea73d27597364c9af683 # v1.0.0
        with:
          provider: vault
          audience: https://vault.example.com
          vault-role: ci
      - run: ./deploy.sh
        env:
          SLACK: \${{ secrets.SLACK_WEBHOOK }}
  test:
    runs-on: ubuntu-latest
    steps:
      - run: make test
`;
    const inv = inventory(audit(text).documents);
    expect(inv.jobs.map((j) => [j.job, j.environment, j.token.permissions, j.token.canMintOidc])).toEqual([
      ['deploy', 'production', { 'id-token': 'write', contents: 'read' }, true],
      ['test', undefined, {}, false],
    ]);
    expect(inv.jobs[1]?.token.source).toBe('workflow');
    expect(inv.jobs[0]?.oidc).toEqual([
      {
        step: 'step 1',
        line: 11,
        provider: 'aws',
        audience: 'sts.amazonaws.com',
        principal: { 'role-to-assume': 'arn:aws:iam::123456789012:role/deploy' },
      },
      {
        step: 'step 2',
        line: 15,
        provider: 'vault',
        audience: 'https://vault.example.com',
        principal: { 'vault-role': 'ci' },
      },
    ]);
    expect(inv.secrets).toEqual([{ name: 'SLACK_WEBHOOK', jobs: ['wf.yml#deploy'] }]);
    expect(inv.environments).toEqual([{ name: 'production', jobs: ['wf.yml#deploy'] }]);
  });
});

describe('reusable workflows of the repository', () => {
  const CALLER = `on: push
permissions: {}
jobs:
  call:
    permissions:
      contents: read
      id-token: write
    uses: ./.github/workflows/callee.yml
`;
  const callee = (step: string) => `on:
  workflow_call:
permissions: {}
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: prod
    permissions:
      contents: read
      id-token: write
    steps:
${step}`;
  const OIDC =
    '      - uses: aws-actions/configure-aws-credentials@b47578312673ae6fa5b5096b330d9fbac3d116df # v4.2.1\n        with:\n          role-to-assume: arn:aws:iam::123456789012:role/deploy\n          aws-region: eu-west-1\n';
  const PLAIN = '      - run: make deploy\n';

  it('judges a calling job by what the called workflow needs, also when only the caller is audited', () => {
    const needed = audit(CALLER, '.github/workflows/ci.yml');
    expect(needed.findings.find((f) => f.rule === 'excessive-permissions')?.confidence).toBe('low'); // callee unseen
    const withCallee = auditTexts([{ path: '.github/workflows/ci.yml', text: CALLER }], {
      context: [{ path: '.github/workflows/callee.yml', text: callee(OIDC) }],
    });
    expect(withCallee.findings).toEqual([]);
    const unneeded = auditTexts(
      [
        { path: '.github/workflows/ci.yml', text: CALLER },
        { path: '.github/workflows/callee.yml', text: callee(PLAIN) },
      ],
      {},
    );
    const f = unneeded.findings.filter((x) => x.rule === 'excessive-permissions');
    expect(f.map((x) => [x.path, x.line, x.confidence])).toEqual([
      ['.github/workflows/callee.yml', 10, 'high'],
      ['.github/workflows/ci.yml', 7, 'high'],
    ]);
  });
});

describe('discovery', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-audit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  write('.github/workflows/ci.yml', 'on: push\npermissions: {}\njobs: {}\n');
  write('.github/workflows/notes.txt', 'not yaml');
  write('actions/a/action.yml', 'name: a\ndescription: a\nruns:\n  using: node24\n  main: x.js\n');
  write('node_modules/dep/action.yml', 'name: dep\n');
  write('deep/er/action.yaml', 'name: b\ndescription: b\nruns:\n  using: composite\n  steps: []\n');

  it('a repository root means its workflows and every action.yml below it, node_modules skipped', () => {
    expect(discover(dir, ['.']).map((f) => [f.path, f.kind])).toEqual([
      ['.github/workflows/ci.yml', 'workflow'],
      ['actions/a/action.yml', 'action'],
      ['deep/er/action.yaml', 'action'],
    ]);
    expect(discover(dir, ['.'], ['deep/**']).map((f) => f.path)).not.toContain('deep/er/action.yaml');
    expect(discover(dir, ['actions/a/action.yml']).map((f) => f.path)).toEqual(['actions/a/action.yml']);
  });

  it('refuses a path that does not exist, with its name', () => {
    expect(() => discover(dir, ['nope'])).toThrow(/^nope does not exist$/);
    expect(auditPaths(dir, ['.']).findings).toEqual([]);
  });
});
