import type { FastifyInstance } from 'fastify';
import { invalid, notFound } from '../../core/errors.ts';
import { vsaDate } from './dates.ts';
import type { Context } from '../../services/context.ts';
import {
  addUserToRole,
  authorizeDirectory,
  createRole,
  createUser,
  deleteRole,
  deleteUser,
  removeUserFromRole,
  updateUser,
  type UserInput,
} from '../../services/identity.ts';
import {
  getRoleEntry,
  getUserEntry,
  queryRoles,
  queryUsers,
  type RoleEntry,
  type UserEntry,
} from '../../services/directory.ts';
import { parseDecimalId, renderDecimalId } from '../shared/ids.ts';
import { toListQuery, type QueryOptions } from '../shared/odata/index.ts';
import { Body } from './body.ts';
import { roleFields, roleTypeFields, userFields } from './fields.ts';
import type { PatchDeps } from './patch.ts';
import { inSeedTerms } from './resources.ts';

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

// ---- writes: users and roles ---------------------------------------------------------------------------
// Add User (POST /system/users), Update User (PUT /system/users/{userId}), Delete User (DELETE
// /system/users/{userId}) and Add User Role (POST /system/roles) over Patchline's users and roles
// (services/identity.ts), with the native API's checks: writing users and roles needs `administer` over
// every organization; a user may change their own FirstName, LastName, Email and password.
// The user fields are the ones GET returns (renderUser) plus AdminPassword:
// - AdminName is the user name, AdminPassword the password (required to add a user);
// - AdminRoleIds and AdminScopeIds each name exactly one role and one scope (Patchline gives a user one
//   of each); FirstName and LastName form the display name ("First Last");
// - Attributes may carry Disabled (true/false) and TimeZone (an IANA zone name);
// - AdminType, DisableUntil, DefaultStaffOrgId and DefaultStaffDepartmentId are not kept by Patchline:
//   null or absent, anything else is refused rather than dropped. UserId and CreationDate are the
//   server's: UserId, if sent, must be the path's; CreationDate is ignored.
// Roles: RoleName; RoleTypeIds are VSA's licensed role types, which Patchline has not: empty, or 0s
// (the sample's); the role's privileges are Attributes.Privileges (Patchline's names: read, approve, …),
// none when absent, and Attributes.Description its description. The new id is the Result.

const USER_FIELDS = [
  'UserId',
  'AdminName',
  'AdminPassword',
  'AdminType',
  'DisableUntil',
  'CreationDate',
  'AdminScopeIds',
  'AdminRoleIds',
  'FirstName',
  'LastName',
  'DefaultStaffOrgId',
  'DefaultStaffDepartmentId',
  'Email',
  'Attributes',
];
const USER_PATHS = {
  '/username': '/AdminName',
  '/password': '/AdminPassword',
  '/roleId': '/AdminRoleIds',
  '/scopeId': '/AdminScopeIds',
  '/email': '/Email',
  '/displayName': '/FirstName',
  '/timeZone': '/Attributes/TimeZone',
  '/disabled': '/Attributes/Disabled',
};

/** exactly one id in a list field (numbers or strings of digits) */
function oneId(body: Record<string, unknown>, field: string): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  const list = Array.isArray(v) ? v : [v];
  const ids = list.filter((x) => x !== 0 && x !== '0');
  if (ids.length !== 1 || !(typeof ids[0] === 'number' || typeof ids[0] === 'string'))
    throw invalid(`${field} must name exactly one id: Patchline gives a user one role and one scope`, [
      { path: `/${field}`, message: 'must hold exactly one id' },
    ]);
  return Body.of({ [field]: ids[0] }, [field], 'user').id(field) ?? undefined;
}

