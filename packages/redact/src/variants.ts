import { secretForms } from '@airlock/core/masking';
import { parse as parseYaml } from 'yaml';

/**
 * The forms a known secret can take in a log, beyond its exact value.
 *
 * The GitHub runner masks a registered value plus 11 fixed encodings of it (base64 at three byte alignments, `\"`,
 * `''`, JSON escaping, URL escaping, XML escaping, trimmed double quotes and two PowerShell `&` splits; see
 * packages/testkit/src/runner-encoders.ts). Airlock registers every one of those exactly as the runner computes it,
 * and adds the forms tools actually print:
 *
 * - base64 standard and URL-safe, padded and unpadded, at all three alignments, plus the alignment- and
 *   suffix-independent core of each (the characters determined by the secret's bytes alone, so `base64(user:secret\n)`
 *   is caught too), and the encoding wrapped at 76 columns (`base64`, MIME) with LF and CRLF, and each wrapped line;
 * - hex, lower and upper case;
 * - URL encoding as RFC 3986, encodeURIComponent, encodeURI, HTML forms (`+` for space), Python's quote and Go's
 *   QueryEscape do it, each with upper and lower case `%xx`;
 * - JSON string escaping as Newtonsoft, JSON.stringify, Python (ensure_ascii), Go (HTML-safe) and PHP (`\/`) do it,
 *   once and twice;
 * - XML and HTML entities (`&quot;`/`&apos;`, `&#39;`, `&#34;`, `&#x27;`, text-only);
 * - shell single-quote escaping (`'\''` and `'"'"'`);
 * - each line of a multi-line value, the value with CRLF line ends, and the leaf values of a JSON or YAML secret.
 *
 * A form shorter than the minimum length (default 4) is never registered: masking `ab` everywhere would destroy the
 * log and protect nothing. A secret whose value itself is shorter is reported by the caller and not masked.
 */
export const DEFAULT_MIN_LENGTH = 4;

export interface SecretVariant {
  readonly text: string;
  /** Which transformation produced it, e.g. `base64-shift1-core`, `url-rfc3986-lower`. */
  readonly encoding: string;
}

const utf8 = (value: string): Buffer => Buffer.from(value, 'utf8');

// ---------------------------------------------------------------------------------------------------------------
// The runner's encoders (actions/runner src/Sdk/DTLogging/Logging/ValueEncoders.cs), reproduced exactly. They are
// registered as they are; packages/testkit/src/runner-encoders.ts holds the conformance copy the harness uses.

/** `Convert.ToBase64String(Encoding.UTF8.GetBytes(value))`. */
export function runnerBase64(value: string): string {
  return utf8(value).toString('base64');
}

/** `Base64StringEscapeShift`: base64 of the bytes after the first `shift`, or of all bytes when there are not more. */
export function runnerBase64Shift(value: string, shift: 1 | 2): string {
  const bytes = utf8(value);
  return (bytes.length > shift ? bytes.subarray(shift) : bytes).toString('base64');
}

// ---------------------------------------------------------------------------------------------------------------
// Base64

/** The characters of base64(bytes) that do not depend on what follows the bytes: floor(4n/3) of them. */
export function base64Core(bytes: Uint8Array, alphabet: 'base64' | 'base64url'): string {
  const unpadded = Buffer.from(bytes).toString('base64').replace(/=+$/, '');
  const core = unpadded.slice(0, Math.floor((bytes.length * 4) / 3));
  return alphabet === 'base64' ? core : core.replace(/\+/g, '-').replace(/\//g, '_');
}

function wrap(text: string, columns: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += columns) lines.push(text.slice(i, i + columns));
  return lines;
}

