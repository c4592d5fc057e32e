import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';
import { createEngine } from '../../../src/engine/engine.ts';

// Scan now and install now on one device: POST /devices/:id/scan and /devices/:id/install create a
// one-device task and its instance; the engine turns it into one job for that device only.

interface Task {
  id: number;
  kind: string;
  organizationId: number;
  parameters: { target: { kind: string; ids: number[] }; updateIds?: number[] };
}

eachDriver('device actions API', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let w: World;
  const tasksOf = async (kind: string) =>
    ((await admin.get(`/api/v1/tasks?kind=${kind}`)).body.items as Task[]).filter(
      (t) => t.parameters.target.kind === 'devices',
    );

  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
  });
  after(async () => app?.close());

  test('scan now creates an instance whose only job is a scan of that device', async () => {
    const r = await admin.post(`/api/v1/devices/${w.deviceA.id}/scan`);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.kind, 'scan');
    assert.equal(r.body.status, 'NotStarted');
    assert.equal(r.body.organizationId, w.orgA.id);
    const task = (await tasksOf('scan')).find((t) => t.id === r.body.taskId);
    assert.ok(task, 'the instance belongs to a listed task');
    assert.deepEqual(task.parameters.target, { kind: 'devices', ids: [w.deviceA.id] });

    const engine = createEngine({ store: h.store(), owner: 'device-actions', pollMs: 10 });
    await engine.tick();
    await engine.stop();
    const done = await admin.get(`/api/v1/task-instances/${r.body.id}`);
    assert.equal(done.body.status, 'Completed', JSON.stringify(done.body));
    assert.deepEqual(
      done.body.devices.map((d: { deviceId: number; job: { kind: string } }) => [d.deviceId, d.job.kind]),
      [[w.deviceA.id, 'scan']],
    );
    // the device's history names the action
    const events = await admin.get(`/api/v1/events?deviceId=${w.deviceA.id}&kind=task_instance.created`);
    assert.ok(events.body.items.some((e: { subjectId: string }) => e.subjectId === String(r.body.id)));
  });

  test('install now carries the chosen updates; without a body it takes every approved update', async () => {
    const some = await admin.post(`/api/v1/devices/${w.deviceA.id}/install`, {
      updateIds: [w.updates.openssl, w.updates.openssl],
    });
    assert.equal(some.status, 201, JSON.stringify(some.body));
    assert.equal(some.body.kind, 'install');
    const all = await admin.post(`/api/v1/devices/${w.deviceA2.id}/install`);
    assert.equal(all.status, 201, JSON.stringify(all.body));
    const tasks = await tasksOf('install');
    const t1 = tasks.find((t) => t.id === some.body.taskId)!;
    const t2 = tasks.find((t) => t.id === all.body.taskId)!;
    assert.deepEqual(t1.parameters.target, { kind: 'devices', ids: [w.deviceA.id] });
    assert.deepEqual(t1.parameters.updateIds, [w.updates.openssl]);
    assert.deepEqual(t2.parameters.target, { kind: 'devices', ids: [w.deviceA2.id] });
    assert.equal(t2.parameters.updateIds, undefined);
  });

  test('bad bodies are 400 and create nothing; an unknown device is 404', async () => {
    const before = (await tasksOf('install')).length;
    for (const body of [{ updateIds: [] }, { updateIds: ['x'] }, { updateIds: [1], force: true }]) {
      const r = await admin.post(`/api/v1/devices/${w.deviceA.id}/install`, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.headers['content-type'], 'application/problem+json; charset=utf-8');
    }
    const extra = await admin.post(`/api/v1/devices/${w.deviceA.id}/scan`, { now: true });
    assert.equal(extra.status, 400);
    assert.equal((await tasksOf('install')).length, before);
    assert.equal((await admin.post('/api/v1/devices/999999/scan')).status, 404);
  });

  test("a user scoped to one organization gets 404 for another's device; a Viewer gets 403", async () => {
    const ops = await scopedUser(admin, 'dev-operator', w.orgA.id, 'Operator');
    const op = await signIn(app, 'dev-operator', ops.password);
    const scansBefore = (await tasksOf('scan')).length;
    for (const action of ['scan', 'install']) {
      const r = await op.post(`/api/v1/devices/${w.deviceB.id}/${action}`);
      assert.equal(r.status, 404, `${action}: ${JSON.stringify(r.body)}`);
      assert.doesNotMatch(JSON.stringify(r.body), new RegExp(w.deviceB.name));
    }
    assert.equal((await op.post(`/api/v1/devices/${w.deviceA.id}/scan`)).status, 201);

    const views = await scopedUser(admin, 'dev-viewer', w.orgA.id, 'Viewer');
    const viewer = await signIn(app, 'dev-viewer', views.password);
    for (const action of ['scan', 'install']) {
      const r = await viewer.post(`/api/v1/devices/${w.deviceA.id}/${action}`);
      assert.equal(r.status, 403, `${action}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.detail, /manage_devices/);
      assert.equal((await viewer.post(`/api/v1/devices/${w.deviceB.id}/${action}`)).status, 404);
    }
    // only the operator's own scan was added
    assert.equal((await tasksOf('scan')).length, scansBefore + 1);
  });

  test('an operator scoped to a group may scan a device of that group, not one outside it', async () => {
    await scopedUser(admin, 'web-operator', w.orgA.id, 'Operator', w.subA.id);
    const op = await signIn(app, 'web-operator', 'web-operator-password');
    const r = await op.post(`/api/v1/devices/${w.deviceA.id}/scan`);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal((await op.post(`/api/v1/devices/${w.deviceB.id}/scan`)).status, 404);
  });
});
