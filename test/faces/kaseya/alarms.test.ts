import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createAlertEngine } from '../../../src/engine/alerts.ts';
import { systemContext } from '../../../src/services/context.ts';
import { record } from '../../../src/services/events.ts';
import type { Store } from '../../../src/store/db.ts';
import { ADMIN_PASSWORD, signIn, type Client } from '../../support/api.ts';
import { freshStore } from '../../support/store.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';
import { kaseyaSignIn, kget, startKaseyaApp, type KRes } from './support.ts';

// Alarms through the Kaseya face (seed 004, "Alerts and Alarms", "Get Alarm Log"): Patchline's alerts in
// the seed's fields, filtered and sorted with OData, closed with the seed's notes body; another
// organization's alarms are never listed, got or closed.

const V = '/api/v1.0';
const q = (text: string) => encodeURIComponent(text);
const SEED_FIELDS = [
  'MonitorType',
  'AlarmType',
  'Message',
  'AlarmEmail',
  'TicketId',
  'AdminName',
  'AlarmId',
  'AgentId',
  'MachineGroup',
  'AlertType',
  'agentName',
  'AlarmSubject',
  'EventTime',
  'MonitorAlarmStateId',
  'Attributes',
];

function listed(r: KRes) {
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.ResponseCode, 0, r.text);
  assert.equal(typeof r.body.TotalRecords, 'number', r.text);
  return r.body.Result as Record<string, unknown>[];
}

