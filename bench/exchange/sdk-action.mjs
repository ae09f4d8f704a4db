// The peer the exchange benchmark compares with: what aws-actions/configure-aws-credentials does for OIDC — the
// job's token from @actions/core, then AssumeRoleWithWebIdentity through @aws-sdk/client-sts — bundled with ncc the
// way actions are. (It neither verifies the token nor checks claims; Airlock's action does both.)
import * as core from '@actions/core';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';

try {
  const token = await core.getIDToken('sts.amazonaws.com');
  const sts = new STSClient({
    region: core.getInput('aws-region'),
    endpoint: core.getInput('sts-endpoint'),
    maxAttempts: 3,
  });
  const out = await sts.send(
    new AssumeRoleWithWebIdentityCommand({
      RoleArn: core.getInput('role-to-assume'),
      RoleSessionName: 'bench-peer',
      WebIdentityToken: token,
      DurationSeconds: 3600,
    }),
  );
  const c = out.Credentials;
  core.setSecret(c.AccessKeyId);
  core.setSecret(c.SecretAccessKey);
  core.setSecret(c.SessionToken);
  core.exportVariable('AWS_ACCESS_KEY_ID', c.AccessKeyId);
  core.exportVariable('AWS_SECRET_ACCESS_KEY', c.SecretAccessKey);
  core.exportVariable('AWS_SESSION_TOKEN', c.SessionToken);
  core.setOutput('aws-account-id', out.AssumedRoleUser.Arn.split(':')[4]);
} catch (error) {
  core.setFailed(error.message);
}
