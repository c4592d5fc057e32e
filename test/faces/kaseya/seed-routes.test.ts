// Issue 16's acceptance: every route of seed 004 is answered, implemented or 501 for a module Patchline
// does not provide; none answers "no route". The routes are fixtures/seed-routes.txt (extracted from the
// seed, see its header). Each is called as the global administrator with its path parameters naming
// real objects (or plain values), PUT and POST with an empty JSON object.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../../src/store/db.ts';
import { ADMIN_PASSWORD, signIn } from '../../support/api.ts';
import { freshStore } from '../../support/store.ts';
import { buildWorld, type World } from '../../support/world.ts';
import { kcall } from './request.ts';
import { kaseyaSignIn, startKaseyaApp } from './support.ts';

const ROUTES = readFileSync(new URL('./fixtures/seed-routes.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() && !l.startsWith('#'))
  .map((l) => l.split(' ') as [string, string]);

/**
 * Routes other helpers of issue 16 implement on their branches (audit chapter and asset custom fields:
 * h-kvb; agent procedures, agent logs, departments, organization types, locations, role and user writes:
 * h-kvc; alarms: h-al). The lead empties this set once their branches are merged.
 */
const PENDING = new Set([
  'GET /assetmgmt/audit',
  'GET /assetmgmt/audit/{agentId}/credentials',
  'GET /assetmgmt/audit/{agentId}/groups',
  'GET /assetmgmt/audit/{agentId}/hardware/diskvolumes',
  'GET /assetmgmt/audit/{agentId}/hardware/pcianddisk',
  'GET /assetmgmt/audit/{agentId}/hardware/printers',
  'GET /assetmgmt/audit/{agentGuid}/hardware/purchaseandwarrantyexpire',
  'PUT /assetmgmt/audit/{agentGuid}/hardware/purchaseandwarrantyexpire',
  'GET /assetmgmt/audit/{agentId}/members',
  'GET /assetmgmt/audit/{agentId}/software/addremoveprograms',
  'GET /assetmgmt/audit/{agentId}/software/licenses',
  'GET /assetmgmt/audit/{agentId}/software/securityproducts',
  'GET /assetmgmt/audit/{agentId}/software/startupapps',
  'GET /assetmgmt/audit/{agentId}/summary',
  'GET /assetmgmt/audit/{agentId}/useraccounts',
  'PUT /assetmgmt/audit/baseline/{agentId}/runnow',
  'PUT /assetmgmt/audit/baseline/{agentId}/schedule',
  'PUT /assetmgmt/audit/latest/{agentId}/runnow',
  'PUT /assetmgmt/audit/latest/{agentId}/schedule',
  'PUT /assetmgmt/audit/sysinfo/{agentId}/runnow',
  'PUT /assetmgmt/audit/sysinfo/{agentId}/schedule',
  'GET /assetmgmt/assets/{agentId}/customfields',
  'POST /assetmgmt/assets/customfields',
  'PUT /assetmgmt/assets/customfields/{fieldName}',
  'PUT /assetmgmt/assets/{agentId}/customfields/{fieldName}',
  'DELETE /assetmgmt/assets/customfields/{fieldName}',
  'GET /automation/agentprocs',
  'GET /automation/agentprocs/{agentId}/scheduledprocs',
  'PUT /automation/agentprocs/{agentId}/{agentProcId}/runnow',
  'PUT /automation/agentprocs/{agentId}/{agentProcId}/schedule',
  'GET /automation/agentprocs/{agentId}/history',
  'DELETE /automation/agentprocs/{agentId}/{agentProcId}',
  'GET /automation/agentprocs/quicklaunch',
  'PUT /automation/agentProcs/quicklaunch/{agentProcedureId}',
  'DELETE /automation/agentProcs/quicklaunch/{agentProcId}',
  'GET /automation/agentprocs/quicklaunch/askbeforeexecuting',
  'PUT /automation/agentprocs/quicklaunch/askbeforeexecuting',
  'GET /automation/agentprocsportal',
  'GET /assetmgmt/logs/{agentguid}/agent',
  'GET /assetmgmt/logs/{agentguid}/agentprocedure',
  'GET /assetmgmt/logs/{agentguid}/alarms',
  'GET /assetmgmt/logs/{agentguid}/configurationchanges',
  'GET /system/orgs/{orgId}/departments',
  'GET /system/departments/{deptId}',
  'POST /system/orgs/{orgId}/departments',
  'PUT /system/departments/{departmentId}',
  'DELETE /system/departments/{departmentId}',
  'GET /system/orgs/locations',
  'GET /system/orgs/types',
  'POST /system/roles',
  'GET /assetmgmt/alarms/{alarmId}',
  'GET /assetmgmt/alarms/{returnAllRecords}',
  'PUT /assetmgmt/alarms/{alarmId}/close',
]);

describe('every route of seed 004 is answered [pglite]', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let app: FastifyInstance;
  let world: World;
  let bearer: string;

  before(async () => {
    ({ store, cleanup } = await freshStore('pglite'));
    app = await startKaseyaApp(store);
    world = await buildWorld(await signIn(app, 'admin', ADMIN_PASSWORD), store);
    bearer = await kaseyaSignIn(app, 'admin', ADMIN_PASSWORD);
  });
  after(async () => {
    await app?.close();
    await cleanup?.();
  });

  it("lists the pending routes among the seed's", () => {
    const all = new Set(ROUTES.map(([m, p]) => `${m} ${p}`));
    assert.ok(ROUTES.length > 150, `${ROUTES.length} routes`);
    for (const p of PENDING) assert.ok(all.has(p), `${p} is a route of the seed`);
  });

  it('answers each route of the seed other than the pending ones, never with "no route"', async () => {
    const value = (name: string): string => {
      if (/^(agentId|agentGuid|agentguid|agentID|assetId)$/.test(name)) return String(world.deviceA.id);
      if (name === 'orgId') return String(world.orgA.id);
      if (name === 'machineGroupId') return String(world.groupA.id);
      if (name === 'patchId') return String(world.updates.openssl);
      if (/^(hideDeniedPatches|isRead|bool|returnAllRecords|uninstallFirst)$/.test(name)) return 'false';
      if (name === 'newName') return 'renamed-by-walk';
      if (name === 'since') return '2020-01-01';
      return '1';
    };
    let walked = 0;
    for (const [method, path] of ROUTES) {
      if (PENDING.has(`${method} ${path}`)) continue;
      const url = `/api/v1.0${path.replace(/\{([^}]+)\}/g, (_, n: string) => encodeURIComponent(value(n)))}`;
      const r = await kcall(
        app,
        method as 'GET',
        url,
        bearer,
        method === 'PUT' || method === 'POST' ? {} : undefined,
      );
      const what = `${method} ${path}: ${r.status} ${r.text.slice(0, 200)}`;
      assert.doesNotMatch(String(r.body?.Error ?? ''), /^no route/, what);
      assert.ok(r.status < 500 || r.status === 501, what);
      if (r.status === 404) assert.match(String(r.body.Error), /not found/, what);
      walked++;
    }
    assert.equal(walked, ROUTES.length - PENDING.size);
  });
});
