import fc from 'fast-check';
import type { RouteEntry } from '../../src/faces/shared/route-table.ts';
import { KASEYA_DAY_NAMES, KASEYA_DAY_OF_MONTH, KASEYA_REPEATS } from '../../src/core/schedule/kaseya.ts';
import {
  agentFields,
  assetFields,
  groupFields,
  installedAppFields,
  orgFields,
  patchFields,
  roleFields,
  roleTypeFields,
  userFields,
} from '../../src/faces/kaseya/fields.ts';
import { alarmFields, alarmLogFields } from '../../src/faces/kaseya/alarms.ts';
import { departmentFields } from '../../src/faces/kaseya/departments.ts';
import { eventLogFields, procedureLogFields } from '../../src/faces/kaseya/logs.ts';
import { historyFields, procedureFields } from '../../src/faces/kaseya/procedures.ts';
import type { FieldMap } from '../../src/faces/shared/odata/index.ts';
import {
  addRemoveFields,
  auditedAppFields,
  auditSummaryFields,
  credentialFields,
  diskVolumeFields,
  groupAuditFields,
  licenseFields,
  memberFields,
  pciDiskFields,
  printerFields,
  securityProductFields,
  startupAppFields,
  userAccountFields,
} from '../../src/faces/kaseya/audit-fields.ts';
import { SERVICES as NABLE_SERVICES } from '../../src/faces/nable/catalog.ts';
import {
  contentType,
  jsonBody,
  nastyText,
  queryPairs,
  type JsonSchema,
  type QueryPair,
} from './generators.ts';
import { odataPairs } from './odata.ts';
import { gravityzone } from './jsonrpc.ts';
import { nastyXml, xmlBody } from './xml.ts';
import { GUID_KINDS, renderGuid, WELL_KNOWN, type GuidKind } from '../../src/faces/altiris/guids.ts';
import { METHODS } from '../../src/faces/altiris/methods.ts';
import type { Method } from '../../src/faces/altiris/table.ts';

// The faces the fuzz knows, one entry each: which routes of the route table are theirs, which
// credentials their requests carry, and the arbitraries of their grammar (query language, body formats).
// Every route of the table must belong to exactly one face (test/fuzz/fuzz.suite.ts checks it), so a
// new face's routes fail the fuzz suite until the face registers here.
//
// To register a face: add an entry to FACES (before `native` if its prefix starts with /api/v1). The
// JSON-RPC face (GravityZone) is jsonrpc.ts: requests over each area's method names with params from its
// grammar, batches, ids of every type, notifications. The SOAP face does not exist yet; when it arrives it
// adds one entry whose `body` builds SOAP 1.1/1.2 envelopes over its operations, with the XML mutations
// of xml.ts, and whose `owns` matches its prefix.

/**
 * The credential a request carries, resolved by the runner when it sends (credentials are re-made when
 * a request revokes them): a kind below, or `raw:<Authorization header>`.
 */
export type AuthKind =
  | 'admin-key'
  | 'admin-session'
  | 'scoped'
  | 'none'
  | 'device'
  | 'kaseya-admin'
  | 'kaseya-scoped'
  | 'gz-admin'
  | 'gz-scoped'
  | 'altiris-admin'
  | 'altiris-scoped'
  | `raw:${string}`;

/** the body of a request and its Content-Type */
export interface BodyPart {
  readonly payload?: string;
  readonly contentType?: string;
}

export interface FaceFuzz {
  readonly name: string;
  /** whether the route belongs to this face */
  owns(route: RouteEntry): boolean;
  /** the credentials its requests carry */
  auth(route: RouteEntry): fc.Arbitrary<AuthKind>;
  /** query pairs (raw, percent-encoded) */
  query(route: RouteEntry): fc.Arbitrary<QueryPair[]>;
  /** bodies (for methods that take one) */
  body(route: RouteEntry): fc.Arbitrary<BodyPart>;
}

