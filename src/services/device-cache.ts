import { parseChange } from '../store/change-feed.ts';
import type { Store } from '../store/db.ts';
import type { Row } from '../store/schema.ts';

// What every replica remembers of its devices so that an idle check-in is answered without the database:
// a narrow projection per credential, trusted for as long as the change feed (migration 0017, LISTEN on
// PostgreSQL and PGlite) has been listening since it was read. The feed drops a device's entry when its
// credential, status, jobs, group, zone, interval or scan sequence change or it is deleted, and brings the
// organizations' settings revisions. A replica whose listener is lost falls back to the short cache: an
// entry read while the feed is not listening (or under a listener since lost) is trusted for FALLBACK_MS
// only, until the listener is back. The module lives apart from the check-in code so that whatever ends a
// device here (deleting it, rotating its credential) can drop it at once without importing the protocol.

/**
 * How long an entry the feed does not vouch for is trusted. Below the one second in which a revocation,
 * a deletion, a new job or a settings change must reach a device's next check-in on any replica, even
 * one whose listener was just lost.
 */
export const FALLBACK_MS = 500;
/** entries kept at most (about 300 bytes each); the oldest read goes first */
export const MEMORY_MAX_DEVICES = 2_500_000;

/** a device as an idle check-in needs it */
export interface IdleDevice {
  id: number;
  organization_id: number;
  group_id: number;
  status: string;
  scan_sequence: number;
  agent_version: string | null;
  reboot_required: boolean;
  time_zone: string | null;
  checkin_interval_seconds: number;
  settings_key: string | null;
  settings_hash: string | null;
  /** the machine id the credential belongs to (kept in the inventory) */
  machine_id: string | null;
  /** whether a job was open when it was read: such a device takes the full check-in */
  open_jobs: boolean;
  /** the organization's settings revision read with it */
  revision: number;
  /** the feed's listening epoch when the read began (0: not listening) */
  epoch: number;
  /** until when it is trusted without the feed (ms since the epoch) */
  until: number;
}

/** a device as the warm-up reads it */
export type WarmRow = Omit<IdleDevice, 'open_jobs' | 'revision' | 'epoch' | 'until'> & {
  credential_hash: string;
  org_settings_revision: number;
  has_open_jobs: unknown;
};

/**
 * The entry of a device read from the store, trusted under `epoch` (or until `until`). Every field named,
 * in one literal: a spread of the row makes objects three times as large.
 */
export function entryOf(r: WarmRow, epoch: number, until: number): IdleDevice {
  return {
    id: r.id,
    organization_id: r.organization_id,
    group_id: r.group_id,
    status: r.status,
    scan_sequence: r.scan_sequence,
    agent_version: r.agent_version,
    reboot_required: r.reboot_required,
    time_zone: r.time_zone,
    checkin_interval_seconds: r.checkin_interval_seconds,
    settings_key: r.settings_key,
    settings_hash: r.settings_hash,
    machine_id: r.machine_id || null,
    open_jobs: Boolean(r.has_open_jobs),
    revision: r.org_settings_revision,
    epoch,
    until,
  };
}

/** the fields of a device row an entry keeps (touchCached applies them; others that matter drop it) */
const KEPT = ['scan_sequence', 'agent_version', 'reboot_required', 'settings_key', 'settings_hash'] as const;
const IDENTITY = new Set([
  'id',
  'organization_id',
  'group_id',
  'status',
  'credential_hash',
  'credential_generation',
  'time_zone',
  'checkin_interval_seconds',
  'name',
]);

export class DeviceMemory {
  /** credential hash → entry, oldest read first */
  readonly byHash = new Map<string, IdleDevice>();
  /** device id → its credential hash (to drop a device's entry) */
  readonly hashOf = new Map<number, string>();
  /** organization → the newest settings revision the feed announced */
  readonly revisions = new Map<number, number>();
  /**
   * bumped by every drop: a lookup that began before one must not remember what it read, or a check-in
   * racing a deletion would put the deleted device back
   */
  generation = 0;
  /** the feed's current listening epoch; 0 while it is not listening */
  epoch = 0;
  /** how many times the feed was lost (for tests and the bench) */
  lost = 0;
  /** the read of every device after a start: not begun, under way, done, or stopped (the feed was lost) */
  warming: 'no' | 'reading' | 'done' | 'stopped' = 'no';
  private epochs = 0;
  /** for each read under way (a warm-up page, a batch of missed check-ins): the devices dropped meanwhile */
  private readonly reading = new Set<Set<number>>();
  private strings = new Map<string, string>();
  private stopFeed: (() => Promise<void>) | undefined;

