// Issue 15's acceptance: "the same calls made as SOAP 1.2 and as form posts give the same results", for
// every method of the seed. Three servers over three identical stores (the same world, so the same ids
// and GUIDs) each take the same sequence of calls, one call style each; the answers (the value, or the
// fault's side and message) must be equal call by call. The sequence calls each of the 59 methods; some
// answer faults (a catalog-wide change by a scoped caller, an import without a source), which must be the
// same fault in every style.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { METHODS } from '../../../src/faces/altiris/methods.ts';
import { renderGuid, WELL_KNOWN } from '../../../src/faces/altiris/guids.ts';
import { upsertCatalogBulletins } from '../../../src/services/catalog.ts';
import { systemContext } from '../../../src/services/context.ts';
import type { Store } from '../../../src/store/db.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { freshStore } from '../../support/store.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';
import { basic, soapCall, type Answer, type Style } from './support.ts';

const STYLES: readonly Style[] = ['soap11', 'soap12', 'form'];
const XML =
  '<schedule start="2031-01-01" tz="Local"><trigger dates="" months="" at="08:00:00" exact="True" type="Daily" repetition="" weekdays="" weeks="" duration=""/></schedule>';

interface Server {
  style: Style;
  store: Store;
  app: FastifyInstance;
  admin: Client;
  world: World;
  cleanup: () => Promise<void>;
}

const servers: Server[] = [];
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'patchline-parity-'));
  for (const style of STYLES) {
    const { store, cleanup } = await freshStore('pglite');
    const app = await startApp(store, { packageDir: join(dir, style) });
    const admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    const world = await buildWorld(admin, store);
    // a bulletin for openssl and liblzma5, as an import would bring it
    await upsertCatalogBulletins(systemContext(store), [
      {
        source: 'osv',
        id: 'DSA-9000-1',
        vendor: 'Debian',
        title: 'security update',
        severity: 'high',
        cves: ['CVE-2026-0001'],
        aliases: [],
        supersedes: [],
        references: [],
        packages: [],
        cveDetails: [],
      },
    ]);
    const b = await store.db.selectFrom('bulletins').select('id').executeTakeFirstOrThrow();
    await store.db
      .updateTable('updates')
      .set({ bulletin_id: b.id })
      .where('id', 'in', [world.updates.openssl, world.updates.liblzma5])
      .execute();
    await scopedUser(admin, 'alpha-admin', world.orgA.id, 'Administrator');
    const listPolicy = await admin.post('/api/v1/policies', {
      organizationId: world.orgA.id,
      name: 'software update policy',
      rule: { kind: 'list', bulletins: [], updates: [world.updates.openssl] },
      targets: { groups: [world.groupA.id] },
    });
    if (listPolicy.status !== 201) throw new Error(JSON.stringify(listPolicy.body));
    servers.push({ style, store, app, admin, world, cleanup });
  }
});
after(async () => {
  for (const s of servers) {
    await s.app.close();
    await s.cleanup();
  }
  await rm(dir, { recursive: true, force: true });
});

/** what an answer says, whatever the style: the value, or the fault's side and message */
function outcome(a: Answer): string {
  if (a.fault === undefined) return `${a.status} ${a.result ?? '(no result)'}`;
  const side = a.faultCode
    ? /Client|Sender/.test(a.faultCode)
      ? 'client'
      : 'server'
    : a.fault.startsWith('System.ArgumentException: ')
      ? 'client'
      : 'server';
  const message = a.fault
    .replace(/^Server was unable to process request\. ---> /, '')
    .replace(/^System\.(ArgumentException|InvalidOperationException): /, '');
  return `${a.status} fault ${side}: ${message}`;
}

