// Issue 19, points 3 to 6: servers, server groups (the default group), packages, approvals, orgs,
// users, events and reports, in Automox's names and types, from real data; over both stores.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { eachDriver } from '../../support/store.ts';
import { upsertCatalogBulletins } from '../../../src/services/catalog.ts';
import { systemContext } from '../../../src/services/context.ts';
import { setupAutomox, type AutomoxSetup } from './support.ts';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

eachDriver('Automox servers, groups, packages, approvals and the rest', (h) => {
  let s: AutomoxSetup;
  let A: number;
  before(async () => {
    s = await setupAutomox(h.store());
    A = s.world.orgA.id;
  });
  after(async () => s?.app.close());

  it('lists servers with and without the trailing slash, in Automox field names and types', async () => {
    const a = await s.ax.get(`/api/servers?o=${A}`);
    const b = await s.ax.get(`/api/servers/?o=${A}&limit=500&page=0`);
    assert.equal(a.status, 200, a.text);
    assert.deepEqual(a.body, b.body);
    const ids = a.body.map((x: { id: number }) => x.id);
    assert.deepEqual(ids, [s.world.deviceA.id, s.world.deviceA2.id]);
    const d = a.body[0];
    assert.equal(d.organization_id, A);
    assert.equal(d.server_group_id, s.world.subA.id);
    assert.equal(d.os_family, 'Linux');
    assert.equal(d.patches, 3); // openssl, liblzma5, tzdata missing
    assert.equal(d.pending, false);
    assert.equal(d.compliant, false);
    assert.equal(d.connected, false);
    assert.equal(d.needs_reboot, false);
    assert.equal(d.is_compatible, true);
    assert.match(d.create_time, ISO);
    assert.match(d.last_refresh_time, ISO);
    assert.deepEqual(d.policy_status, []);
    assert.deepEqual((await s.ax.get(`/api/servers?o=${A}&limit=1&page=5`)).body, []);
    const one = await s.ax.get(`/api/servers/${s.world.deviceA.id}?o=${A}`);
    assert.deepEqual(one.body, d);
    // a server of another organization through this one is not found
    assert.equal((await s.ax.get(`/api/servers/${s.world.deviceB.id}?o=${A}`)).status, 404);
  });

  it('shows one package per update of a device, and installs by queue command', async () => {
    const r = await s.ax.get(`/api/servers/${s.world.deviceA.id}/packages?o=${A}`);
    assert.equal(r.status, 200, r.text);
    const byName = Object.fromEntries(r.body.map((p: { name: string }) => [p.name, p]));
    assert.deepEqual(Object.keys(byName).sort(), ['liblzma5', 'openssl', 'tzdata']);
    const o = byName.openssl;
    assert.equal(o.server_id, s.world.deviceA.id);
    assert.equal(o.version, '3.0.22-1~deb12u2');
    assert.equal(o.installed, false);
    assert.equal(o.ignored, false);
    assert.equal(o.severity, 'high');
    assert.deepEqual(o.cves, ['CVE-2026-0001']);
    assert.equal(o.cve_score, null); // the catalog has no score for it yet
    // the catalog learns scores: cve_score is the highest over the update's CVEs
    await upsertCatalogBulletins(systemContext(h.store()), [
      {
        source: 'osv',
        id: 'DSA-9901-1',
        vendor: 'Debian',
        title: 'openssl security update',
        severity: 'high',
        cves: ['CVE-2026-0001', 'CVE-2026-0002'],
        aliases: [],
        supersedes: [],
        references: [],
        packages: [],
        cveDetails: [
          { id: 'CVE-2026-0001', severity: 'high', cvss: { score: 7.5, version: '3.1' } },
          { id: 'CVE-2026-0002', severity: 'critical', cvss: { score: 9.8, version: '3.1' } },
        ],
      },
    ]);
    const scored = await s.ax.get(`/api/servers/${s.world.deviceA.id}/packages?o=${A}`);
    const openssl = scored.body.find((p: { name: string }) => p.name === 'openssl');
    assert.equal(openssl.cve_score, 7.5); // CVE-2026-0002 is not linked to the update
    const lz = scored.body.find((p: { name: string }) => p.name === 'liblzma5');
    assert.equal(lz.cve_score, null);
    assert.equal(o.patch_time, null);
    assert.equal(typeof o.requires_reboot, 'boolean');

    const bad = await s.ax.post(`/api/servers/${s.world.deviceA.id}/queues?o=${A}`, {
      command_type_name: 'Dance',
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.errors, [
      'command_type_name must be one of GetOS, InstallUpdate, InstallAllUpdates, PolicyTest, PolicyRemediate, Reboot, got the string "Dance"',
    ]);
    const unknown = await s.ax.post(`/api/servers/${s.world.deviceA.id}/queues?o=${A}`, {
      command_type_name: 'InstallUpdate',
      args: 'nosuchpkg',
    });
    assert.deepEqual(unknown.body.errors, [
      `args names packages not on server ${s.world.deviceA.id}: nosuchpkg`,
    ]);
    const q = await s.ax.post(`/api/servers/${s.world.deviceA.id}/queues?o=${A}`, {
      command_type_name: 'InstallUpdate',
      args: 'openssl',
    });
    assert.equal(q.status, 201, q.text);
    assert.equal(q.body.response, 'queued');
    const native = await s.admin.get(`/api/v1/devices/${s.world.deviceA.id}/updates?sort=name`);
    const ssl = native.body.items.find((u: { name: string }) => u.name === 'openssl');
    // approved on the device and an install job waits for the agent (queued when the agent takes it)
    assert.equal(ssl.status, 'pending');
    assert.equal(ssl.approval.level, 'device');
    const queues = await s.ax.get(`/api/servers/${s.world.deviceA.id}/queues?o=${A}`);
    assert.equal(queues.status, 200);
    assert.ok(queues.body.some((x: { command_type_name: string }) => x.command_type_name === 'install'));
  });

  it('shows the default group of each organization and manages groups', async () => {
    const r = await s.ax.get(`/api/servergroups?o=${A}`);
    assert.equal(r.status, 200, r.text);
    const root = r.body.find((g: { name: string }) => g.name === '');
    assert.ok(root, JSON.stringify(r.body));
    assert.equal(root.parent_server_group_id, root.id);
    assert.equal(root.organization_id, A);
    const servers = r.body.find((g: { id: number }) => g.id === s.world.groupA.id);
    assert.equal(servers.parent_server_group_id, root.id);
    const web = r.body.find((g: { id: number }) => g.id === s.world.subA.id);
    assert.equal(web.server_count, 2);

    const missing = await s.ax.post(`/api/servergroups?o=${A}`, { name: 'x' });
    assert.deepEqual(missing.body.errors, [
      'refresh_interval is required',
      'parent_server_group_id is required',
    ]);
    assert.equal(web.refresh_interval, 1440); // no periodic scan of its own: Automox's default shown
    for (const bad of [239, 1441, 360.5, '360', null]) {
      const r = await s.ax.post(`/api/servergroups?o=${A}`, {
        name: 'x',
        refresh_interval: bad,
        parent_server_group_id: root.id,
      });
      assert.equal(r.status, 400, `${bad}: ${r.text}`);
      assert.match(
        r.body.errors[0],
        /^refresh_interval must be a whole number of minutes from 240 to 1440, got /,
      );
    }
    const made = await s.ax.post(`/api/servergroups?o=${A}`, {
      name: 'Desktops',
      refresh_interval: 360,
      parent_server_group_id: root.id,
      notes: 'the office',
    });
    assert.equal(made.status, 201, made.text);
    assert.equal(made.body.name, 'Desktops');
    assert.equal(made.body.parent_server_group_id, root.id);
    assert.equal(made.body.server_count, 0);
    assert.equal(made.body.refresh_interval, 360);
    // the interval is a scan task of the group, repeating every 360 minutes, run by the engine
    const scanTasks = async () =>
      (await s.admin.get(`/api/v1/tasks?organizationId=${A}&kind=scan`)).body.items.filter(
        (t: { parameters: { groupScan?: number } }) => t.parameters.groupScan === made.body.id,
      );
    const [task] = await scanTasks();
    assert.deepEqual(task.parameters.target, { kind: 'groups', ids: [made.body.id] });
    assert.ok(task.nextDueAt, JSON.stringify(task));
    const put = await s.ax.put(`/api/servergroups/${made.body.id}?o=${A}`, {
      name: 'Laptops',
      refresh_interval: 240,
      parent_server_group_id: root.id,
    });
    assert.equal(put.status, 204, put.text);
    const got = (await s.ax.get(`/api/servergroups/${made.body.id}?o=${A}`)).body;
    assert.equal(got.name, 'Laptops');
    assert.equal(got.refresh_interval, 240);
    assert.equal((await scanTasks()).length, 1); // rescheduled, not a second task
    assert.equal((await s.admin.get(`/api/v1/groups/${made.body.id}`)).body.name, 'Laptops');
    assert.equal((await s.ax.del(`/api/servergroups/${made.body.id}?o=${A}`)).status, 204);
    assert.equal((await scanTasks())[0].nextDueAt, null); // the deleted group's scans stop
    assert.equal((await s.ax.get(`/api/servergroups/${made.body.id}?o=${A}`)).status, 404);
  });

  it('turns a manual policy into approval requests, and approving one approves it for the organization', async () => {
    const p = await s.ax.post(`/api/policies?o=${A}`, {
      name: 'Manual',
      policy_type_name: 'patch',
      organization_id: A,
      configuration: { auto_patch: false, notify_user: false, patch_rule: 'manual' },
      schedule_days: 254,
      schedule_weeks_of_month: 62,
      schedule_months: 8190,
      schedule_time: '04:00',
      server_groups: [s.world.groupA.id],
    });
    assert.equal(p.status, 201, p.text);
    const list = await s.ax.get(`/api/approvals?o=${A}`);
    assert.equal(list.status, 200, list.text);
    const lzma = list.body.find(
      (x: { software: { display_name: string } }) => x.software.display_name === 'liblzma5',
    );
    assert.ok(lzma, JSON.stringify(list.body));
    assert.equal(lzma.policy_id, p.body.id);
    assert.equal(lzma.status, 'pending');
    assert.equal(lzma.server_count, 2);
    const bad = await s.ax.put(`/api/approvals/${lzma.id}?o=${A}`, { status: 'maybe' });
    assert.deepEqual(bad.body.errors, ['status must be approved or rejected, got the string "maybe"']);
    const ok = await s.ax.put(`/api/approvals/${lzma.id}?o=${A}`, { status: 'approved' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.status, 'approved');
    const after = await s.ax.get(`/api/approvals?o=${A}`);
    assert.ok(!after.body.some((x: { id: number }) => x.id === lzma.id));
    const u = (await s.admin.get(`/api/v1/devices/${s.world.deviceA2.id}/updates`)).body.items.find(
      (x: { name: string }) => x.name === 'liblzma5',
    );
    assert.equal(u.approval.level, 'organization');
    assert.equal(u.approval.action, 'approve');
    // policystats: the manual policy now selects liblzma5 on both devices
    const stats = await s.ax.get(`/api/policystats?o=${A}`);
    const st = stats.body.find((x: { policy_id: number }) => x.policy_id === p.body.id);
    assert.equal(st.num_non_compliant, 2);
    assert.equal(st.num_compliant, 0);
  });

  it('answers orgs, users, events and reports', async () => {
    const orgs = await s.axA.get('/api/orgs');
    assert.deepEqual(
      orgs.body.map((o: { id: number }) => o.id),
      [A],
    );
    assert.match(orgs.body[0].create_time, ISO);
    assert.equal((await s.axA.get(`/api/orgs?o=${s.world.orgB.id}`)).status, 403);
    const users = await s.ax.get(`/api/users?o=${A}`);
    assert.equal(users.status, 200);
    const names = (r: { body: { username: string }[] }) => r.body.map((u) => u.username).sort();
    assert.ok(names(users).includes('admin'));
    assert.ok(names(users).includes('ax-operator-a'));
    // a key scoped to organization A lists the users of A (not the all-organization administrators)
    const usersA = await s.axA.get(`/api/users?o=${A}`);
    assert.equal(usersA.status, 200, usersA.text);
    assert.deepEqual(names(usersA), ['ax-operator-a']);
    assert.match(usersA.body[0].create_time, ISO);
    assert.equal((await s.axA.get(`/api/users?o=${s.world.orgB.id}`)).status, 403);
    assert.deepEqual((await s.axA.get(`/api/users?o=${A}&limit=1&page=1`)).body, []);
    const events = await s.ax.get(`/api/events?o=${A}&limit=5`);
    assert.equal(events.status, 200);
    assert.equal(events.body.length, 5);
    assert.ok(
      events.body.every(
        (e: { organization_id: number; create_time: string }) =>
          e.organization_id === A && ISO.test(e.create_time),
      ),
    );
    const prepatch = await s.ax.get(`/api/reports/prepatch?o=${A}`);
    assert.equal(prepatch.status, 200, prepatch.text);
    assert.equal(prepatch.body.prepatch.total, 2);
    const dev = prepatch.body.prepatch.devices.find((d: { id: number }) => d.id === s.world.deviceA2.id);
    assert.deepEqual(dev.patches, { total: 3, critical: 1, high: 1, medium: 0, low: 1, other: 0 });
    const attention = await s.ax.get(`/api/reports/needs-attention?o=${A}`);
    assert.equal(attention.body.nonCompliant.total, 2);
    const non = await s.ax.get(`/api/reports/noncompliance?o=${A}`);
    assert.equal(non.status, 200);
    assert.equal(non.body.nonCompliant.total, 2);
    const orgPackages = await s.ax.get(`/api/orgs/${A}/packages?o=${A}`);
    assert.equal(orgPackages.body.length, 6);
  });

  it('moves, renames and deletes servers, one or by batch, only within o', async () => {
    const d = s.world.deviceA2.id;
    const bad = await s.ax.put(`/api/servers/${d}?o=${A}`, { custom_name: 5 });
    assert.deepEqual(bad.body.errors, ['custom_name must be a string, got 5', 'server_group_id is required']);
    const moved = await s.ax.put(`/api/servers/${d}?o=${A}`, {
      server_group_id: s.world.groupA.id,
      custom_name: 'web-2-renamed',
      tags: ['dmz'],
    });
    assert.equal(moved.status, 204, moved.text);
    const native = await s.admin.get(`/api/v1/devices/${d}`);
    assert.deepEqual(
      [native.body.groupId, native.body.name, native.body.tags],
      [s.world.groupA.id, 'web-2-renamed', ['dmz']],
    );
    const other = await s.ax.post(`/api/servers/batch?o=${A}`, {
      action: 'delete',
      batch: [d, s.world.deviceB.id],
    });
    assert.equal(other.status, 404, other.text);
    assert.equal(
      (await s.admin.get(`/api/v1/devices/${d}`)).status,
      200,
      'nothing deleted when one id is wrong',
    );
    const badBatch = await s.ax.post(`/api/servers/batch?o=${A}`, { action: 'explode', batch: [] });
    assert.deepEqual(badBatch.body.errors, [
      'action must be delete, got the string "explode"',
      'batch must be an array of 1 to 500 server ids',
    ]);
    const ok = await s.ax.post(`/api/servers/batch?o=${A}`, { action: 'delete', batch: [d] });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await s.ax.get(`/api/servers/${d}?o=${A}`)).status, 404);
  });

  it('previews the devices that server groups and device targeting filters select', async () => {
    const preview = (body: unknown, q = '') =>
      s.ax.post(`/api/policies/device-filters-preview?o=${A}${q}`, body);
    const ids = (r: { body: { id: number }[] }) => r.body.map((d) => d.id).sort((a, b) => a - b);
    const servers = ids(await s.ax.get(`/api/servers?o=${A}`));
    const all = await preview({});
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(ids(all), servers); // no group and no filter: every device of o
    const a = all.body.find((d: { id: number }) => d.id === s.world.deviceA.id);
    assert.deepEqual(
      [a.organization_id, a.server_group_id, a.os_family, a.name],
      [A, s.world.subA.id, 'Linux', 'web-1'],
    );
    // server_groups reach their subgroups' devices; a group of another organization is refused
    assert.deepEqual(ids(await preview({ server_groups: [s.world.groupA.id] })), servers);
    const foreign = await preview({ server_groups: [s.world.groupB.id] });
    assert.deepEqual(foreign.body.errors, [`server_groups[0] must be a group of organization ${A}`]);
    const unseen = await s.axA.post(`/api/policies/device-filters-preview?o=${A}`, {
      server_groups: [s.world.groupB.id],
    });
    assert.equal(unseen.status, 404, unseen.text); // not even named to a key that cannot see it
    const tagged = await s.admin.patch(`/api/v1/devices/${s.world.deviceA.id}`, { tags: ['Frontend', 'eu'] });
    assert.equal(tagged.status, 200, JSON.stringify(tagged.body));
    const byTag = await preview({
      server_groups: [s.world.subA.id],
      device_filters: [{ field: 'tag', op: 'in', value: ['frontend', 'other'] }],
    });
    assert.deepEqual(ids(byTag), [s.world.deviceA.id]); // one value of a line matches, case aside
    const notTag = await preview({ device_filters: [{ field: 'tag', op: 'not-in', value: ['FRONTEND'] }] });
    assert.deepEqual(
      ids(notTag),
      servers.filter((x) => x !== s.world.deviceA.id),
    );
    // lines are ANDed
    const both = await preview({
      device_filters: [
        { field: 'tag', op: 'in', value: ['eu'] },
        { field: 'os-family', op: 'in', value: ['Windows'] },
      ],
    });
    assert.deepEqual(both.body, []);
    const linux = await preview({
      device_filters: [
        { field: 'tag', op: 'in', value: ['eu'] },
        { field: 'os-family', op: 'in', value: ['Linux'] },
        { field: 'hostname', op: 'in', value: ['WEB-1'] },
      ],
    });
    assert.deepEqual(ids(linux), [s.world.deviceA.id]);
    assert.deepEqual((await preview({}, '&limit=1&page=50')).body, []);
    // every validation rule, with the exact error
    const errors = async (body: unknown) => {
      const r = await preview(body);
      assert.equal(r.status, 400, r.text);
      return r.body.errors;
    };
    assert.deepEqual(await errors({ policy_id: 1 }), [
      'policy_id is not a field of a device filters preview (server_groups, device_filters)',
    ]);
    assert.deepEqual(await errors([]), [
      'body must be a JSON object {"server_groups", "device_filters"}, got an array',
    ]);
    assert.deepEqual(await errors({ server_groups: 'x' }), [
      'server_groups must be an array of ids, got the string "x"',
    ]);
    assert.deepEqual(await errors({ server_groups: [0] }), [
      'server_groups[0] must be a server group id, got 0',
    ]);
    assert.deepEqual(await errors({ device_filters: {} }), [
      'device_filters must be an array of {"field", "op", "value"}, got an object',
    ]);
    assert.deepEqual(
      await errors({ device_filters: [{ field: 'serial', op: 'like', value: [], extra: 1 }] }),
      [
        'device_filters[0].extra is not a field of a device filter',
        'device_filters[0].field must be one of tag, ip-addr, hostname, os-family, os-name, os-version, got the string "serial"',
        'device_filters[0].op must be one of in, not-in, got the string "like"',
        'device_filters[0].value must be a non-empty array of strings, got an array',
      ],
    );
    assert.deepEqual(await errors({ device_filters: [{ field: 'tag', op: 'in', value: ['a', 7, ' '] }] }), [
      'device_filters[0].value[1] must be a non-empty string, got 7',
      'device_filters[0].value[2] must be a non-empty string, got the string " "',
    ]);
    assert.deepEqual(
      await errors({
        device_filters: [{ field: 'tag', op: 'in', value: Array.from({ length: 11 }, (_, i) => `t${i}`) }],
      }),
      ['device_filters[0].value must hold at most 10 values, got 11'],
    );
    assert.deepEqual(
      await errors({
        device_filters: Array.from({ length: 11 }, () => ({ field: 'tag', op: 'in', value: ['x'] })),
      }),
      ['device_filters must hold at most 10 filters, got 11'],
    );
    assert.deepEqual(
      await errors({ device_filters: [{ field: 'tag', op: 'in', value: ['x'.repeat(256)] }] }),
      ['device_filters[0].value[0] must be at most 255 characters'],
    );
    // a key scoped to organization A cannot preview B
    assert.equal(
      (await s.axA.post(`/api/policies/device-filters-preview?o=${s.world.orgB.id}`, {})).status,
      403,
    );
  });

  it('checks policy actions and previews what a policy would install per device', async () => {
    const p = await s.ax.post(`/api/policies?o=${A}`, {
      name: 'Critical',
      policy_type_name: 'patch',
      organization_id: A,
      configuration: {
        notify_user: false,
        patch_rule: 'filter',
        filter_type: 'severity',
        severity_filter: ['critical'],
      },
      schedule_days: 2,
      schedule_weeks_of_month: 62,
      schedule_months: 8190,
      schedule_time: '05:00',
      server_groups: [s.world.groupA.id],
    });
    assert.equal(p.status, 201, p.text);
    const id = p.body.id;
    const bad = await s.ax.post(`/api/policies/${id}/action?o=${A}`, { action: 'remediateEverything' });
    assert.deepEqual(bad.body.errors, [
      'action must be remediateAll or remediateServer, got the string "remediateEverything"',
    ]);
    const noServer = await s.ax.post(`/api/policies/${id}/action?o=${A}`, { action: 'remediateServer' });
    assert.deepEqual(noServer.body.errors, ['serverId must be a positive integer id, got nothing']);
    const foreign = await s.ax.post(`/api/policies/${id}/action?o=${A}`, {
      action: 'remediateServer',
      serverId: s.world.deviceB.id,
    });
    assert.deepEqual(foreign.body.errors, [`serverId is not a device that policy ${id} targets`]);
    const queue = `/api/servers/${s.world.deviceA.id}/queues?o=${A}`;
    // PolicyTest evaluates the patch policy on the server (a fresh scan) and installs nothing
    const noArgs = await s.ax.post(queue, { command_type_name: 'PolicyTest' });
    assert.deepEqual(noArgs.body.errors, ['args is required with PolicyTest']);
    const lzStatus = async () =>
      (await s.admin.get(`/api/v1/devices/${s.world.deviceA.id}/updates`)).body.items.find(
        (x: { name: string }) => x.name === 'liblzma5',
      ).status;
    const statusBefore = await lzStatus();
    const installsBefore = (await s.ax.get(queue)).body.filter(
      (x: { command_type_name: string }) => x.command_type_name === 'install',
    ).length;
    const tested = await s.ax.post(queue, { command_type_name: 'PolicyTest', args: String(id) });
    assert.equal(tested.status, 201, tested.text);
    assert.equal(tested.body.queue_ids.length, 1); // the scan
    assert.deepEqual(tested.body.packages, [s.world.updates.liblzma5]); // the critical one only
    assert.equal(await lzStatus(), statusBefore, 'a test changes nothing');
    assert.equal(
      (await s.ax.get(queue)).body.filter(
        (x: { command_type_name: string }) => x.command_type_name === 'install',
      ).length,
      installsBefore,
      'a test installs nothing',
    );
    const foreignTest = await s.ax.post(`/api/servers/${s.world.deviceA.id}/queues?o=${A}`, {
      command_type_name: 'PolicyTest',
      args: '999999',
    });
    assert.equal(foreignTest.status, 404);
    const before = (await s.ax.get(queue)).body.length;
    const run = await s.ax.post(`/api/policies/${id}/action?o=${A}`, {
      action: 'remediateServer',
      serverId: s.world.deviceA.id,
    });
    assert.equal(run.status, 204, run.text);
    const u = (await s.admin.get(`/api/v1/devices/${s.world.deviceA.id}/updates`)).body.items.find(
      (x: { name: string }) => x.name === 'liblzma5',
    );
    assert.equal(u.status, 'pending');
    const after = (await s.ax.get(queue)).body;
    assert.equal(after.length, before + 1, 'one install queued on the server');
    assert.equal(after[0].command_type_name, 'install');
    assert.equal(after[0].args, String(u.updateId));
  });
});
