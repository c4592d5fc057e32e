import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, notFound } from '../../core/errors.ts';
import { authenticate, Throttled, whoAmI } from '../../services/auth.ts';
import { Context } from '../../services/context.ts';
import type { Store } from '../../store/db.ts';
import { parseDecimalId } from '../shared/ids.ts';
import { parseQueryOptions, type FieldMap, type TranslateOptions } from '../shared/odata/index.ts';
import { classify } from '../shared/problem.ts';
import { trackContext } from '../shared/authz-backstop.ts';
import { authenticateFirst, oncePerRequest } from '../shared/authenticate-first.ts';
import { authResult, bearer, FACE, kaseyaLogin, type KaseyaAuthOptions } from './auth.ts';
import { failure, sendEnvelope, success } from './envelope.ts';
import { environment, TENANT } from './system.ts';
import { functionIds, moduleById, MODULES } from './modules.ts';
import { rememberRoute } from './paths.ts';
import { selected } from './select.ts';
import { patchRoutes } from './patch.ts';
import { alarmRoutes } from './alarms.ts';
import { auditPlugin, listInstalledApps } from './audit.ts';
import { procedureRoutes } from './procedures.ts';
import { logRoutes } from './logs.ts';
import { departmentRoutes } from './departments.ts';
import { kaseyaBodyParsers } from './body.ts';
import { directoryWriteRoutes, getRoleRecord, getUserRecord, listRoles, listUsers } from './directory.ts';
import {
  addMachineGroup,
  addOrg,
  agentsInView,
  deleteAgent,
  deleteAsset,
  deleteMachineGroup,
  deleteOrg,
  agentFields,
  assetFields,
  getAgent,
  getAsset,
  groupFields,
  getMachineGroup,
  getOrg,
  listAgents,
  listAssets,
  listAssetTypes,
  listMachineGroups,
  listOrgs,
  listViews,
  orgFields,
  renameAgent,
  updateMachineGroup,
  updateOrg,
  updateOrgNamedInBody,
  type Listed,
} from './resources.ts';

// The Kaseya VSA REST API dialect (seed 004), served under /api/v1.0 (DESIGN.md, "Where each face lives").
// Register with: await app.register(async (k) => kaseyaRoutes(k, store), { prefix: '/api/v1.0' })

type Query = Record<string, unknown>;
type Params = Record<string, string>;

/** VSA runs on SQL Server: strings compare ignoring case, nulls sort as the lowest value */
const VSA_DIALECT: TranslateOptions = { caseInsensitive: true, nulls: 'lowest' };

