import { buildAccess } from '../core/access.ts';
import { DomainError, unauthenticated } from '../core/errors.ts';
import { isPrivilege, type Privilege } from '../core/privileges.ts';
import type { Store } from '../store/db.ts';
import { groupTree } from '../store/repos/groups-repo.ts';
import {
  useNonce,
  clearLoginAttempts,
  countLoginAttempt,
  getApiKeyByHash,
  getRole,
  getScope,
  getSessionByHash,
  getUser,
  getUserByName,
  insertSession,
  pruneLoginAttempts,
  scopeEntries,
  uncountLoginAttempt,
  updateApiKey,
  updateSession,
  type AttemptCount,
} from '../store/repos/identity-repo.ts';
import type { Row } from '../store/schema.ts';
import { Context, type Actor } from './context.ts';
import { record } from './events.ts';
import { newToken, tokenHash, verifyPassword } from './secrets.ts';

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** a refused sign-in: 429, with the seconds to wait (the Retry-After of the HTTP faces) */
export class Throttled extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super('too_many', `too many failed sign-ins; try again in ${retryAfterSeconds} seconds`);
  }
}

/**
 * How sign-in attempts are slowed. Every attempt is counted in the store before its credentials are
 * checked (so parallel attempts each get their own number, on every replica) under three subjects: the
 * name at the client's address, the address (all names; a higher bar, since an office shares one) and
 * the name (all addresses). Past a subject's free attempts, each further one must wait a delay that
 * doubles with every attempt since; an attempt that comes too early is refused, and counted too.
 *
 * The name alone never refuses anything: an attacker's failures from elsewhere must not lock out the
 * real user, whose address has not failed. It only leaves fewer free attempts to each address once the
 * name is under attack. A success takes back its own count and clears the name at that address; it
 * does not touch the address's failures for other names.
 */
export class LoginThrottle {
  private lastPrune = 0;
  constructor(
    /** attempts for one name from one address before the delays start */
    readonly freePerNameAtAddress = 5,
    /** the same once the name has failed `attackedAfter` times from all addresses */
    readonly freeUnderAttack = 1,
    readonly attackedAfter = 10,
    /** attempts from one address, all names together */
    readonly freePerAddress = 20,
    readonly firstDelayMs = 1000,
    readonly maxDelayMs = 15 * 60 * 1000,
    /** a subject quiet for this long starts again */
    readonly forgetMs = 60 * 60 * 1000,
  ) {}

  subjects(username: string, client = 'unknown') {
    const name = username.toLowerCase();
    return { name: `name:${name}`, address: `address:${client}`, nameAtAddress: `name-at:${client}:${name}` };
  }

  /** the delay the n-th attempt past the free ones must keep from the previous attempt */
  delayMs(pastFree: number): number {
    return pastFree <= 0 ? 0 : Math.min(this.firstDelayMs * 2 ** Math.min(pastFree - 1, 30), this.maxDelayMs);
  }

  /** the seconds to wait before trying again, or 0 when this counted attempt may be checked */
  refusal(counts: readonly AttemptCount[], s: ReturnType<LoginThrottle['subjects']>, now: Date): number {
    const of = (key: string) => counts.find((c) => c.key === key);
    const name = of(s.name);
    const free = {
      [s.address]: this.freePerAddress,
      [s.nameAtAddress]:
        (name?.attempts ?? 0) > this.attackedAfter ? this.freeUnderAttack : this.freePerNameAtAddress,
    };
    let wait = 0;
    for (const [key, allowed] of Object.entries(free)) {
      const c = of(key);
      if (!c || c.attempts <= allowed) continue;
      const since = c.previous_at ? now.getTime() - c.previous_at.getTime() : Infinity;
      if (since >= this.delayMs(c.attempts - allowed)) continue;
      // this attempt was counted: the next one is one further past the free ones, from now
      wait = Math.max(wait, this.delayMs(c.attempts + 1 - allowed));
    }
    return wait ? Math.ceil(wait / 1000) : 0;
  }

