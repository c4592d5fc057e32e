import type { FastifyInstance } from 'fastify';
import { XMLParser } from 'fast-xml-parser';
import { client } from '../../support/api.ts';

// Calls of N-sight's Data Extraction API against a test server, and their answers parsed.

export interface NsightAnswer {
  status: number;
  contentType: string;
  /** the body decoded as ISO-8859-1, as the answer declares */
  text: string;
  raw: Buffer;
  /** the parsed document (attributes under @_name, CDATA as text) */
  doc: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const parser = new XMLParser({
  ignoreAttributes: false,
  parseTagValue: false,
  htmlEntities: true,
  isArray: (name) =>
    ['client', 'site', 'server', 'workstation', 'patch', 'parameter', 'field'].includes(name),
});

export const parseAnswer = (raw: Buffer) => parser.parse(raw.toString('latin1')) as NsightAnswer['doc'];

/** GET /api/?params (or POST as a form body) */
export async function nsight(
  app: FastifyInstance,
  params: Record<string, string | number>,
  opts: { method?: 'GET' | 'POST'; path?: string } = {},
): Promise<NsightAnswer> {
  const qs = new URLSearchParams(
    Object.entries(params).map(([k, v]) => [k, String(v)] as [string, string]),
  ).toString();
  const path = opts.path ?? '/api/';
  const r =
    opts.method === 'POST'
      ? await app.inject({
          method: 'POST',
          url: path,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: qs,
        })
      : await app.inject({ method: 'GET', url: `${path}?${qs}` });
  const raw = r.rawPayload;
  return {
    status: r.statusCode,
    contentType: String(r.headers['content-type'] ?? ''),
    text: raw.toString('latin1'),
    raw,
    doc: parseAnswer(raw),
  };
}

/** the errorcode of a FAIL answer (undefined for OK) */
export const errorCode = (a: NsightAnswer): number | undefined => {
  const e = a.doc.result?.error?.errorcode;
  return e === undefined ? undefined : Number(e);
};

/** a Patchline API key of a user (the N-sight apikey) */
export async function apiKeyOf(admin: ReturnType<typeof client>): Promise<string> {
  const r = await admin.post('/api/v1/api-keys', { name: `nsight-${Math.random().toString(36).slice(2)}` });
  if (r.status !== 201) throw new Error(`api key: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.key as string;
}
