import type { ValueEncoder } from './runner-protocol.ts';

/**
 * The GitHub runner's 11 value encoders, transcribed from actions/runner (src/Sdk/DTLogging/Logging/ValueEncoders.cs)
 * and registered in the order of src/Runner.Common/HostContext.cs:
 *
 *     Base64StringEscape, Base64StringEscapeShift1, Base64StringEscapeShift2, CommandLineArgumentEscape,
 *     ExpressionStringEscape, JsonStringEscape, UriDataEscape, XmlDataEscape, TrimDoubleQuotes,
 *     PowerShellPreAmpersandEscape, PowerShellPostAmpersandEscape
 *
 * For every value added with `::add-mask::` (or a secret), the runner's SecretMasker also masks each non-empty result.
 * Pass {@link RUNNER_ENCODERS} as `maskEncoders` to the harness's Job to mask like the real runner. This file is an
 * independent transcription used as the conformance reference: packages/redact has its own implementation.
 *
 * Semantics worth knowing, all reproduced here:
 * - strings are encoded as UTF-8 (.NET replaces lone surrogates with U+FFFD, as Node does);
 * - the base64 shifts drop the first 1 or 2 *bytes*; when the value has no more bytes than the shift, they return the
 *   base64 of the whole value (so a 1-byte value yields the same form three times); padding is kept;
 * - JsonStringEscape is Newtonsoft's `JsonConvert.ToString` without the quotes: `"` `\` and C0 controls escaped
 *   (`\b \t \n \f \r`, other controls `\u00xx` in lower-case hex), and U+0085, U+2028, U+2029 as `\uxxxx`; `/`, `'`
 *   and other non-ASCII characters are left alone;
 * - UriDataEscape is .NET `Uri.EscapeDataString`: everything but RFC 3986 unreserved characters (`A-Z a-z 0-9 - _ .
 *   ~`) percent-encoded from UTF-8, upper-case hex (so `!*'()` are escaped, unlike encodeURIComponent);
 * - XmlDataEscape is `SecurityElement.Escape`: `< > " ' &` as `&lt; &gt; &quot; &apos; &amp;`;
 * - TrimDoubleQuotes only applies to values longer than 8 characters that start and end with `"`;
 * - the PowerShell splits are ordinal, return a section only when it has at least 6 characters, and otherwise the
 *   empty string (which the masker ignores).
 */

const utf8 = (value: string) => Buffer.from(value, 'utf8');

export const Base64StringEscape: ValueEncoder = (value) => utf8(value).toString('base64');

const base64Shift = (value: string, shift: number): string => {
  const bytes = utf8(value);
  return bytes.length > shift ? bytes.subarray(shift).toString('base64') : bytes.toString('base64');
};
export const Base64StringEscapeShift1: ValueEncoder = (value) => base64Shift(value, 1);
export const Base64StringEscapeShift2: ValueEncoder = (value) => base64Shift(value, 2);

export const CommandLineArgumentEscape: ValueEncoder = (value) => value.split('"').join('\\"');

export const ExpressionStringEscape: ValueEncoder = (value) => (value === '' ? '' : value.split("'").join("''"));

export const JsonStringEscape: ValueEncoder = (value) => {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    const ch = value[i] as string;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20 || c === 0x85 || c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
};

const UNRESERVED = /^[A-Za-z0-9\-_.~]$/;
export const UriDataEscape: ValueEncoder = (value) => {
  let out = '';
  for (const byte of utf8(value)) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && UNRESERVED.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
};

export const XmlDataEscape: ValueEncoder = (value) =>
  value
    .split('&')
    .join('&amp;')
    .split('<')
    .join('&lt;')
    .split('>')
    .join('&gt;')
    .split('"')
    .join('&quot;')
    .split("'")
    .join('&apos;');

export const TrimDoubleQuotes: ValueEncoder = (value) =>
  value.length > 8 && value.startsWith('"') && value.endsWith('"') ? value.substring(1, value.length - 1) : '';

export const PowerShellPreAmpersandEscape: ValueEncoder = (value) => {
  if (value === '' || !value.includes('&')) return '';
  const section = value.includes('&+')
    ? value.substring(0, value.indexOf('&+') + 2)
    : value.substring(0, value.lastIndexOf('&') + 1);
  return section.length >= 6 ? section : '';
};

export const PowerShellPostAmpersandEscape: ValueEncoder = (value) => {
  if (value === '' || !value.includes('&')) return '';
  let section = '';
  if (value.includes('&+')) {
    if (value.length > value.indexOf('&+') + 2 + 1) section = value.substring(value.indexOf('&+') + 2 + 1);
  } else {
    section = value.substring(value.lastIndexOf('&') + 1);
  }
  return section.length >= 6 ? section : '';
};

/** The encoders in HostContext's registration order, with their runner names. */
export const RUNNER_ENCODER_TABLE: ReadonlyArray<readonly [name: string, encoder: ValueEncoder]> = [
  ['Base64StringEscape', Base64StringEscape],
  ['Base64StringEscapeShift1', Base64StringEscapeShift1],
  ['Base64StringEscapeShift2', Base64StringEscapeShift2],
  ['CommandLineArgumentEscape', CommandLineArgumentEscape],
  ['ExpressionStringEscape', ExpressionStringEscape],
  ['JsonStringEscape', JsonStringEscape],
  ['UriDataEscape', UriDataEscape],
  ['XmlDataEscape', XmlDataEscape],
  ['TrimDoubleQuotes', TrimDoubleQuotes],
  ['PowerShellPreAmpersandEscape', PowerShellPreAmpersandEscape],
  ['PowerShellPostAmpersandEscape', PowerShellPostAmpersandEscape],
];

/** Pass as `maskEncoders` to a harness Job to mask like the real runner. */
export const RUNNER_ENCODERS: readonly ValueEncoder[] = RUNNER_ENCODER_TABLE.map(([, encoder]) => encoder);
