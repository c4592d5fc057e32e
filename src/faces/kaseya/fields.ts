import {
  and,
  cases,
  coalesce,
  concat,
  evaluate,
  field,
  is,
  not,
  oneOf,
  or,
  value,
  type Expr,
} from '../../core/query.ts';
import { UPDATE_STATUSES } from '../../core/status.ts';
import { renderDecimalId } from '../shared/ids.ts';
import type { FieldMap, FieldSpec, FieldType } from '../shared/odata/index.ts';
import { vsaDate } from './dates.ts';

// The seed's field names of each list, and what each is in domain terms: a domain field of the list
// (store/repos/directory-repo.ts, device-patch-views-repo.ts, installed-software-repo.ts), or a code of the product's
// computed from domain fields. A $filter or $orderby on a code runs in SQL through the same expression
// that renders it (core/query.ts evaluate), so a client filters on the numbers it reads.
// Every number of the seed's lists is an id (a bigint column), a count or an integer code: each is an
// `integer` field, so `AgentId eq 1.5` or `AgentId eq 99999999999999999999M` is a 400 naming the field,
// never a value PostgreSQL refuses.

export const spec = (expr: Expr | string, type: FieldType): FieldSpec => ({
  expr: typeof expr === 'string' ? field(expr) : expr,
  type,
});

/** a record's value of a seed field, from the domain record the service returned */
export const valueOf = (fields: FieldMap, name: string, record: object): unknown =>
  evaluate((fields[name] as FieldSpec).expr, record as Record<string, unknown>);

/**
 * A record in the seed's fields, each the value of its expression over the domain record, so what a
 * client reads is what it filters and sorts on: ids (`ids`) as decimal strings, date-times in their
 * form (dates.ts), booleans as booleans.
 */
export function renderRecord(
  fields: FieldMap,
  record: object,
  ids: ReadonlySet<string> = new Set(),
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(fields).map(([name, spec]) => {
      const v = valueOf(fields, name, record);
      if (v === null) return [name, null];
      if (ids.has(name)) return [name, renderDecimalId(Number(v))];
      if (spec.type === 'datetime') return [name, vsaDate(name, v as Date)];
      if (spec.type === 'boolean') return [name, Boolean(v)];
      if (spec.type === 'number' || spec.type === 'integer') return [name, Number(v)];
      return [name, v];
    }),
  );
}

// ---- organizations, machine groups, agents ------------------------------------------------------------

const annualRevenue = spec('attributeNumber.AnnualRevenue', 'number');

export const orgFields: FieldMap = {
  OrgId: spec('id', 'integer'),
  OrgName: spec('name', 'string'),
  OrgRef: spec('ref', 'string'),
  // the seed's organization fields Patchline keeps as free-form attributes of the organization
  OrgType: spec('attributes.OrgType', 'string'),
  DefaultDepartmentName: spec('attributes.DefaultDepartmentName', 'string'),
  DefaultMachineGroupName: spec('rootGroupName', 'string'),
  ParentOrgId: spec('parentId', 'integer'),
  Website: spec('attributes.Website', 'string'),
  NoOfEmployees: spec('attributeNumber.NoOfEmployees', 'integer'),
  AnnualRevenue: annualRevenue,
  // the name the guide's filter examples use for it ("orgRevenue gt '1000000'")
  orgRevenue: annualRevenue,
};

export const groupFields: FieldMap = {
  MachineGroupId: spec('id', 'integer'),
  MachineGroupName: spec('name', 'string'),
  ParentMachineGroupId: spec('parentId', 'integer'),
  OrgId: spec('organizationId', 'integer'),
};

/**
 * The seed's Online codes ("Agent Status Response Codes"): 198 agent suspended (a retired device), 199
 * never checked in, 0 offline (not seen within three check-in intervals); online, the agent is active
 * when it checked in within one and a half intervals and idle (inactive) otherwise, and a user is
 * logged in when the agent's inventory names one (`loggedInUser`): 1 no user, active; 2 no user, idle;
 * 11 user, active; 12 user, inactive.
 */
