export const id = 902;
export const ids = [902];
export const modules = {

/***/ 7902:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   verifyWithSigstoreJs: () => (/* binding */ verifyWithSigstoreJs)
/* harmony export */ });
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(7598);
/* harmony import */ var node_fs_promises__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(1455);
/* harmony import */ var _airlock_core__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(9715);
/* harmony import */ var _sigstore_bundle__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(1040);
/* harmony import */ var _sigstore_core__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(3917);
/* harmony import */ var _sigstore_protobuf_specs__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(9654);
/* harmony import */ var _sigstore_verify__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(4187);
/* harmony import */ var _certificate_js__WEBPACK_IMPORTED_MODULE_11__ = __webpack_require__(6203);
/* harmony import */ var _checks_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(1695);
/* harmony import */ var _digest_js__WEBPACK_IMPORTED_MODULE_8__ = __webpack_require__(5770);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_9__ = __webpack_require__(29);
/* harmony import */ var _prehash_js__WEBPACK_IMPORTED_MODULE_10__ = __webpack_require__(1913);












/**
 * Verification with sigstore-js (@sigstore/verify): every bundle native verification (native.ts) does not accept
 * comes here, so this path decides every refusal and its reason, and accepts what the native path does not cover
 * (Rekor v2 entries, RFC 3161 timestamps, certificate chains in the bundle, managed keys, digests without the file).
 * It is loaded on demand, which keeps sigstore-js out of the verify action's start-up when the native path accepts.
 *
 * Cryptographic checks are @sigstore/verify's (certificate chain at the signing time, SCTs, transparency-log
 * inclusion and body, RFC 3161 timestamps, signature). Identity checks are Airlock's own and exact (checks.ts).
 */