  /** whether the quiet subjects' counters are due for removal (at most every ten minutes here) */
  prunable(now: Date) {
    if (now.getTime() - this.lastPrune < 10 * 60 * 1000) return false;
    this.lastPrune = now.getTime();
    return true;
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

/** what a `login` verifier answers: whether the proof holds, or the API key it was made with */
export type LoginProof = boolean | { apiKeyId: number };

const loginListeners = new WeakMap<Store, Set<(user: Row<'users'>) => void>>();

/**
 * Calls `fn` after each successful sign-in on this store (in this process); returns the unsubscriber.
 * `patchline serve` uses it to delete the admin's first-password file at the first sign-in.
 */
export function onLogin(store: Store, fn: (user: Row<'users'>) => void): () => void {
  let set = loginListeners.get(store);
  if (!set) loginListeners.set(store, (set = new Set()));
  set.add(fn);
  return () => set.delete(fn);
}

/** Checks a user name and a password (or a proof computed from it, by `verify`) and opens a session. */
export async function login(
  store: Store,
  username: string,
  password: string | ((user: Row<'users'>) => Promise<LoginProof>),
  opts: LoginOptions = {},
): Promise<LoginResult> {
  const throttle = opts.throttle;
  const subjects = throttle?.subjects(username, opts.client);
  if (throttle && subjects) {
    const now = new Date();
    const forgetBefore = new Date(now.getTime() - throttle.forgetMs);
    if (throttle.prunable(now)) await pruneLoginAttempts(store.db, forgetBefore);
    const counts = await countLoginAttempt(store.db, Object.values(subjects), now, forgetBefore);
    const wait = throttle.refusal(counts, subjects, now);
    if (wait) throw new Throttled(wait);
  }
  const user = await getUserByName(store.db, username);
  const proof: LoginProof =
    !!user &&
    !user.disabled &&
    (typeof password === 'string'
      ? await verifyPassword(password, user.password_hash)
      : await password(user));
  if (!proof || !user) throw unauthenticated('wrong user name or password');
  if (subjects) {
    await uncountLoginAttempt(store.db, [subjects.name, subjects.address]);
    await clearLoginAttempts(store.db, [subjects.nameAtAddress]);
  }
  const token = newToken('pls');
  const expires = new Date(Date.now() + (opts.ttlMs ?? SESSION_TTL_MS));
  const session = await insertSession(store.db, {
    user_id: user.id,
    token_hash: tokenHash(token),
    face: opts.face ?? 'native',
    expires_at: expires,
    data: opts.data ?? {},
    api_key_id: typeof proof === 'object' ? proof.apiKeyId : null,
  });
  const actor = { ...(await userActor(store, user)), sessionId: session.id };
  await record(new Context(store, actor), store.db, {
    kind: 'auth.login',
    subjectType: 'user',
    subjectId: user.id,
    data: { face: opts.face ?? 'native' },
  });
  for (const fn of loginListeners.get(store) ?? []) fn(user);
  return { token, expiresAt: session.expires_at, sessionId: session.id, actor, user };
}

/** the API key of a token, if it is live: not revoked, not expired, its user not disabled */
async function liveApiKey(store: Store, token: string, now: Date) {
  const key = await getApiKeyByHash(store.db, tokenHash(token));
  if (!key || key.revoked_at || (key.expires_at && key.expires_at <= now))
    throw unauthenticated('the API key is unknown, revoked or expired');
  const user = await getUser(store.db, key.user_id);
  if (!user || user.disabled) throw unauthenticated('the API key belongs to a disabled user');
  return { key, user };
}

/**
 * Signs in with a user name and one of that user's API keys (the Kaseya face's personal access token).
 * The session is tied to the key: revoking, expiring or deleting the key ends it.
 */
export function loginWithApiKey(store: Store, username: string, apiKey: string, opts: LoginOptions = {}) {
  return login(
    store,
    username,
    async (user) => {
      if (!apiKey.startsWith('plk_')) return false;
      const live = await liveApiKey(store, apiKey, new Date()).catch(() => undefined);
      return live?.user.id === user.id ? { apiKeyId: live.key.id } : false;
    },
    opts,
  );
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
    const { key, user } = await liveApiKey(store, token, now);
    if (!key.last_used_at || now.getTime() - key.last_used_at.getTime() > 60_000)
      await updateApiKey(store.db, key.id, { last_used_at: now });
    return userActor(store, user, { type: 'api_key', keyId: key.id, keyName: key.name });
  }
  const session = await getSessionByHash(store.db, hash);
  if (!session || session.revoked_at) throw unauthenticated('the session token is unknown or was signed out');
  if (session.expires_at <= now) throw unauthenticated('the session has expired; sign in again');
  if (
    session.api_key_id !== null &&
    (session.api_key_revoked_at || (session.api_key_expires_at && session.api_key_expires_at <= now))
  )
    throw unauthenticated('the API key this session was opened with was revoked or has expired');
  if (opts.face && session.face !== opts.face && !(opts.face === 'native' && session.face === 'console'))
    throw unauthenticated(`this token was issued for the ${session.face} API`);
  const user = await getUser(store.db, session.user_id);
  if (!user || user.disabled) throw unauthenticated('the user is disabled');
  if (now.getTime() - session.last_seen_at.getTime() > 60_000)
    await updateSession(store.db, session.id, { last_seen_at: now });
  return { ...(await userActor(store, user)), sessionId: session.id };
}

/** who the caller is: its identity, privileges and scope (every signed-in actor may ask about itself) */
export function whoAmI(ctx: Context) {
  ctx.authorizeSelf();
  const a = ctx.actor;
  return {
    type: a.type,
    userId: a.userId ?? null,
    name: a.name,
    roleId: a.roleId ?? null,
    scopeId: a.scopeId ?? null,
    privileges: [...a.privileges],
    scope: {
      allOrganizations: a.access.all,
      organizations: [...a.access.organizations],
      groups: [...a.access.groups].map(([organizationId, g]) => ({ organizationId, groupIds: [...g] })),
    },
  };
}

export async function logout(ctx: Context) {
  ctx.authorizeSelf(); // ending one's own session needs no privilege
  if (!ctx.actor.sessionId) return false;
  await updateSession(ctx.store.db, ctx.actor.sessionId, { revoked_at: ctx.now() });
  await record(ctx, ctx.store.db, {
    kind: 'auth.logout',
    subjectType: 'user',
    subjectId: ctx.actor.userId ?? null,
  });
  return true;
}

// ---- one-time values of a sign-in proof ----------------------------------------------------------------
// (kept with its function so that the rest of this file is untouched; the import may move to the top)

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

/**
 * Checks a user name with a password or one of that user's API keys on every request, without opening a
 * session (HTTP Basic on the SOAP face, where each call carries its credentials). Failures count towards
 * the same throttle as sign-ins; a correct check clears the caller's counters.
 */
export async function authenticateBasic(
  store: Store,
  username: string,
  secret: string,
  opts: { throttle?: LoginThrottle; client?: string } = {},
): Promise<Actor> {
  const throttle = opts.throttle;
  const subjects = throttle?.subjects(username, opts.client);
  if (throttle && subjects) {
    const now = new Date();
    const forgetBefore = new Date(now.getTime() - throttle.forgetMs);
    if (throttle.prunable(now)) await pruneLoginAttempts(store.db, forgetBefore);
    const counts = await countLoginAttempt(store.db, Object.values(subjects), now, forgetBefore);
    const wait = throttle.refusal(counts, subjects, now);
    if (wait) throw new Throttled(wait);
  }
  let actor: Actor | undefined;
  if (secret.startsWith('plk_')) {
    const live = await liveApiKey(store, secret, new Date()).catch(() => undefined);
    if (live && live.user.username.toLowerCase() === username.toLowerCase())
      actor = await userActor(store, live.user, {
        type: 'api_key',
        keyId: live.key.id,
        keyName: live.key.name,
      });
  } else {
    const user = await getUserByName(store.db, username);
    if (user && !user.disabled && (await verifyPassword(secret, user.password_hash)))
      actor = await userActor(store, user);
  }
  if (!actor) throw unauthenticated('wrong user name, password or API key');
  if (subjects) {
    await uncountLoginAttempt(store.db, [subjects.name, subjects.address]);
    await clearLoginAttempts(store.db, [subjects.nameAtAddress]);
  }
  return actor;
}
