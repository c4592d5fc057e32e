import { unauthenticated } from '../core/errors.ts';
import type { Store } from '../store/db.ts';
import * as repo from '../store/repos/agents-repo.ts';
import { updateDevice } from '../store/repos/devices-repo.ts';
import type { Row } from '../store/schema.ts';
import { Context, type Actor } from './context.ts';
import {
  closeDeviceMemory,
  deviceMemory,
  entryOf,
  FALLBACK_MS,
  forgetDevice,
  type WarmRow,
  machineIdOf,
  touchDevice,
} from './device-cache.ts';
import { record } from './events.ts';
import { newToken, tokenHash } from './secrets.ts';

// A device as an actor: its credential (authentication, rotation), and the idle check-in path: the
// devices remembered (device-cache.ts) and batched last_seen_at writes.

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
  /** the organization's settings revision (read with the device) */
  settingsRevision: number;
  /** whether a job waits (read with the device) */
  openJobs: boolean;
}

type FoundDevice = NonNullable<Awaited<ReturnType<typeof repo.getDeviceByCredentialWithJobs>>>;

/** what the memory keeps of a device read with its jobs (the narrow projection of device-cache.ts) */
const warmRowOf = (found: FoundDevice): WarmRow => ({
  id: found.id,
  organization_id: found.organization_id,
  group_id: found.group_id,
  status: found.status,
  scan_sequence: found.scan_sequence,
  agent_version: found.agent_version,
  reboot_required: found.reboot_required,
  time_zone: found.time_zone,
  checkin_interval_seconds: found.checkin_interval_seconds,
  settings_key: found.settings_key,
  settings_hash: found.settings_hash,
  machine_id: machineIdOf(found.inventory),
  credential_hash: found.credential_hash!,
  org_settings_revision: found.org_settings_revision,
  has_open_jobs: found.has_open_jobs,
});

const refused = () => unauthenticated('unknown or revoked device credential: enroll again');

/** the device of a credential as a request acts with it; a retired one is refused */
function admitted(store: Store, found: FoundDevice): AuthenticatedDevice {
  const { has_open_jobs, org_settings_revision, ...device } = found;
  if (device.status === 'retired') throw refused();
  return {
    ctx: new Context(store, deviceActor(device)),
    device,
    settingsRevision: org_settings_revision,
    openJobs: Boolean(has_open_jobs),
  };
}

/**
 * The device of a credential, read from the store in one query (with whether a job waits and its
 * organization's settings revision); what an idle check-in needs of it is remembered (device-cache.ts).
 */
export async function authenticateDevice(store: Store, credential: string): Promise<AuthenticatedDevice> {
  const hash = tokenHash(credential);
  const memory = deviceMemory(store);
  // what the lookup reads is remembered only if nothing about the device changed meanwhile
  const { generation, epoch } = memory;
  const found = await repo.getDeviceByCredentialWithJobs(store.db, hash);
  if (!found) {
    memory.forgetCredential(hash);
    throw refused();
  }
  memory.remember(hash, entryOf(warmRowOf(found), epoch, Date.now() + FALLBACK_MS), generation);
  return admitted(store, found);
}

/** a device credential's first check: its hash, and its device when it had to be read (admitDevice) */
export interface Admission {
  hash: string;
  /** null: the memory holds the device (the idle check-in needs nothing more) */
  device: AuthenticatedDevice | null;
}

/**
 * The first check of a device credential, before anything else of the request is read. A credential this
 * replica remembers for a device that is not retired passes without the database (device null: the idle
 * check-in trusts it; the request's own lookup, if it needs one, comes later). Any other is read now, with
 * the other misses of the moment in one query (recallDevice), and its device returned for the request to
 * reuse; or refused (unauthenticated).
 */
export async function admitDevice(store: Store, credential: string): Promise<Admission> {
  const hash = tokenHash(credential);
  const remembered = deviceMemory(store).get(hash, Date.now());
  if (remembered && remembered.status !== 'retired') return { hash, device: null };
  const found = await recallDevice(store, hash);
  if (!found) throw refused();
  return { hash, device: admitted(store, found) };
}

/**
 * After a start: waits (a few seconds at most) for the change feed to listen, then reads every device
 * into memory, so that the first round of check-ins costs what a steady round does. Returns the devices
 * read (0 when the feed did not listen in time: check-ins then remember devices one at a time).
 */
