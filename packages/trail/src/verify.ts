import { AirlockError, sha256Hex, type TrailRecord, verifyChain } from '@airlock/core';
import { type SealedTrail, STATEMENT_TYPE, TRAIL_PREDICATE_TYPE } from './statement.ts';
import { checkWitnesses, parseWitnesses } from './witness.ts';

/**
 * Full verification of a trail: the hash chain, then (when a bundle is given) the Sigstore signature with the
 * expected signer identity, then the signed statement against the file (same trail digest, same record hashes), then
 * (when a job log is given) the witness lines. Stops at the first failure and names it.
 */
export interface IdentityPolicy {
  /** Exact certificate identity (SAN URI or email). */
  readonly identity: string;
  /** Exact OIDC issuer. */
  readonly issuer: string;
}

export interface VerifiedStatement {
  /** The DSSE payload, parsed: an in-toto statement. */
  readonly statement: unknown;
  readonly signer: { readonly identity: string; readonly issuer: string };
  /** When the signature was made, from the transparency log or a timestamp authority. */
  readonly signedAt?: string;
  readonly logIndex?: string;
}

/** Verifies a Sigstore bundle holding a DSSE-signed in-toto statement (implemented with packages/signing). */
export type StatementVerifier = (bundle: unknown, policy: IdentityPolicy) => Promise<VerifiedStatement>;

export type TrailCheck = 'chain' | 'signature' | 'statement' | 'witness';

export type TrailFailureCode =
  | 'chain'
  | 'signature'
  | 'statement-type'
  | 'statement-digest'
  | 'statement-records'
  | 'witness-missing'
  | 'witness-mismatch'
  | 'witness-conflict'
  | 'witness-extra'
  | 'witness-none';

export interface TrailVerification {
  readonly ok: boolean;
  readonly checks: ReadonlyArray<{ readonly check: TrailCheck; readonly ok: boolean; readonly detail: string }>;
  readonly failure?: {
    readonly code: TrailFailureCode;
    readonly message: string;
    readonly seq?: number;
    readonly line?: number;
  };
  readonly records: readonly TrailRecord[];
  readonly hashes: readonly string[];
  readonly signer?: VerifiedStatement['signer'];
  readonly signedAt?: string;
}

export interface VerifyTrailOptions {
  readonly trailText: string;
  /** How messages name the file. */
  readonly trailName: string;
  readonly bundle?: unknown;
  readonly policy?: IdentityPolicy;
  readonly verifyStatement?: StatementVerifier;
  /** A job log (as downloaded from GitHub) to cross-check witness lines against. */
  readonly log?: string;
}

export type TrailVerifyErrorCode = 'trail-verify-usage' | 'trail-unreadable' | 'trail-broken' | 'trail-not-verified';

/** A trail that cannot be sealed or does not verify: the user's (or an attacker's) problem, never a bug. */
export class TrailVerifyError extends AirlockError<TrailVerifyErrorCode> {}

export async function verifyTrail(options: VerifyTrailOptions): Promise<TrailVerification> {
  const checks: Array<{ check: TrailCheck; ok: boolean; detail: string }> = [];
  const chain = verifyChain(options.trailText, options.trailName);
  if (!chain.ok) {
    checks.push({ check: 'chain', ok: false, detail: chain.message });
    return {
      ok: false,
      checks,
      failure: { code: 'chain', message: chain.message, seq: chain.records.length + 1, line: chain.line },
      records: chain.records,
      hashes: chain.hashes,
    };
  }
  const { records, hashes } = chain;
  checks.push({ check: 'chain', ok: true, detail: `${records.length} records, head ${hashes.at(-1)}` });
  const fail = (check: TrailCheck, code: TrailFailureCode, message: string, seq?: number): TrailVerification => {
    checks.push({ check, ok: false, detail: message });
    return { ok: false, checks, failure: { code, message, ...(seq === undefined ? {} : { seq }) }, records, hashes };
  };

  let signer: VerifiedStatement['signer'] | undefined;
  let signedAt: string | undefined;
  if (options.bundle !== undefined) {
    if (options.policy === undefined || options.verifyStatement === undefined) {
      throw new TrailVerifyError(
        'trail-verify-usage',
        'a bundle needs a certificate identity and OIDC issuer to verify against',
      );
    }
    let verified: VerifiedStatement;
    try {
      verified = await options.verifyStatement(options.bundle, options.policy);
    } catch (error) {
      return fail('signature', 'signature', `the seal's signature does not verify: ${(error as Error).message}`);
    }
    signer = verified.signer;
    signedAt = verified.signedAt;
    checks.push({
      check: 'signature',
      ok: true,
      detail: `signed by ${signer.identity} (${signer.issuer})${signedAt ? ` at ${signedAt}` : ''}`,
    });

    const statement = verified.statement as {
      _type?: unknown;
      predicateType?: unknown;
      predicate?: { trails?: readonly Partial<SealedTrail>[] };
    };
    if (statement?._type !== STATEMENT_TYPE || statement.predicateType !== TRAIL_PREDICATE_TYPE) {
      return fail(
        'statement',
        'statement-type',
        `the signed statement is not an Airlock trail seal (predicate type ${String(statement?.predicateType)})`,
      );
    }
    const digest = sha256Hex(options.trailText);
    const sealed = (statement.predicate?.trails ?? []).find((t) => t.sha256 === digest);
    if (sealed === undefined) {
      const signed = (statement.predicate?.trails ?? []).map((t) => `${String(t.sha256).slice(0, 12)}…`).join(', ');
      return fail(
        'statement',
        'statement-digest',
        `the seal is for another trail: it signs ${signed === '' ? 'no trail' : `trail digest ${signed}`}, this file is ${digest.slice(0, 12)}…`,
      );
    }
    const signedHashes = sealed.hashes ?? [];
    const firstDiff = hashes.findIndex((h, i) => signedHashes[i] !== h);
    if (signedHashes.length !== hashes.length || firstDiff >= 0) {
      const seq = firstDiff >= 0 ? firstDiff + 1 : Math.min(signedHashes.length, hashes.length) + 1;
      return fail('statement', 'statement-records', `record seq ${seq} is not the record the seal signed`, seq);
    }
    checks.push({
      check: 'statement',
      ok: true,
      detail: `seal covers this file (sha256 ${digest}) and all ${hashes.length} records`,
    });
  }

  if (options.log !== undefined) {
    const witnesses = parseWitnesses(options.log);
    if (witnesses.length === 0) {
      return fail(
        'witness',
        'witness-none',
        'the job log has no airlock-trail witness lines: is it the log of this job?',
      );
    }
    const problem = checkWitnesses(records, hashes, witnesses, { sealed: options.bundle !== undefined });
    if (problem !== undefined) return fail('witness', problem.code, problem.message, problem.seq);
    checks.push({
      check: 'witness',
      ok: true,
      detail: `every record witnessed in the job log (${witnesses.length} witness lines)`,
    });
  }
  return {
    ok: true,
    checks,
    records,
    hashes,
    ...(signer === undefined ? {} : { signer }),
    ...(signedAt === undefined ? {} : { signedAt }),
  };
}
