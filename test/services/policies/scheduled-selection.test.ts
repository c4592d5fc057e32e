import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createEngine } from '../../../src/engine/engine.ts';
import { checkIn, deviceActor } from '../../../src/services/agents.ts';
import { userActor } from '../../../src/services/auth.ts';
import { Context, systemContext } from '../../../src/services/context.ts';
import { remediatePolicy } from '../../../src/services/policy-runs.ts';
import { ingestScan } from '../../../src/services/scans.ts';
import { getDevice as getDeviceRow } from '../../../src/store/repos/devices-repo.ts';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, signIn, type Client } from '../../support/api.ts';
import { buildWorld, type World } from '../../support/world.ts';
import { startPolicyApp } from './app.ts';

// A scheduled patch policy installs what its rule selects on each device, the same selection as its
// preview and "run now": not every approved update of the devices it reaches.

eachDriver('a scheduled policy installs its selection', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let w: World;
  before(async () => {
    app = await startPolicyApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
  });
  after(async () => app?.close());

  test('a group policy selecting critical updates, fired by the engine: each device gets its preview', async () => {
    const db = h.store().db;
    // openssl (high) and tzdata (low) approved for the whole organization; liblzma5 (critical) undecided
    // there, ignored on web-2
    const approved = await admin.post(`/api/v1/organizations/${w.orgA.id}/updates/approve`, {
      updateIds: [w.updates.openssl, w.updates.tzdata],
    });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    const ignored = await admin.post(`/api/v1/devices/${w.deviceA2.id}/updates/ignore`, {
      updateIds: [w.updates.liblzma5],
    });
    assert.equal(ignored.status, 200, JSON.stringify(ignored.body));

    const fireAt = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 2 * 86_400_000);
    const p = await admin.post('/api/v1/policies', {
      organizationId: w.orgA.id,
      name: 'Critical only',
      rule: { kind: 'severity', severities: ['critical'] },
      targets: { groups: [w.groupA.id] },
      schedule: {
        recurrence: { kind: 'once' },
        start: fireAt.toISOString().slice(0, 16),
        zone: { kind: 'named', name: 'UTC' },
        end: { kind: 'never' },
      },
    });
    assert.equal(p.status, 201, JSON.stringify(p.body));
    assert.equal(p.body.nextRunAt, fireAt.toISOString());

    const preview = await admin.get(`/api/v1/policies/${p.body.id}/preview`);
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    const selected = Object.fromEntries(
      (preview.body.devices as { deviceId: number; updates: { updateId: number }[] }[]).map((d) => [
        d.deviceId,
        d.updates.map((u) => u.updateId),
      ]),
    );
    assert.deepEqual(selected, { [w.deviceA.id]: [w.updates.liblzma5], [w.deviceA2.id]: [] });

    const engine = createEngine({
      store: h.store(),
      owner: 'scheduled-selection',
      now: () => new Date(fireAt.getTime() + 1000),
    });
    while ((await engine.tick()) > 0);
    const instance = await db
      .selectFrom('task_instances')
      .select('id')
      .where('task_id', '=', p.body.taskId)
      .executeTakeFirstOrThrow();

    for (const deviceId of [w.deviceA.id, w.deviceA2.id]) {
      const device = (await getDeviceRow(db, deviceId))!;
      const ctx = () => new Context(h.store(), deviceActor(device), () => new Date(fireAt.getTime() + 2000));
      // two check-ins at once (an agent retrying): the job's updates are taken once, and both hand them out
      for (const r of await Promise.all([checkIn(ctx(), device, {}), checkIn(ctx(), device, {})])) {
        const jobs = r.jobs.filter((j) => j.kind === 'install');
        assert.equal(jobs.length, 1, `device ${deviceId}: one install job`);
        assert.equal(jobs[0]!.payload.taskInstanceId, instance.id);
        const installs = (jobs[0]!.payload.updates as { updateId: number }[]).map((u) => u.updateId);
        assert.deepEqual(installs, selected[deviceId], `device ${deviceId} installs its preview's selection`);
      }
      const stored = await db
        .selectFrom('jobs')
        .select('payload')
        .where('device_id', '=', deviceId)
        .where('kind', '=', 'install')
        .execute();
      assert.deepEqual(
        stored.map((j) => (j.payload.updates as { updateId: number }[]).map((u) => u.updateId)),
        [selected[deviceId]],
        `device ${deviceId}: the job keeps its list`,
      );
    }

    const statuses = async (deviceId: number) =>
      Object.fromEntries(
        (await admin.get(`/api/v1/devices/${deviceId}/updates?sort=name`)).body.items.map(
          (u: { name: string; status: string }) => [u.name, u.status],
        ),
      );
    assert.deepEqual(await statuses(w.deviceA.id), {
      liblzma5: 'queued',
      openssl: 'pending',
      tzdata: 'pending',
    });
    assert.deepEqual(await statuses(w.deviceA2.id), {
      liblzma5: 'ignored',
      openssl: 'pending',
      tzdata: 'pending',
    });
  });

  test('the scheduled run leaves the approvals and events "run now" leaves, once per device', async () => {
    const db = h.store().db;
    const policy = await db
      .selectFrom('policies')
      .select('id')
      .where('name', '=', 'Critical only')
      .executeTakeFirstOrThrow();
    const liblzma5 = w.updates.liblzma5;
    const at = () => new Date(Date.now() + 3 * 86_400_000);

    // web-1 checks in again: its install job went out already, nothing more is approved nor queued
    const web1 = (await getDeviceRow(db, w.deviceA.id))!;
    const again = await checkIn(new Context(h.store(), deviceActor(web1), at), web1, {});
    assert.deepEqual(
      again.jobs
        .filter((j) => j.kind === 'install')
        .map((j) => (j.payload.updates as { updateId: number }[]).map((u) => u.updateId)),
      [[liblzma5]],
      'the same install job, its updates taken once',
    );

    // web-3 joins the group afterwards, with liblzma5 missing: the policy is run now on it alone
    const created = await admin.post('/api/v1/devices', {
      organizationId: w.orgA.id,
      groupId: w.subA.id,
      name: 'web-3',
      osFamily: 'linux',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const web3Id = created.body.id as number;
    await ingestScan(systemContext(h.store(), 'test-agent'), web3Id, {
      full: true,
      updates: [
        {
          kind: 'deb',
          name: 'liblzma5',
          version: '5.4.1-1+deb12u2',
          architecture: 'amd64',
          isSecurity: true,
          severity: 'critical',
          cves: ['CVE-2024-3094'],
          detection: 'missing',
        },
      ],
    });
    const adminRow = await db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', 'admin')
      .executeTakeFirstOrThrow();
    const adminCtx = new Context(h.store(), await userActor(h.store(), adminRow), at);
    const ran = await remediatePolicy(adminCtx, policy.id, web3Id);
    assert.deepEqual(
      ran.map((o) => [o.deviceId, o.updateIds]),
      [[web3Id, [liblzma5]]],
    );
    const engine = createEngine({ store: h.store(), owner: 'scheduled-selection-run-now', now: at });
    while ((await engine.tick()) > 0);
    const web3 = (await getDeviceRow(db, web3Id))!;
    const r3 = await checkIn(new Context(h.store(), deviceActor(web3), at), web3, {});
    const installs3 = r3.jobs.filter((j) => j.kind === 'install');
    assert.equal(installs3.length, 1);
    assert.deepEqual(
      (installs3[0]!.payload.updates as { updateId: number }[]).map((u) => u.updateId),
      [liblzma5],
    );

    // the device-level decisions: the same on both, the policy kept as the reason; who set them differs
    const decisions = async (deviceId: number) =>
      db
        .selectFrom('approvals')
        .select(['level', 'action', 'source', 'policy_id', 'set_by', 'update_id'])
        .where('device_id', '=', deviceId)
        .orderBy('id')
        .execute();
    const scheduled = await decisions(w.deviceA.id);
    const runNow = await decisions(web3Id);
    assert.deepEqual(scheduled, [
      {
        level: 'device',
        action: 'approve',
        source: 'user',
        policy_id: policy.id,
        set_by: "policy 'Critical only'",
        update_id: liblzma5,
      },
    ]);
    assert.deepEqual(runNow, [{ ...scheduled[0], set_by: 'admin' }]);
    // web-2 selected nothing (liblzma5 is ignored there): only its own ignore
    assert.deepEqual(
      (await decisions(w.deviceA2.id)).map((d) => [d.action, d.update_id, d.policy_id]),
      [['ignore', liblzma5, null]],
    );

    // the events about liblzma5 on each device, from the decision on: the same kinds and data, each job named
    const trail = async (deviceId: number) => {
      const rows = await db
        .selectFrom('events')
        .select(['id', 'kind', 'actor_type', 'actor_name', 'data'])
        .where('device_id', '=', deviceId)
        .where('update_id', '=', liblzma5)
        .orderBy('id')
        .execute();
      const from = rows.findIndex((e) => e.kind === 'approval.set');
      assert.ok(from >= 0, `device ${deviceId}: an approval.set event`);
      return rows.slice(from).map((e) => ({
        kind: e.kind,
        actor: `${e.actor_type}:${e.actor_name}`,
        data: {
          ...e.data,
          ...(typeof e.data.reason === 'string' && e.data.reason.startsWith('job ') ? { reason: 'job' } : {}),
        },
      }));
    };
    const expected = (actor: string) => [
      {
        kind: 'approval.set',
        actor,
        data: { level: 'device', action: 'approve', previous: null, policyId: policy.id },
      },
      {
        kind: 'device_update.status',
        actor,
        data: { from: 'missing', to: 'pending', reason: 'approval:approve' },
      },
    ];
    const scheduledTrail = await trail(w.deviceA.id);
    const runNowTrail = await trail(web3Id);
    assert.deepEqual(scheduledTrail, [
      ...expected("system:policy 'Critical only'"),
      {
        kind: 'device_update.status',
        actor: `device:${web1.name}`,
        data: { from: 'pending', to: 'queued', reason: 'job' },
      },
    ]);
    assert.deepEqual(runNowTrail, [
      ...expected('user:admin'),
      {
        kind: 'device_update.status',
        actor: `device:${web3.name}`,
        data: { from: 'pending', to: 'queued', reason: 'job' },
      },
    ]);
  });
});
