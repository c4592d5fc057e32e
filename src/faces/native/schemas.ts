import { Type, type TSchema } from 'typebox';
import type { Page } from '../../store/paging.ts';

// Shared pieces of the native API's schemas (validation, types, serialization and OpenAPI from one place).
import { DateTime, Id, Nullable, NullableDateTime } from '../../wire/common.ts';
export { DateTime, Id, IdParam, Nullable, NullableDateTime } from '../../wire/common.ts';

export const PageQuery = {
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'items per page (1–500)' }),
  ),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'items to skip' })),
  sort: Type.Optional(
    Type.String({
      pattern: '^-?[A-Za-z]+(,-?[A-Za-z]+)*$',
      description: 'comma-separated fields, `-` for descending, e.g. `-createdAt,name`',
    }),
  ),
};

export function pageOf(
  q: { limit?: number; offset?: number; sort?: string },
  sortable: readonly string[],
): Page {
  const sort = q.sort ? q.sort.split(',') : [];
  const unknown = sort.map((s) => s.replace(/^-/, '')).filter((s) => !sortable.includes(s));
  if (unknown.length) {
    const e = new Error(
      `cannot sort by ${unknown.join(', ')}; sortable fields: ${sortable.join(', ')}`,
    ) as Error & { statusCode: number };
    e.statusCode = 400;
    throw e;
  }
  return { limit: q.limit ?? 50, offset: q.offset ?? 0, sort };
}

export const ListOf = <T extends TSchema>(item: T) =>
  Type.Object({
    items: Type.Array(item),
    total: Type.Integer(),
    limit: Type.Integer(),
    offset: Type.Integer(),
  });

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

const problemRef = Type.Unsafe({ $ref: 'Problem#' });
/** the error responses every authenticated route documents */
export const errors = { 400: problemRef, 401: problemRef, 403: problemRef, 404: problemRef, 409: problemRef };

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
export const OsFamily = Type.Enum(['windows', 'linux', 'macos', 'unknown']);
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
  severity: Type.Enum(['unknown', 'none', 'low', 'medium', 'high', 'critical']),
  isSecurity: Type.Boolean(),
  rebootBehavior: Type.String(),
  bulletin: Nullable(
    Type.Object({ id: Id, externalId: Nullable(Type.String()), title: Nullable(Type.String()) }),
  ),
  cves: Type.Array(Type.String()),
  detection: Type.Enum(['missing', 'installed', 'not_applicable']),
  status: Type.Enum([
    'missing',
    'pending',
    'queued',
    'installing',
    'installed',
    'failed',
    'ignored',
    'reboot_required',
    'not_applicable',
  ]),
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
export const PrivilegeName = Type.Enum([
  'read',
  'approve',
  'manage_policies',
  'manage_devices',
  'import_catalog',
  'administer',
]);
export const Role = Type.Object({
  id: Id,
  name: Type.String(),
  description: Type.String(),
  privileges: Type.Array(Type.String()),
  builtin: Type.Boolean(),
});
export const ScopeEntry = Type.Object(
  { organizationId: Id, groupId: Nullable(Id) },
  { additionalProperties: false },
);
export const Scope = Type.Object({
  id: Id,
  name: Type.String(),
  description: Type.String(),
  allOrganizations: Type.Boolean(),
  entries: Type.Array(ScopeEntry),
});
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
