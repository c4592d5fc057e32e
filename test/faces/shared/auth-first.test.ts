import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { sql } from 'kysely';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, client, signIn, startApp } from '../../support/api.ts';
import { buildWorld, type World } from '../../support/world.ts';
import { apiKeyOf } from '../nable/support.ts';

// Authentication comes first, on every face (faces/shared/authenticate-first.ts): a request without a
// credential, or with a wrong one, gets the face's own 401 whatever is wrong with its body (text that is
// not JSON or XML, a body the schema refuses, text the input guard refuses), and changes nothing.
eachDriver('authentication before the body, on every face', (h) => {
  let app: FastifyInstance;
  let w: World;
  let credential: string;
  let nableKey: string;
  before(async () => {
    app = await startApp(h.store());
    const admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
    const token = await admin.post(`/api/v1/organizations/${w.orgA.id}/install-tokens`, { name: 'first' });
    assert.equal(token.status, 201, JSON.stringify(token.body));
    const enrolled = await client(app).post('/agent/v1/enroll', {
      token: token.body.token,
      name: 'auth-first',
      osFamily: 'linux',
    });
    assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
    credential = enrolled.body.credential;
    nableKey = await apiKeyOf(admin);
  });

  /** rows of what a request could change */
  const footprint = async () =>
    (
      await sql<Record<string, number>>`select
        (select count(*)::int from events) as events, (select count(*)::int from organizations) as orgs,
        (select count(*)::int from devices) as devices, (select count(*)::int from tasks) as tasks,
        (select count(*)::int from policies) as policies, (select count(*)::int from jobs) as jobs`.execute(
        h.store().db,
      )
    ).rows[0];

  // bodies no route takes: not the media type's syntax, refused by a schema, refused by the input guard
  const NOT_JSON = '{"name": ';
  const NUL_JSON = '{"name":"a\\u0000b"}';
  const json = { 'content-type': 'application/json' };

  /** sends `req` with no credential and with each wrong one; every answer is the face's 401 */
  const refusedFirst = async (
    face: string,
    req: InjectOptions,
    wrong: string[],
    check: (r: { statusCode: number; body: string; headers: Record<string, unknown> }) => void,
  ) => {
    const before = await footprint();
    for (const authorization of [undefined, ...wrong]) {
      const r = await app.inject({
        ...req,
        headers: { ...(req.headers ?? {}), ...(authorization ? { authorization } : {}) },
      });
      assert.equal(r.statusCode, 401, `${face} ${req.method} ${req.url} (${authorization}): ${r.body}`);
      check(r);
    }
    assert.deepEqual(await footprint(), before, `${face}: nothing changed`);
  };

  test('native API: problem JSON 401 before the JSON parser, the input guard and the schema', async () => {
    const problem = (r: { body: string; headers: Record<string, unknown> }) => {
      assert.match(String(r.headers['content-type']), /application\/problem\+json/);
      assert.equal(JSON.parse(r.body).status, 401);
    };
    for (const payload of [NOT_JSON, NUL_JSON, '{"name": 5, "bogus": true}'])
      for (const [method, url] of [
        ['POST', '/api/v1/organizations'],
        ['PATCH', `/api/v1/devices/${w.deviceA.id}`],
        ['POST', '/api/v1/policies'],
      ] as const)
        await refusedFirst(
          'native',
          { method, url, payload, headers: json },
          ['Bearer nope', 'Basic x'],
          problem,
        );
  });

  test('agent protocol: 401 before the body is read, with a device credential that is not one', async () => {
    const problem = (r: { body: string }) => assert.equal(JSON.parse(r.body).status, 401);
    for (const payload of [NOT_JSON, NUL_JSON, '{"full": "yes", "updates": 7}'])
      for (const url of ['/agent/v1/checkin', '/agent/v1/scans', '/agent/v1/jobs/1/result'])
        await refusedFirst(
          'agent',
          { method: 'POST', url, payload, headers: json },
          ['Bearer pld_not-a-credential', `Bearer ${credential}x`],
          problem,
        );
    // the real credential gets past it, to the body's refusal
    const ok = await app.inject({
      method: 'POST',
      url: '/agent/v1/scans',
      payload: NOT_JSON,
      headers: { ...json, authorization: `Bearer ${credential}` },
    });
    assert.equal(ok.statusCode, 400, ok.body);
  });

  test('Kaseya VSA: the envelope with ResponseCode 401', async () => {
    const envelope = (r: { body: string }) => {
      const b = JSON.parse(r.body);
      assert.equal(b.ResponseCode, 401);
      assert.equal(b.Status, 'Error');
    };
    for (const payload of [NOT_JSON, NUL_JSON, '{"OrgName": 5, "Bogus": {}}'])
      await refusedFirst(
        'kaseya',
        { method: 'POST', url: '/api/v1.0/system/orgs', payload, headers: json },
        ['Bearer nope'],
        envelope,
      );
  });

  test('Automox: { errors } 401', async () => {
    const errors = (r: { body: string }) => assert.ok(Array.isArray(JSON.parse(r.body).errors), r.body);
    for (const payload of [NOT_JSON, NUL_JSON])
      await refusedFirst(
        'automox',
        { method: 'POST', url: `/api/policies?o=${w.orgA.id}`, payload, headers: json },
        ['Bearer plk_' + 'x'.repeat(40)],
        errors,
      );
  });

  test('GravityZone: a JSON-RPC error with HTTP 401', async () => {
    const rpc = (r: { body: string }) => {
      const b = JSON.parse(r.body);
      assert.equal(b.jsonrpc, '2.0');
      assert.equal(b.error.code, -32000);
    };
    // the face reads its body as text: the guard refuses a NUL in it
    for (const payload of [NOT_JSON, '{"jsonrpc":"2.0","method":"a\u0000b","id":1}'])
      await refusedFirst(
        'gravityzone',
        { method: 'POST', url: '/api/v1.0/jsonrpc/network', payload, headers: json },
        [`Basic ${Buffer.from('plk_nothing:').toString('base64')}`],
        rpc,
      );
  });

  test('N-able: FAIL with error code 3 before the other parameters are read', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    for (const payload of ['service=list_clients&name=a%00b', 'service=list_clients&service=again'])
      await refusedFirst('nable', { method: 'POST', url: '/api/', payload, headers: form }, [], nableFail(3));
    await refusedFirst(
      'nable',
      { method: 'POST', url: '/api/', payload: 'apikey=nonsense&service=x&x=a%00b', headers: form },
      [],
      nableFail(3),
    );
  });

  /** an N-able FAIL answer with this error code */
  const nableFail = (code: number) => (r: { body: string; headers: Record<string, unknown> }) => {
    assert.match(String(r.headers['content-type']), /^text\/xml; charset=ISO-8859-1/, r.body);
    assert.match(r.body, /<result [^>]*status="FAIL"/, r.body);
    assert.match(r.body, new RegExp(`<errorcode>${code}</errorcode>`), r.body);
  };

  test('N-able: a body that cannot be parsed is refused with 400 only to a valid key, else 401', async () => {
    const key = () => nableKey;
    // bodies the N-able parsers refuse, a key inside them or not: an unparsed body carries no key
    const unparsable: { payload: string; headers: Record<string, string> }[] = [
      { payload: NOT_JSON, headers: json },
      { payload: `{"apikey": "${key()}", "service": "list_clients",`, headers: json },
      {
        payload: 'service=list_clients&name=%zz',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      {
        payload: `apikey=${key()}&service=list_clients&name=%E0%A4`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
    ];
    const wrongHeaders = ['Bearer nope', `Bearer plk_${'x'.repeat(40)}`, `Bearer ${key()}x`, 'Basic x'];
    for (const { payload, headers } of unparsable) {
      // no key, or a wrong one as a Bearer token
      await refusedFirst(
        'nable',
        { method: 'POST', url: '/api/', payload, headers },
        wrongHeaders,
        nableFail(3),
      );
      // a wrong key in the query string
      for (const wrong of ['nonsense', `${key()}x`])
        await refusedFirst(
          'nable',
          { method: 'POST', url: `/api/?apikey=${encodeURIComponent(wrong)}`, payload, headers },
          [],
          nableFail(3),
        );
      // the valid key, in the query string or as a Bearer token, gets past it, to the body's refusal
      const before = await footprint();
      for (const req of [
        { url: `/api/?apikey=${encodeURIComponent(key())}&service=list_clients`, headers },
        { url: '/api/?service=list_clients', headers: { ...headers, authorization: `Bearer ${key()}` } },
      ]) {
        const r = await app.inject({ method: 'POST', payload, ...req });
        assert.equal(r.statusCode, 400, `${req.url} ${payload}: ${r.body}`);
        nableFail(4)(r);
      }
      assert.deepEqual(await footprint(), before, 'nable: nothing changed');
    }
    // a media type N-able does not take, and a body over the limit: the same order
    const odd = [
      {
        payload: 'service=list_clients',
        headers: { 'content-type': 'application/octet-stream' },
        status: 415,
      },
      {
        payload: `service=list_clients&x=${'a'.repeat(1024 * 1024 + 1)}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        status: 413,
      },
    ];
    for (const { payload, headers, status } of odd) {
      await refusedFirst(
        'nable',
        { method: 'POST', url: '/api/', payload, headers },
        ['Bearer nope'],
        nableFail(3),
      );
      const r = await app.inject({
        method: 'POST',
        url: '/api/',
        payload,
        headers: { ...headers, authorization: `Bearer ${key()}` },
      });
      assert.equal(r.statusCode, status, r.body);
      nableFail(4)(r);
    }
    // a key outside the body is the one judged: a wrong one is not saved by a valid one in the body
    await refusedFirst(
      'nable',
      {
        method: 'POST',
        url: '/api/?apikey=nonsense',
        payload: `apikey=${encodeURIComponent(key())}&service=list_clients`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      [],
      nableFail(3),
    );
    // a well-formed body still carries the key
    const ok = await app.inject({
      method: 'POST',
      url: '/api/',
      payload: `apikey=${encodeURIComponent(key())}&service=list_clients`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(ok.statusCode, 200, ok.body);
  });

  test('Altiris: the Basic challenge before the envelope is parsed', async () => {
    const challenge = (r: { headers: Record<string, unknown> }) =>
      assert.match(String(r.headers['www-authenticate']), /^Basic /);
    const soap = { 'content-type': 'text/xml; charset=utf-8' };
    for (const payload of ['<soap:Envelope', '<x>\u0000</x>'])
      await refusedFirst(
        'altiris',
        { method: 'POST', url: '/Altiris/PatchManagementCore/PatchWorkflowSvc.asmx', payload, headers: soap },
        [`Basic ${Buffer.from('admin:wrong-password').toString('base64')}`],
        challenge,
      );
  });
});
