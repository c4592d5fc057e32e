// Scripts through the native API with simulated agents, on both stores: the organization's switch (off by
// default, refusals logged), who may run scripts, tenancy of the run history, a scheduled worklet fired
// by the engine and answered by a simulated agent, cancelling, and the patch-only paths ignoring script
// policies.
import assert from 'node:assert/strict';
import { before, after, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Agent } from '../../../src/agent/agent.ts';
import { SimulatedBackend } from '../../../src/agent/backends/simulated.ts';
import { ProtocolClient } from '../../../src/agent/client.ts';
import { MemoryStorage } from '../../../src/agent/storage.ts';
import { createEngine } from '../../../src/engine/engine.ts';
import { ADMIN_PASSWORD, client, signIn, startApp, type Client } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';
import { scopedUser } from '../../support/world.ts';

const weekly = {
  recurrence: { kind: 'weekly', every: 1, days: ['tue'] },
  start: '2026-01-05T22:00',
  zone: { kind: 'named', name: 'Europe/Berlin' },
  end: { kind: 'never' },
};

eachDriver('scripts through the native API', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let server: string;
  let orgA: number;
  let orgB: number;
  let groupA1: number;
  let groupA2: number;
  const agents = new Map<number, Agent>();
  let devA1: number;
  let devA2: number;
  let devWin: number;
  let devB: number;
  let operator: Client;
  let viewer: Client;
  let a1Operator: Client;
  let bravoAdmin: Client;

  const as = async (name: string, org: number, role: string, group: number | null = null) => {
    await scopedUser(admin, name, org, role, group);
    return signIn(app, name, `${name}-password`);
  };
  const mk = async (path: string, body: unknown) => {
    const r = await admin.post(path, body);
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  async function enroll(org: number, group: number, name: string, os: { family: string; version: string }) {
    const t = await mk(`/api/v1/organizations/${org}/install-tokens`, { name, groupId: group });
    const c = new ProtocolClient({ server });
    const e = await c.enroll({
      token: t.token,
      name,
      osFamily: os.family === 'windows' ? 'windows' : 'linux',
      agentVersion: '0.1.0',
    });
    c.credential = e.credential;
    const agent = new Agent({
      client: c,
      backend: new SimulatedBackend({
        seed: e.deviceId,
        os: os as ConstructorParameters<typeof SimulatedBackend>[0]['os'],
        packageCount: 10,
        failureRate: 0,
      }),
      storage: new MemoryStorage(),
      sendInventory: false,
    });
    agents.set(e.deviceId, agent);
    return e.deviceId as number;
  }
  const worklet = (name: string, org: number, targets: unknown, extra: Record<string, unknown> = {}) => ({
    organizationId: org,
    kind: 'worklet',
    name,
    targets,
    worklet: {
      scripts: [
        {
          osFamily: 'linux',
          evaluation: { code: `test -f /etc/${name}` },
          remediation: { code: `touch /etc/${name}` },
        },
      ],
    },
    ...extra,
  });
  const events = async (org: number, kind: string) =>
    (await admin.get(`/api/v1/events?organizationId=${org}&kind=${kind}&limit=500`)).body.items as {
      data: Record<string, unknown>;
      actor: { name: string };
    }[];

  before(async () => {
    app = await startApp(h.store());
    await app.listen({ port: 0, host: '127.0.0.1' });
    server = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    orgA = (await mk('/api/v1/organizations', { name: 'Alpha', ref: 'alpha' })).id;
    orgB = (await mk('/api/v1/organizations', { name: 'Bravo', ref: 'bravo' })).id;
    groupA1 = (await mk('/api/v1/groups', { organizationId: orgA, name: 'a1' })).id;
    groupA2 = (await mk('/api/v1/groups', { organizationId: orgA, name: 'a2' })).id;
    const groupB = (await mk('/api/v1/groups', { organizationId: orgB, name: 'b1' })).id;
    devA1 = await enroll(orgA, groupA1, 'a1-linux', { family: 'debian', version: '12' });
    devA2 = await enroll(orgA, groupA2, 'a2-linux', { family: 'ubuntu', version: '24.04' });
    devWin = await enroll(orgA, groupA1, 'a1-windows', { family: 'windows', version: '11-24H2' });
    devB = await enroll(orgB, groupB, 'b1-linux', { family: 'debian', version: '12' });
    operator = await as('alpha-op', orgA, 'Operator');
    viewer = await as('alpha-viewer', orgA, 'Viewer');
    a1Operator = await as('a1-op', orgA, 'Operator', groupA1);
    bravoAdmin = await as('bravo-admin', orgB, 'Administrator');
  });
  after(async () => app?.close());

  test('the switch is off by default; only an administrator of the whole organization turns it', async () => {
    assert.deepEqual((await operator.get(`/api/v1/organizations/${orgA}/script-settings`)).body, {
      organizationId: orgA,
      scriptsEnabled: false,
    });
    const refused = await operator.post('/api/v1/script-runs', {
      organizationId: orgA,
      deviceIds: [devA1],
      script: { shell: 'sh', code: 'uptime' },
    });
    assert.equal(refused.status, 409);
    assert.match(refused.body.detail, new RegExp(`scripts are turned off for organization ${orgA}`));
    const logged = await events(orgA, 'script.refused');
    assert.equal(logged.length, 1);
    assert.deepEqual(logged[0]!.data.deviceIds, [devA1]);
    assert.equal(logged[0]!.actor.name, 'alpha-op');

    const put = (c: Client, org: number, on: boolean) =>
      c.call('PUT', `/api/v1/organizations/${org}/script-settings`, { scriptsEnabled: on });
    assert.equal((await put(operator, orgA, true)).status, 403);
    assert.equal((await put(bravoAdmin, orgA, true)).status, 404);
    assert.equal((await put(admin, orgA, true)).status, 200);
    assert.equal((await put(admin, orgA, true)).status, 200); // unchanged: no second event
    assert.equal((await events(orgA, 'scripts.enabled')).length, 1);
    assert.equal(
      (await admin.get(`/api/v1/organizations/${orgB}/script-settings`)).body.scriptsEnabled,
      false,
    );
  });

  test('who may run scripts: not a viewer; a policy with scripts needs run_scripts to be created', async () => {
    const body = { organizationId: orgA, deviceIds: [devA1], script: { shell: 'sh', code: 'uptime' } };
    assert.equal((await viewer.post('/api/v1/script-runs', body)).status, 403);
    assert.equal((await viewer.post('/api/v1/policies', worklet('viewer-worklet', orgA, {}))).status, 403);
    const custom = await mk('/api/v1/roles', {
      name: 'policies-only',
      privileges: ['read', 'manage_policies'],
    });
    const scope = await mk('/api/v1/scopes', {
      name: 'po',
      entries: [{ organizationId: orgA, groupId: null }],
    });
    await mk('/api/v1/users', {
      username: 'po',
      password: 'po-password-1',
      roleId: custom.id,
      scopeId: scope.id,
    });
    const po = await signIn(app, 'po', 'po-password-1');
    const denied = await po.post('/api/v1/policies', worklet('po-worklet', orgA, {}));
    assert.equal(denied.status, 403);
    assert.match(denied.body.detail, /run_scripts/);
    const patch = await po.post('/api/v1/policies', {
      organizationId: orgA,
      name: 'po-patch',
      rule: { kind: 'all' },
    });
    assert.equal(patch.status, 201, 'a patch policy needs no script privilege');
  });

  test('run now on a worklet: simulated agents answer, per OS family; skipped devices say why', async () => {
    const p = await operator.post('/api/v1/policies', worklet('sim-worklet', orgA, { groups: [groupA1] }));
    assert.equal(p.status, 201, JSON.stringify(p.body));
    const start = await operator.post(`/api/v1/policies/${p.body.id}/run`, {});
    assert.equal(start.status, 202, JSON.stringify(start.body));
    assert.deepEqual(
      start.body.runs.map((r: { deviceId: number; phase: string; status: string; startedBy: string }) => [
        r.deviceId,
        r.phase,
        r.status,
        r.startedBy,
      ]),
      [[devA1, 'evaluation', 'queued', 'alpha-op']],
    );
    assert.deepEqual(start.body.skipped, [
      { deviceId: devWin, reason: `worklet policy ${p.body.id} has no script for windows` },
    ]);
    await agents.get(devA1)!.cycle();
    await agents.get(devWin)!.cycle();
    const runs = (await operator.get(`/api/v1/script-runs?policyId=${p.body.id}`)).body;
    const first = runs.items[runs.items.length - 1];
    assert.equal(first.phase, 'evaluation');
    assert.ok(['succeeded', 'failed'].includes(first.status));
    assert.match(first.stdout, /^simulated evaluation on debian 12: exit [01]\n$/);
    if (first.status === 'failed') {
      assert.equal(runs.total, 2, 'a failed evaluation is followed by the remediation');
      assert.deepEqual([runs.items[0].phase, runs.items[0].status], ['remediation', 'succeeded']);
    } else assert.equal(runs.total, 1);
    // after the remediation (failure rate 0) the next evaluation passes: the simulated machine remembers
    await operator.post(`/api/v1/policies/${p.body.id}/run`, { deviceId: devA1 });
    await agents.get(devA1)!.cycle();
    const again = (await operator.get(`/api/v1/script-runs?policyId=${p.body.id}&limit=1`)).body.items[0];
    assert.deepEqual([again.phase, again.status, again.exitCode], ['evaluation', 'succeeded', 0]);
    // one device that the policy does not target
    const wrong = await operator.post(`/api/v1/policies/${p.body.id}/run`, { deviceId: devA2 });
    assert.equal(wrong.status, 400);
  });

  test('a scheduled worklet: its task runs scripts through the engine, steps filled at hand-out', async () => {
    const p = await operator.post(
      '/api/v1/policies',
      worklet('scheduled-worklet', orgA, { devices: [devA2] }, { schedule: weekly }),
    );
    assert.equal(p.status, 201, JSON.stringify(p.body));
    assert.ok(p.body.taskId);
    const task = (await operator.get(`/api/v1/tasks/${p.body.taskId}`)).body;
    assert.equal(task.kind, 'script');
    assert.equal((await operator.post(`/api/v1/tasks/${p.body.taskId}/run`, {})).status, 201);
    assert.equal(await createEngine({ store: h.store(), owner: 'scripts-test' }).tick(), 1);
    await agents.get(devA2)!.cycle();
    const runs = (await operator.get(`/api/v1/script-runs?policyId=${p.body.id}`)).body.items;
    assert.ok(runs.length >= 1);
    const ev = runs[runs.length - 1];
    assert.equal(ev.phase, 'evaluation');
    assert.match(ev.startedBy, /^task instance \d+/);
    assert.equal(ev.code, 'test -f /etc/scheduled-worklet');
    assert.ok(['succeeded', 'failed'].includes(ev.status));
  });

  test('the run history is tenant- and group-scoped', async () => {
    const r = await operator.post('/api/v1/script-runs', {
      organizationId: orgA,
      deviceIds: [devA2],
      script: { shell: 'sh', code: 'hostname' },
    });
    assert.equal(r.status, 202);
    const id = r.body.runs[0].id;
    assert.equal((await bravoAdmin.get(`/api/v1/script-runs/${id}`)).status, 404);
    assert.equal((await a1Operator.get(`/api/v1/script-runs/${id}`)).status, 404, 'device in group a2');
    assert.equal((await viewer.get(`/api/v1/script-runs/${id}`)).status, 200);
    const seen = (await a1Operator.get(`/api/v1/script-runs?organizationId=${orgA}&limit=500`)).body.items;
    assert.ok(seen.length > 0);
    assert.ok(seen.every((x: { deviceId: number }) => x.deviceId === devA1 || x.deviceId === devWin));
    assert.deepEqual((await bravoAdmin.get('/api/v1/script-runs')).body.items, []);
    // another tenant's devices cannot be named, nor devices outside a group scope
    const cross = await bravoAdmin.post('/api/v1/script-runs', {
      organizationId: orgA,
      deviceIds: [devA1],
      script: { shell: 'sh', code: 'id' },
    });
    assert.equal(cross.status, 404);
    const outside = await a1Operator.post('/api/v1/script-runs', {
      organizationId: orgA,
      deviceIds: [devA2],
      script: { shell: 'sh', code: 'id' },
    });
    assert.ok([403, 404].includes(outside.status), String(outside.status));
    const mixed = await operator.post('/api/v1/script-runs', {
      organizationId: orgA,
      deviceIds: [devB],
      script: { shell: 'sh', code: 'id' },
    });
    assert.equal(mixed.status, 400);
    // the pending run can be cancelled once, before its agent receives it
    const c = await operator.post(`/api/v1/script-runs/${id}/cancel`, {});
    assert.equal(c.status, 200, JSON.stringify(c.body));
    assert.equal(c.body.status, 'cancelled');
    assert.equal((await operator.post(`/api/v1/script-runs/${id}/cancel`, {})).status, 409);
    const cycle = await agents.get(devA2)!.cycle();
    assert.equal(cycle.jobs, 0, 'the cancelled job never reaches the agent');
    assert.equal((await events(orgA, 'script.cancelled')).length, 1);
  });

  test('a handed-out run cannot be cancelled; a PowerShell script skips Linux devices', async () => {
    const r = await operator.post('/api/v1/script-runs', {
      organizationId: orgA,
      deviceIds: [devA1, devWin],
      script: { shell: 'powershell', code: 'Get-Date' },
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.deepEqual(r.body.skipped, [{ deviceId: devA1, reason: 'powershell does not run on linux' }]);
    // the device checks in (the job is handed out) but has not reported yet
    const cred = (agents.get(devWin) as unknown as { rt: { o: { client: ProtocolClient } } }).rt.o.client
      .credential;
    assert.equal((await client(app, cred).post('/agent/v1/checkin', {})).status, 200);
    const c = await operator.post(`/api/v1/script-runs/${r.body.runs[0].id}/cancel`, {});
    assert.equal(c.status, 409);
    await agents.get(devWin)!.cycle();
    const run = (await operator.get(`/api/v1/script-runs/${r.body.runs[0].id}`)).body;
    assert.deepEqual([run.status, run.exitCode], ['succeeded', 0]);
  });

  test('patch-only paths ignore script policies; a policy keeps its kind', async () => {
    const w = (await operator.post('/api/v1/policies', worklet('kinds-worklet', orgA, {}))).body;
    const rs = await operator.post('/api/v1/policies', {
      organizationId: orgA,
      kind: 'required-software',
      name: 'kinds-rs',
      requiredSoftware: {
        osFamily: 'linux',
        packageName: 'curl',
        installation: { code: 'apt-get install -y curl' },
      },
    });
    assert.equal(rs.status, 201, JSON.stringify(rs.body));
    assert.equal(rs.body.requiredSoftware.packageVersion, null);
    assert.equal(rs.body.requiredSoftware.installation.shell, 'sh');
    assert.equal((await operator.get(`/api/v1/policies/${w.id}/preview`)).status, 400);
    const patches = (await operator.get(`/api/v1/policies?organizationId=${orgA}&kind=patch`)).body.items;
    assert.ok(patches.length > 0 && patches.every((p: { kind: string }) => p.kind === 'patch'));
    const all = (await operator.get(`/api/v1/policies?organizationId=${orgA}`)).body.items;
    assert.ok(all.some((p: { id: number }) => p.id === w.id));
    const { id: _id, ...body } = w;
    const put = await operator.call('PUT', `/api/v1/policies/${w.id}`, {
      ...body,
      kind: undefined,
      notes: 'n',
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.kind, 'worklet');
    const change = await operator.call('PUT', `/api/v1/policies/${w.id}`, { ...body, kind: 'patch' });
    assert.equal(change.status, 400);
    assert.equal((await operator.post(`/api/v1/policies/${patches[0].id}/run`, {})).status, 400);
    const bad = await operator.post('/api/v1/policies', {
      organizationId: orgA,
      kind: 'worklet',
      name: 'bad',
      rule: { kind: 'all' },
      worklet: { scripts: [] },
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(
      bad.body.errors.map((e: { path: string }) => e.path),
      ['rule', 'worklet.scripts'],
    );
  });
});
