import type { FastifyInstance, FastifyRequest } from 'fastify';

// Authentication comes first, in every face: a route that needs credentials resolves its caller before
// its body is parsed, guarded (guard.ts) or checked against the route's schema. A caller without a valid
// credential gets the face's own 401 whatever else is wrong with the request: it learns nothing about
// what the route takes, and nothing is read or changed. Each face keeps its own credential parsing (a
// face's `authenticate`); this only runs it first, once per request, and hands its result to the handlers.
//
// Fastify runs onRequest before the body is read; a face whose credential may travel in the body (N-able's
// `apikey` form field) authenticates in preValidation instead, which runs before the guard's checks of the
// body (those are the route's own preValidation, guard.ts) and before the schema.

/** `resolve` run at most once per request: the handlers get what the hook already resolved */
export function oncePerRequest<T>(resolve: (req: FastifyRequest) => Promise<T>) {
  const resolved = new WeakMap<FastifyRequest, Promise<T>>();
  return (req: FastifyRequest): Promise<T> => {
    let p = resolved.get(req);
    if (!p) {
      p = resolve(req);
      resolved.set(req, p);
    }
    return p;
  };
}

/**
 * Authenticates every route of `app` (an encapsulated face) that is not public, before anything else of
 * the request is read. `authenticate` throws the face's unauthenticated error; pass a `oncePerRequest`
 * function so the handlers reuse its result.
 */
export function authenticateFirst(
  app: FastifyInstance,
  authenticate: (req: FastifyRequest) => Promise<unknown>,
  hook: 'onRequest' | 'preValidation' = 'onRequest',
): void {
  app.addHook(hook, async (req) => {
    if (req.routeOptions.config?.scope !== 'public') await authenticate(req);
  });
}
