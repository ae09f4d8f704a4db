import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LoopbackServer, listen, sendJson } from './net.ts';
import { JwksClient, likeMatch, randomToken, type TrustPolicy, verifyPresentedToken } from './trust.ts';

/**
 * A loopback AWS: STS (AssumeRoleWithWebIdentity, AssumeRole, GetCallerIdentity) and Secrets Manager
 * (GetSecretValue), speaking the real wire protocols — STS's Query API (form POST, `Version=2011-06-15`, XML
 * answers, `<ErrorResponse><Error><Type>Sender</Type><Code>…` errors) and Secrets Manager's JSON 1.1 protocol
 * (`X-Amz-Target`, `{"__type": …}` errors) — so that the real AWS SDK clients work against it unchanged.
 *
 * It checks what AWS checks: the web identity token against the OIDC provider's JWKS (fetched over HTTP), the IAM
 * OIDC provider's client IDs (audiences), and each role's trust policy on sub and other claims; SigV4 signatures of
 * signed calls, verified here from the raw request with an independent implementation of the algorithm (the real SDK's
 * signatures must pass it, see test/unit/oidc/aws-fidelity.test.ts); session credentials it issued, their expiry and
 * session token. It records every request, and injects faults (throttling N times, IdP errors, 5xx until cleared).
 */
export interface AwsRoleConfig {
  readonly arn: string;
  /** Trust for AssumeRoleWithWebIdentity (OIDC federation). */
  readonly webIdentity?: Omit<TrustPolicy, 'issuer' | 'audiences'>;
  /** Role ARNs whose sessions may AssumeRole into this role (role chaining). */
  readonly trustedRoles?: readonly string[];
  readonly maxSessionDuration?: number;
}

export interface AwsSecretConfig {
  readonly name: string;
  readonly value: string;
  /** Role ARNs allowed to read it. */
  readonly readers: readonly string[];
}

export interface AwsEmulatorOptions {
  /** The IAM OIDC identity provider: issuer URL and its client ID list (accepted audiences). */
  readonly oidc: { readonly issuer: string; readonly clientIds?: readonly string[] };
  readonly roles: readonly AwsRoleConfig[];
  readonly secrets?: readonly AwsSecretConfig[];
  readonly now?: () => Date;
}

export interface AwsSession {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly roleArn: string;
  readonly assumedRoleArn: string;
  readonly expiration: Date;
  readonly policy: string | undefined;
  readonly policyArns: readonly string[];
}

