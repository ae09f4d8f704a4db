import type { HttpClient, Logger } from '@airlock/core';
import { checkClaims, describeMismatches, subjectFormat } from './claims.ts';
import { OidcError } from './errors.ts';
import { type ExportedValue, type ProviderOutcome, type Revocation, runProvider } from './flows.ts';
import { fetchIssuerJwks } from './jwks.ts';
import { type JsonWebKeySet, type JwtClaims, type VerifiedToken, verifyToken } from './jwt.ts';
import { applyProfile, type ProfileFile, parseProfiles, selectProfile } from './profiles.ts';
import type { ProviderContext, TokenFacts } from './providers/context.ts';
import type { RetryBudget } from './retry.ts';
import {
  defaultAudience,
  type ExchangeSettings,
  type Provider,
  parseSettings,
  type RawSettings,
  requireProviderSettings,
} from './settings.ts';
import { FreshToken, type TokenSource } from './tokens.ts';

/**
 * One exchange, start to end: request the job's OIDC token for an explicit audience, verify it (signature against the
 * issuer's JWKS, iss, aud, exp/nbf), choose the profile, check the claim policy, exchange with the provider, fetch the
 * just-in-time secrets — and return what to export. Shared by the action (actions/exchange/src/run.ts) and the CLI
 * (`airlock exchange`); neither the token nor any credential is ever logged here.
 */
export const PROFILE_SELECTION_AUDIENCE = 'urn:airlock:exchange:profile-selection';

export interface ExchangeDeps {
  readonly tokens: TokenSource;
  readonly http: HttpClient;
  /** An HTTP client that also trusts this CA (for Vault's custom CA). */
  readonly httpWithCa: (caPem: string) => HttpClient;
  readonly mask: (value: string) => void;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly log: Logger;
  /** Read a file the user named (config, CA certificate), relative to the workspace. */
  readonly readFile: (path: string) => string;
  readonly run: {
    readonly repository?: string | undefined;
    readonly runId?: string | undefined;
    readonly runAttempt?: string | undefined;
  };
  /** Keys to verify with instead of the issuer's published JWKS. */
  readonly jwks?: JsonWebKeySet;
  /** Told the verified job workflow, for the trail. */
  readonly identify?: (facts: { jobWorkflowRef?: string }) => void;
  readonly leewaySeconds?: number;
  /** Backoff base for retries (tests make it small). */
  readonly baseDelayMs?: number;
}

export interface ExchangedSecret {
  readonly env: string;
  readonly reference: string;
  readonly value: string;
}

export interface ExchangeResult {
  readonly provider: Provider;
  readonly settings: ExchangeSettings;
  readonly profile: string | undefined;
  readonly issuer: string;
  readonly audience: string;
  readonly subject: string;
  readonly subjectFormat: 'classic' | 'immutable' | 'other';
  readonly jobWorkflowRef: string | undefined;
  readonly claimsChecked: readonly string[];
  /** How many OIDC tokens were requested (more than one when one neared expiry or a profile changed the audience). */
  readonly tokensRequested: number;
  readonly identity: string;
  readonly expiresAt: Date | undefined;
  readonly env: readonly ExportedValue[];
  readonly outputs: readonly ExportedValue[];
  readonly secrets: readonly ExchangedSecret[];
  readonly revocation: Revocation | undefined;
  readonly credentialsFile: ProviderOutcome['credentialsFile'];
  readonly details: Readonly<Record<string, string>>;
}

const claimText = (claims: JwtClaims, name: string): string | undefined =>
  typeof claims[name] === 'string' ? (claims[name] as string) : undefined;

