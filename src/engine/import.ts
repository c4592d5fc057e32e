import { readFile, stat } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { basename } from 'node:path';
import {
  checkImportHost,
  IMPORT_PARSERS,
  importAdvisories,
  importAllowsPrivateAddresses,
  ImportAddressRefused,
  importLookup,
  type ImportFormat,
} from '../services/importers.ts';
import type { ProductRef } from '../core/advisories/exclusions.ts';
import { renewLease, setProgress, taskCredentials } from '../store/repos/tasks-repo.ts';
import { instanceContext, LeaseLost, type Handler, type RunContext } from './handlers.ts';

// Catalog import as a task: reads a file on the server or fetches a URL, then runs the advisory importer
// with a context named after the instance (the event log shows the task). Re-running is harmless: the
// importer upserts, so a retried or repeated import reports what it found unchanged.

export interface ImportHandlerOptions {
  /** how long a URL may take to answer and send its body */
  fetchTimeoutMs?: number;
  /** the largest file or response body accepted */
  maxBytes?: number;
  /**
   * fetch from loopback, link-local, private and unspecified addresses too (default: when
   * PATCHLINE_IMPORT_ALLOW_PRIVATE is 1, read at each run)
   */
  allowPrivateAddresses?: boolean;
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
  excluded: number;
  [key: string]: unknown;
}

/**
 * A first pass with the importer's parser: how many items it will go through (the denominator of
 * progress) and how many of them are errors (the importer lists only the first thousand).
 */
function countItems(format: ImportFormat, bytes: Uint8Array, fileName: string) {
  let total = 0;
  let errors = 0;
  try {
    for (const item of IMPORT_PARSERS[format](bytes, fileName)) {
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

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/** HTTP Basic credentials of the import task (services/tasks.ts setImportCredentials) */
export interface FetchCredentials {
  userName: string;
  password: string;
}

function get(
  url: URL,
  signal: AbortSignal,
  allowPrivate: boolean,
  authorization: string | undefined,
): Promise<IncomingMessage> {
  checkImportHost(url, allowPrivate);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, {
      agent: false, // a fresh connection each time: a pooled socket would skip the address check
      signal,
      lookup: importLookup(allowPrivate),
      headers: {
        'accept-encoding': 'gzip, deflate, br',
        ...(authorization ? { authorization } : {}),
      },
    });
    req.on('response', resolve).on('error', reject).end();
  });
}

/** the body as sent, decompressed when the server compressed it */
function bodyOf(res: IncomingMessage): Readable {
  const enc = (res.headers['content-encoding'] ?? '').trim().toLowerCase();
  const inflate =
    enc === 'gzip' || enc === 'x-gzip'
      ? createGunzip()
      : enc === 'deflate'
        ? createInflate()
        : enc === 'br'
          ? createBrotliDecompress()
          : null;
  if (!inflate) return res;
  res.on('error', (e) => inflate.destroy(e));
  return res.pipe(inflate);
}

/**
 * GETs an http(s) URL, following up to five redirects. Every host is checked before the connection
 * (services/importers.ts: no loopback, link-local, private or unspecified address unless allowed).
 * Credentials go as HTTP Basic to the URL's own origin only: a redirect elsewhere gets none.
 */
async function fetchUrl(
  url: string,
  timeoutMs: number,
  maxBytes: number,
  allowPrivate: boolean,
  credentials: FetchCredentials | null = null,
): Promise<Uint8Array> {
  const signal = AbortSignal.timeout(timeoutMs);
  const fail = (why: string) => new Error(`cannot fetch ${url}: ${why}`);
  const why = (e: unknown) => {
    if (signal.aborted) return `no complete answer within ${timeoutMs / 1000} s`;
    if (e instanceof ImportAddressRefused) return e.message;
    const err = e as { code?: string; message?: string };
    return err.code ?? err.message ?? String(e);
  };
  let at = new URL(url);
  const origin = at.origin;
  const basic = credentials
    ? `Basic ${Buffer.from(`${credentials.userName}:${credentials.password}`).toString('base64')}`
    : undefined;
  let res: IncomingMessage;
  for (let hops = 0; ; hops++) {
    try {
      res = await get(at, signal, allowPrivate, at.origin === origin ? basic : undefined);
    } catch (e) {
      throw fail(why(e));
    }
    const location = res.headers.location;
    if (!REDIRECTS.has(res.statusCode ?? 0) || !location) break;
    res.resume();
    if (hops >= MAX_REDIRECTS) throw fail(`more than ${MAX_REDIRECTS} redirects`);
    at = new URL(location, at);
    if (at.protocol !== 'http:' && at.protocol !== 'https:') throw fail(`redirected to a ${at.protocol} URL`);
  }
  const status = res.statusCode ?? 0;
  if (status < 200 || status > 299) {
    res.resume();
    throw fail(`the server answered ${status} ${res.statusMessage ?? ''}`.trim());
  }
  const declared = Number(res.headers['content-length'] ?? NaN);
  if (declared > maxBytes) {
    res.destroy();
    throw fail(`${mib(declared)} is larger than the limit of ${mib(maxBytes)}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const body = bodyOf(res);
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      // leaving the loop by a throw destroys the stream
      if (size > maxBytes) throw fail(`the body is larger than the limit of ${mib(maxBytes)}`);
      chunks.push(chunk);
    }
  } catch (e) {
    res.destroy();
    if (e instanceof Error && e.message.startsWith(`cannot fetch ${url}:`)) throw e;
    throw fail(why(e));
  }
  return new Uint8Array(Buffer.concat(chunks, size));
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
    const p = inst.parameters as {
      format: ImportFormat;
      path?: string;
      url?: string;
      fileName?: string;
      excludeProducts?: ProductRef[];
    };
    const lease = leaseKeeper(run);
    try {
      lease.check();
      const bytes = p.path
        ? await readServerFile(p.path, maxBytes)
        : await fetchUrl(
            p.url!,
            timeoutMs,
            maxBytes,
            o.allowPrivateAddresses ?? importAllowsPrivateAddresses(),
            inst.task_id === null ? null : await taskCredentials(run.store.db, inst.task_id),
          );
      lease.check();
      const fileName = p.fileName ?? defaultFileName(p);
      const counted = countItems(p.format, bytes, fileName);
      const total = counted?.total ?? 0;
      lease.progress(0, { fileName, total, read: 0 });
      const report = await importAdvisories(
        instanceContext(run.store, inst),
        { format: p.format, bytes, fileName, excludeProducts: p.excludeProducts ?? [] },
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
        excluded: report.excluded,
      };
      return { outputs };
    } finally {
      await lease.end().catch(() => {});
    }
  };
}

export const importCatalog: Handler = createImportHandler();
