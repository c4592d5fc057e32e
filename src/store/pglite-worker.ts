// Runs PGlite on its own thread so a long query never blocks the server's event loop (STACK.md).
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { TYPE_PARSERS } from './types.ts';

export interface WorkerInit {
  dataDir?: string; // undefined = in memory
  loadDataDir?: Uint8Array;
}
export type WorkerRequest =
  | { id: number; op: 'query'; sql: string; params: unknown[] }
  | { id: number; op: 'exec'; sql: string }
  | { id: number; op: 'dump' }
  | { id: number; op: 'listen'; channel: string }
  | { id: number; op: 'close' };
export type WorkerResponse =
  | { id: number; ok: true; rows?: unknown[]; affectedRows?: number; dump?: Uint8Array }
  | { id: number; ok: false; error: SerializedPgError };
/** a NOTIFY on a channel the worker listens on (posted with no request id) */
export interface WorkerNotification {
  notification: { channel: string; payload: string };
}
export interface SerializedPgError {
  message: string;
  code?: string;
  detail?: string;
  constraint?: string;
  table?: string;
  column?: string;
}

const port = parentPort;
if (!port) throw new Error('pglite-worker must run in a worker thread');
const init = workerData as WorkerInit;

const opening = PGlite.create({
  ...(init.dataDir ? { dataDir: init.dataDir } : {}),
  ...(init.loadDataDir ? { loadDataDir: new Blob([init.loadDataDir]) } : {}),
  parsers: TYPE_PARSERS,
});
opening.then(
  () => port.postMessage({ id: 0, ok: true }),
  (e: unknown) => port.postMessage({ id: 0, ok: false, error: serialize(e) }),
);

port.on('message', async (req: WorkerRequest) => {
  const db = await opening;
  try {
    if (req.op === 'query') {
      const r = await db.query(req.sql, req.params);
      port.postMessage({ id: req.id, ok: true, rows: r.rows, affectedRows: r.affectedRows ?? 0 });
    } else if (req.op === 'exec') {
      await db.exec(req.sql);
      port.postMessage({ id: req.id, ok: true });
    } else if (req.op === 'listen') {
      const channel = req.channel;
      await db.listen(channel, (payload) => port.postMessage({ notification: { channel, payload } }));
      port.postMessage({ id: req.id, ok: true });
    } else if (req.op === 'dump') {
      const blob = await db.dumpDataDir('none');
      port.postMessage({ id: req.id, ok: true, dump: new Uint8Array(await blob.arrayBuffer()) });
    } else {
      await db.close();
      port.postMessage({ id: req.id, ok: true });
      port.close();
    }
  } catch (e) {
    port.postMessage({ id: req.id, ok: false, error: serialize(e) });
  }
});

function serialize(e: unknown): SerializedPgError {
  const x = e as Partial<SerializedPgError> & { message?: string };
  return {
    message: x?.message ?? String(e),
    ...(x.code ? { code: x.code } : {}),
    ...(x.detail ? { detail: x.detail } : {}),
    ...(x.constraint ? { constraint: x.constraint } : {}),
    ...(x.table ? { table: x.table } : {}),
    ...(x.column ? { column: x.column } : {}),
  };
}
