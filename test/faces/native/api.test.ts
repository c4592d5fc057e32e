import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, client, signIn, startApp, type Client } from '../../support/api.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';

eachDriver('native API', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let w: World;

  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
  });

  test('health, readiness, metrics and the OpenAPI document answer without credentials', async () => {
    const anon = client(app);
    assert.deepEqual((await anon.get('/healthz')).body.status, 'ok');
    assert.deepEqual((await anon.get('/readyz')).body, { status: 'ready', store: h.driver });
    const metrics = await app.inject({ url: '/metrics' });
    assert.match(
      metrics.body,
      /patchline_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/,
    );
    const doc = await anon.get('/api/v1/openapi.json');
    assert.equal(doc.status, 200);
    for (const p of [
      '/api/v1/organizations',
      '/api/v1/devices/{id}/updates',
      '/api/v1/devices/{id}/updates/{action}',
      '/api/v1/events',
      '/api/v1/auth/login',
      '/api/v1/api-keys',
    ])
      assert.ok(doc.body.paths[p], `OpenAPI documents ${p}`);
    // the README's address, with and without the trailing slash: the page and every asset it links load
    for (const page of ['/api/v1/docs', '/api/v1/docs/']) {
      const docs = await app.inject({ url: page });
      assert.equal(docs.statusCode, 200, page);
      assert.match(docs.body, /swagger/i);
      const assets = [...docs.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      assert.ok(assets.length >= 4, `${page} links its assets: ${assets.join(', ')}`);
      for (const a of assets) {
        const url = new URL(a, `http://localhost${page}`).pathname;
        const r = await app.inject({ url });
        assert.equal(r.statusCode, 200, `${page} links ${a} (${url}): ${r.statusCode}`);
      }
    }
  });

  test('a second organization with the same name, in any case, is refused with a 409', async () => {
    const first = await admin.post('/api/v1/organizations', { name: 'Same Name Co' });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const dupe = await admin.post('/api/v1/organizations', { name: '  same NAME co ', ref: 'other-ref' });
    assert.equal(dupe.status, 409, JSON.stringify(dupe.body));
    assert.equal(
      dupe.body.detail,
      "an organization named 'Same Name Co' already exists: choose another name",
    );
    const other = await admin.post('/api/v1/organizations', { name: 'Other Name Co' });
    const rename = await admin.patch(`/api/v1/organizations/${other.body.id}`, { name: 'SAME name co' });
    assert.equal(rename.status, 409, JSON.stringify(rename.body));
    const keep = await admin.patch(`/api/v1/organizations/${first.body.id}`, { name: 'same name co' });
    assert.equal(keep.status, 200, 'an organization may change the case of its own name');
  });

  test('a body that is not JSON on a JSON route is a 415 problem, not a 400', async () => {
    const token = (
      await client(app).post('/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD })
    ).body.token as string;
    for (const url of ['/api/v1/auth/login', '/api/v1/organizations', '/agent/v1/enroll']) {
      const r = await app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'text/plain', authorization: `Bearer ${token}` },
        payload: '{"name":"Acme"}',
      });
      assert.equal(r.statusCode, 415, `${url}: ${r.body}`);
      assert.match(String(r.headers['content-type']), /application\/problem\+json/);
      assert.equal(r.json().status, 415);
      assert.match(r.json().detail, /unsupported content type: send application\/json/);
    }
  });

  test('sign-in, /me, sign-out; wrong passwords are refused and throttled', async () => {
    const bad = await client(app).post('/api/v1/auth/login', { username: 'admin', password: 'nope-nope' });
    assert.equal(bad.status, 401);
    assert.equal(bad.body.detail, 'wrong user name or password');
    const s = await signIn(app, 'admin', ADMIN_PASSWORD);
    const me = await s.get('/api/v1/me');
    assert.equal(me.body.name, 'admin');
    assert.equal(me.body.scope.allOrganizations, true);
    assert.ok(me.body.privileges.includes('administer'));
    assert.equal((await s.post('/api/v1/auth/logout')).status, 204);
    assert.equal((await s.get('/api/v1/me')).status, 401, 'a signed-out token no longer works');
    assert.equal((await client(app).get('/api/v1/me')).status, 401);
    assert.equal((await client(app, 'pls_forged').get('/api/v1/me')).status, 401);

    const u = await scopedUser(admin, 'throttled', w.orgA.id, 'Viewer');
    let last = 0;
    for (let i = 0; i < 11; i++)
      last = (
        await client(app).post('/api/v1/auth/login', { username: 'throttled', password: 'wrong-password' })
      ).status;
    assert.equal(last, 429);
    const refused = await client(app).post('/api/v1/auth/login', {
      username: 'throttled',
      password: u.password,
    });
    assert.equal(refused.status, 429, 'even the right password waits out the throttle');
    assert.match(refused.body.detail, /try again in \d+ seconds/);
  });

  test('an expired session is refused', async () => {
    const s = await signIn(app, 'admin', ADMIN_PASSWORD);
    await h
      .store()
      .db.updateTable('sessions')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('revoked_at', 'is', null)
      .execute();
    const r = await s.get('/api/v1/me');
    assert.equal(r.status, 401);
    assert.match(r.body.detail, /expired/);
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
  });

  test('API keys: shown once, stored hashed, act as their user, revocable', async () => {
    const created = await admin.post('/api/v1/api-keys', { name: 'ci' });
    assert.equal(created.status, 201);
    const key = created.body.key as string;
    assert.match(key, /^plk_/);
    const stored = await h
      .store()
      .db.selectFrom('api_keys')
      .selectAll()
      .where('id', '=', created.body.id)
      .executeTakeFirstOrThrow();
    assert.notEqual(stored.secret_hash, key);
    assert.ok(!JSON.stringify(stored).includes(key.slice(4)), 'the secret is not stored');
    const viaKey = client(app, key);
    assert.equal((await viaKey.get('/api/v1/me')).body.type, 'api_key');
    const again = await admin.get(`/api/v1/api-keys/${created.body.id}`);
    assert.equal(again.body.key, undefined, 'never shown again');
    assert.equal((await admin.del(`/api/v1/api-keys/${created.body.id}`)).status, 204);
    assert.equal((await viaKey.get('/api/v1/me')).status, 401);
  });

  test('organizations, groups and devices: create, read, update, delete, with filters, sorting and paging', async () => {
    const org = await admin.post('/api/v1/organizations', { name: 'Crud Co', timeZone: 'Europe/Berlin' });
    assert.equal(org.status, 201);
    assert.equal(org.body.ref, 'crud-co');
    assert.ok(org.body.rootGroupId, 'every organization has a root group');
    const dup = await admin.post('/api/v1/organizations', { name: 'Crud Co' });
    assert.equal(dup.status, 409);
    const g = await admin.post('/api/v1/groups', { organizationId: org.body.id, name: 'Laptops' });
    assert.equal(g.body.parentId, org.body.rootGroupId);
    for (const n of ['c-3', 'a-1', 'b-2'])
      await admin.post('/api/v1/devices', {
        organizationId: org.body.id,
        groupId: g.body.id,
        name: n,
        osFamily: 'windows',
      });
    const page1 = await admin.get(`/api/v1/devices?organizationId=${org.body.id}&sort=-name&limit=2`);
    assert.deepEqual(
      page1.body.items.map((d: { name: string }) => d.name),
      ['c-3', 'b-2'],
    );
    assert.equal(page1.body.total, 3);
    const page2 = await admin.get(
      `/api/v1/devices?organizationId=${org.body.id}&sort=-name&limit=2&offset=2`,
    );
    assert.deepEqual(
      page2.body.items.map((d: { name: string }) => d.name),
      ['a-1'],
    );
    const q = await admin.get(`/api/v1/devices?q=b-&organizationId=${org.body.id}`);
    assert.deepEqual(
      q.body.items.map((d: { name: string }) => d.name),
      ['b-2'],
    );
    const badSort = await admin.get('/api/v1/devices?sort=password');
    assert.equal(badSort.status, 400);
    assert.match(badSort.body.detail, /cannot sort by password/);

    const dev = page2.body.items[0];
    const renamed = await admin.patch(`/api/v1/devices/${dev.id}`, { name: 'a-1-renamed', tags: ['vip'] });
    assert.equal(renamed.body.name, 'a-1-renamed');
    assert.deepEqual(
      (await admin.get(`/api/v1/devices?tag=vip`)).body.items.map((d: { id: number }) => d.id),
      [dev.id],
    );
    assert.equal((await admin.del(`/api/v1/groups/${g.body.id}`)).status, 409, 'a group with devices stays');
    assert.equal(
      (await admin.del(`/api/v1/groups/${org.body.rootGroupId}`)).status,
      409,
      'the root group stays',
    );
    assert.equal(
      (await admin.del(`/api/v1/organizations/${org.body.id}`)).status,
      409,
      'an organization with devices stays',
    );
    for (const d of (await admin.get(`/api/v1/devices?organizationId=${org.body.id}`)).body.items)
      assert.equal((await admin.del(`/api/v1/devices/${d.id}`)).status, 204);
    assert.equal((await admin.del(`/api/v1/groups/${g.body.id}`)).status, 204);
    assert.equal((await admin.del(`/api/v1/organizations/${org.body.id}`)).status, 204);
    assert.equal((await admin.get(`/api/v1/organizations/${org.body.id}`)).status, 404);
    const moved = await admin.patch(`/api/v1/groups/${w.groupA.id}`, { parentId: w.subA.id });
    assert.equal(moved.status, 400, 'no cycles');
  });

  test('users, roles and scopes', async () => {
    const role = await admin.post('/api/v1/roles', { name: 'Patcher', privileges: ['read', 'approve'] });
    assert.equal(role.status, 201);
    const badRole = await admin.post('/api/v1/roles', { name: 'X', privileges: ['fly'] });
    assert.equal(badRole.status, 400);
    const scope = await admin.post('/api/v1/scopes', {
      name: 'Alpha only',
      entries: [{ organizationId: w.orgA.id, groupId: null }],
    });
    assert.equal(scope.status, 201);
    const user = await admin.post('/api/v1/users', {
      username: 'pat',
      password: 'pat-password',
      roleId: role.body.id,
      scopeId: scope.body.id,
    });
    assert.equal(user.status, 201);
    assert.equal(user.body.password, undefined);
    assert.equal((await admin.get('/api/v1/users?q=pat')).body.items.length, 1);
    const pat = await signIn(app, 'pat', 'pat-password');
    assert.deepEqual((await pat.get('/api/v1/me')).body.privileges.sort(), ['approve', 'read']);
    assert.equal(
      (await pat.post('/api/v1/devices', { organizationId: w.orgA.id, name: 'x' })).status,
      403,
      'no manage_devices',
    );
    assert.equal((await admin.del(`/api/v1/roles/${role.body.id}`)).status, 409, 'in use');
    await admin.patch(`/api/v1/users/${user.body.id}`, { disabled: true });
    assert.equal((await pat.get('/api/v1/me')).status, 401, 'a disabled user is signed out');
    assert.equal((await admin.del(`/api/v1/users/${user.body.id}`)).status, 204);
    assert.equal((await admin.del(`/api/v1/roles/${role.body.id}`)).status, 204);
    const builtin = (await admin.get('/api/v1/roles')).body.items.find(
      (r: { builtin: boolean }) => r.builtin,
    );
    assert.equal((await admin.del(`/api/v1/roles/${builtin.id}`)).status, 409);
  });

  test('device updates filter by status, severity, bulletin and CVE', async () => {
    const all = await admin.get(`/api/v1/devices/${w.deviceA.id}/updates`);
    assert.equal(all.body.total, 3);
    const crit = await admin.get(`/api/v1/devices/${w.deviceA.id}/updates?severity=critical`);
    assert.deepEqual(
      crit.body.items.map((u: { name: string }) => u.name),
      ['liblzma5'],
    );
    const cve = await admin.get(`/api/v1/devices/${w.deviceA.id}/updates?cve=cve-2026-0001`);
    assert.deepEqual(
      cve.body.items.map((u: { name: string; cves: string[] }) => [u.name, u.cves]),
      [['openssl', ['CVE-2026-0001']]],
    );
    const bySev = await admin.get(`/api/v1/devices/${w.deviceA.id}/updates?sort=-severity`);
    assert.deepEqual(
      bySev.body.items.map((u: { name: string }) => u.name),
      ['liblzma5', 'openssl', 'tzdata'],
    );
    const st = await admin.get(`/api/v1/devices/${w.deviceA.id}/updates?status=installed&status=failed`);
    assert.equal(st.body.total, 0);
    const bad = await admin.get(`/api/v1/devices/${w.deviceA.id}/updates?status=broken`);
    assert.equal(bad.status, 400);
    // a bulletin links updates to an advisory
    const b = await h
      .store()
      .db.insertInto('bulletins')
      .values({ source: 'osv', external_id: 'DSA-6000-1', title: 'openssl security update' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await h
      .store()
      .db.updateTable('updates')
      .set({ bulletin_id: b.id })
      .where('id', '=', w.updates.openssl)
      .execute();
    const byBulletin = await admin.get(`/api/v1/devices/${w.deviceA.id}/updates?bulletin=DSA-6000-1`);
    assert.deepEqual(
      byBulletin.body.items.map((u: { name: string; bulletin: { externalId: string } }) => [
        u.name,
        u.bulletin.externalId,
      ]),
      [['openssl', 'DSA-6000-1']],
    );
  });
});
