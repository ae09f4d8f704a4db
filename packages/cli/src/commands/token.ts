import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createNodeFetch, HttpClient, InputError, proxySettingsFromEnv } from '@airlock/core';
import {
  checkClaims,
  describeMismatches,
  fetchIssuerJwks,
  fetchJwksUrl,
  isOidcError,
  type JsonWebKeySet,
  OidcError,
  parseJwks,
  parseRequirement,
  verifyToken,
} from '@airlock/oidc';
import { type Command, EXIT } from '../cli.ts';

/**
 * `airlock token verify`: verify an OIDC token the way actions/exchange verifies its own — signature against the
 * issuer's JWKS (discovered, or given with --jwks), RS256/ES256 only, no embedded keys, iss, aud, exp/nbf with a
 * small leeway — then an optional claim policy. Prints the verified claims as JSON and exits 0; exits 1 with the
 * reason for any invalid token.
 */
async function readStdin(stream: NodeJS.ReadableStream | undefined): Promise<string> {
  if (stream === undefined) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export function httpFor(env: Readonly<Record<string, string | undefined>>): HttpClient {
  return new HttpClient({
    fetch: createNodeFetch({ proxy: proxySettingsFromEnv(env) }),
    retry: { maxAttempts: 3, deadlineMs: 20_000 },
  });
}

const INVALID_TOKEN = new Set([
  'token-malformed',
  'token-header',
  'token-unknown-key',
  'token-signature',
  'token-issuer',
  'token-audience',
  'token-expired',
  'token-not-yet-valid',
  'token-claims',
  'claims-mismatch',
]);

export const tokenVerify: Command = {
  path: ['token', 'verify'],
  summary: 'Verify an OIDC token (signature, issuer, audience, time, claims) and print its claims.',
  args: 'TOKEN|-',
  description:
    "Exits 0 and prints the verified claims as JSON; exits 1 with the reason when the token is invalid: bad signature, alg none, a symmetric alg, an embedded jwk/jku/x5u/x5c header, an unknown kid, the wrong issuer or audience, expired, not yet valid, malformed, or a claim the policy refuses. '-' reads the token from stdin.",
  options: {
    issuer: { type: 'string', value: 'URL', description: 'The issuer the token must name (required).' },
    audience: { type: 'string', value: 'AUD', description: 'The audience the token must carry (required).' },
    jwks: {
      type: 'string',
      value: 'FILE|URL',
      description: "Verify with this key set instead of the issuer's discovered JWKS.",
    },
    'require-claim': {
      type: 'string',
      multiple: true,
      value: 'CLAIM=PATTERN',
      description: 'A claim the token must have (globs * ** ?; repeat a claim for alternatives).',
    },
    leeway: { type: 'string', value: 'SECONDS', description: 'Clock leeway for exp/nbf (default 30).' },
  },
  minPositionals: 1,
  maxPositionals: 1,
  async run({ values, positionals, io, out, err }) {
    const issuer = values.issuer;
    const audience = values.audience;
    if (typeof issuer !== 'string' || issuer === '')
      throw new InputError('input-missing', "option '--issuer' is required");
    if (typeof audience !== 'string' || audience === '') {
      throw new InputError('input-missing', "option '--audience' is required");
    }
    let leewaySeconds: number | undefined;
    if (typeof values.leeway === 'string') {
      if (!/^\d+$/.test(values.leeway))
        throw new InputError('input-invalid', "option '--leeway' must be whole seconds");
      leewaySeconds = Number(values.leeway);
    }
    const requirements = ((values['require-claim'] as string[] | undefined) ?? []).map((text, i) => {
      const eq = text.indexOf('=');
      if (eq <= 0) {
        throw new InputError(
          'input-invalid',
          `option '--require-claim' #${i + 1} must be CLAIM=PATTERN; got '${text}'`,
        );
      }
      return parseRequirement(text.slice(0, eq), text.slice(eq + 1), `option '--require-claim' #${i + 1}`);
    });
    const source = positionals[0] as string;
    const token = (source === '-' ? await readStdin(io.stdin) : source).trim();
    if (token === '') throw new InputError('input-missing', 'no token given (argument, or - for stdin)');

    const http = httpFor(io.env);
    let jwks: JsonWebKeySet;
    const given = values.jwks;
    if (typeof given === 'string') {
      if (/^https?:\/\//.test(given)) {
        jwks = await fetchJwksUrl(http, new URL(given));
      } else {
        let text: string;
        try {
          text = readFileSync(resolve(io.cwd, given), 'utf8');
        } catch (cause) {
          throw new InputError(
            'input-invalid',
            `cannot read the JWKS file ${given}: ${(cause as NodeJS.ErrnoException).code}`,
          );
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new InputError('input-invalid', `the JWKS file ${given} is not JSON`);
        }
        jwks = parseJwks(parsed, `the JWKS file ${given}`);
      }
    } else {
      jwks = await fetchIssuerJwks(http, issuer);
    }
    try {
      const verified = await verifyToken(token, {
        issuer: issuer.replace(/\/+$/, ''),
        audience,
        jwks,
        ...(leewaySeconds === undefined ? {} : { leewaySeconds }),
      });
      const check = checkClaims(verified.claims, requirements);
      if (check.mismatches.length > 0)
        throw new OidcError('claims-mismatch', describeMismatches(check, verified.claims));
      out(JSON.stringify(verified.claims, null, 2));
      return EXIT.ok;
    } catch (error) {
      if (isOidcError(error) && INVALID_TOKEN.has(error.code)) {
        err(`airlock token verify: invalid token: ${error.message}`);
        return EXIT.findings;
      }
      throw error;
    }
  },
};
