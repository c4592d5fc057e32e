import type { FastifyInstance } from 'fastify';
import { XMLParser } from 'fast-xml-parser';
import type { KRes } from './support.ts';

/**
 * One request to the Kaseya face with a body: an object is sent as JSON, a string as it is (with
 * `content-type` from `headers`, JSON by default), so tests can send the seed's own texts and XML.
 */
export async function kcall(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  authorization: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<KRes> {
  const r = await app.inject({
    method,
    url,
    headers: {
      ...(authorization ? { authorization } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.body);
  } catch {
    parsed = new XMLParser({ parseTagValue: false }).parse(r.body);
  }
  return { status: r.statusCode, body: parsed, text: r.body, headers: r.headers };
}