  /** starts listening to the change feed (once) */
  listen(store: Store) {
    if (this.stopFeed) return;
    this.stopFeed = store.listenChanges({
      notify: (payload) => this.apply(payload),
      state: (listening) => {
        if (listening) this.epoch = ++this.epochs;
        else if (this.epoch !== 0) {
          this.epoch = 0;
          this.lost++;
        }
      },
    });
  }

  async close() {
    const stop = this.stopFeed;
    this.stopFeed = undefined;
    this.epoch = 0;
    this.byHash.clear();
    this.hashOf.clear();
    await stop?.();
  }

  apply(payload: string) {
    const c = parseChange(payload);
    if (c?.kind === 'device') this.forget(c.deviceId);
    else if (c?.kind === 'organization' && c.settingsRevision > (this.revisions.get(c.organizationId) ?? -1))
      this.revisions.set(c.organizationId, c.settingsRevision);
  }

  /** the entry of a credential, when it is still trusted */
  get(hash: string, now: number): IdleDevice | undefined {
    const e = this.byHash.get(hash);
    return e && ((e.epoch !== 0 && e.epoch === this.epoch) || now < e.until) ? e : undefined;
  }

  /** the organization's settings revision as far as this replica knows */
  revisionOf(e: IdleDevice): number {
    return Math.max(e.revision, this.revisions.get(e.organization_id) ?? 0);
  }

  /** remembers what a lookup that began at `generation` read, unless a drop came in meanwhile */
  remember(hash: string, e: IdleDevice, generation: number) {
    if (this.generation !== generation) return;
    const previous = this.hashOf.get(e.id);
    if (previous !== undefined && previous !== hash) this.byHash.delete(previous);
    this.byHash.delete(hash);
    if (this.byHash.size >= MEMORY_MAX_DEVICES) {
      const [oldest, o] = this.byHash.entries().next().value as [string, IdleDevice];
      this.byHash.delete(oldest);
      if (this.hashOf.get(o.id) === oldest) this.hashOf.delete(o.id);
    }
    e.settings_key = this.intern(e.settings_key);
    e.settings_hash = this.intern(e.settings_hash);
    e.status = this.intern(e.status)!;
    e.time_zone = this.intern(e.time_zone);
    e.agent_version = this.intern(e.agent_version);
    this.byHash.set(hash, e);
    this.hashOf.set(e.id, hash);
  }

  /** drops what is remembered of a device */
  forget(deviceId: number) {
    this.generation++;
    for (const dropped of this.reading) dropped.add(deviceId);
    const h = this.hashOf.get(deviceId);
    if (h === undefined) return;
    this.hashOf.delete(deviceId);
    this.byHash.delete(h);
  }

  /**
   * Reads devices (`read`) and remembers each under the feed's epoch at the start of the read, unless the
   * feed dropped it meanwhile (its row may be stale) or a trusted entry holds it (remembered meanwhile by a
   * check-in: fresher).
   * Returns the rows read and how many were remembered; `lost` when the feed's epoch changed meanwhile
   * (nothing is remembered then: what was read is not vouched for).
   */
  async readIn(read: () => Promise<readonly WarmRow[]>) {
    const epoch = this.epoch;
    const dropped = new Set<number>();
    this.reading.add(dropped);
    let rows: readonly WarmRow[];
    try {
      rows = await read();
    } finally {
      this.reading.delete(dropped);
    }
    if (this.epoch !== epoch) return { rows, remembered: 0, lost: true };
    const now = Date.now();
    const until = now + FALLBACK_MS;
    let remembered = 0;
    for (const r of rows) {
      const held = this.hashOf.get(r.id);
      if (dropped.has(r.id) || (held !== undefined && this.get(held, now))) continue;
      this.remember(r.credential_hash, entryOf(r, epoch, until), this.generation);
      remembered++;
    }
    return { rows, remembered, lost: false };
  }

