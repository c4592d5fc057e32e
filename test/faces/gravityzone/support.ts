import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { authenticate } from '../../../src/services/auth.ts';
import { Context } from '../../../src/services/context.ts';
import { createApiKey } from '../../../src/services/identity.ts';
import type { Store } from '../../../src/store/db.ts';
import { client } from '../../support/api.ts';

export const GZ = '/api/v1.0/jsonrpc';

/** GravityZone's credential: Basic base64(apiKey + ":") */
export const gzAuth = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

/** a new API key of a user, made through the service as its owner would */
export async function apiKeyOf(app: FastifyInstance, store: Store, username: string, password: string) {
  const r = await client(app).post('/api/v1/auth/login', { username, password });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const ctx = new Context(store, await authenticate(store, r.body.token));
  return (await createApiKey(ctx, { name: `${username}-gz-${Math.random().toString(36).slice(2, 8)}` })).key;
}

export interface RpcRes {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
  headers: Record<string, unknown>;
}

/** POSTs a raw body to an area */
export async function post(
  app: FastifyInstance,
  area: string,
  payload: string,
  authorization?: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<RpcRes> {
  const r = await app.inject({
    method: 'POST',
    url: `${GZ}/${area}`,
    headers: { ...headers, ...(authorization ? { authorization } : {}) },
    payload,
  });
  let body: unknown;
  try {
    body = r.body ? JSON.parse(r.body) : undefined;
  } catch {
    body = undefined;
  }
  return { status: r.statusCode, body, text: r.body, headers: r.headers };
}

let seq = 0;

/** one JSON-RPC call; returns the whole answer */
export async function rpc(
  app: FastifyInstance,
  key: string,
  area: string,
  method: string,
  params: unknown = {},
): Promise<RpcRes> {
  const id = `req-${++seq}`;
  const r = await post(app, area, JSON.stringify({ id, jsonrpc: '2.0', method, params }), gzAuth(key));
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.id, id);
  assert.equal(r.body.jsonrpc, '2.0');
  return r;
}

/** a call that must succeed: its result */
export async function ok(
  app: FastifyInstance,
  key: string,
  area: string,
  method: string,
  params: unknown = {},
) {
  const r = await rpc(app, key, area, method, params);
  assert.ok(!('error' in r.body), `${method}: ${r.text}`);
  return r.body.result;
}

/** a call that must fail: its error */
export async function fails(
  app: FastifyInstance,
  key: string,
  area: string,
  method: string,
  params: unknown = {},
): Promise<{ code: number; message: string; data: { details: string } }> {
  const r = await rpc(app, key, area, method, params);
  assert.ok(r.body.error, `${method} should fail: ${r.text}`);
  assert.ok(!('result' in r.body));
  return r.body.error;
}
