import type { Level, Role, Scope } from './types.ts';

/**
 * What shell commands in `run:` scripts do, as data. Shell is not parsed here (a script is opaque to the runner too);
 * these patterns look for well-known command lines, word-bounded, and each names what it implies.
 */
export interface CommandPattern {
  readonly pattern: RegExp;
  readonly what: string;
}

export const COMMAND_ROLES: ReadonlyArray<CommandPattern & { readonly role: Role }> = [
  // publishing packages and images
  { role: 'publish', pattern: /\b(npm|pnpm)\s+publish\b/, what: 'npm publish' },
  { role: 'publish', pattern: /\byarn\s+(npm\s+)?publish\b/, what: 'yarn publish' },
  { role: 'publish', pattern: /\btwine\s+upload\b/, what: 'twine upload' },
  { role: 'publish', pattern: /\b(poetry|uv|flit|hatch|pdm)\s+publish\b/, what: 'Python package publish' },
  { role: 'publish', pattern: /\bcargo\s+publish\b/, what: 'cargo publish' },
  { role: 'publish', pattern: /\bgem\s+push\b/, what: 'gem push' },
  { role: 'publish', pattern: /\b(docker|podman|buildah)\s+(image\s+)?push\b/, what: 'container image push' },
  { role: 'publish', pattern: /\bdocker\s+buildx\s+build\b[^\n]*--push\b/, what: 'docker buildx build --push' },
  { role: 'publish', pattern: /\bcrane\s+(push|copy|cp)\b/, what: 'crane push' },
  { role: 'publish', pattern: /\b(mvn|mvnw)\b[^\n]*\bdeploy\b/, what: 'mvn deploy' },
  { role: 'publish', pattern: /\bgradlew?\b[^\n]*\bpublish\w*\b/, what: 'gradle publish' },
  { role: 'publish', pattern: /\b(dotnet\s+)?nuget\s+push\b/, what: 'nuget push' },
  { role: 'publish', pattern: /\bgh\s+release\s+(create|upload)\b/, what: 'gh release' },
  { role: 'publish', pattern: /\bgoreleaser\b[^\n]*\brelease\b/, what: 'goreleaser release' },
  { role: 'publish', pattern: /\bhelm\s+push\b/, what: 'helm push' },
  { role: 'publish', pattern: /\b(vsce|ovsx)\s+publish\b/, what: 'extension publish' },
  // deployments
  { role: 'deploy', pattern: /\bkubectl\s+(apply|replace|rollout|set\s+image|create)\b/, what: 'kubectl apply' },
  { role: 'deploy', pattern: /\bhelm\s+(upgrade|install)\b/, what: 'helm upgrade' },
  { role: 'deploy', pattern: /\b(terraform|tofu)\s+apply\b/, what: 'terraform apply' },
  { role: 'deploy', pattern: /\bpulumi\s+up\b/, what: 'pulumi up' },
  { role: 'deploy', pattern: /\baws\s+s3\s+(sync|cp)\b/, what: 'aws s3 sync' },
  {
    role: 'deploy',
    pattern: /\baws\s+(ecs\s+update-service|lambda\s+update-function-code|cloudformation\s+deploy)\b/,
    what: 'AWS deployment',
  },
  { role: 'deploy', pattern: /\b(cdk|sam|serverless|sls)\s+deploy\b/, what: 'serverless deploy' },
  { role: 'deploy', pattern: /\bgcloud\s+(run|app|functions)\s+deploy\b/, what: 'gcloud deploy' },
  { role: 'deploy', pattern: /\baz\s+(webapp|functionapp)\s+(deploy|deployment)\b/, what: 'az deploy' },
  { role: 'deploy', pattern: /\bvercel\b[^\n]*--prod\b/, what: 'vercel --prod' },
  { role: 'deploy', pattern: /\bnetlify\s+deploy\b[^\n]*--prod\b/, what: 'netlify deploy --prod' },
  { role: 'deploy', pattern: /\bfirebase\s+deploy\b/, what: 'firebase deploy' },
  { role: 'deploy', pattern: /\b(fly|flyctl)\s+deploy\b/, what: 'fly deploy' },
  { role: 'deploy', pattern: /\bwrangler\s+(deploy|publish)\b/, what: 'wrangler deploy' },
  { role: 'deploy', pattern: /\bgit\s+push\s+(heroku|dokku)\b/, what: 'git push to a PaaS' },
  // signing
  { role: 'sign', pattern: /\bcosign\s+(sign|sign-blob|attest|attest-blob)\b/, what: 'cosign sign' },
  { role: 'sign', pattern: /\b(npm|pnpm)\s+publish\b[^\n]*--provenance\b/, what: 'npm publish --provenance' },
  { role: 'sign', pattern: /\bNPM_CONFIG_PROVENANCE\s*[:=]\s*["']?true\b/i, what: 'npm provenance' },
  { role: 'sign', pattern: /\bsigstore\s+(sign|attest)\b/, what: 'sigstore sign' },
  { role: 'sign', pattern: /\bnotation\s+sign\b/, what: 'notation sign' },
  { role: 'sign', pattern: /\bgpg\b[^\n]*--(detach-sign|clearsign|sign)\b/, what: 'gpg sign' },
  { role: 'sign', pattern: /\bairlock\s+(sign|sigstore\s+sign-bundle)\b/, what: 'airlock sign' },
  { role: 'sign', pattern: /\bgh\s+attestation\s+sign\b/, what: 'gh attestation' },
  // dependency scanning gates
  { role: 'scan', pattern: /\b(npm|pnpm)\s+audit\b/, what: 'npm audit' },
  { role: 'scan', pattern: /\byarn\s+(npm\s+)?audit\b/, what: 'yarn audit' },
  { role: 'scan', pattern: /\bosv-scanner\b/, what: 'osv-scanner' },
  { role: 'scan', pattern: /\btrivy\s+(fs|image|repo|rootfs|sbom)\b/, what: 'trivy' },
  { role: 'scan', pattern: /\bgrype\b/, what: 'grype' },
  { role: 'scan', pattern: /\bpip-audit\b/, what: 'pip-audit' },
  { role: 'scan', pattern: /\bsafety\s+(check|scan)\b/, what: 'safety' },
  { role: 'scan', pattern: /\bcargo\s+(audit|deny)\b/, what: 'cargo audit' },
  { role: 'scan', pattern: /\bgovulncheck\b/, what: 'govulncheck' },
  { role: 'scan', pattern: /\bsnyk\s+test\b/, what: 'snyk test' },
  { role: 'scan', pattern: /\bbundle(r)?[-\s]audit\b/, what: 'bundler-audit' },
  { role: 'scan', pattern: /\bdependency-check(\.sh)?\b/, what: 'OWASP dependency-check' },
  { role: 'scan', pattern: /\bairlock\s+scan\b/, what: 'airlock scan' },
  // checking out a pull request's head
  { role: 'checkout', pattern: /\bgh\s+pr\s+checkout\b/, what: 'gh pr checkout' },
  {
    role: 'checkout',
    pattern: /\bgit\s+(fetch|pull)\b[^\n]*\bpull\/[^\s/]+\/(head|merge)\b/,
    what: 'git fetch pull/N/head',
  },
];

/** Commands that need GITHUB_TOKEN scopes (when the token reaches them through GH_TOKEN/GITHUB_TOKEN or git). */
export const COMMAND_NEEDS: ReadonlyArray<CommandPattern & { readonly scope: Scope; readonly level: Level }> = [
  { pattern: /\bgh\s+release\s+(create|upload|edit|delete)\b/, scope: 'contents', level: 'write', what: 'gh release' },
  { pattern: /\bgit\s+push\b/, scope: 'contents', level: 'write', what: 'git push' },
  { pattern: /\bgit\s+tag\b[^\n]*&&[^\n]*git\s+push\b/, scope: 'contents', level: 'write', what: 'git tag + push' },
  {
    pattern: /\bgh\s+pr\s+(create|comment|edit|merge|review|close|ready|reopen)\b/,
    scope: 'pull-requests',
    level: 'write',
    what: 'gh pr',
  },
  {
    pattern: /\bgh\s+pr\s+(view|list|diff|checks|status)\b/,
    scope: 'pull-requests',
    level: 'read',
    what: 'gh pr view',
  },
  {
    pattern: /\bgh\s+issue\s+(create|comment|edit|close|reopen|transfer|delete)\b/,
    scope: 'issues',
    level: 'write',
    what: 'gh issue',
  },
  { pattern: /\bgh\s+label\s+(create|edit|delete|clone)\b/, scope: 'issues', level: 'write', what: 'gh label' },
  { pattern: /\bgh\s+workflow\s+(run|enable|disable)\b/, scope: 'actions', level: 'write', what: 'gh workflow run' },
  { pattern: /\bgh\s+run\s+(rerun|cancel|delete)\b/, scope: 'actions', level: 'write', what: 'gh run' },
  { pattern: /\bgh\s+run\s+(view|list|download|watch)\b/, scope: 'actions', level: 'read', what: 'gh run view' },
  { pattern: /\bgh\s+cache\s+delete\b/, scope: 'actions', level: 'write', what: 'gh cache delete' },
  { pattern: /\bgh\s+attestation\s+verify\b/, scope: 'attestations', level: 'read', what: 'gh attestation verify' },
  {
    pattern: /\b(docker|podman)\s+(push|login)\b[^\n]*ghcr\.io/,
    scope: 'packages',
    level: 'write',
    what: 'push to ghcr.io',
  },
];

/** A run step whose token use these patterns cannot pin down (gh api, curl to the API, …). */
export const OPAQUE_TOKEN_USE: readonly RegExp[] = [
  /\bgh\s+api\b/,
  /\bgh\s+(secret|variable|repo|project|ruleset|search|extension|codespace|gist|browse)\b/,
  /api\.github\.com|\$\{?GITHUB_API_URL\b/,
  /\boctokit\b/i,
];

/** The token reaches a run step through these expressions or variables. */
export const TOKEN_REFERENCES: readonly RegExp[] = [
  /\$\{?\{?\s*(github\.token|secrets\.GITHUB_TOKEN)\b/i,
  /\$\{?(GH_TOKEN|GITHUB_TOKEN|GH_ENTERPRISE_TOKEN)\b/,
];

/** Shell that requests the job's OIDC token. */
export const OIDC_COMMANDS: readonly CommandPattern[] = [
  { pattern: /ACTIONS_ID_TOKEN_REQUEST_(URL|TOKEN)/, what: 'the OIDC token endpoint' },
  { pattern: /\bgetIDToken\b/, what: 'core.getIDToken()' },
  { pattern: /--provenance\b/, what: 'npm provenance' },
  { pattern: /\bNPM_CONFIG_PROVENANCE\b/i, what: 'npm provenance' },
  { pattern: /\b(npm|pnpm)\s+publish\b/, what: 'npm trusted publishing' },
  { pattern: /\b(uv|twine|hatch|pdm|poetry)\s+(publish|upload)\b/, what: 'PyPI trusted publishing' },
  { pattern: /\bcosign\s+(sign|sign-blob|attest|attest-blob)\b/, what: 'cosign keyless signing' },
  { pattern: /\bsigstore\s+(sign|attest)\b/, what: 'sigstore keyless signing' },
  { pattern: /\bgh\s+attestation\b/, what: 'gh attestation' },
  { pattern: /\bairlock\s+(sign|exchange|trail\s+seal)\b/, what: 'airlock' },
  { pattern: /assume-role-with-web-identity/, what: 'AWS web identity' },
];

/** Shell that writes to GITHUB_ENV or GITHUB_PATH (bash, sh, pwsh, cmd). */
export const GITHUB_ENV_WRITES: readonly RegExp[] = [
  />>?\s*["']?\$\{?(GITHUB_ENV|GITHUB_PATH)\b/,
  /\btee\b[^\n|]*\$\{?(GITHUB_ENV|GITHUB_PATH)\b/,
  /\$env:(GITHUB_ENV|GITHUB_PATH)\b/i,
  /%(GITHUB_ENV|GITHUB_PATH)%/i,
  /process\.env\.(GITHUB_ENV|GITHUB_PATH)\b/,
  /os\.environ\[["'](GITHUB_ENV|GITHUB_PATH)["']\]/,
  /\bcore\.(exportVariable|addPath)\s*\(/,
];
