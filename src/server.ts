import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Config } from './config.ts';
import type { Store } from './store/db.ts';
import { LoginThrottle } from './services/auth.ts';
import { classify, sendProblem } from './faces/shared/problem.ts';
import { validatorCompiler } from './faces/shared/validation.ts';
import { registerMetrics } from './faces/shared/metrics.ts';
import { registerAuthorizationBackstop } from './faces/shared/authz-backstop.ts';
import { registerInputGuard } from './faces/shared/guard.ts';
import { declareScope, registerRouteTable } from './faces/shared/route-table.ts';
import { registerNativeAuth } from './faces/native/auth.ts';
import { sessionRoutes } from './faces/native/session-routes.ts';
import { tenancyRoutes } from './faces/native/tenancy-routes.ts';
import { identityRoutes } from './faces/native/identity-routes.ts';
import { catalogRoutes } from './faces/native/catalog-routes.ts';
import { scriptRoutes } from './faces/native/script-routes.ts';
import { alertRoutes } from './faces/native/alert-routes.ts';
import { procedureRoutes } from './faces/native/procedure-routes.ts';
import { policyRoutes } from './faces/native/policy-routes.ts';
import { taskRoutes } from './faces/native/task-routes.ts';
import { complianceRoutes } from './faces/native/compliance-routes.ts';
import { updateStatusRoutes } from './faces/native/update-status-routes.ts';
import { rolloutRoutes } from './faces/native/rollout-routes.ts';
import { agentPackageRoutes, stagingRoutes } from './faces/native/staging-routes.ts';
import { defaultPackageDir } from './services/staging.ts';
import { Problem } from './faces/native/schemas.ts';
import { registerDeviceAuth } from './faces/agent/device-auth.ts';
import { agentRoutes } from './faces/agent/routes.ts';
import { consoleRoutes, CONSOLE_DIST } from './faces/console/routes.ts';
import { kaseyaRoutes } from './faces/kaseya/routes.ts';
import { canonicalUrl } from './faces/kaseya/paths.ts';
import { nableRoutes } from './faces/nable/routes.ts';
import { gravityzoneRoutes } from './faces/gravityzone/routes.ts';
import { automoxRoutes } from './faces/automox/routes.ts';
import { altirisRoutes } from './faces/altiris/routes.ts';
import { closeCheckins, deviceMemoryStats } from './services/agents.ts';

import { VERSION } from './version.ts';

export { VERSION };

export interface ServerOptions {
  config: Pick<Config, 'logLevel' | 'bodyLimit' | 'tlsCert' | 'tlsKey'> & {
    /** the data folder; staged packages live in its packages/ folder unless packageDir says otherwise */
    dataDir?: string;
    packageDir?: string;
  };
  store: Store;
  /** false silences the request log (tests) */
  logger?: boolean;
  /** where the log goes (default: standard output); tests read it */
  logStream?: NodeJS.WritableStream;
}

