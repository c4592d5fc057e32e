import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createEngine } from '../../../src/engine/engine.ts';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';

// A user scoped to one group of an organization (gina: Servers, with Web below it) acts and reads only on
// tasks, task instances, policies and maintenance windows whose target lies inside that group: an object
// that targets the whole organization, or a group or device outside hers, is not found for her (404), so
// she can neither change it nor read the devices it names. An operator who owns the organization may do
// everything. Each reproduction below answered 200/201/204 (or listed the object) before the fix.

const gzWeekly = (days: number[], from: number, to: number) => ({
  format: 'gravityzone-scheduler',
  value: {
    recurrence: 3,
    startDate: 1767225600, // 2026-01-01
    between: { startHour: from, startMinute: 0, endHour: to, endMinute: 0 },
    weeklyRecurrence: { every: 1, days },
  },
});
const windowSettings = () => ({
  scan: { enabled: true, scheduleFormat: 'current', sameScheduleForAll: true, schedule: gzWeekly([2], 1, 5) },
  install: {
    enabled: true,
    security: { enabled: true },
    nonSecurity: { enabled: false },
    manuallyApproved: { enabled: false },
    rebootPostponement: { mode: 'user-may-postpone' },
  },
});

const ids = (items: { id: number }[]) => items.map((x) => x.id);

