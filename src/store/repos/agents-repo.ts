import { sql } from 'kysely';
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

export const getInstallToken = (db: Db, id: number) =>
  db.selectFrom('install_tokens').selectAll().where('id', '=', id).executeTakeFirst();

export const revokeInstallToken = (db: Db, id: number) =>
  db.updateTable('install_tokens').set({ revoked_at: new Date() }).where('id', '=', id).execute();

export const getDeviceByCredential = (db: Db, hash: string) =>
  db.selectFrom('devices').selectAll().where('credential_hash', '=', hash).executeTakeFirst();

/** job states in which a job is not finished: handed out (again) at check-in */
export const OPEN_JOB_STATUSES = ['pending', 'delivered', 'running'] as const;
export const isOpenJobStatus = (s: string) => (OPEN_JOB_STATUSES as readonly string[]).includes(s);

/** devices with whether any job waits for each and their organization's settings revision */
const devicesWithJobs = (db: Db) =>
  db
    .selectFrom('devices')
    .innerJoin('organizations as o', 'o.id', 'devices.organization_id')
    .selectAll('devices')
    .select('o.settings_revision as org_settings_revision')
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom('jobs')
            .select(sql<number>`1`.as('one'))
            .whereRef('jobs.device_id', '=', 'devices.id')
            .where('jobs.status', 'in', [...OPEN_JOB_STATUSES]),
        )
        .as('has_open_jobs'),
    );

/**
 * The device of a credential, whether any job waits for it, and its organization's settings revision:
 * the idle check-in's only query.
 */
export const getDeviceByCredentialWithJobs = (db: Db, hash: string) =>
  devicesWithJobs(db).where('credential_hash', '=', hash).executeTakeFirst();

/** the same for the devices of several credentials at once (those that match one) */
export const getDevicesByCredentialsWithJobs = (db: Db, hashes: readonly string[]) =>
  devicesWithJobs(db)
    .where(sql<boolean>`devices.credential_hash = any(${[...hashes]}::text[])`)
    .execute();

/** devices with what an idle check-in needs of each (the narrow projection of services/device-cache.ts) */
const idleDevices = (db: Db) =>
  db
    .selectFrom('devices')
    .innerJoin('organizations as o', 'o.id', 'devices.organization_id')
    .select([
      'devices.id',
      'devices.organization_id',
      'devices.group_id',
      'devices.status',
      'devices.scan_sequence',
      'devices.agent_version',
      'devices.reboot_required',
      'devices.time_zone',
      'devices.checkin_interval_seconds',
      'devices.settings_key',
      'devices.settings_hash',
      'o.settings_revision as org_settings_revision',
    ])
    .select(sql<string>`devices.credential_hash`.as('credential_hash'))
    .select(sql<string | null>`devices.inventory->>'machineId'`.as('machine_id'))
    .select((eb) =>
      eb
        .exists(
          eb
            .selectFrom('jobs')
            .select(sql<number>`1`.as('one'))
            .whereRef('jobs.device_id', '=', 'devices.id')
            .where('jobs.status', 'in', [...OPEN_JOB_STATUSES]),
        )
        .as('has_open_jobs'),
    );

/** a page of devices with a credential, in id order after `afterId`: the memory's warm-up after a start */
export const idleDevicesPage = (db: Db, afterId: number, limit: number) =>
  idleDevices(db)
    .where('devices.id', '>', afterId)
    .where('devices.credential_hash', 'is not', null)
    .orderBy('devices.id')
    .limit(limit)
    .execute();

/** an organization's settings revision (bumped by triggers, migration 0009) */
export const settingsRevision = async (db: Db, organizationId: number) =>
  (
    await db
      .selectFrom('organizations')
      .select('settings_revision')
      .where('id', '=', organizationId)
      .executeTakeFirst()
  )?.settings_revision ?? 0;

