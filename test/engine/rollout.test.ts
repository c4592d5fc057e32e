import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { Agent } from '../../src/agent/agent.ts';
import { SimulatedBackend } from '../../src/agent/backends/simulated.ts';
import { ProtocolClient, type AgentFetch } from '../../src/agent/client.ts';
import { MemoryStorage } from '../../src/agent/storage.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { createAlertEngine } from '../../src/engine/alerts.ts';
import { createEngine, type Engine } from '../../src/engine/engine.ts';
import type { Store } from '../../src/store/db.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../support/api.ts';
import { freshStore } from '../support/store.ts';
import { scopedUser } from '../support/world.ts';
import { weeklyWindowSettings } from '../support/windows.ts';

// Deployment rings end to end (issue #18) with simulated agents: the real Agent class on simulated
// Debian machines, talking the agent protocol to the server in this process (app.inject, no port). An
// update approved into a three-ring plan installs in ring 1 only; ring 2 starts only after ring 1's gate
// passed. With installs failing on ring 1's machines, the gate fails, ring 2 never starts, and
// `rollout.gate_failed` says why. The engine runs on an injected clock (hours pass without sleeping); the
// agents and the API answer in real time, which is a few seconds after the plan's start.

const HOUR = 3_600_000;
// the alerts' webhook receiver is on 127.0.0.1: the operator's switch allows it (docs/alerts.md)
process.env.PATCHLINE_WEBHOOK_ALLOW_PRIVATE = '1';

const injectFetch =
  (app: FastifyInstance): AgentFetch =>
  async (url, init) => {
    const u = new URL(url);
    const r = await app.inject({
      method: (init?.method ?? 'GET') as 'GET',
      url: u.pathname + u.search,
      headers: init?.headers ?? {},
      ...(init?.body === undefined ? {} : { payload: init.body }),
    });
    return {
      ok: r.statusCode >= 200 && r.statusCode < 300,
      status: r.statusCode,
      text: async () => r.body,
      arrayBuffer: async () => new Uint8Array(r.rawPayload).buffer,
    };
  };

interface Sim {
  deviceId: number;
  ring: number;
  agent: Agent;
  machine: SimulatedBackend;
}

let store: Store;
let cleanup: () => Promise<void>;
let app: FastifyInstance;
let admin: Client;
let orgId: number;
let planId: number;
let groupIds: number[] = [];
const sims: Sim[] = [];
let engine: Engine;
/** a local webhook receiver and SMTP server: what the rollout's alerts reach */
const hooks: { event: string; body: { alert: { kind: string; message: string } } }[] = [];
const mails: string[] = [];
let hookServer: Server;
let smtp: SMTPServer;
let smtpPort = 0;
let clock = Date.now();
/** two updates every machine misses (same OS, every package), found after the first scans */
let updates: { id: number; name: string; packageName: string }[] = [];

const events = async (kind: string, rolloutId: number) =>
  (
    (await admin.get(`/api/v1/events?organizationId=${orgId}&kind=${kind}&limit=200`)).body.items as {
      subjectId: string;
      data: Record<string, unknown>;
    }[]
  ).filter((e) => e.subjectId === String(rolloutId));
