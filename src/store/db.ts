import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import type { Database } from './schema.ts';
import { migrationProvider } from './migrations/index.ts';
import { PGliteWorker, pgliteDialect } from './pglite-driver.ts';
import { lockDataDir } from './lock.ts';
import { checkDatabaseUrl } from './database-url.ts';

export { checkDatabaseUrl, DatabaseUrlError } from './database-url.ts';
import { INT8, DATE } from './types.ts';
import {
  CHANGES_CHANNEL,
  postgresListener,
  type ListenHandlers,
  type ListenerOptions,
} from './change-feed.ts';

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
  /**
   * Listens to the change feed (store/change-feed.ts, migration 0017) until the returned stop is called
   * or the store closes. On PostgreSQL over a connection of its own that reconnects by itself; on PGlite
   * the one connection listens from the start.
   */
  listenChanges(on: ListenHandlers, o?: ListenerOptions): () => Promise<void>;
  close(): Promise<void>;
}

function pgTypes() {
  const parsers: Record<number, (v: string) => unknown> = { [INT8]: (v) => Number(v), [DATE]: (v) => v };
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      parsers[oid] ?? pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
  };
}

/**
 * Statements that repeat are prepared once per connection (as pgjdbc does past its prepareThreshold):
 * PostgreSQL then skips parsing and, once it settles on a generic plan, planning, which costs more than
 * running the small indexed queries that make up most traffic (an idle check-in's lookup: about 100 µs
 * of planning for 20 µs of work). A text is named the second time it is seen; very long texts (bulk
 * VALUES lists, which rarely repeat) and more than MAX_NAMED distinct texts stay unnamed, so a backend's
 * prepared statements stay bounded.
 */
export class StatementNames {
  static readonly MAX_NAMED = 500;
  static readonly MAX_TEXT = 4000;
  private readonly names = new Map<string, string>();
  private readonly seen = new Set<string>();
  private next = 1;

  /** the name to prepare this text under, if it has earned one */
  nameOf(text: string): string | undefined {
    const name = this.names.get(text);
    if (name !== undefined || text.length > StatementNames.MAX_TEXT) return name;
    if (!this.seen.has(text)) {
      if (this.seen.size >= 5000) this.seen.clear();
      this.seen.add(text);
      return undefined;
    }
    if (this.names.size >= StatementNames.MAX_NAMED) return undefined;
    const n = `pl_${this.next++}`;
    this.names.set(text, n);
    this.seen.delete(text);
    return n;
  }

  /**
   * A prepared statement whose result columns changed under it (another replica migrated a table that a
   * `select *` reads) fails once with "cached plan must not change result type"; the text gets a new
   * name, so the next use prepares it afresh.
   */
  forget(text: string) {
    this.names.delete(text);
  }
}

/** pg's conversion of a parameter to its wire text (exported, but not in its typings) */
const pgUtils = (pg as unknown as { utils: { prepareValue(v: unknown): unknown } }).utils;

/** the per-connection records of pg of which named statements the server holds (not in its typings) */
interface ParsedStatements {
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
}

/**
 * makes a pool client prepare the statements `names` picks (the pool's 'connect' event).
 *
 * pg converts the parameters while it sends Parse/Bind; when that throws (JSON nested deeper than the
 * stack, a cycle) it closes the statement on the server but goes on believing it parsed, and every later
 * use of the text on that connection fails with `prepared statement "pl_N" does not exist`. So the
 * parameters are converted here first (a failure then sends nothing), and after any error that did not
 * come from the server the name is forgotten by the connection, so its next use parses it again.
 */
export function prepareRepeatedStatements(client: pg.PoolClient, names: StatementNames) {
  const query = client.query.bind(client) as (...a: unknown[]) => Promise<pg.QueryResult>;
  const connection = (client as unknown as { connection: ParsedStatements & NodeJS.EventEmitter }).connection;
  client.query = ((text: unknown, values: unknown, cb: unknown) => {
    if (typeof text !== 'string' || !Array.isArray(values) || cb !== undefined)
      return query(text, values, cb);
    const name = names.nameOf(text);
    if (name === undefined) return query(text, values);
    let prepared: unknown[];
    try {
      prepared = values.map((v) => pgUtils.prepareValue(v));
    } catch (e) {
      return Promise.reject(e);
    }
    return query({ name, text, values: prepared }).catch((e: { code?: string; message?: string }) => {
      if (e?.code === '0A000' && /cached plan must not change result type/.test(e.message ?? ''))
        names.forget(text);
      else if (!(e instanceof pg.DatabaseError)) {
        // the server's answers to the failed statement (ParseComplete, CloseComplete) are still on their
        // way and would mark it parsed again: forget it when they are in, before the next query goes out
        connection.prependOnceListener('readyForQuery', () => {
          delete connection.parsedStatements[name];
          delete connection.submittedNamedStatements[name];
        });
      }
      throw e;
    });
  }) as typeof client.query;
}


export async function openStore(opts: StoreOptions): Promise<Store> {
  let db: Db;
  let driver: DriverName;
  let worker: PGliteWorker | undefined;
  let unlock: (() => void) | undefined;
  const listeners = new Set<() => Promise<void>>();
  let listenChanges: Store['listenChanges'];
  if (opts.databaseUrl) {
    checkDatabaseUrl(opts.databaseUrl);
    driver = 'postgres';
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolSize ?? 10,
      types: pgTypes(),
    });
    // an idle connection the server drops (restart, failover) must not crash the process: the pool
    // discards it and opens another on the next query
    pool.on('error', (e) => console.warn(`patchline: a database connection was lost: ${e.message}`));
    const names = new StatementNames();
    pool.on('connect', (client) => prepareRepeatedStatements(client, names));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const url = opts.databaseUrl;
    listenChanges = (on, o) => {
      const l = postgresListener(url, CHANGES_CHANNEL, on, o);
      const stop = async () => {
        listeners.delete(stop);
        await l.stop();
      };
      listeners.add(stop);
      return stop;
    };
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
      // the one connection listens before anything else runs on it (a LISTEN inside a transaction that
      // rolls back would be undone); the payloads go to whoever listens at the time
      await worker.request({ op: 'listen', channel: CHANGES_CHANNEL });
    } catch (e) {
      unlock?.();
      throw e;
    }
    const w = worker;
    const handlers = new Set<ListenHandlers>();
    w.onNotification = (channel, payload) => {
      if (channel === CHANGES_CHANNEL) for (const h of handlers) h.notify(payload);
    };
    listenChanges = (on) => {
      handlers.add(on);
      on.state(true);
      const stop = async () => {
        listeners.delete(stop);
        handlers.delete(on);
      };
      listeners.add(stop);
      return stop;
    };
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
    listenChanges,
    async close() {
      await Promise.all([...listeners].map((stop) => stop()));
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
  if (await schemaUpToDate(db)) return [];
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Whether every migration this code knows has run, and no other: two cheap queries. Kysely's migrator
 * introspects the catalog, creates its tables if missing and takes its lock even when there is nothing to
 * do, which costs seconds on the embedded store at every start and every CLI command. Anything else (a
 * new database, a migration to apply, one this code does not know) goes through the migrator as before.
 */
async function schemaUpToDate(db: Db): Promise<boolean> {
  const known = Object.keys(await migrationProvider.getMigrations()).sort();
  const table = await sql<{
    present: boolean;
  }>`select to_regclass('kysely_migration') is not null as present`.execute(db);
  if (!table.rows[0]?.present) return false;
  const done = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  const names = done.rows.map((r) => r.name).sort();
  return names.length === known.length && names.every((n, i) => n === known[i]);
}
