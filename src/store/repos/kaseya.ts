import { sql, type SelectQueryBuilder } from 'kysely';
import type { Access } from '../../core/access.ts';
import {
  applyFilter,
  applyQueryOptions,
  type FieldMap,
  type QueryOptions,
} from '../../faces/shared/odata/index.ts';
import { groupVisible, orgVisible } from '../access.ts';
import type { Db } from '../db.ts';

// The scoped base queries that the Kaseya face pages through with OData: organizations, machine groups
// and agents. Each FieldMap is the whitelist of fields a $filter or $orderby may name, and the SQL each
// stands for. The caller's scope is a where clause of every query.

export interface Listed<T> {
  records: T[];
  total: number;
}

/** runs the page and the count (same filter, no order or paging) of one base query */
export async function pageThrough<DB, TB extends keyof DB, O, T>(
  base: SelectQueryBuilder<DB, TB, O>,
  options: QueryOptions,
  fields: FieldMap,
  tiebreak: string,
  render: (row: O) => T,
): Promise<Listed<T>> {
  const counted = applyFilter(base, options.filter, fields)
    .clearSelect()
    .select(sql<number>`count(*)::int`.as('n'));
  const { n } = (await counted.executeTakeFirstOrThrow()) as unknown as { n: number };
  const rows = await applyQueryOptions(base, options, fields).orderBy(sql.ref(tiebreak)).execute();
  return { records: rows.map(render), total: n };
}

const attr = (column: string, key: string) => sql<string | null>`${sql.ref(column)}->>${key}`;

export const orgFields: FieldMap = {
  OrgId: { column: 'o.id', type: 'number' },
  OrgName: { column: 'o.name', type: 'string' },
  OrgRef: { column: 'o.ref', type: 'string' },
  OrgType: { column: attr('o.attributes', 'OrgType'), type: 'string' },
  DefaultMachineGroupName: { column: 'g.name', type: 'string' },
  ParentOrgId: { column: 'o.parent_id', type: 'number' },
  Website: { column: attr('o.attributes', 'Website'), type: 'string' },
};

export const orgBase = (db: Db, access: Access) =>
  db
    .selectFrom('organizations as o')
    .leftJoin('groups as g', (j) => j.onRef('g.organization_id', '=', 'o.id').on('g.is_root', '=', true))
    .select(['o.id', 'o.name', 'o.ref', 'o.parent_id', 'o.attributes', 'g.name as root_group_name'])
    .where(orgVisible(access, 'o.id'));

export type OrgRow = Awaited<ReturnType<ReturnType<typeof orgBase>['executeTakeFirstOrThrow']>>;

export const groupFields: FieldMap = {
  MachineGroupId: { column: 'g.id', type: 'number' },
  MachineGroupName: { column: 'g.name', type: 'string' },
  ParentMachineGroupId: { column: 'g.parent_id', type: 'number' },
  OrgId: { column: 'g.organization_id', type: 'number' },
};

export const groupBase = (db: Db, access: Access) =>
  db
    .selectFrom('groups as g')
    .select(['g.id', 'g.name', 'g.parent_id', 'g.organization_id'])
    .where(groupVisible(access, 'g.organization_id', 'g.id'));

export type GroupRow = Awaited<ReturnType<ReturnType<typeof groupBase>['executeTakeFirstOrThrow']>>;

/**
 * The seed's Online codes: 198 suspended (a retired device), 199 never checked in, 1 online (seen
 * within three check-in intervals), 0 offline. Patchline does not know who is logged in, so 2/11/12
 * are never produced.
 */
const online = sql<number>`(case
  when d.status = 'retired' then 198
  when d.last_seen_at is null then 199
  when d.last_seen_at > now() - make_interval(secs => d.checkin_interval_seconds * 3) then 1
  else 0 end)`;

const OS_TYPE: Record<string, string> = { windows: 'Windows', linux: 'Linux', macos: 'Mac OS X' };
const osType = sql<string>`(case d.os_family
  ${sql.join(
    Object.entries(OS_TYPE).map(([k, v]) => sql`when ${k} then ${v}`),
    sql` `,
  )} else 'Unknown' end)`;

export const agentFields: FieldMap = {
  AgentId: { column: 'd.id', type: 'number' },
  AgentName: { column: 'd.name', type: 'string' },
  Online: { column: online, type: 'number' },
  OSType: { column: osType, type: 'string' },
  OSInfo: { column: 'd.os_name', type: 'string' },
  OrgId: { column: 'd.organization_id', type: 'number' },
  MachineGroupId: { column: 'd.group_id', type: 'number' },
  MachineGroup: { column: 'g.name', type: 'string' },
  ComputerName: { column: 'd.hostname', type: 'string' },
  OperatingSystem: { column: 'd.os_name', type: 'string' },
  OSVersion: { column: 'd.os_version', type: 'string' },
  LastCheckInTime: { column: 'd.last_seen_at', type: 'datetime' },
  TimeZone: { column: 'd.time_zone', type: 'string' },
  FirstCheckIn: { column: 'd.enrolled_at', type: 'datetime' },
};

export const agentBase = (db: Db, access: Access) =>
  db
    .selectFrom('devices as d')
    .innerJoin('groups as g', 'g.id', 'd.group_id')
    .select([
      'd.id',
      'd.name',
      'd.hostname',
      'd.os_name',
      'd.os_version',
      'd.organization_id',
      'd.group_id',
      'd.ip_addresses',
      'd.time_zone',
      'd.agent_version',
      'd.last_seen_at',
      'd.enrolled_at',
      'g.name as group_name',
    ])
    .select([online.as('online'), osType.as('os_type')])
    .where(groupVisible(access, 'd.organization_id', 'd.group_id'));

export type AgentRow = Awaited<ReturnType<ReturnType<typeof agentBase>['executeTakeFirstOrThrow']>>;
