import type { FastifyInstance } from 'fastify';
import { invalid, notFound } from '../../core/errors.ts';
import { Issues, got, isRecord, type Json } from '../../core/policies/fields.ts';
import { and, field, is, type ListQuery } from '../../core/query.ts';
import { inGroup, INSTALLED, IN_FLIGHT, OUTSTANDING } from '../../core/status.ts';
import { applyApproval } from '../../services/approvals.ts';
import { installOnDevices } from '../../services/device-patching.ts';
import {
  queryDeviceUpdates,
  queryUpdatesOfDevices,
  type DeviceUpdateView,
} from '../../services/device-updates.ts';
import {
  countDevicesByGroup,
  deleteDevice,
  listDevices,
  updateDevice,
  type DeviceView,
} from '../../services/devices.ts';
import { queryDevices, type DeviceEntry } from '../../services/directory.ts';
import { queryEvents } from '../../services/events.ts';
import {
  createGroup,
  deleteGroup,
  getGroup,
  listGroups,
  updateGroup,
  type GroupView,
} from '../../services/groups.ts';
import {
  checkScanInterval,
  GROUP_SCAN_MINUTES,
  groupScanIntervals,
  setGroupScanInterval,
  stopGroupScans,
} from '../../services/group-scans.ts';
import { listOrganizationUsers } from '../../services/identity.ts';
import { getOrganization, listOrganizations } from '../../services/organizations.ts';
import { listPolicies } from '../../services/policies.ts';
import { previewPolicy } from '../../services/preview.ts';
import {
  policyCompliance,
  remediatePolicy,
  testPolicy,
  type PolicyCompliance,
} from '../../services/policy-runs.ts';
import { runNow, runOnDevice } from '../../services/tasks.ts';
import type { Context } from '../../services/context.ts';
import { automoxOsFamily, typeName } from './policy-body.ts';
import { readId, type AutomoxKit } from './kit.ts';

// Devices (/api/servers), server groups, packages, approvals, organizations, users, events and reports,
// in Automox's field names and types, from the services' real data.

const iso = (d: Date | null | undefined) => (d ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : null);
const ALL_UPDATES = { limit: 10_000, offset: 0, sort: [] as string[] };

/**
 * the refresh interval (minutes between scans) shown for a group that has no periodic scan of its own
 * (services/group-scans.ts): Automox's default, once a day
 */
const DEFAULT_REFRESH_INTERVAL = 1440;

async function deviceUpdates(ctx: Context, deviceId: number): Promise<DeviceUpdateView[]> {
  return (await queryDeviceUpdates(ctx, deviceId, {}, ALL_UPDATES)).items;
}

function packageOf(deviceId: number, u: DeviceUpdateView) {
  return {
    id: u.updateId,
    server_id: deviceId,
    package_id: u.updateId,
    software_id: u.updateId,
    name: u.packageName ?? u.name,
    display_name: u.name,
    version: u.version,
    installed: inGroup(INSTALLED, u.status),
    ignored: u.status === 'ignored',
    group_ignored: u.approval?.action === 'ignore' && u.approval.level !== 'device',
    deferred_until: null,
    severity: u.severity,
    cve_score: u.cvssScore,
    cves: u.cves,
    patch_time: iso(u.installedAt),
    requires_reboot: u.rebootBehavior !== 'never',
    is_managed: true,
    status: u.status,
    create_time: iso(u.firstDetectedAt),
  };
}

/** what renders servers, read for a whole page of devices at once (a fixed number of service calls) */
interface ServerFacts {
  full: Map<number, DeviceView>;
  updates: Map<number, DeviceUpdateView[]>;
  stats: readonly PolicyCompliance[];
  intervals: ReadonlyMap<number, number>;
}

async function serverFacts(ctx: Context, o: number, devices: readonly DeviceEntry[]): Promise<ServerFacts> {
  const ids = devices.map((d) => d.id);
  const [full, updates, stats, intervals] = await Promise.all([
    ids.length
      ? listDevices(ctx, { organizationId: o, ids }, { limit: ids.length, offset: 0, sort: [] })
      : { items: [] as DeviceView[] },
    queryUpdatesOfDevices(ctx, o, ids),
    policyCompliance(ctx, o),
    groupScanIntervals(ctx, o),
  ]);
  return { full: new Map(full.items.map((d) => [d.id, d])), updates, stats, intervals };
}

