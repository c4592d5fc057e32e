import { HANG_GUARD_MS } from '../../support/hang-guard.ts';
// Issue 19's acceptance: a client written from the seed (003) and Automox's public API reference alone
// (Bearer API key, `o`, /servers, /servers/{id}/queues, /servers/{id}/packages, /servergroups, /policies,
// /policies/{id}/action, /policystats) creates, reads, updates, runs and deletes a patch policy against a
// server whose devices are simulated agents: remediateAll makes the agents install what the policy
// selects, and policystats and the device packages change accordingly.
// The harness around it (server, API key, simulated agents, task engine) uses Patchline itself.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Agent } from '../../../src/agent/agent.ts';
import { SimulatedBackend } from '../../../src/agent/backends/simulated.ts';
import { ProtocolClient } from '../../../src/agent/client.ts';
import { MemoryStorage } from '../../../src/agent/storage.ts';
import { startEngine, type Engine } from '../../../src/engine/engine.ts';
import { ADMIN_PASSWORD, signIn, startApp } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';
import { keyOf } from './support.ts';

// ---- the client: the seed and the public API reference only -------------------------------------------

class AutomoxClient {
  constructor(
    private readonly base: string,
    private readonly apiKey: string,
    private readonly org: number,
  ) {}

  async call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const sep = path.includes('?') ? '&' : '?';
    const res = await fetch(`${this.base}${path}${sep}o=${this.org}`, {
      method,
      headers: {
        authorization: `Bearer ${this.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
  servers = () => this.call<Server[]>('GET', '/servers/');
  packages = (id: number) => this.call<Package[]>('GET', `/servers/${id}/packages`);
  queue = (id: number, command: string, args?: string) =>
    this.call('POST', `/servers/${id}/queues`, { command_type_name: command, ...(args ? { args } : {}) });
  groups = () => this.call<ServerGroup[]>('GET', '/servergroups');
  createPolicy = (p: unknown) => this.call<Policy>('POST', '/policies', p);
  policy = (id: number) => this.call<Policy>('GET', `/policies/${id}`);
  updatePolicy = (id: number, p: unknown) => this.call<Policy>('PUT', `/policies/${id}`, p);
  deletePolicy = (id: number) => this.call('DELETE', `/policies/${id}`);
  remediateAll = (id: number) => this.call('POST', `/policies/${id}/action`, { action: 'remediateAll' });
  stats = () => this.call<PolicyStat[]>('GET', '/policystats');
}

interface Server {
  id: number;
  name: string;
  server_group_id: number;
  os_family: string;
  patches: number;
  compliant: boolean;
  policy_status: { policy_id: number; status: number }[];
}
interface Package {
  id: number;
  name: string;
  display_name: string;
  installed: boolean;
  severity: string;
}
interface ServerGroup {
  id: number;
  name: string;
  parent_server_group_id: number;
  server_count: number;
}
interface Policy {
  id: number;
  name: string;
  configuration: Record<string, unknown>;
  schedule_days: number;
  schedule_weeks_of_month: number;
  schedule_months: number;
  schedule_time: string;
  server_groups: number[];
}
interface PolicyStat {
  policy_id: number;
  num_compliant: number;
  num_non_compliant: number;
}

// ---- the harness ----------------------------------------------------------------------------------------

const AGENTS = 3;

eachDriver('a seed-only Automox client against simulated agents', (h) => {
  let app: FastifyInstance;
  let engine: Engine;
  let ax: AutomoxClient;
  let orgId: number;
  let admin: Awaited<ReturnType<typeof signIn>>;
  const agents: { agent: Agent; backend: SimulatedBackend; deviceId: number }[] = [];
  let clockShift = 0;

  before(async () => {
    const store = h.store();
    app = await startApp(store);
    await app.listen({ port: 0, host: '127.0.0.1' });
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    const org = await admin.post('/api/v1/organizations', { name: 'Moxie', ref: 'moxie' });
    orgId = org.body.id;
    const token = (await admin.post(`/api/v1/organizations/${org.body.id}/install-tokens`, {})).body
      .token as string;
    const server = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const now = Date.now();
    for (let i = 0; i < AGENTS; i++) {
      const client = new ProtocolClient({ server, timeoutMs: 10_000 });
      const e = await client.enroll({ token, name: `mox-${i}`, osFamily: 'linux', osName: 'Debian 12' });
      client.credential = e.credential;
      const backend = new SimulatedBackend({
        seed: 200 + i,
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
    // the engine's clock can be moved ahead to a policy's next occurrence (remediateAll installs then)
    engine = startEngine({
      store,
      owner: 'automox-seed-client',
      pollMs: 20,
      now: () => new Date(Date.now() + clockShift),
    });
    ax = new AutomoxClient(`${server}/api`, await keyOf(app, store, 'admin', ADMIN_PASSWORD), org.body.id);
  });
  after(async () => {
    await engine?.stop();
    await app?.close();
  });

  /** the agents check in until each has run a job of this kind handed out after `since` */
  async function agentsRun(kind: 'scan' | 'install' | 'script', which: number[], sinceJob: number) {
    const deadline = Date.now() + HANG_GUARD_MS; // a hang guard, not a budget (test/support/hang-guard.ts)
    for (const i of which) {
      for (;;) {
        const job = await h
          .store()
          .db.selectFrom('jobs')
          .select(['id', 'status'])
          .where('device_id', '=', agents[i]!.deviceId)
          .where('kind', '=', kind)
          .where('id', '>', sinceJob)
          .orderBy('id', 'desc')
          .executeTakeFirst();
        if (job && job.status !== 'pending' && job.status !== 'delivered') break;
        if (job) await agents[i]!.agent.cycle();
        else await new Promise((r) => setTimeout(r, 20));
        assert.ok(Date.now() < deadline, `agent ${i} never finished a ${kind} job`);
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

  it('creates, reads, updates, runs and deletes a patch policy through the seed alone', async () => {
    const servers = await ax.servers();
    assert.deepEqual(
      servers.map((s) => s.id).sort((a, b) => a - b),
      agents.map((a) => a.deviceId).sort((a, b) => a - b),
    );
    assert.ok(servers.every((s) => s.os_family === 'Linux' && s.patches === 0));

    // GetOS: the agents report their OS and packages
    let since = await lastJob();
    for (const s of servers) await ax.queue(s.id, 'GetOS');
    await agentsRun('scan', [0, 1, 2], since);
    const missing = new Map<number, Package[]>();
    for (const a of agents) {
      const pk = (await ax.packages(a.deviceId)).filter((p) => !p.installed);
      assert.equal(pk.length, a.backend.pendingCount());
      missing.set(a.deviceId, pk);
    }
    // a package that the first device misses, chosen by a wildcard over its name
    const target = missing.get(agents[0]!.deviceId)![0]!;
    const pattern = `*${target.name.slice(1)}`;

    const groups = await ax.groups();
    const defaultGroup = groups.find((g) => g.name === '')!;
    assert.ok(defaultGroup, 'every organization has its default group');
    assert.equal(defaultGroup.parent_server_group_id, defaultGroup.id);
    assert.equal(defaultGroup.server_count, AGENTS);

    const body = {
      name: 'Critical only',
      policy_type_name: 'patch',
      organization_id: (servers[0] as unknown as { organization_id: number }).organization_id,
      configuration: {
        auto_patch: false,
        auto_reboot: false,
        notify_user: false,
        missed_patch_window: false,
        patch_rule: 'filter',
        filter_type: 'severity',
        severity_filter: ['critical'],
      },
      schedule_days: 42,
      schedule_weeks_of_month: 20,
      schedule_months: 4680,
      schedule_time: '02:30',
      server_groups: [defaultGroup.id],
      notes: '',
    };
    const created = await ax.createPolicy(body);
    const read = await ax.policy(created.id);
    assert.deepEqual(read, created);
    assert.deepEqual(
      [read.schedule_days, read.schedule_weeks_of_month, read.schedule_months, read.schedule_time],
      [42, 20, 4680, '02:30'],
    );
    const updated = await ax.updatePolicy(created.id, {
      ...body,
      name: 'Only the chosen package',
      configuration: {
        ...body.configuration,
        filter_type: 'include',
        filters: [pattern],
        severity_filter: undefined,
      },
    });
    assert.equal(updated.name, 'Only the chosen package');
    assert.deepEqual(updated.configuration.filters, [pattern]);

    // who misses the package is not compliant with the policy
    const misses = agents.filter((a) => missing.get(a.deviceId)!.some((p) => p.name === target.name));
    let stat = (await ax.stats()).find((s) => s.policy_id === created.id)!;
    assert.equal(stat.num_non_compliant, misses.length);
    assert.equal(stat.num_compliant, AGENTS - misses.length);

    since = await lastJob();
    await ax.remediateAll(created.id);
    // remediateAll installs inside the policy's schedule: one-off installs at its next occurrence, which
    // the engine fires then (and nothing is handed to the agents before)
    const next = (await admin.get(`/api/v1/policies/${created.id}/preview`)).body.devices[0].nextOccurrence;
    const installs = (
      await admin.get(`/api/v1/tasks?organizationId=${orgId}&kind=install`)
    ).body.items.filter(
      (t: { nextDueAt: string | null; parameters: { policyId?: number } }) =>
        t.parameters.policyId === undefined && t.nextDueAt !== null,
    );
    assert.equal(installs.length, misses.length, JSON.stringify(installs));
    for (const t of installs)
      assert.equal(Date.parse(t.nextDueAt), Math.ceil(Date.parse(next) / 60_000) * 60_000);
    await engine.tick();
    assert.equal(await lastJob(), since, 'nothing installs before the next occurrence');
    clockShift = Math.ceil(Date.parse(next) / 60_000) * 60_000 - Date.now() + 1000;
    await agentsRun(
      'install',
      misses.map((a) => agents.indexOf(a)),
      since,
    );
    for (const a of agents) {
      const after = await ax.packages(a.deviceId);
      const before = missing.get(a.deviceId)!;
      const had = before.some((p) => p.name === target.name);
      const pk = after.find((p) => p.name === target.name);
      if (had) assert.equal(pk?.installed, true, `${target.name} installed on ${a.deviceId}`);
      // nothing else was installed
      assert.equal(after.filter((p) => !p.installed).length, before.length - (had ? 1 : 0));
      assert.equal(a.backend.pendingCount(), before.length - (had ? 1 : 0));
    }
    clockShift = 0;
    stat = (await ax.stats()).find((s) => s.policy_id === created.id)!;
    assert.equal(stat.num_non_compliant, 0);
    assert.equal(stat.num_compliant, AGENTS);
    const s0 = (await ax.servers()).find((s) => s.id === agents[0]!.deviceId)!;
    assert.deepEqual(
      s0.policy_status.map((p) => [p.policy_id, p.status]),
      [[created.id, 1]],
    );

    await ax.deletePolicy(created.id);
    assert.ok(!(await ax.stats()).some((s) => s.policy_id === created.id));
  });

  it('creates, runs and deletes worklet and required-software policies', async () => {
    // the organization's script switch is Patchline's (off by default): the harness turns it on
    const on = await admin.call('PUT', `/api/v1/organizations/${orgId}/script-settings`, {
      scriptsEnabled: true,
    });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    const group = (await ax.groups()).find((g) => g.name === '')!;
    const common = {
      organization_id: orgId,
      schedule_days: 254,
      schedule_weeks_of_month: 62,
      schedule_months: 8190,
      schedule_time: '04:00',
      server_groups: [group.id],
      notes: '',
    };
    const worklet = await ax.createPolicy({
      ...common,
      name: 'Disk cleanup',
      policy_type_name: 'custom',
      configuration: {
        auto_patch: true,
        notify_user: false,
        os_family: 'Linux',
        evaluation_code: 'test -f /var/tmp/clean',
        remediation_code: 'touch /var/tmp/clean',
      },
    });
    const software = await ax.createPolicy({
      ...common,
      name: 'curl everywhere',
      policy_type_name: 'required_software',
      configuration: {
        auto_patch: true,
        notify_user: false,
        os_family: 'Linux',
        package_name: 'curl',
        installation_code: 'apt-get install -y curl',
      },
    });
    const updated = await ax.updatePolicy(worklet.id, { ...worklet, name: 'Disk cleanup v2' });
    assert.equal(updated.name, 'Disk cleanup v2');
    assert.deepEqual(await ax.policy(worklet.id), updated);
    for (const p of [worklet, software]) {
      const st = (await ax.stats()).find((x) => x.policy_id === p.id)!;
      assert.deepEqual([st.num_compliant, st.num_non_compliant], [0, AGENTS], 'never run: not compliant');
      const since = await lastJob();
      await ax.remediateAll(p.id);
      await agentsRun('script', [0, 1, 2], since);
      const after = (await ax.stats()).find((x) => x.policy_id === p.id)!;
      assert.deepEqual([after.num_compliant, after.num_non_compliant], [AGENTS, 0], `${p.name} remediated`);
    }
    await ax.deletePolicy(worklet.id);
    await ax.deletePolicy(software.id);
    assert.ok(!(await ax.stats()).some((x) => x.policy_id === worklet.id || x.policy_id === software.id));
  });
});
