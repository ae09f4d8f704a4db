/**
 * @airlock/trail: seal, verify and show the tamper-evident trail that every Airlock action appends
 * (docs/trail-format.md). Pure: signing and signature verification are injected (packages/signing).
 */

export { escapeHtml, flattenFacts, renderHtml, renderTable, type TimelineEntry, timeline } from './show.ts';
export { sigstoreStatementVerifier } from './sigstore.ts';
export {
  buildTrailStatement,
  recordedSubjects,
  type SealedTrail,
  STATEMENT_TYPE,
  sealedTrail,
  TRAIL_PREDICATE_TYPE,
  type TrailPredicate,
  type TrailStatement,
  type TrailToSeal,
} from './statement.ts';
export {
  type IdentityPolicy,
  type StatementVerifier,
  type TrailCheck,
  type TrailFailureCode,
  type TrailVerification,
  TrailVerifyError,
  type TrailVerifyErrorCode,
  type VerifiedStatement,
  type VerifyTrailOptions,
  verifyTrail,
} from './verify.ts';
export {
  checkWitnesses,
  parseWitnesses,
  type Witness,
  type WitnessFailure,
  type WitnessFailureCode,
} from './witness.ts';
