import {
  checkClaims,
  describeMismatches,
  globMatch,
  parseRepoSubject,
  parseRequirement,
  subjectFormat,
  subjectMatches,
} from '@airlock/oidc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const claims = {
  sub: 'repo:acme/app:environment:production',
  repository: 'acme/app',
  repository_id: '123456789',
  repository_owner: 'acme',
  repository_owner_id: '987654',
  ref: 'refs/heads/main',
  environment: 'production',
  runner_environment: 'github-hosted',
  job_workflow_ref: 'acme/.github/.github/workflows/deploy.yml@refs/heads/main',
  event_name: 'push',
  aud: ['sts.amazonaws.com', 'other'],
};
const req = (claim: string, pattern: string, line = 1) =>
  parseRequirement(claim, pattern, `input 'require-claims' line ${line}`);

describe('globs', () => {
  it('* stays within a path segment, ** crosses, ? is one character', () => {
    expect(globMatch('refs/heads/*', 'refs/heads/main')).toBe(true);
    expect(globMatch('refs/heads/*', 'refs/heads/feature/x')).toBe(false);
    expect(globMatch('refs/heads/**', 'refs/heads/feature/x')).toBe(true);
    expect(globMatch('refs/tags/v?.*', 'refs/tags/v1.2')).toBe(true);
    expect(globMatch('refs/tags/v?.*', 'refs/tags/v10.2')).toBe(false);
    expect(globMatch('acme/*', 'acme/app')).toBe(true);
    expect(globMatch('acme/app', 'acme/app2')).toBe(false);
  });

  it('treats regex metacharacters literally', () => {
    expect(globMatch('a.b+(c)|[d]', 'a.b+(c)|[d]')).toBe(true);
    expect(globMatch('a.b', 'axb')).toBe(false);
    expect(globMatch('^x$', '^x$')).toBe(true);
  });

  it('matches any literal without wildcards exactly (property)', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !/[*?]/.test(s)),
        fc.string(),
        (literal, other) => {
          expect(globMatch(literal, literal)).toBe(true);
          if (other !== literal) expect(globMatch(literal, other)).toBe(false);
        },
      ),
    );
  });
});

describe('claim policy', () => {
  it.each([
    ['repository', 'acme/app', 'acme/other'],
    ['ref', 'refs/heads/main', 'refs/heads/dev'],
    ['environment', 'production', 'staging'],
    ['runner_environment', 'github-hosted', 'self-hosted'],
    [
      'job_workflow_ref',
      'acme/.github/.github/workflows/deploy.yml@refs/heads/main',
      'acme/.github/.github/workflows/deploy.yml@refs/heads/dev',
    ],
    ['event_name', 'push', 'pull_request'],
    ['repository_owner_id', '987654', '1'],
  ])('checks %s', (claim, good, bad) => {
    expect(checkClaims(claims, [req(claim, good)]).mismatches).toEqual([]);
    const check = checkClaims(claims, [req(claim, bad)]);
    expect(check.mismatches).toEqual([
      {
        claim,
        patterns: [bad],
        actual: (claims as Record<string, unknown>)[claim],
        where: "input 'require-claims' line 1",
      },
    ]);
  });

  it('treats repeated claims as alternatives and different claims as all-required', () => {
    expect(checkClaims(claims, [req('ref', 'refs/heads/dev'), req('ref', 'refs/heads/main', 2)]).mismatches).toEqual(
      [],
    );
    const both = checkClaims(claims, [req('ref', 'refs/heads/main'), req('environment', 'staging', 2)]);
    expect(both.checked).toEqual(['ref', 'environment']);
    expect(both.mismatches.map((m) => m.claim)).toEqual(['environment']);
  });

  it('never matches a missing claim, even with **', () => {
    const check = checkClaims({ ...claims, environment: undefined }, [req('environment', '**')]);
    expect(check.mismatches[0]).toMatchObject({
      claim: 'environment',
      actual: undefined,
      reason: 'the token has no such claim',
    });
  });

  it('matches array claims by any element (aud)', () => {
    expect(checkClaims(claims, [req('aud', 'other')]).mismatches).toEqual([]);
  });

  it('globs on job_workflow_ref for reusable workflows', () => {
    expect(
      checkClaims(claims, [req('job_workflow_ref', 'acme/.github/.github/workflows/*.yml@refs/heads/main')]).mismatches,
    ).toEqual([]);
    expect(
      checkClaims(claims, [req('job_workflow_ref', 'acme/.github/.github/workflows/*.yml@refs/tags/*')]).mismatches,
    ).toHaveLength(1);
  });

  it('describes every mismatch with the actual sub, never anything else', () => {
    const check = checkClaims(claims, [req('ref', 'refs/tags/*'), req('environment', 'staging', 3)]);
    expect(describeMismatches(check, claims)).toBe(
      "the claim policy refused the token: claim 'ref' is 'refs/heads/main', but input 'require-claims' line 1 requires 'refs/tags/*'; claim 'environment' is 'production', but input 'require-claims' line 3 requires 'staging'. The token's subject is 'repo:acme/app:environment:production'. Run the job from a ref, environment or workflow the policy admits, or change the policy.",
    );
  });

  it('refuses malformed requirements with the place they were written', () => {
    expect(() => parseRequirement('bad claim', 'x', "input 'require-claims' line 4")).toThrow(
      "input 'require-claims' line 4: 'bad claim' is not a claim name; expected claim=pattern",
    );
    expect(() => parseRequirement('ref', '', 'deploy.yml:9')).toThrow(/deploy\.yml:9: the pattern for 'ref' is empty/);
  });
});

