import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, invalid } from '../../core/errors.ts';
import { cases, evaluate, is, listInMemory } from '../../core/query.ts';
import { fromKaseya, kaseyaRecurrenceText, toKaseya } from '../../core/schedule/kaseya.ts';
import type { Schedule } from '../../core/schedule/model.ts';
import { parsePrompts, type ScriptPrompt } from '../../core/scripts/index.ts';
import {
  askBeforeExecuting,
  cancelProcedure,
  queryProcedureHistory,
  queryProcedures,
  runProcedureNow,
  scheduledProcedures,
  scheduleProcedure,
  setAskBeforeExecuting,
  setQuickLaunch,
  type ProcedureView,
  type ScheduledProcedureView,
} from '../../services/procedures.ts';
import type { DeviceRunEntry } from '../../store/repos/procedures-repo.ts';
import { parseDecimalId, renderDecimalId } from '../shared/ids.ts';
import { toListQuery, type FieldMap } from '../shared/odata/index.ts';
import { Body } from './body.ts';
import { vsaDate } from './dates.ts';
import { spec } from './fields.ts';
import type { PatchDeps } from './patch.ts';

// The Agent Procedures chapter of seed 004 under /api/v1.0/automation: the catalogue, quick launch, the
// user portal, run now, schedule, the scheduled list, history and cancel. A procedure is a Patchline
// procedure (services/procedures.ts): a named script of an organization, run by the agent through the
// one script runner, refused while the organization's script switch is off (the error says how to turn
// it on). Procedures are written through the native API (POST /api/v1/procedures); VSA's REST API has
// no call that creates one.
//
// Decided where the seed is silent or contradicts itself:
// - Run now and schedule answer 200 with the envelope and `Result: true` (as the sample response model),
//   not the 204 the prose mentions; an unknown procedure or one outside the agent's organization is 404.
// - Schedule without Recurrence and Start runs now, as does a schedule whose only occurrence is past
//   (Repeat Never with a past StartOn). ScriptPrompts set variables of those names at the top of the
//   script (core withPrompts); Caption is for people and ignored.
// - The scheduled list carries the sample response's fields (AgentProcedureName, NextExecTime, Status,
//   Admin, and Recurrence as VSA's one-line text) and the model's (AgentId, ServerTimeZone, SkipIfOffLine,
//   PowerUpIfOffLine, ScriptPrompts); the model's Recurrence/Distribution/Start/Exclusion object is in
//   Attributes.Schedule. Status is the latest run's, in the history's words.
// - History lists every script the agent ran or was asked to run (procedures, worklets, ad-hoc scripts);
//   Attributes hold the run id, the exit code and the output (stdout, stderr, cut at the output cap).
// - Cancel (DELETE /automation/agentprocs/{agentId}/{agentProcId}) stops the procedure's schedules on the
//   agent and cancels its runs the agent has not received; 404 when nothing of it waits.
// - "Ask before executing" (PUT …/quicklaunch/askbeforeexecuting) reads `flag` from the query string,
//   a `flag` header, or the body (`true`, or `{"flag": true}`).

type Params = Record<string, string>;

/** a service's not found in the seed's words: a device is an agent, a procedure an agent procedure */
async function inSeedWords<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof DomainError && e.kind === 'not_found')
      throw new DomainError(
        'not_found',
        e.message.replace(/^device\b/, 'agent').replace(/^procedure\b/, 'agent procedure'),
      );
    throw e;
  }
}

const RUN_STATUS_TEXT: Readonly<Record<string, string>> = {
  succeeded: 'Success',
  failed: 'Failed',
  timed_out: 'Timed Out',
  cancelled: 'Cancelled',
  refused: 'Refused',
  queued: 'Pending',
  running: 'Running',
};
const statusText = (statusField: string) =>
  cases(
    Object.entries(RUN_STATUS_TEXT).map(([k, v]) => [is(statusField, k), v]),
    null,
  );

export const procedureFields: FieldMap = {
  AgentProcedureId: spec('id', 'integer'),
  AgentProcedureName: spec('name', 'string'),
  Path: spec('folder', 'string'),
  Description: spec('description', 'string'),
};

export const historyFields: FieldMap = {
  ScriptName: spec('name', 'string'),
  LastExecutionTime: spec('lastExecutionAt', 'datetime'),
  Status: spec(statusText('status'), 'string'),
  Admin: spec('startedBy', 'string'),
};

const scheduledFields: FieldMap = {
  AgentProcedureId: spec('procedureId', 'integer'),
  AgentProcedureName: spec('procedureName', 'string'),
  AgentId: spec('deviceId', 'integer'),
  NextExecTime: spec('nextDueAt', 'datetime'),
  Status: spec(statusText('lastStatus'), 'string'),
  Admin: spec('createdBy', 'string'),
  Recurrence: spec('recurrence', 'string'),
};

export const renderProcedure = (p: ProcedureView) => ({
  AgentProcedureId: p.id,
  AgentProcedureName: p.name,
  Path: p.folder,
  Description: p.description,
  Attributes: {
    OrgId: renderDecimalId(p.organizationId),
    Shell: p.script.shell,
    QuickLaunch: p.quickLaunch,
    Portal: p.portal,
  },
});

