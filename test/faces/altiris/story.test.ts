// Issue 15's end-to-end story, through PatchWorkflowSvc alone, against a server whose computers are
// simulated agents: assess (scan), resolve CVE ids to bulletins, resolve them to updates, ensure they are
// staged, create a policy via updates targeted at a group, set its schedule (NS schedule XML), create and
// run an installation task, follow the task instance until it completes, and see the agents report the
// updates installed. The same calls are made as SOAP 1.1, SOAP 1.2 and form posts, which answer alike.
//
// The client knows seed 000 only (method names, parameters in order, comma-separated GUID lists). The
// harness around it uses Patchline itself: organizations, an install token, the agents, the task engine,
// and the catalog's advisories (a bulletin per package that the agents report missing, as an import would
// bring, linked to the reported update), with a local file server holding the packages the catalog describes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Agent } from '../../../src/agent/agent.ts';
import { SimulatedBackend } from '../../../src/agent/backends/simulated.ts';
import { ProtocolClient } from '../../../src/agent/client.ts';
import { MemoryStorage } from '../../../src/agent/storage.ts';
import { startEngine, type Engine } from '../../../src/engine/engine.ts';
import { renderGuid } from '../../../src/faces/altiris/guids.ts';
import { upsertCatalogBulletins } from '../../../src/services/catalog.ts';
import { systemContext } from '../../../src/services/context.ts';
import { ADMIN_PASSWORD, signIn, startApp } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';
import { basic, envelope, NS, read, type Params, type Style } from './support.ts';

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

// ---- the harness ---------------------------------------------------------------------------------------

const AGENTS = 2;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

