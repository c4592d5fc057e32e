import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { SCRIPT_RUN_STATUSES } from '../../core/scripts/model.ts';
import * as scripts from '../../services/scripts.ts';
import { RunStart, ScriptRun, ScriptSettings } from '../../wire/native.ts';
import { errors, Id, IdParam, ListOf, pageOf, PageQuery } from './schemas.ts';

// Scripts agents run (docs/scripts.md): the organization's switch, run a script policy now, ad-hoc runs,
// the run history. Translation only: services/scripts.ts authorizes and decides.

const idOf = (req: { params: unknown }) => (req.params as { id: number }).id;
const ScriptBody = Type.Object(
  {
    shell: Type.Enum(['sh', 'bash', 'powershell']),
    code: Type.String({ minLength: 1, maxLength: 65_536 }),
  },
  { additionalProperties: false },
);
const LimitsBody = Type.Object(
  {
    timeLimitSeconds: Type.Optional(Type.Integer()),
    outputCapBytes: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);

export function scriptRoutes(app: FastifyInstance) {
  app.get(
    '/organizations/:id/script-settings',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['scripts'],
        summary: "The organization's script switch (off by default)",
        params: IdParam,
        response: { 200: ScriptSettings, ...errors },
      },
    },
    async (req) => scripts.scriptSettings(req.ctx, idOf(req)),
  );
  app.put(
    '/organizations/:id/script-settings',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['scripts'],
        summary: 'Turn scripts on or off for an organization (administer)',
        description:
          'While off, no worklet, required-software or ad-hoc script runs on its devices: run now and ad-hoc runs answer 409, ' +
          'scheduled runs are refused when they reach the agent; every refusal is in the event log.',
        params: IdParam,
        body: Type.Object({ scriptsEnabled: Type.Boolean() }, { additionalProperties: false }),
        response: { 200: ScriptSettings, ...errors },
      },
    },
    async (req) =>
      scripts.setScriptsEnabled(req.ctx, idOf(req), (req.body as { scriptsEnabled: boolean }).scriptsEnabled),
  );
  app.post(
    '/policies/:id/run',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['scripts'],
        summary: 'Run a worklet or required-software policy now, on all its devices or one',
        params: IdParam,
        body: Type.Optional(Type.Object({ deviceId: Type.Optional(Id) }, { additionalProperties: false })),
        response: { 202: RunStart, ...errors },
      },
    },
    async (req, reply) =>
      reply
        .status(202)
        .send(await scripts.runPolicyNow(req.ctx, idOf(req), (req.body as { deviceId?: number }) ?? {})),
  );
  app.post(
    '/script-runs',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['scripts'],
        summary: 'Run a script on some devices of one organization now (ad hoc)',
        body: Type.Object(
          {
            organizationId: Id,
            deviceIds: Type.Array(Id, { minItems: 1, maxItems: 1000 }),
            script: ScriptBody,
            limits: Type.Optional(LimitsBody),
          },
          { additionalProperties: false },
        ),
        response: { 202: RunStart, ...errors },
      },
    },
    async (req, reply) =>
      reply
        .status(202)
        .send(
          await scripts.runAdHocScript(req.ctx, req.body as Parameters<typeof scripts.runAdHocScript>[1]),
        ),
  );
  app.get(
    '/script-runs',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['scripts'],
        summary: 'Script runs in scope, newest first',
        querystring: Type.Object({
          ...PageQuery,
          organizationId: Type.Optional(Id),
          deviceId: Type.Optional(Id),
          policyId: Type.Optional(Id),
          status: Type.Optional(Type.Enum([...SCRIPT_RUN_STATUSES])),
        }),
        response: { 200: ListOf(ScriptRun), ...errors },
      },
    },
    async (req) => {
      const { limit, offset, sort, ...f } = req.query as scripts.ScriptRunFilter & {
        limit?: number;
        offset?: number;
        sort?: string;
      };
      return scripts.listScriptRuns(
        req.ctx,
        f,
        pageOf({ limit, offset, sort }, ['id', 'createdAt', 'finishedAt']),
      );
    },
  );
  app.get(
    '/script-runs/:id',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['scripts'],
        summary: 'One script run (output, exit code, timings)',
        params: IdParam,
        response: { 200: ScriptRun, ...errors },
      },
    },
    async (req) => scripts.getScriptRun(req.ctx, idOf(req)),
  );
  app.post(
    '/script-runs/:id/cancel',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['scripts'],
        summary: 'Cancel a script run its agent has not received yet',
        params: IdParam,
        response: { 200: ScriptRun, ...errors },
      },
    },
    async (req) => scripts.cancelScriptRun(req.ctx, idOf(req)),
  );
}
