import { conflict, DomainError, forbidden, invalid, notFound } from '../core/errors.ts';
import { isPrivilege, PRIVILEGES } from '../core/privileges.ts';
import type { Db } from '../store/db.ts';
import { isUniqueViolation, type Page } from '../store/paging.ts';
import * as repo from '../store/repos/identity-repo.ts';
import { getGroup } from '../store/repos/groups-repo.ts';
import { getOrganization } from '../store/repos/organizations-repo.ts';
import type { Row } from '../store/schema.ts';
import type { Context } from './context.ts';
import { createHash } from 'node:crypto';
import { record } from './events.ts';
import { hashPassword, newToken, tokenHash } from './secrets.ts';
import { checkName, checkTimeZone } from './validate.ts';

// Users, roles, scopes and API keys. Users, roles and scopes span every organization, so managing them
// needs the 'administer' privilege with a scope over every organization.

export interface UserView {
  id: number;
  username: string;
  displayName: string;
  email: string;
  roleId: number;
  scopeId: number;
  disabled: boolean;
  timeZone: string | null;
  createdAt: Date;
  updatedAt: Date;
}
export const userView = (u: Row<'users'>): UserView => ({
  id: u.id,
  username: u.username,
  displayName: u.display_name,
  email: u.email,
  roleId: u.role_id,
  scopeId: u.scope_id,
  disabled: u.disabled,
  timeZone: u.time_zone,
  createdAt: u.created_at,
  updatedAt: u.updated_at,
});

/**
 * What Kaseya VSA's hashed sign-in proves knowledge of: hex SHA-256 of password + user name (seed 004,
 * "Auth Payload Algorithm", step 3). Kept beside the scrypt hash since pass2 cannot be checked from it.
 * Hashed as the sample client does (`ASCIIEncoding.ASCII`: every non-ASCII UTF-16 unit becomes '?').
 */
export const kaseyaVerifier = (username: string, password: string) =>
  createHash('sha256')
    .update((password + username).replace(/[\u0080-\uffff]/g, '?'), 'ascii')
    .digest('hex');

export const MIN_PASSWORD = 8;
function checkPassword(p: string) {
  if (p.length < MIN_PASSWORD || p.length > 200)
    throw invalid('password too weak', [
      { path: '/password', message: `must be ${MIN_PASSWORD} to 200 characters` },
    ]);
}
function checkUsername(u: string) {
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/.test(u))
    throw invalid('invalid user name', [
      { path: '/username', message: 'must be 1 to 100 letters, digits, dots, dashes, underscores or @' },
    ]);
}

async function requireRoleAndScope(ctx: Context, roleId?: number, scopeId?: number) {
  if (roleId !== undefined && !(await repo.getRole(ctx.store.db, roleId)))
    throw invalid('unknown role', [{ path: '/roleId', message: `role ${roleId} does not exist` }]);
  if (scopeId !== undefined && !(await repo.getScope(ctx.store.db, scopeId)))
    throw invalid('unknown scope', [{ path: '/scopeId', message: `scope ${scopeId} does not exist` }]);
}

/**
 * The installation keeps an administrator: a change that would leave no enabled user whose role has
 * `administer` and whose scope covers every organization (a user's role or scope changed, a user disabled
 * or deleted, a role's privileges or a scope narrowed) is refused in its transaction, so nothing changes.
 * Only such a user manages users, roles and scopes: without one, nobody could undo the change.
 */
async function keepAnAdministrator(tx: Db, change: string) {
  if ((await repo.countAdministrators(tx)) === 0)
    throw conflict(
      `${change} would leave the installation without an administrator (an enabled user whose role has ` +
        'administer and whose scope covers every organization): make another user one first',
    );
}

/** who may read the lists of users and roles: they span every organization (the product faces list them too) */
export const authorizeDirectory = (ctx: Context) => ctx.authorizeGlobal();

export async function listUsers(
  ctx: Context,
  f: { q?: string; roleId?: number; scopeId?: number },
  page: Page,
) {
  authorizeDirectory(ctx);
  const r = await repo.listUsers(ctx.store.db, f, page);
  return { ...r, items: r.items.map(userView) };
}

