import { Type, type Static } from 'typebox';
import { SEVERITIES } from '../core/severity.ts';
import { COMPLIANCE_BUCKETS, DETECTIONS, UPDATE_STATUSES } from '../core/status.ts';
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
      source: Type.Enum(['user', 'policy']),
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
