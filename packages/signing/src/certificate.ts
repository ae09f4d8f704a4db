import type { X509Certificate } from '@sigstore/core';

/**
 * What a Fulcio certificate says about the workflow that signed: the SAN and the Sigstore OID extensions
 * (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md). Values are read from the v2 extensions
 * (DER UTF8String); the issuer falls back to the legacy 1.1 extension for old certificates.
 */
export interface SignerFacts {
  /** The certificate's SAN: a workflow URL for GitHub Actions, an e-mail address for people. */
  readonly identity: string | undefined;
  readonly issuer: string | undefined;
  /** `https://github.com/acme/app` */
  readonly sourceRepository: string | undefined;
  /** `refs/heads/main` */
  readonly sourceRef: string | undefined;
  readonly sourceDigest: string | undefined;
  /** The workflow that signed (job_workflow_ref): `https://github.com/acme/app/.github/workflows/ci.yml@refs/heads/main` */
  readonly signerWorkflow: string | undefined;
  /** The top-level workflow of the run (workflow_ref). */
  readonly buildConfig: string | undefined;
  readonly runnerEnvironment: string | undefined;
  readonly trigger: string | undefined;
  readonly runInvocation: string | undefined;
}

const OID = (n: number) => `1.3.6.1.4.1.57264.1.${n}`;

function v2(cert: X509Certificate, n: number): string | undefined {
  const ext = cert.extension(OID(n));
  if (ext === undefined) return undefined;
  try {
    const inner = ext.valueObj.subs[0];
    return inner === undefined ? undefined : inner.value.toString('utf8');
  } catch {
    return undefined;
  }
}

function legacy(cert: X509Certificate, n: number): string | undefined {
  return cert.extension(OID(n))?.value.toString('utf8');
}

export function signerFacts(cert: X509Certificate): SignerFacts {
  return {
    identity: cert.subjectAltName,
    issuer: v2(cert, 8) ?? legacy(cert, 1),
    sourceRepository: v2(cert, 12),
    sourceRef: v2(cert, 14),
    sourceDigest: v2(cert, 13),
    signerWorkflow: v2(cert, 9),
    buildConfig: v2(cert, 18),
    runnerEnvironment: v2(cert, 11),
    trigger: v2(cert, 20),
    runInvocation: v2(cert, 21),
  };
}
