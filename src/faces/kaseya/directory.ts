import { vsaDate } from './dates.ts';
import type { Context } from '../../services/context.ts';
import {
  getRoleEntry,
  getUserEntry,
  queryRoles,
  queryUsers,
  type RoleEntry,
  type UserEntry,
} from '../../services/directory.ts';
import { renderDecimalId } from '../shared/ids.ts';
import { toListQuery, type QueryOptions } from '../shared/odata/index.ts';
import { roleFields, userFields } from './fields.ts';

// Users and roles (seed 004: GET /system/users, /system/users/{userId}, /system/roles, /system/roles/{id}).
// The seed names GET /system/users and /system/users/{userId} without a model; the fields are the ones
// VSA returns and its clients read (UserId, AdminName, AdminRoleIds, AdminScopeIds, FirstName, …).
// Patchline keeps one display name, one role and one scope per user: FirstName is the display name's
// first word and LastName the rest; the id lists hold one id each. RoleId is an int in the seed (and a
// number in GET /auth), so role ids are JSON numbers; user and scope ids are decimals, so strings.

export const renderUser = (r: UserEntry) => ({
  UserId: renderDecimalId(r.id),
  AdminName: r.username,
  AdminPassword: null,
  AdminType: null,
  DisableUntil: null,
  CreationDate: vsaDate('CreationDate', r.createdAt),
  AdminScopeIds: [renderDecimalId(r.scopeId)],
  AdminRoleIds: [r.roleId],
  FirstName: r.firstName,
  LastName: r.lastName,
  DefaultStaffOrgId: null,
  DefaultStaffDepartmentId: null,
  Email: r.email || null,
  Attributes: { Disabled: r.disabled, TimeZone: r.timeZone },
});

export async function listUsers(ctx: Context, options: QueryOptions) {
  const r = await queryUsers(ctx, toListQuery(options, userFields));
  return { records: r.records.map(renderUser), total: r.total };
}

/** one user: your own record, or any with the right to read the directory (services/identity.ts) */
export async function getUserRecord(ctx: Context, id: number) {
  return renderUser(await getUserEntry(ctx, id));
}

/**
 * Roles: VSA's RoleTypeIds are its licensed role types, which Patchline does not have (empty list);
 * what a Patchline role allows is its list of privileges, in Attributes.
 */
export const renderRole = (r: RoleEntry) => ({
  RoleId: r.id,
  RoleName: r.name,
  RoleTypeIds: [],
  Attributes: { Description: r.description, Privileges: r.privileges, BuiltIn: r.builtin },
});

export async function listRoles(ctx: Context, options: QueryOptions) {
  const r = await queryRoles(ctx, toListQuery(options, roleFields));
  return { records: r.records.map(renderRole), total: r.total };
}

/** one role: your own, or any with the right to read the directory */
export async function getRoleRecord(ctx: Context, id: number) {
  return renderRole(await getRoleEntry(ctx, id));
}
