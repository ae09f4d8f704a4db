import type * as Zlib from 'node:zlib';
import { RedactError } from './errors.ts';

/** node:zlib, loaded when an archive is first read or written (redacting a stream never needs it). */
const zlib = (): typeof Zlib => process.getBuiltinModule('node:zlib');

/**
 * Just enough of zip, tar and gzip to scan the text members of build artifacts and write redacted copies, with limits
 * against archive bombs: every member's decompressed size, the archive's total, the compression ratio of large
 * members, the member count and the nesting depth are bounded, and a limit exceeded is an error (an archive that
 * cannot be scanned is not silently passed).
 */
export interface ArchiveLimits {
  /** Decompressed bytes of one member (default 64 MiB). */
  readonly maxMemberBytes: number;
  /** Decompressed bytes of one archive, nested members included (default 512 MiB). */
  readonly maxTotalBytes: number;
  /** Decompressed/compressed ratio of a member (or gzip stream) over 1 MiB (default 200). */
  readonly maxRatio: number;
  /** Members per archive (default 10 000). */
  readonly maxMembers: number;
  /** Archives inside archives (default 3). */
  readonly maxDepth: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxMemberBytes: 64 * 2 ** 20,
  maxTotalBytes: 512 * 2 ** 20,
  maxRatio: 200,
  maxMembers: 10_000,
  maxDepth: 3,
};

export type ArchiveKind = 'zip' | 'tar' | 'gzip';

export interface Member {
  readonly name: string;
  readonly data: Buffer;
  /** For tar: the raw header blocks (pax/GNU long-name headers included) to rewrite the member. */
  readonly tarHeaders?: readonly Buffer[];
  /** For zip: the entry's modification time and external attributes, kept when rewriting. */
  readonly zipMeta?: { readonly time: number; readonly date: number; readonly external: number; readonly made: number };
  readonly directory?: boolean;
}

const UNSUPPORTED: ReadonlyArray<readonly [string, readonly number[]]> = [
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['bzip2', [0x42, 0x5a, 0x68]], // then a block size digit and the block magic, checked below
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['7z', [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]],
  ['rar', [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07]],
  ['lz4', [0x04, 0x22, 0x4d, 0x18]],
];

/** A compressed format whose content cannot be scanned (its name), or undefined. */
export function unsupportedCompression(head: Uint8Array): string | undefined {
  const found = UNSUPPORTED.find(([, magic]) => magic.every((b, i) => head[i] === b))?.[0];
  if (found === 'bzip2') {
    const pi = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
    const digit = head[3] ?? 0;
    return digit >= 0x31 && digit <= 0x39 && pi.every((b, i) => head[4 + i] === b) ? found : undefined;
  }
  return found;
}

export function archiveKind(name: string, head: Uint8Array): ArchiveKind | undefined {
  if (
    head[0] === 0x50 &&
    head[1] === 0x4b &&
    (head[2] === 0x03 || head[2] === 0x05) &&
    (head[3] === 0x04 || head[3] === 0x06)
  ) {
    return 'zip';
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 262 && Buffer.from(head.subarray(257, 262)).toString('latin1') === 'ustar') return 'tar';
  if (/\.tar$/i.test(name) && head.length >= 512 && validTarChecksum(Buffer.from(head.subarray(0, 512)))) return 'tar';
  return undefined;
}

/** An archive (or member) that cannot be scanned; `path` names it (`dist/app.zip!/config/app.env`). */
export class ArchiveError extends RedactError {
  readonly path: string;
  constructor(code: 'archive-limit' | 'archive-invalid', path: string, detail: string) {
    super(code, `${path}: ${detail}`);
    this.path = path;
  }
}

const bomb = (what: string, detail: string) =>
  new ArchiveError(
    'archive-limit',
    what,
    `${detail}; not scanned (a possible archive bomb; raise the limit if it is expected)`,
  );
