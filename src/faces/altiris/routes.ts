import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, invalid } from '../../core/errors.ts';
import { Throttled } from '../../services/auth.ts';
import { Context } from '../../services/context.ts';
import type { Store } from '../../store/db.ts';
import { authenticateFirst, oncePerRequest } from '../shared/authenticate-first.ts';
import { trackContext } from '../shared/authz-backstop.ts';
import { classify } from '../shared/problem.ts';
import { altirisActor, REALM, type AltirisAuthOptions } from './auth.ts';
import {
  CONTENT_TYPE,
  formFault,
  formResponse,
  NS,
  soapFault,
  soapResponse,
  styleOf,
  type FaultSide,
  type Style,
} from './envelope.ts';
import { METHODS, methodNamed } from './methods.ts';
import type { AltirisEnv, Args, Method, Param } from './table.ts';
import { helpPage } from './help.ts';
import { wsdl } from './wsdl.ts';
import { parseXml } from './xml.ts';

// The Symantec/Altiris ITMS Patch Management Workflow web service (seed 000), an ASMX service at
// /Altiris/PatchManagementCore/PatchWorkflowSvc.asmx, called three ways: SOAP 1.1 (text/xml with a
// SOAPAction header), SOAP 1.2 (application/soap+xml) and the HTTP form post to …asmx/MethodName.
// `GET …asmx?WSDL` serves the WSDL made from the same method table that dispatches the calls.
// Register with: app.register((a) => altirisRoutes(a, store, env), { prefix: '/Altiris/PatchManagementCore' })

export const SERVICE_PATH = '/PatchWorkflowSvc.asmx';

const INT32 = { min: -2147483648, max: 2147483647 };

/** reads the arguments of a call by the method's parameters; a wrong type is the caller's mistake */
function argsOf(m: Method, values: Map<string, string>, style: Style): Args {
  const has = (p: Param) => values.has(p.name);
  const param = (name: string, type: Param['type']) => {
    const p = m.params.find((x) => x.name === name && x.type === type);
    if (!p) throw new Error(`${m.name} declares no ${type} parameter ${name}`);
    return p;
  };
  const bad = (p: Param, message: string) =>
    invalid(`${m.name}: parameter '${p.name}' ${message}`, [{ path: p.name, message }]);
  const raw = (p: Param): string | undefined => {
    if (has(p)) return values.get(p.name)!;
    if (style === 'form') throw bad(p, `is missing (Missing parameter: ${p.name}.)`);
    return undefined;
  };
  return {
    str(name) {
      return raw(param(name, 'string')) ?? '';
    },
    bool(name) {
      const p = param(name, 'boolean');
      const v = raw(p);
      if (v === undefined) throw bad(p, 'is missing: a Boolean (true or false) is required');
      const t = v.trim().toLowerCase();
      if (t === 'true' || t === '1') return true;
      if (t === 'false' || t === '0') return false;
      throw bad(p, `must be a Boolean (true or false), got '${v.slice(0, 40)}'`);
    },
    int(name) {
      const p = param(name, 'int');
      const v = raw(p);
      if (v === undefined) throw bad(p, 'is missing: an Int32 is required');
      const t = v.trim();
      const n = /^[+-]?\d{1,11}$/.test(t) ? Number(t) : NaN;
      if (!Number.isInteger(n) || n < INT32.min || n > INT32.max)
        throw bad(p, `must be an Int32 (${INT32.min} to ${INT32.max}), got '${v.slice(0, 40)}'`);
      return n;
    },
  };
}

/** the method element of a SOAP envelope and its parameter values */
function readEnvelope(body: unknown): { name: string; values: Map<string, string> } {
  if (typeof body !== 'string') throw invalid('the request must be a SOAP envelope');
  const doc = parseXml(body);
  const env = doc.Envelope;
  if (!env || typeof env !== 'object')
    throw invalid('the request is not a SOAP envelope (no soap:Envelope root)');
  const b = (env as Record<string, unknown>).Body;
  if (!b || typeof b !== 'object' || Array.isArray(b))
    throw invalid('the SOAP envelope has no soap:Body holding a method element');
  const names = Object.keys(b);
  if (names.length !== 1) throw invalid('the soap:Body must hold exactly one method element');
  const name = names[0]!;
  const inner = (b as Record<string, unknown>)[name];
  const values = new Map<string, string>();
  if (inner !== '' && inner !== null && inner !== undefined) {
    if (typeof inner !== 'object' || Array.isArray(inner))
      throw invalid(`the method element ${name} must hold its parameters as child elements`);
    for (const [k, v] of Object.entries(inner)) {
      if (typeof v === 'object' && v !== null)
        throw invalid(`${name}: parameter '${k}' must be given once, as text`, [
          { path: k, message: 'must be text' },
        ]);
      values.set(k, String(v));
    }
  }
  return { name, values };
}

function formValues(body: unknown): Map<string, string> {
  const values = new Map<string, string>();
  if (body === undefined || body === null || body === '') return values;
  if (typeof body !== 'string') throw invalid('the form post must be application/x-www-form-urlencoded');
  for (const [k, v] of new URLSearchParams(body)) {
    if (values.has(k))
      throw invalid(`parameter '${k}' is given more than once`, [{ path: k, message: 'repeated' }]);
    values.set(k, v);
  }
  return values;
}

/** the SOAPAction header's method name: `"http://tempuri.org/Name"`, quotes optional; '' when absent */
function soapAction(req: FastifyRequest): string {
  const h = req.headers.soapaction;
  const v = (Array.isArray(h) ? h[0] : h)?.trim().replace(/^"(.*)"$/, '$1') ?? '';
  if (!v) {
    // SOAP 1.2 carries it as the action parameter of the Content-Type
    const m = /;\s*action\s*=\s*"?([^";]+)"?/i.exec(String(req.headers['content-type'] ?? ''));
    return m?.[1] ?? '';
  }
  return v;
}

