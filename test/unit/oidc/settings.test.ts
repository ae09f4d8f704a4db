import {
  applyProfile,
  defaultAudience,
  githubIssuer,
  parseProfiles,
  parseSecretReference,
  parseSettings,
  type RawSettings,
  type RawValue,
  requireProviderSettings,
  selectProfile,
  sessionName,
} from '@airlock/oidc';
import { describe, expect, it } from 'vitest';

/** Every setting and the profiles file fail with a message that names the input or file:line and says what is wanted. */
const raw = (values: Record<string, string>): RawSettings =>
  new Map(
    Object.entries(values).map(([name, value]): [string, RawValue] => [
      name,
      { value, where: `input '${name}'`, lineWhere: (i) => `input '${name}' line ${i + 1}` },
    ]),
  );
const parse = (values: Record<string, string>) =>
  parseSettings(raw(values), { issuer: 'https://token.actions.githubusercontent.com' });
const aws = { provider: 'aws', 'role-to-assume': 'arn:aws:iam::111122223333:role/deploy', 'aws-region': 'us-east-1' };

describe('settings', () => {
  it('reads a complete aws setting with defaults', () => {
    const s = parse(aws);
    requireProviderSettings(s);
    expect(s).toMatchObject({
      provider: 'aws',
      issuer: 'https://token.actions.githubusercontent.com',
      exportEnv: true,
      outputCredentials: false,
      credentialsFile: false,
      deadlineSeconds: 60,
      aws: { roleDurationSeconds: 3600, allowedAccountIds: [], managedSessionPolicies: [] },
    });
    expect(defaultAudience(s)).toBe('sts.amazonaws.com');
  });

  it.each([
    [{ provider: 'ibm' }, "input 'provider' must be one of aws, gcp, azure, vault, oauth, doppler; got 'ibm'"],
    [
      { ...aws, 'vault-url': 'https://v.example' },
      "input 'vault-url' is a setting of provider vault, not of provider aws; remove it or change 'provider'",
    ],
    [
      { ...aws, 'role-to-assume': 'deploy' },
      "input 'role-to-assume' must be an IAM role ARN like arn:aws:iam::123456789012:role/deploy; got 'deploy'",
    ],
    [{ ...aws, 'aws-region': 'useast1' }, "input 'aws-region' must be an AWS region like us-east-1; got 'useast1'"],
    [{ ...aws, 'role-duration': '10m' }, "input 'role-duration' must be between 900 and 43200 seconds; got '10m'"],
    [
      { ...aws, 'role-duration': 'soon' },
      "input 'role-duration' must be a duration like 900, 15m, 1h or PT1H; got 'soon'",
    ],
    [
      { ...aws, 'inline-session-policy': '{nope' },
      "input 'inline-session-policy' must be an IAM policy document in JSON",
    ],
    [
      { ...aws, 'managed-session-policies': 'ReadOnly' },
      "input 'managed-session-policies' line 1 must be an IAM policy ARN",
    ],
    [
      { ...aws, 'allowed-account-ids': '111122223333\n12345' },
      "input 'allowed-account-ids' line 2 must be a 12-digit AWS account ID; got '12345'",
    ],
    [{ ...aws, 'role-session-name': 'has space' }, "input 'role-session-name' must be 2 to 64 characters"],
    [
      { ...aws, 'rds-auth': 'host=db.example\nusr=me' },
      "input 'rds-auth' line 2: 'usr' is not an rds-auth key; use host, port, user, region, env",
    ],
    [
      { ...aws, 'rds-auth': 'host=db.example\nuser=me\nport=99999' },
      "input 'rds-auth' line 3 port must be 1–65535; got '99999'",
    ],
    [
      { ...aws, 'rds-auth': 'host=db.example\nuser=me\nenv=LD_PRELOAD' },
      "input 'rds-auth' line 3 cannot export 'LD_PRELOAD'",
    ],
    [{ ...aws, 'rds-auth': 'user=me' }, "input 'rds-auth' needs host=<database endpoint host name>"],
    [
      { ...aws, endpoints: 'sts=http://sts.example.com' },
      "input 'endpoints' line 1 must be an https URL (plain http is accepted only for loopback addresses)",
    ],
    [
      { ...aws, endpoints: 'iamcredentials=https://x.example' },
      "input 'endpoints' line 1: endpoint 'iamcredentials' is not one of provider aws's: sts, secretsmanager",
    ],
    [{ ...aws, endpoints: 'sts' }, "input 'endpoints' line 1: expected name=URL"],
    [
      { ...aws, endpoints: 'sts=https://user:pw@sts.example.com' },
      "input 'endpoints' line 1 must not carry credentials in the URL",
    ],
    [{ ...aws, issuer: 'http://token.example.com' }, "input 'issuer' must be an https URL"],
    [{ ...aws, deadline: '2h' }, "input 'deadline' must be between 1 and 3600 seconds; got '2h'"],
    [{ ...aws, 'export-env': 'yes' }, "input 'export-env' must be true or false; got 'yes'"],
    [
      { ...aws, 'require-claims': 'repository=acme/app\nref' },
      "input 'require-claims' line 2: expected claim=pattern, e.g. ref=refs/heads/main; got 'ref'",
    ],
    [
      { provider: 'gcp', 'workload-identity-provider': 'my-pool' },
      "input 'workload-identity-provider' must be the full resource name projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>; got 'my-pool'",
    ],
    [{ provider: 'gcp', 'service-account': 'deploy' }, "input 'service-account' must be a service account e-mail"],
    [
      { provider: 'azure', 'tenant-id': 'not a tenant' },
      "input 'tenant-id' must be a tenant GUID or a verified domain",
    ],
    [{ provider: 'vault', 'vault-mount': '../sys' }, "input 'vault-mount' must be a mount path like jwt; got '../sys'"],
    [
      { provider: 'oauth', 'subject-token-type': 'saml' },
      "input 'subject-token-type' must be one of jwt, id_token, access_token, refresh_token or a token type URN; got 'saml'",
    ],
    [
      { provider: 'oauth', 'client-auth': 'client_secret_basic', 'client-id': 'x' },
      "input 'client-auth' is client_secret_basic, which needs both 'client-id' and 'client-secret'",
    ],
    [
      { provider: 'oauth', 'client-auth': 'private_key_jwt' },
      "input 'client-auth' must be one of none, client_secret_basic, client_secret_post; got 'private_key_jwt'",
    ],
  ])('refuses %o', (values, message) => {
    expect(() => parse(values as Record<string, string>)).toThrow(message);
  });

  it('refuses a missing provider', () => {
    expect(() => parseSettings(raw({}), { issuer: 'https://x.example' })).toThrow(
      "input 'provider' is required: one of aws, gcp, azure, vault, oauth, doppler",
    );
  });

  it.each([
    [
      { provider: 'aws' },
      "provider aws needs 'role-to-assume' (the ARN of the IAM role to assume); set input 'role-to-assume'",
    ],
    [{ provider: 'aws', 'role-to-assume': 'arn:aws:iam::111122223333:role/x' }, "provider aws needs 'aws-region'"],
    [
      { ...aws, 'role-chain': 'arn:aws:iam::111122223333:role/y', 'role-duration': '2h' },
      "input 'role-duration' can be at most 3600 seconds with role chaining",
    ],
    [{ provider: 'gcp' }, "provider gcp needs 'workload-identity-provider'"],
    [{ provider: 'azure', 'tenant-id': 'contoso.onmicrosoft.com' }, "provider azure needs 'client-id'"],
    [{ provider: 'vault', 'vault-url': 'https://vault.example' }, "provider vault needs 'vault-role'"],
    [{ provider: 'oauth' }, "provider oauth needs 'token-endpoint'"],
    [{ provider: 'doppler' }, "provider doppler needs 'doppler-identity'"],
  ])('requires the provider settings of %o', (values, message) => {
    expect(() => requireProviderSettings(parse(values))).toThrow(message);
  });

  it('has provider-specific default audiences, never the shared github.com/<owner>', () => {
    expect(defaultAudience(parse({ provider: 'azure' }))).toBe('api://AzureADTokenExchange');
    expect(
      defaultAudience(
        parse({
          provider: 'gcp',
          'workload-identity-provider': 'projects/1/locations/global/workloadIdentityPools/pool/providers/prov',
        }),
      ),
    ).toBe('https://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/pool/providers/prov');
    expect(defaultAudience(parse({ provider: 'vault', 'vault-url': 'https://vault.example.com:8200/' }))).toBe(
      'https://vault.example.com:8200',
    );
    expect(defaultAudience(parse({ provider: 'doppler' }))).toBe('https://api.doppler.com');
    expect(
      defaultAudience(
        parse({ provider: 'oauth', 'token-endpoint': 'https://kc.example/realms/ci/protocol/openid-connect/token' }),
      ),
    ).toBe('https://kc.example');
    expect(defaultAudience(parse({ provider: 'vault' }))).toBeUndefined();
  });

  it('knows the issuer of github.com, GHE.com and GHES', () => {
    expect(githubIssuer(undefined)).toBe('https://token.actions.githubusercontent.com');
    expect(githubIssuer('https://github.com')).toBe('https://token.actions.githubusercontent.com');
    expect(githubIssuer('https://acme.ghe.com')).toBe('https://token.actions.acme.ghe.com');
    expect(githubIssuer('https://github.acme.internal')).toBe('https://github.acme.internal/_services/token');
  });
});

