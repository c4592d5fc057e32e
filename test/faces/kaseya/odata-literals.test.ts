import assert from 'node:assert/strict';
import { before, after, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ADMIN_PASSWORD, signIn } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';
import { buildWorld, type World } from '../../support/world.ts';
import { kaseyaSignIn, kget, type KRes, startKaseyaApp } from './support.ts';

// OData literals that the lexer reads but the field cannot hold: a fraction or an integer beyond 2^53 on
// an id (a bigint column) or a code (an integer expression), a date beyond the store's calendar. Each is a
// 400 in Kaseya's envelope naming the field, not a 500 from PostgreSQL.

const V = '/api/v1.0';
const q = (text: string) => encodeURIComponent(text);

function refused(r: KRes, field: string) {
  assert.equal(r.status, 400, r.text);
  assert.equal(r.body.ResponseCode, 400, r.text);
  assert.equal(r.body.Status, 'Error', r.text);
  assert.match(r.body.Error, new RegExp(`'${field}'`), r.text);
}

function listed(r: KRes): Record<string, unknown>[] {
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.ResponseCode, 0, r.text);
  return r.body.Result as Record<string, unknown>[];
}

eachDriver('Kaseya VSA: $filter literals the field cannot hold', (h) => {
  let app: FastifyInstance;
  let world: World;
  let bearer: string;
  const get = (path: string, filter: string) => kget(app, `${V}${path}?$filter=${q(filter)}`, bearer);

  before(async () => {
    app = await startKaseyaApp(h.store());
    const admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    world = await buildWorld(admin, h.store());
    bearer = await kaseyaSignIn(app, 'admin', ADMIN_PASSWORD);
  });
  after(async () => app?.close());

  // [path, filter, the field the error names]
  const refusals: [string, string, string][] = [
    ['/assetmgmt/agents', 'AgentId eq 1.5', 'AgentId'],
    ['/assetmgmt/agents', 'AgentId eq 99999999999999999999M', 'AgentId'],
    ['/assetmgmt/agents', 'AgentId gt -99999999999999999999M', 'AgentId'],
    ['/assetmgmt/agents', 'AgentId eq 9007199254740993M', 'AgentId'],
    ['/assetmgmt/agents', "AgentId eq '1.5'", 'AgentId'],
    ['/assetmgmt/agents', "AgentId eq '99999999999999999999'", 'AgentId'],
    ['/assetmgmt/agents', 'AgentId lt 1e300M', 'AgentId'],
    ['/assetmgmt/agents', 'OrgId eq 0.5', 'OrgId'],
    ['/assetmgmt/agents', 'MachineGroupId le 2.25M', 'MachineGroupId'],
    ['/assetmgmt/agents', 'Online eq 1.5', 'Online'],
    ['/assetmgmt/agents', "LastCheckInTime gt DATETIME'0001-01-01T00:00:00+14:00'", 'LastCheckInTime'],
    ['/assetmgmt/agents', "FirstCheckIn lt DATETIME'9999-12-31T23:59:59-14:00'", 'FirstCheckIn'],
    ['/system/orgs', 'OrgId eq 1.5', 'OrgId'],
    ['/system/orgs', 'ParentOrgId eq 99999999999999999999M', 'ParentOrgId'],
    ['/system/machinegroups', 'MachineGroupId eq 1.5', 'MachineGroupId'],
    ['/system/users', 'UserId eq 1.5', 'UserId'],
    ['/system/roles', 'RoleId eq 99999999999999999999M', 'RoleId'],
  ];

  describe('refused with 400, naming the field', () => {
    for (const [path, filter, field] of refusals) {
      it(`${path} ${filter}`, async () => refused(await get(path, filter), field));
    }
    it("a patch list's ids and codes", async () => {
      const path = `/assetmgmt/patch/${world.deviceA.id}/machineupdate`;
      refused(await get(path, 'PatchDataId eq 1.5'), 'PatchDataId');
      refused(await get(path, 'UpdateClassification lt 99999999999999999999M'), 'UpdateClassification');
      refused(await get(`/assetmgmt/patch/${world.deviceA.id}/history`, 'PatchState eq 0.5'), 'PatchState');
    });
  });

  describe('integral values are accepted, however written', () => {
    it('OrgId gt 1e3, AgentId eq 1.0 and a quoted id', async () => {
      assert.deepEqual(listed(await get('/system/orgs', 'OrgId gt 1e3')), []);
      const a = String(world.deviceA.id);
      const ids = (r: Record<string, unknown>[]) => r.map((x) => x.AgentId);
      assert.deepEqual(ids(listed(await get('/assetmgmt/agents', `AgentId eq ${a}.0`))), [a]);
      assert.deepEqual(ids(listed(await get('/assetmgmt/agents', `AgentId eq '${a}'`))), [a]);
      assert.deepEqual(ids(listed(await get('/assetmgmt/agents', `AgentId eq ${a}M`))), [a]);
      assert.deepEqual(ids(listed(await get('/assetmgmt/agents', 'AgentId eq 9007199254740991'))), []);
    });
    it('the extreme dates the store can hold', async () => {
      const first = "FirstCheckIn gt DATETIME'0001-01-01T00:00:00Z' or FirstCheckIn eq null";
      assert.equal(listed(await get('/assetmgmt/agents', first)).length, 3);
      assert.deepEqual(
        listed(await get('/assetmgmt/agents', "FirstCheckIn gt DATETIME'9999-12-31T23:59:59.999Z'")),
        [],
      );
    });
  });
});
