import type { Access } from '../../core/access.ts';
import { orgVisible } from '../access.ts';
import { sql } from 'kysely';
import type { Db } from '../db.ts';
import type { NewRow, Row, RowPatch } from '../schema.ts';

export * from './windows-repo.ts';

// Patch policies with their targets, and the install task a scheduled policy owns (found by
// `parameters.policyId`, the link the engine's payload carries too). Maintenance windows: windows.ts
// (re-exported here for the modules that still import them from here).

export type PolicyRow = Row<'policies'>;
export interface PolicyTargetIds {
  groups: number[];
  devices: number[];
  filters: number[];
}

export const policySort = { name: 'name', createdAt: 'created_at', updatedAt: 'updated_at', id: 'id' };

export const getPolicy = (db: Db, id: number) =>
  db.selectFrom('policies').selectAll().where('id', '=', id).executeTakeFirst();

/** the policies of some organizations (null = every organization), by name */
export function listPolicies(
  db: Db,
  access: Access,
  f: { organizationId?: number; q?: string; kinds: readonly string[] },
) {
  let q = db
    .selectFrom('policies')
    .selectAll()
    .where('kind', 'in', [...f.kinds])
    .where(orgVisible(access, 'organization_id'));
  if (f.organizationId !== undefined) q = q.where('organization_id', '=', f.organizationId);
  if (f.q) q = q.where(sql<boolean>`strpos(lower(name), ${f.q.toLowerCase()}) > 0`);
  return q.orderBy('name').orderBy('id').execute();
}

export const insertPolicy = (db: Db, row: NewRow<'policies'>) =>
  db.insertInto('policies').values(row).returningAll().executeTakeFirstOrThrow();

export const updatePolicyRow = (db: Db, id: number, patch: RowPatch<'policies'>) =>
  db
    .updateTable('policies')
    .set({ ...patch, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();

export const deletePolicyRow = (db: Db, id: number) =>
  db.deleteFrom('policies').where('id', '=', id).execute();

export async function policyTargets(db: Db, policyIds: number[]): Promise<Map<number, PolicyTargetIds>> {
  const out = new Map<number, PolicyTargetIds>();
  for (const id of policyIds) out.set(id, { groups: [], devices: [], filters: [] });
  if (!policyIds.length) return out;
  const rows = await db
    .selectFrom('policy_targets')
    .selectAll()
    .where('policy_id', 'in', policyIds)
    .execute();
  for (const r of rows) {
    const t = out.get(r.policy_id) as PolicyTargetIds;
    if (r.group_id !== null) t.groups.push(r.group_id);
    if (r.device_id !== null) t.devices.push(r.device_id);
    if (r.filter_id !== null) t.filters.push(r.filter_id);
  }
  for (const t of out.values()) for (const l of [t.groups, t.devices, t.filters]) l.sort((a, b) => a - b);
  return out;
}

export async function replacePolicyTargets(db: Db, policyId: number, t: PolicyTargetIds) {
  await db.deleteFrom('policy_targets').where('policy_id', '=', policyId).execute();
  const rows = [
    ...t.groups.map((g) => ({ policy_id: policyId, group_id: g, device_id: null, filter_id: null })),
    ...t.devices.map((d) => ({ policy_id: policyId, group_id: null, device_id: d, filter_id: null })),
    ...t.filters.map((f) => ({ policy_id: policyId, group_id: null, device_id: null, filter_id: f })),
  ];
  if (rows.length) await db.insertInto('policy_targets').values(rows).execute();
}

/** saved device filters of the organization that are missing among `ids` */
export async function missingFilters(db: Db, orgId: number, ids: readonly number[]) {
  if (!ids.length) return [];
  const found = await db
    .selectFrom('saved_device_filters')
    .select('id')
    .where('organization_id', '=', orgId)
    .where('id', 'in', [...ids])
    .execute();
  const have = new Set(found.map((r) => r.id));
  return ids.filter((id) => !have.has(id));
}

/** the install task a policy owns, with its schedule's next due time */
export async function policyTask(db: Db, policyId: number) {
  return db
    .selectFrom('tasks as t')
    .leftJoin('schedules as s', 's.id', 't.schedule_id')
    .select(['t.id', 't.schedule_id', 't.enabled', 's.next_due_at', 's.definition'])
    .where(sql<boolean>`t.parameters->>'policyId' = ${String(policyId)}`)
    .orderBy('t.id')
    .executeTakeFirst();
}

/** removes a policy's task and its schedule row (instances go with the task) */
export async function deletePolicyTask(db: Db, policyId: number) {
  const tasks = await db
    .deleteFrom('tasks')
    .where(sql<boolean>`parameters->>'policyId' = ${String(policyId)}`)
    .returning('schedule_id')
    .execute();
  const schedules = tasks.map((t) => t.schedule_id).filter((s): s is number => s !== null);
  if (schedules.length) await db.deleteFrom('schedules').where('id', 'in', schedules).execute();
}

/** turns a policy's install task on or off */
export async function setPolicyTaskEnabled(db: Db, policyId: number, enabled: boolean) {
  await db
    .updateTable('tasks')
    .set({ enabled })
    .where(sql<boolean>`parameters->>'policyId' = ${String(policyId)}`)
    .execute();
}

/** ids among `ids` that are policies of the organization */
export async function missingPolicies(db: Db, orgId: number, ids: readonly number[]) {
  if (!ids.length) return [];
  const found = await db
    .selectFrom('policies')
    .select('id')
    .where('organization_id', '=', orgId)
    .where('id', 'in', [...ids])
    .execute();
  const have = new Set(found.map((r) => r.id));
  return ids.filter((id) => !have.has(id));
}
