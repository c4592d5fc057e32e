// Issue 15, the transport: the three call styles, Basic authentication and its 401 challenge, faults in
// the caller's SOAP version, the form post's 500, the WSDL made from the method table, XML that is refused
// (DTDs, entities, malformed, too deep) as a client fault and never a 5xx outside a fault.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ADMIN_PASSWORD, signIn, startApp } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';
import { METHODS } from '../../../src/faces/altiris/methods.ts';
import { PRIVILEGE_GUIDS } from '../../../src/faces/altiris/privileges.ts';
import { PRIVILEGES } from '../../../src/core/privileges.ts';
import { basic, envelope, NS, PATH, read, soapCall } from './support.ts';

eachDriver('Altiris PatchWorkflowSvc transport', (h) => {
  let app: FastifyInstance;
  let admin: string;
  let keyAuth: string;
  before(async () => {
    app = await startApp(h.store());
    admin = basic('admin', ADMIN_PASSWORD);
    const native = await signIn(app, 'admin', ADMIN_PASSWORD);
    const key = await native.post('/api/v1/api-keys', { name: 'altiris' });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    keyAuth = basic('admin', key.body.key);
  });
  after(async () => app?.close());

  const allPrivileges = PRIVILEGES.map((p) => PRIVILEGE_GUIDS[p]).join(',');

  it('answers MyPrivileges in all three styles with a password and with an API key', async () => {
    for (const style of ['soap11', 'soap12', 'form'] as const) {
      for (const auth of [admin, keyAuth]) {
        const a = await soapCall(app, auth, style, 'MyPrivileges');
        assert.equal(a.status, 200, a.body);
        assert.equal(a.result, allPrivileges, `${style}: ${a.body}`);
      }
    }
    const s12 = await soapCall(app, admin, 'soap12', 'MyPrivileges');
    assert.match(String(s12.headers['content-type']), /^application\/soap\+xml/);
    assert.match(s12.body, /http:\/\/www\.w3\.org\/2003\/05\/soap-envelope/);
    const form = await soapCall(app, admin, 'form', 'MyPrivileges');
    assert.match(
      form.body,
      /^<\?xml version="1.0" encoding="utf-8"\?>\n<string xmlns="http:\/\/tempuri.org\/">/,
    );
  });

  it('challenges a caller without credentials or with wrong ones (401, WWW-Authenticate: Basic)', async () => {
    for (const auth of [
      undefined,
      basic('admin', 'wrong-password'),
      'Bearer x',
      basic('nobody', 'plk_nothing'),
    ]) {
      const a = await soapCall(app, auth, 'soap11', 'MyPrivileges');
      assert.equal(a.status, 401);
      assert.match(String(a.headers['www-authenticate']), /^Basic /);
    }
  });

  it('answers faults in the version the caller used, and a form post with 500 and the message', async () => {
    const f11 = await soapCall(app, admin, 'soap11', 'ResolveToUpdates', { bulletinGuids: 'not-a-guid' });
    assert.equal(f11.status, 500);
    assert.equal(f11.faultCode, 'soap:Client');
    assert.match(f11.fault!, /bulletinGuids/);
    assert.match(f11.body, /http:\/\/schemas\.xmlsoap\.org\/soap\/envelope\//);
    const f12 = await soapCall(app, admin, 'soap12', 'ResolveToUpdates', { bulletinGuids: 'not-a-guid' });
    assert.equal(f12.status, 500);
    assert.equal(f12.faultCode, 'soap:Sender');
    assert.match(f12.fault!, /bulletinGuids/);
    const ff = await soapCall(app, admin, 'form', 'ResolveToUpdates', { bulletinGuids: 'not-a-guid' });
    assert.equal(ff.status, 500);
    assert.match(ff.fault!, /^System\.ArgumentException: .*bulletinGuids/);
    // a wrong parameter type names the method and the parameter
    const bad = await soapCall(app, admin, 'soap11', 'EnsureStaged', { bulletinGuids: '', sync: 'maybe' });
    assert.equal(bad.faultCode, 'soap:Client');
    assert.match(bad.fault!, /EnsureStaged: parameter 'sync' must be a Boolean/);
    const missing = await soapCall(app, admin, 'form', 'EnsureStaged', { bulletinGuids: '' });
    assert.match(missing.fault!, /Missing parameter: sync/);
  });

  it('answers an unknown method with a fault, never a 404 page', async () => {
    const s = await soapCall(app, admin, 'soap11', 'NoSuchMethod');
    assert.equal(s.status, 500);
    assert.equal(s.faultCode, 'soap:Client');
    assert.match(s.fault!, /SOAPAction/);
    const s12 = await soapCall(app, admin, 'soap12', 'NoSuchMethod');
    assert.equal(s12.faultCode, 'soap:Sender');
    const f = await soapCall(app, admin, 'form', 'NoSuchMethod');
    assert.equal(f.status, 500);
    assert.match(f.fault!, /NoSuchMethod Web Service method name is not valid/);
  });

  it('refuses DTDs, entities, malformed and too deep XML as client faults', async () => {
    const bodies = [
      `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><ResolveToUpdates xmlns="${NS}"><bulletinGuids>&xxe;</bulletinGuids></ResolveToUpdates></soap:Body></soap:Envelope>`,
      `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><MyPrivileges xmlns="${NS}">&lol3;</MyPrivileges></soap:Body></soap:Envelope>`,
      '<soap:Envelope><soap:Body><MyPrivileges>',
      'not xml at all',
      `${'<a>'.repeat(200)}${'</a>'.repeat(200)}`,
      '',
    ];
    for (const payload of bodies) {
      const r = await app.inject({
        method: 'POST',
        url: PATH,
        headers: {
          authorization: admin,
          'content-type': 'text/xml; charset=utf-8',
          soapaction: `"${NS}MyPrivileges"`,
        },
        payload,
      });
      const a = read('soap11', 'MyPrivileges', r.statusCode, r.body, r.headers);
      assert.equal(a.status, 500, payload.slice(0, 60));
      assert.equal(a.faultCode, 'soap:Client', `${payload.slice(0, 60)}: ${r.body}`);
      assert.doesNotMatch(r.body, /root:/);
    }
    const dtd = await app.inject({
      method: 'POST',
      url: PATH,
      headers: { authorization: admin, 'content-type': 'text/xml' },
      payload: bodies[0],
    });
    assert.match(dtd.body, /DTD is prohibited/);
    // an NS schedule XML inside a string parameter is refused the same way
    const sched = await soapCall(app, admin, 'soap11', 'SetSoftwareUpdatePolicySchedule', {
      policyGuids: '',
      installSchedule: '<!DOCTYPE s [<!ENTITY e "x">]><schedule/>',
    });
    assert.equal(sched.faultCode, 'soap:Client');
    assert.match(sched.fault!, /DTD is prohibited/);
  });

  it('serves a WSDL made from the method table, and a help page', async () => {
    const r = await app.inject({ method: 'GET', url: `${PATH}?WSDL` });
    assert.equal(r.statusCode, 200);
    assert.match(r.body, /targetNamespace="http:\/\/tempuri.org\/"/);
    for (const m of METHODS) {
      assert.ok(r.body.includes(`<s:element name="${m.name}">`), m.name);
      assert.ok(r.body.includes(`soapAction="${NS}${m.name}"`), m.name);
      for (const p of m.params)
        assert.ok(r.body.includes(`name="${p.name}" type="s:${p.type}"`), `${m.name}.${p.name}`);
    }
    assert.match(
      r.body,
      /<soap12:address location="http:\/\/[^"]+\/Altiris\/PatchManagementCore\/PatchWorkflowSvc\.asmx" \/>/,
    );
    // the form post is described as ASMX describes it: an HttpPost binding to …asmx/Name
    for (const m of METHODS)
      assert.ok(r.body.includes(`<http:operation location="/${m.name}" />`), `${m.name} HttpPost`);
    assert.match(
      r.body,
      /<wsdl:binding name="PatchWorkflowSvcHttpPost" type="tns:PatchWorkflowSvcHttpPost"><http:binding verb="POST" \/>/,
    );
    assert.match(
      r.body,
      /<wsdl:port name="PatchWorkflowSvcHttpPost" binding="tns:PatchWorkflowSvcHttpPost"><http:address location="http:\/\/[^"]+\/PatchWorkflowSvc\.asmx" \/>/,
    );
    assert.ok(r.body.includes('<s:element name="string" nillable="true" type="s:string" />'));
    const lower = await app.inject({ method: 'GET', url: `${PATH}?wsdl` });
    assert.equal(lower.body, r.body);
    const help = await app.inject({ method: 'GET', url: PATH });
    assert.match(help.body, /MyPrivileges/);
  });

  it('accepts a SOAP 1.1 call without SOAPAction, and refuses one whose action and body disagree', async () => {
    const r = await app.inject({
      method: 'POST',
      url: PATH,
      headers: { authorization: admin, 'content-type': 'text/xml' },
      payload: envelope('soap11', 'MyPrivileges', {}),
    });
    assert.equal(read('soap11', 'MyPrivileges', r.statusCode, r.body, r.headers).result, allPrivileges);
    const d = await app.inject({
      method: 'POST',
      url: PATH,
      headers: { authorization: admin, 'content-type': 'text/xml', soapaction: `"${NS}IsStaged"` },
      payload: envelope('soap11', 'MyPrivileges', {}),
    });
    assert.equal(read('soap11', 'MyPrivileges', d.statusCode, d.body, d.headers).faultCode, 'soap:Client');
  });
});