/**
 * the users of one organization (product faces list users per organization): administration within
 * it. A caller scoped to some organizations sees the users scoped to this one; the users whose scope
 * covers every organization are listed only to a caller whose scope does too.
 */
export async function listOrganizationUsers(ctx: Context, organizationId: number, page: Page) {
  ctx.authorize('administer');
  ctx.seeOrganization(organizationId);
  const r = await repo.listUsersOfOrganization(ctx.store.db, organizationId, ctx.access.all, page);
  return { ...r, items: r.items.map(userView) };
}

export async function getUser(ctx: Context, id: number) {
  if (ctx.actor.userId !== id) ctx.authorizeGlobal();
  else ctx.authorizeSelf(); // a user reads their own record
  const u = await repo.getUser(ctx.store.db, id);
  if (!u) throw notFound('user', id);
  return userView(u);
}

export interface UserInput {
  username: string;
  password: string;
  displayName?: string;
  email?: string;
  roleId: number;
  scopeId: number;
  timeZone?: string | null;
  disabled?: boolean;
}

export async function createUser(ctx: Context, input: UserInput) {
  ctx.authorizeGlobal();
  checkUsername(input.username);
  checkPassword(input.password);
  if (input.timeZone) checkTimeZone(input.timeZone, '/timeZone');
  await requireRoleAndScope(ctx, input.roleId, input.scopeId);
  const password_hash = await hashPassword(input.password);
  const id = await ctx.store
    .transaction(async (tx) => {
      const { id } = await repo.insertUser(tx, {
        username: input.username,
        password_hash,
        kaseya_verifier: kaseyaVerifier(input.username, input.password),
        display_name: input.displayName ?? '',
        email: input.email ?? '',
        role_id: input.roleId,
        scope_id: input.scopeId,
        time_zone: input.timeZone ?? null,
        disabled: input.disabled ?? false,
      });
      await record(ctx, tx, {
        kind: 'user.created',
        subjectType: 'user',
        subjectId: id,
        data: { username: input.username, roleId: input.roleId, scopeId: input.scopeId },
      });
      return id;
    })
    .catch((e) => {
      if (isUniqueViolation(e)) throw conflict(`a user named '${input.username}' already exists`);
      throw e;
    });
  return getUser(ctx, id);
}

export async function updateUser(ctx: Context, id: number, patch: Partial<UserInput>) {
  const self = ctx.actor.userId === id;
  const onlyOwn = Object.keys(patch).every((k) =>
    ['password', 'displayName', 'email', 'timeZone'].includes(k),
  );
  if (!(self && onlyOwn)) ctx.authorizeGlobal();
  else ctx.authorizeSelf(); // a user changes their own password, name, e-mail and zone
  const before = await repo.getUser(ctx.store.db, id);
  if (!before) throw notFound('user', id);
  if (patch.username !== undefined) checkUsername(patch.username);
  if (patch.password !== undefined) checkPassword(patch.password);
  if (patch.timeZone) checkTimeZone(patch.timeZone, '/timeZone');
  if (self && patch.disabled)
    throw invalid('you cannot disable yourself', [
      { path: '/disabled', message: 'ask another administrator' },
    ]);
  const roleChanges = patch.roleId !== undefined && patch.roleId !== before.role_id;
  const scopeChanges = patch.scopeId !== undefined && patch.scopeId !== before.scope_id;
  // nobody changes their own role or scope: an administrator could demote themselves out of the very
  // privilege that lets them undo it
  if (self && (roleChanges || scopeChanges))
    throw forbidden(
      `you cannot change your own ${roleChanges ? 'role' : 'scope'}: ask another administrator`,
    );
  await requireRoleAndScope(ctx, patch.roleId, patch.scopeId);
  const password_hash = patch.password !== undefined ? await hashPassword(patch.password) : undefined;
  await ctx.store
    .transaction(async (tx) => {
      await repo.updateUser(tx, id, {
        ...(patch.username !== undefined ? { username: patch.username } : {}),
        ...(password_hash ? { password_hash } : {}),
        // the Kaseya verifier covers the user name too: a rename without a password clears it
        ...(patch.password !== undefined
          ? { kaseya_verifier: kaseyaVerifier(patch.username ?? before.username, patch.password) }
          : patch.username !== undefined && patch.username !== before.username
            ? { kaseya_verifier: null }
            : {}),
        ...(patch.displayName !== undefined ? { display_name: patch.displayName } : {}),
        ...(patch.email !== undefined ? { email: patch.email } : {}),
        ...(patch.roleId !== undefined ? { role_id: patch.roleId } : {}),
        ...(patch.scopeId !== undefined ? { scope_id: patch.scopeId } : {}),
        ...(patch.timeZone !== undefined ? { time_zone: patch.timeZone } : {}),
        ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
      });
      if (patch.disabled || password_hash) await repo.revokeUserSessions(tx, id);
      if (roleChanges || scopeChanges || (patch.disabled && !before.disabled))
        await keepAnAdministrator(tx, `changing user '${before.username}'`);
      const { password: _pw, ...shown } = patch;
      await record(ctx, tx, {
        kind: 'user.updated',
        subjectType: 'user',
        subjectId: id,
        data: { changes: shown, passwordChanged: !!password_hash },
      });
    })
    .catch((e) => {
      if (isUniqueViolation(e)) throw conflict(`a user named '${patch.username}' already exists`);
      throw e;
    });
  return getUser(ctx, id);
}

