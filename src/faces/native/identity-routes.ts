import { SORT_KEYS } from '../../services/sort-keys.ts';
import type { FastifyInstance } from 'fastify';
import { Type, type TProperties, type TObject } from 'typebox';
import * as identity from '../../services/identity.ts';
import { queryEvents } from '../../services/events.ts';
import { statusCounts } from '../../services/status.ts';
import {
  ApiKey,
  DateTime,
  errors,
  Event,
  Id,
  IdParam,
  ListOf,
  Nullable,
  pageOf,
  PageQuery,
  PrivilegeName,
  Role,
  Scope,
  ScopeEntry,
  User,
} from './schemas.ts';
import { StatusCounts } from '../../wire/native.ts';

const UserBody = {
  username: Type.String({ minLength: 1, maxLength: 100 }),
  password: Type.String({ minLength: 8, maxLength: 200 }),
  displayName: Type.Optional(Type.String({ maxLength: 200 })),
  email: Type.Optional(Type.String({ maxLength: 320 })),
  roleId: Id,
  scopeId: Id,
  timeZone: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
  disabled: Type.Optional(Type.Boolean()),
};
const RoleBody = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  privileges: Type.Array(PrivilegeName, { maxItems: 20 }),
};
const ScopeBody = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
  allOrganizations: Type.Optional(Type.Boolean()),
  entries: Type.Optional(Type.Array(ScopeEntry, { maxItems: 10000 })),
};
const id = (req: { params: unknown }) => (req.params as { id: number }).id;
const noContent = { 204: Type.Null(), ...errors };

/** CRUD routes for an entity of the identity family */
function crud<B>(
  app: FastifyInstance,
  path: string,
  tag: string,
  item: TObject,
  body: TProperties,
  ops: {
    create: (req: { ctx: Parameters<typeof identity.getUser>[0]; body: B }) => Promise<unknown>;
    get: (ctx: Parameters<typeof identity.getUser>[0], id: number) => Promise<unknown>;
    update: (ctx: Parameters<typeof identity.getUser>[0], id: number, patch: Partial<B>) => Promise<unknown>;
    remove: (ctx: Parameters<typeof identity.getUser>[0], id: number) => Promise<void>;
  },
) {
  app.post(
    path,
    {
      config: { scope: 'global' },
      schema: {
        tags: [tag],
        summary: `Create a ${tag.replace(/s$/, '')}`,
        body: Type.Object(body, { additionalProperties: false }),
        response: { 201: item, ...errors },
      },
    },
    async (req, reply) => reply.status(201).send(await ops.create({ ctx: req.ctx, body: req.body as B })),
  );
  app.get(
    `${path}/:id`,
    {
      config: { scope: 'global' },
      schema: {
        tags: [tag],
        summary: `Get a ${tag.replace(/s$/, '')}`,
        params: IdParam,
        response: { 200: item, ...errors },
      },
    },
    async (req) => ops.get(req.ctx, id(req)),
  );
  app.patch(
    `${path}/:id`,
    {
      config: { scope: 'global' },
      schema: {
        tags: [tag],
        summary: `Change a ${tag.replace(/s$/, '')}`,
        params: IdParam,
        body: Type.Partial(Type.Object(body, { additionalProperties: false })),
        response: { 200: item, ...errors },
      },
    },
    async (req) => ops.update(req.ctx, id(req), req.body as Partial<B>),
  );
  app.delete(
    `${path}/:id`,
    {
      config: { scope: 'global' },
      schema: {
        tags: [tag],
        summary: `Delete a ${tag.replace(/s$/, '')}`,
        params: IdParam,
        response: noContent,
      },
    },
    async (req, reply) => {
      await ops.remove(req.ctx, id(req));
      return reply.status(204).send();
    },
  );
}

