import type { FastifyInstance, FastifyRequest } from 'fastify';

// Authentication comes first, in every face: a route that needs credentials resolves its caller before
// its body is parsed, guarded (guard.ts) or checked against the route's schema. A caller without a valid
// credential gets the face's own 401 whatever else is wrong with the request: it learns nothing about
// what the route takes, and nothing is read or changed. Each face keeps its own credential parsing (a
// face's `authenticate`); this only runs it first, once per request, and hands its result to the handlers.
//
// Fastify runs onRequest before the body is read. A face whose credential may travel in the body (N-able's
// `apikey` form field) says which requests carry it elsewhere (`credentialBeforeBody`): those authenticate
// in onRequest like every other face; the others in preValidation, once the body is parsed, before the
// guard's checks of the body (those are the route's own preValidation, guard.ts) and before the schema.
// A body Fastify cannot read (not its media type's syntax, too large, of a media type the face does not
// take) fails before preValidation: the face's error handler passes that failure through
// `failureAfterAuthentication`, which authenticates first with what the request carries besides its body.

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

const needsCredential = (req: FastifyRequest) => req.routeOptions.config?.scope !== 'public';

/**
 * Authenticates every route of `app` (an encapsulated face) that is not public, before anything else of
 * the request is read. `authenticate` throws the face's unauthenticated error; pass a `oncePerRequest`
 * function so the handlers reuse its result. A face whose credential may be in the body passes
 * `credentialBeforeBody` and routes its error handler through `failureAfterAuthentication`.
 */
export function authenticateFirst(
  app: FastifyInstance,
  authenticate: (req: FastifyRequest) => Promise<unknown>,
  credentialBeforeBody?: (req: FastifyRequest) => boolean,
): void {
  app.addHook('onRequest', async (req) => {
    if (needsCredential(req) && (!credentialBeforeBody || credentialBeforeBody(req))) await authenticate(req);
  });
  if (credentialBeforeBody)
    app.addHook('preValidation', async (req) => {
      if (needsCredential(req)) await authenticate(req);
    });
}

/**
 * The failure to answer for `err`, raised while handling `req`: the caller's own authentication failure
 * when it has none that is valid (the body, when Fastify could not read it, counts as carrying nothing),
 * else `err`. For a request already authenticated, `authenticate` (a `oncePerRequest` one) answers at once.
 */
export async function failureAfterAuthentication(
  req: FastifyRequest,
  err: unknown,
  authenticate: (req: FastifyRequest) => Promise<unknown>,
): Promise<unknown> {
  if (!needsCredential(req)) return err;
  try {
    await authenticate(req);
  } catch (authError) {
    return authError;
  }
  return err;
}
