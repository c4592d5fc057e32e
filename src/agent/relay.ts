// A relay (caching server): an agent whose config says `relay` answers the package route agents use
// for relays, GET /agent/v1/packages/<sha256>, on its relay port. It serves from its cache folder,
// content-addressed (a file is named by its SHA-256); a package it lacks it fetches from the Patchline
// server with its own device credential, streams to a temporary file while hashing, and keeps it only
// when the hash matches. A cached file is hashed again before every answer: one whose bytes no longer
// match is deleted and fetched again, never served. One fetch per hash at a time (others wait for it);
// the cache has a size cap, the least recently served files go first.
//
// Access: none. Packages are content-addressed, the asker must already know the hash, and the bytes are
// what the server would hand any enrolled device; the relay cannot check device credentials without
// asking the server, so it answers whoever reaches its port (put it on the network it serves).
//
// Loaded only by relay agents (agent.ts imports it on demand). node:http and node:https only.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, utimes, type FileHandle } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

/** the cache's size cap when the config names none: 10 GiB */
export const DEFAULT_RELAY_CACHE_BYTES = 10 * 1024 ** 3;

export interface RelayOptions {
  /** the port to listen on (0: any free one; `port` on the started relay says which) */
  port: number;
  /** the address to listen on; default every interface */
  host?: string;
  /** the cache folder (the agent's state folder + /relay-cache) */
  cacheDir: string;
  /** the cache's size cap in bytes; default 10 GiB */
  maxCacheBytes?: number;
  /** the server's address for a package (ProtocolClient.packageUrl) */
  packageUrl: (sha256: string) => string;
  /** this relay's device credential (read on every fetch: it may be rotated) */
  credential: () => string | undefined;
  /** fetches from the server at once; more answer 503. Default 4 */
  maxFetches?: number;
  /** per fetch from the server; default 10 min */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface RelayServer {
  readonly port: number;
  /** requests answered from the cache, and fetches from the server that stored a package */
  readonly stats: { cacheHits: number; fetched: number };
  close(): Promise<void>;
}

const ROUTE = /^\/agent\/v1\/packages\/([^/?#]*)(?:\?.*)?$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** an answer other than the package: its status and a short text */
class RelayError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startRelay(o: RelayOptions): Promise<RelayServer> {
  const log = (line: string) => o.log?.(`relay: ${line}`);
  const maxBytes = o.maxCacheBytes ?? DEFAULT_RELAY_CACHE_BYTES;
  const maxFetches = o.maxFetches ?? 4;
  const stats = { cacheHits: 0, fetched: 0 };
  const inflight = new Map<string, Promise<void>>();
  await mkdir(o.cacheDir, { recursive: true, mode: 0o700 });
  // temporary files of fetches a stopped relay left behind
  for (const f of await readdir(o.cacheDir))
    if (f.startsWith('.tmp-')) await rm(join(o.cacheDir, f), { force: true });

  /** streams the server's package into a temporary file while hashing; keeps it only when the hash matches */
  async function fetchFromServer(sha: string): Promise<void> {
    const url = new URL(o.packageUrl(sha));
    const lib = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
    const credential = o.credential();
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = lib.get(
        url,
        { headers: credential ? { authorization: `Bearer ${credential}` } : {} },
        resolve,
      );
      req.setTimeout(o.timeoutMs ?? 600_000, () => req.destroy(new Error('timed out')));
      req.on('error', reject);
    }).catch((e: Error) => {
      throw new RelayError(502, `the Patchline server is unreachable (${e.message})`);
    });
    if (res.statusCode !== 200) {
      res.resume();
      throw res.statusCode === 404
        ? new RelayError(404, 'the Patchline server has no package with this hash')
        : new RelayError(502, `the Patchline server answered ${res.statusCode}`);
    }
    const tmp = join(o.cacheDir, `.tmp-${sha}-${randomBytes(4).toString('hex')}`);
    const h = createHash('sha256');
    try {
      res.on('data', (c: Buffer) => h.update(c));
      await pipeline(res, createWriteStream(tmp, { mode: 0o600 }));
    } catch (e) {
      await rm(tmp, { force: true });
      throw new RelayError(502, `the download from the Patchline server broke off (${(e as Error).message})`);
    }
    const got = h.digest('hex');
    if (got !== sha) {
      await rm(tmp, { force: true });
      log(`the server's bytes for ${sha.slice(0, 12)} hash to ${got.slice(0, 12)}: not kept`);
      throw new RelayError(502, "the Patchline server's bytes do not match the hash");
    }
    await rename(tmp, join(o.cacheDir, sha));
    stats.fetched++;
    log(`cached ${sha.slice(0, 12)}`);
    await evict(sha).catch((e: Error) => log(`eviction failed: ${e.message}`));
  }

  /** removes the least recently served packages until the cache fits its cap (never `keep`) */
  async function evict(keep: string) {
    const files: { sha: string; size: number; at: number }[] = [];
    for (const f of await readdir(o.cacheDir)) {
      if (!SHA256.test(f)) continue;
      const s = await stat(join(o.cacheDir, f)).catch(() => null);
      if (s) files.push({ sha: f, size: s.size, at: s.mtimeMs });
    }
    let total = files.reduce((n, f) => n + f.size, 0);
    for (const f of files.sort((a, b) => a.at - b.at)) {
      if (total <= maxBytes) break;
      if (f.sha === keep || inflight.has(f.sha)) continue;
      await rm(join(o.cacheDir, f.sha), { force: true });
      total -= f.size;
      log(`evicted ${f.sha.slice(0, 12)} (${f.size} bytes) to stay under ${maxBytes} bytes`);
    }
  }

  /**
   * The cached package for a hash, opened and verified (an open file survives its eviction), fetched from
   * the server when absent or damaged.
   */
  async function cached(sha: string): Promise<{ file: FileHandle; size: number }> {
    const path = join(o.cacheDir, sha);
    if (!inflight.has(sha)) {
      const hit = await openVerified(path, sha);
      if (hit) {
        stats.cacheHits++;
        const now = new Date();
        await utimes(path, now, now).catch(() => undefined); // recently served: evicted last
        return hit;
      }
    }
    let p = inflight.get(sha);
    if (!p) {
      if (inflight.size >= maxFetches) throw new RelayError(503, 'the relay is busy fetching; try again');
      p = fetchFromServer(sha).finally(() => inflight.delete(sha));
      inflight.set(sha, p);
    }
    await p;
    const got = await openVerified(path, sha);
    if (!got) throw new RelayError(502, 'the package left the cache before it could be served; try again');
    return got;
  }

  /** the file opened, when it is there and its bytes hash to `sha`; a damaged one is deleted */
  async function openVerified(path: string, sha: string): Promise<{ file: FileHandle; size: number } | null> {
    let file: FileHandle;
    try {
      file = await open(path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    try {
      const h = createHash('sha256');
      await pipeline(file.createReadStream({ start: 0, autoClose: false }), h);
      const got = h.digest('hex');
      if (got === sha) return { file, size: (await file.stat()).size };
      log(`cached ${sha.slice(0, 12)} hashes to ${got.slice(0, 12)}: deleted, never served`);
      await rm(path, { force: true });
    } catch (e) {
      await file.close();
      throw e;
    }
    await file.close();
    return null;
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const text = (status: number, body: string, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end(`${body}\n`);
    const m = ROUTE.exec(req.url ?? '');
    if (!m) return text(404, 'not found: this relay serves GET /agent/v1/packages/<sha256>');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return text(405, 'only GET and HEAD', { allow: 'GET, HEAD' });
    const sha = m[1]!.toLowerCase();
    if (!SHA256.test(sha)) return text(400, 'the package is named by its SHA-256 (64 hex digits)');
    let got: { file: FileHandle; size: number };
    try {
      got = await cached(sha);
    } catch (e) {
      if (e instanceof RelayError) return text(e.status, e.message);
      log(`${sha.slice(0, 12)}: ${(e as Error).message}`);
      return text(500, 'the relay failed to read its cache');
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(got.size),
      etag: `"${sha}"`,
      'cache-control': 'private, max-age=31536000, immutable',
    });
    if (req.method === 'HEAD') {
      await got.file.close();
      return void res.end();
    }
    // the stream closes the file when done or destroyed
    await pipeline(got.file.createReadStream({ start: 0 }), res).catch(() => undefined); // the asker went away
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => {
      log(`request failed: ${e.message}`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log(`serving packages on port ${port} from ${o.cacheDir} (cap ${maxBytes} bytes)`);
  return {
    port,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
