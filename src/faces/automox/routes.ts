import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { invalid, unauthenticated } from '../../core/errors.ts';
import { authenticate, Throttled } from '../../services/auth.ts';
import { Context } from '../../services/context.ts';
import { authorizeTenant } from '../../services/organizations.ts';
import type { Store } from '../../store/db.ts';
import { trackContext } from '../shared/authz-backstop.ts';
import { authenticateFirst, oncePerRequest } from '../shared/authenticate-first.ts';
import { classify } from '../shared/problem.ts';
import { policyRoutes } from './policies.ts';
import { resourceRoutes } from './resources.ts';
import { readId, type AutomoxKit } from './kit.ts';

export { readId, type AutomoxKit };

// The Automox console API dialect (seed 003 and Automox's public API reference), served under /api with
// one route per resource: /api/policies, /api/policystats, /api/servers, /api/servergroups, /api/orgs,
// /api/approvals, /api/users, /api/events, /api/reports. No catch-all under /api/ (the native API is
// /api/v1, Kaseya /api/v1.0, N-sight answers `/api/` itself): unknown paths under each resource have
// their own not-found route.
// Register with: await app.register(async (a) => automoxRoutes(a, store), { prefix: '/api' })
//
// Wire conventions: `Authorization: Bearer <API key>` (a Patchline API key acts as its user); the
// organization is the `o` query parameter; an organization outside the key's scope is 403. Lists page
// with `limit` (1 to 500, default 500) and `page` (from 0), and a page past the end is an empty array.
// Errors are `{"errors": ["…"]}`, with the field named for bad input. Times are ISO 8601 with `Z`.

export const FACE = 'automox';
export const RESOURCES = [
  'policies',
  'policystats',
  'servers',
  'servergroups',
  'orgs',
  'approvals',
  'users',
  'events',
  'reports',
] as const;

type Query = Record<string, unknown>;

function intParam(q: Query, key: string, min: number, max: number, dflt: number): number {
  const v = q[key];
  if (v === undefined) return dflt;
  const n = typeof v === 'string' && /^[0-9]{1,15}$/.test(v) ? Number(v) : NaN;
  if (!(n >= min && n <= max))
    throw invalid(`${key} must be an integer from ${min} to ${max}`, [
      { path: key, message: `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}` },
    ]);
  return n;
}

/** the messages of the `errors` array: one per issue, field first */
export function errorMessages(err: unknown): { status: number; errors: string[] } {
  const f = classify(err);
  const errors = f.issues.length
    ? f.issues.map((i) => `${i.path.replace(/^(body|querystring|params)[/.]?/, '') || 'body'} ${i.message}`)
    : [f.message];
  return { status: f.status, errors };
}

export function automoxRoutes(app: FastifyInstance, store: Store) {
  // the caller first, before the body is parsed or validated (faces/shared/authenticate-first.ts)
  const ctxOf = oncePerRequest(async (req) => {
    const h = req.headers.authorization;
    if (!h) throw unauthenticated('send "Authorization: Bearer <your API key>"');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (!m?.[1]) throw unauthenticated('the Authorization header must be "Bearer <your API key>"');
    // an API key only: Automox has no sessions
    if (!m[1].startsWith('plk_')) throw unauthenticated('the API key is unknown, revoked or expired');
    return trackContext(req, new Context(store, await authenticate(store, m[1], { face: FACE })));
  });
  authenticateFirst(app, ctxOf);

  app.setErrorHandler((err, req, reply) => {
    const { status, errors } = errorMessages(err);
    if (status >= 500) req.log.error({ err }, 'request failed');
    if (status === 401) void reply.header('www-authenticate', 'Bearer');
    if (err instanceof Throttled) void reply.header('retry-after', String(err.retryAfterSeconds));
    return reply.status(status).type('application/json; charset=utf-8').send({ errors });
  });
  const noRoute = async (req: FastifyRequest, reply: FastifyReply) =>
    reply
      .status(404)
      .type('application/json; charset=utf-8')
      .send({ errors: [`no route ${req.method} ${req.url.split('?')[0]}`] });
  // unknown paths under each resource (never a catch-all of /api/: other faces live there)
  for (const r of RESOURCES) app.all(`/${r}/*`, { config: { scope: 'public' } }, noRoute);

  const orgOptional = (req: FastifyRequest, ctx: Context) => {
    const q = req.query as Query;
    if (q.o === undefined) return undefined;
    const o = readId(q.o, 'o');
    authorizeTenant(ctx, o);
    return o;
  };
  const kit: AutomoxKit = {
    ctxOf,
    orgOptional,
    org: (req, ctx) => {
      const o = orgOptional(req, ctx);
      if (o === undefined)
        throw invalid('o is required', [{ path: 'o', message: 'is required: the organization id' }]);
      return o;
    },
    page: (req) => {
      const q = req.query as Query;
      const limit = intParam(q, 'limit', 1, 500, 500);
      const page = intParam(q, 'page', 0, 1_000_000, 0);
      return { limit, page, offset: limit * page };
    },
    id: (req, name = 'id') => readId((req.params as Record<string, string>)[name], name),
  };
  policyRoutes(app, kit);
  resourceRoutes(app, kit);
}
