import { runAction } from '@airlock/core/action';
import { FAIL_ON, UNSCORED } from '@airlock/deps';
import { run } from './run.ts';

await runAction({
  name: 'scan',
  inputs: (input) => ({
    paths: input.list('paths'),
    offlineDb: input.string('offline-db'),
    osvApiUrl: input.url('osv-api-url', { default: 'https://api.osv.dev', allowHttp: true }) as URL,
    failOn: input.choice('fail-on', FAIL_ON),
    unscored: input.choice('unscored', UNSCORED),
    scopes: input.list('scopes'),
    allowLicenses: input.string('allow-licenses'),
    denyLicenses: input.string('deny-licenses'),
    policyFile: input.string('policy-file', { default: 'airlock.yml' }),
    mode: input.choice('mode', ['auto', 'full', 'pull-request'], { default: 'auto' }),
    baseRef: input.string('base-ref'),
    ifNoLockfiles: input.choice('if-no-lockfiles', ['fail', 'warn', 'ignore'], { default: 'fail' }),
    sarifFile: input.string('sarif-file'),
    jsonFile: input.string('json-file'),
    sbomFile: input.string('sbom-file'),
    goStdlib: input.boolean('go-stdlib', { default: false }),
  }),
  run,
});