export async function deleteUser(ctx: Context, id: number) {
  ctx.authorizeGlobal();
  if (ctx.actor.userId === id) throw conflict('you cannot delete yourself');
  const u = await repo.getUser(ctx.store.db, id);
  if (!u) throw notFound('user', id);
  await ctx.store.transaction(async (tx) => {
    await record(ctx, tx, {
      kind: 'user.deleted',
      subjectType: 'user',
      subjectId: id,
      data: { username: u.username },
    });
    await repo.deleteUser(tx, id);
    await keepAnAdministrator(tx, `deleting user '${u.username}'`);
  });
}

// ---- roles -----------------------------------------------------------------------------------------
export interface RoleView {
  id: number;
  name: string;
  description: string;
  privileges: string[];
  builtin: boolean;
}
const roleView = (r: Row<'roles'>): RoleView => ({
  id: r.id,
  name: r.name,
  description: r.description,
  privileges: r.privileges,
  builtin: r.builtin,
});

function checkPrivileges(list: string[]) {
  const bad = list.filter((p) => !isPrivilege(p));
  if (bad.length)
    throw invalid('unknown privileges', [
      { path: '/privileges', message: `${bad.join(', ')} unknown; known: ${PRIVILEGES.join(', ')}` },
    ]);
  return [...new Set(list)];
}

