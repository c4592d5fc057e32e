import { sql } from 'kysely';
import type { Access } from '../../core/access.ts';
import { INSTALLABLE, type UpdateStatus } from '../../core/status.ts';
import { groupVisible } from '../access.ts';
import { rowsOf } from '../bulk.ts';
import type { Db } from '../db.ts';
import { paginate, type Page } from '../paging.ts';
import type { NewRow } from '../schema.ts';
import { cveVisibleToOrganization, updateVisible } from './catalog-repo.ts';

// The catalog's installable updates and each device's state of them.

const UPDATE_COLUMNS = {
  natural_key: 'text',
  kind: 'text',
  name: 'text',
  kb: 'text',
  package_name: 'text',
  version: 'text',
  architecture: 'text',
  os_family: 'text',
  classification: 'text',
  is_security: 'boolean',
  is_optional: 'boolean',
  severity: 'text',
  reboot_behavior: 'text',
  size_bytes: 'bigint',
  patch_source: 'text',
} as const;
export type ReportedUpdateRow = { [K in keyof typeof UPDATE_COLUMNS]: NewRow<'updates'>[K] };

/**
 * Inserts the updates that are new (by natural key) and returns the ids of all of them, in one statement
 * (new keys are inserted in key order, so that concurrent reports of the same new updates wait on each
 * other instead of deadlocking). A key another transaction inserted after this statement's snapshot is
 * skipped by the insert and not seen by its select: those few are read again.
 */
export async function upsertUpdates(db: Db, rows: ReportedUpdateRow[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!rows.length) return out;
  // a key reported twice is inserted as first reported
  const first = new Map<string, ReportedUpdateRow>();
  for (const r of rows) if (!first.has(r.natural_key)) first.set(r.natural_key, r);
  const cols = sql.join(Object.keys(UPDATE_COLUMNS).map((c) => sql.id(c)));
  const found = await sql<{ id: number; natural_key: string }>`
    with x as (select * from ${rowsOf([...first.values()], UPDATE_COLUMNS)}),
    ins as (
      insert into updates (${cols})
      select ${cols} from x
      where not exists (select 1 from updates u where u.natural_key = x.natural_key)
      order by natural_key
      on conflict (natural_key) do nothing
      returning id, natural_key
    )
    select id, natural_key from ins
    union all
    select u.id, u.natural_key from updates u where u.natural_key in (select natural_key from x)`.execute(db);
  for (const f of found.rows) out.set(f.natural_key, f.id);
  const missing = [...first.keys()].filter((k) => !out.has(k));
  if (missing.length) {
    const late = await sql<{ id: number; natural_key: string }>`
      select id, natural_key from updates where natural_key = any(${missing}::text[])`.execute(db);
    for (const f of late.rows) out.set(f.natural_key, f.id);
  }
  return out;
}

/** the package updates (deb, rpm) among some ids, of some package names: what supersedence compares */
export function packageVersionsOf(db: Db, ids: readonly number[], packageNames: readonly string[]) {
  if (!ids.length || !packageNames.length) return Promise.resolve([]);
  return db
    .selectFrom('updates')
    .select(['id', 'kind', 'package_name', 'architecture', 'version'])
    .where('id', 'in', [...ids])
    .where('kind', 'in', ['deb', 'rpm'])
    .where('package_name', 'in', [...new Set(packageNames)])
    .execute();
}

export const getUpdate = (db: Db, id: number) =>
  db.selectFrom('updates').selectAll().where('id', '=', id).executeTakeFirst();

/** the ids among `ids` that are updates (that the scope sees, when `access` is given) */
export const existingUpdateIds = async (db: Db, ids: number[], access?: Access) =>
  ids.length
    ? (
        await db
          .selectFrom('updates as u')
          .select('u.id')
          .where('u.id', 'in', ids)
          .$if(access !== undefined, (q) => q.where(updateVisible(access!)))
          .execute()
      ).map((r) => r.id)
    : [];

export type DeviceUpdateState = Awaited<ReturnType<typeof deviceUpdateStates>>[number];
/** the current state rows of some devices (optionally for some updates) */
export function deviceUpdateStates(db: Db, deviceIds: number[], updateIds?: number[]) {
  let q = db
    .selectFrom('device_updates as du')
    .innerJoin('devices as d', 'd.id', 'du.device_id')
    .select(['du.device_id', 'du.update_id', 'du.status', 'du.detection', 'du.organization_id', 'd.group_id'])
    .where('du.device_id', 'in', deviceIds.length ? deviceIds : [0]);
  if (updateIds) q = q.where('du.update_id', 'in', updateIds.length ? updateIds : [0]);
  return q.execute();
}