const loggedIn = not(is('loggedInUser', null));
const online = cases(
  [
    [is('status', 'retired'), 198],
    [is('lastSeenAt', null), 199],
    [not(is('seenRecently', true)), 0],
    [and(loggedIn, is('activeNow', true)), 11],
    [loggedIn, 12],
    [is('activeNow', true), 1],
  ],
  2,
);

const osType = cases(
  [
    [is('osFamily', 'windows'), 'Windows'],
    [is('osFamily', 'linux'), 'Linux'],
    [is('osFamily', 'macos'), 'Mac OS X'],
  ],
  'Unknown',
);

const computerName = cases([[is('hostname', ''), field('name')]], field('hostname'));
const none = (type: FieldType) => spec(value(null), type);

/**
 * Every field of the seed's agent model (Get Agents), in its order. What Patchline does not know (the
 * hardware, the network settings, the Kaseya servers) is null, still filterable and sortable.
 */
export const agentFields: FieldMap = {
  AgentId: spec('id', 'integer'),
  Online: spec(online, 'integer'),
  OSType: spec(osType, 'string'),
  OSInfo: spec('osName', 'string'),
  AgentName: spec('name', 'string'),
  OrgId: spec('organizationId', 'integer'),
  MachineGroupId: spec('groupId', 'integer'),
  MachineGroup: spec('groupName', 'string'),
  ComputerName: spec(computerName, 'string'),
  IPv6Address: spec('ipv6', 'string'),
  IPAddress: spec('ipv4', 'string'),
  OperatingSystem: spec('osName', 'string'),
  OSVersion: spec('osVersion', 'string'),
  LastLoggedInUser: spec('loggedInUser', 'string'),
  LastRebootTime: none('datetime'),
  LastCheckInTime: spec('lastSeenAt', 'datetime'),
  Country: none('string'),
  CurrentUser: spec('loggedInUser', 'string'),
  Contact: none('string'),
  TimeZone: spec('timeZone', 'string'),
  RamMBytes: none('integer'),
  CpuCount: none('integer'),
  CpuSpeed: none('integer'),
  CpuType: spec('architecture', 'string'),
  DomainWorkgroup: none('string'),
  AgentFlags: spec(value(0), 'integer'),
  // the seed types it int; Patchline's versions are dotted text ("1.4.2"), kept as text
  AgentVersion: spec('agentVersion', 'string'),
  ToolTipNotes: none('string'),
  ShowToolTip: spec(value(0), 'integer'),
  DefaultGateway: none('string'),
  DNSServer1: none('string'),
  DNSServer2: none('string'),
  DHCPServer: none('string'),
  PrimaryWINS: none('string'),
  SecondaryWINS: none('string'),
  ConnectionGatewayIP: none('string'),
  FirstCheckIn: spec('enrolledAt', 'datetime'),
  PrimaryKServer: none('string'),
  SecondaryKServer: none('string'),
};
export const AGENT_IDS: ReadonlySet<string> = new Set(['AgentId', 'OrgId', 'MachineGroupId']);

/**
 * Assets (seed 004, "Get Assets"): Patchline manages only devices with its agent, so each asset is a
 * device and its AssetId is the device's AgentId (one id for both, stable for the device's life). Every
 * field of the model, plus MACAddresses (the device's MAC addresses as one text, "a, b"), IPAddress and
 * IPv6Address, which clients use to find a machine. Asset type 1 is Patchline's one type, a computer
 * with an agent (GET /assetmgmt/assettypes).
 */
