import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { isDomainError } from '../../../src/core/errors.ts';
import { gzId, patchGuid, updateOfPatchGuid } from '../../../src/faces/gravityzone/ids.ts';
import { parseGzWindowParams } from '../../../src/faces/gravityzone/window-settings.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';
import { daily, validParams, weekly, type Loose } from '../../core/windows/gz-helpers.ts';
import { RULES } from './rules.ts';
import { apiKeyOf, fails, ok } from './support.ts';

// Area maintenanceWindows through the JSON-RPC face: every validation rule of the seed gets its exact
// JSON-RPC error; the seed's contradictions are decided as windows.ts documents; windows made here are
// the native API's windows.

const example = JSON.parse(
  readFileSync(new URL('../../core/windows/fixtures/gz-update-window-example.json', import.meta.url), 'utf8'),
) as { params: Loose };

const W = 'maintenanceWindows';

/** the error the parser gives `params`, as the face must word it */
function expectedDetails(params: unknown, method: 'create' | 'update'): string {
  try {
    parseGzWindowParams(params, method);
  } catch (e) {
    assert.ok(isDomainError(e));
    return `${e.message}: ${e.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`;
  }
  assert.fail('the params should be refused');
}

eachDriver('GravityZone maintenanceWindows area', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let world: World;
  let key: string;
  let alphaKey: string;
  let bravoKey: string;
  let viewerKey: string;
  let company: string;
  let patches: string[];
  /** valid params in company A, with patch ids the company knows */
  const params = (): Loose => {
    const p = validParams();
    p.companyId = company;
    p.settings.installPatchesSettings.manuallyApprovedPatchIds = [...patches];
    return p;
  };
  let n = 0;
  const create = async (p: Loose = params()) =>
    ok(app, key, W, 'createPatchManagementMaintenanceWindow', {
      ...p,
      name: `${p.name}-${++n}`,
    }) as Promise<string>;

  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    world = await buildWorld(admin, h.store());
    key = await apiKeyOf(app, h.store(), 'admin', ADMIN_PASSWORD);
    const a = await scopedUser(admin, 'gz-alpha', world.orgA.id, 'Administrator');
    alphaKey = await apiKeyOf(app, h.store(), 'gz-alpha', a.password);
    const b = await scopedUser(admin, 'gz-bravo', world.orgB.id, 'Administrator');
    bravoKey = await apiKeyOf(app, h.store(), 'gz-bravo', b.password);
    const v = await scopedUser(admin, 'gz-viewer', world.orgA.id, 'Viewer');
    viewerKey = await apiKeyOf(app, h.store(), 'gz-viewer', v.password);
    company = gzId('company', world.orgA.id);
    patches = [patchGuid(world.updates.openssl), patchGuid(world.updates.tzdata)];
  });
  after(async () => app?.close());

  describe('every validation rule of the seed answers -32602 with its precise details', () => {
    it('the valid baseline is accepted', async () => {
      assert.match(await create(), /^[0-9a-f]{24}$/);
    });
    for (const rule of RULES) {
      it(`${rule.id}: ${rule.title}`, async () => {
        // the rules' own baseline (its patch ids are the seed's): refused by the rule before any lookup
        const p = { ...validParams(), companyId: company };
        const method = rule.method ?? 'create';
        rule.mutate(p);
        const expected = expectedDetails(p, method);
        for (const [path] of rule.issues) assert.ok(expected.includes(path), expected);
        const name =
          method === 'create'
            ? 'createPatchManagementMaintenanceWindow'
            : 'updatePatchManagementMaintenanceWindow';
        if (method === 'update') p.id = await create();
        const e = await fails(app, key, W, name, p);
        assert.equal(e.code, -32602);
        assert.equal(e.message, 'Invalid params');
        assert.equal(e.data.details, expected);
      });
    }
  });

  it('creates a window with each schedule form, and the native API reads the same window', async () => {
    const forms: [string, (p: Loose) => void][] = [
      ['scheduler weekly/monthly', () => {}],
      [
        'scheduler immediately',
        (p) =>
          (p.settings.installPatchesSettings.updateType.securityPatchesSettings.scheduler = {
            recurrence: 1,
          }),
      ],
      [
        'oldScheduler daily/weekly',
        (p) => {
          const s = p.settings.scanPatchesSettings;
          s.useFallbackSchedule = 'enabled';
          s.oldScheduler = daily();
          delete s.scheduler;
          const u = p.settings.installPatchesSettings.updateType;
          u.securityPatchesSettings = { enabled: true, oldScheduler: daily() };
          u.nonSecurityPatchesSettings = {
            enabled: true,
            oldScheduler: { recurrence: 3, startHour: 2, startMinute: 15, days: [0, 6] },
          };
        },
      ],
      [
        'same schedule for all',
        (p) => {
          p.settings.scanPatchesSettings.useSameSchedule = true;
          p.settings.scanPatchesSettings.scheduler = weekly();
        },
      ],
    ];
    for (const [label, mutate] of forms) {
      const p = params();
      mutate(p);
      const id = await create(p);
      const d = await ok(app, key, W, 'getMaintenanceWindowDetails', { maintenanceWindowId: id });
      assert.equal(d.id, id, label);
      assert.equal(d.companyId, company);
      assert.equal(d.allowChangeByOtherUsers, false);
      // what the details give back is accepted again as the same settings
      const again = await create({ ...p, settings: d.settings });
      const d2 = await ok(app, key, W, 'getMaintenanceWindowDetails', { maintenanceWindowId: again });
      assert.deepEqual(d2.settings, d.settings, label);
      // the same window, made natively with the settings the native API shows, is stored alike
      const internal = Number.parseInt(id.slice(2), 16);
      const native = await admin.get(`/api/v1/maintenance-windows/${internal}`);
      assert.equal(native.status, 200);
      assert.equal(native.body.name, d.name);
      const made = await admin.post('/api/v1/maintenance-windows', {
        organizationId: world.orgA.id,
        name: `native copy ${n}`,
        settings: native.body.settings,
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      assert.deepEqual(made.body.settings, native.body.settings, label);
      const viaGz = await ok(app, key, W, 'getMaintenanceWindowDetails', {
        maintenanceWindowId: gzId('window', made.body.id),
      });
      assert.deepEqual(viaGz.settings, d.settings, label);
      assert.equal(
        p.settings.scanPatchesSettings.useFallbackSchedule === 'enabled' ? 'enabled' : 'disabled',
        d.settings.scanPatchesSettings.useFallbackSchedule,
      );
    }
  });

  it("decides the seed's contradictions: update by id, the repaired example, {success: true}", async () => {
    const id = await create();
    // the example as written: useFallbackSchedule true but only scheduler objects
    const written = structuredClone(example.params);
    written.id = id;
    written.settings.installPatchesSettings.manuallyApprovedPatchIds = [...patches];
    const e = await fails(app, key, W, 'updatePatchManagementMaintenanceWindow', written);
    assert.equal(e.code, -32602);
    assert.match(
      e.data.details,
      /scanPatchesSettings\.oldScheduler is required when scanPatchesSettings\.enabled is true and scanPatchesSettings\.useFallbackSchedule is enabled/,
    );
    // with useFallbackSchedule false, every field of the example is taken; the answer is the example's
    const valid = structuredClone(written);
    valid.settings.scanPatchesSettings.useFallbackSchedule = false;
    assert.deepEqual(await ok(app, key, W, 'updatePatchManagementMaintenanceWindow', valid), {
      success: true,
    });
    const d = await ok(app, key, W, 'getMaintenanceWindowDetails', { maintenanceWindowId: id });
    const i = d.settings.installPatchesSettings;
    assert.equal(d.name.startsWith('Workstations'), true, 'the name is kept when not sent');
    assert.deepEqual(i.manuallyApprovedPatchIds, patches);
    assert.equal(i.specificVendorAndProduct.enabled, false);
    assert.equal(i.specificVendorAndProduct.vendorProductsPairs.length, 3);
    assert.deepEqual(i.specificVendorAndProduct.vendorProductsPairs[0], {
      os: 3,
      vendor: { id: 'Oracle' },
      products: [{ id: 'java-11-openjdk 11' }, { id: 'java-1.8.0-openjdk' }],
    });
    assert.equal(i.specificVendorAndProduct.vendorProductsPairs[1].os, 2, 'letters: Linux');
    assert.equal(i.specificVendorAndProduct.vendorProductsPairs[2].os, 1, 'digits: Windows');
    assert.deepEqual(i.updateType.securityPatchesSettings, { enabled: true, scheduler: { recurrence: 1 } });
    assert.equal(i.updateType.nonSecurityPatchesSettings.scheduler.weeklyRecurrence.days.length, 7);
    assert.deepEqual(i.postponeReboot, { option: 0 });
    assert.equal(d.settings.downloadSettings.fallbackOnDirectDownload, true);
    assert.deepEqual(d.settings.downloadSettings.cachingServers, []);
    assert.equal(d.settings.scanPatchesSettings.runOnSystemChanges, true);
    // nothing to change, and no id
    const none = await fails(app, key, W, 'updatePatchManagementMaintenanceWindow', { id });
    assert.equal(none.code, -32602);
    assert.match(none.data.details, /must change something/);
    const noId = await fails(app, key, W, 'updatePatchManagementMaintenanceWindow', { name: 'x' });
    assert.equal(noId.code, -32602);
    assert.match(noId.data.details, /maintenanceWindowId is required/);
    // rename and allowChangeByOtherUsers alone
    assert.deepEqual(
      await ok(app, key, W, 'updatePatchManagementMaintenanceWindow', {
        id,
        name: 'Renamed',
        allowChangeByOtherUsers: true,
      }),
      { success: true },
    );
    const r = await ok(app, key, W, 'getMaintenanceWindowDetails', { maintenanceWindowId: id });
    assert.equal(r.name, 'Renamed');
    assert.equal(r.allowChangeByOtherUsers, true);
    // companyId on update: only the window's own
    const other = await fails(app, key, W, 'updatePatchManagementMaintenanceWindow', {
      id,
      name: 'Moved',
      companyId: gzId('company', world.orgB.id),
    });
    assert.equal(other.code, -32602);
    assert.match(other.data.details, /companyId must be the window's own company/);
    assert.deepEqual(
      await ok(app, key, W, 'updatePatchManagementMaintenanceWindow', {
        id,
        name: 'Stays',
        companyId: company,
      }),
      { success: true },
    );
  });

  it('refuses a name taken in the company, patch ids the company does not know, and a key without the right', async () => {
    const p = params();
    p.name = 'Unique name';
    await ok(app, key, W, 'createPatchManagementMaintenanceWindow', p);
    const dup = await fails(app, key, W, 'createPatchManagementMaintenanceWindow', p);
    assert.equal(dup.code, -32000);
    assert.match(dup.data.details, /already exists/);
    // the same name in another company is fine
    await ok(app, key, W, 'createPatchManagementMaintenanceWindow', {
      ...p,
      companyId: gzId('company', world.orgB.id),
      settings: {
        ...p.settings,
        installPatchesSettings: { ...p.settings.installPatchesSettings, manuallyApprovedPatchIds: [] },
      },
    });

    const unknown = params();
    unknown.settings.installPatchesSettings.manuallyApprovedPatchIds = [
      patches[0],
      '{0001354A-0000-0000-0000-000000000000}',
      '{12345678-9ABC-DEF0-1234-56789ABCDEF0}',
    ];
    const e = await fails(app, key, W, 'createPatchManagementMaintenanceWindow', unknown);
    assert.equal(e.code, -32602);
    assert.equal(
      e.data.details,
      'invalid maintenance window: settings.installPatchesSettings.manuallyApprovedPatchIds.1 {0001354A-0000-0000-0000-000000000000} is no patch of this company; ' +
        'settings.installPatchesSettings.manuallyApprovedPatchIds.2 {12345678-9ABC-DEF0-1234-56789ABCDEF0} is no patch of this company',
    );
    assert.equal(updateOfPatchGuid('{0001354A-0000-0000-0000-000000000000}'), 0x1354a);
    assert.equal(patchGuid(0x1354a), '{0001354A-0000-0000-0000-000000000000}');

    const viewer = await fails(app, viewerKey, W, 'createPatchManagementMaintenanceWindow', params());
    assert.equal(viewer.code, -32000);
    assert.match(viewer.data.details, /manage_policies/);
  });

  it("uses the key's company when companyId is left out, and answers another tenant's ids as nonexistent ones", async () => {
    const p = params();
    delete p.companyId;
    p.name = 'Defaulted';
    const id = await ok(app, alphaKey, W, 'createPatchManagementMaintenanceWindow', p);
    const d = await ok(app, alphaKey, W, 'getMaintenanceWindowDetails', { maintenanceWindowId: id });
    assert.equal(d.companyId, company);
    const all = await fails(app, key, W, 'createPatchManagementMaintenanceWindow', p);
    assert.equal(all.code, -32602);
    assert.match(all.data.details, /companyId is required: your key covers every organization/);

    const strip = (x: { data: { details: string } }) => ({
      ...x,
      data: { details: x.data.details.replace(/[0-9a-f]{24}/g, 'ID') },
    });
    const ghostWindow = gzId('window', 99_999);
    for (const [method, args] of [
      ['getMaintenanceWindowDetails', (w: string) => ({ maintenanceWindowId: w })],
      ['deleteMaintenanceWindow', (w: string) => ({ maintenanceWindowId: w })],
      ['updatePatchManagementMaintenanceWindow', (w: string) => ({ id: w, name: 'hijacked' })],
    ] as const) {
      const theirs = await fails(app, bravoKey, W, method, args(id));
      const nobody = await fails(app, bravoKey, W, method, args(ghostWindow));
      assert.deepEqual(strip(theirs), strip(nobody), method);
      assert.equal(theirs.code, -32602);
    }
    const create1 = await fails(app, bravoKey, W, 'createPatchManagementMaintenanceWindow', {
      ...params(),
      companyId: company,
    });
    const create2 = await fails(app, bravoKey, W, 'createPatchManagementMaintenanceWindow', {
      ...params(),
      companyId: gzId('company', 99_999),
    });
    assert.deepEqual(strip(create1), strip(create2));
    const list = await ok(app, bravoKey, W, 'getMaintenanceWindowsList', {});
    assert.ok(list.items.every((w: { companyId: string }) => w.companyId === gzId('company', world.orgB.id)));
    const listTheirs = await fails(app, bravoKey, W, 'getMaintenanceWindowsList', { companyId: company });
    const listNobody = await fails(app, bravoKey, W, 'getMaintenanceWindowsList', {
      companyId: gzId('company', 99_999),
    });
    assert.deepEqual(strip(listTheirs), strip(listNobody));
    assert.equal(
      (await ok(app, alphaKey, W, 'getMaintenanceWindowDetails', { maintenanceWindowId: id })).name,
      'Defaulted',
    );
  });

  it('lists windows paged, assigns them to policies and unassigns them, and deletes them', async () => {
    const policy = await admin.post('/api/v1/policies', {
      organizationId: world.orgA.id,
      name: 'gz policy',
      rule: { kind: 'all' },
      targets: { groups: [world.groupA.id] },
    });
    assert.equal(policy.status, 201, JSON.stringify(policy.body));
    const policyId = gzId('policy', policy.body.id);
    const all = await ok(app, key, W, 'getMaintenanceWindowsList', { companyId: company, perPage: 100 });
    const total = all.total as number;
    assert.ok(total >= 3);
    assert.equal(all.items.length, total);
    const page2 = await ok(app, key, W, 'getMaintenanceWindowsList', {
      companyId: company,
      page: 2,
      perPage: 2,
      type: 1,
    });
    assert.deepEqual(
      { page: page2.page, perPage: page2.perPage, total: page2.total, pagesCount: page2.pagesCount },
      { page: 2, perPage: 2, total, pagesCount: Math.ceil(total / 2) },
    );
    assert.deepEqual(page2.items, all.items.slice(2, 4));
    for (const bad of [{ perPage: 0 }, { perPage: 101 }, { page: 0 }, { type: 2 }, { page: '1' }]) {
      const e = await fails(app, key, W, 'getMaintenanceWindowsList', bad);
      assert.equal(e.code, -32602, JSON.stringify(bad));
    }

    const [w1, w2] = [all.items[0].id as string, all.items[1].id as string];
    assert.deepEqual(
      await ok(app, key, W, 'assignMaintenanceWindows', { policyId, maintenanceWindowIds: [w1, w2] }),
      { success: true },
    );
    const pd = await ok(app, key, 'policies', 'getPolicyDetails', { policyId });
    assert.deepEqual(pd.maintenanceWindows.map((w: { id: string }) => w.id).sort(), [w1, w2].sort());
    const native = await admin.get(`/api/v1/maintenance-windows/${Number.parseInt(w1.slice(2), 16)}`);
    assert.deepEqual(native.body.assignments.policies, [policy.body.id]);
    // assigning twice changes nothing; unknown ids change nothing at all
    await ok(app, key, W, 'assignMaintenanceWindows', { policyId, maintenanceWindowIds: [w1] });
    const bad = await fails(app, key, W, 'assignMaintenanceWindows', {
      policyId,
      maintenanceWindowIds: [all.items[2].id, gzId('window', 99_999)],
    });
    assert.equal(bad.code, -32602);
    assert.match(bad.data.details, new RegExp(gzId('window', 99_999)));
    const still = await ok(app, key, 'policies', 'getPolicyDetails', { policyId });
    assert.equal(still.maintenanceWindows.length, 2);
    const tooMany = await fails(app, key, W, 'assignMaintenanceWindows', {
      policyId,
      maintenanceWindowIds: Array.from({ length: 101 }, () => w1),
    });
    assert.equal(tooMany.code, -32602);
    assert.match(tooMany.data.details, /at most 100 items/);

    assert.deepEqual(
      await ok(app, key, W, 'unassignMaintenanceWindows', { policyId, maintenanceWindowIds: [w1] }),
      { success: true },
    );
    const after1 = await ok(app, key, 'policies', 'getPolicyDetails', { policyId });
    assert.deepEqual(
      after1.maintenanceWindows.map((w: { id: string }) => w.id),
      [w2],
    );

    assert.deepEqual(await ok(app, key, W, 'deleteMaintenanceWindow', { maintenanceWindowId: w2 }), {
      success: true,
    });
    const gone = await fails(app, key, W, 'getMaintenanceWindowDetails', { maintenanceWindowId: w2 });
    assert.equal(gone.code, -32602);
    assert.equal(
      (await admin.get(`/api/v1/maintenance-windows/${Number.parseInt(w2.slice(2), 16)}`)).status,
      404,
    );
  });

  it('lists the manually approved patches of a company with their patch ids', async () => {
    const r = await admin.post(`/api/v1/organizations/${world.orgA.id}/updates/approve`, {
      updateIds: [world.updates.tzdata],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const list = await ok(app, key, W, 'getManuallyApprovedPatches', { companyId: company });
    assert.deepEqual(
      list.items.map((p: { id: string }) => p.id),
      [patchGuid(world.updates.tzdata)],
    );
    assert.equal(list.items[0].name, 'tzdata');
  });
});