/** One server process, one port, every face (DESIGN.md). */
export async function buildServer({
  config,
  store,
  logger = true,
  logStream,
}: ServerOptions): Promise<FastifyInstance> {
  if (!!config.tlsCert !== !!config.tlsKey)
    throw new Error('a TLS certificate needs its key and a key its certificate: give both, or neither');
  const https =
    config.tlsCert && config.tlsKey
      ? { https: { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) } }
      : {};
  const app = Fastify({
    logger: logger ? { level: config.logLevel, ...(logStream ? { stream: logStream } : {}) } : false,
    // one line per request (below), not Fastify's two ("incoming request", "request completed")
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimit,
    // the Kaseya face's paths ignore case, as VSA's do (faces/kaseya/paths.ts)
    rewriteUrl: (req) => canonicalUrl(req.url ?? '/'),
    ajv: { customOptions: { removeAdditional: false } },
    ...https,
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  if (logger)
    app.addHook('onResponse', async (req, reply) => {
      reply.log.info(
        { method: req.method, url: req.url, statusCode: reply.statusCode, responseTime: reply.elapsedTime },
        'request',
      );
    });
  // first: every route registered after this is in the table the tenancy matrix and the fuzz suite walk
  registerRouteTable(app);
  // before any face: its hooks reach every route, and each face's error handler renders its refusals
  registerInputGuard(app);
  app.setErrorHandler((err, req, reply) => {
    const f = classify(err);
    if (f.status >= 500) req.log.error({ err }, 'request failed');
    return sendProblem(req, reply, f);
  });
  app.setNotFoundHandler((req, reply) =>
    sendProblem(req, reply, {
      status: 404,
      message: `no route ${req.method} ${req.url.split('?')[0]}`,
      issues: [],
      code: 'not_found',
    }),
  );
  app.addSchema(Problem);

  // the idle check-in path's memory (services/device-cache.ts): how many devices it holds, whether the
  // change feed vouches for them, and whether the read of every device after the start is done
  const memory = () => deviceMemoryStats(store);
  registerMetrics(app, [
    {
      name: 'patchline_checkin_devices_in_memory',
      help: 'devices whose idle check-in is answered from memory',
      read: () => memory().devices,
    },
    {
      name: 'patchline_checkin_feed_listening',
      help: '1 while the change feed listens (entries are trusted), 0 while check-ins fall back to a short cache',
      read: () => (memory().listening ? 1 : 0),
    },
    {
      name: 'patchline_checkin_feed_lost_total',
      help: 'times the change feed lost its listener',
      read: () => memory().lost,
    },
    {
      name: 'patchline_checkin_devices_read',
      help: '1 once every device was read into memory after the start',
      read: () => (memory().warmed ? 1 : 0),
    },
  ]);
  registerAuthorizationBackstop(app);
  app.get('/healthz', { config: { public: true, scope: 'public' }, schema: { hide: true } }, async () => ({
    status: 'ok',
    version: VERSION,
  }));
  app.get(
    '/readyz',
    { config: { public: true, scope: 'public' }, schema: { hide: true } },
    async (_req, reply) => {
      try {
        await store.ping();
        return { status: 'ready', store: store.driver };
      } catch (e) {
        return reply
          .status(503)
          .send({ status: 'unavailable', store: store.driver, error: (e as Error).message });
      }
    },
  );

  const throttle = new LoginThrottle();
  const packages = { dir: config.packageDir ?? defaultPackageDir(config.dataDir ?? './data') };
  await app.register(
    async (api) => {
      // JSON only: Fastify's default text/plain parser would hand a string to the body schema (a 400);
      // an unsupported media type is a 415
      api.removeContentTypeParser('text/plain');
      await api.register(swagger, {
        openapi: {
          info: {
            title: 'Patchline native API',
            version: VERSION,
            description: 'Devices, updates, approvals, policies and the event log.',
          },
          components: {
            securitySchemes: {
              bearer: { type: 'http', scheme: 'bearer', description: 'a session token or an API key' },
            },
          },
          security: [{ bearer: [] }],
        },
        exposeHeadRoutes: false,
      });
      // the documentation UI's routes take no config from us: they are public (native/auth.ts lets them by)
      await api.register(async (docs) => {
        declareScope(docs, 'public');
        // indexPrefix: the page at /api/v1/docs (no trailing slash) links its assets by absolute path,
        // which the plugin would otherwise build without the /api/v1 prefix it is registered under
        await docs.register(swaggerUi, {
          routePrefix: '/docs',
          indexPrefix: '/api/v1',
          uiConfig: { docExpansion: 'list' },
        });
      });
      api.get(
        '/openapi.json',
        { config: { public: true, scope: 'public' }, schema: { hide: true } },
        async () => api.swagger(),
      );
      registerNativeAuth(api, store);
      sessionRoutes(api, store, throttle);
      tenancyRoutes(api);
      identityRoutes(api);
      catalogRoutes(api);
      policyRoutes(api);
      scriptRoutes(api);
      procedureRoutes(api);
      taskRoutes(api);
      complianceRoutes(api);
      updateStatusRoutes(api);
      rolloutRoutes(api);
      stagingRoutes(api, packages);
      alertRoutes(api);
    },
    { prefix: '/api/v1' },
  );
  await app.register(
    async (agent) => {
      agent.removeContentTypeParser('text/plain');
      registerDeviceAuth(agent, store);
      await agentRoutes(agent, store);
      agentPackageRoutes(agent, store, packages);
    },
    { prefix: '/agent/v1' },
  );
  await app.register(async (k) => kaseyaRoutes(k, store, { throttle, version: VERSION }), {
    prefix: '/api/v1.0',
  });
  // N-able N-sight's Data Extraction API: the exact paths /api/ and /api, every service a parameter
  await app.register(async (n) => nableRoutes(n, store));
  // inside Kaseya's prefix: the more specific paths win, so no JSON-RPC path reaches Kaseya's catch-all
  await app.register(async (g) => gravityzoneRoutes(g, store), { prefix: '/api/v1.0/jsonrpc' });
  await app.register(async (a) => automoxRoutes(a, store), { prefix: '/api' });
  await app.register(async (a) => altirisRoutes(a, store, { dir: packages.dir }, { throttle }), {
    prefix: '/Altiris/PatchManagementCore',
  });
  // idle check-ins stamp last_seen_at in batches: write what is buffered before the store closes
  app.addHook('onClose', async () => {
    await closeCheckins(store);
  });
  consoleRoutes(app, { distDir: CONSOLE_DIST });
  return app;
}

/**
 * Builds the API's OpenAPI document (JSON and YAML) once, ahead of the first request: @fastify/swagger
 * builds it on the first /api/v1/docs request and keeps it, which takes a second on a busy machine
 * (the fuzz suite's property is no answer slower than a second). `patchline serve` calls it once it
 * listens.
 */
export async function warmDocs(app: FastifyInstance): Promise<void> {
  await app.inject({ method: 'GET', url: '/api/v1/docs/json' });
  await app.inject({ method: 'GET', url: '/api/v1/docs/yaml' });
}
