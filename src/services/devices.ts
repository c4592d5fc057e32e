import { invalid, notFound } from '../core/errors.ts';
import type { Page } from '../store/paging.ts';
import {
  deleteDevice as deleteRow,
  getDevice as getRow,
  insertDevice,
  deviceCountsByGroup,
  listDevices as listRows,
  updateDevice as updateRow,
  type DeviceFilter,
  type DeviceRow,
} from '../store/repos/devices-repo.ts';
import { getOrganization as getOrgRow } from '../store/repos/organizations-repo.ts';
import type { Context } from './context.ts';
import { forgetDevice } from './device-cache.ts';
import { record } from './events.ts';
import { visibleGroup } from './groups.ts';
import { checkName, checkTimeZone } from './validate.ts';

export const OS_FAMILIES = ['windows', 'linux', 'macos', 'unknown'] as const;
export type OsFamily = (typeof OS_FAMILIES)[number];

export interface DeviceView {
  id: number;
  organizationId: number;
  groupId: number;
  name: string;
  hostname: string;
  osFamily: string;
  osName: string;
  osVersion: string;
  architecture: string;
  ipAddresses: string[];
  macAddresses: string[];
  timeZone: string | null;
  agentVersion: string | null;
  status: string;
  tags: string[];
  isRelay: boolean;
  rebootRequired: boolean;
  enrolledAt: Date | null;
  lastSeenAt: Date | null;
  lastScanAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const deviceView = (r: DeviceRow): DeviceView => ({
  id: r.id,
  organizationId: r.organization_id,
  groupId: r.group_id,
  name: r.name,
  hostname: r.hostname,
  osFamily: r.os_family,
  osName: r.os_name,
  osVersion: r.os_version,
  architecture: r.architecture,
  ipAddresses: r.ip_addresses,
  macAddresses: r.mac_addresses,
  timeZone: r.time_zone,
  agentVersion: r.agent_version,
  status: r.status,
  tags: r.tags,
  isRelay: r.is_relay,
  rebootRequired: r.reboot_required,
  enrolledAt: r.enrolled_at,
  lastSeenAt: r.last_seen_at,
  lastScanAt: r.last_scan_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** a device the actor can see, or not found (`row`: the device's row, when the caller has just read it) */
export async function visibleDevice(ctx: Context, id: number, row?: DeviceRow): Promise<DeviceRow> {
  const r = row ?? (await getRow(ctx.store.db, id));
  if (!r || r.id !== id || !ctx.seesGroup(r.organization_id, r.group_id)) throw notFound('device', id);
  return r;
}

export async function listDevices(ctx: Context, f: DeviceFilter, page: Page) {
  ctx.authorize('read');
  if (f.organizationId !== undefined) ctx.seeOrganization(f.organizationId);
  const r = await listRows(ctx.store.db, ctx.access, f, page);
  return { ...r, items: r.items.map(deviceView) };
}

/** the number of devices each group of an organization holds directly (groups without any are absent) */
export async function countDevicesByGroup(
  ctx: Context,
  organizationId: number,
): Promise<Map<number, number>> {
  ctx.authorize('read');
  ctx.seeOrganization(organizationId);
  return deviceCountsByGroup(ctx.store.db, ctx.access, organizationId);
}

export async function getDevice(ctx: Context, id: number) {
  ctx.authorize('read');
  return deviceView(await visibleDevice(ctx, id));
}

export interface DeviceInput {
  organizationId: number;
  groupId?: number;
  name: string;
  hostname?: string;
  osFamily?: OsFamily;
  osName?: string;
  osVersion?: string;
  architecture?: string;
  ipAddresses?: string[];
  macAddresses?: string[];
  timeZone?: string | null;
  tags?: string[];
  isRelay?: boolean;
}

async function placeIn(ctx: Context, organizationId: number, groupId: number | undefined): Promise<number> {
  if (groupId === undefined) {
    const org = await getOrgRow(ctx.store.db, organizationId);
    if (!org || !org.root_group_id) throw notFound('organization', organizationId);
    if (!ctx.seesGroup(organizationId, org.root_group_id))
      throw invalid('your scope covers only some groups of this organization', [
        { path: '/groupId', message: 'is required: name a group inside your scope' },
      ]);
    return org.root_group_id;
  }
  const group = await visibleGroup(ctx, groupId);
  if (group.organization_id !== organizationId)
    throw invalid('the group belongs to another organization', [
      { path: '/groupId', message: 'must be a group of the device’s organization' },
    ]);
  return group.id;
}

export async function createDevice(ctx: Context, input: DeviceInput) {
  ctx.seeOrganization(input.organizationId);
  ctx.authorize('manage_devices');
  const name = checkName(input.name, '/name', 200);
  if (input.timeZone) checkTimeZone(input.timeZone, '/timeZone');
  const groupId = await placeIn(ctx, input.organizationId, input.groupId);
  const id = await ctx.store.transaction(async (tx) => {
    const { id } = await insertDevice(tx, {
      organization_id: input.organizationId,
      group_id: groupId,
      name,
      hostname: input.hostname ?? name,
      os_family: input.osFamily ?? 'unknown',
      os_name: input.osName ?? '',
      os_version: input.osVersion ?? '',
      architecture: input.architecture ?? '',
      ip_addresses: input.ipAddresses ?? [],
      mac_addresses: input.macAddresses ?? [],
      time_zone: input.timeZone ?? null,
      tags: input.tags ?? [],
      is_relay: input.isRelay ?? false,
    });
    await record(ctx, tx, {
      kind: 'device.created',
      organizationId: input.organizationId,
      subjectType: 'device',
      subjectId: id,
      deviceId: id,
      data: { name, groupId },
    });
    return id;
  });
  return getDevice(ctx, id);
}

export type DevicePatch = Partial<Omit<DeviceInput, 'organizationId'>>;

export async function updateDevice(ctx: Context, id: number, patch: DevicePatch) {
  ctx.authorize('read');
  const row = await visibleDevice(ctx, id);
  ctx.authorize('manage_devices');
  const name = patch.name !== undefined ? checkName(patch.name, '/name', 200) : undefined;
  if (patch.timeZone) checkTimeZone(patch.timeZone, '/timeZone');
  const groupId =
    patch.groupId !== undefined ? await placeIn(ctx, row.organization_id, patch.groupId) : undefined;
  await ctx.store.transaction(async (tx) => {
    await updateRow(tx, id, {
      ...(name !== undefined ? { name } : {}),
      ...(groupId !== undefined ? { group_id: groupId } : {}),
      ...(patch.hostname !== undefined ? { hostname: patch.hostname } : {}),
      ...(patch.osFamily !== undefined ? { os_family: patch.osFamily } : {}),
      ...(patch.osName !== undefined ? { os_name: patch.osName } : {}),
      ...(patch.osVersion !== undefined ? { os_version: patch.osVersion } : {}),
      ...(patch.architecture !== undefined ? { architecture: patch.architecture } : {}),
      ...(patch.ipAddresses !== undefined ? { ip_addresses: patch.ipAddresses } : {}),
      ...(patch.macAddresses !== undefined ? { mac_addresses: patch.macAddresses } : {}),
      ...(patch.timeZone !== undefined ? { time_zone: patch.timeZone } : {}),
      ...(patch.tags !== undefined ? { tags: patch.tags } : {}),
      ...(patch.isRelay !== undefined ? { is_relay: patch.isRelay } : {}),
    });
    await record(ctx, tx, {
      kind: 'device.updated',
      organizationId: row.organization_id,
      subjectType: 'device',
      subjectId: id,
      deviceId: id,
      data: { changes: patch },
    });
  });
  return getDevice(ctx, id);
}

/**
 * Retires a device, or brings a retired one back. A retired device stays with its history, but its agent
 * is refused at check-in (services/agent-devices.ts) and it is no longer online (Kaseya's Online 198,
 * "Agent Suspended").
 */
export async function setDeviceRetired(ctx: Context, id: number, retired: boolean) {
  ctx.authorize('read');
  const row = await visibleDevice(ctx, id);
  ctx.authorize('manage_devices');
  const status = retired ? 'retired' : 'active';
  if (row.status !== status)
    await ctx.store.transaction(async (tx) => {
      await updateRow(tx, id, { status });
      await record(ctx, tx, {
        kind: retired ? 'device.retired' : 'device.reactivated',
        organizationId: row.organization_id,
        subjectType: 'device',
        subjectId: id,
        deviceId: id,
        data: { name: row.name },
      });
    });
  // the check-in path's credential cache must see the new status at once
  forgetDevice(ctx.store, id);
  return getDevice(ctx, id);
}

export async function deleteDevice(ctx: Context, id: number) {
  ctx.authorize('read');
  const row = await visibleDevice(ctx, id);
  ctx.authorize('manage_devices');
  await ctx.store.transaction(async (tx) => {
    await record(ctx, tx, {
      kind: 'device.deleted',
      organizationId: row.organization_id,
      subjectType: 'device',
      subjectId: id,
      data: { name: row.name },
    });
    await deleteRow(tx, id);
  });
  // the check-in path's credential cache must not let the deleted device's agent in for seconds more
  forgetDevice(ctx.store, id);
}
