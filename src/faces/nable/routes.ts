import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, invalid, unauthenticated, type ErrorKind } from '../../core/errors.ts';
import { authenticate } from '../../services/auth.ts';
import {
  authenticateFirst,
  failureAfterAuthentication,
  oncePerRequest,
} from '../shared/authenticate-first.ts';
import { Context } from '../../services/context.ts';
import type { Store } from '../../store/db.ts';
import { trackContext } from '../shared/authz-backstop.ts';
import { classify } from '../shared/problem.ts';
import { serviceNamed, SERVICES, type ServiceSpec } from './catalog.ts';
import { describeParam, readParams, type Params } from './params.ts';
import { el, fields, renderDocument, type XmlElement } from './xml.ts';

// N-able N-sight RMM's Data Extraction API (seed 001, through its Python wrapper), at /api/:
// `GET /api/?apikey=KEY&service=NAME&…` or the same pairs in a POST form body. Answers are XML in
// ISO-8859-1 (xml.ts): `<result created host status="OK">…</result>`, or status="FAIL" with
// `<error><errorcode>…</errorcode><message>…</message></error>`.
//
// Decided here (the seed and N-sight's pages are silent or do not fit Patchline):
// - The key is a Patchline API key (`plk_…`), in `apikey`; `Authorization: Bearer <key>` works too
//   (keeps the key out of access logs). A call that carries a key in several places is judged by the
//   one of its query string, else of its Bearer header, else of its body: those two are known before the
//   body is read, and a caller without a valid key gets its 401 (error code 3) whatever its body is; a
//   body that cannot be parsed (malformed JSON, a form body with a malformed percent escape) carries no
//   key, and its 400 (error code 4) goes only to a caller whose key is valid.
// - Error codes: 1 unknown or missing service, 3 missing, unknown, expired or revoked key, 4 bad
//   parameters, an id that names nothing the key can see included (a device of another organization
//   answers exactly as one that does not exist), 5 not allowed (the key's role lacks the privilege),
//   2 anything else (conflict, busy). The HTTP status is the failure's (401, 400, 404, 403…) so that
//   HTTP clients see a failure too; the XML says the same in N-sight's words.
// - patch_list_all's answer has <patches> as its root, as N-sight documents it, with the created, host
//   and status attributes of <result> so that clients that read them find them.

export const FACE = 'nable';

const ERROR_CODE: Record<ErrorKind, number> = {
  invalid: 4,
  not_found: 4,
  unauthenticated: 3,
  forbidden: 5,
  conflict: 2,
  too_many: 2,
  unavailable: 2,
};
const UNKNOWN_SERVICE = 1;

/** the creation time as N-sight writes it: ISO 8601 to the second with the offset (+00:00) */
const created = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, '+00:00');

function send(req: FastifyRequest, reply: FastifyReply, status: number, root: XmlElement) {
  return reply.status(status).type('text/xml; charset=ISO-8859-1').send(renderDocument(root));
}

const resultAttrs = (req: FastifyRequest, status: 'OK' | 'FAIL') => ({
  created: created(new Date()),
  host: req.hostname || 'localhost',
  status,
});

function sendFailure(req: FastifyRequest, reply: FastifyReply, err: unknown) {
  const f = classify(err);
  if (f.status >= 500) req.log.error({ err }, 'request failed');
  const code =
    err instanceof UnknownService
      ? UNKNOWN_SERVICE
      : err instanceof DomainError
        ? ERROR_CODE[err.kind]
        : f.status === 401
          ? 3
          : f.status < 500
            ? 4
            : 2;
  return send(
    req,
    reply,
    f.status,
    el('result', [el('error', fields({ errorcode: code, message: f.message }))], resultAttrs(req, 'FAIL')),
  );
}

/** a call that names no service Patchline answers (error code 1) */
class UnknownService extends DomainError {
  constructor(message: string) {
    super('invalid', message, [{ path: 'service', message: 'names no service' }]);
  }
}

