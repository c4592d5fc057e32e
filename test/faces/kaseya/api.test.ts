import assert from 'node:assert/strict';
import { before, after, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ADMIN_PASSWORD, signIn, type Client } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';
import { hashedPayload, kaseyaSignIn, kget, startKaseyaApp } from './support.ts';

const basic = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

eachDriver('Kaseya VSA REST API', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let world: World;
  let bearer: string;
  before(async () => {
    app = await startKaseyaApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    world = await buildWorld(admin, h.store());
    bearer = await kaseyaSignIn(app, 'admin', ADMIN_PASSWORD);
  });
  after(async () => app?.close());

  it('signs in with the hashed payload of the seed algorithm and answers in the envelope', async () => {
    const r = await kget(app, '/api/v1.0/auth', `Basic ${hashedPayload('admin', ADMIN_PASSWORD)}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.ResponseCode, 0);
    assert.equal(r.body.Status, 'OK');
    assert.equal(r.body.Error, 'None');
    const res = r.body.Result;
    assert.equal(res.UserName, 'admin');
    assert.equal(typeof res.Token, 'string');
    assert.equal(res.ApiToken, res.Token);
    assert.equal(typeof res.RoleId, 'number');
    assert.equal(typeof res.ScopeId, 'string');
    assert.equal(res.OffSetInMinutes, 0);
    assert.equal(res.TenantId, '1');
    const expires = Date.parse(res.SessionExpiration);
    assert.ok(expires > Date.now() + 60 * 60 * 1000, res.SessionExpiration);
    const echo = await kget(app, '/api/v1.0/echoauth', `Bearer ${res.Token}`);
    assert.equal(echo.status, 200);
    assert.equal(echo.body.ResponseCode, 0);
  });

  it('accepts the payload fields in any order and ignores unknown ones, as the seed sample sends them', async () => {
    const fields = Object.fromEntries(
      Buffer.from(hashedPayload('admin', ADMIN_PASSWORD), 'base64')
        .toString('utf8')
        .split(',')
        .map((p) => p.split('=') as [string, string]),
    );
    const text = `user=admin,pass2=${fields.pass2},pass1=${fields.pass1},rand2=${fields.rand2},rpass2=${fields.rpass2},rpass1=${fields.rpass1},twofapass=:undefined`;
    const r = await kget(app, '/api/v1.0/auth', basic(text));
    assert.equal(r.status, 200, r.text);
  });

  it('refuses a wrong password, a replayed random number and an expired token with 401', async () => {
    const wrong = await kget(app, '/api/v1.0/auth', `Basic ${hashedPayload('admin', 'not-the-password')}`);
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.ResponseCode, 401);
    assert.equal(wrong.body.Status, 'Error');
    assert.match(wrong.body.Error, /wrong user name or password/);

    const payload = hashedPayload('admin', ADMIN_PASSWORD, '31415926');
    const first = await kget(app, '/api/v1.0/auth', `Basic ${payload}`);
    assert.equal(first.status, 200, first.text);
    const again = await kget(app, '/api/v1.0/auth', `Basic ${payload}`);
    assert.equal(again.status, 401);
    assert.match(again.body.Error, /rand2=31415926 was already used/);

    const short = await kaseyaSignIn(app, 'admin', ADMIN_PASSWORD, '/short/api/v1.0');
    await sleep(20);
    const expired = await kget(app, '/api/v1.0/echoauth', short);
    assert.equal(expired.status, 401);
    assert.match(expired.body.Error, /expired/);
  });

  it('signs in with user name and a personal access token (a Patchline API key)', async () => {
    const created = await admin.post('/api/v1/api-keys', { name: 'kaseya-pat' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const key = created.body.key as string;
    const r = await kget(app, '/api/v1.0/auth', basic(`admin:${key}`));
    assert.equal(r.status, 200, r.text);
    const orgs = await kget(app, '/api/v1.0/system/orgs', `Bearer ${r.body.Result.Token}`);
    assert.equal(orgs.status, 200);
    const other = await scopedUser(admin, 'patuser', world.orgA.id);
    const mismatch = await kget(app, '/api/v1.0/auth', basic(`${other.user.username}:${key}`));
    assert.equal(mismatch.status, 401, 'the key belongs to admin, not to patuser');
    const bogus = await kget(app, '/api/v1.0/auth', basic('admin:plk_nothing'));
    assert.equal(bogus.status, 401);
  });

  it('answers /echo without credentials, /echoauth only with a Kaseya session', async () => {
    const echo = await kget(app, '/api/v1.0/echo');
    assert.equal(echo.status, 200);
    assert.deepEqual(echo.body, { Result: {}, ResponseCode: 0, Status: 'OK', Error: 'None' });
    const none = await kget(app, '/api/v1.0/echoauth');
    assert.equal(none.status, 401);
    assert.match(none.body.Error, /Bearer/);
    const native = await kget(app, '/api/v1.0/echoauth', `Bearer ${await signInToken(app)}`);
    assert.equal(native.status, 401);
    assert.match(native.body.Error, /native API/);
  });

  it('lists agents with $filter, $orderby, $skip and $top, ids as decimal strings', async () => {
    const q = (skip: number) =>
      `/api/v1.0/assetmgmt/agents?$filter=${encodeURIComponent(`OrgId eq ${world.orgA.id}`)}&$orderby=${encodeURIComponent('AgentName desc')}&$top=1&$skip=${skip}`;
    const p1 = await kget(app, q(0), bearer);
    assert.equal(p1.status, 200, p1.text);
    assert.equal(p1.body.TotalRecords, 2);
    assert.equal(p1.body.Result.length, 1);
    assert.equal(p1.body.Result[0].AgentName, 'web-2');
    assert.equal(p1.body.Result[0].AgentId, String(world.deviceA2.id));
    assert.equal(p1.body.Result[0].OrgId, String(world.orgA.id));
    assert.equal(p1.body.Result[0].MachineGroupId, String(world.subA.id));
    assert.equal(p1.body.Result[0].MachineGroup, 'Web');
    assert.equal(p1.body.Result[0].OSType, 'Linux');
    const p2 = await kget(app, q(1), bearer);
    assert.deepEqual(
      p2.body.Result.map((a: { AgentName: string }) => a.AgentName),
      ['web-1'],
    );
    const one = await kget(app, `/api/v1.0/assetmgmt/agents/${world.deviceB.id}`, bearer);
    assert.equal(one.status, 200);
    assert.equal(one.body.Result.AgentName, 'db-1');
    const online = await kget(app, '/api/v1.0/assetmgmt/agents?$filter=Online eq 199', bearer);
    assert.equal(online.body.TotalRecords, online.body.Result.length);
    for (const a of online.body.Result) assert.equal(a.Online, 199);
  });

  it('lists organizations and machine groups with filters and sorting', async () => {
    const all = await kget(
      app,
      `/api/v1.0/system/orgs?$orderby=${encodeURIComponent('OrgName desc')}`,
      bearer,
    );
    assert.equal(all.status, 200);
    const names = all.body.Result.map((o: { OrgName: string }) => o.OrgName);
    assert.deepEqual(names, [...names].sort().reverse());
    assert.equal(all.body.TotalRecords, names.length);
    const alpha = await kget(
      app,
      `/api/v1.0/system/orgs?$filter=${encodeURIComponent("startswith(OrgName, 'alp')")}`,
      bearer,
    );
    assert.deepEqual(
      alpha.body.Result.map((o: { OrgId: string; OrgRef: string }) => [o.OrgId, o.OrgRef]),
      [[String(world.orgA.id), 'alpha']],
    );
    const org = await kget(app, `/api/v1.0/system/orgs/${world.orgB.id}`, bearer);
    assert.equal(org.body.Result.OrgName, 'Bravo');
    assert.equal(typeof org.body.Result.DefaultMachineGroupName, 'string');

    const groups = await kget(
      app,
      `/api/v1.0/system/orgs/${world.orgA.id}/machinegroups?$orderby=MachineGroupId`,
      bearer,
    );
    assert.equal(groups.status, 200, groups.text);
    const web = groups.body.Result.find((g: { MachineGroupName: string }) => g.MachineGroupName === 'Web');
    assert.equal(web.ParentMachineGroupId, String(world.groupA.id));
    assert.ok(groups.body.Result.every((g: { OrgId: string }) => g.OrgId === String(world.orgA.id)));
    const filtered = await kget(
      app,
      `/api/v1.0/system/machinegroups?$filter=${encodeURIComponent(`ParentMachineGroupId eq ${world.groupA.id}`)}`,
      bearer,
    );
    assert.deepEqual(
      filtered.body.Result.map((g: { MachineGroupId: string }) => g.MachineGroupId),
      [String(world.subA.id)],
    );
  });

  it('limits every result to the scope of the signed-in user', async () => {
    const alice = await scopedUser(admin, 'alice', world.orgA.id);
    const auth = await kaseyaSignIn(app, 'alice', alice.password);
    const orgs = await kget(app, '/api/v1.0/system/orgs', auth);
    assert.deepEqual(
      orgs.body.Result.map((o: { OrgId: string }) => o.OrgId),
      [String(world.orgA.id)],
    );
    const agents = await kget(app, '/api/v1.0/assetmgmt/agents', auth);
    assert.equal(agents.body.TotalRecords, 2);
    assert.ok(agents.body.Result.every((a: { OrgId: string }) => a.OrgId === String(world.orgA.id)));
    const groups = await kget(app, '/api/v1.0/system/machinegroups', auth);
    assert.ok(groups.body.Result.every((g: { OrgId: string }) => g.OrgId === String(world.orgA.id)));
    for (const url of [
      `/api/v1.0/system/orgs/${world.orgB.id}`,
      `/api/v1.0/system/orgs/${world.orgB.id}/machinegroups`,
      `/api/v1.0/system/machinegroups/${world.groupB.id}`,
      `/api/v1.0/assetmgmt/agents/${world.deviceB.id}`,
    ]) {
      const r = await kget(app, url, auth);
      assert.equal(r.status, 404, url);
      assert.equal(r.body.ResponseCode, 404);
    }
    const sneaky = await kget(
      app,
      `/api/v1.0/assetmgmt/agents?$filter=${encodeURIComponent(`OrgId eq ${world.orgB.id}`)}`,
      auth,
    );
    assert.equal(sneaky.body.TotalRecords, 0);
  });

  it('keeps the hashed sign-in working after a password change, and only with the new password', async () => {
    const bob = await scopedUser(admin, 'bob', world.orgB.id);
    const changed = await admin.patch(`/api/v1/users/${bob.user.id}`, { password: 'bob-new-password' });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    const old = await kget(app, '/api/v1.0/auth', `Basic ${hashedPayload('bob', bob.password)}`);
    assert.equal(old.status, 401);
    await kaseyaSignIn(app, 'bob', 'bob-new-password');
    const renamed = await admin.patch(`/api/v1/users/${bob.user.id}`, { username: 'robert' });
    assert.equal(renamed.status, 200);
    const afterRename = await kget(
      app,
      '/api/v1.0/auth',
      `Basic ${hashedPayload('robert', 'bob-new-password')}`,
    );
    assert.equal(afterRename.status, 401, 'the verifier covered the old name; a new password sets it again');
  });

  it('answers in XML when asked, failures too', async () => {
    const xml = { accept: 'application/xml' };
    const r = await kget(app, `/api/v1.0/assetmgmt/agents?$orderby=AgentName&$top=2`, bearer, xml);
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^application\/xml/);
    const resp = r.body.Response;
    assert.equal(resp.ResponseCode, '0');
    assert.equal(resp.Status, 'OK');
    assert.equal(resp.TotalRecords, '3');
    assert.deepEqual(
      resp.Result.Agent.map((a: { AgentName: string }) => a.AgentName),
      ['db-1', 'web-1'],
    );
    const denied = await kget(app, '/api/v1.0/system/orgs', undefined, xml);
    assert.equal(denied.status, 401);
    assert.equal(denied.body.Response.ResponseCode, '401');
    assert.match(denied.body.Response.Error, /Bearer/);
  });

  it('puts bad query options and unknown routes into the envelope', async () => {
    const bad = await kget(app, `/api/v1.0/system/orgs?$filter=${encodeURIComponent('Nope eq 1')}`, bearer);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.ResponseCode, 400);
    assert.match(bad.body.Error, /unknown field 'Nope'/);
    const notId = await kget(app, '/api/v1.0/assetmgmt/agents/abc', bearer);
    assert.equal(notId.status, 404);
    const none = await kget(app, '/api/v1.0/no/such/thing', bearer);
    assert.equal(none.status, 404);
    assert.match(none.body.Error, /no route GET \/api\/v1.0\/no\/such\/thing/);
  });
});

async function signInToken(app: FastifyInstance) {
  const r = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username: 'admin', password: ADMIN_PASSWORD },
  });
  return (JSON.parse(r.body) as { token: string }).token;
}
