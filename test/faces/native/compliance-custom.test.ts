import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { ALL_ACCESS } from '../../../src/core/access.ts';
import { systemContext } from '../../../src/services/context.ts';
import { ingestScan } from '../../../src/services/scans.ts';
import {
  summarizeByCustomSeverity,
  summarizeByCustomSeverityNaive,
  type DeviceSet,
} from '../../../src/store/repos/compliance-repo.ts';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';

// Compliance by an organization's custom severities (Altiris: custom severities, SetSeverityLevel): a
// bulletin given a custom severity in an organization counts its updates under that name there.

const zero = { missing: 0, pending: 0, failed: 0, installed: 0 };

eachDriver('compliance by custom severity', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let w: World;
  let kernel: number; // bulletin of openssl and liblzma5
  let tz: number; // bulletin of tzdata
  const put = (path: string, body: unknown) => admin.call('PUT', path, body);
  const summary = async (q: string) => {
    const r = await admin.get(`/api/v1/compliance?${q}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.updates as {
      totals: typeof zero;
      byCustomSeverity: { order: number; name: string; level: string; counts: typeof zero }[];
      withoutCustomSeverity: typeof zero;
    };
  };
  /** the trigger-kept counts equal the aggregate over device_updates, for every view of both organizations */
  const keptEqualsNaive = async () => {
    const sets: DeviceSet[] = [
      { kind: 'organization', organizationId: w.orgA.id },
      { kind: 'organization', organizationId: w.orgB.id },
      { kind: 'groups', organizationId: w.orgA.id, groupIds: [w.subA.id] },
      { kind: 'device', organizationId: w.orgA.id, deviceId: w.deviceA.id },
      { kind: 'device', organizationId: w.orgB.id, deviceId: w.deviceB.id },
    ];
    for (const set of sets) {
      const kept = await summarizeByCustomSeverity(h.store().db, ALL_ACCESS, set);
      const naive = await summarizeByCustomSeverityNaive(h.store().db, ALL_ACCESS, set);
      assert.deepEqual(
        Object.fromEntries([...kept].sort()),
        Object.fromEntries([...naive].sort()),
        JSON.stringify(set),
      );
    }
  };

  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
    const db = h.store().db;
    const mk = async (externalId: string) =>
      Number(
        (
          await db
            .insertInto('bulletins')
            .values({ source: 'test', external_id: externalId, title: externalId, data: {} })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id,
      );
    kernel = await mk('TEST-2026-0001');
    tz = await mk('TEST-2026-0002');
    await db
      .updateTable('updates')
      .set({ bulletin_id: kernel })
      .where('id', 'in', [w.updates.openssl, w.updates.liblzma5])
      .execute();
    await db.updateTable('updates').set({ bulletin_id: tz }).where('id', '=', w.updates.tzdata).execute();
  });
  after(async () => app?.close());

  test('without custom severities the summary lists none, and every update is without one', async () => {
    const u = await summary(`organizationId=${w.orgA.id}`);
    assert.deepEqual(u.byCustomSeverity, []);
    assert.deepEqual(u.withoutCustomSeverity, u.totals);
    assert.deepEqual(u.totals, { ...zero, missing: 6 });
  });

  test('bulletins given custom severities count under them, in the organization only', async () => {
    const defined = await put(`/api/v1/organizations/${w.orgA.id}/custom-severities`, [
      { order: 2, name: 'Whenever', level: 'low' },
      { order: 1, name: 'Patch Tuesday', level: 'high' },
    ]);
    assert.equal(defined.status, 200, JSON.stringify(defined.body));
    const set = await put(`/api/v1/organizations/${w.orgA.id}/bulletin-custom-severities`, {
      bulletinIds: [kernel],
      name: 'patch tuesday', // names match without regard to case
    });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual(set.body, { bulletinIds: [kernel], customSeverity: 'Patch Tuesday' });

    const org = await summary(`organizationId=${w.orgA.id}`);
    assert.deepEqual(org.byCustomSeverity, [
      { order: 1, name: 'Patch Tuesday', level: 'high', counts: { ...zero, missing: 4 } },
      { order: 2, name: 'Whenever', level: 'low', counts: zero },
    ]);
    assert.deepEqual(org.withoutCustomSeverity, { ...zero, missing: 2 });
    const device = await summary(`deviceId=${w.deviceA.id}`);
    assert.deepEqual(device.byCustomSeverity[0]!.counts, { ...zero, missing: 2 });
    assert.deepEqual(device.withoutCustomSeverity, { ...zero, missing: 1 });
    const group = await summary(`groupId=${w.subA.id}`);
    assert.deepEqual(group.byCustomSeverity, org.byCustomSeverity);

    // the other organization has the same updates, and no custom severity
    const bravo = await summary(`organizationId=${w.orgB.id}`);
    assert.deepEqual(bravo.byCustomSeverity, []);
    assert.deepEqual(bravo.withoutCustomSeverity, { ...zero, missing: 3 });
    await keptEqualsNaive();

    // the catalog, seen for an organization, shows each bulletin's custom severity there
    const list = await admin.get(`/api/v1/bulletins?q=TEST-2026&sort=id&organizationId=${w.orgA.id}`);
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.deepEqual(
      list.body.items.map((b: { id: number; customSeverity: string | null }) => [b.id, b.customSeverity]),
      [
        [kernel, 'Patch Tuesday'],
        [tz, null],
      ],
    );
    const plainList = await admin.get('/api/v1/bulletins?q=TEST-2026');
    assert.ok(plainList.body.items.every((b: object) => !('customSeverity' in b)));
    const forBravo = await admin.get(`/api/v1/bulletins/${kernel}?organizationId=${w.orgB.id}`);
    assert.equal(forBravo.status, 200);
    assert.equal(forBravo.body.customSeverity, null);
    const one = await admin.get(`/api/v1/bulletins/${kernel}?organizationId=${w.orgA.id}`);
    assert.equal(one.body.customSeverity, 'Patch Tuesday');
    const u = await scopedUser(admin, `bravo-reader-${h.driver}`, w.orgB.id, 'Viewer');
    const reader = await signIn(app, `bravo-reader-${h.driver}`, u.password);
    assert.equal((await reader.get(`/api/v1/bulletins?organizationId=${w.orgA.id}`)).status, 404);
    assert.equal((await reader.get(`/api/v1/bulletins/${kernel}?organizationId=${w.orgA.id}`)).status, 404);
  });

  test('installs, failures, a bulletin change and a device delete move the counts', async () => {
    assert.equal(
      (
        await put(`/api/v1/organizations/${w.orgA.id}/bulletin-custom-severities`, {
          bulletinIds: [tz],
          name: 'Whenever',
        })
      ).status,
      200,
    );
    const sys = systemContext(h.store(), 'test-agent');
    await ingestScan(sys, w.deviceA.id, {
      full: false,
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
    await h
      .store()
      .db.updateTable('device_updates')
      .set({ status: 'failed' })
      .where('device_id', '=', w.deviceA2.id)
      .where('update_id', '=', w.updates.liblzma5)
      .execute();
    let org = await summary(`organizationId=${w.orgA.id}`);
    assert.deepEqual(
      org.byCustomSeverity.map((c) => [c.name, c.counts]),
      [
        ['Patch Tuesday', { missing: 2, pending: 0, failed: 1, installed: 1 }],
        ['Whenever', { ...zero, missing: 2 }],
      ],
    );
    assert.deepEqual(org.withoutCustomSeverity, zero);
    await keptEqualsNaive();

    // liblzma5 moves to the tzdata bulletin: its counts follow it
    await h
      .store()
      .db.updateTable('updates')
      .set({ bulletin_id: tz })
      .where('id', '=', w.updates.liblzma5)
      .execute();
    org = await summary(`organizationId=${w.orgA.id}`);
    assert.deepEqual(
      org.byCustomSeverity.map((c) => [c.name, c.counts]),
      [
        ['Patch Tuesday', { ...zero, missing: 1, installed: 1 }],
        ['Whenever', { missing: 3, pending: 0, failed: 1, installed: 0 }],
      ],
    );
    await keptEqualsNaive();

    // a deleted device takes its counts along
    assert.equal((await admin.del(`/api/v1/devices/${w.deviceA2.id}`)).status, 204);
    org = await summary(`organizationId=${w.orgA.id}`);
    assert.deepEqual(
      org.byCustomSeverity.map((c) => [c.name, c.counts]),
      [
        ['Patch Tuesday', { ...zero, installed: 1 }],
        ['Whenever', { ...zero, missing: 2 }],
      ],
    );
    await keptEqualsNaive();
  });

  test('taking a custom severity away, or dropping it from the list, returns the updates to none', async () => {
    // first moved from one custom severity to another
    const moved = await put(`/api/v1/organizations/${w.orgA.id}/bulletin-custom-severities`, {
      bulletinIds: [kernel, tz],
      name: 'Whenever',
    });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    const before = await summary(`organizationId=${w.orgA.id}`);
    assert.deepEqual(
      before.byCustomSeverity.map((c) => [c.name, c.counts]),
      [
        ['Patch Tuesday', zero],
        ['Whenever', { ...zero, missing: 2, installed: 1 }],
      ],
    );
    await keptEqualsNaive();
    const taken = await put(`/api/v1/organizations/${w.orgA.id}/bulletin-custom-severities`, {
      bulletinIds: [kernel],
      name: null,
    });
    assert.equal(taken.status, 200, JSON.stringify(taken.body));
    let org = await summary(`organizationId=${w.orgA.id}`);
    assert.deepEqual(
      org.byCustomSeverity.map((c) => [c.name, c.counts]),
      [
        ['Patch Tuesday', zero],
        ['Whenever', { ...zero, missing: 2 }],
      ],
    );
    assert.deepEqual(org.withoutCustomSeverity, { ...zero, installed: 1 });
    await keptEqualsNaive();

    const replaced = await put(`/api/v1/organizations/${w.orgA.id}/custom-severities`, [
      { order: 1, name: 'Patch Tuesday', level: 'critical' },
    ]);
    assert.equal(replaced.status, 200);
    org = await summary(`organizationId=${w.orgA.id}`);
    assert.deepEqual(org.byCustomSeverity, [
      { order: 1, name: 'Patch Tuesday', level: 'critical', counts: zero },
    ]);
    assert.deepEqual(org.withoutCustomSeverity, org.totals);
    const left = await h.store().db.selectFrom('bulletin_custom_severities').selectAll().execute();
    assert.deepEqual(left, [], 'the bulletins lost the custom severity the organization dropped');
    await keptEqualsNaive();
  });

  test('bad input changes nothing; other tenants and read-only users cannot assign', async () => {
    const path = `/api/v1/organizations/${w.orgA.id}/bulletin-custom-severities`;
    const unknownName = await put(path, { bulletinIds: [kernel], name: 'Someday' });
    assert.equal(unknownName.status, 400);
    assert.match(JSON.stringify(unknownName.body), /must be one of Patch Tuesday/);
    const unknownBulletin = await put(path, { bulletinIds: [kernel, 999999], name: 'Patch Tuesday' });
    assert.equal(unknownBulletin.status, 400);
    assert.match(JSON.stringify(unknownBulletin.body), /not found: 999999/);
    const empty = await put(path, { bulletinIds: [], name: 'Patch Tuesday' });
    assert.equal(empty.status, 400);
    const left = await h.store().db.selectFrom('bulletin_custom_severities').selectAll().execute();
    assert.deepEqual(left, []);

    const u = await scopedUser(admin, `bravo-admin-${h.driver}`, w.orgB.id, 'Administrator');
    const bravo = await signIn(app, `bravo-admin-${h.driver}`, u.password);
    const foreign = await bravo.call('PUT', path, { bulletinIds: [kernel], name: 'Patch Tuesday' });
    assert.equal(foreign.status, 404);
    const v = await scopedUser(admin, `alpha-viewer-${h.driver}`, w.orgA.id, 'Viewer');
    const viewer = await signIn(app, `alpha-viewer-${h.driver}`, v.password);
    const denied = await viewer.call('PUT', path, { bulletinIds: [kernel], name: 'Patch Tuesday' });
    assert.equal(denied.status, 403);
    const seen = await viewer.get(`/api/v1/compliance?organizationId=${w.orgA.id}`);
    assert.equal(seen.status, 200);
    assert.equal(seen.body.updates.byCustomSeverity[0].name, 'Patch Tuesday');
  });
});