export function identityRoutes(app: FastifyInstance) {
  app.get(
    '/users',
    {
      config: { scope: 'global' },
      schema: {
        tags: ['users'],
        summary: 'List users (administrators with a scope over every organization)',
        querystring: Type.Object({
          ...PageQuery,
          q: Type.Optional(Type.String({ maxLength: 200 })),
          roleId: Type.Optional(Id),
          scopeId: Type.Optional(Id),
        }),
        response: { 200: ListOf(User), ...errors },
      },
    },
    async (req) =>
      identity.listUsers(req.ctx, req.query as object, pageOf(req.query as object, SORT_KEYS.users)),
  );
  crud<identity.UserInput>(app, '/users', 'users', User, UserBody, {
    create: ({ ctx, body }) => identity.createUser(ctx, body),
    get: identity.getUser,
    update: identity.updateUser,
    remove: identity.deleteUser,
  });

  app.get(
    '/roles',
    {
      config: { scope: 'global' },
      schema: {
        tags: ['roles'],
        summary: 'List roles and their privileges',
        querystring: Type.Object(PageQuery),
        response: { 200: ListOf(Role), ...errors },
      },
    },
    async (req) => identity.listRoles(req.ctx, pageOf(req.query as object, SORT_KEYS.roles)),
  );
  crud<{ name: string; description?: string; privileges: string[] }>(app, '/roles', 'roles', Role, RoleBody, {
    create: ({ ctx, body }) => identity.createRole(ctx, body),
    get: identity.getRole,
    update: identity.updateRole,
    remove: identity.deleteRole,
  });

  app.get(
    '/scopes',
    {
      config: { scope: 'global' },
      schema: {
        tags: ['scopes'],
        summary: 'List scopes (which organizations and groups users may see)',
        querystring: Type.Object(PageQuery),
        response: { 200: ListOf(Scope), ...errors },
      },
    },
    async (req) => identity.listScopes(req.ctx, pageOf(req.query as object, SORT_KEYS.scopes)),
  );
  crud<{ name: string; description?: string; allOrganizations?: boolean; entries?: identity.ScopeEntry[] }>(
    app,
    '/scopes',
    'scopes',
    Scope,
    ScopeBody,
    {
      create: ({ ctx, body }) => identity.createScope(ctx, body),
      get: identity.getScope,
      update: identity.updateScope,
      remove: identity.deleteScope,
    },
  );

  app.get(
    '/api-keys',
    {
      config: { scope: 'self' },
      schema: {
        tags: ['api-keys'],
        summary: 'List API keys (your own; administrators see all)',
        querystring: Type.Object({ ...PageQuery, userId: Type.Optional(Id) }),
        response: { 200: ListOf(ApiKey), ...errors },
      },
    },
    async (req) =>
      identity.listApiKeys(
        req.ctx,
        req.query as { userId?: number },
        pageOf(req.query as object, SORT_KEYS.apiKeys),
      ),
  );
  app.post(
    '/api-keys',
    {
      config: { scope: 'self' },
      schema: {
        tags: ['api-keys'],
        summary: 'Create an API key; its secret is in this response only',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            userId: Type.Optional(Id),
            expiresAt: Type.Optional(Nullable(DateTime)),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            ...ApiKey.properties,
            key: Type.String({ description: 'shown once; use as "Authorization: Bearer <key>"' }),
          }),
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { name: string; userId?: number; expiresAt?: string | null };
      const created = await identity.createApiKey(req.ctx, {
        name: b.name,
        userId: b.userId,
        expiresAt: b.expiresAt ? new Date(b.expiresAt) : null,
      });
      return reply.status(201).send(created);
    },
  );
  app.get(
    '/api-keys/:id',
    {
      config: { scope: 'self' },
      schema: {
        tags: ['api-keys'],
        summary: 'Get an API key (never its secret)',
        params: IdParam,
        response: { 200: ApiKey, ...errors },
      },
    },
    async (req) => identity.getApiKey(req.ctx, id(req)),
  );
  app.delete(
    '/api-keys/:id',
    {
      config: { scope: 'self' },
      schema: { tags: ['api-keys'], summary: 'Revoke an API key', params: IdParam, response: noContent },
    },
    async (req, reply) => {
      await identity.revokeApiKey(req.ctx, id(req));
      return reply.status(204).send();
    },
  );

  app.get(
    '/events',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['events'],
        summary: 'The event log: audit trail and patch history, newest first',
        querystring: Type.Object({
          ...PageQuery,
          organizationId: Type.Optional(Id),
          deviceId: Type.Optional(Id),
          updateId: Type.Optional(Id),
          kind: Type.Optional(
            Type.String({
              maxLength: 100,
              description: "exact kind, or a prefix ending in '.' such as 'approval.'",
            }),
          ),
          actor: Type.Optional(Type.String({ maxLength: 200 })),
          since: Type.Optional(DateTime),
          until: Type.Optional(DateTime),
        }),
        response: { 200: ListOf(Event), ...errors },
      },
    },
    async (req) => {
      const q = req.query as {
        organizationId?: number;
        deviceId?: number;
        updateId?: number;
        kind?: string;
        actor?: string;
        since?: string;
        until?: string;
      };
      return queryEvents(
        req.ctx,
        {
          ...q,
          since: q.since ? new Date(q.since) : undefined,
          until: q.until ? new Date(q.until) : undefined,
        },
        pageOf(req.query as object, ['id', 'at']),
      );
    },
  );

  app.get(
    '/status',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['status'],
        summary: 'Counts of organizations, devices and missing updates in scope',
        description: 'With organizationId, the counts of that organization only.',
        querystring: Type.Object({ organizationId: Type.Optional(Id) }, { additionalProperties: false }),
        response: {
          200: StatusCounts,
          ...errors,
        },
      },
    },
    async (req) => statusCounts(req.ctx, req.query as { organizationId?: number }),
  );
}
