import type { Attempt, BufferedResponse, Classifier } from '@airlock/core';
import { OidcError } from '../../errors.ts';
import { sendClassified, sendWithToken, unavailable } from '../../retry.ts';
import type { FreshToken } from '../../tokens.ts';
import type { ProviderContext, TokenFacts } from '../context.ts';
import { oneLine } from '../context.ts';
import { type AwsCredentials, signRequest } from './sigv4.ts';
import { xmlRoot, xmlText } from './xml.ts';

/**
 * AWS STS over its Query API (https://docs.aws.amazon.com/STS/latest/APIReference/): a form-encoded POST with
 * `Action` and `Version=2011-06-15`, answered with XML. AssumeRoleWithWebIdentity is unsigned (the web identity token
 * is the proof); AssumeRole, for role chaining, is signed with SigV4 by the first role's credentials.
 *
 * Errors come as `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>…` with HTTP 400/403;
 * `Throttling` and `IDPCommunicationError` are transient and retried, everything else is final.
 */
export const STS_VERSION = '2011-06-15';
export const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;
export const POLICY_ARN = /^arn:aws[a-z-]*:iam::(\d{12}|aws):policy\/[\w+=,.@/-]{1,512}$/;

export interface StsError {
  readonly type: string | undefined;
  readonly code: string;
  readonly message: string;
  readonly requestId: string | undefined;
}

const TRANSIENT_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'IDPCommunicationError',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalError',
]);

export function parseStsError(response: BufferedResponse): StsError | undefined {
  const xml = response.text();
  if (xmlRoot(xml) !== 'ErrorResponse') return undefined;
  const code = xmlText(xml, ['Error', 'Code']);
  if (code === undefined) return undefined;
  return {
    type: xmlText(xml, ['Error', 'Type']),
    code,
    message: xmlText(xml, ['Error', 'Message']) ?? '',
    requestId: xmlText(xml, ['RequestId']),
  };
}

/** Retry STS throttling and IdP communication errors, 5xx, 429 and network failures; nothing else. */
export const stsClassifier: Classifier = (attempt: Attempt) => {
  if (attempt.error) return attempt.error.code === 'http-too-large' ? 'done' : 'retry';
  const { status } = attempt.response;
  if (status >= 200 && status < 300) return 'done';
  const error = parseStsError(attempt.response);
  if (error !== undefined) return TRANSIENT_CODES.has(error.code) ? 'retry' : 'done';
  return status === 429 || (status >= 500 && status !== 501 && status !== 505) ? 'retry' : 'done';
};

/** The regional STS endpoint (configure-aws-credentials also prefers regional endpoints). */
export function stsEndpoint(region: string): URL {
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return new URL(`https://sts.${region}.${suffix}/`);
}

export interface SessionPolicies {
  /** An inline session policy (JSON), narrowing what the role may do in this session. */
  readonly policy?: string | undefined;
  /** Managed policy ARNs that narrow the session further. */
  readonly policyArns?: readonly string[];
}

export interface AssumedRole {
  readonly credentials: AwsCredentials & { readonly expiration: Date };
  readonly assumedRoleArn: string;
  readonly assumedRoleId: string | undefined;
  readonly accountId: string;
  readonly subjectFromWebIdentityToken?: string | undefined;
  readonly provider?: string | undefined;
  readonly packedPolicySize?: number | undefined;
}

function sessionForm(action: string, roleArn: string, sessionName: string, duration: number, p: SessionPolicies) {
  const form = new URLSearchParams({
    Action: action,
    Version: STS_VERSION,
    RoleArn: roleArn,
    RoleSessionName: sessionName,
    DurationSeconds: String(duration),
  });
  if (p.policy !== undefined) form.set('Policy', p.policy);
  (p.policyArns ?? []).forEach((arn, i) => {
    form.set(`PolicyArns.member.${i + 1}.arn`, arn);
  });
  return form;
}

