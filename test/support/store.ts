import { after, before, describe } from 'node:test';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openStore, type DriverName, type Store } from '../../src/store/db.ts';

// Every store and API test runs on both drivers: PGlite (from a migrated template, fast) and a real
// PostgreSQL server in a database made for this file and dropped after it.
export const PG_URL =
  process.env.PATCHLINE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CI = process.env.CI === 'true';

const here = dirname(fileURLToPath(import.meta.url));
function templateKey(): string {
  const h = createHash('sha256');
  const dir = join(here, '../../src/store/migrations');
  for (const f of readdirSync(dir).sort()) h.update(f).update(readFileSync(join(dir, f)));
  h.update(readFileSync(join(here, '../../node_modules/@electric-sql/pglite/package.json')));
  return h.digest('hex').slice(0, 16);
}

/** a dump of a freshly migrated embedded store, built once per machine and schema */
export async function pgliteTemplate(): Promise<Uint8Array> {
  const file = join(tmpdir(), `patchline-template-${templateKey()}.tar`);
  if (existsSync(file)) return new Uint8Array(readFileSync(file));
  const s = await openStore({ memory: true });
  const dump = await s.dump();
  await s.close();
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, dump);
  renameSync(tmp, file); // atomic: parallel test files never read half a template
  return dump;
}

let pgReachable: Promise<boolean> | undefined;
function postgresReachable(): Promise<boolean> {
  pgReachable ??= (async () => {
    const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
    try {
      await c.connect();
      await c.end();
      return true;
    } catch {
      return false;
    }
  })();
  return pgReachable;
}

async function adminQuery(sql: string, params: unknown[] = []) {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return await c.query(sql, params);
  } finally {
    await c.end();
  }
}

/** pg's pool reports itself ended before its sessions are gone: wait for them */
async function dropDatabaseSessions(name: string) {
  for (let i = 0; i < 50; i++) {
    const r = await adminQuery('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
    if (r.rows[0].n === 0) break;
    await new Promise((res) => setTimeout(res, 100));
  }
}
async function dropDatabase(name: string) {
  await dropDatabaseSessions(name);
  await adminQuery(`drop database if exists ${name} with (force)`);
}

/**
 * A migrated PostgreSQL database to copy (`create database … template …`), built once per server and
 * schema: migrating takes seconds per database, copying a template a fraction of that. Parallel test
 * files build it under an advisory lock; it is made under a temporary name and renamed when complete, so
 * no file ever copies half a template. Templates of older schemas are dropped.
 */
let pgTemplate: Promise<string> | undefined;
function postgresTemplate(): Promise<string> {
  pgTemplate ??= (async () => {
    const name = `patchline_tpl_${templateKey()}`;
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query('select pg_advisory_lock(8201712)');
      const exists = await c.query('select 1 from pg_database where datname = $1', [name]);
      if (exists.rowCount === 0) {
        const old = await c.query(
          "select datname from pg_database where datname like 'patchline\\_tpl\\_%' and datname <> $1",
          [name],
        );
        for (const r of old.rows) await c.query(`drop database if exists ${r.datname} with (force)`);
        const tmp = `${name}_building`;
        await c.query(`drop database if exists ${tmp} with (force)`);
        await c.query(`create database ${tmp}`);
        const url = new URL(PG_URL);
        url.pathname = `/${tmp}`;
        const s = await openStore({ databaseUrl: url.toString(), poolSize: 2 });
        await s.close();
        await dropDatabaseSessions(tmp);
        // nothing connects to a template (not even autovacuum, which a copy would collide with)
        await c.query(`alter database ${tmp} with allow_connections false`);
        await c.query(`alter database ${tmp} rename to ${name}`);
      }
    } finally {
      await c.query('select pg_advisory_unlock(8201712)').catch(() => undefined);
      await c.end();
    }
    return name;
  })();
  return pgTemplate;
}

