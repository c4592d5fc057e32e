import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { gzId, patchGuid } from '../../../src/faces/gravityzone/ids.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';
import { buildWorld, type World } from '../../support/world.ts';
import { apiKeyOf, fails, ok } from './support.ts';

// Areas patchManagement and network: an endpoint's patches with their filters, the company's patch
// inventory, the endpoints of a company or group, scan tasks and their status.

eachDriver('GravityZone patchManagement and network areas', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let world: World;
  let key: string;
  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    world = await buildWorld(admin, h.store());
    key = await apiKeyOf(app, h.store(), 'admin', ADMIN_PASSWORD);
  });
  after(async () => app?.close());

  const names = (r: { items: { name: string }[] }) => r.items.map((x) => x.name).sort();

  it("reads an endpoint's missing patches, filtered by type and severity, paged", async () => {
    const endpointId = gzId('endpoint', world.deviceA.id);
    const all = await ok(app, key, 'patchManagement', 'getMissingPatches', { endpointId });
    assert.deepEqual(names(all), ['liblzma5', 'openssl', 'tzdata']);
    assert.equal(all.total, 3);
    const openssl = all.items.find((p: { name: string }) => p.name === 'openssl');
    assert.equal(openssl.id, patchGuid(world.updates.openssl));
    assert.equal(openssl.type, 1);
    assert.deepEqual(
      names(await ok(app, key, 'patchManagement', 'getMissingPatches', { endpointId, filters: { type: 1 } })),
      ['liblzma5', 'openssl'],
    );
    assert.deepEqual(
      names(await ok(app, key, 'patchManagement', 'getMissingPatches', { endpointId, filters: { type: 2 } })),
      ['tzdata'],
    );
    assert.deepEqual(
      names(
        await ok(app, key, 'patchManagement', 'getMissingPatches', {
          endpointId,
          filters: { severity: 'critical' },
        }),
      ),
      ['liblzma5'],
    );
    const page = await ok(app, key, 'patchManagement', 'getMissingPatches', {
      endpointId,
      page: 2,
      perPage: 2,
    });
    assert.deepEqual(
      { page: page.page, pagesCount: page.pagesCount, total: page.total, n: page.items.length },
      { page: 2, pagesCount: 2, total: 3, n: 1 },
    );
    assert.equal((await ok(app, key, 'patchManagement', 'getInstalledPatches', { endpointId })).total, 0);
    await admin.post(`/api/v1/organizations/${world.orgA.id}/updates/approve`, {
      updateIds: [world.updates.tzdata],
    });
    assert.deepEqual(
      names(await ok(app, key, 'patchManagement', 'getMissingPatches', { endpointId, filters: { type: 3 } })),
      ['tzdata'],
    );
    for (const filters of [{ type: 4 }, { severity: 'urgent' }, { vendor: 'x' }, 'x']) {
      const e = await fails(app, key, 'patchManagement', 'getMissingPatches', { endpointId, filters });
      assert.equal(e.code, -32602, JSON.stringify(filters));
    }
    const none = await fails(app, key, 'patchManagement', 'getMissingPatches', {});
    assert.match(none.data.details, /endpointId is required/);
  });

  it('reads the patch inventory of a company with the endpoints each patch affects', async () => {
    const inv = await ok(app, key, 'patchManagement', 'getPatchInventory', {
      companyId: gzId('company', world.orgA.id),
    });
    assert.deepEqual(names(inv), ['liblzma5', 'openssl', 'tzdata']);
    for (const p of inv.items) {
      assert.equal(p.affectedEndpointsCount, 2);
      assert.deepEqual(
        p.affectedEndpoints.sort(),
        [gzId('endpoint', world.deviceA.id), gzId('endpoint', world.deviceA2.id)].sort(),
      );
    }
    const crit = await ok(app, key, 'patchManagement', 'getPatchInventory', {
      companyId: gzId('company', world.orgA.id),
      filters: { severity: 'critical' },
    });
    assert.deepEqual(names(crit), ['liblzma5']);
    const e = await fails(app, key, 'patchManagement', 'getPatchInventory', {
      companyId: gzId('company', world.orgA.id),
      filters: { os: 1 },
    });
    assert.equal(e.code, -32602);
  });

  it('lists endpoints of a company or a group, managed or not, by name', async () => {
    const company = await ok(app, key, 'network', 'getEndpointsList', {
      parentId: gzId('company', world.orgA.id),
    });
    assert.deepEqual(names(company), ['web-1', 'web-2']);
    assert.ok(
      company.items.every((e: { isManaged: boolean }) => e.isManaged === false),
      'made through the API, no agent',
    );
    assert.equal(
      (
        await ok(app, key, 'network', 'getEndpointsList', {
          parentId: gzId('company', world.orgA.id),
          isManaged: true,
        })
      ).total,
      0,
    );
    assert.deepEqual(
      names(await ok(app, key, 'network', 'getEndpointsList', { parentId: gzId('group', world.subA.id) })),
      ['web-1', 'web-2'],
    );
    assert.deepEqual(
      names(
        await ok(app, key, 'network', 'getEndpointsList', {
          parentId: gzId('company', world.orgA.id),
          filters: { details: { name: 'web-2' } },
        }),
      ),
      ['web-2'],
    );
    const d = await ok(app, key, 'network', 'getManagedEndpointDetails', {
      endpointId: gzId('endpoint', world.deviceB.id),
    });
    assert.equal(d.name, 'db-1');
    assert.equal(d.companyId, gzId('company', world.orgB.id));
    const bad = await fails(app, key, 'network', 'getEndpointsList', {
      filters: { depth: { allItemsRecursively: true } },
    });
    assert.equal(bad.code, -32602);
  });

  it('starts a scan task on endpoints and reads its status', async () => {
    const tasks = await ok(app, key, 'network', 'createScanTask', {
      targetIds: [gzId('endpoint', world.deviceA.id), gzId('endpoint', world.deviceA2.id)],
    });
    assert.equal(tasks.length, 1);
    const s = await ok(app, key, 'network', 'getTaskStatus', { taskId: tasks[0] });
    assert.equal(s.status, 1, 'pending until the engine runs it');
    assert.equal(s.failed, false);
    const mixed = await fails(app, key, 'network', 'createScanTask', {
      targetIds: [gzId('endpoint', world.deviceA.id), gzId('endpoint', world.deviceB.id)],
    });
    assert.match(mixed.data.details, /one company/);
    const empty = await fails(app, key, 'network', 'createScanTask', { targetIds: [] });
    assert.equal(empty.code, -32602);
    const group = await ok(app, key, 'patchManagement', 'createPatchScanTask', {
      targetIds: [gzId('group', world.groupA.id)],
    });
    assert.equal(group.length, 1);
    const byGroupInstall = await fails(app, key, 'patchManagement', 'createPatchInstallTask', {
      targetIds: [gzId('group', world.groupA.id)],
      patchIds: [patchGuid(world.updates.openssl)],
    });
    assert.match(byGroupInstall.data.details, /name endpoints/);
  });
});
