import type { Db } from '../db.ts';
import type { NewRow } from '../schema.ts';

// Install tokens, device credentials and the jobs handed to agents.

export const insertInstallToken = (db: Db, row: NewRow<'install_tokens'>) =>
  db.insertInto('install_tokens').values(row).returning(['id', 'created_at']).executeTakeFirstOrThrow();

export const getInstallTokenByHash = (db: Db, hash: string) =>
  db.selectFrom('install_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();

export const listInstallTokens = (db: Db, organizationId: number) =>
  db
    .selectFrom('install_tokens')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .orderBy('id')
    .execute();

export const revokeInstallToken = (db: Db, id: number) =>
  db.updateTable('install_tokens').set({ revoked_at: new Date() }).where('id', '=', id).execute();

export const getDeviceByCredential = (db: Db, hash: string) =>
  db.selectFrom('devices').selectAll().where('credential_hash', '=', hash).executeTakeFirst();

/** jobs waiting for a device: pending or handed out but not finished (handed out again after a lost answer) */
export const openJobs = (db: Db, deviceId: number) =>
  db
    .selectFrom('jobs')
    .select(['id', 'kind', 'payload', 'status', 'not_before', 'created_at'])
    .where('device_id', '=', deviceId)
    .where('status', 'in', ['pending', 'delivered'])
    .orderBy('id')
    .limit(100)
    .execute();

export const markDelivered = (db: Db, ids: number[]) =>
  ids.length
    ? db
        .updateTable('jobs')
        .set({ status: 'delivered', delivered_at: new Date() })
        .where('id', 'in', ids)
        .where('status', '=', 'pending')
        .execute()
    : Promise.resolve([]);

export const getJob = (db: Db, id: number) =>
  db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();

/** records a job's outcome once: false when it was already finished (a retried report) */
export async function finishJob(
  db: Db,
  id: number,
  status: string,
  result: Record<string, unknown>,
): Promise<boolean> {
  const r = await db
    .updateTable('jobs')
    .set({ status, result, completed_at: new Date() })
    .where('id', '=', id)
    .where('status', 'in', ['pending', 'delivered', 'running'])
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** replaces a job's payload (an install job gets its list of updates when it is first handed out) */
export const setJobPayload = (db: Db, id: number, payload: Record<string, unknown>) =>
  db.updateTable('jobs').set({ payload }).where('id', '=', id).execute();

/** one more install attempt of an update on a device (an install job's result) */
export const countInstallAttempt = (db: Db, deviceId: number, updateId: number) =>
  db
    .updateTable('device_updates')
    .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
    .where('device_id', '=', deviceId)
    .where('update_id', '=', updateId)
    .execute();
