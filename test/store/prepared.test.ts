import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { openStore, StatementNames, type Store } from '../../src/store/db.ts';
import { eachDriver, PG_URL } from '../support/store.ts';

describe('statement names', () => {
  it('names a text the second time it is seen, and the same text always the same', () => {
    const n = new StatementNames();
    assert.equal(n.nameOf('select 1'), undefined);
    const a = n.nameOf('select 1');
    assert.match(a!, /^pl_\d+$/);
    assert.equal(n.nameOf('select 1'), a);
    assert.equal(n.nameOf('select 2'), undefined);
    const b = n.nameOf('select 2');
    assert.notEqual(b, a);
  });

  it('leaves long texts unnamed and stops naming at the cap', () => {
    const n = new StatementNames();
    const long = `select ${'1,'.repeat(StatementNames.MAX_TEXT)}1`;
    n.nameOf(long);
    assert.equal(n.nameOf(long), undefined);
    for (let i = 0; i < StatementNames.MAX_NAMED; i++) {
      n.nameOf(`select ${i}`);
      assert.ok(n.nameOf(`select ${i}`));
    }
    n.nameOf('select -1');
    assert.equal(n.nameOf('select -1'), undefined);
  });

  it('gives a forgotten text a new name', () => {
    const n = new StatementNames();
    n.nameOf('select 1');
    const a = n.nameOf('select 1');
    n.forget('select 1');
    n.nameOf('select 1');
    const b = n.nameOf('select 1');
    assert.ok(b && b !== a);
  });
});

async function reachable() {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}
const skip =
  !(await reachable()) && process.env.CI !== 'true' ? `PostgreSQL unreachable at ${PG_URL}` : false;

describe('repeated statements on PostgreSQL', { skip }, () => {
  const name = `patchline_test_prep_${randomBytes(4).toString('hex')}`;
  let store: Store;
  before(async () => {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(PG_URL);
    url.pathname = `/${name}`;
    store = await openStore({ databaseUrl: url.toString(), poolSize: 1, migrate: false });
  });
  after(async () => {
    await store.close();
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  const prepared = async () =>
    (
      await sql<{
        statement: string;
      }>`select statement from pg_prepared_statements order by prepare_time`.execute(store.db)
    ).rows.map((r) => r.statement);

  it('prepares a statement on its second use and answers the same from it', async () => {
    await sql`create table t (id int primary key, v text)`.execute(store.db);
    await sql`insert into t values (1, 'a'), (2, 'b')`.execute(store.db);
    const get = (id: number) =>
      store.db
        .selectFrom('t' as never)
        .selectAll()
        .where('id' as never, '=', id as never);
    assert.deepEqual(await get(1).execute(), [{ id: 1, v: 'a' }]);
    assert.ok(!(await prepared()).some((s) => s.includes('from "t"')));
    assert.deepEqual(await get(2).execute(), [{ id: 2, v: 'b' }]);
    assert.equal((await prepared()).filter((s) => s.includes('from "t"')).length, 1);
    assert.deepEqual(await get(1).execute(), [{ id: 1, v: 'a' }]);
    assert.deepEqual(await get(3).execute(), []);
    assert.equal((await prepared()).filter((s) => s.includes('from "t"')).length, 1);
  });

  it('recovers when a table changes under a prepared select *: one failure, then the new columns', async () => {
    const get = () =>
      store.db
        .selectFrom('t' as never)
        .selectAll()
        .where('id' as never, '=', 1 as never);
    await get().execute();
    await get().execute();
    await sql`alter table t add column w int not null default 7`.execute(store.db);
    await assert.rejects(get().execute(), /cached plan must not change result type/);
    await get().execute(); // seen once under its new name
    assert.deepEqual(await get().execute(), [{ id: 1, v: 'a', w: 7 }]);
  });

  it('leaves transactions and statements with bad parameters as they were', async () => {
    const ins = (id: number) => sql`insert into t (id, v) values (${id}, 'x')`;
    await store.transaction(async (tx) => {
      await ins(10).execute(tx);
      await ins(11).execute(tx);
      await ins(12).execute(tx);
    });
    await assert.rejects(
      store.transaction(async (tx) => {
        await ins(20).execute(tx);
        await ins(10).execute(tx); // duplicate key: the whole transaction goes
      }),
      /duplicate key/,
    );
    const ids = (await sql<{ id: number }>`select id from t where id >= 10 order by id`.execute(store.db))
      .rows;
    assert.deepEqual(
      ids.map((r) => r.id),
      [10, 11, 12],
    );
  });
});

eachDriver('a statement that fails while its parameters are sent', (h) => {
  // a parameter pg cannot serialize (JSON nested deeper than the stack) once made pg close a prepared
  // statement it still believed parsed: the connection then answered every later use of that text with
  // `prepared statement "pl_N" does not exist` until the pool dropped it
  it('leaves the statement usable for the next requests', async () => {
    const db = h.store().db;
    const echo = (v: unknown) => sql<{ v: unknown }>`select ${v}::jsonb as v`.execute(db);
    assert.deepEqual((await echo({ a: 1 })).rows, [{ v: { a: 1 } }]);
    assert.deepEqual((await echo({ a: 2 })).rows, [{ v: { a: 2 } }]); // now prepared
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 200_000; i++) deep = { a: deep };
    await echo(deep).then(
      () => undefined,
      () => undefined,
    );
    for (let i = 0; i < 5; i++) assert.deepEqual((await echo({ b: i })).rows, [{ v: { b: i } }]);
  });
});
