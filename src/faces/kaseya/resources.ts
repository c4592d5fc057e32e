import { sql, type SelectQueryBuilder } from 'kysely';
import { notFound } from '../../core/errors.ts';
import type { Context } from '../../services/context.ts';
import { groupVisible, orgVisible } from '../../store/access.ts';
import { applyFilter, applyQueryOptions, type FieldMap, type QueryOptions } from '../shared/odata/index.ts';
import { renderDecimalId, renderDecimalIdOrNull } from '../shared/ids.ts';

// Organizations, machine groups and agents in the shapes of seed 004 ("Get Organizations", "Get Machine
// Groups", "Get Agents"). The caller's scope is a where clause of every query (store/access.ts), and
// $filter / $orderby / $skip / $top compile to SQL through each resource's FieldMap.

export interface Listed<T> {
  records: T[];
  total: number;
}

/** runs the page and the count (same filter, no order or paging) of one base query */
async function list<DB, TB extends keyof DB, O, T>(
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

// ---- organizations ----------------------------------------------------------------------------------

export const orgFields: FieldMap = {
  OrgId: { column: 'o.id', type: 'number' },
  OrgName: { column: 'o.name', type: 'string' },
  OrgRef: { column: 'o.ref', type: 'string' },
  OrgType: { column: attr('o.attributes', 'OrgType'), type: 'string' },
  DefaultMachineGroupName: { column: 'g.name', type: 'string' },
  ParentOrgId: { column: 'o.parent_id', type: 'number' },
  Website: { column: attr('o.attributes', 'Website'), type: 'string' },
};

const orgBase = (ctx: Context) =>
  ctx.db
    .selectFrom('organizations as o')
    .leftJoin('groups as g', (j) => j.onRef('g.organization_id', '=', 'o.id').on('g.is_root', '=', true))
    .select(['o.id', 'o.name', 'o.ref', 'o.parent_id', 'o.attributes', 'g.name as root_group_name'])
    .where(orgVisible(ctx.access, 'o.id'));

type OrgRow = Awaited<ReturnType<ReturnType<typeof orgBase>['executeTakeFirstOrThrow']>>;

const text = (v: unknown) => (typeof v === 'string' ? v : null);
const num = (v: unknown) => (typeof v === 'number' ? v : null);

export const renderOrg = (r: OrgRow) => {
  const a = r.attributes as Record<string, unknown>;
  return {
    OrgId: renderDecimalId(r.id),
    OrgName: r.name,
    OrgRef: r.ref,
    OrgType: text(a.OrgType),
    DefaultDepartmentName: text(a.DefaultDepartmentName),
    DefaultMachineGroupName: r.root_group_name,
    ParentOrgId: renderDecimalIdOrNull(r.parent_id),
    Website: text(a.Website),
    NoOfEmployees: num(a.NoOfEmployees),
    AnnualRevenue: num(a.AnnualRevenue),
    ContactInfo: (a.ContactInfo as object | undefined) ?? null,
    CustomFields: Array.isArray(a.CustomFields) ? a.CustomFields : [],
    Attributes: null,
  };
};

export async function listOrgs(ctx: Context, options: QueryOptions) {
  ctx.authorize('read');
  return list(orgBase(ctx), options, orgFields, 'o.id', renderOrg);
}

export async function getOrg(ctx: Context, id: number) {
  ctx.authorize('read');
  const row = await orgBase(ctx).where('o.id', '=', id).executeTakeFirst();
  if (!row) throw notFound('organization', renderDecimalId(id));
  return renderOrg(row);
}

// ---- machine groups ---------------------------------------------------------------------------------

export const groupFields: FieldMap = {
  MachineGroupId: { column: 'g.id', type: 'number' },
  MachineGroupName: { column: 'g.name', type: 'string' },
  ParentMachineGroupId: { column: 'g.parent_id', type: 'number' },
  OrgId: { column: 'g.organization_id', type: 'number' },
};

const groupBase = (ctx: Context) =>
  ctx.db
    .selectFrom('groups as g')
    .select(['g.id', 'g.name', 'g.parent_id', 'g.organization_id'])
    .where(groupVisible(ctx.access, 'g.organization_id', 'g.id'));

type GroupRow = Awaited<ReturnType<ReturnType<typeof groupBase>['executeTakeFirstOrThrow']>>;

export const renderGroup = (r: GroupRow) => ({
  MachineGroupId: renderDecimalId(r.id),
  MachineGroupName: r.name,
  ParentMachineGroupId: renderDecimalIdOrNull(r.parent_id),
  OrgId: renderDecimalId(r.organization_id),
  Attributes: null,
});

export async function listMachineGroups(ctx: Context, options: QueryOptions, orgId?: number) {
  ctx.authorize('read');
  if (orgId !== undefined) ctx.seeOrganization(orgId);
  const base = groupBase(ctx);
  return list(
    orgId === undefined ? base : base.where('g.organization_id', '=', orgId),
    options,
    groupFields,
    'g.id',
    renderGroup,
  );
}

export async function getMachineGroup(ctx: Context, id: number) {
  ctx.authorize('read');
  const row = await groupBase(ctx).where('g.id', '=', id).executeTakeFirst();
  if (!row) throw notFound('machine group', renderDecimalId(id));
  return renderGroup(row);
}

// ---- agents -----------------------------------------------------------------------------------------

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

const agentBase = (ctx: Context) =>
  ctx.db
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
    .where(groupVisible(ctx.access, 'd.organization_id', 'd.group_id'));

type AgentRow = Awaited<ReturnType<ReturnType<typeof agentBase>['executeTakeFirstOrThrow']>>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const renderAgent = (r: AgentRow) => {
  const v4 = r.ip_addresses.find((a) => !a.includes(':')) ?? null;
  const v6 = r.ip_addresses.find((a) => a.includes(':')) ?? null;
  return {
    AgentId: renderDecimalId(r.id),
    AgentName: r.name,
    Online: Number(r.online),
    OSType: r.os_type,
    OSInfo: r.os_name,
    OrgId: renderDecimalId(r.organization_id),
    MachineGroupId: renderDecimalId(r.group_id),
    MachineGroup: r.group_name,
    ComputerName: r.hostname || r.name,
    IPv6Address: v6,
    IPAddress: v4,
    OperatingSystem: r.os_name,
    OSVersion: r.os_version,
    LastLoggedInUser: null,
    LastRebootTime: null,
    LastCheckInTime: iso(r.last_seen_at),
    Country: null,
    CurrentUser: null,
    Contact: null,
    TimeZone: r.time_zone,
    RamMBytes: null,
    CpuCount: null,
    CpuSpeed: null,
    CpuType: null,
    DomainWorkgroup: null,
    AgentFlags: 0,
    // the seed types it int; Patchline's versions are dotted text, so only a plain number is passed on
    AgentVersion: r.agent_version && /^\d+$/.test(r.agent_version) ? Number(r.agent_version) : null,
    ToolTipNotes: null,
    ShowToolTip: 0,
    DefaultGateway: null,
    DNSServer1: null,
    DNSServer2: null,
    DHCPServer: null,
    PrimaryWINS: null,
    SecondaryWINS: null,
    ConnectionGatewayIP: null,
    FirstCheckIn: iso(r.enrolled_at),
    PrimaryKServer: null,
    SecondaryKServer: null,
    Attributes: null,
  };
};

export async function listAgents(ctx: Context, options: QueryOptions) {
  ctx.authorize('read');
  return list(agentBase(ctx), options, agentFields, 'd.id', renderAgent);
}

export async function getAgent(ctx: Context, id: number) {
  ctx.authorize('read');
  const row = await agentBase(ctx).where('d.id', '=', id).executeTakeFirst();
  if (!row) throw notFound('agent', renderDecimalId(id));
  return renderAgent(row);
}
