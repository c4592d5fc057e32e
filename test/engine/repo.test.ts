import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  claimInstances,
  dispatchBatch,
  getInstance,
  insertInstance,
  insertTask,
  materializeOccurrences,
  renewLease,
} from '../../src/store/repos/tasks-repo.ts';
import { eachDriver } from '../support/store.ts';
import { orgWithDevices, sleep } from './support.ts';

eachDriver('task instance claims and leases', (h) => {
  test('every instance is claimed exactly once by concurrent claimers', async () => {
    const store = h.store();
    const { orgId } = await orgWithDevices(store, 0);
    const ids: number[] = [];
    for (let i = 0; i < 60; i++)
      ids.push((await insertInstance(store.db, { organization_id: orgId, kind: 'scan', parameters: {} })).id);
    const owners = ['a', 'b', 'c', 'd'];
    const claimed = new Map<number, string[]>();
    await Promise.all(
      owners.map(async (owner) => {
        for (;;) {
          const got = await claimInstances(store.db, owner, 60_000, 5);
          if (!got.length) return;
          for (const r of got) claimed.set(r.id, [...(claimed.get(r.id) ?? []), owner]);
        }
      }),
    );
    assert.deepEqual(
      [...claimed.keys()].sort((a, b) => a - b),
      ids,
    );
    for (const [id, by] of claimed) assert.equal(by.length, 1, `instance ${id} claimed by ${by.join(', ')}`);
  });

  test('an expired lease is taken over: attempts counted, the old owner can no longer renew', async () => {
    const store = h.store();
    const { orgId } = await orgWithDevices(store, 0);
    const inst = await insertInstance(store.db, { organization_id: orgId, kind: 'scan', parameters: {} });
    const first = (await claimInstances(store.db, 'dying', 150, 100)).find((r) => r.id === inst.id);
    assert.equal(first?.status, 'Started');
    assert.equal(first?.attempts, 1);
    assert.equal(
      (await claimInstances(store.db, 'other', 60_000, 100)).length,
      0,
      'a live lease is not taken',
    );
    await sleep(250);
    const second = (await claimInstances(store.db, 'other', 60_000, 100)).find((r) => r.id === inst.id);
    assert.equal(second?.lease_owner, 'other');
    assert.equal(second?.attempts, 2);
    assert.equal(await renewLease(store.db, inst.id, 'dying', 1000), false);
    assert.equal(await renewLease(store.db, inst.id, 'other', 1000), true);
  });

  test('a schedule occurrence becomes one instance however often it is materialized', async () => {
    const store = h.store();
    const { orgId } = await orgWithDevices(store, 0);
    const task = await insertTask(store.db, {
      organization_id: orgId,
      kind: 'scan',
      name: 't',
      parameters: {},
    });
    const when = [new Date('2026-03-01T10:00:00Z'), new Date('2026-03-01T11:00:00Z')];
    assert.equal(await materializeOccurrences(store.db, task, when), 2);
    assert.equal(await materializeOccurrences(store.db, task, when), 0);
    assert.equal(
      await materializeOccurrences(store.db, task, [...when, new Date('2026-03-01T12:00:00Z')]),
      1,
    );
    const rows = await store.db
      .selectFrom('task_instances')
      .select('id')
      .where('task_id', '=', task.id)
      .execute();
    assert.equal(rows.length, 3);
  });

  test('a replayed batch creates no second job', async () => {
    const store = h.store();
    const { orgId } = await orgWithDevices(store, 25);
    const inst = await insertInstance(store.db, { organization_id: orgId, kind: 'install', parameters: {} });
    const p = {
      instanceId: inst.id,
      orgId,
      target: { kind: 'organization' } as const,
      jobKind: 'install',
      payload: {},
      afterDeviceId: 0,
      limit: 10,
    };
    const a = await dispatchBatch(store.db, p);
    assert.deepEqual([a.devices, a.created], [10, 10]);
    const again = await dispatchBatch(store.db, p);
    assert.deepEqual([again.devices, again.created], [10, 0]);
    const b = await dispatchBatch(store.db, { ...p, afterDeviceId: a.lastDeviceId, limit: 100 });
    assert.deepEqual([b.devices, b.created], [15, 15]);
    const jobs = await store.db
      .selectFrom('jobs')
      .select('device_id')
      .where('instance_id', '=', inst.id)
      .execute();
    assert.equal(jobs.length, 25);
    assert.equal(new Set(jobs.map((j) => j.device_id)).size, 25);
    assert.equal((await getInstance(store.db, inst.id))?.status, 'NotStarted');
  });
});
