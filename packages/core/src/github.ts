/**
 * The GitHub context of a run, read from the environment the runner provides. Pure: it takes the environment as an
 * argument, so tests and the CLI can pass their own.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export interface GitHubContext {
  readonly serverUrl: string;
  readonly apiUrl: string;
  readonly repository: string | undefined;
  readonly repositoryId: string | undefined;
  readonly repositoryOwner: string | undefined;
  readonly runId: string | undefined;
  readonly runNumber: string | undefined;
  readonly runAttempt: string | undefined;
  readonly job: string | undefined;
  readonly workflow: string | undefined;
  readonly workflowRef: string | undefined;
  readonly workflowSha: string | undefined;
  readonly sha: string | undefined;
  readonly ref: string | undefined;
  readonly refName: string | undefined;
  readonly refType: string | undefined;
  readonly headRef: string | undefined;
  readonly baseRef: string | undefined;
  readonly actor: string | undefined;
  readonly actorId: string | undefined;
  readonly eventName: string | undefined;
  readonly eventPath: string | undefined;
  /** The step id (`GITHUB_ACTION`): the `id:` of the step, or `__owner_repo` style names the runner generates. */
  readonly step: string | undefined;
  readonly actionRepository: string | undefined;
  readonly actionRef: string | undefined;
  readonly runnerEnvironment: string | undefined;
  readonly runnerOs: string | undefined;
  readonly runnerArch: string | undefined;
  readonly workspace: string | undefined;
  readonly runnerTemp: string | undefined;
  /** True when running under GitHub Actions (GITHUB_ACTIONS=true). */
  readonly actions: boolean;
  /** True when the runner was asked for debug logs (RUNNER_DEBUG=1). */
  readonly debug: boolean;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

export function githubContextFromEnv(env: Env): GitHubContext {
  const get = (name: string) => nonEmpty(env[name]);
  return {
    serverUrl: (get('GITHUB_SERVER_URL') ?? 'https://github.com').replace(/\/+$/, ''),
    apiUrl: (get('GITHUB_API_URL') ?? 'https://api.github.com').replace(/\/+$/, ''),
    repository: get('GITHUB_REPOSITORY'),
    repositoryId: get('GITHUB_REPOSITORY_ID'),
    repositoryOwner: get('GITHUB_REPOSITORY_OWNER'),
    runId: get('GITHUB_RUN_ID'),
    runNumber: get('GITHUB_RUN_NUMBER'),
    runAttempt: get('GITHUB_RUN_ATTEMPT'),
    job: get('GITHUB_JOB'),
    workflow: get('GITHUB_WORKFLOW'),
    workflowRef: get('GITHUB_WORKFLOW_REF'),
    workflowSha: get('GITHUB_WORKFLOW_SHA'),
    sha: get('GITHUB_SHA'),
    ref: get('GITHUB_REF'),
    refName: get('GITHUB_REF_NAME'),
    refType: get('GITHUB_REF_TYPE'),
    headRef: get('GITHUB_HEAD_REF'),
    baseRef: get('GITHUB_BASE_REF'),
    actor: get('GITHUB_ACTOR'),
    actorId: get('GITHUB_ACTOR_ID'),
    eventName: get('GITHUB_EVENT_NAME'),
    eventPath: get('GITHUB_EVENT_PATH'),
    step: get('GITHUB_ACTION'),
    actionRepository: get('GITHUB_ACTION_REPOSITORY'),
    actionRef: get('GITHUB_ACTION_REF'),
    runnerEnvironment: get('RUNNER_ENVIRONMENT'),
    runnerOs: get('RUNNER_OS'),
    runnerArch: get('RUNNER_ARCH'),
    workspace: get('GITHUB_WORKSPACE'),
    runnerTemp: get('RUNNER_TEMP'),
    actions: env.GITHUB_ACTIONS === 'true',
    debug: env.RUNNER_DEBUG === '1',
  };
}

/** `https://github.com/<repo>/actions/runs/<id>/attempts/<n>`, or undefined outside a run. */
export function runUrl(context: GitHubContext): string | undefined {
  if (context.repository === undefined || context.runId === undefined) return undefined;
  const attempt = context.runAttempt === undefined ? '' : `/attempts/${context.runAttempt}`;
  return `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}${attempt}`;
}
