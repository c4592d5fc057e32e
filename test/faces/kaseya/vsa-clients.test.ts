// Issue 16, items 1 and 5: what VSA clients written by others send, sent exactly so, through the Kaseya
// face: assets, every field of the seed's agent, asset and organization models in $filter and $orderby,
// VSA's date-time forms, the schedule call without a recurrence, the machine_groups spelling and paths in
// any case, KB articles of simulated Windows machines, the Online codes, $select, SQL Server's null
// order, the wording "agent", the modules Patchline does not provide, and the core system resources.
// One server on PGlite for the file (the store's queries are shared with the both-store suites).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { SimulatedBackend } from '../../../src/agent/backends/simulated.ts';
import { scanToReport } from '../../../src/core/simulation/report.ts';
import { agentFields, assetFields, orgFields } from '../../../src/faces/kaseya/fields.ts';
import { DATE_FORMS } from '../../../src/faces/kaseya/dates.ts';
import { MODULES } from '../../../src/faces/kaseya/modules.ts';
import type { FieldMap } from '../../../src/faces/shared/odata/index.ts';
import { systemContext } from '../../../src/services/context.ts';
import { ingestScan } from '../../../src/services/scans.ts';
import type { Store } from '../../../src/store/db.ts';
import { ADMIN_PASSWORD, client, signIn, type Client } from '../../support/api.ts';
import { freshStore } from '../../support/store.ts';
import { buildWorld, type World } from '../../support/world.ts';
import { kcall } from './request.ts';
import { kaseyaSignIn, startKaseyaApp, type KRes } from './support.ts';

const V = '/api/v1.0';
const q = (text: string) => encodeURIComponent(text);
const SECOND = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
const FRACTION = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$/;

// The fields of the seed's model schemas (seed 004: "Get Agents", "Get Assets", "Get Organizations"),
// copied from its tables in their order; the objects (Attributes, ContactInfo, CustomFields) are not
// filterable and are left out.
const SEED_AGENT_FIELDS = [
  'AgentId', 'Online', 'OSType', 'OSInfo', 'AgentName', 'OrgId', 'MachineGroupId', 'MachineGroup',
  'ComputerName', 'IPv6Address', 'IPAddress', 'OperatingSystem', 'OSVersion', 'LastLoggedInUser',
  'LastRebootTime', 'LastCheckInTime', 'Country', 'CurrentUser', 'Contact', 'TimeZone', 'RamMBytes',
  'CpuCount', 'CpuSpeed', 'CpuType', 'DomainWorkgroup', 'AgentFlags', 'AgentVersion', 'ToolTipNotes',
  'ShowToolTip', 'DefaultGateway', 'DNSServer1', 'DNSServer2', 'DHCPServer', 'PrimaryWINS',
  'SecondaryWINS', 'ConnectionGatewayIP', 'FirstCheckIn', 'PrimaryKServer', 'SecondaryKServer',
]; // prettier-ignore
const SEED_ASSET_FIELDS = [
  'AssetId', 'AssetName', 'AssetTypeId', 'ProbeId', 'MachineGroupId', 'MachineGroup', 'OrgId',
  'IsComputerAgent', 'IsMobileAgent', 'IsMonitoring', 'IsPatching', 'IsAuditing', 'IsBackingUp',
  'IsSecurity', 'TicketCount', 'AlarmCount', 'IsSNMPActive', 'IsVProActive', 'NetworkInfo', 'AgentId',
  'DisplayName', 'LastSeenDate', 'ProbeAgentGuid', 'PrimaryProbe', 'PrimaryProbeId', 'NMapProbeId',
  'HostName', 'OSName', 'OSType', 'OSFamily', 'OSGeneration', 'DeviceManufacturer',
]; // prettier-ignore
const SEED_ORG_FIELDS = [
  'OrgId', 'OrgName', 'OrgRef', 'OrgType', 'DefaultDepartmentName', 'DefaultMachineGroupName',
  'ParentOrgId', 'Website', 'NoOfEmployees', 'AnnualRevenue',
]; // prettier-ignore

