/**
 * @airlock/redact: streaming redaction of build output and secret scanning of files. Pure: no runner, no
 * environment; the action (actions/redact) and the CLI (`airlock redact`, `airlock secrets scan`) wire it up.
 */
export { ACCEPT_FLAG, type Automaton, type AutomatonPattern, buildAutomaton, STATE_MASK } from './automaton.ts';
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
export { RedactError, type RedactErrorCode } from './errors.ts';
export { acceptSecret, type CompiledRule, compileRules, keywordVariants, RULES, type RuleSpec } from './rules.ts';
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
