import { Type, type Static, type TSchema } from 'typebox';
import { APPROVAL_SOURCES } from '../core/approvals.ts';
import { POLICY_KINDS } from '../core/policies/kinds.ts';
import { SCRIPT_PHASES, SCRIPT_RUN_STATUSES, SCRIPT_SHELLS } from '../core/scripts/model.ts';
import { SEVERITIES, type Severity } from '../core/severity.ts';
import { INSTANCE_STATUSES } from '../core/task-instances.ts';
import {
  BUCKETS,
  COMPLIANCE_BUCKETS,
  DETECTIONS,
  UPDATE_STATUSES,
  type ComplianceBucket,
} from '../core/status.ts';
import { DateTime, Id, Nullable, NullableDateTime } from './common.ts';

// The native API's resources as it answers with them: the routes' response schemas (faces/native), and
// their TypeScript types (Static) for the console (web/src/api.ts imports only the types). Imports only
// typebox, wire/common.ts and src/core, so the console's type check can follow it.

export { OsFamily } from './common.ts';

export const Organization = Type.Object({
  id: Id,
  ref: Type.String(),
  name: Type.String(),
  parentId: Nullable(Id),
  rootGroupId: Nullable(Id),
  timeZone: Nullable(Type.String()),
  attributes: Type.Record(Type.String(), Type.Unknown()),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export type Organization = Static<typeof Organization>;
export const Group = Type.Object({
  id: Id,
  organizationId: Id,
  parentId: Nullable(Id),
  name: Type.String(),
  description: Type.String(),
  isRoot: Type.Boolean(),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export type Group = Static<typeof Group>;
export const Device = Type.Object({
  id: Id,
  organizationId: Id,
  groupId: Id,
  name: Type.String(),
  hostname: Type.String(),
  osFamily: Type.String(),
  osName: Type.String(),
  osVersion: Type.String(),
  architecture: Type.String(),
  ipAddresses: Type.Array(Type.String()),
  macAddresses: Type.Array(Type.String()),
  timeZone: Nullable(Type.String()),
  agentVersion: Nullable(Type.String()),
  status: Type.String(),
  tags: Type.Array(Type.String()),
  isRelay: Type.Boolean(),
  rebootRequired: Type.Boolean(),
  enrolledAt: NullableDateTime,
  lastSeenAt: NullableDateTime,
  lastScanAt: NullableDateTime,
  createdAt: DateTime,
  updatedAt: DateTime,
});
export type Device = Static<typeof Device>;
export const DeviceUpdate = Type.Object({
  deviceId: Id,
  updateId: Id,
  name: Type.String(),
  kind: Type.String(),
  kb: Nullable(Type.String()),
  packageName: Nullable(Type.String()),
  version: Nullable(Type.String()),
  installedVersion: Nullable(Type.String()),
  classification: Type.String(),
  severity: Type.Enum([...SEVERITIES]),
  isSecurity: Type.Boolean(),
  rebootBehavior: Type.String(),
  bulletin: Nullable(
    Type.Object({ id: Id, externalId: Nullable(Type.String()), title: Nullable(Type.String()) }),
  ),
  cves: Type.Array(Type.String()),
  detection: Type.Enum([...DETECTIONS]),
  status: Type.Enum([...UPDATE_STATUSES]),
  approval: Nullable(
    Type.Object({
      action: Type.Enum(['approve', 'ignore', 'none']),
      level: Type.Enum(['device', 'group', 'organization', 'policy']),
      /** user, policy, or rule (an auto-approval rule or a rollout ring: weaker than any other) */
      source: Type.Enum([...APPROVAL_SOURCES]),
      setBy: Type.String(),
      setAt: DateTime,
    }),
  ),
  firstDetectedAt: DateTime,
  lastDetectedAt: DateTime,
  statusChangedAt: DateTime,
  installedAt: NullableDateTime,
  attempts: Type.Integer(),
  lastError: Nullable(Type.String()),
});
export type DeviceUpdate = Static<typeof DeviceUpdate>;
export const User = Type.Object({
  id: Id,
  username: Type.String(),
  displayName: Type.String(),
  email: Type.String(),
  roleId: Id,
  scopeId: Id,
  disabled: Type.Boolean(),
  timeZone: Nullable(Type.String()),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export type User = Static<typeof User>;
export const PrivilegeName = Type.Enum([
  'read',
  'approve',
  'manage_policies',
  'manage_devices',
  'import_catalog',
  'administer',
]);
export type PrivilegeName = Static<typeof PrivilegeName>;
export const Role = Type.Object({
  id: Id,
  name: Type.String(),
  description: Type.String(),
  privileges: Type.Array(Type.String()),
  builtin: Type.Boolean(),
});
export type Role = Static<typeof Role>;
export const ScopeEntry = Type.Object(
  { organizationId: Id, groupId: Nullable(Id) },
  { additionalProperties: false },
);
export type ScopeEntry = Static<typeof ScopeEntry>;
export const Scope = Type.Object({
  id: Id,
  name: Type.String(),
  description: Type.String(),
  allOrganizations: Type.Boolean(),
  entries: Type.Array(ScopeEntry),
});
export type Scope = Static<typeof Scope>;
export const ApiKey = Type.Object({
  id: Id,
  userId: Id,
  name: Type.String(),
  prefix: Type.String(),
  expiresAt: NullableDateTime,
  revokedAt: NullableDateTime,
  lastUsedAt: NullableDateTime,
  createdAt: DateTime,
});
export type ApiKey = Static<typeof ApiKey>;
export const Event = Type.Object({
  id: Id,
  at: DateTime,
  organizationId: Nullable(Id),
  actor: Type.Object({ type: Type.String(), id: Nullable(Type.String()), name: Type.String() }),
  kind: Type.String(),
  subjectType: Type.String(),
  subjectId: Nullable(Type.String()),
  deviceId: Nullable(Id),
  /** the device's name now (null without a device, or once the device is deleted) */
  deviceName: Nullable(Type.String()),
  updateId: Nullable(Id),
  data: Type.Record(Type.String(), Type.Unknown()),
});
export type Event = Static<typeof Event>;

const Status = Type.Enum([...UPDATE_STATUSES]);
const StatusGroup = (description: string) => Type.Array(Status, { description });

/** GET /update-statuses: the statuses of a device's update and their named groups (core/status.ts) */
export const UpdateStatuses = Type.Object({
  statuses: Type.Array(Status, { description: 'every status, in workflow order' }),
  groups: Type.Object({
    outstanding: StatusGroup('the device still needs the update: a device with none is fully patched'),
    inFlight: StatusGroup('an install is under way'),
    notInstalled: StatusGroup('outstanding, or ignored by a decision'),
    installable: StatusGroup('an install job may be queued for these'),
    installed: StatusGroup('installed, whether or not a reboot is still pending'),
    history: StatusGroup('the outcomes a patch history lists'),
    settled: StatusGroup('a scan that sees the update installed or not applicable leaves these'),
    complianceBuckets: Type.Object(
      Object.fromEntries(Object.keys(COMPLIANCE_BUCKETS).map((b) => [b, StatusGroup(`counted as ${b}`)])),
      { description: 'the statuses each compliance count adds up' },
    ),
  }),
});
export type UpdateStatuses = Static<typeof UpdateStatuses>;

// ---- a page of a list (GET /devices, /users, …) ----
export const ListOf = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    total: Type.Integer(),
    limit: Type.Integer(),
    offset: Type.Integer(),
  });
/** a page of T as ListOf answers it (T given as a type: the console names the item, not its schema) */
export type PageOf<T> = Omit<Static<ReturnType<typeof ListOf<TSchema>>>, 'items'> & { items: T[] };

// ---- the caller and the counts (session-routes.ts, identity-routes.ts) ----
/** GET /me */
export const Me = Type.Object({
  type: Type.String(),
  userId: Nullable(Id),
  name: Type.String(),
  roleId: Nullable(Id),
  scopeId: Nullable(Id),
  privileges: Type.Array(Type.String()),
  scope: Type.Object({
    allOrganizations: Type.Boolean(),
    organizations: Type.Array(Id),
    groups: Type.Array(Type.Object({ organizationId: Id, groupIds: Type.Array(Id) })),
  }),
});
export type Me = Static<typeof Me>;
/** GET /status */
export const StatusCounts = Type.Object({
  organizations: Type.Integer(),
  devices: Type.Integer(),
  missingUpdates: Type.Integer(),
});
export type StatusCounts = Static<typeof StatusCounts>;

// ---- policies, maintenance windows, preview, schedules (policy-routes.ts) ----
const Loose = Type.Record(Type.String(), Type.Unknown());
export const Policy = Type.Object({
  id: Id,
  organizationId: Id,
  kind: Type.Enum([...POLICY_KINDS], {
    description: 'patch (rule), worklet (worklet) or required-software (requiredSoftware)',
  }),
  name: Type.String(),
  notes: Type.String(),
  enabled: Type.Boolean(),
  rule: Nullable(Loose),
  worklet: Nullable(Loose),
  requiredSoftware: Nullable(Loose),
  targets: Type.Object({
    groups: Type.Array(Id),
    devices: Type.Array(Id),
    deviceFilter: Nullable(Id),
    /** a rollout plan instead of groups and devices: what the policy selects moves ring by ring */
    rolloutPlan: Nullable(Id),
  }),
  schedule: Nullable(Loose),
  behaviour: Loose,
  taskId: Nullable(Id),
  nextRunAt: Nullable(DateTime),
  createdBy: Type.String(),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export type Policy = Static<typeof Policy>;
export const MaintenanceWindow = Type.Object({
  id: Id,
  organizationId: Id,
  name: Type.String(),
  settings: Loose,
  assignments: Type.Object({ policies: Type.Array(Id), groups: Type.Array(Id) }),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export type MaintenanceWindow = Static<typeof MaintenanceWindow>;
const PreviewUpdate = Type.Object({
  updateId: Id,
  name: Type.String(),
  version: Nullable(Type.String()),
  severity: Type.String(),
  isSecurity: Type.Boolean(),
  approval: Nullable(Type.String()),
});
/** GET /policies/:id/preview */
export const PolicyPreview = Type.Object({
  policyId: Id,
  enabled: Type.Boolean(),
  scheduled: Type.Boolean(),
  devices: Type.Array(
    Type.Object({
      deviceId: Id,
      name: Type.String(),
      timeZone: Type.String(),
      nextOccurrence: Nullable(DateTime),
      nextOccurrenceLocal: Nullable(Type.String()),
      windowAllows: Nullable(Type.Boolean()),
      updates: Type.Array(PreviewUpdate),
      excluded: Type.Array(
        Type.Object({ updateId: Id, name: Type.String(), reason: Type.String(), detail: Type.String() }),
      ),
    }),
  ),
});
export type PolicyPreview = Static<typeof PolicyPreview>;
/** GET /maintenance-windows/:id/occurrences */
export const WindowOccurrences = Type.Object({
  windowId: Id,
  zone: Type.String(),
  from: DateTime,
  to: DateTime,
  occurrences: Type.Array(
    Type.Object({ start: DateTime, end: Nullable(DateTime), uses: Type.Array(Type.String()) }),
  ),
  alwaysOpen: Type.Array(Type.String()),
});
export type WindowOccurrences = Static<typeof WindowOccurrences>;
/** POST /schedules/convert */
export const Converted = Type.Object({
  from: Type.String(),
  to: Type.String(),
  canonical: Loose,
  value: Type.Unknown(),
  occurrences: Type.Array(DateTime),
});
export type Converted = Static<typeof Converted>;

// ---- tasks and task instances (task-routes.ts) ----
export const Task = Type.Object({
  id: Id,
  organizationId: Nullable(Id),
  kind: Type.String(),
  name: Type.String(),
  parameters: Loose,
  scheduleId: Nullable(Id),
  nextDueAt: Nullable(DateTime),
  enabled: Type.Boolean(),
  createdBy: Type.String(),
  createdAt: DateTime,
});
export type Task = Static<typeof Task>;
const instanceFields = {
  id: Id,
  taskId: Nullable(Id),
  organizationId: Nullable(Id),
  kind: Type.String(),
  occurrenceAt: Nullable(DateTime),
  status: Type.Enum([...INSTANCE_STATUSES]),
  progress: Type.Number(),
  outputs: Loose,
  error: Nullable(Type.String()),
  attempts: Type.Integer(),
  leaseOwner: Nullable(Type.String()),
  createdBy: Type.String(),
  createdAt: DateTime,
  startedAt: Nullable(DateTime),
  finishedAt: Nullable(DateTime),
};
export const TaskInstance = Type.Object(instanceFields);
export type TaskInstance = Static<typeof TaskInstance>;
export const TaskInstanceDetail = Type.Object({
  ...instanceFields,
  devices: Type.Array(
    Type.Object({
      deviceId: Id,
      deviceName: Type.String(),
      status: Type.String(),
      result: Loose,
      job: Nullable(
        Type.Object({ id: Id, kind: Type.String(), status: Type.String(), result: Type.Unknown() }),
      ),
      updatedAt: DateTime,
    }),
  ),
});
export type TaskInstanceDetail = Static<typeof TaskInstanceDetail>;

// ---- compliance (compliance-routes.ts) ----
const Count = Type.Integer({ minimum: 0 });
/** update counts in the four buckets (missing; pending = approved, queued, installing; failed; installed) */
const buckets = (description?: string) =>
  Type.Object(
    // built from core's bucket names; the cast only names the keys for the static type
    Object.fromEntries(BUCKETS.map((b) => [b, Count])) as Record<ComplianceBucket, typeof Count>,
    description ? { description } : {},
  );
const Buckets = buckets();
/** GET /compliance?organizationId=…|groupId=…|deviceId=… */
export const Compliance = Type.Object({
  scope: Type.Object({
    kind: Type.Enum(['organization', 'group', 'device']),
    id: Id,
    organizationId: Id,
  }),
  devices: Type.Object({
    devices: Count,
    scanned: Count,
    fullyPatched: Count,
    needingReboot: Count,
    notSeenRecently: Count,
  }),
  updates: Type.Object({
    totals: Buckets,
    bySeverity: Type.Object(
      Object.fromEntries(SEVERITIES.map((s) => [s, Buckets])) as Record<Severity, typeof Buckets>,
    ),
    byCustomSeverity: Type.Array(
      Type.Object({
        order: Type.Integer(),
        name: Type.String(),
        level: Type.Enum([...SEVERITIES]),
        counts: Buckets,
      }),
      { description: "the organization's custom severities in their order, with their updates' counts" },
    ),
    withoutCustomSeverity: buckets("updates whose bulletin has none of the organization's custom severities"),
  }),
  cves: Type.Object({
    open: Count,
    top: Type.Array(
      Type.Object({
        id: Type.String(),
        severity: Type.String(),
        cvssScore: Nullable(Type.Number()),
        knownExploited: Type.Boolean(),
        epssProbability: Nullable(Type.Number()),
        devices: Count,
      }),
    ),
  }),
  notSeenSince: DateTime,
});
export type Compliance = Static<typeof Compliance>;

// ---- scripts agents run (services/scripts.ts, docs/scripts.md) ----
/** GET|PUT /organizations/:id/script-settings */
export const ScriptSettings = Type.Object({ organizationId: Id, scriptsEnabled: Type.Boolean() });
export type ScriptSettings = Static<typeof ScriptSettings>;
/** one step an agent ran, was refused, or waits for */
export const ScriptRun = Type.Object({
  id: Id,
  organizationId: Id,
  deviceId: Id,
  policyId: Nullable(Id),
  policyName: Nullable(Type.String()),
  procedureId: Nullable(Id),
  procedureName: Nullable(Type.String()),
  source: Type.Enum(['policy', 'ad-hoc']),
  jobId: Nullable(Id),
  phase: Type.Enum([...SCRIPT_PHASES]),
  status: Type.Enum([...SCRIPT_RUN_STATUSES]),
  shell: Type.Enum([...SCRIPT_SHELLS]),
  code: Type.String(),
  limits: Type.Object({ timeLimitSeconds: Type.Integer(), outputCapBytes: Type.Integer() }),
  exitCode: Nullable(Type.Integer()),
  stdout: Type.String(),
  stderr: Type.String(),
  truncated: Type.Boolean(),
  error: Nullable(Type.String()),
  startedBy: Type.String(),
  createdAt: DateTime,
  startedAt: NullableDateTime,
  finishedAt: NullableDateTime,
});
export type ScriptRun = Static<typeof ScriptRun>;
/** a procedure: an organization's named script (docs/scripts.md, Kaseya agent procedures) */
export const Procedure = Type.Object({
  id: Id,
  organizationId: Id,
  name: Type.String(),
  folder: Type.String(),
  description: Nullable(Type.String()),
  script: Type.Object({ shell: Type.Enum([...SCRIPT_SHELLS]), code: Type.String() }),
  limits: Type.Object({ timeLimitSeconds: Type.Integer(), outputCapBytes: Type.Integer() }),
  quickLaunch: Type.Boolean(),
  portal: Type.Boolean(),
  createdBy: Type.String(),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export type Procedure = Static<typeof Procedure>;
/** POST /policies/:id/run, POST /script-runs */
export const RunStart = Type.Object({
  runs: Type.Array(ScriptRun),
  skipped: Type.Array(Type.Object({ deviceId: Id, reason: Type.String() })),
});
export type RunStart = Static<typeof RunStart>;