export const ASSET_TYPE_COMPUTER = 1;
export const assetFields: FieldMap = {
  AssetId: spec('id', 'integer'),
  AssetName: spec('name', 'string'),
  AssetTypeId: spec(value(ASSET_TYPE_COMPUTER), 'integer'),
  ProbeId: none('integer'),
  MachineGroupId: spec('groupId', 'integer'),
  MachineGroup: spec('groupName', 'string'),
  OrgId: spec('organizationId', 'integer'),
  IsComputerAgent: spec(value(true), 'boolean'),
  IsMobileAgent: spec(value(false), 'boolean'),
  IsMonitoring: spec(value(0), 'integer'),
  IsPatching: spec(value(1), 'integer'),
  IsAuditing: spec(value(1), 'integer'),
  IsBackingUp: spec(value(0), 'integer'),
  IsSecurity: spec(value(0), 'integer'),
  TicketCount: spec(value(0), 'integer'),
  AlarmCount: spec(value(0), 'integer'),
  IsSNMPActive: spec(value(false), 'boolean'),
  IsVProActive: spec(value(false), 'boolean'),
  NetworkInfo: none('integer'),
  AgentId: spec('id', 'integer'),
  DisplayName: spec('name', 'string'),
  LastSeenDate: spec('lastSeenAt', 'datetime'),
  ProbeAgentGuid: none('integer'),
  PrimaryProbe: none('string'),
  PrimaryProbeId: none('string'),
  PrimaryProbeType: none('string'),
  NMapProbeId: none('integer'),
  HostName: spec(computerName, 'string'),
  OSName: spec('osName', 'string'),
  OSType: spec(osType, 'string'),
  OSFamily: spec(osType, 'string'),
  OSGeneration: spec('osVersion', 'string'),
  DeviceManufacturer: none('string'),
  MACAddresses: spec('macText', 'string'),
  IPAddress: spec('ipv4', 'string'),
  IPv6Address: spec('ipv6', 'string'),
};
export const ASSET_IDS: ReadonlySet<string> = new Set(['AssetId', 'MachineGroupId', 'OrgId', 'AgentId']);

// ---- users, roles, installed applications -------------------------------------------------------------

export const userFields: FieldMap = {
  UserId: spec('id', 'integer'),
  AdminName: spec('username', 'string'),
  FirstName: spec('firstName', 'string'),
  LastName: spec('lastName', 'string'),
  Email: spec('email', 'string'),
  CreationDate: spec('createdAt', 'datetime'),
};

export const roleFields: FieldMap = {
  RoleId: spec('id', 'integer'),
  RoleName: spec('name', 'string'),
};

/** VSA's licensed role types (GET /system/roletypes): Patchline has none, the list is always empty */
export const roleTypeFields: FieldMap = {
  RoleTypeId: spec('id', 'integer'),
  RoleTypeName: spec('name', 'string'),
  Description: spec('description', 'string'),
};

export const installedAppFields: FieldMap = {
  ApplicationName: spec('name', 'string'),
  Description: spec(value(null), 'string'),
  Version: spec('version', 'string'),
  Manufacturer: spec('manufacturer', 'string'),
  ProductName: spec('productName', 'string'),
  DirectoryPath: spec(value(null), 'string'),
  Size: spec(value(null), 'integer'),
  LastModifiedDate: spec('installedAt', 'datetime'),
};

// ---- patches --------------------------------------------------------------------------------------------
// Codes the seed types `int` without listing values (decided here, once):
// - PatchState: the index of Patchline's workflow status in UPDATE_STATUSES (0 missing, 1 pending,
//   2 queued, 3 installing, 4 installed, 5 failed, 6 ignored, 7 reboot required, 8 not applicable).
// - ApprovalStatus: VSA's three approval states, 0 Approved, 1 Denied, 2 Pending Approval, from the
//   governing decision (approve, ignore, none or nobody decided).
// - Ignore: 1 when the governing decision is an ignore set on the agent itself (what setignore writes).
// - UpdateClassification: Windows Update's classification numbers as VSA lists them: 100–104 security
//   update critical / important / moderate / low / not rated, 210 update, 220 feature pack, 230 tool.
// - UpdateCategory: Patchline's classification, 0 security, 1 bugfix, 2 enhancement, 3 feature, 4 other.

