import { Worker } from 'node:worker_threads';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
} from 'kysely';
import type {
  SerializedPgError,
  WorkerInit,
  WorkerNotification,
  WorkerRequest,
  WorkerResponse,
} from './pglite-worker.ts';

/** An error from the database, with PostgreSQL's SQLSTATE code, whichever driver raised it. */
export class PgError extends Error {
  code?: string;
  detail?: string;
  constraint?: string;
  constructor(e: SerializedPgError) {
    super(e.message);
    this.name = 'PgError';
    Object.assign(this, e);
  }
}

// Node 20 does not carry the TypeScript loader into worker threads: the worker registers it itself.
function startWorker(file: URL, workerData: unknown): Worker {
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const boot = `import { register } from ${tsx}; register(); await import(${JSON.stringify(file.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData });
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type Pending = { resolve: (r: WorkerResponse) => void };

/** The PGlite worker: one connection, requests answered in order. */
export class PGliteWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  readonly ready: Promise<void>;
  /** receives the NOTIFY payloads of the channels listened on (request op 'listen') */
  onNotification: ((channel: string, payload: string) => void) | undefined;

  constructor(init: WorkerInit) {
    this.worker = startWorker(new URL('./pglite-worker.ts', import.meta.url), init);
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    this.ready = new Promise((res, rej) => ((readyResolve = res), (readyReject = rej)));
    this.worker.on('message', (m: WorkerResponse | WorkerNotification) => {
      if ('notification' in m) return this.onNotification?.(m.notification.channel, m.notification.payload);
      if (m.id === 0) return m.ok ? readyResolve() : readyReject(new PgError(m.error));
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      p?.resolve(m);
    });
    this.worker.on('error', (e) => {
      readyReject(e);
      for (const p of this.pending.values()) p.resolve({ id: -1, ok: false, error: { message: e.message } });
      this.pending.clear();
    });
  }

  async request(req: DistributiveOmit<WorkerRequest, 'id'>): Promise<WorkerResponse & { ok: true }> {
    const id = this.nextId++;
    const res = await new Promise<WorkerResponse>((resolve) => {
      this.pending.set(id, { resolve });
      this.worker.postMessage({ ...req, id });
    });
    if (!res.ok) throw new PgError(res.error);
    return res;
  }

  async close(): Promise<void> {
    await this.request({ op: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }
}

class Connection implements DatabaseConnection {
  constructor(private readonly pg: PGliteWorker) {}
  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    const r = await this.pg.request({ op: 'query', sql: q.sql, params: [...q.parameters] });
    const rows = (r.rows ?? []) as R[];
    return { rows, numAffectedRows: BigInt(r.affectedRows ?? 0) };
  }
  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported on the embedded store');
  }
}

/** A pool of one connection: callers queue for it; a transaction holds it until it ends. */
class PGliteDriver implements Driver {
  private readonly connection: Connection;
  private queue: Promise<void> = Promise.resolve();
  private releaseCurrent: (() => void) | undefined;
  constructor(private readonly pg: PGliteWorker) {
    this.connection = new Connection(pg);
  }
  async init() {
    await this.pg.ready;
  }
  async acquireConnection() {
    const previous = this.queue;
    let release!: () => void;
    this.queue = new Promise((r) => (release = r));
    await previous;
    this.releaseCurrent = release;
    return this.connection;
  }
  async beginTransaction(c: DatabaseConnection) {
    await c.executeQuery(CompiledQuery.raw('begin'));
  }
  async commitTransaction(c: DatabaseConnection) {
    await c.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(c: DatabaseConnection) {
    await c.executeQuery(CompiledQuery.raw('rollback'));
  }
  async releaseConnection() {
    const r = this.releaseCurrent;
    this.releaseCurrent = undefined;
    r?.();
  }
  async destroy() {
    await this.pg.close();
  }
}

export function pgliteDialect(pg: PGliteWorker): Dialect {
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new PGliteDriver(pg),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  };
}
