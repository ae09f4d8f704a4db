import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type * as Zlib from 'node:zlib';
import {
  ArchiveError,
  type ArchiveKind,
  type ArchiveLimits,
  archiveKind,
  DEFAULT_ARCHIVE_LIMITS,
  gunzip,
  type Member,
  readTar,
  readZip,
  unsupportedCompression,
  writeTar,
  writeZip,
} from './archive.ts';
import type { Finding, Redactor } from './engine.ts';
import { locate, locateBuffer } from './locate.ts';
import { displayPath } from './paths.ts';
import { PUMP_CHUNK, pumpFile } from './pump.ts';

/** Loaded on first use: redacting a stream needs neither (node:fs/promises and node:zlib cost start-up time). */
const fsp = (): typeof FsPromises => process.getBuiltinModule('node:fs/promises');
const zlib = (): typeof Zlib => process.getBuiltinModule('node:zlib');

/**
 * Scanning files before they are uploaded: logs, build outputs, test reports, and the members of zip, tar and gzip
 * archives (nested too), with the same engine that redacts logs. Findings carry the rule id and the location (1-based
 * line and column, end column exclusive), never the value. Optionally writes redacted copies (archives rewritten with
 * redacted members) for upload.
 */
export interface FileFinding {
  readonly rule: string;
  /** Relative to the scan root, `/`-separated; archive members as `dist/app.zip!/config/app.env`. */
  readonly path: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

export interface ScanProblem {
  readonly path: string;
  readonly code: 'archive-limit' | 'archive-invalid' | 'file-unreadable' | 'binary-not-redacted';
  readonly message: string;
}

export interface ScanReport {
  readonly findings: FileFinding[];
  /** Files and archive members scanned. */
  scanned: number;
  bytes: number;
  /** What could not be scanned (or redacted): a failure, not a pass. */
  readonly problems: ScanProblem[];
  /** Redacted copies written (display paths of the originals). */
  readonly written: string[];
}

export interface ScanOptions {
  readonly redactor: Redactor;
  /** Display paths are relative to this directory. */
  readonly root: string;
  readonly limits?: Partial<ArchiveLimits>;
  /** Write redacted copies under this directory, keeping each file's path relative to `root`. */
  readonly redactTo?: string;
  readonly onFile?: (path: string) => void;
  /**
   * A plain file's first bytes, up to this many, are read in one go, scanned, and its findings located in them
   * (default {@link WHOLE_FILE_BYTES}): the whole file, nearly always. The rest of a larger file is streamed, and its
   * findings are then located by a second read.
   */
  readonly wholeFileBytes?: number;
}

export const WHOLE_FILE_BYTES = 16 * 1024 * 1024;

const SNIFF = 8192;

let spareChunk: Buffer | undefined;

/**
 * A file's bytes in 1 MiB pieces, one buffer reused (each piece is only looked at before the next is read), and kept
 * for the next file. The buffer is taken while a file is read: locate() awaits between pieces, so two scans running
 * at once must not share it.
 */
function* readChunks(path: string): Generator<Buffer> {
  const buffer = spareChunk ?? Buffer.allocUnsafe(1024 * 1024);
  spareChunk = undefined;
  const fd = openSync(path, 'r');
  try {
    for (
      let n = readSync(fd, buffer, 0, buffer.length, null);
      n > 0;
      n = readSync(fd, buffer, 0, buffer.length, null)
    ) {
      yield buffer.subarray(0, n);
    }
  } finally {
    closeSync(fd);
    spareChunk = buffer;
  }
}

/**
 * The buffer a file is read whole into, kept for the next file (fresh megabytes per file make the garbage collector
 * run for external memory alone) and taken while in use, as the chunk buffer is.
 */
let spareWhole: Buffer | undefined;

function takeWhole(capacity: number): Buffer {
  const spare = spareWhole;
  if (spare !== undefined && spare.length >= capacity) {
    spareWhole = undefined;
    return spare;
  }
  // Whole megabytes, so that files of about the same size (a build's logs) fit the same buffer.
  return Buffer.allocUnsafe(Math.ceil(capacity / 2 ** 20) * 2 ** 20);
}

function giveBackWhole(buffer: Buffer): void {
  if (spareWhole === undefined || spareWhole.length < buffer.length) spareWhole = buffer;
}

function isBinary(head: Uint8Array): boolean {
  return head.subarray(0, SNIFF).includes(0);
}

/** Where the redacted copy of `display` goes: inside `redactTo`, never outside it. */
function copyPath(redactTo: string, display: string): string {
  const safe = display
    .replace(/^[A-Za-z]:/, '')
    .split('/')
    .filter((s) => s !== '' && s !== '.' && s !== '..')
    .join('/');
  return join(redactTo, display.startsWith('/') || display.startsWith('..') ? `_outside/${safe}` : safe);
}

async function writeCopy(redactTo: string, display: string, data: Buffer): Promise<void> {
  const target = copyPath(redactTo, display);
  await fsp().mkdir(dirname(target), { recursive: true });
  await fsp().writeFile(target, data, { mode: 0o600 });
}

class Scanner {
  readonly #o: ScanOptions;
  readonly #limits: ArchiveLimits;
  readonly report: ScanReport = { findings: [], scanned: 0, bytes: 0, problems: [], written: [] };

