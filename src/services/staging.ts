import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalid, notFound } from '../core/errors.ts';
import type { DownloadSettings } from '../core/policies/behaviour.ts';
import type { Store } from '../store/db.ts';
import type { Page } from '../store/paging.ts';
import { updateIdsForBulletins } from '../store/repos/catalog-repo.ts';
import * as repo from '../store/repos/staging-repo.ts';
import type { Context } from './context.ts';
import { visibleDevice } from './devices.ts';
import { record } from './events.ts';

// The package cache: a content-addressed folder (`<dir>/<first two hex digits>/<sha256>`). A download is
// written to a temporary file, its SHA-256 and size checked against the catalog, and only then renamed
// into place and recorded; a file that does not match is deleted, the failure is an event, and nothing
// is ever served from it.

export type FetchLike = (url: string, init?: { signal?: AbortSignal }) => Promise<Response>;

export interface StagingOptions {
  /** the cache folder (the server uses `<dataDir>/packages`) */
  dir: string;
  /** how packages are downloaded (default: the global fetch) */
  fetch?: FetchLike;
  /** the largest download accepted when the catalog gives no size (default 4 GiB) */
  maxBytes?: number;
}

export interface StageTarget {
  updateIds?: readonly number[];
  bulletinIds?: readonly number[];
}

export interface StagedPackage {
  updateId: number;
  sha256: string;
  sizeBytes: number;
  fileName: string;
}
export interface StagingError {
  updateId: number;
  name: string;
  message: string;
}
export interface StagingResult {
  staged: StagedPackage[];
  alreadyStaged: StagedPackage[];
  errors: StagingError[];
}

const SHA256 = /^[0-9a-f]{64}$/;
export const defaultPackageDir = (dataDir: string) => join(dataDir, 'packages');
const relativePath = (sha256: string) => join(sha256.slice(0, 2), sha256);

function fileNameOf(url: string, sha256: string): string {
  try {
    const last = new URL(url).pathname.split('/').filter(Boolean).pop();
    return last ? decodeURIComponent(last) : sha256;
  } catch {
    return sha256;
  }
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

class DownloadRejected extends Error {}

/** downloads `url` into a temporary file of `dir`, hashing as it goes; returns the file, hash and size */
async function download(url: string, dir: string, fetchFn: FetchLike, limit: number) {
  const res = await fetchFn(url);
  if (!res.ok || !res.body)
    throw new DownloadRejected(`the download from ${url} answered HTTP ${res.status}`);
  const tmp = join(dir, `.download-${process.pid}-${randomBytes(6).toString('hex')}`);
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > limit) return done(new DownloadRejected(`the download is larger than ${limit} bytes`));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>),
      meter,
      createWriteStream(tmp, { flags: 'wx' }),
    );
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  return { tmp, sha256: hash.digest('hex'), size };
}

/**
 * Downloads, verifies and records the packages of some updates (or of every update of some bulletins).
 * Updates already staged are left alone. Each failure (no source URL or hash in the catalog, HTTP error,
 * hash or size mismatch) is reported per update and recorded as a `package.rejected` event.
 */
