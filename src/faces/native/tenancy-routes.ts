import { SORT_KEYS } from '../../services/sort-keys.ts';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import * as orgs from '../../services/organizations.ts';
import * as groups from '../../services/groups.ts';
import * as devices from '../../services/devices.ts';
import { applyApproval, type ApprovalCommand, type ApprovalScope } from '../../services/approvals.ts';
import { queryDeviceUpdates } from '../../services/device-updates.ts';
import { createInstallToken, listInstallTokens, revokeInstallToken } from '../../services/agents.ts';
import { runOnDevice } from '../../services/tasks.ts';
import {
  Device,
  DeviceUpdate,
  errors,
  Group,
  Id,
  IdParam,
  ListOf,
  Nullable,
  Organization,
  OsFamily,
  pageOf,
  PageQuery,
} from './schemas.ts';
import { TaskInstance } from '../../wire/native.ts';
import type { RouteScope } from '../shared/route-table.ts';

const TimeZone = Type.String({ minLength: 1, maxLength: 64 });
const Attributes = Type.Record(Type.String(), Type.Unknown());
const Strings = (max: number) => Type.Array(Type.String({ maxLength: 200 }), { maxItems: max });

const OrganizationBody = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  ref: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  parentId: Type.Optional(Nullable(Id)),
  timeZone: Type.Optional(Nullable(TimeZone)),
  attributes: Type.Optional(Attributes),
};
const GroupBody = {
  organizationId: Id,
  parentId: Type.Optional(Nullable(Id)),
  name: Type.String({ minLength: 1, maxLength: 100 }),
  description: Type.Optional(Type.String({ maxLength: 2000 })),
};
const DeviceBody = {
  organizationId: Id,
  groupId: Type.Optional(Id),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  hostname: Type.Optional(Type.String({ maxLength: 255 })),
  osFamily: Type.Optional(OsFamily),
  osName: Type.Optional(Type.String({ maxLength: 200 })),
  osVersion: Type.Optional(Type.String({ maxLength: 100 })),
  architecture: Type.Optional(Type.String({ maxLength: 50 })),
  ipAddresses: Type.Optional(Strings(64)),
  macAddresses: Type.Optional(Strings(64)),
  timeZone: Type.Optional(Nullable(TimeZone)),
  tags: Type.Optional(Strings(100)),
  isRelay: Type.Optional(Type.Boolean()),
};
const { organizationId: _o, ...DevicePatch } = DeviceBody;

const ACTIONS: Record<string, ApprovalCommand> = {
  approve: 'approve',
  ignore: 'ignore',
  'do-nothing': 'none',
  clear: 'clear',
  retry: 'retry',
};
const ActionParams = Type.Object({ id: Id, action: Type.Enum(Object.keys(ACTIONS)) });
const ActionBody = Type.Object(
  { updateIds: Type.Array(Id, { minItems: 1, maxItems: 1000 }) },
  { additionalProperties: false },
);
const ActionResult = Type.Object({ decisions: Type.Integer(), changed: Type.Integer() });
const actionDoc = (where: string) => ({
  summary: `Approve, ignore, do nothing, clear the decision, or retry failed installs of updates on ${where}`,
  description:
    'approve / ignore / do-nothing record a decision at this level (a device decision beats a group decision, which beats ' +
    "the organization's, which beats the policy rule); clear removes this level's decision; retry puts failed installs back.",
});

