import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  createNodeFetch,
  GitHubIdTokenSource,
  githubContextFromEnv,
  HttpClient,
  InputError,
  proxySettingsFromEnv,
  sha256Hex,
} from '@airlock/core';
import { type Command, EXIT } from '../cli.ts';

/**
 * `airlock sign`: the sign action on the command line. Keyless signing needs an OIDC token: --identity-token,
 * $SIGSTORE_ID_TOKEN, or (inside GitHub Actions with id-token: write) the job's token.
 */
export function cliHttp(env: Readonly<Record<string, string | undefined>>): HttpClient {
  return new HttpClient({ fetch: createNodeFetch({ proxy: proxySettingsFromEnv(env) }), userAgent: 'airlock-cli' });
}

const signing = () => import(/* webpackMode: "eager" */ '@airlock/signing');

const list = (value: unknown): string[] =>
  Array.isArray(value) ? (value as string[]) : typeof value === 'string' ? [value] : [];

export const signCommand: Command = {
  path: ['sign'],
  summary:
    'Sign artifacts with Sigstore: one attestation over all of them (SLSA provenance by default) or one bundle each.',
  args: '[FILE|GLOB...]',
  description:
    'Attestation mode writes one DSSE bundle (an in-toto statement over every subject); blob mode writes <file>.sigstore.json beside each file. Public good by default; --staging, --signing-config or the URL options choose another instance, and --trusted-root verifies every bundle before the command succeeds.',
  options: {
    digest: {
      type: 'string',
      multiple: true,
      value: 'sha256:HEX',
      description: 'A subject given by digest (with --name).',
    },
    name: {
      type: 'string',
      multiple: true,
      value: 'NAME',
      description: 'The name of the --digest subject at the same position.',
    },
    checksums: { type: 'string', multiple: true, value: 'FILE', description: 'A sha256sum file of subjects.' },
    mode: { type: 'string', value: 'MODE', description: 'attestation (default) or blob.' },
    'predicate-type': {
      type: 'string',
      value: 'URI',
      description: 'Predicate type (default SLSA provenance v1, built from the environment).',
    },
    'predicate-path': { type: 'string', value: 'FILE', description: 'The predicate as a JSON file.' },
    'bundle-dir': { type: 'string', value: 'DIR', description: 'Where to write bundles.' },
    'identity-token': {
      type: 'string',
      value: 'TOKEN',
      description: 'The OIDC token (audience sigstore); default $SIGSTORE_ID_TOKEN or the GitHub Actions job token.',
    },
    staging: { type: 'boolean', description: "Sign with Sigstore's staging instance." },
    'fulcio-url': { type: 'string', value: 'URL', description: 'Fulcio of a private instance.' },
    'rekor-url': { type: 'string', value: 'URL', description: 'Rekor (v1 API) of a private instance.' },
    'tsa-url': { type: 'string', value: 'URL', description: 'An RFC 3161 timestamp authority.' },
    'signing-config': { type: 'string', value: 'FILE', description: 'A Sigstore signing config (v0.2).' },
    'trusted-root': {
      type: 'string',
      value: 'FILE',
      description: 'Verify every bundle against this trusted_root.json.',
    },
  },
  formats: ['table', 'json'],
  async run({ values, positionals, format, io, out, progress }) {
    const lib = await signing();
    const mode = (values.mode as string | undefined) ?? 'attestation';
    if (mode !== 'attestation' && mode !== 'blob') {
      throw new InputError('input-invalid', `option '--mode' must be attestation or blob; got '${mode}'`);
    }
    const read = (path: string, option: string) => {
      try {
        return readFileSync(resolve(io.cwd, path), 'utf8');
      } catch (cause) {
        throw new InputError(
          'input-invalid',
          `option '--${option}': cannot read ${path}: ${(cause as NodeJS.ErrnoException).code ?? cause}`,
        );
      }
    };
    progress.update('hashing subjects…');
    const subjects = await lib.resolveSubjects({
      paths: positionals,
      digests: list(values.digest),
      names: list(values.name),
      checksums: list(values.checksums),
      root: io.cwd,
      labels: {
        paths: 'argument',
        digests: "option '--digest'",
        names: "option '--name'",
        checksums: "option '--checksums'",
      },
    });
    if (subjects.length === 0)
      throw new InputError('input-missing', 'nothing to sign: give files, --digest with --name, or --checksums');
    const http = cliHttp(io.env);
    const configPath = values['signing-config'] as string | undefined;
    const endpoints = lib.chooseEndpoints({
      staging: values.staging === true,
      ...(configPath === undefined
        ? {}
        : { signingConfig: { text: read(configPath, 'signing-config'), source: configPath } }),
      ...(typeof values['fulcio-url'] === 'string' ? { fulcioUrl: values['fulcio-url'] } : {}),
      ...(typeof values['rekor-url'] === 'string' ? { rekorUrl: values['rekor-url'] } : {}),
      ...(typeof values['tsa-url'] === 'string' ? { tsaUrl: values['tsa-url'] } : {}),
    });
    const given = (values['identity-token'] as string | undefined) ?? io.env.SIGSTORE_ID_TOKEN;
    const source = new GitHubIdTokenSource({
      requestUrl: io.env.ACTIONS_ID_TOKEN_REQUEST_URL,
      requestToken: io.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN,
      http,
      mask: () => {},
    });
    const identityToken = async () => given ?? (await source.getToken('sigstore'));
    const signer = new lib.KeylessSigner({ http, endpoints, identityToken });
    const root = values['trusted-root'] as string | undefined;
    const trust = root === undefined ? undefined : lib.parseTrustedRoot(read(root, 'trusted-root'), root);
    const written: { path: string; signed: import('@airlock/signing').SignedBundle; sha256: string | undefined }[] = [];
    const bundleDir = values['bundle-dir'] as string | undefined;
    progress.update('signing…');
    if (mode === 'attestation') {
      const predicateType = (values['predicate-type'] as string | undefined) ?? lib.SLSA_PROVENANCE_V1;
      const predicatePath = values['predicate-path'] as string | undefined;
      let predicate: Record<string, unknown>;
      if (predicatePath !== undefined)
        predicate = lib.parsePredicate(read(predicatePath, 'predicate-path'), predicatePath);
      else if (predicateType === lib.SLSA_PROVENANCE_V1) {
        predicate = lib.githubProvenance(
          githubContextFromEnv(io.env),
          lib.workflowClaims(lib.decodeJwtClaims(await identityToken())),
        );
      } else throw new InputError('input-missing', `--predicate-type ${predicateType} needs --predicate-path`);
      const statement = lib.buildStatement(subjects, predicateType, predicate);
      const signed = await signer.signStatement(statement);
      const path = join(
        resolve(io.cwd, bundleDir ?? '.'),
        `attestation-${sha256Hex(JSON.stringify(statement)).slice(0, 16)}.sigstore.json`,
      );
      written.push({ path, signed, sha256: undefined });
    } else {
      const results = await lib.mapLimit(subjects, 4, async (subject) => {
        const signed = await signer.signDigestBundle(subject.digest.sha256);
        const path =
          bundleDir !== undefined
            ? join(resolve(io.cwd, bundleDir), `${subject.name}.sigstore.json`)
            : subject.path !== undefined
              ? `${subject.path}.sigstore.json`
              : undefined;
        if (path === undefined)
          throw new InputError('input-missing', `--bundle-dir is needed for ${subject.name} (a digest without a file)`);
        return { path, signed, sha256: subject.digest.sha256 };
      });
      written.push(...results);
    }
    if (trust !== undefined) {
      for (const w of written) {
        await lib.verifyBundle({
          bundle: w.signed.json,
          source: w.path,
          artifact: w.sha256 === undefined ? { kind: 'none' } : { kind: 'digest', sha256: w.sha256 },
          trust,
          policy: { identity: w.signed.certificate.identity },
        });
      }
    }
    for (const w of written) {
      mkdirSync(dirname(w.path), { recursive: true });
      writeFileSync(w.path, w.signed.json);
    }
    progress.done();
    const rows = written.map((w) => ({
      bundle: w.path,
      log_index: w.signed.tlog?.logIndex ?? null,
      identity: w.signed.certificate.identity,
    }));
    if (format === 'json') out(JSON.stringify({ subjects: subjects.length, mode, bundles: rows }, null, 2));
    else {
      out(`signed ${subjects.length} subject(s) as ${written[0]?.signed.certificate.identity ?? '?'} (${mode})`);
      for (const r of rows) out(`  ${r.bundle}${r.log_index === null ? '' : `  Rekor log index ${r.log_index}`}`);
    }
    return EXIT.ok;
  },
};
