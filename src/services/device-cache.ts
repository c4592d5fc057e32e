import type { Store } from '../store/db.ts';
import type { Row } from '../store/schema.ts';

// The idle check-in path trusts a credential → device lookup for a few seconds. The cache lives here,
// apart from the check-in code, so that whatever ends a device (deleting it, rotating its credential)
// can drop it at once without importing the agent protocol's service.

export interface CachedDevice {
  device: Row<'devices'>;
  /** the organization's settings revision, read with the device */
  revision: number;
  /** when the entry stops being trusted (ms since the epoch) */
  until: number;
}

interface DeviceCache {
  /** credential hash → device, in expiry order */
  readonly entries: Map<string, CachedDevice>;
  /**
   * bumped by every forget: a lookup that began before one must not cache what it read, or a check-in
   * racing a deletion would put the deleted device back for the cache's lifetime
   */
  generation: number;
}

const caches = new WeakMap<Store, DeviceCache>();

export function deviceCache(store: Store): DeviceCache {
  let c = caches.get(store);
  if (!c) caches.set(store, (c = { entries: new Map(), generation: 0 }));
  return c;
}

/** forgets the cached credential lookups of a device (its credential changed or it was deleted here) */
export function forgetDevice(store: Store, deviceId: number) {
  const c = deviceCache(store);
  c.generation++;
  for (const [hash, e] of c.entries) if (e.device.id === deviceId) c.entries.delete(hash);
}