const statuses = async (updateId: number) => {
  const out: Record<number, string[]> = { 0: [], 1: [], 2: [] };
  for (const s of sims) {
    const r = await admin.get(`/api/v1/devices/${s.deviceId}/updates?limit=500`);
    const u = (r.body.items as { updateId: number; status: string }[]).find((x) => x.updateId === updateId);
    out[s.ring]!.push(u?.status ?? 'none');
  }
  return out;
};
const detail = async () => {
  const r = await admin.get(`/api/v1/rollout-plans/${planId}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as {
    rollouts: {
      id: number;
      updateId: number;
      state: string;
      reason: string | null;
      currentRing: number;
      rings: { startedAt: string | null; finishedAt: string | null; gate: string; percent: number | null }[];
    }[];
  };
};
const rolloutOf = async (updateId: number) => (await detail()).rollouts.find((r) => r.updateId === updateId)!;
const tick = async (hoursAfterStart: number) => {
  clock = Date.now() + hoursAfterStart * HOUR;
  await engine.tick();
};
/** an install task over the whole organization, dispatched, then one round of every agent */
async function installRound() {
  const t = await admin.post('/api/v1/tasks', {
    organizationId: orgId,
    kind: 'install',
    name: `install ${Date.now()}`,
  });
  assert.equal(t.status, 201, JSON.stringify(t.body));
  const run = await admin.post(`/api/v1/tasks/${t.body.id}/run`, {});
  assert.equal(run.status, 201, JSON.stringify(run.body));
  clock = Date.now(); // the engine's clock back to now: no gate is due while the installs run
  while ((await engine.tick()) > 0);
  for (const s of sims) await s.agent.cycle();
}

before(async () => {
  hookServer = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hooks.push({
        event: String(req.headers['x-patchline-event']),
        body: JSON.parse(Buffer.concat(chunks).toString()),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push(
          Buffer.concat(chunks)
            .toString('utf8')
            .replace(/=\r?\n/g, ''),
        );
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  ({ store, cleanup } = await freshStore('pglite'));
  app = await startApp(store);
  admin = await signIn(app, 'admin', ADMIN_PASSWORD);
  engine = createEngine({ store, owner: 'rollout-test', now: () => new Date(clock) });
  orgId = (await admin.post('/api/v1/organizations', { name: 'Ringed', ref: 'ringed' })).body.id;
  const groups: number[] = [];
  for (const name of ['canary', 'early', 'broad'])
    groups.push((await admin.post('/api/v1/groups', { organizationId: orgId, name })).body.id);
  let seed = 0;
  for (const [ring, groupId] of groups.entries()) {
    const token = await admin.post(`/api/v1/organizations/${orgId}/install-tokens`, {
      name: `ring ${ring}`,
      groupId,
    });
    assert.equal(token.status, 201, JSON.stringify(token.body));
    for (let k = 0; k < 2; k++) {
      const client = new ProtocolClient({ server: 'http://patchline.test', fetch: injectFetch(app) });
      const e = await client.enroll({
        token: token.body.token,
        name: `ring${ring}-${k}`,
        osFamily: 'linux',
        osName: 'debian',
        osVersion: '12',
        agentVersion: 'simulated',
      });
      client.credential = e.credential;
      const machine = new SimulatedBackend({
        seed: ++seed,
        os: { family: 'debian', version: '12' },
        packageCount: 1000, // every package of the OS: every machine misses the same updates
        failureRate: 0,
        rebootShare: 0,
        feedStart: Date.UTC(2026, 0, 1),
      });
      const agent = new Agent({
        client,
        backend: machine,
        storage: new MemoryStorage(),
        sendInventory: false,
      });
      await agent.scanAndQueue(false);
      await agent.flush();
      sims.push({ deviceId: e.deviceId, ring, agent, machine });
    }
  }
  const lists = await Promise.all(
    sims.map(
      async (s) => (await admin.get(`/api/v1/devices/${s.deviceId}/updates?limit=500&sort=name`)).body.items,
    ),
  );
  const common = (
    lists[0] as { updateId: number; name: string; packageName: string | null; status: string }[]
  ).filter(
    (u) =>
      u.status === 'missing' &&
      lists.every((l) => l.some((x: { updateId: number }) => x.updateId === u.updateId)),
  );
  assert.ok(common.length >= 3, `the machines miss common updates (${common.length})`);
  updates = common
    .slice(0, 3)
    .map((u) => ({ id: u.updateId, name: u.name, packageName: u.packageName ?? u.name }));
  const plan = await admin.post('/api/v1/rollout-plans', {
    organizationId: orgId,
    name: 'three rings',
    rings: [
      { name: 'canary', groups: [groups[0]], gate: { minPercent: 100, afterHours: 24 } },
      {
        name: 'early',
        groups: [groups[1]],
        delay: { kind: 'after_previous', hours: 0 },
        gate: { minPercent: 100, afterHours: 24 },
      },
      {
        name: 'broad',
        groups: [groups[2]],
        delay: { kind: 'after_previous', hours: 48 },
        gate: { minPercent: 90, afterHours: 24 },
      },
    ],
  });
  assert.equal(plan.status, 201, JSON.stringify(plan.body));
  planId = plan.body.id;
  groupIds = groups;
  for (const sub of [
    {
      channel: 'webhook',
      url: `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/ringed`,
    },
    { channel: 'email', recipients: ['oncall@ringed.test'], options: { digestMinutes: 30 } },
  ]) {
    const r = await admin.post('/api/v1/alert-subscriptions', {
      organizationId: orgId,
      name: `gate failures by ${sub.channel}`,
      kinds: ['rollout.gate_failed'],
      ...sub,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
});
after(async () => {
  await app?.close();
  await cleanup?.();
  await new Promise<void>((resolve) => hookServer?.close(() => resolve()));
  await new Promise<void>((resolve) => smtp?.close(() => resolve()));
});

test('approved into a three-ring plan: ring 1 installs; ring 2 starts only after ring 1’s gate passes', async () => {
  const u = updates[0]!;
  const approved = await admin.post(`/api/v1/rollout-plans/${planId}/approve`, { updateIds: [u.id] });
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  let r = await rolloutOf(u.id);
  assert.equal(r.state, 'running');
  assert.ok(r.rings[0]!.startedAt, 'ring 1 started at once (no delay)');
  assert.equal(r.rings[1]!.startedAt, null);
  assert.deepEqual(await statuses(u.id), {
    0: ['pending', 'pending'],
    1: ['missing', 'missing'],
    2: ['missing', 'missing'],
  });

  // installs run everywhere, but only ring 1 has the update approved
  await installRound();
  assert.deepEqual(await statuses(u.id), {
    0: ['installed', 'installed'],
    1: ['missing', 'missing'],
    2: ['missing', 'missing'],
  });

  // 12 hours on: the gate is not due yet, ring 2 waits
  await tick(12);
  r = await rolloutOf(u.id);
  assert.equal(r.rings[0]!.gate, 'pending');
  assert.equal(r.rings[1]!.startedAt, null);
  assert.deepEqual((await statuses(u.id))[1], ['missing', 'missing']);

  // 25 hours on: the gate passed (both installed, checked in, no failures), ring 2 started
  await tick(25);
  r = await rolloutOf(u.id);
  assert.equal(r.rings[0]!.gate, 'passed');
  assert.equal(r.rings[0]!.percent, 100);
  assert.ok(r.rings[1]!.startedAt, 'ring 2 started');
  assert.equal(r.rings[2]!.startedAt, null, 'ring 3 waits for ring 2 and its 48 hours');
  assert.deepEqual((await statuses(u.id))[1], ['pending', 'pending']);
  assert.deepEqual((await statuses(u.id))[2], ['missing', 'missing']);
  const passed = await events('rollout.gate_passed', r.id);
  assert.equal(passed.length, 1);
  assert.equal(passed[0]!.data.ringName, 'canary');
  assert.equal(passed[0]!.data.planName, 'three rings');
  assert.equal(passed[0]!.data.organizationId, orgId);
  const started = (await events('rollout.ring_started', r.id)).map((e) => e.data.ringName).sort();
  assert.deepEqual(started, ['canary', 'early']);
  assert.equal((await events('rollout.ring_finished', r.id)).length, 1);
});

test('installs failing in ring 1: the gate fails, the rollout halts with why, ring 2 never starts', async () => {
  const u = updates[1]!;
  for (const s of sims) if (s.ring === 0) s.machine.setBroken(u.packageName, true);
  const approved = await admin.post(`/api/v1/rollout-plans/${planId}/approve`, { updateIds: [u.id] });
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  await installRound();
  assert.deepEqual((await statuses(u.id))[0], ['failed', 'failed']);

  await tick(25);
  let r = await rolloutOf(u.id);
  assert.equal(r.state, 'halted');
  assert.equal(r.rings[0]!.gate, 'failed');
  assert.equal(r.rings[0]!.percent, 0);
  assert.match(
    r.reason ?? '',
    /gate failed: 0 of 2 devices \(0%\).*100% needed.*2 not installed, 2 with new failures/,
  );
  const failed = await events('rollout.gate_failed', r.id);
  assert.equal(failed.length, 1);
  assert.equal(failed[0]!.data.ringName, 'canary');
  assert.equal(failed[0]!.data.total, 2);
  assert.equal(failed[0]!.data.healthy, 0);
  assert.deepEqual(failed[0]!.data.updates, [u.id]);
  assert.match(String(failed[0]!.data.reason), /gate failed/);

  // the gate failure is an alert, delivered by webhook at once and by e-mail in the period's digest
  let alertClock = clock;
  const alerts = createAlertEngine({
    store,
    now: () => new Date(alertClock),
    smtp: { url: `smtp://127.0.0.1:${smtpPort}`, from: 'patchline@ringed.test' },
    checkEveryMs: Number.MAX_SAFE_INTEGER,
    settleMs: 0,
    timeoutMs: 5_000,
  });
  await alerts.tick();
  const gateHooks = hooks.filter((h) => h.event === 'rollout.gate_failed');
  assert.equal(gateHooks.length, 1, JSON.stringify(hooks));
  assert.match(gateHooks[0]!.body.alert.message, /three rings.*canary|canary.*three rings/);
  alertClock += 31 * 60_000;
  await alerts.tick();
  await alerts.stop();
  assert.equal(mails.length, 1);
  assert.match(mails[0]!, /To: oncall@ringed.test/);
  assert.match(mails[0]!, /gate failed: 0 of 2 devices/);

  // days later ring 2 still has not started
  await tick(24 * 10);
  r = await rolloutOf(u.id);
  assert.equal(r.rings[1]!.startedAt, null);
  assert.deepEqual((await statuses(u.id))[1], ['missing', 'missing']);
  assert.equal((await events('rollout.ring_started', r.id)).length, 1);

  // an operator pauses (refused: it is halted), then skips the failed gate: ring 2 starts, all logged
  const pause = await admin.post(`/api/v1/rollouts/${r.id}/pause`, {});
  assert.equal(pause.status, 409, JSON.stringify(pause.body));
  const skip = await admin.post(`/api/v1/rollouts/${r.id}/skip-gate`, {
    note: 'known bad package on canaries',
  });
  assert.equal(skip.status, 200, JSON.stringify(skip.body));
  r = await rolloutOf(u.id);
  assert.equal(r.state, 'running');
  assert.equal(r.rings[0]!.gate, 'skipped');
  assert.ok(r.rings[1]!.startedAt);
  assert.equal((await events('rollout.gate_skipped', r.id)).length, 1);
  // pause, resume and roll forward, each in the event log
  assert.equal((await admin.post(`/api/v1/rollouts/${r.id}/pause`, {})).status, 200);
  await tick(24 * 11);
  assert.equal((await rolloutOf(u.id)).rings[1]!.gate, 'pending', 'a paused rollout judges no gate');
  assert.equal((await admin.post(`/api/v1/rollouts/${r.id}/resume`, {})).status, 200);
  assert.equal((await admin.post(`/api/v1/rollouts/${r.id}/roll-forward`, {})).status, 200);
  r = await rolloutOf(u.id);
  assert.ok(r.rings[2]!.startedAt, 'rolled forward into ring 3');
  for (const kind of ['rollout.paused', 'rollout.resumed', 'rollout.rolled_forward'])
    assert.equal((await events(kind, r.id)).length, 1, kind);
});

