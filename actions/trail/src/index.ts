import { runAction } from '@airlock/core/action';
import { run } from './run.ts';

await runAction({
  name: 'trail',
  inputs: (input) => ({
    mode: input.choice('mode', ['seal', 'verify'], { default: 'seal' }),
    trailPaths: input.list('trail-path', { separator: 'newline' }),
    sign: input.boolean('sign', { default: true }),
    upload: input.boolean('upload', { default: true }),
    artifactName: input.string('artifact-name', { default: 'airlock-trail' }),
    retentionDays: input.integer('retention-days', { min: 1, max: 400 }),
    instance: input.choice('sigstore', ['public-good', 'staging'], { default: 'public-good' }),
    fulcioUrl: input.url('fulcio-url', { allowHttp: true })?.href,
    rekorUrl: input.url('rekor-url', { allowHttp: true })?.href,
    tsaUrl: input.url('tsa-url', { allowHttp: true })?.href,
    signingConfig: input.string('signing-config'),
    bundlePath: input.string('bundle-path'),
    certificateIdentity: input.string('certificate-identity'),
    certificateIssuer: input.string('certificate-oidc-issuer', {
      default: 'https://token.actions.githubusercontent.com',
    }),
    trustedRoot: input.string('trusted-root', { default: 'public-good' }),
    jobLog: input.string('job-log'),
  }),
  run,
});