export function kaseyaRoutes(app: FastifyInstance, store: Store, opts: KaseyaAuthOptions = {}) {
  // every route of the face: matched ignoring case (paths.ts), and counted as a function (modules.ts)
  const provided: string[] = [];
  app.addHook('onRoute', (r) => {
    rememberRoute(r.url, app.prefix);
    const path = r.url.slice(app.prefix.length);
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    if (r.config?.vsaModule === undefined && path !== '/*')
      for (const m of methods) if (m !== 'HEAD') provided.push(`${m} ${path}`);
  });
  kaseyaBodyParsers(app);
  // the caller first, before the body is parsed or validated (faces/shared/authenticate-first.ts)
  const ctxOf = oncePerRequest(async (req) =>
    trackContext(
      req,
      new Context(store, await authenticate(store, bearer(req.headers.authorization), { face: FACE })),
    ),
  );
  authenticateFirst(app, ctxOf);

  app.setErrorHandler((err, req, reply) => {
    const f = classify(err);
    // messages that already name what is wrong (the OData parser's) are not repeated with their issues
    if (err instanceof DomainError && err.issues.every((i) => err.message.includes(i.message)))
      f.message = err.message;
    // the seed's word for a device is "agent", in every error of the face (the services say "device")
    if (f.status === 404) f.message = f.message.replace(/\bdevice(s?)\b/g, 'agent$1');
    if (f.status >= 500) req.log.error({ err }, 'request failed');
    if (f.status === 401) void reply.header('www-authenticate', 'Bearer');
    if (err instanceof Throttled) void reply.header('retry-after', String(err.retryAfterSeconds));
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
  app.all('/*', { config: { scope: 'public' } }, noRoute);

  const ok = (req: FastifyRequest, reply: FastifyReply, result: unknown, item?: string) =>
    sendEnvelope(req, reply, 200, success(result), item);
  const listed = <T>(
    req: FastifyRequest,
    reply: FastifyReply,
    r: Listed<T>,
    item: string,
    fields?: FieldMap,
  ) => sendEnvelope(req, reply, 200, success(selected(req.query as Query, r.records, fields), r.total), item);
  const options = (req: FastifyRequest) => parseQueryOptions(req.query as Query, undefined, VSA_DIALECT);
  const idOf = (req: FastifyRequest, param: string, what: string) =>
    parseDecimalId((req.params as Params)[param] ?? '', what);
  patchRoutes(app, { ctxOf, ok, listed, options });
  auditPlugin(app, { ctxOf, ok, listed, options });
  alarmRoutes(app, { ctxOf, ok, listed, options });
  // agent procedures, agent logs, departments / locations / types, user and role writes (issue #16)
  procedureRoutes(app, { ctxOf, ok, listed, options });
  logRoutes(app, { ctxOf, ok, listed, options });
  departmentRoutes(app, { ctxOf, ok, listed, options });
  directoryWriteRoutes(app, { ctxOf, ok, listed, options });

  app.get('/auth', { config: { scope: 'public' } }, async (req, reply) => {
    const r = await kaseyaLogin(store, req.headers.authorization, { ...opts, client: req.ip });
    return ok(req, reply, authResult(r));
  });
  app.get('/echo', { config: { scope: 'public' } }, async (req, reply) => ok(req, reply, {}));
  app.get('/echoauth', { config: { scope: 'self' } }, async (req, reply) => {
    whoAmI(await ctxOf(req)); // signed in is all it checks
    return ok(req, reply, {});
  });

  const orgList = async (req: FastifyRequest, reply: FastifyReply) =>
    listed(req, reply, await listOrgs(await ctxOf(req), options(req)), 'Org', orgFields);
  app.get('/system/orgs', { config: { scope: 'organization' } }, orgList);
  // the guide's first filter example ("GET /system/OrgNames?$filter=startswith(OrgName,'SapphireIT')"),
  // which no chapter documents: the organizations, as GET /system/orgs lists them
  app.get('/system/OrgNames', { config: { scope: 'organization' } }, orgList);
  app.get('/system/orgs/:orgId', { config: { scope: 'organization' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    const id = parseDecimalId((req.params as Params).orgId ?? '', 'organization');
    return ok(req, reply, await getOrg(ctx, id));
  });
  const orgGroups = async (req: FastifyRequest, reply: FastifyReply) => {
    const ctx = await ctxOf(req);
    const id = parseDecimalId((req.params as Params).orgId ?? '', 'organization');
    return listed(req, reply, await listMachineGroups(ctx, options(req), id), 'MachineGroup', groupFields);
  };
  app.get('/system/orgs/:orgId/machinegroups', { config: { scope: 'group' } }, orgGroups);
  // the spelling of a client library (issue 16)
  app.get('/system/orgs/:orgId/machine_groups', { config: { scope: 'group' } }, orgGroups);
  app.get('/system/machinegroups', { config: { scope: 'group' } }, async (req, reply) =>
    listed(req, reply, await listMachineGroups(await ctxOf(req), options(req)), 'MachineGroup'),
  );
  app.get('/system/machinegroups/:machineGroupId', { config: { scope: 'group' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    const id = parseDecimalId((req.params as Params).machineGroupId ?? '', 'machine group');
    // the seed's sample wraps the one record in an array
    return ok(req, reply, [await getMachineGroup(ctx, id)], 'MachineGroup');
  });
  app.get('/assetmgmt/agents', { config: { scope: 'group' } }, async (req, reply) =>
    listed(req, reply, await listAgents(await ctxOf(req), options(req)), 'Agent', agentFields),
  );
  app.get('/assetmgmt/assets', { config: { scope: 'group' } }, async (req, reply) =>
    listed(req, reply, await listAssets(await ctxOf(req), options(req)), 'Asset', assetFields),
  );
  app.get('/assetmgmt/assets/:assetId', { config: { scope: 'group' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    return ok(req, reply, await getAsset(ctx, idOf(req, 'assetId', 'asset')));
  });
  app.delete('/assetmgmt/assets/:assetId', { config: { scope: 'group' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    return ok(req, reply, await deleteAsset(ctx, idOf(req, 'assetId', 'asset')));
  });
  app.get('/assetmgmt/assettypes', { config: { scope: 'self' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    options(req);
    return listed(req, reply, listAssetTypes(ctx), 'AssetType');
  });
  app.get('/assetmgmt/agents/:agentId', { config: { scope: 'group' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    const id = parseDecimalId((req.params as Params).agentId ?? '', 'agent');
    return ok(req, reply, await getAgent(ctx, id));
  });

  // ---- writes of organizations, machine groups and agents: Result is the new id, or true ----
  app.post('/system/orgs', { config: { scope: 'global' } }, async (req, reply) =>
    ok(req, reply, await addOrg(await ctxOf(req), req.body)),
  );
  app.put('/system/orgs', { config: { scope: 'organization' } }, async (req, reply) =>
    ok(req, reply, await updateOrgNamedInBody(await ctxOf(req), req.body)),
  );
  app.put('/system/orgs/:orgId', { config: { scope: 'organization' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    return ok(req, reply, await updateOrg(ctx, idOf(req, 'orgId', 'organization'), req.body));
  });
  app.delete('/system/orgs/:orgId', { config: { scope: 'organization' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    return ok(req, reply, await deleteOrg(ctx, idOf(req, 'orgId', 'organization')));
  });
  const addGroup = async (req: FastifyRequest, reply: FastifyReply) => {
    const ctx = await ctxOf(req);
    return ok(req, reply, await addMachineGroup(ctx, idOf(req, 'orgId', 'organization'), req.body));
  };
  app.post('/system/orgs/:orgId/machinegroups', { config: { scope: 'group' } }, addGroup);
  app.post('/system/orgs/:orgId/machine_groups', { config: { scope: 'group' } }, addGroup);
  app.put('/system/machinegroups/:machineGroupId', { config: { scope: 'group' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    const id = idOf(req, 'machineGroupId', 'machine group');
    return ok(req, reply, await updateMachineGroup(ctx, id, req.body));
  });
  app.delete('/system/machinegroups/:machineGroupId', { config: { scope: 'group' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    return ok(req, reply, await deleteMachineGroup(ctx, idOf(req, 'machineGroupId', 'machine group')));
  });
  app.put(
    '/assetmgmt/agents/:agentId/rename/:newName',
    { config: { scope: 'group' } },
    async (req, reply) => {
      const ctx = await ctxOf(req);
      const id = idOf(req, 'agentId', 'agent');
      return ok(req, reply, await renameAgent(ctx, id, (req.params as Params).newName ?? ''));
    },
  );
  app.delete(
    '/assetmgmt/agents/:agentId/:uninstallFirst',
    { config: { scope: 'group' } },
    async (req, reply) => {
      const ctx = await ctxOf(req);
      const id = idOf(req, 'agentId', 'agent');
      return ok(req, reply, await deleteAgent(ctx, id, (req.params as Params).uninstallFirst ?? ''));
    },
  );

  // ---- agent views (Patchline has none), users, roles, installed applications ----
  app.get('/system/views', { config: { scope: 'organization' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    options(req); // a malformed option is still an error
    return listed(req, reply, listViews(ctx), 'View');
  });
  app.get('/assetmgmt/agentsinview/:viewId', { config: { scope: 'organization' } }, async (req) => {
    const ctx = await ctxOf(req);
    options(req);
    agentsInView(ctx, idOf(req, 'viewId', 'agent view'));
  });
  app.get('/system/users', { config: { scope: 'global' } }, async (req, reply) =>
    listed(req, reply, await listUsers(await ctxOf(req), options(req)), 'User'),
  );
  app.get('/system/users/:userId', { config: { scope: 'global' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    return ok(req, reply, await getUserRecord(ctx, idOf(req, 'userId', 'user')));
  });
  app.get('/system/roles', { config: { scope: 'global' } }, async (req, reply) =>
    listed(req, reply, await listRoles(await ctxOf(req), options(req)), 'Role'),
  );
  app.get('/system/roles/:roleId', { config: { scope: 'global' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    return ok(req, reply, await getRoleRecord(ctx, idOf(req, 'roleId', 'role')));
  });
  app.get(
    '/assetmgmt/audit/:agentId/software/installedapplications',
    { config: { scope: 'group' } },
    async (req, reply) => {
      const ctx = await ctxOf(req);
      const id = idOf(req, 'agentId', 'agent');
      return listed(req, reply, await listInstalledApps(ctx, id, options(req)), 'InstalledApplication');
    },
  );

  // ---- the core chapter's system resources, and the modules Patchline does not provide ----
  app.get('/environment', { config: { scope: 'public' } }, async (req, reply) =>
    ok(req, reply, environment(opts.version)),
  );
  app.get('/tenant', { config: { scope: 'catalog' } }, async (req, reply) => {
    whoAmI(await ctxOf(req));
    return ok(req, reply, TENANT);
  });
  app.get('/functions', { config: { scope: 'catalog' } }, async (req, reply) => {
    whoAmI(await ctxOf(req));
    const ids = functionIds(provided);
    return listed(req, reply, { records: ids, total: ids.length }, 'Function');
  });
  app.get('/functions/:moduleId', { config: { scope: 'catalog' } }, async (req, reply) => {
    whoAmI(await ctxOf(req));
    const m = moduleById((req.params as Params).moduleId ?? '');
    if (!m) throw notFound('module', (req.params as Params).moduleId ?? '');
    const ids = functionIds(provided, m.id);
    return listed(req, reply, { records: ids, total: ids.length }, 'Function');
  });
  app.get('/ismoduleinstalled/:moduleId', { config: { scope: 'catalog' } }, async (req, reply) => {
    whoAmI(await ctxOf(req));
    return ok(req, reply, moduleById((req.params as Params).moduleId ?? '')?.provided ?? false);
  });
  for (const m of MODULES)
    for (const [method, path] of m.routes)
      app.route({
        method: method as 'GET',
        url: path,
        config: { scope: 'public', vsaModule: m.id },
        handler: async (req, reply) =>
          sendEnvelope(
            req,
            reply,
            501,
            failure({
              status: 501,
              message: `the VSA module '${m.name}' is not provided by Patchline`,
              issues: [],
              code: 'not_implemented',
            }),
          ),
      });
}
