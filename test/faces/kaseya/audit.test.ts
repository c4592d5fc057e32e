// Issue 16, the Audit and Agent Custom Fields chapters of seed 004, against simulated agents (Windows,
// macOS, Debian) in one organization and a Debian agent in another: run now makes each agent scan and
// send its audit, and every audit route then shows what the agent's OS reported (through the same
// parsers a real agent uses), with the seed's field names, filters, sorts and paging; the first audit is
// the baseline; audit schedules are scan schedules that ask for an audit; custom fields are created,
// set, renamed and deleted, per tenant; another tenant's agent is not found.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Agent } from '../../../src/agent/agent.ts';
import { SimulatedBackend } from '../../../src/agent/backends/simulated.ts';
import { ProtocolClient } from '../../../src/agent/client.ts';
import { MemoryStorage } from '../../../src/agent/storage.ts';
import type { SimulatedOs } from '../../../src/core/simulation/machine.ts';
import { startEngine, type Engine } from '../../../src/engine/engine.ts';
import { ADMIN_PASSWORD, signIn, startApp } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';
import { scopedUser } from '../../support/world.ts';
import { kaseyaSignIn } from './support.ts';

const K = '/api/v1.0';

/** a seed schedule body: once, in the future */
const schedule = (startOn: string) => ({
  Recurrence: { Repeat: 'Days', Times: 1, EndAt: 'T0000', EndAfterIntervalTimes: 0 },
  Distribution: { Interval: 'Minutes', Magnitude: 0 },
  Start: { StartOn: startOn, StartAt: 'T0300' },
  Exclusion: { From: 'T0000', To: 'T0000' },
  Attributes: {},
});

