import { sql } from 'kysely';
import type { Db } from '../db.ts';
import { containsPattern, paginate, type Page } from '../paging.ts';
import type { NewRow, RowPatch } from '../schema.ts';

// Users, roles, scopes, API keys and sessions.

export const userSort = { username: 'username', createdAt: 'created_at', id: 'id' };
export async function listUsers(db: Db, f: { q?: string; roleId?: number; scopeId?: number }, page: Page) {
  let q = db.selectFrom('users').selectAll();
  if (f.q)
    q = q.where((eb) =>
      eb.or([
        eb('username', 'ilike', containsPattern(f.q!)),
        eb('display_name', 'ilike', containsPattern(f.q!)),
      ]),
    );
  if (f.roleId) q = q.where('role_id', '=', f.roleId);
  if (f.scopeId) q = q.where('scope_id', '=', f.scopeId);
  return paginate(q, page, userSort, 'id', (r) => r);
}
/**
 * the users of one organization: those whose scope names it (an entry for the organization or one of
 * its groups), and with `withAllOrganizations` also those whose scope covers every organization
 */
export function listUsersOfOrganization(
  db: Db,
  organizationId: number,
  withAllOrganizations: boolean,
  page: Page,
) {
  const q = db
    .selectFrom('users')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb(
          'scope_id',
          'in',
          eb.selectFrom('scope_entries').select('scope_id').where('organization_id', '=', organizationId),
        ),
        ...(withAllOrganizations
          ? [eb('scope_id', 'in', eb.selectFrom('scopes').select('id').where('all_organizations', '=', true))]
          : []),
      ]),
    );
  return paginate(q, page, userSort, 'id', (r) => r);
}
export const getUser = (db: Db, id: number) =>
  db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
export const getUserByName = (db: Db, username: string) =>
  db
    .selectFrom('users')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['username']), '=', username.toLowerCase()))
    .executeTakeFirst();
export const insertUser = (db: Db, row: NewRow<'users'>) =>
  db.insertInto('users').values(row).returning('id').executeTakeFirstOrThrow();
export const updateUser = (db: Db, id: number, patch: RowPatch<'users'>) =>
  db
    .updateTable('users')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', id)
    .execute();