const renderRun = (r: DeviceRunEntry) => ({
  ScriptName: r.name,
  LastExecutionTime: vsaDate('LastExecutionTime', r.last_execution_at),
  Status: RUN_STATUS_TEXT[r.status] ?? r.status,
  Admin: r.started_by,
  Attributes: {
    RunId: r.id,
    AgentProcedureId: r.procedure_id,
    ExitCode: r.exit_code,
    Output: r.stdout,
    ErrorOutput: r.stderr,
    Truncated: r.truncated,
    Error: r.error,
  },
});

function kaseyaScheduleOf(s: Schedule): unknown {
  try {
    const k = toKaseya(s);
    const endOn = k.Recurrence.EndOn;
    return {
      ...k,
      Recurrence: {
        ...k.Recurrence,
        ...(endOn !== undefined ? { EndOn: vsaDate('EndOn', endOn) } : {}),
      },
      Start: { ...k.Start, StartOn: vsaDate('StartOn', k.Start.StartOn) },
    };
  } catch {
    return null; // made elsewhere in a form VSA cannot write; the text says what it is
  }
}

/** the domain record a scheduled entry's fields read (scheduledFields) */
const scheduledRecord = (v: ScheduledProcedureView) => ({
  ...v,
  lastStatus: v.lastRun?.status ?? null,
  recurrence: kaseyaRecurrenceText(v.schedule),
});

const renderScheduled = (r: ReturnType<typeof scheduledRecord>) => ({
  AgentProcedureId: r.procedureId,
  AgentProcedureName: r.procedureName,
  AgentId: renderDecimalId(r.deviceId),
  NextExecTime: vsaDate('NextExecTime', r.nextDueAt),
  Status: evaluate(scheduledFields.Status!.expr, r),
  Admin: r.createdBy,
  Recurrence: r.recurrence,
  ServerTimeZone: r.schedule.zone.kind === 'server',
  SkipIfOffLine: r.options.skipIfOffline ?? false,
  PowerUpIfOffLine: r.options.powerUpIfOffline ?? false,
  ScriptPrompts: r.options.prompts.map((p) => ({ Caption: p.name, Name: p.name, Value: p.value })),
  Attributes: { TaskId: r.taskId, Schedule: kaseyaScheduleOf(r.schedule), LastRunId: r.lastRun?.id ?? null },
});

const SCHEDULE_FIELDS = [
  'AgentProcedureId',
  'AgentId',
  'ServerTimeZone',
  'SkipIfOffLine',
  'PowerUpIfOffLine',
  'ScriptPrompts',
  'Recurrence',
  'Distribution',
  'Start',
  'Exclusion',
  'Attributes',
];

/** ScriptPrompts [{Caption, Name, Value}] → the variables of the run */
function prompts(body: Record<string, unknown>): ScriptPrompt[] {
  const v = body.ScriptPrompts;
  if (v === undefined || v === null || v === '') return [];
  if (!Array.isArray(v))
    throw invalid('ScriptPrompts must be a list of {Caption, Name, Value}', [
      { path: '/ScriptPrompts', message: 'must be a list' },
    ]);
  return parsePrompts(
    v.map((p: unknown, i) => {
      const b = Body.of(p, ['Caption', 'Name', 'Value'], 'script prompt', `ScriptPrompts/${i}/`);
      b.text('Caption');
      return { name: b.text('Name'), value: b.text('Value') ?? '' };
    }),
    'ScriptPrompts',
  );
}

/** `flag` of "Set 'Ask Before Running'": query, header or body */
function flagOf(req: FastifyRequest): boolean {
  const q = (req.query as Record<string, unknown>).flag;
  const h = req.headers.flag;
  const body = req.body;
  const raw =
    q ??
    h ??
    (body !== null && typeof body === 'object' && !Array.isArray(body)
      ? (body as Record<string, unknown>).flag
      : body);
  const text =
    typeof raw === 'boolean' ? String(raw) : typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (text === 'true' || text === 'false') return text === 'true';
  throw invalid('flag must be true or false (in the query string, a header or the body)', [
    { path: '/flag', message: 'must be true or false' },
  ]);
}