eachDriver('Kaseya audit chapter and custom fields against simulated agents', (h) => {
  let app: FastifyInstance;
  let engine: Engine;
  let admin: string; // the global administrator's Bearer header
  let bravoAdmin: string; // an administrator scoped to organization Bravo
  const agents: Record<string, { agent: Agent; deviceId: number }> = {};

  const call = async (method: string, url: string, auth: string, body?: unknown, form?: string) => {
    const r = await app.inject({
      method: method as 'GET',
      url: `${K}${url}`,
      headers: {
        authorization: auth,
        ...(form !== undefined
          ? { 'content-type': 'application/x-www-form-urlencoded' }
          : body === undefined
            ? {}
            : { 'content-type': 'application/json' }),
      },
      ...(form !== undefined
        ? { payload: form }
        : body === undefined
          ? {}
          : { payload: JSON.stringify(body) }),
    });
    return { status: r.statusCode, body: JSON.parse(r.body) };
  };
  const get = async (url: string, auth = admin) => {
    const r = await call('GET', url, auth);
    assert.equal(r.status, 200, `${url}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.ResponseCode, 0);
    return r.body;
  };

  before(async () => {
    const store = h.store();
    app = await startApp(store);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const native = await signIn(app, 'admin', ADMIN_PASSWORD);
    const server = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const orgs: Record<string, number> = {};
    for (const name of ['Alpha', 'Bravo'])
      orgs[name] = (await native.post('/api/v1/organizations', { name })).body.id;
    const oses: [string, string, SimulatedOs, 'windows' | 'macos' | 'linux'][] = [
      ['win', 'Alpha', { family: 'windows', version: '11' }, 'windows'],
      ['mac', 'Alpha', { family: 'macos', version: '14' }, 'macos'],
      ['deb', 'Alpha', { family: 'debian', version: '12' }, 'linux'],
      ['bravo', 'Bravo', { family: 'debian', version: '12' }, 'linux'],
    ];
    for (const [key, org, os, osFamily] of oses) {
      const token = (await native.post(`/api/v1/organizations/${orgs[org]}/install-tokens`, {})).body.token;
      const client = new ProtocolClient({ server, timeoutMs: 10_000 });
      const e = await client.enroll({ token, name: `${org.toLowerCase()}-${key}`, osFamily });
      client.credential = e.credential;
      const backend = new SimulatedBackend({ seed: key.length * 7, os, failureRate: 0 });
      agents[key] = {
        agent: new Agent({ client, backend, storage: new MemoryStorage() }),
        deviceId: e.deviceId,
      };
    }
    await scopedUser(native, 'bravo-admin', orgs.Bravo!, 'Administrator');
    engine = startEngine({ store, owner: 'kaseya-audit', pollMs: 20 });
    admin = await kaseyaSignIn(app, 'admin', ADMIN_PASSWORD);
    bravoAdmin = await kaseyaSignIn(app, 'bravo-admin', 'bravo-admin-password');
  });
  after(async () => {
    await engine?.stop();
    await app?.close();
  });

  const lastJob: Record<string, number> = {};
  /** the agent checks in until a scan job newer than the last one seen is done */
  async function untilScanned(key: string) {
    const { agent, deviceId } = agents[key]!;
    const deadline = Date.now() + 20_000;
    for (;;) {
      const job = await h
        .store()
        .db.selectFrom('jobs')
        .select(['id', 'status', 'result'])
        .where('device_id', '=', deviceId)
        .where('kind', '=', 'scan')
        .where('id', '>', lastJob[key] ?? 0)
        .orderBy('id', 'desc')
        .executeTakeFirst();
      if (job && job.status !== 'pending' && job.status !== 'delivered') {
        lastJob[key] = job.id;
        return job;
      }
      if (job) await agent.cycle();
      else await new Promise((r) => setTimeout(r, 20));
      assert.ok(Date.now() < deadline, `${key} never finished its scan job`);
    }
  }
  const id = (key: string) => agents[key]!.deviceId;

  it('before any audit: empty lists, no LastAudit, installed applications from what scans know', async () => {
    const s = await get(`/assetmgmt/audit/${id('deb')}/summary`);
    assert.equal(s.Result.LastAudit, null);
    const v = await get(`/assetmgmt/audit/${id('deb')}/hardware/diskvolumes`);
    assert.deepEqual([v.TotalRecords, v.Result], [0, []]);
  });

  it('run now (latest) on each agent: the agent scans and sends its audit, the first becomes the baseline', async () => {
    for (const key of ['win', 'mac', 'deb', 'bravo']) {
      const r = await call(
        'PUT',
        `/assetmgmt/audit/latest/${id(key)}/runnow`,
        key === 'bravo' ? bravoAdmin : admin,
      );
      assert.deepEqual([r.status, r.body.Result], [200, true], JSON.stringify(r.body));
      const job = await untilScanned(key);
      assert.equal(job.status, 'succeeded', JSON.stringify(job.result));
      assert.equal((job.result as { audit?: string }).audit, 'latest');
    }
    const rows = await h
      .store()
      .db.selectFrom('device_audits')
      .select(['device_id', 'snapshot'])
      .where('device_id', '=', id('win'))
      .orderBy('snapshot')
      .execute();
    assert.deepEqual(
      rows.map((r) => r.snapshot),
      ['baseline', 'latest'],
    );
  });

  it('Get Audit Summary: the seed model filled from the audit, custom fields as an object', async () => {
    const s = (await get(`/assetmgmt/audit/${id('win')}/summary`)).Result;
    assert.match(s.LastAudit, /^\d{4}-\d{2}-\d{2}T/);
    assert.deepEqual(s.SystemInfo, {
      Manufacturer: 'Dell Inc.',
      ProductName: 'OptiPlex 7090',
      Version: null,
      SysSerialNumber: s.SystemInfo.SysSerialNumber,
    });
    assert.match(s.SystemInfo.SysSerialNumber, /^SIM/);
    assert.equal(s.BIOS.BiosReleaseDate, '2024-03-12T00:00:00');
    assert.equal(s.CPURAM.CpuCount, 16);
    assert.equal(s.CPURAM.RamMBytes, 16226);
    assert.equal(s.Chassis.ChassisType, 'Desktop');
    assert.deepEqual(s.CustomFields, {});
    assert.equal(s.Attributes.OsName, 'Microsoft Windows 11 Pro');
    const mac = (await get(`/assetmgmt/audit/${id('mac')}/summary`)).Result;
    assert.equal(mac.CPURAM.CpuDescription, 'Apple M1');
  });

  it('every list route answers with the seed fields from the audit', async () => {
    const w = id('win');
    const list = async (path: string, q = '') => get(`/assetmgmt/audit/${w}/${path}${q}`);
    const apps = await list('software/installedapplications');
    assert.equal(apps.TotalRecords, 4);
    assert.deepEqual(apps.Result[0], {
      ApplicationName: 'Google Chrome',
      Description: null,
      Version: '131.0.6778.86',
      Manufacturer: 'Google LLC',
      ProductName: 'Google Chrome',
      DirectoryPath: 'C:\\Program Files\\Google\\Chrome\\Application',
      Size: 565432,
      LastModifiedDate: '2024-11-18T00:00:00',
      Attributes: { Source: 'audit' },
    });
    const arp = await list('software/addremoveprograms', "?$filter=DisplayName eq '7-Zip 24.08 (x64)'");
    assert.deepEqual(arp.Result, [
      { DisplayName: '7-Zip 24.08 (x64)', UninstallString: '"C:\\Program Files\\7-Zip\\Uninstall.exe"' },
    ]);
    const vols = await list('hardware/diskvolumes', "?$filter=Type eq 'Fixed'");
    assert.deepEqual(vols.Result, [
      {
        Drive: 'C:',
        Type: 'Fixed',
        Format: 'NTFS',
        FreeMBytes: 303708,
        UsedMBytes: 183401,
        TotalMBytes: 487109,
        Label: 'Windows',
      },
    ]);
    const pci = await list('hardware/pcianddisk', '?$filter=TypeId eq 2');
    assert.deepEqual(pci.Result, [
      {
        TypeId: 2,
        TypeName: 'Disk Drive',
        Vendor: '(Standard disk drives)',
        Product: 'PM9A1 NVMe Samsung 512GB',
        Note: 'SCSI, 512 GB',
      },
    ]);
    assert.equal((await list('hardware/pcianddisk', '?$filter=TypeId eq 1')).TotalRecords, 3);
    const printers = await list('hardware/printers', '?$orderby=PrinterName desc&$top=1');
    assert.deepEqual(
      [printers.TotalRecords, printers.Result],
      [2, [{ PrinterName: 'Microsoft Print to PDF', Port: 'PORTPROMPT:', Model: 'Microsoft Print To PDF' }]],
    );
    const sec = await list('software/securityproducts', '?$filter=IsActive eq true');
    assert.deepEqual(sec.Result, [
      {
        ProductType: 'AntiVirus',
        ProductName: 'Windows Defender',
        Manufacturer: null,
        Version: null,
        IsActive: true,
        IsUpToDate: true,
        Attributes: {},
      },
    ]);
    const startup = await list('software/startupapps', "?$filter=UserName eq 'Public'");
    assert.equal(startup.Result[0].AppName, 'SecurityHealth');
    const users = await list('useraccounts', '?$filter=IsDisabled eq false');
    assert.deepEqual(
      users.Result.map((u: { LogonName: string }) => u.LogonName),
      ['alice'],
    );
    const groups = await list('groups', '?$orderby=UserGroupName');
    assert.deepEqual(
      groups.Result.map((g: { UserGroupName: string }) => g.UserGroupName),
      ['Administrators', 'Remote Desktop Users', 'Users'],
    );
    const members = await list('members', "?$filter=UserGroupName eq 'Administrators'");
    assert.deepEqual(members.Result, [
      { UserGroupName: 'Administrators', MemberName: 'Administrator', Attributes: {} },
      { UserGroupName: 'Administrators', MemberName: 'alice', Attributes: {} },
    ]);
    const lic = await list('software/licenses');
    assert.equal(lic.Result[0].ProductKey, '*****-*****-*****-*****-3V66T');
    const cred = await list('credentials');
    assert.deepEqual([cred.TotalRecords, cred.Result], [0, []]);
    // the Debian agent: its own packages, accounts from /etc/passwd, volumes from df
    const deb = id('deb');
    const debApps = await get(`/assetmgmt/audit/${deb}/software/installedapplications?$top=5&$skip=0`);
    assert.equal(debApps.Result.length, 5);
    assert.ok(debApps.TotalRecords >= 5);
    const root = await get(`/assetmgmt/audit/${deb}/useraccounts?$filter=LogonName eq 'root'`);
    assert.equal(root.Result[0].IsDisabled, false);
    const debVols = await get(`/assetmgmt/audit/${deb}/hardware/diskvolumes?$orderby=TotalMBytes desc`);
    assert.deepEqual(
      debVols.Result.map((v: { Drive: string }) => v.Drive),
      ['/', '/boot/efi'],
    );
    // an unknown field is the client's mistake
    const bad = await call('GET', `/assetmgmt/audit/${deb}/useraccounts?$filter=Nope eq 1`, admin);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.Status, 'Error');
  });

  it('Get Audit Summaries: every visible agent, filterable and sortable by the seed fields', async () => {
    const all = await get('/assetmgmt/audit?$orderby=RamMBytes desc,AgentGuid');
    assert.equal(all.TotalRecords, 4);
    assert.deepEqual(
      all.Result.map((r: { AgentGuid: number; RamMBytes: number }) => [r.AgentGuid, r.RamMBytes]),
      [
        [id('mac'), 16384],
        [id('win'), 16226],
        [id('deb'), 4096],
        [id('bravo'), 4096],
      ].sort((x, y) => y[1]! - x[1]! || x[0]! - y[0]!),
    );
    const mac = await get("/assetmgmt/audit?$filter=OsInfo eq 'macOS'");
    assert.equal(mac.TotalRecords, 1);
    const m = mac.Result[0];
    assert.deepEqual(
      [m.AgentGuid, m.AgentType, m.Manufacturer, m.ProductName, m.CpuCount, m.NumberOfDrives, m.TotalSize],
      [id('mac'), 4, 'Apple Inc.', 'MacBook Air', 8, 1, 471482],
    );
    assert.equal(m.FreeSpace + m.UsedSpace, m.TotalSize);
    const page = await get('/assetmgmt/audit?$filter=AgentType eq 5&$orderby=AgentGuid&$top=1&$skip=1');
    assert.deepEqual([page.TotalRecords, page.Result.length], [2, 1]);
  });

  it('baseline snapshot, a new baseline, and sysinfo', async () => {
    const w = id('win');
    const base = await get(`/assetmgmt/audit/${w}/software/addremoveprograms?snapshot=baseline`);
    assert.equal(base.TotalRecords, 4);
    const bad = await call(
      'GET',
      `/assetmgmt/audit/${w}/software/addremoveprograms?snapshot=yesterday`,
      admin,
    );
    assert.equal(bad.status, 400);
    for (const kind of ['baseline', 'sysinfo']) {
      const r = await call('PUT', `/assetmgmt/audit/${kind}/${w}/runnow`, admin);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const job = await untilScanned('win');
      assert.equal((job.result as { audit?: string }).audit, kind);
    }
    const s = (await get(`/assetmgmt/audit/${w}/summary`)).Result;
    assert.match(s.Attributes.SysInfoAudit, /^\d{4}-/);
  });

  it('audit schedules are scan schedules whose jobs ask for the audit', async () => {
    for (const kind of ['latest', 'baseline', 'sysinfo']) {
      const r = await call(
        'PUT',
        `/assetmgmt/audit/${kind}/${id('mac')}/schedule`,
        admin,
        schedule('2031-01-06T00:00:00Z'),
      );
      assert.deepEqual([r.status, r.body.Result], [200, true], JSON.stringify(r.body));
    }
    const tasks = await h
      .store()
      .db.selectFrom('tasks')
      .select(['kind', 'parameters', 'schedule_id'])
      .where('name', 'like', '%audit: alpha-mac')
      .orderBy('id')
      .execute();
    assert.deepEqual(
      tasks.map((t) => [t.kind, (t.parameters as { audit: string }).audit, t.schedule_id !== null]),
      [
        ['scan', 'latest', true],
        ['scan', 'baseline', true],
        ['scan', 'sysinfo', true],
      ],
    );
    const missing = await call('PUT', `/assetmgmt/audit/latest/${id('mac')}/schedule`, admin, {});
    assert.equal(missing.status, 400);
  });

  it('purchase and warranty dates: set, read back, refused when not dates', async () => {
    const url = `/assetmgmt/audit/${id('deb')}/hardware/purchaseandwarrantyexpire`;
    assert.deepEqual((await get(url)).Result, { PurchaseDate: null, WarrantyExpireDate: null });
    const put = await call('PUT', url, admin, {
      PurchaseDate: '2024-08-01T15:52:14.968Z',
      WarrantyExpireDate: '2027-08-01T00:00:00Z',
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    // dates a user enters are written to the second, without a zone (faces/kaseya/dates.ts)
    assert.deepEqual((await get(url)).Result, {
      PurchaseDate: '2024-08-01T15:52:14',
      WarrantyExpireDate: '2027-08-01T00:00:00',
    });
    const bad = await call('PUT', url, admin, { PurchaseDate: 'soon' });
    assert.equal(bad.status, 400);
  });

  it('custom fields: add (JSON and form), set, rename, delete; per tenant', async () => {
    const d = id('deb');
    let r = await call('POST', '/assetmgmt/assets/customfields', admin, [
      { key: 'FieldName', value: 'Cycle' },
      { key: 'FieldType', value: 'string' },
    ]);
    assert.deepEqual([r.status, r.body.Result], [200, true], JSON.stringify(r.body));
    r = await call(
      'POST',
      '/assetmgmt/assets/customfields',
      admin,
      undefined,
      'key=FieldName&value=Rack&key=FieldType&value=number',
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    r = await call('POST', '/assetmgmt/assets/customfields', admin, [{ key: 'FieldName', value: 'cycle' }]);
    assert.equal(r.status, 409);
    r = await call('PUT', `/assetmgmt/assets/${d}/customfields/Cycle`, admin, [
      { key: 'FieldValue', value: 'F' },
    ]);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    r = await call('PUT', `/assetmgmt/assets/${d}/customfields/Rack`, admin, [
      { key: 'FieldValue', value: 'twelve' },
    ]);
    assert.equal(r.status, 400);
    r = await call('PUT', `/assetmgmt/assets/${d}/customfields/Nope`, admin, [
      { key: 'FieldValue', value: 'x' },
    ]);
    assert.equal(r.status, 404);
    assert.deepEqual((await get(`/assetmgmt/assets/${d}/customfields`)).Result, [
      { FieldName: 'Cycle', FieldValue: 'F', FieldType: 'string' },
      { FieldName: 'Rack', FieldValue: null, FieldType: 'number' },
    ]);
    r = await call('PUT', '/assetmgmt/assets/customfields/Cycle', admin, [
      { key: 'NewFieldName', value: 'Billing Cycle' },
    ]);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual((await get(`/assetmgmt/audit/${d}/summary`)).Result.CustomFields, {
      'Billing Cycle': 'F',
      Rack: null,
    });

    // Bravo's administrator: sees the global fields, makes its own in Bravo, cannot touch the global ones
    const b = id('bravo');
    r = await call('POST', '/assetmgmt/assets/customfields', bravoAdmin, { FieldName: 'Owner' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    r = await call('PUT', `/assetmgmt/assets/${b}/customfields/Owner`, bravoAdmin, [
      { key: 'FieldValue', value: 'bravo-ops' },
    ]);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const bf = (await get(`/assetmgmt/assets/${b}/customfields`, bravoAdmin)).Result.map(
      (f: { FieldName: string }) => f.FieldName,
    );
    assert.deepEqual(bf, ['Billing Cycle', 'Owner', 'Rack']);
    // Alpha's device does not carry Bravo's field
    const af = (await get(`/assetmgmt/assets/${d}/customfields`)).Result.map(
      (f: { FieldName: string }) => f.FieldName,
    );
    assert.deepEqual(af, ['Billing Cycle', 'Rack']);
    r = await call('DELETE', '/assetmgmt/assets/customfields/Rack', bravoAdmin);
    assert.equal(r.status, 403);
    r = await call('PUT', `/assetmgmt/assets/${d}/customfields/Billing Cycle`, bravoAdmin, [
      { key: 'FieldValue', value: 'X' },
    ]);
    assert.equal(r.status, 404);
    r = await call('DELETE', '/assetmgmt/assets/customfields/Rack', admin);
    assert.equal(r.status, 200);
    assert.equal((await get(`/assetmgmt/assets/${d}/customfields`)).Result.length, 1);
  });

  it("another tenant's agent: every audit route is not found, nothing changes", async () => {
    const a = id('win');
    for (const path of [
      'summary',
      'useraccounts',
      'software/installedapplications',
      'hardware/diskvolumes',
    ]) {
      const r = await call('GET', `/assetmgmt/audit/${a}/${path}`, bravoAdmin);
      assert.equal(r.status, 404, path);
      assert.match(r.body.Error, /agent/);
    }
    const r = await call('PUT', `/assetmgmt/audit/latest/${a}/runnow`, bravoAdmin);
    assert.equal(r.status, 404);
    const summaries = await get('/assetmgmt/audit', bravoAdmin);
    assert.deepEqual(
      summaries.Result.map((s: { AgentGuid: number }) => s.AgentGuid),
      [id('bravo')],
    );
  });
});
