import { createHash } from 'node:crypto';
import { SigningError } from './errors.ts';

/** node:fs/promises on first use: loading it costs a verifier's start-up ~3 ms when the artifact is read another way. */
export const fsp = (): typeof import('node:fs/promises') => process.getBuiltinModule('node:fs/promises');

/** A SHA-256 digest as 64 lowercase hex digits. */
export type Sha256Hex = string;

export const SHA256_HEX = /^[0-9a-f]{64}$/;

/** How much of a file is read at a time. Large reads keep the hash fed; 1 MiB measured best (bench/sign). */
export const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * The SHA-256 of a file, read in chunks into one reused buffer: memory stays flat whatever the file size (1 GiB
 * artifacts are hashed at the speed of `sha256sum`, see bench/sign). `label` is how errors name the file.
 */
export async function sha256File(path: string, label = path): Promise<{ digest: Sha256Hex; size: number }> {
  let handle: import('node:fs/promises').FileHandle;
  try {
    handle = await fsp().open(path, 'r');
  } catch (cause) {
    throw new SigningError('subject-unreadable', `cannot read ${label}: ${errnoText(cause)}`, { cause });
  }
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    let size = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, null);
      if (bytesRead === 0) break;
      hash.update(bytesRead === buffer.byteLength ? buffer : buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { digest: hash.digest('hex'), size };
  } catch (cause) {
    throw new SigningError('subject-unreadable', `cannot read ${label}: ${errnoText(cause)}`, { cause });
  } finally {
    await handle.close();
  }
}

export function sha256Bytes(data: Uint8Array | string): Sha256Hex {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Parse `sha256:<64 hex>` (or bare 64 hex digits when `bare` is allowed). Returns undefined when the text is not a
 * SHA-256 digest; callers turn that into an error naming their input.
 */
export function parseSha256(text: string, options: { bare?: boolean } = {}): Sha256Hex | undefined {
  const value = text.trim();
  const match = /^sha256:([0-9a-fA-F]{64})$/.exec(value);
  if (match) return (match[1] as string).toLowerCase();
  if (options.bare && /^[0-9a-fA-F]{64}$/.test(value)) return value.toLowerCase();
  return undefined;
}

export function errnoText(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return code ?? (cause instanceof Error ? cause.message : String(cause));
}

/** Run `fn` over `items` with at most `limit` in flight, keeping the order of results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>) {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
