import type { FastifyInstance, FastifyRequest } from 'fastify';
import { unauthenticated } from '../../core/errors.ts';
import { admitDevice, authenticateDevice, type Admission } from '../../services/agents.ts';
import type { Store } from '../../store/db.ts';
import { bearerToken } from '../native/auth.ts';
import { authenticateFirst } from '../shared/authenticate-first.ts';

// The device credential of an agent request: the agent protocol's routes and the package downloads
// (faces/native/staging-routes.ts) both authenticate with it, first of all (registerDeviceAuth).

declare module 'fastify' {
  interface FastifyRequest {
    /** the device credential's first check (null on routes that take none) */
    admission: Admission | null;
  }
}

/** the device credential the request carries */
export function deviceCredential(req: FastifyRequest): string {
  const token = bearerToken(req);
  if (!token) throw unauthenticated('send the device credential as "Authorization: Bearer <credential>"');
  return token;
}

/**
 * Checks the device credential of every route of `app` that is not public before its body is read
 * (faces/shared/authenticate-first.ts); a credential this replica remembers costs no lookup (admitDevice).
 */
export function registerDeviceAuth(app: FastifyInstance, store: Store) {
  app.decorateRequest('admission', null);
  authenticateFirst(app, async (req) => {
    req.admission = await admitDevice(store, deviceCredential(req));
  });
}

/** the device behind the request's credential (every agent route but enrollment and check-in) */
export async function authenticatedDevice(store: Store, req: FastifyRequest) {
  return req.admission?.device ?? authenticateDevice(store, deviceCredential(req));
}
