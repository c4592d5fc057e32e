import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, client, signIn, startApp, type Client, type Res } from '../../support/api.ts';
import { buildWorld, type World } from '../../support/world.ts';
import { kaseyaSignIn, type KRes } from '../kaseya/support.ts';
import { kcall } from '../kaseya/request.ts';

// The one input guard (issue "Hardening"): input no handler can take is refused with 400 naming the
// field, in the format of the face it came to, and changes nothing.
eachDriver('the input guard of every face', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let w: World;
  let kaseya: string;
  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
    kaseya = await kaseyaSignIn(app, 'admin', ADMIN_PASSWORD);
  });

  const events = async () =>
    Number(
      (
        await h
          .store()
          .db.selectFrom('events')
          .select((e) => e.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  /** a native refusal: 400 problem JSON whose detail matches */
  const problem = (r: Res, detail: RegExp, status = 400) => {
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.match(String(r.headers['content-type']), /application\/problem\+json/);
    assert.match(r.body.detail, detail);
  };
  /** a Kaseya refusal: the envelope with the status as ResponseCode */
  const envelope = (r: KRes, error: RegExp, status = 400) => {
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.equal(r.body.ResponseCode, status);
    assert.equal(r.body.Status, 'Error');
    assert.match(r.body.Error, error);
  };
  const nested = (depth: number) => {
    let s = '1';
    for (let i = 0; i < depth; i++) s = `{"a":${s}}`;
    return s;
  };

  test('a body nested 5,000 deep is refused, on every face, before it reaches anything recursive', async () => {
    const n = await events();
    for (const path of [
      `/api/v1/organizations/${w.orgA.id}`,
      `/api/v1/devices/${w.deviceA.id}`,
      `/api/v1/users/1`,
    ])
      problem(await admin.call('PATCH', path, `{"name":"x","extra":${nested(5000)}}`), /nested too deeply/);
    problem(
      await admin.call('POST', '/api/v1/organizations', `{"name":"x","attributes":${nested(5000)}}`),
      /nested too deeply/,
    );
    envelope(
      await kcall(
        app,
        'POST',
        '/api/v1.0/system/orgs',
        kaseya,
        `{"OrgName":"x","Attributes":${nested(5000)}}`,
      ),
      /nested too deeply/,
    );
    assert.equal(await events(), n, 'nothing changed');
    assert.equal((await admin.get(`/api/v1/organizations/${w.orgA.id}`)).body.name, 'Alpha');
  });

  test('unknown body fields are refused, naming the field', async () => {
    for (const path of [
      `/api/v1/organizations/${w.orgA.id}`,
      `/api/v1/devices/${w.deviceA.id}`,
      `/api/v1/users/1`,
    ])
      problem(await admin.patch(path, { colour: 'red' }), /additional properties 'colour'/);
    const roles = await admin.get('/api/v1/roles');
    problem(await admin.patch(`/api/v1/roles/${roles.body.items[0].id}`, { colour: 'red' }), /'colour'/);
  });

  test('NUL and lone surrogates are refused wherever text comes in', async () => {
    const n = await events();
    problem(
      await admin.patch(`/api/v1/organizations/${w.orgA.id}`, { name: 'a\u0000b' }),
      /body\/name must not contain NUL/,
    );
    problem(
      await admin.call('PATCH', `/api/v1/organizations/${w.orgA.id}`, '{"name":"a\\ud800b"}'),
      /body\/name .*lone surrogate/,
    );
    problem(
      await admin.call('PATCH', `/api/v1/organizations/${w.orgA.id}`, '{"attributes":{"k\\u0000":"v"}}'),
      /body\/attributes has a field name/,
    );
    problem(await admin.get('/api/v1/devices?search=a%00b'), /querystring\/search must not contain NUL/);
    problem(
      await client(app).post('/api/v1/auth/login', { username: 'ad\u0000min', password: 'x' }),
      /body\/username/,
    );
    problem(await admin.get(`/api/v1/cves/CVE-2024-3094%00`), /params\/id must not contain NUL/);
    // a pair is one character: not refused
    const ok = await admin.patch(`/api/v1/organizations/${w.orgB.id}`, { name: 'Bravo \ud83d\ude00' });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(await events(), n + 1);
    // Kaseya: the OData literal, the Basic credential, the body
    envelope(
      await kcall(
        app,
        'GET',
        `/api/v1.0/assetmgmt/agents?$filter=${encodeURIComponent("AgentName eq 'a")}%00'`,
        kaseya,
      ),
      /querystring\/\$filter must not contain NUL/,
    );
    const basic = Buffer.from('ad\u0000min:plk_x').toString('base64');
    envelope(await kcall(app, 'GET', '/api/v1.0/auth', `Basic ${basic}`), /headers\/authorization .*NUL/);
    envelope(
      await kcall(app, 'POST', '/api/v1.0/system/orgs', kaseya, { OrgName: 'x\u0000' }),
      /body\/OrgName must not contain NUL/,
    );
  });

  test('a malformed session cookie is no session: 401, not 500', async () => {
    for (const cookie of [
      'patchline_session=%E0%A4%A',
      'theme=dark; patchline_session=%ZZ',
      'patchline_session=a%00b',
    ]) {
      const r = await client(app).call('GET', '/api/v1/devices', undefined, { cookie });
      problem(r, /sign in first/, 401);
    }
    // a public route still works with it
    const r = await client(app).call(
      'POST',
      '/api/v1/auth/login',
      { username: 'admin', password: ADMIN_PASSWORD },
      { cookie: 'patchline_session=%ZZ' },
    );
    assert.equal(r.status, 200);
  });

  test('integer parameters: decimal digits within range, or 400', async () => {
    for (const list of [
      '/api/v1/devices',
      '/api/v1/organizations',
      '/api/v1/groups',
      '/api/v1/users',
      '/api/v1/events',
    ])
      problem(await admin.get(`${list}?offset=99999999999999999999`), /querystring\/offset .*out of range/);
    problem(
      await admin.get('/api/v1/devices/0x1F'),
      /params\/id must be integer, written in decimal digits only/,
    );
    problem(await admin.get('/api/v1/devices/1e0'), /params\/id/);
    problem(await admin.get('/api/v1/devices?limit=%2010'), /querystring\/limit/);
    problem(await admin.del(`/api/v1/devices/%20${w.deviceA.id}`), /params\/id/);
    assert.equal((await admin.get(`/api/v1/devices/${w.deviceA.id}`)).status, 200, 'not deleted');
    // Kaseya: a path id that is no id names nothing (as the product answers): ' 1' is not 1
    envelope(await kcall(app, 'DELETE', `/api/v1.0/system/orgs/%20${w.orgB.id}`, kaseya), /not found/, 404);
    assert.equal((await admin.get(`/api/v1/organizations/${w.orgB.id}`)).status, 200, 'not deleted');
  });

  test('Kaseya OData literals out of range are refused in its envelope', async () => {
    for (const f of [
      'AgentId eq 1e300',
      'AgentId eq 99999999999999999999',
      "LastCheckInTime gt DATETIME'0000-01-01T00:00:00'",
    ])
      envelope(
        await kcall(app, 'GET', `/api/v1.0/assetmgmt/agents?$filter=${encodeURIComponent(f)}`, kaseya),
        /out of range|invalid DATETIME/,
      );
  });

  test('column ranges: a custom severity order and a scan sequence beyond them are refused', async () => {
    problem(
      await admin.call('PUT', `/api/v1/organizations/${w.orgA.id}/custom-severities`, [
        { order: 2 ** 53, name: 'Huge', level: 'high' },
      ]),
      /order must be <= 2147483647/,
    );
    const token = (await admin.post(`/api/v1/organizations/${w.orgA.id}/install-tokens`, { name: 'g' })).body
      .token;
    const e = await client(app).post('/agent/v1/enroll', { token, name: 'guarded', osFamily: 'linux' });
    assert.equal(e.status, 201);
    const agent = client(app, e.body.credential);
    problem(
      await agent.post('/agent/v1/scans', { sequence: 2 ** 53, full: true, updates: [] }),
      /sequence must be <=/,
    );
    problem(
      await agent.post('/agent/v1/checkin', { agentVersion: '1.0\u0000' }),
      /body\/agentVersion must not contain NUL/,
    );
  });

  test('an empty scope patch is a no-op; an install token of a missing organization is 404', async () => {
    const n = await events();
    const scopes = await admin.get('/api/v1/scopes');
    const r = await admin.patch(`/api/v1/scopes/${scopes.body.items[0].id}`, {});
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, scopes.body.items[0]);
    assert.equal(await events(), n);
    problem(
      await admin.post('/api/v1/organizations/999999/install-tokens', { name: 'x' }),
      /organization 999999 not found/,
      404,
    );
  });

  test('the Kaseya XML reader refuses entities it will not expand, __proto__ and depth with 400', async () => {
    const xml = (body: string) =>
      kcall(app, 'POST', '/api/v1.0/system/orgs', kaseya, body, { 'content-type': 'application/xml' });
    envelope(await xml('<Org><__proto__><OrgName>x</OrgName></__proto__></Org>'), /XML/);
    envelope(await xml(`<Org>${'<a>'.repeat(3000)}${'</a>'.repeat(3000)}</Org>`), /nested too deeply/);
    envelope(
      await xml('<!DOCTYPE Org [<!ENTITY x SYSTEM "file:///etc/passwd">]><Org><OrgName>&x;</OrgName></Org>'),
      /XML/,
    );
  });
});
