import { sql } from 'kysely';
import { partialGroupIds, type Access } from '../../core/access.ts';
import { rowsOf } from '../bulk.ts';
import type { Db } from '../db.ts';
import type { ListQuery } from '../../core/query.ts';
import { paginate, type Page } from '../paging.ts';
import { escapeLike, pageThrough, type Columns } from '../query.ts';
import type { NewRow } from '../schema.ts';

const EVENT_COLUMNS = {
  at: 'timestamptz',
  organization_id: 'bigint',
  actor_type: 'text',
  actor_id: 'text',
  actor_name: 'text',
  kind: 'text',
  subject_type: 'text',
  subject_id: 'text',
  device_id: 'bigint',
  update_id: 'bigint',
  data: 'jsonb',
} as const;

/** appends events in one statement, in the order given (their ids follow it) */
export async function appendEvents(db: Db, rows: NewRow<'events'>[]) {
  if (!rows.length) return;
  const cols = sql.join(Object.keys(EVENT_COLUMNS).map((c) => sql.id(c)));
  await sql`insert into events (${cols})
    select coalesce(at, now()), organization_id, actor_type, actor_id, actor_name, kind, subject_type,
      subject_id, device_id, update_id, coalesce(data, '{}')
    from ${rowsOf(
      rows.map((r, i) => ({ ...r, i })),
      { ...EVENT_COLUMNS, i: 'integer' },
    )}
    order by i`.execute(db);
}

/**
 * who first recorded `kind` on a subject (e.g. who created a maintenance window), if the log says: the
 * actor, and the user behind it (a user's own session, or the owner of the API key it used)
 */
export async function firstActorOf(db: Db, subjectType: string, subjectId: number | string, kind: string) {
  const row = await db
    .selectFrom('events as e')
    .leftJoin('api_keys as k', (j) =>
      j.on('e.actor_type', '=', 'api_key').on(sql<string>`k.id::text`, '=', sql.ref('e.actor_id')),
    )
    .select(['e.actor_type', 'e.actor_id', 'k.user_id as key_user_id'])
    .where('e.subject_type', '=', subjectType)
    .where('e.subject_id', '=', String(subjectId))
    .where('e.kind', '=', kind)
    .orderBy('e.id')
    .limit(1)
    .executeTakeFirst();
  if (!row) return undefined;
  const userId =
    row.actor_type === 'user' && /^[0-9]+$/.test(row.actor_id ?? '')
      ? Number(row.actor_id)
      : row.key_user_id === null
        ? null
        : Number(row.key_user_id);
  return { actorType: row.actor_type, actorId: row.actor_id, userId };
}

export interface EventFilter {
  organizationId?: number;
  deviceId?: number;
  updateId?: number;
  kind?: string; // exact, or a prefix ending in '.' (approval.)
  actor?: string;
  since?: Date;
  until?: Date;
}

export async function listEvents(db: Db, access: Access, f: EventFilter, page: Page) {
  let q = db
    .selectFrom('events')
    .selectAll('events')
    // the device's name, for a line that reads "web-01" rather than "device 20"
    .select((eb) =>
      eb
        .selectFrom('devices')
        .select('devices.name')
        .whereRef('devices.id', '=', 'events.device_id')
        .as('device_name'),
    );
  if (!access.all) {
    const orgs = [...access.organizations];
    const groups = partialGroupIds(access);
    q = q.where((eb) =>
      eb.or([
        eb('organization_id', 'in', orgs.length ? orgs : [0]),
        eb.and([
          eb('device_id', 'is not', null),
          eb(
            'device_id',
            'in',
            eb
              .selectFrom('devices')
              .select('id')
              .where('group_id', 'in', groups.length ? groups : [0]),
          ),
        ]),
      ]),
    );
  }
  if (f.organizationId !== undefined) q = q.where('organization_id', '=', f.organizationId);
  if (f.deviceId !== undefined) q = q.where('device_id', '=', f.deviceId);
  if (f.updateId !== undefined) q = q.where('update_id', '=', f.updateId);
  if (f.kind) q = f.kind.endsWith('.') ? q.where('kind', 'like', `${f.kind}%`) : q.where('kind', '=', f.kind);
  if (f.actor) q = q.where('actor_name', '=', f.actor);
  if (f.since) q = q.where('at', '>=', f.since);
  if (f.until) q = q.where('at', '<', f.until);
  const sorted = { ...page, sort: page.sort.length ? page.sort : ['-id'] };
  return paginate(q, sorted, { id: 'id', at: 'at' }, 'id', (r) => r);
}

export const countEvents = async (db: Db) =>
  (await sql<{ n: number }>`select count(*)::int as n from events`.execute(db)).rows[0]?.n ?? 0;

const deviceLogColumns: Columns = {
  id: 'l.id',
  at: 'l.at',
  kind: 'l.kind',
  actorName: 'l.actor_name',
  runName: 'l.run_name',
  runStartedBy: 'l.run_started_by',
  status: 'l.status',
};

/**
 * One device's events of some kinds (an entry ending in '.' is a prefix), as a list query. Fields: id,
 * at, kind, actorName, status (the event's data.status, else the last part of its kind), and for events
 * about a script run, runName (the procedure's or policy's name as it was, or "ad-hoc script") and
 * runStartedBy (who asked for the run). The caller has checked that the device is visible.
 */
export function queryDeviceLog(db: Db, deviceId: number, kinds: readonly string[], q: ListQuery) {
  const exact = kinds.filter((k) => !k.endsWith('.'));
  const prefixes = kinds.filter((k) => k.endsWith('.'));
  const inner = db
    .selectFrom('events as e')
    .leftJoin('script_runs as r', (j) =>
      j.on('e.subject_type', '=', 'script_run').on(sql<string>`r.id::text`, '=', sql.ref('e.subject_id')),
    )
    .select(['e.id', 'e.at', 'e.kind', 'e.actor_name', 'e.data'])
    .select([
      sql<string | null>`case when r.id is null then null
        else coalesce(r.procedure_name, r.policy_name, 'ad-hoc script') end`.as('run_name'),
      sql<string | null>`r.started_by`.as('run_started_by'),
      sql<string>`coalesce(e.data->>'status', split_part(e.kind, '.', 2))`.as('status'),
    ])
    .where('e.device_id', '=', deviceId)
    .where((eb) =>
      eb.or([
        ...(exact.length ? [eb('e.kind', 'in', exact)] : []),
        ...prefixes.map((p) => eb('e.kind', 'like', `${escapeLike(p)}%`)),
      ]),
    );
  return pageThrough(
    db
      .selectFrom(inner.as('l'))
      .select(['l.id', 'l.at', 'l.kind', 'l.actor_name as actorName', 'l.data', 'l.status'])
      .select(['l.run_name as runName', 'l.run_started_by as runStartedBy']),
    q,
    deviceLogColumns,
    ['l.id'],
  );
}

export type DeviceLogEntry = Awaited<ReturnType<typeof queryDeviceLog>>['records'][number];
