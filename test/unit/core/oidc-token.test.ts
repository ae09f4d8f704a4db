import { createNodeFetch, GitHubIdTokenSource, HttpClient, IdTokenError } from '@airlock/core';
import { OidcProvider } from '@airlock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let provider: OidcProvider;
beforeAll(async () => {
  provider = await OidcProvider.start();
});
afterAll(async () => {
  await provider.stop();
});

const http = () => new HttpClient({ fetch: createNodeFetch(), sleep: async () => {} });

describe('GitHubIdTokenSource', () => {
  it('fetches a token for the audience and masks the request token and the token before returning', async () => {
    const masked: string[] = [];
    const source = new GitHubIdTokenSource({ ...urls(), http: http(), mask: (v) => masked.push(v) });
    expect(masked).toEqual([provider.requestToken]);
    const token = await source.getToken('sts.amazonaws.com');
    expect(masked).toEqual([provider.requestToken, token]);
    expect(provider.requests.at(-1)).toEqual({ audience: 'sts.amazonaws.com', authorized: true, status: 200 });
  });

  it('retries a 5xx from the token endpoint', async () => {
    provider.faults = { tokenStatus: { status: 502, count: 2 } };
    const token = await new GitHubIdTokenSource({ ...urls(), http: http(), mask: () => {} }).getToken('sigstore');
    expect(token.split('.')).toHaveLength(3);
    provider.faults = {};
  });

  it('explains the missing id-token permission', async () => {
    const source = new GitHubIdTokenSource({
      requestUrl: undefined,
      requestToken: undefined,
      http: http(),
      mask: () => {},
    });
    const error = await source.getToken('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdTokenError);
    expect(error).toMatchObject({ code: 'oidc-unavailable', kind: 'user' });
    expect((error as Error).message).toMatch(/permissions: id-token: write/);
    expect((error as Error).message).toMatch(/forks/);
  });

  it('reports a refused request token', async () => {
    const source = new GitHubIdTokenSource({
      requestUrl: provider.requestUrl,
      requestToken: 'wrong',
      http: http(),
      mask: () => {},
    });
    await expect(source.getToken('x')).rejects.toMatchObject({ code: 'oidc-denied' });
  });
});

function urls() {
  return { requestUrl: provider.requestUrl, requestToken: provider.requestToken };
}