/** Authorization headers no face issued */
export const garbageAuth: fc.Arbitrary<AuthKind> = fc
  .oneof(
    fc.constantFrom(
      'Bearer',
      'Bearer ',
      'Bearer x',
      'Bearer plk_' + 'a'.repeat(40),
      'Bearer ' + 'x'.repeat(8_000),
      'bearer  x  y',
      'Basic',
      'Basic %%%',
      'Basic ' + Buffer.from('admin:').toString('base64'),
      'Basic ' + Buffer.from(':x').toString('base64'),
      'Basic ' + Buffer.from('a\u0000b:x').toString('base64'),
      'Basic ' + Buffer.from('user=admin,pass2=' + '0'.repeat(64) + ',rand2=1').toString('base64'),
      'Negotiate abc',
      'Bearer ' + Buffer.from('\uD800').toString('latin1'),
    ),
    nastyText.map(
      (t) =>
        `Bearer ${Buffer.from(t)
          .toString('latin1')
          .replace(/[\r\n]/g, '')}`,
    ),
  )
  .map((h): AuthKind => `raw:${h}`);

const weighted = (...kinds: [AuthKind | fc.Arbitrary<AuthKind>, number][]) =>
  fc.oneof(
    ...kinds.map(([k, weight]) => ({ arbitrary: typeof k === 'string' ? fc.constant(k) : k, weight })),
  );

const hasBody = (r: RouteEntry) => r.method !== 'GET' && r.method !== 'DELETE' && r.method !== 'OPTIONS';

/** JSON bodies from the route's body schema, with the Content-Type sometimes wrong */
function schemaBody(route: RouteEntry): fc.Arbitrary<BodyPart> {
  if (!hasBody(route))
    return fc.oneof(
      { arbitrary: fc.constant<BodyPart>({}), weight: 9 },
      {
        arbitrary: jsonBody(undefined).map((payload): BodyPart => ({
          payload,
          contentType: 'application/json',
        })),
        weight: 1,
      },
    );
  return fc
    .tuple(jsonBody(route.schema?.body as JsonSchema | undefined), contentType)
    .map(([payload, ct]): BodyPart =>
      payload === undefined ? { contentType: ct } : { payload, contentType: ct },
    );
}

const schemaQuery = (route: RouteEntry) => queryPairs(route.schema?.querystring as JsonSchema | undefined);

// ---- the native API, the agent protocol, the rest ------------------------------------------------

const native: FaceFuzz = {
  name: 'native',
  owns: (r) => r.url.startsWith('/api/v1/'),
  auth: () => weighted(['admin-key', 4], ['admin-session', 3], ['scoped', 3], ['none', 1], [garbageAuth, 1]),
  query: schemaQuery,
  body: schemaBody,
};

const agent: FaceFuzz = {
  name: 'agent',
  owns: (r) => r.url.startsWith('/agent/v1/'),
  auth: () => weighted(['device', 8], ['none', 1], ['admin-key', 1], [garbageAuth, 1]),
  query: schemaQuery,
  body: schemaBody,
};

/** health, metrics and the console's files */
const root: FaceFuzz = {
  name: 'root',
  owns: (r) => ['/metrics', '/healthz', '/readyz', '/', '/*'].includes(r.url),
  auth: () => weighted(['none', 3], ['admin-key', 1], [garbageAuth, 1]),
  query: schemaQuery,
  body: schemaBody,
};

// ---- Kaseya VSA (seed 004): OData query options, JSON and XML bodies -------------------------------

const KASEYA = '/api/v1.0';

/** the lists of the audit chapter by their path's end (src/faces/kaseya/audit-fields.ts) */
const AUDIT_LIST_FIELDS: readonly [string, FieldMap][] = [
  ['/credentials', credentialFields],
  ['/groups', groupAuditFields],
  ['/members', memberFields],
  ['/diskvolumes', diskVolumeFields],
  ['/pcianddisk', pciDiskFields],
  ['/printers', printerFields],
  ['/addremoveprograms', addRemoveFields],
  ['/installedapplications', auditedAppFields],
  ['/licenses', licenseFields],
  ['/securityproducts', securityProductFields],
  ['/startupapps', startupAppFields],
  ['/useraccounts', userAccountFields],
];

