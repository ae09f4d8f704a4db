import { type AuditConfig, DEFAULT_CONFIG } from './config.ts';
import {
  type AuditInput,
  type AuditOptions,
  type AuditResult,
  auditRaw,
  type FileKind,
  finishAudit,
} from './engine.ts';
import type { Finding } from './finding.ts';
import { inventoryJobs, type JobIdentities } from './inventory.ts';
import { lazySource, type SourceFile } from './source/yaml.ts';

/**
 * The audit of many files in worker threads. Parsing YAML dominates the time of a large audit and every file is
 * independent, so chunks of files are parsed and checked in workers, which send back plain findings (and the
 * inventory's jobs); ignores are applied here, where all files are known. Workers are started by the caller (an
 * action re-runs its own bundle with `serveAuditWorker`), so the library stays free of file paths.
 */
export const AUDIT_WORKER = 'airlock-audit-worker';

export interface ChunkRequest {
  readonly inputs: readonly AuditInput[];
  /** The reusable workflows of the whole audit, for rules that look into a called workflow. */
  readonly context: readonly AuditInput[];
  readonly config: AuditConfig;
  readonly inventory: boolean;
}

export interface ChunkResponse {
  readonly findings: readonly Finding[];
  readonly kinds: ReadonlyArray<readonly [string, FileKind]>;
  readonly inventory: readonly JobIdentities[];
}

export function auditChunk(request: ChunkRequest): ChunkResponse {
  // Each document gives its kind (and inventory) as soon as its rules ran and is then dropped: the chunk keeps
  // findings, not parsed files.
  const kinds: (readonly [string, FileKind])[] = [];
  const inventory: JobIdentities[] = [];
  const raw = auditRaw(request.inputs, request.config, request.context ?? [], (doc) => {
    kinds.push([doc.file.path, doc.kind]);
    if (request.inventory) inventory.push(...inventoryJobs(doc));
  });
  return { findings: raw.findings, kinds, inventory };
}

/**
 * The audit of auditTexts in this thread, keeping what the reports need (findings, the texts, kinds, the inventory's
 * jobs when asked for) but not the parsed documents, as a worker does: the result's documents are empty.
 */
export function auditTextsLean(
  inputs: readonly AuditInput[],
  options: AuditOptions & { readonly inventory?: boolean } = {},
): AuditResult {
  const raw = auditChunk({
    inputs,
    context: options.context ?? [],
    config: options.config ?? DEFAULT_CONFIG,
    inventory: options.inventory === true,
  });
  return finishAudit(raw.findings, lazyFiles(inputs), [], options, {
    kinds: new Map(raw.kinds),
    inventoryJobs: raw.inventory,
  });
}

/** The files of an audit whose documents were dropped: lines and text now, parsed again only if something asks. */
function lazyFiles(inputs: readonly AuditInput[]): Map<string, SourceFile> {
  return new Map<string, SourceFile>(inputs.map((i) => [i.path, lazySource(i.path, i.text)]));
}

/** The slice of a worker_threads Worker this needs. */
export interface WorkerLike {
  postMessage(value: unknown): void;
  on(event: 'message', listener: (value: unknown) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  terminate(): Promise<number>;
}

/** The slice of a worker's parentPort this needs. */
export interface PortLike {
  once(event: 'message', listener: (value: unknown) => void): unknown;
  postMessage(value: unknown): void;
}

/** Run in a worker thread: audit the chunk it is sent and reply once. */
export function serveAuditWorker(port: PortLike): void {
  port.once('message', (request) => {
    try {
      port.postMessage({ ok: auditChunk(request as ChunkRequest) });
    } catch (error) {
      port.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  });
}

export interface ParallelOptions extends AuditOptions {
  /** Worker threads to use at most. */
  readonly threads: number;
  /** Start one worker (it must call serveAuditWorker). */
  readonly spawn: () => WorkerLike | Promise<WorkerLike>;
  /** Collect the inventory's jobs in the workers. */
  readonly inventory?: boolean;
  /** Below this many bytes of input, one thread is faster than starting workers. */
  readonly minBytes?: number;
}

/** Split files into chunks of about equal size (largest first, each to the lightest chunk). */
function chunks(inputs: readonly AuditInput[], n: number): AuditInput[][] {
  const out: AuditInput[][] = Array.from({ length: n }, () => []);
  const sizes = new Array<number>(n).fill(0);
  for (const input of [...inputs].sort((a, b) => b.text.length - a.text.length)) {
    let k = 0;
    for (let i = 1; i < n; i++) if ((sizes[i] as number) < (sizes[k] as number)) k = i;
    (out[k] as AuditInput[]).push(input);
    sizes[k] = (sizes[k] as number) + input.text.length;
  }
  return out.filter((c) => c.length > 0);
}

function runChunk(worker: WorkerLike, request: ChunkRequest): Promise<ChunkResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      fn();
    };
    worker.on('message', (message) => {
      const m = message as { ok?: ChunkResponse; error?: string };
      if (m.ok !== undefined) settle(() => resolve(m.ok as ChunkResponse));
      else settle(() => reject(new Error(`an audit worker failed: ${m.error ?? 'no answer'}`)));
    });
    worker.on('error', (error) => settle(() => reject(error)));
    worker.on('exit', (code) => settle(() => reject(new Error(`an audit worker exited (${code}) before answering`))));
    worker.postMessage(request);
  });
}

export async function auditTextsParallel(
  inputs: readonly AuditInput[],
  options: ParallelOptions,
): Promise<AuditResult> {
  const bytes = inputs.reduce((n, i) => n + i.text.length, 0);
  const threads = Math.max(1, Math.min(options.threads, inputs.length));
  if (threads < 2 || bytes < (options.minBytes ?? 512 * 1024)) return auditTextsLean(inputs, options);
  const config =
    options.config ??
    ({ path: undefined, failOn: undefined, exclude: [], rules: new Map(), ignores: [] } satisfies AuditConfig);
  const requests = chunks(inputs, threads).map(
    (chunk): ChunkRequest => ({
      inputs: chunk,
      context: [
        ...(options.context ?? []),
        ...inputs.filter((i) => !chunk.includes(i) && /(^|\/)\.github\/workflows\/[^/]+\.ya?ml$/i.test(i.path)),
      ],
      config,
      inventory: options.inventory === true,
    }),
  );
  // This thread audits the first chunk itself while the workers (started first) take the others: one worker fewer
  // to start, and this thread is not idle. The chunk goes through the same request/response path as a worker's.
  // The workers are created (and sent their chunks) before this thread starts on its own, synchronous, chunk.
  const [own, ...others] = requests;
  const workers = await Promise.all(others.map(() => options.spawn()));
  const pending = others.map((request, i) => runChunk(workers[i] as WorkerLike, request));
  // a failed worker must not go unobserved while this thread is busy; Promise.all below reports it
  for (const p of pending) p.catch(() => undefined);
  // cloned as a worker's answer is, so that both kinds of chunk give the same objects
  const mine = structuredClone(auditChunk(own as ChunkRequest));
  const responses = [mine, ...(await Promise.all(pending))];
  return finishAudit(
    responses.flatMap((r) => r.findings),
    lazyFiles(inputs),
    [],
    options,
    {
      kinds: new Map(responses.flatMap((r) => r.kinds)),
      inventoryJobs: responses.flatMap((r) => r.inventory),
      threads,
    },
  );
}
