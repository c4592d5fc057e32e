import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  iterateCsaf,
  iterateCve5,
  iterateDebianTracker,
  iterateEpss,
  iterateKev,
  iterateOsv,
  type ParseItem,
} from '../core/advisories/index.ts';
import { importAdvisories, type ImportFormat } from '../services/importers.ts';
import { renewLease, setProgress } from '../store/repos/tasks.ts';
import { instanceContext, LeaseLost, type Handler, type RunContext } from './handlers.ts';

// Catalog import as a task: reads a file on the server or fetches a URL, then runs the advisory importer
// with a context named after the instance (the event log shows the task). Re-running is harmless: the
// importer upserts, so a retried or repeated import reports what it found unchanged.

export interface ImportHandlerOptions {
  /** how long a URL may take to answer and send its body */
  fetchTimeoutMs?: number;
  /** the largest file or response body accepted */
  maxBytes?: number;
}

export const DEFAULT_FETCH_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_BYTES = 512 * 1024 * 1024;
/** errors listed in the outputs; `errors` counts them all */
export const FIRST_ERRORS = 20;

export interface ImportOutputs {
  format: ImportFormat;
  fileName: string;
  imported: number;
  unchanged: number;
  errors: number;
  firstErrors: { location: string; message: string }[];
  linked: { updates: number; bulletins: number; cves: number };
  [key: string]: unknown;
}

const ITERATORS: Record<
  ImportFormat,
  (input: string | Uint8Array, file: string) => Iterable<ParseItem<unknown>>
> = {
  osv: iterateOsv,
  'debian-tracker': iterateDebianTracker,
  csaf: iterateCsaf,
  kev: iterateKev,
  epss: iterateEpss,
  cve5: iterateCve5,
};

/**
 * A first pass with the importer's parser: how many items it will go through (the denominator of
 * progress) and how many of them are errors (the importer lists only the first thousand).
 */
function countItems(format: ImportFormat, bytes: Uint8Array, fileName: string) {
  let total = 0;
  let errors = 0;
  try {
    for (const item of ITERATORS[format](bytes, fileName)) {
      total++;
      if (!item.ok) errors++;
    }
  } catch {
    return null; // the importer reports the unreadable file itself
  }
  return { total, errors };
}

const mib = (n: number) => `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;

async function readServerFile(path: string, maxBytes: number): Promise<Uint8Array> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error('not a regular file');
    if (s.size > maxBytes) throw new Error(`${mib(s.size)} is larger than the limit of ${mib(maxBytes)}`);
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'not a regular file'
            : (e as Error).message;
    throw new Error(`cannot read import file ${path}: ${why}`, { cause: e });
  }
}

async function fetchUrl(url: string, timeoutMs: number, maxBytes: number): Promise<Uint8Array> {
  const signal = AbortSignal.timeout(timeoutMs);
  const fail = (why: string) => new Error(`cannot fetch ${url}: ${why}`);
  const why = (e: unknown) => {
    if (signal.aborted) return `no complete answer within ${timeoutMs / 1000} s`;
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? (e as Error).message;
  };
  let res: Response;
  try {
    res = await fetch(url, { signal, redirect: 'follow' });
  } catch (e) {
    throw fail(why(e));
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    throw fail(`the server answered ${res.status} ${res.statusText}`.trim());
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw fail(`${mib(declared)} is larger than the limit of ${mib(maxBytes)}`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body ?? []) {
      size += chunk.byteLength;
      // leaving the loop by a throw cancels the body
      if (size > maxBytes) throw fail(`the body is larger than the limit of ${mib(maxBytes)}`);
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof Error && e.message.startsWith(`cannot fetch ${url}:`)) throw e;
    throw fail(why(e));
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function defaultFileName(p: { path?: string; url?: string }): string {
  if (p.path) return basename(p.path);
  const last = p.url ? new URL(p.url).pathname.split('/').filter(Boolean).pop() : undefined;
  return last ? decodeURIComponent(last) : 'download';
}

/**
 * Keeps the instance's lease alive while the handler reads, fetches and imports, and writes progress.
 * Writes run one after another; a lost lease is reported at the next `check()`.
 */
function leaseKeeper(run: RunContext) {
  const inst = run.instance;
  let lost = false;
  let chain: Promise<void> = Promise.resolve();
  const enqueue = (f: () => Promise<boolean>) => {
    chain = chain.then(async () => {
      if (lost) return;
      try {
        if (!(await f())) lost = true;
      } catch {
        // a failed renewal is retried at the next beat; the lease expires only if they keep failing
      }
    });
  };
  const renew = () => enqueue(() => renewLease(run.store.db, inst.id, run.owner, run.leaseMs));
  const timer = setInterval(renew, Math.max(50, Math.floor(run.leaseMs / 3)));
  timer.unref();
  return {
    check() {
      run.checkpoint();
      if (lost) throw new LeaseLost(inst.id);
    },
    progress(progress: number, outputs: Record<string, unknown>) {
      enqueue(() =>
        run.store.transaction(async (tx) => {
          if (!(await renewLease(tx, inst.id, run.owner, run.leaseMs))) return false;
          await setProgress(tx, inst.id, run.owner, progress, outputs);
          return true;
        }),
      );
    },
    async end() {
      clearInterval(timer);
      await chain;
      if (lost) throw new LeaseLost(inst.id);
    },
  };
}

export function createImportHandler(o: ImportHandlerOptions = {}): Handler {
  const timeoutMs = o.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const maxBytes = o.maxBytes ?? DEFAULT_MAX_BYTES;
  return async (run) => {
    const inst = run.instance;
    const p = inst.parameters as { format: ImportFormat; path?: string; url?: string; fileName?: string };
    const lease = leaseKeeper(run);
    try {
      lease.check();
      const bytes = p.path
        ? await readServerFile(p.path, maxBytes)
        : await fetchUrl(p.url!, timeoutMs, maxBytes);
      lease.check();
      const fileName = p.fileName ?? defaultFileName(p);
      const counted = countItems(p.format, bytes, fileName);
      const total = counted?.total ?? 0;
      lease.progress(0, { fileName, total, read: 0 });
      const report = await importAdvisories(
        instanceContext(run.store, inst),
        { format: p.format, bytes, fileName },
        (r) => {
          lease.check(); // throwing here stops the importer between batches
          lease.progress(total ? Math.min(1, r.read / total) : 0, { fileName, total, ...r });
        },
      );
      await lease.end();
      const outputs: ImportOutputs = {
        format: report.format,
        fileName,
        imported: report.imported,
        unchanged: report.unchanged,
        errors: counted?.errors ?? report.errors.length,
        firstErrors: report.errors.slice(0, FIRST_ERRORS),
        linked: report.linked,
      };
      return { outputs };
    } finally {
      await lease.end().catch(() => {});
    }
  };
}

export const importCatalog: Handler = createImportHandler();