/** the list fields of each Kaseya list route (src/faces/kaseya/fields.ts) */
function kaseyaFields(url: string): FieldMap {
  const u = url.slice(KASEYA.length);
  if (u.startsWith('/assetmgmt/audit'))
    return AUDIT_LIST_FIELDS.find(([end]) => u.endsWith(end))?.[1] ?? auditSummaryFields;
  // agent procedures, agent logs and departments (src/faces/kaseya/procedures.ts, logs.ts, departments.ts)
  if (u.endsWith('/history') && u.startsWith('/automation')) return historyFields;
  if (u.startsWith('/automation/agentprocs')) return procedureFields;
  if (u.endsWith('/agentprocedure')) return procedureLogFields;
  if (u.startsWith('/assetmgmt/logs/') && u.endsWith('/alarms')) return alarmLogFields;
  if (u.startsWith('/assetmgmt/logs')) return eventLogFields;
  if (u.includes('departments')) return departmentFields;
  if (u.startsWith('/system/orgs') && !u.endsWith('machinegroups')) return orgFields;
  if (u === '/system/OrgNames') return orgFields;
  if (u.includes('machinegroups')) return groupFields;
  if (u.startsWith('/assetmgmt/agents')) return agentFields;
  if (u.startsWith('/assetmgmt/assets')) return assetFields;
  if (u.startsWith('/system/users')) return userFields;
  if (u.startsWith('/system/roles')) return roleFields;
  if (u.startsWith('/system/roletypes')) return roleTypeFields;
  if (u.includes('installedapplications')) return installedAppFields;
  if (u.startsWith('/assetmgmt/alarms')) return alarmFields;
  if (u.startsWith('/assetmgmt/patch'))
    return patchFields({ approved: [], denied: [], ignored: [] }, 'installedAt');
  return { ...orgFields, ...agentFields };
}

const text = (maxLength = 60): JsonSchema => ({ type: ['string', 'null'], maxLength });
const kid: JsonSchema = {
  anyOf: [
    { type: 'integer', minimum: 0, maximum: 60 },
    { type: 'string', pattern: '^[0-9]{1,3}$' },
    { type: 'null' },
  ],
};
const ktime: JsonSchema = { type: 'string', pattern: '^T([01][0-9]|2[0-3])(00|15|30|45)$' };

const ORG_BODY: JsonSchema = {
  type: 'object',
  properties: {
    OrgId: kid,
    OrgName: text(),
    OrgRef: { type: 'string', pattern: '^[a-z][a-z0-9.-]{0,20}$' },
    OrgType: text(),
    DefaultDepartmentName: text(),
    DefaultMachineGroupName: text(),
    ParentOrgId: kid,
    Website: text(),
    NoOfEmployees: { type: ['integer', 'string', 'null'], minimum: 0, maximum: 100_000 },
    AnnualRevenue: { type: ['number', 'null'], minimum: 0, maximum: 1e9 },
    ContactInfo: {
      type: ['object', 'null'],
      properties: { PrimaryEmail: text(), PrimaryPhone: text(), Country: text(), City: text() },
    },
    CustomFields: {
      type: ['array', 'null'],
      items: { type: 'object', properties: { FieldName: text(), FieldValue: text() } },
      maxItems: 3,
    },
    Attributes: { type: ['object', 'null'], properties: { a: text(), b: { type: 'integer' } } },
  },
};

const GROUP_BODY: JsonSchema = {
  type: 'object',
  properties: {
    MachineGroupId: kid,
    MachineGroupName: text(),
    ParentMachineGroupId: kid,
    OrgId: kid,
    Attributes: { type: ['object', 'null'], properties: { a: text() } },
  },
};

const PATCH_BODY: JsonSchema = {
  type: 'object',
  properties: {
    PatchIds: {
      type: ['array', 'null'],
      items: {
        anyOf: [
          { type: 'integer', minimum: 0, maximum: 60 },
          { type: 'string', pattern: '^[0-9]{1,2}$' },
        ],
      },
      maxItems: 4,
    },
    AgentGuids: {
      type: ['array', 'string', 'null'],
      items: kid,
      maxItems: 4,
      pattern: '^[0-9]{1,2}(,[0-9]{1,2})*$',
    },
    SkipIfOffLine: { type: ['boolean', 'string'], enum: [true, false, 'true', 'false', 'yes'] },
    PowerUpIfOffLine: { type: 'boolean' },
    ServerTimeZone: { type: 'boolean' },
    Recurrence: {
      type: ['object', 'null'],
      required: ['Repeat'],
      properties: {
        Repeat: { enum: [...KASEYA_REPEATS, 'Fortnightly'] },
        Times: { type: 'integer', minimum: 0, maximum: 100 },
        DaysOfWeek: { enum: ['Monday', 'Monday,Friday', KASEYA_DAY_NAMES.join(','), '', 'Funday'] },
        DayOfMonth: { enum: [...KASEYA_DAY_OF_MONTH.slice(0, 6), 'FifthDay'] },
        SpecificDayOfMonth: { type: 'integer', minimum: -1, maximum: 32 },
        MonthOfYear: { enum: ['January', 'Smarch', ''] },
        EndAt: ktime,
        EndOn: { type: 'string', format: 'date-time' },
        EndAfterIntervalTimes: { type: 'integer', minimum: -1, maximum: 1000 },
      },
    },
    Distribution: {
      type: 'object',
      properties: {
        Interval: { enum: ['Minutes', 'Hours', 'Days'] },
        Magnitude: { type: 'integer', minimum: -1, maximum: 1000 },
      },
    },
    Start: {
      type: 'object',
      required: ['StartOn', 'StartAt'],
      properties: { StartOn: { type: 'string', format: 'date-time' }, StartAt: ktime },
    },
    Exclusion: { type: 'object', properties: { From: ktime, To: ktime } },
  },
};

