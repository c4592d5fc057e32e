import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';

// An approval at organization level is overridden by one at group level, which is overridden by one on
// the device; every change appears in the event log with who and when.
eachDriver('approval precedence', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let olga: Client; // an Approver of organization A
  let w: World;

  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
    const o = await scopedUser(admin, 'olga', w.orgA.id, 'Approver');
    olga = await signIn(app, 'olga', o.password);
  });

  const stateOf = async (deviceId: number, updateId: number) => {
    const r = await admin.get(`/api/v1/devices/${deviceId}/updates`);
    return r.body.items.find((u: { updateId: number }) => u.updateId === updateId);
  };

  test('organization < group < device, and clearing falls back level by level', async () => {
    const u = w.updates.openssl;
    const t0 = Date.now();
    let r = await olga.post(`/api/v1/organizations/${w.orgA.id}/updates/approve`, { updateIds: [u] });
    assert.deepEqual(r.body, { decisions: 1, changed: 2 });
    for (const d of [w.deviceA, w.deviceA2]) {
      const s = await stateOf(d.id, u);
      assert.equal(s.status, 'pending');
      assert.deepEqual(
        [s.approval.action, s.approval.level, s.approval.setBy],
        ['approve', 'organization', 'olga'],
      );
    }
    assert.equal((await stateOf(w.deviceB.id, u)).status, 'missing', 'another organization is untouched');

    // the parent group ignores: both devices sit below it
    r = await olga.post(`/api/v1/groups/${w.groupA.id}/updates/ignore`, { updateIds: [u] });
    assert.deepEqual(r.body, { decisions: 1, changed: 2 });
    assert.equal((await stateOf(w.deviceA.id, u)).approval.level, 'group');
    // the nearer group beats the farther one
    await olga.post(`/api/v1/groups/${w.subA.id}/updates/do-nothing`, { updateIds: [u] });
    let s = await stateOf(w.deviceA.id, u);
    assert.deepEqual([s.status, s.approval.action, s.approval.level], ['missing', 'none', 'group']);
    // the device beats every group
    await olga.post(`/api/v1/devices/${w.deviceA.id}/updates/approve`, { updateIds: [u] });
    s = await stateOf(w.deviceA.id, u);
    assert.deepEqual([s.status, s.approval.level], ['pending', 'device']);
    assert.equal((await stateOf(w.deviceA2.id, u)).status, 'missing', 'the other device follows its group');

    // clearing peels the levels off again
    await olga.post(`/api/v1/devices/${w.deviceA.id}/updates/clear`, { updateIds: [u] });
    assert.equal((await stateOf(w.deviceA.id, u)).approval.action, 'none');
    await olga.post(`/api/v1/groups/${w.subA.id}/updates/clear`, { updateIds: [u] });
    s = await stateOf(w.deviceA.id, u);
    assert.deepEqual([s.status, s.approval.action, s.approval.level], ['ignored', 'ignore', 'group']);
    await olga.post(`/api/v1/groups/${w.groupA.id}/updates/clear`, { updateIds: [u] });
    s = await stateOf(w.deviceA.id, u);
    assert.deepEqual([s.status, s.approval.level], ['pending', 'organization']);

    const events = await admin.get(
      `/api/v1/events?organizationId=${w.orgA.id}&kind=approval.&limit=100&sort=id`,
    );
    const mine = events.body.items.filter((e: { updateId: number }) => e.updateId === u);
    assert.deepEqual(
      mine.map((e: { kind: string; data: { level: string; action: string | null } }) => [
        e.kind,
        e.data.level,
        e.data.action,
      ]),
      [
        ['approval.set', 'organization', 'approve'],
        ['approval.set', 'group', 'ignore'],
        ['approval.set', 'group', 'none'],
        ['approval.set', 'device', 'approve'],
        ['approval.cleared', 'device', null],
        ['approval.cleared', 'group', null],
        ['approval.cleared', 'group', null],
      ],
    );
    for (const e of mine) {
      assert.equal(e.actor.name, 'olga');
      assert.equal(e.actor.type, 'user');
      assert.ok(
        new Date(e.at).getTime() >= t0 - 1000 && new Date(e.at).getTime() <= Date.now() + 1000,
        'when',
      );
    }
    const history = await admin.get(
      `/api/v1/events?deviceId=${w.deviceA.id}&kind=device_update.status&sort=id&limit=100`,
    );
    const steps = history.body.items
      .filter((e: { updateId: number }) => e.updateId === u)
      .map((e: { data: { from: string; to: string } }) => `${e.data.from}>${e.data.to}`);
    assert.deepEqual(steps, [
      'missing>pending',
      'pending>ignored',
      'ignored>missing',
      'missing>pending',
      'pending>missing',
      'missing>ignored',
      'ignored>pending',
    ]);
  });

  test('retry puts a failed install back; nothing else moves', async () => {
    const u = w.updates.liblzma5;
    await h
      .store()
      .db.updateTable('device_updates')
      .set({ status: 'failed', last_error: 'dpkg returned 1', attempts: 1 })
      .where('device_id', '=', w.deviceA2.id)
      .where('update_id', '=', u)
      .execute();
    const r = await olga.post(`/api/v1/groups/${w.subA.id}/updates/retry`, { updateIds: [u] });
    assert.deepEqual(r.body, { decisions: 0, changed: 1 });
    const s = await stateOf(w.deviceA2.id, u);
    assert.deepEqual([s.status, s.lastError, s.attempts], ['pending', null, 0]);
    assert.equal((await stateOf(w.deviceA.id, u)).status, 'missing');
  });

  test('a viewer may read but not decide', async () => {
    const v = await scopedUser(admin, 'vic', w.orgA.id, 'Viewer');
    const vic = await signIn(app, 'vic', v.password);
    assert.equal((await vic.get(`/api/v1/devices/${w.deviceA.id}/updates`)).status, 200);
    const r = await vic.post(`/api/v1/devices/${w.deviceA.id}/updates/approve`, {
      updateIds: [w.updates.tzdata],
    });
    assert.equal(r.status, 403);
    assert.match(r.body.detail, /'approve' privilege/);
  });
});
