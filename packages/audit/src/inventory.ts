import { references } from './expressions/analysis.ts';
import { staticCredential } from './knowledge/credentials.ts';
import { lookupAction } from './knowledge/index.ts';
import type { Document, Job, Permissions, Workflow } from './model/types.ts';
import { allStrings, expressionsIn, factsOf, jobAt } from './rules/shared.ts';

/**
 * The identity inventory: every non-human identity the workflows hold or obtain — the GITHUB_TOKEN and its
 * permissions per job, OIDC tokens requested and what they are exchanged for, secrets referenced, GitHub App tokens
 * minted, static credentials, and the environments that gate them.
 */
export interface TokenGrant {
  /** Where the job's permissions come from. */
  readonly source: 'job' | 'workflow' | 'default' | 'caller';
  /** `write-all`, `read-all`, `default` (the repository setting), `expression`, or scope → level. */
  readonly permissions: string | Readonly<Record<string, string>>;
  /** True when the job can request OIDC tokens (id-token: write, write-all, or the default for callers). */
  readonly canMintOidc: boolean;
}

export interface OidcUse {
  readonly step: string;
  readonly line: number;
  readonly provider: string;
  readonly audience: string | undefined;
  /** Inputs naming what the token is exchanged for (role ARN, service account, client id, Vault role…). */
  readonly principal: Readonly<Record<string, string>>;
}

export interface JobIdentities {
  readonly path: string;
  readonly job: string;
  readonly line: number;
  readonly environment: string | undefined;
  readonly token: TokenGrant;
  readonly oidc: readonly OidcUse[];
  readonly secrets: readonly string[];
  readonly staticCredentials: readonly string[];
  readonly appTokens: readonly string[];
  readonly runsOn: readonly string[];
}

export interface Inventory {
  readonly jobs: readonly JobIdentities[];
  readonly environments: ReadonlyArray<{ readonly name: string; readonly jobs: readonly string[] }>;
  readonly secrets: ReadonlyArray<{ readonly name: string; readonly jobs: readonly string[] }>;
  readonly oidcAudiences: ReadonlyArray<{ readonly audience: string; readonly jobs: readonly string[] }>;
}

function grant(doc: Workflow, job: Job): TokenGrant {
  const callee = doc.triggers.some((t) => t.name === 'workflow_call');
  const perms: Permissions | undefined = job.permissions ?? doc.permissions;
  const source: TokenGrant['source'] =
    job.permissions !== undefined ? 'job' : doc.permissions !== undefined ? 'workflow' : callee ? 'caller' : 'default';
  if (perms === undefined) return { source, permissions: 'default', canMintOidc: callee };
  if (perms.kind === 'write-all' || perms.kind === 'read-all' || perms.kind === 'expression') {
    return { source, permissions: perms.kind, canMintOidc: perms.kind === 'write-all' };
  }
  const map: Record<string, string> = {};
  for (const s of perms.scopes) if (s.level !== 'none') map[s.scope] = s.level;
  return { source, permissions: map, canMintOidc: map['id-token'] === 'write' };
}

export function inventory(documents: readonly Document[]): Inventory {
  return groupInventory(documents.flatMap(inventoryJobs));
}

/** The inventory of an audit result (from its documents, or from the jobs worker threads collected). */
export function inventoryOf(result: {
  documents: readonly Document[];
  inventoryJobs?: readonly JobIdentities[];
}): Inventory {
  return result.inventoryJobs !== undefined ? groupInventory(result.inventoryJobs) : inventory(result.documents);
}

