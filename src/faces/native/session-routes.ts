import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { login, logout, Throttled, whoAmI, type LoginThrottle } from '../../services/auth.ts';
import type { Store } from '../../store/db.ts';
import { Me } from '../../wire/native.ts';
import { DateTime, errors, Id } from './schemas.ts';

export function sessionRoutes(app: FastifyInstance, store: Store, throttle: LoginThrottle) {
  app.post(
    '/auth/login',
    {
      config: { public: true, scope: 'public' },
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
      config: { scope: 'self' },
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
      config: { scope: 'self' },
      schema: {
        tags: ['auth'],
        summary: 'The caller: identity, privileges and scope',
        response: {
          200: Me,
          ...errors,
        },
      },
    },
    async (req) => whoAmI(req.ctx),
  );
}