export function tenancyRoutes(app: FastifyInstance) {
  // ---- organizations ----
  app.get(
    '/organizations',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['organizations'],
        summary: 'List organizations in scope',
        querystring: Type.Object({
          ...PageQuery,
          q: Type.Optional(Type.String({ maxLength: 200 })),
          parentId: Type.Optional(Id),
        }),
        response: { 200: ListOf(Organization), ...errors },
      },
    },
    async (req) => {
      const q = req.query as {
        q?: string;
        parentId?: number;
        limit?: number;
        offset?: number;
        sort?: string;
      };
      return orgs.listOrganizations(
        req.ctx,
        { q: q.q, parentId: q.parentId },
        pageOf(q, SORT_KEYS.organizations),
      );
    },
  );
  app.post(
    '/organizations',
    {
      config: { scope: 'global' },
      schema: {
        tags: ['organizations'],
        summary: 'Create an organization (with its root group)',
        body: Type.Object(OrganizationBody, { additionalProperties: false }),
        response: { 201: Organization, ...errors },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await orgs.createOrganization(req.ctx, req.body as orgs.OrganizationInput)),
  );
  app.get(
    '/organizations/:id',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['organizations'],
        summary: 'Get an organization',
        params: IdParam,
        response: { 200: Organization, ...errors },
      },
    },
    async (req) => orgs.getOrganization(req.ctx, (req.params as { id: number }).id),
  );
  app.patch(
    '/organizations/:id',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['organizations'],
        summary: 'Change an organization',
        params: IdParam,
        body: Type.Partial(Type.Object(OrganizationBody, { additionalProperties: false })),
        response: { 200: Organization, ...errors },
      },
    },
    async (req) =>
      orgs.updateOrganization(
        req.ctx,
        (req.params as { id: number }).id,
        req.body as Partial<orgs.OrganizationInput>,
      ),
  );
  app.delete(
    '/organizations/:id',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['organizations'],
        summary: 'Delete an empty organization',
        params: IdParam,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (req, reply) => {
      await orgs.deleteOrganization(req.ctx, (req.params as { id: number }).id);
      return reply.status(204).send();
    },
  );

  app.post(
    '/organizations/:id/install-tokens',
    {
      config: { scope: 'organization' },
      schema: {
        tags: ['organizations', 'agent protocol'],
        summary: 'Create an install token with which agents enroll into this organization (shown once)',
        params: IdParam,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ maxLength: 200 })),
            groupId: Type.Optional(Nullable(Id)),
            expiresAt: Type.Optional(Nullable(Type.String({ format: 'date-time' }))),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            id: Id,
            token: Type.String(),
            organizationId: Id,
            groupId: Nullable(Id),
            createdAt: Type.String({ format: 'date-time' }),
          }),
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const b = req.body as { name?: string; groupId?: number | null; expiresAt?: string | null };
      const t = await createInstallToken(req.ctx, {
        organizationId: (req.params as { id: number }).id,
        name: b.name,
        groupId: b.groupId,
        expiresAt: b.expiresAt ? new Date(b.expiresAt) : null,
      });
      return reply.status(201).send(t);
    },
  );
  const InstallToken = Type.Object({
    id: Id,
    name: Type.String(),
    organizationId: Id,
    groupId: Nullable(Id),
    createdAt: Type.String({ format: 'date-time' }),
    expiresAt: Nullable(Type.String({ format: 'date-time' })),
    revokedAt: Nullable(Type.String({ format: 'date-time' })),
    active: Type.Boolean(),
  });
  app.get(
    '/organizations/:id/install-tokens',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['organizations', 'agent protocol'],
        summary: "List an organization's install tokens (never the tokens themselves: shown once)",
        description: 'A caller scoped to some groups sees the tokens that enroll into those groups.',
        params: IdParam,
        response: { 200: Type.Object({ items: Type.Array(InstallToken) }), ...errors },
      },
    },
    async (req) => ({ items: await listInstallTokens(req.ctx, (req.params as { id: number }).id) }),
  );
  app.post(
    '/install-tokens/:id/revoke',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['organizations', 'agent protocol'],
        summary: 'Revoke an install token: agents can no longer enroll with it',
        description: 'Devices enrolled with it keep working. Revoking a revoked token changes nothing.',
        params: IdParam,
        response: { 200: InstallToken, ...errors },
      },
    },
    async (req) => revokeInstallToken(req.ctx, (req.params as { id: number }).id),
  );

  // ---- groups ----
  app.get(
    '/groups',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['groups'],
        summary: 'List groups in scope',
        querystring: Type.Object({
          ...PageQuery,
          organizationId: Type.Optional(Id),
          parentId: Type.Optional(Id),
          q: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: { 200: ListOf(Group), ...errors },
      },
    },
    async (req) => {
      const q = req.query as { organizationId?: number; parentId?: number; q?: string };
      return groups.listGroups(req.ctx, q, pageOf(req.query as object, SORT_KEYS.groups));
    },
  );
  app.post(
    '/groups',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['groups'],
        summary: 'Create a group (under the root group unless a parent is given)',
        body: Type.Object(GroupBody, { additionalProperties: false }),
        response: { 201: Group, ...errors },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await groups.createGroup(req.ctx, req.body as groups.GroupInput)),
  );
  app.get(
    '/groups/:id',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['groups'],
        summary: 'Get a group',
        params: IdParam,
        response: { 200: Group, ...errors },
      },
    },
    async (req) => groups.getGroup(req.ctx, (req.params as { id: number }).id),
  );
  app.patch(
    '/groups/:id',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['groups'],
        summary: 'Rename, describe or move a group',
        params: IdParam,
        body: Type.Object(
          {
            name: Type.Optional(GroupBody.name),
            description: Type.Optional(Type.String({ maxLength: 2000 })),
            parentId: Type.Optional(Id),
          },
          { additionalProperties: false },
        ),
        response: { 200: Group, ...errors },
      },
    },
    async (req) =>
      groups.updateGroup(req.ctx, (req.params as { id: number }).id, req.body as { name?: string }),
  );
  app.delete(
    '/groups/:id',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['groups'],
        summary: 'Delete an empty group',
        params: IdParam,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (req, reply) => {
      await groups.deleteGroup(req.ctx, (req.params as { id: number }).id);
      return reply.status(204).send();
    },
  );

  // ---- devices ----
  app.get(
    '/devices',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['devices'],
        summary: 'List devices in scope',
        querystring: Type.Object({
          ...PageQuery,
          organizationId: Type.Optional(Id),
          groupId: Type.Optional(Id),
          osFamily: Type.Optional(OsFamily),
          status: Type.Optional(Type.Enum(['active', 'retired'])),
          tag: Type.Optional(Type.String({ maxLength: 200 })),
          rebootRequired: Type.Optional(Type.Boolean()),
          q: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: { 200: ListOf(Device), ...errors },
      },
    },
    async (req) => {
      const q = req.query as {
        organizationId?: number;
        groupId?: number;
        osFamily?: string;
        status?: string;
        tag?: string;
        rebootRequired?: boolean;
        q?: string;
      };
      return devices.listDevices(
        req.ctx,
        { ...q, groupIds: q.groupId === undefined ? undefined : [q.groupId] },
        pageOf(req.query as object, SORT_KEYS.devices),
      );
    },
  );
  app.post(
    '/devices',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['devices'],
        summary: 'Register a device by hand (agents enroll themselves)',
        body: Type.Object(DeviceBody, { additionalProperties: false }),
        response: { 201: Device, ...errors },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await devices.createDevice(req.ctx, req.body as devices.DeviceInput)),
  );
  app.get(
    '/devices/:id',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['devices'],
        summary: 'Get a device',
        params: IdParam,
        response: { 200: Device, ...errors },
      },
    },
    async (req) => devices.getDevice(req.ctx, (req.params as { id: number }).id),
  );
  app.patch(
    '/devices/:id',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['devices'],
        summary: 'Change a device (name, group, tags, …)',
        params: IdParam,
        body: Type.Partial(Type.Object(DevicePatch, { additionalProperties: false })),
        response: { 200: Device, ...errors },
      },
    },
    async (req) =>
      devices.updateDevice(req.ctx, (req.params as { id: number }).id, req.body as devices.DevicePatch),
  );
  for (const [action, retired] of [
    ['retire', true],
    ['reactivate', false],
  ] as const)
    app.post(
      `/devices/:id/${action}`,
      {
        config: { scope: 'group' },
        schema: {
          tags: ['devices'],
          summary: retired
            ? 'Retire a device: its agent is refused at check-in, its history stays'
            : 'Bring a retired device back',
          params: IdParam,
          response: { 200: Device, ...errors },
        },
      },
      async (req) => devices.setDeviceRetired(req.ctx, (req.params as { id: number }).id, retired),
    );
  app.delete(
    '/devices/:id',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['devices'],
        summary: 'Delete a device and its state',
        params: IdParam,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (req, reply) => {
      await devices.deleteDevice(req.ctx, (req.params as { id: number }).id);
      return reply.status(204).send();
    },
  );
  app.get(
    '/devices/:id/updates',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['devices'],
        summary:
          "A device's updates with status, severity, bulletin, CVEs and the approval that governs each",
        params: IdParam,
        querystring: Type.Object({
          ...PageQuery,
          status: Type.Optional(
            Type.Array(DeviceUpdate.properties.status, { description: 'repeat the parameter for several' }),
          ),
          severity: Type.Optional(Type.Array(DeviceUpdate.properties.severity)),
          bulletin: Type.Optional(
            Type.String({ maxLength: 100, description: 'bulletin id, vendor id (DSA-…, RHSA-…) or KB' }),
          ),
          cve: Type.Optional(Type.String({ pattern: '^[Cc][Vv][Ee]-[0-9]{4}-[0-9]{4,}$' })),
        }),
        response: { 200: ListOf(DeviceUpdate), ...errors },
      },
    },
    async (req) => {
      const q = req.query as { status?: string[]; severity?: string[]; bulletin?: string; cve?: string };
      return queryDeviceUpdates(
        req.ctx,
        (req.params as { id: number }).id,
        q,
        pageOf(req.query as object, ['name', 'status', 'severity', 'firstDetectedAt', 'statusChangedAt']),
      );
    },
  );

  // ---- scan now / install now on one device ----
  app.post(
    '/devices/:id/scan',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['devices', 'tasks'],
        summary: 'Scan now: a task instance that asks the device to scan (needs manage_devices)',
        params: IdParam,
        body: Type.Optional(Type.Object({}, { additionalProperties: false })),
        response: { 201: TaskInstance, ...errors },
      },
    },
    async (req, reply) =>
      reply.status(201).send(await runOnDevice(req.ctx, (req.params as { id: number }).id, 'scan')),
  );
  app.post(
    '/devices/:id/install',
    {
      config: { scope: 'group' },
      schema: {
        tags: ['devices', 'tasks'],
        summary:
          "Install now: a task instance that installs the device's approved updates (only updateIds among them when given)",
        params: IdParam,
        body: Type.Optional(
          Type.Object(
            { updateIds: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: 1000 })) },
            { additionalProperties: false },
          ),
        ),
        response: { 201: TaskInstance, ...errors },
      },
    },
    async (req, reply) =>
      reply.status(201).send(
        await runOnDevice(req.ctx, (req.params as { id: number }).id, 'install', {
          updateIds: (req.body as { updateIds?: number[] } | undefined)?.updateIds,
        }),
      ),
  );

  // ---- approvals on a device, a group, an organization ----
  const approvalRoute = (
    path: string,
    where: string,
    scopeOf: (id: number) => ApprovalScope,
    tag: string,
    scope: RouteScope = 'group',
  ) =>
    app.post(
      path,
      {
        config: { scope },
        schema: {
          tags: [tag, 'approvals'],
          ...actionDoc(where),
          params: ActionParams,
          body: ActionBody,
          response: { 200: ActionResult, ...errors },
        },
      },
      async (req) => {
        const p = req.params as { id: number; action: string };
        return applyApproval(
          req.ctx,
          scopeOf(p.id),
          (req.body as { updateIds: number[] }).updateIds,
          ACTIONS[p.action] as ApprovalCommand,
        );
      },
    );
  approvalRoute('/devices/:id/updates/:action', 'a device', (deviceId) => ({ deviceId }), 'devices');
  approvalRoute(
    '/groups/:id/updates/:action',
    'a group (and every device below it)',
    (groupId) => ({ groupId }),
    'groups',
  );
  approvalRoute(
    '/organizations/:id/updates/:action',
    'a whole organization',
    (organizationId) => ({ organizationId }),
    'organizations',
    'organization',
  );
}
