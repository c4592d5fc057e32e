import { existsSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { startEngine } from '../engine/engine.ts';
import { startAlertEngine } from '../engine/alerts.ts';
import { warmCheckins } from '../services/agents.ts';
import { createStageHandler } from '../engine/stage.ts';
import { buildServer, VERSION, warmDocs } from '../server.ts';
import { defaultPackageDir } from '../services/staging.ts';
import type { Store } from '../store/db.ts';
import { adminPasswordNotice } from './admin-password.ts';
import { CliError } from './errors.ts';
import { bootstrapStore, openStoreOf } from './store-options.ts';

// `patchline serve` (and `patchline demo --agents`, which serves the demo it made): the server, its task
// engine and what it tells at start.

/** --port: a whole number from 0 (any free port) to 65535 */
export function checkPort(port: string): number {
  const n = Number(port);
  if (!/^\d+$/.test(port.trim()) || n > 65535)
    throw new CliError(`--port must be a number from 1 to 65535, got '${port}' (or set PATCHLINE_PORT)`);
  return n;
}

/** --tls-cert and --tls-key: both or neither, each a file */
export function checkTls(c: Pick<Config, 'tlsCert' | 'tlsKey'>) {
  if (!!c.tlsCert !== !!c.tlsKey)
    throw new CliError(
      `${c.tlsCert ? '--tls-cert needs --tls-key' : '--tls-key needs --tls-cert'}: give both (or PATCHLINE_TLS_CERT and PATCHLINE_TLS_KEY) to serve HTTPS, or neither for HTTP`,
    );
  for (const [flag, file] of [
    ['--tls-cert', c.tlsCert],
    ['--tls-key', c.tlsKey],
  ] as const)
    if (file && !(existsSync(file) && statSync(file).isFile()))
      throw new CliError(`${flag}: no file ${file}: give the path of a PEM file`);
}

export interface Running {
  app: FastifyInstance;
  store: Store;
  /** the server's own address, e.g. http://127.0.0.1:8440 */
  url: string;
  stop(): Promise<void>;
}

/** opens the store, listens, then bootstraps (a server that cannot listen makes no admin) and starts the engine */
export async function startServer(config: Config, adminPassword: string | undefined): Promise<Running> {
  checkTls(config);
  const store = await openStoreOf(config);
  let app: FastifyInstance | undefined;
  try {
    app = await buildServer({ config, store });
    await app.listen({ port: config.port, host: config.host });
  } catch (e) {
    await app?.close().catch(() => undefined);
    await store.close();
    throw e;
  }
  const server = app;
  await bootstrapStore(store, config.dataDir);
  for (const line of await adminPasswordNotice(store, config.dataDir, adminPassword)) console.log(line);
  // every replica runs the task engine: work is claimed in the database, so each occurrence fires once
  const engine = startEngine({
    store,
    owner: `${hostname()}:${process.pid}`,
    handlers: { stage: createStageHandler({ dir: defaultPackageDir(config.dataDir) }) },
    onError: (err) => server.log.error({ err }, 'task engine'),
  });
  // alerts: the event log into alerts, periodic checks, webhook and e-mail deliveries (engine/alerts.ts)
  const alerts = startAlertEngine({
    store,
    ...(config.smtpUrl
      ? { smtp: { url: config.smtpUrl, from: config.smtpFrom ?? `patchline@${hostname()}` } }
      : {}),
    onError: (err) => server.log.error({ err }, 'alert engine'),
  });
  // the devices into memory, so that the first round of check-ins after a start is answered from it
  void warmCheckins(store).catch((err: unknown) =>
    server.log.warn({ err }, 'reading the devices into memory'),
  );
  // after listening, so that start-up is not slower: the first docs request no longer pays for it
  void warmDocs(server).catch((err: unknown) => server.log.warn({ err }, 'building the API docs'));
  server.log.info(
    `Patchline ${VERSION} on ${store.driver === 'pglite' ? `the embedded store in ${config.dataDir}` : 'PostgreSQL'}; API docs at /api/v1/docs`,
  );
  const port = (server.server.address() as { port: number }).port;
  const local = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return {
    app: server,
    store,
    url: `${config.tlsCert ? 'https' : 'http'}://${local.includes(':') ? `[${local}]` : local}:${port}`,
    async stop() {
      await engine.stop();
      await alerts.stop();
      await server.close();
      await store.close();
    },
  };
}

/** runs `fn` once on SIGINT or SIGTERM (Ctrl-C), then exits 0 */
export function onStopSignal(log: (signal: string) => void, fn: () => Promise<void>) {
  const stop = async (signal: string) => {
    log(signal);
    await fn();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}