  constructor(options: ScanOptions) {
    this.#o = options;
    this.#limits = { ...DEFAULT_ARCHIVE_LIMITS, ...options.limits };
  }

  async file(path: string): Promise<void> {
    const display = displayPath(path, this.#o.root);
    this.#o.onFile?.(display);
    let head: Buffer;
    let size: number;
    try {
      // synchronous, as the scan itself is: nothing else is waiting
      const fd = openSync(path, 'r');
      try {
        size = fstatSync(fd).size;
        const buffer = Buffer.alloc(Math.min(size, SNIFF));
        head = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0));
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      this.#problem(display, 'file-unreadable', `cannot read: ${(error as NodeJS.ErrnoException).code ?? error}`);
      return;
    }
    const compressed = unsupportedCompression(head);
    if (compressed !== undefined) {
      this.#problem(
        display,
        'archive-invalid',
        `${display}: ${compressed}-compressed content cannot be scanned (supported: zip, tar, gzip); not scanned`,
      );
      return;
    }
    const kind = archiveKind(path, head);
    if (kind !== undefined) {
      if (size > this.#limits.maxTotalBytes) {
        this.#problem(
          display,
          'archive-limit',
          `${size} bytes, over the ${this.#limits.maxTotalBytes}-byte archive limit; not scanned`,
        );
        return;
      }
      const data = readFileSync(path);
      const rewritten = this.#archive(display, kind, data, 1, { left: this.#limits.maxTotalBytes });
      if (this.#o.redactTo !== undefined && rewritten !== undefined) {
        await writeCopy(this.#o.redactTo, display, rewritten);
        this.report.written.push(display);
      }
      return;
    }
    await this.#plain(path, display, isBinary(head), size);
  }

  /**
   * A plain file: its first bytes (the whole file, nearly always) read in one go and scanned, and the rest of a larger
   * file (or one that grew since it was sized) streamed after them. Findings are located in the bytes in memory when
   * they were the whole file, else by a second read, only when something was found.
   */
  async #plain(path: string, display: string, binary: boolean, size: number): Promise<void> {
    const findings: Finding[] = [];
    const stream = this.#o.redactor.stream((f) => findings.push(f));
    const out: Buffer[] = [];
    const keep = this.#o.redactTo !== undefined;
    // The read buffers are reused: keep copies of the output only when a redacted copy is asked for.
    const sink = keep ? (bytes: Buffer) => void out.push(Buffer.from(bytes)) : () => {};
    // One byte more than the size, so that a file read whole is known to have ended.
    const capacity = Math.min(this.#o.wholeFileBytes ?? WHOLE_FILE_BYTES, size + 1);
    const buffer = capacity > 0 ? takeWhole(capacity) : undefined;
    try {
      let whole: Buffer | undefined;
      const fd = openSync(path, 'r');
      try {
        // Read and scanned a megabyte at a time (each piece is scanned while it is still in the CPU's cache) into
        // consecutive parts of the buffer. The stream puts the bytes it holds back in front of each piece: they are
        // the buffer's own bytes just before it, so that changes nothing.
        let n = 0;
        let ended = false;
        while (buffer !== undefined && n < capacity) {
          const got = readSync(fd, buffer, n, Math.min(PUMP_CHUNK, capacity - n), null);
          if (got === 0) {
            ended = true;
            break;
          }
          stream.writeInPlace(buffer, n, n + got, sink);
          n += got;
        }
        if (buffer !== undefined && ended) {
          whole = buffer.subarray(0, n);
          stream.end(sink);
        } else {
          pumpFile(fd, stream, sink);
        }
      } finally {
        closeSync(fd);
      }
      this.report.scanned++;
      this.report.bytes += stream.bytesIn;
      if (findings.length > 0) {
        const located = whole !== undefined ? locateBuffer(whole, findings) : await locate(readChunks(path), findings);
        for (const f of located) this.report.findings.push({ ...f, path: display });
      }
    } finally {
      if (buffer !== undefined) giveBackWhole(buffer);
    }
    if (keep) {
      if (binary && findings.length > 0) {
        this.#problem(
          display,
          'binary-not-redacted',
          'a binary file with secrets in it cannot be redacted; no copy written',
        );
        return;
      }
      await writeCopy(this.#o.redactTo as string, display, Buffer.concat(out));
      this.report.written.push(display);
    }
  }

