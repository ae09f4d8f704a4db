/**
 * `@airlock/core/action`: the glue between an action and the GitHub runner. This is the only module in Airlock that
 * talks to the runner or reads process.env; libraries receive what they need through {@link StepIO}.
 *
 * An action's index.ts is one call:
 *
 *     await runAction({ name: 'scan', inputs: (input) => ({ paths: input.list('paths') }), run });
 *
 * runAction owns the single catch of the step: whatever `run` throws becomes `setFailed("scan: <message>")` (with the
 * stack at debug level for bugs), the job summary is written, and the trail record is appended, on success and on
 * failure alike. The architecture first put this catch in each run.ts; one shared catch keeps every action failing
 * the same way and guarantees that failures are recorded in the trail too.
 */
import { errorKind, errorMessage, errorStack, isAirlockError } from './errors.ts';
import { type Env, githubContextFromEnv } from './github.ts';
import { HttpClient, proxySettingsFromEnv, realSleep } from './http.ts';
import { InputReader } from './inputs.ts';
import type { Logger } from './logger.ts';
import { secretForms } from './masking.ts';
import { GitHubIdTokenSource } from './oidc-token.ts';
import { annotationProperties, processChannel, Runner } from './runner.ts';
import type { OutputValue, StepIO, StepResult } from './step.ts';
import { Summary } from './summary.ts';
import { githubForTrail, TrailRecorder, trailPath } from './trail.ts';
import { createNodeFetch } from './transport.ts';
import { AIRLOCK_VERSION } from './version.ts';

export interface ActionSpec<I> {
  /** The action's short name (`exchange`), used as the prefix of its failure message and in the trail. */
  readonly name: string;
  readonly phase?: 'main' | 'post';
  /** Map inputs to a typed object. Only index.ts (and post.ts) call input methods, always with literal names. */
  readonly inputs: (input: InputReader) => I;
  readonly run: (inputs: I, io: StepIO) => Promise<StepResult | undefined>;
}

/** A Logger that writes workflow commands. */
export function runnerLogger(runner: Runner): Logger {
  return {
    debug: (message) => runner.command('debug', {}, message),
    info: (message) => runner.line(message),
    notice: (message, props) => runner.command('notice', annotationProperties(props), message),
    warning: (message, props) => runner.command('warning', annotationProperties(props), message),
    error: (message, props) => runner.command('error', annotationProperties(props), message),
    group: async (name, fn) => {
      runner.command('group', {}, name);
      try {
        return await fn();
      } finally {
        runner.command('endgroup', {}, '');
      }
    },
  };
}

interface LiveStep {
  readonly io: StepIO;
  readonly masked: Set<string>;
  readonly identity: { jobWorkflowRef: string | null };
}

function createLiveStep(name: string, phase: 'main' | 'post', env: Env, runner: Runner): LiveStep {
  const github = githubContextFromEnv(env);
  const log = runnerLogger(runner);
  const masked = new Set<string>();
  const identity: { jobWorkflowRef: string | null } = { jobWorkflowRef: null };
  const mask = (value: string) => {
    for (const form of secretForms(value)) {
      if (masked.has(form)) continue;
      masked.add(form);
      runner.setSecret(form);
    }
  };
  const fetch = createNodeFetch({ proxy: proxySettingsFromEnv(env) });
  const userAgent = `airlock-${name}/${AIRLOCK_VERSION}`;
  const http = (options = {}) => new HttpClient({ fetch, logger: log, sleep: realSleep, userAgent, ...options });
  const io: StepIO = {
    action: { name, version: AIRLOCK_VERSION, phase },
    log,
    github,
    env,
    workspace: github.workspace ?? process.cwd(),
    runnerTemp: github.runnerTemp,
    now: () => new Date(),
    sleep: realSleep,
    fetch,
    http,
    idTokens: new GitHubIdTokenSource({
      requestUrl: env.ACTIONS_ID_TOKEN_REQUEST_URL,
      requestToken: env.ACTIONS_ID_TOKEN_REQUEST_TOKEN,
      http: http(),
      mask,
    }),
    mask,
    setOutput: (outputName: string, value: OutputValue) => runner.setOutput(outputName, value),
    exportVariable: (variable, value) => {
      runner.exportVariable(variable, value);
      process.env[variable] = value; // visible to processes this step starts, as with @actions/core
    },
    addPath: (path) => {
      runner.addPath(path);
      process.env.PATH = `${path}${process.platform === 'win32' ? ';' : ':'}${process.env.PATH ?? ''}`;
    },
    saveState: (stateName, value) => runner.saveState(stateName, value),
    getState: (stateName) => runner.state(stateName),
    summary: new Summary(),
    identify: (facts) => {
      if (facts.jobWorkflowRef !== undefined) identity.jobWorkflowRef = facts.jobWorkflowRef;
    },
  };
  return { io, masked, identity };
}

/** Run one phase of an action the way every Airlock action runs. Never throws; sets the exit code instead. */
export async function runAction<I>(spec: ActionSpec<I>): Promise<void> {
  const phase = spec.phase ?? 'main';
  const env: Env = { ...process.env };
  const runner = new Runner(processChannel());
  const { io, masked, identity } = createLiveStep(spec.name, phase, env, runner);
  const fail = (message: string) => {
    io.log.error(message);
    process.exitCode = 1;
  };
  const reader = new InputReader((inputName) => runner.input(inputName));
  let outcome: 'success' | 'failure' = 'success';
  let failure: { code: string; message: string } | null = null;
  let result: StepResult | undefined;
  try {
    const inputs = spec.inputs(reader);
    for (const value of reader.secretValues()) io.mask(value);
    result = await spec.run(inputs, io);
  } catch (error) {
    for (const value of reader.secretValues()) io.mask(value);
    outcome = 'failure';
    const kind = errorKind(error);
    const message = errorMessage(error);
    failure = { code: isAirlockError(error) ? error.code : 'internal', message };
    if (kind === 'bug') {
      io.log.debug(errorStack(error));
      fail(
        `${spec.name}: internal error: ${message}. This is a bug in Airlock: please report it with the step's debug log (re-run the job with debug logging enabled).`,
      );
    } else {
      if (error instanceof Error && error.cause !== undefined) io.log.debug(`cause: ${errorMessage(error.cause)}`);
      fail(`${spec.name}: ${message}`);
    }
  }

  if (!io.summary.isEmpty) {
    try {
      runner.appendSummary(io.summary.toString());
    } catch (error) {
      io.log.warning(`${spec.name}: could not write the job summary: ${errorMessage(error)}`);
    }
  }

  if (io.runnerTemp === undefined) {
    io.log.debug('RUNNER_TEMP is not set: no trail record for this step');
    return;
  }
  try {
    const recorder = new TrailRecorder({ path: trailPath(io.runnerTemp), secrets: () => masked });
    const appended = recorder.append({
      action: {
        name: spec.name,
        version: AIRLOCK_VERSION,
        phase,
        repository: io.github.actionRepository ?? null,
        ref: io.github.actionRef ?? null,
      },
      step: io.github.step ?? null,
      github: githubForTrail(io.github, identity.jobWorkflowRef),
      outcome,
      error: failure,
      inputs: reader.recorded(),
      subjects: result?.subjects ?? [],
      result: result?.result ?? {},
    });
    for (const warning of appended.warnings) io.log.warning(`${spec.name}: ${warning}`);
    io.log.info(appended.witness);
  } catch (error) {
    // A trail that cannot be written must be visible, and must fail the step: an unrecorded step defeats the trail.
    fail(`${spec.name}: could not append to the trail: ${errorMessage(error)}`);
  }
}
