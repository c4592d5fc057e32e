import { notFound } from '../../core/errors.ts';
import type { Context } from '../../services/context.ts';
import {
  agentBase,
  agentFields,
  groupBase,
  groupFields,
  orgBase,
  orgFields,
  pageThrough,
  type AgentRow,
  type GroupRow,
  type OrgRow,
} from '../../store/repos/kaseya.ts';
import type { QueryOptions } from '../shared/odata/index.ts';
import { renderDecimalId, renderDecimalIdOrNull } from '../shared/ids.ts';

export { agentFields, groupFields, orgFields, type Listed } from '../../store/repos/kaseya.ts';

// Organizations, machine groups and agents in the shapes of seed 004 ("Get Organizations", "Get Machine
// Groups", "Get Agents"). The caller's scope is a where clause of every query (store/access.ts), and
// $filter / $orderby / $skip / $top compile to SQL through each resource's FieldMap.

// ---- organizations ----------------------------------------------------------------------------------

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
  return pageThrough(orgBase(ctx.db, ctx.access), options, orgFields, 'o.id', renderOrg);
}

export async function getOrg(ctx: Context, id: number) {
  ctx.authorize('read');
  const row = await orgBase(ctx.db, ctx.access).where('o.id', '=', id).executeTakeFirst();
  if (!row) throw notFound('organization', renderDecimalId(id));
  return renderOrg(row);
}

// ---- machine groups ---------------------------------------------------------------------------------

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
  const base = groupBase(ctx.db, ctx.access);
  return pageThrough(
    orgId === undefined ? base : base.where('g.organization_id', '=', orgId),
    options,
    groupFields,
    'g.id',
    renderGroup,
  );
}

export async function getMachineGroup(ctx: Context, id: number) {
  ctx.authorize('read');
  const row = await groupBase(ctx.db, ctx.access).where('g.id', '=', id).executeTakeFirst();
  if (!row) throw notFound('machine group', renderDecimalId(id));
  return renderGroup(row);
}

// ---- agents -----------------------------------------------------------------------------------------

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
  return pageThrough(agentBase(ctx.db, ctx.access), options, agentFields, 'd.id', renderAgent);
}

export async function getAgent(ctx: Context, id: number) {
  ctx.authorize('read');
  const row = await agentBase(ctx.db, ctx.access).where('d.id', '=', id).executeTakeFirst();
  if (!row) throw notFound('agent', renderDecimalId(id));
  return renderAgent(row);
}
