import { sql } from 'kysely';
import type { Access } from '../../core/access.ts';
import { groupVisible } from '../access.ts';
import type { Db } from '../db.ts';
import { paginate, type Page } from '../paging.ts';
import type { NewRow, Row, RowPatch } from '../schema.ts';

// Scripts agents run: the organization's switch, the script jobs, and the run history (one row per step).

export type ScriptRunRow = Row<'script_runs'>;

export const scriptsEnabled = async (db: Db, organizationId: number): Promise<boolean | undefined> =>
  (
    await db
      .selectFrom('organizations')
      .select('scripts_enabled')
      .where('id', '=', organizationId)
      .executeTakeFirst()
  )?.scripts_enabled;

export const setScriptsEnabled = (db: Db, organizationId: number, enabled: boolean) =>
  db
    .updateTable('organizations')
    .set({ scripts_enabled: enabled, updated_at: sql<Date>`now()` })
    .where('id', '=', organizationId)
    .executeTakeFirst();

/** a job that runs scripts on one device, handed out at its next check-in */
export const insertScriptJob = (
  db: Db,
  row: { organization_id: number; device_id: number; payload: Record<string, unknown> },
) =>
  db
    .insertInto('jobs')
    .values({ ...row, kind: 'script' })
    .returning(['id'])
    .executeTakeFirstOrThrow();

export const insertScriptRun = (db: Db, row: NewRow<'script_runs'>) =>
  db
    .insertInto('script_runs')
    .values(row)
    .onConflict((oc) => oc.columns(['job_id', 'phase']).where('job_id', 'is not', null).doNothing())
    .returningAll()
    .executeTakeFirst();

export const updateScriptRun = (db: Db, id: number, patch: RowPatch<'script_runs'>) =>
  db.updateTable('script_runs').set(patch).where('id', '=', id).returningAll().executeTakeFirstOrThrow();

export const getScriptRun = (db: Db, id: number) =>
  db.selectFrom('script_runs').selectAll().where('id', '=', id).executeTakeFirst();

/** the runs a job carried, by id */
export const runsOfJob = (db: Db, jobId: number) =>
  db.selectFrom('script_runs').selectAll().where('job_id', '=', jobId).orderBy('id').execute();

/** moves a job's open runs (queued or running) to `status`; returns them */
export const settleOpenRuns = (db: Db, jobId: number, patch: RowPatch<'script_runs'>) =>
  db
    .updateTable('script_runs')
    .set(patch)
    .where('job_id', '=', jobId)
    .where('status', 'in', ['queued', 'running'])
    .returningAll()
    .execute();

/** cancels a job no agent has received yet; false when it was handed out, started or ended */
export async function cancelScriptJob(db: Db, jobId: number, reason: string): Promise<boolean> {
  const r = await db
    .updateTable('jobs')
    .set({ status: 'cancelled', completed_at: sql<Date>`now()`, result: { error: reason } })
    .where('id', '=', jobId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export interface ScriptRunFilter {
  organizationId?: number;
  deviceId?: number;
  policyId?: number;
  status?: string;
}

/** the runs of the devices in scope, newest first */
export function listScriptRuns(db: Db, access: Access, f: ScriptRunFilter, page: Page) {
  let q = db
    .selectFrom('script_runs as r')
    .innerJoin('devices as d', 'd.id', 'r.device_id')
    .selectAll('r')
    .where(groupVisible(access, 'r.organization_id', 'd.group_id'));
  if (f.organizationId !== undefined) q = q.where('r.organization_id', '=', f.organizationId);
  if (f.deviceId !== undefined) q = q.where('r.device_id', '=', f.deviceId);
  if (f.policyId !== undefined) q = q.where('r.policy_id', '=', f.policyId);
  if (f.status !== undefined) q = q.where('r.status', '=', f.status);
  const sorted = { ...page, sort: page.sort.length ? page.sort : ['-id'] };
  return paginate(
    q,
    sorted,
    { id: 'r.id', createdAt: 'r.created_at', finishedAt: 'r.finished_at' },
    'r.id',
    (r) => r as ScriptRunRow,
  );
}

/** the devices of an organization with their OS family, among `ids` */
export const devicesOf = (db: Db, organizationId: number, ids: readonly number[]) =>
  db
    .selectFrom('devices')
    .select(['id', 'os_family', 'group_id', 'name'])
    .where('organization_id', '=', organizationId)
    .where('id', 'in', ids.length ? [...ids] : [0])
    .orderBy('id')
    .execute();
