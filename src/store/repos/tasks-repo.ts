import type { Access } from '../../core/access.ts';
import { orgVisible } from '../access.ts';
import { sql } from 'kysely';
import type { Db } from '../db.ts';
import type { NewRow, Row } from '../schema.ts';

// Tasks, their instances, the per-device rows and the jobs they create. Instances are rows claimed in a
// transaction with FOR UPDATE SKIP LOCKED and held under a lease, so replicas never run one twice and a
// dead replica's instance is taken over once its lease expires. Lease times use the database clock, the
// one clock every replica shares.

export type TaskRow = Row<'tasks'>;
export type InstanceRow = Row<'task_instances'>;
export type ScheduleRow = Row<'schedules'>;

/** which devices an instance targets: listed devices, groups (with their descendants) or the organization */
export type TargetSpec =
  | { readonly kind: 'devices'; readonly ids: readonly number[] }
  | { readonly kind: 'groups'; readonly ids: readonly number[] }
  | { readonly kind: 'organization' };

export const insertTask = (db: Db, row: NewRow<'tasks'>) =>
  db.insertInto('tasks').values(row).returningAll().executeTakeFirstOrThrow();

export const getTask = (db: Db, id: number) =>
  db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst();

export const setTaskSchedule = (db: Db, id: number, scheduleId: number | null) =>
  db
    .updateTable('tasks')
    .set({ schedule_id: scheduleId, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .execute();

export const insertSchedule = (db: Db, row: NewRow<'schedules'>) =>
  db.insertInto('schedules').values(row).returningAll().executeTakeFirstOrThrow();

export const deleteSchedule = (db: Db, id: number) =>
  db.deleteFrom('schedules').where('id', '=', id).execute();

export const insertInstance = (db: Db, row: NewRow<'task_instances'>) =>
  db.insertInto('task_instances').values(row).returningAll().executeTakeFirstOrThrow();

export const getInstance = (db: Db, id: number) =>
  db.selectFrom('task_instances').selectAll().where('id', '=', id).executeTakeFirst();

/** instances that have not finished, oldest first, in the caller's scope */
export function listOpenInstances(db: Db, access: Access, f: { organizationId?: number } = {}, limit = 1000) {
  let q = db
    .selectFrom('task_instances')
    .selectAll()
    .where('status', 'in', ['NotStarted', 'Started', 'StopRequested'])
    .where(orgVisible(access, 'organization_id'));
  if (f.organizationId !== undefined) q = q.where('organization_id', '=', f.organizationId);
  return q.orderBy('id').limit(limit).execute();
}

/** finished instances (Completed, Failed), the newest first */
export function listFinishedInstances(
  db: Db,
  access: Access,
  f: { organizationId?: number; taskId?: number },
  limit: number,
) {
  let q = db
    .selectFrom('task_instances')
    .selectAll()
    .where('status', 'in', ['Completed', 'Failed'])
    .where(orgVisible(access, 'organization_id'));
  if (f.organizationId !== undefined) q = q.where('organization_id', '=', f.organizationId);
  if (f.taskId !== undefined) q = q.where('task_id', '=', f.taskId);
  return q.orderBy('id', 'desc').limit(limit).execute();
}

/** tasks in the caller's scope with their schedule's next due time */
export function listTasks(
  db: Db,
  access: Access,
  f: { organizationId?: number; kind?: string },
  limit = 1000,
) {
  let q = db
    .selectFrom('tasks as t')
    .leftJoin('schedules as s', 's.id', 't.schedule_id')
    .selectAll('t')
    .select('s.next_due_at')
    .where(orgVisible(access, 't.organization_id'));
  if (f.organizationId !== undefined) q = q.where('t.organization_id', '=', f.organizationId);
  if (f.kind) q = q.where('t.kind', '=', f.kind);
  return q.orderBy('t.id').limit(limit).execute();
}

/** the per-device rows of an instance with the job each device got and where the device is now */
export const instanceDevices = (db: Db, instanceId: number) =>
  db
    .selectFrom('task_instance_devices as d')
    .innerJoin('devices as dev', 'dev.id', 'd.device_id')
    .leftJoin('jobs as j', (j) =>
      j.onRef('j.instance_id', '=', 'd.instance_id').onRef('j.device_id', '=', 'd.device_id'),
    )
    .select([
      'd.device_id',
      'dev.name as device_name',
      'dev.organization_id as device_organization_id',
      'dev.group_id as device_group_id',
      'd.status',
      'd.result',
      'd.updated_at',
      'j.id as job_id',
      'j.kind as job_kind',
      'j.status as job_status',
      'j.result as job_result',
    ])
    .where('d.instance_id', '=', instanceId)
    .orderBy('d.device_id')
    .execute();

// ---- schedules -------------------------------------------------------------------------------------------

export interface DueSchedule {
  schedule: ScheduleRow;
  task: TaskRow;
  orgTimeZone: string | null;
}

/**
 * Locks up to `limit` enabled task schedules due at `now` (skipping those another replica holds).
 * Call inside a transaction; the lock lasts until it ends.
 */
export async function lockDueSchedules(tx: Db, now: Date, limit: number): Promise<DueSchedule[]> {
  const rows = await sql<ScheduleRow & { task_id: number }>`
    select s.*, t.id as task_id from schedules s join tasks t on t.schedule_id = s.id
    where s.enabled and s.owner_type = 'task' and t.enabled and s.next_due_at <= ${now}
    order by s.next_due_at limit ${limit}
    for update of s skip locked`.execute(tx);
  if (!rows.rows.length) return [];
  const tasks = await tx
    .selectFrom('tasks as t')
    .leftJoin('organizations as o', 'o.id', 't.organization_id')
    .selectAll('t')
    .select('o.time_zone as org_time_zone')
    .where(
      't.id',
      'in',
      rows.rows.map((r) => r.task_id),
    )
    .execute();
  const byId = new Map(tasks.map((t) => [t.id, t]));
  return rows.rows.map((r) => {
    const { task_id, ...schedule } = r;
    const { org_time_zone, ...task } = byId.get(task_id) as TaskRow & { org_time_zone: string | null };
    return { schedule, task, orgTimeZone: org_time_zone };
  });
}

/** when a schedule fires next; null when it is over (or gone) */
export async function scheduleNextDue(db: Db, id: number): Promise<Date | null> {
  const r = await db.selectFrom('schedules').select('next_due_at').where('id', '=', id).executeTakeFirst();
  return r?.next_due_at ?? null;
}

/** the definitions of some schedules, by id */
export async function scheduleDefinitions(db: Db, ids: readonly number[]): Promise<Map<number, unknown>> {
  if (!ids.length) return new Map();
  const rows = await db.selectFrom('schedules').select(['id', 'definition']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.definition]));
}