/** the audit chapter's warranty dates and the custom-field calls (src/faces/kaseya/audit.ts) */
const WARRANTY_BODY: JsonSchema = {
  type: 'object',
  properties: {
    PurchaseDate: { type: ['string', 'null'], format: 'date-time' },
    WarrantyExpireDate: { anyOf: [{ type: 'string', format: 'date-time' }, text(20)] },
  },
};
const CUSTOM_FIELD_BODY: JsonSchema = {
  type: 'object',
  properties: {
    FieldName: text(110),
    FieldType: { enum: ['string', 'number', 'datetime', 'date', 'time', 'blob', ''] },
    NewFieldName: text(110),
    FieldValue: { type: ['string', 'number', 'null'], maxLength: 40 },
    OrgId: kid,
    key: { enum: ['FieldName', 'FieldType', 'NewFieldName', 'FieldValue', 'OrgId', 'Nope'] },
    value: text(),
  },
};

const PROCEDURE_SCHEDULE_BODY: JsonSchema = {
  type: 'object',
  properties: {
    ...PATCH_BODY.properties,
    PatchIds: { type: 'null' },
    AgentGuids: { type: 'null' },
    AgentProcedureId: kid,
    AgentId: kid,
    ScriptPrompts: {
      type: ['array', 'null'],
      items: {
        type: 'object',
        properties: {
          Caption: text(),
          Name: { enum: ['Path', 'x_1', '1bad', '', 'a b', 'Name'] },
          Value: text(),
        },
      },
      maxItems: 3,
    },
  },
};

const DEPARTMENT_BODY: JsonSchema = {
  type: 'object',
  properties: {
    DepartmentId: kid,
    DepartmentName: text(),
    ParentDepartmentId: kid,
    ManagerId: kid,
    OrgId: kid,
    DepartmentRef: text(),
    Attributes: { type: ['object', 'null'], properties: { a: text() } },
  },
};

const USER_BODY: JsonSchema = {
  type: 'object',
  properties: {
    UserId: kid,
    AdminName: { type: 'string', pattern: '^[a-z][a-z0-9.-]{0,20}$' },
    AdminPassword: text(40),
    AdminRoleIds: { type: ['array', 'null'], items: kid, maxItems: 2 },
    AdminScopeIds: { type: ['array', 'null'], items: kid, maxItems: 2 },
    FirstName: text(),
    LastName: text(),
    Email: text(),
    DefaultStaffOrgId: kid,
    Attributes: {
      type: ['object', 'null'],
      properties: { Disabled: { type: 'boolean' }, TimeZone: { enum: ['Europe/Berlin', 'Mars/Base', ''] } },
    },
  },
};

const ROLE_BODY: JsonSchema = {
  type: 'object',
  properties: {
    RoleName: text(),
    RoleTypeIds: { type: ['array', 'null'], items: kid, maxItems: 2 },
    Attributes: {
      type: ['object', 'null'],
      properties: {
        Description: text(),
        Privileges: { type: 'array', items: { enum: ['read', 'approve', 'fly'] }, maxItems: 3 },
      },
    },
  },
};

const MEMBERSHIP_BODY: JsonSchema = {
  type: 'object',
  properties: { RoleName: text(), UserId: kid },
};

