import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import {
  createNodeFetch,
  HttpClient,
  type JsonObject,
  proxySettingsFromEnv,
  type StepIO,
  type StepResult,
} from '@airlock/core';
import {
  type ExchangeResult,
  envTokenSource,
  exchange,
  fileTokenSource,
  githubIssuer,
  githubTokenSource,
  OidcError,
  type RawSettings,
  type RawValue,
  type TokenSource,
} from '@airlock/oidc';
import { type ExchangeState, STATE_KEY } from './state.ts';

/**
 * The exchange step: verify the job's OIDC token, check the claim policy, exchange it, then export. Every value is
 * masked by the library the moment it is parsed; this file masks again before each export (idempotent), so the order
 * "mask, then use" holds whatever path a value takes. Logs and the summary name identities and variables, never values.
 */
export interface Inputs {
  /** Every input as given, by input name (undefined when empty). */
  readonly settings: Readonly<Record<string, string | undefined>>;
}

export function rawSettings(values: Readonly<Record<string, string | undefined>>): RawSettings {
  const raw = new Map<string, RawValue>();
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || value === '') continue;
    raw.set(name, { value, where: `input '${name}'`, lineWhere: (index) => `input '${name}' line ${index + 1}` });
  }
  return raw;
}

export function tokenSourceFor(settings: Inputs['settings'], io: StepIO): TokenSource {
  const file = settings['token-file'];
  const env = settings['token-env'];
  if (file !== undefined && env !== undefined) {
    throw new OidcError('setting-invalid', "inputs 'token-file' and 'token-env' are exclusive; give one token source");
  }
  if (file !== undefined) {
    return fileTokenSource(resolve(io.workspace, file), (path) => readFileSync(path, 'utf8'), io.mask);
  }
  if (env !== undefined) return envTokenSource(env, io.env, io.mask);
  return githubTokenSource(io.idTokens);
}

function readWorkspaceFile(io: StepIO, path: string): string {
  return readFileSync(isAbsolute(path) ? path : resolve(io.workspace, path), 'utf8');
}

export function httpWithCa(io: StepIO): (ca: string) => HttpClient {
  return (ca) =>
    new HttpClient({
      fetch: createNodeFetch({ ca, proxy: proxySettingsFromEnv(io.env) }),
      logger: io.log,
      sleep: io.sleep,
      userAgent: `airlock-${io.action.name}/${io.action.version}`,
    });
}

/** Write the credentials file: 0600, in RUNNER_TEMP only, never through a symlink, never in the workspace. */
export function writeCredentialsFile(io: StepIO, content: string): string {
  if (io.runnerTemp === undefined) {
    throw new OidcError(
      'credentials-file',
      "input 'credentials-file' needs RUNNER_TEMP (credentials are never written to the workspace); run on an Actions runner or turn it off",
    );
  }
  const dir = join(io.runnerTemp, 'airlock-exchange');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (stat.isSymbolicLink() || !stat.isDirectory()) {
    throw new OidcError(
      'credentials-file',
      `refusing to write credentials through a symlink: ${dir} is not a plain directory`,
    );
  }
  const real = realpathSync(dir);
  let workspace: string | undefined;
  try {
    workspace = realpathSync(io.workspace);
  } catch {
    workspace = undefined;
  }
  if (
    workspace !== undefined &&
    !relative(workspace, real).startsWith('..') &&
    !isAbsolute(relative(workspace, real))
  ) {
    throw new OidcError(
      'credentials-file',
      'refusing to write credentials inside the workspace (RUNNER_TEMP points into it)',
    );
  }
  const step = (io.github.step ?? 'step').replace(/[^\w.-]+/g, '_').slice(0, 40);
  const path = join(dir, `${step}-${randomBytes(8).toString('hex')}.credentials`);
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return path;
}

