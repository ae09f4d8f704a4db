import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { InputError, verifyChain } from '@airlock/core';
import { embeddedPublicGoodRoot, parseTrustedRoot } from '@airlock/signing';
import { renderHtml, renderTable, sigstoreStatementVerifier, timeline, verifyTrail } from '@airlock/trail';
import { type Command, EXIT } from '../cli.ts';

function readInput(cwd: string, file: string, what: string): string {
  try {
    return readFileSync(resolve(cwd, file), 'utf8');
  } catch (cause) {
    throw new InputError(
      'input-invalid',
      `cannot read ${what} ${file}: ${(cause as NodeJS.ErrnoException).code ?? cause}`,
    );
  }
}

/**
 * `airlock trail verify TRAIL [--bundle B --certificate-identity I --certificate-oidc-issuer U [--trusted-root R]]
 * [--log JOBLOG]`: the hash chain of a trail file (docs/trail-format.md), the seal's signature and statement, and the
 * witness lines of the job log.
 */
export const trailVerify: Command = {
  path: ['trail', 'verify'],
  summary: 'Verify a trail: hash chain, Sigstore seal with the signer identity, and witness lines in the job log.',
  args: 'TRAIL',
  description:
    'Exits 0 only when every record is well formed, numbered from 1 without gaps and chained to the one before by its sha256; with --bundle, when the seal verifies with exactly the stated identity and issuer against the trusted root and signs this very file and its records; and with --log, when every record has a matching witness line in the job log. Otherwise exits 1 naming the first bad record and why.',
  options: {
    bundle: { type: 'string', value: 'FILE', description: "The seal's Sigstore bundle (trail.sigstore.json)." },
    'certificate-identity': {
      type: 'string',
      value: 'URI',
      description: 'The exact identity that must have signed the seal.',
    },
    'certificate-oidc-issuer': { type: 'string', value: 'URL', description: 'The exact OIDC issuer of that identity.' },
    'trusted-root': {
      type: 'string',
      value: 'FILE',
      description: 'Sigstore trusted_root.json (default: the production public-good root shipped with Airlock).',
    },
    log: {
      type: 'string',
      value: 'JOBLOG',
      description: 'The job log as downloaded from GitHub, to cross-check witness lines.',
    },
  },
  formats: ['table', 'json'],
  minPositionals: 1,
  maxPositionals: 1,
  async run({ positionals, values, format, io, out }) {
    const file = positionals[0] as string;
    const trailText = readInput(io.cwd, file, 'trail file');
    const log = typeof values.log === 'string' ? readInput(io.cwd, values.log, 'job log') : undefined;
    const bundleFile = typeof values.bundle === 'string' ? values.bundle : undefined;
    const identity = values['certificate-identity'];
    const issuer = values['certificate-oidc-issuer'];
    if (bundleFile !== undefined && (typeof identity !== 'string' || typeof issuer !== 'string')) {
      throw new InputError(
        'input-missing',
        "option '--bundle' needs '--certificate-identity' and '--certificate-oidc-issuer': a signature proves nothing without the identity it must come from",
      );
    }
    const rootFile = values['trusted-root'];
    const result = await verifyTrail({
      trailText,
      trailName: file,
      ...(log === undefined ? {} : { log }),
      ...(bundleFile === undefined
        ? {}
        : {
            bundle: readInput(io.cwd, bundleFile, 'bundle'),
            policy: { identity: identity as string, issuer: issuer as string },
            verifyStatement: sigstoreStatementVerifier(
              typeof rootFile === 'string'
                ? parseTrustedRoot(readInput(io.cwd, rootFile, 'trusted root'), rootFile)
                : embeddedPublicGoodRoot(),
              bundleFile,
            ),
          }),
    });
    if (format === 'json') {
      out(
        JSON.stringify(
          {
            ok: result.ok,
            records: result.records.length,
            head: result.hashes.at(-1) ?? null,
            signer: result.signer ?? null,
            checks: result.checks,
            failure: result.failure ?? null,
          },
          null,
          2,
        ),
      );
    } else {
      for (const check of result.checks) out(`${check.ok ? 'ok  ' : 'FAIL'} ${check.check}: ${check.detail}`);
      out(result.ok ? `${file}: verified` : `${file}: NOT verified`);
    }
    return result.ok ? EXIT.ok : EXIT.findings;
  },
};

/** `airlock trail show TRAIL [--format table|json|html]`: a readable timeline. */
export const trailShow: Command = {
  path: ['trail', 'show'],
  summary: 'Show a trail as a timeline: who ran each step, what it did, artifacts and decisions.',
  args: 'TRAIL',
  description: 'Shows the records that chain correctly; when the chain breaks, says where (and exits 1).',
  formats: ['table', 'json', 'html'],
  minPositionals: 1,
  maxPositionals: 1,
  async run({ positionals, format, io, out, err }) {
    const file = positionals[0] as string;
    const chain = verifyChain(readInput(io.cwd, file, 'trail file'), file);
    const entries = timeline(chain.records, chain.hashes);
    const verdict = chain.ok
      ? { ok: true, text: `chain intact: ${chain.records.length} records, head ${chain.hashes.at(-1)}` }
      : { ok: false, text: `chain broken: ${chain.message}` };
    if (format === 'json') out(JSON.stringify({ ok: chain.ok, verdict: verdict.text, entries }, null, 2));
    else if (format === 'html') out(renderHtml(entries, `Airlock trail: ${basename(file)}`, verdict));
    else {
      out(renderTable(entries));
      (chain.ok ? out : err)(verdict.text);
    }
    return chain.ok ? EXIT.ok : EXIT.findings;
  },
};
