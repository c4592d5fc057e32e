import Fastify, { type FastifyInstance } from 'fastify';
import { bootstrap } from '../../../src/services/bootstrap.ts';
import { LoginThrottle } from '../../../src/services/auth.ts';
import type { Store } from '../../../src/store/db.ts';
import { classify, sendProblem } from '../../../src/faces/shared/problem.ts';
import { validatorCompiler } from '../../../src/faces/shared/validation.ts';
import { registerNativeAuth } from '../../../src/faces/native/auth.ts';
import { sessionRoutes } from '../../../src/faces/native/session.ts';
import { tenancyRoutes } from '../../../src/faces/native/tenancy.ts';
import { identityRoutes } from '../../../src/faces/native/identity.ts';
import { catalogRoutes } from '../../../src/faces/native/catalog.ts';
import { Problem } from '../../../src/faces/native/schemas.ts';
import { policyRoutes } from '../../../src/faces/native/policies.ts';
import { taskRoutes } from '../../../src/faces/native/tasks.ts';
import { ADMIN_PASSWORD } from '../../support/api.ts';

/** the native API as server.ts builds it, plus the policy and task routes (until server.ts registers them) */
export async function startPolicyApp(store: Store): Promise<FastifyInstance> {
  await bootstrap(store, ADMIN_PASSWORD);
  const app = Fastify({ logger: false, ajv: { customOptions: { removeAdditional: false } } });
  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler((err, req, reply) => sendProblem(req, reply, classify(err)));
  app.addSchema(Problem);
  await app.register(
    async (api) => {
      registerNativeAuth(api, store);
      sessionRoutes(api, store, new LoginThrottle());
      tenancyRoutes(api);
      identityRoutes(api);
      catalogRoutes(api);
      policyRoutes(api);
      taskRoutes(api);
    },
    { prefix: '/api/v1' },
  );
  await app.ready();
  return app;
}