/** remembers what a device's settings were computed for and their hash */
export const setSettingsHash = (db: Db, deviceId: number, key: string, hash: string) =>
  db
    .updateTable('devices')
    .set({ settings_key: key, settings_hash: hash })
    .where('id', '=', deviceId)
    .execute();

/** remembers many devices' settings keys and hashes in one statement (buffered by the check-in) */
export async function setSettingsHashes(db: Db, rows: readonly { id: number; key: string; hash: string }[]) {
  for (let i = 0; i < rows.length; i += 5_000) {
    const part = rows.slice(i, i + 5_000);
    await sql`update devices set settings_key = v.key, settings_hash = v.hash
      from unnest(${part.map((r) => r.id)}::bigint[], ${part.map((r) => r.key)}::text[],
                  ${part.map((r) => r.hash)}::text[]) as v(id, key, hash)
      where devices.id = v.id`.execute(db);
  }
}

/** the devices of an organization that policies target by themselves (not through a group) */
export const devicesTargetedDirectly = async (db: Db, organizationId: number) =>
  (
    await db
      .selectFrom('policy_targets as t')
      .innerJoin('policies as p', 'p.id', 't.policy_id')
      .select('t.device_id')
      .distinct()
      .where('p.organization_id', '=', organizationId)
      .where('t.device_id', 'is not', null)
      .execute()
  ).map((r) => Number(r.device_id));

/** the enabled policies of an organization that target a device directly or through one of `groupIds` */
export const policiesTargeting = (db: Db, organizationId: number, deviceId: number, groupIds: number[]) =>
  db
    .selectFrom('policies as p')
    .select(['p.id', 'p.behaviour'])
    .where('p.enabled', '=', true)
    .where('p.organization_id', '=', organizationId)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('policy_targets as t')
          .select(sql<number>`1`.as('one'))
          .whereRef('t.policy_id', '=', 'p.id')
          .where((e) =>
            e.or([e('t.device_id', '=', deviceId), e('t.group_id', 'in', groupIds.length ? groupIds : [0])]),
          ),
      ),
    )
    .orderBy('p.id')
    .execute();

/** jobs waiting for a device: pending, or handed out or started but not finished (handed out again) */
export const openJobs = (db: Db, deviceId: number) =>
  db
    .selectFrom('jobs')
    .select(['id', 'kind', 'payload', 'status', 'not_before', 'created_at'])
    .where('device_id', '=', deviceId)
    .where('status', 'in', [...OPEN_JOB_STATUSES])
    .orderBy('id')
    .limit(100)
    .execute();

/** the agent started a job: false when it was already started or is finished (a repeated report) */
export async function startJob(db: Db, id: number): Promise<boolean> {
  const r = await db
    .updateTable('jobs')
    .set({ status: 'running', started_at: new Date() })
    .where('id', '=', id)
    .where('status', 'in', ['pending', 'delivered'])
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

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
    .where('status', 'in', [...OPEN_JOB_STATUSES])
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** a job's payload, its row locked until the transaction ends (two check-ins at once fill it in once) */
export const lockJobPayload = (db: Db, id: number) =>
  db.selectFrom('jobs').select('payload').where('id', '=', id).forUpdate().executeTakeFirst();

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

/** stamps many devices' last check-in in one statement (the buffered idle check-ins) */
export async function setLastSeen(db: Db, stamps: readonly (readonly [number, Date])[]) {
  // two arrays, not a VALUES list: one statement text whatever the batch (prepared once), two parameters
  for (let i = 0; i < stamps.length; i += 10_000) {
    const part = stamps.slice(i, i + 10_000);
    await sql`update devices set last_seen_at = greatest(devices.last_seen_at, v.at)
            from unnest(${part.map(([id]) => id)}::bigint[], ${part.map(([, at]) => at.toISOString())}::timestamptz[])
              as v(id, at)
            where devices.id = v.id`.execute(db);
  }
}

// ---- a device's jobs not picked up yet -----------------------------------------------------------------

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
