import { before, after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { eachDriver } from '../support/store.ts';
import { ADMIN_PASSWORD, client, signIn, startApp, type Client } from '../support/api.ts';
import { scopedUser } from '../support/world.ts';
import { routeTable, scopeOf, type RouteEntry, type RouteScope } from '../../src/faces/shared/route-table.ts';
import { createEngine } from '../../src/engine/engine.ts';
import { createAlertEngine } from '../../src/engine/alerts.ts';
import { record } from '../../src/services/events.ts';
import { authenticate } from '../../src/services/auth.ts';
import { Context, systemContext } from '../../src/services/context.ts';
import { createApiKey } from '../../src/services/identity.ts';
import { createDepartment } from '../../src/services/departments.ts';
import { flushLastSeen } from '../../src/services/agents.ts';
import { ingestScan } from '../../src/services/scans.ts';
import { getDevice, updateDevice } from '../../src/services/devices.ts';
import type { Store } from '../../src/store/db.ts';
import { AREAS } from '../../src/faces/gravityzone/areas.ts';
import { gzId, patchGuid } from '../../src/faces/gravityzone/ids.ts';
import { validParams } from '../core/windows/gz-helpers.ts';
import { renderGuid } from '../../src/faces/altiris/guids.ts';
import { isAltirisClientFault } from './altiris/support.ts';
import { weeklyWindowSettings } from '../support/windows.ts';
import { changedTables, fingerprint } from '../support/fingerprint.ts';

// The tenancy matrix: every route of every face (from the route table, so a route is covered the day it is
// added) × every kind of caller × the objects of the OTHER tenant. Each route declares its rule in its config
// (`config: { scope }`, faces/shared/route-table.ts); a route without one fails the first test.
//
// The world: organization Alpha with groups alpha1 and alpha2 (an enrolled device, a policy, a window, a task
// and its instance, an agent job in each), organization Bravo with the same in bravo1; Bravo's device
// reported a package no other device has ("bravoonly"). Callers: the global administrator, Alpha's
// administrator, operator and viewer, an operator scoped to group alpha1, Bravo's administrator, nobody (no
// credentials) and Bravo's enrolled device (agent protocol). Every object of a tenant carries its name
// ("alpha1-…", "bravo1-…"), so any answer that shows another tenant's row is caught by its name.
//
// Per rule, for each caller of another tenant, with the path and body naming the other tenant's objects:
//   public        no credentials needed (not 401/403)
//   self          path ids of someone else's objects → 403/404, never 2xx; otherwise answered
//   global        403 for every caller without a scope over every organization
//   organization  path or body ids of the other organization → 403/404, never 2xx, the store unchanged
//                 (a fingerprint of every table's rows, taken before and after); lists never show its rows
//   group         as organization, and the alpha1 operator with alpha2's objects the same
//   catalog       answered to every signed-in caller; rows the other tenant's devices taught are not shown
//   device        the device credential only (a user's key is 401); another device's jobs → 404, unchanged
// and on every non-public route no credentials → 401; no answer is ever 5xx.

/**
 * Gaps known and not yet closed: each entry is a route whose expectations fail today, with the callers that
 * break it and why. The test fails when an entry is no longer needed. Empty since the Hardening issue's
 * fixes landed (group scopes, catalog tenancy, global catalog actions, explicit self checks).
 */
const KNOWN_GAPS: Record<string, { actors: readonly string[]; issue: string }> = {};

/** routes this matrix cannot exercise as it does the others, and why (an explicit reason, never a silent skip) */
const EXEMPT: Record<string, string> = {
  // the caller's own "ask before executing" preference: it writes only the caller's own user row (scope
  // self, services/procedures.ts ownUserId), a change of the users table like any other
  'PUT /api/v1.0/automation/agentprocs/quicklaunch/askbeforeexecuting':
    "changes only the caller's own user row (a preference), a change the store's fingerprint sees",
};

interface Victims {
  label: string;
  /** how the objects' names start: any answer containing it shows the victim's rows */
  marker: RegExp;
  org: number;
  group: number;
  device: number;
  policy: number;
  window: number;
  task: number;
  instance: number;
  job: number;
  update: number;
  scriptRun: number;
  /** an alert on the device (an install failed) and an e-mail alert subscription of the organization */
  alert: number;
  subscription: number;
  /** a procedure of the organization and a department of it (issue #16) */
  procedure: number;
  department: number;
  /** the install token the device enrolled with */
  token: number;
  /** a rollout plan over the group, the rollout of the group's own update into it, an auto-approval rule */
  plan: number;
  rollout: number;
  rule: number;
}
interface Globals {
  user: number;
  role: number;
  scope: number;
  apiKey: number;
}

interface Actor {
  name: string;
  kind: 'global' | 'user' | 'none' | 'device';
  auth?: string;
  /** the other tenant's objects this caller tries; `groupOnly` passes apply to `group` routes only */
  passes: { victims: Victims; groupOnly?: boolean }[];
  /** the caller's own user, API key or device: the rows it writes about itself are its own (snapshot) */
  own?: { user?: number; key?: number; device?: number };
}

const SHA = 'ab'.repeat(32);
const isId = (k: string) => /^(organizationId|groupId|parentId|deviceId|policyId|updateId)$/.test(k);

/** a minimal value for a JSON schema, naming the victims' objects where a property holds an id */
function sample(s: unknown, key: string, v: Victims): unknown {
  const sc = s as Record<string, unknown> | undefined;
  if (!sc) return undefined;
  if (Array.isArray(sc.anyOf))
    return sample(
      (sc.anyOf as Record<string, unknown>[]).find((x) => x.type !== 'null') ?? sc.anyOf[0],
      key,
      v,
    );
  if (Array.isArray(sc.enum)) return sc.enum[0];
  if (sc.const !== undefined) return sc.const;
  switch (sc.type) {
    case 'object': {
      const props = (sc.properties ?? {}) as Record<string, unknown>;
      const req = new Set((sc.required ?? []) as string[]);
      const o: Record<string, unknown> = {};
      for (const [k, p] of Object.entries(props)) if (req.has(k) || isId(k)) o[k] = sample(p, k, v);
      return o;
    }
    case 'array':
      if (/updateIds/.test(key)) return [v.update];
      if (/deviceIds/.test(key)) return [v.device];
      if (/groupIds/.test(key)) return [v.group];
      return (sc.minItems as number | undefined) ? [sample(sc.items, key, v)] : [];
    case 'integer':
    case 'number':
      return (
        { organizationId: v.org, groupId: v.group, parentId: v.group, deviceId: v.device }[key] ??
        (sc.minimum as number | undefined) ??
        1
      );
    case 'boolean':
      return false;
    case 'string':
      if (sc.format === 'date-time') return '2030-01-01T00:00:00Z';
      return `matrix-${key || 'x'}`.slice(0, Math.max(1, (sc.maxLength as number | undefined) ?? 50));
    default:
      return undefined;
  }
}

const weekly = {
  recurrence: { kind: 'weekly', every: 1, days: ['tue'] },
  start: '2026-01-05T22:00',
  zone: { kind: 'named', name: 'Europe/Berlin' },
  end: { kind: 'never' },
};

const windowSettings = weeklyWindowSettings({ days: [2], startHour: 1, endHour: 5 });

/** bodies the schema alone cannot make valid (or that a face reads without a schema), by route */
const BODIES: Record<string, (v: Victims) => unknown> = {
  'POST /api/v1/groups': (v) => ({ organizationId: v.org, parentId: v.group, name: 'intruders' }),
  'POST /api/v1/devices': (v) => ({ organizationId: v.org, groupId: v.group, name: 'intruder' }),
  'POST /api/v1/policies': (v) => ({
    organizationId: v.org,
    name: 'intruding policy',
    rule: { kind: 'all' },
    targets: { groups: [v.group] },
    schedule: weekly,
  }),
  'PUT /api/v1/policies/:id': (v) => ({
    name: 'taken',
    rule: { kind: 'all' },
    targets: { groups: [v.group] },
  }),
  'POST /api/v1/maintenance-windows': (v) => ({
    organizationId: v.org,
    name: 'intruding window',
    settings: windowSettings,
    assignments: { groups: [v.group] },
  }),
  'PATCH /api/v1/maintenance-windows/:id': (v) => ({ name: 'taken', assignments: { groups: [v.group] } }),
  'POST /api/v1/tasks': (v) => ({
    organizationId: v.org,
    kind: 'scan',
    name: 'intruding task',
    parameters: { target: { kind: 'groups', ids: [v.group] } },
  }),
  'POST /api/v1/staging/ensure': (v) => ({ updateIds: [v.update] }),
  'POST /api/v1/schedules/convert': () => ({
    from: 'rrule',
    to: 'canonical',
    value: 'DTSTART;TZID=Europe/Berlin:20260105T220000\nRRULE:FREQ=WEEKLY;BYDAY=TU',
  }),
  'PUT /api/v1/organizations/:id/custom-severities': () => [],
  'POST /api/v1/rollout-plans': (v) => ({
    organizationId: v.org,
    name: 'intruding plan',
    rings: [{ name: 'intruders', groups: [v.group], devices: [v.device] }],
  }),
  'PUT /api/v1/rollout-plans/:id': (v) => ({ name: 'taken', rings: [{ name: 'taken', groups: [v.group] }] }),
  'PUT /api/v1/auto-approval-rules/:id': (v) => ({
    name: 'taken',
    conditions: { groups: [v.group] },
    action: 'ignore',
  }),
  'PUT /api/v1/organizations/:id/auto-approval-rules/order': (v) => ({ ruleIds: [v.rule] }),
  'POST /agent/v1/checkin': () => ({}),
  'POST /agent/v1/scans': () => ({ sequence: 1, full: false, updates: [] }),
  'POST /agent/v1/jobs/:id/progress': () => ({ stage: 'installing' }),
  'POST /agent/v1/jobs/:id/result': () => ({ status: 'failed' }),
  'PUT /api/v1.0/system/orgs': (v) => ({ OrgId: String(v.org), OrgName: 'taken' }),
  'PUT /api/v1.0/system/orgs/:orgId': (v) => ({ OrgId: String(v.org), OrgName: 'taken' }),
  'POST /api/v1/script-runs': (v) => ({
    organizationId: v.org,
    deviceIds: [v.device],
    script: { shell: 'sh', code: 'echo intruder' },
  }),
  'PUT /api/v1/organizations/:id/script-settings': () => ({ scriptsEnabled: false }),
  'POST /api/v1/alert-subscriptions': (v) => ({
    organizationId: v.org,
    name: 'intruding subscription',
    kinds: ['install.failed'],
    channel: 'email',
    recipients: ['intruder@matrix.test'],
  }),
  'PATCH /api/v1/alert-subscriptions/:id': () => ({ name: 'taken' }),
  'POST /api/v1/alerts/:id/close': () => ({ notes: 'taken' }),
  'PUT /api/v1.0/assetmgmt/alarms/:alarmId/close': () => [{ key: 'notes', value: 'taken' }],
  'POST /api/v1/procedures': (v) => ({
    organizationId: v.org,
    name: 'intruding procedure',
    script: { shell: 'sh', code: 'echo intruder' },
  }),
  'PUT /api/v1/procedures/:id': () => ({ name: 'taken' }),
  'POST /api/v1/procedures/:id/run': (v) => ({ deviceId: v.device }),
  'PUT /api/v1.0/automation/agentprocs/:agentId/:agentProcId/schedule': () => ({
    Recurrence: { Repeat: 'Days', Times: 1 },
    Start: { StartOn: '2030-01-07T00:00:00.000Z', StartAt: 'T0300' },
  }),
  'PUT /api/v1.0/automation/agentprocs/quicklaunch/askbeforeexecuting': () => ({ flag: true }),
  'POST /api/v1.0/system/orgs/:orgId/departments': () => ({ DepartmentName: 'intruders' }),
  'PUT /api/v1.0/system/departments/:departmentId': () => ({ DepartmentName: 'taken' }),
  'POST /api/v1.0/system/users': () => ({
    AdminName: 'intruder',
    AdminPassword: 'intruder-password',
    AdminRoleIds: [1],
    AdminScopeIds: ['1'],
  }),
  'PUT /api/v1.0/system/users/:userId': () => ({ FirstName: 'taken' }),
  'POST /api/v1.0/system/roles': () => ({ RoleName: 'intruders' }),
  'POST /api/v1.0/system/orgs': () => ({ OrgName: 'intruders', OrgRef: 'intruders' }),
  'POST /api/v1.0/system/orgs/:orgId/machinegroups': () => ({ MachineGroupName: 'intruders' }),
  'POST /api/v1.0/system/orgs/:orgId/machine_groups': () => ({ MachineGroupName: 'intruders' }),
  'PUT /api/v1.0/system/machinegroups/:machineGroupId': () => ({ MachineGroupName: 'taken' }),
  'PUT /api/v1.0/assetmgmt/patch/runnow': (v) => ({ AgentGuids: [String(v.device)] }),
  'POST /api/servergroups': (v) => ({
    name: 'intruders',
    refresh_interval: 1440,
    parent_server_group_id: v.group,
  }),
  'PUT /api/servergroups/:id': (v) => ({
    name: 'taken',
    refresh_interval: 1440,
    parent_server_group_id: v.group,
  }),
  'POST /api/servers/:id/queues': () => ({ command_type_name: 'InstallAllUpdates' }),
  'PUT /api/servers/:id': (v) => ({ server_group_id: v.group, custom_name: 'taken' }),
  'POST /api/servers/batch': (v) => ({ action: 'delete', batch: [v.device] }),
  'POST /api/policies/:id/action': () => ({ action: 'remediateAll' }),
  'PUT /api/approvals/:id': () => ({ status: 'approved' }),
  'DELETE /api/v1.0/assetmgmt/patch': (v) => ({ AgentGuids: [String(v.device)] }),
  'PUT /api/v1.0/assetmgmt/patch/:agentId/setignore': (v) => ({ PatchIds: [String(v.update)] }),
  // the audit chapter and custom fields (faces/kaseya/audit.ts)
  ...Object.fromEntries(
    ['latest', 'baseline', 'sysinfo'].map((k) => [
      `PUT /api/v1.0/assetmgmt/audit/${k}/:agentId/schedule`,
      () => ({
        Recurrence: { Repeat: 'Days', Times: 1, EndAt: 'T0000', EndAfterIntervalTimes: 0 },
        Distribution: { Interval: 'Minutes', Magnitude: 0 },
        Start: { StartOn: '2030-01-07T00:00:00.000Z', StartAt: 'T0300' },
      }),
    ]),
  ),
  'PUT /api/v1.0/assetmgmt/audit/:agentId/hardware/purchaseandwarrantyexpire': () => ({
    PurchaseDate: '2024-08-01T00:00:00Z',
    WarrantyExpireDate: '2027-08-01T00:00:00Z',
  }),
  'POST /api/v1.0/assetmgmt/assets/customfields': (v) => [
    { key: 'FieldName', value: 'intruders' },
    { key: 'OrgId', value: String(v.org) },
  ],
  'PUT /api/v1.0/assetmgmt/assets/customfields/:fieldName': () => [{ key: 'NewFieldName', value: 'taken' }],
  'PUT /api/v1.0/assetmgmt/assets/:agentId/customfields/:fieldName': () => [
    { key: 'FieldValue', value: 'x' },
  ],
  'POST /agent/v1/audit': () => ({
    kind: 'latest',
    collectedAt: '2026-12-07T00:00:00.000Z',
    summary: {},
    applications: [],
    programs: [],
    volumes: [],
    devices: [],
    printers: [],
    securityProducts: [],
    startupApps: [],
    users: [],
    groups: [],
    members: [],
    licenses: [],
  }),
  'PUT /api/v1.0/assetmgmt/patch/:agentId/schedule': () => ({
    PatchIds: [0],
    Recurrence: { Repeat: 'Weeks', Times: 1, DaysOfWeek: 'Monday', EndAt: 'T0000', EndAfterIntervalTimes: 0 },
    Distribution: { Interval: 'Minutes', Magnitude: 0 },
    Start: { StartOn: '2030-01-07T00:00:00.000Z', StartAt: 'T0300' },
    Exclusion: { From: 'T0000', To: 'T0000' },
    Attributes: {},
  }),
};

/**
 * Routes that take the objects they act on from the query string (the N-sight face serves every service
 * at one path, `service=` naming it): each entry is checked once per query, as a route whose path named
 * the victims' objects (another tenant's caller gets 404/403 and nothing changes).
 */
const nsightReads = (v: Victims): string[] => [
  `service=patch_list_all&deviceid=${v.device}`,
  `service=list_device_monitoring_details&deviceid=${v.device}`,
  `service=list_sites&clientid=${v.org}`,
  `service=list_devices_at_client&clientid=${v.org}&devicetype=server`,
  `service=list_servers&siteid=${v.group}`,
  `service=list_workstations&siteid=${v.group}`,
];
const nsightWrites = (v: Victims): string[] =>
  ['approve', 'ignore', 'do_nothing', 'inherit', 'retry', 'reprocess'].map(
    (a) => `service=patch_${a}&deviceid=${v.device}&patchids=${v.update}`,
  );
/** a query whose service changes things (whatever the method): the victims' objects are watched */
const queryWrites = (q: string) => /(^|&)service=patch_(?!list_all)/.test(q);
/** a query naming only an organization: for a caller scoped to a group of it, a list (as orgOnly) */
const queryOrgOnly = (q: string) => /(^|&)clientid=/.test(q) && !/(deviceid|siteid)=/.test(q);
const QUERIES: Record<string, (v: Victims) => string[]> = {
  // every service at GET /api/; the same handler answers POST and /api, so those are sampled
  'GET /api/': (v) => [...nsightReads(v), ...nsightWrites(v)],
  'POST /api/': nsightWrites,
  'GET /api': (v) => nsightReads(v).slice(0, 1),
  'POST /api': (v) => nsightWrites(v).slice(0, 1),
};

// ---- the GravityZone face: one route per API area, the objects named in JSON-RPC params ----------------

const JSONRPC = '/api/v1.0/jsonrpc/';
const isRpcArea = (r: RouteEntry) => r.method === 'POST' && r.url.startsWith(JSONRPC) && !r.url.endsWith('*');

/**
 * Per JSON-RPC method, the params it is tried with, naming the victims' objects (a method without an entry
 * fails the test). Each call is compared with the same call naming objects that do not exist: another
 * tenant's objects must answer exactly as those (ids aside), and no answer may show the victims' rows.
 */
const RPC_CALLS: Record<string, ((v: Victims) => Record<string, unknown>)[]> = {
  createPatchManagementMaintenanceWindow: [
    (v) => {
      const p = validParams();
      p.settings.installPatchesSettings.manuallyApprovedPatchIds = [patchGuid(v.update)];
      return { ...p, name: 'intruding window', companyId: gzId('company', v.org) };
    },
  ],
  updatePatchManagementMaintenanceWindow: [(v) => ({ id: gzId('window', v.window), name: 'taken' })],
  getMaintenanceWindowsList: [(v) => ({ companyId: gzId('company', v.org) }), () => ({ perPage: 100 })],
  getMaintenanceWindowDetails: [(v) => ({ maintenanceWindowId: gzId('window', v.window) })],
  deleteMaintenanceWindow: [(v) => ({ maintenanceWindowId: gzId('window', v.window) })],
  assignMaintenanceWindows: [
    (v) => ({ policyId: gzId('policy', v.policy), maintenanceWindowIds: [gzId('window', v.window)] }),
  ],
  unassignMaintenanceWindows: [
    (v) => ({ policyId: gzId('policy', v.policy), maintenanceWindowIds: [gzId('window', v.window)] }),
  ],
  getManuallyApprovedPatches: [(v) => ({ companyId: gzId('company', v.org) })],
  getMissingPatches: [(v) => ({ endpointId: gzId('endpoint', v.device) })],
  getPatchInventory: [(v) => ({ companyId: gzId('company', v.org) })],
  getInstalledPatches: [(v) => ({ endpointId: gzId('endpoint', v.device) })],
  createPatchScanTask: [(v) => ({ targetIds: [gzId('endpoint', v.device)] })],
  createPatchInstallTask: [
    (v) => ({ targetIds: [gzId('endpoint', v.device)], patchIds: [patchGuid(v.update)] }),
    (v) => ({ targetIds: [gzId('group', v.group)] }),
  ],
  getEndpointsList: [
    (v) => ({ parentId: gzId('company', v.org) }),
    (v) => ({ parentId: gzId('group', v.group) }),
    () => ({ perPage: 100 }),
  ],
  getManagedEndpointDetails: [(v) => ({ endpointId: gzId('endpoint', v.device) })],
  createScanTask: [
    (v) => ({ targetIds: [gzId('endpoint', v.device)] }),
    (v) => ({ targetIds: [gzId('group', v.group)] }),
  ],
  getTaskStatus: [(v) => ({ taskId: gzId('task', v.instance) })],
  getCompanyDetails: [(v) => ({ companyId: gzId('company', v.org) })],
  getCompaniesList: [(v) => ({ parentId: gzId('company', v.org) }), () => ({})],
  getPoliciesList: [(v) => ({ companyId: gzId('company', v.org) }), () => ({ perPage: 100 })],
  getPolicyDetails: [(v) => ({ policyId: gzId('policy', v.policy) })],
  getApiKeyDetails: [() => ({})],
};
const readsOnly = (method: string) => method.startsWith('get');
/** the same ids for objects that do not exist */
const GHOST_ID = 987_654;
/** ids (24 hex digits, patch GUIDs) replaced, to compare answers naming other objects */
const withoutIds = (text: string) =>
  text.replace(/[0-9a-f]{24}/g, 'ID').replace(/\{[0-9A-F]{8}-[0-9A-F]{4}-0000-0000-000000000000\}/g, 'PATCH');

// The Altiris SOAP service: one route per call style; the matrix changes the victim's policy targets
// through it (SetSoftwareUpdatePolicyTargets with the victim's policy and group GUIDs). ASMX answers
// "not found" as a client fault with HTTP 500 (isAltirisClientFault): that is its 404.
const ALTIRIS = '/Altiris/PatchManagementCore/PatchWorkflowSvc.asmx';
const altirisParams = (v: Victims) => ({
  policyGuids: renderGuid('policy', v.policy),
  targetGuids: renderGuid('group', v.group),
});
const RAW_BODIES: Record<string, (v: Victims) => { payload: string; contentType: string }> = {
  [`POST ${ALTIRIS}`]: (v) => {
    const p = altirisParams(v);
    return {
      contentType: 'text/xml; charset=utf-8',
      payload: `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><SetSoftwareUpdatePolicyTargets xmlns="http://tempuri.org/"><policyGuids>${p.policyGuids}</policyGuids><targetGuids>${p.targetGuids}</targetGuids></SetSoftwareUpdatePolicyTargets></soap:Body></soap:Envelope>`,
    };
  },
  [`POST ${ALTIRIS}/:method`]: (v) => ({
    contentType: 'application/x-www-form-urlencoded',
    payload: new URLSearchParams(altirisParams(v)).toString(),
  }),
};
/** an Altiris fault saying the item was not found: the SOAP face's 404 */
const altirisNotFound = (url: string, status: number, text: string) =>
  isAltirisClientFault(url, status, text) && /not found/.test(text);

/** the value of a path parameter, by the segment before it (a new kind of parameter fails the test) */
function param(route: string, name: string, v: Victims, g: Globals): string {
  const before = route.split(`:${name}`)[0]!.replace(/\/$/, '');
  const seg = before.slice(before.lastIndexOf('/') + 1);
  const byName: Record<string, string> = {
    orgId: String(v.org),
    machineGroupId: String(v.group),
    agentId: String(v.device),
    assetId: String(v.device),
    moduleId: '3',
    partitionId: '1',
    packageId: '1',
    noteId: '1',
    logType: 'system',
    since: '2020-01-01',
    networkId: '1',
    patchId: String(v.update),
    userId: String(g.user),
    roleId: String(g.role),
    roleTypeId: '1',
    agentguid: String(v.device),
    agentProcId: String(v.procedure),
    agentProcedureId: String(v.procedure),
    deptId: String(v.department),
    departmentId: String(v.department),
    viewId: '1',
    hideDeniedPatches: 'true',
    fieldName: 'matrix',
    uninstallFirst: 'false',
    newName: 'renamed',
    action: 'approve',
    sha256: SHA,
    method: 'SetSoftwareUpdatePolicyTargets',
    alarmId: String(v.alert),
    '*': 'matrix',
  };
  if (name !== 'id') {
    const p = byName[name];
    if (p === undefined) throw new Error(`${route}: no value for the path parameter :${name} (add it here)`);
    return p;
  }
  const bySegment: Record<string, number | string> = {
    organizations: v.org,
    groups: v.group,
    devices: v.device,
    policies: v.policy,
    'maintenance-windows': v.window,
    tasks: v.task,
    'task-instances': v.instance,
    'install-tokens': v.token,
    jobs: v.job,
    updates: v.update,
    bulletins: 1,
    cves: 'CVE-2026-0001',
    users: g.user,
    roles: g.role,
    scopes: g.scope,
    'api-keys': g.apiKey,
    'script-runs': v.scriptRun,
    'rollout-plans': v.plan,
    rollouts: v.rollout,
    'auto-approval-rules': v.rule,
    alerts: v.alert,
    'alert-subscriptions': v.subscription,
    procedures: v.procedure,
    // the Automox face (/api/<resource>)
    servers: v.device,
    servergroups: v.group,
    orgs: v.org,
    approvals: v.update,
  };
  const p = bySegment[seg];
  if (p === undefined) throw new Error(`${route}: no value for :id after /${seg} (add it here)`);
  return String(p);
}

/** the Automox face names the organization in the `o` query parameter of every call */
const AUTOMOX =
  /^\/api\/(policies|policystats|servers|servergroups|orgs|approvals|users|events|reports)(\/|$)/;
const namesOrgInQuery = (route: string) => AUTOMOX.test(route);

function fill(route: string, v: Victims, g: Globals, query?: (v: Victims) => string): string {
  const path = route
    .replace(/:([A-Za-z0-9_]+)/g, (_m, n: string) => param(route, n, v, g))
    // an Automox resource's not-found route: one segment would reach the resource's `:id` route
    .replace(/\*$/, () => (namesOrgInQuery(route) ? 'matrix/none' : param(route, '*', v, g)));
  if (query) return `${path}?${query(v)}`;
  return namesOrgInQuery(route) ? `${path}?o=${v.org}` : path;
}

const hasParams = (url: string) => /[:*]/.test(url);
/** a route whose only path parameter is an organization: for a caller scoped to a group of it, a list */
const orgOnly = (url: string) =>
  (url.match(/:[A-Za-z0-9_]+/g) ?? []).every((p, i, all) =>
    p === ':orgId' ? true : p === ':id' && url.includes('/organizations/:id') && all.length === 1,
  );
/**
 * PATCHLINE_MATRIX_SHARD=K/N runs the K-th of N interleaved parts of the routes (the matrix.*.test.ts files
 * split it so that no one file runs for many minutes); unset, every route.
 */
function shard<T>(all: readonly T[]): readonly T[] {
  const m = /^(\d+)\/(\d+)$/.exec(process.env.PATCHLINE_MATRIX_SHARD ?? '');
  if (!m) return all;
  const [k, n] = [Number(m[1]), Number(m[2])];
  return all.filter((_, i) => i % n === k - 1);
}
const mutating = (method: string) => !['GET', 'HEAD', 'OPTIONS'].includes(method);

eachDriver('tenancy matrix over every route of every face', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let store: Store;
  let routes: readonly RouteEntry[];
  let actors: Actor[];
  let A1: Victims, A2: Victims, B1: Victims;
  let g: Globals;
  let adminKey: string;
  let publicFixtures: Record<string, Partial<InjectOptions>>;

  /** a user's own API key (works on the native and the Kaseya faces) */
  async function keyOf(
    username: string,
    password: string,
  ): Promise<{ key: string; id: number; userId: number }> {
    const r = await client(app).post('/api/v1/auth/login', { username, password });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const ctx = new Context(store, await authenticate(store, r.body.token));
    const k = await createApiKey(ctx, { name: `${username}-matrix` });
    return { key: k.key, id: k.id, userId: ctx.actor.userId ?? 0 };
  }

  before(async () => {
    store = h.store();
    app = await startApp(store);
    routes = routeTable(app);
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    const mk = async (path: string, body: unknown) => {
      const r = await admin.post(path, body);
      assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
      return r.body;
    };
    const sys = systemContext(store, 'matrix');
    const enroll = async (org: number, group: number, name: string) => {
      const t = await mk(`/api/v1/organizations/${org}/install-tokens`, { name, groupId: group });
      const e = await client(app).post('/agent/v1/enroll', { token: t.token, name, osFamily: 'linux' });
      assert.equal(e.status, 201, JSON.stringify(e.body));
      return {
        id: e.body.deviceId as number,
        credential: e.body.credential as string,
        token: t.id as number,
      };
    };
    const tenant = async (org: { id: number }, groupName: string, marker: RegExp, pkg: string) => {
      const group = await mk('/api/v1/groups', { organizationId: org.id, name: `${groupName}-grp` });
      const dev = await enroll(org.id, group.id, `${groupName}-dev`);
      await ingestScan(sys, dev.id, {
        full: true,
        updates: [
          { kind: 'deb', name: 'openssl', version: '3.0.22-1', detection: 'missing', isSecurity: true },
          { kind: 'deb', name: pkg, version: '1.0-1', detection: 'missing' },
        ],
      });
      const ups = await admin.get(`/api/v1/devices/${dev.id}/updates?sort=name`);
      const update = ups.body.items.find((u: { name: string }) => u.name === pkg).updateId as number;
      const policy = await mk('/api/v1/policies', {
        organizationId: org.id,
        name: `${groupName}-policy`,
        rule: { kind: 'all' },
        targets: { groups: [group.id] },
        schedule: weekly,
      });
      const window = await mk('/api/v1/maintenance-windows', {
        organizationId: org.id,
        name: `${groupName}-window`,
        settings: windowSettings,
        assignments: { groups: [group.id] },
      });
      const task = await mk('/api/v1/tasks', {
        organizationId: org.id,
        kind: 'scan',
        name: `${groupName}-task`,
        parameters: { target: { kind: 'groups', ids: [group.id] } },
      });
      const instance = await mk(`/api/v1/tasks/${task.id}/run`, {});
      const engine = createEngine({ store, owner: 'matrix', pollMs: 10 });
      await engine.tick();
      await engine.stop();
      const c = await client(app, dev.credential).post('/agent/v1/checkin', {});
      assert.equal(c.status, 200, JSON.stringify(c.body));
      const job = c.body.jobs[0]?.id as number;
      assert.ok(job, `${groupName}: the device has a job`);
      // a script run (ad hoc) waiting for the device, with scripts turned on for the organization
      const on = await admin.call('PUT', `/api/v1/organizations/${org.id}/script-settings`, {
        scriptsEnabled: true,
      });
      assert.equal(on.status, 200, JSON.stringify(on.body));
      const started = await admin.post('/api/v1/script-runs', {
        organizationId: org.id,
        deviceIds: [dev.id],
        script: { shell: 'sh', code: `echo ${groupName}-script` },
      });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const plan = await mk('/api/v1/rollout-plans', {
        organizationId: org.id,
        name: `${groupName}-plan`,
        rings: [{ name: `${groupName}-ring`, groups: [group.id], gate: { minPercent: 50, afterHours: 1 } }],
      });
      const approved = await admin.post(`/api/v1/rollout-plans/${plan.id}/approve`, { updateIds: [update] });
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      const rule = await mk(`/api/v1/organizations/${org.id}/auto-approval-rules`, {
        name: `${groupName}-rule`,
        conditions: { package: `${groupName}-nothing-matches` },
        action: 'ignore',
      });
      // an install failure on the device, raised as an alert by the alert engine; an e-mail subscription
      await record(sys, store.db, {
        kind: 'device_update.status',
        organizationId: org.id,
        subjectType: 'device_update',
        subjectId: `${dev.id}:${update}`,
        deviceId: dev.id,
        updateId: update,
        data: { from: 'installing', to: 'failed', reason: `${groupName}-failure` },
      });
      await createAlertEngine({ store }).tick();
      const alerts = await admin.get(`/api/v1/alerts?deviceId=${dev.id}&kind=install.failed`);
      assert.equal(alerts.body.items.length, 1, JSON.stringify(alerts.body));
      const subscription = await mk('/api/v1/alert-subscriptions', {
        organizationId: org.id,
        name: `${groupName}-subscription`,
        kinds: ['install.failed'],
        channel: 'email',
        recipients: [`${groupName}@matrix.test`],
      });
      const procedure = await mk('/api/v1/procedures', {
        organizationId: org.id,
        name: `${groupName}-procedure`,
        script: { shell: 'sh', code: `echo ${groupName}-procedure` },
        quickLaunch: true,
        portal: true,
      });
      const department = await createDepartment(sys, org.id, {
        name: `${groupName}-department`,
        parentId: null,
        ref: null,
        managerId: null,
        attributes: {},
      });
      const v: Victims = {
        label: groupName,
        marker,
        org: org.id,
        group: group.id,
        device: dev.id,
        policy: policy.id,
        window: window.id,
        task: task.id,
        instance: instance.id,
        job,
        update,
        scriptRun: started.body.runs[0].id as number,
        alert: alerts.body.items[0].id as number,
        subscription: subscription.id as number,
        procedure: procedure.id as number,
        department: department.id,
        token: dev.token,
        plan: plan.id,
        rollout: approved.body.rollouts[0].id as number,
        rule: rule.id,
      };
      return { v, credential: dev.credential };
    };
    const orgA = await mk('/api/v1/organizations', { name: 'Alpha', ref: 'alpha' });
    const orgB = await mk('/api/v1/organizations', { name: 'Bravo', ref: 'bravo' });
    const orgC = await mk('/api/v1/organizations', { name: 'Charlie', ref: 'charlie' });
    A1 = (await tenant(orgA, 'alpha1', /alpha/i, 'alpha1only')).v;
    A2 = (await tenant(orgA, 'alpha2', /alpha2/i, 'alpha2only')).v;
    const b = await tenant(orgB, 'bravo1', /bravo/i, 'bravoonly');
    B1 = b.v;

    const role = await mk('/api/v1/roles', { name: 'matrix-role', privileges: ['read'] });
    const scope = await mk('/api/v1/scopes', {
      name: 'matrix-scope',
      entries: [{ organizationId: orgC.id, groupId: null }],
    });
    const ak = await keyOf('admin', ADMIN_PASSWORD);
    adminKey = ak.key;
    g = { user: ak.userId, role: role.id, scope: scope.id, apiKey: ak.id };
    assert.ok(g.user);

    const user = async (name: string, org: number, roleName: string, group: number | null = null) => {
      const u = await scopedUser(admin, name, org, roleName, group);
      const k = await keyOf(name, u.password);
      return { auth: k.key, own: { user: k.userId, key: k.id } };
    };
    actors = [
      { name: 'global admin', kind: 'global', auth: adminKey, passes: [] },
      {
        name: 'alpha admin',
        kind: 'user',
        ...(await user('alpha-admin', orgA.id, 'Administrator')),
        passes: [{ victims: B1 }],
      },
      {
        name: 'alpha operator',
        kind: 'user',
        ...(await user('alpha-op', orgA.id, 'Operator')),
        passes: [{ victims: B1 }],
      },
      {
        name: 'alpha viewer',
        kind: 'user',
        ...(await user('alpha-viewer', orgA.id, 'Viewer')),
        passes: [{ victims: B1 }],
      },
      {
        name: 'alpha1 operator',
        kind: 'user',
        ...(await user('alpha1-op', orgA.id, 'Operator', A1.group)),
        passes: [{ victims: B1 }, { victims: A2, groupOnly: true }],
      },
      {
        name: 'bravo admin',
        kind: 'user',
        ...(await user('bravo-admin', orgB.id, 'Administrator')),
        passes: [{ victims: A1 }],
      },
      { name: 'nobody', kind: 'none', passes: [{ victims: A1 }] },
      {
        name: 'bravo device',
        kind: 'device',
        auth: b.credential,
        own: { device: B1.device },
        passes: [{ victims: A1 }],
      },
    ];

    // what a public route needs to answer a caller without credentials
    const token = await mk(`/api/v1/organizations/${orgC.id}/install-tokens`, { name: 'public' });
    await scopedUser(admin, 'matrix-public', orgC.id, 'Viewer');
    publicFixtures = {
      'POST /api/v1/auth/login': {
        payload: { username: 'matrix-public', password: 'matrix-public-password' },
      },
      'POST /agent/v1/enroll': { payload: { token: token.token, name: 'charlie-dev' } },
      'GET /api/v1.0/auth': {
        headers: { authorization: `Basic ${Buffer.from(`admin:${adminKey}`).toString('base64')}` },
      },
    };
  });
  after(async () => app?.close());

  test('every route of every face declares its scope rule', () => {
    const missing = routes.filter((r) => !scopeOf(r)).map((r) => `${r.method} ${r.url}`);
    assert.deepEqual(
      missing,
      [],
      `routes without config.scope (faces/shared/route-table.ts):\n${missing.join('\n')}`,
    );
    assert.ok(routes.length > 100, `the route table has ${routes.length} routes`);
  });

  // A rollout plan across organizations (a provider's, issue #18) is no one tenant's object, so the passes
  // over the other tenant's objects cannot name it: here every rollout route is called with it by each
  // tenant-scoped caller, including the administrators of the organizations it spans. None may see it,
  // change it or act on its rollout (404 like a missing one, never 2xx), lists never show it, and it is
  // unchanged after (read as the global administrator).
  const firstShard =
    !/^(\d+)\//.test(process.env.PATCHLINE_MATRIX_SHARD ?? '') ||
    process.env.PATCHLINE_MATRIX_SHARD!.startsWith('1/');
  test(
    'a rollout plan across organizations: no tenant-scoped caller sees or acts on it',
    {
      skip: firstShard ? false : 'runs in the first shard of the routes',
    },
    async () => {
      const rings = [
        { name: 'across alpha1', groups: [A1.group] },
        { name: 'across bravo1', groups: [B1.group] },
      ];
      const made = await send('POST', '/api/v1/rollout-plans', adminKey, {
        organizationId: null,
        name: 'across-provider-plan',
        rings,
      });
      assert.equal(made.status, 201, made.text);
      const plan = JSON.parse(made.text) as { id: number };
      const approved = await send('POST', `/api/v1/rollout-plans/${plan.id}/approve`, adminKey, {
        updateIds: [A1.update],
      });
      assert.equal(approved.status, 200, approved.text);
      const rollout = (JSON.parse(approved.text) as { rollouts: { id: number }[] }).rollouts[0]!.id;
      const read = async () =>
        (await send('GET', `/api/v1/rollout-plans/${plan.id}`, adminKey, undefined)).text;
      const before = await read();
      const planRoutes = routes.filter((r) => /^\/api\/v1\/(rollout-plans|rollouts)\/:id/.test(r.url));
      assert.ok(planRoutes.length >= 8, planRoutes.map((r) => r.url).join(', '));
      for (const a of actors.filter((x) => x.kind === 'user'))
        for (const r of planRoutes) {
          const id = r.url.startsWith('/api/v1/rollouts/') ? rollout : plan.id;
          const body =
            r.method === 'PUT'
              ? { name: 'taken', rings }
              : r.url.endsWith('/approve')
                ? { updateIds: [A1.update] }
                : r.method === 'POST'
                  ? {}
                  : undefined;
          const res = await send(r.method, r.url.replace(':id', String(id)), a.auth, body);
          assert.ok(
            res.status === 404 || res.status === 403,
            `${a.name} ${r.method} ${r.url}: ${res.status} ${res.text.slice(0, 200)}`,
          );
        }
      for (const a of actors.filter((x) => x.kind === 'user')) {
        const list = await send('GET', '/api/v1/rollout-plans', a.auth, undefined);
        assert.ok(!list.text.includes('across-provider-plan'), `${a.name} lists it`);
      }
      assert.equal(await read(), before, 'unchanged');
      assert.equal(
        (await send('DELETE', `/api/v1/rollout-plans/${plan.id}`, adminKey, undefined)).status,
        204,
      );
    },
  );

  async function send(
    method: string,
    url: string,
    auth: string | undefined,
    body: unknown,
    extra: Partial<InjectOptions> = {},
  ) {
    const raw =
      typeof body === 'object' && body !== null && 'contentType' in body
        ? (body as { payload: string; contentType: string })
        : undefined;
    if (raw) body = raw.payload;
    const r = await app.inject({
      method: method as InjectOptions['method'],
      url,
      headers: {
        ...(auth ? { authorization: `Bearer ${auth}` } : {}),
        ...(raw ? { 'content-type': raw.contentType } : {}),
        ...(extra.headers ?? {}),
      },
      ...(extra.payload !== undefined
        ? { payload: extra.payload as object }
        : body === undefined
          ? {}
          : { payload: body as object }),
    });
    await planted?.(method, url);
    return { status: r.statusCode, text: r.body };
  }
  /** the matrix's self-test: a write made after a call, as a route that writes across tenants would */
  let planted: ((method: string, url: string) => Promise<void>) | undefined;

  /**
   * What the store holds, to compare before and after the other tenant's calls: every table's rows (one
   * query, test/support/fingerprint.ts), so a write anywhere is caught, not only to the objects a list of
   * reads would show. Left out: the last-use stamps a caller's request sets on its own key or device
   * (lastUsedAt, lastSeenAt), and the callers' own rows outside the victims' organization: a self route
   * makes the caller's own key (and its event), a device's check-in hands it its own jobs, its audit and
   * scan record its own report, its credential rotation its own row. Nothing else changes on a refused
   * request (measured over every route): the callers use API keys (no sessions, no sign-in attempts), and
   * refusals are not recorded as events. What earlier check-ins buffered (their last_seen_at stamps and
   * settings hashes, written in batches every two seconds) is written before each snapshot, or a batch
   * landing between two snapshots would look like a write by the refused call.
   */
  async function snapshot(callers: readonly Actor[], v: Victims): Promise<Map<string, string>> {
    const own = (k: 'user' | 'key' | 'device') =>
      callers.flatMap((a) => (a.own?.[k] === undefined ? [] : [a.own[k]]));
    // the check-ins before it buffered their stamps and settings hashes: written now, not in the middle
    await flushLastSeen(store);
    return fingerprint(store, {
      ignoreColumns: ['last_used_at', 'last_seen_at'],
      own: { users: own('user'), keys: own('key'), devices: own('device'), watched: v.org },
    });
  }

  interface Attempt {
    actor: Actor;
    victims: Victims;
    groupOnly: boolean;
  }

  /** one route for every caller; returns the problems found, each starting with the caller's name */
  /** `query`: the route's query string naming the victims' objects (QUERIES) */
  async function checkRoute(
    r: RouteEntry,
    scope: RouteScope,
    query?: (v: Victims) => string,
  ): Promise<string[]> {
    if (isRpcArea(r) && scope !== 'public') return checkRpcArea(r);
    const key = `${r.method} ${r.url}`;
    const problems: string[] = [];
    const bodyFor = (v: Victims) =>
      RAW_BODIES[key]?.(v) ??
      BODIES[key]?.(v) ??
      (r.schema?.body ? sample(r.schema.body, '', v) : mutating(r.method) ? {} : undefined);
    const tenants: Attempt[] = [];

    for (const actor of actors) {
      const say = (what: string) => problems.push(`${actor.name}: ${what}`);
      const first = actor.passes[0]?.victims ?? A1;
      if (actor.kind === 'none') {
        const res = await send(
          r.method,
          fill(r.url, first, g, query),
          undefined,
          bodyFor(first),
          publicFixtures[key],
        );
        if (scope === 'public') {
          if (res.status === 401 || res.status === 403)
            say(`a public route answered ${res.status} without credentials`);
          // 503 is a public answer (not ready, the console not built)
          if (
            res.status >= 500 &&
            res.status !== 503 &&
            !isAltirisClientFault(fill(r.url, first, g), res.status, res.text)
          )
            say(`${res.status} ${res.text.slice(0, 200)}`);
        } else if (res.status !== 401) say(`no credentials → ${res.status}, not 401`);
      } else if (scope === 'public') {
        continue; // answered to everyone; the caller without credentials checks it
      } else if (actor.kind === 'global') {
        if (mutating(r.method)) continue; // the positive control only reads: it must not change the world
        const res = await send(r.method, fill(r.url, A1, g, query), actor.auth, undefined);
        if (scope === 'device') {
          if (res.status !== 401) say(`a user's key on a device route → ${res.status}, not 401`);
        } else if (res.status === 401 || res.status === 403 || res.status >= 500)
          say(`the global administrator got ${res.status} ${res.text.slice(0, 200)}`);
      } else if (actor.kind === 'device' ? scope !== 'device' : scope === 'device') {
        const res = await send(r.method, fill(r.url, first, g, query), actor.auth, bodyFor(first));
        if (res.status !== 401)
          say(
            `${actor.kind === 'device' ? 'a device credential on a user route' : "a user's key on a device route"} → ${res.status}, not 401`,
          );
      } else
        for (const p of actor.passes)
          if (!p.groupOnly || scope === 'group')
            tenants.push({ actor, victims: p.victims, groupOnly: p.groupOnly ?? false });
    }

    // the other tenant's callers, grouped by victims: one snapshot before and after each group
    const byVictims = new Map<Victims, Attempt[]>();
    for (const a of tenants) byVictims.set(a.victims, [...(byVictims.get(a.victims) ?? []), a]);
    for (const [v, attempts] of byVictims) {
      const watch = mutating(r.method) || (query !== undefined && queryWrites(query(v)));
      const callers = attempts.map((x) => x.actor);
      const before = watch ? await snapshot(callers, v) : undefined;
      const succeeded: string[] = [];
      for (const { actor, groupOnly } of attempts) {
        const say = (what: string) => problems.push(`${actor.name}: ${what}`);
        const url = fill(r.url, v, g, query);
        const res = await send(r.method, url, actor.auth, bodyFor(v));
        if (res.status < 300) succeeded.push(`${actor.name} ${res.status}`);
        if (actor.kind === 'device' && r.url.endsWith('/credential/rotate') && res.status === 200)
          actor.auth = JSON.parse(res.text).credential as string;
        const at = `${r.method} ${url} (${v.label}'s objects)`;
        if (res.status >= 500 && !isAltirisClientFault(url, res.status, res.text))
          say(`${at} → ${res.status} ${res.text.slice(0, 200)}`);
        if (v.marker.test(res.text))
          say(`${at} → ${res.status} shows ${v.label}'s rows: ${res.text.slice(0, 200)}`);
        // a path naming another tenant's object, or a write naming it in its body
        const names = query
          ? !(groupOnly && queryOrgOnly(query(v)))
          : hasParams(r.url) || namesOrgInQuery(r.url)
            ? mutating(r.method) || !(groupOnly && orgOnly(r.url))
            : mutating(r.method);
        const denied = res.status === 404 || res.status === 403 || altirisNotFound(url, res.status, res.text);
        const refused = res.status === 401 || res.status === 403;
        switch (scope) {
          case 'global':
            if (res.status !== 403) say(`${at} → ${res.status}, not 403`);
            break;
          case 'organization':
          case 'group':
            if (names ? !denied : refused) say(`${at} → ${res.status}${names ? ', not 404/403' : ''}`);
            break;
          case 'self':
          case 'device':
            // without a path id the route acts on the caller itself
            if (hasParams(r.url) ? !denied : refused)
              say(`${at} → ${res.status}${hasParams(r.url) ? ', not 404/403' : ''}`);
            break;
          case 'catalog':
            if (refused) say(`${at} → ${res.status}`);
            break;
        }
      }
      if (before) {
        const changed = changedTables(before, await snapshot(callers, v));
        if (changed.length) {
          const who = attempts.map((x) => x.actor.name);
          problems.push(
            ...who.map(
              (n) =>
                `${n}: ${r.method} ${fill(r.url, v, g, query)} with ${v.label}'s objects changed the store (tables ${changed.join(', ')}; ` +
                `answered 2xx: ${succeeded.join(', ') || 'none'})`,
            ),
          );
        }
      }
    }
    return problems;
  }

  /** a JSON-RPC call with GravityZone's credential (Basic base64(key + ":")), or another Authorization */
  async function rpc(url: string, method: string, params: unknown, authorization: string | undefined) {
    const r = await app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      payload: JSON.stringify({ id: 1, jsonrpc: '2.0', method, params }),
    });
    return { status: r.statusCode, text: r.body };
  }
  const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

  /**
   * A GravityZone area: every method with the victims' objects in its params. Without credentials, or
   * with a device's, 401; the global administrator reads A1's objects; a caller of another tenant gets
   * exactly the answer it gets for objects that do not exist (ids aside) and nothing changes; a caller
   * scoped to a group (alpha1) never sees alpha2's rows nor changes them.
   */
  async function checkRpcArea(r: RouteEntry): Promise<string[]> {
    const area = r.url.slice(JSONRPC.length);
    const methods = Object.keys(AREAS[area]?.methods ?? {});
    const problems: string[] = [];
    if (!methods.length) return [`no GravityZone area "${area}"`];
    const ghost: Victims = {
      ...B1,
      label: 'nobody',
      org: GHOST_ID,
      group: GHOST_ID,
      device: GHOST_ID,
      policy: GHOST_ID,
      window: GHOST_ID,
      task: GHOST_ID,
      instance: GHOST_ID,
      job: GHOST_ID,
      update: GHOST_ID,
    };
    for (const method of methods) {
      const calls = RPC_CALLS[method];
      if (!calls) {
        problems.push(`${method}: no params for this method in RPC_CALLS (add them)`);
        continue;
      }
      for (const [n, params] of calls.entries()) {
        const what = `${method}#${n}`;
        const tenants: { actor: Actor; victims: Victims; groupOnly: boolean }[] = [];
        for (const actor of actors) {
          const say = (x: string) => problems.push(`${actor.name}: ${what} ${x}`);
          const first = actor.passes[0]?.victims ?? A1;
          if (actor.kind === 'none' || actor.kind === 'device') {
            const res = await rpc(
              r.url,
              method,
              params(first),
              actor.auth ? `Bearer ${actor.auth}` : undefined,
            );
            if (res.status !== 401) say(`→ ${res.status}, not 401`);
          } else if (actor.kind === 'global') {
            if (!readsOnly(method)) continue;
            const res = await rpc(r.url, method, params(A1), basic(actor.auth!));
            if (res.status !== 200 || !('result' in JSON.parse(res.text)))
              say(`the global administrator got ${res.status} ${res.text.slice(0, 200)}`);
          } else
            for (const p of actor.passes)
              if (!p.groupOnly || AREAS[area]!.scope === 'group')
                tenants.push({ actor, victims: p.victims, groupOnly: p.groupOnly ?? false });
        }
        // the other tenant's callers, grouped by victims: one snapshot before and after each group
        for (const v of new Set(tenants.map((x) => x.victims))) {
          const callers = tenants.filter((x) => x.victims === v);
          const before = readsOnly(method)
            ? undefined
            : await snapshot(
                callers.map((x) => x.actor),
                v,
              );
          for (const { actor, groupOnly } of callers) {
            const say = (x: string) => problems.push(`${actor.name}: ${what} ${x}`);
            const res = await rpc(r.url, method, params(v), basic(actor.auth!));
            const at = `(${v.label}'s objects)`;
            if (res.status !== 200) say(`${at} → HTTP ${res.status} ${res.text.slice(0, 200)}`);
            if (v.marker.test(res.text)) say(`${at} shows ${v.label}'s rows: ${res.text.slice(0, 200)}`);
            if (!groupOnly) {
              const none = await rpc(r.url, method, params(ghost), basic(actor.auth!));
              if (withoutIds(res.text) !== withoutIds(none.text))
                say(
                  `${at} answers ${res.text.slice(0, 200)}, but for objects that do not exist ${none.text.slice(0, 200)}`,
                );
            }
          }
          if (before) {
            const changed = changedTables(
              before,
              await snapshot(
                callers.map((x) => x.actor),
                v,
              ),
            );
            if (changed.length)
              problems.push(
                `${what} by another tenant with ${v.label}'s objects changed the store (tables ${changed.join(', ')})`,
              );
          }
        }
      }
    }
    return problems;
  }

  test('every route × every caller keeps to its rule', async (t: TestContext) => {
    const all: string[] = [];
    const stale: string[] = [];
    for (const r of shard(routes)) {
      const key = `${r.method} ${r.url}`;
      const scope = scopeOf(r);
      if (!scope) continue; // the test above names it
      if (EXEMPT[key]) {
        t.diagnostic(`exempt ${key}: ${EXEMPT[key]}`);
        continue;
      }
      // a Kaseya module Patchline does not provide: the same 501 to every caller, nothing read or changed
      // (faces/kaseya/modules.ts; test/faces/kaseya/vsa-clients.test.ts checks the answers)
      if (r.config.vsaModule !== undefined) continue;
      const variants = QUERIES[key];
      const problems: string[] = [];
      if (!variants) problems.push(...(await checkRoute(r, scope)));
      // one after the other: each compares the victims' objects before and after
      else
        for (let i = 0; i < variants(A1).length; i++)
          problems.push(...(await checkRoute(r, scope, (v) => variants(v)[i] as string)));
      const gap = KNOWN_GAPS[key];
      const known = gap ? problems.filter((p) => gap.actors.some((a) => p.startsWith(`${a}:`))) : [];
      if (gap && !known.length)
        stale.push(`${key}: no longer fails (${gap.issue}); remove it from KNOWN_GAPS`);
      for (const p of known) t.diagnostic(`known gap ${key} [${scope}] ${p.slice(0, 160)}`);
      all.push(...problems.filter((p) => !known.includes(p)).map((p) => `${key} [${scope}] ${p}`));
    }
    assert.deepEqual([...all, ...stale], [], `\n${[...all, ...stale].join('\n')}`);
  });

  // The matrix's own check: a route that refuses the other tenant's caller (404) but writes that tenant's
  // objects anyway must fail it, whether the caller is a user or a device (a device's own rows are left out
  // of the comparison, another device's are not). The write is planted after each call of one route
  // (`planted` in send); the same route without it passes, so the failure is the planted write's.
  test('a route that writes across tenants fails the matrix', async () => {
    const cases = [
      { method: 'PATCH', url: '/api/v1/maintenance-windows/:id', id: (v: Victims) => v.window },
      { method: 'POST', url: '/agent/v1/jobs/:id/result', id: (v: Victims) => v.job },
    ];
    const sys = systemContext(store, 'matrix self-test');
    for (const c of cases) {
      const r = routes.find((x) => x.method === c.method && x.url === c.url);
      assert.ok(r, `${c.method} ${c.url} is in the route table`);
      const scope = scopeOf(r)!;
      assert.deepEqual(await checkRoute(r, scope), [], `${c.method} ${c.url} passes as it is`);
      const hostnames = new Map<number, string>();
      let n = 0;
      planted = async (method, url) => {
        const v = [A1, A2, B1].find((x) => url === c.url.replace(':id', String(c.id(x))));
        if (method !== c.method || !v) return;
        if (!hostnames.has(v.device)) hostnames.set(v.device, (await getDevice(sys, v.device)).hostname);
        await updateDevice(sys, v.device, { hostname: `planted-${++n}` });
      };
      let problems: string[];
      try {
        problems = await checkRoute(r, scope);
      } finally {
        planted = undefined;
        for (const [id, hostname] of hostnames) await updateDevice(sys, id, { hostname });
      }
      assert.ok(n > 0, 'the planted write ran');
      const callers = actors
        .filter((a) => (scope === 'device' ? a.kind === 'device' : a.kind === 'user'))
        .map((a) => a.name);
      for (const name of callers)
        assert.ok(
          problems.some(
            (p) => p.startsWith(`${name}: `) && /changed the store \(tables [^)]*devices/.test(p),
          ),
          `${c.method} ${c.url}, ${name}: the planted write is not reported:\n${problems.join('\n')}`,
        );
    }
  });
});
