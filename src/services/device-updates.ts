import type { Page } from '../store/paging.ts';
import { OUTSTANDING } from '../core/status.ts';
import { listDevices as listDeviceRows } from '../store/repos/devices-repo.ts';
import {
  listDeviceUpdates,
  updatesOfDevices,
  deviceUpdateIds,
  organizationInventory,
  type DeviceUpdateFilter,
  type InventoryFilter,
} from '../store/repos/updates-repo.ts';
import { effectiveApprovals, type EffectiveApproval } from './approvals.ts';
import type { Context } from './context.ts';
import { visibleDevice } from './devices.ts';

export interface DeviceUpdateView {
  deviceId: number;
  updateId: number;
  name: string;
  kind: string;
  kb: string | null;
  packageName: string | null;
  version: string | null;
  installedVersion: string | null;
  classification: string;
  severity: string;
  isSecurity: boolean;
  rebootBehavior: string;
  bulletin: { id: number; externalId: string | null; title: string | null } | null;
  cves: string[];
  /** the highest CVSS base score over `cves` in the catalog; null when none is scored */
  cvssScore: number | null;
  detection: string;
  status: string;
  approval: { action: string; level: string; source: string; setBy: string; setAt: Date } | null;
  firstDetectedAt: Date;
  lastDetectedAt: Date;
  statusChangedAt: Date;
  installedAt: Date | null;
  attempts: number;
  lastError: string | null;
}

/**
 * `approved`: true keeps the updates whose effective approval (services/approvals.ts, the precedence of
 * core/approvals.ts) is "approve", false the others; the rule is computed here over the device's matching
 * states (ids only), then the store pages the kept ids, so `total` stays right.
 */
export interface DeviceUpdateQuery extends DeviceUpdateFilter {
  approved?: boolean;
}

export async function queryDeviceUpdates(
  ctx: Context,
  deviceId: number,
  query: DeviceUpdateQuery,
  page: Page,
) {
  ctx.authorize('read');
  const device = await visibleDevice(ctx, deviceId);
  const { approved, ...f } = query;
  if (approved !== undefined) {
    const ids = await deviceUpdateIds(ctx.store.db, deviceId, f);
    const eff = await effectiveApprovals(
      ctx.store.db,
      device.organization_id,
      ids.map((id) => ({ device_id: deviceId, group_id: device.group_id, update_id: id })),
    );
    const keep = ids.filter(
      (id) =>
        (eff.get(`${deviceId}:${id}`)?.action === 'approve') === approved &&
        (!f.updateIds?.length || f.updateIds.includes(id)),
    );
    if (!keep.length)
      return { items: [] as DeviceUpdateView[], total: 0, limit: page.limit, offset: page.offset };
    f.updateIds = keep;
  }
  const r = await listDeviceUpdates(ctx.store.db, deviceId, f, page);
  const approvals = await effectiveApprovals(
    ctx.store.db,
    device.organization_id,
    r.items.map((i) => ({ device_id: deviceId, group_id: device.group_id, update_id: i.update_id })),
  );
  return { ...r, items: r.items.map((i) => viewOf(i, approvals.get(`${deviceId}:${i.update_id}`))) };
}

/**
 * Every update of some devices of one organization (those the caller sees; the others are left out),
 * with effective approvals: a fixed number of queries whatever the number of devices.
 */
export async function queryUpdatesOfDevices(
  ctx: Context,
  organizationId: number,
  deviceIds: readonly number[],
  f: DeviceUpdateFilter = {},
): Promise<Map<number, DeviceUpdateView[]>> {
  ctx.authorize('read');
  ctx.seeOrganization(organizationId);
  const out = new Map<number, DeviceUpdateView[]>();
  if (!deviceIds.length) return out;
  const devices = (
    await listDeviceRows(
      ctx.store.db,
      ctx.access,
      { organizationId, ids: deviceIds },
      { limit: deviceIds.length, offset: 0, sort: [] },
    )
  ).items;
  const groupOf = new Map(devices.map((d) => [d.id, d.group_id]));
  for (const d of devices) out.set(d.id, []);
  const rows = await updatesOfDevices(ctx.store.db, [...groupOf.keys()], f);
  const approvals = await effectiveApprovals(
    ctx.store.db,
    organizationId,
    rows.map((i) => ({
      device_id: i.device_id,
      group_id: groupOf.get(i.device_id)!,
      update_id: i.update_id,
    })),
  );
  for (const i of rows) out.get(i.device_id)!.push(viewOf(i, approvals.get(`${i.device_id}:${i.update_id}`)));
  return out;
}

type UpdateRow = Awaited<ReturnType<typeof updatesOfDevices>>[number];
function viewOf(i: UpdateRow, a: EffectiveApproval | undefined): DeviceUpdateView {
  return {
    deviceId: i.device_id,
    updateId: i.update_id,
    name: i.name,
    kind: i.kind,
    kb: i.kb,
    packageName: i.package_name,
    version: i.available_version ?? i.version,
    installedVersion: i.installed_version,
    classification: i.classification,
    severity: i.severity,
    isSecurity: i.is_security,
    rebootBehavior: i.reboot_behavior,
    bulletin: i.bulletin_id
      ? { id: i.bulletin_id, externalId: i.bulletin_external_id, title: i.bulletin_title }
      : null,
    cves: i.cves,
    cvssScore: i.cvss_score === null ? null : Number(i.cvss_score),
    detection: i.detection,
    status: i.status,
    approval: a
      ? {
          action: a.action,
          level: a.level,
          source: a.source,
          setBy: a.setBy ?? '',
          setAt: a.setAt ?? new Date(0),
        }
      : null,
    firstDetectedAt: i.first_detected_at,
    lastDetectedAt: i.last_detected_at,
    statusChangedAt: i.status_changed_at,
    installedAt: i.installed_at,
    attempts: i.attempts,
    lastError: i.last_error,
  };
}

/**
 * The patch inventory of an organization (GravityZone's getPatchInventory): every patch its devices in
 * the caller's scope still miss, with vendor, product, severity and the devices that miss it.
 */
/** The organization's patch inventory (outstanding updates and the devices needing them), filtered, paged */
export async function organizationPatchInventory(
  ctx: Context,
  organizationId: number,
  f: InventoryFilter,
  page: { limit: number; offset: number },
) {
  ctx.authorize('read');
  ctx.seeOrganization(organizationId);
  const r = await organizationInventory(ctx.store.db, ctx.access, organizationId, OUTSTANDING, f, page);
  return {
    total: r.total,
    items: r.items.map((u) => ({
      updateId: u.id,
      name: u.name,
      kb: u.kb,
      packageName: u.package_name,
      vendor: u.vendor,
      product: u.product,
      severity: u.severity,
      isSecurity: u.is_security,
      deviceIds: u.deviceIds,
    })),
  };
}
