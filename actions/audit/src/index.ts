import { FAIL_ON } from '@airlock/audit';
import { runAction } from '@airlock/core/action';
import { run } from './run.ts';

await runAction({
  name: 'audit',
  inputs: (input) => {
    const config = input.string('config', { default: 'airlock.yml' });
    return {
      paths: input.list('paths'),
      config,
      configRequired: config !== 'airlock.yml',
      failOn: input.choice('fail-on', FAIL_ON),
      inventory: input.boolean('inventory', { default: false }),
      sarif: input.boolean('sarif', { default: false }),
      annotations: input.boolean('annotations', { default: true }),
      online: input.boolean('online', { default: false }),
      token: input.string('github-token', { secret: true }),
    };
  },
  run,
});