const materials = new WeakMap();
/** sigstore-js's view of a trusted root, built on first use. */
function trustMaterial(trust) {
    let material = materials.get(trust);
    if (material === undefined) {
        try {
            const key = trust.publicKey;
            material = (0,_sigstore_verify__WEBPACK_IMPORTED_MODULE_6__/* .toTrustMaterial */ .jO)(_sigstore_protobuf_specs__WEBPACK_IMPORTED_MODULE_5__.TrustedRoot.fromJSON(trust.root), key === undefined ? {} : () => ({ publicKey: key, validFor: () => true }));
        }
        catch (cause) {
            throw new _errors_js__WEBPACK_IMPORTED_MODULE_9__/* .SigningError */ .u('trusted-root-invalid', `${trust.source}: ${cause.message}`, { cause });
        }
        materials.set(trust, material);
    }
    return material;
}
function parseBundle({ json, version }, source) {
    try {
        const bundle = (0,_sigstore_bundle__WEBPACK_IMPORTED_MODULE_3__/* .bundleFromJSON */ .vw)(json);
        (0,_sigstore_bundle__WEBPACK_IMPORTED_MODULE_3__/* .assertBundle */ .DU)(bundle);
        return bundle;
    }
    catch (cause) {
        throw (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('bundle-malformed', `${source}: not a valid ${version} bundle: ${cause.message}`, cause);
    }
}
async function verifyWithSigstoreJs(request, parsed) {
    const { source, artifact, trust, policy } = request;
    const { mediaType, version } = parsed;
    const bundle = parseBundle(parsed, source);
    const material = bundle.verificationMaterial.content;
    // The key: a Fulcio certificate (chain or single) or, in managed-key mode only, a key hint.
    if (material.$case === 'publicKey' && !request.keyMode) {
        throw (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('certificate-untrusted', `${source} is signed with a key, not a certificate; it carries no identity to check against the policy`);
    }
    if (material.$case !== 'publicKey' && request.keyMode) {
        throw (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('key-mismatch', `${source} is signed with a certificate, not with the given key`);
    }
    if (material.$case === 'x509CertificateChain') {
        for (const cert of material.x509CertificateChain.certificates.slice(1)) {
            const parsed = _sigstore_core__WEBPACK_IMPORTED_MODULE_4__.X509Certificate.parse(Buffer.from(cert.rawBytes));
            if (parsed.isCA && parsed.subject.equals(parsed.issuer)) {
                throw (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('certificate-untrusted', `${source} includes a root certificate in its chain; roots come only from the trusted root`);
            }
        }
    }
    let entity;
    try {
        entity = (0,_sigstore_verify__WEBPACK_IMPORTED_MODULE_6__/* .toSignedEntity */ .DC)(bundle, Buffer.alloc(0));
    }
    catch (cause) {
        throw (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('bundle-malformed', `${source}: ${cause.message}`, cause);
    }
    // The artifact digest. For a blob signature over a file of ordinary size, the same read also checks the signature
    // with Node's native verifier (two hashes in one pass beat loading a JavaScript curve implementation); a large file
    // is hashed once and its signature checked against the digest.
    const key = bundleKey(entity, request.trust);
    let sha256;
    let fileSignatureOk;
    if (artifact.kind === 'file') {
        const label = artifact.label ?? artifact.path;
        const size = await (0,node_fs_promises__WEBPACK_IMPORTED_MODULE_1__.stat)(artifact.path).then((s) => s.size, () => 0);
        if (bundle.content.$case === 'messageSignature' && key !== undefined && size <= _checks_js__WEBPACK_IMPORTED_MODULE_7__/* .NATIVE_VERIFY_MAX_BYTES */ .nU) {
            const both = await (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .hashAndVerify */ .xt)(artifact.path, label, key, bundle.content.messageSignature.signature);
            sha256 = both.digest;
            fileSignatureOk = both.ok;
        }
        else {
            sha256 = Buffer.from((await (0,_digest_js__WEBPACK_IMPORTED_MODULE_8__/* .sha256File */ .Q3)(artifact.path, label)).digest, 'hex');
        }
    }
    if (artifact.kind === 'digest')
        sha256 = Buffer.from(artifact.sha256, 'hex');
    let statement;
    if (bundle.content.$case === 'messageSignature') {
        const { messageDigest, signature } = bundle.content.messageSignature;
        if (artifact.kind === 'none')
            throw (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('artifact-mismatch', `${source} is a blob signature: give the artifact or its digest`);
        if (messageDigest.algorithm !== 1 /* SHA2_256 */ || messageDigest.digest.byteLength !== 32) {
            throw (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('bundle-malformed', `${source}: only SHA-256 message digests are supported`);
        }
        if (!sha256.equals(messageDigest.digest)) {
            throw (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('artifact-mismatch', `${artifact.kind === 'file' ? (artifact.label ?? artifact.path) : `sha256:${artifact.sha256}`} does not match ${source}: the artifact has sha256 ${sha256.toString('hex')} but the bundle signed ${messageDigest.digest.toString('hex')} (the artifact was modified, or this is another artifact's bundle)`);
        }
        // The signature is over the artifact's digest: check it against the digest (never re-reading the artifact),
        // with the key the bundle names; the verifier below accepts the answer only for that same key.
        let ok = fileSignatureOk;
        if (ok === undefined && key !== undefined)
            ok = await (0,_prehash_js__WEBPACK_IMPORTED_MODULE_10__/* .verifyPrehashed */ ._)(key, messageDigest.digest, signature);
        if (ok === undefined && key !== undefined && artifact.kind === 'file')
            ok = await (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .verifyOverFile */ .kr)(key, artifact.path, signature);
        if (ok === undefined) {
            throw (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('signature-invalid', `${source}: a ${key?.asymmetricKeyType ?? 'unknown'} signature cannot be verified against a digest alone; give the artifact file instead`);
        }
        entity = { ...entity, signature: digestContent(messageDigest.digest, signature, key, ok) };
    }
    else {
        const envelope = bundle.content.dsseEnvelope;
        if (envelope.signatures.length !== 1) {
            throw (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('signature-invalid', `${source}: a DSSE envelope must carry exactly one signature; it has ${envelope.signatures.length}`);
        }
        statement = (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .parseStatement */ .By)(envelope.payloadType, envelope.payload, source);
        if (sha256 !== undefined) {
            const hex = sha256.toString('hex');
            const found = statement.subject.some((s) => s.digest.sha256?.toLowerCase() === hex);
            if (!found) {
                throw (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('subject-not-in-statement', `${artifact.kind === 'file' ? (artifact.label ?? artifact.path) : `sha256:${hex}`} (sha256 ${hex}) is not a subject of the attestation in ${source} (${statement.subject.length} subject(s)); the artifact was modified or the attestation is for other artifacts`);
            }
        }
        if (request.predicateType !== undefined && statement.predicateType !== request.predicateType) {
            throw (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('predicate-type-mismatch', `${source}: the attestation's predicate type is ${(0,_airlock_core__WEBPACK_IMPORTED_MODULE_2__/* .quote */ .hD)(statement.predicateType)}, not ${(0,_airlock_core__WEBPACK_IMPORTED_MODULE_2__/* .quote */ .hD)(request.predicateType)}`);
        }
    }
    // The signature itself first, so a modified signature is reported as such rather than as a log or timestamp
    // mismatch (the verifier below checks it again, with the key it trusts).
    const leafKey = signingKey(entity);
    if (leafKey !== undefined && !entity.signature.verifySignature(leafKey)) {
        throw (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('signature-invalid', `${source}: the signature does not verify with the certificate's key`);
    }
    // An inclusion proof's own root hash and tree size must be the checkpoint's: sigstore-js proves inclusion against
    // the signed checkpoint and ignores these two fields, so a bundle could otherwise carry a root no log signed.
    for (const entry of entity.tlogEntries)
        checkProofMatchesCheckpoint(entry, source);
    // Cryptography: certificate chain and validity at the signing time, SCTs, logs, timestamps, signature.
    // A certificate is valid for minutes, so a keyless bundle needs a verified time (an SET's integrated time or an
    // RFC 3161 timestamp) to place the signature inside that window. A managed key given with --key has no validity
    // window, so it needs none: a Rekor v2 entry (checkpoint and inclusion proof, no integrated time) without a
    // timestamp still proves the signature was logged. Every timestamp a bundle does carry is verified either way, and
    // the transparency-log entry is still required whenever the trusted root names a log.
    const verifier = new _sigstore_verify__WEBPACK_IMPORTED_MODULE_6__/* .Verifier */ .BL(trustMaterial(trust), {
        tlogThreshold: trust.counts.tlogs > 0 ? 1 : 0,
        ctlogThreshold: trust.counts.ctlogs > 0 && !request.keyMode ? 1 : 0,
        timestampThreshold: request.keyMode ? 0 : 1,
    });
    let signerKey;
    try {
        signerKey = verifier.verify(entity);
    }
    catch (error) {
        throw translate(error, source, entity);
    }
    // Identity policy, exactly.
    let facts;
    if (entity.key.$case === 'certificate') {
        facts = (0,_certificate_js__WEBPACK_IMPORTED_MODULE_11__/* .signerFacts */ .K)(entity.key.certificate);
        (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .checkPolicy */ .hM)(facts, policy, source);
    }
    else if (signerKey.identity !== undefined) {
        facts = undefined;
    }
    const tlog = entity.tlogEntries.map((e) => ({
        logIndex: Number(e.logIndex),
        integratedTime: Number(e.integratedTime) > 0 ? new Date(Number(e.integratedTime) * 1000) : undefined,
        logId: Buffer.from(e.logId.keyId).toString('hex'),
    }));
    const timestamps = entity.timestamps.flatMap((t) => t.$case === 'timestamp-authority' ? [t.timestamp.signingTime] : []);
    return {
        source,
        mediaType,
        version,
        content: bundle.content.$case === 'dsseEnvelope' ? 'dsse' : 'message-signature',
        sha256: sha256?.toString('hex'),
        signer: facts,
        tlog,
        timestamps,
        statement,
    };
}
function signingKey(entity) {
    if (entity.key.$case !== 'certificate')
        return undefined;
    return (0,node_crypto__WEBPACK_IMPORTED_MODULE_0__.createPublicKey)({ key: entity.key.certificate.publicKey, format: 'der', type: 'spki' });
}
/** The key a bundle is signed with: its certificate's, or the managed key for a key hint. */
function bundleKey(entity, trust) {
    if (entity.key.$case === 'certificate')
        return signingKey(entity);
    try {
        return trustMaterial(trust).publicKey(entity.key.hint).publicKey;
    }
    catch {
        return undefined;
    }
}
/**
 * Signature content over a message digest whose signature was already checked (asynchronously, above): the verifier
 * gets that answer only when it asks about the same key.
 */
function digestContent(digest, signature, checkedKey, ok) {
    return {
        signature,
        compareSignature: (other) => other.equals(signature),
        compareDigest: (other) => other.equals(digest),
        compareSignedDigest: (other) => other.equals(digest),
        verifySignature: (key) => key.equals(checkedKey) && ok,
    };
}
function translate(error, source, entity) {
    if (error instanceof _errors_js__WEBPACK_IMPORTED_MODULE_9__/* .SigningError */ .u)
        return error;
    if (!(error instanceof _sigstore_verify__WEBPACK_IMPORTED_MODULE_6__/* .VerificationError */ .mk))
        return (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('signature-invalid', `${source}: ${error.message}`, error);
    const message = error.message;
    const code = error.code;
    if (code === 'TLOG_ERROR' && /expected \d+ tlog entries, got 0/.test(message)) {
        return (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('tlog-missing', `${source} has no transparency-log entry; a signature that was never logged is refused`, error);
    }
    if (code.startsWith('TLOG'))
        return (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('tlog-invalid', `${source}: transparency-log entry does not verify: ${message}`, error);
    if (code === 'TIMESTAMP_ERROR')
        return (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('timestamp-invalid', `${source}: ${message}`, error);
    if (code === 'CERTIFICATE_ERROR') {
        const cert = entity.key.$case === 'certificate' ? entity.key.certificate : undefined;
        const times = entity.timestamps.map((t) => t.$case === 'transparency-log' ? new Date(Number(t.tlogEntry.integratedTime) * 1000) : t.timestamp.signingTime);
        if (cert !== undefined && times.some((t) => t < cert.notBefore || t > cert.notAfter)) {
            return (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('certificate-expired', `${source}: the signing certificate (valid ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}) was not valid when the signature was logged or timestamped (${times.map((t) => t.toISOString()).join(', ')})`, error);
        }
        return (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('certificate-untrusted', `${source}: the signing certificate does not chain to the trusted root: ${message}`, error);
    }
    if (code === 'PUBLIC_KEY_ERROR')
        return (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('key-mismatch', `${source}: ${message}`, error);
    return (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('signature-invalid', `${source}: ${message}`, error);
}
function checkProofMatchesCheckpoint(entry, source) {
    const proof = entry.inclusionProof;
    if (proof === undefined)
        return;
    const envelope = proof.checkpoint?.envelope ?? '';
    const [note] = envelope.split('\n\n');
    const [, size, root] = (note ?? '').split('\n');
    if (size === undefined || root === undefined || !/^\d+$/.test(size)) {
        throw (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('tlog-invalid', `${source}: transparency-log entry does not verify: malformed checkpoint`);
    }
    if (size !== String(proof.treeSize) || !Buffer.from(root, 'base64').equals(Buffer.from(proof.rootHash))) {
        throw (0,_checks_js__WEBPACK_IMPORTED_MODULE_7__/* .fail */ .fJ)('tlog-invalid', `${source}: transparency-log entry does not verify: the inclusion proof's tree (size ${String(proof.treeSize)}) is not the one its checkpoint signs (size ${size})`);
    }
}


/***/ })

};