function userPatch(body: unknown, current?: UserEntry): Partial<UserInput> {
  const b = Body.of(body, USER_FIELDS, 'user');
  for (const f of ['AdminType', 'DisableUntil', 'DefaultStaffOrgId', 'DefaultStaffDepartmentId'])
    if (
      b.has(f) &&
      (body as Record<string, unknown>)[f] !== null &&
      (body as Record<string, unknown>)[f] !== ''
    )
      throw invalid(`${f} is not kept by Patchline: send null or leave it out`, [
        { path: `/${f}`, message: 'must be null or left out' },
      ]);
  b.text('CreationDate');
  const out: Partial<UserInput> = {};
  const name = b.text('AdminName');
  if (name != null) out.username = name;
  const password = b.text('AdminPassword');
  if (password != null) out.password = password;
  const raw = body as Record<string, unknown>;
  const role = oneId(raw, 'AdminRoleIds');
  if (role !== undefined) out.roleId = role;
  const scope = oneId(raw, 'AdminScopeIds');
  if (scope !== undefined) out.scopeId = scope;
  const email = b.text('Email');
  if (email !== undefined) out.email = email ?? '';
  const first = b.text('FirstName');
  const last = b.text('LastName');
  if (first !== undefined || last !== undefined) {
    const f = first === undefined ? (current?.firstName ?? '') : (first ?? '');
    const l = last === undefined ? (current?.lastName ?? '') : (last ?? '');
    out.displayName = [f.trim(), l.trim()].filter(Boolean).join(' ');
  }
  const attrs = b.object('Attributes');
  if (attrs) {
    const a = Body.of(attrs, ['Disabled', 'TimeZone'], 'user attributes', 'Attributes/');
    const disabled = a.bool('Disabled');
    if (disabled != null) out.disabled = disabled;
    const zone = a.text('TimeZone');
    if (zone !== undefined) out.timeZone = zone || null;
  }
  return out;
}

/** Add User: the new UserId */
export async function addUser(ctx: Context, body: unknown): Promise<string> {
  const p = userPatch(body);
  for (const [k, f] of [
    ['username', 'AdminName'],
    ['password', 'AdminPassword'],
    ['roleId', 'AdminRoleIds'],
    ['scopeId', 'AdminScopeIds'],
  ] as const)
    if (p[k] === undefined) throw invalid(`${f} is required`, [{ path: `/${f}`, message: 'is required' }]);
  const u = await inSeedTerms(USER_PATHS, () => createUser(ctx, p as UserInput));
  return renderDecimalId(u.id);
}

/** Update User: the fields sent change; the others stay */
export async function updateUserRecord(ctx: Context, id: number, body: unknown): Promise<true> {
  const given = Body.of(body, USER_FIELDS, 'user').id('UserId');
  if (given != null && given !== id)
    throw invalid(`UserId ${given} in the body differs from ${id} in the path`, [
      { path: '/UserId', message: `must be ${id}, the id in the path, or be left out` },
    ]);
  const current = await getUserEntry(ctx, id);
  const patch = userPatch(body, current);
  // a record read with GET and sent back changes nothing it repeats
  if (patch.username === current.username) delete patch.username;
  if (patch.roleId === current.roleId) delete patch.roleId;
  if (patch.scopeId === current.scopeId) delete patch.scopeId;
  if (patch.disabled === current.disabled) delete patch.disabled;
  if (patch.timeZone === current.timeZone) delete patch.timeZone;
  if (patch.email === (current.email ?? '')) delete patch.email;
  if (patch.displayName === [current.firstName, current.lastName].filter(Boolean).join(' '))
    delete patch.displayName;
  await inSeedTerms(USER_PATHS, () => updateUser(ctx, id, patch));
  return true;
}

/** Delete User */
export async function deleteUserRecord(ctx: Context, id: number): Promise<true> {
  await deleteUser(ctx, id);
  return true;
}

/** Add User Role: the new RoleId */
export async function addRole(ctx: Context, body: unknown): Promise<number> {
  const b = Body.of(body, ['RoleId', 'RoleName', 'RoleTypeIds', 'Attributes'], 'role');
  b.id('RoleId'); // the server assigns ids
  const name = b.text('RoleName');
  if (name == null) throw invalid('RoleName is required', [{ path: '/RoleName', message: 'is required' }]);
  const types = (body as Record<string, unknown>).RoleTypeIds;
  if (
    types !== undefined &&
    types !== null &&
    !(Array.isArray(types) && types.every((t) => t === 0 || t === '0'))
  )
    throw invalid(
      'Patchline has no role types: send RoleTypeIds empty (or 0s), and the privileges in Attributes',
      [{ path: '/RoleTypeIds', message: 'must be empty or hold only 0' }],
    );
  const attrs = b.object('Attributes');
  let privileges: string[] = [];
  let description: string | undefined;
  if (attrs) {
    const a = Body.of(attrs, ['Privileges', 'Description'], 'role attributes', 'Attributes/');
    description = a.text('Description') ?? undefined;
    const p = attrs.Privileges;
    if (p !== undefined && p !== null) {
      if (!Array.isArray(p) || !p.every((x) => typeof x === 'string'))
        throw invalid('Attributes/Privileges must be a list of privilege names', [
          { path: '/Attributes/Privileges', message: 'must be a list of text' },
        ]);
      privileges = p as string[];
    }
  }
  const r = await inSeedTerms({ '/name': '/RoleName', '/privileges': '/Attributes/Privileges' }, () =>
    createRole(ctx, { name, privileges, ...(description !== undefined ? { description } : {}) }),
  );
  return r.id;
}

