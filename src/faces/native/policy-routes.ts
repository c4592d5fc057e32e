import type { FastifyInstance } from 'fastify';
import { invalid } from '../../core/errors.ts';
import { POLICY_KINDS } from '../../core/policies/kinds.ts';
import { Type, type TSchema } from 'typebox';
import * as policies from '../../services/policies.ts';
import * as windows from '../../services/windows.ts';
import {
  convertSchedule,
  previewPolicy,
  SCHEDULE_FORMATS,
  type ConvertRequest,
} from '../../services/preview.ts';
import { Converted, MaintenanceWindow, Policy, PolicyPreview, WindowOccurrences } from '../../wire/native.ts';
import { DateTime, errors, Id, IdParam, Nullable } from './schemas.ts';

// Patch policies, maintenance windows, policy preview and schedule conversion. Translation only: the
// services validate (core parsers) and check access.

const Items = <T extends TSchema>(t: T) => Type.Object({ items: Type.Array(t) });
// the policy body is validated by core parsePolicy (precise, all issues at once): only its envelope here
const PolicyBody = Type.Object({ organizationId: Id }, { additionalProperties: true });
/**
 * PUT takes what GET answers: the fields the server keeps (id, organizationId, taskId, nextRunAt,
 * createdBy, createdAt, updatedAt) may come along and are ignored, except that an id or an organization
 * other than the policy's is refused (a body copied from another policy)
 */
const READ_ONLY = {
  id: Type.Optional(Id),
  organizationId: Type.Optional(Id),
  taskId: Type.Optional(Nullable(Id)),
  nextRunAt: Type.Optional(Nullable(DateTime)),
  createdBy: Type.Optional(Type.String({ maxLength: 200 })),
  createdAt: Type.Optional(DateTime),
  updatedAt: Type.Optional(DateTime),
};
const ReplaceBody = Type.Object(READ_ONLY, { additionalProperties: true });
const Assignments = Type.Object(
  {
    policies: Type.Optional(Type.Array(Id, { maxItems: 10_000 })),
    groups: Type.Optional(Type.Array(Id, { maxItems: 10_000 })),
  },
  { additionalProperties: false },
);
const Format = Type.Enum([...SCHEDULE_FORMATS]);

const idOf = (req: { params: unknown }) => (req.params as { id: number }).id;

