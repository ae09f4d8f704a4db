import { lstatSync, readFileSync, unlinkSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { errorMessage, type StepIO, type StepResult } from '@airlock/core';
import { type ProviderContext, revoke } from '@airlock/oidc';
import { httpWithCa } from './run.ts';
import { parseState, STATE_KEY } from './state.ts';

/**
 * The post step: revoke what the provider allows (Vault revoke-self, RFC 7009, Doppler), unset every variable the main
 * step exported, delete the credentials file. AWS, Google and Entra tokens cannot be revoked by their holder: they
 * are unset here and expire on their own (the summary of the main step says when). A credential that has already
 * expired is reported, not an error; a revocation that fails is a warning, since the credential expires regardless.
 */
export interface PostInputs {
  readonly clientSecret: string | undefined;
  readonly vaultCaCertificate: string | undefined;
}

export async function post(inputs: PostInputs, io: StepIO): Promise<StepResult> {
  const state = parseState(io.getState(STATE_KEY));
  if (state === undefined) {
    io.log.info('exchange: the main step exported nothing; nothing to clean up');
    return { result: { cleaned: false } };
  }
  if (state.revocation !== undefined) io.mask(state.revocation.token);

  let revocation = 'not revocable (expires on its own)';
  if (state.revocation !== undefined) {
    let ca: string | undefined = inputs.vaultCaCertificate;
    if (ca !== undefined && !ca.includes('-----BEGIN')) {
      ca = readFileSync(isAbsolute(ca) ? ca : resolve(io.workspace, ca), 'utf8');
    }
    const http = state.revocation.kind === 'vault' && ca !== undefined ? httpWithCa(io)(ca) : io.http();
    const started = Date.now();
    const ctx: ProviderContext = {
      http,
      budget: { deadlineAt: started + 15_000, now: Date.now, sleep: io.sleep },
      mask: io.mask,
      now: io.now,
      log: io.log,
    };
    try {
      const outcome = await revoke(state.revocation, ctx, {
        expiresAt: state.expiresAt === undefined ? undefined : new Date(state.expiresAt),
        clientSecret: inputs.clientSecret,
      });
      revocation = outcome.status;
      const said = {
        revoked: `exchange: revoked the ${state.provider} token`,
        'already-invalid': `exchange: the ${state.provider} token was already invalid`,
        expired: `exchange: the ${state.provider} token had already expired (${state.expiresAt}); nothing to revoke`,
      }[outcome.status];
      io.log.info(said);
    } catch (error) {
      revocation = 'failed';
      io.log.warning(
        `exchange: could not revoke the ${state.provider} token: ${errorMessage(error)}; it stays valid until ${state.expiresAt ?? 'it expires'}`,
      );
    }
  }

  for (const name of state.env) io.exportVariable(name, '');
  if (state.env.length > 0) io.log.info(`exchange: unset ${state.env.join(', ')}`);

  let deleted = 0;
  for (const path of state.files) {
    try {
      lstatSync(path);
    } catch {
      continue;
    }
    try {
      unlinkSync(path); // removes a symlink itself, never its target
      deleted++;
    } catch (error) {
      io.log.warning(`exchange: could not delete the credentials file ${path}: ${errorMessage(error)}`);
    }
  }
  if (deleted > 0) io.log.info(`exchange: deleted ${deleted} credentials file${deleted === 1 ? '' : 's'}`);
  return { result: { provider: state.provider, revocation, unset: [...state.env], files_deleted: deleted } };
}
