import { vsaDate } from './dates.ts';
import { createHash, timingSafeEqual } from 'node:crypto';
import { DateTime } from 'luxon';
import { DomainError, unauthenticated } from '../../core/errors.ts';
import {
  login,
  loginWithApiKey,
  SESSION_TTL_MS,
  useLoginNonce,
  type LoginResult,
  type LoginThrottle,
} from '../../services/auth.ts';
import type { Store } from '../../store/db.ts';
import type { Row } from '../../store/schema.ts';

// GET /api/v1.0/auth (seed 004, "Authentication" and "Auth Payload Algorithm"). Two forms of Basic:
// - hashed: base64("user=U,pass2=P2,pass1=P1,rpass2=R2,rpass1=R1,rand2=N") where
//   P2 = hex SHA-256(hex SHA-256(password + U) + N); the server keeps hex SHA-256(password + U) per
//   user (users.kaseya_verifier) and refuses a random number N already used by that user;
// - personal access token: base64("U:token"), the token being a Patchline API key of user U.

export const FACE = 'kaseya';

export interface KaseyaAuthOptions {
  /** session lifetime; a random number stays refused for as long (default: the native session's) */
  ttlMs?: number;
  throttle?: LoginThrottle;
  /** Patchline's version, for GET /environment */
  version?: string;
}

export interface HashedPayload {
  kind: 'hashed';
  user: string;
  pass2: string;
  rand2: string;
  fields: Record<string, string>;
}
export interface TokenPayload {
  kind: 'token';
  user: string;
  token: string;
}

/** Reads a Basic credential in either form; throws unauthenticated with what is wrong. */
export function parseBasic(header: string | undefined): HashedPayload | TokenPayload {
  if (!header) throw unauthenticated('send "Authorization: Basic <payload>" as the auth algorithm describes');
  const m = /^Basic\s+(\S+)\s*$/i.exec(header);
  if (!m?.[1]) throw unauthenticated('the Authorization header of GET /auth must use the Basic scheme');
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  if (/^user=/i.test(text)) {
    const fields: Record<string, string> = {};
    for (const part of text.split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) fields[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1);
    }
    const user = fields.user ?? '';
    const pass2 = (fields.pass2 ?? '').toLowerCase();
    const rand2 = fields.rand2 ?? '';
    if (!user) throw unauthenticated('the auth payload has no user');
    if (!/^[0-9a-f]{64}$/.test(pass2))
      throw unauthenticated('the auth payload needs pass2, the 64-digit hex SHA-256 covered hash');
    if (!/^\S{1,64}$/.test(rand2))
      throw unauthenticated('the auth payload needs rand2, the random number (1 to 64 characters)');
    return { kind: 'hashed', user, pass2, rand2, fields };
  }
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1)
    throw unauthenticated(
      'the Basic payload must be "user=…,pass2=…,rand2=…" (hashed) or "username:personal-access-token"',
    );
  return { kind: 'token', user: text.slice(0, colon), token: text.slice(colon + 1) };
}

const sha256hex = (s: string) => createHash('sha256').update(s, 'ascii').digest('hex');

/** pass2 as the seed's client computes it from the stored verifier (hex SHA-256 of password + user) */
export const coveredHash = (verifier: string, random: string) => sha256hex(verifier + random);

const sameHex = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a, 'ascii'), Buffer.from(b, 'ascii'));

/** Signs in with either form of GET /auth and opens a Kaseya session. */
export async function kaseyaLogin(
  store: Store,
  header: string | undefined,
  opts: KaseyaAuthOptions & { client?: string } = {},
): Promise<LoginResult> {
  const payload = parseBasic(header);
  const ttlMs = opts.ttlMs ?? SESSION_TTL_MS;
  const common = {
    face: FACE,
    ttlMs,
    ...(opts.client ? { client: opts.client } : {}),
    ...(opts.throttle ? { throttle: opts.throttle } : {}),
  };
  if (payload.kind === 'token')
    return loginWithApiKey(store, payload.user, payload.token, {
      ...common,
      data: { via: 'personal-access-token' },
    });
  let replayed = false;
  const verify = async (user: Row<'users'>) => {
    if (!user.kaseya_verifier) return false;
    if (!sameHex(coveredHash(user.kaseya_verifier, payload.rand2), payload.pass2)) return false;
    // only a correct proof spends its random number, so nobody can burn someone else's
    const fresh = await useLoginNonce(store, FACE, user.id, payload.rand2, new Date(Date.now() + ttlMs));
    replayed = !fresh;
    return fresh;
  };
  try {
    return await login(store, payload.user, verify, { ...common, data: { via: 'hashed' } });
  } catch (e) {
    if (replayed && e instanceof DomainError && e.kind === 'unauthenticated')
      throw unauthenticated(
        `the random number rand2=${payload.rand2} was already used; compute the payload again with a new one`,
      );
    throw e;
  }
}

/** the Result of GET /auth, with the fields of the seed's sample */
export function authResult(r: LoginResult) {
  const zone = r.user.time_zone ?? 'UTC';
  const now = DateTime.now().setZone(zone);
  return {
    TenantId: '1',
    Token: r.token,
    UserName: r.user.username,
    RoleId: r.user.role_id,
    ScopeId: String(r.user.scope_id),
    AdminId: r.user.id,
    MachineId: null,
    MachineGroupName: null,
    SessionExpiration: vsaDate('SessionExpiration', r.expiresAt),
    CultureInfo: 'en-US',
    TimePref: 'Browser',
    // minutes to add to local time to get UTC, as the sample's 420 for UTC-7 (JavaScript's convention)
    OffSetInMinutes: now.isValid ? -now.offset : 0,
    ApiToken: r.token,
    Attributes: null,
  };
}

/** the session token of `Authorization: Bearer …` */
export function bearer(header: string | undefined): string {
  if (!header) throw unauthenticated('send "Authorization: Bearer <Token from GET /auth>"');
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m?.[1]) throw unauthenticated('the Authorization header must be "Bearer <Token from GET /auth>"');
  return m[1];
}