/** a literal of the field's type, as a client writes it */
function literal(fields: FieldMap, name: string): string {
  switch (fields[name]!.type) {
    case 'string':
      return "'x'";
    case 'integer':
      return '1';
    case 'number':
      return "'1000000'";
    case 'boolean':
      return 'true';
    case 'datetime':
      return "DATETIME'2020-01-01T00:00:00'";
    case 'guid':
      return "guid'00000000-0000-0000-0000-000000000000'";
  }
}

function failed(r: KRes, status: number, error?: RegExp) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.body.ResponseCode, status, r.text);
  assert.equal(r.body.Status, 'Error', r.text);
  if (error) assert.match(r.body.Error, error);
}
function listed(r: KRes) {
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.ResponseCode, 0, r.text);
  assert.equal(typeof r.body.TotalRecords, 'number', r.text);
  return r.body.Result as Record<string, unknown>[];
}

describe('Kaseya VSA clients of issue 16 [pglite]', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let app: FastifyInstance;
  let admin: Client;
  let world: World;
  let bearer: string;
  const get = (url: string, auth = bearer) => kcall(app, 'GET', `${V}${url}`, auth);
  const call = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, body?: unknown) =>
    kcall(app, method, `${V}${url}`, bearer, body);

  async function enroll(orgId: number, name: string, osFamily = 'linux') {
    const t = await admin.post(`/api/v1/organizations/${orgId}/install-tokens`, { name: `for ${name}` });
    assert.equal(t.status, 201, JSON.stringify(t.body));
    const e = await client(app).post('/agent/v1/enroll', { token: t.body.token, name, osFamily });
    assert.equal(e.status, 201, JSON.stringify(e.body));
    return { id: e.body.deviceId as number, agent: client(app, e.body.credential as string) };
  }

  before(async () => {
    ({ store, cleanup } = await freshStore('pglite'));
    app = await startKaseyaApp(store);
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    world = await buildWorld(admin, store);
    bearer = await kaseyaSignIn(app, 'admin', ADMIN_PASSWORD);
    const placed = await admin.patch(`/api/v1/devices/${world.deviceA.id}`, {
      ipAddresses: ['192.0.2.51', '2001:db8::51'],
      macAddresses: ['00:1A:2B:3C:4D:51', '00:1A:2B:3C:4D:52'],
    });
    assert.equal(placed.status, 200, JSON.stringify(placed.body));
  });
  after(async () => {
    await app?.close();
    await cleanup?.();
  });

  it('lists, gets and deletes assets: one per device, MACAddresses one string, LastSeenDate with a fraction', async () => {
    const agent = await enroll(world.orgB.id, 'asset-1');
    assert.equal((await agent.agent.post('/agent/v1/checkin', {})).status, 200);
    const assets = listed(
      await get(`/assetmgmt/assets?$filter=${q(`OrgId eq ${world.orgB.id}`)}&$orderby=AssetId`),
    );
    assert.deepEqual(
      assets.map((a) => [a.AssetName, a.AssetId === a.AgentId]),
      [
        ['db-1', true],
        ['asset-1', true],
      ],
    );
    const one = assets[1]!;
    assert.match(String(one.LastSeenDate), FRACTION, 'LastSeenDate: fraction, no zone');
    assert.equal(assets[0]!.LastSeenDate, null, 'never seen');
    // by MAC address, as clients find a machine
    const byMac = listed(
      await get(`/assetmgmt/assets?$filter=${q("substringof('00:1A:2B:3C:4D:52', MACAddresses)")}`),
    );
    assert.deepEqual(
      byMac.map((a) => [a.AssetId, a.MACAddresses]),
      [[String(world.deviceA.id), '00:1A:2B:3C:4D:51, 00:1A:2B:3C:4D:52']],
    );
    const detail = await get(`/AssetMgmt/Assets/${world.deviceA.id}`);
    assert.equal(detail.status, 200, detail.text);
    const r = detail.body.Result;
    assert.equal(r.AssetId, String(world.deviceA.id));
    assert.equal(r.MACAddresses, '00:1A:2B:3C:4D:51, 00:1A:2B:3C:4D:52');
    assert.deepEqual(
      r.DeviceFounds[0].DeviceIPs.map((i: Record<string, unknown>) => [
        i.IPAddress,
        i.IPv6Address,
        i.MACAddress,
      ]),
      [
        ['192.0.2.51', null, '00:1A:2B:3C:4D:51'],
        [null, '2001:db8::51', '00:1A:2B:3C:4D:52'],
      ],
    );
    assert.match(r.ServerTime, FRACTION);
    failed(await get('/assetmgmt/assets/999999'), 404, /asset 999999 not found/);
    const types = listed(await get('/assetmgmt/assettypes'));
    assert.deepEqual(
      types.map((t) => t.AssetTypeId),
      [one.AssetTypeId],
    );
    // delete: the device goes
    const gone = await call('DELETE', `/assetmgmt/assets/${agent.id}`);
    assert.equal(gone.status, 200, gone.text);
    assert.equal(gone.body.Result, true);
    failed(await get(`/assetmgmt/agents/${agent.id}`), 404, /agent/);
  });

  it("filters and sorts on every field of the seed's agent, asset and organization models", async () => {
    for (const [path, fields, names] of [
      ['/assetmgmt/agents', agentFields, SEED_AGENT_FIELDS],
      ['/assetmgmt/assets', assetFields, SEED_ASSET_FIELDS],
      ['/system/orgs', orgFields, SEED_ORG_FIELDS],
    ] as const) {
      const all = listed(await get(path));
      for (const name of names) {
        assert.ok(Object.hasOwn(fields, name), `${path}: ${name} is a field`);
        assert.ok(Object.hasOwn(all[0]!, name), `${path}: records carry ${name}`);
        for (const expr of [`${name} eq ${literal(fields, name)}`, `${name} ne null`, `${name} eq null`]) {
          const r = await get(`${path}?$filter=${q(expr)}`);
          listed(r);
        }
        for (const dir of ['asc', 'desc']) {
          const sorted = listed(await get(`${path}?$orderby=${q(`${name} ${dir}`)}`));
          assert.equal(sorted.length, all.length, `${path} $orderby=${name} ${dir}`);
        }
      }
    }
    // exactly what the clients sent
    const byIp = listed(await get(`/assetmgmt/agents?$filter=${q("IPAddress eq '192.0.2.51'")}`));
    assert.deepEqual(
      byIp.map((a) => [a.AgentId, a.IPAddress, a.IPv6Address]),
      [[String(world.deviceA.id), '192.0.2.51', '2001:db8::51']],
    );
    const byV6 = listed(await get(`/assetmgmt/agents?$filter=${q("IPv6Address eq '2001:DB8::51'")}`));
    assert.deepEqual(
      byV6.map((a) => a.AgentId),
      [String(world.deviceA.id)],
    );
    const sales = await call('POST', '/system/orgs', {
      OrgName: 'Sapphire Products',
      OrgRef: 'sapphire',
      OrgType: 'Sales',
      AnnualRevenue: 2500000,
      NoOfEmployees: 40,
    });
    assert.equal(sales.status, 200, sales.text);
    await call('POST', '/system/orgs', {
      OrgName: 'Small Sales',
      OrgRef: 'smallsales',
      OrgType: 'Sales',
      AnnualRevenue: 999,
    });
    const rich = listed(
      await get(`/system/orgs?$filter=${q("orgtype eq 'Sales' and orgRevenue gt '1000000'")}`),
    );
    assert.deepEqual(
      rich.map((o) => o.OrgName),
      ['Sapphire Products'],
    );
    // the guide's first filter example names /system/OrgNames: the same organizations
    const named = listed(await get(`/system/OrgNames?$filter=${q("startswith(OrgName,'Sapphire')")}`));
    assert.deepEqual(
      named.map((o) => [o.OrgName, o.OrgRef]),
      [['Sapphire Products', 'sapphire']],
    );
    const staff = listed(await get(`/system/orgs?$filter=${q('NoOfEmployees ge 40')}`));
    assert.deepEqual(
      staff.map((o) => [o.OrgName, o.NoOfEmployees, o.AnnualRevenue]),
      [['Sapphire Products', 40, 2500000]],
    );
    const byRevenue = listed(
      await get(`/system/orgs?$filter=${q("OrgType eq 'Sales'")}&$orderby=${q('AnnualRevenue desc')}`),
    );
    assert.deepEqual(
      byRevenue.map((o) => o.OrgName),
      ['Sapphire Products', 'Small Sales'],
    );
  });

  it('writes each date-time field in its VSA form, from one table', async () => {
    const a = await enroll(world.orgA.id, 'dates-1');
    assert.equal((await a.agent.post('/agent/v1/checkin', {})).status, 200);
    const agent = (await get(`/assetmgmt/agents/${a.id}`)).body.Result;
    assert.match(agent.LastCheckInTime, SECOND);
    assert.match(agent.FirstCheckIn, SECOND);
    const status = (await get(`/assetmgmt/patch/${world.deviceA.id}/status`)).body.Result;
    assert.match(status.LastPatchScan, SECOND, 'parsed with %Y-%m-%dT%H:%M:%S');
    const users = listed(await get('/system/users'));
    assert.match(String(users[0]!.CreationDate), FRACTION);
    for (const [field, form] of Object.entries(DATE_FORMS))
      assert.ok(form === 'second' || form === 'fraction', field);
  });

  it('installs the named patches at once on a schedule call without a recurrence', async () => {
    const d = world.deviceA2.id;
    const body = {
      ServerTimeZone: true,
      SkipIfOffLine: false,
      PowerUpIfOffLine: false,
      PatchIds: [world.updates.openssl, world.updates.liblzma5],
    };
    const r = await call('PUT', `/assetmgmt/patch/${d}/schedule`, body);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { Result: true, ResponseCode: 0, Status: 'OK', Error: 'None' });
    // an install of exactly those two, due now (the task engine hands it to the agent)
    const status = (await get(`/assetmgmt/patch/${d}/status`)).body.Result;
    assert.equal(status.Attributes.ApprovedPatches, 2, JSON.stringify(status.Attributes));
    const missing = listed(await get(`/assetmgmt/patch/${d}/machineupdate/false?$orderby=PatchDataId`));
    assert.deepEqual(
      missing.filter((p) => p.ApprovalStatus === 0).map((p) => p.PatchDataId),
      [world.updates.openssl, world.updates.liblzma5].sort((x, y) => x - y),
    );
    // without patch ids it scans now
    const pending = async () =>
      (
        await store.db
          .selectFrom('task_instances')
          .select('id')
          .where('kind', '=', 'scan')
          .where('occurrence_at', 'is', null)
          .where(sql<boolean>`parameters::text like ${`%${world.deviceB.id}%`}`)
          .execute()
      ).length;
    assert.equal(await pending(), 0);
    const scan = await call('PUT', `/assetmgmt/patch/${world.deviceB.id}/schedule`, { ServerTimeZone: true });
    assert.equal(scan.status, 200, scan.text);
    assert.equal(await pending(), 1, 'a scan is on its way');
  });

  it('answers machine_groups and any spelling of the paths, keeping parameters as sent', async () => {
    const groups = listed(await get(`/system/orgs/${world.orgA.id}/machine_groups`));
    const same = listed(await get(`/system/orgs/${world.orgA.id}/machinegroups`));
    assert.deepEqual(groups, same);
    assert.ok(groups.length >= 3);
    assert.deepEqual(
      listed(await kcall(app, 'GET', `/API/v1.0/System/Orgs/${world.orgA.id}/MachineGroups`, bearer)),
      same,
    );
    assert.deepEqual(listed(await get(`/SYSTEM/ORGS/${world.orgA.id}/Machine_Groups`)), same);
    const agents = await kcall(
      app,
      'GET',
      `/api/V1.0/AssetMgmt/Agents?$filter=${q("IPAddress eq '192.0.2.51'")}`,
      bearer,
    );
    assert.equal(listed(agents).length, 1);
    const renamed = await call('PUT', `/AssetMgmt/Agents/${world.deviceA2.id}/Rename/Web-Two`);
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal((await get(`/assetmgmt/agents/${world.deviceA2.id}`)).body.Result.AgentName, 'Web-Two');
    failed(await get('/AssetMgmt/NoSuchThing'), 404, /no route/);
  });

  it('reports the KB articles of simulated Windows machines', async () => {
    const win = await enroll(world.orgA.id, 'win-1', 'windows');
    const backend = new SimulatedBackend({
      seed: 5,
      os: { family: 'windows', version: '11-24H2' },
      failureRate: 0,
    });
    const scan = await backend.scan();
    await ingestScan(systemContext(store, 'test-agent'), win.id, { full: true, updates: scanToReport(scan) });
    const missing = listed(await get(`/assetmgmt/patch/${win.id}/machineupdate/false`));
    assert.ok(missing.length > 0);
    for (const p of missing) {
      assert.match(String(p.KBArticle), /^KB\d{5,8}$/, JSON.stringify(p));
      assert.equal(p.KBArticleId, p.KBArticle);
      assert.equal(p.KBArticleLink, `https://support.microsoft.com/kb/${String(p.KBArticle).slice(2)}`);
    }
    const kb = String(missing[0]!.KBArticle);
    assert.equal(
      listed(await get(`/assetmgmt/patch/${win.id}/machineupdate/false?$filter=${q(`KBArticle eq '${kb}'`)}`))
        .length,
      1,
    );
  });

  it('produces Online 1, 2, 11, 12, 0 and 198 (device retirement) from check-ins', async () => {
    const org = (await admin.post('/api/v1/organizations', { name: 'Online', ref: 'online' })).body
      .id as number;
    const names = ['active', 'idle', 'user-active', 'user-idle', 'offline', 'retired'];
    const ids: Record<string, number> = {};
    for (const name of names) {
      const e = await enroll(org, name);
      ids[name] = e.id;
      const inventory = name.startsWith('user') ? { loggedInUser: 'CORP\\alice' } : {};
      assert.equal((await e.agent.post('/agent/v1/checkin', { inventory })).status, 200);
    }
    // idle: checked in ten minutes ago (past 1.5 × 300 s, within 3 × 300 s); offline: an hour ago
    const ago = (name: string, minutes: number) =>
      store.db
        .updateTable('devices')
        .set({ last_seen_at: sql<Date>`now() - make_interval(mins => ${minutes})` })
        .where('id', '=', ids[name]!)
        .execute();
    await ago('idle', 10);
    await ago('user-idle', 10);
    await ago('offline', 60);
    const retired = await admin.post(`/api/v1/devices/${ids.retired}/retire`, {});
    assert.equal(retired.status, 200, JSON.stringify(retired.body));
    const codes = async () =>
      Object.fromEntries(
        listed(await get(`/assetmgmt/agents?$filter=${q(`OrgId eq ${org}`)}`)).map((a) => [
          a.AgentName,
          a.Online,
        ]),
      );
    assert.deepEqual(await codes(), {
      active: 1,
      idle: 2,
      'user-active': 11,
      'user-idle': 12,
      offline: 0,
      retired: 198,
    });
    const users = listed(
      await get(
        `/assetmgmt/agents?$filter=${q(`OrgId eq ${org} and Online ge 11 and Online le 12`)}&$orderby=AgentName`,
      ),
    );
    assert.deepEqual(
      users.map((a) => [a.AgentName, a.CurrentUser]),
      [
        ['user-active', 'CORP\\alice'],
        ['user-idle', 'CORP\\alice'],
      ],
    );
    // back again: active once it checks in
    assert.equal((await admin.post(`/api/v1/devices/${ids.retired}/reactivate`, {})).status, 200);
    assert.equal((await codes()).retired, 1);
  });

  it('honours $select, sorts null dates last descending, and says "agent"', async () => {
    const picked = listed(await get(`/assetmgmt/agents?$select=${q('AgentId,agentname')}&$top=2`));
    assert.deepEqual(Object.keys(picked[0]!), ['AgentId', 'AgentName']);
    failed(await get(`/assetmgmt/agents?$select=AgentId,Nope`), 400, /\$select: unknown field 'Nope'/);
    failed(await get(`/assetmgmt/assets?$select=Bogus`), 400, /Bogus/);
    const desc = listed(await get(`/assetmgmt/agents?$orderby=${q('LastCheckInTime desc')}`));
    const firstNull = desc.findIndex((a) => a.LastCheckInTime === null);
    assert.ok(firstNull > 0, 'some were seen, some never');
    assert.ok(
      desc.slice(firstNull).every((a) => a.LastCheckInTime === null),
      'nulls last when descending',
    );
    const asc = listed(await get(`/assetmgmt/agents?$orderby=${q('LastCheckInTime')}`));
    assert.equal(asc[0]!.LastCheckInTime, null, 'nulls first when ascending');
    for (const url of [
      ['GET', '/assetmgmt/agents/999999'],
      ['PUT', '/assetmgmt/patch/999999/scannow'],
      ['GET', '/assetmgmt/patch/999999/status'],
      ['GET', '/assetmgmt/patch/999999/machineupdate/false'],
      ['GET', '/assetmgmt/patch/999999/history'],
      ['PUT', '/assetmgmt/patch/999999/schedule'],
      ['DELETE', '/assetmgmt/patch/999999/cancelschedule'],
    ] as const) {
      const r = await call(url[0], url[1], url[0] === 'PUT' ? {} : undefined);
      failed(r, 404);
      assert.match(r.body.Error, /\bagent\b/, `${url.join(' ')}: ${r.body.Error}`);
      assert.doesNotMatch(r.body.Error, /\bdevice\b/, `${url.join(' ')}: ${r.body.Error}`);
    }
  });

  it('answers the modules Patchline does not provide with 501 naming them, and the system resources', async () => {
    const samples: Record<string, string> = {
      'Remote Control': '/remotecontrol/notifypolicy/1',
      'Documents and File Transfer': '/assetmgmt/documents/1/folder/x',
      'Kaseya Cloud Backup (KCB)': '/kcb/servers',
      'Service Desk': '/automation/servicedesk/1/tickets',
      'Info Center': '/infocenter/messages',
      'Navigation Header': '/navigation/header',
      'Agent Packages (package links)': '/assetmgmt/assets/packages',
    };
    for (const m of MODULES.filter((x) => !x.provided)) {
      const [method, route] = m.routes[0]!;
      const path = samples[m.name] ?? route.replace(/:[A-Za-z]+/g, '1').replace('*', 'x');
      const r = await kcall(
        app,
        samples[m.name] ? 'GET' : (method as 'GET'),
        `${V}${path}`,
        bearer,
        method === 'GET' ? undefined : {},
      );
      failed(r, 501);
      assert.equal(r.body.Error, `the VSA module '${m.name}' is not provided by Patchline`);
    }
    const env = await kcall(app, 'GET', `${V}/environment`, undefined);
    assert.equal(env.status, 200, env.text);
    assert.deepEqual(Object.keys(env.body.Result), [
      'SystemVersion',
      'PatchLevel',
      'CustomerID',
      'TimeZoneOffset',
      'Attributes',
    ]);
    assert.equal(env.body.Result.TimeZoneOffset, 0);
    const tenant = await get('/tenant');
    assert.deepEqual(Object.keys(tenant.body.Result), [
      'TenantId',
      'Ref',
      'Type',
      'TimeZoneOffset',
      'Attributes',
    ]);
    failed(await kcall(app, 'GET', `${V}/tenant`, undefined), 401);
    const functions = await get('/functions');
    assert.equal(functions.body.TotalRecords, functions.body.Result.length);
    assert.ok(functions.body.Result.includes(3001), 'patch management functions');
    const patch = listed(await get('/functions/3'));
    assert.ok(patch.length >= 10 && patch.every((f) => Number(f) >= 3001 && Number(f) < 4000));
    for (const [id, installed] of [
      ['3', true],
      ['1', true],
      ['20', false],
      ['999', false],
      ['abc', false],
    ] as const)
      assert.equal((await get(`/ismoduleinstalled/${id}`)).body.Result, installed, id);
  });
});
