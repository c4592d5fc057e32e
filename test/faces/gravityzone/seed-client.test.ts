import { HANG_GUARD_MS } from '../../support/hang-guard.ts';
// Issue 13's acceptance: a client written from the seed (002) and GravityZone's public API shapes, with
// only the API URL changed, against a server whose endpoints are simulated agents. It lists the endpoints,
// scans them, reads their missing patches, creates maintenance windows with each schedule form, updates one
// with every field of the seed's example (made valid JSON), assigns it to a policy, lists the windows,
// starts an install task that installs only while the window is open, and deletes the windows.
//
// The client knows GravityZone only: `https://HOST/api` + `/v1.0/jsonrpc/{area}`, Basic base64(key + ":"),
// JSON-RPC 2.0 bodies, 24-hex ids, patch ids in braces. The harness around it (server, simulated agents,
// task engine, the console's native API for the policy and the key) uses Patchline itself.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Agent } from '../../../src/agent/agent.ts';
import { SimulatedBackend } from '../../../src/agent/backends/simulated.ts';
import { ProtocolClient } from '../../../src/agent/client.ts';
import { MemoryStorage } from '../../../src/agent/storage.ts';
import { startEngine, type Engine } from '../../../src/engine/engine.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';

// ---- the client: GravityZone's API only -------------------------------------------------------------

class RpcFailure extends Error {
  constructor(readonly error: { code: number; message: string; data?: { details?: string } }) {
    super(`${error.code} ${error.message}: ${error.data?.details ?? ''}`);
  }
}

class GravityZoneClient {
  private seq = 0;
  constructor(
    private readonly apiUrl: string,
    private readonly apiKey: string,
  ) {}

