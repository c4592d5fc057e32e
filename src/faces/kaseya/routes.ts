import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../core/errors.ts';
import { authenticate } from '../../services/auth.ts';
import { Context } from '../../services/context.ts';
import type { Store } from '../../store/db.ts';
import { parseDecimalId } from '../shared/ids.ts';
import { parseQueryOptions } from '../shared/odata/index.ts';
import { classify } from '../shared/problem.ts';
import { authResult, bearer, FACE, kaseyaLogin, type KaseyaAuthOptions } from './auth.ts';
import { failure, sendEnvelope, success } from './envelope.ts';
import {
  getAgent,
  getMachineGroup,
  getOrg,
  listAgents,
  listMachineGroups,
  listOrgs,
  type Listed,
} from './resources.ts';

// The Kaseya VSA REST API dialect (seed 004), served under /api/v1.0 (DESIGN.md, "Where each face lives").
// Register with: await app.register(async (k) => kaseyaRoutes(k, store), { prefix: '/api/v1.0' })

type Query = Record<string, unknown>;
type Params = Record<string, string>;

export function kaseyaRoutes(app: FastifyInstance, store: Store, opts: KaseyaAuthOptions = {}) {
  const contexts = new WeakMap<FastifyRequest, Context>();
  const ctxOf = async (req: FastifyRequest) => {
    let ctx = contexts.get(req);
    if (!ctx) {
      ctx = new Context(store, await authenticate(store, bearer(req.headers.authorization), { face: FACE }));
      contexts.set(req, ctx);
    }
    return ctx;
  };

  app.setErrorHandler((err, req, reply) => {
    const f = classify(err);
    // messages that already name what is wrong (the OData parser's) are not repeated with their issues
    if (err instanceof DomainError && err.issues.every((i) => err.message.includes(i.message)))
      f.message = err.message;
    if (f.status >= 500) req.log.error({ err }, 'request failed');
    if (f.status === 401) void reply.header('www-authenticate', 'Bearer');
    return sendEnvelope(req, reply, f.status, failure(f));
  });
  const noRoute = (req: FastifyRequest, reply: FastifyReply) =>
    sendEnvelope(
      req,
      reply,
      404,
      failure({
        status: 404,
        message: `no route ${req.method} ${req.url.split('?')[0]}`,
        issues: [],
        code: 'not_found',
      }),
    );
  app.setNotFoundHandler(noRoute);
  // the web console's catch-all GET /* would otherwise answer unknown paths under this prefix
  app.all('/*', noRoute);

  const ok = (req: FastifyRequest, reply: FastifyReply, result: unknown, item?: string) =>
    sendEnvelope(req, reply, 200, success(result), item);
  const listed = <T>(req: FastifyRequest, reply: FastifyReply, r: Listed<T>, item: string) =>
    sendEnvelope(req, reply, 200, success(r.records, r.total), item);
  const options = (req: FastifyRequest) => parseQueryOptions(req.query as Query);

  app.get('/auth', async (req, reply) => {
    const r = await kaseyaLogin(store, req.headers.authorization, { ...opts, client: req.ip });
    return ok(req, reply, authResult(r));
  });
  app.get('/echo', async (req, reply) => ok(req, reply, {}));
  app.get('/echoauth', async (req, reply) => {
    await ctxOf(req);
    return ok(req, reply, {});
  });

  app.get('/system/orgs', async (req, reply) =>
    listed(req, reply, await listOrgs(await ctxOf(req), options(req)), 'Org'),
  );
  app.get('/system/orgs/:orgId', async (req, reply) => {
    const ctx = await ctxOf(req);
    const id = parseDecimalId((req.params as Params).orgId ?? '', 'organization');
    return ok(req, reply, await getOrg(ctx, id));
  });
  app.get('/system/orgs/:orgId/machinegroups', async (req, reply) => {
    const ctx = await ctxOf(req);
    const id = parseDecimalId((req.params as Params).orgId ?? '', 'organization');
    return listed(req, reply, await listMachineGroups(ctx, options(req), id), 'MachineGroup');
  });
  app.get('/system/machinegroups', async (req, reply) =>
    listed(req, reply, await listMachineGroups(await ctxOf(req), options(req)), 'MachineGroup'),
  );
  app.get('/system/machinegroups/:machineGroupId', async (req, reply) => {
    const ctx = await ctxOf(req);
    const id = parseDecimalId((req.params as Params).machineGroupId ?? '', 'machine group');
    // the seed's sample wraps the one record in an array
    return ok(req, reply, [await getMachineGroup(ctx, id)], 'MachineGroup');
  });
  app.get('/assetmgmt/agents', async (req, reply) =>
    listed(req, reply, await listAgents(await ctxOf(req), options(req)), 'Agent'),
  );
  app.get('/assetmgmt/agents/:agentId', async (req, reply) => {
    const ctx = await ctxOf(req);
    const id = parseDecimalId((req.params as Params).agentId ?? '', 'agent');
    return ok(req, reply, await getAgent(ctx, id));
  });
}
