import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { field, is, type ListQuery } from '../../core/query.ts';
import * as procedures from '../../services/procedures.ts';
import { Procedure, RunStart } from '../../wire/native.ts';
import { errors, Id, IdParam, ListOf, PageQuery } from './schemas.ts';

// Procedures (docs/scripts.md): an organization's catalogue of named scripts, and running one on a
// device now. Translation only: services/procedures.ts authorizes and decides; the Kaseya face serves
// the same procedures as agent procedures (schedules, history, quick launch).

const idOf = (req: { params: unknown }) => (req.params as { id: number }).id;
const ScriptBody = Type.Object(
  { shell: Type.Enum(['sh', 'bash', 'powershell']), code: Type.String({ minLength: 1, maxLength: 65_536 }) },
  { additionalProperties: false },
);
const LimitsBody = Type.Object(
  { timeLimitSeconds: Type.Optional(Type.Integer()), outputCapBytes: Type.Optional(Type.Integer()) },
  { additionalProperties: false },
);
const fields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  folder: Type.Optional(Type.String({ maxLength: 400 })),
  description: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
  script: ScriptBody,
  limits: Type.Optional(LimitsBody),
  quickLaunch: Type.Optional(Type.Boolean()),
  portal: Type.Optional(Type.Boolean()),
};
const SORTS: Record<string, string> = { name: 'name', folder: 'folder', createdAt: 'createdAt', id: 'id' };

export function procedureRoutes(app: FastifyInstance) {
  app.post(
    '/procedures',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['scripts'],
        summary: 'Add a procedure (a named script) to an organization (manage_policies and run_scripts)',
        body: Type.Object({ organizationId: Id, ...fields }, { additionalProperties: false }),
        response: { 201: Procedure, ...errors },
      },
    },
    async (req, reply) =>
      reply
        .status(201)
        .send(
          await procedures.createProcedure(
            req.ctx,
            req.body as { organizationId: number } & Record<string, unknown>,
          ),
        ),
  );
  app.get(
    '/procedures',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['scripts'],
        summary: 'The procedures of the organizations in scope',
        querystring: Type.Object({
          ...PageQuery,
          organizationId: Type.Optional(Id),
          quickLaunch: Type.Optional(Type.Boolean()),
        }),
        response: { 200: ListOf(Procedure), ...errors },
      },
    },
    async (req) => {
      const q = req.query as {
        limit?: number;
        offset?: number;
        sort?: string;
        organizationId?: number;
        quickLaunch?: boolean;
      };
      const limit = q.limit ?? 50;
      const offset = q.offset ?? 0;
      const sort = (q.sort ? q.sort.split(',') : ['name']).map((s) => {
        const name = SORTS[s.replace(/^-/, '')];
        if (!name) {
          const e = new Error(`cannot sort by ${s}; sortable fields: ${Object.keys(SORTS).join(', ')}`);
          (e as Error & { statusCode: number }).statusCode = 400;
          throw e;
        }
        return { by: field(name), direction: s.startsWith('-') ? ('desc' as const) : ('asc' as const) };
      });
      const query: ListQuery = {
        ...(q.organizationId !== undefined ? { filter: is('organizationId', q.organizationId) } : {}),
        sort,
        skip: offset,
        top: limit,
      };
      if (q.organizationId !== undefined) req.ctx.seeOrganization(q.organizationId);
      const r = await procedures.queryProcedures(req.ctx, query, q.quickLaunch ? { quickLaunch: true } : {});
      return { items: r.records, total: r.total, limit, offset };
    },
  );
  app.get(
    '/procedures/:id',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['scripts'],
        summary: 'One procedure',
        params: IdParam,
        response: { 200: Procedure, ...errors },
      },
    },
    async (req) => procedures.getProcedure(req.ctx, idOf(req)),
  );
  app.put(
    '/procedures/:id',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['scripts'],
        summary: 'Change a procedure (the fields given; runs already queued keep their script)',
        params: IdParam,
        body: Type.Partial(Type.Object(fields, { additionalProperties: false })),
        response: { 200: Procedure, ...errors },
      },
    },
    async (req) => procedures.updateProcedure(req.ctx, idOf(req), req.body),
  );
  app.delete(
    '/procedures/:id',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['scripts'],
        summary: 'Delete a procedure (its history stays; its schedules stop)',
        params: IdParam,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (req, reply) => {
      await procedures.deleteProcedure(req.ctx, idOf(req));
      return reply.status(204).send();
    },
  );
  app.post(
    '/procedures/:id/run',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['scripts'],
        summary: 'Run a procedure on one device now (run_scripts; refused while scripts are off)',
        params: IdParam,
        body: Type.Object({ deviceId: Id }, { additionalProperties: false }),
        response: { 202: RunStart, ...errors },
      },
    },
    async (req, reply) =>
      reply
        .status(202)
        .send(
          await procedures.runProcedureNow(req.ctx, (req.body as { deviceId: number }).deviceId, idOf(req)),
        ),
  );
}