/** the governing decisions of a device's updates, as the services computed them (update ids) */
export interface PatchDecisions {
  readonly approved: readonly number[];
  /** governed by an ignore at any level: VSA's "denied" */
  readonly denied: readonly number[];
  /** governed by an ignore set on the device itself: VSA's Ignore flag */
  readonly ignored: readonly number[];
}

const CATEGORIES = ['security', 'bugfix', 'enhancement', 'feature'] as const;
const SECURITY_CLASS = { critical: 100, high: 101, medium: 102, low: 103 } as const;

const security = or(is('isSecurity', true), is('classification', 'security'));

const updateClassification = cases(
  [
    ...Object.entries(SECURITY_CLASS).map(
      ([severity, code]) => [and(security, is('severity', severity)), code] as const,
    ),
    [security, 104],
    [is('classification', 'feature'), 220],
    [is('classification', 'other'), 230],
  ],
  210,
);

const updateCategory = cases(
  CATEGORIES.map((c, i) => [is('classification', c), i] as const),
  4,
);

const patchState = cases(
  UPDATE_STATUSES.map((s, i) => [is('status', s), i] as const),
  null,
);

const title = cases(
  [[or(is('kind', 'kb'), is('version', null)), field('name')]],
  concat(field('name'), ' ', field('version')),
);
const kbLink = cases(
  [[is('kb', null), null]],
  concat('https://support.microsoft.com/kb/', field('kbNumber')),
);
const product = coalesce(field('productName'), field('packageName'), field('name'));
const zero = value(0);

/** the fields of a patch record; `installDate` is the domain field of the list's InstallDate */
export function patchFields(d: PatchDecisions, installDate: 'installedAt' | 'recordedAt'): FieldMap {
  return {
    PatchDataId: spec('updateId', 'integer'),
    UpdateClassification: spec(updateClassification, 'integer'),
    UpdateCategory: spec(updateCategory, 'integer'),
    KBArticleId: spec('kb', 'string'),
    KBArticleLink: spec(kbLink, 'string'),
    SecurityBulletinId: spec(cases([[is('isSecurity', true), field('bulletinRef')]], null), 'string'),
    SecurityBulletinLink: spec(cases([[is('isSecurity', true), field('bulletinUrl')]], null), 'string'),
    UpdateTitle: spec(title, 'string'),
    LastPublishedDate: spec('releasedAt', 'datetime'),
    LocationPending: spec(zero, 'integer'),
    LocationId: spec(zero, 'integer'),
    BulletinId: spec('bulletinRef', 'string'),
    PatchState: spec(patchState, 'integer'),
    Ignore: spec(cases([[oneOf('updateId', d.ignored), 1]], 0), 'integer'),
    ProductId: spec('productId', 'integer'),
    ApprovalStatus: spec(
      cases(
        [
          [oneOf('updateId', d.approved), 0],
          [oneOf('updateId', d.denied), 1],
        ],
        2,
      ),
      'integer',
    ),
    Location: spec('sourceUrl', 'string'),
    WuaOverrideFlag: spec(zero, 'integer'),
    Switches: spec('installSwitches', 'string'),
    ProductName: spec(product, 'string'),
    IsSuperseded: spec('superseded', 'boolean'),
    WuaProductId: spec(zero, 'integer'),
    // the names the seed's sample response uses for the same things (see seeds/README.md)
    Description: spec(title, 'string'),
    KBArticle: spec('kb', 'string'),
    Product: spec(product, 'string'),
    ReleaseDate: spec('releasedAt', 'datetime'),
    Status: spec(patchState, 'integer'),
    manualUpdateFlag: spec(zero, 'integer'),
    schedTogether: spec(zero, 'integer'),
    InstallDate: spec(installDate, 'datetime'),
  };
}