describe('subjects in both formats', () => {
  const immutable = { ...claims, sub: 'repo:acme@987654/app@123456789:environment:production' };

  it('parses classic and immutable subjects, and leaves others alone', () => {
    expect(parseRepoSubject('repo:acme/app:ref:refs/heads/main')).toEqual({
      owner: 'acme',
      ownerId: undefined,
      repo: 'app',
      repoId: undefined,
      context: 'ref:refs/heads/main',
    });
    expect(parseRepoSubject(immutable.sub)).toMatchObject({
      owner: 'acme',
      ownerId: '987654',
      repo: 'app',
      repoId: '123456789',
    });
    expect(subjectFormat(immutable.sub)).toBe('immutable');
    expect(subjectFormat('repo:acme/app:pull_request')).toBe('classic');
    expect(subjectFormat('system:serviceaccount:ci:deployer')).toBe('other');
    expect(parseRepoSubject('repo:acme@1/app:ref:x')).toBeUndefined(); // IDs come in pairs
  });

  it('a classic pattern matches either format by name', () => {
    for (const c of [claims, immutable]) {
      expect(checkClaims(c, [req('sub', 'repo:acme/app:environment:production')]).mismatches).toEqual([]);
      expect(checkClaims(c, [req('sub', 'repo:acme/*:environment:*')]).mismatches).toEqual([]);
    }
  });

  it('a pattern with IDs needs the same IDs, from the subject or from the claims of a classic token', () => {
    const pattern = 'repo:acme@987654/app@123456789:environment:production';
    expect(checkClaims(immutable, [req('sub', pattern)]).mismatches).toEqual([]);
    expect(checkClaims(claims, [req('sub', pattern)]).mismatches).toEqual([]);
    // a re-created repository with the same name has another ID
    const recreated = { ...immutable, sub: 'repo:acme@987654/app@555:environment:production', repository_id: '555' };
    const check = checkClaims(recreated, [req('sub', pattern)]);
    expect(check.mismatches[0]?.reason).toBe('repository ID 555 is not 123456789');
    expect(subjectMatches(pattern, claims.sub, { ...claims, repository_owner_id: '1' })).toEqual({
      ok: false,
      reason: 'owner ID 1 is not 987654',
    });
  });

  it('keeps wildcards inside their part of the subject', () => {
    // a * in the repository part cannot swallow the context
    expect(subjectMatches('repo:acme/*:ref:refs/heads/main', 'repo:acme/app:environment:x', claims).ok).toBe(false);
    expect(subjectMatches('repo:acme/*:ref:refs/heads/main', 'repo:acme/app:environment:x', claims).reason).toBe(
      "context 'environment:x' does not match 'ref:refs/heads/main'",
    );
    expect(subjectMatches('repo:*/app:**', 'repo:evil/app:ref:refs/heads/main', claims).ok).toBe(true);
    expect(subjectMatches('repo:acme/app:*', 'repo:acme/app:ref:refs/heads/main', claims).ok).toBe(false); // * does not cross /
    expect(subjectMatches('repo:acme/app:**', 'repo:acme/app:ref:refs/heads/main', claims).ok).toBe(true);
  });

  it('matches other subjects as plain globs', () => {
    expect(subjectMatches('system:serviceaccount:ci:*', 'system:serviceaccount:ci:deployer', {}).ok).toBe(true);
  });
});