function kaseyaBodySchema(url: string): JsonSchema {
  const u = url.slice(KASEYA.length);
  if (u.endsWith('/purchaseandwarrantyexpire')) return WARRANTY_BODY;
  if (u.includes('/customfields')) return CUSTOM_FIELD_BODY;
  if (u.startsWith('/assetmgmt/audit')) return PATCH_BODY;
  if (u.startsWith('/automation/agentprocs')) return PROCEDURE_SCHEDULE_BODY;
  if (u.includes('departments')) return DEPARTMENT_BODY;
  if (u.startsWith('/system/users')) return USER_BODY;
  // Add User to User Role takes no body (an empty object at most)
  if (/^\/system\/roles\/[^/]+\/users\//.test(u)) return MEMBERSHIP_BODY;
  if (u.startsWith('/system/roles')) return ROLE_BODY;
  if (u.startsWith('/assetmgmt/patch')) return PATCH_BODY;
  if (u.includes('machinegroups')) return GROUP_BODY;
  return ORG_BODY;
}

/** Basic credentials for GET /auth: both forms, well-formed or not (the runner adds the real ones) */
const kaseyaBasic: fc.Arbitrary<AuthKind> = fc
  .tuple(
    fc.constantFrom('admin', 'fuzz-admin', 'nobody', '', 'a\u0000', 'ADMIN'),
    fc.oneof(
      fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }),
      fc.string({ maxLength: 70 }),
    ),
    fc.oneof(fc.integer({ min: 0 }).map(String), nastyText),
    fc.boolean(),
  )
  .map(([user, pass2, rand, hashed]): AuthKind => {
    const t = hashed ? `user=${user},pass2=${pass2},pass1=x,rand2=${rand}` : `${user}:${pass2}`;
    return `raw:Basic ${Buffer.from(t).toString('base64')}`;
  });

const kaseya: FaceFuzz = {
  name: 'kaseya',
  // GravityZone's /api/v1.0/jsonrpc lies inside this prefix and is not Kaseya's
  owns: (r) => (r.url === KASEYA || r.url.startsWith(`${KASEYA}/`)) && !gravityzone.owns(r),
  auth: (r) =>
    r.url === `${KASEYA}/auth`
      ? weighted([kaseyaBasic, 6], ['none', 1], [garbageAuth, 1], ['kaseya-admin', 1])
      : weighted(['kaseya-admin', 5], ['kaseya-scoped', 3], ['none', 1], ['admin-key', 1], [garbageAuth, 1]),
  query: (r) =>
    r.method === 'GET'
      ? odataPairs(kaseyaFields(r.url))
      : fc.oneof(
          { arbitrary: fc.constant<QueryPair[]>([]), weight: 4 },
          {
            arbitrary: fc.constantFrom<QueryPair[]>(
              [['agentGuids', '1,2']],
              [['agentGuids', '%00']],
              [['agentGuids', '99999999999999999999']],
              [['agentGuids', ',,,']],
            ),
            weight: 1,
          },
        ),
  body: (r) => {
    if (!hasBody(r)) return fc.constant<BodyPart>({});
    const schema = kaseyaBodySchema(r.url);
    const fields = Object.keys(schema.properties ?? {});
    return fc.oneof(
      {
        arbitrary: jsonBody(schema).map((payload): BodyPart => ({
          payload,
          contentType: 'application/json',
        })),
        weight: 5,
      },
      {
        arbitrary: fc
          .tuple(
            xmlBody(fields),
            fc.constantFrom('application/xml', 'text/xml', 'application/xml; charset=utf-8'),
          )
          .map(([payload, contentType]): BodyPart => ({ payload, contentType })),
        weight: 4,
      },
      {
        arbitrary: jsonBody(schema).map((p): BodyPart => ({
          payload: p ? `${p.slice(0, -1)},}` : p,
          contentType: 'application/json',
        })),
        weight: 1,
      },
      { arbitrary: fc.constant<BodyPart>({}), weight: 1 },
    );
  },
};

// ---- N-able N-sight (seed 001): service and parameters in the query string or a form body -------------

const NABLE_PATHS = ['/api/', '/api'];
const smallId: JsonSchema = { type: 'string', pattern: '^[0-9]{1,2}$' };

/** the parameters of the Data Extraction API's services, as a querystring schema */
const NABLE_QUERY: JsonSchema = {
  type: 'object',
  properties: {
    service: { enum: [...NABLE_SERVICES.map((s) => s.name), 'list_everything', ''] },
    deviceid: smallId,
    clientid: smallId,
    siteid: smallId,
    patchids: { type: 'string', pattern: '^[0-9]{1,2}(,[0-9]{1,2}){0,3}$' },
    devicetype: { enum: ['server', 'workstation', 'mobile_device', 'toaster'] },
    describe: { enum: ['0', '1', 'true', 'maybe'] },
    apikey: { type: 'string', maxLength: 60 },
  },
};