describe('session names', () => {
  it("follow STS's rules: 2–64 of [\\w+=,.@-], run id kept whole", () => {
    expect(sessionName('acme/app', '4242', '1')).toBe('acme-app-4242-1');
    const long = sessionName(`acme/${'x'.repeat(80)}`, '12345678901', '3');
    expect(long).toHaveLength(64);
    expect(long.endsWith('-12345678901-3')).toBe(true);
    expect(sessionName('we!rd/na me', undefined)).toBe('we-rd-na-me');
    expect(sessionName(undefined, undefined)).toBe('airlock');
    for (const name of [long, sessionName('ä/ö', '1')]) expect(name).toMatch(/^[\w+=,.@-]{2,64}$/);
  });
});

describe('secret references', () => {
  it('parses vault, aws-sm and doppler references', () => {
    expect(parseSecretReference('vault:secret/data/ci/db#password', 'x')).toEqual({
      kind: 'vault',
      path: 'secret/data/ci/db',
      field: 'password',
    });
    expect(parseSecretReference('vault:/v1/kv/app', 'x')).toEqual({ kind: 'vault', path: 'kv/app', field: undefined });
    expect(
      parseSecretReference('aws-sm:arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf#password', 'x'),
    ).toEqual({
      kind: 'aws-sm',
      secretId: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf',
      jsonKey: 'password',
    });
    expect(parseSecretReference('doppler:web/prd/NPM_TOKEN', 'x')).toEqual({
      kind: 'doppler',
      project: 'web',
      config: 'prd',
      name: 'NPM_TOKEN',
    });
  });

  it.each([
    ['DB=', "input 'secrets' line 1: '' has no known scheme"],
    [
      'DB=s3:bucket/key',
      "input 'secrets' line 1: 's3:bucket/key' has no known scheme; references start with vault:, aws-sm: or doppler:",
    ],
    ['DB=vault:secret', "input 'secrets' line 1: 'vault:secret' is not a Vault KV reference"],
    ['DB=vault:secret/../sys/x#y', 'is not a Vault KV reference'],
    ['DB=vault:secret/data/x#', "nothing after '#'"],
    ['DB=doppler:web/NPM_TOKEN', 'is not a Doppler reference; write doppler:<project>/<config>/<SECRET_NAME>'],
    ['DB aws-sm:x', "input 'secrets' line 1: expected ENV_NAME=<reference>"],
    ['1DB=aws-sm:x', "input 'secrets' line 1: needs an environment variable name"],
    ['PATH=aws-sm:x', "cannot export 'PATH'"],
    ['GITHUB_TOKEN=aws-sm:x', "cannot export 'GITHUB_TOKEN'"],
    ['NODE_OPTIONS=aws-sm:x', "cannot export 'NODE_OPTIONS'"],
    ['A=aws-sm:x\nA=aws-sm:y', "input 'secrets' line 2: 'A' is already set by input 'secrets' line 1"],
    [
      'A=vault:secret/data/x#y',
      "'vault:secret/data/x#y' is read with a vault identity, but this step obtains a aws identity",
    ],
  ])('refuses %j', (secrets, message) => {
    expect(() => parse({ ...aws, secrets })).toThrow(message);
  });
});

