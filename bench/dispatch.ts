// npm run bench -- dispatch: 10,000 devices due in one minute (one scheduled install for the whole
// organization); prints the time from the occurrence being due until every device's job exists, with two
// engines on one PostgreSQL database. Target: under 5 s. The last line is one JSON object.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { startEngine } from '../src/engine/engine.ts';
import { openStore } from '../src/store/db.ts';
import { Context, SYSTEM_ACTOR } from '../src/services/context.ts';
import { createTask } from '../src/services/tasks.ts';

const DEVICES = Number(process.argv[2] ?? 10_000);
const TARGET_MS = 5000;
const PG_URL = process.env.PATCHLINE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin(q: string) {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(q);
  } finally {
    await c.end();
  }
}

const name = `patchline_bench_dispatch_${randomBytes(4).toString('hex')}`;
await admin(`create database ${name}`);
const url = new URL(PG_URL);
url.pathname = `/${name}`;
const stores = [await openStore({ databaseUrl: url.toString() })];
stores.push(await openStore({ databaseUrl: url.toString(), migrate: false }));
const [store] = stores as [(typeof stores)[0]];
try {
  const org = await store.db
    .insertInto('organizations')
    .values({ ref: 'bench', name: 'bench', time_zone: 'UTC' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const root = await store.db
    .insertInto('groups')
    .values({ organization_id: org.id, name: 'All devices', is_root: true })
    .returning('id')
    .executeTakeFirstOrThrow();
  await sql`insert into devices (organization_id, group_id, name)
    select ${org.id}, ${root.id}, 'device-' || g from generate_series(1, ${DEVICES}) g`.execute(store.db);
  console.log(`${DEVICES} devices created`);

  // an install scheduled once, at the coming minute
  const due = new Date(Math.ceil((Date.now() + 1) / 60_000) * 60_000);
  const ctx = new Context(store, SYSTEM_ACTOR, () => new Date(due.getTime() - 1000));
  const task = await createTask(ctx, {
    organizationId: org.id,
    kind: 'install',
    parameters: { updateIds: [1] },
    schedule: {
      recurrence: { kind: 'once' },
      start: due.toISOString().slice(0, 16),
      zone: { kind: 'named', name: 'UTC' },
      end: { kind: 'never' },
    },
  });
  // the engines' clock says the minute has come as soon as they start (no waiting for the wall clock)
  let clockStart = 0;
  const engines = stores.map((s, i) =>
    startEngine({
      store: s,
      owner: `bench-${i}`,
      pollMs: 10,
      now: () => new Date(due.getTime() + (performance.now() - clockStart)),
    }),
  );
  clockStart = performance.now();
  const t0 = performance.now();
  let jobs = 0;
  let lastReport = 0;
  for (;;) {
    const r = await sql<{
      n: number;
    }>`select count(*)::int as n from jobs j join task_instances i on i.id = j.instance_id
      where i.task_id = ${task.id}`.execute(store.db);
    jobs = r.rows[0]?.n ?? 0;
    if (jobs >= DEVICES) break;
    if (performance.now() - lastReport > 500) {
      console.log(`${Math.round(performance.now() - t0)} ms: ${jobs} jobs`);
      lastReport = performance.now();
    }
    if (performance.now() - t0 > 60_000) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const ms = Math.round(performance.now() - t0);
  console.log(`${ms} ms: ${jobs} jobs`);
  await Promise.all(engines.map((e) => e.stop()));
  console.log(
    JSON.stringify({
      name: 'dispatch',
      devices: DEVICES,
      jobs,
      engines: engines.length,
      ms,
      target_ms: TARGET_MS,
      pass: jobs === DEVICES && ms < TARGET_MS,
    }),
  );
} finally {
  for (const s of stores) await s.close();
  await admin(`drop database if exists ${name} with (force)`);
}
