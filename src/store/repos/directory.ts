import { sql, type SelectQueryBuilder } from 'kysely';
import type { Access } from '../../core/access.ts';
import { applyFilter, applyQueryOptions, type FieldMap, type QueryOptions } from '../odata/index.ts';
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
  /** the columns that make the order total after the client's $orderby (a key) */
  tiebreak: string | readonly string[],
  render: (row: O) => T,
): Promise<Listed<T>> {
  const counted = applyFilter(base, options.filter, fields)
    .clearSelect()
    .select(sql<number>`count(*)::int`.as('n'));
  const { n } = (await counted.executeTakeFirstOrThrow()) as unknown as { n: number };
  let page = applyQueryOptions(base, options, fields);
  for (const column of typeof tiebreak === 'string' ? [tiebreak] : tiebreak)
    page = page.orderBy(sql.ref(column));
  const rows = await page.execute();
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

// ---- users and roles --------------------------------------------------------------------------------
// Users and roles span every organization (services/identity.ts authorizeDirectory): no tenancy filter.

const displayName = sql<string>`btrim(u.display_name)`;
/** a display name's first word, and the rest: "Jane van Dijk" is Jane / van Dijk */
const firstName = sql<string | null>`nullif(split_part(${displayName}, ' ', 1), '')`;
const lastName = sql<
  string | null
>`nullif(btrim(substr(${displayName}, length(split_part(${displayName}, ' ', 1)) + 1)), '')`;

export const userFields: FieldMap = {
  UserId: { column: 'u.id', type: 'number' },
  AdminName: { column: 'u.username', type: 'string' },
  FirstName: { column: firstName, type: 'string' },
  LastName: { column: lastName, type: 'string' },
  Email: { column: 'u.email', type: 'string' },
  CreationDate: { column: 'u.created_at', type: 'datetime' },
};

export const userBase = (db: Db) =>
  db
    .selectFrom('users as u')
    .select(['u.id', 'u.username', 'u.email', 'u.role_id', 'u.scope_id', 'u.disabled', 'u.time_zone'])
    .select(['u.created_at', firstName.as('first_name'), lastName.as('last_name')]);

export type UserRow = Awaited<ReturnType<ReturnType<typeof userBase>['executeTakeFirstOrThrow']>>;

export const roleFields: FieldMap = {
  RoleId: { column: 'r.id', type: 'number' },
  RoleName: { column: 'r.name', type: 'string' },
};

export const roleBase = (db: Db) =>
  db.selectFrom('roles as r').select(['r.id', 'r.name', 'r.description', 'r.privileges', 'r.builtin']);

export type RoleRow = Awaited<ReturnType<ReturnType<typeof roleBase>['executeTakeFirstOrThrow']>>;

// ---- installed applications of one device -----------------------------------------------------------

export interface InstalledAppRow {
  name: string;
  version: string | null;
  manufacturer: string | null;
  product_name: string | null;
  installed_at: Date | null;
  /** 'inventory': the package list the agent sent with a check-in; 'update': an update detected installed */
  source: 'inventory' | 'update';
  /** the package manager's state when the package is not simply installed (`half-configured`) */
  state: string | null;
  kind: string | null;
}

/**
 * What is installed on a device, from what Patchline really has: the package inventory the agent sends
 * with its check-ins (`{ packages: ["name=version", "name=version (half-configured)"] }`), each enriched
 * with the installed update of the same name and version (its product, vendor and when it was seen
 * installed); a device without an inventory (Windows, macOS, devices fed by scans alone) lists the
 * updates its scans detected installed instead. When an inventory exists it is the truth: an installed
 * update whose package is no longer in it was removed since.
 */
const installedApps = (deviceId: number) => sql<InstalledAppRow>`(
  with entries as (
    select e.value #>> '{}' as entry
    from devices d
    cross join lateral jsonb_array_elements(case
      when jsonb_typeof(d.inventory -> 'packages') = 'array' then d.inventory -> 'packages'
      else '[]'::jsonb end) as e(value)
    where d.id = ${deviceId} and jsonb_typeof(e.value) = 'string' and strpos(e.value #>> '{}', '=') > 1
  ), pkg as (
    select split_part(entry, '=', 1) as name,
      regexp_replace(substr(entry, strpos(entry, '=') + 1), ' \\([^()]*\\)$', '') as version,
      substring(substr(entry, strpos(entry, '=') + 1) from ' \\(([^()]*)\\)$') as state
    from entries
  ), installed as (
    -- one row per name and version (the same package version may be installed for two architectures)
    select distinct on (1, 2) coalesce(u.package_name, u.kb, u.name) as name, u.version, u.kind,
      du.installed_at, p.name as product_name, v.name as manufacturer
    from device_updates du
    join updates u on u.id = du.update_id
    left join products p on p.id = u.product_id
    left join vendors v on v.id = p.vendor_id
    where du.device_id = ${deviceId} and du.detection = 'installed'
    order by 1, 2, du.installed_at desc nulls last
  ), known as materialized (
    -- a lookup by name and version, built once: a join of the two sets is planned as a nested loop
    -- (the planner cannot estimate a jsonb array's length), 300 ms for 3000 packages and 1000 installed
    -- updates on PostgreSQL 15, against 37 ms this way
    select coalesce(jsonb_object_agg(name || '=' || coalesce(version, ''), jsonb_build_object(
      'manufacturer', manufacturer, 'product_name', product_name, 'installed_at', installed_at,
      'kind', kind)), '{}'::jsonb) as map
    from installed
  )
  select pkg.name, pkg.version, x.i ->> 'manufacturer' as manufacturer,
    x.i ->> 'product_name' as product_name, (x.i ->> 'installed_at')::timestamptz as installed_at,
    'inventory' as source, pkg.state, x.i ->> 'kind' as kind
  from pkg
  cross join known
  cross join lateral (select known.map -> (pkg.name || '=' || pkg.version) as i) x
  union all
  select i.name, i.version, i.manufacturer, i.product_name, i.installed_at, 'update', null, i.kind
  from installed i
  where not exists (select 1 from pkg)
)`;

export const installedAppFields: FieldMap = {
  ApplicationName: { column: 'a.name', type: 'string' },
  Description: { column: sql<string | null>`null::text`, type: 'string' },
  Version: { column: 'a.version', type: 'string' },
  Manufacturer: { column: 'a.manufacturer', type: 'string' },
  ProductName: { column: 'a.product_name', type: 'string' },
  DirectoryPath: { column: sql<string | null>`null::text`, type: 'string' },
  Size: { column: sql<number | null>`null::bigint`, type: 'number' },
  LastModifiedDate: { column: 'a.installed_at', type: 'datetime' },
};

/** the installed applications of one device; the caller has checked that the device is visible */
export const installedAppBase = (db: Db, deviceId: number) =>
  db.selectFrom(installedApps(deviceId).as('a')).selectAll('a');