/** Parse an AssumeRole* response; masks the three credential values before anything else sees them. */
export function parseAssumeRoleResponse(
  xml: string,
  action: 'AssumeRoleWithWebIdentity' | 'AssumeRole',
  mask: (value: string) => void,
): AssumedRole {
  const result = [`${action}Result`];
  const accessKeyId = xmlText(xml, [...result, 'Credentials', 'AccessKeyId']);
  const secretAccessKey = xmlText(xml, [...result, 'Credentials', 'SecretAccessKey']);
  const sessionToken = xmlText(xml, [...result, 'Credentials', 'SessionToken']);
  for (const value of [secretAccessKey, sessionToken, accessKeyId]) if (value) mask(value);
  const expiration = new Date(xmlText(xml, [...result, 'Credentials', 'Expiration']) ?? '');
  const assumedRoleArn = xmlText(xml, [...result, 'AssumedRoleUser', 'Arn']);
  if (
    xmlRoot(xml) !== `${action}Response` ||
    !accessKeyId ||
    !secretAccessKey ||
    !sessionToken ||
    assumedRoleArn === undefined ||
    Number.isNaN(expiration.getTime())
  ) {
    throw new OidcError('exchange-bad-response', `AWS STS answered ${action} without the expected credentials`, {
      kind: 'external',
    });
  }
  const packed = xmlText(xml, [...result, 'PackedPolicySize']);
  return {
    credentials: { accessKeyId, secretAccessKey, sessionToken, expiration },
    assumedRoleArn,
    assumedRoleId: xmlText(xml, [...result, 'AssumedRoleUser', 'AssumedRoleId']),
    accountId: /^arn:aws[a-z-]*:sts::(\d{12}):/.exec(assumedRoleArn)?.[1] ?? '',
    subjectFromWebIdentityToken: xmlText(xml, [...result, 'SubjectFromWebIdentityToken']),
    provider: xmlText(xml, [...result, 'Provider']),
    packedPolicySize: packed === undefined ? undefined : Number(packed),
  };
}

/** Turn an STS refusal into a message that says which side to fix. */
export function stsFailure(
  response: BufferedResponse,
  action: string,
  roleArn: string,
  facts: TokenFacts | undefined,
  deadlineMs: number,
): OidcError {
  const error = parseStsError(response);
  if (error === undefined) {
    if (stsClassifier({ response }) === 'retry') {
      return unavailable('AWS STS', `HTTP ${response.status}`, response.attempts, deadlineMs);
    }
    return new OidcError(
      'exchange-bad-response',
      `AWS STS answered ${action} with HTTP ${response.status} and no STS error document`,
      { kind: 'external' },
    );
  }
  if (TRANSIENT_CODES.has(error.code)) {
    return unavailable('AWS STS', `${error.code}: ${oneLine(error.message)}`, response.attempts, deadlineMs);
  }
  const said = `${error.code}: ${oneLine(error.message)}${error.requestId ? ` (request ${error.requestId})` : ''}`;
  const token = facts === undefined ? '' : ` The token's sub is '${facts.sub}' and its aud is '${facts.aud}'.`;
  const key = facts === undefined ? 'token.actions.githubusercontent.com' : conditionKeyPrefix(facts.iss);
  let fix: string;
  if (error.code === 'AccessDenied') {
    fix =
      action === 'AssumeRole'
        ? ` The trust policy of ${roleArn} must allow sts:AssumeRole (and sts:TagSession if tags are used) by the first role.`
        : ` The trust policy of ${roleArn} does not admit this token: it needs "${key}:aud" equal to the aud above and a "${key}:sub" condition matching the sub above (for a reusable workflow, a "job_workflow_ref" condition), and the role must trust the IAM OIDC provider of this issuer. See the exchange README for a trust policy.`;
  } else if (error.code === 'InvalidIdentityToken' && /audience/i.test(error.message)) {
    fix = ` The IAM OIDC provider's client ID list must contain the token's aud, or set input 'audience' to one it lists.`;
  } else if (error.code === 'InvalidIdentityToken' && /No OpenIDConnect provider/i.test(error.message)) {
    fix = ` Create the IAM OIDC identity provider for ${facts?.iss ?? 'the issuer'} in the role's account.`;
  } else if (error.code === 'ExpiredTokenException' || /future|expired/i.test(error.message)) {
    fix = " The token's time window and AWS's clock disagree: check this machine's clock (NTP).";
  } else if (error.code === 'RegionDisabledException') {
    fix = " Activate STS in this region for the account, or set input 'aws-region' to an active region.";
  } else if (error.code === 'ValidationError') {
    fix = ' Check the role ARN, session name, duration and session policies given to the action.';
  } else {
    fix = '';
  }
  return new OidcError('exchange-denied', `AWS STS refused ${action} for ${roleArn}: ${said}.${token}${fix}`, {
    kind: 'user',
  });
}

