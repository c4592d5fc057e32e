import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import type { Database } from './schema.ts';
import { migrationProvider } from './migrations/index.ts';
import { PGliteWorker, pgliteDialect } from './pglite-driver.ts';
import { lockDataDir } from './lock.ts';
import { INT8, DATE } from './types.ts';

export type Db = Kysely<Database>;
export type DriverName = 'pglite' | 'postgres';

export interface StoreOptions {
  /** a PostgreSQL server; when absent the embedded PGlite store is used */
  databaseUrl?: string;
  /** the embedded store's folder; undefined with memory=true keeps it in memory */
  dataDir?: string;
  memory?: boolean;
  /** a dump of a migrated embedded store to start from (tests) */
  loadDataDir?: Uint8Array;
  migrate?: boolean;
  poolSize?: number;
}

export interface Store {
  readonly db: Db;
  readonly driver: DriverName;
  /** runs fn in one transaction; inside it use only the handle it gets (a pool of one would deadlock) */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** a dump of the embedded store (PGlite only) */
  dump(): Promise<Uint8Array>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

function pgTypes() {
  const parsers: Record<number, (v: string) => unknown> = { [INT8]: (v) => Number(v), [DATE]: (v) => v };
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      parsers[oid] ?? pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
  };
}

export async function openStore(opts: StoreOptions): Promise<Store> {
  let db: Db;
  let driver: DriverName;
  let worker: PGliteWorker | undefined;
  let unlock: (() => void) | undefined;
  if (opts.databaseUrl) {
    driver = 'postgres';
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolSize ?? 10,
      types: pgTypes(),
    });
    // an idle connection the server drops (restart, failover) must not crash the process: the pool
    // discards it and opens another on the next query
    pool.on('error', (e) => console.warn(`patchline: a database connection was lost: ${e.message}`));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  } else {
    driver = 'pglite';
    let dataDir: string | undefined;
    if (!opts.memory) {
      dataDir = resolve(opts.dataDir ?? './data');
      mkdirSync(dataDir, { recursive: true });
      unlock = lockDataDir(dataDir);
    }
    try {
      worker = new PGliteWorker({
        ...(dataDir ? { dataDir: join(dataDir, 'pglite') } : {}),
        ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
      });
      await worker.ready;
    } catch (e) {
      unlock?.();
      throw e;
    }
    db = new Kysely<Database>({ dialect: pgliteDialect(worker) });
  }
  const store: Store = {
    db,
    driver,
    transaction: (fn) => db.transaction().execute(fn),
    async dump() {
      if (!worker) throw new Error('only the embedded store can be dumped');
      const r = await worker.request({ op: 'dump' });
      return r.dump as Uint8Array;
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
      unlock?.();
    },
  };
  if (opts.migrate !== false) {
    try {
      await migrate(db);
    } catch (e) {
      await store.close();
      throw e;
    }
  }
  return store;
}

export async function migrate(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
