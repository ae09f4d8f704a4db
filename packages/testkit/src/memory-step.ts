import {
  type Env,
  type FetchLike,
  githubContextFromEnv,
  HttpClient,
  type IdTokenSource,
  MemoryLogger,
  type OutputValue,
  type StepIO,
  Summary,
  secretForms,
} from '@airlock/core';

/**
 * An in-memory {@link StepIO} for unit tests of an action's `run()`: no runner, no files, no @actions/core. Every
 * effect is recorded in `events`, in order, so a test can assert that a credential was masked before it was
 * exported, logged or sent.
 */
export type StepEvent =
  | { readonly type: 'mask'; readonly value: string }
  | { readonly type: 'output'; readonly name: string; readonly value: string }
  | { readonly type: 'env'; readonly name: string; readonly value: string }
  | { readonly type: 'path'; readonly value: string }
  | { readonly type: 'state'; readonly name: string; readonly value: string }
  | { readonly type: 'log'; readonly level: string; readonly message: string }
  | { readonly type: 'request'; readonly url: string; readonly method: string };

export interface MemoryStepOptions {
  readonly name?: string;
  readonly phase?: 'main' | 'post';
  readonly env?: Env;
  readonly state?: Readonly<Record<string, string>>;
  readonly workspace?: string;
  readonly runnerTemp?: string;
  readonly now?: () => Date;
  /** Recorded as `request` events before being called. */
  readonly fetch?: FetchLike;
  readonly idTokens?: IdTokenSource;
}

export interface MemoryStep {
  readonly io: StepIO;
  readonly events: StepEvent[];
  readonly logger: MemoryLogger;
  readonly outputs: Record<string, string>;
  readonly exported: Record<string, string>;
  readonly state: Record<string, string>;
  readonly masked: Set<string>;
  /** Index of the first event matching a predicate, -1 when none. */
  indexOf(predicate: (event: StepEvent) => boolean): number;
}

const toText = (value: OutputValue) => (typeof value === 'string' ? value : JSON.stringify(value));

export function createMemoryStep(options: MemoryStepOptions = {}): MemoryStep {
  const events: StepEvent[] = [];
  const logger = new MemoryLogger();
  const log = {
    debug: (m: string) => {
      events.push({ type: 'log', level: 'debug', message: m });
      logger.debug(m);
    },
    info: (m: string) => {
      events.push({ type: 'log', level: 'info', message: m });
      logger.info(m);
    },
    notice: (m: string, p?: object) => {
      events.push({ type: 'log', level: 'notice', message: m });
      logger.notice(m, p);
    },
    warning: (m: string, p?: object) => {
      events.push({ type: 'log', level: 'warning', message: m });
      logger.warning(m, p);
    },
    error: (m: string, p?: object) => {
      events.push({ type: 'log', level: 'error', message: m });
      logger.error(m, p);
    },
    group: <T>(name: string, fn: () => Promise<T>) => logger.group(name, fn),
  };
  const outputs: Record<string, string> = {};
  const exported: Record<string, string> = {};
  const state: Record<string, string> = { ...options.state };
  const masked = new Set<string>();
  const env = options.env ?? {};
  const github = githubContextFromEnv(env);
  const fetch: FetchLike = async (url, init) => {
    events.push({ type: 'request', url, method: init.method ?? 'GET' });
    if (options.fetch === undefined) throw new Error(`memory step: no fetch configured for ${url}`);
    return options.fetch(url, init);
  };
  const mask = (value: string) => {
    for (const form of secretForms(value)) {
      if (masked.has(form)) continue;
      masked.add(form);
      events.push({ type: 'mask', value: form });
    }
  };
  const io: StepIO = {
    action: { name: options.name ?? 'test', version: '0.0.0-test', phase: options.phase ?? 'main' },
    log,
    github,
    env,
    workspace: options.workspace ?? process.cwd(),
    runnerTemp: options.runnerTemp,
    now: options.now ?? (() => new Date()),
    sleep: async () => {},
    fetch,
    http: (opts = {}) => new HttpClient({ fetch, logger: log, sleep: async () => {}, ...opts }),
    idTokens: options.idTokens ?? {
      getToken: () => Promise.reject(new Error('memory step: no OIDC token source configured')),
    },
    mask,
    setOutput: (name, value) => {
      outputs[name] = toText(value);
      events.push({ type: 'output', name, value: toText(value) });
    },
    exportVariable: (name, value) => {
      exported[name] = value;
      events.push({ type: 'env', name, value });
    },
    addPath: (value) => events.push({ type: 'path', value }),
    saveState: (name, value) => {
      state[name] = value;
      events.push({ type: 'state', name, value });
    },
    getState: (name) => state[name],
    summary: new Summary(),
    identify: () => {},
  };
  return {
    io,
    events,
    logger,
    outputs,
    exported,
    state,
    masked,
    indexOf: (predicate) => events.findIndex(predicate),
  };
}
