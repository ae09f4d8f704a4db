import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '@airlock/core';
import type { Trust } from '@airlock/signing';
import { type Command, EXIT } from '../cli.ts';
import { cliHttp, signCommand } from './sign.ts';
import { verifyCommand } from './verify.ts';

/**
 * The sigstore-conformance client protocol (https://github.com/sigstore/sigstore-conformance, docs/cli_protocol.md):
 *
 *   airlock sigstore sign-bundle [--staging] [--in-toto] --identity-token T --bundle F [--trusted-root R] [--signing-config S] FILE
 *   airlock sigstore verify-bundle [--staging] --bundle F (--certificate-identity I --certificate-oidc-issuer U | --key K) [--trusted-root R] FILE_OR_DIGEST
 *
 * FILE_OR_DIGEST is a digest when it is `sha256:<64 hex>` and not an existing path. Exit 0 only on success. Without
 * --trusted-root, verification uses the production public-good trusted root shipped inside Airlock (offline).
 */
const signing = () => import(/* webpackMode: "eager" */ '@airlock/signing');

function readOption(cwd: string, path: string, option: string): string {
  try {
    return readFileSync(resolve(cwd, path), 'utf8');
  } catch (cause) {
    throw new InputError(
      'input-invalid',
      `option '--${option}': cannot read ${path}: ${(cause as NodeJS.ErrnoException).code ?? cause}`,
    );
  }
}

export const sigstoreSignBundle: Command = {
  path: ['sigstore', 'sign-bundle'],
  summary: 'Sign FILE into a Sigstore bundle (sigstore-conformance client protocol).',
  args: 'FILE',
  description:
    'Keyless signing with the given OIDC token: a message signature over FILE, or with --in-toto a DSSE envelope whose payload is FILE (an in-toto statement). Public good by default; --staging or --signing-config choose another instance. With --trusted-root the bundle is verified before it is written.',
  options: {
    staging: { type: 'boolean', description: "Use Sigstore's staging instance." },
    'in-toto': { type: 'boolean', description: 'FILE is an in-toto statement: sign it as DSSE.' },
    'identity-token': { type: 'string', value: 'TOKEN', description: 'The OIDC identity token.' },
    bundle: { type: 'string', value: 'FILE', description: 'Where to write the bundle.' },
    'trusted-root': {
      type: 'string',
      value: 'FILE',
      description: 'A trusted_root.json to verify the new bundle against.',
    },
    'signing-config': { type: 'string', value: 'FILE', description: 'A signing config naming Fulcio, Rekor and TSA.' },
  },
  minPositionals: 1,
  maxPositionals: 1,
  async run({ values, positionals, io, err }) {
    const lib = await signing();
    const token = values['identity-token'];
    const bundlePath = values.bundle;
    if (typeof token !== 'string' || token === '')
      throw new InputError('input-missing', "option '--identity-token' is required");
    if (typeof bundlePath !== 'string' || bundlePath === '')
      throw new InputError('input-missing', "option '--bundle' is required");
    const file = positionals[0] as string;
    let data: Buffer;
    try {
      data = readFileSync(resolve(io.cwd, file));
    } catch (cause) {
      throw new InputError('input-invalid', `cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? cause}`);
    }
    const configPath = values['signing-config'];
    const endpoints = lib.chooseEndpoints({
      staging: values.staging === true,
      ...(typeof configPath === 'string'
        ? { signingConfig: { text: readOption(io.cwd, configPath, 'signing-config'), source: configPath } }
        : {}),
    });
    const signer = new lib.KeylessSigner({ http: cliHttp(io.env), endpoints, identityToken: async () => token });
    const signed =
      values['in-toto'] === true
        ? await signer.signEnvelope(data, lib.INTOTO_PAYLOAD_TYPE)
        : await signer.signDigestBundle(lib.sha256Bytes(data));
    const rootPath = values['trusted-root'];
    if (typeof rootPath === 'string') {
      const trust = lib.parseTrustedRoot(readOption(io.cwd, rootPath, 'trusted-root'), rootPath);
      await lib.verifyBundle({
        bundle: signed.json,
        source: bundlePath,
        artifact: values['in-toto'] === true ? { kind: 'none' } : { kind: 'digest', sha256: lib.sha256Bytes(data) },
        trust,
        policy: { identity: signed.certificate.identity },
      });
    }
    writeFileSync(resolve(io.cwd, bundlePath), signed.json);
    if (signed.tlog !== undefined) err(`signed ${file}: ${bundlePath} (Rekor log index ${signed.tlog.logIndex})`);
    return EXIT.ok;
  },
};