export function policyRoutes(app: FastifyInstance) {
  // ---- policies ----
  app.get(
    '/policies',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['policies'],
        summary: 'List policies in scope (every kind, or one kind)',
        querystring: Type.Object({
          organizationId: Type.Optional(Id),
          q: Type.Optional(Type.String({ maxLength: 200 })),
          kind: Type.Optional(Type.Enum([...POLICY_KINDS])),
        }),
        response: { 200: Items(Policy), ...errors },
      },
    },
    async (req) => ({
      items: await policies.listPolicies(req.ctx, req.query as Parameters<typeof policies.listPolicies>[1]),
    }),
  );
  app.post(
    '/policies',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['policies'],
        summary: 'Create a patch policy (rule, targets, schedule, behaviour)',
        description:
          'The body is the native policy shape (name, notes, enabled, rule, targets, schedule, behaviour) plus organizationId; ' +
          "`kind` 'worklet' or 'required-software' carries `worklet` or `requiredSoftware` instead of `rule` (docs/scripts.md). " +
          'schedule is the canonical schedule model. A scheduled policy gets an install task the engine fires.',
        body: PolicyBody,
        response: { 201: Policy, ...errors },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await policies.createPolicy(req.ctx, req.body as policies.PolicyInput)),
  );
  app.get(
    '/policies/:id',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['policies'],
        summary: 'Get a patch policy',
        params: IdParam,
        response: { 200: Policy, ...errors },
      },
    },
    async (req) => policies.getPolicy(req.ctx, idOf(req)),
  );
  app.put(
    '/policies/:id',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['policies'],
        summary: 'Replace a patch policy (the body of create; organizationId may be omitted)',
        description:
          "What GET answers is a body PUT takes unchanged: the server's own fields (id, taskId, nextRunAt, " +
          'createdBy, createdAt, updatedAt) are ignored; an id or organizationId other than the policy’s is refused.',
        params: IdParam,
        body: ReplaceBody,
        response: { 200: Policy, ...errors },
      },
    },
    async (req) => {
      const {
        id,
        taskId: _task,
        nextRunAt: _next,
        createdBy: _by,
        createdAt: _at,
        updatedAt: _updated,
        ...body
      } = req.body as Record<string, unknown>;
      if (id !== undefined && id !== idOf(req))
        throw invalid(`the body is policy ${String(id)}, not policy ${idOf(req)}`, [
          { path: 'id', message: `must be ${idOf(req)} or absent` },
        ]);
      return policies.updatePolicy(req.ctx, idOf(req), body);
    },
  );
  for (const [action, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const)
    app.post(
      `/policies/:id/${action}`,
      {
        config: { scope: 'group' },
        schema: {
          tags: ['policies'],
          summary: `${action === 'enable' ? 'Enable' : 'Disable'} a patch policy (and its scheduled task)`,
          params: IdParam,
          response: { 200: Policy, ...errors },
        },
      },
      async (req) => policies.setPolicyEnabled(req.ctx, idOf(req), enabled),
    );
  app.delete(
    '/policies/:id',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['policies'],
        summary: 'Delete a patch policy and its task',
        params: IdParam,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (req, reply) => {
      await policies.deletePolicy(req.ctx, idOf(req));
      return reply.status(204).send();
    },
  );
  app.get(
    '/policies/:id/occurrences',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['policies'],
        summary: "The next occurrences of a policy's schedule (in its organization's time zone)",
        params: IdParam,
        querystring: Type.Object({
          count: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 5 })),
        }),
        response: { 200: Type.Object({ occurrences: Type.Array(DateTime) }), ...errors },
      },
    },
    async (req) => ({
      occurrences: await policies.policyOccurrences(
        req.ctx,
        idOf(req),
        (req.query as { count?: number }).count ?? 5,
      ),
    }),
  );
  app.get(
    '/policies/:id/preview',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['policies'],
        summary:
          'Dry run: the devices a policy targets, what it would install on each, and when (device time)',
        params: IdParam,
        response: { 200: PolicyPreview, ...errors },
      },
    },
    async (req) => previewPolicy(req.ctx, idOf(req)),
  );

  // ---- maintenance windows ----
  app.get(
    '/maintenance-windows',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['maintenance windows'],
        summary: 'List maintenance windows in scope',
        querystring: Type.Object({ organizationId: Type.Optional(Id) }),
        response: { 200: Items(MaintenanceWindow), ...errors },
      },
    },
    async (req) => ({ items: await windows.listWindows(req.ctx, req.query as { organizationId?: number }) }),
  );
  app.post(
    '/maintenance-windows',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['maintenance windows'],
        summary: 'Create a maintenance window (name unique per organization, 1–80 characters)',
        body: Type.Object(
          {
            organizationId: Id,
            name: Type.Unknown(),
            settings: Type.Unknown(),
            assignments: Type.Optional(Assignments),
          },
          { additionalProperties: false },
        ),
        response: { 201: MaintenanceWindow, ...errors },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await windows.createWindow(req.ctx, req.body as windows.WindowInput)),
  );
  app.get(
    '/maintenance-windows/:id',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['maintenance windows'],
        summary: 'Get a maintenance window',
        params: IdParam,
        response: { 200: MaintenanceWindow, ...errors },
      },
    },
    async (req) => windows.getWindow(req.ctx, idOf(req)),
  );
  app.patch(
    '/maintenance-windows/:id',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['maintenance windows'],
        summary: 'Rename a window, replace its settings or its assignments',
        params: IdParam,
        body: Type.Object(
          {
            name: Type.Optional(Type.Unknown()),
            settings: Type.Optional(Type.Unknown()),
            assignments: Type.Optional(Assignments),
          },
          { additionalProperties: false },
        ),
        response: { 200: MaintenanceWindow, ...errors },
      },
    },
    async (req) => windows.updateWindow(req.ctx, idOf(req), req.body as { name?: string }),
  );
  app.delete(
    '/maintenance-windows/:id',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['maintenance windows'],
        summary: 'Delete a maintenance window',
        params: IdParam,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (req, reply) => {
      await windows.deleteWindow(req.ctx, idOf(req));
      return reply.status(204).send();
    },
  );
  app.get(
    '/maintenance-windows/:id/occurrences',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['maintenance windows'],
        summary:
          "A window's occurrences from a moment (default now) for some days (default 28), each with the end of " +
          'its daily window and what it governs (scan, security, nonSecurity, manuallyApproved)',
        params: IdParam,
        querystring: Type.Object({
          from: Type.Optional(DateTime),
          days: Type.Optional(
            Type.Integer({ minimum: 1, maximum: windows.MAX_OCCURRENCE_DAYS, default: 28 }),
          ),
        }),
        response: {
          200: WindowOccurrences,
          ...errors,
        },
      },
    },
    async (req) => {
      const q = req.query as { from?: string; days?: number };
      return windows.windowOccurrences(req.ctx, idOf(req), {
        from: q.from === undefined ? undefined : new Date(q.from),
        days: q.days,
      });
    },
  );

  // ---- schedules ----
  app.post(
    '/schedules/convert',
    {
      config: { scope: 'self' },
      schema: {
        tags: ['schedules'],
        summary: 'Convert a schedule between formats and list its next occurrences',
        body: Type.Object(
          {
            from: Format,
            to: Format,
            value: Type.Unknown(),
            count: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
            startDate: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
            timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Converted,
          ...errors,
        },
      },
    },
    async (req) => convertSchedule(req.ctx, req.body as ConvertRequest),
  );
}