export const advanceSchedule = (db: Db, id: number, nextDueAt: Date | null, lastFiredAt: Date | null) =>
  db
    .updateTable('schedules')
    .set({
      next_due_at: nextDueAt,
      ...(lastFiredAt ? { last_fired_at: lastFiredAt } : {}),
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', id)
    .execute();

/** one instance per (task, occurrence): a second insert of the same occurrence does nothing; returns how many were new */
export async function materializeOccurrences(db: Db, task: TaskRow, occurrences: readonly Date[]) {
  if (!occurrences.length) return 0;
  const r = await db
    .insertInto('task_instances')
    .values(
      occurrences.map((at) => ({
        task_id: task.id,
        organization_id: task.organization_id,
        kind: task.kind,
        occurrence_at: at,
        parameters: task.parameters,
        created_by: 'schedule',
      })),
    )
    .onConflict((oc) =>
      oc
        .columns(['task_id', 'occurrence_at'])
        .where('task_id', 'is not', null)
        .where('occurrence_at', 'is not', null)
        .doNothing(),
    )
    .returning('id')
    .execute();
  return r.length;
}

// ---- claiming and leases ---------------------------------------------------------------------------------

/**
 * Claims up to `limit` instances: never started, or held by a replica whose lease expired. Each claim
 * counts an attempt. A StopRequested instance stays StopRequested so its new owner stops it.
 */
export async function claimInstances(db: Db, owner: string, leaseMs: number, limit: number) {
  const r = await sql<InstanceRow>`
    update task_instances set
      status = case when status = 'StopRequested' then 'StopRequested' else 'Started' end,
      lease_owner = ${owner},
      lease_expires_at = now() + ${leaseMs} * interval '1 millisecond',
      attempts = attempts + 1,
      started_at = coalesce(started_at, now())
    where id in (
      select id from task_instances
      where status = 'NotStarted'
         or (status in ('Started', 'StopRequested') and (lease_expires_at is null or lease_expires_at < now()))
      order by id limit ${limit}
      for update skip locked)
    returning *`.execute(db);
  return r.rows.sort((a, b) => a.id - b.id);
}

/**
 * Renews the lease of an instance this owner holds and still runs; locks its row until the transaction
 * ends. Returns false when the lease was lost (taken over, stopped, cancelled): the caller must stop.
 */
export async function renewLease(db: Db, id: number, owner: string, leaseMs: number): Promise<boolean> {
  const r = await db
    .updateTable('task_instances')
    .set({ lease_expires_at: sql<Date>`now() + ${leaseMs} * interval '1 millisecond'` })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('status', '=', 'Started')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function setProgress(
  db: Db,
  id: number,
  owner: string,
  progress: number,
  outputs: Record<string, unknown>,
) {
  await db
    .updateTable('task_instances')
    .set({ progress, outputs })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .execute();
}

/** finishes an instance this owner holds; false when it no longer holds it */
export async function finishInstance(
  db: Db,
  id: number,
  owner: string,
  end: {
    status: 'Completed' | 'Failed';
    error?: string;
    outputs?: Record<string, unknown>;
    progress?: number;
  },
): Promise<boolean> {
  const r = await db
    .updateTable('task_instances')
    .set({
      status: end.status,
      error: end.error ?? null,
      ...(end.outputs ? { outputs: end.outputs } : {}),
      ...(end.progress !== undefined ? { progress: end.progress } : {}),
      lease_owner: null,
      lease_expires_at: null,
      finished_at: sql<Date>`now()`,
    })
    .where('id', '=', id)
    .where('lease_owner', '=', owner)
    .where('status', 'in', ['Started', 'StopRequested'])
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** gives back the leases an owner holds so another replica claims them at once (a clean shutdown) */
export const releaseLeases = (db: Db, owner: string) =>
  db
    .updateTable('task_instances')
    .set({ lease_expires_at: sql<Date>`now() - interval '1 millisecond'` })
    .where('lease_owner', '=', owner)
    .where('status', 'in', ['Started', 'StopRequested'])
    .execute();

/** StopRequested for a running instance, Failed at once for one not started; returns the new row or undefined */
export async function requestStop(db: Db, id: number) {
  const r = await sql<InstanceRow>`
    update task_instances set
      status = case when status = 'NotStarted' then 'Failed' else 'StopRequested' end,
      error = case when status = 'NotStarted' then 'stopped before it started' else error end,
      finished_at = case when status = 'NotStarted' then now() else finished_at end
    where id = ${id} and status in ('NotStarted', 'Started')
    returning *`.execute(db);
  return r.rows[0];
}

/** ends an unfinished instance now as Failed, cancels its undelivered jobs; returns the row or undefined */
export async function cancelInstance(db: Db, id: number, reason: string) {
  const r = await db
    .updateTable('task_instances')
    .set({
      status: 'Failed',
      error: reason,
      lease_owner: null,
      lease_expires_at: null,
      finished_at: sql<Date>`now()`,
    })
    .where('id', '=', id)
    .where('status', 'in', ['NotStarted', 'Started', 'StopRequested'])
    .returningAll()
    .executeTakeFirst();
  if (!r) return undefined;
  const jobs = await db
    .updateTable('jobs')
    .set({ status: 'cancelled', completed_at: sql<Date>`now()` })
    .where('instance_id', '=', id)
    .where('status', '=', 'pending')
    .returning('device_id')
    .execute();
  if (jobs.length)
    await db
      .updateTable('task_instance_devices')
      .set({ status: 'Failed', result: { error: reason }, updated_at: sql<Date>`now()` })
      .where('instance_id', '=', id)
      .where(
        'device_id',
        'in',
        jobs.map((j) => j.device_id),
      )
      .execute();
  return { instance: r, cancelledJobs: jobs.length };
}

// ---- targets and jobs ------------------------------------------------------------------------------------

function targetCondition(orgId: number, t: TargetSpec) {
  const base = sql`d.organization_id = ${orgId} and d.status = 'active'`;
  if (t.kind === 'organization') return base;
  if (t.kind === 'devices') return sql`${base} and d.id = any(${sql.val([...t.ids])}::bigint[])`;
  return sql`${base} and d.group_id in (
    with recursive tree(id) as (
      select id from groups where organization_id = ${orgId} and id = any(${sql.val([...t.ids])}::bigint[])
      union select g.id from groups g join tree on g.parent_id = tree.id)
    select id from tree)`;
}

export async function countTargets(db: Db, orgId: number, t: TargetSpec): Promise<number> {
  const r = await sql<{
    n: number;
  }>`select count(*)::int as n from devices d where ${targetCondition(orgId, t)}`.execute(db);
  return r.rows[0]?.n ?? 0;
}

/**
 * Creates the jobs of the next `limit` target devices after `afterDeviceId` (in device id order) and their
 * per-device rows. Idempotent: a device that already has this instance's job of this kind gets no second.
 * Returns how many devices the batch covered and the last device id (the next cursor).
 */
export async function dispatchBatch(
  db: Db,
  p: {
    instanceId: number;
    orgId: number;
    target: TargetSpec;
    jobKind: string;
    payload: Record<string, unknown>;
    afterDeviceId: number;
    limit: number;
  },
): Promise<{ devices: number; created: number; lastDeviceId: number }> {
  const r = await sql<{ devices: number; created: number; last: number | null }>`
    with targets as (
      select d.id, d.organization_id from devices d
      where ${targetCondition(p.orgId, p.target)} and d.id > ${p.afterDeviceId}
      order by d.id limit ${p.limit}),
    new_jobs as (
      insert into jobs (organization_id, device_id, instance_id, kind, payload)
      select organization_id, id, ${p.instanceId}, ${p.jobKind}, ${JSON.stringify(p.payload)}::jsonb from targets
      on conflict (instance_id, device_id, kind) where instance_id is not null do nothing
      returning id),
    new_rows as (
      insert into task_instance_devices (instance_id, device_id, status)
      select ${p.instanceId}, id, 'Started' from targets
      on conflict do nothing
      returning device_id)
    select (select count(*)::int from targets) as devices, (select count(*)::int from new_jobs) as created,
           (select max(id) from targets) as last`.execute(db);
  const row = r.rows[0] ?? { devices: 0, created: 0, last: null };
  return { devices: row.devices, created: row.created, lastDeviceId: row.last ?? p.afterDeviceId };
}

/** devices of the organization that are missing among `ids` (for validating a target) */
export async function missingDevices(db: Db, orgId: number, ids: readonly number[]) {
  const found = await db
    .selectFrom('devices')
    .select('id')
    .where('organization_id', '=', orgId)
    .where('id', 'in', ids.length ? [...ids] : [0])
    .execute();
  const have = new Set(found.map((r) => r.id));
  return ids.filter((id) => !have.has(id));
}

export async function missingGroups(db: Db, orgId: number, ids: readonly number[]) {
  const found = await db
    .selectFrom('groups')
    .select('id')
    .where('organization_id', '=', orgId)
    .where('id', 'in', ids.length ? [...ids] : [0])
    .execute();
  const have = new Set(found.map((r) => r.id));
  return ids.filter((id) => !have.has(id));
}

// ---- a device's waiting work (what cancelling a device's installs changes) ---------------------------

const namesDevice = (deviceId: number, column: 'parameters') => sql<boolean>`(
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

/** renames a task and replaces its parameters (an edit of a task that is not a policy's) */
export const updateTaskRow = (
  db: Db,
  id: number,
  patch: { name: string; parameters: Record<string, unknown> },
) =>
  db
    .updateTable('tasks')
    .set({ name: patch.name, parameters: patch.parameters, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();

/** the newest instance of a task, finished or not */
export const latestInstanceOf = (db: Db, taskId: number) =>
  db
    .selectFrom('task_instances')
    .selectAll()
    .where('task_id', '=', taskId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();

/** an import task's fetch credentials (migration 0021); null removes them */
export async function setTaskCredentials(
  db: Db,
  taskId: number,
  cred: { userName: string; password: string } | null,
): Promise<void> {
  if (!cred) {
    await db.deleteFrom('task_credentials').where('task_id', '=', taskId).execute();
    return;
  }
  await db
    .insertInto('task_credentials')
    .values({ task_id: taskId, user_name: cred.userName, password: cred.password })
    .onConflict((oc) =>
      oc
        .column('task_id')
        .doUpdateSet({ user_name: cred.userName, password: cred.password, updated_at: sql`now()` }),
    )
    .execute();
}

/** the credentials an import task fetches with, or null */
export async function taskCredentials(
  db: Db,
  taskId: number,
): Promise<{ userName: string; password: string } | null> {
  const r = await db
    .selectFrom('task_credentials')
    .select(['user_name', 'password'])
    .where('task_id', '=', taskId)
    .executeTakeFirst();
  return r ? { userName: r.user_name, password: r.password } : null;
}
