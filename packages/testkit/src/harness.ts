import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  FileCommandError,
  inputEnvName,
  type ParsedCommand,
  parseCommand,
  parseKeyValueFile,
  parsePathFile,
  RUNNER_COMMANDS,
  SecretMasker,
  STEP_SUMMARY_LIMIT,
  summaryTooLargeMessage,
  type ValueEncoder,
} from './runner-protocol.ts';

/**
 * A runner-faithful harness: runs a built action the way the GitHub Actions runner does, so end-to-end tests assert
 * on what a user would actually see.
 *
 * - INPUT_* variables from action.yml defaults (simple `${{ github.* }}`, `${{ runner.* }}`, `${{ env.* }}`
 *   expressions evaluated) plus the given inputs, with the runner's name mangling; undeclared inputs are refused
 *   (the runner only warns, but in a test that is a typo).
 * - Fresh GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH, GITHUB_STATE and GITHUB_STEP_SUMMARY per step, parsed afterwards
 *   with the runner's rules; RUNNER_TEMP and GITHUB_WORKSPACE per job; the standard GITHUB_* and RUNNER_* variables
 *   and an event payload file.
 * - stdout and stderr read line by line, workflow commands processed (add-mask, error/warning/notice with their
 *   properties, debug, group/endgroup, stop-commands, echo), and every line masked with the masks registered so far,
 *   as the runner does: a mask added mid-step hides later lines, not earlier ones.
 * - Steps share a job: exported env and PATH reach later steps, masks stay registered, and `post()` runs post steps
 *   in reverse order with their saved STATE_* variables and `post-if` conditions.
 */

export type InputValue = string | number | boolean;

export interface Annotation {
  readonly level: 'error' | 'warning' | 'notice';
  readonly message: string;
  readonly title?: string;
  readonly file?: string;
  readonly line?: number;
  readonly endLine?: number;
  readonly col?: number;
  readonly endColumn?: number;
}

export interface LogLine {
  readonly stream: 'stdout' | 'stderr' | 'runner';
  /** What the job log shows (masked; commands rendered as the runner renders them). */
  readonly text: string;
}

export interface StepRun {
  readonly id: string;
  readonly phase: 'main' | 'post';
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly outcome: 'success' | 'failure';
  readonly outputs: Readonly<Record<string, string>>;
  /** Variables this step exported through GITHUB_ENV. */
  readonly exportedEnv: Readonly<Record<string, string>>;
  /** Directories this step added through GITHUB_PATH. */
  readonly addedPath: readonly string[];
  readonly state: Readonly<Record<string, string>>;
  readonly summary: string;
  readonly annotations: readonly Annotation[];
  /** The step's log as a user sees it: masked, commands processed. */
  readonly log: string;
  readonly lines: readonly LogLine[];
  /** stdout and stderr exactly as the process wrote them, for debugging tests; never shown to users. */
  readonly rawLog: string;
  /** Values registered with add-mask during this step. */
  readonly masks: readonly string[];
  /** Problems the runner reports about the step (bad file commands, oversized summary). */
  readonly runnerErrors: readonly string[];
  readonly durationMs: number;
}

