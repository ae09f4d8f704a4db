/**
 * A strict DER reader for what native verification needs from an X.509 certificate: the to-be-signed part, the names,
 * the key, the extensions (basic constraints, key usage, key identifiers, SAN, Fulcio's OIDs, the SCT list).
 *
 * Why our own: @sigstore/core's ASN.1 parser builds an object per node and re-encodes on every access, ~15 ms of a
 * verification even warm, and loading it is part of the verify action's cold start; Node's X509Certificate (OpenSSL)
 * checks signatures and validity natively but does not expose arbitrary extensions or the SCT list. The reader only
 * slices the certificate's bytes (no copies) and refuses anything that is not minimal DER: single-byte tags, definite
 * minimal lengths, children that exactly fill their parent.
 */
export class DerError extends Error {}

/** One element: its tag byte and where its header and content are in the buffer. */
export interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

/** Universal and context tags used below (the full tag byte, class and constructed bit included). */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  EXPLICIT_0: 0xa0,
  EXPLICIT_3: 0xa3,
} as const;

/** The element at `offset`, which must end by `limit`. */
export function readTlv(buf: Uint8Array, offset: number, limit = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError('truncated element');
  const tag = buf[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not DER certificate fields');
  let length = buf[offset + 1] as number;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new DerError('indefinite or oversized length');
    if (contentStart + count > limit) throw new DerError('truncated length');
    if (buf[contentStart] === 0) throw new DerError('non-minimal length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (buf[contentStart + i] as number);
    if (length < 0x80) throw new DerError('non-minimal length');
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError('element runs past its parent');
  return { tag, start: offset, contentStart, end };
}

/** The elements inside `parent`; they must fill it exactly. */
export function children(buf: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let at = parent.contentStart;
  while (at < parent.end) {
    const child = readTlv(buf, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** The one element that makes up all of `bytes` (an extension's value, an OCTET STRING's content). */
export function only(buf: Uint8Array, start: number, end: number): Tlv {
  const tlv = readTlv(buf, start, end);
  if (tlv.end !== end) throw new DerError('trailing bytes after an element');
  return tlv;
}

export function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (tlv === undefined || tlv.tag !== tag) throw new DerError(`${what}: unexpected structure`);
  return tlv;
}

export const content = (buf: Buffer, tlv: Tlv): Buffer => buf.subarray(tlv.contentStart, tlv.end);
export const whole = (buf: Buffer, tlv: Tlv): Buffer => buf.subarray(tlv.start, tlv.end);

/** Dotted form of an OBJECT IDENTIFIER's content. */
export function oidText(bytes: Uint8Array): string {
  if (bytes.length === 0) throw new DerError('empty OID');
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (value === 0 && b === 0x80) throw new DerError('non-minimal OID arc');
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError('OID arc too large');
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else arcs.push(value);
      value = 0;
    } else if (i === bytes.length - 1) throw new DerError('truncated OID');
  }
  return arcs.join('.');
}

/** DER header for `length` bytes of content under `tag`. */
export function header(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
}
