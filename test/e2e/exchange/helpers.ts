import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Job, type JobOptions, OidcProvider, type OidcProviderOptions, type StepRun } from '@airlock/testkit';
import { expect } from 'vitest';
import { actionDir } from '../../support/paths.ts';

export const EXCHANGE = actionDir('exchange');

/** Everything an e2e test started, disposed after each test; and every value that must never leak. */
export class Scene {
  readonly jobs: Job[] = [];
  readonly stoppers: Array<() => Promise<void>> = [];
  /** Values that must not appear in logs, outputs, files (and in env only under the names allowed). */
  readonly secretSources: Array<() => readonly string[]> = [];

  async oidc(options: OidcProviderOptions = {}): Promise<OidcProvider> {
    const provider = await OidcProvider.start(options);
    this.stoppers.push(() => provider.stop());
    this.secretSources.push(() => [provider.requestToken]);
    return provider;
  }

  track<T extends { stop(): Promise<void>; presentedTokens: readonly string[]; issuedValues(): string[] }>(
    emulator: T,
  ): T {
    this.stoppers.push(() => emulator.stop());
    this.secretSources.push(() => [...emulator.presentedTokens, ...emulator.issuedValues()]);
    return emulator;
  }

  secret(...values: string[]): void {
    this.secretSources.push(() => values);
  }

  job(oidc: OidcProvider | undefined, options: JobOptions = {}): Job {
    const job = new Job({ ...(oidc === undefined ? {} : { idToken: oidc.env() }), ...options });
    this.jobs.push(job);
    return job;
  }

  values(): string[] {
    return [...new Set(this.secretSources.flatMap((s) => s()))].filter((v) => v.length >= 8);
  }

  async dispose(): Promise<void> {
    for (const job of this.jobs.splice(0)) job.dispose();
    for (const stop of this.stoppers.splice(0).reverse()) await stop();
    this.secretSources.splice(0);
  }
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) return [];
    return stat.isDirectory() ? files(path) : [path];
  });
}

/**
 * The step state minus the revocation handle: the post step needs the token it revokes, and gets it through the
 * runner's state channel (like the exported env, a runner file command), never through a file of ours or an output.
 */
function stateWithoutRevocation(state: Readonly<Record<string, string>>): string {
  const copy: Record<string, unknown> = { ...state };
  if (typeof state.exchange === 'string') {
    const parsed = JSON.parse(state.exchange) as Record<string, unknown>;
    delete parsed.revocation;
    copy.exchange = parsed;
  }
  return JSON.stringify(copy);
}

export interface LeakRules {
  /** Step outputs may carry credentials (output-credentials: true). */
  readonly outputs?: boolean;
  /** Variables allowed to hold a secret value (the credential variables and the requested JIT names). */
  readonly env?: readonly string[];
  /** Files allowed to hold credentials while the job runs (the credentials file, before post). */
  readonly files?: readonly string[];
}

/**
 * The leak check every e2e test ends with: no credential, token or secret value in the masked job log, the step
 * outputs (unless asked), exported env (except under the names asked for), RUNNER_TEMP (trail included) or the
 * workspace.
 */
export function assertNoLeaks(scene: Scene, job: Job, rules: LeakRules = {}): void {
  const values = scene.values();
  expect(values.length).toBeGreaterThan(0);
  const where = (what: string, text: string) => {
    for (const value of values) {
      if (text.includes(value)) throw new Error(`leak: a secret value (${value.slice(0, 6)}…) appears in ${what}`);
    }
  };
  where('the job log', job.log);
  for (const step of job.steps as StepRun[]) {
    for (const a of step.annotations) where(`an annotation of ${step.id}`, `${a.title ?? ''} ${a.message}`);
    if (!rules.outputs) where(`the outputs of ${step.id}`, JSON.stringify(step.outputs));
    for (const [name, value] of Object.entries(step.exportedEnv)) {
      if (!(rules.env ?? []).includes(name)) where(`exported variable ${name}`, value);
    }
    where(`the summary of ${step.id}`, step.summary);
    where(`the state of ${step.id}`, stateWithoutRevocation(step.state));
  }
  for (const file of [...files(job.runnerTemp), ...files(job.workspace)]) {
    if ((rules.files ?? []).includes(file)) continue;
    where(file, readFileSync(file, 'utf8'));
  }
}
