import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../../core/advisories/fixtures');
const read = (p: string) => readFileSync(join(fixtures, p), 'utf8');

// The catalog through the native API: import, search, enable/disable, CVEs, custom severities.
eachDriver('catalog API', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let w: World;
  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
  });

  test('importing a file twice changes nothing the second time; a bad record is reported with its location', async () => {
    const body = { format: 'osv', fileName: 'DSA-3029-1.json', content: read('osv/DSA-3029-1.json') };
    const first = await admin.post('/api/v1/catalog/import', body);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual([first.body.imported, first.body.unchanged, first.body.errors], [1, 0, []]);
    const second = await admin.post('/api/v1/catalog/import', body);
    assert.deepEqual([second.body.imported, second.body.unchanged], [0, 1]);

    const mixed = await admin.post('/api/v1/catalog/import', {
      format: 'osv',
      fileName: 'mixed.json',
      content: read('written/osv-array-with-bad-record.json'),
    });
    assert.equal(mixed.status, 200);
    assert.ok(mixed.body.imported >= 1, 'the good records still import');
    assert.equal(mixed.body.errors.length, 1);
    assert.match(mixed.body.errors[0].location, /mixed\.json#\/\d+/);
  });

  test('bulletins: search, get, disable with who and when; CVE view', async () => {
    const list = await admin.get('/api/v1/bulletins?q=DSA-3029');
    assert.equal(list.status, 200);
    const b = list.body.items.find((x: { externalId: string }) => x.externalId === 'DSA-3029-1');
    assert.ok(b, JSON.stringify(list.body).slice(0, 400));
    const one = await admin.get(`/api/v1/bulletins/${b.id}`);
    assert.ok(JSON.stringify(one.body).includes('CVE-2014-3616'));
    const off = await admin.post(`/api/v1/bulletins/${b.id}/disable`);
    assert.equal(off.status, 200);
    const ev = await admin.get('/api/v1/events?kind=bulletin.disabled');
    assert.equal(ev.body.items[0].actor.name, 'admin');
    const cve = await admin.get('/api/v1/cves/CVE-2014-3616');
    assert.equal(cve.status, 200);
    assert.ok(JSON.stringify(cve.body).includes('DSA-3029-1'));
    assert.equal((await admin.get('/api/v1/cves/CVE-1999-0000')).status, 404);
  });

  test('a viewer reads the catalog but imports nothing; custom severities stay in their organization', async () => {
    const v = await scopedUser(admin, 'cat-viewer', w.orgA.id, 'Viewer');
    const viewer = await signIn(app, 'cat-viewer', v.password);
    assert.equal((await viewer.get('/api/v1/bulletins')).status, 200);
    const imp = await viewer.post('/api/v1/catalog/import', {
      format: 'osv',
      fileName: 'x.json',
      content: read('osv/DSA-3029-1.json'),
    });
    assert.equal(imp.status, 403);

    const put = await admin.call('PUT', `/api/v1/organizations/${w.orgA.id}/custom-severities`, [
      { order: 1, name: 'Patch now', level: 'critical' },
      { order: 2, name: 'Next window', level: 'medium' },
    ]);
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const got = await viewer.get(`/api/v1/organizations/${w.orgA.id}/custom-severities`);
    assert.deepEqual(JSON.stringify(got.body).match(/Patch now|Next window/g), ['Patch now', 'Next window']);
    assert.equal((await viewer.get(`/api/v1/organizations/${w.orgB.id}/custom-severities`)).status, 404);
    const bad = await admin.call('PUT', `/api/v1/organizations/${w.orgA.id}/custom-severities`, [
      { order: 1, name: 'a|b', level: 'high' },
    ]);
    assert.equal(bad.status, 400);
  });
});