const nable: FaceFuzz = {
  name: 'nable',
  owns: (r) => NABLE_PATHS.includes(r.url),
  // the key goes as a Bearer header (which the face accepts besides apikey=): the runner knows it only there
  auth: () => weighted(['admin-key', 5], ['scoped', 3], ['none', 1], [garbageAuth, 1]),
  query: () => queryPairs(NABLE_QUERY),
  body: (r) =>
    r.method !== 'POST'
      ? fc.constant<BodyPart>({})
      : fc.oneof(
          {
            arbitrary: queryPairs(NABLE_QUERY).map((pairs): BodyPart => ({
              payload: pairs.map(([k, v]) => `${k}=${v}`).join('&'),
              contentType: 'application/x-www-form-urlencoded',
            })),
            weight: 5,
          },
          { arbitrary: schemaBody(r), weight: 1 },
          { arbitrary: fc.constant<BodyPart>({}), weight: 2 },
        ),
};

// ---- Automox: /api/<resource> with the organization in `o`, JSON bodies, a Bearer API key ----------

/** the resources of src/faces/automox/routes.ts (kept literal: a new resource must be added here too) */
const AUTOMOX_RESOURCES = [
  'policies',
  'policystats',
  'servers',
  'servergroups',
  'orgs',
  'approvals',
  'users',
  'events',
  'reports',
];
const axOwns = (url: string) =>
  AUTOMOX_RESOURCES.some((r) => url === `/api/${r}` || url.startsWith(`/api/${r}/`));

const axId = {
  anyOf: [
    { type: 'integer', minimum: 0, maximum: 40 },
    { type: 'string', pattern: '^[0-9]{1,2}$' },
  ],
};
const AX_POLICY: JsonSchema = {
  type: 'object',
  properties: {
    name: text(),
    policy_type_name: { enum: ['patch', 'custom', 'required_software', 'script'] },
    organization_id: axId,
    schedule_days: { type: 'integer', minimum: -2, maximum: 300 },
    schedule_weeks_of_month: { type: 'integer', minimum: -2, maximum: 70 },
    schedule_months: { type: 'integer', minimum: -2, maximum: 9000 },
    schedule_time: { enum: ['01:00', '23:59', '24:00', '1:00', ''] },
    notes: text(),
    server_groups: { type: ['array', 'null'], items: axId, maxItems: 3 },
    configuration: {
      type: ['object', 'null'],
      properties: {
        auto_patch: { type: ['boolean', 'string'] },
        auto_reboot: { type: 'boolean' },
        notify_user: { type: 'boolean' },
        notify_reboot_user: { type: 'boolean' },
        missed_patch_window: { type: 'boolean' },
        patch_rule: { enum: ['all', 'filter', 'manual', 'advanced', 'some'] },
        filter_type: { enum: ['include', 'exclude', 'severity', 'all'] },
        filters: { type: ['array', 'null'], items: text(), maxItems: 3 },
        severity_filter: {
          type: 'array',
          items: { enum: ['low', 'high', 'critical', 'urgent'] },
          maxItems: 3,
        },
        advanced_filter: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              left: { enum: ['severity', 'patch-source', 'colour'] },
              right: text(),
              condition: { enum: ['is', 'greater-than', 'contains'] },
            },
          },
          maxItems: 2,
        },
        include_optional: { type: 'boolean' },
        custom_notification_patch_message: text(),
        custom_notification_max_delays: { type: 'integer', minimum: -1, maximum: 200 },
        custom_notification_deferment_periods: {
          type: 'array',
          items: { type: 'integer', minimum: 0, maximum: 30 },
          maxItems: 4,
        },
      },
    },
  },
};
const AX_OTHER: JsonSchema = {
  type: 'object',
  properties: {
    action: { enum: ['remediateAll', 'remediateServer', 'delete', 'nothing'] },
    serverId: axId,
    batch: { type: 'array', items: axId, maxItems: 3 },
    policy_id: axId,
    server_groups: { type: 'array', items: axId, maxItems: 3 },
    device_filters: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          field: { enum: ['tag', 'hostname', 'os-family', 'serial'] },
          op: { enum: ['in', 'not-in', 'like'] },
          value: { type: 'array', items: text(), maxItems: 12 },
        },
      },
      maxItems: 3,
    },
    status: { enum: ['approved', 'rejected', 'maybe'] },
    command_type_name: {
      enum: [
        'GetOS',
        'InstallUpdate',
        'InstallAllUpdates',
        'PolicyTest',
        'PolicyRemediate',
        'Reboot',
        'Dance',
      ],
    },
    args: text(),
    name: text(),
    refresh_interval: { type: 'integer', minimum: 0, maximum: 2000 },
    parent_server_group_id: axId,
    server_group_id: axId,
    notes: text(),
    tags: { type: 'array', items: text(), maxItems: 2 },
  },
};

