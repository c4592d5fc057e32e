import {
  and,
  cases,
  coalesce,
  concat,
  evaluate,
  field,
  is,
  oneOf,
  or,
  value,
  type Expr,
} from '../../core/query.ts';
import { UPDATE_STATUSES } from '../../core/status.ts';
import type { FieldMap, FieldSpec, FieldType } from '../shared/odata/index.ts';

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

// ---- organizations, machine groups, agents ------------------------------------------------------------

export const orgFields: FieldMap = {
  OrgId: spec('id', 'integer'),
  OrgName: spec('name', 'string'),
  OrgRef: spec('ref', 'string'),
  // the seed's organization fields Patchline keeps as free-form attributes of the organization
  OrgType: spec('attributes.OrgType', 'string'),
  DefaultMachineGroupName: spec('rootGroupName', 'string'),
  ParentOrgId: spec('parentId', 'integer'),
  Website: spec('attributes.Website', 'string'),
};

export const groupFields: FieldMap = {
  MachineGroupId: spec('id', 'integer'),
  MachineGroupName: spec('name', 'string'),
  ParentMachineGroupId: spec('parentId', 'integer'),
  OrgId: spec('organizationId', 'integer'),
};

/**
 * The seed's Online codes: 198 suspended (a retired device), 199 never checked in, 1 online (seen
 * within three check-in intervals), 0 offline. Patchline does not know who is logged in, so 2/11/12
 * are never produced.
 */
const online = cases(
  [
    [is('status', 'retired'), 198],
    [is('lastSeenAt', null), 199],
    [is('seenRecently', true), 1],
  ],
  0,
);

const osType = cases(
  [
    [is('osFamily', 'windows'), 'Windows'],
    [is('osFamily', 'linux'), 'Linux'],
    [is('osFamily', 'macos'), 'Mac OS X'],
  ],
  'Unknown',
);

export const agentFields: FieldMap = {
  AgentId: spec('id', 'integer'),
  AgentName: spec('name', 'string'),
  Online: spec(online, 'integer'),
  OSType: spec(osType, 'string'),
  OSInfo: spec('osName', 'string'),
  OrgId: spec('organizationId', 'integer'),
  MachineGroupId: spec('groupId', 'integer'),
  MachineGroup: spec('groupName', 'string'),
  ComputerName: spec('hostname', 'string'),
  OperatingSystem: spec('osName', 'string'),
  OSVersion: spec('osVersion', 'string'),
  LastCheckInTime: spec('lastSeenAt', 'datetime'),
  TimeZone: spec('timeZone', 'string'),
  FirstCheckIn: spec('enrolledAt', 'datetime'),
};

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
