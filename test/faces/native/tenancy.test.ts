import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';

// A user scoped to the first organization can read, list, change or approve nothing of the second:
// every endpoint answers 404 for the second organization's ids and lists never include its rows.
eachDriver('tenancy through the native API', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let alice: Client; // Operator scoped to organization A
  let w: World;

  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
    const a = await scopedUser(admin, 'alice', w.orgA.id, 'Administrator');
    alice = await signIn(app, 'alice', a.password);
  });

  test('lists show only the first organization', async () => {
    const orgs = await alice.get('/api/v1/organizations');
    assert.deepEqual(
      orgs.body.items.map((o: { id: number }) => o.id),
      [w.orgA.id],
    );
    const groups = await alice.get('/api/v1/groups?limit=500');
    assert.ok(groups.body.items.length >= 3);
    assert.ok(groups.body.items.every((g: { organizationId: number }) => g.organizationId === w.orgA.id));
    const devices = await alice.get('/api/v1/devices');
    assert.deepEqual(
      devices.body.items.map((d: { id: number }) => d.id).sort(),
      [w.deviceA.id, w.deviceA2.id].sort(),
    );
    const events = await alice.get('/api/v1/events?limit=500');
    assert.ok(events.body.items.length > 0);
    assert.ok(
      events.body.items.every((e: { organizationId: number | null }) => e.organizationId === w.orgA.id),
      JSON.stringify(events.body.items.slice(0, 3)),
    );
    const status = await alice.get('/api/v1/status');
    assert.deepEqual(status.body, { organizations: 1, devices: 2, missingUpdates: 6 });
  });

  test("the status counts of one organization are that organization's only", async () => {
    const all = await admin.get('/api/v1/status');
    const a = await admin.get(`/api/v1/status?organizationId=${w.orgA.id}`);
    assert.deepEqual(a.body, { organizations: 1, devices: 2, missingUpdates: 6 });
    assert.ok(all.body.organizations > 1 && all.body.devices > 2, JSON.stringify(all.body));
    const b = await admin.get(`/api/v1/status?organizationId=${w.orgB.id}`);
    assert.equal(b.body.organizations, 1);
    assert.equal(b.body.devices, all.body.devices - 2);
    assert.equal(b.body.missingUpdates, all.body.missingUpdates - 6);
    assert.deepEqual((await alice.get(`/api/v1/status?organizationId=${w.orgA.id}`)).body, a.body);
  });

  test('filters naming the second organization find nothing of it', async () => {
    for (const url of [
      `/api/v1/groups?organizationId=${w.orgB.id}`,
      `/api/v1/devices?organizationId=${w.orgB.id}`,
      `/api/v1/events?organizationId=${w.orgB.id}`,
      `/api/v1/status?organizationId=${w.orgB.id}`,
    ]) {
      const r = await alice.get(url);
      assert.equal(r.status, 404, url);
      assert.doesNotMatch(JSON.stringify(r.body), /Bravo|db-1/);
    }
    const r = await alice.get(`/api/v1/events?deviceId=${w.deviceB.id}`);
    assert.equal(r.body.items.length, 0);
    const g = await alice.get(`/api/v1/devices?groupId=${w.groupB.id}`);
    assert.equal(g.body.items.length, 0);
  });

  test('every endpoint answers 404 for the second organization and changes nothing', async () => {
    const u = w.updates.openssl;
    const calls: [string, string, unknown?][] = [
      ['GET', `/api/v1/organizations/${w.orgB.id}`],
      ['PATCH', `/api/v1/organizations/${w.orgB.id}`, { name: 'taken' }],
      ['DELETE', `/api/v1/organizations/${w.orgB.id}`],
      ['GET', `/api/v1/groups/${w.groupB.id}`],
      ['PATCH', `/api/v1/groups/${w.groupB.id}`, { name: 'taken' }],
      ['DELETE', `/api/v1/groups/${w.groupB.id}`],
      ['POST', '/api/v1/groups', { organizationId: w.orgB.id, name: 'intruders' }],
      ['GET', `/api/v1/devices/${w.deviceB.id}`],
      ['PATCH', `/api/v1/devices/${w.deviceB.id}`, { name: 'taken' }],
      ['DELETE', `/api/v1/devices/${w.deviceB.id}`],
      ['POST', '/api/v1/devices', { organizationId: w.orgB.id, name: 'intruder' }],
      ['POST', '/api/v1/devices', { organizationId: w.orgA.id, groupId: w.groupB.id, name: 'intruder' }],
      ['PATCH', `/api/v1/devices/${w.deviceA.id}`, { groupId: w.groupB.id }],
      ['GET', `/api/v1/devices/${w.deviceB.id}/updates`],
      ...['approve', 'ignore', 'do-nothing', 'clear', 'retry'].flatMap((a): [string, string, unknown][] => [
        ['POST', `/api/v1/devices/${w.deviceB.id}/updates/${a}`, { updateIds: [u] }],
        ['POST', `/api/v1/groups/${w.groupB.id}/updates/${a}`, { updateIds: [u] }],
        ['POST', `/api/v1/organizations/${w.orgB.id}/updates/${a}`, { updateIds: [u] }],
      ]),
    ];
    const before = await admin.get(`/api/v1/events?organizationId=${w.orgB.id}&limit=500`);
    for (const [method, url, body] of calls) {
      const r = await alice.call(method as 'GET', url, body);
      assert.equal(r.status, 404, `${method} ${url} → ${r.status} ${JSON.stringify(r.body)}`);
      assert.equal(r.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.doesNotMatch(JSON.stringify(r.body), /Bravo|bravo|db-1/, `${method} ${url} leaked data`);
    }
    const after = await admin.get(`/api/v1/events?organizationId=${w.orgB.id}&limit=500`);
    assert.equal(after.body.total, before.body.total, 'nothing of the second organization changed');
    const b = await admin.get(`/api/v1/devices/${w.deviceB.id}/updates`);
    assert.ok(
      b.body.items.every(
        (x: { status: string; approval: unknown }) => x.status === 'missing' && x.approval === null,
      ),
    );
    assert.equal((await admin.get(`/api/v1/organizations/${w.orgB.id}`)).body.name, 'Bravo');
  });

  test('global administration is refused to a scoped administrator', async () => {
    for (const [method, url, body] of [
      ['GET', '/api/v1/users'],
      ['GET', '/api/v1/roles'],
      ['GET', '/api/v1/scopes'],
      ['POST', '/api/v1/organizations', { name: 'Charlie' }],
      ['POST', '/api/v1/users', { username: 'mallory', password: 'mallory-pw', roleId: 1, scopeId: 1 }],
      ['PATCH', '/api/v1/users/1', { disabled: true }],
      ['POST', '/api/v1/scopes', { name: 'grab', allOrganizations: true }],
    ] as [string, string, unknown?][]) {
      const r = await alice.call(method as 'GET', url, body);
      assert.equal(r.status, 403, `${method} ${url} → ${r.status}`);
    }
    const keys = await alice.get('/api/v1/api-keys');
    assert.equal(keys.status, 200);
    assert.equal(keys.body.items.length, 0, 'sees only her own keys');
  });

  test('a user scoped to one group sees only that subtree', async () => {
    const g = await scopedUser(admin, 'gina', w.orgA.id, 'Operator', w.groupA.id);
    const gina = await signIn(app, 'gina', g.password);
    const groups = await gina.get('/api/v1/groups');
    assert.deepEqual(
      groups.body.items.map((x: { id: number }) => x.id).sort(),
      [w.groupA.id, w.subA.id].sort(),
    );
    const root = await gina.get(`/api/v1/groups/${w.orgA.rootGroupId}`);
    assert.equal(root.status, 404);
    // an organization-wide decision would reach devices outside her scope
    const r = await gina.post(`/api/v1/organizations/${w.orgA.id}/updates/approve`, {
      updateIds: [w.updates.openssl],
    });
    assert.equal(r.status, 403);
    const ok = await gina.post(`/api/v1/groups/${w.subA.id}/updates/approve`, {
      updateIds: [w.updates.tzdata],
    });
    assert.equal(ok.status, 200);
  });
});