export async function ensureStaged(
  ctx: Context,
  target: StageTarget,
  options: StagingOptions,
): Promise<StagingResult> {
  ctx.authorize('import_catalog');
  ctx.authorizeGlobal(); // the server's package cache is every organization's
  if (!target.updateIds?.length && !target.bulletinIds?.length)
    throw invalid('nothing to stage', [{ path: '/updateIds', message: 'give updateIds or bulletinIds' }]);
  const ids = new Set(target.updateIds ?? []);
  if (target.bulletinIds?.length)
    for (const id of await updateIdsForBulletins(ctx.store.db, target.bulletinIds)) ids.add(id);
  const updates = await repo.updatesForStaging(ctx.store.db, ctx.access, [...ids]);
  const unknown = [...(target.updateIds ?? [])].filter((id) => !updates.some((u) => u.id === id));
  if (unknown.length)
    throw invalid(
      'unknown updates',
      unknown.map((id) => ({ path: '/updateIds', message: `update ${id} does not exist` })),
    );

  const fetchFn = options.fetch ?? ((url, init) => fetch(url, init));
  await mkdir(options.dir, { recursive: true });
  const staged = new Map((await repo.stagedPackagesOf(ctx.store.db, [...ids])).map((p) => [p.update_id, p]));
  const result: StagingResult = { staged: [], alreadyStaged: [], errors: [] };

  for (const u of updates) {
    const expected = u.sha256?.trim().toLowerCase() ?? '';
    const fail = async (message: string, data: Record<string, unknown> = {}) => {
      result.errors.push({ updateId: u.id, name: u.name, message });
      await record(ctx, ctx.store.db, {
        kind: 'package.rejected',
        subjectType: 'update',
        subjectId: u.id,
        updateId: u.id,
        data: { message, sourceUrl: u.source_url, expectedSha256: expected || null, ...data },
      });
    };
    const have = staged.get(u.id);
    if (have && (await fileSize(join(options.dir, have.path))) === have.size_bytes) {
      result.alreadyStaged.push({
        updateId: u.id,
        sha256: have.sha256,
        sizeBytes: have.size_bytes,
        fileName: have.file_name,
      });
      continue;
    }
    if (!u.source_url) {
      await fail(`update ${u.id} (${u.name}) has no source URL to download its package from`);
      continue;
    }
    if (!SHA256.test(expected)) {
      await fail(`update ${u.id} (${u.name}) has no SHA-256 in the catalog to verify its package against`);
      continue;
    }
    const fileName = fileNameOf(u.source_url, expected);
    const path = relativePath(expected);
    const done = async (sizeBytes: number) => {
      await ctx.store.transaction(async (tx) => {
        await repo.recordPackage(
          tx,
          { sha256: expected, sizeBytes, path, sourceUrl: u.source_url },
          { updateId: u.id, fileName },
        );
        await record(ctx, tx, {
          kind: 'package.staged',
          subjectType: 'update',
          subjectId: u.id,
          updateId: u.id,
          data: { sha256: expected, sizeBytes, sourceUrl: u.source_url },
        });
      });
      result.staged.push({ updateId: u.id, sha256: expected, sizeBytes, fileName });
    };
    // the same file may already be in the cache for another update
    const existing = await repo.getPackage(ctx.store.db, expected);
    if (existing && (await fileSize(join(options.dir, existing.path))) === existing.size_bytes) {
      if (u.size_bytes !== null && u.size_bytes !== existing.size_bytes)
        await fail(
          `the package of update ${u.id} (${u.name}) has ${existing.size_bytes} bytes, the catalog says ${u.size_bytes}: rejected`,
        );
      else await done(existing.size_bytes);
      continue;
    }
    let got: Awaited<ReturnType<typeof download>>;
    try {
      const limit = u.size_bytes ?? options.maxBytes ?? 4 * 1024 ** 3;
      got = await download(u.source_url, options.dir, fetchFn, limit);
    } catch (e) {
      await fail(`downloading ${u.source_url} failed: ${(e as Error).message}`);
      continue;
    }
    if (got.sha256 !== expected || (u.size_bytes !== null && got.size !== u.size_bytes)) {
      await unlink(got.tmp).catch(() => undefined);
      await fail(
        got.sha256 !== expected
          ? `the package of update ${u.id} (${u.name}) has SHA-256 ${got.sha256}, the catalog says ${expected}: rejected`
          : `the package of update ${u.id} (${u.name}) has ${got.size} bytes, the catalog says ${u.size_bytes}: rejected`,
        { actualSha256: got.sha256, actualSize: got.size },
      );
      continue;
    }
    await mkdir(join(options.dir, expected.slice(0, 2)), { recursive: true });
    await rename(got.tmp, join(options.dir, path));
    await done(got.size);
  }
  return result;
}