describe('Kaseya VSA: alarms from alerts', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let app: FastifyInstance;
  let admin: Client;
  let world: World;
  let bearer: string;
  let bravoAuth: string;
  const get = (url: string, auth = bearer) => kget(app, `${V}${url}`, auth);
  const put = async (url: string, body: unknown, auth = bearer) => {
    const r = await app.inject({
      method: 'PUT',
      url: `${V}${url}`,
      headers: { authorization: auth, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    return { status: r.statusCode, body: JSON.parse(r.body), text: r.body };
  };

  before(async () => {
    ({ store, cleanup } = await freshStore('pglite'));
    app = await startKaseyaApp(store);
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    world = await buildWorld(admin, store);
    // an install failure on web-1 and a gate failure of Alpha, Bravo's critical update missing
    const sys = systemContext(store, 'test');
    await record(sys, store.db, {
      kind: 'device_update.status',
      organizationId: world.orgA.id,
      subjectType: 'device_update',
      subjectId: `${world.deviceA.id}:${world.updates.openssl}`,
      deviceId: world.deviceA.id,
      updateId: world.updates.openssl,
      data: { from: 'installing', to: 'failed', reason: 'dpkg returned an error code (1)' },
    });
    await record(sys, store.db, {
      kind: 'rollout.gate_failed',
      organizationId: world.orgA.id,
      subjectType: 'rollout_plan',
      subjectId: 1,
      data: { plan: 'rings', ring: 1, reason: '50% installed, 90% required' },
    });
    await createAlertEngine({ store }).tick();
    bearer = await kaseyaSignIn(app, 'admin', ADMIN_PASSWORD);
    const bravo = await scopedUser(admin, 'bravo-alarms', world.orgB.id, 'Administrator');
    bravoAuth = await kaseyaSignIn(app, 'bravo-alarms', bravo.password);
  });
  after(async () => {
    await app?.close();
    await cleanup?.();
  });

  it('lists alarms with the seed fields; filters and sorts on them', async () => {
    const all = listed(await get('/assetmgmt/alarms/true'));
    assert.ok(all.length >= 5, `${all.length} alarms`);
    for (const f of SEED_FIELDS) assert.ok(Object.hasOwn(all[0]!, f), `field ${f}`);
    const failed = listed(await get(`/assetmgmt/alarms/true?$filter=${q("AlarmType eq 'install.failed'")}`));
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.agentName, 'web-1');
    assert.equal(failed[0]!.AgentId, String(world.deviceA.id));
    assert.equal(failed[0]!.MachineGroup, 'Web');
    assert.equal(failed[0]!.MonitorAlarmStateId, 1);
    assert.match(String(failed[0]!.AlarmSubject), /openssl.*failed on web-1/);
    const byAgent = listed(
      await get(
        `/assetmgmt/alarms/true?$filter=${q(`AgentId eq ${world.deviceA2.id}`)}&$orderby=AlarmId desc`,
      ),
    );
    assert.ok(byAgent.length >= 1);
    assert.ok(byAgent.every((a) => a.agentName === 'web-2'));
    const ids = byAgent.map((a) => Number(a.AlarmId));
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => b - a),
    );
    const top = await get('/assetmgmt/alarms?$top=2&$orderby=EventTime');
    assert.equal(listed(top).length, 2);
    assert.equal(top.body.TotalRecords, all.length);
    // every field of the seed's model filters and sorts, the constant ones too (issue 16)
    for (const f of SEED_FIELDS.filter((x) => x !== 'Attributes')) {
      const r = await get(`/assetmgmt/alarms/true?$orderby=${q(`${f} desc`)}&$top=1`);
      assert.equal(r.status, 200, `${f}: ${r.text}`);
    }
    assert.equal(
      listed(await get(`/assetmgmt/alarms/true?$filter=${q('MonitorType eq 4')}`)).length,
      all.length,
    );
    assert.equal(listed(await get(`/assetmgmt/alarms/true?$filter=${q('TicketId ne null')}`)).length, 0);
    const bad = await get(`/assetmgmt/alarms/true?$filter=${q("Nope eq 'x'")}`);
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.Status, 'Error');
  });

  it('returnAllRecords=false lists only the alarms raised since the session last asked', async () => {
    const first = listed(await get('/assetmgmt/alarms/false'));
    assert.ok(first.length >= 5);
    assert.deepEqual(listed(await get('/assetmgmt/alarms/false')), []);
    await record(systemContext(store, 'test'), store.db, {
      kind: 'rollout.ring_finished',
      organizationId: world.orgA.id,
      subjectType: 'rollout_plan',
      subjectId: 1,
      data: { plan: 'rings', ring: 2 },
    });
    await createAlertEngine({ store }).tick();
    const fresh = listed(await get('/assetmgmt/alarms/false'));
    assert.deepEqual(
      fresh.map((a) => a.AlarmType),
      ['rollout.ring_finished'],
    );
  });

  it('gets one alarm, closes it with the notes body, and a second close is a conflict', async () => {
    const [gate] = listed(
      await get(`/assetmgmt/alarms/true?$filter=${q("AlarmType eq 'rollout.gate_failed'")}`),
    );
    const id = String(gate!.AlarmId);
    const one = await get(`/assetmgmt/alarms/${id}`);
    assert.equal(one.status, 200, one.text);
    assert.equal(one.body.Result.AlarmId, id);
    assert.equal(one.body.Result.AgentId, null);
    const closed = await put(`/assetmgmt/alarms/${id}/close`, [
      { key: 'notes', value: 'ring 1 rolled back' },
    ]);
    assert.equal(closed.status, 200, closed.text);
    assert.equal(closed.body.Result, true);
    const after = (await get(`/assetmgmt/alarms/${id}`)).body.Result;
    assert.equal(after.MonitorAlarmStateId, 0);
    assert.equal(after.AdminName, 'admin');
    const again = await put(`/assetmgmt/alarms/${id}/close`, [{ key: 'notes', value: 'again' }]);
    assert.equal(again.status, 409, again.text);
    const wrong = await put(`/assetmgmt/alarms/${id}/close`, [{ key: 'reason', value: 'x' }]);
    assert.equal(wrong.status, 400, wrong.text);
    assert.equal((await get('/assetmgmt/alarms/999999')).status, 404);
  });

  it('the agent alarm log lists the agent alarms as Time and Event', async () => {
    const log = listed(await get(`/assetmgmt/logs/${world.deviceA.id}/alarms?$orderby=Time`));
    assert.ok(log.length >= 2);
    assert.deepEqual(Object.keys(log[0]!).sort(), ['Event', 'Time']);
    assert.ok(log.some((e) => /openssl.*failed on web-1/.test(String(e.Event))));
    const only = listed(
      await get(`/assetmgmt/logs/${world.deviceA.id}/alarms?$filter=${q("Event eq 'nothing'")}`),
    );
    assert.deepEqual(only, []);
    assert.equal((await get('/assetmgmt/logs/999999/alarms')).status, 404);
  });

  it("another organization's alarms are never listed, got, logged or closed", async () => {
    const mine = listed(await get('/assetmgmt/alarms/true', bravoAuth));
    assert.ok(mine.length >= 1);
    assert.ok(mine.every((a) => (a.Attributes as { Organization: string }).Organization === 'Bravo'));
    const [alpha] = listed(await get(`/assetmgmt/alarms/true?$filter=${q("AlarmType eq 'install.failed'")}`));
    assert.equal((await get(`/assetmgmt/alarms/${String(alpha!.AlarmId)}`, bravoAuth)).status, 404);
    const close = await put(`/assetmgmt/alarms/${String(alpha!.AlarmId)}/close`, [], bravoAuth);
    assert.equal(close.status, 404, close.text);
    assert.equal((await get(`/assetmgmt/logs/${world.deviceA.id}/alarms`, bravoAuth)).status, 404);
    assert.equal(
      (await get(`/assetmgmt/alarms/${String(alpha!.AlarmId)}`)).body.Result.MonitorAlarmStateId,
      1,
    );
  });
});