it('answers every method of the seed alike as SOAP 1.1, SOAP 1.2 and form post', async () => {
  const w = servers[0]!.world; // the same ids in every store
  const scoped = basic('alpha-admin', 'alpha-admin-password');
  const admin = basic('admin', ADMIN_PASSWORD);
  const bulletin = renderGuid('bulletin', 1);
  const updates = [w.updates.openssl, w.updates.liblzma5].map((u) => renderGuid('update', u)).join(',');
  const group = renderGuid('group', w.groupA.id);
  const device = renderGuid('device', w.deviceA.id);
  const policy = renderGuid('policy', 1); // the software update policy of the world (the first policy)
  // [method, positional arguments ("$Method" = what that method answered before), caller]
  const calls: [string, unknown[], string][] = [
    ['MyPrivileges', [], scoped],
    ['GetPackageServerGuid', [], scoped],
    ['GetCustomSeverities', [], scoped],
    ['GetCustomSeverityLevels', [], scoped],
    ['SetSeverityLevel', [bulletin, 1], scoped],
    ['ResolveCveIdsToBulletins', ['CVE-2026-0001', true], scoped],
    ['ResolveToUpdates', [bulletin], scoped],
    ['IsStaged', [bulletin], scoped],
    ['GetStagedUpdates', [bulletin], scoped],
    ['GetNonstagedUpdates', [bulletin], scoped],
    ['GetAllStagedUpdates', [], scoped],
    ['EnsureStaged', [bulletin, false], scoped], // the package cache is every organization's: refused
    ['EnsureStaged', [bulletin, false], admin], // a server-wide staging instance for the engine
    ['GetStagingTaskStatus', [], admin],
    ['IsStagingTaskRunning', [], admin],
    ['GetDistributionTaskStatus', [], scoped],
    ['IsSoftwareUpdateDistributionRunning', [], scoped],
    ['CreateUpdatePolicy', ['bulletin policy', bulletin, group, false], scoped],
    ['GetPolicyIdFromTaskInstance', ['$CreateUpdatePolicy', false], scoped],
    ['CreateUpdatePolicyViaUpdates', ['update policy', updates, device, true], scoped],
    ['ResolveToPolicies', [updates], scoped],
    ['SetSoftwareUpdatePolicyTargets', [policy, group], scoped],
    ['SetSoftwareUpdatePolicySchedule', [policy, XML], scoped],
    ['UpdateSoftwareUpdatePolicy', [policy, true], scoped],
    ['UpdateResourceTargets', [WELL_KNOWN.productWindows], scoped],
    ['CreateWindowsUpdateInstallationTask', ['every install', updates, false, ''], scoped],
    ['SetGuidCollectionProperty', ['$CreateWindowsUpdateInstallationTask', 'ResourceTargets', group], scoped],
    ['GetProperty', ['$CreateWindowsUpdateInstallationTask', 'ResourceTargets'], scoped],
    ['AddGuids', ['$CreateWindowsUpdateInstallationTask', 'ResourceTargets', device, true], scoped],
    ['SetProperty', ['$CreateWindowsUpdateInstallationTask', 'Name', 'renamed install'], scoped],
    ['SetProperties', ['$CreateWindowsUpdateInstallationTask', 'Name=again'], scoped],
    [
      'EditWindowsUpdateInstallationTask',
      ['$CreateWindowsUpdateInstallationTask', 'edited', '', 'true', ''],
      scoped,
    ],
    ['EditPatchInstallationTask', ['$CreateWindowsUpdateInstallationTask', '', updates, '', ''], scoped],
    ['CreatePatchInstallationTask', ['obsolete install', updates, true, ''], scoped],
    ['CreateWindowsUpdateAssessmentTask', ['assess', '', ''], scoped],
    ['EditWindowsUpdateAssessmentTask', ['$CreateWindowsUpdateAssessmentTask', 'assess 2', '', ''], scoped],
    ['RunTask', ['$CreateWindowsUpdateInstallationTask', ''], scoped],
    ['IsTaskRunning', ['$CreateWindowsUpdateInstallationTask'], scoped],
    ['GetTaskRunningInstances', ['$CreateWindowsUpdateInstallationTask'], scoped],
    ['GetTaskInstanceStatus', ['$RunTask'], scoped],
    ['CreateAgentPluginPolicy', ['Plug-in', '', '', group], scoped],
    ['SetPluginPolicySchedules', ['$CreateAgentPluginPolicy', XML, '', ''], scoped],
    [
      'SetPluginPolicyMessages',
      ['$CreateAgentPluginPolicy', true, 'Updates are coming', '', '', '', ''],
      scoped,
    ],
    [
      'SetPluginPolicyMicrosoftUpdateOptions',
      ['$CreateAgentPluginPolicy', true, false, false, false, true],
      scoped,
    ],
    ['SetAdvertisementCustomCmdLine', [policy, 'setup.exe /q'], scoped],
    ['GetProperty', [policy, 'CurrentAdvertismentSet.CustomCommandLine'], scoped],
    ['GetWindowsPreImportStatus', [], scoped],
    ['SetupWindowsPreImport', ['http://127.0.0.1:9/none.json', '', ''], scoped],
    ['SetupPreImport', [WELL_KNOWN.windowsImport, 'http://127.0.0.1:9/none.json', '', ''], scoped],
    ['GetPreImportStatus', [WELL_KNOWN.windowsImport], scoped],
    ['GetWindowsPreImportStatusVerbose', [], scoped],
    ['GetPreImportStatusVerbose', [WELL_KNOWN.windowsImport], scoped],
    ['RunWindowsPreImport', [], scoped],
    ['RunPreImport', [WELL_KNOWN.windowsImport], scoped],
    ['RunPatchWorker', [WELL_KNOWN.windowsImport, false], scoped],
    ['OperatePatchWorker', [WELL_KNOWN.windowsImport, 'verbose', false], scoped],
    ['StopPatchWorker', [WELL_KNOWN.windowsImport], scoped],
    ['StopPreImport', [WELL_KNOWN.windowsImport], scoped],
    ['StopWindowsPreImport', [], scoped],
    ['SetupImport', ['', ''], scoped],
    ['DisableBulletins', [bulletin, false], scoped], // catalog-wide: refused to a scoped caller
    ['DisableBulletins', [bulletin, false], admin],
  ];
  assert.deepEqual(
    [...new Set(calls.map(([m]) => m))].sort(),
    METHODS.map((m) => m.name).sort(),
    'the sequence calls every method of the seed',
  );
  const answers = new Map<Style, string[]>();
  for (const s of servers) {
    const results = new Map<string, string>();
    const out: string[] = [];
    for (const [name, args, auth] of calls) {
      const m = METHODS.find((x) => x.name === name)!;
      const params = Object.fromEntries(
        m.params.map((p, i) => {
          const a = args[i];
          const v = typeof a === 'string' && a.startsWith('$') ? (results.get(a.slice(1)) ?? '') : a;
          return [p.name, v as string | boolean | number];
        }),
      );
      const a = await soapCall(s.app, auth, s.style, name, params);
      assert.ok(a.status === 200 || a.status === 500, `${s.style} ${name}: ${a.status} ${a.body}`);
      if (a.fault === undefined) results.set(name, a.result ?? '');
      out.push(`${name}: ${outcome(a)}`);
    }
    answers.set(s.style, out);
  }
  const soap11 = answers.get('soap11')!;
  assert.deepEqual(answers.get('soap12'), soap11, 'SOAP 1.2 answers as SOAP 1.1');
  assert.deepEqual(answers.get('form'), soap11, 'the form post answers as SOAP 1.1');
  // the sequence did real work: most calls succeeded, and their effects are the same in every store
  const ok = soap11.filter((x) => / 200 /.test(x.replace(/^[^:]+:/, ''))).length;
  assert.ok(ok >= 45, soap11.join('\n'));
  const line = (n: string) => soap11.find((x) => x.startsWith(`${n}: `))!;
  assert.equal(line('GetProperty'), `GetProperty: 200 ${group}`);
  assert.ok(soap11.includes('SetAdvertisementCustomCmdLine: 200 true'), soap11.join('\n'));
  assert.ok(soap11.includes('GetProperty: 200 setup.exe /q'), soap11.join('\n'));
  assert.ok(soap11.includes('SetSoftwareUpdatePolicySchedule: 200 true'), soap11.join('\n'));
  assert.match(line('EnsureStaged'), /fault client/);
  assert.ok(soap11.includes('EnsureStaged: 200 2'), soap11.join('\n'));
  for (const s of servers) {
    // the task runs on the targets given; the instance RunTask started carries them
    const inst = await s.store.db
      .selectFrom('task_instances')
      .select(['kind', 'parameters', 'organization_id'])
      .orderBy('id')
      .execute();
    const install = inst.find((i) => i.kind === 'install')!;
    assert.deepEqual((install.parameters as { target: unknown }).target, {
      kind: 'groups',
      ids: [w.groupA.id],
    });
    // EnsureStaged(sync=false): a server-wide staging instance of the two updates, for the engine
    const stage = inst.find((i) => i.kind === 'stage')!;
    assert.equal(stage.organization_id, null);
    assert.deepEqual(
      (stage.parameters as { updateIds: number[] }).updateIds,
      [w.updates.openssl, w.updates.liblzma5].sort((a, b) => a - b),
    );
  }
});
