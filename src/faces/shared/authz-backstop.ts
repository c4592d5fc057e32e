import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Context } from '../../services/context.ts';

// A backstop for the check someone forgot (after Fleet's authzcheck): every face registers the context it
// built for a request here; a request that is about to answer with success although no authorization check
// ran on its context (no `authorize`, `can` or `authorizeSelf`) is a bug in a service. Under tests
// (PATCHLINE_AUTHZ_BACKSTOP=fail, set by scripts/test.mjs) it fails loudly with a 500 that names the route;
// in production it is logged as an error and the answer goes out.

const contexts = new WeakMap<FastifyRequest, Context>();

/** the face built `ctx` for `req`: the backstop watches it */
export function trackContext(req: FastifyRequest, ctx: Context): Context {
  contexts.set(req, ctx);
  return ctx;
}

export class MissingAuthorizationError extends Error {}

export function registerAuthorizationBackstop(app: FastifyInstance): void {
  const fail = process.env.PATCHLINE_AUTHZ_BACKSTOP === 'fail';
  app.addHook('onSend', async (req, reply, payload) => {
    const ctx = contexts.get(req);
    if (!ctx || ctx.authorizationChecked || reply.statusCode >= 400) return payload;
    const what = `${req.method} ${req.routeOptions.url ?? req.url}`;
    if (!fail) {
      req.log.error({ route: what }, 'no authorization check ran for this request');
      return payload;
    }
    if (process.env.PATCHLINE_AUTHZ_DEBUG) console.error('BACKSTOP', what);
    throw new MissingAuthorizationError(
      `no authorization check ran for ${what}: a service forgot ctx.authorize`,
    );
  });
}