export async function listRoles(ctx: Context, page: Page) {
  authorizeDirectory(ctx);
  const r = await repo.listRoles(ctx.store.db, page);
  return { ...r, items: r.items.map(roleView) };
}
export async function getRole(ctx: Context, id: number) {
  if (ctx.actor.roleId !== id) ctx.authorizeGlobal();
  else ctx.authorizeSelf(); // a user reads the role they have
  const r = await repo.getRole(ctx.store.db, id);
  if (!r) throw notFound('role', id);
  return roleView(r);
}
export async function createRole(
  ctx: Context,
  input: { name: string; description?: string; privileges: string[] },
) {
  ctx.authorizeGlobal();
  const name = checkName(input.name, '/name', 100);
  const privileges = checkPrivileges(input.privileges);
  const id = await ctx.store
    .transaction(async (tx) => {
      const { id } = await repo.insertRole(tx, { name, description: input.description ?? '', privileges });
      await record(ctx, tx, {
        kind: 'role.created',
        subjectType: 'role',
        subjectId: id,
        data: { name, privileges },
      });
      return id;
    })
    .catch((e) => {
      if (isUniqueViolation(e)) throw conflict(`a role named '${name}' already exists`);
      throw e;
    });
  return getRole(ctx, id);
}
export async function updateRole(
  ctx: Context,
  id: number,
  patch: { name?: string; description?: string; privileges?: string[] },
) {
  ctx.authorizeGlobal();
  const r = await repo.getRole(ctx.store.db, id);
  if (!r) throw notFound('role', id);
  if (r.builtin && (patch.privileges || patch.name))
    throw conflict(`'${r.name}' is a built-in role: create a new role instead`);
  const name = patch.name !== undefined ? checkName(patch.name, '/name', 100) : undefined;
  const privileges = patch.privileges ? checkPrivileges(patch.privileges) : undefined;
  await ctx.store
    .transaction(async (tx) => {
      await repo.updateRole(tx, id, {
        ...(name !== undefined ? { name } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(privileges ? { privileges } : {}),
      });
      if (privileges && !privileges.includes('administer'))
        await keepAnAdministrator(tx, `taking administer from role '${r.name}'`);
      await record(ctx, tx, {
        kind: 'role.updated',
        subjectType: 'role',
        subjectId: id,
        data: { changes: patch },
      });
    })
    .catch((e) => {
      if (isUniqueViolation(e)) throw conflict(`a role named '${name}' already exists`);
      throw e;
    });
  return getRole(ctx, id);
}
export async function deleteRole(ctx: Context, id: number) {
  ctx.authorizeGlobal();
  const r = await repo.getRole(ctx.store.db, id);
  if (!r) throw notFound('role', id);
  if (r.builtin) throw conflict(`'${r.name}' is a built-in role and cannot be deleted`);
  if (await repo.roleInUse(ctx.store.db, id)) throw conflict(`role '${r.name}' is still given to users`);
  await ctx.store.transaction(async (tx) => {
    await record(ctx, tx, {
      kind: 'role.deleted',
      subjectType: 'role',
      subjectId: id,
      data: { name: r.name },
    });
    await repo.deleteRole(tx, id);
  });
}

// ---- a user's role -----------------------------------------------------------------------------------
// A Patchline user has exactly one role (users.role_id). Putting a user in a role gives them that role in
// place of the one they had; a user cannot be taken out of their only role (give them another instead).
// Both need `administer` over every organization, as every other change of a user's role.

/** gives user `userId` the role `roleId` (replacing their role); unchanged when they have it already */
export async function addUserToRole(ctx: Context, roleId: number, userId: number): Promise<UserView> {
  ctx.authorizeGlobal();
  if (!(await repo.getRole(ctx.store.db, roleId))) throw notFound('role', roleId);
  const u = await repo.getUser(ctx.store.db, userId);
  if (!u) throw notFound('user', userId);
  if (u.role_id === roleId) return userView(u);
  return updateUser(ctx, userId, { roleId });
}

/**
 * takes user `userId` out of role `roleId`: not found when the user does not have that role; refused
 * (conflict) when they do, since it is their only role
 */
export async function removeUserFromRole(ctx: Context, roleId: number, userId: number): Promise<never> {
  ctx.authorizeGlobal();
  const r = await repo.getRole(ctx.store.db, roleId);
  if (!r) throw notFound('role', roleId);
  const u = await repo.getUser(ctx.store.db, userId);
  if (!u) throw notFound('user', userId);
  if (u.role_id !== roleId) throw new DomainError('not_found', `user ${userId} is not in role ${roleId}`);
  throw conflict(
    `role '${r.name}' is the only role of user '${u.username}': a user keeps exactly one role; ` +
      'give them another role instead, which replaces this one',
  );
}

// ---- scopes ----------------------------------------------------------------------------------------
export interface ScopeEntry {
  organizationId: number;
  groupId: number | null;
}
export interface ScopeView {
  id: number;
  name: string;
  description: string;
  allOrganizations: boolean;
  entries: ScopeEntry[];
}

async function scopeViews(ctx: Context, rows: Row<'scopes'>[]): Promise<ScopeView[]> {
  const entries = await repo.scopeEntries(
    ctx.store.db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    description: r.description,
    allOrganizations: r.all_organizations,
    entries: entries
      .filter((e) => e.scope_id === r.id)
      .map((e) => ({ organizationId: e.organization_id, groupId: e.group_id })),
  }));
}

