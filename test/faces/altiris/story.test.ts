import { HANG_GUARD_MS } from '../../support/hang-guard.ts';
// Issue 15's end-to-end story, through PatchWorkflowSvc alone, against a server whose computers are
// simulated agents: assess (scan), resolve CVE ids to bulletins, resolve them to updates, ensure they are
// staged, create a policy via updates targeted at a group, set its schedule (NS schedule XML), create and
// run an installation task, follow the task instance until it completes, and see the agents report the
// updates installed. The same calls are made as SOAP 1.1, SOAP 1.2 and form posts, which answer alike.
//
// The client knows seed 000 only (method names, parameters in order, comma-separated GUID lists). The
// harness around it uses Patchline itself: organizations, an install token, the agents, the task engine,
// and the catalog's advisories (an MSRC-style bulletin per KB that the simulated Windows agents report
// missing, as an import would bring; the catalog's matcher links each update to it by its KB), with a local
// file server holding the packages the catalog describes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { it } from 'node:test';
import { renderGuid, WELL_KNOWN } from '../../../src/faces/altiris/guids.ts';
import { ADMIN_PASSWORD, signIn } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';
import { basic, envelope, NS, read, soapCall, type Params, type Style } from './support.ts';
import { altirisWorld } from './world.ts';

// ---- the client: seed 000 over HTTP -----------------------------------------------------------------

class PatchWorkflow {
  constructor(
    private readonly url: string,
    private readonly auth: string,
    readonly style: Style,
  ) {}

  async call(method: string, params: Params = {}): Promise<string> {
    let res: Response;
    if (this.style === 'form')
      res = await fetch(`${this.url}/${method}`, {
        method: 'POST',
        headers: { authorization: this.auth, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(
          Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]),
        ).toString(),
      });
    else
      res = await fetch(this.url, {
        method: 'POST',
        headers: {
          authorization: this.auth,
          ...(this.style === 'soap11'
            ? { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${NS}${method}"` }
            : { 'content-type': `application/soap+xml; charset=utf-8; action="${NS}${method}"` }),
        },
        body: envelope(this.style, method, params),
      });
    const a = read(this.style, method, res.status, await res.text(), {});
    assert.equal(a.status, 200, `${this.style} ${method}: ${a.fault ?? a.body}`);
    assert.notEqual(a.result, undefined, `${this.style} ${method}: ${a.body}`);
    return a.result!;
  }
  /** a comma-separated GUID list, as a sorted array */
  async list(method: string, params: Params = {}) {
    const r = await this.call(method, params);
    return r === '' ? [] : r.split(',').sort();
  }
}

// ---- the story ------------------------------------------------------------------------------------