function base64Variants(value: string, add: (text: string, encoding: string) => void): void {
  const bytes = utf8(value);
  for (const shift of [0, 1, 2] as const) {
    const shifted = shift === 0 || bytes.length <= shift ? bytes : bytes.subarray(shift);
    if (shift > 0 && bytes.length <= shift) continue; // same as shift 0 (the runner's fallback)
    const padded = shifted.toString('base64');
    const name = `base64-shift${shift}`;
    // base64Core(shifted): the first floor(4n/3) characters, never into the padding.
    const coreLength = Math.floor((shifted.length * 4) / 3);
    add(padded, name);
    add(padded.replace(/=+$/, ''), `${name}-unpadded`);
    add(padded.slice(0, coreLength), `${name}-core`);
    const url = padded.replace(/\+/g, '-').replace(/\//g, '_');
    add(url, `${name}-url`);
    add(url.replace(/=+$/, ''), `${name}-url-unpadded`);
    add(url.slice(0, coreLength), `${name}-url-core`);
  }
  const padded = bytes.toString('base64');
  if (padded.length > 76) {
    const lines = wrap(padded, 76);
    add(lines.join('\n'), 'base64-wrapped76');
    add(lines.join('\r\n'), 'base64-wrapped76-crlf');
    lines.forEach((line) => {
      add(line, 'base64-wrapped76-line');
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// URL encoding

const ALNUM = /[A-Za-z0-9]/;
type Keep = (ch: string) => boolean;
const keepSet =
  (extra: string): Keep =>
  (ch) =>
    ALNUM.test(ch) || extra.includes(ch);

/** `%XX` and `%xx` for every byte. */
const PERCENT_UPPER: readonly string[] = Array.from(
  { length: 256 },
  (_, b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`,
);
const PERCENT_LOWER: readonly string[] = Array.from({ length: 256 }, (_, b) => `%${b.toString(16).padStart(2, '0')}`);

/** A profile's `keep` as a table over the ASCII bytes (the only ones it is asked about). */
function keepTable(keep: Keep): Uint8Array {
  const table = new Uint8Array(128);
  for (let b = 0; b < 128; b++) table[b] = keep(String.fromCharCode(b)) ? 1 : 0;
  return table;
}

interface UrlProfile {
  readonly name: string;
  readonly keep: Keep;
  readonly spacePlus: boolean;
  readonly table: Uint8Array;
  /** Matches a value made only of characters kept as they are (its encoding is itself). */
  readonly same: RegExp;
}

const urlProfile = (name: string, extra: string, spacePlus: boolean): UrlProfile => {
  const keep = keepSet(extra);
  const same = new RegExp(`^[A-Za-z0-9${extra.replace(/[\]\\^-]/g, '\\$&')}]*$`);
  return { name, keep, spacePlus, table: keepTable(keep), same };
};

const URL_PROFILES: readonly UrlProfile[] = [
  urlProfile('rfc3986', '-._~', false), // .NET Uri.EscapeDataString (the runner), RFC 3986
  urlProfile('component', "-_.!~*'()", false), // encodeURIComponent
  urlProfile('uri', "-_.!~*'();/?:@&=+$,#", false), // encodeURI
  urlProfile('form', '*-._', true), // application/x-www-form-urlencoded (WHATWG)
  urlProfile('query', '-_.~', true), // Go url.QueryEscape, Python quote_plus
  urlProfile('python', '_.-~/', false), // Python urllib.parse.quote
];

/**
 * Percent-encoding of a value's UTF-8 bytes: an ASCII byte `keep` accepts as itself, a space as `+` when `spacePlus`,
 * every other byte as `%xx` (upper- or lower-case hex).
 */
export function percentEncode(value: string, keep: Keep, spacePlus: boolean, upper: boolean): string {
  return percentEncodeBytes(value, utf8(value), keepTable(keep), spacePlus, upper);
}

/** {@link percentEncode} of `value` (whose UTF-8 bytes are `bytes`) with the keep table of a profile. */
function percentEncodeBytes(
  value: string,
  bytes: Uint8Array,
  keep: Uint8Array,
  spacePlus: boolean,
  upper: boolean,
): string {
  const n = bytes.length;
  // Most secrets need no escaping at all: then the encoding is the (ASCII) value itself.
  let i = 0;
  while (i < n) {
    const b = bytes[i] as number;
    if (b >= 0x80 || keep[b] === 0) break;
    i++;
  }
  if (i === n) return value;
  const hex = upper ? PERCENT_UPPER : PERCENT_LOWER;
  let out = value.slice(0, i); // bytes[0, i) are ASCII: the value's first i characters
  for (; i < n; i++) {
    const b = bytes[i] as number;
    if (b < 0x80 && keep[b] === 1) out += String.fromCharCode(b);
    else if (b === 0x20 && spacePlus) out += '+';
    else out += hex[b] as string;
  }
  return out;
}

/** `Uri.EscapeDataString` (the runner's UriDataEscape): RFC 3986 unreserved characters kept, upper-case hex. */
export function escapeDataString(value: string): string {
  const rfc3986 = URL_PROFILES[0] as UrlProfile;
  return percentEncodeBytes(value, utf8(value), rfc3986.table, false, true);
}

// ---------------------------------------------------------------------------------------------------------------
// JSON

/** A character {@link newtonsoftEscape} changes. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the C0 controls are what it looks for
const NEWTONSOFT_ESCAPED = /["\\\x00-\x1f\u0085\u2028\u2029]/;

const hex4 = (code: number) => `\\u${code.toString(16).padStart(4, '0')}`;

/**
 * Newtonsoft.Json `JsonConvert.ToString(value)` without the quotes (the runner's JsonStringEscape): `"` `\` and the
 * C0 controls escaped (`\b \t \n \f \r`, others `\u00xx` in lower-case hex), plus U+0085, U+2028 and U+2029.
 */
export function newtonsoftEscape(value: string): string {
  if (!NEWTONSOFT_ESCAPED.test(value)) return value;
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) as number;
    switch (ch) {
      case '"':
        out += '\\"';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\u0085':
      case '\u2028':
      case '\u2029':
        out += hex4(code);
        break;
      default:
        out += code < 0x20 ? hex4(code) : ch;
    }
  }
  return out;
}

const jsonStringify = (value: string) => JSON.stringify(value).slice(1, -1);

// biome-ignore lint/suspicious/noControlCharactersInRegex: everything outside ASCII, controls included
const NON_ASCII = /[^\x00-\x7f]/;

/** Python `json.dumps` (ensure_ascii): non-ASCII as `\uxxxx` UTF-16 units. */
function pythonJson(value: string): string {
  // ASCII is escaped character by character the same way as a whole string.
  if (!NON_ASCII.test(value)) return jsonStringify(value);
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    const code = value.charCodeAt(i);
    if (code > 0x7f) out += hex4(code);
    else out += jsonStringify(ch);
  }
  return out;
}

/** Go `encoding/json`: HTML-safe (`<` `>` `&` as `\u003c` …), U+2028/2029 escaped. */
function goJson(value: string): string {
  return jsonStringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

// ---------------------------------------------------------------------------------------------------------------
// XML and HTML

/** `System.Security.SecurityElement.Escape` (the runner's XmlDataEscape). */
export function securityElementEscape(value: string): string {
  return value.replace(
    /[<>"'&]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '&': '&amp;' })[c] as string,
  );
}

const entityProfile = (quot: string, apos: string) => (value: string) =>
  value.replace(/[<>"'&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '"': quot, "'": apos, '&': '&amp;' })[c] as string);

const XML_PROFILES: ReadonlyArray<{ name: string; escape: (v: string) => string }> = [
  { name: 'xml', escape: securityElementEscape },
  { name: 'html-quot-39', escape: entityProfile('&quot;', '&#39;') },
  { name: 'html-34-39', escape: entityProfile('&#34;', '&#39;') },
  { name: 'html-quot-x27', escape: entityProfile('&quot;', '&#x27;') },
  { name: 'xml-text', escape: (v) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') },
];

// ---------------------------------------------------------------------------------------------------------------
// The runner's remaining encoders

/** CommandLineArgumentEscape: `"` → `\"`. */
export const commandLineEscape = (value: string): string => value.replace(/"/g, '\\"');

/** ExpressionStringEscape (ExpressionUtility.StringEscape): `'` → `''`. */
export const expressionEscape = (value: string): string => value.replace(/'/g, "''");

/** TrimDoubleQuotes: the value without its surrounding `"`, when longer than 8 characters and quoted; else empty. */
export function trimDoubleQuotes(value: string): string {
  return value.length > 8 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : '';
}

/** PowerShellPreAmpersandEscape: the part up to the first `&+` (inclusive), else up to the last `&`; ≥ 6 chars. */
export function powerShellPreAmpersand(value: string): string {
  if (!value.includes('&')) return '';
  const plus = value.indexOf('&+');
  const section = plus >= 0 ? value.slice(0, plus + 2) : value.slice(0, value.lastIndexOf('&') + 1);
  return section.length >= 6 ? section : '';
}

/** PowerShellPostAmpersandEscape: after the first `&+` and one more character, else after the last `&`; ≥ 6 chars. */
export function powerShellPostAmpersand(value: string): string {
  if (!value.includes('&')) return '';
  const plus = value.indexOf('&+');
  let section = '';
  if (plus >= 0) {
    if (value.length > plus + 3) section = value.slice(plus + 3);
  } else {
    section = value.slice(value.lastIndexOf('&') + 1);
  }
  return section.length >= 6 ? section : '';
}

// ---------------------------------------------------------------------------------------------------------------

/** Leaves of a YAML mapping or sequence (JSON leaves come from @airlock/core's secretForms). */
function yamlLeaves(value: string): string[] {
  if (!/[:-]\s/.test(value) || !value.includes('\n')) return [];
  let parsed: unknown;
  try {
    parsed = parseYaml(value, { strict: false, uniqueKeys: false, maxAliasCount: 0 });
  } catch {
    return [];
  }
  if (parsed === null || typeof parsed !== 'object') return [];
  const out: string[] = [];
  const visit = (v: unknown) => {
    if (typeof v === 'string') out.push(v);
    else if (typeof v === 'number' || typeof v === 'bigint') out.push(String(v));
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(parsed);
  return out;
}

/** The base forms of a secret: the value, its lines, its JSON and YAML leaves, its CRLF/LF twin. */
export function baseForms(value: string, minLength = DEFAULT_MIN_LENGTH): string[] {
  const forms = new Set<string>(secretForms(value, minLength));
  if (forms.size === 0) return [];
  for (const leaf of yamlLeaves(value)) {
    if (leaf.trim().length < minLength) continue;
    forms.add(leaf);
    for (const line of leaf.split(/\r?\n/)) if (line.trim().length >= minLength) forms.add(line.trim());
  }
  for (const form of [...forms]) {
    if (form.includes('\n')) {
      forms.add(form.replace(/\r?\n/g, '\r\n'));
      forms.add(form.replace(/\r\n/g, '\n'));
    }
  }
  return [...forms];
}

/** Every form of one base value (not split further). */
export function encodingsOf(value: string): SecretVariant[] {
  const out: SecretVariant[] = [];
  const add = (text: string, encoding: string) => {
    if (text !== '') out.push({ text, encoding });
  };
  add(value, 'exact');
  // The runner's 11 encoders, exactly.
  add(runnerBase64(value), 'runner-base64');
  add(runnerBase64Shift(value, 1), 'runner-base64-shift1');
  add(runnerBase64Shift(value, 2), 'runner-base64-shift2');
  add(commandLineEscape(value), 'runner-command-line');
  add(expressionEscape(value), 'runner-expression');
  add(newtonsoftEscape(value), 'runner-json');
  add(escapeDataString(value), 'runner-uri-data');
  add(securityElementEscape(value), 'runner-xml');
  add(trimDoubleQuotes(value), 'runner-trim-double-quotes');
  add(powerShellPreAmpersand(value), 'runner-powershell-pre-ampersand');
  add(powerShellPostAmpersand(value), 'runner-powershell-post-ampersand');
  // Airlock's additions.
  base64Variants(value, add);
  const bytes = utf8(value);
  add(bytes.toString('hex'), 'hex-lower');
  add(bytes.toString('hex').toUpperCase(), 'hex-upper');
  for (const p of URL_PROFILES) {
    if (p.same.test(value)) {
      add(value, `url-${p.name}-upper`);
      add(value, `url-${p.name}-lower`);
      continue;
    }
    add(percentEncodeBytes(value, bytes, p.table, p.spacePlus, true), `url-${p.name}-upper`);
    add(percentEncodeBytes(value, bytes, p.table, p.spacePlus, false), `url-${p.name}-lower`);
  }
  const once: Array<[string, string]> = [
    ['json-newtonsoft', newtonsoftEscape(value)],
    ['json-stringify', jsonStringify(value)],
    ['json-python', pythonJson(value)],
    ['json-go', goJson(value)],
    ['json-slash', jsonStringify(value).replace(/\//g, '\\/')],
  ];
  for (const [name, text] of once) {
    add(text, name);
    add(jsonStringify(text), `${name}-twice`);
  }
  for (const p of XML_PROFILES) add(p.escape(value), p.name);
  add(value.replace(/'/g, "'\\''"), 'shell-single-quote');
  add(value.replace(/'/g, `'"'"'`), 'shell-single-quote-alt');
  return out;
}

/** All variants of a secret, de-duplicated, none shorter than `minLength`. Empty when the value itself is shorter. */
export function secretVariants(value: string, options: { minLength?: number } = {}): SecretVariant[] {
  const minLength = options.minLength ?? DEFAULT_MIN_LENGTH;
  if (value.trim().length < minLength) return [];
  const seen = new Map<string, SecretVariant>();
  for (const form of baseForms(value, minLength)) {
    for (const variant of encodingsOf(form)) {
      if (variant.text.length < minLength || variant.text.trim() === '' || seen.has(variant.text)) continue;
      seen.set(variant.text, variant);
    }
  }
  return [...seen.values()];
}
