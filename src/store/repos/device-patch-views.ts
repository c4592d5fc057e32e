import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Access } from '../../core/access.ts';
import { UPDATE_STATUSES, type UpdateStatus } from '../../core/status.ts';
import { groupVisible } from '../access.ts';
import type { Db } from '../db.ts';
import type { FieldMap, FieldType } from '../odata/index.ts';
import { OUTSTANDING_STATUSES } from './compliance.ts';

// The Kaseya VSA Patch Management chapter (seed 004): the scoped queries behind "Get Missing Patches",
// "Get Patch History" and "Get Patch Status", the FieldMaps their $filter / $orderby compile through, the
// code tables those lists render, and the few writes "Cancel a Scheduled Patch" needs.
//
// Codes the seed types `int` without listing values (decided here, once, and rendered from SQL so that
// filters and sorts see the same numbers the client reads):
// - PatchState: the index of Patchline's workflow status in UPDATE_STATUSES (0 missing, 1 pending,
//   2 queued, 3 installing, 4 installed, 5 failed, 6 ignored, 7 reboot required, 8 not applicable).
// - ApprovalStatus: VSA's three approval states, 0 Approved, 1 Denied, 2 Pending Approval, from the
//   governing decision (approve, ignore, none or nobody decided).
// - Ignore: 1 when the governing decision is an ignore set on the agent itself (what setignore writes).
// - UpdateClassification: Windows Update's classification numbers as VSA lists them: 100–104 security
//   update critical / important / moderate / low / not rated, 210 update, 220 feature pack, 230 tool.
// - UpdateCategory: Patchline's classification, 0 security, 1 bugfix, 2 enhancement, 3 feature, 4 other.

/** the governing decisions of a device's updates, as the services computed them (update ids) */
export interface PatchDecisions {
  readonly approved: readonly number[];
  /** governed by an ignore at any level: VSA's "denied" */
  readonly denied: readonly number[];
  /** governed by an ignore set on the device itself: VSA's Ignore flag */
  readonly ignored: readonly number[];
}

/** workflow statuses of an update the device still misses (outstanding, or ignored) */
export const MISSING_PATCH_STATUSES: readonly UpdateStatus[] = [...OUTSTANDING_STATUSES, 'ignored'];
/** the outcomes a patch history lists: installs (with or without a pending reboot) and failures */
export const HISTORY_STATUSES: readonly UpdateStatus[] = ['installed', 'reboot_required', 'failed'];

const CATEGORIES = ['security', 'bugfix', 'enhancement', 'feature', 'other'] as const;
const SECURITY_CLASS: Record<string, number> = { critical: 100, high: 101, medium: 102, low: 103 };

const anyOf = (ids: readonly number[]) => sql`any(${sql.val([...ids])}::bigint[])`;
const bit = (cond: RawBuilder<SqlBool>) => sql<number>`(case when ${cond} then 1 else 0 end)`;