/** every state row of an organization for some updates (organization-wide decisions) */
export function organizationUpdateStates(db: Db, organizationId: number, updateIds: number[]) {
  return db
    .selectFrom('device_updates as du')
    .innerJoin('devices as d', 'd.id', 'du.device_id')
    .select(['du.device_id', 'du.update_id', 'du.status', 'du.detection', 'du.organization_id', 'd.group_id'])
    .where('du.organization_id', '=', organizationId)
    .where('du.update_id', 'in', updateIds.length ? updateIds : [0])
    .execute();
}

export async function setDeviceUpdateStatus(
  db: Db,
  deviceId: number,
  updateId: number,
  status: string,
  extra: { last_error?: string | null; installed_at?: Date | null; attempts?: number } = {},
) {
  await db
    .updateTable('device_updates')
    .set({ status, status_changed_at: new Date(), ...extra })
    .where('device_id', '=', deviceId)
    .where('update_id', '=', updateId)
    .execute();
}

export type DeviceUpdateRow = Pick<
  NewRow<'device_updates'>,
  | 'device_id'
  | 'update_id'
  | 'organization_id'
  | 'detection'
  | 'status'
  | 'installed_version'
  | 'available_version'
  | 'last_detected_at'
  | 'status_changed_at'
  | 'installed_at'
>;
const DEVICE_UPDATE_COLUMNS = {
  device_id: 'bigint',
  update_id: 'bigint',
  organization_id: 'bigint',
  detection: 'text',
  status: 'text',
  installed_version: 'text',
  available_version: 'text',
  last_detected_at: 'timestamptz',
  status_changed_at: 'timestamptz',
  installed_at: 'timestamptz',
} as const;

/**
 * Writes device update states, new or changed, in one statement (one (device, update) at most once; in
 * key order). The status's change time moves only when the status changes.
 */
export async function upsertDeviceUpdates(db: Db, rows: DeviceUpdateRow[]) {
  if (!rows.length) return;
  const cols = sql.join(Object.keys(DEVICE_UPDATE_COLUMNS).map((c) => sql.id(c)));
  await sql`
    insert into device_updates (${cols})
    select ${cols} from ${rowsOf(rows, DEVICE_UPDATE_COLUMNS)} order by device_id, update_id
    on conflict (device_id, update_id) do update set
      detection = excluded.detection,
      status = excluded.status,
      installed_version = excluded.installed_version,
      available_version = excluded.available_version,
      last_detected_at = excluded.last_detected_at,
      status_changed_at = case when device_updates.status = excluded.status
        then device_updates.status_changed_at else excluded.status_changed_at end,
      installed_at = case when device_updates.status = excluded.status
        then coalesce(device_updates.installed_at, excluded.installed_at) else excluded.installed_at end`.execute(
    db,
  );
}

/** moves a device's updates from one status to another in one statement; returns the updates moved */
export async function moveDeviceUpdateStatus(
  db: Db,
  deviceId: number,
  from: UpdateStatus,
  to: UpdateStatus,
  at: Date,
): Promise<number[]> {
  const r = await db
    .updateTable('device_updates')
    .set({ status: to, status_changed_at: at })
    .where('device_id', '=', deviceId)
    .where('status', '=', from)
    .returning('update_id')
    .execute();
  return r.map((x) => x.update_id).sort((a, b) => a - b);
}

export interface DeviceUpdateFilter {
  status?: string[];
  severity?: string[];
  bulletin?: string; // bulletin id or vendor id (DSA-…, KB…)
  cve?: string;
  updateIds?: number[];
  /** true: security updates only; false: the others */
  security?: boolean;
}

/** The device's update states matching `f` (all of them, unpaged: ids only, for rules computed above) */
export async function deviceUpdateIds(
  db: Db,
  deviceId: number,
  f: Pick<DeviceUpdateFilter, 'status' | 'severity' | 'security'>,
) {
  let q = db
    .selectFrom('device_updates as du')
    .innerJoin('updates as u', 'u.id', 'du.update_id')
    .select(['du.update_id'])
    .where('du.device_id', '=', deviceId);
  if (f.status?.length) q = q.where('du.status', 'in', f.status);
  if (f.severity?.length) q = q.where('u.severity', 'in', f.severity);
  if (f.security !== undefined) q = q.where('u.is_security', '=', f.security);
  return (await q.orderBy('du.update_id').execute()).map((r) => r.update_id);
}

