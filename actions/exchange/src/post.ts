import { runAction } from '@airlock/core/action';
import { post } from './cleanup.ts';

await runAction({
  name: 'exchange',
  phase: 'post',
  inputs: (input) => ({
    clientSecret: input.string('client-secret', { secret: true }),
    vaultCaCertificate: input.string('vault-ca-certificate'),
  }),
  run: post,
});
