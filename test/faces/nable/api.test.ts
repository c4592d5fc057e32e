import assert from 'node:assert/strict';
import { before, after, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';
import { apiKeyOf, errorCode, nsight } from './support.ts';

// The N-sight Data Extraction API dialect (issue 14): transport, keys, XML in ISO-8859-1, FAIL codes,
// describe, the directory services and the patch services with their codes, bad input and tenancy.

eachDriver('N-sight Data Extraction API', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let w: World;
  let key: string;
  let alphaKey: string;

  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
    key = await apiKeyOf(admin);
    const u = await scopedUser(admin, 'nsight-alpha', w.orgA.id, 'Administrator');
    alphaKey = await apiKeyOf(await signIn(app, 'nsight-alpha', u.password));
  });
  after(async () => app?.close());

  const patches = async (k: string, deviceid: number) => {
    const a = await nsight(app, { apikey: k, service: 'patch_list_all', deviceid });
    assert.equal(a.status, 200, a.text);
    const list = (a.doc.patches?.patch ?? []) as Record<string, string>[];
    return new Map(list.map((p) => [Number(p.patchid), p]));
  };

  test('transport: GET and POST forms, /api and /api/, XML in ISO-8859-1 with CDATA', async () => {
    const get = await nsight(app, { apikey: key, service: 'list_clients' });
    assert.equal(get.status, 200);
    assert.match(get.contentType, /^text\/xml; charset=ISO-8859-1/i);
    assert.match(
      get.text,
      /^<\?xml version="1.0" encoding="ISO-8859-1"\?>\n<result created="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00" host="[^"]+" status="OK">/,
    );
    assert.match(get.text, /<name><!\[CDATA\[Alpha\]\]><\/name>/);
    const names = get.doc.result.items.client.map((c: { name: string }) => c.name);
    assert.ok(names.includes('Alpha') && names.includes('Bravo'));
    const post = await nsight(app, { apikey: key, service: 'list_clients' }, { method: 'POST' });
    assert.equal(post.status, 200);
    assert.deepEqual(post.doc.result.items, get.doc.result.items);
    const bare = await nsight(app, { apikey: key, service: 'list_clients' }, { path: '/api' });
    assert.deepEqual(bare.doc.result.items, get.doc.result.items);
    // the key in an Authorization header works as well
    const r = await app.inject({
      method: 'GET',
      url: '/api/?service=list_clients',
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(r.statusCode, 200);
  });

  test('bad or missing key: FAIL with error code 3; unknown service: 1; describe=1 describes', async () => {
    for (const apikey of ['', 'plk_' + 'x'.repeat(40), 'nonsense']) {
      const a = await nsight(app, { apikey, service: 'list_clients' });
      assert.equal(a.status, 401);
      assert.equal(a.doc.result['@_status'], 'FAIL');
      assert.equal(errorCode(a), 3, a.text);
      assert.ok(a.doc.result.error.message);
    }
    const unknown = await nsight(app, { apikey: key, service: 'list_everything' });
    assert.equal(errorCode(unknown), 1);
    assert.match(unknown.doc.result.error.message, /unknown service 'list_everything'/);
    assert.equal(errorCode(await nsight(app, { apikey: key })), 1);
    // the key is checked first: a bad key with an unknown service is still a bad key
    assert.equal(errorCode(await nsight(app, { apikey: 'nonsense', service: 'list_everything' })), 3);

    const d = await nsight(app, { apikey: key, service: 'patch_approve', describe: 1 });
    assert.equal(d.status, 200);
    const svc = d.doc.result.service;
    assert.equal(svc.name, 'patch_approve');
    assert.deepEqual(
      svc.parameters.parameter.map((p: { name: string; required: string }) => `${p.name}:${p.required}`),
      ['describe:no', 'deviceid:yes', 'patchids:yes'],
    );
    const list = await nsight(app, { apikey: key, service: 'patch_list_all', describe: 'true' });
    const fieldNames = list.doc.result.service.output.field.map((f: { name: string }) => f.name);
    for (const f of [
      'patchid',
      'policy',
      'status',
      'title',
      'kbid',
      'severity',
      'category',
      'discovered',
      'installed_date',
    ])
      assert.ok(fieldNames.includes(f), f);
    // describe runs nothing: the device id is not even looked at
    assert.equal((await nsight(app, { apikey: key, service: 'patch_ignore', describe: 1 })).status, 200);
  });

  test('characters beyond ISO-8859-1 come out as character references', async () => {
    const org = await admin.post('/api/v1/organizations', {
      name: 'Zürich € 東京 \u{1F600} ]]> & <x>',
      ref: 'intl',
    });
    assert.equal(org.status, 201, JSON.stringify(org.body));
    const a = await nsight(app, { apikey: key, service: 'list_clients' });
    assert.equal(a.status, 200);
    assert.ok(!a.raw.includes(Buffer.from('€', 'utf8')), 'no UTF-8 bytes');
    assert.match(a.text, /Z\xfcrich &#8364; &#26481;&#20140; &#128512; \]\]&gt; &amp; &lt;x&gt;/);
    const names = a.doc.result.items.client.map((c: { name: string }) => c.name);
    assert.ok(names.includes('Zürich € 東京 \u{1F600} ]]> & <x>'), JSON.stringify(names));
    // Latin-1 text stays in CDATA, one byte a character
    await admin.patch(`/api/v1/organizations/${org.body.id}`, { name: 'Zürich' });
    const b = await nsight(app, { apikey: key, service: 'list_clients' });
    assert.ok(b.raw.includes(Buffer.from('<![CDATA[Z\xfcrich]]>', 'latin1')));
  });

  test('directory: clients, sites, servers and workstations, devices at a client, device details', async () => {
    const byType = async (devicetype: string) =>
      (
        (await nsight(app, { apikey: key, service: 'list_clients', devicetype })).doc.result.items?.client ??
        []
      ).map((c: { name: string }) => c.name);
    assert.deepEqual(await byType('server'), ['Alpha', 'Bravo']);
    assert.deepEqual(await byType('workstation'), []);
    assert.deepEqual(await byType('mobile_device'), []);
    const sites = await nsight(app, { apikey: key, service: 'list_sites', clientid: w.orgA.id });
    assert.equal(sites.status, 200, sites.text);
    const siteList = sites.doc.result.items.site as { siteid: string; name: string }[];
    const servers = siteList.find((s) => s.name === 'Servers');
    assert.ok(servers, JSON.stringify(siteList));
    assert.ok(!siteList.some((s) => s.name === 'Web'), 'a group under a site is no site');
    const inSite = await nsight(app, { apikey: key, service: 'list_servers', siteid: servers.siteid });
    assert.deepEqual(inSite.doc.result.items.server.map((d: { name: string }) => d.name).sort(), [
      'web-1',
      'web-2',
    ]);
    const ws = await nsight(app, { apikey: key, service: 'list_workstations', siteid: servers.siteid });
    assert.equal(ws.doc.result.items.workstation, undefined);
    const web = siteList.find((s) => s.name === 'Web');
    assert.equal(web, undefined);
    const atClient = await nsight(app, {
      apikey: key,
      service: 'list_devices_at_client',
      clientid: w.orgA.id,
      devicetype: 'server',
    });
    const siteEls = atClient.doc.result.items.client[0].site as { name: string; server?: { id: string }[] }[];
    assert.deepEqual(
      siteEls.flatMap((s) => (s.server ?? []).map((d) => Number(d.id))).sort((a, b) => a - b),
      [w.deviceA.id, w.deviceA2.id].sort((a, b) => a - b),
    );
    const details = await nsight(app, {
      apikey: key,
      service: 'list_device_monitoring_details',
      deviceid: w.deviceA.id,
    });
    assert.equal(Number(details.doc.result.server[0].id), w.deviceA.id);
    assert.equal(Number(details.doc.result.server[0].siteid), Number(servers.siteid));
    const missingType = await nsight(app, {
      apikey: key,
      service: 'list_devices_at_client',
      clientid: w.orgA.id,
    });
    assert.equal(errorCode(missingType), 4);
  });

  test('patch codes: approve 66, ignore 65, do nothing 68, inherit back to 4; status 2 for approved', async () => {
    const d = w.deviceA2.id;
    const before = await patches(key, d);
    assert.equal(before.size, 3);
    for (const p of before.values()) {
      assert.equal(p.policy, '4');
      assert.equal(p.status, '1');
    }
    const { openssl, liblzma5, tzdata } = w.updates;
    const call = (service: string, patchids: string) =>
      nsight(app, { apikey: key, service, deviceid: d, patchids });
    const ok = await call('patch_approve', `${openssl}, ${liblzma5}`);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.doc.result['@_status'], 'OK');
    let now = await patches(key, d);
    assert.deepEqual([now.get(openssl)!.policy, now.get(openssl)!.status], ['66', '2']);
    assert.deepEqual([now.get(liblzma5)!.policy, now.get(liblzma5)!.status], ['66', '2']);
    await call('patch_ignore', String(tzdata));
    now = await patches(key, d);
    assert.deepEqual([now.get(tzdata)!.policy, now.get(tzdata)!.status], ['65', '23']);
    await call('patch_do_nothing', String(liblzma5));
    now = await patches(key, d);
    assert.deepEqual([now.get(liblzma5)!.policy, now.get(liblzma5)!.status], ['68', '1']);
    await call('patch_inherit', `${tzdata},${liblzma5}`);
    now = await patches(key, d);
    assert.deepEqual([now.get(tzdata)!.policy, now.get(tzdata)!.status], ['4', '1']);
    assert.deepEqual([now.get(liblzma5)!.policy, now.get(liblzma5)!.status], ['4', '1']);
    // an approval on the group (by a user, inherited here) shows as set by policy: 2
    const g = await admin.post(`/api/v1/groups/${w.subA.id}/updates/approve`, { updateIds: [tzdata] });
    assert.equal(g.status, 200, JSON.stringify(g.body));
    now = await patches(key, d);
    assert.deepEqual([now.get(tzdata)!.policy, now.get(tzdata)!.status], ['2', '2']);
    // retry of patches that did not fail: already applied, nothing changes
    const r = await call('patch_retry', `${openssl},${tzdata}`);
    assert.equal(r.doc.result.msg, `Patches already applied: ${openssl},${tzdata}`);
  });

  test('POST forms run the patch services too; a key without the approve privilege gets code 5', async () => {
    const d = w.deviceA.id;
    const { tzdata } = w.updates;
    const post = await nsight(
      app,
      { apikey: key, service: 'patch_ignore', deviceid: d, patchids: String(tzdata) },
      { method: 'POST' },
    );
    assert.equal(post.status, 200, post.text);
    assert.equal((await patches(key, d)).get(tzdata)!.policy, '65');
    const u = await scopedUser(admin, 'nsight-viewer', w.orgA.id, 'Viewer');
    const viewerKey = await apiKeyOf(await signIn(app, 'nsight-viewer', u.password));
    assert.equal((await patches(viewerKey, d)).size, 3, 'a viewer lists');
    const denied = await nsight(app, {
      apikey: viewerKey,
      service: 'patch_inherit',
      deviceid: d,
      patchids: tzdata,
    });
    assert.equal(denied.status, 403);
    assert.equal(errorCode(denied), 5);
    assert.equal((await patches(key, d)).get(tzdata)!.policy, '65', 'unchanged');
    await nsight(app, { apikey: key, service: 'patch_inherit', deviceid: d, patchids: tzdata });
    // inherited again: the approval on its group (set in the codes test above) governs, by policy: 2
    assert.deepEqual(
      [(await patches(key, d)).get(tzdata)!.policy, (await patches(key, d)).get(tzdata)!.status],
      ['2', '2'],
    );
  });

  test('bad input: missing deviceid, malformed patchids, unknown patch: FAIL 4 and nothing changes', async () => {
    const d = w.deviceA.id;
    const before = (await patches(key, d)).size ? await patches(key, d) : new Map();
    const snapshot = JSON.stringify([...before.values()]);
    const cases: Record<string, string | number>[] = [
      { service: 'patch_approve', patchids: w.updates.openssl },
      { service: 'patch_list_all' },
      { service: 'patch_list_all', deviceid: 'abc' },
      { service: 'patch_list_all', deviceid: '0x1F' },
      { service: 'patch_list_all', deviceid: '99999999999999999999' },
      { service: 'patch_approve', deviceid: d },
      { service: 'patch_approve', deviceid: d, patchids: '' },
      { service: 'patch_approve', deviceid: d, patchids: '1,,2' },
      { service: 'patch_approve', deviceid: d, patchids: 'a,b' },
      { service: 'patch_approve', deviceid: d, patchids: '-1' },
      { service: 'patch_ignore', deviceid: d, patchids: `${w.updates.openssl},987654321` },
      { service: 'patch_retry', deviceid: d, patchids: `987654321` },
      { service: 'list_sites', clientid: '1.5' },
      { service: 'list_clients', devicetype: 'toaster' },
      { service: 'patch_list_all', deviceid: d, describe: 'maybe' },
    ];
    for (const c of cases) {
      const a = await nsight(app, { apikey: key, ...c });
      assert.equal(a.doc.result?.['@_status'], 'FAIL', `${JSON.stringify(c)}: ${a.text}`);
      assert.equal(errorCode(a), 4, `${JSON.stringify(c)}: ${a.text}`);
      assert.ok(a.status === 400 || a.status === 404, `${JSON.stringify(c)} → ${a.status}`);
    }
    const unknown = await nsight(app, {
      apikey: key,
      service: 'patch_ignore',
      deviceid: d,
      patchids: `${w.updates.openssl},987654321,987654322`,
    });
    assert.match(unknown.doc.result.error.message, /987654321, 987654322/);
    assert.equal(JSON.stringify([...(await patches(key, d)).values()]), snapshot, 'nothing changed');
    // a repeated parameter is refused too
    const r = await app.inject({
      method: 'GET',
      url: `/api/?apikey=${key}&service=patch_list_all&deviceid=${d}&deviceid=${d}`,
    });
    assert.equal(r.statusCode, 400);
  });

  test('tenancy: another organization answers exactly as what does not exist', async () => {
    const bravo = w.deviceB.id;
    const missing = 987654321;
    const same = async (params: Record<string, string | number>, idKey: string, other: number) => {
      const a = await nsight(app, { apikey: alphaKey, ...params, [idKey]: other });
      const b = await nsight(app, { apikey: alphaKey, ...params, [idKey]: missing });
      assert.equal(a.status, b.status, `${JSON.stringify(params)} ${a.text}`);
      assert.equal(errorCode(a), errorCode(b));
      assert.equal(
        a.doc.result.error.message.replace(String(other), 'ID'),
        b.doc.result.error.message.replace(String(missing), 'ID'),
      );
      assert.ok(!a.text.includes('Bravo') && !a.text.includes('db-1'));
    };
    await same({ service: 'patch_list_all' }, 'deviceid', bravo);
    await same({ service: 'list_device_monitoring_details' }, 'deviceid', bravo);
    await same({ service: 'patch_approve', patchids: w.updates.openssl }, 'deviceid', bravo);
    await same({ service: 'patch_retry', patchids: w.updates.openssl }, 'deviceid', bravo);
    await same({ service: 'list_sites' }, 'clientid', w.orgB.id);
    await same({ service: 'list_devices_at_client', devicetype: 'server' }, 'clientid', w.orgB.id);
    await same({ service: 'list_servers' }, 'siteid', w.groupB.id);
    const clients = await nsight(app, { apikey: alphaKey, service: 'list_clients' });
    assert.deepEqual(
      clients.doc.result.items.client.map((c: { name: string }) => c.name),
      ['Alpha'],
    );
    // Bravo's patches are unchanged
    const bravoPatches = await patches(key, bravo);
    for (const p of bravoPatches.values()) assert.equal(p.policy, '4');
  });
});
