import { notFound } from '../core/errors.ts';
import { byField, type ListQuery, type Listed } from '../core/query.ts';
import * as repo from '../store/repos/directory-repo.ts';
import {
  queryInstalledSoftware as softwareRows,
  type InstalledSoftwareEntry,
} from '../store/repos/installed-software-repo.ts';
import type { Context } from './context.ts';
import { visibleDevice } from './devices.ts';
import { authorizeDirectory, getRole, getUser } from './identity.ts';

// The directory as queryable lists (core/query.ts): organizations, groups, devices, users and roles,
// and the software installed on a device, for the faces whose clients filter, sort and page them
// (OData options, say). Each list is the caller's scope; the fields a query may name are
// the repository's (store/repos/directory-repo.ts).

export type {
  DeviceEntry,
  GroupEntry,
  OrganizationEntry,
  RoleEntry,
  UserEntry,
} from '../store/repos/directory-repo.ts';
export type { InstalledSoftwareEntry, Listed };

export async function queryOrganizations(ctx: Context, q: ListQuery) {
  ctx.authorize('read');
  return repo.queryOrganizations(ctx.store.db, ctx.access, q);
}

export async function getOrganizationEntry(ctx: Context, id: number) {
  const [entry] = (await queryOrganizations(ctx, byField('id', id))).records;
  if (!entry) throw notFound('organization', id);
  return entry;
}

/** groups in scope, of one organization (which must be in scope) or all */
export async function queryGroups(ctx: Context, q: ListQuery, organizationId?: number) {
  ctx.authorize('read');
  if (organizationId !== undefined) ctx.seeOrganization(organizationId);
  return repo.queryGroups(ctx.store.db, ctx.access, q, organizationId);
}

export async function getGroupEntry(ctx: Context, id: number) {
  const [entry] = (await queryGroups(ctx, byField('id', id))).records;
  if (!entry) throw notFound('group', id);
  return entry;
}

export async function queryDevices(ctx: Context, q: ListQuery) {
  ctx.authorize('read');
  return repo.queryDevices(ctx.store.db, ctx.access, q);
}

export async function getDeviceEntry(ctx: Context, id: number) {
  const [entry] = (await queryDevices(ctx, byField('id', id))).records;
  if (!entry) throw notFound('device', id);
  return entry;
}

/** users span every organization: listing them is directory administration */
export async function queryUsers(ctx: Context, q: ListQuery) {
  authorizeDirectory(ctx);
  return repo.queryUsers(ctx.store.db, q);
}

/** one user: your own record, or any with the right to read the directory */
export async function getUserEntry(ctx: Context, id: number) {
  await getUser(ctx, id);
  const [entry] = (await repo.queryUsers(ctx.store.db, byField('id', id))).records;
  if (!entry) throw notFound('user', id);
  return entry;
}

export async function queryRoles(ctx: Context, q: ListQuery) {
  authorizeDirectory(ctx);
  return repo.queryRoles(ctx.store.db, q);
}

/** one role: your own, or any with the right to read the directory */
export async function getRoleEntry(ctx: Context, id: number) {
  await getRole(ctx, id);
  const [entry] = (await repo.queryRoles(ctx.store.db, byField('id', id))).records;
  if (!entry) throw notFound('role', id);
  return entry;
}

/** the software installed on a device in scope */
export async function queryInstalledSoftware(ctx: Context, deviceId: number, q: ListQuery) {
  ctx.authorize('read');
  await visibleDevice(ctx, deviceId);
  return softwareRows(ctx.store.db, deviceId, q);
}
