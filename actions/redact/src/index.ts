import { runAction } from '@airlock/core/action';
import { run } from './run.ts';

await runAction({
  name: 'redact',
  inputs: (input) => ({
    run: input.string('run'),
    shell: input.string('shell'),
    workingDirectory: input.string('working-directory'),
    paths: input.list('paths'),
    secrets: input.list('secrets', { separator: 'newline', secret: true }),
    secretEnv: input.list('secret-env'),
    maskEnvCredentials: input.boolean('mask-env-credentials', { default: true }),
    minLength: input.integer('min-length', { default: 4, min: 1, max: 1024 }) as number,
    replacement: input.choice('replacement', ['mask', 'rule'], { default: 'mask' }),
    detectUnknown: input.boolean('detect-unknown', { default: true }),
    failOnFindings: input.boolean('fail-on-findings', { default: true }),
    redactTo: input.string('redact-to'),
    sarifFile: input.string('sarif-file'),
  }),
  run,
});
