import type { FastifyReply, FastifyRequest } from 'fastify';
import { XMLBuilder } from 'fast-xml-parser';
import type { HttpFailure } from '../shared/problem.ts';

// The Kaseya VSA response envelope (seed 004, "Sample Request and Response"):
// { TotalRecords?, Result, ResponseCode, Status, Error }, JSON by default, XML on `Accept: application/xml`.

export interface Envelope {
  TotalRecords?: number;
  Result: unknown;
  ResponseCode: number;
  Status: string;
  Error: string;
}

export const success = (result: unknown, totalRecords?: number): Envelope => ({
  ...(totalRecords === undefined ? {} : { TotalRecords: totalRecords }),
  Result: result,
  ResponseCode: 0,
  Status: 'OK',
  Error: 'None',
});

/** A failure: the HTTP status is also the (non-zero) ResponseCode; the message goes into Error. */
export const failure = (f: HttpFailure): Envelope => ({
  Result: null,
  ResponseCode: f.status,
  Status: 'Error',
  Error: f.message,
});

/** true when the client asks for XML (`application/xml` or `text/xml`) rather than JSON */
export function wantsXml(req: FastifyRequest): boolean {
  const accept = req.headers.accept ?? '';
  const types = accept.split(',').map((t) => t.split(';')[0]?.trim().toLowerCase() ?? '');
  const xml = types.findIndex((t) => t === 'application/xml' || t === 'text/xml');
  const json = types.findIndex((t) => t === 'application/json' || t === 'text/json');
  return xml >= 0 && (json < 0 || xml < json);
}

const builder = new XMLBuilder({ ignoreAttributes: true, format: false, suppressEmptyNode: true });

/** XML elements for a value; `item` names the element of each record of an array Result */
function toXmlValue(value: unknown, item: string): unknown {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return { [item]: value.map((v) => toXmlValue(v, 'Item')) };
  if (typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toXmlValue(v, 'Item')]),
    );
  return value;
}

export function renderXml(env: Envelope, item = 'Item'): string {
  const body = Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, k === 'Result' ? toXmlValue(v, item) : v]),
  );
  return `<?xml version="1.0" encoding="utf-8"?>${builder.build({ Response: body }) as string}`;
}

export function sendEnvelope(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  env: Envelope,
  item?: string,
) {
  reply.status(status);
  if (wantsXml(req)) return reply.type('application/xml; charset=utf-8').send(renderXml(env, item));
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(env));
}