const automox: FaceFuzz = {
  name: 'automox',
  owns: (r) => axOwns(r.url),
  auth: () => weighted(['admin-key', 6], ['scoped', 1], ['none', 1], [garbageAuth, 1]),
  query: () =>
    fc
      .tuple(
        fc.constantFrom<QueryPair[]>(
          [],
          [['o', '1']],
          [['o', '2']],
          [['o', '3']],
          [['o', 'abc']],
          [['o', '%00']],
          [['o', '99999999999999999999']],
        ),
        fc.constantFrom<QueryPair[]>(
          [],
          [['limit', '2']],
          [['limit', '501']],
          [['page', '1']],
          [['page', '-1']],
          [
            ['limit', '1'],
            ['page', '99999'],
          ],
        ),
      )
      .map(([a, b]) => [...a, ...b]),
  body: (r) => {
    if (!hasBody(r)) return fc.constant<BodyPart>({});
    const schema = r.url === '/api/policies' || r.url === '/api/policies/:id' ? AX_POLICY : AX_OTHER;
    return fc.oneof(
      {
        arbitrary: jsonBody(schema).map((payload): BodyPart => ({
          payload,
          contentType: 'application/json',
        })),
        weight: 6,
      },
      { arbitrary: schemaBody(r), weight: 2 },
      { arbitrary: fc.constant<BodyPart>({}), weight: 1 },
    );
  },
};

// ---- Altiris PatchWorkflowSvc (seed 000): SOAP 1.1 / 1.2 envelopes and form posts over its methods ----

const ALTIRIS = '/Altiris/PatchManagementCore/PatchWorkflowSvc.asmx';
const SOAP_NS = {
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
};

/** GUIDs of every kind with small ids (the world's objects, the other tenant's among them), well-known ones, garbage */
const guidText: fc.Arbitrary<string> = fc.oneof(
  {
    arbitrary: fc
      .tuple(
        fc.constantFrom(...(Object.keys(GUID_KINDS) as GuidKind[])),
        fc.integer({ min: 1, max: 40 }),
        fc.boolean(),
      )
      .map(([k, id, upper]) => (upper ? `{${renderGuid(k, id).toUpperCase()}}` : renderGuid(k, id))),
    weight: 6,
  },
  { arbitrary: fc.constantFrom(...Object.values(WELL_KNOWN)), weight: 1 },
  { arbitrary: fc.uuid(), weight: 1 },
  { arbitrary: nastyText, weight: 1 },
);
const guidList = fc.array(guidText, { maxLength: 3 }).map((l) => l.join(','));

const scheduleXml = fc.constantFrom(
  '<schedule start="2031-01-01" tz="Local"><trigger dates="" months="" at="08:00:00" exact="True" type="Daily" repetition="" weekdays="" weeks="" duration=""/></schedule>',
  '<schedule start="2031-01-01" tz="UTC"><trigger at="25:00:00" type="Weekly" weekdays="Funday"/></schedule>',
  '<!DOCTYPE s [<!ENTITY e "x">]><schedule/>',
  '<schedule',
  '',
);

/** a value for a parameter: by its type and name, sometimes of the wrong type */
function paramValue(m: Method, name: string, type: string): fc.Arbitrary<string> {
  const nasty = { arbitrary: nastyText, weight: 1 };
  if (type === 'boolean')
    return fc.oneof({ arbitrary: fc.constantFrom('true', 'false', '1', '0', ' TRUE '), weight: 6 }, nasty);
  if (type === 'int')
    return fc.oneof(
      { arbitrary: fc.integer({ min: -2, max: 5 }).map(String), weight: 5 },
      { arbitrary: fc.constantFrom('2147483648', '1e3', '0x10'), weight: 1 },
      nasty,
    );
  if (/Guid|guid|^itemGuids$/.test(name)) return fc.oneof({ arbitrary: guidList, weight: 6 }, nasty);
  if (/[Ss]chedule/.test(name)) return fc.oneof({ arbitrary: scheduleXml, weight: 4 }, nasty);
  if (name === 'cveIds')
    return fc.oneof(
      { arbitrary: fc.constantFrom('CVE-2024-3094', 'CVE-2026-0001,CVE-2024-3094', 'CVE-x'), weight: 4 },
      nasty,
    );
  if (name === 'name' && m.name.includes('Property'))
    return fc.constantFrom(
      'Name',
      'Enabled',
      'CurrentAdvertismentSet.RebootOptions',
      'ResourceTargets',
      'Updates',
      'nope',
    );
  if (name === 'nameValueList') return fc.constantFrom('Name=x', 'Enabled=true,Description=y', 'broken', '');
  if (name === 'command')
    return fc.constantFrom('run', 'stop', 'status', 'progress', 'verbose', 'message', 'fly');
  return fc.oneof({ arbitrary: fc.string({ maxLength: 20 }), weight: 4 }, nasty);
}