async function checkEntries(ctx: Context, entries: ScopeEntry[]) {
  for (const [i, e] of entries.entries()) {
    if (!(await getOrganization(ctx.store.db, e.organizationId)))
      throw invalid('unknown organization in scope', [
        { path: `/entries/${i}/organizationId`, message: `organization ${e.organizationId} does not exist` },
      ]);
    if (e.groupId !== null) {
      const g = await getGroup(ctx.store.db, e.groupId);
      if (!g || g.organization_id !== e.organizationId)
        throw invalid('unknown group in scope', [
          {
            path: `/entries/${i}/groupId`,
            message: `group ${e.groupId} is not a group of organization ${e.organizationId}`,
          },
        ]);
    }
  }
}

export async function listScopes(ctx: Context, page: Page) {
  ctx.authorizeGlobal();
  const r = await repo.listScopes(ctx.store.db, page);
  return { ...r, items: await scopeViews(ctx, r.items) };
}
export async function getScope(ctx: Context, id: number) {
  ctx.authorizeGlobal();
  const r = await repo.getScope(ctx.store.db, id);
  if (!r) throw notFound('scope', id);
  return (await scopeViews(ctx, [r]))[0] as ScopeView;
}
export async function createScope(
  ctx: Context,
  input: { name: string; description?: string; allOrganizations?: boolean; entries?: ScopeEntry[] },
) {
  ctx.authorizeGlobal();
  const name = checkName(input.name, '/name', 100);
  const entries = input.entries ?? [];
  await checkEntries(ctx, entries);
  const id = await ctx.store
    .transaction(async (tx) => {
      const { id } = await repo.insertScope(tx, {
        name,
        description: input.description ?? '',
        all_organizations: input.allOrganizations ?? false,
      });
      await repo.replaceScopeEntries(tx, id, entries);
      await record(ctx, tx, {
        kind: 'scope.created',
        subjectType: 'scope',
        subjectId: id,
        data: { name, allOrganizations: input.allOrganizations ?? false, entries },
      });
      return id;
    })
    .catch((e) => {
      if (isUniqueViolation(e)) throw conflict(`a scope named '${name}' already exists`);
      throw e;
    });
  return getScope(ctx, id);
}
export async function updateScope(
  ctx: Context,
  id: number,
  patch: { name?: string; description?: string; allOrganizations?: boolean; entries?: ScopeEntry[] },
) {
  ctx.authorizeGlobal();
  if (!(await repo.getScope(ctx.store.db, id))) throw notFound('scope', id);
  // nothing to change (`{}`): a no-op, with no event
  if (Object.values(patch).every((v) => v === undefined)) return getScope(ctx, id);
  if (ctx.actor.scopeId === id && patch.allOrganizations === false)
    throw conflict('you cannot narrow your own scope');
  const name = patch.name !== undefined ? checkName(patch.name, '/name', 100) : undefined;
  if (patch.entries) await checkEntries(ctx, patch.entries);
  await ctx.store
    .transaction(async (tx) => {
      const columns = {
        ...(name !== undefined ? { name } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.allOrganizations !== undefined ? { all_organizations: patch.allOrganizations } : {}),
      };
      // an update with no column is no SQL: a patch of entries only (or `{}`) leaves the row as it is
      if (Object.keys(columns).length) await repo.updateScope(tx, id, columns);
      if (patch.entries) await repo.replaceScopeEntries(tx, id, patch.entries);
      if (patch.allOrganizations === false) await keepAnAdministrator(tx, 'narrowing this scope');
      await record(ctx, tx, {
        kind: 'scope.updated',
        subjectType: 'scope',
        subjectId: id,
        data: { changes: patch },
      });
    })
    .catch((e) => {
      if (isUniqueViolation(e)) throw conflict(`a scope named '${name}' already exists`);
      throw e;
    });
  return getScope(ctx, id);
}
export async function deleteScope(ctx: Context, id: number) {
  ctx.authorizeGlobal();
  const s = await repo.getScope(ctx.store.db, id);
  if (!s) throw notFound('scope', id);
  if (await repo.scopeInUse(ctx.store.db, id)) throw conflict(`scope '${s.name}' is still given to users`);
  await ctx.store.transaction(async (tx) => {
    await record(ctx, tx, {
      kind: 'scope.deleted',
      subjectType: 'scope',
      subjectId: id,
      data: { name: s.name },
    });
    await repo.deleteScope(tx, id);
  });
}