export function procedureRoutes(app: FastifyInstance, deps: PatchDeps) {
  const { ctxOf, ok, listed, options } = deps;
  const done = (req: FastifyRequest, reply: FastifyReply) => ok(req, reply, true);
  const agentId = (req: FastifyRequest) => parseDecimalId((req.params as Params).agentId ?? '', 'agent');
  const procId = (req: FastifyRequest, param: string) =>
    parseDecimalId((req.params as Params)[param] ?? '', 'agent procedure');

  const catalogue =
    (only: { quickLaunch?: boolean; portal?: boolean }) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      const ctx = await ctxOf(req);
      const r = await queryProcedures(ctx, toListQuery(options(req), procedureFields), only);
      return listed(
        req,
        reply,
        { records: r.records.map(renderProcedure), total: r.total },
        'AgentProcedure',
      );
    };
  app.get('/automation/agentprocs', { config: { scope: 'organization' } }, catalogue({}));
  app.get(
    '/automation/agentprocs/quicklaunch',
    { config: { scope: 'organization' } },
    catalogue({ quickLaunch: true }),
  );
  app.get('/automation/agentprocsportal', { config: { scope: 'organization' } }, catalogue({ portal: true }));

  app.get(
    '/automation/agentprocs/quicklaunch/askbeforeexecuting',
    { config: { scope: 'self' } },
    async (req, reply) => ok(req, reply, await askBeforeExecuting(await ctxOf(req))),
  );
  app.put(
    '/automation/agentprocs/quicklaunch/askbeforeexecuting',
    { config: { scope: 'self' } },
    async (req, reply) => {
      const ctx = await ctxOf(req);
      await setAskBeforeExecuting(ctx, flagOf(req));
      return done(req, reply);
    },
  );
  app.put(
    '/automation/agentprocs/quicklaunch/:agentProcedureId',
    { config: { scope: 'organization' } },
    async (req, reply) => {
      const ctx = await ctxOf(req);
      await inSeedWords(() => setQuickLaunch(ctx, procId(req, 'agentProcedureId'), true));
      return done(req, reply);
    },
  );
  app.delete(
    '/automation/agentprocs/quicklaunch/:agentProcId',
    { config: { scope: 'organization' } },
    async (req, reply) => {
      const ctx = await ctxOf(req);
      await inSeedWords(() => setQuickLaunch(ctx, procId(req, 'agentProcId'), false));
      return done(req, reply);
    },
  );

  app.get(
    '/automation/agentprocs/:agentId/scheduledprocs',
    { config: { scope: 'group' } },
    async (req, reply) => {
      const ctx = await ctxOf(req);
      const id = agentId(req);
      const q = toListQuery(options(req), scheduledFields);
      const all = (await inSeedWords(() => scheduledProcedures(ctx, id))).map(scheduledRecord);
      const r = listInMemory(all, q);
      return listed(
        req,
        reply,
        { records: r.records.map(renderScheduled), total: r.total },
        'ScheduledProcedure',
      );
    },
  );

  app.get('/automation/agentprocs/:agentId/history', { config: { scope: 'group' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    const id = agentId(req);
    const q = toListQuery(options(req), historyFields);
    const r = await inSeedWords(() => queryProcedureHistory(ctx, id, q));
    return listed(req, reply, { records: r.records.map(renderRun), total: r.total }, 'ProcedureHistory');
  });

  app.put(
    '/automation/agentprocs/:agentId/:agentProcId/runnow',
    { config: { scope: 'group' } },
    async (req, reply) => {
      const ctx = await ctxOf(req);
      const id = agentId(req);
      const proc = procId(req, 'agentProcId');
      // the seed sends no body; a body may carry ScriptPrompts as the schedule call does
      const body = req.body === undefined || req.body === null ? {} : req.body;
      Body.of(body, ['ScriptPrompts', 'Attributes'], 'run');
      await inSeedWords(() => runProcedureNow(ctx, id, proc, prompts(body as Record<string, unknown>)));
      return done(req, reply);
    },
  );

  app.put(
    '/automation/agentprocs/:agentId/:agentProcId/schedule',
    { config: { scope: 'group' } },
    async (req, reply) => {
      const ctx = await ctxOf(req);
      const id = agentId(req);
      const proc = procId(req, 'agentProcId');
      const b = Body.of(req.body, SCHEDULE_FIELDS, 'agent procedure schedule');
      const inBody = b.id('AgentProcedureId');
      if (inBody != null && inBody !== proc)
        throw invalid(`AgentProcedureId ${inBody} in the body differs from ${proc} in the path`, [
          { path: '/AgentProcedureId', message: `must be ${proc}, the id in the path, or be left out` },
        ]);
      const agentInBody = b.id('AgentId');
      if (agentInBody != null && agentInBody !== id)
        throw invalid(`AgentId ${agentInBody} in the body differs from ${id} in the path`, [
          { path: '/AgentId', message: `must be ${id}, the id in the path, or be left out` },
        ]);
      b.bool('ServerTimeZone');
      b.object('Attributes');
      const body = req.body as Record<string, unknown>;
      const skip = b.bool('SkipIfOffLine');
      const wake = b.bool('PowerUpIfOffLine');
      const opts = {
        prompts: prompts(body),
        ...(skip != null ? { skipIfOffline: skip } : {}),
        ...(wake != null ? { powerUpIfOffline: wake } : {}),
      };
      const now = (body.Recurrence ?? null) === null && (body.Start ?? null) === null;
      await inSeedWords<unknown>(() =>
        now
          ? runProcedureNow(ctx, id, proc, opts.prompts)
          : scheduleProcedure(ctx, id, proc, fromKaseya(body), opts),
      );
      return done(req, reply);
    },
  );

  app.delete(
    '/automation/agentprocs/:agentId/:agentProcId',
    { config: { scope: 'group' } },
    async (req, reply) => {
      const ctx = await ctxOf(req);
      const id = agentId(req);
      await inSeedWords(() => cancelProcedure(ctx, id, procId(req, 'agentProcId')));
      return done(req, reply);
    },
  );
}