  async call<T>(area: string, method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = `c-${++this.seq}`;
    const res = await fetch(`${this.apiUrl}/v1.0/jsonrpc/${area}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${this.apiKey}:`).toString('base64')}`,
      },
      body: JSON.stringify({ id, jsonrpc: '2.0', method, params }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      id: string;
      jsonrpc: string;
      result?: T;
      error?: RpcFailure['error'];
    };
    assert.equal(body.id, id);
    assert.equal(body.jsonrpc, '2.0');
    if (body.error) throw new RpcFailure(body.error);
    return body.result as T;
  }

  /** every item of a paged list */
  async all<T>(area: string, method: string, params: Record<string, unknown>): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; ; page++) {
      const r = await this.call<Paged<T>>(area, method, { ...params, page, perPage: 2 });
      out.push(...r.items);
      if (page >= r.pagesCount) return out;
    }
  }
}

interface Paged<T> {
  page: number;
  pagesCount: number;
  perPage: number;
  total: number;
  items: T[];
}
interface Endpoint {
  id: string;
  name: string;
  isManaged: boolean;
  companyId: string;
}
interface Patch {
  id: string;
  name: string;
  type: number;
}

// ---- the seed's objects ---------------------------------------------------------------------------------

const example = JSON.parse(
  readFileSync(new URL('../../core/windows/fixtures/gz-update-window-example.json', import.meta.url), 'utf8'),
) as { params: { settings: Record<string, any> } }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** a `between` that does not hold the current time (UTC, the company's zone here) */
function closedBetween() {
  const h = new Date().getUTCHours();
  return h < 12
    ? { startHour: 13, startMinute: 0, endHour: 23, endMinute: 59 }
    : { startHour: 0, startMinute: 0, endHour: 11, endMinute: 0 };
}

const weeklyClosed = () => ({
  recurrence: 3,
  startDate: 1637258826,
  between: closedBetween(),
  weeklyRecurrence: { every: 1, days: [0, 1, 2, 3, 4, 5, 6] },
});

function windowSettings(kind: 'scheduler' | 'oldScheduler' | 'monthly') {
  const scan =
    kind === 'oldScheduler'
      ? { useFallbackSchedule: 'enabled', oldScheduler: { recurrence: 2, startHour: 1, startMinute: 30 } }
      : { useFallbackSchedule: 'disabled', scheduler: weeklyClosed() };
  const cls =
    kind === 'oldScheduler'
      ? { enabled: true, oldScheduler: { recurrence: 3, startHour: 2, startMinute: 0, days: [6] } }
      : kind === 'monthly'
        ? {
            enabled: true,
            scheduler: {
              recurrence: 4,
              startDate: 1637258826,
              between: closedBetween(),
              monthlyRecurrence: { every: 1, frequency: 5, frequencyDayOfWeek: 0 },
            },
          }
        : { enabled: true, scheduler: weeklyClosed() };
  return {
    scanPatchesSettings: { enabled: true, runOnSystemChanges: false, useSameSchedule: false, ...scan },
    installPatchesSettings: {
      enabled: true,
      ifMissedRunAsSoonAsPossible: false,
      updateType: {
        securityPatchesSettings: cls,
        nonSecurityPatchesSettings: cls,
        manuallyApprovedPatchesSettings: { enabled: false },
      },
      postponeReboot: { option: 0 },
    },
    downloadSettings: { cachingServers: [], fallbackOnDirectDownload: true },
  };
}

const AGENTS = 2;

eachDriver('a GravityZone client written from the seed against simulated agents', (h) => {
  let app: FastifyInstance;
  let engine: Engine;
  let admin: Client;
  let apiKey: string;
  let orgId: number;
  let groupId: number;
  const agents: { agent: Agent; backend: SimulatedBackend; deviceId: number }[] = [];

  before(async () => {
    const store = h.store();
    app = await startApp(store);
    await app.listen({ port: 0, host: '127.0.0.1' });
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    const org = await admin.post('/api/v1/organizations', {
      name: 'Gravity',
      ref: 'gravity',
      timeZone: 'UTC',
    });
    assert.equal(org.status, 201, JSON.stringify(org.body));
    orgId = org.body.id;
    const group = await admin.post('/api/v1/groups', { organizationId: orgId, name: 'Endpoints' });
    groupId = group.body.id;
    const token = (await admin.post(`/api/v1/organizations/${orgId}/install-tokens`, { groupId })).body
      .token as string;
    apiKey = (await admin.post('/api/v1/api-keys', { name: 'gravityzone script' })).body.key as string;
    assert.ok(apiKey);
    const server = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const now = Date.now();
    for (let i = 0; i < AGENTS; i++) {
      const client = new ProtocolClient({ server, timeoutMs: 10_000 });
      const e = await client.enroll({ token, name: `gz-sim-${i}`, osFamily: 'linux', osName: 'Debian 12' });
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
    engine = startEngine({ store, owner: 'gz-seed-client', pollMs: 20 });
  });
  after(async () => {
    await engine?.stop();
    await app?.close();
  });

  const jobsOf = (deviceId: number, kind: string, since: number) =>
    h
      .store()
      .db.selectFrom('jobs')
      .select(['id', 'status'])
      .where('device_id', '=', deviceId)
      .where('kind', '=', kind)
      .where('id', '>', since)
      .orderBy('id', 'desc')
      .execute();
  const lastJob = async () =>
    (
      await h
        .store()
        .db.selectFrom('jobs')
        .select((eb) => eb.fn.max('id').as('id'))
        .executeTakeFirst()
    )?.id ?? 0;

  /** the agents check in until each has finished a job of this kind handed out after `since` */
  async function agentsRun(kind: 'scan' | 'install', since: number, which = agents) {
    const deadline = Date.now() + HANG_GUARD_MS; // a hang guard, not a budget (test/support/hang-guard.ts)
    for (const a of which)
      for (;;) {
        const [job] = await jobsOf(a.deviceId, kind, since);
        if (job && job.status !== 'pending' && job.status !== 'delivered') break;
        if (job) await a.agent.cycle();
        else await new Promise((r) => setTimeout(r, 20));
        assert.ok(Date.now() < deadline, `agent ${a.deviceId} never finished a ${kind} job`);
      }
  }

  it('runs the seed client end to end', async () => {
    const port = (app.server.address() as { port: number }).port;
    const gz = new GravityZoneClient(`http://127.0.0.1:${port}/api`, apiKey);