export interface JobOptions {
  readonly repository?: string;
  readonly repositoryId?: string;
  readonly owner?: string;
  readonly ownerId?: string;
  readonly ref?: string;
  readonly sha?: string;
  readonly eventName?: string;
  readonly event?: Record<string, unknown>;
  readonly actor?: string;
  readonly actorId?: string;
  readonly job?: string;
  readonly workflow?: string;
  readonly workflowRef?: string;
  readonly runId?: string;
  readonly runAttempt?: string;
  readonly runnerEnvironment?: 'github-hosted' | 'self-hosted';
  /** Job-level env (the workflow's `env:`). */
  readonly env?: Readonly<Record<string, string>>;
  /** Values of the secrets context: masked from the first line, as the runner does. */
  readonly secrets?: readonly string[];
  /** The `github.token` value (GITHUB_TOKEN secret); masked. */
  readonly githubToken?: string;
  /** Variables that grant `id-token: write` (from a loopback OIDC provider's `env()`). */
  readonly idToken?: Readonly<Record<string, string>>;
  /** Show `::debug::` lines (step debug logging). */
  readonly debug?: boolean;
  /** Extra encoders for the masker (the real runner adds 11; the default is exact values only, the stricter test). */
  readonly maskEncoders?: readonly ValueEncoder[];
  /** Use this workspace instead of a fresh temporary one (it is not deleted). */
  readonly workspace?: string;
  /** The Node binary; defaults to the one running the tests (Node 24, like `runs.using: node24`). */
  readonly node?: string;
  readonly timeoutMs?: number;
}

export interface StepOptions {
  readonly inputs?: Readonly<Record<string, InputValue>>;
  /** Step-level env. */
  readonly env?: Readonly<Record<string, string>>;
  /** The step id (GITHUB_ACTION). */
  readonly id?: string;
  /** Allow inputs that action.yml does not declare (the runner warns; by default the harness throws). */
  readonly allowUnexpectedInputs?: boolean;
  /** Data written to the step's stdin. */
  readonly stdin?: string;
  readonly timeoutMs?: number;
}

interface ActionMeta {
  readonly dir: string;
  readonly main: string;
  readonly post: string | undefined;
  readonly postIf: string;
  readonly inputs: ReadonlyMap<string, { default: string | undefined }>;
}

function loadAction(actionDir: string): ActionMeta {
  const dir = resolve(actionDir);
  const file = ['action.yml', 'action.yaml'].map((f) => join(dir, f)).find((f) => existsSync(f));
  if (file === undefined) throw new Error(`harness: no action.yml in ${dir}`);
  const doc = parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const runs = (doc.runs ?? {}) as Record<string, unknown>;
  if (runs.using !== 'node24' && runs.using !== 'node20') {
    throw new Error(`harness: ${file}: runs.using is ${String(runs.using)}; the harness runs node actions`);
  }
  const inputs = new Map<string, { default: string | undefined }>();
  for (const [name, spec] of Object.entries((doc.inputs ?? {}) as Record<string, Record<string, unknown> | null>)) {
    inputs.set(name, { default: spec?.default === undefined ? undefined : String(spec.default) });
  }
  return {
    dir,
    main: resolve(dir, String(runs.main)),
    post: typeof runs.post === 'string' ? resolve(dir, runs.post) : undefined,
    postIf: typeof runs['post-if'] === 'string' ? runs['post-if'] : 'always()',
    inputs,
  };
}

interface PendingPost {
  readonly meta: ActionMeta;
  readonly id: string;
  readonly inputsEnv: Record<string, string>;
  readonly stepEnv: Readonly<Record<string, string>>;
  readonly state: Readonly<Record<string, string>>;
}

export class Job {
  readonly dir: string;
  readonly runnerTemp: string;
  readonly workspace: string;
  readonly options: JobOptions;
  readonly masker: SecretMasker;
  readonly steps: StepRun[] = [];
  readonly #env: Record<string, string>;
  readonly #path: string[] = [];
  readonly #posts: PendingPost[] = [];
  readonly #lines: LogLine[] = [];
  #failed = false;
  #counter = 0;

  constructor(options: JobOptions = {}) {
    this.options = options;
    this.dir = mkdtempSync(join(tmpdir(), 'airlock-job-'));
    this.runnerTemp = join(this.dir, 'runner-temp');
    mkdirSync(this.runnerTemp);
    this.workspace = options.workspace ?? join(this.dir, 'workspace');
    mkdirSync(this.workspace, { recursive: true });
    this.masker = new SecretMasker(options.maskEncoders ?? []);
    for (const secret of options.secrets ?? []) this.masker.add(secret);
    if (options.githubToken !== undefined) this.masker.add(options.githubToken);
    const eventPath = join(this.dir, 'event.json');
    writeFileSync(eventPath, JSON.stringify(options.event ?? {}, null, 2));
    this.#env = { ...this.#contextEnv(eventPath), ...options.env };
  }

