import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { flushLastSeen } from '../../../src/services/agents.ts';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, client, signIn, startApp, type Client } from '../../support/api.ts';

eachDriver('agent check-in', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let token: string;

  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    const org = (await admin.post('/api/v1/organizations', { name: 'Check-in Inc' })).body;
    token = (await admin.post(`/api/v1/organizations/${org.id}/install-tokens`, { name: 'default' })).body
      .token;
  });

  const enroll = async (name: string) => {
    const e = await client(app).post('/agent/v1/enroll', { token, name, osFamily: 'linux' });
    assert.equal(e.status, 201);
    return e.body as { deviceId: number; credential: string };
  };
  const lastSeen = async (id: number) =>
    (
      await h
        .store()
        .db.selectFrom('devices')
        .select('last_seen_at')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).last_seen_at!;

  test('an idle check-in stamps last_seen_at in a buffered batch, written by flushLastSeen', async () => {
    const a = await enroll('idle-1');
    const b = await enroll('idle-2');
    const before = [await lastSeen(a.deviceId), await lastSeen(b.deviceId)];
    await new Promise((r) => setTimeout(r, 20));
    for (const d of [a, b])
      assert.equal((await client(app, d.credential).post('/agent/v1/checkin', {})).status, 200);
    assert.deepEqual([await lastSeen(a.deviceId), await lastSeen(b.deviceId)], before, 'not written yet');
    assert.equal(await flushLastSeen(h.store()), 2);
    const after = [await lastSeen(a.deviceId), await lastSeen(b.deviceId)];
    assert.ok(after[0]! > before[0]! && after[1]! > before[1]!, `${String(after)} after ${String(before)}`);
    assert.equal(await flushLastSeen(h.store()), 0, 'nothing left to write');
  });

  test('a rotated credential stops working at once although lookups are cached', async () => {
    const d = await enroll('rotating');
    const old = client(app, d.credential);
    assert.equal((await old.post('/agent/v1/checkin', {})).status, 200); // cached now
    const r = await old.post('/agent/v1/credential/rotate', {});
    assert.equal(r.status, 200);
    assert.equal((await old.post('/agent/v1/checkin', {})).status, 401);
    assert.equal((await client(app, r.body.credential).post('/agent/v1/checkin', {})).status, 200);
  });

  test('the scan sequence a check-in returns follows a scan report despite the cache', async () => {
    const d = await enroll('scanning');
    const agent = client(app, d.credential);
    assert.equal((await agent.post('/agent/v1/checkin', {})).body.scanSequence, 0);
    await agent.post('/agent/v1/scans', { sequence: 1, full: true, updates: [] });
    assert.equal((await agent.post('/agent/v1/checkin', {})).body.scanSequence, 1);
  });

  test('a second machine with the same credential is refused with 409 and recorded as a suspected clone', async () => {
    const d = await enroll('original');
    const agent = client(app, d.credential);
    assert.equal((await agent.post('/agent/v1/checkin', { machineId: 'machine-a' })).status, 200);
    assert.equal(
      (await agent.post('/agent/v1/checkin', { machineId: 'machine-a', inventory: { packages: [] } })).status,
      200,
      'the inventory does not overwrite the remembered machine id',
    );
    const clone = await agent.post('/agent/v1/checkin', { machineId: 'machine-b' });
    assert.equal(clone.status, 409);
    assert.match(clone.body.detail, /another machine.*machine-a.*machine-b.*enroll again/);
    const events = await h
      .store()
      .db.selectFrom('events')
      .select(['kind', 'data'])
      .where('device_id', '=', d.deviceId)
      .where('kind', '=', 'device.clone_suspected')
      .execute();
    assert.equal(events.length, 1);
    assert.deepEqual(events[0]!.data, { knownMachineId: 'machine-a', presentedMachineId: 'machine-b' });
    assert.equal(
      (await agent.post('/agent/v1/checkin', { machineId: 'machine-a' })).status,
      200,
      'the original goes on',
    );
  });
});