  /**
   * Reads every device with a credential into memory, a page at a time, under the listening feed (after a
   * start, so that the first round of check-ins is answered from memory like any other). A device the
   * feed drops while its page is read, or that a check-in remembered meanwhile, is left as it is. Stops
   * when the feed is not listening (what it read would not be trusted). Returns the devices read.
   */
  async warm(read: (afterId: number) => Promise<readonly WarmRow[]>): Promise<number> {
    let after = 0;
    let n = 0;
    this.warming = 'reading';
    try {
      for (;;) {
        if (this.epoch === 0) {
          this.warming = 'stopped';
          return n;
        }
        const page = await this.readIn(() => read(after));
        if (page.lost) {
          this.warming = 'stopped';
          return n;
        }
        n += page.remembered;
        if (page.rows.length === 0) {
          this.warming = 'done';
          return n;
        }
        after = page.rows[page.rows.length - 1]!.id;
        // the check-ins waiting meanwhile go first (a page's rows are many objects to make)
        await new Promise((r) => setImmediate(r));
      }
    } catch (e) {
      this.warming = 'stopped';
      throw e;
    }
  }

  /** drops what is remembered of a credential (it matches no device) */
  forgetCredential(hash: string) {
    const e = this.byHash.get(hash);
    if (e) this.forget(e.id);
  }

  /** keeps an entry in step with a change of its device row this process made */
  touch(deviceId: number, patch: Partial<Row<'devices'>>) {
    const h = this.hashOf.get(deviceId);
    const e = h === undefined ? undefined : this.byHash.get(h);
    if (!e) return;
    for (const k of Object.keys(patch))
      if (IDENTITY.has(k) && patch[k as keyof Row<'devices'>] !== e[k as keyof IdleDevice])
        return this.forget(deviceId);
    for (const k of KEPT) if (patch[k] !== undefined) (e as unknown as Record<string, unknown>)[k] = patch[k];
    if (patch.settings_key !== undefined) e.settings_key = this.intern(patch.settings_key);
    if (patch.settings_hash !== undefined) e.settings_hash = this.intern(patch.settings_hash);
    if (patch.inventory !== undefined) e.machine_id = machineIdOf(patch.inventory);
  }

  /** devices of a group mostly share their settings key and hash, status, zone and agent version: one string each, not one per device */
  private intern(s: string | null): string | null {
    if (s === null) return s;
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    if (this.strings.size >= 100_000) this.strings.clear();
    this.strings.set(s, s);
    return s;
  }
}

/** where the first machine id a device presented is kept (the inventory, which the agent does not own) */
export const MACHINE_ID = 'machineId';

export function machineIdOf(inventory: Row<'devices'>['inventory'] | undefined): string | null {
  const id = (inventory as Record<string, unknown> | null | undefined)?.[MACHINE_ID];
  return typeof id === 'string' && id ? id : null;
}

const memories = new WeakMap<Store, DeviceMemory>();

/** the memory of a store's devices (listening to its change feed from the first use) */
export function deviceMemory(store: Store): DeviceMemory {
  let m = memories.get(store);
  if (!m) {
    memories.set(store, (m = new DeviceMemory()));
    m.listen(store);
  }
  return m;
}

/** what a store's device memory holds, for /metrics (zeros before its first use) */
export function deviceMemoryStats(store: Store) {
  const m = memories.get(store);
  return {
    devices: m?.byHash.size ?? 0,
    listening: m !== undefined && m.epoch !== 0,
    lost: m?.lost ?? 0,
    warmed: m?.warming === 'done',
  };
}

/** keeps a remembered device in step with a change of its row this process made (nothing if none is) */
export function touchDevice(store: Store, deviceId: number, patch: Partial<Row<'devices'>>) {
  memories.get(store)?.touch(deviceId, patch);
}

/** forgets a device here at once (its credential changed or it was deleted here); the feed tells the others */
export function forgetDevice(store: Store, deviceId: number) {
  memories.get(store)?.forget(deviceId);
}

/** stops a store's feed and forgets its devices (before the store closes) */
export async function closeDeviceMemory(store: Store) {
  const m = memories.get(store);
  memories.delete(store);
  await m?.close();
}
