import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '@airlock/core';
import type { Artifact, Trust } from '@airlock/signing';
import { type Command, EXIT } from '../cli.ts';

/**
 * `airlock verify`: the verify gate on the command line. Exit 0 when every artifact verifies, 1 when any does not
 * (each failure named with its reason), 2 for bad options.
 */
const signing = () => import(/* webpackMode: "eager" */ '@airlock/signing');
const list = (value: unknown): string[] =>
  Array.isArray(value) ? (value as string[]) : typeof value === 'string' ? [value] : [];

export const verifyCommand: Command = {
  path: ['verify'],
  summary: 'Verify Sigstore signatures or attestations of artifacts against an expected signer; fails closed.',
  args: '[FILE|GLOB...]',
  description:
    "Each artifact is checked against <artifact>.sigstore.json, the --bundle at the same position, or the one --bundle given for all (an attestation). The signer must match --certificate-identity exactly (or the anchored --certificate-identity-regexp), --certificate-oidc-issuer exactly, and the GitHub checks given. --trusted-root is a trusted_root.json, embedded (the public-good root shipped with Airlock, offline) or public-good (refreshed from Sigstore's TUF repository).",
  options: {
    digest: {
      type: 'string',
      multiple: true,
      value: 'sha256:HEX',
      description: 'An artifact given by digest (needs --bundle).',
    },
    bundle: {
      type: 'string',
      multiple: true,
      value: 'FILE',
      description: 'Bundle(s): one per artifact, or one attestation for all.',
    },
    'trusted-root': {
      type: 'string',
      value: 'FILE',
      description: 'trusted_root.json, embedded or public-good (default embedded).',
    },
    'certificate-identity': { type: 'string', value: 'IDENTITY', description: "The signer's exact identity." },
    'certificate-identity-regexp': {
      type: 'string',
      value: 'REGEXP',
      description: 'A regular expression the whole identity must match.',
    },
    'certificate-oidc-issuer': {
      type: 'string',
      value: 'URL',
      description: 'The exact issuer (default GitHub Actions).',
    },
    repository: { type: 'string', value: 'OWNER/NAME', description: 'The source repository.' },
    'source-ref': { type: 'string', value: 'REF', description: 'The exact source ref (refs/heads/main).' },
    'signer-workflow': {
      type: 'string',
      value: 'WORKFLOW',
      description: 'The signing workflow (owner/repo/.github/workflows/x.yml[@ref]).',
    },
    'runner-environment': { type: 'string', value: 'ENV', description: 'github-hosted or self-hosted.' },
    'predicate-type': { type: 'string', value: 'URI', description: "An attestation's required predicate type." },
  },
  formats: ['table', 'json'],
  async run({ values, positionals, format, io, out, err }) {
    const lib = await signing();
    const str = (key: string) => (typeof values[key] === 'string' ? (values[key] as string) : undefined);
    const identity = str('certificate-identity');
    const identityRegExp = str('certificate-identity-regexp');
    if (identity !== undefined && identityRegExp !== undefined) {
      throw new InputError('input-invalid', 'give --certificate-identity or --certificate-identity-regexp, not both');
    }
    if (
      identity === undefined &&
      identityRegExp === undefined &&
      str('repository') === undefined &&
      str('signer-workflow') === undefined
    ) {
      throw new InputError(
        'input-missing',
        'give the expected signer: --certificate-identity, --certificate-identity-regexp, --signer-workflow or --repository',
      );
    }
    const ref = str('source-ref');
    if (ref !== undefined && !ref.startsWith('refs/'))
      throw new InputError(
        'input-invalid',
        `option '--source-ref' must be a full ref like refs/heads/main; got '${ref}'`,
      );
    const runner = str('runner-environment');
    if (runner !== undefined && runner !== 'github-hosted' && runner !== 'self-hosted') {
      throw new InputError(
        'input-invalid',
        `option '--runner-environment' must be github-hosted or self-hosted; got '${runner}'`,
      );
    }
    const rootOption = str('trusted-root') ?? 'embedded';
    let trust: Trust;
    if (rootOption === 'embedded') trust = lib.embeddedPublicGoodRoot();
    else if (rootOption === 'public-good')
      trust = await lib.fetchPublicGoodRoot({
        cachePath: join(io.env.HOME ?? io.cwd, '.cache', 'airlock', 'sigstore-tuf'),
      });
    else {
      let text: string;
      try {
        text = readFileSync(resolve(io.cwd, rootOption), 'utf8');
      } catch (cause) {
        throw new InputError(
          'input-invalid',
          `option '--trusted-root': cannot read ${rootOption}: ${(cause as NodeJS.ErrnoException).code ?? cause}`,
        );
      }
      trust = lib.parseTrustedRoot(text, rootOption);
    }
    const files = await lib.expandPaths(positionals, io.cwd, 'argument');
    const artifacts: { name: string; artifact: Artifact; beside?: string }[] = files.map((path) => ({
      name: lib.subjectName(path, io.cwd),
      artifact: { kind: 'file', path, label: lib.subjectName(path, io.cwd) },
      beside: `${path}.sigstore.json`,
    }));
    for (const text of list(values.digest)) {
      const sha256 = lib.parseSha256(text);
      if (sha256 === undefined)
        throw new InputError('input-invalid', `option '--digest' must be sha256:<64 hex>; got '${text}'`);
      artifacts.push({ name: `sha256:${sha256}`, artifact: { kind: 'digest', sha256 } });
    }
    if (artifacts.length === 0) throw new InputError('input-missing', 'nothing to verify: give files or --digest');
    const bundles = list(values.bundle);
    if (bundles.length > 1 && bundles.length !== artifacts.length) {
      throw new InputError(
        'input-invalid',
        `${bundles.length} bundles for ${artifacts.length} artifacts: give one per artifact, one for all, or none`,
      );
    }
    const policy = {
      issuer: str('certificate-oidc-issuer') ?? 'https://token.actions.githubusercontent.com',
      ...(identity === undefined ? {} : { identity }),
      ...(identityRegExp === undefined ? {} : { identityRegExp }),
      ...(str('repository') === undefined ? {} : { repository: str('repository') as string }),
      ...(ref === undefined ? {} : { ref }),
      ...(str('signer-workflow') === undefined ? {} : { signerWorkflow: str('signer-workflow') as string }),
      ...(runner === undefined ? {} : { runnerEnvironment: runner }),
    };
    const results: Record<string, unknown>[] = [];
    for (const [i, a] of artifacts.entries()) {
      const bundle = bundles.length === 0 ? a.beside : bundles.length === 1 ? bundles[0] : bundles[i];
      if (bundle === undefined) throw new InputError('input-missing', `--bundle is needed for ${a.name}`);
      try {
        let text: string;
        try {
          text = readFileSync(resolve(io.cwd, bundle), 'utf8');
        } catch (cause) {
          throw new lib.SigningError(
            'bundle-malformed',
            `cannot read the bundle ${bundle}: ${(cause as NodeJS.ErrnoException).code ?? cause}`,
          );
        }
        const v = await lib.verifyBundle({
          bundle: text,
          source: bundle,
          artifact: a.artifact,
          trust,
          policy,
          ...(str('predicate-type') === undefined ? {} : { predicateType: str('predicate-type') as string }),
        });
        results.push({
          artifact: a.name,
          ok: true,
          identity: v.signer?.identity ?? null,
          issuer: v.signer?.issuer ?? null,
          repository: v.signer?.sourceRepository ?? null,
          ref: v.signer?.sourceRef ?? null,
          log_index: v.tlog[0]?.logIndex ?? null,
          signed_at: (v.timestamps[0] ?? v.tlog[0]?.integratedTime)?.toISOString() ?? null,
        });
      } catch (error) {
        if (!(error instanceof lib.SigningError) || error.kind === 'bug') throw error;
        results.push({ artifact: a.name, ok: false, reason: error.code, message: error.message });
      }
    }
    const failed = results.filter((r) => !r.ok);
    if (format === 'json') out(JSON.stringify({ ok: failed.length === 0, results }, null, 2));
    else {
      for (const r of results) {
        out(
          r.ok
            ? `✓ ${r.artifact}: signed by ${r.identity} (${r.issuer}), log index ${r.log_index}, at ${r.signed_at}`
            : `✗ ${r.artifact}: [${r.reason}] ${r.message}`,
        );
      }
      if (failed.length > 0)
        err(`airlock verify: ${failed.length} of ${results.length} artifact(s) failed verification`);
    }
    return failed.length === 0 ? EXIT.ok : EXIT.findings;
  },
};
