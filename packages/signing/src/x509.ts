import { type KeyObject, X509Certificate as NodeX509 } from 'node:crypto';
import type { SignerFacts } from './certificate.ts';
import { children, content, DerError, expectTag, header, oidText, only, TAG, type Tlv, whole } from './der.ts';

/**
 * An X.509 certificate for native verification: OpenSSL (Node's X509Certificate) parses it and checks signatures and
 * validity; {@link ./der.ts} reads the parts OpenSSL does not expose. Anything unusual throws a {@link DerError}, and
 * native verification then leaves the bundle to sigstore-js (see native.ts).
 */
export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  /** The extnValue OCTET STRING's content. */
  readonly value: Buffer;
  /** The whole Extension element, for re-encoding the TBS without it. */
  readonly tlv: Tlv;
}

const OID_SCT_LIST = '1.3.6.1.4.1.11129.2.4.2';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_KEY_USAGE = '2.5.29.15';
const OID_SUBJECT_KEY_ID = '2.5.29.14';
const OID_AUTHORITY_KEY_ID = '2.5.29.35';
const OID_SUBJECT_ALT_NAME = '2.5.29.17';
const fulcioOid = (n: number) => `1.3.6.1.4.1.57264.1.${n}`;

export class NativeCertificate {
  readonly der: Buffer;
  readonly x509: NodeX509;
  /** DER of the issuer and subject Names, compared byte for byte for name chaining. */
  readonly issuer: Buffer;
  readonly subject: Buffer;
  /** The DER SubjectPublicKeyInfo, as in the certificate (what an SCT's issuer key hash is over). */
  readonly spki: Buffer;
  readonly extensions: readonly Extension[];
  readonly #tbs: Tlv;
  readonly #extensionsWrapper: Tlv | undefined;

