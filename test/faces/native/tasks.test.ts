import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, signIn, type Client } from '../../support/api.ts';
import { buildWorld, type World } from '../../support/world.ts';
import { startPolicyApp } from '../../services/policies/app.ts';
import { createEngine } from '../../../src/engine/engine.ts';

// Tasks and instances through the native API, with a real engine doing the work.

eachDriver('tasks API', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let w: World;
  before(async () => {
    app = await startPolicyApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
  });
  after(async () => app?.close());

  test('create, run, watch the per-device results; list running; bad kinds are 400', async () => {
    const t = await admin.post('/api/v1/tasks', {
      organizationId: w.orgA.id,
      kind: 'scan',
      name: 'scan web',
      parameters: { target: { kind: 'groups', ids: [w.subA.id] } },
    });
    assert.equal(t.status, 201, JSON.stringify(t.body));
    const listed = await admin.get(`/api/v1/tasks?organizationId=${w.orgA.id}`);
    assert.ok(listed.body.items.some((x: { id: number }) => x.id === t.body.id));
    const run = await admin.post(`/api/v1/tasks/${t.body.id}/run`);
    assert.equal(run.status, 201);
    assert.equal(run.body.status, 'NotStarted');
    const running = await admin.get('/api/v1/task-instances?running=true');
    assert.ok(running.body.items.some((i: { id: number }) => i.id === run.body.id));
    const engine = createEngine({ store: h.store(), owner: 'api-test', pollMs: 10 });
    await engine.tick();
    await engine.stop();
    const done = await admin.get(`/api/v1/task-instances/${run.body.id}`);
    assert.equal(done.body.status, 'Completed', JSON.stringify(done.body));
    assert.deepEqual(
      done.body.devices.map((d: { deviceId: number }) => d.deviceId).sort(),
      [w.deviceA.id, w.deviceA2.id].sort(),
    );
    assert.ok(done.body.devices.every((d: { job: { kind: string } }) => d.job.kind === 'scan'));
    const stopDone = await admin.post(`/api/v1/task-instances/${run.body.id}/stop`);
    assert.equal(stopDone.status, 400, 'a completed instance cannot be stopped');
    const bad = await admin.post('/api/v1/tasks', { organizationId: w.orgA.id, kind: 'dance' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errors[0].path, '/kind');
  });

  test('stop before start fails the instance; cancel ends a started one; scheduled tasks show nextDueAt', async () => {
    const t = await admin.post('/api/v1/tasks', { organizationId: w.orgA.id, kind: 'install' });
    const i1 = await admin.post(`/api/v1/tasks/${t.body.id}/run`);
    const stopped = await admin.post(`/api/v1/task-instances/${i1.body.id}/stop`);
    assert.equal(stopped.status, 200);
    assert.equal(stopped.body.status, 'Failed');
    const i2 = await admin.post(`/api/v1/tasks/${t.body.id}/run`);
    const cancelled = await admin.post(`/api/v1/task-instances/${i2.body.id}/cancel`);
    assert.equal(cancelled.body.status, 'Failed');
    assert.equal(cancelled.body.error, 'cancelled');
    const running = await admin.get('/api/v1/task-instances?running=true');
    assert.ok(!running.body.items.some((i: { id: number }) => [i1.body.id, i2.body.id].includes(i.id)));
    // the finished ones are listed with running=false, the newest first
    const finished = await admin.get(`/api/v1/task-instances?running=false&taskId=${t.body.id}`);
    assert.equal(finished.status, 200, JSON.stringify(finished.body));
    assert.deepEqual(
      finished.body.items.map((i: { id: number; status: string }) => [i.id, i.status]),
      [
        [i2.body.id, 'Failed'],
        [i1.body.id, 'Failed'],
      ],
    );
    const one = await admin.get(`/api/v1/task-instances?running=false&organizationId=${w.orgA.id}&limit=1`);
    assert.deepEqual(
      one.body.items.map((i: { id: number }) => i.id),
      [i2.body.id],
    );
    const all = await admin.get('/api/v1/task-instances?running=false');
    assert.ok(all.body.items.some((i: { id: number }) => i.id === i1.body.id));
    assert.ok(all.body.items.every((i: { status: string }) => ['Completed', 'Failed'].includes(i.status)));
    const other = await admin.get(`/api/v1/task-instances?running=false&organizationId=${w.orgB.id}`);
    assert.ok(!other.body.items.some((i: { id: number }) => i.id === i1.body.id));
    for (const bad of ['limit=0', 'limit=501', 'limit=x'])
      assert.equal((await admin.get(`/api/v1/task-instances?running=false&${bad}`)).status, 400, bad);
    const s = await admin.post('/api/v1/tasks', {
      organizationId: w.orgA.id,
      kind: 'scan',
      schedule: {
        recurrence: { kind: 'days', every: 1 },
        start: '2026-01-01T04:30',
        zone: { kind: 'named', name: 'UTC' },
      },
    });
    assert.equal(s.status, 201, JSON.stringify(s.body));
    assert.match(s.body.nextDueAt, /T04:30:00\.000Z$/);
    assert.ok(new Date(s.body.nextDueAt) > new Date());
  });
});