function renderServer(d: DeviceEntry, facts: ServerFacts) {
  const full = facts.full.get(d.id)!;
  const updates = facts.updates.get(d.id) ?? [];
  const stats = facts.stats;
  const intervals = facts.intervals;
  const outstanding = updates.filter((u) => inGroup(OUTSTANDING, u.status));
  const pending = updates.filter((u) => inGroup(IN_FLIGHT, u.status) || u.status === 'pending');
  const policyStatus = stats
    .filter((s) => s.compliantDevices.includes(d.id) || s.nonCompliantDevices.includes(d.id))
    .map((s) => ({
      policy_id: s.policyId,
      organization_id: s.organizationId,
      policy_name: s.name,
      policy_type_name: typeName(s.kind),
      status: s.compliantDevices.includes(d.id) ? 1 : 0,
      result: s.compliantDevices.includes(d.id) ? 'compliant' : 'non-compliant',
    }));
  const connected = d.seenRecently === true;
  return {
    id: d.id,
    organization_id: d.organizationId,
    server_group_id: d.groupId,
    name: d.name,
    display_name: d.name,
    custom_name: full.name,
    os_family: automoxOsFamily(d.osFamily),
    os_name: d.osName,
    os_version: d.osVersion,
    agent_version: d.agentVersion,
    ip_addrs: d.ipAddresses,
    timezone: d.timeZone,
    tags: full.tags,
    create_time: iso(full.createdAt),
    last_refresh_time: iso(full.lastScanAt),
    last_update_time: iso(full.lastSeenAt),
    last_disconnect_time: connected ? null : iso(d.lastSeenAt),
    connected,
    needs_reboot: full.rebootRequired,
    pending: pending.length > 0,
    patches: outstanding.length,
    compliant: outstanding.length === 0 && policyStatus.every((p) => p.status === 1),
    is_compatible: d.osFamily !== 'unknown',
    deleted: d.status === 'retired',
    refresh_interval: intervals.get(d.groupId) ?? DEFAULT_REFRESH_INTERVAL,
    policy_status: policyStatus,
    detail: {
      HOSTNAME: d.hostname,
      IPS: d.ipAddresses,
      OS_FAMILY: d.osFamily,
      PENDING_PATCHES: outstanding.length,
      REBOOT_REQUIRED: full.rebootRequired,
    },
  };
}

function renderGroup(g: GroupView, serverCount: number, policies: number[], refreshInterval: number) {
  return {
    id: g.id,
    organization_id: g.organizationId,
    // the default group: no name, and its own id as its parent (as Automox shows it)
    name: g.isRoot ? '' : g.name,
    parent_server_group_id: g.isRoot ? g.id : g.parentId,
    refresh_interval: refreshInterval,
    notes: g.description,
    ui_color: null,
    enable_os_auto_update: null,
    server_count: serverCount,
    policies,
  };
}