const xmlEscape = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** a call of one method: each parameter present or not, with a value */
const altirisCall: fc.Arbitrary<{ m: Method; params: [string, string][] }> = fc
  .constantFrom(...METHODS)
  .chain((m) =>
    fc.tuple(...m.params.map((p) => fc.option(paramValue(m, p.name, p.type), { freq: 6 }))).map((vals) => ({
      m,
      params: m.params.flatMap((p, i) =>
        vals[i] === null || vals[i] === undefined ? [] : [[p.name, vals[i]!] as [string, string]],
      ),
    })),
  );

const soapEnvelope: fc.Arbitrary<BodyPart> = fc
  .tuple(altirisCall, fc.constantFrom('soap11', 'soap12') as fc.Arbitrary<'soap11' | 'soap12'>, fc.boolean())
  .map(([{ m, params }, style, raw]) => {
    const inner = params.map(([k, v]) => `<${k}>${raw ? v : xmlEscape(v)}</${k}>`).join('');
    return {
      payload: `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP_NS[style]}"><soap:Body><${m.name} xmlns="http://tempuri.org/">${inner}</${m.name}></soap:Body></soap:Envelope>`,
      contentType:
        style === 'soap11'
          ? 'text/xml; charset=utf-8'
          : `application/soap+xml; charset=utf-8; action="http://tempuri.org/${m.name}"`,
    };
  });

const formPost: fc.Arbitrary<BodyPart> = altirisCall.map(({ params }) => ({
  payload: new URLSearchParams(params).toString(),
  contentType: 'application/x-www-form-urlencoded',
}));

const altiris: FaceFuzz = {
  name: 'altiris',
  owns: (r) => r.url.startsWith('/Altiris/'),
  auth: () =>
    weighted(['altiris-admin', 5], ['altiris-scoped', 3], ['none', 1], ['admin-key', 1], [garbageAuth, 1]),
  query: (r) =>
    r.method === 'GET' && r.url === ALTIRIS
      ? fc.constantFrom<QueryPair[]>(
          [['WSDL', '']],
          [['wsdl', '']],
          [['op', 'MyPrivileges']],
          [['op', '%00']],
          [],
        )
      : fc.constant<QueryPair[]>([]),
  body: (r) => {
    if (!hasBody(r)) return fc.constant<BodyPart>({});
    if (r.url.endsWith('/:method'))
      return fc.oneof(
        { arbitrary: formPost, weight: 6 },
        { arbitrary: soapEnvelope, weight: 1 },
        { arbitrary: fc.constant<BodyPart>({}), weight: 1 },
      );
    return fc.oneof(
      { arbitrary: soapEnvelope, weight: 8 },
      {
        arbitrary: fc
          .tuple(nastyXml, fc.constantFrom('text/xml', 'application/soap+xml'))
          .map(([payload, contentType]): BodyPart => ({ payload, contentType })),
        weight: 2,
      },
      { arbitrary: formPost, weight: 1 },
      { arbitrary: fc.constant<BodyPart>({ payload: '{}', contentType: 'application/json' }), weight: 1 },
      { arbitrary: fc.constant<BodyPart>({}), weight: 1 },
    );
  },
};

/** every face, first match wins */
/** (GravityZone's paths lie inside Kaseya's prefix: it comes first) */
export const FACES: readonly FaceFuzz[] = [gravityzone, kaseya, nable, automox, altiris, native, agent, root];

/** the face of a route (undefined: a face nobody registered) */
export const faceOf = (route: RouteEntry) => FACES.find((f) => f.owns(route));