eachDriver('group scope of tasks, policies and windows through the native API', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let gina: Client; // Operator scoped to the group Servers of organization A
  let olga: Client; // Operator scoped to the whole organization A
  let w: World;
  let desktops: { id: number };
  let desktop: { id: number }; // a device of A outside gina's group
  let orgTask: { id: number }; // a task of A that targets the whole organization
  let outsideTask: { id: number }; // a task of A naming a device of hers and one outside her group
  let outsidePolicy: { id: number }; // a policy of A targeting Desktops
  let rootWindow: { id: number }; // a window of A assigned to A's root group
  let bareWindow: { id: number }; // a window of A assigned to nothing (the organization's)

  const mk = async (c: Client, path: string, body: unknown) => {
    const r = await c.post(path, body);
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    return r.body;
  };

  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
    desktops = await mk(admin, '/api/v1/groups', { organizationId: w.orgA.id, name: 'Desktops' });
    desktop = await mk(admin, '/api/v1/devices', {
      organizationId: w.orgA.id,
      groupId: desktops.id,
      name: 'desk-1',
      osFamily: 'linux',
    });
    const g = await scopedUser(admin, 'gina', w.orgA.id, 'Operator', w.groupA.id);
    gina = await signIn(app, 'gina', g.password);
    const o = await scopedUser(admin, 'olga', w.orgA.id, 'Operator');
    olga = await signIn(app, 'olga', o.password);
    orgTask = await mk(admin, '/api/v1/tasks', { organizationId: w.orgA.id, kind: 'scan', name: 'all of A' });
    outsideTask = await mk(admin, '/api/v1/tasks', {
      organizationId: w.orgA.id,
      kind: 'scan',
      name: 'web and desk',
      parameters: { target: { kind: 'devices', ids: [w.deviceA.id, desktop.id] } },
    });
    outsidePolicy = await mk(admin, '/api/v1/policies', {
      organizationId: w.orgA.id,
      name: 'desktops',
      rule: { kind: 'all' },
      targets: { groups: [desktops.id] },
    });
    rootWindow = await mk(admin, '/api/v1/maintenance-windows', {
      organizationId: w.orgA.id,
      name: 'whole organization',
      settings: windowSettings(),
      assignments: { groups: [w.orgA.rootGroupId] },
    });
    bareWindow = await mk(admin, '/api/v1/maintenance-windows', {
      organizationId: w.orgA.id,
      name: 'unassigned',
      settings: windowSettings(),
    });
  });
  after(async () => app?.close());

  test('running an organization-wide task is not found for her and sends no job', async () => {
    const r = await gina.post(`/api/v1/tasks/${orgTask.id}/run`);
    assert.equal(r.status, 404, JSON.stringify(r.body));
    const r2 = await gina.post(`/api/v1/tasks/${outsideTask.id}/run`);
    assert.equal(r2.status, 404, JSON.stringify(r2.body));
    const running = await admin.get(`/api/v1/task-instances?organizationId=${w.orgA.id}`);
    assert.ok(
      !running.body.items.some((i: { taskId: number }) => [orgTask.id, outsideTask.id].includes(i.taskId)),
      'no instance was created',
    );
  });

  test("stopping or cancelling an organization-wide task's instance is not found for her", async () => {
    const i1 = await mk(admin, `/api/v1/tasks/${orgTask.id}/run`, undefined);
    const i2 = await mk(admin, `/api/v1/tasks/${orgTask.id}/run`, undefined);
    const stop = await gina.post(`/api/v1/task-instances/${i1.id}/stop`);
    assert.equal(stop.status, 404, JSON.stringify(stop.body));
    const cancel = await gina.post(`/api/v1/task-instances/${i2.id}/cancel`);
    assert.equal(cancel.status, 404, JSON.stringify(cancel.body));
    for (const i of [i1, i2])
      assert.equal((await admin.get(`/api/v1/task-instances/${i.id}`)).body.status, 'NotStarted');
    // she neither reads them nor lists them among the running instances
    assert.equal((await gina.get(`/api/v1/task-instances/${i1.id}`)).status, 404);
    const running = await gina.get('/api/v1/task-instances');
    assert.equal(running.status, 200);
    assert.ok(!ids(running.body.items).includes(i1.id), 'an organization-wide instance is not listed');
    // the organization's operator may stop and cancel them
    assert.equal((await olga.post(`/api/v1/task-instances/${i1.id}/stop`)).status, 200);
    assert.equal((await olga.post(`/api/v1/task-instances/${i2.id}/cancel`)).status, 200);
  });

  test('tasks naming the organization or devices outside her group are neither listed nor read', async () => {
    const list = await gina.get('/api/v1/tasks');
    assert.equal(list.status, 200);
    assert.ok(!ids(list.body.items).includes(orgTask.id), 'the organization-wide task is not listed');
    assert.ok(!ids(list.body.items).includes(outsideTask.id), 'the task naming desk-1 is not listed');
    for (const t of list.body.items as { parameters: { target?: { kind: string; ids?: number[] } } }[]) {
      assert.notEqual(t.parameters.target?.kind, 'organization', JSON.stringify(t));
      assert.ok(!(t.parameters.target?.ids ?? []).includes(desktop.id), JSON.stringify(t));
    }
    assert.equal((await gina.get(`/api/v1/tasks/${orgTask.id}`)).status, 404);
    assert.equal((await gina.get(`/api/v1/tasks/${outsideTask.id}`)).status, 404);
    const olgaList = await olga.get('/api/v1/tasks');
    assert.ok(ids(olgaList.body.items).includes(orgTask.id));
    assert.ok(ids(olgaList.body.items).includes(outsideTask.id));
  });

  test('an instance shows her only the devices of her group (a device moved out is left out)', async () => {
    const t = await mk(gina, '/api/v1/tasks', {
      organizationId: w.orgA.id,
      kind: 'scan',
      parameters: { target: { kind: 'groups', ids: [w.subA.id] } },
    });
    const run = await mk(gina, `/api/v1/tasks/${t.id}/run`, undefined);
    const engine = createEngine({ store: h.store(), owner: 'group-scope-test', pollMs: 10 });
    await engine.tick();
    await engine.stop();
    const mine = await gina.get(`/api/v1/task-instances/${run.id}`);
    assert.equal(mine.status, 200, JSON.stringify(mine.body));
    assert.deepEqual(
      mine.body.devices.map((d: { deviceId: number }) => d.deviceId).sort(),
      [w.deviceA.id, w.deviceA2.id].sort(),
    );
    // the administrator moves web-2 to Desktops, outside her group
    const moved = await admin.call('PATCH', `/api/v1/devices/${w.deviceA2.id}`, { groupId: desktops.id });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    try {
      const after = await gina.get(`/api/v1/task-instances/${run.id}`);
      assert.equal(after.status, 200);
      assert.deepEqual(
        after.body.devices.map((d: { deviceId: number }) => d.deviceId),
        [w.deviceA.id],
        'the job status of a device outside her group is not shown',
      );
      const full = await olga.get(`/api/v1/task-instances/${run.id}`);
      assert.equal(full.body.devices.length, 2, 'the organization operator sees both');
    } finally {
      await admin.call('PATCH', `/api/v1/devices/${w.deviceA2.id}`, { groupId: w.subA.id });
    }
  });

  test('she may run, stop and cancel what targets only her group, and scan her device', async () => {
    const t = await mk(gina, '/api/v1/tasks', {
      organizationId: w.orgA.id,
      kind: 'install',
      parameters: { target: { kind: 'groups', ids: [w.groupA.id] } },
    });
    const i1 = await mk(gina, `/api/v1/tasks/${t.id}/run`, undefined);
    const i2 = await mk(gina, `/api/v1/tasks/${t.id}/run`, undefined);
    const stop = await gina.post(`/api/v1/task-instances/${i1.id}/stop`);
    assert.equal(stop.status, 200, JSON.stringify(stop.body));
    const cancel = await gina.post(`/api/v1/task-instances/${i2.id}/cancel`);
    assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
    assert.equal((await gina.get(`/api/v1/tasks/${t.id}`)).status, 200);
    // a task naming her devices only
    const d = await mk(gina, '/api/v1/tasks', {
      organizationId: w.orgA.id,
      kind: 'scan',
      parameters: { target: { kind: 'devices', ids: [w.deviceA.id, w.deviceA2.id] } },
    });
    assert.equal((await gina.post(`/api/v1/tasks/${d.id}/run`)).status, 201);
    // the device page's scan now
    const scan = await gina.post(`/api/v1/devices/${w.deviceA.id}/scan`);
    assert.equal(scan.status, 201, JSON.stringify(scan.body));
    assert.equal((await gina.get(`/api/v1/task-instances/${scan.body.id}`)).status, 200);
    const list = await gina.get('/api/v1/tasks');
    for (const id of [t.id, d.id, scan.body.taskId]) assert.ok(ids(list.body.items).includes(id));
    // what she cannot create: the organization, or a device outside her group
    for (const target of [undefined, { kind: 'devices', ids: [w.deviceA.id, desktop.id] }]) {
      const r = await gina.post('/api/v1/tasks', {
        organizationId: w.orgA.id,
        kind: 'scan',
        ...(target ? { parameters: { target } } : {}),
      });
      assert.equal(r.status, 403, JSON.stringify(r.body));
    }
  });

  test('a policy targeting another group: disable, re-target and delete are not found for her', async () => {
    const base = `/api/v1/policies/${outsidePolicy.id}`;
    for (const action of ['disable', 'enable']) {
      const r = await gina.post(`${base}/${action}`);
      assert.equal(r.status, 404, `${action}: ${JSON.stringify(r.body)}`);
    }
    const put = await gina.call('PUT', base, {
      name: 'desktops',
      rule: { kind: 'all' },
      targets: { groups: [w.groupA.id] },
    });
    assert.equal(put.status, 404, JSON.stringify(put.body));
    const del = await gina.call('DELETE', base);
    assert.equal(del.status, 404, JSON.stringify(del.body));
    assert.equal((await gina.get(base)).status, 404);
    assert.equal((await gina.get(`${base}/preview`)).status, 404);
    assert.equal((await gina.get(`${base}/occurrences`)).status, 404);
    const list = await gina.get('/api/v1/policies');
    assert.equal(list.status, 200);
    assert.ok(!ids(list.body.items).includes(outsidePolicy.id));
    const still = await admin.get(base);
    assert.equal(still.status, 200);
    assert.equal(still.body.enabled, true);
    assert.deepEqual(still.body.targets.groups, [desktops.id]);
  });

  test('her own policy: she may disable, re-target inside her group and delete, not re-target outside', async () => {
    const p = await mk(gina, '/api/v1/policies', {
      organizationId: w.orgA.id,
      name: 'web servers',
      rule: { kind: 'all' },
      targets: { groups: [w.groupA.id] },
    });
    const base = `/api/v1/policies/${p.id}`;
    assert.equal((await gina.post(`${base}/disable`)).status, 200);
    const inside = await gina.call('PUT', base, {
      name: 'web servers',
      rule: { kind: 'all' },
      targets: { groups: [w.subA.id], devices: [w.deviceA.id] },
    });
    assert.equal(inside.status, 200, JSON.stringify(inside.body));
    for (const targets of [{ groups: [desktops.id] }, { devices: [desktop.id] }, {}]) {
      const out = await gina.call('PUT', base, { name: 'web servers', rule: { kind: 'all' }, targets });
      assert.equal(out.status, 403, `${JSON.stringify(targets)}: ${JSON.stringify(out.body)}`);
    }
    assert.deepEqual((await admin.get(base)).body.targets.groups, [w.subA.id]);
    assert.ok(ids((await gina.get('/api/v1/policies')).body.items).includes(p.id));
    assert.equal((await gina.call('DELETE', base)).status, 204);
  });

  test('an organization-wide window: changing its assignments and deleting it are not found for her', async () => {
    for (const win of [rootWindow, bareWindow]) {
      const base = `/api/v1/maintenance-windows/${win.id}`;
      const patch = await gina.call('PATCH', base, { assignments: { groups: [w.groupA.id] } });
      assert.equal(patch.status, 404, JSON.stringify(patch.body));
      const rename = await gina.call('PATCH', base, { name: 'mine now' });
      assert.equal(rename.status, 404, JSON.stringify(rename.body));
      const del = await gina.call('DELETE', base);
      assert.equal(del.status, 404, JSON.stringify(del.body));
      assert.equal((await gina.get(base)).status, 404);
      assert.equal((await admin.get(base)).status, 200, 'the window is still there');
    }
    assert.deepEqual((await admin.get(`/api/v1/maintenance-windows/${rootWindow.id}`)).body.assignments, {
      policies: [],
      groups: [w.orgA.rootGroupId],
    });
    const list = await gina.get('/api/v1/maintenance-windows');
    assert.equal(list.status, 200);
    assert.ok(!ids(list.body.items).includes(rootWindow.id));
    assert.ok(!ids(list.body.items).includes(bareWindow.id));
  });

  test('a window assigned to her group: she may re-assign it inside her group and delete it', async () => {
    const win = await mk(admin, '/api/v1/maintenance-windows', {
      organizationId: w.orgA.id,
      name: 'web nights',
      settings: windowSettings(),
      assignments: { groups: [w.groupA.id] },
    });
    const base = `/api/v1/maintenance-windows/${win.id}`;
    assert.equal((await gina.get(base)).status, 200);
    assert.ok(ids((await gina.get('/api/v1/maintenance-windows')).body.items).includes(win.id));
    const inside = await gina.call('PATCH', base, { assignments: { groups: [w.subA.id] } });
    assert.equal(inside.status, 200, JSON.stringify(inside.body));
    for (const assignments of [{ groups: [desktops.id] }, { policies: [outsidePolicy.id] }, { groups: [] }]) {
      const out = await gina.call('PATCH', base, { assignments });
      assert.equal(out.status, 403, `${JSON.stringify(assignments)}: ${JSON.stringify(out.body)}`);
    }
    assert.deepEqual((await admin.get(base)).body.assignments.groups, [w.subA.id]);
    // a policy of hers reaches her group only: the window may be assigned to it
    const p = await mk(gina, '/api/v1/policies', {
      organizationId: w.orgA.id,
      name: 'web nights policy',
      rule: { kind: 'all' },
      targets: { devices: [w.deviceA.id] },
    });
    const withPolicy = await gina.call('PATCH', base, {
      assignments: { groups: [w.subA.id], policies: [p.id] },
    });
    assert.equal(withPolicy.status, 200, JSON.stringify(withPolicy.body));
    assert.ok(ids((await gina.get('/api/v1/maintenance-windows')).body.items).includes(win.id));
    assert.equal((await gina.call('DELETE', base)).status, 204);
    assert.equal((await gina.call('DELETE', `/api/v1/policies/${p.id}`)).status, 204);
  });

  test('an operator owning the organization may do all of it', async () => {
    const i = await olga.post(`/api/v1/tasks/${orgTask.id}/run`);
    assert.equal(i.status, 201, JSON.stringify(i.body));
    assert.equal((await olga.post(`/api/v1/task-instances/${i.body.id}/cancel`)).status, 200);
    const base = `/api/v1/policies/${outsidePolicy.id}`;
    assert.equal((await olga.post(`${base}/disable`)).status, 200);
    const put = await olga.call('PUT', base, { name: 'desktops', rule: { kind: 'all' }, targets: {} });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal((await olga.call('DELETE', base)).status, 204);
    for (const win of [rootWindow, bareWindow]) {
      const wb = `/api/v1/maintenance-windows/${win.id}`;
      const p = await olga.call('PATCH', wb, { assignments: { groups: [desktops.id] } });
      assert.equal(p.status, 200, JSON.stringify(p.body));
      assert.equal((await olga.call('DELETE', wb)).status, 204);
    }
  });
});
