import { randomBytes, randomInt } from 'node:crypto';

/**
 * Credentials in real formats, built at run time from random characters (never committed), one or more per rule:
 * the unit tests check each rule on them and the benchmark plants them in its corpus.
 */
/** Random characters from an alphabet. */
export function randomFrom(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const alnum = (n: number) => randomFrom(ALNUM, n);
const b64 = (n: number) => randomFrom(`${ALNUM}+/`, n);
const b64url = (n: number) => randomFrom(`${ALNUM}-_`, n);
const p = (...parts: string[]) => parts.join('');

/** One planted example per rule: [rule id, line, the secret span]. */
export function plantedExamples(): Array<{ rule: string; line: string; secret: string }> {
  // Bodies start like real DER (MII…), which some scanners require.
  const pem = p(
    '-----BEGIN ',
    'RSA PRIVATE KEY-----\nMIIEow',
    b64(58),
    '\n',
    b64(64),
    '\n-----END RSA PRIVATE KEY-----',
  );
  const jwt = p('eyJ', b64url(30), '.eyJ', b64url(60), '.', b64url(43));
  const sasSig = encodeURIComponent(p(b64(43), '='));
  const basic = Buffer.from(p('deploy:', alnum(16))).toString('base64');
  const ex = (rule: string, line: string, secret: string) => ({ rule, line, secret });
  const awsId = p('AKI', 'A', randomFrom('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16));
  const awsSecret = b64(40);
  const ghp = p('gh', 'p_', alnum(36));
  const ghs = p('gh', 's_', alnum(36));
  const fine = p('github', '_pat_', alnum(22), '_', alnum(59));
  const glpat = p('gl', 'pat-', alnum(20));
  const slack = p('xo', 'xb-', String(randomInt(1e9, 1e10)), '-', String(randomInt(1e9, 1e10)), '-', alnum(24));
  const hook = p('T', alnum(8).toUpperCase(), '/B', alnum(8).toUpperCase(), '/', alnum(24));
  const stripe = p('sk', '_live_', alnum(24));
  const whsec = p('wh', 'sec_', alnum(32));
  const google = p('AI', 'za', b64url(35));
  const keyId = randomBytes(20).toString('hex');
  const accountKey = p(b64(86), '==');
  const sharedKey = p(b64(43), '=');
  const npm = p('np', 'm_', alnum(36));
  const npmrc = p(alnum(20), '-', alnum(8));
  const pypi = p('pypi-', 'AgEIcHlwaS5vcmc', b64url(70));
  const doppler = p('dp.', 'pt.', alnum(43));
  const vault = p('hv', 's.', b64url(90));
  const sendgrid = p('S', 'G.', b64url(22), '.', b64url(43));
  const urlPw = p(alnum(10), '9x');
  const bearer = p(alnum(20), '.', alnum(12), '9');
  const generic = p(alnum(12), '7!', alnum(4));
  const lower = (n: number) => randomFrom('abcdefghijklmnopqrstuvwxyz', n);
  const hex = (n: number) => randomBytes(n).toString('hex').slice(0, n);
  const openai = p('sk-', 'proj-', b64url(74), 'T3Blbk', 'FJ', b64url(74));
  const anthropic = p('sk-', 'ant-api03-', b64url(93), 'AA');
  const hf = p('h', 'f_', lower(20), 'ABCDEFGHIJKLMN');
  const groq = p('g', 'sk_', alnum(52));
  const docker = p('dckr', '_pat_', b64url(27));
  const shopify = p('shp', 'at_', hex(32));
  const linear = p('lin', '_api_', alnum(40));
  const notion = p('nt', 'n_', String(randomInt(1e10, 1e11 - 1)), alnum(35));
  const grafana = p('gl', 'sa_', alnum(32), '_', hex(8));
  const databricks = p('da', 'pi', hex(32));
  const figma = p('fi', 'gd_', b64url(40));
  const vercel = p('vc', 'p_', alnum(24));
  const onepassword = p('op', 's_ey', b64(118), 'fQ==');
  return [
    ex('aws-access-key-id', `export AWS_ACCESS_KEY_ID=${awsId}`, awsId),
    ex('aws-secret-access-key', `aws_secret_access_key = ${awsSecret}`, awsSecret),
    ex('github-token', `remote: using ${ghp} for push`, ghp),
    ex('github-token', `GITHUB_TOKEN=${ghs}`, ghs),
    ex('github-fine-grained-pat', `token: ${fine}`, fine),
    ex('gitlab-token', `CI_JOB_TOKEN=${glpat}`, glpat),
    ex('slack-token', `slack: ${slack}`, slack),
    ex('slack-webhook', `POST https://hooks.slack.com/services/${hook}`, hook),
    ex('stripe-api-key', `Stripe.apiKey = "${stripe}";`, stripe),
    ex('stripe-webhook-secret', `STRIPE_WEBHOOK=${whsec}`, whsec),
    ex('google-api-key', `?key=${google}&q=1`, google),
    ex('gcp-service-account-key-id', `"private_key_id": "${keyId}",`, keyId),
    ex(
      'azure-storage-account-key',
      `DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=${accountKey};EndpointSuffix=core.windows.net`,
      accountKey,
    ),
    ex(
      'azure-shared-access-key',
      `Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=${sharedKey}`,
      sharedKey,
    ),
    ex(
      'azure-sas-token',
      `https://acme.blob.core.windows.net/c/b?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&sig=${sasSig}`,
      sasSig,
    ),
    ex('npm-token', `//registry.npmjs.org/:_authToken=${npm}`, npm),
    ex('npmrc-auth-token', `//npm.pkg.example.com/:_authToken=${npmrc}`, npmrc),
    ex('pypi-token', `TWINE_PASSWORD=${pypi}`, pypi),
    ex('doppler-token', `DOPPLER_TOKEN="${doppler}"`, doppler),
    ex('vault-token', `X-Vault-Token: ${vault}`, vault),
    ex('sendgrid-api-key', `sendgrid ${sendgrid}`, sendgrid),
    ex('openai-api-key', `OPENAI_API_KEY=${openai}`, openai),
    ex('anthropic-api-key', `x-api-key: ${anthropic}`, anthropic),
    ex('huggingface-token', `HF_TOKEN ${hf}`, hf),
    ex('groq-api-key', `GROQ_API_KEY ${groq}`, groq),
    ex('docker-pat', `docker login -u ci -p ${docker}`, docker),
    ex('shopify-token', `X-Shopify-Access-Token: ${shopify}`, shopify),
    ex('linear-api-key', `linear ${linear}`, linear),
    ex('notion-token', `notion ${notion}`, notion),
    ex('grafana-token', `grafana ${grafana}`, grafana),
    ex('databricks-token', `DATABRICKS_TOKEN: ${databricks}`, databricks),
    ex('figma-token', `figma ${figma}`, figma),
    ex('vercel-token', `vercel --token ${vercel}`, vercel),
    ex('onepassword-service-account-token', `OP_SERVICE_ACCOUNT_TOKEN ${onepassword}`, onepassword),
    ex('private-key', pem, pem.slice(pem.indexOf('\n'), pem.indexOf('-----END'))),
    ex('jwt', `id_token=${jwt}`, jwt),
    ex('url-credentials', `git clone https://deploy:${urlPw}@git.example.com/acme/app.git`, urlPw),
    ex('bearer-token', `Authorization: Bearer ${bearer}`, bearer),
    ex('basic-auth-header', `Authorization: Basic ${basic}`, basic),
    ex('generic-secret', `DB_PASSWORD="${generic}"`, generic),
  ];
}
