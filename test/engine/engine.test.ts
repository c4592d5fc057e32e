import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine, startEngine } from '../../src/engine/engine.ts';
import { Context, SYSTEM_ACTOR } from '../../src/services/context.ts';
import { ALL_ACCESS } from '../../src/core/access.ts';
import { DomainError } from '../../src/core/errors.ts';
import {
  cancelInstance,
  createTask,
  getInstance,
  listRunningInstances,
  runNow,
  stopInstance,
} from '../../src/services/tasks.ts';
import { eachDriver } from '../support/store.ts';
import { addDevices, addGroup, at, jobsOf, orgWithDevices, waitFor } from './support.ts';

const isInvalid = (path: string) => (e: unknown) =>
  e instanceof DomainError && e.kind === 'invalid' && e.issues.some((i) => i.path === path);

eachDriver('task engine', (h) => {
  test('run now: an install for two groups gives each device below them one job', async () => {
    const store = h.store();
    const { orgId, rootGroupId } = await orgWithDevices(store, 5);
    const east = await addGroup(store, orgId, rootGroupId, 'east');
    const eastSub = await addGroup(store, orgId, east, 'east-sub');
    const west = await addGroup(store, orgId, rootGroupId, 'west');
    const want = [
      ...(await addDevices(store, orgId, east, 7)),
      ...(await addDevices(store, orgId, eastSub, 4)),
      ...(await addDevices(store, orgId, west, 3)),
    ];
    const ctx = at(store, new Date());
    const inst = await runNow(ctx, {
      organizationId: orgId,
      kind: 'install',
      parameters: { target: { kind: 'groups', ids: [east, west] }, updateIds: [7, 9] },
    });
    assert.equal(inst.status, 'NotStarted');
    const engine = createEngine({ store, owner: 'e1', batchSize: 4 });
    while ((await engine.tick()) > 0);
    const done = await getInstance(ctx, inst.id);
    assert.equal(done.status, 'Completed');
    assert.equal(done.progress, 1);
    assert.equal(done.outputs.devices, want.length);
    assert.deepEqual(
      done.devices.map((d) => d.deviceId),
      want,
    );
    assert.ok(done.devices.every((d) => d.job?.kind === 'install' && d.job.status === 'pending'));
    const jobs = await jobsOf(store, inst.id);
    assert.deepEqual(
      jobs.map((j) => j.device_id).sort((a, b) => a - b),
      want,
    );
    const payload = await store.db
      .selectFrom('jobs')
      .select('payload')
      .where('instance_id', '=', inst.id)
      .executeTakeFirst();
    assert.deepEqual(payload?.payload, { updateIds: [7, 9], taskInstanceId: inst.id });
  });

  test('stop: a running instance ends Failed after the batch it is in, a waiting one at once', async () => {
    const store = h.store();
    const { orgId } = await orgWithDevices(store, 40);
    const ctx = at(store, new Date());
    const inst = await runNow(ctx, { organizationId: orgId, kind: 'scan' });
    const engine = createEngine({
      store,
      owner: 'e-stop',
      batchSize: 10,
      afterBatch: async (id, p) => {
        if (id === inst.id && p.dispatched === 10)
          assert.equal((await stopInstance(ctx, id)).status, 'StopRequested');
      },
    });
    await engine.tick();
    const after = await getInstance(ctx, inst.id);
    assert.equal(after.status, 'Failed');
    assert.equal(after.error, 'stopped on request');
    assert.equal((await jobsOf(store, inst.id)).length, 10);
    assert.equal(after.progress, 0.25);

    const waiting = await runNow(ctx, { organizationId: orgId, kind: 'scan' });
    const stopped = await stopInstance(ctx, waiting.id);
    assert.equal(stopped.status, 'Failed');
    await assert.rejects(
      stopInstance(ctx, waiting.id),
      (e) => e instanceof DomainError && e.kind === 'invalid',
    );
  });

  test('cancel: ends the instance and cancels its pending jobs', async () => {
    const store = h.store();
    const { orgId } = await orgWithDevices(store, 6);
    const ctx = at(store, new Date());
    const inst = await runNow(ctx, { organizationId: orgId, kind: 'install' });
    await createEngine({ store, owner: 'e-cancel' }).tick();
    // the instance completed (jobs exist); a new one is cancelled while its jobs are pending
    const second = await runNow(ctx, { organizationId: orgId, kind: 'reboot' });
    const engine = createEngine({
      store,
      owner: 'e-cancel2',
      batchSize: 3,
      afterBatch: async (id) => {
        if (id === second.id) await cancelInstance(ctx, id);
      },
    });
    await engine.tick();
    const got = await getInstance(ctx, second.id);
    assert.equal(got.status, 'Failed');
    assert.equal(got.error, 'cancelled');
    const jobs = await jobsOf(store, second.id);
    assert.equal(jobs.length, 3);
    assert.ok(jobs.every((j) => j.status === 'cancelled' && j.kind === 'reboot'));
    assert.ok(got.devices.every((d) => d.status === 'Failed'));
    assert.equal((await getInstance(ctx, inst.id)).status, 'Completed');
  });

  test('missed occurrences: caught up with catchUp, otherwise skipped and recorded', async () => {
    const store = h.store();
    const { orgId } = await orgWithDevices(store, 2);
    const t0 = new Date('2026-05-04T08:00:00Z');
    const ctx = at(store, new Date(t0.getTime() - 1000));
    const schedule = {
      recurrence: { kind: 'hours', every: 1 },
      start: '2026-05-04T08:00',
      zone: { kind: 'named', name: 'UTC' },
      end: { kind: 'never' },
    };
    const eager = await createTask(ctx, {
      organizationId: orgId,
      kind: 'scan',
      parameters: { catchUp: true },
      schedule,
    });
    const lazy = await createTask(ctx, { organizationId: orgId, kind: 'scan', schedule });
    assert.deepEqual(eager.nextDueAt, t0);
    const late = new Date(t0.getTime() + 3 * 3_600_000 + 10 * 60_000);
    const engine = createEngine({ store, owner: 'e-catch', now: () => late, graceMs: 60_000 });
    while ((await engine.tick()) > 0);
    const fired = async (taskId: number) =>
      (
        await store.db
          .selectFrom('task_instances')
          .select(['occurrence_at', 'status'])
          .where('task_id', '=', taskId)
          .orderBy('occurrence_at')
          .execute()
      ).map((r) => [r.occurrence_at?.toISOString(), r.status]);
    const hours = [0, 1, 2, 3].map((i) => new Date(t0.getTime() + i * 3_600_000).toISOString());
    assert.deepEqual(
      await fired(eager.id),
      hours.map((h) => [h, 'Completed']),
    );
    assert.deepEqual(await fired(lazy.id), []);
    const skipped = await store.db
      .selectFrom('events')
      .select('data')
      .where('kind', '=', 'task.occurrences_skipped')
      .where('subject_id', '=', String(lazy.id))
      .execute();
    assert.deepEqual(
      skipped.map((e) => e.data.occurrences),
      [hours],
    );
    const next = await store.db
      .selectFrom('schedules')
      .select('next_due_at')
      .where('owner_id', '=', lazy.id)
      .executeTakeFirst();
    assert.deepEqual(next?.next_due_at, new Date(t0.getTime() + 4 * 3_600_000));
    // an on-time occurrence fires for both; the same pass run again creates nothing more
    const onTime = new Date(t0.getTime() + 4 * 3_600_000 + 5_000);
    const e2 = createEngine({ store, owner: 'e-catch2', now: () => onTime });
    await e2.tick();
    await e2.tick();
    assert.equal((await fired(eager.id)).length, 5);
    assert.deepEqual(
      (await fired(lazy.id)).map((r) => r[0]),
      [new Date(t0.getTime() + 4 * 3_600_000).toISOString()],
    );
  });

  test('the loop runs instances and stop() returns; running instances are listed until then', async () => {
    const store = h.store();
    const { orgId } = await orgWithDevices(store, 3);
    const ctx = at(store, new Date());
    const inst = await runNow(ctx, { organizationId: orgId, kind: 'scan' });
    assert.ok((await listRunningInstances(ctx, { organizationId: orgId })).some((i) => i.id === inst.id));
    const engine = startEngine({ store, owner: 'loop', pollMs: 20 });
    await waitFor('completion', async () => (await getInstance(ctx, inst.id)).status === 'Completed');
    await engine.stop();
    assert.equal((await listRunningInstances(ctx, { organizationId: orgId })).length, 0);
  });

  test('bad input is refused precisely; privileges and tenancy are checked', async () => {
    const store = h.store();
    const { orgId } = await orgWithDevices(store, 1);
    const other = await orgWithDevices(store, 1);
    const ctx = at(store, new Date());
    await assert.rejects(runNow(ctx, { organizationId: orgId, kind: 'dance' }), isInvalid('/kind'));
    await assert.rejects(
      runNow(ctx, {
        organizationId: orgId,
        kind: 'scan',
        parameters: { target: { kind: 'devices', ids: [] } },
      }),
      isInvalid('/parameters/target/ids'),
    );
    await assert.rejects(
      runNow(ctx, {
        organizationId: orgId,
        kind: 'scan',
        parameters: { target: { kind: 'groups', ids: [other.rootGroupId] } },
      }),
      isInvalid('/parameters/target/ids'),
    );
    await assert.rejects(
      createTask(ctx, { organizationId: orgId, kind: 'scan', schedule: { recurrence: { kind: 'often' } } }),
      (e) => e instanceof DomainError && e.kind === 'invalid',
    );
    const reader = new Context(store, {
      ...SYSTEM_ACTOR,
      privileges: new Set(['read'] as const),
      access: ALL_ACCESS,
    });
    await assert.rejects(
      runNow(reader, { organizationId: orgId, kind: 'scan' }),
      (e) => e instanceof DomainError && e.kind === 'forbidden',
    );
    const outsider = new Context(store, {
      ...SYSTEM_ACTOR,
      access: { all: false, organizations: new Set([other.orgId]), groups: new Map() },
    });
    await assert.rejects(
      runNow(outsider, { organizationId: orgId, kind: 'scan' }),
      (e) => e instanceof DomainError && e.kind === 'not_found',
    );
    const mine = await runNow(ctx, { organizationId: orgId, kind: 'scan' });
    await assert.rejects(
      getInstance(outsider, mine.id),
      (e) => e instanceof DomainError && e.kind === 'not_found',
    );
  });
});