/** the fields of one patch record, each as the SQL that computes it */
function patchColumns(status: RawBuilder<string>, version: RawBuilder<string | null>, d: PatchDecisions) {
  const isId = (ids: readonly number[]) => sql<SqlBool>`u.id = ${anyOf(ids)}`;
  const title = sql<string>`(case when u.kind = 'kb' or ${version} is null then u.name
    else u.name || ' ' || ${version} end)`;
  const kb = sql<string | null>`u.kb`;
  const published = sql<Date | null>`coalesce(u.released_at, b.released_at)`;
  const product = sql<string>`coalesce(p.name, u.package_name, u.name)`;
  const state = sql<number>`(array_position(array[${sql.join(UPDATE_STATUSES.map((s) => sql`${s}`))}]::text[], ${status}) - 1)`;
  return {
    PatchDataId: sql<number>`u.id`,
    UpdateClassification: sql<number>`(case
      when u.is_security or u.classification = 'security' then (case u.severity
        ${sql.join(
          Object.entries(SECURITY_CLASS).map(([s, n]) => sql`when ${s} then ${sql.lit(n)}`),
          sql` `,
        )} else 104 end)
      when u.classification = 'feature' then 220
      when u.classification = 'other' then 230
      else 210 end)`,
    UpdateCategory: sql<number>`coalesce(array_position(array[${sql.join(CATEGORIES.map((c) => sql`${c}`))}]::text[], u.classification) - 1, 4)`,
    KBArticleId: kb,
    KBArticleLink: sql<string | null>`(case when u.kb is not null
      then 'https://support.microsoft.com/kb/' || substr(u.kb, 3) end)`,
    SecurityBulletinId: sql<string | null>`(case when u.is_security then b.external_id end)`,
    SecurityBulletinLink: sql<string | null>`(case when u.is_security then b.url end)`,
    UpdateTitle: title,
    LastPublishedDate: published,
    LocationPending: sql<number>`0`,
    LocationId: sql<number>`0`,
    BulletinId: sql<string | null>`b.external_id`,
    PatchState: state,
    Ignore: bit(isId(d.ignored)),
    ProductId: sql<number | null>`u.product_id`,
    ApprovalStatus: sql<number>`(case when ${isId(d.approved)} then 0 when ${isId(d.denied)} then 1 else 2 end)`,
    Location: sql<string | null>`u.source_url`,
    WuaOverrideFlag: sql<number>`0`,
    Switches: sql<string | null>`u.install_switches`,
    ProductName: product,
    IsSuperseded: sql<boolean>`exists (select 1 from update_supersedence us where us.update_id = u.id)`,
    WuaProductId: sql<number>`0`,
    // the names the seed's sample response uses for the same things (see seeds/README.md)
    Description: title,
    KBArticle: kb,
    Product: product,
    ReleaseDate: published,
    Status: state,
    manualUpdateFlag: sql<number>`0`,
    schedTogether: sql<number>`0`,
  };
}

type Columns = ReturnType<typeof patchColumns>;
/** one patch record, in the seed's field names */
export type PatchRow = { [K in keyof Columns]: Columns[K] extends RawBuilder<infer T> ? T : never };

const TYPES: Record<string, FieldType> = {
  KBArticleId: 'string',
  KBArticleLink: 'string',
  SecurityBulletinId: 'string',
  SecurityBulletinLink: 'string',
  UpdateTitle: 'string',
  LastPublishedDate: 'datetime',
  BulletinId: 'string',
  InstallDate: 'datetime',
  Location: 'string',
  Switches: 'string',
  ProductName: 'string',
  IsSuperseded: 'boolean',
  Description: 'string',
  KBArticle: 'string',
  Product: 'string',
  ReleaseDate: 'datetime',
};

function fieldMap(cols: Record<string, RawBuilder<unknown>>): FieldMap {
  return Object.fromEntries(
    Object.entries(cols).map(([name, column]) => [name, { column, type: TYPES[name] ?? 'number' }]),
  );
}

const selectAll = (cols: Record<string, RawBuilder<unknown>>) =>
  Object.entries(cols).map(([name, c]) => c.as(name));

/** the updates a device misses (and, unless `hideDenied`, those it ignores), with their FieldMap */
export function missingPatches(
  db: Db,
  access: Access,
  deviceId: number,
  d: PatchDecisions,
  hideDenied: boolean,
) {
  const cols = {
    ...patchColumns(sql`du.status`, sql`coalesce(du.available_version, u.version)`, d),
    InstallDate: sql<Date | null>`du.installed_at`,
  };
  let q = db
    .selectFrom('device_updates as du')
    .innerJoin('devices as d', 'd.id', 'du.device_id')
    .innerJoin('updates as u', 'u.id', 'du.update_id')
    .leftJoin('bulletins as b', 'b.id', 'u.bulletin_id')
    .leftJoin('products as p', 'p.id', 'u.product_id')
    .select(selectAll(cols))
    .where('du.device_id', '=', deviceId)
    .where('du.status', 'in', [...MISSING_PATCH_STATUSES])
    .where(groupVisible(access, 'd.organization_id', 'd.group_id'));
  if (hideDenied) q = q.where(sql<SqlBool>`not (du.update_id = ${anyOf(d.denied)})`);
  return { query: q.$castTo<PatchRow & { InstallDate: Date | null }>(), fields: fieldMap(cols) };
}

