import type { Provider, Revocation } from '@airlock/oidc';

/**
 * What the main step hands to the post step through the runner's step state (STATE_exchange): the variables to unset,
 * the files to delete, and what to revoke. The state is the runner's own channel between the two phases of one step;
 * the revocation token in it is masked, and it is never exported, written to a file of ours, or set as an output.
 */
export const STATE_KEY = 'exchange';

export interface ExchangeState {
  readonly version: 1;
  readonly provider: Provider;
  readonly env: readonly string[];
  readonly files: readonly string[];
  readonly revocation?: Revocation;
  readonly expiresAt?: string;
}

export function parseState(text: string | undefined): ExchangeState | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    const value = JSON.parse(text) as ExchangeState;
    return value?.version === 1 ? value : undefined;
  } catch {
    return undefined;
  }
}