/** Whether an update's package is in the cache, and which files. */
export async function stagingOf(ctx: Context, updateId: number, options: Pick<StagingOptions, 'dir'>) {
  ctx.authorize('read');
  const [u] = await repo.updatesForStaging(ctx.store.db, ctx.access, [updateId]);
  if (!u) throw notFound('update', updateId);
  const packages = [];
  for (const p of await repo.stagedPackagesOf(ctx.store.db, [updateId]))
    if ((await fileSize(join(options.dir, p.path))) === p.size_bytes)
      packages.push({
        sha256: p.sha256,
        sizeBytes: p.size_bytes,
        fileName: p.file_name,
        storedAt: p.stored_at,
      });
  return { updateId, staged: packages.length > 0, packages };
}

export async function isStaged(ctx: Context, updateId: number, options: Pick<StagingOptions, 'dir'>) {
  return (await stagingOf(ctx, updateId, options)).staged;
}

/** updates whose package is staged, or (staged false) those that are not */
export async function listStagingUpdates(ctx: Context, f: repo.StagingFilter, page: Page) {
  ctx.authorize('read');
  const r = await repo.listStagingUpdates(ctx.store.db, ctx.access, f, page);
  return {
    ...r,
    items: r.items.map((u) => ({
      id: u.id,
      name: u.name,
      kind: u.kind,
      kb: u.kb,
      version: u.version,
      sha256: u.sha256,
      sizeBytes: u.size_bytes,
      sourceUrl: u.source_url,
      staged: f.staged,
    })),
  };
}

/**
 * The cached file to serve for a hash, for any enrolled device: only a recorded (verified) package whose
 * file is still whole. Not found otherwise.
 */
export async function servablePackage(store: Store, dir: string, sha256: string) {
  const h = sha256.toLowerCase();
  if (!SHA256.test(h)) throw notFound('package', sha256);
  const p = await repo.getPackage(store.db, h);
  if (!p) throw notFound('package', h);
  const path = join(dir, p.path);
  if ((await fileSize(path)) !== p.size_bytes) throw notFound('package', h);
  return { path, sizeBytes: p.size_bytes, sha256: h };
}

export type PackageSource =
  | { kind: 'relay'; deviceId: number; name: string; hostname: string; ipAddresses: string[] }
  | { kind: 'server' }
  | { kind: 'direct' };

/**
 * Where a device gets packages, in order: the relays of its organization (those the download settings
 * name, in their order, or every relay by name when they name none), then this server, then the
 * vendor's own URL only when the settings allow direct download. A device is never its own relay.
 * Caching servers are named by device id or device name; a name that is no relay of the organization is
 * an error, or skipped with `skipUnknown` (an agent's settings must not fail because a relay was retired).
 */
export async function packageSources(
  ctx: Context,
  deviceId: number,
  download: DownloadSettings,
  opts: { skipUnknown?: boolean } = {},
): Promise<PackageSource[]> {
  ctx.authorize('read');
  const device = await visibleDevice(ctx, deviceId);
  const relays = (await repo.relaysOf(ctx.store.db, device.organization_id)).filter(
    (r) => r.id !== device.id,
  );
  let chosen = relays;
  if (download.cachingServers.length) {
    const missing: string[] = [];
    chosen = [];
    for (const ref of download.cachingServers) {
      const r = relays.find((x) => String(x.id) === ref || x.name === ref);
      if (r) chosen.push(r);
      else if (ref !== String(device.id) && ref !== device.name) missing.push(ref);
    }
    if (missing.length && !opts.skipUnknown)
      throw invalid(
        'unknown caching servers',
        missing.map((m) => ({
          path: '/cachingServers',
          message: `'${m}' is not a relay device of organization ${device.organization_id}`,
        })),
      );
  }
  return [
    ...chosen.map((r): PackageSource => ({
      kind: 'relay',
      deviceId: r.id,
      name: r.name,
      hostname: r.hostname,
      ipAddresses: r.ip_addresses,
    })),
    { kind: 'server' },
    ...(download.directDownloadFallback ? [{ kind: 'direct' } as const] : []),
  ];
}