describe('profiles', () => {
  const file = [
    'profiles:',
    '  production:',
    '    when: { environment: production }',
    '    role-to-assume: arn:aws:iam::111111111111:role/deploy',
    '    allowed-account-ids: [111111111111]',
    '    require-claims:',
    '      ref: [refs/heads/main, refs/tags/v*]',
    '  previews:',
    '    when:',
    '      environment: preview-*',
    '      ref: refs/heads/**',
    '    role-to-assume: arn:aws:iam::222222222222:role/preview',
  ].join('\n');

  it('chooses by environment and ref, in file order', async () => {
    const profiles = await parseProfiles(file, '.github/exchange.yml');
    expect(selectProfile(profiles, { environment: 'production', ref: 'refs/heads/main' })?.name).toBe('production');
    expect(selectProfile(profiles, { environment: 'preview-42', ref: 'refs/heads/feature/x' })?.name).toBe('previews');
    expect(selectProfile(profiles, { environment: 'preview-42', ref: 'refs/tags/v1' })).toBeUndefined();
    expect(selectProfile(profiles, { ref: 'refs/heads/main' })).toBeUndefined();
  });

  it('adds the profile claim policy to the inputs one, naming the file lines', async () => {
    const profiles = await parseProfiles(file, '.github/exchange.yml');
    const prod = profiles.profiles[0];
    if (prod === undefined) throw new Error('no profile');
    const merged = applyProfile(raw({ ...aws, 'require-claims': 'repository=acme/app' }), prod);
    const s = parseSettings(merged, { issuer: 'https://token.actions.githubusercontent.com' });
    expect(s.aws.roleToAssume).toBe('arn:aws:iam::111111111111:role/deploy');
    expect(s.aws.allowedAccountIds).toEqual(['111111111111']);
    expect(s.requireClaims.map((r) => [r.claim, r.pattern, r.where])).toEqual([
      ['repository', 'acme/app', "input 'require-claims' line 1"],
      ['ref', 'refs/heads/main', '.github/exchange.yml:7'],
      ['ref', 'refs/tags/v*', '.github/exchange.yml:7'],
    ]);
    expect(s.where('role-to-assume')).toBe('.github/exchange.yml:4');
  });

  it('reports profile value errors at their file:line', async () => {
    const profiles = await parseProfiles('profiles:\n  p:\n    when: { ref: x }\n    aws-region: nowhere\n', 'cfg.yml');
    const p = profiles.profiles[0];
    if (p === undefined) throw new Error('no profile');
    expect(() => parseSettings(applyProfile(raw(aws), p), { issuer: 'https://x.example' })).toThrow(
      "cfg.yml:4 must be an AWS region like us-east-1; got 'nowhere'",
    );
  });

  it.each([
    ['profiles: [\n  x', 'cfg.yml:2: not valid YAML'],
    ['- a\n- b\n', "cfg.yml:1: expected a mapping with a 'profiles' key"],
    ['profile:\n  a: {}\n', "cfg.yml:1: unknown top-level key 'profile'; expected 'profiles'"],
    ['profiles: {}\n', "cfg.yml:1: 'profiles' must be a mapping of profile names to settings"],
    ['profiles:\n  a: 3\n', "cfg.yml:2: profile 'a' must be a mapping of settings"],
    ['profiles:\n  a:\n    role-to-assume: x\n', "cfg.yml:2: profile 'a' has no 'when'"],
    [
      'profiles:\n  a:\n    when: { branch: main }\n',
      "cfg.yml:3: 'when' of profile 'a' can select on environment and ref, not 'branch'",
    ],
    [
      'profiles:\n  a:\n    when: { ref: x }\n    role-to-asume: y\n',
      "cfg.yml:4: unknown setting 'role-to-asume' in profile 'a'; did you mean 'role-to-assume'?",
    ],
    ['profiles:\n  a:\n    when: { ref: x }\n    provider: gcp\n', "cfg.yml:4: 'provider' cannot be set by a profile"],
    [
      'profiles:\n  a:\n    when: { ref: x }\n    issuer: https://evil.example\n',
      "cfg.yml:4: 'issuer' cannot be set by a profile",
    ],
    [
      'profiles:\n  a:\n    when: { ref: x }\n    client-secret: s\n',
      "cfg.yml:4: 'client-secret' cannot be set by a profile",
    ],
    [
      'profiles:\n  a:\n    when: { ref: x }\n    aws-region: { a: { b: c } }\n',
      "cfg.yml:4: 'aws-region.a' must be a single value",
    ],
    [
      'profiles:\n  a:\n    when: { ref: x }\n  a:\n    when: { ref: y }\n',
      'cfg.yml:4: not valid YAML: Map keys must be unique',
    ],
  ])('refuses %j', async (text, message) => {
    await expect(parseProfiles(text, 'cfg.yml')).rejects.toThrow(message);
  });
});
