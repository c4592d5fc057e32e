import { createHash, randomInt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { XMLParser } from 'fast-xml-parser';
import { kaseyaRoutes } from '../../../src/faces/kaseya/routes.ts';
import { buildServer } from '../../../src/server.ts';
import { bootstrap } from '../../../src/services/bootstrap.ts';
import type { Store } from '../../../src/store/db.ts';
import { ADMIN_PASSWORD } from '../../support/api.ts';

/** the server (its Kaseya face at /api/v1.0), plus a copy of the face with 1 ms sessions at /short/api/v1.0 */
export async function startKaseyaApp(store: Store): Promise<FastifyInstance> {
  await bootstrap(store, ADMIN_PASSWORD);
  const app = await buildServer({
    config: { logLevel: 'silent', bodyLimit: 1024 * 1024 },
    store,
    logger: false,
  });
  await app.register(async (k) => kaseyaRoutes(k, store, { ttlMs: 1 }), { prefix: '/short/api/v1.0' });
  await app.ready();
  return app;
}

// The seed's sample client ("Sample VSA REST API Client"), step by step: hex digests of ASCII text.
const hash = (alg: 'sha1' | 'sha256', text: string) =>
  createHash(alg).update(Buffer.from(text, 'ascii')).digest('hex');

export function hashedPayload(
  user: string,
  password: string,
  random = String(randomInt(10_000_000, 99_999_999)),
) {
  const rawSha256 = hash('sha256', password);
  const coveredSha256 = hash('sha256', hash('sha256', password + user) + random);
  const rawSha1 = hash('sha1', password);
  const coveredSha1 = hash('sha1', hash('sha1', password + user) + random);
  const text = `user=${user},pass2=${coveredSha256},pass1=${coveredSha1},rpass2=${rawSha256},rpass1=${rawSha1},rand2=${random}`;
  return Buffer.from(text, 'utf8').toString('base64');
}

export interface KRes {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
  headers: Record<string, unknown>;
}

export async function kget(
  app: FastifyInstance,
  url: string,
  authorization?: string,
  headers: Record<string, string> = {},
): Promise<KRes> {
  const r = await app.inject({
    method: 'GET',
    url,
    headers: { ...(authorization ? { authorization } : {}), ...headers },
  });
  let body: unknown;
  try {
    body = JSON.parse(r.body);
  } catch {
    body = new XMLParser({ parseTagValue: false }).parse(r.body);
  }
  return { status: r.statusCode, body, text: r.body, headers: r.headers };
}

/** signs in with the hashed form and returns the Bearer header value */
export async function kaseyaSignIn(
  app: FastifyInstance,
  user: string,
  password: string,
  prefix = '/api/v1.0',
) {
  const r = await kget(app, `${prefix}/auth`, `Basic ${hashedPayload(user, password)}`);
  if (r.status !== 200) throw new Error(`Kaseya sign-in of ${user} failed: ${r.status} ${r.text}`);
  return `Bearer ${r.body.Result.Token as string}`;
}
