import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import {
  createNodeFetch,
  GitHubIdTokenSource,
  HttpClient,
  InputError,
  nullLogger,
  proxySettingsFromEnv,
  realSleep,
} from '@airlock/core';
import {
  envTokenSource,
  exchange,
  fileTokenSource,
  githubIssuer,
  githubTokenSource,
  isOidcError,
  type RawValue,
  SETTINGS,
  type TokenSource,
} from '@airlock/oidc';
import { type Command, type CommandContext, EXIT, type OptionSpec } from '../cli.ts';
import { httpFor } from './token.ts';

/**
 * `airlock exchange`: the exchange of actions/exchange outside GitHub Actions (a laptop, GitLab CI, a Kubernetes
 * job): the same token verification, claim policy, profiles and provider clients, over the same library. Options are
 * the action's input names. Credentials are printed only with --print-env, as `export NAME='value'` lines for
 * `eval "$(airlock exchange … --print-env)"`; otherwise only the identity obtained and the variable names are shown.
 */
const MULTI = new Set([
  'require-claims',
  'secrets',
  'endpoints',
  'rds-auth',
  'managed-session-policies',
  'allowed-account-ids',
  'scopes',
  'delegates',
]);
const ACTION_ONLY = new Set(['export-env', 'output-credentials', 'credentials-file']);
const POLICY_FAILURES = new Set([
  'exchange-denied',
  'claims-mismatch',
  'no-profile',
  'account-not-allowed',
  'secret-denied',
]);

const options: Record<string, OptionSpec> = {
  'print-env': { type: 'boolean', description: "Print the credentials as shell `export NAME='value'` lines." },
};
for (const name of Object.keys(SETTINGS)) {
  if (ACTION_ONLY.has(name)) continue;
  options[name] = {
    type: 'string',
    value: name === 'provider' ? 'PROVIDER' : 'VALUE',
    description: `As the action's input '${name}'.`,
    ...(MULTI.has(name) ? { multiple: true } : {}),
  };
}
options.provider = {
  type: 'string',
  value: 'PROVIDER',
  description: 'aws, gcp, azure, vault, oauth or doppler (required).',
};
options['token-file'] = { type: 'string', value: 'FILE', description: 'Read the OIDC token from this file.' };
options['token-env'] = {
  type: 'string',
  value: 'NAME',
  description: 'Read the OIDC token from this environment variable.',
};

/** Single-quote for POSIX shells. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function tokenSource(ctx: CommandContext, http: HttpClient): TokenSource {
  const file = ctx.values['token-file'];
  const env = ctx.values['token-env'];
  const mask = () => {};
  if (typeof file === 'string' && typeof env === 'string') {
    throw new InputError('input-invalid', "options '--token-file' and '--token-env' are exclusive");
  }
  if (typeof file === 'string') return fileTokenSource(resolve(ctx.io.cwd, file), (p) => readFileSync(p, 'utf8'), mask);
  if (typeof env === 'string') return envTokenSource(env, ctx.io.env, mask);
  if (ctx.io.env.ACTIONS_ID_TOKEN_REQUEST_URL) {
    return githubTokenSource(
      new GitHubIdTokenSource({
        requestUrl: ctx.io.env.ACTIONS_ID_TOKEN_REQUEST_URL,
        requestToken: ctx.io.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN,
        http,
        mask,
      }),
    );
  }
  throw new InputError(
    'input-missing',
    'no token source: give --token-file FILE or --token-env NAME, or run inside GitHub Actions with permissions: id-token: write',
  );
}

export const exchangeCommand: Command = {
  path: ['exchange'],
  summary: 'Exchange an OIDC token for short-lived credentials (aws, gcp, azure, vault, oauth, doppler).',
  args: '--provider PROVIDER',
  description:
    "Verifies the token and the claim policy, then exchanges it like actions/exchange. Options are the action's inputs (--role-to-assume, --vault-url, --require-claims …; repeat multi-line ones). Exits 0 on success, 1 when the provider or the claim policy refuses, 2 for bad options, 3 when a service is unavailable.",
  options,
  maxPositionals: 0,
  async run(ctx) {
    const { values, io, out, err } = ctx;
    if (typeof values.provider !== 'string') throw new InputError('input-missing', "option '--provider' is required");
    const raw = new Map<string, RawValue>();
    for (const name of Object.keys(SETTINGS)) {
      const value = values[name];
      if (value === undefined || typeof value === 'boolean') continue;
      const text = Array.isArray(value) ? value.map(String).join('\n') : value;
      raw.set(name, {
        value: text,
        where: `option '--${name}'`,
        lineWhere: (index) => `option '--${name}'${Array.isArray(value) ? ` #${index + 1}` : ` line ${index + 1}`}`,
      });
    }
    const http = httpFor(io.env);
    const proxy = proxySettingsFromEnv(io.env);
    try {
      const result = await exchange(
        raw,
        { issuer: githubIssuer(io.env.GITHUB_SERVER_URL) },
        {
          tokens: tokenSource(ctx, http),
          http,
          httpWithCa: (ca) => new HttpClient({ fetch: createNodeFetch({ ca, proxy }) }),
          mask: () => {},
          now: () => new Date(),
          sleep: realSleep,
          log: { ...nullLogger, warning: (m) => err(m) },
          readFile: (path) => readFileSync(isAbsolute(path) ? path : resolve(io.cwd, path), 'utf8'),
          run: {
            repository: io.env.GITHUB_REPOSITORY,
            runId: io.env.GITHUB_RUN_ID,
            runAttempt: io.env.GITHUB_RUN_ATTEMPT,
          },
        },
      );
      const variables = [...result.env, ...result.secrets.map((s) => ({ name: s.env, value: s.value, secret: true }))];
      const report = values['print-env'] === true ? err : out;
      const until = result.expiresAt === undefined ? '' : ` until ${result.expiresAt.toISOString()}`;
      report(`airlock exchange: ${result.provider} identity ${result.identity}${until}`);
      report(
        `airlock exchange: verified token for audience ${result.audience}, subject ${result.subject}; claims checked: ${result.claimsChecked.join(', ') || 'none'}${result.profile ? `; profile ${result.profile}` : ''}`,
      );
      if (values['print-env'] === true) {
        for (const v of variables) out(`export ${v.name}=${shellQuote(v.value)}`);
      } else {
        out(
          `airlock exchange: obtained ${variables.map((v) => v.name).join(', ')} (not printed; add --print-env to print them)`,
        );
      }
      if (result.revocation !== undefined) {
        report(`airlock exchange: the ${result.provider} token stays valid${until}; revoke it when done`);
      }
      return EXIT.ok;
    } catch (error) {
      if (isOidcError(error) && POLICY_FAILURES.has(error.code)) {
        err(`airlock exchange: ${error.message}`);
        return EXIT.findings;
      }
      throw error;
    }
  },
};