eachDriver('the Altiris story against simulated agents', (h) => {
  // simulated Windows machines: their updates carry KBs, which the vendor's advisories name
  const w = altirisWorld(h, 2, 300, 'windows');
  const { agents } = w;

  async function until(ns: PatchWorkflow, instance: string, want: string) {
    const deadline = Date.now() + HANG_GUARD_MS; // a hang guard, not a budget (test/support/hang-guard.ts)
    for (;;) {
      const s = await ns.call('GetTaskInstanceStatus', { guidTask: instance });
      if (s === want) return;
      assert.notEqual(s, 'Failed', `instance ${instance} failed`);
      assert.ok(Date.now() < deadline, `instance ${instance} stayed ${s}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('resolves, stages, distributes a policy, installs, and the agents report installed', async () => {
    const url = `${w.base()}/Altiris/PatchManagementCore/PatchWorkflowSvc.asmx`;
    const ns = new PatchWorkflow(url, basic('admin', ADMIN_PASSWORD), 'soap11');
    const ns12 = new PatchWorkflow(url, basic('admin', ADMIN_PASSWORD), 'soap12');
    const form = new PatchWorkflow(url, basic('admin', ADMIN_PASSWORD), 'form');

    // assessment: a scan task, run; the agents scan and the server learns what each misses
    const assess = await ns.call('CreateWindowsUpdateAssessmentTask', {
      taskName: 'Assess',
      updateGuids: '',
      folderGuid: '',
    });
    let since = await w.lastJob();
    const scan = await ns.call('RunTask', { guidTask: assess, instanceName: '' });
    await w.agentsRun('scan', since);
    await until(ns, scan, 'Completed');

    // the catalog learns advisories for two packages agent 0 misses (as an import of vendor data would)
    const cves = ['CVE-2031-0001', 'CVE-2031-0002'];
    const missing = await w.advisories(cves, '9');

    // CVE ids → bulletins → updates, the same in every call style
    const bulletins = await ns.list('ResolveCveIdsToBulletins', {
      cveIds: cves.join(','),
      isInitalSetOnly: false,
    });
    assert.equal(bulletins.length, 2);
    for (const other of [ns12, form])
      assert.deepEqual(
        await other.list('ResolveCveIdsToBulletins', { cveIds: cves.join(','), isInitalSetOnly: false }),
        bulletins,
      );
    const updates = await ns.list('ResolveToUpdates', { bulletinGuids: bulletins.join(',') });
    assert.equal(updates.length, 2);
    assert.deepEqual(
      await form.list('ResolveToUpdates', { bulletinGuids: bulletins.join(',').toUpperCase() }),
      updates,
    );

    // staging
    assert.equal(await ns.call('IsStaged', { bulletinGuids: bulletins.join(',') }), 'false');
    assert.deepEqual(await ns12.list('GetNonstagedUpdates', { bulletinGuids: bulletins.join(',') }), updates);
    assert.equal(await ns.call('EnsureStaged', { bulletinGuids: bulletins.join(','), sync: true }), '2');
    assert.equal(await form.call('IsStaged', { bulletinGuids: `{${bulletins[0]}},${updates[1]}` }), 'true');
    assert.deepEqual(await ns.list('GetStagedUpdates', { bulletinGuids: bulletins.join(',') }), updates);
    assert.deepEqual(await ns12.list('GetAllStagedUpdates'), updates);
    assert.equal(await ns.call('EnsureStaged', { bulletinGuids: bulletins.join(','), sync: true }), '0');

    // a policy via the updates, targeted at the group; its distribution instance names the policy
    assert.equal(await ns.call('GetProperty', { guidItem: updates[0]!, name: 'Name' }), missing[0]!.name);
    const groupGuid = renderGuid('group', w.groupId()); // the resource target, as the platform's API would give it
    const distribution = await ns.call('CreateUpdatePolicyViaUpdates', {
      name: 'Pilot CVE fixes',
      updateGuids: updates.join(','),
      targetGuids: groupGuid,
      enabled: true,
    });
    await until(ns, distribution, 'Completed');
    const policy = await ns.call('GetPolicyIdFromTaskInstance', { taskInstanceId: distribution, sync: true });
    assert.match(policy, /^[0-9a-f-]{36}$/);
    assert.equal(
      await form.call('GetPolicyIdFromTaskInstance', {
        taskInstanceId: distribution.toUpperCase(),
        sync: false,
      }),
      policy,
    );
    assert.deepEqual(await ns.list('ResolveToPolicies', { bulletinGuids: bulletins.join(',') }), [policy]);
    assert.equal(await ns12.call('GetProperty', { guidItem: policy, name: 'Name' }), 'Pilot CVE fixes');

    // its schedule, as NS schedule XML
    const xml =
      '<schedule start="2031-01-01" tz="Local"><trigger dates="" months="" at="08:00:00" exact="True" type="Daily" repetition="" weekdays="" weeks="" duration=""/></schedule>';
    assert.equal(
      await ns.call('SetSoftwareUpdatePolicySchedule', { policyGuids: policy, installSchedule: xml }),
      'true',
    );
    const native = await signIn(w.app(), 'admin', ADMIN_PASSWORD);
    const policies = (await native.get(`/api/v1/policies?organizationId=${w.orgId()}`)).body;
    const p = (Array.isArray(policies) ? policies : policies.items).find(
      (x: { name: string }) => x.name === 'Pilot CVE fixes',
    );
    assert.deepEqual(p.targets.groups, [w.groupId()]);
    assert.equal(p.rule.kind, 'list');
    assert.ok(p.schedule, 'the policy has the schedule');
    assert.ok(p.nextRunAt, 'the policy is scheduled');

    // the vendor revises: a newer advisory supersedes the first one and brings an update of its own
    const later = await w.laterAdvisory(`msrc_${cves[0]}`, 'msrc_CVE-2031-0099');
    const listed = () => ns.list('GetProperty', { guidItem: policy, name: 'Updates' });
    const revise = (enableNewAdverts: boolean) =>
      ns.call('UpdateSoftwareUpdatePolicy', { policyGuids: policy, enableNewAdverts });
    assert.equal(await revise(false), 'true');
    assert.deepEqual(await listed(), updates, 'not distributed: the policy keeps its updates');
    assert.equal(await revise(true), 'true');
    assert.deepEqual(
      await listed(),
      [...updates, renderGuid('update', later)].sort(),
      'the new update joins',
    );

    // an installation task of the updates, run; the instance is followed until it completes
    const task = await ns.call('CreatePatchInstallationTask', {
      taskName: 'Install CVE fixes',
      updateGuids: updates.join(','),
      supressRebootDemand: true,
      folderGuid: '',
    });
    const pendingBefore = agents[0]!.backend.pendingCount();
    since = await w.lastJob();
    const instance = await ns.call('RunTask', { guidTask: task, instanceName: '' });
    assert.ok(
      ['NotStarted', 'Started', 'Completed'].includes(
        await ns.call('GetTaskInstanceStatus', { guidTask: instance }),
      ),
    );
    await w.agentsRun('install', since);
    await until(ns, instance, 'Completed');
    assert.equal(await form.call('GetTaskInstanceStatus', { guidTask: instance }), 'Completed');
    assert.equal(await ns12.call('IsTaskRunning', { guidTask: task }), 'false');
    assert.equal(await ns.call('GetTaskRunningInstances', { guidTask: task }), '');

    // the agents reported the updates installed
    assert.equal(agents[0]!.backend.pendingCount(), pendingBefore - 2, 'agent 0 installed the two updates');
    const statuses = await h
      .store()
      .db.selectFrom('device_updates')
      .select(['update_id', 'status'])
      .where('device_id', '=', agents[0]!.deviceId)
      .where(
        'update_id',
        'in',
        missing.map((u) => u.id),
      )
      .execute();
    assert.equal(statuses.length, 2);
    for (const s of statuses)
      assert.ok(['installed', 'reboot_required'].includes(s.status), JSON.stringify(s));
  });

  it("a plug-in policy's messages, schedules and Microsoft Update options reach the agents' settings", async () => {
    const url = `${w.base()}/Altiris/PatchManagementCore/PatchWorkflowSvc.asmx`;
    const ns = new PatchWorkflow(url, basic('admin', ADMIN_PASSWORD), 'soap11');
    const form = new PatchWorkflow(url, basic('admin', ADMIN_PASSWORD), 'form');
    const plugin = await ns.call('CreateAgentPluginPolicy', {
      strName: 'Pilot plug-in',
      productGuid: '',
      parentFolderGuid: '',
      targetGuids: renderGuid('group', w.groupId()),
    });
    const messages = {
      msgUpdatePending: 'Updates will be installed',
      msgUpdateProgress: 'Updates are being installed',
      msgRebootPending: 'A restart is needed',
      msgRebootReminder: 'Still waiting for a restart',
      msgRebootNotification: 'You deferred the restart',
    };
    assert.equal(
      await ns.call('SetPluginPolicyMessages', { policyGuids: plugin, turnOnNonEmpty: true, ...messages }),
      'true',
    );
    const at = (time: string, type: string, weekdays = '') =>
      `<schedule start="2026-01-01" tz="UTC"><trigger dates="" months="" at="${time}" exact="True" type="${type}" repetition="" weekdays="${weekdays}" weeks="" duration=""/></schedule>`;
    const schedules = {
      clientSoftwareUpdateSchedule: at('03:00:00', 'Daily'),
      notifySchedule: at('08:00:00', 'Daily'),
      rebootSchedule: at('22:00:00', 'Weekly', 'Wed'),
    };
    assert.equal(await ns.call('SetPluginPolicySchedules', { policyGuids: plugin, ...schedules }), 'true');
    const options = {
      enableConfiguration: true,
      enableAutoUpdate: false,
      enablePeer2Peer: true,
      enablePeer2PeerOverInternet: false,
      enableNonOsUpdates: true,
    };
    assert.equal(
      await form.call('SetPluginPolicyMicrosoftUpdateOptions', { policyGuids: plugin, ...options }),
      '',
    );

    // read back through GetProperty, under the parameters' names
    for (const [name, value] of Object.entries({ ...messages, ...options }))
      assert.equal(await ns.call('GetProperty', { guidItem: plugin, name }), String(value), name);
    for (const [name, xml] of Object.entries(schedules))
      assert.equal(await form.call('GetProperty', { guidItem: plugin, name }), xml, name);

    // the agents of the group receive them at their next check-in
    const a = agents[0]!;
    await a.agent.cycle();
    const s = (await a.agent.settings())!;
    assert.deepEqual(
      {
        installMessage: s.notifications.installMessage,
        progressMessage: s.notifications.progressMessage,
        rebootMessage: s.notifications.rebootMessage,
        rebootReminderMessage: s.notifications.rebootReminderMessage,
        deferralMessage: s.notifications.deferralMessage,
        beforeInstall: s.notifications.beforeInstall,
        beforeReboot: s.notifications.beforeReboot,
      },
      {
        installMessage: messages.msgUpdatePending,
        progressMessage: messages.msgUpdateProgress,
        rebootMessage: messages.msgRebootPending,
        rebootReminderMessage: messages.msgRebootReminder,
        deferralMessage: messages.msgRebootNotification,
        beforeInstall: true,
        beforeReboot: true,
      },
    );
    assert.equal(s.schedules.notify.length, 15, 'every day of the horizon at 08:00');
    assert.ok(s.schedules.notify.every((t) => t.endsWith('T08:00:00.000Z')));
    assert.ok(s.schedules.reboot.length >= 2);
    assert.ok(s.schedules.reboot.every((t) => new Date(t).getUTCDay() === 3 && t.endsWith('T22:00:00.000Z')));
    const { policyId: _p, ...wu } = s.windowsUpdate!;
    assert.deepEqual(wu, {
      configure: true,
      autoUpdate: false,
      peerToPeer: true,
      peerToPeerOverInternet: false,
      nonOsUpdates: true,
    });
  });

  it('imports with the credentials SetupWindowsPreImport gave, leaving out what SetupImport excludes', async () => {
    const url = `${w.base()}/Altiris/PatchManagementCore/PatchWorkflowSvc.asmx`;
    const ns = new PatchWorkflow(url, basic('admin', ADMIN_PASSWORD), 'soap11');
    // two advisories of the vendor, as CSAF documents behind HTTP Basic
    const msrc = readFileSync(
      new URL('../../core/advisories/fixtures/written/msrc-style-csaf.json', import.meta.url),
      'utf8',
    );
    const doc = (n: string) => msrc.replaceAll('CVE-2026-21239', `CVE-2031-9${n}`);
    const authorized = basic('importer', 'cab pass');
    const files = createServer((req, res) => {
      if (req.headers.authorization !== authorized) return void res.writeHead(401).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(doc(req.url!.slice(1, 4)));
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    const allowed = process.env.PATCHLINE_IMPORT_ALLOW_PRIVATE;
    process.env.PATCHLINE_IMPORT_ALLOW_PRIVATE = '1'; // the file server is on this machine
    try {
      const at = (n: string) => `http://127.0.0.1:${(files.address() as AddressInfo).port}/${n}.json`;
      const worker = WELL_KNOWN.windowsImport;
      const runToEnd = async () => {
        await ns.call('RunPatchWorker', { workerGuid: worker, async: true });
        const deadline = Date.now() + HANG_GUARD_MS; // a hang guard, not a budget
        for (;;) {
          const s = await ns.call('OperatePatchWorker', {
            workerGuid: worker,
            command: 'status',
            async: false,
          });
          if (s === 'Completed' || s === 'Failed') return s;
          assert.ok(Date.now() < deadline, `the import stayed ${s}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      const bulletin = (n: string) =>
        h
          .store()
          .db.selectFrom('bulletins')
          .select('id')
          .where('external_id', '=', `msrc_CVE-2031-9${n}`)
          .executeTakeFirst();

      // without the credentials the server refuses the fetch
      await ns.call('SetupWindowsPreImport', {
        strCabDownloadUrl: at('001'),
        strUserName: '',
        strPassword: '',
      });
      assert.equal(await runToEnd(), 'Failed');
      assert.match(
        await ns.call('OperatePatchWorker', { workerGuid: worker, command: 'message', async: false }),
        /401/,
      );
      // with them, it imports
      await ns.call('SetupWindowsPreImport', {
        strCabDownloadUrl: at('001'),
        strUserName: 'importer',
        strPassword: 'cab pass',
      });
      assert.equal(await runToEnd(), 'Completed');
      assert.ok(await bulletin('001'), 'the first advisory was imported');

      // the advisory's products (software releases) are excluded: the next import leaves them out
      // (the catalog files a CSAF advisory's packages under its vendor's product family: here 'Microsoft')
      const products = await h
        .store()
        .db.selectFrom('products as p')
        .innerJoin('vendors as v', 'v.id', 'p.vendor_id')
        .select(['p.id', 'p.name'])
        .where('v.name', '=', 'Microsoft')
        .execute();
      assert.deepEqual(
        products.map((p) => p.name),
        ['Microsoft'],
      );
      await ns.call('SetupImport', {
        softwareExcludes: products.map((p) => renderGuid('product', p.id)).join(','),
        localeIncludes: '',
      });
      await ns.call('SetupPreImport', {
        guidTask: worker,
        strCabDownloadUrl: at('002'),
        strUserName: 'importer',
        strPassword: 'cab pass',
      });
      assert.equal(await runToEnd(), 'Completed');
      assert.equal(await bulletin('002'), undefined, 'every package of the advisory was excluded');

      // the credentials are nowhere in what the task shows
      const native = await signIn(w.app(), 'admin', ADMIN_PASSWORD);
      const tasks = (await native.get(`/api/v1/tasks?organizationId=${w.orgId()}`)).body;
      assert.doesNotMatch(JSON.stringify(tasks), /cab pass/);
      // credentials HTTP Basic cannot carry are refused before anything changes
      const colon = await soapCall(
        w.app(),
        basic('admin', ADMIN_PASSWORD),
        'soap12',
        'SetupWindowsPreImport',
        {
          strCabDownloadUrl: at('003'),
          strUserName: 'domain:user',
          strPassword: 'x',
        },
      );
      assert.equal(colon.faultCode, 'soap:Sender');
      const after = (await native.get(`/api/v1/tasks?organizationId=${w.orgId()}`)).body;
      assert.doesNotMatch(JSON.stringify(after), /003\.json/);
      // a locale cannot be chosen: a client fault that says why
      const form = await soapCall(w.app(), basic('admin', ADMIN_PASSWORD), 'soap11', 'SetupImport', {
        softwareExcludes: '',
        localeIncludes: renderGuid('product', 1),
      });
      assert.equal(form.faultCode, 'soap:Client');
      assert.match(
        form.fault!,
        /localeIncludes: not supported; Patchline imports each advisory in the language/,
      );
    } finally {
      if (allowed === undefined) delete process.env.PATCHLINE_IMPORT_ALLOW_PRIVATE;
      else process.env.PATCHLINE_IMPORT_ALLOW_PRIVATE = allowed;
      files.close();
    }
  });
});