    // the company and its endpoints
    const companies = await gz.call<{ id: string; name: string }[]>('companies', 'getCompaniesList');
    const company = companies.find((c) => c.name === 'Gravity')!;
    assert.match(company.id, /^[0-9a-f]{24}$/);
    const endpoints = await gz.all<Endpoint>('network', 'getEndpointsList', {
      parentId: company.id,
      isManaged: true,
    });
    assert.equal(endpoints.length, AGENTS);
    assert.ok(endpoints.every((e) => e.isManaged && e.companyId === company.id));
    const ids = endpoints.map((e) => e.id);

    // scan, then read the missing patches
    let since = await lastJob();
    const [scanTask] = await gz.call<string[]>('patchManagement', 'createPatchScanTask', { targetIds: ids });
    assert.match(scanTask!, /^[0-9a-f]{24}$/);
    await agentsRun('scan', since);
    const missing = async (endpointId: string) =>
      gz.all<Patch>('patchManagement', 'getMissingPatches', { endpointId });
    const before: Patch[][] = [];
    for (const [i, id] of ids.entries()) {
      const m = await missing(id);
      const a = agents.find((x) => `${x.deviceId}` === `${Number.parseInt(id.slice(2), 16)}`)!;
      assert.ok(m.length > 0, `endpoint ${i} misses patches`);
      assert.equal(m.length, a.backend.pendingCount());
      assert.ok(m.every((p) => /^\{[0-9A-F]{8}-[0-9A-F]{4}-0000-0000-000000000000\}$/.test(p.id)));
      before.push(m);
    }
    const security = await gz.call<Paged<Patch>>('patchManagement', 'getMissingPatches', {
      endpointId: ids[0],
      filters: { type: 1 },
    });
    assert.ok(security.items.every((p) => p.type === 1));
    const status = await gz.call<{ status: number }>('network', 'getTaskStatus', { taskId: scanTask });
    assert.ok([2, 3].includes(status.status));

    // windows with each schedule form; the first one closed now
    const mk = (name: string, kind: 'scheduler' | 'oldScheduler' | 'monthly') =>
      gz.call<string>('maintenanceWindows', 'createPatchManagementMaintenanceWindow', {
        name,
        companyId: company.id,
        allowChangeByOtherUsers: false,
        settings: windowSettings(kind),
      });
    const closed = await mk('Nights', 'scheduler');
    const fallback = await mk('Fallback', 'oldScheduler');
    const monthly = await mk('Last Sunday', 'monthly');
    const listed = await gz.all<{ id: string; name: string }>(
      'maintenanceWindows',
      'getMaintenanceWindowsList',
      { companyId: company.id },
    );
    assert.deepEqual(
      listed.map((w) => w.name),
      ['Fallback', 'Last Sunday', 'Nights'],
    );
    const fb = await gz.call<{
      settings: { scanPatchesSettings: { useFallbackSchedule: string; oldScheduler: unknown } };
    }>('maintenanceWindows', 'getMaintenanceWindowDetails', { maintenanceWindowId: fallback });
    assert.equal(fb.settings.scanPatchesSettings.useFallbackSchedule, 'enabled');
    assert.deepEqual(fb.settings.scanPatchesSettings.oldScheduler, {
      recurrence: 2,
      startHour: 1,
      startMinute: 30,
    });

    // the policy (made in the console) gets the closed window
    const policy = await admin.post('/api/v1/policies', {
      organizationId: orgId,
      name: 'Endpoints policy',
      rule: { kind: 'all' },
      targets: { groups: [groupId] },
    });
    assert.equal(policy.status, 201, JSON.stringify(policy.body));
    const policies = await gz.all<{ id: string; name: string }>('policies', 'getPoliciesList', {
      companyId: company.id,
    });
    const policyId = policies.find((p) => p.name === 'Endpoints policy')!.id;
    assert.deepEqual(
      await gz.call('maintenanceWindows', 'assignMaintenanceWindows', {
        policyId,
        maintenanceWindowIds: [closed],
      }),
      { success: true },
    );
    const pd = await gz.call<{ maintenanceWindows: { id: string }[] }>('policies', 'getPolicyDetails', {
      policyId,
    });
    assert.deepEqual(
      pd.maintenanceWindows.map((w) => w.id),
      [closed],
    );

