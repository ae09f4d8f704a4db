import type { Attempt, Classifier } from '@airlock/core';
import { OidcError } from '../../errors.ts';
import { sendClassified, unavailable } from '../../retry.ts';
import { jsonBody, oneLine, type ProviderContext, str } from '../context.ts';
import { type AwsCredentials, signRequest } from './sigv4.ts';

/**
 * AWS Secrets Manager GetSecretValue over its JSON 1.1 protocol: `POST /` with
 * `X-Amz-Target: secretsmanager.GetSecretValue`, `Content-Type: application/x-amz-json-1.1`, body
 * `{"SecretId": …}`, SigV4-signed for the `secretsmanager` service. Errors are JSON `{"__type": "…Exception",
 * "message": …}` (also in the `x-amzn-ErrorType` header).
 */
export function secretsManagerEndpoint(region: string): URL {
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return new URL(`https://secretsmanager.${region}.${suffix}/`);
}

function errorType(attempt: { response: { header(n: string): string | undefined } }, body: unknown): string {
  const fromHeader = attempt.response.header('x-amzn-errortype')?.split(':')[0];
  const fromBody = str((body as { __type?: unknown } | undefined)?.__type);
  return (fromHeader ?? fromBody ?? '').replace(/^.*#/, '');
}

const TRANSIENT = new Set([
  'ThrottlingException',
  'InternalServiceError',
  'ServiceUnavailable',
  'RequestLimitExceeded',
]);

export const secretsManagerClassifier: Classifier = (attempt: Attempt) => {
  if (attempt.error) return attempt.error.code === 'http-too-large' ? 'done' : 'retry';
  const { status } = attempt.response;
  if (status >= 200 && status < 300) return 'done';
  if (TRANSIENT.has(errorType(attempt, jsonBody(attempt.response)))) return 'retry';
  return status === 429 || (status >= 500 && status !== 501 && status !== 505) ? 'retry' : 'done';
};

export interface GetSecretValueRequest {
  readonly endpoint: URL;
  readonly region: string;
  readonly credentials: AwsCredentials;
  readonly secretId: string;
}

/** The secret's string (SecretBinary is returned base64-decoded as UTF-8). The value is masked before returning. */
export async function getSecretValue(ctx: ProviderContext, req: GetSecretValueRequest): Promise<string> {
  const deadlineMs = ctx.budget.deadlineAt - ctx.budget.now();
  const body = JSON.stringify({ SecretId: req.secretId });
  const headers = signRequest({
    method: 'POST',
    url: req.endpoint,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' },
    body,
    service: 'secretsmanager',
    region: req.region,
    credentials: req.credentials,
    now: ctx.now(),
  });
  const response = await sendClassified(
    ctx.http,
    { url: req.endpoint, method: 'POST', headers, body, service: 'AWS Secrets Manager' },
    secretsManagerClassifier,
    ctx.budget,
  );
  const json = jsonBody(response);
  if (response.ok) {
    const text = str(json?.SecretString);
    const binary = str(json?.SecretBinary);
    const value = text ?? (binary === undefined ? undefined : Buffer.from(binary, 'base64').toString('utf8'));
    if (value === undefined) {
      throw new OidcError('exchange-bad-response', `AWS Secrets Manager returned no value for '${req.secretId}'`, {
        kind: 'external',
      });
    }
    ctx.mask(value);
    return value;
  }
  const type = errorType({ response }, json);
  const message = oneLine(str(json?.message) ?? str(json?.Message) ?? '');
  if (secretsManagerClassifier({ response }) === 'retry') {
    throw unavailable('AWS Secrets Manager', `${type || `HTTP ${response.status}`}`, response.attempts, deadlineMs);
  }
  if (type === 'ResourceNotFoundException') {
    throw new OidcError('secret-not-found', `AWS Secrets Manager has no secret '${req.secretId}': ${message}`);
  }
  if (type === 'AccessDeniedException' || response.status === 403) {
    throw new OidcError(
      'secret-denied',
      `AWS Secrets Manager refused '${req.secretId}' to the assumed role: ${type}: ${message}. Grant secretsmanager:GetSecretValue on it to the role (and kms:Decrypt on its key)`,
    );
  }
  throw new OidcError(
    'secret-denied',
    `AWS Secrets Manager refused '${req.secretId}': ${type || `HTTP ${response.status}`}: ${message}`,
  );
}