/**
 * copies the template; a copy made while something else copies it too may be refused for a moment, and
 * a checkout of another schema on the same server (another worktree) may have dropped it: built again
 */
async function createFromTemplate(name: string) {
  let template = await postgresTemplate();
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(`create database ${name} template ${template}`);
      return;
    } catch (e) {
      const code = (e as { code?: string }).code;
      // 3D000: the template does not exist (dropped as an older schema's by another checkout)
      if (code === '3D000' && attempt < 5) {
        pgTemplate = undefined;
        template = await postgresTemplate();
        continue;
      }
      // 55006: "source database is being accessed by other users"
      if (code !== '55006' || attempt >= 50) throw e;
      await new Promise((res) => setTimeout(res, 100 + Math.random() * 100));
    }
  }
}

/** a new empty PostgreSQL database for this file (several stores may open it: replicas); drop() removes it */
export async function freshPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `patchline_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => dropDatabase(name) };
}

/** whether the PostgreSQL half of the tests runs (false: skip it, unless CI, where it must run) */
export const postgresSkip = async (): Promise<string | false> =>
  !(await postgresReachable()) && !CI ? `PostgreSQL unreachable at ${PG_URL}` : false;

/** opens a fresh store on a driver; returns it with its cleanup */
export async function freshStore(
  driver: DriverName,
): Promise<{ store: Store; cleanup: () => Promise<void> }> {
  if (driver === 'pglite') {
    const store = await openStore({ memory: true, loadDataDir: await pgliteTemplate() });
    return { store, cleanup: () => store.close() };
  }
  const name = `patchline_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await createFromTemplate(name);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  const store = await openStore({ databaseUrl: url.toString(), poolSize: 5 });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await dropDatabase(name);
    },
  };
}

export interface DriverHandle {
  readonly driver: DriverName;
  /** the store of this driver's run (available from inside tests and hooks) */
  store(): Store;
}

const reachable = await postgresReachable();
if (!reachable && !CI)
  console.warn(
    `\n!!! PostgreSQL is not reachable at ${PG_URL}: the PostgreSQL half of the store and API tests is SKIPPED.\n` +
      `!!! Start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set PATCHLINE_TEST_DATABASE_URL.\n`,
  );

/**
 * The drivers a file runs on: both, unless PATCHLINE_TEST_DRIVERS names some. A heavy file is split in
 * two processes this way (see `splitByDriver`), so that the runner's concurrency runs its halves side by side.
 */
const drivers = () =>
  (['pglite', 'postgres'] as const).filter((d) =>
    (process.env.PATCHLINE_TEST_DRIVERS ?? 'pglite,postgres').split(',').includes(d),
  );

/** Declares the same suite once per driver. */
export function eachDriver(title: string, body: (h: DriverHandle) => void) {
  for (const driver of drivers()) {
    const skip = driver === 'postgres' && !reachable && !CI ? `PostgreSQL unreachable at ${PG_URL}` : false;
    describe(`${title} [${driver}]`, { skip }, () => {
      let store: Store | undefined;
      let cleanup: (() => Promise<void>) | undefined;
      before(async () => {
        if (driver === 'postgres' && !reachable)
          throw new Error(`CI=true and PostgreSQL is unreachable at ${PG_URL}`);
        ({ store, cleanup } = await freshStore(driver));
      });
      body({
        driver,
        store: () => {
          if (!store) throw new Error('the store is not open yet');
          return store;
        },
      });
      // after the body's own after-hooks (they close servers that still use the store)
      after(async () => cleanup?.());
    });
  }
}

/**
 * Runs a suite module (a `*.suite.ts` file declaring its tests with `eachDriver`) on one driver: the body
 * of a `NAME.pglite.test.ts` / `NAME.postgres.test.ts` pair. The variable is set before the suite is loaded.
 */
export async function splitByDriver(driver: DriverName, load: () => Promise<unknown>): Promise<void> {
  process.env.PATCHLINE_TEST_DRIVERS = driver;
  await load();
}
