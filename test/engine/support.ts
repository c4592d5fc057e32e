import { HANG_GUARD_MS } from '../support/hang-guard.ts';
import { sql } from 'kysely';
import { Context, SYSTEM_ACTOR } from '../../src/services/context.ts';
import type { Store } from '../../src/store/db.ts';

let counter = 0;

/** an organization with its root group and `n` active devices, made with one bulk insert */
export async function orgWithDevices(store: Store, n: number, timeZone: string | null = 'UTC') {
  const ref = `org-${process.pid}-${++counter}-${Date.now()}`;
  const org = await store.db
    .insertInto('organizations')
    .values({ ref, name: ref, time_zone: timeZone })
    .returning('id')
    .executeTakeFirstOrThrow();
  const root = await store.db
    .insertInto('groups')
    .values({ organization_id: org.id, name: 'All devices', is_root: true })
    .returning('id')
    .executeTakeFirstOrThrow();
  await addDevices(store, org.id, root.id, n);
  return { orgId: org.id, rootGroupId: root.id };
}

export async function addGroup(store: Store, orgId: number, parentId: number, name: string) {
  const g = await store.db
    .insertInto('groups')
    .values({ organization_id: orgId, parent_id: parentId, name })
    .returning('id')
    .executeTakeFirstOrThrow();
  return g.id;
}

export async function addDevices(store: Store, orgId: number, groupId: number, n: number): Promise<number[]> {
  if (n <= 0) return [];
  const r = await sql<{ id: number }>`
    insert into devices (organization_id, group_id, name, hostname)
    select ${orgId}, ${groupId}, 'device-' || ${groupId} || '-' || g, 'host' || g from generate_series(1, ${n}) g
    returning id`.execute(store.db);
  return r.rows.map((x) => x.id).sort((a, b) => a - b);
}

/** the system actor with a fixed clock */
export const at = (store: Store, now: Date) => new Context(store, SYSTEM_ACTOR, () => now);

export async function jobsOf(store: Store, instanceId: number) {
  return store.db
    .selectFrom('jobs')
    .select(['device_id', 'kind', 'status'])
    .where('instance_id', '=', instanceId)
    .execute();
}

export async function waitFor<T>(
  what: string,
  f: () => Promise<T | undefined | false>,
  timeoutMs = HANG_GUARD_MS,
) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