function apply(result: ExchangeResult, io: StepIO): { exported: string[]; files: string[] } {
  const s = result.settings;
  const exported: string[] = [];
  const files: string[] = [];
  // Mask again right before use: a no-op for values the library registered, a guarantee for any it did not.
  for (const v of [...result.env, ...result.outputs]) if (v.secret) io.mask(v.value);
  for (const secret of result.secrets) io.mask(secret.value);

  // The file first: if it cannot be written safely, nothing has been exported yet.
  let credentialsFile: string | undefined;
  if (s.credentialsFile) {
    io.mask(result.credentialsFile.content);
    credentialsFile = writeCredentialsFile(io, result.credentialsFile.content);
    files.push(credentialsFile);
  }
  try {
    if (s.exportEnv) {
      for (const v of result.env) {
        io.exportVariable(v.name, v.value);
        exported.push(v.name);
      }
    }
    for (const secret of result.secrets) {
      io.exportVariable(secret.env, secret.value);
      exported.push(secret.env);
    }
    if (credentialsFile !== undefined) {
      io.exportVariable(result.credentialsFile.env, credentialsFile);
      exported.push(result.credentialsFile.env);
      io.setOutput('credentials-file', credentialsFile);
    }
  } catch (error) {
    if (credentialsFile !== undefined) rmSync(credentialsFile, { force: true });
    throw error;
  }
  io.setOutput('identity', result.identity);
  if (result.expiresAt !== undefined) io.setOutput('expiration', result.expiresAt.toISOString());
  if (result.profile !== undefined) io.setOutput('profile', result.profile);
  for (const v of result.outputs) {
    if (!v.secret || s.outputCredentials) io.setOutput(v.name, v.value);
  }
  return { exported, files };
}

function summarize(result: ExchangeResult, exported: readonly string[], io: StepIO): void {
  const rows: string[][] = [
    ['provider', result.provider],
    ['identity', result.identity],
    ['expires', result.expiresAt?.toISOString() ?? '(not stated by the provider)'],
    ['audience', result.audience],
    ['subject', `${result.subject} (${result.subjectFormat} format)`],
    [
      'claims checked',
      result.claimsChecked.length > 0 ? result.claimsChecked.join(', ') : '(none: add require-claims)',
    ],
  ];
  if (result.profile !== undefined) rows.push(['profile', result.profile]);
  for (const [key, value] of Object.entries(result.details)) rows.push([key, value]);
  rows.push(['exported', exported.length > 0 ? exported.join(', ') : '(nothing)']);
  io.summary.heading('Airlock exchange').table(['', ''], rows);
  if (result.secrets.length > 0) {
    io.summary.table(
      ['variable', 'secret'],
      result.secrets.map((s) => [s.env, s.reference]),
    );
  }
}

export async function run(inputs: Inputs, io: StepIO): Promise<StepResult> {
  const raw = rawSettings(inputs.settings);
  const tokens = tokenSourceFor(inputs.settings, io);
  const result = await exchange(
    raw,
    { issuer: githubIssuer(io.github.serverUrl) },
    {
      tokens,
      http: io.http(),
      httpWithCa: httpWithCa(io),
      mask: io.mask,
      now: io.now,
      sleep: io.sleep,
      log: io.log,
      readFile: (path) => readWorkspaceFile(io, path),
      run: { repository: io.github.repository, runId: io.github.runId, runAttempt: io.github.runAttempt },
      identify: (facts) => io.identify(facts),
    },
  );

  const { exported, files } = apply(result, io);
  const state: ExchangeState = {
    version: 1,
    provider: result.provider,
    env: exported,
    files,
    ...(result.revocation === undefined ? {} : { revocation: result.revocation }),
    ...(result.expiresAt === undefined ? {} : { expiresAt: result.expiresAt.toISOString() }),
  };
  io.saveState(STATE_KEY, JSON.stringify(state));

  const until = result.expiresAt === undefined ? '' : ` until ${result.expiresAt.toISOString()}`;
  io.log.info(`exchange: ${result.provider} identity ${result.identity}${until}`);
  io.log.info(
    `exchange: verified token for audience ${result.audience}, subject ${result.subject}; claims checked: ${result.claimsChecked.join(', ') || 'none'}`,
  );
  if (exported.length > 0) io.log.info(`exchange: exported ${exported.join(', ')}`);
  summarize(result, exported, io);

  const record: JsonObject = {
    provider: result.provider,
    identity: result.identity,
    expires_at: result.expiresAt?.toISOString() ?? null,
    issuer: result.issuer,
    audience: result.audience,
    subject: result.subject,
    subject_format: result.subjectFormat,
    claims_checked: [...result.claimsChecked],
    profile: result.profile ?? null,
    exported: exported,
    secrets: result.secrets.map((s) => ({ env: s.env, reference: s.reference })),
    tokens_requested: result.tokensRequested,
    revocable: result.revocation !== undefined,
  };
  return { result: record };
}
