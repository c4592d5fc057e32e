import type { FastifyRequest } from 'fastify';
import { unauthenticated } from '../../core/errors.ts';
import { authenticateDevice } from '../../services/agents.ts';
import type { Store } from '../../store/db.ts';
import { bearerToken } from '../native/auth.ts';

// The device credential of an agent request: the agent protocol's routes and the package downloads
// (faces/native/staging-routes.ts) both authenticate with it.

/** the device credential the request carries */
export function deviceCredential(req: FastifyRequest): string {
  const token = bearerToken(req);
  if (!token) throw unauthenticated('send the device credential as "Authorization: Bearer <credential>"');
  return token;
}

/** the device behind the request's credential (every agent route but enrollment and check-in) */
export async function authenticatedDevice(store: Store, req: FastifyRequest) {
  return authenticateDevice(store, deviceCredential(req));
}