test('plans and rollouts are tenant-scoped', async () => {
  const other = await admin.post('/api/v1/organizations', { name: 'Other', ref: 'other' });
  const u = await scopedUser(admin, 'other-op', other.body.id, 'Operator');
  const o = await signIn(app, u.user.username, u.password);
  const r = await rolloutOf(updates[0]!.id);
  for (const res of [
    await o.get(`/api/v1/rollout-plans/${planId}`),
    await o.call('PUT', `/api/v1/rollout-plans/${planId}`, {
      name: 'taken',
      rings: [{ name: 'x', devices: [sims[0]!.deviceId] }],
    }),
    await o.post(`/api/v1/rollout-plans/${planId}/approve`, { updateIds: [updates[0]!.id] }),
    await o.post(`/api/v1/rollouts/${r.id}/pause`, {}),
    await o.del(`/api/v1/rollout-plans/${planId}`),
  ])
    assert.equal(res.status, 404, JSON.stringify(res.body));
  assert.deepEqual((await o.get('/api/v1/rollout-plans')).body.items, []);
  // a plan of another organization naming this one's devices is refused
  const bad = await o.post('/api/v1/rollout-plans', {
    organizationId: other.body.id,
    name: 'intruding',
    rings: [{ name: 'r', devices: [sims[0]!.deviceId] }],
  });
  assert.equal(bad.status, 400, JSON.stringify(bad.body));
  assert.equal((await rolloutOf(updates[0]!.id)).state, r.state, 'unchanged');
});