  /** Env a step sees before its own additions: job context, job env, everything exported so far. */
  get env(): Readonly<Record<string, string>> {
    return { ...this.#env };
  }

  /** The whole job log so far, as GitHub would show it. */
  get log(): string {
    return this.#lines.map((l) => l.text).join('\n');
  }

  get failed(): boolean {
    return this.#failed;
  }

  #contextEnv(eventPath: string): Record<string, string> {
    const o = this.options;
    const repository = o.repository ?? 'acme/app';
    const owner = o.owner ?? repository.split('/')[0] ?? 'acme';
    const ref = o.ref ?? 'refs/heads/main';
    const workflowFile = '.github/workflows/ci.yml';
    return {
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_API_URL: 'https://api.github.com',
      GITHUB_GRAPHQL_URL: 'https://api.github.com/graphql',
      GITHUB_REPOSITORY: repository,
      GITHUB_REPOSITORY_ID: o.repositoryId ?? '123456789',
      GITHUB_REPOSITORY_OWNER: owner,
      GITHUB_REPOSITORY_OWNER_ID: o.ownerId ?? '987654',
      GITHUB_REF: ref,
      GITHUB_REF_NAME: ref.replace(/^refs\/(heads|tags|pull)\//, ''),
      GITHUB_REF_TYPE: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
      GITHUB_REF_PROTECTED: 'false',
      GITHUB_SHA: o.sha ?? 'd6f3a1c0b2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8',
      GITHUB_EVENT_NAME: o.eventName ?? 'push',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_ACTOR: o.actor ?? 'octocat',
      GITHUB_ACTOR_ID: o.actorId ?? '583231',
      GITHUB_TRIGGERING_ACTOR: o.actor ?? 'octocat',
      GITHUB_JOB: o.job ?? 'build',
      GITHUB_WORKFLOW: o.workflow ?? 'CI',
      GITHUB_WORKFLOW_REF: o.workflowRef ?? `${repository}/${workflowFile}@${ref}`,
      GITHUB_WORKFLOW_SHA: o.sha ?? 'd6f3a1c0b2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8',
      GITHUB_RUN_ID: o.runId ?? '4242424242',
      GITHUB_RUN_NUMBER: '17',
      GITHUB_RUN_ATTEMPT: o.runAttempt ?? '1',
      GITHUB_RETENTION_DAYS: '90',
      GITHUB_WORKSPACE: this.workspace,
      GITHUB_ACTION_REPOSITORY: '',
      GITHUB_ACTION_REF: '',
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: 'X64',
      RUNNER_NAME: 'GitHub Actions 2',
      RUNNER_ENVIRONMENT: o.runnerEnvironment ?? 'github-hosted',
      RUNNER_TEMP: this.runnerTemp,
      RUNNER_TOOL_CACHE: join(this.dir, 'toolcache'),
      ...(o.debug ? { RUNNER_DEBUG: '1' } : {}),
      ...(o.idToken ?? {}),
    };
  }

  /** Evaluate the small expression subset action.yml defaults use. */
  #evaluate(text: string): string {
    return text.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_m, expr: string) => {
      const [context, ...path] = expr.split('.');
      const key = path.join('.');
      if (context === 'github' && key === 'token') return this.options.githubToken ?? '';
      if (context === 'github' && key === 'workspace') return this.workspace;
      if (context === 'github') return this.#env[`GITHUB_${key.toUpperCase()}`] ?? '';
      if (context === 'runner') return this.#env[`RUNNER_${key.toUpperCase()}`] ?? '';
      if (context === 'env') return this.#env[key] ?? '';
      throw new Error(`harness: cannot evaluate expression '\${{ ${expr} }}' in an action.yml default`);
    });
  }

  /** Run an action's main step. */
  async step(actionDir: string, options: StepOptions = {}): Promise<StepRun> {
    const meta = loadAction(actionDir);
    const given = options.inputs ?? {};
    const unexpected = Object.keys(given).filter((name) => !meta.inputs.has(name));
    const notes: LogLine[] = [];
    if (unexpected.length > 0) {
      const message = `Unexpected input(s) '${unexpected.join("', '")}', valid inputs are ['${[...meta.inputs.keys()].join("', '")}']`;
      if (!options.allowUnexpectedInputs) throw new Error(`harness: ${message}`);
      notes.push({ stream: 'runner', text: `##[warning]${message}` });
    }
    const inputsEnv: Record<string, string> = {};
    for (const [name, spec] of meta.inputs) {
      const value = given[name];
      inputsEnv[inputEnvName(name)] = value !== undefined ? String(value) : this.#evaluate(spec.default ?? '');
    }
    const id = options.id ?? `__step${++this.#counter}`;
    const run = await this.#spawn(meta.main, 'main', id, inputsEnv, options.env ?? {}, {}, options, notes);
    if (meta.post !== undefined) {
      this.#posts.push({ meta, id, inputsEnv, stepEnv: options.env ?? {}, state: run.state });
    }
    return run;
  }

  /** Run the post steps registered so far, last first, honouring `post-if`. */
  async post(): Promise<StepRun[]> {
    const runs: StepRun[] = [];
    while (this.#posts.length > 0) {
      const pending = this.#posts.pop() as PendingPost;
      if (!this.#postCondition(pending.meta.postIf)) continue;
      const stateEnv = Object.fromEntries(Object.entries(pending.state).map(([k, v]) => [`STATE_${k}`, v]));
      runs.push(
        await this.#spawn(
          pending.meta.post as string,
          'post',
          pending.id,
          pending.inputsEnv,
          pending.stepEnv,
          stateEnv,
          {},
          [],
        ),
      );
    }
    return runs;
  }

  #postCondition(condition: string): boolean {
    const c = condition.replace(/^\$\{\{\s*|\s*\}\}$/g, '').trim();
    if (c === 'always()') return true;
    if (c === 'success()') return !this.#failed;
    if (c === 'failure()') return this.#failed;
    if (c === 'cancelled()') return false;
    throw new Error(`harness: unsupported post-if condition '${condition}'`);
  }

  async #spawn(
    script: string,
    phase: 'main' | 'post',
    id: string,
    inputsEnv: Record<string, string>,
    stepEnv: Readonly<Record<string, string>>,
    stateEnv: Record<string, string>,
    options: StepOptions,
    notes: LogLine[],
  ): Promise<StepRun> {
    if (!existsSync(script)) throw new Error(`harness: ${script} does not exist; build the action first`);
    const files = join(this.dir, `step-${randomUUID()}`);
    mkdirSync(files);
    const fileEnv = {
      GITHUB_OUTPUT: join(files, 'output'),
      GITHUB_ENV: join(files, 'env'),
      GITHUB_PATH: join(files, 'path'),
      GITHUB_STATE: join(files, 'state'),
      GITHUB_STEP_SUMMARY: join(files, 'summary'),
    };
    for (const file of Object.values(fileEnv)) writeFileSync(file, '');
    const hostPath = process.env.PATH ?? '/usr/bin:/bin';
    const env: Record<string, string> = {
      HOME: process.env.HOME ?? this.dir,
      LANG: 'C.UTF-8',
      ...this.#env,
      ...stepEnv,
      PATH: [...this.#path, dirname(this.options.node ?? process.execPath), hostPath].join(':'),
      GITHUB_ACTION: id,
      ...inputsEnv,
      ...stateEnv,
      ...fileEnv,
    };

    const lines: LogLine[] = [...notes];
    const annotations: Annotation[] = [];
    const masks: string[] = [];
    const raw: string[] = [];
    let stopToken: string | undefined;
    let echo = false;
    const registered = new Set(RUNNER_COMMANDS);
    const emit = (stream: LogLine['stream'], text: string) => lines.push({ stream, text: this.masker.mask(text) });
    const handle = (stream: 'stdout' | 'stderr', line: string) => {
      raw.push(line);
      const command = parseCommand(line, registered);
      if (command === undefined) return emit(stream, line);
      if (stopToken !== undefined) {
        if (command.command === stopToken.toLowerCase()) {
          emit(stream, line);
          registered.delete(stopToken.toLowerCase());
          stopToken = undefined;
        } else {
          emit(stream, line);
        }
        return;
      }
      this.#command(
        command,
        line,
        stream,
        { lines, annotations, masks, emit },
        (token) => {
          stopToken = token;
          registered.add(token.toLowerCase());
        },
        (on) => {
          echo = on;
        },
        echo,
      );
    };

    const started = Date.now();
    const child = spawn(this.options.node ?? process.execPath, [script], {
      cwd: this.workspace,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const splitter = (stream: 'stdout' | 'stderr') => {
      let pending = '';
      const decoder = new TextDecoder();
      return {
        push: (chunk: Buffer) => {
          pending += decoder.decode(chunk, { stream: true });
          const parts = pending.split(/\r\n|\r|\n/);
          pending = parts.pop() ?? '';
          for (const part of parts) handle(stream, part);
        },
        end: () => {
          pending += decoder.decode();
          if (pending !== '') handle(stream, pending);
          pending = '';
        },
      };
    };
    const out = splitter('stdout');
    const err = splitter('stderr');
    child.stdout.on('data', out.push);
    child.stderr.on('data', err.push);
    child.stdin.end(options.stdin ?? '');
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 60_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done, fail) => {
      child.once('error', fail);
      child.once('close', (code, sig) => done([code, sig]));
    });
    clearTimeout(timer);
    out.end();
    err.end();

    const runnerErrors: string[] = [];
    const fileValues = (path: string): Array<[string, string]> => {
      try {
        return parseKeyValueFile(readFileSync(path, 'utf8'));
      } catch (error) {
        if (!(error instanceof FileCommandError)) throw error;
        runnerErrors.push(error.message);
        return [];
      }
    };
    const outputs = Object.fromEntries(fileValues(fileEnv.GITHUB_OUTPUT));
    const exportedEnv: Record<string, string> = {};
    for (const [name, value] of fileValues(fileEnv.GITHUB_ENV)) {
      if (name.toUpperCase() === 'NODE_OPTIONS') {
        runnerErrors.push("Can't store NODE_OPTIONS output parameter using '$GITHUB_ENV' command.");
        continue;
      }
      exportedEnv[name] = value;
    }
    const state = Object.fromEntries(fileValues(fileEnv.GITHUB_STATE));
    const addedPath = parsePathFile(readFileSync(fileEnv.GITHUB_PATH, 'utf8'));
    let summary = readFileSync(fileEnv.GITHUB_STEP_SUMMARY, 'utf8');
    const summaryBytes = Buffer.byteLength(summary);
    if (summaryBytes > STEP_SUMMARY_LIMIT) {
      runnerErrors.push(summaryTooLargeMessage(summaryBytes));
      summary = '';
    }
    if (timedOut) runnerErrors.push(`The action has timed out after ${timeoutMs} ms.`);
    for (const message of runnerErrors) {
      annotations.push({ level: 'error', message: this.masker.mask(message) });
      emit('runner', `##[error]${message}`);
    }

    // The runner applies exported env and PATH to later steps of the job.
    Object.assign(this.#env, exportedEnv);
    this.#path.unshift(...[...addedPath].reverse());

    const outcome = exitCode === 0 && runnerErrors.length === 0 ? 'success' : 'failure';
    if (outcome === 'failure') this.#failed = true;
    this.#lines.push(...lines);
    const run: StepRun = {
      id,
      phase,
      exitCode,
      signal,
      outcome,
      outputs,
      exportedEnv,
      addedPath,
      state,
      summary,
      annotations,
      log: lines.map((l) => l.text).join('\n'),
      lines,
      rawLog: raw.join('\n'),
      masks,
      runnerErrors,
      durationMs: Date.now() - started,
    };
    this.steps.push(run);
    rmSync(files, { recursive: true, force: true });
    return run;
  }

  #command(
    command: ParsedCommand,
    line: string,
    stream: 'stdout' | 'stderr',
    sink: {
      lines: LogLine[];
      annotations: Annotation[];
      masks: string[];
      emit: (stream: LogLine['stream'], text: string) => void;
    },
    stop: (token: string) => void,
    setEcho: (on: boolean) => void,
    echo: boolean,
  ): void {
    const { properties: p, data } = command;
    switch (command.command) {
      case 'add-mask':
        if (data.trim() === '') {
          sink.annotations.push({
            level: 'warning',
            message: "Can't add secret mask for empty string in ##[add-mask] command.",
          });
          sink.emit('runner', "##[warning]Can't add secret mask for empty string in ##[add-mask] command.");
          return;
        }
        if (echo) sink.emit(stream, '::add-mask::***');
        this.masker.add(data);
        sink.masks.push(data);
        return;
      case 'stop-commands':
        sink.emit(stream, line);
        stop(data);
        return;
      case 'echo':
        if (data.toLowerCase() === 'on') setEcho(true);
        else if (data.toLowerCase() === 'off') setEcho(false);
        return;
      case 'debug':
        if (this.options.debug) sink.emit(stream, `##[debug]${data}`);
        return;
      case 'group':
        sink.emit(stream, `##[group]${data}`);
        return;
      case 'endgroup':
        sink.emit(stream, '##[endgroup]');
        return;
      case 'error':
      case 'warning':
      case 'notice': {
        const num = (key: string) => (p[key] === undefined ? undefined : Number(p[key]));
        const annotation: Annotation = {
          level: command.command,
          message: this.masker.mask(data),
          ...(p.title === undefined ? {} : { title: this.masker.mask(p.title) }),
          ...(p.file === undefined ? {} : { file: p.file }),
          ...(num('line') === undefined ? {} : { line: num('line') as number }),
          ...(num('endline') === undefined ? {} : { endLine: num('endline') as number }),
          ...(num('col') === undefined ? {} : { col: num('col') as number }),
          ...(num('endcolumn') === undefined ? {} : { endColumn: num('endcolumn') as number }),
        };
        sink.annotations.push(annotation);
        sink.emit(stream, `##[${command.command}]${data}`);
        return;
      }
      case 'set-env':
      case 'add-path': {
        const message = `The \`${command.command}\` command is disabled. Please upgrade to using Environment Files or opt into unsecure command execution by setting the \`ACTIONS_ALLOW_UNSECURE_COMMANDS\` environment variable to \`true\`.`;
        sink.annotations.push({ level: 'error', message });
        sink.emit('runner', `##[error]${message}`);
        return;
      }
      default:
        // set-output, save-state, matchers: accepted and not shown; Airlock never uses them.
        if (echo) sink.emit(stream, line);
    }
  }

  /** Remove the job's temporary directory, which holds the workspace unless one was given. */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Run one action in a fresh job: main, then its post step. */
export async function runAction(
  actionDir: string,
  options: StepOptions & { job?: JobOptions } = {},
): Promise<{ main: StepRun; post: StepRun | undefined; job: Job }> {
  const job = new Job(options.job);
  const main = await job.step(actionDir, options);
  const [post] = await job.post();
  return { main, post, job };
}
