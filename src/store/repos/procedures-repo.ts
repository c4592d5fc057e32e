import { sql } from 'kysely';
import type { Access } from '../../core/access.ts';
import type { ListQuery } from '../../core/query.ts';
import { orgVisible } from '../access.ts';
import type { Db } from '../db.ts';
import { pageThrough, type Columns } from '../query.ts';
import type { NewRow, Row, RowPatch } from '../schema.ts';

// Procedures (an organization's named scripts), their schedules on devices (`script` tasks naming a
// procedure), and what a device ran (its script runs, the history of every script it ran).

export type ProcedureRow = Row<'procedures'>;

export const insertProcedure = (db: Db, row: NewRow<'procedures'>) =>
  db.insertInto('procedures').values(row).returningAll().executeTakeFirstOrThrow();

export const getProcedure = (db: Db, id: number) =>
  db.selectFrom('procedures').selectAll().where('id', '=', id).executeTakeFirst();

export const updateProcedure = (db: Db, id: number, patch: RowPatch<'procedures'>) =>
  db
    .updateTable('procedures')
    .set({ ...patch, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();

export const deleteProcedure = (db: Db, id: number) =>
  db.deleteFrom('procedures').where('id', '=', id).executeTakeFirst();

const procedureColumns: Columns = {
  id: 'p.id',
  organizationId: 'p.organization_id',
  name: 'p.name',
  folder: 'p.folder',
  description: 'p.description',
  shell: 'p.shell',
  quickLaunch: 'p.quick_launch',
  portal: 'p.portal',
  createdAt: 'p.created_at',
};

/**
 * The procedures of the organizations in scope (a user scoped to some groups sees the catalogue of their
 * organization), optionally only those offered for quick launch or on the portal. Fields: id,
 * organizationId, name, folder, description, shell, quickLaunch, portal, createdAt.
 */
export function queryProcedures(
  db: Db,
  access: Access,
  q: ListQuery,
  only: { quickLaunch?: boolean; portal?: boolean } = {},
) {
  let base = db.selectFrom('procedures as p').selectAll('p').where(orgVisible(access, 'p.organization_id'));
  if (only.quickLaunch) base = base.where('p.quick_launch', '=', true);
  if (only.portal) base = base.where('p.portal', '=', true);
  return pageThrough(base, q, procedureColumns, ['p.id']);
}

export interface ScheduledProcedureRow {
  task_id: number;
  procedure_id: number;
  procedure_name: string;
  parameters: Record<string, unknown>;
  created_by: string;
  schedule_id: number;
  definition: unknown;
  next_due_at: Date | null;
  last_fired_at: Date | null;
}

/** the enabled, scheduled `script` tasks that run a procedure on this device (by id), oldest first */
export const scheduledProceduresOf = (db: Db, orgId: number, deviceId: number) =>
  db
    .selectFrom('tasks as t')
    .innerJoin('schedules as s', 's.id', 't.schedule_id')
    .innerJoin('procedures as p', (j) => j.on(sql<boolean>`p.id = (t.parameters->>'procedureId')::bigint`))
    .select([
      't.id as task_id',
      'p.id as procedure_id',
      'p.name as procedure_name',
      't.parameters',
      't.created_by',
      's.id as schedule_id',
      's.definition',
      's.next_due_at',
      's.last_fired_at',
    ])
    .where('t.organization_id', '=', orgId)
    .where('t.kind', '=', 'script')
    .where('t.enabled', '=', true)
    .where(sql<boolean>`jsonb_typeof(t.parameters->'procedureId') = 'number'`)
    .where(
      sql<boolean>`t.parameters->'target'->>'kind' = 'devices' and t.parameters->'target'->'ids' @> to_jsonb(${deviceId}::bigint)`,
    )
    .orderBy('t.id')
    .execute() as Promise<ScheduledProcedureRow[]>;

const runColumns: Columns = {
  id: 'r.id',
  name: 'r.name',
  procedureId: 'r.procedure_id',
  policyId: 'r.policy_id',
  status: 'r.status',
  exitCode: 'r.exit_code',
  startedBy: 'r.started_by',
  lastExecutionAt: 'r.last_execution_at',
  createdAt: 'r.created_at',
};

/**
 * Every script a device ran or was asked to run (procedures, script policies, ad-hoc scripts): a
 * queryable list for the procedure history. Fields: id, name (the procedure's or policy's name as it
 * was; "ad-hoc script" otherwise), procedureId, policyId, status, exitCode, startedBy, lastExecutionAt
 * (finished, else started, else asked for), createdAt.
 */
export const queryDeviceRuns = (db: Db, deviceId: number, q: ListQuery) =>
  pageThrough(
    db
      .selectFrom(
        db
          .selectFrom('script_runs')
          .selectAll()
          .select([
            sql<string>`coalesce(procedure_name, policy_name, 'ad-hoc script')`.as('name'),
            sql<Date>`coalesce(finished_at, started_at, created_at)`.as('last_execution_at'),
          ])
          .where('device_id', '=', deviceId)
          .as('r'),
      )
      .selectAll('r'),
    q,
    runColumns,
    ['r.id'],
  );

export type DeviceRunEntry = Awaited<ReturnType<typeof queryDeviceRuns>>['records'][number];

/** the per-user "ask before executing" setting of quick launch */
export const askBeforeQuickLaunch = async (db: Db, userId: number) =>
  (await db.selectFrom('users').select('ask_before_quick_launch').where('id', '=', userId).executeTakeFirst())
    ?.ask_before_quick_launch;

export const setAskBeforeQuickLaunch = (db: Db, userId: number, ask: boolean) =>
  db
    .updateTable('users')
    .set({ ask_before_quick_launch: ask, updated_at: sql<Date>`now()` })
    .where('id', '=', userId)
    .executeTakeFirst();