export async function listDeviceUpdates(db: Db, deviceId: number, f: DeviceUpdateFilter, page: Page) {
  const q = deviceUpdatesQuery(db, [deviceId], f);
  const sortable = {
    name: 'u.name',
    status: 'du.status',
    firstDetectedAt: 'du.first_detected_at',
    statusChangedAt: 'du.status_changed_at',
    severity: sql`array_position(array['unknown','none','low','medium','high','critical'], u.severity)`,
  };
  return paginate(q, page, sortable, 'du.update_id', (r) => r);
}

/** every update state of some devices matching `f`, unpaged, by device then update (set-based reads) */
export async function updatesOfDevices(db: Db, deviceIds: readonly number[], f: DeviceUpdateFilter = {}) {
  if (!deviceIds.length) return [];
  return deviceUpdatesQuery(db, deviceIds, f).orderBy('du.device_id').orderBy('du.update_id').execute();
}

function deviceUpdatesQuery(db: Db, deviceIds: readonly number[], f: DeviceUpdateFilter) {
  let q = db
    .selectFrom('device_updates as du')
    .innerJoin('updates as u', 'u.id', 'du.update_id')
    .leftJoin('bulletins as b', 'b.id', 'u.bulletin_id')
    .selectAll('du')
    .select([
      'u.name',
      'u.kind',
      'u.kb',
      'u.package_name',
      'u.version',
      'u.classification',
      'u.severity',
      'u.is_security',
      'u.reboot_behavior',
      'b.external_id as bulletin_external_id',
      'b.title as bulletin_title',
      'u.bulletin_id',
      // a CVE another organization's devices reported with this update is not this device's to show
      sql<string[]>`array(select uc.cve_id from update_cves uc join cves c on c.id = uc.cve_id
          where uc.update_id = u.id and ${cveVisibleToOrganization('du.organization_id')}
        union select cve_id from bulletin_cves bc where bc.bulletin_id = u.bulletin_id order by 1)`.as(
        'cves',
      ),
      // the highest CVSS base score of those CVEs (the catalog's), null when none has one
      sql<string | null>`(select max(x.s) from (
          select c.cvss_score as s from update_cves uc join cves c on c.id = uc.cve_id
            where uc.update_id = u.id and ${cveVisibleToOrganization('du.organization_id')}
          union all select c.cvss_score from bulletin_cves bc join cves c on c.id = bc.cve_id
            where bc.bulletin_id = u.bulletin_id) x)`.as('cvss_score'),
    ])
    .where('du.device_id', 'in', [...deviceIds]);
  if (f.status?.length) q = q.where('du.status', 'in', f.status);
  if (f.severity?.length) q = q.where('u.severity', 'in', f.severity);
  if (f.updateIds?.length) q = q.where('du.update_id', 'in', f.updateIds);
  if (f.security !== undefined) q = q.where('u.is_security', '=', f.security);
  if (f.bulletin) {
    const asId = /^[0-9]{1,15}$/.test(f.bulletin) ? Number(f.bulletin) : -1;
    q = q.where((eb) =>
      eb.or([eb('b.external_id', '=', f.bulletin!), eb('b.id', '=', asId), eb('u.kb', '=', f.bulletin!)]),
    );
  }
  if (f.cve) {
    const cve = f.cve.toUpperCase();
    q = q.where((eb) =>
      eb.or([
        eb.exists(
          eb
            .selectFrom('update_cves as uc')
            .innerJoin('cves as c', 'c.id', 'uc.cve_id')
            .select('uc.cve_id')
            .whereRef('uc.update_id', '=', 'u.id')
            .where('uc.cve_id', '=', cve)
            .where(cveVisibleToOrganization('du.organization_id')),
        ),
        eb.exists(
          eb
            .selectFrom('bulletin_cves as bc')
            .select('bc.cve_id')
            .whereRef('bc.bulletin_id', '=', 'u.bulletin_id')
            .where('bc.cve_id', '=', cve),
        ),
      ]),
    );
  }
  return q;
}

