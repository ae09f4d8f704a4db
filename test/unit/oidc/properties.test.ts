import {
  OidcError,
  parseProfiles,
  parseSecretReference,
  parseSettings,
  type RawValue,
  SETTINGS,
  sessionName,
  xmlText,
} from '@airlock/oidc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/** Every parser of packages/oidc fails only with its own error on any input: never a crash, never a hang. */
const onlyOidcErrors = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OidcError);
  }
};

describe('parsers on arbitrary input', () => {
  it('settings: any value for any setting is accepted or refused with an OidcError', () => {
    const names = Object.keys(SETTINGS);
    fc.assert(
      fc.property(
        fc.constantFrom('aws', 'gcp', 'azure', 'vault', 'oauth', 'doppler'),
        fc.dictionary(fc.constantFrom(...names), fc.oneof(fc.string(), fc.lorem({ mode: 'sentences' }), fc.webUrl())),
        (provider, values) => {
          const raw = new Map<string, RawValue>(
            Object.entries({ ...values, provider }).map(([k, v]) => [k, { value: v, where: `input '${k}'` }]),
          );
          onlyOidcErrors(() => parseSettings(raw, { issuer: 'https://token.actions.githubusercontent.com' }));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('secret references', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.constantFrom('vault:', 'aws-sm:', 'doppler:').chain((s) => fc.string().map((t) => s + t)),
        ),
        (text) => {
          onlyOidcErrors(() => parseSecretReference(text, 'x'));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('profiles files', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `profiles:\n  p:\n    when: { ref: x }\n    ${s}`),
          fc.string().map((s) => `profiles:\n  ${s}: {when: {environment: ${s}}}`),
        ),
        async (text) => {
          try {
            await parseProfiles(text, 'cfg.yml');
          } catch (error) {
            expect(error).toBeInstanceOf(OidcError);
            expect((error as Error).message).toMatch(/^cfg\.yml(:\d+)?: /);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('STS XML extraction never throws', () => {
    fc.assert(
      fc.property(fc.string(), fc.array(fc.stringMatching(/^[A-Za-z]{1,8}$/), { maxLength: 4 }), (xml, path) => {
        const value = xmlText(xml, path);
        expect(value === undefined || typeof value === 'string').toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("session names always satisfy STS's pattern", () => {
    fc.assert(
      fc.property(fc.option(fc.string()), fc.option(fc.string()), fc.option(fc.string()), (repo, run, attempt) => {
        expect(sessionName(repo ?? undefined, run ?? undefined, attempt ?? undefined)).toMatch(/^[\w+=,.@-]{2,64}$/);
      }),
      { numRuns: 1000 },
    );
  });
});