const invalid = (what: string, detail: string) => new ArchiveError('archive-invalid', what, detail);

function checkRatio(what: string, compressed: number, decompressed: number, limits: ArchiveLimits): void {
  if (decompressed > 2 ** 20 && decompressed > compressed * limits.maxRatio) {
    throw bomb(what, `decompresses ${compressed} bytes to ${decompressed} (over ${limits.maxRatio}:1)`);
  }
}

function inflate(what: string, data: Buffer, method: 'raw' | 'gzip', max: number): Buffer {
  try {
    return method === 'raw'
      ? zlib().inflateRawSync(data, { maxOutputLength: max + 1 })
      : zlib().gunzipSync(data, { maxOutputLength: max + 1 });
  } catch (error) {
    if (error instanceof RangeError || (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw bomb(what, `decompresses to more than ${max} bytes`);
    }
    throw invalid(what, `corrupt compressed data (${(error as Error).message})`);
  }
}

export function gunzip(what: string, data: Buffer, limits: ArchiveLimits, budget: number): Buffer {
  const max = Math.min(limits.maxTotalBytes, budget);
  const out = inflate(what, data, 'gzip', max);
  if (out.length > max) throw bomb(what, `decompresses to more than ${max} bytes`);
  checkRatio(what, data.length, out.length, limits);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// zip

const EOCD = 0x06054b50;
const ZIP64_EOCD = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export function readZip(what: string, buf: Buffer, limits: ArchiveLimits, budget: number): Member[] {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw invalid(what, 'no zip end-of-central-directory record');
  let count = buf.readUInt16LE(eocd + 10);
  let cdOffset = buf.readUInt32LE(eocd + 16);
  if ((count === 0xffff || cdOffset === 0xffffffff) && eocd >= 20 && buf.readUInt32LE(eocd - 20) === ZIP64_LOCATOR) {
    const z = Number(buf.readBigUInt64LE(eocd - 12));
    if (z + 56 > buf.length || buf.readUInt32LE(z) !== ZIP64_EOCD) throw invalid(what, 'bad zip64 end record');
    count = Number(buf.readBigUInt64LE(z + 32));
    cdOffset = Number(buf.readBigUInt64LE(z + 48));
  }
  if (count > limits.maxMembers) throw bomb(what, `${count} members (over ${limits.maxMembers})`);
  const members: Member[] = [];
  let total = 0;
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL)
      throw invalid(what, `central directory entry ${i + 1} is corrupt`);
    const flags = buf.readUInt16LE(p + 8);
    const method = buf.readUInt16LE(p + 10);
    const time = buf.readUInt16LE(p + 12);
    const date = buf.readUInt16LE(p + 14);
    let compressed = buf.readUInt32LE(p + 20);
    let size = buf.readUInt32LE(p + 24);
    const nameLength = buf.readUInt16LE(p + 28);
    const extraLength = buf.readUInt16LE(p + 30);
    const commentLength = buf.readUInt16LE(p + 32);
    const made = buf.readUInt16LE(p + 4);
    const external = buf.readUInt32LE(p + 38);
    let local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLength).toString(flags & 0x800 ? 'utf8' : 'latin1');
    // zip64 extra field: the 0xFFFFFFFF fields, in order.
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = buf.readUInt16LE(e);
      const length = buf.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let f = e + 4;
        if (size === 0xffffffff) {
          size = Number(buf.readBigUInt64LE(f));
          f += 8;
        }
        if (compressed === 0xffffffff) {
          compressed = Number(buf.readBigUInt64LE(f));
          f += 8;
        }
        if (local === 0xffffffff) local = Number(buf.readBigUInt64LE(f));
      }
      e += 4 + length;
    }
    p = extraEnd + commentLength;
    const entry = `${what}!/${name}`;
    if (name.endsWith('/')) {
      members.push({ name, data: Buffer.alloc(0), directory: true, zipMeta: { time, date, external, made } });
      continue;
    }
    if (flags & 0x1) throw invalid(entry, 'is encrypted and cannot be scanned');
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== LOCAL) throw invalid(entry, 'local header is corrupt');
    const dataStart = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    if (dataStart + compressed > buf.length) throw invalid(entry, 'is truncated');
    const raw = buf.subarray(dataStart, dataStart + compressed);
    const max = Math.min(limits.maxMemberBytes, budget - total);
    if (size > max) throw bomb(entry, `declares ${size} bytes (over ${max})`);
    let data: Buffer;
    if (method === 0) data = raw;
    else if (method === 8) data = inflate(entry, raw, 'raw', max);
    else throw invalid(entry, `uses compression method ${method}; only stored and deflate are supported`);
    if (data.length > max) throw bomb(entry, `decompresses to more than ${max} bytes`);
    if (data.length !== size) throw invalid(entry, `decompresses to ${data.length} bytes, not the ${size} declared`);
    checkRatio(entry, compressed, data.length, limits);
    total += data.length;
    members.push({ name, data, zipMeta: { time, date, external, made } });
  }
  return members;
}

