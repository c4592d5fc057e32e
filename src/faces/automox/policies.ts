import type { FastifyInstance } from 'fastify';
import { notFound } from '../../core/errors.ts';
import { Issues, got, isRecord } from '../../core/policies/fields.ts';
import {
  createPolicy,
  deletePolicy,
  getPolicy,
  listPolicies,
  updatePolicy,
  type PolicyView,
} from '../../services/policies.ts';
import { authorizeTenant } from '../../services/organizations.ts';
import { parseDeviceFilters } from '../../core/device-targeting.ts';
import { previewDeviceTargeting } from '../../services/preview.ts';
import { policyCompliance, remediatePolicy } from '../../services/policy-runs.ts';
import { automoxOsFamily, readAutomoxPolicy, renameIssues, renderPolicy, typeName } from './policy-body.ts';
import { readId, type AutomoxKit } from './kit.ts';

// /api/policies, /api/policies/{id}, /api/policies/{id}/action, /api/policystats and
// /api/policies/device-filters-preview. A policy is the native policy (services/policies.ts): the console
// shows one made here exactly as one made natively.

/** a policy seen through `o`: one of another organization is not found, as Automox answers */
async function policyIn(ctx: Parameters<typeof getPolicy>[0], id: number, org: number): Promise<PolicyView> {
  const p = await getPolicy(ctx, id);
  if (p.organizationId !== org) throw notFound('policy', id);
  return p;
}

const translate = async <T>(f: () => Promise<T>): Promise<T> => {
  try {
    return await f();
  } catch (e) {
    throw renameIssues(e);
  }
};

export function policyRoutes(app: FastifyInstance, kit: AutomoxKit) {
  app.get('/policies', { config: { scope: 'organization' } }, async (req) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const { limit, offset } = kit.page(req);
    const all = await listPolicies(ctx, { organizationId: o });
    return all.slice(offset, offset + limit).map((p) => renderPolicy(p));
  });

  app.post('/policies', { config: { scope: 'organization' } }, async (req, reply) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.orgOptional(req, ctx);
    const input = readAutomoxPolicy(req.body, o);
    if (o === undefined) authorizeTenant(ctx, input.organizationId);
    const p = await translate(() =>
      createPolicy(ctx, { organizationId: input.organizationId, ...input.body }),
    );
    return reply.status(201).send(renderPolicy(p));
  });

  app.get('/policies/:id', { config: { scope: 'organization' } }, async (req) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    return renderPolicy(await policyIn(ctx, kit.id(req), o));
  });

  app.put('/policies/:id', { config: { scope: 'organization' } }, async (req) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const id = kit.id(req);
    const before = await policyIn(ctx, id, o);
    const input = readAutomoxPolicy(req.body, o, id);
    // what an Automox policy cannot name stays as it was: the devices it targets by themselves, its saved
    // filter, and its rollout plan (unless server groups take the plan's place: a policy targets one or
    // the other)
    const groups = (input.body.targets as { groups: unknown[] }).groups;
    input.body.targets = {
      groups,
      devices: before.targets.devices,
      deviceFilter: before.targets.deviceFilter,
      rolloutPlan: groups.length ? null : before.targets.rolloutPlan,
    };
    return renderPolicy(await translate(() => updatePolicy(ctx, id, input.body)));
  });

  app.delete('/policies/:id', { config: { scope: 'organization' } }, async (req, reply) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const id = kit.id(req);
    await policyIn(ctx, id, o);
    await deletePolicy(ctx, id);
    return reply.status(204).send();
  });

  // {"action": "remediateAll"} or {"action": "remediateServer", "serverId": 123}
  app.post('/policies/:id/action', { config: { scope: 'organization' } }, async (req, reply) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const id = kit.id(req);
    const body = req.body as unknown;
    const issues = new Issues();
    if (!isRecord(body)) issues.add('body', `must be a JSON object {"action": …}, ${got(body)}`);
    const b = isRecord(body) ? body : {};
    for (const k of Object.keys(b))
      if (k !== 'action' && k !== 'serverId') issues.add(k, 'is not a field of a policy action');
    const action = b.action;
    if (action !== 'remediateAll' && action !== 'remediateServer')
      issues.add('action', `must be remediateAll or remediateServer, ${got(action)}`);
    if (action === 'remediateAll' && b.serverId !== undefined)
      issues.add('serverId', 'is used only with remediateServer');
    issues.throwIfAny('invalid policy action');
    const serverId = action === 'remediateServer' ? readId(b.serverId, 'serverId') : undefined;
    await policyIn(ctx, id, o);
    // remediateAll installs inside the policy's schedule (at its next occurrence), remediateServer now
    await translate(() =>
      remediatePolicy(ctx, id, serverId, action === 'remediateAll' ? 'next-occurrence' : 'now'),
    );
    return reply.status(204).send();
  });

  app.get('/policystats', { config: { scope: 'organization' } }, async (req) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const { limit, offset } = kit.page(req);
    const stats = await policyCompliance(ctx, o);
    return stats.slice(offset, offset + limit).map((s) => ({
      policy_id: s.policyId,
      organization_id: s.organizationId,
      policy_name: s.name,
      policy_type_name: typeName(s.kind),
      num_compliant: s.compliant,
      num_non_compliant: s.nonCompliant,
      num_devices: s.compliant + s.nonCompliant,
      compliant: s.compliant,
      non_compliant: s.nonCompliant,
    }));
  });

  // Automox's device targeting preview: the devices that `server_groups` (every group when empty or
  // absent) and the Device Targeting filters (`device_filters`) select, paged with limit and page
  app.post('/policies/device-filters-preview', { config: { scope: 'organization' } }, async (req) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const { limit, offset } = kit.page(req);
    const b = req.body as unknown;
    const issues = new Issues();
    if (!isRecord(b))
      issues.add('body', `must be a JSON object {"server_groups", "device_filters"}, ${got(b)}`);
    const body = isRecord(b) ? b : {};
    for (const k of Object.keys(body))
      if (k !== 'server_groups' && k !== 'device_filters')
        issues.add(k, 'is not a field of a device filters preview (server_groups, device_filters)');
    const groups: number[] = [];
    if (body.server_groups !== undefined) {
      if (!Array.isArray(body.server_groups))
        issues.add('server_groups', `must be an array of ids, ${got(body.server_groups)}`);
      else
        body.server_groups.forEach((g, i) => {
          if (Number.isSafeInteger(g) && (g as number) > 0) groups.push(g as number);
          else issues.add(`server_groups[${i}]`, `must be a server group id, ${got(g)}`);
        });
    }
    const filters =
      body.device_filters === undefined
        ? []
        : parseDeviceFilters(body.device_filters, 'device_filters', issues);
    issues.throwIfAny('invalid device filters preview');
    const devices = await translate(() => previewDeviceTargeting(ctx, o, { groupIds: groups, filters }));
    return devices.slice(offset, offset + limit).map((d) => ({
      id: d.id,
      name: d.name,
      custom_name: d.name,
      organization_id: d.organizationId,
      server_group_id: d.groupId,
      os_family: automoxOsFamily(d.osFamily),
      os_name: d.osName,
      os_version: d.osVersion,
      ip_addrs: d.ipAddresses,
      tags: d.tags,
    }));
  });
}
