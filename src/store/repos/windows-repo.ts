import type { Access } from '../../core/access.ts';
import { orgVisible } from '../access.ts';
import { sql } from 'kysely';
import type { Db } from '../db.ts';
import type { NewRow, Row, RowPatch } from '../schema.ts';

// Maintenance windows with their assignments to policies and groups, and what gating an install on a
// device reads (the device's group and zones).

export type WindowRow = Row<'maintenance_windows'>;
export const getWindow = (db: Db, id: number) =>
  db.selectFrom('maintenance_windows').selectAll().where('id', '=', id).executeTakeFirst();

export function listWindows(db: Db, access: Access, f: { organizationId?: number }) {
  let q = db.selectFrom('maintenance_windows').selectAll().where(orgVisible(access, 'organization_id'));
  if (f.organizationId !== undefined) q = q.where('organization_id', '=', f.organizationId);
  return q.orderBy('name').orderBy('id').execute();
}

export const insertWindow = (db: Db, row: NewRow<'maintenance_windows'>) =>
  db.insertInto('maintenance_windows').values(row).returningAll().executeTakeFirstOrThrow();

export const updateWindowRow = (db: Db, id: number, patch: RowPatch<'maintenance_windows'>) =>
  db
    .updateTable('maintenance_windows')
    .set({ ...patch, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();

export const deleteWindowRow = (db: Db, id: number) =>
  db.deleteFrom('maintenance_windows').where('id', '=', id).execute();

export async function windowAssignments(db: Db, windowIds: number[]) {
  const out = new Map<number, { policies: number[]; groups: number[] }>();
  for (const id of windowIds) out.set(id, { policies: [], groups: [] });
  if (!windowIds.length) return out;
  const rows = await db
    .selectFrom('window_assignments')
    .selectAll()
    .where('window_id', 'in', windowIds)
    .orderBy('policy_id')
    .orderBy('group_id')
    .execute();
  for (const r of rows) {
    const a = out.get(r.window_id) as { policies: number[]; groups: number[] };
    if (r.policy_id !== null) a.policies.push(r.policy_id);
    if (r.group_id !== null) a.groups.push(r.group_id);
  }
  return out;
}

export async function replaceWindowAssignments(
  db: Db,
  windowId: number,
  a: { policies: number[]; groups: number[] },
) {
  await db.deleteFrom('window_assignments').where('window_id', '=', windowId).execute();
  const rows = [
    ...a.policies.map((p) => ({ window_id: windowId, policy_id: p, group_id: null })),
    ...a.groups.map((g) => ({ window_id: windowId, policy_id: null, group_id: g })),
  ];
  if (rows.length) await db.insertInto('window_assignments').values(rows).execute();
}

/** the windows assigned to any of these groups or policies */
export async function windowsAssignedTo(db: Db, groupIds: number[], policyIds: number[]) {
  if (!groupIds.length && !policyIds.length) return [];
  return db
    .selectFrom('maintenance_windows as w')
    .innerJoin('window_assignments as a', 'a.window_id', 'w.id')
    .selectAll('w')
    .select(['a.group_id', 'a.policy_id'])
    .where((eb) =>
      eb.or([
        eb('a.group_id', 'in', groupIds.length ? groupIds : [0]),
        eb('a.policy_id', 'in', policyIds.length ? policyIds : [0]),
      ]),
    )
    .orderBy('w.id')
    .execute();
}

/** the device's organization, group and time zones (its own and its organization's) */
export const deviceZones = (db: Db, deviceId: number) =>
  db
    .selectFrom('devices as d')
    .innerJoin('organizations as o', 'o.id', 'd.organization_id')
    .select(['d.id', 'd.organization_id', 'd.group_id', 'd.time_zone', 'o.time_zone as org_zone'])
    .where('d.id', '=', deviceId)
    .executeTakeFirst();