  private constructor(der: Buffer) {
    this.der = der;
    this.x509 = new NodeX509(der);
    const cert = only(der, 0, der.length);
    const [tbs, algorithm, signature, ...rest] = children(der, expectTag(cert, TAG.SEQUENCE, 'Certificate'));
    expectTag(algorithm, TAG.SEQUENCE, 'signatureAlgorithm');
    expectTag(signature, TAG.BIT_STRING, 'signatureValue');
    if (rest.length > 0) throw new DerError('Certificate: trailing fields');
    this.#tbs = expectTag(tbs, TAG.SEQUENCE, 'TBSCertificate');
    const fields = children(der, this.#tbs);
    // v3 only: [0] version, serial, signature, issuer, validity, subject, subjectPublicKeyInfo, then optional fields.
    expectTag(fields[0], TAG.EXPLICIT_0, 'version');
    this.issuer = whole(der, expectTag(fields[3], TAG.SEQUENCE, 'issuer'));
    this.subject = whole(der, expectTag(fields[5], TAG.SEQUENCE, 'subject'));
    this.spki = whole(der, expectTag(fields[6], TAG.SEQUENCE, 'subjectPublicKeyInfo'));
    const extensions: Extension[] = [];
    for (const field of fields.slice(7)) {
      if (field.tag !== TAG.EXPLICIT_3) continue;
      if (this.#extensionsWrapper !== undefined) throw new DerError('two extension lists');
      this.#extensionsWrapper = field;
      const list = expectTag(only(der, field.contentStart, field.end), TAG.SEQUENCE, 'Extensions');
      for (const ext of children(der, list)) {
        const parts = children(der, expectTag(ext, TAG.SEQUENCE, 'Extension'));
        const oid = oidText(content(der, expectTag(parts[0], TAG.OID, 'extnID')));
        const critical =
          parts.length === 3 ? content(der, expectTag(parts[1], TAG.BOOLEAN, 'critical'))[0] === 0xff : false;
        if (parts.length !== 2 && parts.length !== 3) throw new DerError('Extension: wrong field count');
        const value = expectTag(parts[parts.length - 1], TAG.OCTET_STRING, 'extnValue');
        if (extensions.some((e) => e.oid === oid)) throw new DerError(`extension ${oid} appears twice`);
        extensions.push({ oid, critical, value: content(der, value), tlv: ext });
      }
    }
    this.extensions = extensions;
  }

  static parse(der: Buffer): NativeCertificate {
    return new NativeCertificate(der);
  }

  extension(oid: string): Extension | undefined {
    return this.extensions.find((e) => e.oid === oid);
  }

  get notBefore(): Date {
    return this.x509.validFromDate;
  }

  get notAfter(): Date {
    return this.x509.validToDate;
  }

  validAt(date: Date): boolean {
    return this.notBefore <= date && date <= this.notAfter;
  }

  get publicKey(): KeyObject {
    return this.x509.publicKey;
  }

  /** basicConstraints cA, and keyCertSign when key usage is present (as sigstore-js requires of issuers). */
  get isCA(): boolean {
    const bc = this.#basicConstraints();
    if (!bc.ca) return false;
    const ku = this.extension(OID_KEY_USAGE);
    if (ku === undefined) return true;
    const bits = content(ku.value, expectTag(only(ku.value, 0, ku.value.length), TAG.BIT_STRING, 'keyUsage'));
    return bits.length >= 2 && ((bits[1] as number) & 0x04) !== 0;
  }

  get pathLenConstraint(): number | undefined {
    return this.#basicConstraints().pathLen;
  }

  #basicConstraints(): { ca: boolean; pathLen: number | undefined } {
    const ext = this.extension(OID_BASIC_CONSTRAINTS);
    if (ext === undefined) return { ca: false, pathLen: undefined };
    const seq = expectTag(only(ext.value, 0, ext.value.length), TAG.SEQUENCE, 'basicConstraints');
    const parts = children(ext.value, seq);
    let i = 0;
    let ca = false;
    if (parts[i]?.tag === TAG.BOOLEAN) ca = content(ext.value, parts[i++] as Tlv)[0] === 0xff;
    let pathLen: number | undefined;
    if (parts[i] !== undefined) {
      const n = content(ext.value, expectTag(parts[i++], TAG.INTEGER, 'pathLenConstraint'));
      if (n.length === 0 || n.length > 4 || ((n[0] as number) & 0x80) !== 0) throw new DerError('pathLenConstraint');
      pathLen = n.readUIntBE(0, n.length);
    }
    if (i !== parts.length) throw new DerError('basicConstraints: trailing fields');
    return { ca, pathLen };
  }

  get subjectKeyId(): Buffer | undefined {
    const ext = this.extension(OID_SUBJECT_KEY_ID);
    return ext === undefined
      ? undefined
      : content(ext.value, expectTag(only(ext.value, 0, ext.value.length), TAG.OCTET_STRING, 'subjectKeyIdentifier'));
  }

  get authorityKeyId(): Buffer | undefined {
    const ext = this.extension(OID_AUTHORITY_KEY_ID);
    if (ext === undefined) return undefined;
    const seq = expectTag(only(ext.value, 0, ext.value.length), TAG.SEQUENCE, 'authorityKeyIdentifier');
    const id = children(ext.value, seq).find((c) => c.tag === 0x80);
    return id === undefined ? undefined : content(ext.value, id);
  }

  /** Whether `issuer`'s key signed this certificate (with the certificate's own signature algorithm). */
  signedBy(issuer: NativeCertificate): boolean {
    try {
      return this.x509.verify(issuer.publicKey);
    } catch {
      return false;
    }
  }

  get selfSigned(): boolean {
    return this.issuer.equals(this.subject) && this.signedBy(this);
  }

  equals(other: NativeCertificate): boolean {
    return this.der.equals(other.der);
  }

  /**
   * The TBSCertificate with the SCT-list extension removed, re-encoded: what a CT log signed for a precertificate
   * (RFC 6962 §3.2). Undefined when there is no such extension.
   */
  precertTbs(): Buffer | undefined {
    const sct = this.extension(OID_SCT_LIST);
    const wrapper = this.#extensionsWrapper;
    if (sct === undefined || wrapper === undefined) return undefined;
    const der = this.der;
    const kept = this.extensions.filter((e) => e !== sct).map((e) => whole(der, e.tlv));
    const list = Buffer.concat(kept);
    const seq = Buffer.concat([header(TAG.SEQUENCE, list.length), list]);
    const ext = Buffer.concat([header(TAG.EXPLICIT_3, seq.length), seq]);
    const tbs = this.#tbs;
    const body = Buffer.concat([
      der.subarray(tbs.contentStart, wrapper.start),
      ext,
      der.subarray(wrapper.end, tbs.end),
    ]);
    return Buffer.concat([header(TAG.SEQUENCE, body.length), body]);
  }

  /** The SCTs embedded in the certificate (RFC 6962 §3.3, TLS-encoded inside an OCTET STRING). */
  scts(): Sct[] {
    const ext = this.extension(OID_SCT_LIST);
    if (ext === undefined) return [];
    const list = content(ext.value, expectTag(only(ext.value, 0, ext.value.length), TAG.OCTET_STRING, 'SCT list'));
    if (list.length < 2) throw new DerError('SCT list: truncated');
    const end = 2 + list.readUInt16BE(0);
    if (end !== list.length) throw new DerError('SCT list: length mismatch');
    const out: Sct[] = [];
    for (let at = 2; at < end; ) {
      if (at + 2 > end) throw new DerError('SCT list: truncated');
      const length = list.readUInt16BE(at);
      at += 2;
      if (at + length > end) throw new DerError('SCT: truncated');
      out.push(parseSct(list.subarray(at, at + length)));
      at += length;
    }
    return out;
  }

  /** The SAN and Fulcio's extensions (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md). */
  facts(): SignerFacts {
    const v2 = (n: number): string | undefined => {
      const ext = this.extension(fulcioOid(n));
      if (ext === undefined) return undefined;
      return content(
        ext.value,
        expectTag(only(ext.value, 0, ext.value.length), TAG.UTF8_STRING, `${ext.oid}`),
      ).toString('utf8');
    };
    return {
      identity: this.#subjectAltName(),
      issuer: v2(8) ?? this.extension(fulcioOid(1))?.value.toString('utf8'),
      sourceRepository: v2(12),
      sourceRef: v2(14),
      sourceDigest: v2(13),
      signerWorkflow: v2(9),
      buildConfig: v2(18),
      runnerEnvironment: v2(11),
      trigger: v2(20),
      runInvocation: v2(21),
    };
  }

  /** The first URI in the SAN, else the first e-mail address (sigstore-js's order), as ASCII like sigstore-js. */
  #subjectAltName(): string | undefined {
    const ext = this.extension(OID_SUBJECT_ALT_NAME);
    if (ext === undefined) return undefined;
    const names = children(ext.value, expectTag(only(ext.value, 0, ext.value.length), TAG.SEQUENCE, 'subjectAltName'));
    // A constructed name (otherName, directoryName) must itself be well-formed, as sigstore-js's parser requires.
    for (const name of names) if (name.tag & 0x20) children(ext.value, name);
    const pick = (n: number) => names.find((t) => (t.tag & 0xc0) === 0x80 && (t.tag & 0x1f) === n);
    const name = pick(6) ?? pick(1);
    return name === undefined ? undefined : content(ext.value, name).toString('ascii');
  }
}

export interface Sct {
  readonly version: number;
  readonly logId: Buffer;
  /** The 8-byte big-endian milliseconds, as signed. */
  readonly timestamp: Buffer;
  readonly extensions: Buffer;
  readonly hashAlgorithm: number;
  readonly signature: Buffer;
}

function parseSct(b: Buffer): Sct {
  // version(1) logID(32) timestamp(8) extensions<2> hash(1) signature-algorithm(1) signature<2>
  if (b.length < 1 + 32 + 8 + 2) throw new DerError('SCT: truncated');
  const extLength = b.readUInt16BE(41);
  let at = 43 + extLength;
  if (at + 4 > b.length) throw new DerError('SCT: truncated');
  const hashAlgorithm = b[at] as number;
  at += 2;
  const sigLength = b.readUInt16BE(at);
  at += 2;
  if (at + sigLength !== b.length) throw new DerError('SCT: length mismatch');
  return {
    version: b[0] as number,
    logId: b.subarray(1, 33),
    timestamp: b.subarray(33, 41),
    extensions: b.subarray(43, 43 + extLength),
    hashAlgorithm,
    signature: b.subarray(at, at + sigLength),
  };
}
