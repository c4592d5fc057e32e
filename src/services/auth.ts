import { buildAccess } from '../core/access.ts';
import { DomainError, unauthenticated } from '../core/errors.ts';
import { isPrivilege, type Privilege } from '../core/privileges.ts';
import type { Store } from '../store/db.ts';
import { groupTree } from '../store/repos/groups.ts';
import {
  getApiKeyByHash,
  getRole,
  getScope,
  getSessionByHash,
  getUser,
  getUserByName,
  insertSession,
  scopeEntries,
  updateApiKey,
  updateSession,
} from '../store/repos/identity.ts';
import type { Row } from '../store/schema.ts';
import { Context, type Actor } from './context.ts';
import { record } from './events.ts';
import { newToken, tokenHash, verifyPassword } from './secrets.ts';

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/**
 * Refuses logins after too many failures for one user name, or (with a higher bar, since many people
 * share an office's address) for one client address, within a window.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  constructor(
    readonly maxPerUser = 10,
    readonly maxPerClient = 50,
    readonly windowMs = 5 * 60 * 1000,
  ) {}
  private recent(key: string, now: number) {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
    this.failures.set(key, list);
    return list;
  }
  check(keys: string[], now = Date.now()) {
    for (const k of keys) {
      const list = this.recent(k, now);
      if (list.length >= (k.startsWith('client:') ? this.maxPerClient : this.maxPerUser)) {
        const wait = Math.ceil((this.windowMs - (now - (list[0] ?? now))) / 1000);
        throw new DomainError('too_many', `too many failed sign-ins; try again in ${wait} seconds`);
      }
    }
  }
  fail(keys: string[], now = Date.now()) {
    for (const k of keys) this.recent(k, now).push(now);
  }
  succeed(keys: string[]) {
    for (const k of keys) this.failures.delete(k);
  }
}

/** Builds the actor of a user: role privileges and scope, with granted groups expanded. */
export async function userActor(
  store: Store,
  user: Row<'users'>,
  via?: { type: 'api_key'; keyId: number; keyName: string },
): Promise<Actor> {
  const [role, scope, entries] = await Promise.all([
    getRole(store.db, user.role_id),
    getScope(store.db, user.scope_id),
    scopeEntries(store.db, [user.scope_id]),
  ]);
  const privileges = new Set<Privilege>((role?.privileges ?? []).filter(isPrivilege));
  const trees = new Map<number, { id: number; parentId: number | null }[]>();
  for (const e of entries)
    if (e.group_id !== null && !trees.has(e.organization_id))
      trees.set(e.organization_id, await groupTree(store.db, e.organization_id));
  const access = buildAccess(
    scope?.all_organizations ?? false,
    entries.map((e) => ({ organizationId: e.organization_id, groupId: e.group_id })),
    (org) => trees.get(org) ?? [],
  );
  return {
    type: via ? 'api_key' : 'user',
    id: via ? String(via.keyId) : String(user.id),
    name: via ? `${user.username} (key ${via.keyName})` : user.username,
    userId: user.id,
    roleId: user.role_id,
    scopeId: user.scope_id,
    privileges,
    access,
  };
}

export interface LoginResult {
  token: string;
  expiresAt: Date;
  sessionId: number;
  actor: Actor;
  user: Row<'users'>;
}

export interface LoginOptions {
  face?: string;
  client?: string; // the client's address, for throttling
  throttle?: LoginThrottle;
  ttlMs?: number;
  data?: Record<string, unknown>;
}

/** Checks a user name and a password (or a proof computed from it, by `verify`) and opens a session. */
export async function login(
  store: Store,
  username: string,
  password: string | ((user: Row<'users'>) => Promise<boolean>),
  opts: LoginOptions = {},
): Promise<LoginResult> {
  const keys = [`user:${username.toLowerCase()}`, ...(opts.client ? [`client:${opts.client}`] : [])];
  opts.throttle?.check(keys);
  const user = await getUserByName(store.db, username);
  const ok =
    !!user &&
    !user.disabled &&
    (typeof password === 'string'
      ? await verifyPassword(password, user.password_hash)
      : await password(user));
  if (!ok || !user) {
    opts.throttle?.fail(keys);
    throw unauthenticated('wrong user name or password');
  }
  opts.throttle?.succeed(keys);
  const token = newToken('pls');
  const expires = new Date(Date.now() + (opts.ttlMs ?? SESSION_TTL_MS));
  const session = await insertSession(store.db, {
    user_id: user.id,
    token_hash: tokenHash(token),
    face: opts.face ?? 'native',
    expires_at: expires,
    data: opts.data ?? {},
  });
  const actor = { ...(await userActor(store, user)), sessionId: session.id };
  await record(new Context(store, actor), store.db, {
    kind: 'auth.login',
    subjectType: 'user',
    subjectId: user.id,
    data: { face: opts.face ?? 'native' },
  });
  return { token, expiresAt: session.expires_at, sessionId: session.id, actor, user };
}

/** Resolves a bearer token (a session or an API key) to its actor; refuses anything expired or revoked. */
export async function authenticate(
  store: Store,
  token: string,
  opts: { face?: string } = {},
): Promise<Actor> {
  const hash = tokenHash(token);
  const now = new Date();
  if (token.startsWith('plk_')) {
    const key = await getApiKeyByHash(store.db, hash);
    if (!key || key.revoked_at || (key.expires_at && key.expires_at <= now))
      throw unauthenticated('the API key is unknown, revoked or expired');
    const user = await getUser(store.db, key.user_id);
    if (!user || user.disabled) throw unauthenticated('the API key belongs to a disabled user');
    if (!key.last_used_at || now.getTime() - key.last_used_at.getTime() > 60_000)
      await updateApiKey(store.db, key.id, { last_used_at: now });
    return userActor(store, user, { type: 'api_key', keyId: key.id, keyName: key.name });
  }
  const session = await getSessionByHash(store.db, hash);
  if (!session || session.revoked_at) throw unauthenticated('the session token is unknown or was signed out');
  if (session.expires_at <= now) throw unauthenticated('the session has expired; sign in again');
  if (opts.face && session.face !== opts.face && !(opts.face === 'native' && session.face === 'console'))
    throw unauthenticated(`this token was issued for the ${session.face} API`);
  const user = await getUser(store.db, session.user_id);
  if (!user || user.disabled) throw unauthenticated('the user is disabled');
  if (now.getTime() - session.last_seen_at.getTime() > 60_000)
    await updateSession(store.db, session.id, { last_seen_at: now });
  return { ...(await userActor(store, user)), sessionId: session.id };
}

export async function logout(ctx: Context) {
  if (!ctx.actor.sessionId) return false;
  await updateSession(ctx.db, ctx.actor.sessionId, { revoked_at: ctx.now() });
  await record(ctx, ctx.db, {
    kind: 'auth.logout',
    subjectType: 'user',
    subjectId: ctx.actor.userId ?? null,
  });
  return true;
}

// ---- one-time values of a sign-in proof ----------------------------------------------------------------
// (kept with its function so that the rest of this file is untouched; the import may move to the top)
import { useNonce } from '../store/repos/identity.ts';

/**
 * Spends the random value of a user's sign-in proof for a face: true the first time, false when it was
 * already used and has not expired (a replayed proof). Call it only once the proof is known correct, so
 * nobody can burn someone else's value.
 */
export async function useLoginNonce(
  store: Store,
  face: string,
  userId: number,
  nonce: string,
  expiresAt: Date,
): Promise<boolean> {
  return useNonce(store.db, face, `${userId}:${nonce}`, expiresAt);
}
