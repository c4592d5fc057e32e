import { sql, type RawBuilder } from 'kysely';
import type { Access } from '../../core/access.ts';
import type { AuditKind, AuditList } from '../../core/audit/model.ts';
import type { ListQuery } from '../../core/query.ts';
import { groupVisible } from '../access.ts';
import type { Db } from '../db.ts';
import { pageThrough, type Columns } from '../query.ts';

// The audits agents report (migration 0015): one stored report per device and snapshot, and each list
// of a report as a queryable table (jsonb_to_recordset over the report's array), so filters, sorts and
// paging run in SQL like every other list.

export interface AuditRow {
  device_id: number;
  organization_id: number;
  snapshot: AuditKind;
  collected_at: Date;
  received_at: Date;
  report: Record<string, unknown>;
}

export const upsertAudit = (
  db: Db,
  row: { deviceId: number; organizationId: number; snapshot: AuditKind; collectedAt: string; report: object },
) =>
  db
    .insertInto('device_audits')
    .values({
      device_id: row.deviceId,
      organization_id: row.organizationId,
      snapshot: row.snapshot,
      collected_at: row.collectedAt,
      received_at: sql<Date>`now()`,
      report: JSON.stringify(row.report),
    })
    .onConflict((oc) =>
      oc.columns(['device_id', 'snapshot']).doUpdateSet({
        organization_id: (eb) => eb.ref('excluded.organization_id'),
        collected_at: (eb) => eb.ref('excluded.collected_at'),
        received_at: (eb) => eb.ref('excluded.received_at'),
        report: (eb) => eb.ref('excluded.report'),
      }),
    )
    .execute();

/** the snapshots a device has (without their reports) */
export const auditSnapshots = (db: Db, deviceId: number) =>
  db
    .selectFrom('device_audits')
    .select(['snapshot', 'collected_at', 'received_at'])
    .where('device_id', '=', deviceId)
    .execute() as Promise<Pick<AuditRow, 'snapshot' | 'collected_at' | 'received_at'>[]>;

/** a snapshot's time and summary (not its lists, which can be long) */
export const getAuditSummary = (db: Db, deviceId: number, snapshot: AuditKind) =>
  db
    .selectFrom('device_audits')
    .select(['snapshot', 'collected_at', 'received_at'])
    .select(sql<Record<string, unknown>>`report -> 'summary'`.as('summary'))
    .where('device_id', '=', deviceId)
    .where('snapshot', '=', snapshot)
    .executeTakeFirst();

// ---- the lists of one report ---------------------------------------------------------------------------

type ColType = 'text' | 'float8' | 'boolean' | 'timestamptz';
/** each list's fields (the report's keys) and their SQL types; dates were normalized to ISO on ingest */
const LIST_COLUMNS: Record<AuditList, Record<string, ColType>> = {
  applications: {
    name: 'text',
    version: 'text',
    publisher: 'text',
    description: 'text',
    directory: 'text',
    sizeKBytes: 'float8',
    installedAt: 'timestamptz',
  },
  programs: { name: 'text', uninstallString: 'text' },
  volumes: {
    drive: 'text',
    type: 'text',
    format: 'text',
    label: 'text',
    totalMBytes: 'float8',
    freeMBytes: 'float8',
  },
  devices: { kind: 'text', typeName: 'text', vendor: 'text', product: 'text', note: 'text' },
  printers: { name: 'text', port: 'text', model: 'text' },
  securityProducts: {
    type: 'text',
    name: 'text',
    manufacturer: 'text',
    version: 'text',
    active: 'boolean',
    upToDate: 'boolean',
  },
  startupApps: { name: 'text', command: 'text', user: 'text' },
  users: {
    logonName: 'text',
    fullName: 'text',
    description: 'text',
    disabled: 'boolean',
    lockedOut: 'boolean',
    passwordRequired: 'boolean',
    passwordExpired: 'boolean',
    passwordChangeable: 'boolean',
  },
  groups: { name: 'text', description: 'text' },
  members: { group: 'text', member: 'text' },
  licenses: {
    product: 'text',
    publisher: 'text',
    productKey: 'text',
    licenseCode: 'text',
    version: 'text',
    installedAt: 'timestamptz',
  },
};

/** fields computed from a list's own (volumes: the used space) */
const DERIVED: Partial<Record<AuditList, Record<string, string>>> = {
  volumes: { usedMBytes: 'r."totalMBytes" - r."freeMBytes"' },
};

const ident = (name: string) => sql.id(name);

/** one list of a device's report as rows (`x.<field>`), with its position in the report as `x.position` */
function listRows(
  deviceId: number,
  snapshot: AuditKind,
  list: AuditList,
): RawBuilder<Record<string, unknown>> {
  const outs = Object.entries(LIST_COLUMNS[list]).map(([k, t]) =>
    t === 'text' ? sql`e.v ->> ${k} as ${ident(k)}` : sql`(e.v ->> ${k})::${sql.raw(t)} as ${ident(k)}`,
  );
  const derived = Object.entries(DERIVED[list] ?? {}).map(([k, e]) => sql`${sql.raw(e)} as ${ident(k)}`);
  return sql<Record<string, unknown>>`(
    select r.*${derived.length ? sql`, ${sql.join(derived)}` : sql``}
    from (
      select ${sql.join(outs)}, e.position
      from device_audits a
      cross join lateral jsonb_array_elements(a.report -> ${list}) with ordinality as e(v, position)
      where a.device_id = ${deviceId} and a.snapshot = ${snapshot}
    ) r
  )`;
}