export async function exchange(
  raw: RawSettings,
  defaults: { issuer: string },
  deps: ExchangeDeps,
): Promise<ExchangeResult> {
  const base = parseSettings(raw, defaults);
  const configPath = raw.get('config')?.value.trim();
  let profiles: ProfileFile | undefined;
  if (configPath) {
    let text: string;
    try {
      text = deps.readFile(configPath);
    } catch (cause) {
      throw new OidcError(
        'config-invalid',
        `${raw.get('config')?.where ?? "input 'config'"}: cannot read ${configPath} (${(cause as NodeJS.ErrnoException).code ?? cause}); the path is relative to the workspace — check out the repository first`,
        { cause },
      );
    }
    profiles = await parseProfiles(text, configPath);
  } else {
    requireProviderSettings(base);
  }

  const nowMs = () => deps.now().getTime();
  const budget: RetryBudget = {
    deadlineAt: nowMs() + base.deadlineSeconds * 1000,
    now: nowMs,
    sleep: deps.sleep,
    ...(deps.random === undefined ? {} : { random: deps.random }),
    ...(deps.baseDelayMs === undefined ? {} : { baseDelayMs: deps.baseDelayMs }),
  };
  const issuer = base.issuer;
  let tokensRequested = 0;

  // The JWKS is fetched while the token is requested: both are needed, neither depends on the other.
  const jwksPromise = deps.jwks === undefined ? fetchIssuerJwks(deps.http, issuer) : Promise.resolve(deps.jwks);
  jwksPromise.catch(() => {});
  const obtain = async (audience: string): Promise<{ fresh: FreshToken; verified: VerifiedToken; token: string }> => {
    const fresh = new FreshToken(deps.tokens, audience, nowMs);
    const [{ token }, jwks] = await Promise.all([fresh.get(), jwksPromise]);
    tokensRequested++;
    let verified: VerifiedToken;
    try {
      verified = await verifyToken(token, {
        issuer,
        audience,
        jwks,
        now: deps.now,
        ...(deps.leewaySeconds === undefined ? {} : { leewaySeconds: deps.leewaySeconds }),
      });
    } catch (error) {
      if (error instanceof OidcError) {
        throw new OidcError(
          error.code,
          `the OIDC token from ${deps.tokens.description} failed verification: ${error.message}`,
          {
            cause: error,
            kind: error.kind,
          },
        );
      }
      throw error;
    }
    return { fresh, verified, token };
  };

  const firstAudience = base.audience ?? defaultAudience(base) ?? (profiles ? PROFILE_SELECTION_AUDIENCE : undefined);
  if (firstAudience === undefined) {
    throw new OidcError(
      'setting-invalid',
      `input 'audience' is needed: provider ${base.provider} has no default audience without its URL setting`,
    );
  }
  let current = await obtain(firstAudience);
  let settings = base;
  let profileName: string | undefined;
  if (profiles !== undefined) {
    const profile = selectProfile(profiles, current.verified.claims);
    if (profile === undefined) {
      const env = claimText(current.verified.claims, 'environment');
      const list = profiles.profiles
        .map(
          (p) =>
            `${p.name} (${[...p.when.environment.map((e) => `environment ${e}`), ...p.when.ref.map((r) => `ref ${r}`)].join(', ')})`,
        )
        .join('; ');
      throw new OidcError(
        'no-profile',
        `no profile in ${profiles.file} matches this job (environment ${env === undefined ? 'none' : `'${env}'`}, ref '${claimText(current.verified.claims, 'ref') ?? ''}'), so it gets no credentials. Profiles: ${list}. Run the job in an environment a profile names, or add a profile for it`,
      );
    }
    profileName = profile.name;
    settings = parseSettings(applyProfile(raw, profile), defaults);
    requireProviderSettings(settings);
    const audience = settings.audience ?? defaultAudience(settings);
    if (audience === undefined) {
      throw new OidcError('setting-invalid', `profile '${profile.name}' (${profile.where}) needs 'audience'`);
    }
    if (audience !== firstAudience) current = await obtain(audience);
  }

  const { claims } = current.verified;
  const jobWorkflowRef = claimText(claims, 'job_workflow_ref');
  deps.identify?.(jobWorkflowRef === undefined ? {} : { jobWorkflowRef });
  const check = checkClaims(claims, settings.requireClaims);
  if (check.mismatches.length > 0) throw new OidcError('claims-mismatch', describeMismatches(check, claims));

  const audience = current.fresh.audience;
  if (/^https:\/\/github\.com\/[^/]+\/?$/.test(audience)) {
    deps.log.warning(
      `exchange: the audience '${audience}' is GitHub's default, shared by every relying party of the organisation; give the provider its own audience (the provider default is ${defaultAudience(settings) ?? 'provider-specific'})`,
    );
  }
  const facts: TokenFacts = { sub: claimText(claims, 'sub') ?? '', aud: audience, iss: issuer };
  const ctx: ProviderContext = { http: deps.http, budget, mask: deps.mask, now: deps.now, log: deps.log };
  const outcome = await runProvider(settings, current.fresh, facts, {
    ctx,
    ctxWithCa: (ca) => ({ ...ctx, http: deps.httpWithCa(ca) }),
    readFile: deps.readFile,
    run: deps.run,
  });
  tokensRequested += current.fresh.fetches - 1;

  const secrets: ExchangedSecret[] = [];
  for (const request of settings.secrets) {
    const value = await outcome.fetchSecret(request);
    deps.mask(value);
    secrets.push({ env: request.env, reference: request.text, value });
  }

  return {
    provider: settings.provider,
    settings,
    profile: profileName,
    issuer,
    audience,
    subject: facts.sub,
    subjectFormat: subjectFormat(facts.sub),
    jobWorkflowRef,
    claimsChecked: check.checked,
    tokensRequested,
    identity: outcome.identity,
    expiresAt: outcome.expiresAt,
    env: outcome.env,
    outputs: outcome.outputs,
    secrets,
    revocation: outcome.revocation,
    credentialsFile: outcome.credentialsFile,
    details: outcome.details,
  };
}
