/**
 * @airlock/testkit: a runner-faithful harness and loopback services for Airlock's tests. Never bundled into an
 * action.
 */
export {
  type Annotation,
  type InputValue,
  Job,
  type JobOptions,
  type LogLine,
  runAction,
  type StepOptions,
  type StepRun,
} from './harness.ts';
export { createMemoryStep, type MemoryStep, type MemoryStepOptions, type StepEvent } from './memory-step.ts';
export { type Handler, type LoopbackServer, listen, sendJson } from './net.ts';
export {
  type GitHubClaims,
  type OidcFaults,
  OidcProvider,
  type OidcProviderOptions,
  type TokenRequestRecord,
} from './oidc-provider.ts';
export {
  FileCommandError,
  inputEnvName,
  type ParsedCommand,
  parseCommand,
  parseKeyValueFile,
  parsePathFile,
  RUNNER_COMMANDS,
  SecretMasker,
  type ValueEncoder,
} from './runner-protocol.ts';
export { createTestTls, type TestTls } from './tls.ts';