export interface WebIdentityRequest extends SessionPolicies {
  readonly endpoint: URL;
  readonly roleArn: string;
  readonly sessionName: string;
  readonly durationSeconds: number;
}

export async function assumeRoleWithWebIdentity(
  ctx: ProviderContext,
  token: FreshToken,
  req: WebIdentityRequest,
  facts: TokenFacts,
): Promise<AssumedRole> {
  const deadlineMs = ctx.budget.deadlineAt - ctx.budget.now();
  const { response } = await sendWithToken(
    ctx.http,
    token,
    (jwt) => {
      const form = sessionForm('AssumeRoleWithWebIdentity', req.roleArn, req.sessionName, req.durationSeconds, req);
      form.set('WebIdentityToken', jwt);
      return { url: req.endpoint, method: 'POST', body: form, service: 'AWS STS', headers: { accept: 'text/xml' } };
    },
    stsClassifier,
    ctx.budget,
  );
  if (!response.ok) throw stsFailure(response, 'AssumeRoleWithWebIdentity', req.roleArn, facts, deadlineMs);
  return parseAssumeRoleResponse(response.text(), 'AssumeRoleWithWebIdentity', ctx.mask);
}

export interface AssumeRoleRequest extends SessionPolicies {
  readonly endpoint: URL;
  readonly region: string;
  readonly credentials: AwsCredentials;
  readonly roleArn: string;
  readonly sessionName: string;
  readonly durationSeconds: number;
}

/** Role chaining: AssumeRole signed with the credentials of the first role. */
export async function assumeRole(ctx: ProviderContext, req: AssumeRoleRequest): Promise<AssumedRole> {
  const deadlineMs = ctx.budget.deadlineAt - ctx.budget.now();
  const body = sessionForm('AssumeRole', req.roleArn, req.sessionName, req.durationSeconds, req).toString();
  const response = await sendClassified(
    ctx.http,
    {
      url: req.endpoint,
      method: 'POST',
      service: 'AWS STS',
      body,
      // Signed per attempt would be purer; STS accepts a signature for 15 minutes, far beyond any retry budget here.
      headers: signRequest({
        method: 'POST',
        url: req.endpoint,
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body,
        service: 'sts',
        region: req.region,
        credentials: req.credentials,
        now: ctx.now(),
      }),
    },
    stsClassifier,
    ctx.budget,
  );
  if (!response.ok) throw stsFailure(response, 'AssumeRole', req.roleArn, undefined, deadlineMs);
  return parseAssumeRoleResponse(response.text(), 'AssumeRole', ctx.mask);
}

/**
 * A RoleSessionName from the repository and run: STS allows 2–64 characters of `[\w+=,.@-]`. The run id and attempt
 * are kept whole (they make the session traceable in CloudTrail); the repository part is shortened to fit.
 */
export function sessionName(repository: string | undefined, runId: string | undefined, attempt?: string): string {
  const clean = (s: string) => s.replace(/[^\w+=,.@-]+/g, '-');
  const suffix = clean([runId, attempt].filter((p) => p !== undefined && p !== '').join('-'));
  let prefix = clean(repository ?? 'airlock').replace(/^-+|-+$/g, '');
  const room = 64 - (suffix === '' ? 0 : suffix.length + 1);
  prefix = prefix.slice(0, Math.max(0, room)).replace(/-+$/, '');
  const name = [prefix, suffix]
    .filter((p) => p !== '')
    .join('-')
    .slice(0, 64);
  return name.length >= 2 ? name : `airlock-${name}`.slice(0, 64);
}

/** IAM condition keys of an OIDC provider are its URL without the scheme: `token.actions.githubusercontent.com:sub`. */
export function conditionKeyPrefix(issuer: string): string {
  return issuer.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

export function accountOfRoleArn(arn: string): string | undefined {
  return ROLE_ARN.exec(arn)?.[1];
}
