import type { OidcProvider } from '@airlock/testkit';
import { expect, it } from 'vitest';
import { assertNoLeaks, EXCHANGE, type Scene } from './helpers.ts';

/**
 * The resilience behaviour every provider must show, through the built action: transient failures retried until
 * success, a deadline that ends an outage with a clear error, and a GitHub token refetched when it comes within 60 s
 * of expiry (the emulator sees a different token on each round).
 */
export interface ResilienceSetup {
  readonly oidc: OidcProvider;
  readonly inputs: Record<string, string>;
  /** Make the provider throttle (or fail transiently) the next n exchange requests. */
  throttle(n: number): void;
  /** Make the provider answer 5xx until further notice. */
  outage(): void;
  /** Tokens the provider was presented, in order. */
  presented(): readonly string[];
  /** Exchange requests the provider received. */
  exchangeRequests(): number;
  /** Variables allowed to carry credentials. */
  readonly env: readonly string[];
  /** Error message expected when the outage outlasts the deadline. */
  readonly outageMessage: RegExp;
}

export function resilienceSuite(
  scene: Scene,
  setup: (options: { lifetimeSeconds?: number }) => Promise<ResilienceSetup>,
): void {
  it('retries throttling, then succeeds', async () => {
    const s = await setup({});
    s.throttle(2);
    const job = scene.job(s.oidc);
    const run = await job.step(EXCHANGE, { inputs: s.inputs });
    expect(run.outcome, run.log).toBe('success');
    expect(s.exchangeRequests()).toBe(3);
    assertNoLeaks(scene, job, { env: s.env });
  });

  it('gives up on 5xx at the deadline with a clear error', async () => {
    const s = await setup({});
    s.outage();
    const job = scene.job(s.oidc);
    const started = Date.now();
    const run = await job.step(EXCHANGE, { inputs: { ...s.inputs, deadline: '2s' } });
    expect(run.outcome).toBe('failure');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(s.outageMessage);
    expect(s.exchangeRequests()).toBeGreaterThan(1);
    expect(run.exportedEnv).toEqual({});
    assertNoLeaks(scene, job);
  });

  it('refetches the GitHub token when it is within 60 s of expiry', async () => {
    const s = await setup({ lifetimeSeconds: 45 });
    s.throttle(2);
    const job = scene.job(s.oidc);
    const run = await job.step(EXCHANGE, { inputs: s.inputs });
    expect(run.outcome, run.log).toBe('success');
    expect(s.presented()).toHaveLength(3);
    expect(new Set(s.presented()).size).toBe(3);
    expect(s.oidc.requests.filter((r) => r.status === 200)).toHaveLength(3);
    assertNoLeaks(scene, job, { env: s.env });
  });
}
