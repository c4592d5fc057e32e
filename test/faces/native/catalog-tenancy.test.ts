import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { systemContext } from '../../../src/services/context.ts';
import { ingestScan } from '../../../src/services/scans.ts';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../../core/advisories/fixtures');

// Vendor advisories are shared; what a tenant's devices report is that tenant's. Organization B's device
// reports a package and a CVE no advisory knows (and a CVE of its own on an update both organizations
// have); a user scoped to organization A finds none of it, however she asks, while she still finds what
// her own devices reported and everything vendors published. Changing the shared catalog needs
// `administer` over every organization, and other tenants are not told who changed it.
eachDriver('catalog tenancy through the native API', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let alice: Client; // Operator scoped to organization A (has import_catalog)
  let w: World;
  const ids = { bravo: 0, alpha: 0, nginx: 0, bulletin: 0 };
  const idsOf = (r: { body: { items: { id: number }[] } }) => r.body.items.map((x) => x.id);

  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
    const a = await scopedUser(admin, 'alice', w.orgA.id, 'Operator');
    alice = await signIn(app, 'alice', a.password);
    const sys = systemContext(h.store(), 'test-agent');
    const pkg = (name: string, version: string, cves: string[] = []) => ({
      kind: 'deb' as const,
      name,
      version,
      architecture: 'amd64',
      isSecurity: cves.length > 0,
      cves,
      detection: 'missing' as const,
    });
    await ingestScan(sys, w.deviceB.id, {
      full: false,
      updates: [
        pkg('bravo-secret-agent', '7.3.1-1', ['CVE-2099-0042']),
        // the same update organization A has, with a CVE only organization B reported for it
        pkg('openssl', '3.0.22-1~deb12u2', ['CVE-2099-0043']),
        // a package a vendor advisory knows (DSA-3029-1 fixes nginx at this version): shared once imported
        pkg('nginx', '1.2.1-2.2+wheezy3'),
      ],
    });
    await ingestScan(sys, w.deviceA.id, {
      full: false,
      updates: [pkg('alpha-only-tool', '2.0.0-1', ['CVE-2099-0007'])],
    });
    const imp = await admin.post('/api/v1/catalog/import', {
      format: 'osv',
      fileName: 'DSA-3029-1.json',
      content: readFileSync(join(fixtures, 'osv/DSA-3029-1.json'), 'utf8'),
    });
    assert.equal(imp.status, 200, JSON.stringify(imp.body));
    const all = await admin.get('/api/v1/updates?limit=500');
    const byName = new Map(all.body.items.map((u: { name: string; id: number }) => [u.name, u]));
    const get = (n: string) => byName.get(n) as { id: number; bulletin: { id: number } | null };
    ids.bravo = get('bravo-secret-agent').id;
    ids.alpha = get('alpha-only-tool').id;
    ids.nginx = get('nginx').id;
    assert.ok(get('nginx').bulletin, 'the import linked nginx to its advisory');
    ids.bulletin = get('nginx').bulletin!.id;
  });

  test("another tenant's learned update is found by no catalog search", async () => {
    for (const url of [
      '/api/v1/updates?q=bravo',
      '/api/v1/updates?q=secret-agent',
      '/api/v1/updates?packageName=bravo-secret-agent',
      '/api/v1/updates?cve=CVE-2099-0042',
      '/api/v1/updates?cve=CVE-2099-0043',
      '/api/v1/updates?kind=deb&q=bravo&sort=-id',
    ]) {
      const r = await alice.get(url);
      assert.equal(r.status, 200, url);
      assert.deepEqual(r.body.items, [], `${url} → ${JSON.stringify(r.body.items)}`);
      assert.equal(r.body.total, 0, url);
    }
    const all = await alice.get('/api/v1/updates?limit=500');
    assert.ok(!idsOf(all).includes(ids.bravo));
    assert.doesNotMatch(JSON.stringify(all.body), /bravo-secret|CVE-2099-0042|CVE-2099-0043/);
    for (const staged of [true, false]) {
      const s = await alice.get(`/api/v1/staging/updates?staged=${staged}&limit=500`);
      assert.equal(s.status, 200);
      assert.ok(!idsOf(s).includes(ids.bravo), `staging list (staged=${staged}) shows it`);
    }
  });

  test("an id of another tenant's learned update answers 404 like any unseen object", async () => {
    const r = await alice.get(`/api/v1/staging/updates/${ids.bravo}`);
    assert.equal(r.status, 404, JSON.stringify(r.body));
    assert.doesNotMatch(JSON.stringify(r.body), /bravo-secret/);
    for (const url of [
      `/api/v1/organizations/${w.orgA.id}/updates/approve`,
      `/api/v1/devices/${w.deviceA.id}/updates/ignore`,
    ]) {
      const a = await alice.post(url, { updateIds: [ids.bravo] });
      assert.equal(a.status, 404, `${url} → ${a.status} ${JSON.stringify(a.body)}`);
    }
  });

  test("another tenant's learned CVE is found by no CVE search", async () => {
    for (const url of [
      '/api/v1/cves?q=2099-0042',
      '/api/v1/cves?q=CVE-2099',
      '/api/v1/cves?limit=500',
      '/api/v1/cves?severity=unknown&limit=500',
    ]) {
      const r = await alice.get(url);
      assert.equal(r.status, 200, url);
      assert.doesNotMatch(JSON.stringify(r.body), /CVE-2099-0042|CVE-2099-0043/, url);
    }
    for (const cve of ['CVE-2099-0042', 'CVE-2099-0043']) {
      const r = await alice.get(`/api/v1/cves/${cve}`);
      assert.equal(r.status, 404, `${cve} → ${r.status}`);
    }
    // nor on her own device's update that organization B tied it to
    const d = await alice.get(`/api/v1/devices/${w.deviceA.id}/updates?limit=500`);
    assert.equal(d.status, 200);
    assert.doesNotMatch(JSON.stringify(d.body), /CVE-2099-0043/);
    const byCve = await alice.get(`/api/v1/devices/${w.deviceA.id}/updates?cve=CVE-2099-0043`);
    assert.deepEqual(byCve.body.items, []);
  });

  test('a tenant still finds what its own devices reported, and every vendor row', async () => {
    const own = await alice.get('/api/v1/updates?q=alpha-only');
    assert.deepEqual(idsOf(own), [ids.alpha]);
    assert.deepEqual(own.body.items[0].cves, ['CVE-2099-0007']);
    assert.deepEqual(idsOf(await alice.get('/api/v1/updates?packageName=alpha-only-tool')), [ids.alpha]);
    assert.deepEqual(idsOf(await alice.get('/api/v1/updates?cve=CVE-2099-0007')), [ids.alpha]);
    assert.equal((await alice.get(`/api/v1/staging/updates/${ids.alpha}`)).status, 200);
    const cves = await alice.get('/api/v1/cves?q=2099');
    assert.deepEqual(
      cves.body.items.map((c: { id: string }) => c.id),
      ['CVE-2099-0007'],
    );
    assert.equal((await alice.get('/api/v1/cves/CVE-2099-0007')).status, 200);
    // an update both organizations reported, with the CVE both reported
    const openssl = await alice.get('/api/v1/updates?q=openssl');
    assert.equal(openssl.body.items.length, 1);
    assert.deepEqual(openssl.body.items[0].cves, ['CVE-2026-0001']);
    // vendor rows: the advisory, its CVE, and the update organization B reported that the advisory knows
    const nginx = await alice.get('/api/v1/updates?q=nginx');
    assert.deepEqual(idsOf(nginx), [ids.nginx]);
    assert.ok(nginx.body.items[0].cves.includes('CVE-2014-3616'));
    assert.equal((await alice.get('/api/v1/cves/CVE-2014-3616')).status, 200);
    const b = await alice.get(`/api/v1/bulletins/${ids.bulletin}`);
    assert.equal(b.status, 200);
    assert.deepEqual(b.body.updateIds, [ids.nginx]);
    assert.ok(idsOf(await alice.get('/api/v1/bulletins?q=DSA-3029')).includes(ids.bulletin));
  });

  test('an administrator over every organization finds everything', async () => {
    assert.deepEqual(idsOf(await admin.get('/api/v1/updates?q=bravo')), [ids.bravo]);
    assert.deepEqual(idsOf(await admin.get('/api/v1/updates?packageName=bravo-secret-agent')), [ids.bravo]);
    assert.equal((await admin.get(`/api/v1/staging/updates/${ids.bravo}`)).status, 200);
    const s = await admin.get('/api/v1/staging/updates?staged=false&limit=500');
    assert.ok(idsOf(s).includes(ids.bravo));
    const cves = await admin.get('/api/v1/cves?q=2099');
    assert.deepEqual(
      cves.body.items.map((c: { id: string }) => c.id),
      ['CVE-2099-0007', 'CVE-2099-0042', 'CVE-2099-0043'],
    );
    assert.equal((await admin.get('/api/v1/cves/CVE-2099-0042')).status, 200);
    const openssl = await admin.get('/api/v1/updates?q=openssl');
    assert.deepEqual(openssl.body.items[0].cves, ['CVE-2026-0001', 'CVE-2099-0043']);
    // and organization B's own devices show B's CVE
    const d = await admin.get(`/api/v1/devices/${w.deviceB.id}/updates?cve=CVE-2099-0043`);
    assert.equal(d.body.items.length, 1);
  });

  test('a CVE only a device reported becomes shared once an import knows it', async () => {
    const kev = await admin.post('/api/v1/catalog/import', {
      format: 'kev',
      fileName: 'kev.json',
      content: JSON.stringify({
        title: 'CISA Catalog of Known Exploited Vulnerabilities',
        catalogVersion: '2099.01.01',
        dateReleased: '2099-01-01T00:00:00.000Z',
        count: 1,
        vulnerabilities: [
          {
            cveID: 'CVE-2099-0042',
            vendorProject: 'Bravo',
            product: 'agent',
            vulnerabilityName: 'test',
            dateAdded: '2099-01-01',
            shortDescription: 'test',
            requiredAction: 'patch',
            dueDate: '2099-01-22',
          },
        ],
      }),
    });
    assert.equal(kev.status, 200, JSON.stringify(kev.body));
    assert.equal(kev.body.imported, 1, JSON.stringify(kev.body));
    const r = await alice.get('/api/v1/cves/CVE-2099-0042');
    assert.equal(r.status, 200);
    assert.equal(r.body.knownExploited, true);
    // the update organization B reported with it stays B's
    assert.deepEqual((await alice.get('/api/v1/updates?cve=CVE-2099-0042')).body.items, []);
  });

  test('changing the shared catalog needs administer over every organization', async () => {
    const before = await admin.get(`/api/v1/bulletins/${ids.bulletin}`);
    assert.equal(before.body.enabled, true);
    for (const [url, body] of [
      [`/api/v1/bulletins/${ids.bulletin}/disable`, {}],
      [`/api/v1/bulletins/${ids.bulletin}/enable`, {}],
      [
        '/api/v1/catalog/import',
        {
          format: 'osv',
          fileName: 'DSA-3029-1.json',
          content: readFileSync(join(fixtures, 'osv/DSA-3029-1.json'), 'utf8'),
        },
      ],
      ['/api/v1/staging/ensure', { updateIds: [ids.alpha] }],
    ] as [string, unknown][]) {
      const r = await alice.post(url, body);
      assert.equal(r.status, 403, `${url} → ${r.status} ${JSON.stringify(r.body)}`);
    }
    const after = await admin.get(`/api/v1/bulletins/${ids.bulletin}`);
    assert.equal(after.body.enabled, true, 'the bulletin is still enabled for everyone');
    assert.equal(after.body.enabledChangedBy, null);
  });

  test('who disabled a bulletin is named only to callers over every organization', async () => {
    const off = await admin.post(`/api/v1/bulletins/${ids.bulletin}/disable`);
    assert.equal(off.status, 200);
    assert.equal(off.body.enabledChangedBy, 'admin');
    const one = await alice.get(`/api/v1/bulletins/${ids.bulletin}`);
    assert.equal(one.body.enabled, false);
    assert.equal(one.body.enabledChangedBy, null);
    const list = await alice.get('/api/v1/bulletins?q=DSA-3029');
    const b = list.body.items.find((x: { id: number }) => x.id === ids.bulletin);
    assert.equal(b.enabledChangedBy, null);
    assert.doesNotMatch(JSON.stringify(list.body) + JSON.stringify(one.body), /"admin"/);
    const cve = await alice.get('/api/v1/cves/CVE-2014-3616');
    assert.doesNotMatch(JSON.stringify(cve.body), /"admin"/);
    assert.equal((await admin.get(`/api/v1/bulletins/${ids.bulletin}`)).body.enabledChangedBy, 'admin');
    assert.equal((await admin.post(`/api/v1/bulletins/${ids.bulletin}/enable`)).status, 200);
  });
});
