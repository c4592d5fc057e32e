import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticate } from '../../services/auth.ts';
import { Context } from '../../services/context.ts';
import type { Store } from '../../store/db.ts';
import { authenticateFirst, oncePerRequest } from '../shared/authenticate-first.ts';
import { trackContext } from '../shared/authz-backstop.ts';
import type { RouteScope } from '../shared/route-table.ts';
import { classify } from '../shared/problem.ts';
import { apiKeyOf, FACE } from './auth.ts';
import { AREAS } from './areas.ts';
import { errorOfDomain, readBody, rpcError, rpcResult, type RpcAnswer } from './jsonrpc.ts';

// GravityZone's public JSON-RPC 2.0 API (seed 002 and the methods around it), served at
// POST /api/v1.0/jsonrpc/{area} (DESIGN.md, "Where each face lives"); a client changes only the API URL.
// Register with: await app.register(async (g) => gravityzoneRoutes(g, store), { prefix: '/api/v1.0/jsonrpc' })
//
// - Each area is one route (its tenancy rule in its config); its methods are areas.ts's.
// - The body is read here (any Content-Type, as text): not JSON is -32700, a malformed request -32600, an
//   unknown method -32601, bad params -32602, all with HTTP 200; a bad API key is HTTP 401.
// - Every other path under /api/v1.0/jsonrpc (an unknown area, another HTTP method) answers in JSON-RPC
//   too, never in the Kaseya face's envelope, whose prefix /api/v1.0 surrounds this one.
// - One Context per request, for every call of a batch. It is registered with the authorization backstop
//   once a call has succeeded: an answer made only of errors needs no authorization check.

const send = (reply: FastifyReply, status: number, body: RpcAnswer | RpcAnswer[]) =>
  reply.status(status).type('application/json; charset=utf-8').send(JSON.stringify(body));

/** the calls of a body to a path that has no area: each answered "method not found" */
function noArea(req: FastifyRequest, reply: FastifyReply) {
  const area = req.url.split('?')[0]!.replace(/^\/api\/v1\.0\/jsonrpc\/?/, '');
  const details = `there is no API area "${area.slice(0, 80)}" at this URL; the areas are ${Object.keys(AREAS).join(', ')}`;
  if (req.method !== 'POST') return send(reply, 405, rpcError(null, 'request', `use POST: ${details}`));
  const read = readBody(typeof req.body === 'string' ? req.body : '');
  if ('jsonrpc' in read) return send(reply, 200, read);
  const answers = read.calls.map((c) => (c.ok ? rpcError(c.id, 'method', details) : c.answer));
  return send(reply, 200, read.batch ? answers : answers[0]!);
}

export function gravityzoneRoutes(app: FastifyInstance, store: Store) {
  // the body is JSON-RPC whatever the Content-Type says; it is parsed by readBody, which answers -32700
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err, req, reply) => {
    const f = classify(err);
    if (f.status === 401) {
      void reply.header('www-authenticate', 'Basic realm="GravityZone API"');
      return send(reply, 401, { ...rpcError(null, 'server', f.message) });
    }
    if (f.status >= 500) {
      req.log.error({ err }, 'request failed');
      return send(reply, f.status, rpcError(null, 'internal', f.message));
    }
    // the input guard's refusals and the transport's (a body too large): Invalid Request
    return send(reply, f.status === 413 ? 413 : 200, rpcError(null, 'request', f.message));
  });
  // the caller first, before the body is read (faces/shared/authenticate-first.ts)
  const ctxOf = oncePerRequest(
    async (req) =>
      new Context(store, await authenticate(store, apiKeyOf(req.headers.authorization), { face: FACE })),
  );
  authenticateFirst(app, ctxOf);
  app.setNotFoundHandler(noArea);
  app.all('/', { config: { scope: 'public' } }, noArea);
  app.all('/*', { config: { scope: 'public' } }, noArea);

  for (const [name, area] of Object.entries(AREAS)) {
    const scope: RouteScope = area.scope;
    app.post(`/${name}`, { config: { scope } }, async (req, reply) => {
      const ctx = await ctxOf(req);
      const read = readBody(typeof req.body === 'string' ? req.body : '');
      if ('jsonrpc' in read) return send(reply, 200, read);
      const answers: RpcAnswer[] = [];
      let succeeded = false;
      for (const call of read.calls) {
        if (!call.ok) {
          answers.push(call.answer);
          continue;
        }
        const method = Object.hasOwn(area.methods, call.method) ? area.methods[call.method] : undefined;
        let answer: RpcAnswer;
        if (!method)
          answer = rpcError(call.id, 'method', `the ${name} API has no method "${call.method.slice(0, 80)}"`);
        else
          try {
            answer = rpcResult(call.id, (await method(ctx, call.params)) ?? null);
            succeeded = true;
          } catch (e) {
            answer = errorOfDomain(call.id, e);
          }
        if (!call.notification) answers.push(answer);
      }
      if (succeeded) trackContext(req, ctx);
      if (!answers.length) return reply.status(204).send();
      return send(reply, 200, read.batch ? answers : answers[0]!);
    });
  }
}
