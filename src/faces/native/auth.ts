import type { FastifyInstance, FastifyRequest } from 'fastify';
import { unauthenticated } from '../../core/errors.ts';
import { authenticate } from '../../services/auth.ts';
import { Context } from '../../services/context.ts';
import type { Store } from '../../store/db.ts';
import { authenticateFirst } from '../shared/authenticate-first.ts';
import { trackContext } from '../shared/authz-backstop.ts';

declare module 'fastify' {
  interface FastifyRequest {
    ctx: Context;
  }
  interface FastifyContextConfig {
    /** the route needs no credentials (its scope is 'public' too: faces/shared/route-table.ts) */
    public?: boolean;
  }
}

export function bearerToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h) {
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    if (!m) throw unauthenticated('the Authorization header must be "Bearer <token>"');
    return m[1];
  }
  const cookie = req.headers.cookie;
  const m = cookie ? /(?:^|;\s*)patchline_session=([^;]+)/.exec(cookie) : null;
  return m?.[1] ? decodeURIComponent(m[1]) : undefined;
}

/**
 * Resolves the caller of every non-public route of the native API into request.ctx, first of all
 * (faces/shared/authenticate-first.ts): before the body is parsed or validated.
 */
export function registerNativeAuth(app: FastifyInstance, store: Store) {
  app.decorateRequest('ctx', null as unknown as Context);
  authenticateFirst(app, async (req) => {
    const token = bearerToken(req);
    if (!token)
      throw unauthenticated('sign in first: send "Authorization: Bearer <session token or API key>"');
    req.ctx = trackContext(req, new Context(store, await authenticate(store, token, { face: 'native' })));
  });
}