    // an install task while the window is closed: the agents check in and install nothing
    const [first, second] = before[0]!;
    since = await lastJob();
    const [install] = await gz.call<string[]>('patchManagement', 'createPatchInstallTask', {
      targetIds: [ids[0]],
      patchIds: [first!.id, second!.id],
    });
    assert.match(install!, /^[0-9a-f]{24}$/);
    const a0 = agents.find((x) => x.deviceId === Number.parseInt(ids[0]!.slice(2), 16))!;
    const pending = a0.backend.pendingCount();
    let job: { id: number; status: string } | undefined;
    for (let i = 0; i < 200 && !job; i++) {
      [job] = await jobsOf(a0.deviceId, 'install', since);
      if (!job) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(job, 'the engine made the install job');
    for (let i = 0; i < 3; i++) await a0.agent.cycle();
    assert.equal(
      (await jobsOf(a0.deviceId, 'install', since))[0]!.status,
      'pending',
      'held while the window is closed',
    );
    assert.equal(a0.backend.pendingCount(), pending);
    assert.equal((await missing(ids[0]!)).length, before[0]!.length);

    // the window is updated with every field of the seed's example (valid JSON, useFallbackSchedule false,
    // the company's own manually approved patch ids): security patches "immediately", so it is open now
    await admin.post(`/api/v1/organizations/${orgId}/updates/approve`, {
      updateIds: before[0]!.slice(-1).map((p) => Number.parseInt(p.id.slice(1, 9), 16)),
    });
    const approved = await gz.all<{ id: string }>('maintenanceWindows', 'getManuallyApprovedPatches', {
      companyId: company.id,
    });
    assert.equal(approved.length, 1);
    const settings = structuredClone(example.params.settings);
    settings.scanPatchesSettings.useFallbackSchedule = false;
    settings.installPatchesSettings.manuallyApprovedPatchIds = approved.map((p) => p.id);
    assert.deepEqual(
      await gz.call('maintenanceWindows', 'updatePatchManagementMaintenanceWindow', { id: closed, settings }),
      { success: true },
    );
    const updated = await gz.call<{
      settings: { installPatchesSettings: { manuallyApprovedPatchIds: string[] } };
    }>('maintenanceWindows', 'getMaintenanceWindowDetails', { maintenanceWindowId: closed });
    assert.deepEqual(
      updated.settings.installPatchesSettings.manuallyApprovedPatchIds,
      approved.map((p) => p.id),
    );

    await agentsRun('install', since, [a0]);
    assert.equal(a0.backend.pendingCount(), pending - 2, 'the endpoint installed the two patches');
    const left = await missing(ids[0]!);
    assert.equal(left.length, before[0]!.length - 2);
    assert.ok(!left.some((p) => p.id === first!.id || p.id === second!.id));
    const installed = await gz.all<Patch>('patchManagement', 'getInstalledPatches', { endpointId: ids[0] });
    assert.deepEqual(installed.map((p) => p.id).sort(), [first!.id, second!.id].sort());
    // the other endpoint was not targeted
    assert.equal((await missing(ids[1]!)).length, before[1]!.length);
    const done = await gz.call<{ status: number; failed: boolean }>('network', 'getTaskStatus', {
      taskId: install,
    });
    assert.equal(typeof done.status, 'number');

    // unassign and delete
    assert.deepEqual(
      await gz.call('maintenanceWindows', 'unassignMaintenanceWindows', {
        policyId,
        maintenanceWindowIds: [closed],
      }),
      { success: true },
    );
    for (const w of [closed, fallback, monthly])
      assert.deepEqual(
        await gz.call('maintenanceWindows', 'deleteMaintenanceWindow', { maintenanceWindowId: w }),
        { success: true },
      );
    const none = await gz.call<Paged<unknown>>('maintenanceWindows', 'getMaintenanceWindowsList', {
      companyId: company.id,
    });
    assert.equal(none.total, 0);
    await assert.rejects(
      gz.call('maintenanceWindows', 'getMaintenanceWindowDetails', { maintenanceWindowId: closed }),
      (e: RpcFailure) => e.error.code === -32602,
    );
  });
});
