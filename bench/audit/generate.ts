// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub expression syntax throughout, not JavaScript templates
/**
 * Deterministic generator of realistic workflow files for the audit benchmark: a few triggers, two to four jobs of
 * three to eight steps, pinned and unpinned actions, run scripts with expressions (some of them attacker-controlled),
 * permissions blocks, env, matrices, services. About 60–120 lines each.
 */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SHAS = [
  '11bd71901bbe5b1630ceea73d27597364c9af683',
  '49933ea5288caeca8642d1e84afbd3f7d6820020',
  'ea165f8d65b6e75b540449e92b4886f43607fa02',
  '5a3ec84eff668545956fd18022155c47e93e2684',
];
const ACTIONS = [
  ['actions/checkout', 'v4.2.2', '        with:\n          persist-credentials: false\n'],
  ['actions/setup-node', 'v4.4.0', '        with:\n          node-version: ${{ matrix.node }}\n'],
  ['actions/upload-artifact', 'v4.6.2', '        with:\n          name: dist\n          path: dist/\n'],
  [
    'actions/cache',
    'v4.2.3',
    "        with:\n          path: ~/.npm\n          key: npm-${{ hashFiles('**/package-lock.json') }}\n",
  ],
  ['docker/setup-buildx-action', 'v3.10.0', ''],
  ['github/codeql-action/upload-sarif', 'v3.29.2', '        with:\n          sarif_file: results.sarif\n'],
] as const;
const SCRIPTS = [
  'npm ci\n          npm test -- --coverage',
  'echo "Building ${{ github.sha }} for ${{ github.ref_name }}"\n          make build',
  'echo "PR title: ${{ github.event.pull_request.title }}"',
  'if [ "${{ matrix.os }}" = "ubuntu-latest" ]; then\n            ./scripts/lint.sh\n          fi',
  'echo "version=$(cat VERSION)" >> "$GITHUB_OUTPUT"',
  'curl -sSf https://example.com/health || exit 1',
  'echo "${{ github.event.head_commit.message }}" | tee message.txt',
  'python -m pytest -q tests/',
];
const TRIGGERS = [
  'on:\n  push:\n    branches: [main]\n  pull_request:\n',
  'on:\n  pull_request_target:\n    types: [opened, synchronize]\n',
  'on:\n  workflow_dispatch:\n    inputs:\n      target:\n        type: string\n  schedule:\n    - cron: "0 3 * * 1"\n',
  'on:\n  release:\n    types: [published]\n',
  'on: [push, pull_request]\n',
];

export function generateWorkflow(index: number): string {
  const r = rng(index * 7919 + 13);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
  let out = `name: generated ${index}\n${pick(TRIGGERS)}`;
  if (r() < 0.7) out += 'permissions: {}\n';
  out += 'env:\n  CI: true\n  NODE_OPTIONS: --max-old-space-size=4096\n';
  out += 'jobs:\n';
  const jobs = 2 + Math.floor(r() * 3);
  for (let j = 0; j < jobs; j++) {
    out += `  job-${j}:\n    name: Job ${j}\n    runs-on: \${{ matrix.os }}\n`;
    if (j > 0) out += `    needs: [job-${j - 1}]\n`;
    if (r() < 0.6) out += `    permissions:\n      contents: read\n${r() < 0.3 ? '      id-token: write\n' : ''}`;
    out += '    strategy:\n      matrix:\n        os: [ubuntu-latest, macos-latest]\n        node: [20, 22, 24]\n';
    if (r() < 0.2) out += '    environment: production\n';
    if (r() < 0.15)
      out += '    services:\n      db:\n        image: postgres:16\n        env:\n          POSTGRES_PASSWORD: test\n';
    out += '    steps:\n';
    const steps = 3 + Math.floor(r() * 6);
    for (let s = 0; s < steps; s++) {
      if (r() < 0.5) {
        const [name, version, withBlock] = pick(ACTIONS);
        const ref = r() < 0.8 ? `${pick(SHAS)} # ${version}` : version.split('.')[0];
        out += `      - name: step ${s}\n        uses: ${name}@${ref}\n${withBlock}`;
      } else {
        out += `      - name: step ${s}\n        if: github.event_name == 'push' || matrix.node == 24\n        run: |\n          ${pick(SCRIPTS)}\n`;
        if (r() < 0.3) out += '        env:\n          TOKEN: ${{ secrets.GITHUB_TOKEN }}\n';
      }
    }
  }
  return out;
}
