import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';

// Every route of every face, as it was registered: the tenancy matrix and the fuzz suite walk this table,
// so a route is covered the day it is added. Registered first in buildServer, before any face.

export interface RouteEntry {
  readonly method: string;
  /** the full path with its prefix, in Fastify's form (`/api/v1/devices/:id`) */
  readonly url: string;
  readonly schema: FastifySchema | undefined;
  readonly config: Readonly<Record<string, unknown>>;
}

const tables = new WeakMap<FastifyInstance, RouteEntry[]>();

export function registerRouteTable(app: FastifyInstance): void {
  const table: RouteEntry[] = [];
  tables.set(app, table);
  app.addHook('onRoute', (r: RouteOptions) => {
    for (const method of [r.method].flat())
      if (method !== 'HEAD')
        table.push({
          method,
          url: r.url,
          schema: r.schema,
          config: (r.config ?? {}) as Record<string, unknown>,
        });
  });
}

/** the routes of a server built by buildServer */
export function routeTable(app: FastifyInstance): readonly RouteEntry[] {
  const t = tables.get(app);
  if (!t) throw new Error('this server was not built with registerRouteTable');
  return t;
}
