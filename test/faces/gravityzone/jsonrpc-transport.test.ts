import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { MAX_BATCH } from '../../../src/faces/gravityzone/jsonrpc.ts';
import { gzId } from '../../../src/faces/gravityzone/ids.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';
import { apiKeyOf, fails, GZ, gzAuth, ok, post, rpc } from './support.ts';

// The transport of the GravityZone face: Basic API-key auth, the JSON-RPC envelope, the error codes,
// batches and notifications, ids, and that no path under /api/v1.0/jsonrpc falls into the Kaseya face.

eachDriver('GravityZone JSON-RPC transport', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let world: World;
  let key: string;
  let scopedKey: string;
  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    world = await buildWorld(admin, h.store());
    key = await apiKeyOf(app, h.store(), 'admin', ADMIN_PASSWORD);
    const u = await scopedUser(admin, 'gz-alpha', world.orgA.id, 'Administrator');
    scopedKey = await apiKeyOf(app, h.store(), 'gz-alpha', u.password);
  });
  after(async () => app?.close());

  const call = (method: string, params: unknown = {}, id: unknown = 1) =>
    JSON.stringify({ id, jsonrpc: '2.0', method, params });

  it('answers a call with {id, jsonrpc, result}', async () => {
    const r = await post(
      app,
      'companies',
      call('getCompanyDetails', { companyId: gzId('company', world.orgA.id) }, 'x-1'),
      gzAuth(key),
    );
    assert.equal(r.status, 200, r.text);
    assert.match(String(r.headers?.['content-type'] ?? 'application/json'), /json/);
    assert.deepEqual(Object.keys(r.body).sort(), ['id', 'jsonrpc', 'result']);
    assert.equal(r.body.id, 'x-1');
    assert.equal(r.body.result.id, gzId('company', world.orgA.id));
    assert.equal(r.body.result.name, 'Alpha');
    assert.match(r.body.result.id, /^[0-9a-f]{24}$/);
  });

  it('refuses a missing or bad API key with HTTP 401 and a JSON-RPC body', async () => {
    for (const auth of [
      undefined,
      'Bearer ' + key,
      gzAuth('plk_' + 'x'.repeat(40)),
      `Basic ${Buffer.from(key).toString('base64')}`,
      'Basic %%%',
    ]) {
      const r = await post(app, 'companies', call('getCompaniesList'), auth);
      assert.equal(r.status, 401, `${auth}: ${r.text}`);
      assert.equal(r.body.jsonrpc, '2.0');
      assert.equal(r.body.id, null);
      assert.equal(r.body.error.code, -32000);
      assert.equal(typeof r.body.error.data.details, 'string');
    }
    // a session token is no API key
    const login = await admin.post('/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
    const s = await post(app, 'companies', call('getCompaniesList'), gzAuth(login.body.token));
    assert.equal(s.status, 401);
  });

  it('answers -32700 for text that is not JSON, whatever the Content-Type', async () => {
    for (const [payload, ct] of [
      ['{"id": 1, "jsonrpc": "2.0",', 'application/json'],
      ['{"method": True}', 'text/plain'],
      ['', 'application/json'],
      ['<xml/>', 'application/xml'],
    ] as const) {
      const r = await post(app, 'companies', payload, gzAuth(key), { 'content-type': ct });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.error.code, -32700, r.text);
      assert.equal(r.body.error.message, 'Parse error');
      assert.equal(r.body.id, null);
    }
  });

  it('answers -32600 for a malformed request, keeping its id', async () => {
    const cases: [unknown, unknown][] = [
      [{ id: 3, method: 'getCompaniesList' }, 3],
      [{ id: 4, jsonrpc: '1.0', method: 'getCompaniesList' }, 4],
      [{ id: 5, jsonrpc: '2.0' }, 5],
      [{ id: 6, jsonrpc: '2.0', method: 7 }, 6],
      [{ id: { a: 1 }, jsonrpc: '2.0', method: 'getCompaniesList' }, null],
      [42, null],
      ['text', null],
    ];
    for (const [req, id] of cases) {
      const r = await post(app, 'companies', JSON.stringify(req), gzAuth(key));
      assert.equal(r.status, 200);
      assert.equal(r.body.error.code, -32600, r.text);
      assert.equal(r.body.error.message, 'Invalid Request');
      assert.deepEqual(r.body.id, id);
    }
  });

  it('answers -32601 for an unknown method, a method of another area, and an unknown area', async () => {
    const e1 = await fails(app, key, 'companies', 'getEverything');
    assert.equal(e1.code, -32601);
    assert.equal(e1.message, 'Method not found');
    const e2 = await fails(app, key, 'companies', 'getMaintenanceWindowsList');
    assert.equal(e2.code, -32601);
    const e3 = await fails(app, key, 'companies', 'toString');
    assert.equal(e3.code, -32601);
    const r = await post(app, 'nosuch', call('getCompaniesList', {}, 9), gzAuth(key));
    assert.equal(r.status, 200);
    assert.equal(r.body.error.code, -32601);
    assert.equal(r.body.id, 9);
    assert.match(r.body.error.data.details, /no API area "nosuch"/);
    for (const url of [`${GZ}`, `${GZ}/`, `${GZ}/a/b/c`]) {
      const x = await app.inject({
        method: 'POST',
        url,
        payload: call('x'),
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(x.statusCode, 200, url);
      assert.equal(JSON.parse(x.body).error.code, -32601, url);
    }
  });

  it('never answers a JSON-RPC path in the Kaseya envelope; Kaseya still answers its own paths', async () => {
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const r = await app.inject({ method, url: `${GZ}/companies` });
      assert.equal(r.statusCode, 405, `${method}: ${r.body}`);
      const body = JSON.parse(r.body);
      assert.equal(body.jsonrpc, '2.0');
      assert.equal(body.error.code, -32600);
      assert.ok(!('ResponseCode' in body));
    }
    const k = await app.inject({ method: 'GET', url: '/api/v1.0/nosuch' });
    assert.equal(k.statusCode, 404);
    assert.equal(JSON.parse(k.body).Status, 'Error');
    const echo = await app.inject({ method: 'GET', url: '/api/v1.0/echo' });
    assert.equal(JSON.parse(echo.body).ResponseCode, 0);
  });

  it('answers -32602 for params that are no object, malformed ids and wrong types', async () => {
    const r = await post(
      app,
      'companies',
      JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'getCompanyDetails', params: [1] }),
      gzAuth(key),
    );
    assert.equal(r.body.error.code, -32602);
    for (const companyId of [
      'xyz',
      '12',
      42,
      null,
      'g'.repeat(24),
      gzId('company', world.orgA.id).toUpperCase() + '0',
    ]) {
      const e = await fails(app, key, 'companies', 'getCompanyDetails', { companyId });
      assert.equal(e.code, -32602, JSON.stringify(companyId));
      assert.equal(e.message, 'Invalid params');
      assert.match(e.data.details, /companyId/);
    }
  });

  it('answers an id of another kind, of nothing, and of another tenant alike', async () => {
    const nothing = await fails(app, scopedKey, 'companies', 'getCompanyDetails', {
      companyId: gzId('company', 987654),
    });
    const other = await fails(app, scopedKey, 'companies', 'getCompanyDetails', {
      companyId: gzId('company', world.orgB.id),
    });
    const kind = await fails(app, scopedKey, 'companies', 'getCompanyDetails', {
      companyId: gzId('policy', world.orgB.id),
    });
    const strip = (e: { code: number; message: string; data: { details: string } }) => ({
      ...e,
      data: { details: e.data.details.replace(/[0-9a-f]{24}/g, 'ID') },
    });
    assert.deepEqual(strip(other), strip(nothing));
    assert.deepEqual(strip(kind), strip(nothing));
    assert.equal(nothing.code, -32602);
    assert.match(other.data.details, new RegExp(gzId('company', world.orgB.id)));
  });

  it('answers a batch in order, notifications get no answer, and oversized or empty batches are refused', async () => {
    const batch = [
      {
        id: 1,
        jsonrpc: '2.0',
        method: 'getCompanyDetails',
        params: { companyId: gzId('company', world.orgA.id) },
      },
      { id: 'two', jsonrpc: '2.0', method: 'nope' },
      { jsonrpc: '2.0', method: 'getCompaniesList' },
      { id: 3, jsonrpc: '2.0', method: 'getCompaniesList' },
      7,
    ];
    const r = await post(app, 'companies', JSON.stringify(batch), gzAuth(key));
    assert.equal(r.status, 200, r.text);
    assert.ok(Array.isArray(r.body));
    assert.deepEqual(
      r.body.map((a: { id: unknown }) => a.id),
      [1, 'two', 3, null],
    );
    assert.equal(r.body[0].result.name, 'Alpha');
    assert.equal(r.body[1].error.code, -32601);
    assert.ok(Array.isArray(r.body[2].result));
    assert.equal(r.body[3].error.code, -32600);

    const only = await post(
      app,
      'companies',
      JSON.stringify({ jsonrpc: '2.0', method: 'getCompaniesList' }),
      gzAuth(key),
    );
    assert.equal(only.status, 204);
    assert.equal(only.text, '');

    const empty = await post(app, 'companies', '[]', gzAuth(key));
    assert.equal(empty.body.error.code, -32600);
    const big = Array.from({ length: MAX_BATCH + 1 }, (_, i) => ({
      id: i,
      jsonrpc: '2.0',
      method: 'getCompaniesList',
    }));
    const tooBig = await post(app, 'companies', JSON.stringify(big), gzAuth(key));
    assert.equal(tooBig.status, 200);
    assert.equal(tooBig.body.error.code, -32600);
    assert.match(tooBig.body.error.data.details, new RegExp(`at most ${MAX_BATCH}`));
  });

  it('refuses deep nesting and unstorable text as JSON-RPC errors, never a 5xx', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200; i++) deep = { a: deep };
    const r = await post(app, 'companies', call('getCompaniesList', { x: deep }), gzAuth(key));
    assert.equal(r.status, 200);
    assert.equal(r.body.error.code, -32600);
    const nul = await post(app, 'companies', call('getCompaniesList', { parentId: 'a\u0000b' }), gzAuth(key));
    assert.equal(nul.status, 200);
    assert.equal(nul.body.error.code, -32600);
  });

  it('tells a key what it may reach (general.getApiKeyDetails)', async () => {
    const d = await ok(app, scopedKey, 'general', 'getApiKeyDetails');
    assert.ok(d.enabledApis.includes('maintenanceWindows'));
    assert.deepEqual(d.companies, [gzId('company', world.orgA.id)]);
    const list = await ok(app, scopedKey, 'companies', 'getCompaniesList');
    assert.deepEqual(
      list.map((c: { name: string }) => c.name),
      ['Alpha'],
    );
    void rpc;
  });
});