export async function warmCheckins(store: Store, o: { pageSize?: number; waitMs?: number } = {}) {
  const memory = deviceMemory(store);
  const end = Date.now() + (o.waitMs ?? 5000);
  while (memory.epoch === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  const pageSize = o.pageSize ?? 2_000;
  return memory.warm((afterId) => repo.idleDevicesPage(store.db, afterId, pageSize));
}

// ---- check-ins the memory missed, read together ----

/** credential hashes read in one query at most */
const RECALL_BATCH = 500;
/** queries of missed check-ins in flight at most; the others gather meanwhile */
const RECALL_IN_FLIGHT = 4;

interface Waiter {
  resolve: (found: FoundDevice | undefined) => void;
  reject: (e: unknown) => void;
}
interface Recall {
  waiting: Map<string, Waiter[]>;
  inFlight: number;
  scheduled: boolean;
}
const recalls = new WeakMap<Store, Recall>();

/**
 * Reads the device of a credential the memory does not hold (after a start, before the warm-up has
 * reached it) with the misses of the check-ins arriving meanwhile, in one query for all, and remembers
 * each (device-cache.ts readIn: not one the change feed dropped meanwhile). Resolves with the device
 * read, undefined when the credential matches none; rejects when the read failed.
 */
export function recallDevice(store: Store, hash: string): Promise<FoundDevice | undefined> {
  let r = recalls.get(store);
  if (!r) recalls.set(store, (r = { waiting: new Map(), inFlight: 0, scheduled: false }));
  const recall = r;
  return new Promise((resolve, reject) => {
    const w = recall.waiting.get(hash);
    if (w) w.push({ resolve, reject });
    else recall.waiting.set(hash, [{ resolve, reject }]);
    pump(store, recall);
  });
}

function pump(store: Store, r: Recall) {
  if (r.scheduled || r.inFlight >= RECALL_IN_FLIGHT || r.waiting.size === 0) return;
  r.scheduled = true;
  // the check-ins parsed in the same turn of the event loop join the batch
  setImmediate(() => {
    r.scheduled = false;
    if (r.inFlight >= RECALL_IN_FLIGHT || r.waiting.size === 0) return;
    const batch: [string, Waiter[]][] = [];
    for (const entry of r.waiting) if (batch.push(entry) >= RECALL_BATCH) break;
    for (const [hash] of batch) r.waiting.delete(hash);
    r.inFlight++;
    const found = new Map<string, FoundDevice>();
    // a read that failed fails its check-ins (as their own lookup would have), it refuses none
    const settle = (failed: { error: unknown } | undefined) => {
      r.inFlight--;
      for (const [hash, waiters] of batch)
        for (const w of waiters)
          if (failed) w.reject(failed.error);
          else w.resolve(found.get(hash));
      pump(store, r);
    };
    deviceMemory(store)
      .readIn(async () => {
        const rows = await repo.getDevicesByCredentialsWithJobs(
          store.db,
          batch.map(([hash]) => hash),
        );
        for (const d of rows) found.set(d.credential_hash!, d);
        return rows.map(warmRowOf);
      })
      .then(
        () => settle(undefined),
        (error: unknown) => settle({ error }),
      );
  });
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

// ---- the idle check-in path: the devices remembered, batched last_seen_at and settings-hash writes ----

/** how often the buffered last_seen_at stamps are written */
export const LAST_SEEN_FLUSH_MS = 2000;

interface Buffered {
  lastSeen: Map<number, Date>;
  /** settings keys and hashes worked out at check-in, written with the stamps */
  settings: Map<number, readonly [string, string]>;
  timer: NodeJS.Timeout | undefined;
}
const buffers = new Map<Store, Buffered>();
const bufferOf = (store: Store): Buffered => {
  let c = buffers.get(store);
  if (!c) buffers.set(store, (c = { lastSeen: new Map(), settings: new Map(), timer: undefined }));
  return c;
};

export { forgetDevice };

/** keeps the remembered device in step with a change of its row this process made */
export function touchCached(store: Store, deviceId: number, patch: Partial<Row<'devices'>>) {
  touchDevice(store, deviceId, patch);
}

function scheduleFlush(store: Store, c: Buffered) {
  if (c.timer) return;
  c.timer = setTimeout(() => {
    c.timer = undefined;
    flushLastSeen(store).catch(() => {
      /* the next check-in stamps it again, and works the settings out again */
    });
  }, LAST_SEEN_FLUSH_MS);
  c.timer.unref();
}

/**
 * The settings key and hash a check-in worked out for a device: written in batches with the stamps (a
 * lost write only means they are worked out again, from the settings already computed for its group).
 */
export function noteSettings(store: Store, deviceId: number, key: string, hash: string) {
  const c = bufferOf(store);
  c.settings.set(deviceId, [key, hash]);
  scheduleFlush(store, c);
}

/** a check-in that changed nothing: its last_seen_at stamp is buffered and written in batches */
export function noteSeen(store: Store, deviceId: number, at: Date) {
  const c = bufferOf(store);
  c.lastSeen.set(deviceId, at);
  scheduleFlush(store, c);
}

/** writes the buffered last_seen_at stamps (and settings hashes) of a store; returns the stamps written */
export async function flushLastSeen(store: Store) {
  const c = buffers.get(store);
  if (!c) return 0;
  if (c.timer) clearTimeout(c.timer);
  c.timer = undefined;
  const batch = [...c.lastSeen];
  c.lastSeen.clear();
  const settings = [...c.settings].map(([id, [key, hash]]) => ({ id, key, hash }));
  c.settings.clear();
  if (settings.length) await repo.setSettingsHashes(store.db, settings);
  if (batch.length) await repo.setLastSeen(store.db, batch);
  return batch.length;
}

/** writes a store's buffered stamps and forgets its caches: call before that store closes */
export async function closeCheckins(store: Store) {
  try {
    await flushLastSeen(store);
  } finally {
    buffers.delete(store);
    await closeDeviceMemory(store);
  }
}
