import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { gzId, parseGzId, patchGuid } from '../../../src/faces/gravityzone/ids.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';
import { validParams, type Loose } from '../../core/windows/gz-helpers.ts';
import { apiKeyOf, fails, ok } from './support.ts';

// allowChangeByOtherUsers enforced (services/windows-crud.ts, checkMayChange): a window whose flag is
// false is changed (updated, deleted, assigned, unassigned) only by its creator or a global
// administrator; anyone else gets "forbidden": -32000 through JSON-RPC, 403 through the native API.
// Windows made natively without the flag get true and stay open to every manager of the organization.

const W = 'maintenanceWindows';

eachDriver('allowChangeByOtherUsers: only the creator changes a locked window', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let world: World;
  let adminKey: string;
  let ownerKey: string;
  let otherKey: string;
  let owner: Client;
  let other: Client;
  let company: string;
  let policyId: string;
  let n = 0;
  const params = (allow: boolean): Loose => {
    const p = validParams();
    p.companyId = company;
    p.name = `owned-${++n}`;
    p.allowChangeByOtherUsers = allow;
    p.settings.installPatchesSettings.manuallyApprovedPatchIds = [patchGuid(world.updates.openssl)];
    return p;
  };
  const nativeId = (gz: string) => parseGzId('window', gz, 'id');

  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    world = await buildWorld(admin, h.store());
    adminKey = await apiKeyOf(app, h.store(), 'admin', ADMIN_PASSWORD);
    const a = await scopedUser(admin, 'win-owner', world.orgA.id, 'Administrator');
    ownerKey = await apiKeyOf(app, h.store(), 'win-owner', a.password);
    owner = await signIn(app, 'win-owner', a.password);
    const b = await scopedUser(admin, 'win-other', world.orgA.id, 'Administrator');
    otherKey = await apiKeyOf(app, h.store(), 'win-other', b.password);
    other = await signIn(app, 'win-other', b.password);
    company = gzId('company', world.orgA.id);
    const policy = await admin.post('/api/v1/policies', {
      organizationId: world.orgA.id,
      name: 'owned policy',
      rule: { kind: 'all' },
      targets: { groups: [world.groupA.id] },
    });
    assert.equal(policy.status, 201, JSON.stringify(policy.body));
    policyId = gzId('policy', policy.body.id);
  });
  after(async () => app?.close());

  it('through JSON-RPC: another user is refused every change, nothing changes; creator and admin may', async () => {
    const w = (await ok(app, ownerKey, W, 'createPatchManagementMaintenanceWindow', params(false))) as string;
    const before = await ok(app, adminKey, W, 'getMaintenanceWindowDetails', { maintenanceWindowId: w });
    assert.equal(before.allowChangeByOtherUsers, false);
    const attempts: [string, Record<string, unknown>][] = [
      ['updatePatchManagementMaintenanceWindow', { id: w, name: 'taken over' }],
      ['updatePatchManagementMaintenanceWindow', { id: w, allowChangeByOtherUsers: true }],
      ['assignMaintenanceWindows', { policyId, maintenanceWindowIds: [w] }],
      ['unassignMaintenanceWindows', { policyId, maintenanceWindowIds: [w] }],
      ['deleteMaintenanceWindow', { maintenanceWindowId: w }],
    ];
    for (const [method, p] of attempts) {
      const e = await fails(app, otherKey, W, method, p);
      assert.equal(e.code, -32000, method);
      assert.match(e.data.details, /only by its creator/, method);
    }
    assert.deepEqual(
      await ok(app, adminKey, W, 'getMaintenanceWindowDetails', { maintenanceWindowId: w }),
      before,
    );
    // the creator, by its key or its session, and the global administrator may
    await ok(app, ownerKey, W, 'updatePatchManagementMaintenanceWindow', { id: w, name: 'renamed by owner' });
    const byOwnerSession = await owner.patch(`/api/v1/maintenance-windows/${nativeId(w)}`, {
      name: 'owner again',
    });
    assert.equal(byOwnerSession.status, 200, JSON.stringify(byOwnerSession.body));
    await ok(app, adminKey, W, 'assignMaintenanceWindows', { policyId, maintenanceWindowIds: [w] });
    await ok(app, ownerKey, W, 'unassignMaintenanceWindows', { policyId, maintenanceWindowIds: [w] });
    // opened by its creator: the other user may now change it
    await ok(app, ownerKey, W, 'updatePatchManagementMaintenanceWindow', {
      id: w,
      allowChangeByOtherUsers: true,
    });
    await ok(app, otherKey, W, 'updatePatchManagementMaintenanceWindow', { id: w, name: 'renamed by other' });
    await ok(app, otherKey, W, 'deleteMaintenanceWindow', { maintenanceWindowId: w });
  });

  it('through the native API: 403 for another user on a locked window; native windows stay open', async () => {
    const w = (await ok(app, ownerKey, W, 'createPatchManagementMaintenanceWindow', params(false))) as string;
    const url = `/api/v1/maintenance-windows/${nativeId(w)}`;
    const got = await other.get(url);
    assert.equal(got.status, 200, JSON.stringify(got.body));
    const patch = await other.patch(url, { name: 'native takeover' });
    assert.equal(patch.status, 403, JSON.stringify(patch.body));
    const del = await other.del(url);
    assert.equal(del.status, 403, JSON.stringify(del.body));
    assert.equal((await admin.get(url)).body.name, got.body.name);
    const byAdmin = await admin.patch(url, { name: 'admin rename' });
    assert.equal(byAdmin.status, 200, JSON.stringify(byAdmin.body));

    const made = await owner.post('/api/v1/maintenance-windows', {
      organizationId: world.orgA.id,
      name: 'native window',
      settings: got.body.settings,
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const seen = await ok(app, adminKey, W, 'getMaintenanceWindowDetails', {
      maintenanceWindowId: gzId('window', made.body.id),
    });
    assert.equal(seen.allowChangeByOtherUsers, true);
    const changed = await other.patch(`/api/v1/maintenance-windows/${made.body.id}`, {
      name: 'native, renamed',
    });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    const gone = await other.del(`/api/v1/maintenance-windows/${made.body.id}`);
    assert.equal(gone.status, 204, JSON.stringify(gone.body));
  });
});
