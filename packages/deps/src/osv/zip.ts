/**
 * A small, defensive reader for ZIP archives (PKWARE APPNOTE 6.3), enough for OSV's `all.zip` exports: the central
 * directory (ZIP64 included), stored and deflated entries, CRC-32 checked. It reads an archive that is already in
 * memory and never writes anything, and it refuses what a hostile archive could use against the scanner:
 *
 * - zip bombs: an entry whose uncompressed size is more than `maxRatio` times its compressed size (above a small
 *   floor), more than `maxEntryBytes`, or archives whose entries add up to more than `maxTotalBytes`; inflation is
 *   bounded by the declared size, so a lying header cannot make it produce more;
 * - path traversal: entry names with `/`, `\`, `..`, a drive letter or control characters (an OSV export is flat);
 * - inconsistent headers: local headers that disagree with the central directory, entries outside the file,
 *   overlapping entries, unknown compression methods, encryption.
 */
import { createHash } from 'node:crypto';
import { constants, crc32, deflateRawSync, InflateRaw, inflateRawSync } from 'node:zlib';
import { DepsError } from '../model.ts';

export interface ZipLimits {
  /** Most entries an archive may hold. */
  readonly maxEntries?: number;
  /** Largest uncompressed entry. */
  readonly maxEntryBytes?: number;
  /** Largest sum of uncompressed entries. */
  readonly maxTotalBytes?: number;
  /** Largest uncompressed/compressed ratio, for entries above `ratioFloorBytes`. */
  readonly maxRatio?: number;
  readonly ratioFloorBytes?: number;
}

export const DEFAULT_ZIP_LIMITS: Required<ZipLimits> = {
  maxEntries: 2_000_000,
  maxEntryBytes: 16 * 1024 * 1024,
  maxTotalBytes: 8 * 1024 * 1024 * 1024,
  maxRatio: 100,
  ratioFloorBytes: 64 * 1024,
};