export function resourceRoutes(app: FastifyInstance, kit: AutomoxKit) {
  const orgDevices = (o: number, skip: number, top: number): ListQuery => ({
    filter: is(field('organizationId'), o),
    sort: [{ by: field('id'), direction: 'asc' }],
    skip,
    top,
  });

  // ---- servers ----
  const listServers = async (req: Parameters<AutomoxKit['ctxOf']>[0]) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const { limit, offset } = kit.page(req);
    const page = await queryDevices(ctx, orgDevices(o, offset, limit));
    const facts = await serverFacts(ctx, o, page.records);
    return page.records.map((d) => renderServer(d, facts));
  };
  app.get('/servers', { config: { scope: 'organization' } }, listServers);
  app.get('/servers/', { config: { scope: 'organization' } }, listServers);

  const serverIn = async (ctx: Context, id: number, o: number) => {
    const page = await queryDevices(ctx, {
      filter: and(is(field('organizationId'), o), is(field('id'), id)),
      sort: [],
      skip: 0,
      top: 1,
    });
    const d = page.records[0];
    if (!d) throw notFound('server', id);
    return d;
  };
  app.get('/servers/:id', { config: { scope: 'group' } }, async (req) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const d = await serverIn(ctx, kit.id(req), o);
    return renderServer(d, await serverFacts(ctx, o, [d]));
  });
  app.put('/servers/:id', { config: { scope: 'group' } }, async (req, reply) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const id = kit.id(req);
    await serverIn(ctx, id, o);
    const b = req.body as unknown;
    const issues = new Issues();
    if (!isRecord(b)) issues.add('body', `must be a JSON object, ${got(b)}`);
    const body: Json = isRecord(b) ? b : {};
    for (const k of Object.keys(body))
      if (!['server_group_id', 'custom_name', 'tags', 'exception', 'ip_addrs'].includes(k))
        issues.add(k, 'is not a field of a server update');
    if (
      body.tags !== undefined &&
      (!Array.isArray(body.tags) || body.tags.some((t) => typeof t !== 'string'))
    )
      issues.add('tags', `must be an array of strings, ${got(body.tags)}`);
    if (body.custom_name !== undefined && typeof body.custom_name !== 'string')
      issues.add('custom_name', `must be a string, ${got(body.custom_name)}`);
    if (body.server_group_id === undefined) issues.add('server_group_id', 'is required');
    issues.throwIfAny('invalid server');
    const groupId = readId(body.server_group_id, 'server_group_id');
    await updateDevice(ctx, id, {
      groupId,
      ...(typeof body.custom_name === 'string' ? { name: body.custom_name } : {}),
      ...(Array.isArray(body.tags) ? { tags: body.tags as string[] } : {}),
    });
    return reply.status(204).send();
  });
  app.delete('/servers/:id', { config: { scope: 'group' } }, async (req, reply) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const id = kit.id(req);
    await serverIn(ctx, id, o);
    await deleteDevice(ctx, id);
    return reply.status(204).send();
  });
  app.get('/servers/:id/packages', { config: { scope: 'group' } }, async (req) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const id = kit.id(req);
    await serverIn(ctx, id, o);
    const { limit, offset } = kit.page(req);
    const r = await queryDeviceUpdates(ctx, id, {}, { limit, offset, sort: [] });
    return r.items.map((u) => packageOf(id, u));
  });

  // commands: GetOS (scan), InstallUpdate (args: package names), InstallAllUpdates, PolicyRemediate
  // (args: policy id), PolicyTest (args: policy id; evaluates without remediating), Reboot
  const COMMANDS = ['GetOS', 'InstallUpdate', 'InstallAllUpdates', 'PolicyTest', 'PolicyRemediate', 'Reboot'];
  app.post('/servers/:id/queues', { config: { scope: 'group' } }, async (req, reply) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const id = kit.id(req);
    const device = await serverIn(ctx, id, o);
    const b = req.body as unknown;
    const issues = new Issues();
    if (!isRecord(b)) issues.add('body', `must be a JSON object {"command_type_name": …}, ${got(b)}`);
    const body: Json = isRecord(b) ? b : {};
    for (const k of Object.keys(body))
      if (k !== 'command_type_name' && k !== 'args') issues.add(k, 'is not a field of a command');
    const cmd = body.command_type_name;
    if (typeof cmd !== 'string' || !COMMANDS.includes(cmd))
      issues.add('command_type_name', `must be one of ${COMMANDS.join(', ')}, ${got(cmd)}`);
    const args = body.args;
    if (args !== undefined && typeof args !== 'string') issues.add('args', `must be a string, ${got(args)}`);
    if (
      (cmd === 'InstallUpdate' || cmd === 'PolicyRemediate' || cmd === 'PolicyTest') &&
      !(typeof args === 'string' && args.trim())
    )
      issues.add('args', `is required with ${String(cmd)}`);
    issues.throwIfAny('invalid command');
    const argText = typeof args === 'string' ? args.trim() : '';
    let instanceIds: number[] = [];
    let scriptRunIds: number[] = [];
    let wouldInstall: number[] | undefined;
    switch (cmd) {
      case 'GetOS':
        instanceIds = [(await runOnDevice(ctx, id, 'scan')).id];
        break;
      case 'PolicyTest': {
        // evaluates the policy on the device without remediating (services/policy-runs.ts testPolicy)
        const policyId = readId(argText, 'args');
        const p = (await listPolicies(ctx, { organizationId: o })).find((x) => x.id === policyId);
        if (!p) throw notFound('policy', policyId);
        const t = await testPolicy(ctx, policyId, id);
        instanceIds = t.instanceIds;
        scriptRunIds = t.scriptRunIds;
        wouldInstall = t.wouldInstall;
        break;
      }
      case 'InstallUpdate':
      case 'InstallAllUpdates': {
        const updates = await deviceUpdates(ctx, id);
        const installable = updates.filter(
          (u) => inGroup(OUTSTANDING, u.status) && !inGroup(IN_FLIGHT, u.status),
        );
        let chosen = installable;
        if (cmd === 'InstallUpdate') {
          const names = argText.split(/\s+/);
          const unknown = names.filter(
            (n) => !updates.some((u) => u.packageName === n || u.name === n || u.kb === n),
          );
          if (unknown.length)
            throw invalid(`args names packages not on server ${id}: ${unknown.join(', ')}`, [
              { path: 'args', message: `names packages not on server ${id}: ${unknown.join(', ')}` },
            ]);
          chosen = installable.filter((u) =>
            names.some((n) => u.packageName === n || u.name === n || u.kb === n),
          );
        }
        if (chosen.length) {
          const out = await installOnDevices(ctx, {
            deviceIds: [id],
            updateIds: chosen.map((u) => u.updateId),
          });
          instanceIds = out.flatMap((x) => (x.instance ? [x.instance.id] : []));
        }
        break;
      }
      case 'PolicyRemediate': {
        const policyId = readId(argText, 'args');
        const p = (await listPolicies(ctx, { organizationId: o })).find((x) => x.id === policyId);
        if (!p) throw notFound('policy', policyId);
        const out = await remediatePolicy(ctx, policyId, id);
        instanceIds = out.flatMap((x) => (x.instance ? [x.instance.id] : []));
        break;
      }
      case 'Reboot':
        instanceIds = [
          (
            await runNow(ctx, {
              organizationId: device.organizationId,
              kind: 'reboot',
              name: `reboot now: ${device.name}`,
              parameters: { target: { kind: 'devices', ids: [id] } },
            })
          ).id,
        ];
        break;
    }
    return reply.status(201).send({
      server_id: id,
      organization_id: o,
      command_type_name: cmd,
      args: argText,
      response: instanceIds.length || scriptRunIds.length ? 'queued' : 'nothing to do',
      queue_ids: instanceIds,
      ...(cmd === 'PolicyTest' ? { script_run_ids: scriptRunIds } : {}),
      // a patch policy's test: the packages (update ids) it would install on the server now
      ...(wouldInstall ? { packages: wouldInstall } : {}),
    });
  });
  app.get('/servers/:id/queues', { config: { scope: 'group' } }, async (req) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const id = kit.id(req);
    await serverIn(ctx, id, o);
    const r = await queryEvents(
      ctx,
      { organizationId: o, deviceId: id, kind: 'task_instance.created' },
      { limit: 500, offset: 0, sort: ['-at'] },
    );
    return r.items.map((e) => ({
      id: Number(e.subjectId),
      server_id: id,
      organization_id: o,
      command_type_name: String(e.data.kind ?? ''),
      args: Array.isArray(e.data.updateIds) ? e.data.updateIds.join(' ') : '',
      create_time: iso(e.at),
    }));
  });
  app.post('/servers/batch', { config: { scope: 'organization' } }, async (req) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const b = req.body as unknown;
    const issues = new Issues();
    if (!isRecord(b))
      issues.add('body', `must be a JSON object {"action": "delete", "batch": [ids]}, ${got(b)}`);
    const body: Json = isRecord(b) ? b : {};
    for (const k of Object.keys(body))
      if (k !== 'action' && k !== 'batch') issues.add(k, 'is not a field of a batch');
    if (body.action !== 'delete') issues.add('action', `must be delete, ${got(body.action)}`);
    if (!Array.isArray(body.batch) || !body.batch.length || body.batch.length > 500)
      issues.add('batch', 'must be an array of 1 to 500 server ids');
    issues.throwIfAny('invalid batch');
    const ids = (body.batch as unknown[]).map((v, i) => readId(v, `batch[${i}]`));
    for (const id of ids) await serverIn(ctx, id, o); // every one is checked before any is deleted
    for (const id of ids) await deleteDevice(ctx, id);
    return { deleted: ids };
  });

  // ---- server groups ----
  const groupPolicies = async (ctx: Context, o: number) => {
    const policies = await listPolicies(ctx, { organizationId: o });
    return (groupId: number) => policies.filter((p) => p.targets.groups.includes(groupId)).map((p) => p.id);
  };
  const groupIn = async (ctx: Context, id: number, o: number) => {
    const g = await getGroup(ctx, id);
    if (g.organizationId !== o) throw notFound('server group', id);
    return g;
  };
  const showGroup = async (ctx: Context, g: GroupView) =>
    renderGroup(
      g,
      (await countDevicesByGroup(ctx, g.organizationId)).get(g.id) ?? 0,
      (await groupPolicies(ctx, g.organizationId))(g.id),
      (await groupScanIntervals(ctx, g.organizationId)).get(g.id) ?? DEFAULT_REFRESH_INTERVAL,
    );

  app.get('/servergroups', { config: { scope: 'group' } }, async (req) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const { limit, offset } = kit.page(req);
    const r = await listGroups(ctx, { organizationId: o }, { limit, offset, sort: [] });
    const policiesOf = await groupPolicies(ctx, o);
    const intervals = await groupScanIntervals(ctx, o);
    const counts = await countDevicesByGroup(ctx, o);
    return r.items.map((g) =>
      renderGroup(
        g,
        counts.get(g.id) ?? 0,
        policiesOf(g.id),
        intervals.get(g.id) ?? DEFAULT_REFRESH_INTERVAL,
      ),
    );
  });
  app.get('/servergroups/:id', { config: { scope: 'group' } }, async (req) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    return showGroup(ctx, await groupIn(ctx, kit.id(req), o));
  });
  const readGroupBody = (b: unknown, root: boolean) => {
    const issues = new Issues();
    if (!isRecord(b)) issues.add('body', `must be a JSON object, ${got(b)}`);
    const body: Json = isRecord(b) ? b : {};
    const allowed = [
      'name',
      'refresh_interval',
      'parent_server_group_id',
      'ui_color',
      'notes',
      'policies',
      'id',
      'organization_id',
      'server_count',
      'enable_os_auto_update',
    ];
    for (const k of Object.keys(body))
      if (!allowed.includes(k)) issues.add(k, 'is not a field of a server group');
    if (!root && (typeof body.name !== 'string' || !body.name.trim()))
      issues.add(
        'name',
        body.name === undefined ? 'is required' : `must be a non-empty string, ${got(body.name)}`,
      );
    const ri = body.refresh_interval;
    if (ri === undefined) issues.add('refresh_interval', 'is required');
    else if (!checkScanInterval(ri))
      issues.add(
        'refresh_interval',
        `must be a whole number of minutes from ${GROUP_SCAN_MINUTES.min} to ${GROUP_SCAN_MINUTES.max}, ${got(ri)}`,
      );
    if (body.parent_server_group_id === undefined) issues.add('parent_server_group_id', 'is required');
    if (body.notes !== undefined && typeof body.notes !== 'string')
      issues.add('notes', `must be a string, ${got(body.notes)}`);
    if (body.policies !== undefined && !(Array.isArray(body.policies) && body.policies.length === 0))
      issues.add('policies', 'must be empty or absent: link policies through the policy (server_groups)');
    issues.throwIfAny('invalid server group');
    return {
      name: typeof body.name === 'string' ? body.name : '',
      refreshInterval: ri as number,
      parentId: readId(body.parent_server_group_id, 'parent_server_group_id'),
      ...(typeof body.notes === 'string' ? { description: body.notes } : {}),
    };
  };
  app.post('/servergroups', { config: { scope: 'group' } }, async (req, reply) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const input = readGroupBody(req.body, false);
    const g = await createGroup(ctx, {
      organizationId: o,
      parentId: input.parentId,
      name: input.name,
      ...(input.description !== undefined ? { description: input.description } : {}),
    });
    await setGroupScanInterval(ctx, g.id, input.refreshInterval);
    return reply.status(201).send(await showGroup(ctx, g));
  });
  app.put('/servergroups/:id', { config: { scope: 'group' } }, async (req, reply) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const g = await groupIn(ctx, kit.id(req), o);
    const input = readGroupBody(req.body, g.isRoot);
    if (g.isRoot) {
      if (input.parentId !== g.id || input.name !== '')
        throw invalid('the default group keeps its name and parent', [
          {
            path: 'parent_server_group_id',
            message: `must be ${g.id} (the default group's own id), with name ""`,
          },
        ]);
      await updateGroup(ctx, g.id, input.description !== undefined ? { description: input.description } : {});
    } else
      await updateGroup(ctx, g.id, {
        name: input.name,
        parentId: input.parentId,
        ...(input.description !== undefined ? { description: input.description } : {}),
      });
    await setGroupScanInterval(ctx, g.id, input.refreshInterval);
    return reply.status(204).send();
  });
  app.delete('/servergroups/:id', { config: { scope: 'group' } }, async (req, reply) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const g = await groupIn(ctx, kit.id(req), o);
    await deleteGroup(ctx, g.id);
    await stopGroupScans(ctx, o, g.id);
    return reply.status(204).send();
  });

  // ---- organizations, packages, approvals ----
  app.get('/orgs', { config: { scope: 'organization' } }, async (req) => {
    const ctx = await kit.ctxOf(req);
    kit.orgOptional(req, ctx); // an `o` outside the scope is refused here as everywhere
    const { limit, offset } = kit.page(req);
    const r = await listOrganizations(ctx, {}, { limit, offset, sort: [] });
    return r.items.map((org) => ({
      id: org.id,
      name: org.name,
      parent_id: org.parentId,
      create_time: iso(org.createdAt),
      timezone: org.timeZone,
    }));
  });
  app.get('/orgs/:id/packages', { config: { scope: 'organization' } }, async (req) => {
    const ctx = await kit.ctxOf(req);
    const id = kit.id(req);
    const o = kit.orgOptional(req, ctx);
    if (o !== undefined && o !== id)
      throw invalid('o must be the organization of the path', [
        { path: 'o', message: `must be ${id} or absent` },
      ]);
    await getOrganization(ctx, id);
    const { limit, offset } = kit.page(req);
    const devices = await queryDevices(ctx, orgDevices(id, 0, 100_000));
    const updates = await queryUpdatesOfDevices(
      ctx,
      id,
      devices.records.map((d) => d.id),
    );
    const all = [];
    for (const d of devices.records) for (const u of updates.get(d.id) ?? []) all.push(packageOf(d.id, u));
    return all.slice(offset, offset + limit);
  });

  // a manual-approval request: an update that a manual ("Manually Approve") policy of the organization
  // leaves out because nobody approved it; approving it is the organization-level approval
  const approvalRequests = async (ctx: Context, o: number) => {
    const manual = (await listPolicies(ctx, { organizationId: o })).filter((p) => p.rule?.kind === 'manual');
    const byUpdate = new Map<
      number,
      { policyId: number; name: string; version: string | null; servers: Set<number> }
    >();
    for (const p of manual) {
      const preview = await previewPolicy(ctx, p.id);
      for (const d of preview.devices)
        for (const e of d.excluded) {
          if (e.reason !== 'not-approved') continue;
          const entry = byUpdate.get(e.updateId) ?? {
            policyId: p.id,
            name: e.name,
            version: null,
            servers: new Set<number>(),
          };
          entry.servers.add(d.deviceId);
          byUpdate.set(e.updateId, entry);
        }
    }
    return [...byUpdate.entries()].map(([updateId, e]) => ({
      id: updateId,
      policy_id: e.policyId,
      organization_id: o,
      status: 'pending',
      software: { id: updateId, display_name: e.name, version: e.version },
      server_count: e.servers.size,
    }));
  };
  app.get('/approvals', { config: { scope: 'organization' } }, async (req) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const { limit, offset } = kit.page(req);
    return (await approvalRequests(ctx, o)).slice(offset, offset + limit);
  });
  app.put('/approvals/:id', { config: { scope: 'organization' } }, async (req) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const id = kit.id(req);
    const b = req.body as unknown;
    if (
      !isRecord(b) ||
      Object.keys(b).some((k) => k !== 'status') ||
      (b.status !== 'approved' && b.status !== 'rejected')
    )
      throw invalid('the body must be {"status": "approved" | "rejected"}', [
        { path: 'status', message: `must be approved or rejected, ${got(isRecord(b) ? b.status : b)}` },
      ]);
    const request = (await approvalRequests(ctx, o)).find((r) => r.id === id);
    if (!request) throw notFound('approval', id);
    await applyApproval(ctx, { organizationId: o }, [id], b.status === 'approved' ? 'approve' : 'ignore');
    return { ...request, status: b.status };
  });

  // ---- users, events, reports ----
  app.get('/users', { config: { scope: 'organization' } }, async (req) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const { limit, offset } = kit.page(req);
    const r = await listOrganizationUsers(ctx, o, { limit, offset, sort: ['id'] });
    return r.items.map((u) => ({
      id: u.id,
      firstname: u.displayName,
      lastname: '',
      email: u.email,
      username: u.username,
      disabled: u.disabled,
      create_time: iso(u.createdAt),
    }));
  });
  app.get('/events', { config: { scope: 'organization' } }, async (req) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const { limit, offset } = kit.page(req);
    const r = await queryEvents(ctx, { organizationId: o }, { limit, offset, sort: ['-at'] });
    return r.items.map((e) => ({
      id: e.id,
      name: e.kind,
      organization_id: e.organizationId,
      server_id: e.deviceId,
      policy_id: e.subjectType === 'policy' ? Number(e.subjectId) : null,
      user: e.actor.name,
      data: e.data,
      create_time: iso(e.at),
    }));
  });
  const reportDevices = async (req: Parameters<AutomoxKit['ctxOf']>[0]) => {
    const ctx = await kit.ctxOf(req);
    const o = kit.org(req, ctx);
    const { limit, offset } = kit.page(req);
    const devices = await queryDevices(ctx, orgDevices(o, 0, 100_000));
    const facts = await serverFacts(ctx, o, devices.records);
    return { limit, offset, servers: devices.records.map((d) => renderServer(d, facts)), facts };
  };
  app.get('/reports/prepatch', { config: { scope: 'organization' } }, async (req) => {
    const { limit, offset, servers, facts } = await reportDevices(req);
    const withPatches = [];
    for (const s of servers.filter((x) => x.patches > 0)) {
      const ups = (facts.updates.get(s.id) ?? []).filter((u) => inGroup(OUTSTANDING, u.status));
      const count = (sev: string) => ups.filter((u) => u.severity === sev).length;
      withPatches.push({
        id: s.id,
        name: s.name,
        group: s.server_group_id,
        os_family: s.os_family,
        needsReboot: s.needs_reboot,
        patches: {
          total: ups.length,
          critical: count('critical'),
          high: count('high'),
          medium: count('medium'),
          low: count('low'),
          other: ups.length - count('critical') - count('high') - count('medium') - count('low'),
        },
      });
    }
    return { prepatch: { total: withPatches.length, devices: withPatches.slice(offset, offset + limit) } };
  });
  app.get('/reports/needs-attention', { config: { scope: 'organization' } }, async (req) => {
    const { limit, offset, servers } = await reportDevices(req);
    const attention = servers.filter((s) => !s.connected || s.needs_reboot || !s.compliant);
    return {
      nonCompliant: {
        total: attention.length,
        devices: attention.slice(offset, offset + limit).map((s) => ({
          id: s.id,
          name: s.name,
          connected: s.connected,
          needsReboot: s.needs_reboot,
          compliant: s.compliant,
          patches: s.patches,
        })),
      },
    };
  });
  app.get('/reports/noncompliance', { config: { scope: 'organization' } }, async (req) => {
    const { limit, offset, servers } = await reportDevices(req);
    const non = servers.filter((s) => !s.compliant);
    return {
      nonCompliant: {
        total: non.length,
        devices: non.slice(offset, offset + limit).map((s) => ({
          id: s.id,
          name: s.name,
          policies: s.policy_status
            .filter((p) => p.status === 0)
            .map((p) => ({ id: p.policy_id, name: p.policy_name })),
          patches: s.patches,
        })),
      },
    };
  });
}
