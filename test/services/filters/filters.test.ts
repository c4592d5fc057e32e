import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { systemContext, type Context } from '../../../src/services/context.ts';
import { listDevices } from '../../../src/services/devices.ts';
import { organizationPatchInventory, queryDeviceUpdates } from '../../../src/services/device-updates.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';
import { buildWorld, type World } from '../../support/world.ts';

// The filters the GravityZone face used to apply in memory, now in the services and the store: the
// device filter `enrolled`, the device-update filters `security` and `approved`, the inventory filters
// vendor / product / severity; each pages in the store, so `total` counts the filtered rows.

eachDriver('service and store filters (enrolled, security, approved, inventory)', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let world: World;
  let ctx: Context;
  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    world = await buildWorld(admin, h.store());
    ctx = systemContext(h.store(), 'filters-test');
  });
  after(async () => app?.close());

  const names = (r: { items: { name: string }[] }) => r.items.map((x) => x.name);
  const all = { limit: 100, offset: 0, sort: ['name'] };

  it('filters devices by enrolment, paged in the store', async () => {
    const org = world.orgA.id;
    assert.equal((await listDevices(ctx, { organizationId: org, enrolled: true }, all)).total, 0);
    await h
      .store()
      .db.updateTable('devices')
      .set({ enrolled_at: new Date('2026-01-01T00:00:00Z') })
      .where('id', '=', world.deviceA2.id)
      .execute();
    const managed = await listDevices(ctx, { organizationId: org, enrolled: true }, all);
    assert.deepEqual([names(managed), managed.total], [['web-2'], 1]);
    const unmanaged = await listDevices(ctx, { organizationId: org, enrolled: false }, all);
    assert.deepEqual([names(unmanaged), unmanaged.total], [['web-1'], 1]);
    const page = await listDevices(ctx, { organizationId: org }, { limit: 1, offset: 1, sort: ['name'] });
    assert.deepEqual([names(page), page.total], [['web-2'], 2]);
  });

  it('filters device updates by security and by effective approval, with the right total', async () => {
    const d = world.deviceA.id;
    const sec = await queryDeviceUpdates(ctx, d, { security: true }, all);
    assert.deepEqual([names(sec), sec.total], [['liblzma5', 'openssl'], 2]);
    const other = await queryDeviceUpdates(ctx, d, { security: false }, all);
    assert.deepEqual([names(other), other.total], [['tzdata'], 1]);
    assert.equal((await queryDeviceUpdates(ctx, d, { approved: true }, all)).total, 0);
    const r = await admin.post(`/api/v1/organizations/${world.orgA.id}/updates/approve`, {
      updateIds: [world.updates.tzdata, world.updates.openssl],
    });
    assert.ok(r.status < 300, JSON.stringify(r.body));
    const approved = await queryDeviceUpdates(ctx, d, { approved: true }, all);
    assert.deepEqual([names(approved), approved.total], [['openssl', 'tzdata'], 2]);
    const notApproved = await queryDeviceUpdates(ctx, d, { approved: false }, all);
    assert.deepEqual([names(notApproved), notApproved.total], [['liblzma5'], 1]);
    const page = await queryDeviceUpdates(
      ctx,
      d,
      { approved: true },
      { limit: 1, offset: 1, sort: ['name'] },
    );
    assert.deepEqual([names(page), page.total], [['tzdata'], 2]);
    const both = await queryDeviceUpdates(ctx, d, { approved: true, security: true }, all);
    assert.deepEqual([names(both), both.total], [['openssl'], 1]);
    assert.equal((await queryDeviceUpdates(ctx, world.deviceB.id, { approved: true }, all)).total, 0);
  });

  it('filters the patch inventory by vendor, product and severity, paged by update', async () => {
    const org = world.orgA.id;
    const inv = await organizationPatchInventory(ctx, org, {}, { limit: 100, offset: 0 });
    assert.deepEqual([names(inv), inv.total], [['liblzma5', 'openssl', 'tzdata'], 3]);
    const page = await organizationPatchInventory(ctx, org, {}, { limit: 1, offset: 1 });
    assert.deepEqual([names(page), page.total], [['openssl'], 3]);
    assert.equal(page.items[0]!.deviceIds.length, 2, 'every affected device of the paged update');
    const crit = await organizationPatchInventory(
      ctx,
      org,
      { severity: ['critical'] },
      { limit: 10, offset: 0 },
    );
    assert.deepEqual([names(crit), crit.total], [['liblzma5'], 1]);
    const openssl = inv.items.find((u) => u.name === 'openssl')!;
    const vendor = openssl.vendor ?? '';
    const product = openssl.product ?? '';
    const byVendor = await organizationPatchInventory(
      ctx,
      org,
      { vendor: vendor.toUpperCase(), product: product.toUpperCase() },
      { limit: 10, offset: 0 },
    );
    assert.ok(names(byVendor).includes('openssl'));
    assert.equal(byVendor.total, byVendor.items.length);
    const none = await organizationPatchInventory(
      ctx,
      org,
      { vendor: 'no such vendor' },
      { limit: 10, offset: 0 },
    );
    assert.deepEqual([none.items.length, none.total], [0, 0]);
  });
});
