import type { FastifyRequest } from 'fastify';
import { unauthenticated } from '../../core/errors.ts';
import { authenticate, authenticateBasic, type LoginThrottle } from '../../services/auth.ts';
import type { Actor } from '../../services/context.ts';
import type { Store } from '../../store/db.ts';

// Altiris runs its web services under the caller's Windows identity (integrated authentication). Here the
// caller sends HTTP Basic with a Patchline user name and either the password or one of the user's API
// keys (over HTTPS); without it the answer is 401 with a `WWW-Authenticate: Basic` challenge. An API
// key presented as `Authorization: Bearer plk_…` (as the native API takes it) names its user as well.

export const REALM = 'Basic realm="Patchline Altiris PatchWorkflowSvc", charset="UTF-8"';

export interface AltirisAuthOptions {
  throttle?: LoginThrottle;
}

export function basicCredentials(header: string | undefined): { user: string; secret: string } {
  if (!header) throw unauthenticated('send "Authorization: Basic base64(user:password or user:API key)"');
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m?.[1]) throw unauthenticated('the Authorization header must use the Basic scheme');
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1)
    throw unauthenticated('the Basic credentials must be "user:password" or "user:API key"');
  return { user: text.slice(0, colon), secret: text.slice(colon + 1) };
}

export async function altirisActor(
  store: Store,
  req: FastifyRequest,
  opts: AltirisAuthOptions,
): Promise<Actor> {
  const bearer = /^Bearer\s+(plk_\S+)\s*$/.exec(req.headers.authorization ?? '');
  if (bearer?.[1]) return authenticate(store, bearer[1]);
  const { user, secret } = basicCredentials(req.headers.authorization);
  return authenticateBasic(store, user, secret, {
    ...(opts.throttle ? { throttle: opts.throttle } : {}),
    client: req.ip,
  });
}