export function altirisRoutes(
  app: FastifyInstance,
  store: Store,
  env: AltirisEnv,
  opts: AltirisAuthOptions = {},
) {
  // bodies are read by the handlers, so that a malformed one is answered in the caller's own style
  app.addContentTypeParser(
    ['text/xml', 'application/soap+xml', 'application/xml', 'application/x-www-form-urlencoded'],
    { parseAs: 'string' },
    (_req, body, done) => done(null, body),
  );

  const formPath = (req: FastifyRequest) => (req.routeOptions.url ?? '').endsWith('/:method');
  const send = (reply: FastifyReply, style: Style, status: number, payload: string) =>
    reply
      .code(status)
      .header(
        'content-type',
        style === 'form' && !payload.startsWith('<') ? 'text/plain; charset=utf-8' : CONTENT_TYPE[style],
      )
      .send(payload);

  const fault = (req: FastifyRequest, reply: FastifyReply, err: unknown) => {
    const style = styleOf(req.headers['content-type'], formPath(req));
    const f = classify(err);
    if (err instanceof DomainError && err.issues.every((i) => err.message.includes(i.message)))
      f.message = err.message;
    if (f.status >= 500) req.log.error({ err }, 'request failed');
    if (f.status === 401) void reply.header('www-authenticate', REALM);
    if (err instanceof Throttled) void reply.header('retry-after', String(err.retryAfterSeconds));
    // ASMX answers every fault with 500; who is at fault is in the fault code. Transport refusals (no
    // credentials, too many attempts, a body too large or of an unknown type) keep their HTTP status.
    const transport = f.status === 401 || f.status === 429 || f.status === 413 || f.status === 415;
    const side: FaultSide = f.status >= 500 ? 'server' : 'client';
    const status = transport ? f.status : 500;
    const message =
      f.status >= 500 ? 'Server was unable to process request. An internal error occurred.' : f.message;
    if (style === 'form') return send(reply, style, status, formFault(side, message));
    return send(
      reply,
      style,
      status,
      soapFault(style, side, `Server was unable to process request. ---> ${message}`),
    );
  };
  app.setErrorHandler((err, req, reply) => fault(req, reply, err));
  app.setNotFoundHandler((req, reply) =>
    reply
      .code(404)
      .header('content-type', 'text/plain; charset=utf-8')
      .send(`The resource ${req.url.split('?')[0]} cannot be found.`),
  );

  // the caller first, before the body is parsed (faces/shared/authenticate-first.ts), as with Windows
  // authentication
  const ctxOf = oncePerRequest(async (req) =>
    trackContext(req, new Context(store, await altirisActor(store, req, opts))),
  );
  authenticateFirst(app, ctxOf);

  const call = async (
    ctx: Context,
    reply: FastifyReply,
    style: Style,
    m: Method,
    values: Map<string, string>,
  ) => {
    const result = await m.run({ ctx, args: argsOf(m, values, style), env });
    if (style === 'form') {
      const payload = formResponse(m, result);
      return send(reply, style, 200, payload);
    }
    return send(reply, style, 200, soapResponse(style, m, result));
  };

  const address = (req: FastifyRequest) => `${req.protocol}://${req.host}${req.url.split('?')[0]}`;

  app.get(SERVICE_PATH, { config: { scope: 'public' } }, async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const keys = Object.keys(q).map((k) => k.toLowerCase());
    if (keys.includes('wsdl'))
      return reply.header('content-type', 'text/xml; charset=utf-8').send(wsdl(METHODS, address(req)));
    const op = typeof q.op === 'string' ? q.op : undefined;
    return reply.header('content-type', 'text/html; charset=utf-8').send(helpPage(METHODS, op));
  });

  app.post(SERVICE_PATH, { config: { scope: 'group' } }, async (req, reply) => {
    const style = styleOf(req.headers['content-type'], false);
    const ctx = await ctxOf(req);
    const action = soapAction(req);
    const { name, values } = readEnvelope(req.body);
    if (action) {
      const named = action.startsWith(NS) ? methodNamed(action.slice(NS.length)) : undefined;
      if (!named) throw invalid(`Server did not recognize the value of HTTP Header SOAPAction: ${action}.`);
      if (named.name !== name)
        throw invalid(`the SOAPAction ${action} names ${named.name} but the soap:Body holds ${name}`);
    }
    const m = methodNamed(name);
    if (!m)
      throw invalid(
        `Server did not recognize the method element ${name}: no such web method in PatchWorkflowSvc.`,
      );
    return call(ctx, reply, style, m, values);
  });

  app.post(`${SERVICE_PATH}/:method`, { config: { scope: 'group' } }, async (req, reply) => {
    const name = (req.params as { method: string }).method;
    const ctx = await ctxOf(req);
    const m = methodNamed(name);
    if (!m) throw invalid(`${name} Web Service method name is not valid.`);
    const ct = String(req.headers['content-type'] ?? '').toLowerCase();
    if (req.body !== undefined && req.body !== '' && !ct.startsWith('application/x-www-form-urlencoded'))
      throw invalid('a form post must be application/x-www-form-urlencoded');
    return call(ctx, reply, 'form', m, formValues(req.body));
  });
  // ASMX's HTTP GET protocol is off by default, as here: a GET of a method is refused in the form's way
  app.get(`${SERVICE_PATH}/:method`, { config: { scope: 'public' } }, async (req) => {
    const name = (req.params as { method: string }).method;
    throw invalid(`Request format is unrecognized for URL unexpectedly ending in '/${name}'.`);
  });
}