export interface AwsRequestRecord {
  readonly service: 'sts' | 'secretsmanager';
  readonly action: string;
  readonly params: Readonly<Record<string, string>>;
  readonly status: number;
  readonly errorCode?: string;
  /** The access key that signed the request, for signed calls. */
  readonly signedBy?: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface AwsFaults {
  /** Answer the next N STS calls with `Throttling` (400). */
  stsThrottle?: number;
  /** Answer the next N STS calls with `IDPCommunicationError` (400). */
  stsIdpError?: number;
  /** Answer every STS call with 503 ServiceUnavailable until cleared. */
  stsUnavailable?: boolean;
  /** Answer the next N Secrets Manager calls with ThrottlingException. */
  secretsThrottle?: number;
  secretsUnavailable?: boolean;
}

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** SigV4 check of a received request (header form), independent of the client-side code in packages/oidc. */
export interface SigV4Check {
  readonly ok: boolean;
  readonly accessKeyId?: string;
  readonly code?: 'IncompleteSignature' | 'InvalidClientTokenId' | 'SignatureDoesNotMatch' | 'ExpiredToken';
  readonly message?: string;
}

function canonicalQueryOf(search: string, drop?: string): string {
  if (search === '' || search === '?') return '';
  return search
    .replace(/^\?/, '')
    .split('&')
    .filter((p) => p !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const k = decodeURIComponent((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
      const v = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
      return [k, v] as const;
    })
    .filter(([k]) => k !== drop)
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function canonicalPathOf(path: string): string {
  return path.split('/').map(rfc3986).join('/');
}

function signatureFor(
  secret: string,
  date: string,
  region: string,
  service: string,
  amzDate: string,
  canonicalRequest: string,
): string {
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

const equalHex = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

export class AwsEmulator {
  readonly requests: AwsRequestRecord[] = [];
  /** Every web identity token presented to AssumeRoleWithWebIdentity, in order. */
  readonly presentedTokens: string[] = [];
  /** Every session issued. */
  readonly sessions: AwsSession[] = [];
  faults: AwsFaults = {};
  readonly #server: LoopbackServer;
  readonly #options: AwsEmulatorOptions;
  readonly #jwks: JwksClient;
  readonly #roles = new Map<string, AwsRoleConfig>();
  readonly #secrets = new Map<string, AwsSecretConfig & { arn: string }>();

  private constructor(server: LoopbackServer, options: AwsEmulatorOptions) {
    this.#server = server;
    this.#options = options;
    this.#jwks = new JwksClient(options.oidc.issuer);
    for (const role of options.roles) this.#roles.set(role.arn, role);
    for (const s of options.secrets ?? []) this.putSecret(s);
  }

  static async start(options: AwsEmulatorOptions): Promise<AwsEmulator> {
    let emulator: AwsEmulator | undefined;
    const server = await listen((req, res, body) => (emulator as AwsEmulator).handle(req, res, body));
    emulator = new AwsEmulator(server, options);
    return emulator;
  }

  get endpoint(): string {
    return `${this.#server.origin}/`;
  }

  putSecret(secret: AwsSecretConfig): void {
    const arn = `arn:aws:secretsmanager:us-east-1:${'1'.repeat(12)}:secret:${secret.name}-${randomToken('', 6)}`;
    this.#secrets.set(secret.name, { ...secret, arn });
  }

  setRole(role: AwsRoleConfig): void {
    this.#roles.set(role.arn, role);
  }

  /** Every credential value issued, for leak checks. */
  issuedValues(): string[] {
    return this.sessions.flatMap((s) => [s.accessKeyId, s.secretAccessKey, s.sessionToken]);
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }

  async stop(): Promise<void> {
    await this.#server.close();
  }

  /** Verify a SigV4 Authorization header against the sessions issued here. */
  verifySignature(req: IncomingMessage, body: Buffer, service: string): SigV4Check {
    const auth = req.headers.authorization ?? '';
    const m =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
        auth,
      );
    if (m === null) {
      return {
        ok: false,
        code: 'IncompleteSignature',
        message: 'Authorization header requires a valid SigV4 signature',
      };
    }
    const [, accessKeyId, date, region, signedService, signedHeaders, signature] = m as unknown as string[];
    const session = this.sessions.find((s) => s.accessKeyId === accessKeyId);
    if (session === undefined) {
      return {
        ok: false,
        code: 'InvalidClientTokenId',
        message: 'The security token included in the request is invalid.',
      };
    }
    if (req.headers['x-amz-security-token'] !== session.sessionToken) {
      return {
        ok: false,
        code: 'InvalidClientTokenId',
        message: 'The security token included in the request is invalid.',
      };
    }
    if (session.expiration.getTime() <= this.#now().getTime()) {
      return { ok: false, code: 'ExpiredToken', message: 'The security token included in the request is expired' };
    }
    if (signedService !== service) {
      return {
        ok: false,
        code: 'SignatureDoesNotMatch',
        message: `Credential should be scoped to correct service: '${service}'.`,
      };
    }
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    const signedAt = Date.parse(
      amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
    );
    if (Number.isNaN(signedAt) || Math.abs(signedAt - this.#now().getTime()) > 15 * 60_000) {
      return { ok: false, code: 'SignatureDoesNotMatch', message: 'Signature expired: the request time is too skewed' };
    }
    const names = (signedHeaders as string).split(';');
    if (!names.includes('host')) {
      return { ok: false, code: 'SignatureDoesNotMatch', message: "'Host' must be a signed header" };
    }
    const canonicalHeaders = names
      .map((n) => {
        const v = req.headers[n];
        const text = Array.isArray(v) ? v.join(',') : (v ?? '');
        return `${n}:${text.trim().replace(/\s+/g, ' ')}\n`;
      })
      .join('');
    const url = new URL(req.url ?? '/', 'http://x');
    const payloadHash = String(req.headers['x-amz-content-sha256'] ?? sha256(body));
    const canonicalRequest = [
      req.method ?? 'GET',
      canonicalPathOf(url.pathname),
      canonicalQueryOf(url.search),
      canonicalHeaders,
      signedHeaders,
      payloadHash,
    ].join('\n');
    const expected = signatureFor(
      session.secretAccessKey,
      date as string,
      region as string,
      service,
      amzDate,
      canonicalRequest,
    );
    if (!equalHex(expected, signature as string)) {
      return {
        ok: false,
        code: 'SignatureDoesNotMatch',
        message:
          'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      };
    }
    return { ok: true, accessKeyId: accessKeyId as string };
  }

  /** Check an RDS IAM auth token the way RDS does (presigned rds-db connect URL by a live session). */
  verifyRdsToken(
    token: string,
    expect: { hostname: string; port: number; user: string; region: string },
  ): {
    ok: boolean;
    reason?: string;
    roleArn?: string;
  } {
    const slash = token.indexOf('/');
    const hostPort = token.slice(0, slash);
    if (hostPort !== `${expect.hostname}:${expect.port}`) return { ok: false, reason: `token is for ${hostPort}` };
    const url = new URL(`https://${token}`);
    const q = url.searchParams;
    if (q.get('Action') !== 'connect' || q.get('DBUser') !== expect.user)
      return { ok: false, reason: 'wrong action or user' };
    const credential = q.get('X-Amz-Credential') ?? '';
    const [accessKeyId, date, region, service] = credential.split('/');
    if (region !== expect.region || service !== 'rds-db')
      return { ok: false, reason: `scoped to ${region}/${service}` };
    const session = this.sessions.find((s) => s.accessKeyId === accessKeyId);
    if (session === undefined) return { ok: false, reason: 'unknown access key' };
    if (q.get('X-Amz-Security-Token') !== session.sessionToken) return { ok: false, reason: 'wrong session token' };
    const amzDate = q.get('X-Amz-Date') ?? '';
    const signedAt = Date.parse(
      amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
    );
    const expires = Number(q.get('X-Amz-Expires'));
    if (expires !== 900) return { ok: false, reason: `X-Amz-Expires is ${expires}` };
    if (signedAt + expires * 1000 < this.#now().getTime()) return { ok: false, reason: 'expired' };
    const canonicalRequest = [
      'GET',
      '/',
      canonicalQueryOf(url.search, 'X-Amz-Signature'),
      `host:${hostPort}\n`,
      q.get('X-Amz-SignedHeaders') ?? '',
      sha256(''),
    ].join('\n');
    const expected = signatureFor(session.secretAccessKey, date as string, region, 'rds-db', amzDate, canonicalRequest);
    if (!equalHex(expected, q.get('X-Amz-Signature') ?? '')) return { ok: false, reason: 'signature does not match' };
    return { ok: true, roleArn: session.roleArn };
  }

  #issue(
    roleArn: string,
    sessionName: string,
    seconds: number,
    policy: string | undefined,
    policyArns: string[],
  ): AwsSession {
    const [, account, roleName] = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn) ?? [];
    const session: AwsSession = {
      accessKeyId: randomToken('ASIA', 16).toUpperCase(),
      secretAccessKey: randomToken('', 40),
      sessionToken: randomToken('IQoJb3JpZ2luX2VjE', 180),
      roleArn,
      assumedRoleArn: `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`,
      expiration: new Date(Math.floor(this.#now().getTime() / 1000) * 1000 + seconds * 1000),
      policy,
      policyArns,
    };
    this.sessions.push(session);
    return session;
  }

  #stsError(res: ServerResponse, status: number, code: string, message: string, type = 'Sender'): void {
    const body = `<ErrorResponse xmlns="${STS_NS}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${code}</Code>\n    <Message>${xmlEscape(message)}</Message>\n  </Error>\n  <RequestId>${randomUUID()}</RequestId>\n</ErrorResponse>\n`;
    res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': randomUUID() });
    res.end(body);
  }

  #credentialsXml(action: string, session: AwsSession, extra: string): string {
    return `<${action}Response xmlns="${STS_NS}">
  <${action}Result>
${extra}    <AssumedRoleUser>
      <Arn>${xmlEscape(session.assumedRoleArn)}</Arn>
      <AssumedRoleId>AROA${randomToken('', 17).toUpperCase()}:${xmlEscape(session.assumedRoleArn.split('/').pop() ?? '')}</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>${session.accessKeyId}</AccessKeyId>
      <SecretAccessKey>${xmlEscape(session.secretAccessKey)}</SecretAccessKey>
      <SessionToken>${xmlEscape(session.sessionToken)}</SessionToken>
      <Expiration>${session.expiration.toISOString().replace('.000Z', 'Z')}</Expiration>
    </Credentials>
${session.policy !== undefined || session.policyArns.length > 0 ? '    <PackedPolicySize>6</PackedPolicySize>\n' : ''}  </${action}Result>
  <ResponseMetadata>
    <RequestId>${randomUUID()}</RequestId>
  </ResponseMetadata>
</${action}Response>
`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string' && target.startsWith('secretsmanager.')) {
      await this.#secretsManager(req, res, body, target.slice('secretsmanager.'.length));
      return;
    }
    await this.#sts(req, res, body);
  }

  async #sts(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const params = Object.fromEntries(
      new URLSearchParams(req.method === 'POST' ? body.toString('utf8') : ((req.url ?? '').split('?')[1] ?? '')),
    );
    const action = params.Action ?? '';
    // Every presented token is recorded, also those answered with an injected fault.
    if (params.WebIdentityToken !== undefined) this.presentedTokens.push(params.WebIdentityToken);
    const record = (status: number, errorCode?: string, signedBy?: string) =>
      this.requests.push({
        service: 'sts',
        action,
        params,
        status,
        headers: { ...req.headers },
        ...(errorCode === undefined ? {} : { errorCode }),
        ...(signedBy === undefined ? {} : { signedBy }),
      });
    const fail = (status: number, code: string, message: string, type = 'Sender') => {
      record(status, code);
      this.#stsError(res, status, code, message, type);
    };
    if (this.faults.stsUnavailable) return fail(503, 'ServiceUnavailable', 'Service is unavailable', 'Receiver');
    if ((this.faults.stsThrottle ?? 0) > 0) {
      this.faults.stsThrottle = (this.faults.stsThrottle ?? 0) - 1;
      return fail(400, 'Throttling', 'Rate exceeded');
    }
    if ((this.faults.stsIdpError ?? 0) > 0) {
      this.faults.stsIdpError = (this.faults.stsIdpError ?? 0) - 1;
      return fail(
        400,
        'IDPCommunicationError',
        'The request could not be fulfilled because the identity provider (IDP) that was asked to verify the incoming identity token could not be reached.',
      );
    }
    if (params.Version !== '2011-06-15')
      return fail(
        400,
        'InvalidAction',
        `Could not find operation ${action} for version ${params.Version ?? 'NO_VERSION_SPECIFIED'}`,
      );

    if (action === 'GetCallerIdentity') {
      const check = this.verifySignature(req, body, 'sts');
      if (!check.ok) return fail(403, check.code as string, check.message as string);
      const session = this.sessions.find((s) => s.accessKeyId === check.accessKeyId) as AwsSession;
      record(200, undefined, check.accessKeyId);
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        `<GetCallerIdentityResponse xmlns="${STS_NS}">\n  <GetCallerIdentityResult>\n    <Arn>${session.assumedRoleArn}</Arn>\n    <UserId>AROA:${session.assumedRoleArn.split('/').pop()}</UserId>\n    <Account>${session.assumedRoleArn.split(':')[4]}</Account>\n  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>${randomUUID()}</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n`,
      );
      return;
    }
    if (action !== 'AssumeRoleWithWebIdentity' && action !== 'AssumeRole') {
      return fail(400, 'InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
    }

    const roleArn = params.RoleArn ?? '';
    const sessionName = params.RoleSessionName ?? '';
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(roleArn)) {
      return fail(
        400,
        'ValidationError',
        `1 validation error detected: Value '${roleArn}' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern`,
      );
    }
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
      return fail(
        400,
        'ValidationError',
        `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
      );
    }
    const duration = Number(params.DurationSeconds ?? 3600);
    const policy = params.Policy;
    if (policy !== undefined) {
      try {
        JSON.parse(policy);
      } catch {
        return fail(400, 'MalformedPolicyDocument', 'The policy is not in the valid JSON format.');
      }
    }
    const policyArns = Object.keys(params)
      .filter((k) => /^PolicyArns\.member\.\d+\.arn$/.test(k))
      .sort()
      .map((k) => params[k] as string);
    const role = this.#roles.get(roleArn);

    if (action === 'AssumeRole') {
      const check = this.verifySignature(req, body, 'sts');
      if (!check.ok) return fail(403, check.code as string, check.message as string);
      const caller = this.sessions.find((s) => s.accessKeyId === check.accessKeyId) as AwsSession;
      if (role === undefined || !(role.trustedRoles ?? []).includes(caller.roleArn)) {
        return fail(
          403,
          'AccessDenied',
          `User: ${caller.assumedRoleArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
        );
      }
      if (duration > 3600) {
        return fail(
          400,
          'ValidationError',
          'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
        );
      }
      const session = this.#issue(roleArn, sessionName, duration, policy, policyArns);
      record(200, undefined, check.accessKeyId);
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(this.#credentialsXml('AssumeRole', session, ''));
      return;
    }

    // AssumeRoleWithWebIdentity: unsigned; the token is the proof.
    const token = params.WebIdentityToken ?? '';
    if (duration < 900 || duration > (role?.maxSessionDuration ?? 3600)) {
      return fail(
        400,
        'ValidationError',
        'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
      );
    }
    const verdict = await verifyPresentedToken(
      token,
      {
        issuer: this.#options.oidc.issuer,
        audiences: this.#options.oidc.clientIds ?? ['sts.amazonaws.com'],
        ...role?.webIdentity,
      },
      this.#jwks,
      () => this.#now(),
    );
    if (!verdict.ok) {
      switch (verdict.failure) {
        case 'malformed':
        case 'algorithm':
          return fail(
            400,
            'InvalidIdentityToken',
            'The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)',
          );
        case 'issuer':
          return fail(
            400,
            'InvalidIdentityToken',
            `No OpenIDConnect provider found in your account for ${String(verdict.claims?.iss)}`,
          );
        case 'signature':
          return fail(
            400,
            'InvalidIdentityToken',
            'Token signature is invalid or the key is unknown to the identity provider.',
          );
        case 'expired':
          return fail(
            400,
            'ExpiredTokenException',
            'Token expired: current date/time must be before the expiration date/time.',
          );
        case 'not-yet-valid':
          return fail(400, 'InvalidIdentityToken', 'Token issued in the future or not yet valid.');
        case 'audience':
          return fail(400, 'InvalidIdentityToken', 'Incorrect token audience');
        default:
          return fail(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
      }
    }
    if (role === undefined || role.webIdentity === undefined) {
      return fail(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
    }
    const session = this.#issue(roleArn, sessionName, duration, policy, policyArns);
    record(200);
    res.writeHead(200, { 'content-type': 'text/xml' });
    const extra = `    <SubjectFromWebIdentityToken>${xmlEscape(String(verdict.claims.sub))}</SubjectFromWebIdentityToken>\n    <Audience>${xmlEscape(String(verdict.claims.aud))}</Audience>\n    <Provider>arn:aws:iam::${roleArn.split(':')[4]}:oidc-provider/${xmlEscape(this.#options.oidc.issuer.replace(/^https?:\/\//, ''))}</Provider>\n`;
    res.end(this.#credentialsXml('AssumeRoleWithWebIdentity', session, extra));
  }

  async #secretsManager(req: IncomingMessage, res: ServerResponse, body: Buffer, operation: string): Promise<void> {
    let params: Record<string, unknown> = {};
    try {
      params = JSON.parse(body.toString('utf8') || '{}');
    } catch {
      params = {};
    }
    const record = (status: number, errorCode?: string, signedBy?: string) =>
      this.requests.push({
        service: 'secretsmanager',
        action: operation,
        params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])),
        status,
        headers: { ...req.headers },
        ...(errorCode === undefined ? {} : { errorCode }),
        ...(signedBy === undefined ? {} : { signedBy }),
      });
    const fail = (status: number, type: string, message: string) => {
      record(status, type);
      sendJson(
        res,
        status,
        { __type: type, Message: message },
        {
          'content-type': 'application/x-amz-json-1.1',
          'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazonaws.secretsmanager/`,
          'x-amzn-requestid': randomUUID(),
        },
      );
    };
    if (this.faults.secretsUnavailable)
      return fail(503, 'InternalServiceError', 'An error occurred on the server side.');
    if ((this.faults.secretsThrottle ?? 0) > 0) {
      this.faults.secretsThrottle = (this.faults.secretsThrottle ?? 0) - 1;
      return fail(400, 'ThrottlingException', 'Rate exceeded');
    }
    if (req.headers['content-type'] !== 'application/x-amz-json-1.1') {
      return fail(400, 'SerializationException', 'Content-Type must be application/x-amz-json-1.1');
    }
    const check = this.verifySignature(req, body, 'secretsmanager');
    if (!check.ok) {
      const status = check.code === 'InvalidClientTokenId' || check.code === 'ExpiredToken' ? 400 : 403;
      return fail(
        status,
        check.code === 'InvalidClientTokenId' ? 'UnrecognizedClientException' : (check.code as string),
        check.message as string,
      );
    }
    const caller = this.sessions.find((s) => s.accessKeyId === check.accessKeyId) as AwsSession;
    if (operation !== 'GetSecretValue') return fail(400, 'UnknownOperationException', `Unknown operation ${operation}`);
    const id = String(params.SecretId ?? '');
    const secret = [...this.#secrets.values()].find((s) => s.name === id || s.arn === id);
    if (secret === undefined)
      return fail(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    if (!secret.readers.includes(caller.roleArn)) {
      return fail(
        400,
        'AccessDeniedException',
        `User: ${caller.assumedRoleArn} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${id} because no identity-based policy allows the secretsmanager:GetSecretValue action`,
      );
    }
    record(200, undefined, check.accessKeyId);
    sendJson(
      res,
      200,
      {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: randomUUID(),
        SecretString: secret.value,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: Math.floor(this.#now().getTime() / 1000) - 86_400,
      },
      { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() },
    );
  }
}

/** Whether a StringLike pattern list admits a value (exported for tests of trust policies). */
export { likeMatch };