function serviceOf(p: Params): ServiceSpec {
  const name = (p.service ?? '').trim();
  const known = SERVICES.map((s) => s.name).join(', ');
  if (!name) throw new UnknownService(`name the service: service=NAME (one of ${known})`);
  const s = serviceNamed(name);
  if (!s) throw new UnknownService(`unknown service '${name}'; Patchline answers ${known}`);
  return s;
}

function description(s: ServiceSpec): XmlElement[] {
  return [
    el('service', [
      el('name', s.name),
      el('description', s.description),
      el(
        'parameters',
        s.parameters.map((p) =>
          el(
            'parameter',
            fields({
              name: p.name,
              type: p.type,
              required: p.required ? 'yes' : 'no',
              description: p.description,
            }),
          ),
        ),
      ),
      el(
        'output',
        s.output.map((o) => el('field', fields({ name: o.name, type: o.type, description: o.description }))),
      ),
    ]),
  ];
}

/** `apikey` of a parsed query string or body, when it is one non-empty text */
function apikeyIn(source: unknown): string | undefined {
  const v = source && typeof source === 'object' ? (source as Record<string, unknown>).apikey : undefined;
  const key = typeof v === 'string' ? v.trim() : '';
  return key || undefined;
}

/** the key a call carries outside its body: `apikey` of the query string, else a Bearer token */
function keyBeforeBody(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return apikeyIn(req.query) ?? m?.[1];
}

/**
 * the API key of a call: the one it carries outside its body (known before the body is read), else
 * `apikey` of the body once parsed (none when the body could not be parsed)
 */
function keyOf(req: FastifyRequest): string {
  const key = keyBeforeBody(req) ?? apikeyIn(req.body);
  if (key) return key;
  throw unauthenticated('send your API key: apikey=KEY');
}

/** a percent-encoded component of a form body, `+` a space; refuses a malformed escape or non-UTF-8 bytes */
function formComponent(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    throw invalid('the form body is malformed: percent escapes must be %XX and encode UTF-8 text', [
      { path: 'body', message: `cannot decode '${text.length > 40 ? `${text.slice(0, 40)}…` : text}'` },
    ]);
  }
}

/**
 * form bodies (application/x-www-form-urlencoded): every pair, a repeated name as a list; a body that is
 * not well-formed (a `%` not followed by two hex digits, escapes that are not UTF-8) is refused
 */
function formPairs(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const k = formComponent(eq < 0 ? pair : pair.slice(0, eq));
    const v = eq < 0 ? '' : formComponent(pair.slice(eq + 1));
    const prev = out[k];
    out[k] = prev === undefined ? v : [...[prev].flat(), v];
  }
  return out;
}

export function nableRoutes(app: FastifyInstance, store: Store) {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, formPairs(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });

  // the key first: without a valid one, nothing else is told (not even which services exist), nor is any
  // other parameter read. A key of the query string or a Bearer header is checked before the body is read;
  // a key of the form body once it is parsed, before it is checked; a body that cannot be read is refused
  // (400, 413, 415) only to a caller whose key is valid (faces/shared/authenticate-first.ts)
  const ctxOf = oncePerRequest(async (req) =>
    trackContext(req, new Context(store, await authenticate(store, keyOf(req), { face: FACE }))),
  );
  authenticateFirst(app, ctxOf, (req) => keyBeforeBody(req) !== undefined);
  app.setErrorHandler(async (err, req, reply) =>
    sendFailure(req, reply, await failureAfterAuthentication(req, err, ctxOf)),
  );
  const handle = async (req: FastifyRequest, reply: FastifyReply) => {
    const ctx = await ctxOf(req);
    const p = readParams(req.query, req.body);
    const service = serviceOf(p);
    const describe = describeParam(p);
    if (describe) {
      ctx.authorizeSelf(); // a description needs a valid key only
      return send(req, reply, 200, el('result', description(service), resultAttrs(req, 'OK')));
    }
    const content = await service.run(ctx, p);
    return send(req, reply, 200, el(service.root ?? 'result', content, resultAttrs(req, 'OK')));
  };
  for (const url of ['/api/', '/api'])
    app.route({ method: ['GET', 'POST'], url, config: { scope: 'group' }, handler: handle });
}