// ---- API keys --------------------------------------------------------------------------------------
export interface ApiKeyView {
  id: number;
  userId: number;
  name: string;
  prefix: string;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  createdAt: Date;
}
const keyView = (k: Row<'api_keys'>): ApiKeyView => ({
  id: k.id,
  userId: k.user_id,
  name: k.name,
  prefix: k.prefix,
  expiresAt: k.expires_at,
  revokedAt: k.revoked_at,
  lastUsedAt: k.last_used_at,
  createdAt: k.created_at,
});

function ownerOf(ctx: Context, userId?: number): number {
  const me = ctx.actor.userId;
  if (userId === undefined || userId === me) {
    if (me === undefined) throw forbidden('only users have API keys');
    ctx.authorizeSelf(); // a user's own keys need no privilege
    return me;
  }
  ctx.authorizeGlobal();
  return userId;
}

export async function listApiKeys(ctx: Context, f: { userId?: number }, page: Page) {
  const all = f.userId === undefined && ctx.can('administer') && ctx.access.all;
  const r = await repo.listApiKeys(ctx.store.db, all ? {} : { userId: ownerOf(ctx, f.userId) }, page);
  return { ...r, items: r.items.map(keyView) };
}

async function visibleKey(ctx: Context, id: number) {
  const k = await repo.getApiKey(ctx.store.db, id);
  if (!k) throw notFound('API key', id);
  if (k.user_id === ctx.actor.userId)
    ctx.authorizeSelf(); // a user's own keys need no privilege
  else if (!(ctx.can('administer') && ctx.access.all)) throw notFound('API key', id);
  return k;
}

export async function getApiKey(ctx: Context, id: number) {
  return keyView(await visibleKey(ctx, id));
}

/** Creates a key for a user; the secret is returned here once and stored only as a hash. */
export async function createApiKey(
  ctx: Context,
  input: { name: string; userId?: number; expiresAt?: Date | null },
) {
  const userId = ownerOf(ctx, input.userId);
  if (!(await repo.getUser(ctx.store.db, userId))) throw notFound('user', userId);
  const name = checkName(input.name, '/name', 100);
  if (input.expiresAt && input.expiresAt <= ctx.now())
    throw invalid('the key would be expired already', [
      { path: '/expiresAt', message: 'must be in the future' },
    ]);
  const key = newToken('plk');
  const prefix = key.slice(0, 12);
  const created = await ctx.store.transaction(async (tx) => {
    const row = await repo.insertApiKey(tx, {
      user_id: userId,
      name,
      prefix,
      secret_hash: tokenHash(key),
      expires_at: input.expiresAt ?? null,
    });
    await record(ctx, tx, {
      kind: 'api_key.created',
      subjectType: 'api_key',
      subjectId: row.id,
      data: { name, userId, prefix },
    });
    return row;
  });
  return { ...keyView((await repo.getApiKey(ctx.store.db, created.id)) as Row<'api_keys'>), key };
}

export async function revokeApiKey(ctx: Context, id: number) {
  const k = await visibleKey(ctx, id);
  if (k.revoked_at) return;
  await ctx.store.transaction(async (tx) => {
    await repo.updateApiKey(tx, id, { revoked_at: ctx.now() });
    await record(ctx, tx, {
      kind: 'api_key.revoked',
      subjectType: 'api_key',
      subjectId: id,
      data: { name: k.name, userId: k.user_id },
    });
  });
}
