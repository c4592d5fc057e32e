import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { systemContext } from '../../../src/services/context.ts';
import { ingestScan } from '../../../src/services/scans.ts';
import { ALL_ACCESS } from '../../../src/core/access.ts';
import { summarize, summarizeNaive } from '../../../src/store/repos/compliance-repo.ts';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';

eachDriver('compliance API', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let w: World;
  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
  });
  after(async () => app?.close());

  test('an organization of the world: every update missing, both CVEs open on both devices', async () => {
    const r = await admin.get(`/api/v1/compliance?organizationId=${w.orgA.id}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.scope, { kind: 'organization', id: w.orgA.id, organizationId: w.orgA.id });
    assert.deepEqual(r.body.devices, {
      devices: 2,
      scanned: 2,
      fullyPatched: 0,
      needingReboot: 0,
      notSeenRecently: 2, // created through the API, never seen by an agent
    });
    assert.deepEqual(r.body.updates.totals, { missing: 6, pending: 0, failed: 0, installed: 0 });
    assert.equal(r.body.updates.bySeverity.critical.missing, 2);
    assert.equal(r.body.updates.bySeverity.high.missing, 2);
    assert.equal(r.body.updates.bySeverity.low.missing, 2);
    assert.equal(r.body.updates.bySeverity.medium.missing, 0);
    assert.equal(r.body.cves.open, 2);
    assert.deepEqual(r.body.cves.top.map((c: { id: string; devices: number }) => [c.id, c.devices]).sort(), [
      ['CVE-2024-3094', 2],
      ['CVE-2026-0001', 2],
    ]);
  });

  test('installs, a failure and a reboot move the numbers; the trigger-kept summary equals the naive aggregate', async () => {
    const sys = systemContext(h.store(), 'test-agent');
    // web-1: openssl installed now, reboot needed; web-2: everything installed (full snapshot of nothing missing)
    await ingestScan(sys, w.deviceA.id, {
      full: false,
      rebootRequired: true,
      updates: [
        {
          kind: 'deb',
          name: 'openssl',
          version: '3.0.22-1~deb12u2',
          architecture: 'amd64',
          isSecurity: true,
          severity: 'high',
          detection: 'installed',
        },
      ],
    });
    await ingestScan(sys, w.deviceA2.id, { full: true, updates: [] });
    await h
      .store()
      .db.updateTable('device_updates')
      .set({ status: 'failed' })
      .where('device_id', '=', w.deviceA.id)
      .where('update_id', '=', w.updates.liblzma5)
      .execute();

    const org = await admin.get(`/api/v1/compliance?organizationId=${w.orgA.id}`);
    assert.equal(org.status, 200);
    assert.equal(org.body.devices.fullyPatched, 1);
    assert.equal(org.body.devices.needingReboot, 1);
    assert.deepEqual(org.body.updates.totals, { missing: 1, pending: 0, failed: 1, installed: 4 });
    assert.deepEqual(org.body.updates.bySeverity.critical, {
      missing: 0,
      pending: 0,
      failed: 1,
      installed: 1,
    });
    assert.deepEqual(org.body.updates.bySeverity.high, { missing: 0, pending: 0, failed: 0, installed: 2 });
    assert.equal(org.body.cves.open, 1, 'only liblzma5 (failed on web-1) still leaves a CVE open');
    assert.deepEqual(
      org.body.cves.top.map((c: { id: string; devices: number }) => [c.id, c.devices]),
      [['CVE-2024-3094', 1]],
    );

    const device = await admin.get(`/api/v1/compliance?deviceId=${w.deviceA2.id}`);
    assert.equal(device.status, 200);
    assert.equal(device.body.devices.fullyPatched, 1);
    assert.equal(device.body.cves.open, 0);
    assert.deepEqual(device.body.updates.totals, { missing: 0, pending: 0, failed: 0, installed: 3 });

    // the group view covers subgroups: Servers holds Web, which holds both devices
    const group = await admin.get(`/api/v1/compliance?groupId=${w.groupA.id}`);
    assert.equal(group.status, 200);
    assert.deepEqual(group.body.updates, org.body.updates);
    assert.deepEqual(group.body.cves, org.body.cves);

    // a severity change in the catalog moves the counts (the updates trigger recounts)
    await h
      .store()
      .db.updateTable('updates')
      .set({ severity: 'medium' })
      .where('id', '=', w.updates.tzdata)
      .execute();
    const since = new Date(Date.now() - 7 * 86_400_000);
    for (const org of [w.orgA.id, w.orgB.id]) {
      const set = { kind: 'organization', organizationId: org } as const;
      const kept = await summarize(h.store().db, ALL_ACCESS, set, since);
      const naive = await summarizeNaive(h.store().db, ALL_ACCESS, set, since);
      assert.deepEqual(kept, naive);
    }
    const after = await admin.get(`/api/v1/compliance?organizationId=${w.orgA.id}`);
    assert.deepEqual(after.body.updates.bySeverity.medium, {
      missing: 1,
      pending: 0,
      failed: 0,
      installed: 1,
    });
    assert.deepEqual(after.body.updates.bySeverity.low, { missing: 0, pending: 0, failed: 0, installed: 0 });

    // deleting a device takes its counts away
    assert.equal((await admin.del(`/api/v1/devices/${w.deviceA2.id}`)).status, 204);
    const gone = await admin.get(`/api/v1/compliance?organizationId=${w.orgA.id}`);
    assert.equal(gone.body.devices.devices, 1);
    assert.deepEqual(gone.body.updates.totals, { missing: 1, pending: 0, failed: 1, installed: 1 });
  });

  test('tenancy: outside the scope is not found; inside it is answered', async () => {
    const u = await scopedUser(admin, `bravo-viewer-${h.driver}`, w.orgB.id, 'Viewer');
    const bravo = await signIn(app, `bravo-viewer-${h.driver}`, u.password);
    for (const q of [`organizationId=${w.orgA.id}`, `groupId=${w.subA.id}`, `deviceId=${w.deviceA.id}`]) {
      const r = await bravo.get(`/api/v1/compliance?${q}`);
      assert.equal(r.status, 404, `${q}: ${JSON.stringify(r.body)}`);
    }
    const own = await bravo.get(`/api/v1/compliance?organizationId=${w.orgB.id}`);
    assert.equal(own.status, 200);
    assert.equal(own.body.devices.devices, 1);
    assert.deepEqual(own.body.updates.totals, { missing: 3, pending: 0, failed: 0, installed: 0 });
    assert.equal((await bravo.get(`/api/v1/compliance?deviceId=${w.deviceB.id}`)).status, 200);
  });

  test('bad input says what is wrong; no credentials is 401', async () => {
    const none = await admin.get('/api/v1/compliance');
    assert.equal(none.status, 400);
    assert.match(JSON.stringify(none.body), /exactly one of organizationId, groupId and deviceId/);
    const two = await admin.get(`/api/v1/compliance?organizationId=${w.orgA.id}&deviceId=${w.deviceA.id}`);
    assert.equal(two.status, 400);
    assert.match(JSON.stringify(two.body), /given together with/);
    const anon = await app.inject({ method: 'GET', url: `/api/v1/compliance?organizationId=${w.orgA.id}` });
    assert.equal(anon.statusCode, 401);
  });

  test("open CVEs: a CVE another organization's devices taught the catalog is not shown", async () => {
    const sys = systemContext(h.store(), 'test-agent');
    const device = await admin.post('/api/v1/devices', {
      organizationId: w.orgA.id,
      groupId: w.subA.id,
      name: 'web-cve',
      osFamily: 'linux',
    });
    assert.equal(device.status, 201, JSON.stringify(device.body));
    // one update, missing in both organizations; only Bravo's agent knows a CVE of it (no import does)
    const libfoo = (cves: string[]) => ({
      full: false,
      updates: [
        {
          kind: 'deb' as const,
          name: 'libfoo',
          version: '1.2.3-1',
          architecture: 'amd64',
          isSecurity: true,
          severity: 'high',
          cves,
          detection: 'missing' as const,
        },
      ],
    });
    await ingestScan(sys, w.deviceB.id, libfoo(['CVE-2026-7777']));
    await ingestScan(sys, device.body.id, libfoo([]));
    const ids = (r: { body: { cves: { top: { id: string }[] } } }) => r.body.cves.top.map((c) => c.id);
    const bravo = await admin.get(`/api/v1/compliance?organizationId=${w.orgB.id}`);
    assert.ok(ids(bravo).includes('CVE-2026-7777'), JSON.stringify(bravo.body.cves));
    for (const q of [`organizationId=${w.orgA.id}`, `groupId=${w.subA.id}`, `deviceId=${device.body.id}`]) {
      const alpha = await admin.get(`/api/v1/compliance?${q}&topCves=100`);
      assert.equal(alpha.status, 200, JSON.stringify(alpha.body));
      assert.ok(!ids(alpha).includes('CVE-2026-7777'), `${q}: ${JSON.stringify(alpha.body.cves)}`);
      assert.equal(alpha.body.cves.open, alpha.body.cves.top.length, q);
    }
    // a scoped user of Alpha sees the shared CVEs of its devices and not Bravo's
    const u = await scopedUser(admin, `alpha-viewer-${h.driver}`, w.orgA.id, 'Viewer', w.subA.id);
    const alpha = await signIn(app, `alpha-viewer-${h.driver}`, u.password);
    const scoped = await alpha.get(`/api/v1/compliance?groupId=${w.subA.id}&topCves=100`);
    assert.equal(scoped.status, 200, JSON.stringify(scoped.body));
    assert.ok(!ids(scoped).includes('CVE-2026-7777'), JSON.stringify(scoped.body.cves));
  });
});
