import type { BufferedResponse, HttpClient, Logger } from '@airlock/core';
import type { RetryBudget } from '../retry.ts';

/** What every provider client receives: its collaborators, never globals. */
export interface ProviderContext {
  readonly http: HttpClient;
  readonly budget: RetryBudget;
  /** Register a secret before it is used anywhere; called on every credential as soon as it is parsed. */
  readonly mask: (value: string) => void;
  readonly now: () => Date;
  readonly log: Logger;
}

/** The token's identity for messages: what a trust policy compares. */
export interface TokenFacts {
  readonly sub: string;
  readonly aud: string;
  readonly iss: string;
}

/** The response body as a JSON object, or undefined when it is not one. Never throws; never logs the body. */
export function jsonBody(response: BufferedResponse): Record<string, unknown> | undefined {
  try {
    const value = response.json();
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** A date from an ISO string, or undefined. */
export function isoDate(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Trim a provider's message to one line of sensible length (provider messages never carry our secrets). */
export function oneLine(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
