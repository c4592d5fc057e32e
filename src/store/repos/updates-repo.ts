import { sql } from 'kysely';
import type { Access } from '../../core/access.ts';
import { INSTALLABLE, type UpdateStatus } from '../../core/status.ts';
import { groupVisible } from '../access.ts';
import type { Db } from '../db.ts';
import { paginate, type Page } from '../paging.ts';
import type { NewRow } from '../schema.ts';
import { cveVisibleToOrganization, updateVisible } from './catalog-repo.ts';

// The catalog's installable updates and each device's state of them.

/** inserts updates that are new (by natural key) and returns the ids of all of them */
export async function upsertUpdates(db: Db, rows: NewRow<'updates'>[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (!rows.length) return out;
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    await db
      .insertInto('updates')
      .values(chunk)
      .onConflict((oc) => oc.column('natural_key').doNothing())
      .execute();
    const found = await db
      .selectFrom('updates')
      .select(['id', 'natural_key'])
      .where(
        'natural_key',
        'in',
        chunk.map((r) => r.natural_key),
      )
      .execute();
    for (const f of found) out.set(f.natural_key, f.id);
  }
  return out;
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

export async function upsertDeviceUpdate(db: Db, row: NewRow<'device_updates'>) {
  await db
    .insertInto('device_updates')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['device_id', 'update_id']).doUpdateSet((eb) => ({
        detection: eb.ref('excluded.detection'),
        status: eb.ref('excluded.status'),
        installed_version: eb.ref('excluded.installed_version'),
        available_version: eb.ref('excluded.available_version'),
        last_detected_at: eb.ref('excluded.last_detected_at'),
        status_changed_at: sql<Date>`case when device_updates.status = excluded.status then device_updates.status_changed_at else excluded.status_changed_at end`,
        installed_at: eb.ref('excluded.installed_at'),
      })),
    )
    .execute();
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
