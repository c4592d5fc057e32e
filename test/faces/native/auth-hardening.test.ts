import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ADMIN_PASSWORD, client, signIn, startApp, type Client } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';
import { scopedUser } from '../../support/world.ts';

const basic = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;

eachDriver('sign-in and credential hardening', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let orgId: number;
  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    orgId = (await admin.post('/api/v1/organizations', { name: 'Hardening Inc' })).body.id;
  });
  after(async () => app?.close());

  /** POST /auth/login from a given client address */
  const attempt = async (address: string, username: string, password: string) => {
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      remoteAddress: address,
      payload: { username, password },
    });
    return { status: r.statusCode, retryAfter: r.headers['retry-after'] };
  };
  const statuses = (rs: { status: number }[]) => rs.map((r) => r.status);

  test('parallel wrong passwords are counted before they are checked: most are refused', async () => {
    await scopedUser(admin, 'burst', orgId, 'Viewer');
    const rs = await Promise.all(
      Array.from({ length: 40 }, () => attempt('10.9.0.1', 'burst', 'wrong-password')),
    );
    const checked = statuses(rs).filter((s) => s !== 429);
    assert.ok(checked.length <= 5, `only the free attempts are checked: ${statuses(rs).join(',')}`);
    assert.ok(checked.every((s) => s === 401));
    for (const r of rs.filter((x) => x.status === 429)) assert.match(String(r.retryAfter), /^\d+$/);
  });

  test('the right password hidden among parallel wrong ones is refused with them', async () => {
    const u = await scopedUser(admin, 'hidden', orgId, 'Viewer');
    const rs = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        attempt('10.9.0.2', 'hidden', i === 29 ? u.password : 'wrong-password'),
      ),
    );
    const checked = statuses(rs).filter((s) => s !== 429);
    assert.ok(checked.length <= 5, `only the free attempts are checked: ${statuses(rs).join(',')}`);
  });

  test("a success on the attacker's own account does not clear the address's failures", async () => {
    const own = await scopedUser(admin, 'mallory', orgId, 'Viewer');
    const address = '10.9.0.3';
    const before = await Promise.all(
      Array.from({ length: 15 }, (_, i) => attempt(address, `someone-${i}`, 'wrong-password')),
    );
    assert.deepEqual([...new Set(statuses(before))], [401]);
    assert.equal((await attempt(address, 'mallory', own.password)).status, 200);
    const rest: number[] = [];
    for (let i = 15; i < 40; i++)
      rest.push((await attempt(address, `someone-${i}`, 'wrong-password')).status);
    assert.ok(rest.includes(429), `the address stays throttled: ${rest.join(',')}`);
  });

  test('failures from an attacker do not lock the real user out of another address', async () => {
    const u = await scopedUser(admin, 'victim', orgId, 'Viewer');
    let last = 0;
    for (let i = 0; i < 12; i++) last = (await attempt('10.9.0.4', 'victim', 'wrong-password')).status;
    assert.equal(last, 429);
    const attacker = await attempt('10.9.0.4', 'victim', u.password);
    assert.equal(attacker.status, 429, 'the address that failed waits');
    assert.match(String(attacker.retryAfter), /^\d+$/);
    assert.equal((await attempt('10.9.0.5', 'victim', u.password)).status, 200, 'the real user gets in');
  });

  test('revoking an API key ends the Kaseya sessions opened with it', async () => {
    const created = await admin.post('/api/v1/api-keys', { name: 'pat' });
    assert.equal(created.status, 201);
    const signedIn = await app.inject({
      method: 'GET',
      url: '/api/v1.0/auth',
      headers: { authorization: basic(`admin:${created.body.key}`) },
    });
    assert.equal(signedIn.statusCode, 200, signedIn.body);
    const token = JSON.parse(signedIn.body).Result.Token as string;
    const orgs = () =>
      app.inject({
        method: 'GET',
        url: '/api/v1.0/system/orgs',
        headers: { authorization: `Bearer ${token}` },
      });
    assert.equal((await orgs()).statusCode, 200);
    assert.equal((await admin.del(`/api/v1/api-keys/${created.body.id}`)).status, 204);
    assert.equal((await orgs()).statusCode, 401, 'the session ended with its key');
  });

  test("a deleted device's credential is refused at its next check-in", async () => {
    const t = await admin.post(`/api/v1/organizations/${orgId}/install-tokens`, { name: 'default' });
    assert.equal(t.status, 201);
    const e = await client(app).post('/agent/v1/enroll', { token: t.body.token, name: 'doomed' });
    assert.equal(e.status, 201);
    const agent = client(app, e.body.credential);
    assert.equal((await agent.post('/agent/v1/checkin', {})).status, 200);
    assert.equal((await agent.post('/agent/v1/checkin', {})).status, 200); // now cached
    assert.equal((await admin.del(`/api/v1/devices/${e.body.deviceId}`)).status, 204);
    assert.equal((await agent.post('/agent/v1/checkin', {})).status, 401);
  });
});
