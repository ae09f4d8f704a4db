import type { AwsCredentials } from './sigv4.ts';
import { presignUrl } from './sigv4.ts';

/**
 * An RDS IAM authentication token: a SigV4-presigned `GET https://<host>:<port>/?Action=connect&DBUser=<user>` for
 * the `rds-db` service, valid 15 minutes, with the scheme removed. The database accepts it as the password of `user`
 * (for a user created with the rds_iam role / AWSAuthenticationPlugin). Byte-identical to @aws-sdk/rds-signer's
 * output (test/unit/oidc/sigv4.test.ts).
 */
export const RDS_TOKEN_SECONDS = 900;

export interface RdsAuthRequest {
  readonly hostname: string;
  readonly port: number;
  readonly username: string;
  readonly region: string;
  readonly credentials: AwsCredentials;
  readonly now: Date;
}

export function rdsAuthToken(req: RdsAuthRequest): string {
  const url = new URL(`https://${req.hostname}:${req.port}/`);
  url.searchParams.set('Action', 'connect');
  url.searchParams.set('DBUser', req.username);
  const signed = presignUrl({
    method: 'GET',
    url,
    service: 'rds-db',
    region: req.region,
    credentials: req.credentials,
    now: req.now,
    expiresInSeconds: RDS_TOKEN_SECONDS,
    host: `${req.hostname}:${req.port}`,
  });
  // URL drops a default port (443); the token always names the port the database listens on.
  return `${req.hostname}:${req.port}${signed.pathname}${signed.search}`;
}
