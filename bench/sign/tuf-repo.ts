/**
 * A minimal TUF repository on loopback serving one target, trusted_root.json, so that sigstore-js's verify (and
 * @sigstore/cli), which always refreshes TUF, can verify loopback-signed bundles offline. Metadata is signed with an
 * ed25519 key over canonical JSON, as the TUF specification (1.0.31) requires; tuf-js checks it.
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LoopbackServer, listen } from '@airlock/testkit';

const canonical = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
};

export async function startTufRepo(
  trustedRoot: string,
  dir: string,
): Promise<{ url: string; rootPath: string; server: LoopbackServer }> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = (publicKey.export({ format: 'der', type: 'spki' }) as Buffer).subarray(-32).toString('hex');
  const key = { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: raw } };
  const keyid = createHash('sha256').update(canonical(key)).digest('hex');
  const expires = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const base = { spec_version: '1.0.31', version: 1, expires };
  const signed = (body: object) => {
    const s = { ...base, ...body };
    return {
      signed: s,
      signatures: [{ keyid, sig: sign(null, Buffer.from(canonical(s)), privateKey).toString('hex') }],
    };
  };
  const role = { keyids: [keyid], threshold: 1 };
  const target = Buffer.from(trustedRoot);
  const files: Record<string, Buffer> = {
    '/1.root.json': Buffer.from(
      JSON.stringify(
        signed({
          _type: 'root',
          consistent_snapshot: false,
          keys: { [keyid]: key },
          roles: { root: role, snapshot: role, targets: role, timestamp: role },
        }),
      ),
    ),
    '/targets.json': Buffer.from(
      JSON.stringify(
        signed({
          _type: 'targets',
          targets: {
            'trusted_root.json': {
              length: target.byteLength,
              hashes: { sha256: createHash('sha256').update(target).digest('hex') },
            },
          },
        }),
      ),
    ),
    '/targets/trusted_root.json': target,
  };
  files['/snapshot.json'] = Buffer.from(
    JSON.stringify(signed({ _type: 'snapshot', meta: { 'targets.json': { version: 1 } } })),
  );
  files['/timestamp.json'] = Buffer.from(
    JSON.stringify(signed({ _type: 'timestamp', meta: { 'snapshot.json': { version: 1 } } })),
  );
  const rootPath = join(dir, 'tuf-root.json');
  writeFileSync(rootPath, files['/1.root.json'] as Buffer);
  const server = await listen((req, res) => {
    const body = files[(req.url ?? '/').split('?')[0] as string];
    if (body === undefined) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.byteLength });
    res.end(body);
  });
  return { url: server.origin, rootPath, server };
}
