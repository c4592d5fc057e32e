import type { FastifyInstance, FastifyRequest } from 'fastify';
import { coalesce, concat, evaluate, field } from '../../core/query.ts';
import { queryDeviceLog, type DeviceLog, type DeviceLogEntry } from '../../services/device-logs.ts';
import { parseDecimalId } from '../shared/ids.ts';
import { toListQuery, type FieldMap } from '../shared/odata/index.ts';
import { vsaDate } from './dates.ts';
import { spec } from './fields.ts';
import type { PatchDeps } from './patch.ts';
import { seedNotFound } from './resources.ts';

// The agent logs of seed 004's Logs chapter that Patchline keeps, read from the event log
// (services/device-logs.ts; which events make up each log: core/device-logs.ts):
//   GET /assetmgmt/logs/{agentguid}/agent                 Time, Event
//   GET /assetmgmt/logs/{agentguid}/agentprocedure        LastExecution, ProcedureHistory, Status, Admin
//   GET /assetmgmt/logs/{agentguid}/configurationchanges  Time, Event
// Newest first unless $orderby says otherwise. Event is the event's kind and who caused it
// ("job.succeeded by web-01"); Attributes carry the event's id and data. In the procedure log,
// ProcedureHistory is the procedure's (or policy's) name, Status the step's state (queued, started,
// succeeded, failed, timed_out, cancelled, refused) and Admin who asked for the run.
// The `{agentguid}` of these paths is the agent's id, as everywhere in this face.

const at = spec('at', 'datetime');
const event = spec(concat(field('kind'), ' by ', field('actorName')), 'string');

export const eventLogFields: FieldMap = { Time: at, Event: event };
export const procedureLogFields: FieldMap = {
  LastExecution: at,
  ProcedureHistory: spec(coalesce(field('runName'), field('kind')), 'string'),
  Status: spec('status', 'string'),
  Admin: spec(coalesce(field('runStartedBy'), field('actorName')), 'string'),
};

const LOGS: Record<string, { log: DeviceLog; fields: FieldMap; item: string }> = {
  agent: { log: 'agent', fields: eventLogFields, item: 'AgentLog' },
  agentprocedure: { log: 'procedure', fields: procedureLogFields, item: 'AgentProcedureLog' },
  configurationchanges: { log: 'configuration', fields: eventLogFields, item: 'ConfigurationChange' },
};

const render = (fields: FieldMap) => (r: DeviceLogEntry) => ({
  ...Object.fromEntries(
    Object.entries(fields).map(([name, s]) => {
      const v = evaluate(s.expr, r as unknown as Record<string, unknown>);
      return [name, s.type === 'datetime' ? vsaDate(name, v as Date | null) : v];
    }),
  ),
  Attributes: { EventId: r.id, Kind: r.kind, Data: r.data },
});

export function logRoutes(app: FastifyInstance, deps: PatchDeps) {
  const { ctxOf, listed, options } = deps;
  for (const [path, { log, fields, item }] of Object.entries(LOGS))
    app.get(
      `/assetmgmt/logs/:agentguid/${path}`,
      { config: { scope: 'group' } },
      async (req: FastifyRequest, reply) => {
        const ctx = await ctxOf(req);
        const id = parseDecimalId((req.params as Record<string, string>).agentguid ?? '', 'agent');
        const opts = options(req);
        const q = toListQuery(opts, fields);
        const sorted = q.sort.length ? q : { ...q, sort: [{ by: field('id'), direction: 'desc' as const }] };
        const r = await seedNotFound('agent', id, () => queryDeviceLog(ctx, id, log, sorted));
        return listed(req, reply, { records: r.records.map(render(fields)), total: r.total }, item);
      },
    );
}