export const sigstoreVerifyBundle: Command = {
  path: ['sigstore', 'verify-bundle'],
  summary: 'Verify a Sigstore bundle for FILE_OR_DIGEST (sigstore-conformance client protocol).',
  args: 'FILE_OR_DIGEST',
  description:
    'Exit 0 only when the bundle verifies against the trusted root (the public-good root shipped with Airlock unless --trusted-root is given) and the signer is exactly --certificate-identity from exactly --certificate-oidc-issuer, or the managed --key signed it. FILE_OR_DIGEST is a digest when it is sha256:<64 hex> and not an existing path.',
  options: {
    staging: { type: 'boolean', description: "Sigstore's staging instance (needs --trusted-root)." },
    bundle: { type: 'string', value: 'FILE', description: 'The bundle to verify.' },
    'certificate-identity': {
      type: 'string',
      value: 'IDENTITY',
      description: "The signer's exact identity (certificate SAN).",
    },
    'certificate-oidc-issuer': { type: 'string', value: 'URL', description: "The signer's exact OIDC issuer." },
    key: { type: 'string', value: 'FILE', description: 'A PEM public key, for bundles signed with a managed key.' },
    'trusted-root': { type: 'string', value: 'FILE', description: 'A trusted_root.json.' },
  },
  minPositionals: 1,
  maxPositionals: 1,
  async run({ values, positionals, io, err }) {
    const lib = await signing();
    const bundlePath = values.bundle;
    if (typeof bundlePath !== 'string') throw new InputError('input-missing', "option '--bundle' is required");
    const identity = values['certificate-identity'];
    const issuer = values['certificate-oidc-issuer'];
    const keyPath = values.key;
    if (typeof keyPath === 'string' && (identity !== undefined || issuer !== undefined)) {
      throw new InputError(
        'input-invalid',
        'give --key or --certificate-identity with --certificate-oidc-issuer, not both',
      );
    }
    if (typeof keyPath !== 'string' && (typeof identity !== 'string' || typeof issuer !== 'string')) {
      throw new InputError('input-missing', 'give --certificate-identity and --certificate-oidc-issuer (or --key)');
    }
    const { createPublicKey } = await import('node:crypto');
    let publicKey: ReturnType<typeof createPublicKey> | undefined;
    if (typeof keyPath === 'string') {
      try {
        publicKey = createPublicKey(readOption(io.cwd, keyPath, 'key'));
      } catch (cause) {
        if (cause instanceof InputError) throw cause;
        throw new InputError('input-invalid', `option '--key': ${keyPath} is not a PEM public key`);
      }
    }
    const trustOptions = publicKey === undefined ? {} : { publicKey };
    const rootPath = values['trusted-root'];
    let trust: Trust;
    if (typeof rootPath === 'string') {
      trust = lib.parseTrustedRoot(readOption(io.cwd, rootPath, 'trusted-root'), rootPath, trustOptions);
    } else if (values.staging === true) {
      throw new InputError(
        'input-missing',
        '--staging verification needs --trusted-root (only the production root is shipped)',
      );
    } else {
      trust = lib.embeddedPublicGoodRoot(trustOptions);
    }
    const target = positionals[0] as string;
    const digest = lib.parseSha256(target);
    const artifact =
      digest !== undefined && !existsSync(resolve(io.cwd, target))
        ? ({ kind: 'digest', sha256: digest } as const)
        : ({ kind: 'file', path: resolve(io.cwd, target), label: target } as const);
    let text: string;
    try {
      text = readFileSync(resolve(io.cwd, bundlePath), 'utf8');
    } catch (cause) {
      throw new InputError(
        'input-invalid',
        `cannot read the bundle ${bundlePath}: ${(cause as NodeJS.ErrnoException).code ?? cause}`,
      );
    }
    try {
      const result = await lib.verifyBundle({
        bundle: text,
        source: bundlePath,
        artifact,
        trust,
        policy: publicKey === undefined ? { identity: identity as string, issuer: issuer as string } : {},
        keyMode: publicKey !== undefined,
      });
      err(`OK: ${target} signed by ${result.signer?.identity ?? 'the given key'}`);
      return EXIT.ok;
    } catch (error) {
      if (error instanceof lib.SigningError && error.kind !== 'bug') {
        err(`FAILED [${error.code}]: ${error.message}`);
        return EXIT.findings;
      }
      throw error;
    }
  },
};

/** `airlock sign`, `airlock verify` and the conformance protocol, registered together. */
export const signingCommands: readonly Command[] = [
  signCommand,
  verifyCommand,
  sigstoreSignBundle,
  sigstoreVerifyBundle,
];
