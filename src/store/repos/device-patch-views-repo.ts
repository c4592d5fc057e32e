import { sql, type SqlBool } from 'kysely';
import type { Access } from '../../core/access.ts';
import type { ListQuery } from '../../core/query.ts';
import { HISTORY, NOT_INSTALLED, type UpdateStatus } from '../../core/status.ts';
import { groupVisible } from '../access.ts';
import type { Db } from '../db.ts';
import { pageThrough, type Columns } from '../query.ts';
import { OPEN_JOB_STATUSES } from './agents-repo.ts';
import { updateVisibleToOrganization } from './catalog-repo.ts';

// What a device's patching looks like from the device: the updates it still misses, the history of
// its installs and failures (both as queryable lists over the domain fields of an update on a device),
// and a summary of its scan and install activity.

/** the fields of an update on a device, common to both lists */
const updateColumns = {
  updateId: 'u.id',
  kind: 'u.kind',
  name: 'u.name',
  kb: 'u.kb',
  /** the article number of a KB id (KB5034441: 5034441) */
  kbNumber: sql<string | null>`substr(u.kb, 3)`,
  packageName: 'u.package_name',
  productId: 'u.product_id',
  productName: 'p.name',
  classification: 'u.classification',
  isSecurity: 'u.is_security',
  severity: 'u.severity',
  releasedAt: sql<Date | null>`coalesce(u.released_at, b.released_at)`,
  bulletinRef: 'b.external_id',
  bulletinUrl: 'b.url',
  sourceUrl: 'u.source_url',
  installSwitches: 'u.install_switches',
  /** a newer update that the device's organization sees replaces it (core/updates.ts, supersedence) */
  superseded: sql<boolean>`exists (select 1 from update_supersedence us
    join updates n on n.id = us.superseded_by_id
    where us.update_id = u.id and ${updateVisibleToOrganization('d.organization_id', 'n.id', 'n.bulletin_id')})`,
} as const;

const selection = (columns: Readonly<Record<string, string | ReturnType<typeof sql>>>) =>
  Object.entries(columns).map(([name, c]) => (typeof c === 'string' ? sql.ref(c) : c).as(name));

/** one update on a device, in domain fields */
export interface DeviceUpdateEntry {
  updateId: number;
  kind: string;
  name: string;
  version: string | null;
  kb: string | null;
  kbNumber: string | null;
  packageName: string | null;
  productId: number | null;
  productName: string | null;
  classification: string;
  isSecurity: boolean;
  severity: string;
  releasedAt: Date | null;
  bulletinRef: string | null;
  bulletinUrl: string | null;
  sourceUrl: string | null;
  installSwitches: string | null;
  superseded: boolean;
  status: UpdateStatus;
}

/**
 * The updates a device does not have installed (outstanding, or ignored); the caller has checked that
 * the device is visible. Fields: those of updateColumns, version (the one available to the device),
 * status, installedAt.
 */
export function queryMissingUpdates(db: Db, access: Access, deviceId: number, q: ListQuery) {
  const columns = {
    ...updateColumns,
    version: sql<string | null>`coalesce(du.available_version, u.version)`,
    status: 'du.status',
    installedAt: 'du.installed_at',
  };
  const base = db
    .selectFrom('device_updates as du')
    .innerJoin('devices as d', 'd.id', 'du.device_id')
    .innerJoin('updates as u', 'u.id', 'du.update_id')
    .leftJoin('bulletins as b', 'b.id', 'u.bulletin_id')
    .leftJoin('products as p', 'p.id', 'u.product_id')
    .select(selection(columns))
    .where('du.device_id', '=', deviceId)
    .where('du.status', 'in', [...NOT_INSTALLED])
    .where(groupVisible(access, 'd.organization_id', 'd.group_id'))
    .$castTo<DeviceUpdateEntry & { installedAt: Date | null }>();
  return pageThrough(base, q, columns as Columns, ['u.id']);
}

/**
 * A device's patch history from the event log: every time one of its updates became installed,
 * installed awaiting a reboot, or failed, oldest first by default (status is the one it reached then,
 * recordedAt when). Fields: those of updateColumns, version, status, recordedAt.
 */
export function queryUpdateHistory(db: Db, access: Access, deviceId: number, q: ListQuery) {
  const to = sql<string>`(e.data->>'to')`;
  const columns = { ...updateColumns, version: 'u.version', status: to, recordedAt: 'e.at' };
  const base = db
    .selectFrom('events as e')
    .innerJoin('devices as d', 'd.id', 'e.device_id')
    .innerJoin('updates as u', 'u.id', 'e.update_id')
    .leftJoin('bulletins as b', 'b.id', 'u.bulletin_id')
    .leftJoin('products as p', 'p.id', 'u.product_id')
    .select(selection(columns))
    .where('e.device_id', '=', deviceId)
    .where('e.kind', 'in', ['device_update.status', 'device_update.detected'])
    .where(to, 'in', [...HISTORY])
    .where(groupVisible(access, 'd.organization_id', 'd.group_id'))
    .$castTo<DeviceUpdateEntry & { recordedAt: Date }>();
  return pageThrough(base, q, columns as Columns, ['e.id']);
}

// ---- a device's patch summary ---------------------------------------------------------------------

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

/** a device in scope: its scan and install activity, counts by status, next scheduled scan and install; or undefined */
export async function devicePatchSummary(db: Db, access: Access, deviceId: number) {
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
      .where('status', 'in', [...OPEN_JOB_STATUSES])
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
