import type { Access } from '../../core/access.ts';
import { groupVisible } from '../access.ts';
import { sql } from 'kysely';
import { CHANGES_CHANNEL } from '../change-feed.ts';
import type { Db } from '../db.ts';
import { containsPattern, paginate, type Page } from '../paging.ts';
import type { NewRow, Row, RowPatch } from '../schema.ts';

export type DeviceRow = Row<'devices'>;
export const deviceSort = {
  name: 'name',
  hostname: 'hostname',
  osFamily: 'os_family',
  lastSeenAt: 'last_seen_at',
  createdAt: 'created_at',
  id: 'id',
};

export interface DeviceFilter {
  organizationId?: number;
  /** only these devices */
  ids?: readonly number[];
  groupIds?: number[];
  osFamily?: string;
  status?: string;
  q?: string;
  tag?: string;
  rebootRequired?: boolean;
  seenBefore?: Date;
  /** true: devices an agent enrolled (managed); false: the others */
  enrolled?: boolean;
}

export async function listDevices(db: Db, access: Access, f: DeviceFilter, page: Page) {
  let q = db
    .selectFrom('devices')
    .selectAll()
    .where(groupVisible(access, 'organization_id', 'group_id'));
  if (f.organizationId !== undefined) q = q.where('organization_id', '=', f.organizationId);
  if (f.ids) q = q.where('id', 'in', f.ids.length ? [...f.ids] : [0]);
  if (f.groupIds) q = q.where('group_id', 'in', f.groupIds.length ? f.groupIds : [0]);
  if (f.osFamily) q = q.where('os_family', '=', f.osFamily);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.tag) q = q.where((eb) => eb(eb.val(f.tag!), '=', eb.fn.any('tags')));
  if (f.rebootRequired !== undefined) q = q.where('reboot_required', '=', f.rebootRequired);
  if (f.enrolled !== undefined) q = q.where('enrolled_at', f.enrolled ? 'is not' : 'is', null);
  if (f.seenBefore)
    q = q.where((eb) => eb.or([eb('last_seen_at', '<', f.seenBefore!), eb('last_seen_at', 'is', null)]));
  if (f.q) {
    const p = containsPattern(f.q);
    q = q.where((eb) =>
      eb.or([eb('name', 'ilike', p), eb('hostname', 'ilike', p), eb('os_name', 'ilike', p)]),
    );
  }
  return paginate(q, page, deviceSort, 'id', (r) => r as DeviceRow);
}

/** how many devices (in the scope) each group of an organization holds directly */
export async function deviceCountsByGroup(db: Db, access: Access, organizationId: number) {
  const rows = await db
    .selectFrom('devices')
    .select(['group_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('organization_id', '=', organizationId)
    .where(groupVisible(access, 'organization_id', 'group_id'))
    .groupBy('group_id')
    .execute();
  return new Map(rows.map((r) => [r.group_id, Number(r.n)]));
}

export const getDevice = (db: Db, id: number) =>
  db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();

export const insertDevice = (db: Db, row: NewRow<'devices'>) =>
  db.insertInto('devices').values(row).returning('id').executeTakeFirstOrThrow();

export async function updateDevice(db: Db, id: number, patch: RowPatch<'devices'>) {
  await db
    .updateTable('devices')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', id)
    .execute();
}

/**
 * tells every replica's change feed that device `id` changed (the payload of migration 0017's trigger).
 * Sent outside a write transaction, after its commit: a NOTIFY inside one holds a lock of the whole
 * server through the commit, so that notifying transactions commit one at a time (migration 0024).
 */
export async function announceDeviceChange(db: Db, id: number) {
  await sql`select pg_notify(${CHANGES_CHANNEL}, ${`d:${id}`})`.execute(db);
}

export async function deleteDevice(db: Db, id: number) {
  await db.deleteFrom('devices').where('id', '=', id).execute();
}

/** devices of some groups (used to apply group-level decisions) */
export const devicesInGroups = (db: Db, groupIds: number[]) =>
  groupIds.length
    ? db.selectFrom('devices').select(['id', 'group_id']).where('group_id', 'in', groupIds).execute()
    : Promise.resolve([]);

/** how many devices the scope sees */
export async function countVisibleDevices(db: Db, access: Access, organizationId?: number): Promise<number> {
  let q = db
    .selectFrom('devices')
    .select((e) => e.fn.countAll<number>().as('n'))
    .where(groupVisible(access, 'organization_id', 'group_id'));
  if (organizationId !== undefined) q = q.where('organization_id', '=', organizationId);
  const r = await q.executeTakeFirstOrThrow();
  return Number(r.n);
}

/** the group of each of some devices */
export const groupsOfDevices = (db: Db, ids: readonly number[]) =>
  ids.length
    ? db
        .selectFrom('devices')
        .select(['id', 'group_id'])
        .where('id', 'in', [...ids])
        .execute()
    : Promise.resolve([]);

/** ids of an organization's devices in some groups */
export async function deviceIdsInGroups(
  db: Db,
  organizationId: number,
  groupIds: readonly number[],
): Promise<number[]> {
  if (!groupIds.length) return [];
  const rows = await db
    .selectFrom('devices')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('group_id', 'in', [...groupIds])
    .execute();
  return rows.map((r) => r.id);
}

/**
 * The active devices of an organization that are listed or sit in some groups, by id, with their own
 * and their organization's time zone (what a policy's targets reach).
 */
export function activeDevicesTargeted(
  db: Db,
  organizationId: number,
  t: { deviceIds: readonly number[]; groupIds: readonly number[] },
) {
  return db
    .selectFrom('devices as d')
    .innerJoin('organizations as o', 'o.id', 'd.organization_id')
    .select(['d.id', 'd.name', 'd.group_id', 'd.os_family', 'd.time_zone', 'o.time_zone as org_zone'])
    .where('d.organization_id', '=', organizationId)
    .where('d.status', '=', 'active')
    .where((eb) =>
      eb.or([
        eb('d.id', 'in', t.deviceIds.length ? [...t.deviceIds] : [0]),
        eb('d.group_id', 'in', t.groupIds.length ? [...t.groupIds] : [0]),
      ]),
    )
    .orderBy('d.id')
    .execute();
}

/** the organization and group of each of some devices (what a target naming them reaches) */
export const devicePlacements = (db: Db, ids: readonly number[]) =>
  ids.length
    ? db
        .selectFrom('devices')
        .select(['id', 'organization_id', 'group_id'])
        .where('id', 'in', [...ids])
        .execute()
    : Promise.resolve([]);