  /**
   * Members of an archive, recursively. Returns the rewritten archive (for redacted copies), the original bytes when
   * nothing was found, or undefined when it could not be scanned.
   */
  #archive(
    display: string,
    kind: ArchiveKind,
    data: Buffer,
    depth: number,
    budget: { left: number },
  ): Buffer | undefined {
    let members: Member[];
    let container: 'zip' | 'tar' | 'tar.gz' | 'gz' = kind === 'gzip' ? 'gz' : kind;
    try {
      if (kind === 'gzip') {
        const inner = gunzip(display, data, this.#limits, budget.left);
        budget.left -= inner.length;
        if (archiveKind(display.replace(/\.t?gz$/i, '.tar'), inner) === 'tar') {
          members = readTar(display, inner, this.#limits, budget.left);
          container = 'tar.gz';
        } else {
          members = [{ name: display.replace(/^.*\//, '').replace(/\.gz$/i, '') || 'content', data: inner }];
        }
      } else if (kind === 'zip') {
        members = readZip(display, data, this.#limits, budget.left);
      } else {
        members = readTar(display, data, this.#limits, budget.left);
      }
    } catch (error) {
      if (error instanceof ArchiveError) {
        this.#problem(error.path, error.code as 'archive-limit' | 'archive-invalid', error.message);
        return undefined;
      }
      throw error;
    }
    let changed = false;
    let failed = false;
    const rewritten: Member[] = [];
    for (const member of members) {
      if (member.directory) {
        rewritten.push(member);
        continue;
      }
      budget.left -= member.data.length;
      const where = `${display}!/${member.name}`;
      const compressed = unsupportedCompression(member.data);
      if (compressed !== undefined) {
        this.#problem(
          where,
          'archive-invalid',
          `${where}: ${compressed}-compressed content cannot be scanned (supported: zip, tar, gzip)`,
        );
        failed = true;
        continue;
      }
      const nested = archiveKind(member.name, member.data.subarray(0, 512));
      if (nested !== undefined) {
        if (depth >= this.#limits.maxDepth) {
          this.#problem(where, 'archive-limit', `nested deeper than ${this.#limits.maxDepth} archives; not scanned`);
          failed = true;
          continue;
        }
        const inner = this.#archive(where, nested, member.data, depth + 1, budget);
        if (inner === undefined) failed = true;
        else if (inner !== member.data) changed = true;
        rewritten.push({ ...member, data: inner ?? member.data });
        continue;
      }
      // Synchronous scan of an in-memory member (the engine is synchronous; locate only awaits its iterable).
      const { output, findings } = this.#o.redactor.redact(member.data);
      this.report.scanned++;
      this.report.bytes += member.data.length;
      if (findings.length > 0) {
        for (const f of locateBuffer(member.data, findings)) this.report.findings.push({ ...f, path: where });
        if (isBinary(member.data)) {
          this.#problem(where, 'binary-not-redacted', 'a binary member with secrets in it cannot be redacted');
          failed = true;
        } else {
          changed = true;
        }
      }
      rewritten.push(findings.length > 0 ? { ...member, data: output } : member);
    }
    if (failed) return undefined;
    if (!changed) return data;
    if (container === 'zip') return writeZip(rewritten);
    if (container === 'gz') return zlib().gzipSync((rewritten[0] as Member).data);
    const tar = writeTar(rewritten);
    return container === 'tar.gz' ? zlib().gzipSync(tar) : tar;
  }

  #problem(path: string, code: ScanProblem['code'], message: string): void {
    this.report.problems.push({ path, code, message });
  }
}

/** Scan files (from {@link expandPaths}); archives are opened, text and binary content alike is scanned. */
export async function scanFiles(files: readonly string[], options: ScanOptions): Promise<ScanReport> {
  const scanner = new Scanner(options);
  for (const file of files) await scanner.file(file);
  return scanner.report;
}
