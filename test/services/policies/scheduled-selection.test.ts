import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createEngine } from '../../../src/engine/engine.ts';
import { checkIn, deviceActor } from '../../../src/services/agents.ts';
import { Context } from '../../../src/services/context.ts';
import { getDevice as getDeviceRow } from '../../../src/store/repos/devices-repo.ts';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, signIn, type Client } from '../../support/api.ts';
import { buildWorld, type World } from '../../support/world.ts';
import { startPolicyApp } from './app.ts';

// A scheduled patch policy installs what its rule selects on each device, the same selection as its
// preview and "run now": not every approved update of the devices it reaches.

eachDriver('a scheduled policy installs its selection', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let w: World;
  before(async () => {
    app = await startPolicyApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
  });
  after(async () => app?.close());

  test('a group policy selecting critical updates, fired by the engine: each device gets its preview', async () => {
    const db = h.store().db;
    // openssl (high) and tzdata (low) approved for the whole organization; liblzma5 (critical) undecided
    // there, ignored on web-2
    const approved = await admin.post(`/api/v1/organizations/${w.orgA.id}/updates/approve`, {
      updateIds: [w.updates.openssl, w.updates.tzdata],
    });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    const ignored = await admin.post(`/api/v1/devices/${w.deviceA2.id}/updates/ignore`, {
      updateIds: [w.updates.liblzma5],
    });
    assert.equal(ignored.status, 200, JSON.stringify(ignored.body));

    const fireAt = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 2 * 86_400_000);
    const p = await admin.post('/api/v1/policies', {
      organizationId: w.orgA.id,
      name: 'Critical only',
      rule: { kind: 'severity', severities: ['critical'] },
      targets: { groups: [w.groupA.id] },
      schedule: {
        recurrence: { kind: 'once' },
        start: fireAt.toISOString().slice(0, 16),
        zone: { kind: 'named', name: 'UTC' },
        end: { kind: 'never' },
      },
    });
    assert.equal(p.status, 201, JSON.stringify(p.body));
    assert.equal(p.body.nextRunAt, fireAt.toISOString());

    const preview = await admin.get(`/api/v1/policies/${p.body.id}/preview`);
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    const selected = Object.fromEntries(
      (preview.body.devices as { deviceId: number; updates: { updateId: number }[] }[]).map((d) => [
        d.deviceId,
        d.updates.map((u) => u.updateId),
      ]),
    );
    assert.deepEqual(selected, { [w.deviceA.id]: [w.updates.liblzma5], [w.deviceA2.id]: [] });

    const engine = createEngine({
      store: h.store(),
      owner: 'scheduled-selection',
      now: () => new Date(fireAt.getTime() + 1000),
    });
    while ((await engine.tick()) > 0);
    const instance = await db
      .selectFrom('task_instances')
      .select('id')
      .where('task_id', '=', p.body.taskId)
      .executeTakeFirstOrThrow();

    for (const deviceId of [w.deviceA.id, w.deviceA2.id]) {
      const device = (await getDeviceRow(db, deviceId))!;
      const ctx = new Context(h.store(), deviceActor(device), () => new Date(fireAt.getTime() + 2000));
      const r = await checkIn(ctx, device, {});
      const jobs = r.jobs.filter((j) => j.kind === 'install');
      assert.equal(jobs.length, 1, `device ${deviceId}: one install job`);
      assert.equal(jobs[0]!.payload.taskInstanceId, instance.id);
      const installs = (jobs[0]!.payload.updates as { updateId: number }[]).map((u) => u.updateId);
      assert.deepEqual(installs, selected[deviceId], `device ${deviceId} installs its preview's selection`);
    }

    const statuses = async (deviceId: number) =>
      Object.fromEntries(
        (await admin.get(`/api/v1/devices/${deviceId}/updates?sort=name`)).body.items.map(
          (u: { name: string; status: string }) => [u.name, u.status],
        ),
      );
    assert.deepEqual(await statuses(w.deviceA.id), {
      liblzma5: 'queued',
      openssl: 'pending',
      tzdata: 'pending',
    });
    assert.deepEqual(await statuses(w.deviceA2.id), {
      liblzma5: 'ignored',
      openssl: 'pending',
      tzdata: 'pending',
    });
  });
});
