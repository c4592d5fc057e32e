import assert from 'node:assert/strict';
import { before, after, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ADMIN_PASSWORD, signIn, type Client } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';
import { kcall } from './request.ts';
import { kaseyaSignIn, kget, startKaseyaApp, type KRes } from './support.ts';

// Organizations, machine groups and agents written through the Kaseya face (seed 004, "Add / Update /
// Delete Organization", "Add / Update / Delete Machine Group", "Rename Agent", "Delete Agent").

const V = '/api/v1.0';
const XML = { accept: 'application/xml' };

/** a failure in the envelope: the HTTP status is also the ResponseCode, the message in Error */
function failed(r: KRes, status: number, error?: RegExp) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.body.ResponseCode, status, r.text);
  assert.equal(r.body.Status, 'Error');
  assert.equal(r.body.Result, null);
  if (error) assert.match(r.body.Error, error);
}
function succeeded(r: KRes) {
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.ResponseCode, 0, r.text);
  assert.equal(r.body.Status, 'OK');
  assert.equal(r.body.Error, 'None');
  return r.body.Result;
}

eachDriver('Kaseya VSA: writing organizations, machine groups and agents', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let world: World;
  let bearer: string;
  const k = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, auth = bearer) =>
    kcall(app, method, `${V}${url}`, auth, body);
  const groupsOf = async (orgId: string | number) =>
    succeeded(await k('GET', `/system/orgs/${orgId}/machinegroups?$orderby=MachineGroupId`)) as {
      MachineGroupId: string;
      MachineGroupName: string;
      ParentMachineGroupId: string | null;
    }[];

  before(async () => {
    app = await startKaseyaApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    world = await buildWorld(admin, h.store());
    bearer = await kaseyaSignIn(app, 'admin', ADMIN_PASSWORD);
  });
  after(async () => app?.close());

  it("adds an organization from the seed's request model, with its root machine group", async () => {
    const id = succeeded(
      await k('POST', '/system/orgs', {
        OrgId: 0,
        OrgName: 'Northern Lights',
        OrgRef: 'northern',
        OrgType: 'Customer',
        DefaultDepartmentName: 'root',
        DefaultMachineGroupName: 'Workstations',
        ParentOrgId: 0,
        Website: 'https://northern.example',
        NoOfEmployees: 42,
        AnnualRevenue: 1250000.5,
        ContactInfo: { PrimaryPhone: '+1 555 0100', City: 'Tromsø', PrimaryEmail: 'it@northern.example' },
        CustomFields: [{ FieldName: 'Tier', FieldValue: 'Gold' }],
        Attributes: {},
      }),
    );
    assert.match(id, /^\d+$/, 'the new OrgId, a decimal string');
    const org = succeeded(await k('GET', `/system/orgs/${id}`));
    assert.deepEqual(
      {
        OrgId: org.OrgId,
        OrgName: org.OrgName,
        OrgRef: org.OrgRef,
        OrgType: org.OrgType,
        DefaultDepartmentName: org.DefaultDepartmentName,
        DefaultMachineGroupName: org.DefaultMachineGroupName,
        ParentOrgId: org.ParentOrgId,
        Website: org.Website,
        NoOfEmployees: org.NoOfEmployees,
        AnnualRevenue: org.AnnualRevenue,
        ContactInfo: org.ContactInfo,
        CustomFields: org.CustomFields,
        Attributes: org.Attributes,
      },
      {
        OrgId: id,
        OrgName: 'Northern Lights',
        OrgRef: 'northern',
        OrgType: 'Customer',
        DefaultDepartmentName: 'root',
        DefaultMachineGroupName: 'Workstations',
        ParentOrgId: null,
        Website: 'https://northern.example',
        NoOfEmployees: 42,
        AnnualRevenue: 1250000.5,
        ContactInfo: { PrimaryPhone: '+1 555 0100', City: 'Tromsø', PrimaryEmail: 'it@northern.example' },
        CustomFields: [{ FieldName: 'Tier', FieldValue: 'Gold' }],
        Attributes: {},
      },
    );
    const groups = await groupsOf(id);
    assert.deepEqual(
      groups.map((g) => [g.MachineGroupName, g.ParentMachineGroupId]),
      [['Workstations', null]],
      'exactly one group: the root, named by DefaultMachineGroupName',
    );
    // the native API sees the same organization and root group
    const native = await admin.get(`/api/v1/organizations/${id}`);
    assert.equal(native.body.rootGroupId, Number(groups[0]!.MachineGroupId));

    // a child organization, ids sent as strings (as GET renders them); no DefaultMachineGroupName: 'root'
    const child = succeeded(
      await k('POST', '/system/orgs', { OrgName: 'Northern Oslo', OrgRef: 'northern-oslo', ParentOrgId: id }),
    );
    const c = succeeded(await k('GET', `/system/orgs/${child}`));
    assert.equal(c.ParentOrgId, id);
    assert.equal(c.DefaultMachineGroupName, 'root');
  });

  it("updates an organization with the seed's sample body, trailing comma and all, changing only what it names", async () => {
    const id = succeeded(
      await k('POST', '/system/orgs', {
        OrgName: 'Aurora',
        OrgRef: 'aurora',
        Website: 'https://aurora.example',
        ContactInfo: { PrimaryPhone: '1', City: 'Bergen' },
      }),
    );
    // the text of "Update Organization": the guide's own sample ends with a comma
    const r = await k('PUT', `/system/orgs/${id}`, `{\n"OrgId":${id},\n"OrgName":"NorthernLights",\n}`);
    assert.equal(succeeded(r), true);
    let org = succeeded(await k('GET', `/system/orgs/${id}`));
    assert.equal(org.OrgName, 'NorthernLights');
    assert.equal(org.OrgRef, 'aurora');
    assert.equal(org.Website, 'https://aurora.example', 'a field left out stays');

    // the overview's form: PUT /system/orgs with the id in the body (its sample misses a comma: see below)
    assert.equal(succeeded(await k('PUT', '/system/orgs', { OrgId: id, OrgRef: 'starfire' })), true);
    assert.equal(succeeded(await k('GET', `/system/orgs/${id}`)).OrgRef, 'starfire');
    failed(await k('PUT', '/system/orgs', { OrgRef: 'starfire' }), 400, /OrgId is required/);

    // ContactInfo merges field by field; null removes a field; the root group follows DefaultMachineGroupName
    succeeded(
      await k('PUT', `/system/orgs/${id}`, {
        OrgId: id,
        ContactInfo: { PrimaryPhone: '2', City: null },
        Website: null,
        DefaultMachineGroupName: 'All machines',
      }),
    );
    org = succeeded(await k('GET', `/system/orgs/${id}`));
    assert.deepEqual(org.ContactInfo, { PrimaryPhone: '2' });
    assert.equal(org.Website, null);
    assert.equal(org.DefaultMachineGroupName, 'All machines');
    assert.deepEqual(
      (await groupsOf(id)).map((g) => g.MachineGroupName),
      ['All machines'],
    );

    // a record read with GET and sent back changed in one field: an administrator of that one organization
    // may, since the unchanged ParentOrgId is not a change (moving organizations needs a global scope)
    const parent = succeeded(
      await k('POST', '/system/orgs', { OrgName: 'Aurora Holding', OrgRef: 'aurora-h' }),
    );
    succeeded(await k('PUT', `/system/orgs/${id}`, { OrgId: id, ParentOrgId: parent }));
    const boss = await scopedUser(admin, 'aurora-admin', Number(id), 'Administrator');
    const bossAuth = await kaseyaSignIn(app, 'aurora-admin', boss.password);
    const record = succeeded(await k('GET', `/system/orgs/${id}`, undefined, bossAuth));
    assert.equal(record.ParentOrgId, parent);
    assert.equal(
      succeeded(await k('PUT', `/system/orgs/${id}`, { ...record, OrgName: 'Aurora Borealis' }, bossAuth)),
      true,
    );
    assert.equal(succeeded(await k('GET', `/system/orgs/${id}`)).OrgName, 'Aurora Borealis');
    // a different parent is a move between organizations: 403, and the parent stays
    failed(
      await k('PUT', `/system/orgs/${id}`, { OrgId: id, ParentOrgId: world.orgA.id }, bossAuth),
      403,
      /every organization/,
    );
    assert.equal(succeeded(await k('GET', `/system/orgs/${id}`)).ParentOrgId, parent);
  });

  it('deletes an empty organization, and refuses one that still holds agents (409, nothing changed)', async () => {
    const id = succeeded(await k('POST', '/system/orgs', { OrgName: 'Short Lived', OrgRef: 'short-lived' }));
    // its machine groups, nested, go with it
    const g = succeeded(await k('POST', `/system/orgs/${id}/machinegroups`, { MachineGroupName: 'A' }));
    const g2 = succeeded(
      await k('POST', `/system/orgs/${id}/machinegroups`, { MachineGroupName: 'B', ParentMachineGroupId: g }),
    );
    assert.equal(succeeded(await k('DELETE', `/system/orgs/${id}`)), true);
    failed(await k('GET', `/system/orgs/${id}`), 404);
    failed(await k('GET', `/system/machinegroups/${g2}`), 404);
    failed(await k('DELETE', `/system/orgs/${id}`), 404);

    failed(await k('DELETE', `/system/orgs/${world.orgA.id}`), 409, /still has 2 device/);
    assert.equal(succeeded(await k('GET', `/system/orgs/${world.orgA.id}`)).OrgName, 'Alpha');
    const agents = await kget(app, `${V}/assetmgmt/agents?$filter=OrgId eq ${world.orgA.id}`, bearer);
    assert.equal(agents.body.TotalRecords, 2);
  });

  it('adds, moves, renames and deletes machine groups; the root group and a group with agents stay', async () => {
    const org = world.orgA.id;
    const rootId = (await admin.get(`/api/v1/organizations/${org}`)).body.rootGroupId as number;
    const top = succeeded(
      await k('POST', `/system/orgs/${org}/machinegroups`, { MachineGroupName: 'Laptops' }),
    );
    const sub = succeeded(
      await k('POST', `/system/orgs/${org}/machinegroups`, {
        MachineGroupId: 0,
        MachineGroupName: 'Sales laptops',
        ParentMachineGroupId: top,
        OrgId: String(org),
        Attributes: {},
      }),
    );
    let groups = await groupsOf(org);
    const byId = () => Object.fromEntries(groups.map((g) => [g.MachineGroupId, g]));
    assert.equal(byId()[top]?.ParentMachineGroupId, String(rootId), 'no parent: under the root group');
    assert.equal(byId()[sub]?.ParentMachineGroupId, top);
    assert.equal(byId()[sub]?.MachineGroupName, 'Sales laptops');

    // the seed's update sample (trailing comma), then a move to the top level
    succeeded(
      await k('PUT', `/system/machinegroups/${sub}`, `{"MachineGroupId":${sub},"MachineGroupName":"Sales",}`),
    );
    succeeded(
      await k('PUT', `/system/machinegroups/${sub}`, { MachineGroupId: sub, ParentMachineGroupId: null }),
    );
    groups = await groupsOf(org);
    assert.deepEqual(
      [byId()[sub]?.MachineGroupName, byId()[sub]?.ParentMachineGroupId],
      ['Sales', String(rootId)],
    );
    const one = succeeded(await k('GET', `/system/machinegroups/${sub}`));
    assert.equal(one[0].MachineGroupName, 'Sales');

    assert.equal(succeeded(await k('DELETE', `/system/machinegroups/${sub}`)), true);
    failed(await k('GET', `/system/machinegroups/${sub}`), 404);
    failed(await k('DELETE', `/system/machinegroups/${rootId}`), 409, /root group/);
    failed(await k('DELETE', `/system/machinegroups/${world.subA.id}`), 409, /device/);
    const still = (await groupsOf(org)).map((g) => g.MachineGroupId);
    for (const g of [rootId, world.subA.id, top]) assert.ok(still.includes(String(g)), `group ${g} stays`);
  });

  it('renames an agent and deletes one; uninstallFirst=true is refused, since Patchline cannot uninstall', async () => {
    const dev = await admin.post('/api/v1/devices', {
      organizationId: world.orgA.id,
      groupId: world.groupA.id,
      name: 'kiosk-1',
      osFamily: 'windows',
    });
    assert.equal(dev.status, 201);
    const id = dev.body.id as number;
    assert.equal(succeeded(await k('PUT', `/assetmgmt/agents/${id}/rename/kiosk-lobby`)), true);
    assert.equal(succeeded(await k('GET', `/assetmgmt/agents/${id}`)).AgentName, 'kiosk-lobby');
    // a name with spaces and a dot, escaped in the path
    succeeded(await k('PUT', `/assetmgmt/agents/${id}/rename/${encodeURIComponent('Kiosk 1.lobby')}`));
    assert.equal(succeeded(await k('GET', `/assetmgmt/agents/${id}`)).AgentName, 'Kiosk 1.lobby');

    failed(await k('DELETE', `/assetmgmt/agents/${id}/true`), 400, /cannot uninstall an agent remotely/);
    failed(await k('DELETE', `/assetmgmt/agents/${id}/maybe`), 400, /true or false/);
    assert.equal(succeeded(await k('GET', `/assetmgmt/agents/${id}`)).AgentName, 'Kiosk 1.lobby');
    assert.equal(succeeded(await k('DELETE', `/assetmgmt/agents/${id}/False`)), true);
    failed(await k('GET', `/assetmgmt/agents/${id}`), 404);
    failed(await k('DELETE', `/assetmgmt/agents/${id}/false`), 404);
    failed(await k('PUT', `/assetmgmt/agents/${id}/rename/again`), 404);
  });

  it('reads XML bodies and answers in XML', async () => {
    const xml = `<?xml version="1.0" encoding="utf-8"?>
      <Org><OrgId>0</OrgId><OrgName>Xml &amp; Co</OrgName><OrgRef>xml-co</OrgRef><NoOfEmployees>12</NoOfEmployees>
      <ContactInfo><City>Oslo</City></ContactInfo>
      <CustomFields><CustomField><FieldName>a</FieldName><FieldValue>1</FieldValue></CustomField>
      <CustomField><FieldName>b</FieldName><FieldValue>2</FieldValue></CustomField></CustomFields></Org>`;
    const r = await kcall(app, 'POST', `${V}/system/orgs`, bearer, xml, {
      'content-type': 'application/xml',
      ...XML,
    });
    assert.equal(r.status, 200, r.text);
    assert.match(String(r.headers['content-type']), /^application\/xml/);
    assert.equal(r.body.Response.ResponseCode, '0');
    const id = r.body.Response.Result as string;
    assert.match(id, /^\d+$/);
    const org = succeeded(await k('GET', `/system/orgs/${id}`));
    assert.deepEqual(
      [org.OrgName, org.NoOfEmployees, org.ContactInfo, org.CustomFields],
      [
        'Xml & Co',
        12,
        { City: 'Oslo' },
        [
          { FieldName: 'a', FieldValue: '1' },
          { FieldName: 'b', FieldValue: '2' },
        ],
      ],
    );
    const group = await kcall(
      app,
      'POST',
      `${V}/system/orgs/${id}/machinegroups`,
      bearer,
      '<MachineGroup><MachineGroupName>Branch</MachineGroupName><ParentMachineGroupId/></MachineGroup>',
      { 'content-type': 'text/xml', ...XML },
    );
    assert.equal(group.body.Response.ResponseCode, '0', group.text);
    const put = await kcall(
      app,
      'PUT',
      `${V}/system/machinegroups/${group.body.Response.Result}`,
      bearer,
      `<MachineGroup><MachineGroupId>${group.body.Response.Result}</MachineGroupId><MachineGroupName>Branch office</MachineGroupName></MachineGroup>`,
      { 'content-type': 'application/xml', ...XML },
    );
    assert.equal(put.body.Response.Result, 'true', put.text);
    assert.deepEqual((await groupsOf(id)).map((g) => g.MachineGroupName).sort(), ['Branch office', 'root']);
    const bad = await kcall(app, 'POST', `${V}/system/orgs`, bearer, '<Org><OrgName>x</Org>', {
      'content-type': 'application/xml',
      ...XML,
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.Response.ResponseCode, '400');
    assert.match(bad.body.Response.Error, /not well-formed XML/);
  });

  it('refuses bad bodies with a 400 envelope that names the field, and changes nothing', async () => {
    const before = succeeded(await k('GET', '/system/orgs?$top=100')) as unknown[];
    const cases: [unknown, RegExp][] = [
      ['{"OrgName": "x"', /not valid JSON/],
      ['{"OrgId": "1" "OrgRef": "Starfire"}', /not valid JSON/], // the overview's sample misses a comma
      [[{ OrgName: 'x' }], /one organization object/],
      [{ OrgRef: 'no-name' }, /OrgName is required/],
      [{ OrgName: 42 }, /OrgName must be text/],
      [{ OrgName: 'Typo', OrgNmae: 'x' }, /'OrgNmae' is not a field of this record/],
      [{ OrgName: 'x', NoOfEmployees: 'many' }, /NoOfEmployees must be a number/],
      [{ OrgName: 'x', NoOfEmployees: 1.5 }, /NoOfEmployees must be a whole number/],
      [{ OrgName: 'x', ContactInfo: { Phone: '1' } }, /'ContactInfo\/Phone' is not a field of this record/],
      [{ OrgName: 'x', CustomFields: 'Tier=Gold' }, /CustomFields must be a list/],
      [{ OrgName: 'x', ParentOrgId: 'abc' }, /ParentOrgId must be an id/],
      [{ OrgName: 'x', OrgRef: 'x', ParentOrgId: '7.213597641814316e+25' }, /ParentOrgId must be an id/],
      [{ OrgName: '   ' }, /\/OrgName must not be blank/],
      [{ OrgName: 'Bad ref', OrgRef: 'a b' }, /\/OrgRef must be 1 to 64/],
      [{ OrgName: 'x', DefaultMachineGroupName: ' ' }, /\/DefaultMachineGroupName must be 1 to 100/],
    ];
    for (const [body, error] of cases) failed(await k('POST', '/system/orgs', body), 400, error);
    failed(
      await k('POST', '/system/orgs', { OrgName: 'Orphan', ParentOrgId: 999999 }),
      404,
      /parent organization/,
    );
    failed(
      await kcall(app, 'POST', `${V}/system/orgs`, bearer),
      400,
      /send the organization as a JSON or XML body/,
    );

    const org = world.orgB.id;
    failed(
      await k('PUT', `/system/orgs/${org}`, { OrgId: world.orgA.id, OrgName: 'Hijack' }),
      400,
      /differs/,
    );
    failed(await k('PUT', `/system/orgs/${org}`, { OrgName: null }), 400, /OrgName is required/);
    failed(await k('PUT', `/system/orgs/${org}`, { OrgName: 'x', ParentOrgId: org }), 400, /own parent/);
    failed(
      await k('POST', `/system/orgs/${org}/machinegroups`, { MachineGroupName: '' }),
      400,
      /MachineGroupName/,
    );
    failed(
      await k('POST', `/system/orgs/${org}/machinegroups`, { MachineGroupName: 'x', OrgId: world.orgA.id }),
      400,
      /OrgId/,
    );
    failed(
      await k('POST', `/system/orgs/${org}/machinegroups`, {
        MachineGroupName: 'x',
        Attributes: { Color: 'red' },
      }),
      400,
      /no Attributes on machine groups/,
    );
    failed(
      await k('POST', `/system/orgs/${org}/machinegroups`, {
        MachineGroupName: 'x',
        ParentMachineGroupId: world.groupA.id,
      }),
      400,
      /\/ParentMachineGroupId must be a group of the same organization/,
    );
    failed(
      await k('PUT', `/system/machinegroups/${world.groupB.id}`, { OrgId: world.orgA.id }),
      400,
      /cannot move to another organization/,
    );
    failed(
      await k('PUT', `/system/machinegroups/${world.groupB.id}`, { MachineGroupName: 'x'.repeat(101) }),
      400,
      /\/MachineGroupName must be 1 to 100/,
    );
    failed(await k('PUT', `/assetmgmt/agents/${world.deviceB.id}/rename/%20%20`), 400, /\/newName/);

    const after = succeeded(await k('GET', '/system/orgs?$top=100')) as unknown[];
    assert.deepEqual(after, before, 'no organization was added or changed');
    assert.deepEqual((await groupsOf(org)).map((g) => g.MachineGroupName).sort(), ['Servers', 'root']);
    assert.equal(succeeded(await k('GET', `/assetmgmt/agents/${world.deviceB.id}`)).AgentName, 'db-1');
  });

  it("keeps a user scoped to one organization away from another's organizations, groups and agents", async () => {
    // an administrator, so that only the scope stands in the way
    const alice = await scopedUser(admin, 'alice-admin', world.orgA.id, 'Administrator');
    const auth = await kaseyaSignIn(app, 'alice-admin', alice.password);
    const b = world.orgB.id;
    const attempts: [string, string, unknown, number][] = [
      ['PUT', `/system/orgs/${b}`, { OrgName: 'Taken' }, 404],
      ['DELETE', `/system/orgs/${b}`, undefined, 404],
      ['POST', `/system/orgs/${b}/machinegroups`, { MachineGroupName: 'Mine now' }, 404],
      ['PUT', `/system/machinegroups/${world.groupB.id}`, { MachineGroupName: 'Taken' }, 404],
      ['DELETE', `/system/machinegroups/${world.groupB.id}`, undefined, 404],
      ['PUT', `/assetmgmt/agents/${world.deviceB.id}/rename/taken`, undefined, 404],
      ['DELETE', `/assetmgmt/agents/${world.deviceB.id}/false`, undefined, 404],
      // a group of her own organization cannot take a parent from another
      ['PUT', `/system/machinegroups/${world.subA.id}`, { ParentMachineGroupId: world.groupB.id }, 404],
      // new organizations span every tenant: a global scope is needed
      ['POST', '/system/orgs', { OrgName: 'Side business', OrgRef: 'side' }, 403],
    ];
    for (const [method, url, body, status] of attempts)
      failed(await k(method as 'PUT', url, body, auth), status);

    // her own organization she may change; an operator of it may not (403: the role lacks 'administer')
    succeeded(await k('PUT', `/system/orgs/${world.orgA.id}`, { Website: 'https://alpha.example' }, auth));
    const op = await scopedUser(admin, 'alpha-operator', world.orgA.id, 'Operator');
    const opAuth = await kaseyaSignIn(app, 'alpha-operator', op.password);
    failed(
      await k('PUT', `/system/orgs/${world.orgA.id}`, { Website: 'https://evil.example' }, opAuth),
      403,
      /administer/,
    );
    failed(await k('DELETE', `/system/orgs/${world.orgA.id}`, undefined, opAuth), 403);
    const viewer = await scopedUser(admin, 'alpha-viewer', world.orgA.id, 'Viewer');
    const viewerAuth = await kaseyaSignIn(app, 'alpha-viewer', viewer.password);
    failed(await k('PUT', `/assetmgmt/agents/${world.deviceA.id}/rename/x`, undefined, viewerAuth), 403);
    failed(
      await k('POST', `/system/orgs/${world.orgA.id}/machinegroups`, { MachineGroupName: 'x' }, viewerAuth),
      403,
    );

    const orgB = succeeded(await k('GET', `/system/orgs/${b}`));
    assert.equal(orgB.OrgName, 'Bravo');
    assert.deepEqual((await groupsOf(b)).map((g) => g.MachineGroupName).sort(), ['Servers', 'root']);
    assert.equal(succeeded(await k('GET', `/assetmgmt/agents/${world.deviceB.id}`)).AgentName, 'db-1');
    assert.equal(succeeded(await k('GET', `/system/orgs/${world.orgA.id}`)).Website, 'https://alpha.example');
    assert.equal(succeeded(await k('GET', `/assetmgmt/agents/${world.deviceA.id}`)).AgentName, 'web-1');
  });
});
