import canonicalize from 'canonicalize';
import { sha256HexSmall } from './sha256.ts';

/**
 * RFC 8785 (JSON Canonicalization Scheme) serialisation: sorted keys by UTF-16 code units, ECMAScript number
 * formatting, no whitespace. Throws on values JSON cannot represent faithfully (NaN, Infinity, lone surrogates,
 * cycles) instead of silently changing them.
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('canonicalJson: value has no JSON representation');
  return text;
}

/** Inputs up to this size are hashed in JavaScript (sha256.ts), larger ones by node:crypto. */
export const SMALL_HASH_BYTES = 64 * 1024;

/** SHA-256, hex: node:crypto is loaded only for inputs over {@link SMALL_HASH_BYTES}. */
export function sha256Hex(data: string | Uint8Array): string {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (bytes.byteLength <= SMALL_HASH_BYTES) return sha256HexSmall(bytes);
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(bytes).digest('hex');
}

/** sha256 (hex) of the RFC 8785 canonical JSON of a value. */
export function canonicalSha256(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