eachDriver('the Altiris story against simulated agents', (h) => {
  let app: FastifyInstance;
  let engine: Engine;
  let files: Server;
  let packageDir: string;
  let base = '';
  let orgId = 0;
  let groupId = 0;
  const agents: { agent: Agent; backend: SimulatedBackend; deviceId: number }[] = [];

  before(async () => {
    const store = h.store();
    packageDir = mkdtempSync(join(tmpdir(), 'patchline-altiris-'));
    app = await startApp(store, { packageDir });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    const org = await admin.post('/api/v1/organizations', { name: 'Notification', ref: 'ns' });
    orgId = org.body.id;
    const group = await admin.post('/api/v1/groups', { organizationId: orgId, name: 'Pilot' });
    groupId = group.body.id;
    const token = (await admin.post(`/api/v1/organizations/${orgId}/install-tokens`, { groupId })).body
      .token as string;
    const now = Date.now();
    for (let i = 0; i < AGENTS; i++) {
      const client = new ProtocolClient({ server: base, timeoutMs: 10_000 });
      const e = await client.enroll({ token, name: `ns-${i}`, osFamily: 'linux', osName: 'Debian 12' });
      client.credential = e.credential;
      const backend = new SimulatedBackend({
        seed: 300 + i,
        os: { family: 'debian', version: '12' },
        failureRate: 0,
        clock: () => now,
      });
      agents.push({
        agent: new Agent({ client, backend, storage: new MemoryStorage() }),
        backend,
        deviceId: e.deviceId,
      });
    }
    // the packages' files, at the URLs the catalog will give
    files = createServer((req, res) => {
      const body = Buffer.from(`package file ${req.url}\n`);
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    engine = startEngine({ store, owner: 'altiris-story', pollMs: 20 });
  });
  after(async () => {
    await engine?.stop();
    await app?.close();
    files?.close();
    if (packageDir) rmSync(packageDir, { recursive: true, force: true });
  });

  /** each agent checks in until it has run a job of this kind handed out after `sinceJob` */
  async function agentsRun(kind: 'scan' | 'install', sinceJob: number) {
    const deadline = Date.now() + 20_000;
    for (const a of agents) {
      for (;;) {
        const job = await h
          .store()
          .db.selectFrom('jobs')
          .select(['id', 'status'])
          .where('device_id', '=', a.deviceId)
          .where('kind', '=', kind)
          .where('id', '>', sinceJob)
          .orderBy('id', 'desc')
          .executeTakeFirst();
        if (job && job.status !== 'pending' && job.status !== 'delivered') break;
        if (job) await a.agent.cycle();
        else await new Promise((r) => setTimeout(r, 20));
        assert.ok(Date.now() < deadline, `agent ${a.deviceId} never finished a ${kind} job`);
      }
    }
  }
  const lastJob = async () =>
    (
      await h
        .store()
        .db.selectFrom('jobs')
        .select((eb) => eb.fn.max('id').as('id'))
        .executeTakeFirst()
    )?.id ?? 0;

  async function until(ns: PatchWorkflow, instance: string, want: string) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const s = await ns.call('GetTaskInstanceStatus', { guidTask: instance });
      if (s === want) return;
      assert.notEqual(s, 'Failed', `instance ${instance} failed`);
      assert.ok(Date.now() < deadline, `instance ${instance} stayed ${s}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('resolves, stages, distributes a policy, installs, and the agents report installed', async () => {
    const url = `${base}/Altiris/PatchManagementCore/PatchWorkflowSvc.asmx`;
    const ns = new PatchWorkflow(url, basic('admin', ADMIN_PASSWORD), 'soap11');
    const ns12 = new PatchWorkflow(url, basic('admin', ADMIN_PASSWORD), 'soap12');
    const form = new PatchWorkflow(url, basic('admin', ADMIN_PASSWORD), 'form');

    // assessment: a scan task, run; the agents scan and the server learns what each misses
    const assess = await ns.call('CreateWindowsUpdateAssessmentTask', {
      taskName: 'Assess',
      updateGuids: '',
      folderGuid: '',
    });
    let since = await lastJob();
    const scan = await ns.call('RunTask', { guidTask: assess, instanceName: '' });
    await agentsRun('scan', since);
    await until(ns, scan, 'Completed');

    // the catalog learns advisories for two packages agent 0 misses (as an import of vendor data would)
    const missing = await h
      .store()
      .db.selectFrom('device_updates as du')
      .innerJoin('updates as u', 'u.id', 'du.update_id')
      .select(['u.id', 'u.package_name', 'u.version'])
      .where('du.device_id', '=', agents[0]!.deviceId)
      .where('du.status', '=', 'missing')
      .where('u.kind', '=', 'simulated')
      .orderBy('u.id')
      .limit(2)
      .execute();
    assert.equal(missing.length, 2, 'agent 0 misses two packages');
    const cves = ['CVE-2031-0001', 'CVE-2031-0002'];
    await upsertCatalogBulletins(
      systemContext(h.store()),
      missing.map((u, i) => ({
        source: 'osv' as const,
        id: `DSA-9${i}01-1`,
        vendor: 'Debian',
        title: `${u.package_name} security update`,
        severity: 'high' as const,
        published: '2031-01-01T00:00:00.000Z',
        cves: [cves[i]!],
        aliases: [],
        supersedes: [],
        references: [],
        packages: [],
        cveDetails: [],
      })),
    );
    // the simulated machine's updates are of kind 'simulated', which the advisory matcher (deb, rpm, kb)
    // does not link: the harness links each to its bulletin, as the matcher does for real packages
    for (const [i, u] of missing.entries()) {
      const b = await h
        .store()
        .db.selectFrom('bulletins')
        .select('id')
        .where('external_id', '=', `DSA-9${i}01-1`)
        .executeTakeFirstOrThrow();
      await h.store().db.updateTable('updates').set({ bulletin_id: b.id }).where('id', '=', u.id).execute();
    }
    for (const u of missing) {
      const body = Buffer.from(`package file /pool/${u.package_name}_${u.version}.deb\n`);
      await h
        .store()
        .db.updateTable('updates')
        .set({
          source_url: `http://127.0.0.1:${(files.address() as AddressInfo).port}/pool/${u.package_name}_${u.version}.deb`,
          sha256: sha(body),
          size_bytes: body.length,
        })
        .where('id', '=', u.id)
        .execute();
    }

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
    assert.equal(
      await ns.call('GetProperty', { guidItem: updates[0]!, name: 'Name' }),
      missing[0]!.package_name,
    );
    const groupGuid = renderGuid('group', groupId); // the resource target, as the platform's API would give it
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
    const native = await signIn(app, 'admin', ADMIN_PASSWORD);
    const policies = (await native.get(`/api/v1/policies?organizationId=${orgId}`)).body;
    const p = (Array.isArray(policies) ? policies : policies.items).find(
      (x: { name: string }) => x.name === 'Pilot CVE fixes',
    );
    assert.deepEqual(p.targets.groups, [groupId]);
    assert.equal(p.rule.kind, 'list');
    assert.ok(p.schedule, 'the policy has the schedule');
    assert.ok(p.nextRunAt, 'the policy is scheduled');

    // an installation task of the updates, run; the instance is followed until it completes
    const task = await ns.call('CreatePatchInstallationTask', {
      taskName: 'Install CVE fixes',
      updateGuids: updates.join(','),
      supressRebootDemand: true,
      folderGuid: '',
    });
    const pendingBefore = agents[0]!.backend.pendingCount();
    since = await lastJob();
    const instance = await ns.call('RunTask', { guidTask: task, instanceName: '' });
    assert.ok(
      ['NotStarted', 'Started', 'Completed'].includes(
        await ns.call('GetTaskInstanceStatus', { guidTask: instance }),
      ),
    );
    await agentsRun('install', since);
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
});
