import { RE2JS } from 're2js';
import { shannonEntropy } from './entropy.ts';
import { RedactError } from './errors.ts';
import { matchGenericSecret } from './generic.ts';
import { matchAnthropicKey, matchOpenAiKey } from './keys.ts';
import { compileTokens, RE2_SPACE, type TokenMatcher, type TokenShape } from './token.ts';

/**
 * Rules for secrets nobody registered.
 *
 * Each rule has an id (shown in findings, SARIF and `[REDACTED:<id>]`), keywords and a pattern. The keywords go into
 * the engine's Aho–Corasick automaton, so text without any keyword costs nothing beyond the one pass every byte gets.
 * When a keyword is found, the rule's pattern is matched with RE2 semantics (re2js: linear time, no backtracking, so a
 * hostile log line cannot stall the redactor) *anchored at the keyword*, over a window of at most `window` bytes that
 * ends at the line end. Only the pattern's first participating capture group is redacted; text before the keyword is
 * never redacted (it may already have been printed), but a rule may look at it (`before`, `context`).
 *
 * The window is decoded as Latin-1, so string indexes are byte offsets; patterns only use ASCII classes.
 */
export interface RuleSpec {
  readonly id: string;
  /** What the rule finds, for SARIF and the summary. */
  readonly title: string;
  /** Literal keywords (case-sensitive) where the pattern starts. */
  readonly keywords: readonly string[];
  /** Also register each keyword in lower case, UPPER CASE and Capitalized form. */
  readonly caseVariants?: boolean;
  /** RE2 syntax, matched anchored at the keyword's first byte. */
  readonly pattern: string;
  /** Bytes from the keyword's start that the pattern may read. */
  readonly window: number;
  /** The byte before the keyword must not be one of these (a token boundary). */
  readonly notAfter?: string;
  /** The preceding `bytes` of the same line must contain this (e.g. `sv=` before a SAS `sig=`). */
  readonly context?: { readonly contains: readonly string[]; readonly bytes: number };
  /**
   * Cheap byte-level test of the bytes from the keyword on, `bytes[start, end)` (the keyword starts at `start`), run
   * before the regular expression: 1 (go on), 0 (cannot match: skip), −1 (undecided: the bytes given end too early).
   * Also run as soon as the keyword is found, so that most keyword hits (every `://`) are dropped at once instead of
   * holding output until the end of the line. Given as a range so that no view is allocated per keyword hit.
   */
  readonly precheck?: (bytes: Uint8Array, start: number, end: number, keywordLength: number) => 1 | 0 | -1;
  /**
   * A precheck of one kind, declared instead of written (a rule has one or the other): from the end of the keyword,
   * within `limit` bytes, is one of `targets` found (1) before one of `stops` (0)? Neither within the limit is 0,
   * neither in the bytes given, −1. Being declared, it also runs in the prefilter's WebAssembly, where most keyword
   * hits (every `://` of a log) are dropped before any JavaScript runs for them. The window must hold keyword and limit.
   */
  readonly seek?: { readonly targets: string; readonly stops: string; readonly limit: number };
  /** Minimum Shannon entropy (bits per character) of the secret. */
  readonly minEntropy?: number;
  /** Extra validation of the secret span. */
  readonly validate?: (secret: string) => boolean;
  /** Public example values in this format that are not secrets (documentation keys, emulator keys). */
  readonly ignore?: readonly string[];
  /**
   * Bytes that can continue the secret. When output pauses (interactive programs) and the data after the keyword
   * still ends in one of these, the secret may be incomplete and the window stays held; otherwise it is decided.
   */
  readonly continuation: string;
  /**
   * Which rule names a merged redaction when several overlap: higher wins (default 2; contextual rules 1, the
   * generic assignment rule 0; registered secrets count as 1).
   */
  readonly priority?: number;
  /** Multi-line block (PEM): redact from the end of the header to the end of the footer. */
  readonly block?: { readonly end: string; readonly maxBytes: number; readonly body: string };
  /**
   * The pattern's language as a token shape, matched without the regular-expression engine (token.ts); the pattern
   * stays the specification, and test/unit/redact/token.test.ts holds the two equal.
   */
  readonly token?: TokenShape | readonly TokenShape[];
  /** A hand-written matcher of the pattern's language (generic.ts), held to the pattern the same way. */
  readonly matcher?: TokenMatcher;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const B64 = `${ALNUM}+/=`;
const B64URL = `${ALNUM}-_`;
const WORD = `${ALNUM}_`;
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

const PLACEHOLDER =
  /^(?:\*+|x+|X+|\.+|-+|<[^>]*>|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|%[A-Za-z_][A-Za-z0-9_]*%|\{\{.*\}\}|null|none|nil|undefined|true|false|changeme|redacted|secret|password|example|placeholder|\[REDACTED.*\])$/i;

/** A value that looks like a secret and not like code, a path, a URL or a placeholder. */
function plausibleGenericSecret(value: string): boolean {
  if (value.length < 8 || PLACEHOLDER.test(value)) return false;
  if (/^[$%{<(@&#/~]|^\.\.?\//.test(value)) return false; // variables, templates, paths
  if (/:\/\/|\$\{|\{\{|<%|\\\\/.test(value)) return false;
  if (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+(?:\(\))?$/.test(value)) return false; // a.b.c references
  if (!/[A-Za-z]/.test(value) || !/[0-9]/.test(value)) return false; // generated secrets mix letters and digits
  if (/^[A-Za-z]+(?:[-_][A-Za-z]+)+$/.test(value)) return false; // kebab/snake words: "my-secret-name"
  return true;
}

function isPrintableAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

/**
 * Up to `limit` bytes from `from` (before `end`): is one of `targets` found (1) before one of `stops` (0), or neither
 * yet (−1)? Neither within the limit is 0.
 */
function seeker(
  targets: string,
  stops: string,
): (bytes: Uint8Array, from: number, end: number, limit: number) => 1 | 0 | -1 {
  const kind = new Uint8Array(256);
  for (const ch of stops) kind[ch.charCodeAt(0)] = 2;
  for (const ch of targets) kind[ch.charCodeAt(0)] = 1;
  return (bytes, from, end, limit) => {
    const stop = Math.min(end, from + limit);
    for (let i = from; i < stop; i++) {
      const k = kind[bytes[i] as number] as number;
      if (k !== 0) return k === 1 ? 1 : 0;
    }
    return stop === from + limit ? 0 : -1;
  };
}

/** A rule's precheck from its declared seek (RuleSpec.seek), or the one it was given. */
function precheckOf(spec: RuleSpec): RuleSpec['precheck'] {
  const declared = spec.seek;
  if (declared === undefined) return spec.precheck;
  const seek = seeker(declared.targets, declared.stops);
  const limit = declared.limit;
  return (bytes, start, end, keywordLength) => seek(bytes, start + keywordLength, end, limit);
}

/** Credentials published as examples (AWS documentation, the Azure storage emulator): never secrets, any rule. */
const PUBLIC_EXAMPLES = new Set([
  ['AKIAIOSF', 'ODNN7EXAMPLE'].join(''),
  ['wJalrXUtnFEMI/K7MDENG/', 'bPxRfiCYEXAMPLEKEY'].join(''),
  ['Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq', '/K1SZFPTOtr/KBHBeksoGMGw=='].join(''),
]);

export const RULES: readonly RuleSpec[] = [
  {
    id: 'aws-access-key-id',
    title: 'AWS access key id',
    keywords: ['AKIA', 'ASIA', 'ABIA', 'ACCA', 'A3T'],
    pattern: '((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?:[^A-Za-z0-9]|$)',
    token: {
      prefixes: ['AKIA', 'ASIA', 'ABIA', 'ACCA', ...Array.from(UPPER_DIGITS, (c) => `A3T${c}`)],
      parts: [{ chars: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', min: 16, max: 16 }],
      notFollowedBy: ALNUM,
    },
    window: 24,
    notAfter: ALNUM,
    continuation: ALNUM,
  },
  {
    id: 'aws-secret-access-key',
    title: 'AWS secret access key in an assignment',
    keywords: ['secret_access_key', 'secretaccesskey', 'SecretAccessKey', 'secretAccessKey', 'aws_secret_key'],
    caseVariants: true,
    pattern:
      '(?i:secret_?access_?key|aws_?secret_?key)[A-Za-z_]{0,12}["\']?[ \\t]{0,8}(?::=|=>|[:=])[ \\t]{0,8}["\']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)',
    window: 128,
    seek: { targets: ':=', stops: '\n', limit: 40 },
    minEntropy: 3.5,
    continuation: B64,
  },
  {
    id: 'github-token',
    title: 'GitHub token (ghp_, gho_, ghu_, ghs_, ghr_)',
    keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
    pattern: '(gh[pousr]_[A-Za-z0-9]{36,251})(?:[^A-Za-z0-9_]|$)',
    token: {
      prefixes: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
      parts: [{ chars: ALNUM, min: 36, max: 251 }],
      notFollowedBy: WORD,
    },
    window: 260,
    notAfter: WORD,
    continuation: ALNUM,
  },
  {
    id: 'github-fine-grained-pat',
    title: 'GitHub fine-grained personal access token',
    keywords: ['github_pat_'],
    pattern: '(github_pat_[A-Za-z0-9_]{50,255})(?:[^A-Za-z0-9_]|$)',
    token: { prefixes: ['github_pat_'], parts: [{ chars: WORD, min: 50, max: 255 }], notFollowedBy: WORD },
    window: 270,
    notAfter: WORD,
    continuation: WORD,
  },
  {
    id: 'gitlab-token',
    title: 'GitLab token',
    keywords: [
      'glpat-',
      'gldt-',
      'glrt-',
      'glptt-',
      'glft-',
      'glsoat-',
      'glcbt-',
      'glimt-',
      'glagent-',
      'gloas-',
      'GR1348941',
    ],
    pattern:
      '((?:glpat|gldt|glrt|glptt|glft|glsoat|glcbt|glimt|glagent|gloas)-[A-Za-z0-9_-]{20,}(?:\\.[A-Za-z0-9_-]+)*|GR1348941[A-Za-z0-9_-]{20,})',
    window: 300,
    notAfter: WORD,
    continuation: `${B64URL}.`,
  },
  {
    id: 'slack-token',
    title: 'Slack token',
    keywords: ['xoxb-', 'xoxp-', 'xoxa-', 'xoxr-', 'xoxs-', 'xoxe-', 'xoxe.', 'xapp-'],
    pattern:
      '((?:xox[abeprs]|xoxe\\.xox[bp])-(?:[A-Za-z0-9]+-){0,6}[A-Za-z0-9]{8,}|xapp-[0-9]-[A-Z0-9]+-[0-9]+-[A-Za-z0-9]{16,})',
    window: 300,
    notAfter: WORD,
    continuation: `${ALNUM}-`,
  },
  {
    id: 'slack-webhook',
    title: 'Slack incoming-webhook URL',
    keywords: ['hooks.slack.com/'],
    pattern: 'hooks\\.slack\\.com/(?:services|workflows|triggers)/([A-Za-z0-9]+/[A-Za-z0-9]+/[A-Za-z0-9]{16,})',
    token: {
      prefixes: ['hooks.slack.com/services/', 'hooks.slack.com/workflows/', 'hooks.slack.com/triggers/'],
      parts: [
        { chars: ALNUM, min: 1 },
        { literal: '/' },
        { chars: ALNUM, min: 1 },
        { literal: '/' },
        { chars: ALNUM, min: 16 },
      ],
      capture: 'after-prefix',
    },
    window: 200,
    continuation: `${ALNUM}/`,
  },
  {
    id: 'stripe-api-key',
    title: 'Stripe secret or restricted key',
    keywords: ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_'],
    pattern: '((?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,247})(?:[^A-Za-z0-9]|$)',
    token: {
      prefixes: ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_'],
      parts: [{ chars: ALNUM, min: 10, max: 247 }],
      notFollowedBy: ALNUM,
    },
    window: 260,
    notAfter: ALNUM,
    continuation: ALNUM,
  },
  {
    id: 'stripe-webhook-secret',
    title: 'Stripe webhook signing secret',
    keywords: ['whsec_'],
    pattern: '(whsec_[A-Za-z0-9+/]{24,})',
    token: { prefixes: ['whsec_'], parts: [{ chars: `${ALNUM}+/`, min: 24 }] },
    window: 120,
    notAfter: ALNUM,
    continuation: B64,
  },
  {
    id: 'google-api-key',
    title: 'Google API key',
    keywords: ['AIza'],
    pattern: '(AIza[0-9A-Za-z_-]{35})(?:[^0-9A-Za-z_-]|$)',
    token: { prefixes: ['AIza'], parts: [{ chars: B64URL, min: 35, max: 35 }], notFollowedBy: B64URL },
    window: 40,
    notAfter: B64URL,
    continuation: B64URL,
  },
  {
    id: 'gcp-service-account-key-id',
    title: 'Google service-account key id',
    keywords: ['private_key_id'],
    pattern: 'private_key_id\\\\?"?[ \\t]*[:=][ \\t]*\\\\?"?([a-f0-9]{40})(?:[^a-f0-9]|$)',
    token: {
      prefixes: ['private_key_id'],
      parts: [
        { chars: '\\', min: 0, max: 1 },
        { chars: '"', min: 0, max: 1 },
        { chars: ' \t', min: 0 },
        { chars: ':=', min: 1, max: 1 },
        { chars: ' \t', min: 0 },
        { chars: '\\', min: 0, max: 1 },
        { chars: '"', min: 0, max: 1 },
        { chars: '0123456789abcdef', min: 40, max: 40 },
      ],
      notFollowedBy: '0123456789abcdef',
      capture: 7,
    },
    window: 80,
    continuation: '0123456789abcdef',
  },
  {
    id: 'azure-storage-account-key',
    title: 'Azure storage account key',
    keywords: ['AccountKey=', 'accountkey=', 'ACCOUNTKEY='],
    pattern: '(?i:AccountKey)=([A-Za-z0-9+/]{86}==)',
    token: {
      prefixes: ['AccountKey='],
      prefixCaseless: true,
      parts: [{ chars: `${ALNUM}+/`, min: 86, max: 86 }, { literal: '==' }],
      capture: 'after-prefix',
    },
    window: 110,
    continuation: B64,
  },
  {
    id: 'azure-shared-access-key',
    title: 'Azure Service Bus / Event Hubs shared access key',
    keywords: ['SharedAccessKey=', 'sharedaccesskey='],
    pattern: '(?i:SharedAccessKey)=([A-Za-z0-9+/]{42,44}=?)',
    token: {
      prefixes: ['SharedAccessKey='],
      prefixCaseless: true,
      parts: [
        { chars: `${ALNUM}+/`, min: 42, max: 44 },
        { chars: '=', min: 0, max: 1 },
      ],
      capture: 'after-prefix',
    },
    window: 80,
    continuation: B64,
  },
  {
    id: 'azure-sas-token',
    title: 'Azure shared access signature',
    keywords: ['sig='],
    pattern: 'sig=([A-Za-z0-9%+/]{30,}(?:%3[Dd]|=){0,2})',
    window: 200,
    notAfter: ALNUM,
    context: { contains: ['sv=', 'SharedAccessSignature'], bytes: 1024 },
    continuation: `${B64}%`,
  },
  {
    id: 'npm-token',
    title: 'npm access token',
    keywords: ['npm_'],
    pattern: '(npm_[A-Za-z0-9]{36})(?:[^A-Za-z0-9]|$)',
    token: { prefixes: ['npm_'], parts: [{ chars: ALNUM, min: 36, max: 36 }], notFollowedBy: ALNUM },
    window: 44,
    notAfter: WORD,
    continuation: ALNUM,
  },
  {
    id: 'npmrc-auth-token',
    priority: 1,
    title: 'npm registry auth token in .npmrc',
    keywords: ['_authToken='],
    pattern: '_authToken=([^\\s"\'$]{8,512})',
    token: {
      prefixes: ['_authToken='],
      parts: [{ except: `${RE2_SPACE}"'$`, min: 8, max: 512 }],
      capture: 'after-prefix',
    },
    window: 530,
    continuation: B64URL,
  },
  {
    id: 'pypi-token',
    title: 'PyPI API token',
    keywords: ['pypi-AgEIcHlwaS5vcmc', 'pypi-AgENdGVzdC5weXBpLm9yZw'],
    pattern: '(pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,})',
    token: { prefixes: ['pypi-AgEIcHlwaS5vcmc', 'pypi-AgENdGVzdC5weXBpLm9yZw'], parts: [{ chars: B64URL, min: 50 }] },
    window: 1024,
    continuation: B64URL,
  },
  {
    id: 'doppler-token',
    title: 'Doppler token',
    keywords: ['dp.pt.', 'dp.st.', 'dp.sa.', 'dp.ct.', 'dp.scim.', 'dp.audit.'],
    pattern: '(dp\\.(?:pt|st|sa|ct|scim|audit)\\.[A-Za-z0-9]{40,44})(?:[^A-Za-z0-9]|$)',
    token: {
      prefixes: ['dp.pt.', 'dp.st.', 'dp.sa.', 'dp.ct.', 'dp.scim.', 'dp.audit.'],
      parts: [{ chars: ALNUM, min: 40, max: 44 }],
      notFollowedBy: ALNUM,
    },
    window: 60,
    notAfter: ALNUM,
    continuation: ALNUM,
  },
  {
    id: 'vault-token',
    title: 'HashiCorp Vault token',
    keywords: ['hvs.', 'hvb.'],
    pattern: '(hv[sb]\\.[A-Za-z0-9_-]{24,400})',
    token: { prefixes: ['hvs.', 'hvb.'], parts: [{ chars: B64URL, min: 24, max: 400 }] },
    window: 410,
    notAfter: WORD,
    continuation: B64URL,
  },
  {
    id: 'sendgrid-api-key',
    title: 'SendGrid API key',
    keywords: ['SG.'],
    pattern: '(SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)',
    token: {
      prefixes: ['SG.'],
      parts: [{ chars: B64URL, min: 22, max: 22 }, { literal: '.' }, { chars: B64URL, min: 43, max: 43 }],
      notFollowedBy: B64URL,
    },
    window: 72,
    notAfter: ALNUM,
    continuation: B64URL,
  },
  {
    id: 'openai-api-key',
    title: 'OpenAI API key',
    keywords: ['sk-proj-', 'sk-svcacct-', 'sk-admin-'],
    pattern: '(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,250}T3BlbkFJ[A-Za-z0-9_-]{20,250})',
    matcher: { match: matchOpenAiKey },
    window: 540,
    notAfter: ALNUM,
    continuation: B64URL,
  },
  {
    id: 'anthropic-api-key',
    title: 'Anthropic API key',
    keywords: ['sk-ant-api0', 'sk-ant-admin0'],
    pattern: '(sk-ant-(?:api|admin)0[0-9]-[A-Za-z0-9_-]{80,128}AA)(?:[^A-Za-z0-9_-]|$)',
    matcher: { match: matchAnthropicKey },
    window: 160,
    notAfter: ALNUM,
    continuation: B64URL,
  },
  {
    id: 'huggingface-token',
    title: 'Hugging Face access token',
    keywords: ['hf_'],
    pattern: '(hf_[A-Za-z]{34})(?:[^A-Za-z]|$)',
    token: { prefixes: ['hf_'], parts: [{ chars: LETTERS, min: 34, max: 34 }], notFollowedBy: LETTERS },
    window: 40,
    notAfter: WORD,
    continuation: ALNUM,
  },
  {
    id: 'groq-api-key',
    title: 'Groq API key',
    keywords: ['gsk_'],
    pattern: '(gsk_[A-Za-z0-9]{52})(?:[^A-Za-z0-9]|$)',
    token: { prefixes: ['gsk_'], parts: [{ chars: ALNUM, min: 52, max: 52 }], notFollowedBy: ALNUM },
    window: 60,
    notAfter: WORD,
    continuation: ALNUM,
  },
  {
    id: 'docker-pat',
    title: 'Docker Hub personal access token',
    keywords: ['dckr_pat_', 'dckr_oat_'],
    pattern: '(dckr_[po]at_[A-Za-z0-9_-]{27,})',
    token: { prefixes: ['dckr_pat_', 'dckr_oat_'], parts: [{ chars: B64URL, min: 27 }] },
    window: 120,
    notAfter: WORD,
    continuation: B64URL,
  },
  {
    id: 'shopify-token',
    title: 'Shopify access token',
    keywords: ['shpat_', 'shpca_', 'shppa_', 'shpss_'],
    pattern: '(shp(?:at|ca|pa|ss)_[A-Za-z0-9]{32,64})(?:[^A-Za-z0-9]|$)',
    token: {
      prefixes: ['shpat_', 'shpca_', 'shppa_', 'shpss_'],
      parts: [{ chars: ALNUM, min: 32, max: 64 }],
      notFollowedBy: ALNUM,
    },
    window: 80,
    notAfter: WORD,
    continuation: ALNUM,
  },
  {
    id: 'linear-api-key',
    title: 'Linear API key',
    keywords: ['lin_api_'],
    pattern: '(lin_api_[A-Za-z0-9_]{32,128})',
    token: { prefixes: ['lin_api_'], parts: [{ chars: WORD, min: 32, max: 128 }] },
    window: 140,
    notAfter: WORD,
    continuation: WORD,
  },
  {
    id: 'notion-token',
    title: 'Notion integration token',
    keywords: ['ntn_'],
    pattern: '(ntn_[0-9]{11}[A-Za-z0-9]{35})(?:[^A-Za-z0-9]|$)',
    token: {
      prefixes: ['ntn_'],
      parts: [
        { chars: '0123456789', min: 11, max: 11 },
        { chars: ALNUM, min: 35, max: 35 },
      ],
      notFollowedBy: ALNUM,
    },
    window: 56,
    notAfter: WORD,
    continuation: ALNUM,
  },
  {
    id: 'grafana-token',
    title: 'Grafana Cloud or service-account token',
    keywords: ['glc_', 'glsa_'],
    pattern: '(glc_[A-Za-z0-9+/]{32,400}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})',
    token: [
      {
        prefixes: ['glc_'],
        parts: [
          { chars: `${ALNUM}+/`, min: 32, max: 400 },
          { chars: '=', min: 0, max: 2 },
        ],
      },
      {
        prefixes: ['glsa_'],
        parts: [
          { chars: ALNUM, min: 32, max: 32 },
          { literal: '_' },
          { chars: '0123456789ABCDEFabcdef', min: 8, max: 8 },
        ],
      },
    ],
    window: 420,
    notAfter: WORD,
    continuation: B64,
  },
  {
    id: 'databricks-token',
    title: 'Databricks access token',
    keywords: ['dapi'],
    pattern: '(dapi[a-f0-9]{32}(?:-[0-9])?)(?:[^A-Za-z0-9]|$)',
    token: [
      {
        prefixes: ['dapi'],
        parts: [
          { chars: '0123456789abcdef', min: 32, max: 32 },
          { literal: '-' },
          { chars: '0123456789', min: 1, max: 1 },
        ],
        notFollowedBy: ALNUM,
      },
      { prefixes: ['dapi'], parts: [{ chars: '0123456789abcdef', min: 32, max: 32 }], notFollowedBy: ALNUM },
    ],
    window: 42,
    notAfter: ALNUM,
    continuation: '0123456789abcdef-',
  },
  {
    id: 'figma-token',
    title: 'Figma personal access token',
    keywords: ['figd_'],
    pattern: '(figd_[A-Za-z0-9_-]{40,200})',
    token: { prefixes: ['figd_'], parts: [{ chars: B64URL, min: 40, max: 200 }] },
    window: 210,
    notAfter: WORD,
    continuation: B64URL,
  },
  {
    id: 'vercel-token',
    title: 'Vercel token',
    keywords: ['vcp_', 'vci_', 'vca_', 'vcr_', 'vck_'],
    pattern: '(vc[piark]_[A-Za-z0-9]{20,60})(?:[^A-Za-z0-9]|$)',
    token: {
      prefixes: ['vcp_', 'vci_', 'vca_', 'vcr_', 'vck_'],
      parts: [{ chars: ALNUM, min: 20, max: 60 }],
      notFollowedBy: ALNUM,
    },
    window: 70,
    notAfter: WORD,
    continuation: ALNUM,
  },
  {
    id: 'onepassword-service-account-token',
    title: '1Password service-account token',
    keywords: ['ops_ey'],
    pattern: '(ops_ey[A-Za-z0-9+/=]{100,1000})',
    token: { prefixes: ['ops_ey'], parts: [{ chars: B64, min: 100, max: 1000 }] },
    window: 1010,
    notAfter: WORD,
    continuation: B64,
  },
  {
    id: 'private-key',
    title: 'PEM private key block',
    keywords: ['-----BEGIN '],
    pattern: '-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----',
    window: 64,
    continuation: '',
    block: { end: '-----END ', maxBytes: 64 * 1024, body: `${B64}\\ \t\r\n:,-` },
  },
  {
    id: 'jwt',
    title: 'JSON Web Token',
    keywords: ['eyJ'],
    pattern: '(eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{16,})',
    token: {
      prefixes: ['eyJ'],
      parts: [
        { chars: B64URL, min: 8 },
        { literal: '.eyJ' },
        { chars: B64URL, min: 8 },
        { literal: '.' },
        { chars: B64URL, min: 16 },
      ],
    },
    window: 8192,
    notAfter: B64URL,
    continuation: `${B64URL}.`,
  },
  {
    id: 'url-credentials',
    priority: 1,
    title: 'password in a URL (scheme://user:password@host)',
    keywords: ['://'],
    pattern: '://[^\\s/:@"\'<>]{1,128}:([^\\s/@"\'<>]{3,256})@[A-Za-z0-9\\[]',
    token: {
      prefixes: ['://'],
      parts: [
        { except: `${RE2_SPACE}/:@"'<>`, min: 1, max: 128 },
        { literal: ':' },
        { except: `${RE2_SPACE}/@"'<>`, min: 3, max: 256 },
        { literal: '@' },
        { chars: `${ALNUM}[`, min: 1, max: 1 },
      ],
      capture: 2,
    },
    window: 400,
    seek: { targets: '@', stops: '/ \t\n\r"\'<>', limit: 390 },
    // Default and example passwords (`postgres:postgres@`, `abc:xyz@`) are not worth masking; generated ones are.
    validate: (secret) =>
      secret.length >= 6 &&
      !PLACEHOLDER.test(secret) &&
      !/^\$/.test(secret) &&
      (/[0-9]/.test(secret) || shannonEntropy(secret) >= 3),
    continuation: '',
  },
  {
    id: 'bearer-token',
    priority: 1,
    title: 'bearer token in an Authorization header',
    keywords: ['Bearer ', 'bearer ', 'BEARER '],
    pattern: '(?i:bearer) ([A-Za-z0-9._~+/-]{20,}=*)',
    token: {
      prefixes: ['bearer '],
      prefixCaseless: true,
      parts: [
        { chars: `${ALNUM}._~+/-`, min: 20 },
        { chars: '=', min: 0 },
      ],
      capture: 'after-prefix',
    },
    window: 4096,
    minEntropy: 3,
    validate: (secret) => /[0-9]/.test(secret) && /[A-Za-z]/.test(secret),
    continuation: `${B64URL}.~+/=`,
  },
  {
    id: 'basic-auth-header',
    priority: 1,
    title: 'HTTP basic credentials in an Authorization header',
    keywords: ['Basic ', 'basic ', 'BASIC '],
    pattern: '(?i:basic) ([A-Za-z0-9+/]{8,}={0,2})(?:[^A-Za-z0-9+/=]|$)',
    token: {
      prefixes: ['basic '],
      prefixCaseless: true,
      parts: [
        { chars: `${ALNUM}+/`, min: 8 },
        { chars: '=', min: 0, max: 2 },
      ],
      notFollowedBy: B64,
      capture: 'after-prefix',
    },
    window: 1024,
    validate: (secret) => {
      const decoded = Buffer.from(secret, 'base64').toString('latin1');
      return /^[^:\s]{1,256}:[^\s]{1,512}$/.test(decoded) && isPrintableAscii(decoded);
    },
    continuation: B64,
  },
  {
    id: 'generic-secret',
    priority: 0,
    title: 'high-entropy value assigned to a password, secret, token or key',
    keywords: [
      'password',
      'passwd',
      'secret',
      'token',
      'api_key',
      'apikey',
      'apiKey',
      'api-key',
      'access_key',
      'accesskey',
      'accessKey',
      'private_key',
      'privateKey',
      'credential',
    ],
    caseVariants: true,
    pattern:
      '(?i:password|passwd|secret|token|api_?key|api-key|access_?key|private_?key|credentials?)(?:[_-]?(?i:key|value|token|str|string|hash))?s?\\\\?["\']?[ \\t]{0,8}(?::=|=>|=|:)[ \\t]{0,8}(?:"([^"\\\\\\s]{8,256})"|\'([^\'\\\\\\s]{8,256})\'|\\\\"([^"\\\\\\s]{8,256})\\\\"|([^\\s"\'`,;<>()\\[\\]{}\\\\]{8,256}))',
    matcher: { match: matchGenericSecret },
    window: 320,
    seek: { targets: ':=', stops: '\n\r(){}', limit: 48 },
    minEntropy: 3,
    validate: plausibleGenericSecret,
    continuation: `${ALNUM}!#$%&*+-./:=?@^_|~`,
  },
];

export interface CompiledRule {
  readonly spec: RuleSpec;
  readonly index: number;
  readonly regex: RE2JS;
  /** The spec's precheck, or the one its seek declares. */
  readonly precheck: RuleSpec['precheck'];
  /** The rule's token shape or hand-written matcher, when it has one: matched instead of the regex. */
  readonly token: TokenMatcher | undefined;
  readonly notAfter: Uint8Array | undefined;
  readonly continuation: Uint8Array;
  /** For blocks: the bytes a body may contain. */
  readonly body: Uint8Array;
}

function byteSet(chars: string): Uint8Array {
  const set = new Uint8Array(256);
  for (const ch of chars) set[ch.charCodeAt(0)] = 1;
  return set;
}

export function keywordVariants(spec: RuleSpec): string[] {
  const out = new Set<string>();
  for (const k of spec.keywords) {
    out.add(k);
    if (spec.caseVariants) {
      out.add(k.toLowerCase());
      out.add(k.toUpperCase());
      out.add(k.charAt(0).toUpperCase() + k.slice(1));
    }
  }
  return [...out];
}

/** What a rule compiles to is immutable, so it is built once per rule object and shared by every redactor. */
function perRule<T>(build: (spec: RuleSpec) => T): (spec: RuleSpec) => T {
  const built = new WeakMap<RuleSpec, T>();
  return (spec) => {
    if (!built.has(spec)) built.set(spec, build(spec));
    return built.get(spec) as T;
  };
}

const regexOf = perRule((spec) => {
  try {
    return RE2JS.compile(spec.pattern);
  } catch (cause) {
    throw new RedactError('rule-invalid', `rule ${spec.id}: the pattern does not compile`, { cause });
  }
});

const tokenOf = perRule((spec): TokenMatcher | undefined =>
  spec.token === undefined ? spec.matcher : compileTokens(spec.id, spec.token),
);

export function compileRules(specs: readonly RuleSpec[] = RULES): CompiledRule[] {
  const ids = new Set<string>();
  return specs.map((spec, index) => {
    if (ids.has(spec.id)) throw new RedactError('rule-invalid', `rule ${spec.id}: duplicate id`);
    ids.add(spec.id);
    if (spec.keywords.length === 0) throw new RedactError('rule-invalid', `rule ${spec.id}: no keywords`);
    // The built-in rules (compiled by their unit tests) compile on first use: most never fire, and start-up counts.
    // Other rule sets are compiled now, so a bad pattern fails at once.
    if (specs !== RULES) {
      regexOf(spec);
      tokenOf(spec);
    }
    const seek = spec.seek;
    if (seek !== undefined && spec.precheck !== undefined)
      throw new RedactError('rule-invalid', `rule ${spec.id}: both a precheck and a seek`);
    if (seek !== undefined && [...(seek.targets + seek.stops)].some((ch) => ch.charCodeAt(0) > 0x7f))
      throw new RedactError('rule-invalid', `rule ${spec.id}: seek bytes not ASCII`);
    for (const keyword of keywordVariants(spec)) {
      if (!/^[\x20-\x7e]+$/.test(keyword)) throw new RedactError('rule-invalid', `rule ${spec.id}: keyword not ASCII`);
      // A seek that needs more bytes than the window could never rule a hit out by its limit where the regex runs.
      if (
        seek !== undefined &&
        !(Number.isInteger(seek.limit) && seek.limit >= 0 && keyword.length + seek.limit <= spec.window)
      )
        throw new RedactError('rule-invalid', `rule ${spec.id}: the window is shorter than keyword and seek limit`);
    }
    return {
      spec,
      index,
      get regex() {
        return regexOf(spec);
      },
      get token() {
        return tokenOf(spec);
      },
      precheck: precheckOf(spec),
      notAfter: spec.notAfter === undefined ? undefined : byteSet(spec.notAfter),
      continuation: byteSet(spec.continuation),
      body: byteSet(spec.block?.body ?? ''),
    };
  });
}

/** Whether the secret a rule matched passes the rule's entropy and validation gates. */
export function acceptSecret(spec: RuleSpec, secret: string): boolean {
  if (PUBLIC_EXAMPLES.has(secret) || spec.ignore?.includes(secret)) return false;
  if (spec.minEntropy !== undefined && shannonEntropy(secret) < spec.minEntropy) return false;
  if (spec.validate !== undefined && !spec.validate(secret)) return false;
  return true;
}
