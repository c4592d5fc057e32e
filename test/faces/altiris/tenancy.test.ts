// Issue 15: a caller scoped to one organization sees and changes nothing of another through
// PatchWorkflowSvc. Alpha's operator names Bravo's policy, groups, computers, tasks and instances by their
// GUIDs in every kind of method; each answer is a "not found" client fault (or, for lists, leaves Bravo's
// items out), and Bravo's objects are unchanged afterwards, read through the native API.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { renderGuid, WELL_KNOWN } from '../../../src/faces/altiris/guids.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';
import { basic, soapCall, type Params } from './support.ts';

const XML =
  '<schedule start="2031-01-01" tz="Local"><trigger dates="" months="" at="08:00:00" exact="True" type="Daily" repetition="" weekdays="" weeks="" duration=""/></schedule>';

eachDriver('Altiris PatchWorkflowSvc across tenants', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let w: World;
  let alpha: string;
  let bravoPolicy: number;
  let bravoTask: number;
  let bravoInstance: number;
  let alphaPolicy: number;

  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
    const mk = async (path: string, body: unknown) => {
      const r = await admin.post(path, body);
      assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
      return r.body;
    };
    bravoPolicy = (
      await mk('/api/v1/policies', {
        organizationId: w.orgB.id,
        name: 'bravo-policy',
        rule: { kind: 'list', bulletins: [], updates: [w.updates.openssl] },
        targets: { groups: [w.groupB.id] },
      })
    ).id;
    alphaPolicy = (
      await mk('/api/v1/policies', {
        organizationId: w.orgA.id,
        name: 'alpha-policy',
        rule: { kind: 'list', bulletins: [], updates: [w.updates.openssl] },
        targets: { groups: [w.groupA.id] },
      })
    ).id;
    bravoTask = (
      await mk('/api/v1/tasks', {
        organizationId: w.orgB.id,
        kind: 'install',
        name: 'bravo-task',
        parameters: { updateIds: [w.updates.openssl] },
      })
    ).id;
    bravoInstance = (await mk(`/api/v1/tasks/${bravoTask}/run`, {})).id;
    const u = await scopedUser(admin, 'alpha-op', w.orgA.id, 'Operator');
    alpha = basic('alpha-op', u.password);
  });
  after(async () => app?.close());

  async function bravoState() {
    const parts = await Promise.all([
      admin.get(`/api/v1/policies/${bravoPolicy}`),
      admin.get(`/api/v1/policies?organizationId=${w.orgB.id}`),
      admin.get(`/api/v1/tasks?organizationId=${w.orgB.id}`),
      admin.get(`/api/v1/task-instances/${bravoInstance}`),
      admin.get(`/api/v1/devices/${w.deviceB.id}/updates?limit=100`),
      admin.get(`/api/v1/groups/${w.groupB.id}`),
    ]);
    return JSON.stringify(
      parts.map((p) => [p.status, p.body]),
      (k, v: unknown) =>
        k === 'lastSeenAt' || k === 'updatedAt' || k === 'progress' || k === 'status' ? undefined : v,
    );
  }

  it("answers every method naming Bravo's objects with a not-found fault, in every style, and changes nothing", async () => {
    const bp = renderGuid('policy', bravoPolicy);
    const bg = renderGuid('group', w.groupB.id);
    const bd = renderGuid('device', w.deviceB.id);
    const bt = renderGuid('task', bravoTask);
    const bi = renderGuid('instance', bravoInstance);
    const ap = renderGuid('policy', alphaPolicy);
    const upd = renderGuid('update', w.updates.openssl);
    const calls: [string, Params][] = [
      ['GetProperty', { guidItem: bp, name: 'Name' }],
      ['GetProperty', { guidItem: bg, name: 'Name' }],
      ['GetProperty', { guidItem: bd, name: 'Name' }],
      ['GetProperty', { guidItem: bt, name: 'Name' }],
      ['SetProperty', { itemGuids: bp, name: 'Name', value: 'taken' }],
      ['SetProperties', { guidItem: bp, nameValueList: 'Enabled=false' }],
      ['SetGuidCollectionProperty', { itemGuids: bp, name: 'ResourceTargets', valueGuids: '' }],
      ['SetGuidCollectionProperty', { itemGuids: ap, name: 'ResourceTargets', valueGuids: bg }],
      ['AddGuids', { guidItem: ap, name: 'ResourceTargets', guidList: bd, setback: true }],
      ['AddGuids', { guidItem: bp, name: 'Updates', guidList: upd, setback: true }],
      ['SetSoftwareUpdatePolicyTargets', { policyGuids: bp, targetGuids: '' }],
      ['SetSoftwareUpdatePolicySchedule', { policyGuids: bp, installSchedule: XML }],
      ['UpdateSoftwareUpdatePolicy', { policyGuids: bp, enableNewAdverts: true }],
      [
        'CreateUpdatePolicyViaUpdates',
        { name: 'intruder', updateGuids: upd, targetGuids: bg, enabled: true },
      ],
      [
        'CreateAgentPluginPolicy',
        { strName: 'intruder', productGuid: '', parentFolderGuid: '', targetGuids: bd },
      ],
      [
        'SetPluginPolicySchedules',
        { policyGuids: bp, clientSoftwareUpdateSchedule: XML, notifySchedule: '', rebootSchedule: '' },
      ],
      [
        'SetPluginPolicyMessages',
        {
          policyGuids: bp,
          turnOnNonEmpty: true,
          msgUpdatePending: 'a',
          msgUpdateProgress: 'b',
          msgRebootPending: 'c',
          msgRebootReminder: 'd',
          msgRebootNotification: 'e',
        },
      ],
      [
        'SetPluginPolicyMicrosoftUpdateOptions',
        {
          policyGuids: bp,
          enableConfiguration: true,
          enableAutoUpdate: false,
          enablePeer2Peer: true,
          enablePeer2PeerOverInternet: true,
          enableNonOsUpdates: true,
        },
      ],
      ['GetProperty', { guidItem: bp, name: 'msgRebootReminder' }],
      [
        'SetupPreImport',
        { guidTask: bt, strCabDownloadUrl: 'https://example.org/a.json', strUserName: 'u', strPassword: 'p' },
      ],
      ['RunTask', { guidTask: bt, instanceName: '' }],
      ['IsTaskRunning', { guidTask: bt }],
      ['GetTaskRunningInstances', { guidTask: bt }],
      ['GetTaskInstanceStatus', { guidTask: bi }],
      ['GetPolicyIdFromTaskInstance', { taskInstanceId: bi, sync: false }],
      [
        'EditWindowsUpdateInstallationTask',
        { guidTask: bt, taskName: 'taken', updateGuids: '', supressRebootDemand: '', folderGuid: '' },
      ],
      [
        'EditWindowsUpdateAssessmentTask',
        { guidTask: bt, taskName: 'taken', updateGuids: '', folderGuid: '' },
      ],
      ['StopPatchWorker', { workerGuid: bt }],
    ];
    const before = await bravoState();
    for (const style of ['soap11', 'soap12', 'form'] as const)
      for (const [method, params] of calls) {
        const a = await soapCall(app, alpha, style, method, params);
        assert.equal(a.status, 500, `${style} ${method}: ${a.body}`);
        assert.ok(a.fault !== undefined, `${style} ${method} is a fault`);
        assert.ok(
          a.faultCode === undefined || /soap:(Client|Sender)/.test(a.faultCode),
          `${style} ${method}: ${a.body}`,
        );
        assert.match(a.fault!, /not found/, `${style} ${method}: ${a.fault}`);
        assert.doesNotMatch(a.body, /bravo/i, `${style} ${method} shows Bravo's data`);
      }
    assert.equal(await bravoState(), before, "Bravo's objects are unchanged");
  });

  it("leaves Bravo's items out of lists", async () => {
    const upd = renderGuid('update', w.updates.openssl);
    const policies = await soapCall(app, alpha, 'soap11', 'ResolveToPolicies', { bulletinGuids: upd });
    assert.equal(policies.result, renderGuid('policy', alphaPolicy));
    const running = await soapCall(app, alpha, 'soap11', 'GetDistributionTaskStatus');
    assert.equal(running.status, 200);
    const staging = await soapCall(app, alpha, 'soap12', 'GetTaskRunningInstances', {
      guidTask: WELL_KNOWN.stagingTask,
    });
    assert.equal(staging.result, '');
    // catalog-wide changes need an administrator over every organization
    for (const [m, p] of [
      ['EnsureStaged', { bulletinGuids: upd, sync: true }],
      ['DisableBulletins', { bulletinGuids: '', deletePolicies: false }],
    ] as const) {
      const a = await soapCall(app, alpha, 'soap11', m, p);
      assert.equal(a.faultCode, 'soap:Client', `${m}: ${a.body}`);
    }
  });
});