/** The identities of one document's jobs (plain data: worker threads send it back). */
export function inventoryJobs(doc: Document): JobIdentities[] {
  const jobs: JobIdentities[] = [];
  if (doc.kind !== 'workflow') return jobs;
  const secretsByJob = new Map<Job, Set<string>>();
  for (const sv of allStrings(doc.file)) {
    for (const located of expressionsIn(doc.file, sv)) {
      for (const ref of references(located.expr)) {
        const name = ref.root === 'secrets' ? ref.path[0] : undefined;
        const job = jobAt(doc, located.span);
        if (job === undefined || typeof name !== 'string') continue;
        const set = secretsByJob.get(job) ?? new Set<string>();
        set.add(name === '*' ? '(all secrets)' : name);
        secretsByJob.set(job, set);
      }
    }
  }
  for (const job of doc.jobs) {
    const oidc: OidcUse[] = [];
    const appTokens: string[] = [];
    const staticCreds = new Set<string>();
    for (const step of job.steps) {
      const facts = factsOf(doc, job, step);
      const line = doc.file.position(step.span.start).line;
      if (facts.oidc !== undefined) {
        const id = facts.knowledge?.oidcIdentity;
        const principal: Record<string, string> = {};
        for (const input of id?.principalInputs ?? []) {
          const v = step.with.get(input)?.value.trim();
          if (v) principal[input] = v;
        }
        const providerInput = step.with.get('provider')?.value.trim().toLowerCase() ?? '';
        const audience =
          (id?.audienceInput ? step.with.get(id.audienceInput)?.value.trim() : undefined) ||
          id?.audienceByProvider?.[providerInput] ||
          id?.defaultAudience;
        oidc.push({
          step: step.label,
          line,
          provider:
            id?.provider === '(input provider)'
              ? (step.with.get('provider')?.value ?? 'unspecified')
              : (id?.provider ?? facts.oidc),
          audience,
          principal,
        });
      }
      if (step.uses !== undefined && lookupAction(step.uses)?.uses === 'actions/create-github-app-token') {
        const app = step.with.get('app-id')?.value ?? step.with.get('client-id')?.value ?? '?';
        const owner = step.with.get('owner')?.value;
        appTokens.push(`GitHub App ${app}${owner ? ` (installation of ${owner})` : ''} at ${step.label}`);
      }
      for (const cred of facts.knowledge?.staticCredentials ?? []) {
        if ((step.with.get(cred.input)?.value ?? '').trim() !== '') staticCreds.add(`${cred.what} (${cred.input})`);
      }
      for (const env of step.env) {
        const c = staticCredential(env.name);
        if (c !== undefined && env.value?.value.includes('secrets.')) staticCreds.add(`${c.what} (${env.name})`);
      }
    }
    for (const env of job.env) {
      const c = staticCredential(env.name);
      if (c !== undefined && env.value?.value.includes('secrets.')) staticCreds.add(`${c.what} (${env.name})`);
    }
    const secrets = [...(secretsByJob.get(job) ?? [])].sort();
    const named = [...staticCreds].join(' ');
    for (const s of secrets) {
      const c = staticCredential(s);
      if (c !== undefined && !named.includes(`(${s})`)) staticCreds.add(`${c.what} (secrets.${s})`);
    }
    jobs.push({
      path: doc.file.path,
      job: job.id,
      line: doc.file.position(job.keySpan.start).line,
      environment: job.environment?.name,
      token: grant(doc, job),
      oidc,
      secrets,
      staticCredentials: [...staticCreds].sort(),
      appTokens,
      runsOn: job.runsOn.dynamic ? [...job.runsOn.labels, '(expression)'] : job.runsOn.labels,
    });
  }
  return jobs;
}

export function groupInventory(jobs: readonly JobIdentities[]): Inventory {
  const group = (pick: (j: JobIdentities) => readonly string[]) => {
    const map = new Map<string, string[]>();
    for (const j of jobs) for (const key of pick(j)) map.set(key, [...(map.get(key) ?? []), `${j.path}#${j.job}`]);
    return [...map].sort(([a], [b]) => a.localeCompare(b));
  };
  return {
    jobs,
    environments: group((j) => (j.environment === undefined ? [] : [j.environment])).map(([name, js]) => ({
      name,
      jobs: js,
    })),
    secrets: group((j) => j.secrets).map(([name, js]) => ({ name, jobs: js })),
    oidcAudiences: group((j) => j.oidc.map((o) => `${o.provider}: ${o.audience ?? '(default)'}`)).map(
      ([audience, js]) => ({
        audience,
        jobs: js,
      }),
    ),
  };
}

export function describePermissions(token: TokenGrant): string {
  if (typeof token.permissions === 'string') {
    return token.permissions === 'default' ? `repository default (${token.source})` : token.permissions;
  }
  const entries = Object.entries(token.permissions);
  return entries.length === 0 ? 'none' : entries.map(([s, l]) => `${s}: ${l}`).join(', ');
}
