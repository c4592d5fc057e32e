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

// ---- the scope rule of each route: who may reach which objects through it (test/faces/matrix.suite.ts) ----

/**
 * The tenancy rule a route declares in its config (`config: { scope: 'organization' }`), one of a closed set:
 * - `public`: needs no credentials (sign-in, enrollment, health, documentation, the console's files);
 * - `self`: the caller's own session, profile or keys, or nothing stored at all (a conversion);
 * - `global`: spans every tenant (users, roles, scopes, new organizations, catalog-wide switches): needs
 *   administer (or the privilege) over every organization, a scoped caller gets 403;
 * - `organization`: the object belongs to one organization: another tenant gets 404 (403 where the face's
 *   product answers so) and nothing changes; lists show only the caller's organizations;
 * - `group`: the object belongs to a group or a device: as `organization`, and a caller scoped to a group
 *   gets 404/403 for objects outside its subtree;
 * - `catalog`: shared vendor data (bulletins, updates, CVEs, statuses): any signed-in caller reads it, rows
 *   a tenant's devices taught the catalog are not shown to another tenant;
 * - `device`: the agent protocol: the device credential, and only that device's jobs.
 */
export const ROUTE_SCOPES = [
  'public',
  'self',
  'global',
  'organization',
  'group',
  'catalog',
  'device',
] as const;
export type RouteScope = (typeof ROUTE_SCOPES)[number];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** the route's tenancy rule (faces/shared/route-table.ts) */
    scope?: RouteScope;
  }
}

/** the scope rule a route declared, or undefined when it declared none (the matrix test fails on it) */
export function scopeOf(entry: RouteEntry): RouteScope | undefined {
  const s = entry.config.scope;
  return (ROUTE_SCOPES as readonly unknown[]).includes(s) ? (s as RouteScope) : undefined;
}

/**
 * For a plugin whose routes take no config from us (the documentation UI): every route registered in
 * `app` (an encapsulated instance, before the plugin) gets `scope` in its config and in the route table.
 */
export function declareScope(app: FastifyInstance, scope: RouteScope): void {
  app.addHook('onRoute', (r: RouteOptions) => {
    r.config = { ...r.config, scope };
    let table: RouteEntry[] | undefined;
    for (let a: object | null = app; a && !table; a = Object.getPrototypeOf(a) as object | null)
      table = tables.get(a as FastifyInstance);
    if (!table) return;
    for (const method of [r.method].flat())
      for (let i = table.length - 1; i >= 0; i--) {
        const e = table[i];
        if (e && e.method === method && e.url === r.url) {
          table[i] = { ...e, config: { ...e.config, scope } };
          break;
        }
      }
  });
}
