import { notFound } from '../../core/errors.ts';
import type { Context } from '../../services/context.ts';
import { authorizeDirectory, getRole, getUser } from '../../services/identity.ts';
import {
  pageThrough,
  roleBase,
  roleFields,
  userBase,
  userFields,
  type RoleRow,
  type UserRow,
} from '../../store/repos/kaseya.ts';
import { renderDecimalId } from '../shared/ids.ts';
import type { QueryOptions } from '../shared/odata/index.ts';

// Users and roles (seed 004: GET /system/users, /system/users/{userId}, /system/roles, /system/roles/{id}).
// The seed names GET /system/users and /system/users/{userId} without a model; the fields are the ones
// VSA returns and its clients read (UserId, AdminName, AdminRoleIds, AdminScopeIds, FirstName, …).
// Patchline keeps one display name, one role and one scope per user: FirstName is the display name's
// first word and LastName the rest; the id lists hold one id each. RoleId is an int in the seed (and a
// number in GET /auth), so role ids are JSON numbers; user and scope ids are decimals, so strings.

export const renderUser = (r: UserRow) => ({
  UserId: renderDecimalId(r.id),
  AdminName: r.username,
  AdminPassword: null,
  AdminType: null,
  DisableUntil: null,
  CreationDate: r.created_at.toISOString(),
  AdminScopeIds: [renderDecimalId(r.scope_id)],
  AdminRoleIds: [r.role_id],
  FirstName: r.first_name,
  LastName: r.last_name,
  DefaultStaffOrgId: null,
  DefaultStaffDepartmentId: null,
  Email: r.email || null,
  Attributes: { Disabled: r.disabled, TimeZone: r.time_zone },
});

export async function listUsers(ctx: Context, options: QueryOptions) {
  authorizeDirectory(ctx);
  return pageThrough(userBase(ctx.db), options, userFields, 'u.id', renderUser);
}

/** one user: your own record, or any with the right to read the directory (services/identity.ts) */
export async function getUserRecord(ctx: Context, id: number) {
  await getUser(ctx, id);
  const row = await userBase(ctx.db).where('u.id', '=', id).executeTakeFirst();
  if (!row) throw notFound('user', renderDecimalId(id));
  return renderUser(row);
}

/**
 * Roles: VSA's RoleTypeIds are its licensed role types, which Patchline does not have (empty list);
 * what a Patchline role allows is its list of privileges, in Attributes.
 */
export const renderRole = (r: RoleRow) => ({
  RoleId: r.id,
  RoleName: r.name,
  RoleTypeIds: [],
  Attributes: { Description: r.description, Privileges: r.privileges, BuiltIn: r.builtin },
});

export async function listRoles(ctx: Context, options: QueryOptions) {
  authorizeDirectory(ctx);
  return pageThrough(roleBase(ctx.db), options, roleFields, 'r.id', renderRole);
}

/** one role: your own, or any with the right to read the directory */
export async function getRoleRecord(ctx: Context, id: number) {
  await getRole(ctx, id);
  const row = await roleBase(ctx.db).where('r.id', '=', id).executeTakeFirst();
  if (!row) throw notFound('role', id);
  return renderRole(row);
}
