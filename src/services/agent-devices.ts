import { unauthenticated } from '../core/errors.ts';
import type { Store } from '../store/db.ts';
import * as repo from '../store/repos/agents-repo.ts';
import { updateDevice } from '../store/repos/devices-repo.ts';
import type { Row } from '../store/schema.ts';
import { Context, type Actor } from './context.ts';
import { deviceCache, forgetDevice, type CachedDevice } from './device-cache.ts';
import { record } from './events.ts';
import { newToken, tokenHash } from './secrets.ts';

// A device as an actor: its credential (authentication, rotation), and the idle check-in path: a
// short-lived credential cache and batched last_seen_at writes.

/** a device acts only on itself */
export function deviceActor(d: Pick<Row<'devices'>, 'id' | 'organization_id' | 'group_id' | 'name'>): Actor {
  return {
    type: 'device',
    id: String(d.id),
    name: d.name,
    privileges: new Set(['read', 'manage_devices']),
    access: {
      all: false,
      organizations: new Set(),
      groups: new Map([[d.organization_id, new Set([d.group_id])]]),
    },
  };
}

export interface AuthenticatedDevice {
  ctx: Context;
  device: Row<'devices'>;
  /** the organization's settings revision (read with the device, cached with it) */
  settingsRevision: number;
  /** whether a job waits; known only when the lookup ran now (never cached) */
  openJobs?: boolean;
}

export async function authenticateDevice(store: Store, credential: string): Promise<AuthenticatedDevice> {
  const hash = tokenHash(credential);
  const c = cacheOf(store);
  const now = Date.now();
  // a lookup that overlaps a device's deletion must not cache what it read
  const generation = deviceCache(store).generation;
  let hit = c.devices.get(hash);
  if (hit && hit.until <= now) hit = undefined;
  let openJobs: boolean | undefined;
  if (!hit) {
    // one query: the device, whether a job waits (never cached: a new job must go out at once) and the
    // organization's settings revision
    const found = await repo.getDeviceByCredentialWithJobs(store.db, hash);
    if (found) {
      const { has_open_jobs, org_settings_revision, ...row } = found;
      openJobs = Boolean(has_open_jobs);
      // entries are kept in expiry order: drop the expired ones from the front, and the oldest when full
      for (const [k, e] of c.devices) {
        if (e.until > now && c.devices.size < CREDENTIAL_CACHE_MAX) break;
        c.devices.delete(k);
      }
      c.devices.delete(hash);
      hit = { device: row, revision: org_settings_revision, until: now + CREDENTIAL_CACHE_MS };
      if (deviceCache(store).generation === generation) c.devices.set(hash, hit);
    } else c.devices.delete(hash);
  }
  if (!hit || hit.device.status === 'retired')
    throw unauthenticated('unknown or revoked device credential: enroll again');
  return {
    ctx: new Context(store, deviceActor(hit.device)),
    device: hit.device,
    settingsRevision: hit.revision,
    ...(openJobs === undefined ? {} : { openJobs }),
  };
}

/** Replaces the device's credential; the old one stops working at once. */
export async function rotateCredential(ctx: Context, device: Row<'devices'>) {
  const credential = newToken('pld');
  await ctx.store.transaction(async (tx) => {
    await updateDevice(tx, device.id, {
      credential_hash: tokenHash(credential),
      credential_generation: device.credential_generation + 1,
    });
    await record(ctx, tx, {
      kind: 'device.credential_rotated',
      organizationId: device.organization_id,
      subjectType: 'device',
      subjectId: device.id,
      deviceId: device.id,
      data: { generation: device.credential_generation + 1 },
    });
  });
  forgetDevice(ctx.store, device.id);
  return { credential };
}

// ---- the idle check-in path: a short-lived credential cache and batched last_seen_at writes ----

/** how long a credential → device lookup is trusted; other replicas' rotations and retirements show after it */
export const CREDENTIAL_CACHE_MS = 3000;
const CREDENTIAL_CACHE_MAX = 200_000;
/** how often the buffered last_seen_at stamps are written */
export const LAST_SEEN_FLUSH_MS = 2000;

interface StoreCache {
  devices: Map<string, CachedDevice>;
  lastSeen: Map<number, Date>;
  timer: NodeJS.Timeout | undefined;
}
const caches = new Map<Store, StoreCache>();
const cacheOf = (store: Store): StoreCache => {
  let c = caches.get(store);
  if (!c)
    caches.set(store, (c = { devices: deviceCache(store).entries, lastSeen: new Map(), timer: undefined }));
  return c;
};

export { forgetDevice };

/** keeps a cached device row in step with a change this process made */
export function touchCached(store: Store, deviceId: number, patch: Partial<Row<'devices'>>) {
  const c = caches.get(store);
  if (!c) return;
  for (const e of c.devices.values()) if (e.device.id === deviceId) Object.assign(e.device, patch);
}

/** a check-in that changed nothing: its last_seen_at stamp is buffered and written in batches */
export function noteSeen(store: Store, deviceId: number, at: Date) {
  const c = cacheOf(store);
  c.lastSeen.set(deviceId, at);
  if (!c.timer) {
    c.timer = setTimeout(() => {
      c.timer = undefined;
      flushLastSeen(store).catch(() => {
        /* the next check-in stamps it again */
      });
    }, LAST_SEEN_FLUSH_MS);
    c.timer.unref();
  }
}

/** writes the buffered last_seen_at stamps of a store in one statement */
export async function flushLastSeen(store: Store) {
  const c = caches.get(store);
  if (!c) return 0;
  if (c.timer) clearTimeout(c.timer);
  c.timer = undefined;
  const batch = [...c.lastSeen];
  c.lastSeen.clear();
  if (batch.length) await repo.setLastSeen(store.db, batch);
  return batch.length;
}

/** writes a store's buffered stamps and forgets its caches: call before that store closes */
export async function closeCheckins(store: Store) {
  try {
    await flushLastSeen(store);
  } finally {
    caches.delete(store);
    deviceCache(store).entries.clear();
  }
}
