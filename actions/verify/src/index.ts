import { runAction } from '@airlock/core/action';
import { run } from './run.ts';

await runAction({
  name: 'verify',
  inputs: (input) => ({
    subjectPaths: input.list('subject-path'),
    subjectDigests: input.list('subject-digest'),
    bundlePaths: input.list('bundle-path'),
    trustedRoot: input.string('trusted-root', { default: 'public-good' }),
    identity: input.string('certificate-identity'),
    identityRegExp: input.string('certificate-identity-regexp'),
    issuer: input.string('certificate-oidc-issuer', { default: 'https://token.actions.githubusercontent.com' }),
    repository: input.string('repository'),
    sourceRef: input.string('source-ref'),
    signerWorkflow: input.string('signer-workflow'),
    runnerEnvironment: input.choice('runner-environment', ['github-hosted', 'self-hosted']),
    predicateType: input.string('predicate-type'),
  }),
  run,
});
