import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import * as tasks from '../../services/tasks.ts';
import { Task, TaskInstance, TaskInstanceDetail } from '../../wire/native.ts';
import { errors, Id, IdParam } from './schemas.ts';

// Tasks and task instances: create (optionally scheduled), run now, list running, watch, stop, cancel.

const idOf = (req: { params: unknown }) => (req.params as { id: number }).id;

export function taskRoutes(app: FastifyInstance) {
  app.get(
    '/tasks',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['tasks'],
        summary: 'List tasks in scope (at most 1000, oldest first)',
        querystring: Type.Object({
          organizationId: Type.Optional(Id),
          kind: Type.Optional(Type.Enum([...tasks.TASK_KINDS])),
        }),
        response: { 200: Type.Object({ items: Type.Array(Task) }), ...errors },
      },
    },
    async (req) => ({
      items: await tasks.listTasks(req.ctx, req.query as { organizationId?: number; kind?: string }),
    }),
  );
  app.post(
    '/tasks',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['tasks'],
        summary: 'Create a task, scheduled when a (canonical) schedule is given',
        body: Type.Object(
          {
            organizationId: Id,
            kind: Type.String({ maxLength: 50 }),
            name: Type.Optional(Type.String({ maxLength: 200 })),
            parameters: Type.Optional(Type.Unknown()),
            schedule: Type.Optional(Type.Unknown()),
          },
          { additionalProperties: false },
        ),
        response: { 201: Task, ...errors },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await tasks.createTask(req.ctx, req.body as tasks.TaskInput)),
  );
  app.get(
    '/tasks/:id',
    {
      config: { scope: 'group' },
      schema: { tags: ['tasks'], summary: 'Get a task', params: IdParam, response: { 200: Task, ...errors } },
    },
    async (req) => tasks.getTask(req.ctx, idOf(req)),
  );
  app.post(
    '/tasks/:id/run',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['tasks'],
        summary: 'Start an instance of a task now',
        params: IdParam,
        response: { 201: TaskInstance, ...errors },
      },
    },
    async (req, reply) => reply.status(201).send(await tasks.runTask(req.ctx, idOf(req))),
  );
  app.get(
    '/task-instances',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['tasks'],
        summary: 'List running task instances, or the latest finished ones',
        description:
          'running=true (the default): the unfinished instances (NotStarted, Started, StopRequested). ' +
          'running=false: the finished ones (Completed, Failed), the newest first, at most limit (default 50), ' +
          'of one task with taskId.',
        querystring: Type.Object({
          running: Type.Optional(Type.Boolean({ default: true })),
          organizationId: Type.Optional(Id),
          taskId: Type.Optional(Id),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
        }),
        response: { 200: Type.Object({ items: Type.Array(TaskInstance) }), ...errors },
      },
    },
    async (req) => {
      const q = req.query as { running?: boolean; organizationId?: number; taskId?: number; limit?: number };
      if (q.running === false)
        return {
          items: await tasks.listFinishedInstances(req.ctx, {
            organizationId: q.organizationId,
            taskId: q.taskId,
            limit: q.limit,
          }),
        };
      return { items: await tasks.listRunningInstances(req.ctx, { organizationId: q.organizationId }) };
    },
  );
  app.get(
    '/task-instances/:id',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['tasks'],
        summary: 'A task instance with its per-device results',
        params: IdParam,
        response: { 200: TaskInstanceDetail, ...errors },
      },
    },
    async (req) => tasks.getInstance(req.ctx, idOf(req)),
  );
  for (const [action, fn, summary] of [
    ['stop', tasks.stopInstance, 'Ask the engine to stop an instance (one not started yet fails at once)'],
    ['cancel', tasks.cancelInstance, 'End an instance now and cancel its jobs no agent has picked up'],
  ] as const)
    app.post(
      `/task-instances/:id/${action}`,
      {
        config: { scope: 'group' },
        schema: { tags: ['tasks'], summary, params: IdParam, response: { 200: TaskInstance, ...errors } },
      },
      async (req) => fn(req.ctx, idOf(req)),
    );
}
