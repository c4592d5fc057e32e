import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { startEngine, type Engine } from '../../src/engine/engine.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { createTask, getInstance } from '../../src/services/tasks.ts';
import { PG_URL } from '../support/store.ts';
import { at, orgWithDevices, waitFor } from './support.ts';

// Two replicas (two stores, two pools) on one PostgreSQL database, 1,000 devices due in the same minute.
const reachable = await (async () => {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
})();

async function admin(q: string) {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(q);
  } finally {
    await c.end();
  }
}

describe(
  'two task engines on one PostgreSQL database',
  { skip: reachable ? false : `PostgreSQL unreachable at ${PG_URL}` },
  () => {
    const name = `patchline_engine_${process.pid}_${randomBytes(4).toString('hex')}`;
    let a: Store;
    let b: Store;
    before(async () => {
      await admin(`create database ${name}`);
      const url = new URL(PG_URL);
      url.pathname = `/${name}`;
      a = await openStore({ databaseUrl: url.toString(), poolSize: 5 });
      b = await openStore({ databaseUrl: url.toString(), poolSize: 5, migrate: false });
    });
    after(async () => {
      await a?.close();
      await b?.close();
      await admin(`drop database if exists ${name} with (force)`);
    });

    test('1,000 devices due in one minute: one job each, and a killed engine loses nothing', async () => {
      const { orgId } = await orgWithDevices(a, 1000);
      const now = new Date();
      const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
      const start = minute.toISOString().slice(0, 16);
      const task = await createTask(at(a, new Date(minute.getTime() - 1000)), {
        organizationId: orgId,
        kind: 'install',
        parameters: { updateIds: [1] },
        schedule: {
          recurrence: { kind: 'once' },
          start,
          zone: { kind: 'named', name: 'UTC' },
          end: { kind: 'never' },
        },
      });
      assert.deepEqual(task.nextDueAt, minute);

      let victim: Engine | undefined;
      const batches = { a: 0, b: 0 };
      const engines: Record<'a' | 'b', Engine> = {} as Record<'a' | 'b', Engine>;
      for (const [key, store] of [
        ['a', a],
        ['b', b],
      ] as const)
        engines[key] = startEngine({
          store,
          owner: `replica-${key}`,
          pollMs: 25,
          leaseMs: 1000,
          batchSize: 50,
          graceMs: 120_000,
          afterBatch: () => {
            batches[key]++;
            // the first engine to dispatch three batches dies: it stops without releasing its lease
            if (batches[key] === 3 && !victim) {
              victim = engines[key];
              void victim.kill();
            }
          },
        });

      const instanceId = await waitFor('the instance', async () => {
        const r = await a.db
          .selectFrom('task_instances')
          .select('id')
          .where('task_id', '=', task.id)
          .executeTakeFirst();
        return r?.id;
      });
      const done = await waitFor(
        'completion by the surviving engine',
        async () => {
          const i = await getInstance(at(a, new Date()), instanceId);
          return i.status === 'Completed' ? i : undefined;
        },
        30_000,
      );
      const survivor = victim === engines.a ? engines.b : engines.a;
      await survivor.stop();
      await victim?.kill();

      assert.ok(victim, 'an engine was killed mid-way');
      assert.equal(done.attempts, 2, 'claimed by the killed engine, then taken over once');
      assert.equal(done.outputs.devices, 1000);
      assert.equal(done.progress, 1);
      const perDevice = await sql<{ device_id: number; n: number }>`
      select d.id as device_id, count(j.id)::int as n from devices d
      left join jobs j on j.device_id = d.id and j.instance_id = ${instanceId}
      where d.organization_id = ${orgId} group by d.id`.execute(a.db);
      assert.equal(perDevice.rows.length, 1000);
      assert.deepEqual(
        perDevice.rows.filter((r) => r.n !== 1),
        [],
        'every device has exactly one job',
      );
      const instances = await a.db
        .selectFrom('task_instances')
        .select('id')
        .where('task_id', '=', task.id)
        .execute();
      assert.equal(instances.length, 1, 'the occurrence fired once');
      const rows = await a.db
        .selectFrom('task_instance_devices')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('instance_id', '=', instanceId)
        .executeTakeFirstOrThrow();
      assert.equal(Number(rows.n), 1000);
    });
  },
);
