import { type Trust, verifyBundle } from '@airlock/signing';
import { TRAIL_PREDICATE_TYPE } from './statement.ts';
import type { StatementVerifier } from './verify.ts';

/**
 * The seal's signature check, with packages/signing: the bundle must be a DSSE envelope of an Airlock trail statement,
 * its certificate must chain to the trusted root and carry exactly the expected identity and issuer, and it must be
 * logged or timestamped. The statement's content is compared with the trail file by {@link verifyTrail}.
 */
export function sigstoreStatementVerifier(trust: Trust, source = 'the seal bundle'): StatementVerifier {
  return async (bundle, policy) => {
    const verified = await verifyBundle({
      bundle: typeof bundle === 'string' ? bundle : JSON.stringify(bundle),
      source,
      artifact: { kind: 'none' },
      trust,
      policy: { identity: policy.identity, issuer: policy.issuer },
      predicateType: TRAIL_PREDICATE_TYPE,
    });
    const signedAt = verified.timestamps[0] ?? verified.tlog[0]?.integratedTime;
    return {
      statement: verified.statement,
      signer: {
        identity: verified.signer?.identity ?? policy.identity,
        issuer: verified.signer?.issuer ?? policy.issuer,
      },
      ...(signedAt === undefined ? {} : { signedAt: signedAt.toISOString() }),
      ...(verified.tlog[0] === undefined ? {} : { logIndex: String(verified.tlog[0].logIndex) }),
    };
  };
}
