import type { ActionKnowledge } from './types.ts';

/**
 * What common actions need and do, as data. Sources: each action's README and action.yml (permissions sections,
 * default token inputs, OIDC usage). A rule that finds an action here can tell a needed scope from an unneeded one;
 * an action not listed here is "unknown" and lowers the confidence of the permission findings in its job.
 */
/** actions/trail signs (and needs an OIDC token) in mode seal unless told `sign: false`. */
const SEALS = [
  { input: 'mode', matches: /^(seal)?$/ },
  { input: 'sign', matches: /^(?!false$)/i },
];

export const ACTIONS: readonly ActionKnowledge[] = [
  // --- GitHub's own actions ---------------------------------------------------------------------------------------
  {
    uses: 'actions/checkout',
    title: 'check out a repository',
    needs: [{ scope: 'contents', level: 'read', why: 'clones the repository' }],
    roles: [{ role: 'checkout' }],
  },
  {
    uses: 'actions/upload-artifact',
    title: 'upload a workflow artifact',
    needs: [],
    roles: [{ role: 'upload-artifact' }],
  },
  {
    uses: 'actions/download-artifact',
    title: 'download a workflow artifact',
    needs: [
      {
        scope: 'actions',
        level: 'read',
        when: [{ input: 'github-token', present: true }],
        why: 'downloads artifacts of another run',
      },
    ],
    roles: [{ role: 'download-artifact' }],
  },
  { uses: 'actions/cache', title: 'cache files', needs: [], roles: [{ role: 'cache' }] },
  { uses: 'actions/cache/restore', title: 'restore a cache', needs: [], roles: [{ role: 'cache' }] },
  { uses: 'actions/cache/save', title: 'save a cache', needs: [], roles: [{ role: 'cache' }] },
  {
    uses: 'actions/setup-node',
    title: 'set up Node.js',
    needs: [],
    roles: [{ role: 'cache', when: [{ input: 'cache', present: true }] }],
  },
  {
    uses: 'actions/setup-python',
    title: 'set up Python',
    needs: [],
    roles: [{ role: 'cache', when: [{ input: 'cache', present: true }] }],
  },
  {
    // setup-go caches by default since v4: only `cache: false` turns it off.
    uses: 'actions/setup-go',
    title: 'set up Go',
    needs: [],
    roles: [{ role: 'cache', when: [{ input: 'cache', matches: /^(?!false$)/i }] }],
  },
  {
    uses: 'actions/setup-java',
    title: 'set up Java',
    needs: [],
    roles: [{ role: 'cache', when: [{ input: 'cache', present: true }] }],
  },
  {
    uses: 'actions/setup-dotnet',
    title: 'set up .NET',
    needs: [],
    roles: [{ role: 'cache', when: [{ input: 'cache', equals: ['true'] }] }],
  },
  {
    uses: 'ruby/setup-ruby',
    title: 'set up Ruby',
    needs: [],
    roles: [{ role: 'cache', when: [{ input: 'bundler-cache', equals: ['true'] }] }],
  },
  {
    uses: 'astral-sh/setup-uv',
    title: 'set up uv',
    needs: [],
    roles: [{ role: 'cache', when: [{ input: 'enable-cache', equals: ['true', 'auto'] }] }],
  },
  { uses: 'swatinem/rust-cache', title: 'cache Rust builds', needs: [], roles: [{ role: 'cache' }] },
  {
    uses: 'actions/attest-build-provenance',
    title: 'attest build provenance',
    needs: [
      { scope: 'id-token', level: 'write', why: 'signs with a Sigstore certificate bound to the workflow identity' },
      { scope: 'attestations', level: 'write', why: 'stores the attestation in the repository' },
      { scope: 'contents', level: 'read', why: 'reads the repository' },
    ],
    may: ['packages'],
    oidc: [],
    oidcIdentity: { provider: 'sigstore', defaultAudience: 'sigstore' },
    roles: [{ role: 'sign' }],
  },
  {
    uses: 'actions/attest',
    title: 'attest an artifact',
    needs: [
      { scope: 'id-token', level: 'write', why: 'signs with a Sigstore certificate bound to the workflow identity' },
      { scope: 'attestations', level: 'write', why: 'stores the attestation in the repository' },
      { scope: 'contents', level: 'read', why: 'reads the repository' },
    ],
    may: ['packages'],
    oidc: [],
    oidcIdentity: { provider: 'sigstore', defaultAudience: 'sigstore' },
    roles: [{ role: 'sign' }],
  },
  {
    uses: 'actions/attest-sbom',
    title: 'attest an SBOM',
    needs: [
      { scope: 'id-token', level: 'write', why: 'signs with a Sigstore certificate bound to the workflow identity' },
      { scope: 'attestations', level: 'write', why: 'stores the attestation in the repository' },
      { scope: 'contents', level: 'read', why: 'reads the repository' },
    ],
    may: ['packages'],
    oidc: [],
    oidcIdentity: { provider: 'sigstore', defaultAudience: 'sigstore' },
    roles: [{ role: 'sign' }],
  },
  {
    uses: 'actions/github-script',
    title: 'run a script against the GitHub API',
    needs: [],
    scriptedTokenUse: true,
    scriptInput: 'script',
    roles: [],
  },
  {
    uses: 'actions/create-github-app-token',
    title: 'mint a GitHub App installation token',
    needs: [],
    roles: [],
  },
  {
    uses: 'actions/labeler',
    title: 'label pull requests',
    needs: [
      { scope: 'contents', level: 'read', why: 'reads the labeler configuration' },
      { scope: 'pull-requests', level: 'write', why: 'adds labels to pull requests' },
    ],
    may: ['issues'],
    roles: [],
  },
  {
    uses: 'actions/stale',
    title: 'close stale issues and pull requests',
    needs: [
      { scope: 'issues', level: 'write', why: 'comments on and closes issues' },
      { scope: 'pull-requests', level: 'write', why: 'comments on and closes pull requests' },
    ],
    may: ['actions'],
    roles: [],
  },
  {
    uses: 'actions/first-interaction',
    title: 'greet first-time contributors',
    needs: [
      { scope: 'issues', level: 'write', why: 'comments on issues' },
      { scope: 'pull-requests', level: 'write', why: 'comments on pull requests' },
    ],
    roles: [],
  },
  {
    uses: 'actions/dependency-review-action',
    title: 'review dependency changes',
    needs: [
      { scope: 'contents', level: 'read', why: 'reads the dependency graph' },
      {
        scope: 'pull-requests',
        level: 'write',
        when: [{ input: 'comment-summary-in-pr', matches: /^(always|on-failure|true)$/i }],
        why: 'comments the summary on the pull request',
      },
    ],
    roles: [{ role: 'scan' }],
  },
  {
    uses: 'actions/upload-pages-artifact',
    title: 'upload a GitHub Pages artifact',
    needs: [],
    roles: [{ role: 'upload-artifact' }],
  },
  {
    uses: 'actions/configure-pages',
    title: 'configure GitHub Pages',
    needs: [{ scope: 'pages', level: 'read', why: 'reads the Pages site configuration' }],
    may: ['pages'],
    roles: [],
  },
  {
    uses: 'actions/deploy-pages',
    title: 'deploy to GitHub Pages',
    needs: [
      { scope: 'pages', level: 'write', why: 'creates the Pages deployment' },
      { scope: 'id-token', level: 'write', why: 'proves the deployment comes from this workflow' },
    ],
    oidc: [],
    oidcIdentity: { provider: 'github-pages' },
    roles: [{ role: 'deploy' }],
  },
  {
    uses: 'actions/delete-package-versions',
    title: 'delete package versions',
    needs: [{ scope: 'packages', level: 'write', why: 'deletes package versions' }],
    roles: [],
  },
  {
    uses: 'actions/create-release',
    title: 'create a release (archived action)',
    needs: [{ scope: 'contents', level: 'write', why: 'creates the release' }],
    roles: [{ role: 'publish' }],
  },
  {
    uses: 'actions/upload-release-asset',
    title: 'upload a release asset (archived action)',
    needs: [{ scope: 'contents', level: 'write', why: 'uploads to the release' }],
    roles: [{ role: 'publish' }],
  },
  {
    uses: 'github/codeql-action/init',
    title: 'initialise CodeQL',
    needs: [
      { scope: 'actions', level: 'read', why: 'reads the workflow run (private repositories)' },
      { scope: 'contents', level: 'read', why: 'reads the repository (private repositories)' },
    ],
    may: ['packages'],
    roles: [],
  },
  { uses: 'github/codeql-action/autobuild', title: 'build for CodeQL', needs: [], roles: [] },
  {
    uses: 'github/codeql-action/analyze',
    title: 'analyse with CodeQL and upload results',
    needs: [
      { scope: 'security-events', level: 'write', why: 'uploads the results to code scanning' },
      { scope: 'actions', level: 'read', why: 'reads the workflow run (private repositories)' },
      { scope: 'contents', level: 'read', why: 'reads the repository (private repositories)' },
    ],
    roles: [{ role: 'scan' }],
  },
  {
    uses: 'github/codeql-action/upload-sarif',
    title: 'upload SARIF to code scanning',
    needs: [
      { scope: 'security-events', level: 'write', why: 'uploads the SARIF file to code scanning' },
      { scope: 'actions', level: 'read', why: 'reads the workflow run (private repositories)' },
      { scope: 'contents', level: 'read', why: 'reads the repository (private repositories)' },
    ],
    roles: [],
  },
  {
    uses: 'ossf/scorecard-action',
    title: 'OpenSSF Scorecard',
    needs: [
      {
        scope: 'id-token',
        level: 'write',
        when: [{ input: 'publish_results', equals: ['true'] }],
        why: 'publishes results with a signed identity',
      },
    ],
    may: ['actions', 'contents', 'security-events', 'checks', 'issues', 'pull-requests'],
    oidc: [{ input: 'publish_results', equals: ['true'] }],
    roles: [],
  },
  // --- releases, pull requests, pages -----------------------------------------------------------------------------
  {
    uses: 'softprops/action-gh-release',
    title: 'create a GitHub release',
    needs: [{ scope: 'contents', level: 'write', why: 'creates the release and uploads assets' }],
    may: ['discussions'],
    roles: [{ role: 'publish' }],
  },
  {
    uses: 'ncipollo/release-action',
    title: 'create a GitHub release',
    needs: [{ scope: 'contents', level: 'write', why: 'creates the release and uploads assets' }],
    roles: [{ role: 'publish' }],
  },
  {
    uses: 'googleapis/release-please-action',
    title: 'release-please',
    needs: [
      { scope: 'contents', level: 'write', why: 'creates releases and tags' },
      { scope: 'pull-requests', level: 'write', why: 'opens the release pull request' },
    ],
    may: ['issues'],
    roles: [],
  },
  {
    uses: 'google-github-actions/release-please-action',
    title: 'release-please (old name)',
    needs: [
      { scope: 'contents', level: 'write', why: 'creates releases and tags' },
      { scope: 'pull-requests', level: 'write', why: 'opens the release pull request' },
    ],
    may: ['issues'],
    roles: [],
  },
  {
    uses: 'changesets/action',
    title: 'changesets',
    needs: [
      { scope: 'contents', level: 'write', why: 'pushes the version commit' },
      { scope: 'pull-requests', level: 'write', why: 'opens the version pull request' },
    ],
    may: ['id-token'],
    roles: [{ role: 'publish', when: [{ input: 'publish', present: true }] }],
  },
  {
    uses: 'release-drafter/release-drafter',
    title: 'draft release notes',
    needs: [{ scope: 'contents', level: 'write', why: 'creates the draft release' }],
    may: ['pull-requests'],
    roles: [],
  },
  {
    uses: 'peter-evans/create-pull-request',
    title: 'create a pull request',
    needs: [
      { scope: 'contents', level: 'write', why: 'pushes the branch' },
      { scope: 'pull-requests', level: 'write', why: 'opens the pull request' },
    ],
    roles: [],
  },
  {
    uses: 'peter-evans/create-or-update-comment',
    title: 'comment on an issue or pull request',
    needs: [
      { scope: 'issues', level: 'write', why: 'comments on issues' },
      { scope: 'pull-requests', level: 'write', why: 'comments on pull requests' },
    ],
    roles: [],
  },
  {
    uses: 'stefanzweifel/git-auto-commit-action',
    title: 'commit and push changes',
    needs: [{ scope: 'contents', level: 'write', why: 'pushes a commit' }],
    roles: [],
  },
  {
    uses: 'endbug/add-and-commit',
    title: 'commit and push changes',
    needs: [{ scope: 'contents', level: 'write', why: 'pushes a commit' }],
    roles: [],
  },
  {
    uses: 'peaceiris/actions-gh-pages',
    title: 'deploy to a gh-pages branch',
    needs: [
      {
        scope: 'contents',
        level: 'write',
        when: [{ input: 'github_token', present: true }],
        why: 'pushes to the pages branch',
      },
    ],
    roles: [{ role: 'deploy' }],
  },
  {
    uses: 'jamesives/github-pages-deploy-action',
    title: 'deploy to a gh-pages branch',
    needs: [{ scope: 'contents', level: 'write', why: 'pushes to the pages branch' }],
    roles: [{ role: 'deploy' }],
  },
  {
    uses: 'goreleaser/goreleaser-action',
    title: 'GoReleaser',
    needs: [{ scope: 'contents', level: 'write', why: 'creates the release' }],
    may: ['packages', 'id-token'],
    roles: [{ role: 'publish' }],
  },
  // --- containers -------------------------------------------------------------------------------------------------
  {
    uses: 'docker/login-action',
    title: 'log in to a container registry',
    needs: [
      {
        scope: 'packages',
        level: 'write',
        when: [{ input: 'registry', matches: /(^|\.)ghcr\.io$|docker\.pkg\.github\.com/i }],
        why: 'pushes to the GitHub Container Registry',
      },
    ],
    roles: [],
  },
  {
    uses: 'docker/build-push-action',
    title: 'build and push an image',
    needs: [],
    roles: [
      { role: 'publish', when: [{ input: 'push', equals: ['true'] }] },
      { role: 'cache', when: [{ input: 'cache-from', matches: /type=gha/ }] },
    ],
  },
  { uses: 'docker/setup-buildx-action', title: 'set up Buildx', needs: [], roles: [] },
  { uses: 'docker/setup-qemu-action', title: 'set up QEMU', needs: [], roles: [] },
  { uses: 'docker/metadata-action', title: 'image metadata', needs: [], roles: [] },
  {
    uses: 'sigstore/cosign-installer',
    title: 'install cosign',
    needs: [],
    roles: [],
  },
  {
    uses: 'sigstore/gh-action-sigstore-python',
    title: 'sign with Sigstore',
    needs: [{ scope: 'id-token', level: 'write', why: 'signs with a Sigstore certificate' }],
    may: ['contents'],
    oidc: [],
    oidcIdentity: { provider: 'sigstore', defaultAudience: 'sigstore' },
    roles: [{ role: 'sign' }],
  },
  {
    uses: 'slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml',
    title: 'SLSA generic generator',
    needs: [
      { scope: 'id-token', level: 'write', why: 'signs the provenance' },
      { scope: 'actions', level: 'read', why: 'reads the workflow run' },
      { scope: 'contents', level: 'write', why: 'uploads the provenance to the release' },
    ],
    oidc: [],
    roles: [{ role: 'sign' }],
  },
  {
    uses: 'slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml',
    title: 'SLSA container generator',
    needs: [
      { scope: 'id-token', level: 'write', why: 'signs the provenance' },
      { scope: 'actions', level: 'read', why: 'reads the workflow run' },
      { scope: 'packages', level: 'write', why: 'pushes the attestation' },
    ],
    oidc: [],
    roles: [{ role: 'sign' }],
  },
  // --- cloud identities -------------------------------------------------------------------------------------------
  {
    uses: 'aws-actions/configure-aws-credentials',
    title: 'configure AWS credentials',
    needs: [
      {
        scope: 'id-token',
        level: 'write',
        when: [
          { input: 'role-to-assume', present: true },
          { input: 'aws-access-key-id', absent: true },
          { input: 'web-identity-token-file', absent: true },
        ],
        why: 'exchanges the job OIDC token with STS',
      },
    ],
    oidc: [
      { input: 'role-to-assume', present: true },
      { input: 'aws-access-key-id', absent: true },
      { input: 'web-identity-token-file', absent: true },
    ],
    oidcIdentity: {
      provider: 'aws',
      audienceInput: 'audience',
      defaultAudience: 'sts.amazonaws.com',
      principalInputs: ['role-to-assume'],
    },
    roles: [{ role: 'oidc-login' }],
    staticCredentials: [
      { input: 'aws-access-key-id', what: 'an AWS access key id', oidc: 'role-to-assume with id-token: write' },
      { input: 'aws-secret-access-key', what: 'an AWS secret access key', oidc: 'role-to-assume with id-token: write' },
    ],
  },
  { uses: 'aws-actions/amazon-ecr-login', title: 'log in to Amazon ECR', needs: [], roles: [] },
  {
    uses: 'aws-actions/amazon-ecs-deploy-task-definition',
    title: 'deploy to Amazon ECS',
    needs: [],
    roles: [{ role: 'deploy' }],
  },
  {
    uses: 'aws-actions/aws-cloudformation-github-deploy',
    title: 'deploy a CloudFormation stack',
    needs: [],
    roles: [{ role: 'deploy' }],
  },
  {
    uses: 'google-github-actions/auth',
    title: 'authenticate to Google Cloud',
    needs: [
      {
        scope: 'id-token',
        level: 'write',
        when: [{ input: 'workload_identity_provider', present: true }],
        why: 'exchanges the job OIDC token through workload identity federation',
      },
    ],
    oidc: [{ input: 'workload_identity_provider', present: true }],
    oidcIdentity: {
      provider: 'gcp',
      audienceInput: 'audience',
      defaultAudience: '(the workload identity provider)',
      principalInputs: ['workload_identity_provider', 'service_account'],
    },
    roles: [{ role: 'oidc-login' }],
    staticCredentials: [
      {
        input: 'credentials_json',
        what: 'a service-account key',
        oidc: 'workload_identity_provider with id-token: write',
      },
    ],
  },
  { uses: 'google-github-actions/setup-gcloud', title: 'set up gcloud', needs: [], roles: [] },
  {
    uses: 'google-github-actions/deploy-cloudrun',
    title: 'deploy to Cloud Run',
    needs: [],
    roles: [{ role: 'deploy' }],
  },
  {
    uses: 'google-github-actions/deploy-appengine',
    title: 'deploy to App Engine',
    needs: [],
    roles: [{ role: 'deploy' }],
  },
  {
    uses: 'google-github-actions/deploy-cloud-functions',
    title: 'deploy Cloud Functions',
    needs: [],
    roles: [{ role: 'deploy' }],
  },
  {
    uses: 'azure/login',
    title: 'log in to Azure',
    needs: [
      {
        scope: 'id-token',
        level: 'write',
        when: [
          { input: 'client-id', present: true },
          { input: 'creds', absent: true },
        ],
        why: 'exchanges the job OIDC token with Microsoft Entra',
      },
    ],
    oidc: [
      { input: 'client-id', present: true },
      { input: 'creds', absent: true },
    ],
    oidcIdentity: {
      provider: 'azure',
      audienceInput: 'audience',
      defaultAudience: 'api://AzureADTokenExchange',
      principalInputs: ['client-id', 'tenant-id', 'subscription-id'],
    },
    roles: [{ role: 'oidc-login' }],
    staticCredentials: [
      {
        input: 'creds',
        what: 'a service-principal secret (AZURE_CREDENTIALS)',
        oidc: 'client-id with id-token: write',
      },
    ],
  },
  { uses: 'azure/webapps-deploy', title: 'deploy to Azure Web Apps', needs: [], roles: [{ role: 'deploy' }] },
  { uses: 'azure/functions-action', title: 'deploy Azure Functions', needs: [], roles: [{ role: 'deploy' }] },
  { uses: 'azure/k8s-deploy', title: 'deploy to Kubernetes', needs: [], roles: [{ role: 'deploy' }] },
  { uses: 'azure/arm-deploy', title: 'deploy ARM templates', needs: [], roles: [{ role: 'deploy' }] },
  {
    uses: 'azure/static-web-apps-deploy',
    title: 'deploy Azure Static Web Apps',
    needs: [],
    may: ['id-token', 'pull-requests'],
    roles: [{ role: 'deploy' }],
  },
  {
    uses: 'hashicorp/vault-action',
    title: 'read secrets from Vault',
    needs: [
      {
        scope: 'id-token',
        level: 'write',
        when: [{ input: 'method', equals: ['jwt'] }],
        why: 'logs in to Vault with the job OIDC token',
      },
    ],
    oidc: [{ input: 'method', equals: ['jwt'] }],
    oidcIdentity: {
      provider: 'vault',
      audienceInput: 'jwtGithubAudience',
      defaultAudience: 'sigstore',
      principalInputs: ['url', 'role'],
    },
    roles: [{ role: 'oidc-login', when: [{ input: 'method', equals: ['jwt'] }] }],
    staticCredentials: [
      { input: 'token', what: 'a Vault token', oidc: 'method: jwt with id-token: write' },
      { input: 'secretId', what: 'an AppRole secret id', oidc: 'method: jwt with id-token: write' },
    ],
  },
  // --- package publishing -----------------------------------------------------------------------------------------
  {
    uses: 'pypa/gh-action-pypi-publish',
    title: 'publish to PyPI',
    needs: [
      {
        scope: 'id-token',
        level: 'write',
        when: [{ input: 'password', absent: true }],
        why: 'trusted publishing exchanges the job OIDC token with PyPI',
      },
    ],
    may: ['attestations'],
    oidc: [{ input: 'password', absent: true }],
    oidcIdentity: { provider: 'pypi', defaultAudience: 'pypi' },
    roles: [{ role: 'publish' }, { role: 'sign', when: [{ input: 'attestations', matches: /^(?!false$)/i }] }],
    staticCredentials: [{ input: 'password', what: 'a PyPI API token', oidc: 'trusted publishing (id-token: write)' }],
  },
  {
    uses: 'js-devtools/npm-publish',
    title: 'publish to npm',
    needs: [],
    may: ['id-token'],
    roles: [{ role: 'publish' }, { role: 'sign', when: [{ input: 'provenance', equals: ['true'] }] }],
  },
  {
    uses: 'cloudflare/wrangler-action',
    title: 'deploy with Wrangler',
    needs: [],
    roles: [{ role: 'deploy' }],
  },
  {
    uses: 'codecov/codecov-action',
    title: 'upload coverage to Codecov',
    needs: [
      {
        scope: 'id-token',
        level: 'write',
        when: [{ input: 'use_oidc', equals: ['true'] }],
        why: 'authenticates to Codecov with OIDC',
      },
    ],
    oidc: [{ input: 'use_oidc', equals: ['true'] }],
    oidcIdentity: { provider: 'codecov', defaultAudience: 'https://codecov.io' },
    roles: [],
  },
  // --- dependency and image scanners ------------------------------------------------------------------------------
  { uses: 'aquasecurity/trivy-action', title: 'Trivy scan', needs: [], roles: [{ role: 'scan' }] },
  { uses: 'anchore/scan-action', title: 'Grype scan', needs: [], roles: [{ role: 'scan' }] },
  { uses: 'anchore/sbom-action', title: 'Syft SBOM', needs: [], may: ['contents', 'actions'], roles: [] },
  { uses: 'snyk/actions', title: 'Snyk scan', needs: [], roles: [{ role: 'scan' }] },
  { uses: 'snyk/actions/node', title: 'Snyk scan', needs: [], roles: [{ role: 'scan' }] },
  { uses: 'snyk/actions/python', title: 'Snyk scan', needs: [], roles: [{ role: 'scan' }] },
  {
    uses: 'google/osv-scanner-action/osv-scanner-action',
    title: 'OSV-Scanner',
    needs: [],
    roles: [{ role: 'scan' }],
  },
  {
    uses: 'google/osv-scanner-action/.github/workflows/osv-scanner-reusable.yml',
    title: 'OSV-Scanner reusable workflow',
    needs: [],
    may: ['actions', 'contents', 'security-events'],
    roles: [{ role: 'scan' }],
  },
  // --- Airlock --------------------------------------------------------------------------------------------------
  {
    uses: '*/airlock/actions/audit',
    local: './actions/audit',
    title: 'Airlock audit',
    needs: [
      { scope: 'contents', level: 'read', why: 'reads the workflows' },
      {
        scope: 'pull-requests',
        level: 'read',
        when: [{ input: 'online', equals: ['true'] }],
        why: 'checks the pull request and reviews that brought the commit',
      },
    ],
    roles: [],
  },
  {
    uses: '*/airlock/actions/exchange',
    local: './actions/exchange',
    title: 'Airlock exchange',
    needs: [
      {
        scope: 'id-token',
        level: 'write',
        when: [
          { input: 'token-file', absent: true },
          { input: 'token-env', absent: true },
        ],
        why: 'exchanges the job OIDC token for short-lived credentials',
      },
    ],
    oidc: [
      { input: 'token-file', absent: true },
      { input: 'token-env', absent: true },
    ],
    oidcIdentity: {
      provider: '(input provider)',
      audienceInput: 'audience',
      audienceByProvider: {
        aws: 'sts.amazonaws.com',
        gcp: '(the workload identity provider)',
        azure: 'api://AzureADTokenExchange',
        vault: '(the Vault URL)',
        oauth: '(the token endpoint)',
        doppler: '(the Doppler API)',
      },
      principalInputs: [
        'role-to-assume',
        'role-chain',
        'workload-identity-provider',
        'service-account',
        'tenant-id',
        'client-id',
        'scope',
        'vault-url',
        'vault-role',
        'token-endpoint',
        'doppler-identity',
        'identity',
        'profile',
      ],
    },
    roles: [{ role: 'oidc-login' }],
  },
  {
    uses: '*/airlock/actions/sign',
    local: './actions/sign',
    title: 'Airlock sign',
    needs: [
      { scope: 'id-token', level: 'write', why: 'signs keylessly with a certificate bound to the workflow' },
      {
        scope: 'attestations',
        level: 'write',
        when: [{ input: 'upload-attestation', equals: ['true'] }],
        why: 'stores the attestation with the GitHub attestations API',
      },
    ],
    may: ['contents', 'packages'],
    oidc: [],
    oidcIdentity: { provider: 'sigstore', defaultAudience: 'sigstore' },
    roles: [{ role: 'sign' }],
  },
  {
    uses: '*/airlock/actions/verify',
    local: './actions/verify',
    title: 'Airlock verify',
    needs: [],
    may: ['attestations', 'contents'],
    roles: [{ role: 'verify' }],
  },
  {
    uses: '*/airlock/actions/scan',
    local: './actions/scan',
    title: 'Airlock scan',
    needs: [{ scope: 'contents', level: 'read', why: 'reads the lockfiles' }],
    may: ['pull-requests', 'security-events'],
    roles: [{ role: 'scan' }],
  },
  {
    uses: '*/airlock/actions/redact',
    local: './actions/redact',
    title: 'Airlock redact',
    needs: [],
    roles: [],
  },
  {
    uses: '*/airlock/actions/trail',
    local: './actions/trail',
    title: 'Airlock trail',
    needs: [
      {
        scope: 'id-token',
        level: 'write',
        when: SEALS,
        why: 'seals the trail with a keyless Sigstore signature',
      },
    ],
    may: ['actions', 'attestations'],
    oidc: SEALS,
    oidcIdentity: { provider: 'sigstore', defaultAudience: 'sigstore' },
    roles: [{ role: 'sign', when: SEALS }],
  },
  {
    uses: '*/airlock/actions/pipeline',
    local: './actions/pipeline',
    title: 'Airlock pipeline (composite: audit, redact, scan, sign, verify, trail)',
    needs: [
      { scope: 'contents', level: 'read', why: 'audits the workflows and reads the lockfiles' },
      { scope: 'id-token', level: 'write', why: 'signs the artifacts and seals the trail keylessly' },
    ],
    oidc: [],
    oidcIdentity: { provider: 'sigstore', defaultAudience: 'sigstore' },
    roles: [{ role: 'scan' }, { role: 'sign' }, { role: 'verify' }],
  },
  {
    uses: '*/airlock/.github/workflows/hardened.yml',
    title: 'Airlock hardened pipeline (reusable workflow)',
    needs: [
      { scope: 'contents', level: 'read', why: 'its jobs check out the caller and read lockfiles' },
      {
        scope: 'id-token',
        level: 'write',
        why: 'its sign, deploy and trail jobs sign keylessly or exchange OIDC tokens',
      },
    ],
    oidc: [],
    oidcIdentity: { provider: 'sigstore', defaultAudience: 'sigstore' },
    roles: [{ role: 'scan' }, { role: 'sign' }, { role: 'verify' }],
  },
];