/** one list of a device's audit snapshot, filtered, sorted and paged; fields are the report's keys */
export function queryAuditList(db: Db, deviceId: number, snapshot: AuditKind, list: AuditList, q: ListQuery) {
  const names = [...Object.keys(LIST_COLUMNS[list]), ...Object.keys(DERIVED[list] ?? {})];
  const columns: Columns = Object.fromEntries(names.map((k) => [k, `x.${k}`]));
  return pageThrough(
    db.selectFrom(listRows(deviceId, snapshot, list).as('x')).selectAll(),
    q,
    columns,
    ['x.position'],
    (row) => {
      const { position: _p, ...rest } = row as Record<string, unknown>;
      return rest;
    },
  );
}

// ---- the audit summaries of every visible device --------------------------------------------------------

const SUMMARY_NUMBERS = new Set(['cpuCount', 'cpuSpeedMhz', 'ramMBytes']);
const summaryField = (k: string) =>
  SUMMARY_NUMBERS.has(k)
    ? sql`(la.report -> 'summary' ->> ${k})::float8`
    : sql`la.report -> 'summary' ->> ${k}`;
const volumeTotal = (k: 'totalMBytes' | 'freeMBytes') =>
  sql<number>`(select sum((v ->> ${k})::float8) from jsonb_array_elements(la.report -> 'volumes') v)`;

const auditColumns: Columns = (name) => {
  const direct: Record<string, string> = {
    id: 'd.id',
    name: 'd.name',
    hostname: 'd.hostname',
    osFamily: 'd.os_family',
    organizationId: 'd.organization_id',
    groupName: 'g.name',
    timeZone: 'd.time_zone',
    agentVersion: 'd.agent_version',
    lastSeenAt: 'd.last_seen_at',
    enrolledAt: 'd.enrolled_at',
    lastAuditAt: 'la.collected_at',
  };
  if (Object.hasOwn(direct, name)) return direct[name];
  if (name === 'totalMBytes' || name === 'freeMBytes') return volumeTotal(name);
  if (name === 'usedMBytes') return sql`(${volumeTotal('totalMBytes')} - ${volumeTotal('freeMBytes')})`;
  if (name === 'volumeCount') return sql`jsonb_array_length(coalesce(la.report -> 'volumes', '[]'))`;
  const m = /^summary\.([A-Za-z]+)$/.exec(name);
  return m ? summaryField(m[1]!) : undefined;
};

/**
 * Every device in scope with its latest audit's summary (null fields before its first audit). Fields:
 * id, name, hostname, osFamily, organizationId, groupName, timeZone, agentVersion, lastSeenAt,
 * enrolledAt, lastAuditAt, totalMBytes, freeMBytes, usedMBytes, volumeCount, summary.<key>.
 */
export const queryAuditSummaries = (db: Db, access: Access, q: ListQuery) =>
  pageThrough(
    db
      .selectFrom('devices as d')
      .innerJoin('groups as g', 'g.id', 'd.group_id')
      .leftJoin('device_audits as la', (j) =>
        j.onRef('la.device_id', '=', 'd.id').on('la.snapshot', '=', 'latest'),
      )
      .select([
        'd.id',
        'd.name',
        'd.hostname',
        'd.os_family as osFamily',
        'd.organization_id as organizationId',
      ])
      .select(['g.name as groupName', 'd.time_zone as timeZone', 'd.agent_version as agentVersion'])
      .select([
        'd.last_seen_at as lastSeenAt',
        'd.enrolled_at as enrolledAt',
        'd.ip_addresses as ipAddresses',
      ])
      .select(['la.collected_at as lastAuditAt'])
      .select(sql<Record<string, unknown> | null>`la.report -> 'summary'`.as('summary'))
      .select([
        volumeTotal('totalMBytes').as('totalMBytes'),
        volumeTotal('freeMBytes').as('freeMBytes'),
        sql<number>`(${volumeTotal('totalMBytes')} - ${volumeTotal('freeMBytes')})`.as('usedMBytes'),
        sql<number>`jsonb_array_length(coalesce(la.report -> 'volumes', '[]'))`.as('volumeCount'),
      ])
      .where(groupVisible(access, 'd.organization_id', 'd.group_id')),
    q,
    auditColumns,
    ['d.id'],
  );

export type AuditSummaryEntry = Awaited<ReturnType<typeof queryAuditSummaries>>['records'][number];

// ---- purchase and warranty dates (kept by people, not reported by agents) -----------------------------

export const getWarranty = (db: Db, deviceId: number) =>
  db
    .selectFrom('device_warranties')
    .select(['purchase_date', 'warranty_expire_date'])
    .where('device_id', '=', deviceId)
    .executeTakeFirst();

export const setWarranty = (
  db: Db,
  row: { deviceId: number; purchaseDate: Date | null; warrantyExpireDate: Date | null },
) =>
  db
    .insertInto('device_warranties')
    .values({
      device_id: row.deviceId,
      purchase_date: row.purchaseDate,
      warranty_expire_date: row.warrantyExpireDate,
      updated_at: sql<Date>`now()`,
    })
    .onConflict((oc) =>
      oc.column('device_id').doUpdateSet({
        purchase_date: (eb) => eb.ref('excluded.purchase_date'),
        warranty_expire_date: (eb) => eb.ref('excluded.warranty_expire_date'),
        updated_at: (eb) => eb.ref('excluded.updated_at'),
      }),
    )
    .execute();