/** how many device updates in some statuses sit on devices the scope sees */
export async function countDeviceUpdates(
  db: Db,
  access: Access,
  statuses: readonly UpdateStatus[],
  organizationId?: number,
): Promise<number> {
  let q = db
    .selectFrom('device_updates as du')
    .innerJoin('devices as d', 'd.id', 'du.device_id')
    .select((e) => e.fn.countAll<number>().as('n'))
    .where('du.status', 'in', statuses.length ? [...statuses] : [''])
    .where(groupVisible(access, 'd.organization_id', 'd.group_id'));
  if (organizationId !== undefined) q = q.where('d.organization_id', '=', organizationId);
  const r = await q.executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * What a policy may still install on some devices: updates their last scan found missing and whose
 * status is INSTALLABLE (ignored ones included, so a preview can say why they are left out), with the
 * facts a policy rule selects on. Ordered by device, then name.
 */
export function installableUpdatesOf(db: Db, deviceIds: readonly number[]) {
  if (!deviceIds.length) return Promise.resolve([]);
  return db
    .selectFrom('device_updates as du')
    .innerJoin('devices as d', 'd.id', 'du.device_id')
    .innerJoin('updates as u', 'u.id', 'du.update_id')
    .leftJoin('products as p', 'p.id', 'u.product_id')
    .leftJoin('vendors as v', 'v.id', 'p.vendor_id')
    .select([
      'du.device_id',
      'du.update_id',
      'd.group_id',
      'u.name',
      'u.kb',
      'u.package_name',
      'u.version',
      'u.bulletin_id',
      'u.severity',
      'u.classification',
      'u.is_security',
      'u.is_optional',
      'u.patch_source',
      'p.name as product',
      'v.name as vendor',
    ])
    .where('du.device_id', 'in', [...deviceIds])
    .where('du.detection', '=', 'missing')
    .where('du.status', 'in', [...INSTALLABLE])
    .orderBy('du.device_id')
    .orderBy('u.name')
    .execute();
}

export interface InventoryFilter {
  /** the vendor's name, case-insensitive ('' matches updates without one) */
  vendor?: string;
  /** the product's name, case-insensitive ('' matches updates without one) */
  product?: string;
  severity?: string[];
}

/**
 * The patch inventory of an organization: each update some visible device of it still needs (statuses
 * among `statuses`), with its vendor and product and the devices that need it, by update name; filtered
 * by `f` and paged here (`total` counts the updates).
 */
export async function organizationInventory(
  db: Db,
  access: Access,
  organizationId: number,
  statuses: readonly UpdateStatus[],
  f: InventoryFilter,
  page: { limit: number; offset: number },
) {
  const base = () => {
    let q = db
      .selectFrom('device_updates as du')
      .innerJoin('devices as d', 'd.id', 'du.device_id')
      .innerJoin('updates as u', 'u.id', 'du.update_id')
      .leftJoin('products as p', 'p.id', 'u.product_id')
      .leftJoin('vendors as v', 'v.id', 'p.vendor_id')
      .where('du.organization_id', '=', organizationId)
      .where('du.status', 'in', statuses.length ? [...statuses] : [''])
      .where(groupVisible(access, 'd.organization_id', 'd.group_id'));
    if (f.vendor !== undefined)
      q = q.where(sql<string>`lower(coalesce(v.name, ''))`, '=', f.vendor.toLowerCase());
    if (f.product !== undefined)
      q = q.where(sql<string>`lower(coalesce(p.name, ''))`, '=', f.product.toLowerCase());
    if (f.severity?.length) q = q.where('u.severity', 'in', f.severity);
    return q;
  };
  const { total } = await base()
    .select(sql<number>`count(distinct u.id)::int`.as('total'))
    .executeTakeFirstOrThrow();
  const ids = await base()
    .select(['u.id', 'u.name'])
    .distinct()
    .orderBy('u.name')
    .orderBy('u.id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  if (!ids.length) return { items: [], total };
  const rows = await base()
    .select([
      'u.id',
      'u.name',
      'u.kb',
      'u.package_name',
      'u.severity',
      'u.is_security',
      'p.name as product',
      'v.name as vendor',
      'du.device_id',
    ])
    .where(
      'u.id',
      'in',
      ids.map((r) => r.id),
    )
    .orderBy('u.name')
    .orderBy('u.id')
    .orderBy('du.device_id')
    .execute();
  const out = new Map<number, Omit<(typeof rows)[number], 'device_id'> & { deviceIds: number[] }>();
  for (const { device_id, ...u } of rows) {
    const e = out.get(u.id) ?? { ...u, deviceIds: [] };
    e.deviceIds.push(device_id);
    out.set(u.id, e);
  }
  return { items: [...out.values()], total };
}