export const deleteUser = (db: Db, id: number) => db.deleteFrom('users').where('id', '=', id).execute();
export const countUsers = async (db: Db) =>
  Number(
    (
      await db
        .selectFrom('users')
        .select((e) => e.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

/**
 * The enabled users who administer the installation: their role has `administer` and their scope covers
 * every organization. Holds a transaction-scoped advisory lock first, so two changes that each leave one
 * administrator do not both see the other's still there.
 */
export async function countAdministrators(tx: Db): Promise<number> {
  await sql`select pg_advisory_xact_lock(727275)`.execute(tx);
  const r = await tx
    .selectFrom('users')
    .innerJoin('roles', 'roles.id', 'users.role_id')
    .innerJoin('scopes', 'scopes.id', 'users.scope_id')
    .where('users.disabled', '=', false)
    .where('scopes.all_organizations', '=', true)
    .where(sql<boolean>`'administer' = any(roles.privileges)`)
    .select((e) => e.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export const roleSort = { name: 'name', id: 'id' };
export const listRoles = (db: Db, page: Page) =>
  paginate(db.selectFrom('roles').selectAll(), page, roleSort, 'id', (r) => r);
export const getRole = (db: Db, id: number) =>
  db.selectFrom('roles').selectAll().where('id', '=', id).executeTakeFirst();
export const getRoleByName = (db: Db, name: string) =>
  db
    .selectFrom('roles')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()))
    .executeTakeFirst();
export const insertRole = (db: Db, row: NewRow<'roles'>) =>
  db.insertInto('roles').values(row).returning('id').executeTakeFirstOrThrow();
export const updateRole = (db: Db, id: number, patch: RowPatch<'roles'>) =>
  db
    .updateTable('roles')
    .set({ ...patch, updated_at: new Date() })
    .where('id', '=', id)
    .execute();
export const deleteRole = (db: Db, id: number) => db.deleteFrom('roles').where('id', '=', id).execute();
export const roleInUse = async (db: Db, id: number) =>
  !!(await db.selectFrom('users').select('id').where('role_id', '=', id).limit(1).executeTakeFirst());

export const scopeSort = { name: 'name', id: 'id' };
export const listScopes = (db: Db, page: Page) =>
  paginate(db.selectFrom('scopes').selectAll(), page, scopeSort, 'id', (r) => r);
export const getScope = (db: Db, id: number) =>
  db.selectFrom('scopes').selectAll().where('id', '=', id).executeTakeFirst();
export const getScopeByName = (db: Db, name: string) =>
  db
    .selectFrom('scopes')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()))
    .executeTakeFirst();
export const scopeEntries = (db: Db, scopeIds: number[]) =>
  scopeIds.length
    ? db
        .selectFrom('scope_entries')
        .selectAll()
        .where('scope_id', 'in', scopeIds)
        .orderBy('organization_id')
        .execute()
    : Promise.resolve([]);
export const insertScope = (db: Db, row: NewRow<'scopes'>) =>
  db.insertInto('scopes').values(row).returning('id').executeTakeFirstOrThrow();
export const updateScope = (db: Db, id: number, patch: RowPatch<'scopes'>) =>
  db.updateTable('scopes').set(patch).where('id', '=', id).execute();
export async function replaceScopeEntries(
  db: Db,
  scopeId: number,
  entries: { organizationId: number; groupId: number | null }[],
) {
  await db.deleteFrom('scope_entries').where('scope_id', '=', scopeId).execute();
  if (entries.length)
    await db
      .insertInto('scope_entries')
      .values(
        entries.map((e) => ({ scope_id: scopeId, organization_id: e.organizationId, group_id: e.groupId })),
      )
      .execute();
}
export const deleteScope = (db: Db, id: number) => db.deleteFrom('scopes').where('id', '=', id).execute();
export const scopeInUse = async (db: Db, id: number) =>
  !!(await db.selectFrom('users').select('id').where('scope_id', '=', id).limit(1).executeTakeFirst());

export const apiKeySort = { name: 'name', createdAt: 'created_at', id: 'id' };
export async function listApiKeys(db: Db, f: { userId?: number }, page: Page) {
  let q = db.selectFrom('api_keys').selectAll();
  if (f.userId !== undefined) q = q.where('user_id', '=', f.userId);
  return paginate(q, page, apiKeySort, 'id', (r) => r);
}
export const getApiKey = (db: Db, id: number) =>
  db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
export const getApiKeyByHash = (db: Db, hash: string) =>
  db.selectFrom('api_keys').selectAll().where('secret_hash', '=', hash).executeTakeFirst();
export const insertApiKey = (db: Db, row: NewRow<'api_keys'>) =>
  db.insertInto('api_keys').values(row).returning(['id', 'created_at']).executeTakeFirstOrThrow();
export const updateApiKey = (db: Db, id: number, patch: RowPatch<'api_keys'>) =>
  db.updateTable('api_keys').set(patch).where('id', '=', id).execute();

export const insertSession = (db: Db, row: NewRow<'sessions'>) =>
  db.insertInto('sessions').values(row).returning(['id', 'expires_at']).executeTakeFirstOrThrow();
/** a session, with the state of the API key it was opened with (null when it was not) */
export const getSessionByHash = (db: Db, hash: string) =>
  db
    .selectFrom('sessions')
    .leftJoin('api_keys', 'api_keys.id', 'sessions.api_key_id')
    .selectAll('sessions')
    .select(['api_keys.revoked_at as api_key_revoked_at', 'api_keys.expires_at as api_key_expires_at'])
    .where('token_hash', '=', hash)
    .executeTakeFirst();
export const updateSession = (db: Db, id: number, patch: RowPatch<'sessions'>) =>
  db.updateTable('sessions').set(patch).where('id', '=', id).execute();
export const revokeUserSessions = (db: Db, userId: number) =>
  db
    .updateTable('sessions')
    .set({ revoked_at: new Date() })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();

/** remembers a one-time value; false when it was already used and has not expired */
export async function useNonce(db: Db, face: string, nonce: string, expiresAt: Date): Promise<boolean> {
  await db.deleteFrom('used_nonces').where('expires_at', '<', new Date()).execute();
  const r = await db
    .insertInto('used_nonces')
    .values({ face, nonce, expires_at: expiresAt })
    .onConflict((oc) => oc.columns(['face', 'nonce']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

// ---- sign-in attempts, counted per subject (a key such as a user name or a client address) ----

export interface AttemptCount {
  key: string;
  /** this attempt's number among the subject's counted attempts, itself included */
  attempts: number;
  /** when the subject's previous counted attempt was made; null for the first */
  previous_at: Date | null;
}

/**
 * Counts an attempt for each key in one statement, before anything is checked: parallel attempts each
 * get their own number. A subject quiet since `forgetBefore` starts again from one.
 */
export async function countLoginAttempt(
  db: Db,
  keys: readonly string[],
  now: Date,
  forgetBefore: Date,
): Promise<AttemptCount[]> {
  if (!keys.length) return [];
  // one order for every statement, so two attempts never wait on each other's rows crosswise
  const sorted = [...new Set(keys)].sort();
  return db
    .insertInto('login_attempts')
    .values(sorted.map((key) => ({ key, attempts: 1, last_at: now, previous_at: null })))
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        attempts: sql<number>`case when login_attempts.last_at < ${forgetBefore} then 1
          else login_attempts.attempts + 1 end`,
        previous_at: sql<Date | null>`case when login_attempts.last_at < ${forgetBefore} then null
          else login_attempts.last_at end`,
        last_at: now,
      }),
    )
    .returning(['key', 'attempts', 'previous_at'])
    .execute();
}

/** takes back one counted attempt of each key (it proved right) */
export const uncountLoginAttempt = (db: Db, keys: readonly string[]) =>
  keys.length
    ? db
        .updateTable('login_attempts')
        .set({ attempts: sql<number>`greatest(attempts - 1, 0)` })
        .where('key', 'in', [...keys])
        .execute()
    : Promise.resolve([]);

/** forgets the counted attempts of these keys */
export const clearLoginAttempts = (db: Db, keys: readonly string[]) =>
  keys.length
    ? db
        .deleteFrom('login_attempts')
        .where('key', 'in', [...keys])
        .execute()
    : Promise.resolve([]);

/** drops the counters of subjects quiet since `before` */
export const pruneLoginAttempts = (db: Db, before: Date) =>
  db.deleteFrom('login_attempts').where('last_at', '<', before).execute();

/**
 * Serializes first-start setup across replicas: holds a transaction-scoped advisory lock until the
 * transaction `tx` ends, so two servers starting together do not both create the admin user.
 */
export async function lockBootstrap(tx: Db): Promise<void> {
  await sql`select pg_advisory_xact_lock(727274)`.execute(tx);
}