/**
 * A device's patch history from the event log: every time one of its updates became installed,
 * installed awaiting a reboot, or failed, oldest first (PatchState is the status it reached then,
 * InstallDate when).
 */
export function patchHistory(db: Db, access: Access, deviceId: number, d: PatchDecisions) {
  const to = sql<string>`(e.data->>'to')`;
  const cols = {
    ...patchColumns(to, sql`u.version`, d),
    InstallDate: sql<Date>`e.at`,
  };
  const q = db
    .selectFrom('events as e')
    .innerJoin('devices as d', 'd.id', 'e.device_id')
    .innerJoin('updates as u', 'u.id', 'e.update_id')
    .leftJoin('bulletins as b', 'b.id', 'u.bulletin_id')
    .leftJoin('products as p', 'p.id', 'u.product_id')
    .select(selectAll(cols))
    .where('e.device_id', '=', deviceId)
    .where('e.kind', 'in', ['device_update.status', 'device_update.detected'])
    .where(to, 'in', [...HISTORY_STATUSES])
    .where(groupVisible(access, 'd.organization_id', 'd.group_id'));
  return { query: q.$castTo<PatchRow & { InstallDate: Date }>(), fields: fieldMap(cols) };
}

// ---- patch status ---------------------------------------------------------------------------------

/** a task's target covers the device: the organization, a group above it, or the device by id */
const targets = (deviceId: number) => sql<SqlBool>`(
  coalesce(t.parameters->'target'->>'kind', 'organization') = 'organization'
  or (t.parameters->'target'->>'kind' = 'devices' and t.parameters->'target'->'ids' @> to_jsonb(${deviceId}::bigint))
  or (t.parameters->'target'->>'kind' = 'groups' and exists (
    with recursive up(id) as (
      select group_id from devices where id = ${deviceId}
      union select g.parent_id from groups g join up on g.id = up.id where g.parent_id is not null)
    select 1 from jsonb_array_elements_text(t.parameters->'target'->'ids') x(id)
    where x.id::bigint in (select id from up))))`;

/** the next scheduled occurrence of a task of this kind that covers the device */
async function nextScheduled(db: Db, orgId: number, deviceId: number, kind: string) {
  return db
    .selectFrom('tasks as t')
    .innerJoin('schedules as s', 's.id', 't.schedule_id')
    .select(['t.id', 's.next_due_at'])
    .where('t.organization_id', '=', orgId)
    .where('t.kind', '=', kind)
    .where('t.enabled', '=', true)
    .where('s.enabled', '=', true)
    .where('s.next_due_at', 'is not', null)
    .where(targets(deviceId))
    .orderBy('s.next_due_at')
    .orderBy('t.id')
    .limit(1)
    .executeTakeFirst();
}