// ---- the rest of the Roles chapter: Delete Role, Get User Roletypes, Get Roletype, Add User to User Role
// The chapter lists these calls, but seed 004 ends before their pages; the paths are those VSA serves and
// its client libraries call (DELETE /system/roles/{roleId}, GET /system/roletypes[/{roleTypeId}],
// PUT /system/roles/{roleId}/users/{userId}), and "Remove User from Role" is the same path with DELETE.
// Decided here (the rules are services/identity.ts'):
// - Delete Role: 409 while users have the role (the chapter: users must be removed from a role before
//   it is deleted) or when it is one of Patchline's built-in roles; 404 when there is no such role.
// - Role types: Patchline has no licensed role types, so the list is empty (it still takes $filter,
//   $orderby, $skip and $top on RoleTypeId, RoleTypeName, Description) and every role type is 404.
// - Add User to User Role gives the user that role in place of the one they had (Patchline gives a user
//   exactly one, the chapter at least one); Remove is 404 when the user does not have the role and 409
//   when they do (it is their only role: add them to another instead).
// - All of them need `administer` over every organization (a scoped caller gets 403), as role writes do;
//   they answer Result true. A PUT may carry an empty body, nothing else.

export async function deleteRoleRecord(ctx: Context, id: number): Promise<true> {
  await deleteRole(ctx, id);
  return true;
}

export function listRoleTypes(ctx: Context, options: QueryOptions) {
  authorizeDirectory(ctx);
  toListQuery(options, roleTypeFields); // a malformed option is still an error
  return { records: [] as never[], total: 0 };
}

export function getRoleType(ctx: Context, id: number): never {
  authorizeDirectory(ctx);
  throw notFound('role type', id);
}

export async function addUserToRoleRecord(ctx: Context, roleId: number, userId: number, body: unknown) {
  if (body !== undefined && body !== null && body !== '') Body.of(body, [], 'role membership');
  await addUserToRole(ctx, roleId, userId);
  return true as const;
}

export async function removeUserFromRoleRecord(ctx: Context, roleId: number, userId: number): Promise<true> {
  await removeUserFromRole(ctx, roleId, userId);
  return true;
}

export function directoryWriteRoutes(app: FastifyInstance, deps: PatchDeps) {
  const { ctxOf, ok, listed, options } = deps;
  const roleId = (params: unknown) => parseDecimalId((params as Record<string, string>).roleId ?? '', 'role');
  const userId = (params: unknown) => parseDecimalId((params as Record<string, string>).userId ?? '', 'user');
  app.delete('/system/roles/:roleId', { config: { scope: 'global' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    return ok(req, reply, await deleteRoleRecord(ctx, roleId(req.params)));
  });
  app.get('/system/roletypes', { config: { scope: 'global' } }, async (req, reply) =>
    listed(req, reply, listRoleTypes(await ctxOf(req), options(req)), 'RoleType'),
  );
  app.get('/system/roletypes/:roleTypeId', { config: { scope: 'global' } }, async (req) => {
    const ctx = await ctxOf(req);
    getRoleType(ctx, parseDecimalId((req.params as Record<string, string>).roleTypeId ?? '', 'role type'));
  });
  app.put('/system/roles/:roleId/users/:userId', { config: { scope: 'global' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    return ok(req, reply, await addUserToRoleRecord(ctx, roleId(req.params), userId(req.params), req.body));
  });
  app.delete('/system/roles/:roleId/users/:userId', { config: { scope: 'global' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    return ok(req, reply, await removeUserFromRoleRecord(ctx, roleId(req.params), userId(req.params)));
  });
  app.post('/system/users', { config: { scope: 'global' } }, async (req, reply) =>
    ok(req, reply, await addUser(await ctxOf(req), req.body)),
  );
  app.put('/system/users/:userId', { config: { scope: 'self' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    return ok(req, reply, await updateUserRecord(ctx, userId(req.params), req.body));
  });
  app.delete('/system/users/:userId', { config: { scope: 'global' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    return ok(req, reply, await deleteUserRecord(ctx, userId(req.params)));
  });
  app.post('/system/roles', { config: { scope: 'global' } }, async (req, reply) =>
    ok(req, reply, await addRole(await ctxOf(req), req.body)),
  );
}