export function writeZip(members: readonly Member[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8');
    const data = m.directory ? Buffer.alloc(0) : m.data;
    const compressed = data.length > 0 ? zlib().deflateRawSync(data) : data;
    const method = data.length > 0 ? 8 : 0;
    const crc = zlib().crc32(data);
    const meta = m.zipMeta ?? { time: 0, date: 0x21, external: 0, made: 20 };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(meta.time, 10);
    local.writeUInt16LE(meta.date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, compressed);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(CENTRAL, 0);
    central.writeUInt16LE(meta.made, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(meta.time, 12);
    central.writeUInt16LE(meta.date, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(meta.external, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + compressed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(EOCD, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

// ---------------------------------------------------------------------------------------------------------------
// tar (ustar, pax and GNU long names)

function validTarChecksum(header: Buffer): boolean {
  const stored = Number.parseInt(header.subarray(148, 156).toString('latin1').replace(/\0.*$/s, '').trim(), 8);
  if (!Number.isFinite(stored)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] as number);
  return sum === stored;
}

function octal(field: Buffer): number {
  if ((field[0] as number) & 0x80) {
    // GNU base-256 for large sizes
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] as number);
    return n;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return text === '' ? 0 : Number.parseInt(text, 8);
}

const cstring = (field: Buffer) => field.toString('utf8').replace(/\0.*$/s, '');

function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let p = 0;
  while (p < data.length) {
    const space = data.indexOf(0x20, p);
    if (space < 0) break;
    const length = Number.parseInt(data.subarray(p, space).toString('latin1'), 10);
    if (!Number.isFinite(length) || length <= 0) break;
    const record = data.subarray(space + 1, p + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    p += length;
  }
  return out;
}

export function readTar(what: string, buf: Buffer, limits: ArchiveLimits, budget: number): Member[] {
  const members: Member[] = [];
  let p = 0;
  let pending: Buffer[] = [];
  let longName: string | undefined;
  let pax = new Map<string, string>();
  let total = 0;
  while (p + 512 <= buf.length) {
    const header = buf.subarray(p, p + 512);
    if (header.every((b) => b === 0)) break;
    if (!validTarChecksum(header)) throw invalid(what, `tar header at byte ${p} has a bad checksum`);
    const type = String.fromCharCode(header[156] as number);
    let size = octal(header.subarray(124, 136));
    if (type !== 'x' && type !== 'g' && pax.has('size')) size = Number(pax.get('size'));
    const blocks = Math.ceil(size / 512) * 512;
    if (p + 512 + size > buf.length) throw invalid(what, `tar member at byte ${p} is truncated`);
    const data = buf.subarray(p + 512, p + 512 + size);
    const raw = buf.subarray(p, p + 512 + blocks);
    p += 512 + blocks;
    if (type === 'x' || type === 'g' || type === 'L') {
      if (type === 'x') pax = parsePax(data);
      if (type === 'L') longName = cstring(data);
      pending.push(raw);
      continue;
    }
    const prefix = cstring(header.subarray(345, 500));
    const name =
      pax.get('path') ??
      longName ??
      (prefix ? `${prefix}/${cstring(header.subarray(0, 100))}` : cstring(header.subarray(0, 100)));
    const before = pending;
    pending = [];
    longName = undefined;
    pax = new Map();
    if (members.length >= limits.maxMembers) throw bomb(what, `more than ${limits.maxMembers} members`);
    if (type !== '0' && type !== '\0' && type !== '7') {
      // Directories, links, devices: kept verbatim (headers and any data blocks).
      members.push({ name, data: Buffer.alloc(0), tarHeaders: [...before, Buffer.from(raw)], directory: true });
      continue;
    }
    const headers = [...before, Buffer.from(header)];
    const max = Math.min(limits.maxMemberBytes, budget - total);
    if (size > max) throw bomb(`${what}!/${name}`, `${size} bytes (over ${max})`);
    total += size;
    members.push({ name, data: Buffer.from(data), tarHeaders: headers });
  }
  return members;
}

function checksum(header: Buffer): void {
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += header[i] as number;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length)
    length = String(length).length + Buffer.byteLength(body);
  return `${length}${body}`;
}

/** A ustar header for a new regular file (a pax header first, pushed to `parts`, when the name does not fit). */
function ustarHeader(name: string, parts: Buffer[]): Buffer {
  const header = Buffer.alloc(512);
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length > 100) {
    const body = Buffer.from(paxRecord('path', name), 'utf8');
    const pax = Buffer.alloc(512);
    pax.write('PaxHeader', 0, 'latin1');
    pax.write('0000644\0', 100, 'latin1');
    pax.write('0000000\0', 108, 'latin1');
    pax.write('0000000\0', 116, 'latin1');
    pax.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    pax.write('00000000000\0', 136, 'latin1');
    pax.write('x', 156, 'latin1');
    pax.write('ustar\0' + '00', 257, 'latin1');
    checksum(pax);
    parts.push(pax, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  bytes.subarray(0, 100).copy(header, 0);
  header.write('0000644\0', 100, 'latin1');
  header.write('0000000\0', 108, 'latin1');
  header.write('0000000\0', 116, 'latin1');
  header.write('00000000000\0', 136, 'latin1');
  header.write('0', 156, 'latin1');
  header.write('ustar\0' + '00', 257, 'latin1');
  return header;
}

/** Re-emits a tar with each member's (possibly changed) data, keeping its headers; sizes and checksums updated. */
export function writeTar(members: readonly Member[]): Buffer {
  const parts: Buffer[] = [];
  const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);
  for (const m of members) {
    const headers = m.tarHeaders ?? [];
    if (m.directory) {
      parts.push(...headers);
      continue;
    }
    for (const h of headers.slice(0, -1)) {
      // A pax header may carry a size; drop it (the ustar size below is authoritative when it fits).
      const type = String.fromCharCode(h[156] as number);
      if (type === 'x') {
        const records = parsePax(h.subarray(512, 512 + octal(h.subarray(124, 136))));
        records.delete('size');
        const body = Buffer.from([...records].map(([k, v]) => paxRecord(k, v)).join(''), 'utf8');
        const header = Buffer.from(h.subarray(0, 512));
        header.write(body.length.toString(8).padStart(11, '0'), 124, 'latin1');
        checksum(header);
        parts.push(header, body, pad(body.length));
      } else {
        parts.push(h);
      }
    }
    const header = Buffer.from(headers.at(-1) ?? ustarHeader(m.name, parts));
    header.write(`${m.data.length.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
    checksum(header);
    parts.push(header, m.data, pad(m.data.length));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
