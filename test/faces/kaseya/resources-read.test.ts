import assert from 'node:assert/strict';
import { before, after, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { ADMIN_PASSWORD, client, signIn, type Client } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';
import { kaseyaSignIn, kget, startKaseyaApp, type KRes } from './support.ts';

// Users, roles, agent views, the audit of installed applications and the agents' Online codes through
// the Kaseya face (seed 004).

const V = '/api/v1.0';
const q = (text: string) => encodeURIComponent(text);

function failed(r: KRes, status: number, error?: RegExp) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.body.ResponseCode, status, r.text);
  assert.equal(r.body.Status, 'Error');
  if (error) assert.match(r.body.Error, error);
}
function listed(r: KRes) {
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.ResponseCode, 0, r.text);
  assert.equal(typeof r.body.TotalRecords, 'number', r.text);
  return r.body.Result as Record<string, unknown>[];
}

eachDriver('Kaseya VSA: users, roles, views, installed applications, online codes', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let world: World;
  let bearer: string;
  let jane: Awaited<ReturnType<typeof scopedUser>>;
  let janeAuth: string;
  let roles: Record<string, number>;
  const get = (url: string, auth = bearer, headers: Record<string, string> = {}) =>
    kget(app, `${V}${url}`, auth, headers);

  /** enrolls an agent in an organization through the agent protocol; returns its id and client */
  async function enroll(orgId: number, name: string, osFamily: string) {
    const t = await admin.post(`/api/v1/organizations/${orgId}/install-tokens`, { name: `for ${name}` });
    assert.equal(t.status, 201, JSON.stringify(t.body));
    const e = await client(app).post('/agent/v1/enroll', { token: t.body.token, name, osFamily });
    assert.equal(e.status, 201, JSON.stringify(e.body));
    return { id: e.body.deviceId as number, agent: client(app, e.body.credential as string) };
  }

  before(async () => {
    app = await startKaseyaApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    world = await buildWorld(admin, h.store());
    bearer = await kaseyaSignIn(app, 'admin', ADMIN_PASSWORD);
    jane = await scopedUser(admin, 'jane', world.orgA.id, 'Operator');
    const named = await admin.patch(`/api/v1/users/${jane.user.id}`, {
      displayName: 'Jane van Dijk',
      email: 'jane@alpha.example',
    });
    assert.equal(named.status, 200, JSON.stringify(named.body));
    janeAuth = await kaseyaSignIn(app, 'jane', jane.password);
    const r = await admin.get('/api/v1/roles?limit=100');
    roles = Object.fromEntries(r.body.items.map((x: { name: string; id: number }) => [x.name, x.id]));
  });
  after(async () => app?.close());

  it('lists users with $filter, $orderby, $skip and $top, in the fields VSA clients read', async () => {
    const all = await get('/system/users?$orderby=AdminName');
    assert.deepEqual(
      listed(all).map((u) => u.AdminName),
      ['admin', 'jane'],
    );
    assert.equal(all.body.TotalRecords, 2);
    const dijk = listed(await get(`/system/users?$filter=${q("substringof('DIJK', LastName)")}`));
    assert.equal(dijk.length, 1);
    assert.deepEqual(dijk[0], {
      UserId: String(jane.user.id),
      AdminName: 'jane',
      AdminPassword: null,
      AdminType: null,
      DisableUntil: null,
      CreationDate: dijk[0]!.CreationDate,
      AdminScopeIds: [String(jane.scope.id)],
      AdminRoleIds: [roles.Operator],
      FirstName: 'Jane',
      LastName: 'van Dijk',
      DefaultStaffOrgId: null,
      DefaultStaffDepartmentId: null,
      Email: 'jane@alpha.example',
      Attributes: { Disabled: false, TimeZone: null },
    });
    assert.ok(!Number.isNaN(Date.parse(String(dijk[0]!.CreationDate))));
    const page = await get(`/system/users?$orderby=${q('AdminName desc')}&$top=1&$skip=1`);
    assert.deepEqual(
      listed(page).map((u) => u.AdminName),
      ['admin'],
    );
    assert.equal(page.body.TotalRecords, 2, 'TotalRecords counts every match, not the page');
    const byFirst = listed(await get(`/system/users?$filter=${q("FirstName eq 'jane' and UserId gt 0")}`));
    assert.deepEqual(
      byFirst.map((u) => u.AdminName),
      ['jane'],
    );
    const recent = listed(
      await get(`/system/users?$filter=${q("CreationDate ge DATETIME'2000-01-01T00:00:00'")}`),
    );
    assert.equal(recent.length, 2);
    failed(await get(`/system/users?$filter=${q("Password eq 'x'")}`), 400, /unknown field 'Password'/);

    const one = await get(`/system/users/${jane.user.id}`);
    assert.equal(one.status, 200, one.text);
    assert.equal(one.body.Result.AdminName, 'jane');
    failed(await get('/system/users/999999'), 404);
    failed(await get('/system/users/abc'), 404);

    const xml = await get(`/system/users?$filter=${q("AdminName eq 'jane'")}`, bearer, {
      accept: 'application/xml',
    });
    assert.equal(xml.status, 200);
    assert.equal(xml.body.Response.TotalRecords, '1');
    assert.equal(xml.body.Response.Result.User.AdminName, 'jane');
    assert.equal(xml.body.Response.Result.User.LastName, 'van Dijk');
  });

  it('lists roles with their privileges; RoleId is a number, as the seed types it', async () => {
    const viewer = listed(await get(`/system/roles?$filter=${q("RoleName eq 'viewer'")}`));
    const native = (await admin.get(`/api/v1/roles/${roles.Viewer}`)).body;
    assert.deepEqual(viewer, [
      {
        RoleId: roles.Viewer,
        RoleName: 'Viewer',
        RoleTypeIds: [],
        Attributes: { Description: native.description, Privileges: ['read'], BuiltIn: true },
      },
    ]);
    const sorted = listed(await get(`/system/roles?$orderby=${q('RoleId desc')}`)).map((r) => r.RoleId);
    assert.deepEqual(
      sorted,
      [...Object.values(roles)].sort((a, b) => b - a),
    );
    const two = await get('/system/roles?$orderby=RoleName&$top=2');
    assert.deepEqual(
      listed(two).map((r) => r.RoleName),
      ['Administrator', 'Approver'],
    );
    assert.equal(two.body.TotalRecords, Object.keys(roles).length);
    const one = await get(`/system/roles/${roles.Operator}`);
    assert.equal(one.body.Result.RoleName, 'Operator');
    assert.ok((one.body.Result.Attributes.Privileges as string[]).includes('manage_devices'));
    failed(await get('/system/roles/999999'), 404);
    failed(await get(`/system/roles?$filter=${q('RoleName gt 5')}`), 400, /RoleName/);
    const xml = await get(`/system/roles/${roles.Viewer}`, bearer, { accept: 'application/xml' });
    assert.equal(xml.body.Response.Result.RoleName, 'Viewer');
    assert.equal(xml.body.Response.Result.Attributes.Privileges.Item, 'read');
  });

  it('keeps the user and role directory to a scope over every organization; a user reads their own record', async () => {
    // an administrator of one organization: the privilege is there, the scope is not wide enough
    const boss = await scopedUser(admin, 'alpha-admin', world.orgA.id, 'Administrator');
    const bossAuth = await kaseyaSignIn(app, 'alpha-admin', boss.password);
    failed(await get('/system/users', bossAuth), 403, /every organization/);
    failed(await get('/system/roles', bossAuth), 403, /every organization/);
    failed(await get(`/system/users/${jane.user.id}`, bossAuth), 403);
    // an operator lacks the privilege
    failed(await get('/system/users', janeAuth), 403, /'administer' privilege/);
    failed(await get(`/system/users?$filter=${q("AdminName eq 'admin'")}`, janeAuth), 403);
    failed(await get('/system/users/1', janeAuth), 403);
    failed(await get('/system/roles', janeAuth), 403);
    failed(await get(`/system/roles/${roles.Administrator}`, janeAuth), 403);
    const self = await get(`/system/users/${jane.user.id}`, janeAuth);
    assert.equal(self.status, 200, self.text);
    assert.equal(self.body.Result.AdminName, 'jane');
    const role = await get(`/system/roles/${roles.Operator}`, janeAuth);
    assert.equal(role.status, 200, role.text);
    assert.equal(role.body.Result.RoleName, 'Operator');
  });

  it('has no agent views: /system/views lists none, and the agents of any view id answer 404', async () => {
    const views = await get('/system/views');
    assert.deepEqual(views.body, {
      TotalRecords: 0,
      Result: [],
      ResponseCode: 0,
      Status: 'OK',
      Error: 'None',
    });
    failed(await get('/assetmgmt/agentsinview/1'), 404, /Patchline has no agent views/);
    failed(await get('/assetmgmt/agentsinview/x'), 404);
    failed(await get('/system/views?$top=x'), 400, /\$top/);
    failed(await kget(app, `${V}/system/views`), 401);
  });

  it('lists the installed applications of an agent from its inventory and the updates found installed', async () => {
    const linux = await enroll(world.orgA.id, 'build-1', 'linux');
    const inventory = {
      backend: 'apt',
      packages: [
        'bash=5.2.15-2+b7',
        'openssl=3.0.22-1~deb12u2',
        'libfoo1=1.4-2 (half-configured)',
        'zlib1g=1:1.2.13',
      ],
    };
    const c = await linux.agent.post('/agent/v1/checkin', { inventory });
    assert.equal(c.status, 200, JSON.stringify(c.body));
    const deb = (name: string, version: string, detection: string) => ({
      kind: 'deb',
      name,
      version,
      architecture: 'amd64',
      detection,
    });
    const s = await linux.agent.post('/agent/v1/scans', {
      sequence: 1,
      full: true,
      updates: [
        deb('openssl', '3.0.22-1~deb12u2', 'installed'),
        deb('curl', '7.88.1-10+deb12u5', 'installed'), // not in the inventory: removed since
        deb('bash', '5.2.15-2+b8', 'missing'),
      ],
    });
    assert.equal(s.body.accepted, true, JSON.stringify(s.body));
    // the catalog knows openssl's vendor and product (arranged in the store: no importer sets them yet)
    const db = h.store().db;
    const vendor = await db
      .insertInto('vendors')
      .values({ name: 'OpenSSL Project' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const product = await db
      .insertInto('products')
      .values({ vendor_id: vendor.id, name: 'OpenSSL', os_family: 'linux' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .updateTable('updates')
      .set({ product_id: product.id })
      .where('package_name', '=', 'openssl')
      .execute();

    const url = `/assetmgmt/audit/${linux.id}/software/installedapplications`;
    const apps = await get(`${url}?$orderby=ApplicationName`);
    assert.equal(apps.body.TotalRecords, 4);
    const rows = listed(apps);
    assert.deepEqual(
      rows.map((a) => [a.ApplicationName, a.Version, a.Attributes]),
      [
        ['bash', '5.2.15-2+b7', { Source: 'inventory' }],
        ['libfoo1', '1.4-2', { Source: 'inventory', State: 'half-configured' }],
        ['openssl', '3.0.22-1~deb12u2', { Source: 'inventory', Kind: 'deb' }],
        ['zlib1g', '1:1.2.13', { Source: 'inventory' }],
      ],
    );
    const openssl = rows[2]!;
    assert.deepEqual(
      [openssl.Manufacturer, openssl.ProductName, openssl.Description, openssl.DirectoryPath, openssl.Size],
      ['OpenSSL Project', 'OpenSSL', null, null, null],
    );
    assert.ok(
      Date.parse(String(openssl.LastModifiedDate)) > Date.now() - 60_000,
      String(openssl.LastModifiedDate),
    );
    assert.equal(rows[0]!.LastModifiedDate, null, 'bash was never seen installed by a scan');

    // OData over the list, in SQL
    const lib = listed(
      await get(`${url}?$filter=${q("startswith(ApplicationName, 'LIB') or Manufacturer ne null")}`),
    );
    assert.deepEqual(lib.map((a) => a.ApplicationName).sort(), ['libfoo1', 'openssl']);
    const paged = await get(`${url}?$orderby=${q('Version desc')}&$skip=1&$top=2`);
    assert.deepEqual(
      listed(paged).map((a) => a.Version),
      ['3.0.22-1~deb12u2', '1:1.2.13'],
    );
    assert.equal(paged.body.TotalRecords, 4);
    const dated = listed(
      await get(`${url}?$filter=${q("LastModifiedDate gt DATETIME'2000-01-01T00:00:00Z'")}`),
    );
    assert.deepEqual(
      dated.map((a) => a.ApplicationName),
      ['openssl'],
    );
    assert.equal(listed(await get(`${url}?$filter=${q('Size eq null')}`)).length, 4);
    failed(
      await get(`${url}?$filter=${q("Publisher eq 'x'")}`),
      400,
      /unknown field 'Publisher'.*ApplicationName/,
    );

    const xml = await get(`${url}?$filter=${q("ApplicationName eq 'openssl'")}`, bearer, {
      accept: 'application/xml',
    });
    assert.equal(xml.status, 200);
    assert.equal(xml.body.Response.Result.InstalledApplication.ApplicationName, 'openssl');
    assert.equal(xml.body.Response.Result.InstalledApplication.Manufacturer, 'OpenSSL Project');

    // an agent without an inventory (Windows sends none): the updates its scans found installed
    const win = await enroll(world.orgA.id, 'desk-1', 'windows');
    await win.agent.post('/agent/v1/scans', {
      sequence: 1,
      full: true,
      updates: [
        { kind: 'kb', name: 'KB5034441', detection: 'installed' },
        { kind: 'kb', name: 'KB5035845', detection: 'missing' },
      ],
    });
    const winApps = listed(await get(`/assetmgmt/audit/${win.id}/software/installedapplications`));
    assert.deepEqual(
      winApps.map((a) => [a.ApplicationName, a.Version, a.Attributes]),
      [['KB5034441', null, { Source: 'update', Kind: 'kb' }]],
    );
    // an agent that reported nothing yet
    const empty = await get(`/assetmgmt/audit/${world.deviceB.id}/software/installedapplications`);
    assert.deepEqual([empty.body.TotalRecords, empty.body.Result], [0, []]);

    // scope: jane (organization Alpha) reads Alpha's agents only
    const own = await get(url, janeAuth);
    assert.equal(own.body.TotalRecords, 4);
    failed(await get(`/assetmgmt/audit/${world.deviceB.id}/software/installedapplications`, janeAuth), 404);
    failed(await get('/assetmgmt/audit/999999/software/installedapplications'), 404);
  });

  it('derives the Online code from real check-ins: 199 never, 1 recent, 0 overdue, 198 retired', async () => {
    const fresh = await enroll(world.orgB.id, 'online-1', 'linux');
    const late = await enroll(world.orgB.id, 'late-1', 'linux');
    const gone = await enroll(world.orgB.id, 'gone-1', 'linux');
    assert.equal((await fresh.agent.post('/agent/v1/checkin', {})).status, 200);
    const db = h.store().db;
    // late-1 last checked in four check-in intervals (4 × 300 s) ago; gone-1 was retired
    await db
      .updateTable('devices')
      .set({ last_seen_at: sql<Date>`now() - interval '20 minutes'` })
      .where('id', '=', late.id)
      .execute();
    await db.updateTable('devices').set({ status: 'retired' }).where('id', '=', gone.id).execute();
    const codes = async () => {
      const r = await get(`/assetmgmt/agents?$filter=${q(`OrgId eq ${world.orgB.id}`)}&$orderby=AgentId`);
      return Object.fromEntries(listed(r).map((a) => [a.AgentName, a.Online]));
    };
    assert.deepEqual(await codes(), { 'db-1': 199, 'online-1': 1, 'late-1': 0, 'gone-1': 198 });
    const online = listed(
      await get(`/assetmgmt/agents?$filter=${q(`Online eq 1 and OrgId eq ${world.orgB.id}`)}`),
    );
    assert.deepEqual(
      online.map((a) => a.AgentName),
      ['online-1'],
    );
    const one = await get(`/assetmgmt/agents/${late.id}`);
    assert.equal(one.body.Result.Online, 0);
    assert.ok(Date.parse(one.body.Result.LastCheckInTime) < Date.now() - 15 * 60_000);
    // a late agent that checks in again is online
    assert.equal((await late.agent.post('/agent/v1/checkin', { agentVersion: '0.2.0' })).status, 200);
    assert.equal((await codes())['late-1'], 1);
  });
});