export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly crc: number;
  /** Offset of the local file header. */
  readonly offset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** The native raw-inflate handle behind a `zlib.InflateRaw` stream (Node's own, as `inflateRawSync` drives it). */
interface InflateHandle {
  writeSync(
    flush: number,
    input: Buffer,
    inOffset: number,
    inLength: number,
    output: Buffer,
    outOffset: number,
    outLength: number,
  ): void;
  reset(): void;
  onerror: (message: string, errno: number, code?: string) => void;
}

/**
 * One raw-inflate state reused for every entry of an archive. `inflateRawSync` builds a whole zlib stream object and
 * a fresh native state per call, which costs more than inflating a typical 1 KiB advisory (OSV exports hold tens of
 * thousands); this drives the same native inflater, reset between entries, with the same outcomes: errors carry
 * zlib's message and code, output beyond the declared size is detected, input after the end of the deflate stream
 * is ignored. Undefined when this Node.js does not expose the handle (then each entry uses `inflateRawSync`).
 */
class Inflater {
  readonly #handle: InflateHandle;
  readonly #state: Uint32Array;
  #error: { message: string; code: string | undefined } | undefined;

  private constructor(handle: InflateHandle, state: Uint32Array) {
    this.#handle = handle;
    this.#state = state;
    handle.onerror = (message, _errno, code) => {
      this.#error = { message, code };
    };
  }

  static create(): Inflater | undefined {
    const engine = new InflateRaw() as unknown as { _handle?: Partial<InflateHandle>; _writeState?: unknown };
    const handle = engine._handle;
    const state = engine._writeState;
    if (
      handle === undefined ||
      typeof handle.writeSync !== 'function' ||
      typeof handle.reset !== 'function' ||
      !(state instanceof Uint32Array) ||
      state.length < 2
    ) {
      return undefined;
    }
    return new Inflater(handle as InflateHandle, state);
  }

  /**
   * Inflate `data` into `out[0, limit)`: the bytes written, or `limit + 1` when the stream holds more than `limit`
   * bytes. Throws an Error with zlib's message and code when the data is not a valid raw deflate stream.
   */
  inflate(data: Buffer, out: Buffer, limit: number): number {
    const handle = this.#handle;
    this.#error = undefined;
    try {
      handle.writeSync(constants.Z_FINISH, data, 0, data.length, out, 0, limit);
      this.#check();
      let written = limit - (this.#state[0] as number);
      if (written === limit) {
        // The output is full: one more byte tells a stream of exactly `limit` bytes from a longer one.
        const probe = Buffer.allocUnsafe(1);
        const consumed = data.length - (this.#state[1] as number);
        handle.writeSync(constants.Z_FINISH, data, consumed, data.length - consumed, probe, 0, 1);
        this.#check();
        if ((this.#state[0] as number) === 0) written = limit + 1;
      }
      return written;
    } finally {
      this.#error = undefined;
      handle.reset();
    }
  }

  #check(): void {
    const error = this.#error;
    if (error !== undefined) throw Object.assign(new Error(error.message), { code: error.code });
  }
}

export class ZipReader {
  readonly #buf: Buffer;
  readonly #label: string;
  readonly #limits: Required<ZipLimits>;
  readonly entries: readonly ZipEntry[];
  #directory: Buffer = Buffer.alloc(0);
  #digest: string | undefined;
  #inflater: Inflater | null | undefined;
  #scratch: Buffer = Buffer.alloc(0);

  constructor(buf: Buffer, label: string, limits: ZipLimits = {}) {
    this.#buf = buf;
    this.#label = label;
    this.#limits = { ...DEFAULT_ZIP_LIMITS, ...limits };
    this.entries = this.#readDirectory();
  }

  /** sha256 of the central directory (names, sizes and CRC-32 of every entry): identifies the archive's content. */
  get directoryDigest(): string {
    this.#digest ??= createHash('sha256').update(this.#directory).digest('hex');
    return this.#digest;
  }

  #fail(message: string): never {
    throw new DepsError('db-corrupt', `${this.#label}: ${message}`);
  }

  #u16(at: number): number {
    if (at < 0 || at + 2 > this.#buf.length) this.#fail('truncated archive');
    return this.#buf.readUInt16LE(at);
  }

  #u32(at: number): number {
    if (at < 0 || at + 4 > this.#buf.length) this.#fail('truncated archive');
    return this.#buf.readUInt32LE(at);
  }

  #u64(at: number): number {
    if (at < 0 || at + 8 > this.#buf.length) this.#fail('truncated archive');
    const value = this.#buf.readBigUInt64LE(at);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) this.#fail('a ZIP64 size or offset is out of range');
    return Number(value);
  }

  #readDirectory(): ZipEntry[] {
    const buf = this.#buf;
    if (buf.length < 22) this.#fail('not a zip archive (too short)');
    let eocd = -1;
    for (let at = buf.length - 22; at >= Math.max(0, buf.length - 22 - 0xffff); at--) {
      if (buf.readUInt32LE(at) === EOCD && at + 22 + buf.readUInt16LE(at + 20) === buf.length) {
        eocd = at;
        break;
      }
    }
    if (eocd < 0) this.#fail('not a zip archive (no end-of-central-directory record)');
    let count = this.#u16(eocd + 10);
    let size = this.#u32(eocd + 12);
    let start = this.#u32(eocd + 16);
    if (count === 0xffff || size === 0xffffffff || start === 0xffffffff) {
      const locator = eocd - 20;
      if (locator < 0 || this.#u32(locator) !== ZIP64_LOCATOR) this.#fail('ZIP64 archive without a ZIP64 locator');
      const record = this.#u64(locator + 8);
      if (this.#u32(record) !== ZIP64_EOCD) this.#fail('bad ZIP64 end-of-central-directory record');
      count = this.#u64(record + 32);
      size = this.#u64(record + 40);
      start = this.#u64(record + 48);
    }
    if (count > this.#limits.maxEntries) {
      this.#fail(`${count} entries, more than the limit of ${this.#limits.maxEntries}`);
    }
    if (start + size > buf.length) this.#fail('the central directory lies outside the file');
    this.#directory = buf.subarray(start, start + size);
    const entries: ZipEntry[] = [];
    let total = 0;
    let at = start;
    for (let i = 0; i < count; i++) {
      if (this.#u32(at) !== CENTRAL) this.#fail(`central directory entry ${i + 1} is corrupt`);
      // The fixed part of the record, bounds-checked once (this loop runs for every entry of an export).
      if (at + 46 > buf.length) this.#fail('truncated archive');
      const flags = buf.readUInt16LE(at + 8);
      const method = buf.readUInt16LE(at + 10);
      const crc = buf.readUInt32LE(at + 16);
      let compressedSize = buf.readUInt32LE(at + 20);
      let uncompressed = buf.readUInt32LE(at + 24);
      const nameLength = buf.readUInt16LE(at + 28);
      const extraLength = buf.readUInt16LE(at + 30);
      const commentLength = buf.readUInt16LE(at + 32);
      let offset = buf.readUInt32LE(at + 42);
      if (at + 46 + nameLength > buf.length) this.#fail('truncated central directory');
      const name = buf.toString('utf8', at + 46, at + 46 + nameLength);
      // ZIP64 extended information: the 0xFFFFFFFF fields, in order.
      let extra = at + 46 + nameLength;
      const extraEnd = extra + extraLength;
      while (extra + 4 <= extraEnd) {
        const id = this.#u16(extra);
        const len = this.#u16(extra + 2);
        if (id === 0x0001) {
          let p = extra + 4;
          if (uncompressed === 0xffffffff) {
            uncompressed = this.#u64(p);
            p += 8;
          }
          if (compressedSize === 0xffffffff) {
            compressedSize = this.#u64(p);
            p += 8;
          }
          if (offset === 0xffffffff) offset = this.#u64(p);
        }
        extra += 4 + len;
      }
      at = extraEnd + commentLength;
      checkName(name, (message) => this.#fail(message));
      if (flags & 0x1) this.#fail(`${name}: encrypted entries are not supported`);
      if (method !== 0 && method !== 8) this.#fail(`${name}: unsupported compression method ${method}`);
      if (uncompressed > this.#limits.maxEntryBytes) {
        this.#fail(`${name}: ${uncompressed} bytes uncompressed, more than the limit of ${this.#limits.maxEntryBytes}`);
      }
      if (uncompressed > this.#limits.ratioFloorBytes && uncompressed > compressedSize * this.#limits.maxRatio) {
        this.#fail(
          `${name}: compression ratio ${Math.round(uncompressed / Math.max(1, compressedSize))}:1 exceeds ${this.#limits.maxRatio}:1 (a zip bomb?)`,
        );
      }
      total += uncompressed;
      if (total > this.#limits.maxTotalBytes) {
        this.#fail(`entries add up to more than ${this.#limits.maxTotalBytes} bytes uncompressed`);
      }
      if (offset + 30 + compressedSize > buf.length) this.#fail(`${name}: entry lies outside the file`);
      entries.push({ name, method, compressedSize, size: uncompressed, crc, offset });
    }
    return entries;
  }

  /** The uncompressed bytes of an entry, CRC-checked (a buffer of its own). */
  read(entry: ZipEntry): Buffer {
    return Buffer.from(this.view(entry));
  }

  /**
   * The uncompressed bytes of an entry, CRC-checked, valid only until the next call of `view` or `read` (deflated
   * entries are inflated into one reused buffer): for a caller that looks at each entry once, as a scan of a whole
   * export does, so that thousands of entries it does not keep allocate nothing.
   */
  view(entry: ZipEntry): Buffer {
    const buf = this.#buf;
    const at = entry.offset;
    if (this.#u32(at) !== LOCAL) this.#fail(`${entry.name}: bad local file header`);
    const nameLength = this.#u16(at + 26);
    const extraLength = this.#u16(at + 28);
    const localName = buf.toString('utf8', at + 30, at + 30 + nameLength);
    if (localName !== entry.name) this.#fail(`${entry.name}: local header names '${localName}'`);
    const dataStart = at + 30 + nameLength + extraLength;
    const data = buf.subarray(dataStart, dataStart + entry.compressedSize);
    if (data.length !== entry.compressedSize) this.#fail(`${entry.name}: truncated entry data`);
    let out: Buffer;
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.size) this.#fail(`${entry.name}: stored entry with mismatched sizes`);
      out = data;
    } else {
      // Bounded by the declared size (+1 to notice a header that understates it).
      const limit = Math.max(1, entry.size + 1);
      try {
        if (this.#inflater === undefined) this.#inflater = Inflater.create() ?? null;
        if (this.#inflater === null) {
          // One output chunk of the declared size: no 16 KiB default buffer per entry.
          out = inflateRawSync(data, { maxOutputLength: limit, chunkSize: Math.max(64, limit) });
        } else {
          if (this.#scratch.length < limit) this.#scratch = Buffer.allocUnsafe(Math.max(limit, 64 * 1024));
          const written = this.#inflater.inflate(data, this.#scratch, limit);
          if (written > limit) throw Object.assign(new Error('output too large'), { code: 'ERR_BUFFER_TOO_LARGE' });
          out = this.#scratch.subarray(0, written);
        }
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ERR_BUFFER_TOO_LARGE') {
          this.#fail(`${entry.name}: inflates to more than its declared ${entry.size} bytes (a zip bomb?)`);
        }
        this.#fail(`${entry.name}: cannot inflate (${(error as Error).message})`);
      }
    }
    if (out.length !== entry.size) {
      this.#fail(`${entry.name}: inflates to ${out.length} bytes, the directory says ${entry.size}`);
    }
    if (crc32(out) >>> 0 !== entry.crc >>> 0) this.#fail(`${entry.name}: CRC-32 mismatch`);
    return out;
  }
}

/** Entry names of a flat archive: no directories, no traversal, no absolute paths, no control characters. */
function checkName(name: string, fail: (message: string) => never): void {
  // One pass over the UTF-16 units (surrogates are never control characters); this runs for every entry.
  let bad = name === '' || name === '.' || name === '..' || /^[A-Za-z]:/.test(name);
  for (let i = 0; !bad && i < name.length; i++) {
    const c = name.charCodeAt(i);
    bad = c < 0x20 || c === 0x7f || c === 0x2f /* / */ || c === 0x5c /* \\ */;
  }
  if (bad) {
    fail(`refusing entry name '${name.slice(0, 80).replace(/[\r\n]/g, '⏎')}' (path traversal or not a flat file name)`);
  }
}

/** Writes a ZIP archive (stored or deflated entries). For tests and benchmarks that need exports of their own. */
export function writeZip(files: ReadonlyArray<{ name: string; data: Buffer | string; store?: boolean }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const data = typeof file.data === 'string' ? Buffer.from(file.data) : file.data;
    const method = file.store ? 0 : 8;
    const body = method === 0 ? data : deflateRawSync(data);
    const name = Buffer.from(file.name);
    const crc = crc32(data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(CENTRAL, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(EOCD, 0);
  end.writeUInt16LE(Math.min(files.length, 0xffff), 8);
  end.writeUInt16LE(Math.min(files.length, 0xffff), 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
