import type { FastifyRequest } from 'fastify';
import { invalid } from '../../core/errors.ts';
import type { Context } from '../../services/context.ts';

// What the Automox routes share (kept apart from routes.ts so the route files import no cycle).

export interface AutomoxKit {
  ctxOf(req: FastifyRequest): Promise<Context>;
  /** the `o` parameter, checked against the caller's scope (403 outside it); required unless `optional` */
  org(req: FastifyRequest, ctx: Context): number;
  orgOptional(req: FastifyRequest, ctx: Context): number | undefined;
  page(req: FastifyRequest): { limit: number; page: number; offset: number };
  id(req: FastifyRequest, name?: string): number;
}

/** a decimal id as Automox sends them (path, query or body), else invalid naming the field */
export function readId(v: unknown, field: string): number {
  const n = typeof v === 'string' && /^[0-9]{1,15}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1)
    throw invalid(`${field} must be a positive integer id`, [
      { path: field, message: `must be a positive integer id, got ${JSON.stringify(v) ?? 'nothing'}` },
    ]);
  return n;
}
