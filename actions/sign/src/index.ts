import { runAction } from '@airlock/core/action';
import { run } from './run.ts';

await runAction({
  name: 'sign',
  inputs: (input) => ({
    subjectPaths: input.list('subject-path'),
    subjectDigests: input.list('subject-digest'),
    subjectNames: input.list('subject-name'),
    subjectChecksums: input.list('subject-checksums'),
    mode: input.choice('mode', ['attestation', 'blob'], { default: 'attestation' }),
    predicateType: input.string('predicate-type', { default: 'https://slsa.dev/provenance/v1' }),
    predicate: input.string('predicate'),
    predicatePath: input.string('predicate-path'),
    bundleDir: input.string('bundle-dir'),
    instance: input.choice('sigstore', ['public-good', 'staging'], { default: 'public-good' }),
    fulcioUrl: input.url('fulcio-url', { allowHttp: true })?.href,
    rekorUrl: input.url('rekor-url', { allowHttp: true })?.href,
    tsaUrl: input.url('tsa-url', { allowHttp: true })?.href,
    signingConfig: input.string('signing-config'),
    trustedRoot: input.string('trusted-root'),
    uploadAttestation: input.boolean('upload-attestation', { default: false }),
    githubToken: input.string('github-token', { secret: true }),
  }),
  run,
});
