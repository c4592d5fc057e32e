import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, client, signIn, startApp, type Client } from '../../support/api.ts';

const openssl = (version: string, detection = 'missing') => ({
  kind: 'deb',
  name: 'openssl',
  version,
  architecture: 'amd64',
  isSecurity: true,
  severity: 'high',
  detection,
});

eachDriver('agent protocol', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let org: { id: number };
  let token: string;

  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    org = (await admin.post('/api/v1/organizations', { name: 'Agents Inc' })).body;
    const t = await admin.post(`/api/v1/organizations/${org.id}/install-tokens`, { name: 'default' });
    assert.equal(t.status, 201);
    token = t.body.token;
  });

  test('enroll, check in, report scans with sequence numbers, and see the result through the native API', async () => {
    const bad = await client(app).post('/agent/v1/enroll', { token: 'plt_wrong', name: 'x' });
    assert.equal(bad.status, 401);
    const e = await client(app).post('/agent/v1/enroll', {
      token,
      name: 'host-1',
      osFamily: 'linux',
      agentVersion: '0.1.0',
    });
    assert.equal(e.status, 201);
    const agent = client(app, e.body.credential);
    const dev = await admin.get(`/api/v1/devices/${e.body.deviceId}`);
    assert.deepEqual(
      [dev.body.organizationId, dev.body.name, dev.body.agentVersion],
      [org.id, 'host-1', '0.1.0'],
    );

    const c = await agent.post('/agent/v1/checkin', { rebootRequired: false });
    assert.equal(c.status, 200);
    assert.deepEqual([c.body.protocol, c.body.scanSequence, c.body.jobs], [1, 0, []]);

    let r = await agent.post('/agent/v1/scans', {
      sequence: 1,
      full: true,
      updates: [openssl('3.0.22-1~deb12u2')],
    });
    assert.deepEqual([r.body.accepted, r.body.scanSequence], [true, 1]);
    r = await agent.post('/agent/v1/scans', { sequence: 1, full: true, updates: [] });
    assert.deepEqual([r.body.accepted, r.body.duplicate], [false, true], 'a repeated report changes nothing');
    r = await agent.post('/agent/v1/scans', { sequence: 3, full: false, updates: [] });
    assert.deepEqual(
      [r.body.accepted, r.body.needFull, r.body.scanSequence],
      [false, true, 1],
      'a gap asks for a full snapshot',
    );
    r = await agent.post('/agent/v1/scans', {
      sequence: 2,
      full: false,
      updates: [{ ...openssl('3.0.22-1~deb12u2', 'installed') }],
    });
    assert.equal(r.body.accepted, true);
    const ups = await admin.get(`/api/v1/devices/${e.body.deviceId}/updates`);
    assert.deepEqual(
      ups.body.items.map((u: { name: string; status: string }) => [u.name, u.status]),
      [['openssl', 'installed']],
    );
    const history = await admin.get(`/api/v1/events?deviceId=${e.body.deviceId}&sort=id`);
    assert.deepEqual(
      history.body.items.map((x: { kind: string }) => x.kind),
      ['device.enrolled', 'device_update.detected', 'device_update.status'],
    );
  });

  test('jobs are delivered at check-in and their results are recorded once', async () => {
    const e = await client(app).post('/agent/v1/enroll', { token, name: 'host-2' });
    const agent = client(app, e.body.credential);
    const job = await h
      .store()
      .db.insertInto('jobs')
      .values({ organization_id: org.id, device_id: e.body.deviceId, kind: 'scan' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const c = await agent.post('/agent/v1/checkin', {});
    assert.deepEqual(
      c.body.jobs.map((j: { id: number; kind: string }) => [j.id, j.kind]),
      [[job.id, 'scan']],
    );
    const first = await agent.post(`/agent/v1/jobs/${job.id}/result`, {
      status: 'succeeded',
      result: { updates: 3 },
    });
    assert.deepEqual(first.body, { recorded: true, duplicate: false });
    const again = await agent.post(`/agent/v1/jobs/${job.id}/result`, { status: 'failed' });
    assert.deepEqual(again.body, { recorded: false, duplicate: true });
    const stored = await h
      .store()
      .db.selectFrom('jobs')
      .selectAll()
      .where('id', '=', job.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual([stored.status, stored.result], ['succeeded', { updates: 3 }]);
    assert.deepEqual(
      (await agent.post('/agent/v1/checkin', {})).body.jobs,
      [],
      'a finished job is not handed out again',
    );
    // another device's job is not found
    const other = await client(app).post('/agent/v1/enroll', { token, name: 'host-3' });
    assert.equal(
      (await client(app, other.body.credential).post(`/agent/v1/jobs/${job.id}/result`, { status: 'failed' }))
        .status,
      404,
    );
  });

  test('a rotated credential replaces the old one at once', async () => {
    const e = await client(app).post('/agent/v1/enroll', { token, name: 'host-4' });
    const rotated = await client(app, e.body.credential).post('/agent/v1/credential/rotate', {});
    assert.equal(rotated.status, 200);
    assert.equal((await client(app, e.body.credential).post('/agent/v1/checkin', {})).status, 401);
    assert.equal((await client(app, rotated.body.credential).post('/agent/v1/checkin', {})).status, 200);
    assert.equal((await client(app).post('/agent/v1/checkin', {})).status, 401);
  });
});