test('a policy targeting the plan: what it selects installs ring by ring, as the policy’s installs', async () => {
  const u = updates[2]!;
  const body = (targets: Record<string, unknown>) => ({
    organizationId: orgId,
    name: 'ringed policy',
    rule: { kind: 'list', updates: [u.id] },
    targets,
    // once, in a minute; caught up when the engine's clock is past it
    schedule: {
      recurrence: { kind: 'once' },
      start: new Date(Math.ceil((Date.now() + 60_000) / 60_000) * 60_000).toISOString().slice(0, 16),
      zone: { kind: 'named', name: 'UTC' },
      end: { kind: 'never' },
    },
    behaviour: { runMissedAsap: true },
  });
  // a plan and groups at once, or a plan of no one: refused, saying what to do
  const both = await admin.post('/api/v1/policies', body({ rolloutPlan: planId, groups: [groupIds[0]] }));
  assert.equal(both.status, 400, JSON.stringify(both.body));
  assert.match(JSON.stringify(both.body), /either a rollout plan or groups.*remove targets.rolloutPlan/);
  const none = await admin.post('/api/v1/policies', body({ rolloutPlan: 999_999 }));
  assert.equal(none.status, 400, JSON.stringify(none.body));
  assert.match(JSON.stringify(none.body), /no rollout plan 999999 in organization/);

  const created = await admin.post('/api/v1/policies', body({ rolloutPlan: planId }));
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const policyId = created.body.id as number;
  const read = await admin.get(`/api/v1/policies/${policyId}`);
  assert.deepEqual(read.body.targets, { groups: [], devices: [], deviceFilter: null, rolloutPlan: planId });
  // the preview reaches the plan's devices, every ring's
  const preview = await admin.get(`/api/v1/policies/${policyId}/preview`);
  assert.equal(preview.status, 200, JSON.stringify(preview.body));
  assert.deepEqual(
    preview.body.devices.map((d: { deviceId: number }) => d.deviceId).sort((a: number, b: number) => a - b),
    sims.map((s) => s.deviceId).sort((a, b) => a - b),
  );
  // the plan cannot go while the policy targets it
  assert.equal((await admin.del(`/api/v1/rollout-plans/${planId}`)).status, 409);

  // the schedule fires: the selection goes into the plan; ring 1 installs it, as the policy's install
  clock = Date.now() + 5 * 60_000;
  while ((await engine.tick()) > 0);
  for (const s of sims) await s.agent.cycle();
  let r = await rolloutOf(u.id);
  assert.equal(r.state, 'running');
  assert.ok(r.rings[0]!.startedAt);
  assert.deepEqual(await statuses(u.id), {
    0: ['installed', 'installed'],
    1: ['missing', 'missing'],
    2: ['missing', 'missing'],
  });
  const approved = await events('rollout.approved', r.id);
  assert.match(String(approved[0]!.data.reason), /policy 'ringed policy'/);

  // ring 2's group has a maintenance window that is closed now (01:00-05:00, three days from today)
  const window = await admin.post('/api/v1/maintenance-windows', {
    organizationId: orgId,
    name: 'early ring nights',
    settings: weeklyWindowSettings({
      days: [(new Date().getUTCDay() + 3) % 7],
      startHour: 1,
      endHour: 5,
      nonSecurity: true,
      manuallyApproved: true,
    }),
    assignments: { groups: [groupIds[1]] },
  });
  assert.equal(window.status, 201, JSON.stringify(window.body));

  // ring 1's gate passes a day later: ring 2 starts, its install waits for the window
  await tick(25);
  for (const s of sims) await s.agent.cycle();
  r = await rolloutOf(u.id);
  assert.equal(r.rings[0]!.gate, 'passed');
  assert.ok(r.rings[1]!.startedAt);
  assert.equal(r.rings[2]!.startedAt, null);
  assert.deepEqual((await statuses(u.id))[1], ['pending', 'pending'], 'held by the closed window');
  // without the window it installs with no one running anything
  assert.equal((await admin.del(`/api/v1/maintenance-windows/${window.body.id}`)).status, 204);
  for (const s of sims) await s.agent.cycle();
  assert.deepEqual(await statuses(u.id), {
    0: ['installed', 'installed'],
    1: ['installed', 'installed'],
    2: ['missing', 'missing'],
  });
  const installs = (
    await admin.get(`/api/v1/events?organizationId=${orgId}&kind=task_instance.created&limit=200`)
  ).body.items.filter((e: { data: Record<string, unknown> }) => e.data.policyId === policyId);
  assert.deepEqual(installs.map((e: { data: Record<string, unknown> }) => e.data.ring).sort(), [
    'canary',
    'early',
  ]);
});

