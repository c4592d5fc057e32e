import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ALERT_KINDS } from '../../core/alerts/index.ts';
import { invalid, notFound } from '../../core/errors.ts';
import { byField, cases, field, is, value } from '../../core/query.ts';
import { vsaDate } from './dates.ts';
import {
  closeAlert,
  queryAlerts,
  queryDeviceAlerts,
  queryNewAlerts,
  type AlertView,
} from '../../services/alerts.ts';
import { parseDecimalId, renderDecimalId } from '../shared/ids.ts';
import { toListQuery, type FieldMap, type FieldSpec } from '../shared/odata/index.ts';
import { valueOf } from './fields.ts';
import type { PatchDeps } from './patch.ts';
import { seedNotFound } from './resources.ts';

// Alarms (seed 004, "Alerts and Alarms" and the agent's "Get Alarm Log"), from Patchline's alerts
// (services/alerts.ts): GET /assetmgmt/alarms/{alarmId}, GET /assetmgmt/alarms/{returnAllRecords},
// PUT /assetmgmt/alarms/{alarmId}/close and GET /assetmgmt/logs/{agentguid}/alarms.
//
// Where the seed is silent (decided here):
// - {alarmId} and {returnAllRecords} share one path: `true` / `false` list, digits name an alarm. `false`
//   lists the alarms raised since the caller's session last listed them (the mark is kept per session in
//   the store). GET /assetmgmt/alarms (no segment) lists them all.
// - The seed gives no code tables. MonitorType is 4 ("alert") for every alarm; AlertType numbers
//   Patchline's alert kinds 1… in the order of core/alerts ALERT_KINDS (the number is stable: new kinds
//   are appended); AlarmType is the kind's name; MonitorAlarmStateId is 1 while the alarm is open and 0
//   once closed; AdminName is who closed it (null while open); AlarmEmail and TicketId are null.
// - Close takes the seed's `[{ "key": "notes", "value": "…" }]` (or no body) and answers Result true; an
//   alarm closed already is a 409.
// - The alarm log has one entry per alarm of the agent: Time is when it was raised, Event its subject.

const spec = (expr: FieldSpec['expr'], type: FieldSpec['type']): FieldSpec => ({ expr, type });
const alertType = cases(
  ALERT_KINDS.map((k, i) => [is('kind', k), i + 1] as const),
  0,
);
const stateId = cases([[is('state', 'open'), 1]], 0);

export const alarmFields: FieldMap = {
  // every field of the seed's model filters and sorts (issue 16), the constant ones too
  MonitorType: spec(value(4), 'integer'),
  AlarmEmail: spec(value(null), 'string'),
  TicketId: spec(value(null), 'string'),
  AlarmId: spec(field('id'), 'integer'),
  AgentId: spec(field('deviceId'), 'integer'),
  MachineGroup: spec(field('groupName'), 'string'),
  AlertType: spec(alertType, 'integer'),
  agentName: spec(field('deviceName'), 'string'),
  AlarmSubject: spec(field('subject'), 'string'),
  EventTime: spec(field('createdAt'), 'datetime'),
  MonitorAlarmStateId: spec(stateId, 'integer'),
  AlarmType: spec(field('kind'), 'string'),
  Message: spec(field('message'), 'string'),
  AdminName: spec(field('closedBy'), 'string'),
};

export const alarmLogFields: FieldMap = {
  Time: spec(field('createdAt'), 'datetime'),
  Event: spec(field('subject'), 'string'),
};

type Listed = AlertView & { groupName: string | null };

export const renderAlarm = (a: Listed) => ({
  MonitorType: 4,
  AlarmType: a.kind,
  Message: a.message,
  AlarmEmail: null,
  TicketId: null,
  AdminName: a.closedBy,
  AlarmId: renderDecimalId(a.id),
  AgentId: a.deviceId === null ? null : renderDecimalId(a.deviceId),
  MachineGroup: a.groupName,
  AlertType: valueOf(alarmFields, 'AlertType', a),
  agentName: a.deviceName,
  AlarmSubject: a.subject,
  EventTime: vsaDate('EventTime', a.createdAt),
  MonitorAlarmStateId: valueOf(alarmFields, 'MonitorAlarmStateId', a),
  Attributes: { Organization: a.organizationName, State: a.state, Kind: a.kind },
});

/** the seed's close body: `[{ "key": "notes", "value": "…" }]`, or nothing */
function closeNotes(body: unknown): string | null {
  if (body === undefined || body === null || body === '') return null;
  const list = Array.isArray(body) ? body : [body];
  let notes: string | null = null;
  for (const [i, entry] of list.entries()) {
    const e = entry as { key?: unknown; value?: unknown } | null;
    if (typeof e !== 'object' || e === null || typeof e.key !== 'string')
      throw invalid('the body is a list of { "key": "notes", "value": "…" }', [
        { path: `/${i}`, message: 'must be an object with key and value' },
      ]);
    if (e.key.toLowerCase() !== 'notes')
      throw invalid(`the only key is "notes", not "${e.key}"`, [
        { path: `/${i}/key`, message: 'must be notes' },
      ]);
    if (e.value !== undefined && e.value !== null && typeof e.value !== 'string')
      throw invalid('notes are text', [{ path: `/${i}/value`, message: 'must be a string' }]);
    notes = (e.value as string | null | undefined) ?? null;
  }
  return notes;
}

export function alarmRoutes(app: FastifyInstance, deps: PatchDeps) {
  const { ctxOf, ok, listed, options } = deps;
  const list = async (req: FastifyRequest, onlyNew: boolean) => {
    const ctx = await ctxOf(req);
    const q = toListQuery(options(req), alarmFields);
    const r = onlyNew ? await queryNewAlerts(ctx, q) : await queryAlerts(ctx, q);
    return { records: r.records.map(renderAlarm), total: r.total };
  };
  app.get('/assetmgmt/alarms', { config: { scope: 'group' } }, async (req, reply) =>
    listed(req, reply, await list(req, false), 'Alarm'),
  );
  app.get('/assetmgmt/alarms/:alarmId', { config: { scope: 'group' } }, async (req, reply) => {
    const raw = (req.params as { alarmId: string }).alarmId.trim().toLowerCase();
    if (raw === 'true' || raw === 'false')
      return listed(req, reply, await list(req, raw === 'false'), 'Alarm');
    const ctx = await ctxOf(req);
    const id = parseDecimalId(raw, 'alarm');
    options(req); // a malformed option is still an error
    const [one] = (await queryAlerts(ctx, byField('id', id))).records;
    if (!one) throw notFound('alarm', renderDecimalId(id));
    return ok(req, reply, renderAlarm(one));
  });
  app.put('/assetmgmt/alarms/:alarmId/close', { config: { scope: 'group' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    const id = parseDecimalId((req.params as { alarmId: string }).alarmId, 'alarm');
    const notes = closeNotes(req.body);
    await seedNotFound('alarm', id, () => closeAlert(ctx, id, notes));
    return ok(req, reply, true);
  });
  app.get('/assetmgmt/logs/:agentguid/alarms', { config: { scope: 'group' } }, async (req, reply) => {
    const ctx = await ctxOf(req);
    const id = parseDecimalId((req.params as { agentguid: string }).agentguid, 'agent');
    const q = toListQuery(options(req), alarmLogFields);
    const r = await seedNotFound('agent', id, () => queryDeviceAlerts(ctx, id, q));
    return listed(
      req,
      reply,
      {
        records: r.records.map((a) => ({ Time: vsaDate('Time', a.createdAt), Event: a.subject })),
        total: r.total,
      },
      'AlarmLog',
    );
  });
}
