/**
 * @airlock/redact: streaming redaction of build output and secret scanning of files. Pure: no runner, no
 * environment; the action (actions/redact) and the CLI (`airlock redact`, `airlock secrets scan`) wire it up.
 */

export {
  ArchiveError,
  type ArchiveKind,
  type ArchiveLimits,
  archiveKind,
  DEFAULT_ARCHIVE_LIMITS,
  type Member,
  readTar,
  readZip,
  unsupportedCompression,
  writeTar,
  writeZip,
} from './archive.ts';
export {
  ACCEPT_FLAG,
  type Automaton,
  type AutomatonPattern,
  buildAutomaton,
  OWN_FLAG,
  STATE_MASK,
  TRIE_FLAG,
} from './automaton.ts';
export {
  type Finding,
  IDLE_HOLD_BYTES,
  type KnownSecret,
  REGISTERED_RULE,
  RedactionStream,
  Redactor,
  type RedactorOptions,
  type Replacement,
  type SkippedSecret,
} from './engine.ts';
export { shannonEntropy } from './entropy.ts';
export { credentialNamed, credentialsInEnv } from './env.ts';
export { RedactError, type RedactErrorCode } from './errors.ts';
export { LiteralIndex, LONG_LITERAL_MIN } from './literals.ts';
export { type LocatedFinding, type Location, locate, locateBuffer } from './locate.ts';
export { displayPath, expandPaths } from './paths.ts';
export { acceptsByWalk, PREFILTER_MIN_PATTERN, Prefilter, type PrefilterSeek } from './prefilter.ts';
export { isRegularFile, PUMP_CHUNK, pumpFile, writeAllSync } from './pump.ts';
export { acceptSecret, type CompiledRule, compileRules, keywordVariants, RULES, type RuleSpec } from './rules.ts';
export { type SarifLog, toSarif } from './sarif.ts';
export { type FileFinding, type ScanOptions, type ScanProblem, type ScanReport, scanFiles } from './scan.ts';
export { DEFAULT_IDLE_MS, RedactTransform, type RedactTransformOptions } from './transform.ts';
export {
  base64Core,
  baseForms,
  commandLineEscape,
  DEFAULT_MIN_LENGTH,
  encodingsOf,
  escapeDataString,
  expressionEscape,
  newtonsoftEscape,
  percentEncode,
  powerShellPostAmpersand,
  powerShellPreAmpersand,
  runnerBase64,
  runnerBase64Shift,
  type SecretVariant,
  secretVariants,
  securityElementEscape,
  trimDoubleQuotes,
} from './variants.ts';
export { into, type OutputSink, runRedacted, type WrapOptions, type WrapResult } from './wrap.ts';