/** what "Get Patch Status" reports of a device in scope, or undefined */
export async function patchStatus(db: Db, access: Access, deviceId: number) {
  const device = await db
    .selectFrom('devices as d')
    .select([
      'd.id',
      'd.organization_id',
      'd.os_family',
      'd.last_scan_at',
      'd.last_seen_at',
      'd.reboot_required',
    ])
    .where('d.id', '=', deviceId)
    .where(groupVisible(access, 'd.organization_id', 'd.group_id'))
    .executeTakeFirst();
  if (!device) return undefined;
  const [installs, scanOpen, counts, nextScan, nextInstall] = await Promise.all([
    db
      .selectFrom('jobs')
      .select([sql<number>`count(*)::int`.as('n'), sql<Date | null>`max(completed_at)`.as('last')])
      .where('device_id', '=', deviceId)
      .where('kind', '=', 'install')
      .where('status', 'in', ['succeeded', 'failed'])
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('jobs')
      .select('id')
      .where('device_id', '=', deviceId)
      .where('kind', '=', 'scan')
      .where('status', 'in', ['pending', 'delivered', 'running'])
      .limit(1)
      .executeTakeFirst(),
    db
      .selectFrom('device_updates')
      .select(['status', sql<number>`count(*)::int`.as('n')])
      .where('device_id', '=', deviceId)
      .groupBy('status')
      .execute(),
    nextScheduled(db, device.organization_id, deviceId, 'scan'),
    nextScheduled(db, device.organization_id, deviceId, 'install'),
  ]);
  return {
    device,
    installJobs: installs.n,
    lastInstallAt: installs.last,
    scanPending: scanOpen !== undefined,
    counts: Object.fromEntries(counts.map((c) => [c.status, c.n])) as Partial<Record<UpdateStatus, number>>,
    nextScan: nextScan ? { taskId: nextScan.id, at: nextScan.next_due_at as Date } : null,
    nextInstall: nextInstall ? { taskId: nextInstall.id, at: nextInstall.next_due_at as Date } : null,
  };
}

// ---- cancelling a device's waiting work -------------------------------------------------------------

const namesDevice = (deviceId: number, column: 'parameters') => sql<SqlBool>`(
  ${sql.ref(column)}->'target'->>'kind' = 'devices' and ${sql.ref(column)}->'target'->'ids' @> to_jsonb(${deviceId}::bigint))`;

/** enabled tasks of a kind with a schedule whose target names the device by id */
export const scheduledTasksNaming = (db: Db, orgId: number, deviceId: number, kind: string) =>
  db
    .selectFrom('tasks')
    .select(['id', 'parameters', 'schedule_id'])
    .where('organization_id', '=', orgId)
    .where('kind', '=', kind)
    .where('enabled', '=', true)
    .where('schedule_id', 'is not', null)
    .where(namesDevice(deviceId, 'parameters'))
    .orderBy('id')
    .execute();

/** instances of a kind not started yet whose target names the device by id */
export const waitingInstancesNaming = (db: Db, orgId: number, deviceId: number, kind: string) =>
  db
    .selectFrom('task_instances')
    .select(['id', 'parameters'])
    .where('organization_id', '=', orgId)
    .where('kind', '=', kind)
    .where('status', '=', 'NotStarted')
    .where(namesDevice(deviceId, 'parameters'))
    .orderBy('id')
    .execute();

export const setTaskParameters = (db: Db, id: number, parameters: Record<string, unknown>) =>
  db
    .updateTable('tasks')
    .set({ parameters, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .execute();

export const disableTask = (db: Db, id: number) =>
  db
    .updateTable('tasks')
    .set({ enabled: false, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .execute();

/** a NotStarted instance's parameters (its own copy of the target); false when it started meanwhile */
export async function setWaitingInstanceParameters(db: Db, id: number, parameters: Record<string, unknown>) {
  const r = await db
    .updateTable('task_instances')
    .set({ parameters })
    .where('id', '=', id)
    .where('status', '=', 'NotStarted')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** cancels a device's jobs of a kind that no agent picked up yet; returns their ids */
export async function cancelPendingJobs(db: Db, deviceId: number, kind: string, reason: string) {
  const jobs = await db
    .updateTable('jobs')
    .set({ status: 'cancelled', completed_at: sql<Date>`now()`, result: { error: reason } })
    .where('device_id', '=', deviceId)
    .where('kind', '=', kind)
    .where('status', '=', 'pending')
    .returning(['id', 'instance_id'])
    .execute();
  const instances = jobs.flatMap((j) => (j.instance_id === null ? [] : [j.instance_id]));
  if (instances.length)
    await db
      .updateTable('task_instance_devices')
      .set({ status: 'Failed', result: { error: reason }, updated_at: sql<Date>`now()` })
      .where('device_id', '=', deviceId)
      .where('instance_id', 'in', instances)
      .execute();
  return jobs.map((j) => j.id);
}
