/**
 * @airlock/core: what every Airlock library and action shares. Everything exported here is pure (it never reads the
 * environment or talks to the runner); the runner glue lives in `@airlock/core/action`.
 */
export { canonicalJson, canonicalSha256, SMALL_HASH_BYTES, sha256Hex } from './canonical.ts';
export {
  AirlockError,
  type AirlockErrorOptions,
  type ErrorKind,
  errorKind,
  errorMessage,
  errorStack,
  InputError,
  type InputErrorCode,
  isAirlockError,
  quote,
} from './errors.ts';
export { type Env, type GitHubContext, githubContextFromEnv, runUrl } from './github.ts';
export {
  type Attempt,
  type BufferedResponse,
  bypassesProxy,
  type Classifier,
  defaultClassifier,
  describeUrl,
  type FetchInitLike,
  type FetchLike,
  type FetchResponseLike,
  HttpClient,
  type HttpClientOptions,
  HttpError,
  type HttpErrorCode,
  type HttpRequest,
  MIN_ATTEMPT_MS,
  type ProxySettings,
  proxySettingsFromEnv,
  type RetryOptions,
  realSleep,
  retryAfterMs,
} from './http.ts';
export { type InputLookup, InputReader, parseDuration, type ReadOptions, SECRET_PLACEHOLDER } from './inputs.ts';
export {
  type AnnotationProperties,
  type LogEntry,
  type Logger,
  type LogLevel,
  MemoryLogger,
  nullLogger,
} from './logger.ts';
export { MIN_MASK_LENGTH, secretForms } from './masking.ts';
export {
  GitHubIdTokenSource,
  type GitHubIdTokenSourceOptions,
  IdTokenError,
  type IdTokenErrorCode,
  type IdTokenSource,
} from './oidc-token.ts';
export type { OutputValue, StepIO, StepResult } from './step.ts';
export { DEFAULT_SUMMARY_BUDGET, escapeMarkdown, Summary } from './summary.ts';
export {
  type AppendResult,
  type ChainFailureCode,
  type ChainReport,
  GENESIS_HASH,
  githubForTrail,
  type JsonObject,
  type JsonValue,
  recordHash,
  recordProblem,
  redactStrings,
  TRAIL_DIR,
  TRAIL_FILE,
  TRAIL_FORMAT_VERSION,
  type TrailEntry,
  TrailError,
  type TrailErrorCode,
  type TrailGitHub,
  type TrailRecord,
  TrailRecorder,
  type TrailRecorderOptions,
  type TrailSubject,
  trailPath,
  verifyChain,
  WITNESS_PATTERN,
  witnessLine,
} from './trail.ts';
export { createNodeFetch, type NodeFetchOptions } from './transport.ts';
export { AIRLOCK_VERSION } from './version.ts';