test('a plan across organizations: a provider’s; tenant-scoped callers never see or act on it', async () => {
  // a second organization with a device in a group of its own
  const other = await admin.post('/api/v1/organizations', { name: 'Across', ref: 'across' });
  const group = await admin.post('/api/v1/groups', { organizationId: other.body.id, name: 'across-servers' });
  const device = await admin.post('/api/v1/devices', {
    organizationId: other.body.id,
    groupId: group.body.id,
    name: 'across-1',
    osFamily: 'linux',
  });
  assert.equal(device.status, 201, JSON.stringify(device.body));
  const rings = [
    { name: 'ringed canary', groups: [groupIds[0]] },
    { name: 'across servers', groups: [group.body.id], devices: [sims[2]!.deviceId] },
  ];
  const plan = await admin.post('/api/v1/rollout-plans', { organizationId: null, name: 'provider', rings });
  assert.equal(plan.status, 201, JSON.stringify(plan.body));
  assert.equal(plan.body.organizationId, null);
  assert.deepEqual(
    plan.body.organizations,
    [orgId, other.body.id].sort((a, b) => a - b),
  );
  const u = updates[0]!;
  const approved = await admin.post(`/api/v1/rollout-plans/${plan.body.id}/approve`, { updateIds: [u.id] });
  assert.equal(approved.status, 200, JSON.stringify(approved.body));
  const rollout = approved.body.rollouts[0] as { id: number; organizationId: number | null };
  assert.equal(rollout.organizationId, null);

  // an administrator of one of the two organizations: the plan does not exist for them
  const ringedAdmin = await scopedUser(admin, 'ringed-admin', orgId, 'Administrator');
  const t = await signIn(app, ringedAdmin.user.username, ringedAdmin.password);
  const before = JSON.stringify((await admin.get(`/api/v1/rollout-plans/${plan.body.id}`)).body);
  for (const res of [
    await t.get(`/api/v1/rollout-plans/${plan.body.id}`),
    await t.call('PUT', `/api/v1/rollout-plans/${plan.body.id}`, { name: 'mine now', rings }),
    await t.post(`/api/v1/rollout-plans/${plan.body.id}/approve`, { updateIds: [updates[1]!.id] }),
    await t.post(`/api/v1/rollouts/${rollout.id}/pause`, {}),
    await t.post(`/api/v1/rollouts/${rollout.id}/roll-forward`, {}),
    await t.del(`/api/v1/rollout-plans/${plan.body.id}`),
  ])
    assert.equal(res.status, 404, JSON.stringify(res.body));
  const listed = (await t.get('/api/v1/rollout-plans')).body.items as { id: number }[];
  assert.ok(!listed.some((p) => p.id === plan.body.id), 'not listed to a tenant');
  // nor can they make one naming the other organization's group: it answers as missing
  const intruding = await t.post('/api/v1/rollout-plans', { organizationId: null, name: 'reach', rings });
  assert.equal(intruding.status, 400, JSON.stringify(intruding.body));
  assert.match(
    JSON.stringify(intruding.body),
    new RegExp(`no group ${group.body.id} in an organization you administer`),
  );
  // their own organization's events never show the plan's steps (they have no organization)
  const ev = await t.get(`/api/v1/events?kind=rollout.approved&limit=200`);
  assert.ok(!(ev.body.items as { subjectId: string }[]).some((e) => e.subjectId === String(rollout.id)));
  assert.equal(
    JSON.stringify((await admin.get(`/api/v1/rollout-plans/${plan.body.id}`)).body),
    before,
    'unchanged',
  );

  // the provider (here the global administrator) sees it in the list, ring 1 started in its organization
  const all = (await admin.get('/api/v1/rollout-plans')).body.items as { id: number }[];
  assert.ok(all.some((p) => p.id === plan.body.id));
  const detail = await admin.get(`/api/v1/rollout-plans/${plan.body.id}`);
  assert.ok(detail.body.rollouts[0].rings[0].startedAt, 'ring 1 started');
  assert.equal(detail.body.rollouts[0].rings[1].startedAt, null, 'ring 2 waits for its gate');
});
