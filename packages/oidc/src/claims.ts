import { OidcError } from './errors.ts';
import type { JwtClaims } from './jwt.ts';

/**
 * The claim policy checked before any exchange (input `require-claims`, profile key `require-claims`, CLI
 * `--require-claim`): `claim=pattern`, one per line. Several lines for the same claim are alternatives (any may
 * match); different claims must all match. A missing claim never matches.
 *
 * Patterns are globs in the GitHub workflow-filter style, chosen to be narrow by default:
 * `*` matches any characters except `/`, `**` matches any characters, `?` one character except `/`; everything else
 * is literal. So `ref=refs/heads/*` admits `refs/heads/main` but not `refs/heads/feature/x` (write `refs/heads/**`).
 *
 * The subject is compared by its parts, so a wildcard in one part cannot eat into another. Both subject formats are
 * understood: the classic `repo:owner/repo:<context>` and the immutable `repo:owner@OWNER_ID/repo@REPO_ID:<context>`
 * (repositories created since July 2026). A pattern in the classic format matches either format by name; a pattern
 * that carries IDs matches only the same IDs (taken from the subject, or, for a classic-format token, from its
 * `repository_owner_id` and `repository_id` claims), which survives renames and re-creation of a name.
 */
export interface ClaimRequirement {
  readonly claim: string;
  readonly pattern: string;
  /** Where the requirement was written, for messages: `input 'require-claims' line 2`, `deploy.yml:14`. */
  readonly where: string;
}

export interface ClaimMismatch {
  readonly claim: string;
  readonly patterns: readonly string[];
  readonly actual: string | undefined;
  readonly where: string;
  readonly reason?: string;
}

export interface ClaimCheck {
  readonly checked: readonly string[];
  readonly mismatches: readonly ClaimMismatch[];
}

const CLAIM_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;

export function parseRequirement(claim: string, pattern: string, where: string): ClaimRequirement {
  if (!CLAIM_NAME.test(claim)) {
    throw new OidcError('setting-invalid', `${where}: '${claim}' is not a claim name; expected claim=pattern`);
  }
  if (pattern === '') {
    throw new OidcError(
      'setting-invalid',
      `${where}: the pattern for '${claim}' is empty; write the value the claim must have (globs * ** ? allowed)`,
    );
  }
  return { claim, pattern, where };
}

/** A glob as an anchored regular expression. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        source += '.*';
        i++;
      } else {
        source += '[^/]*';
      }
    } else if (c === '?') {
      source += '[^/]';
    } else {
      source += c.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 's');
}

export function globMatch(pattern: string, value: string): boolean {
  return globToRegExp(pattern).test(value);
}

export interface RepoSubject {
  readonly owner: string;
  readonly ownerId: string | undefined;
  readonly repo: string;
  readonly repoId: string | undefined;
  readonly context: string;
}

/** Parse `repo:owner/repo:ctx` or `repo:owner@ID/repo@ID:ctx`; undefined for other subjects. */
export function parseRepoSubject(sub: string): RepoSubject | undefined {
  const m = /^repo:([^/:@]+)(?:@([^/:@]+))?\/([^/:@]+)(?:@([^/:@]+))?:(.+)$/s.exec(sub);
  if (m === null) return undefined;
  const [, owner, ownerId, repo, repoId, context] = m;
  if ((ownerId === undefined) !== (repoId === undefined)) return undefined;
  return {
    owner: owner as string,
    ownerId,
    repo: repo as string,
    repoId,
    context: context as string,
  };
}

export function subjectFormat(sub: string): 'classic' | 'immutable' | 'other' {
  const parsed = parseRepoSubject(sub);
  if (parsed === undefined) return 'other';
  return parsed.ownerId === undefined ? 'classic' : 'immutable';
}

/** Whether a subject pattern admits a token's subject; `reason` explains a structural mismatch. */
export function subjectMatches(pattern: string, sub: string, claims: JwtClaims): { ok: boolean; reason?: string } {
  const want = parseRepoSubject(pattern);
  const have = parseRepoSubject(sub);
  if (want === undefined || have === undefined) return { ok: globMatch(pattern, sub) };
  if (!globMatch(want.owner, have.owner)) return { ok: false, reason: `owner '${have.owner}' is not '${want.owner}'` };
  if (!globMatch(want.repo, have.repo)) return { ok: false, reason: `repository '${have.repo}' is not '${want.repo}'` };
  if (want.ownerId !== undefined) {
    const ownerId = have.ownerId ?? stringClaim(claims.repository_owner_id);
    const repoId = have.repoId ?? stringClaim(claims.repository_id);
    if (ownerId !== want.ownerId) {
      return { ok: false, reason: `owner ID ${ownerId ?? '(none in the token)'} is not ${want.ownerId}` };
    }
    if (repoId !== want.repoId) {
      return { ok: false, reason: `repository ID ${repoId ?? '(none in the token)'} is not ${want.repoId}` };
    }
  }
  if (!globMatch(want.context, have.context)) {
    return { ok: false, reason: `context '${have.context}' does not match '${want.context}'` };
  }
  return { ok: true };
}

function stringClaim(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function claimValues(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return value.map(stringClaim).filter((v): v is string => v !== undefined);
  const single = stringClaim(value);
  return single === undefined ? undefined : [single];
}

/** Check every requirement; returns what was checked and every mismatch (not only the first). */
export function checkClaims(claims: JwtClaims, requirements: readonly ClaimRequirement[]): ClaimCheck {
  const byClaim = new Map<string, ClaimRequirement[]>();
  for (const r of requirements) byClaim.set(r.claim, [...(byClaim.get(r.claim) ?? []), r]);
  const mismatches: ClaimMismatch[] = [];
  for (const [claim, reqs] of byClaim) {
    const values = claimValues(claims[claim]);
    const patterns = reqs.map((r) => r.pattern);
    const where = reqs.map((r) => r.where).join(', ');
    if (values === undefined || values.length === 0) {
      mismatches.push({ claim, patterns, actual: undefined, where, reason: 'the token has no such claim' });
      continue;
    }
    if (claim === 'sub') {
      const results = patterns.map((p) => subjectMatches(p, values[0] as string, claims));
      if (!results.some((r) => r.ok)) {
        const reason = results.find((r) => r.reason !== undefined)?.reason;
        mismatches.push({ claim, patterns, actual: values[0], where, ...(reason === undefined ? {} : { reason }) });
      }
      continue;
    }
    if (!patterns.some((p) => values.some((v) => globMatch(p, v)))) {
      mismatches.push({ claim, patterns, actual: values.join(', '), where });
    }
  }
  return { checked: [...byClaim.keys()], mismatches };
}

/** The refusal message: every mismatching claim with its actual value, and the actual subject. Never the token. */
export function describeMismatches(check: ClaimCheck, claims: JwtClaims): string {
  const lines = check.mismatches.map((m) => {
    const expected = m.patterns.map((p) => `'${p}'`).join(' or ');
    const actual = m.actual === undefined ? 'missing' : `'${m.actual}'`;
    return `claim '${m.claim}' is ${actual}, but ${m.where} requires ${expected}${m.reason ? ` (${m.reason})` : ''}`;
  });
  const sub = stringClaim(claims.sub) ?? '(none)';
  return `the claim policy refused the token: ${lines.join('; ')}. The token's subject is '${sub}'. Run the job from a ref, environment or workflow the policy admits, or change the policy.`;
}
