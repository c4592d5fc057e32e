import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { login, logout, Throttled, type LoginThrottle } from '../../services/auth.ts';
import type { Store } from '../../store/db.ts';
import { DateTime, errors, Id, Nullable } from './schemas.ts';

export function sessionRoutes(app: FastifyInstance, store: Store, throttle: LoginThrottle) {
  app.post(
    '/auth/login',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with a user name and password; returns a session token',
        body: Type.Object(
          {
            username: Type.String({ minLength: 1, maxLength: 200 }),
            password: Type.String({ minLength: 1, maxLength: 1000 }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ token: Type.String(), expiresAt: DateTime, userId: Id }),
          ...errors,
          429: errors[400],
        },
      },
    },
    async (req, reply) => {
      const { username, password } = req.body as { username: string; password: string };
      try {
        const r = await login(store, username, password, { face: 'native', client: req.ip, throttle });
        return { token: r.token, expiresAt: r.expiresAt, userId: r.user.id };
      } catch (e) {
        if (e instanceof Throttled) void reply.header('retry-after', String(e.retryAfterSeconds));
        throw e;
      }
    },
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        tags: ['auth'],
        summary: 'End the current session',
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (req, reply) => {
      await logout(req.ctx);
      return reply.status(204).send();
    },
  );

  app.get(
    '/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'The caller: identity, privileges and scope',
        response: {
          200: Type.Object({
            type: Type.String(),
            userId: Nullable(Id),
            name: Type.String(),
            roleId: Nullable(Id),
            scopeId: Nullable(Id),
            privileges: Type.Array(Type.String()),
            scope: Type.Object({
              allOrganizations: Type.Boolean(),
              organizations: Type.Array(Id),
              groups: Type.Array(Type.Object({ organizationId: Id, groupIds: Type.Array(Id) })),
            }),
          }),
          ...errors,
        },
      },
    },
    async (req) => {
      req.ctx.authorizeSelf(); // every signed-in actor may read itself
      const a = req.ctx.actor;
      return {
        type: a.type,
        userId: a.userId ?? null,
        name: a.name,
        roleId: a.roleId ?? null,
        scopeId: a.scopeId ?? null,
        privileges: [...a.privileges],
        scope: {
          allOrganizations: a.access.all,
          organizations: [...a.access.organizations],
          groups: [...a.access.groups].map(([organizationId, g]) => ({ organizationId, groupIds: [...g] })),
        },
      };
    },
  );
}
