import pg from 'pg';

// The change feed's transport: LISTEN on the channel the triggers of migration 0017 NOTIFY on. On
// PostgreSQL a dedicated connection listens and reconnects by itself when it is lost (a restarted server,
// a killed backend); on PGlite the one connection listens from the start (pglite-driver.ts). What the
// payloads mean for the check-in path is the services' business (services/device-cache.ts).

/** the application_name of the listening connections (to find them in pg_stat_activity) */
export const LISTENER_APPLICATION_NAME = 'patchline-change-feed';

/** the channel of migration 0017's triggers */
export const CHANGES_CHANNEL = 'patchline_changes';

export interface ListenHandlers {
  /** a payload arrived */
  notify(payload: string): void;
  /** true once LISTEN holds (again); false when the connection is lost: changes may be missed until true */
  state(listening: boolean): void;
}

export type Change =
  | { kind: 'device'; deviceId: number }
  | { kind: 'organization'; organizationId: number; settingsRevision: number };

/** reads a payload of migration 0017's triggers; undefined for anything else */
export function parseChange(payload: string): Change | undefined {
  const [k, a, b] = payload.split(':');
  const n = Number(a);
  if (!Number.isSafeInteger(n)) return undefined;
  if (k === 'd') return { kind: 'device', deviceId: n };
  if (k === 'o' && Number.isSafeInteger(Number(b)))
    return { kind: 'organization', organizationId: n, settingsRevision: Number(b) };
  return undefined;
}

export interface ListenerOptions {
  /** first delay before reconnecting, doubled after each failure up to maxRetryMs */
  retryMs?: number;
  maxRetryMs?: number;
  /** how often the idle connection is probed (a half-open TCP connection would say nothing) */
  pingMs?: number;
}

/**
 * Listens on `channel` over a connection of its own, reconnecting until stopped. `state(false)` is called
 * as soon as the connection is known lost, before any reconnection attempt.
 */
export function postgresListener(
  url: string,
  channel: string,
  on: ListenHandlers,
  o: ListenerOptions = {},
): { stop(): Promise<void> } {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a channel name: ${channel}`);
  const retryMs = o.retryMs ?? 100;
  const maxRetryMs = o.maxRetryMs ?? 1000;
  const pingMs = o.pingMs ?? 5000;
  let stopped = false;
  let delay = retryMs;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let ping: NodeJS.Timeout | undefined;

  const connect = async () => {
    retry = undefined;
    if (stopped) return;
    const c = new pg.Client({
      connectionString: url,
      keepAlive: true,
      connectionTimeoutMillis: 5000,
      application_name: LISTENER_APPLICATION_NAME,
    });
    client = c;
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      if (ping) clearInterval(ping);
      ping = undefined;
      c.removeAllListeners('notification');
      c.end().catch(() => undefined);
      if (stopped) return;
      on.state(false);
      retry = setTimeout(() => void connect(), delay);
      retry.unref();
      delay = Math.min(maxRetryMs, delay * 2);
    };
    c.on('error', onLost);
    c.on('end', onLost);
    c.on('notification', (m) => {
      if (m.channel === channel && m.payload !== undefined) on.notify(m.payload);
    });
    try {
      await c.connect();
      await c.query(`listen ${channel}`);
    } catch {
      onLost();
      return;
    }
    if (lost || stopped) return;
    delay = retryMs;
    on.state(true);
    ping = setInterval(() => void c.query('select 1').catch(onLost), pingMs);
    ping.unref();
  };
  void connect();
  return {
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      if (ping) clearInterval(ping);
      await client?.end().catch(() => undefined);
    },
  };
}
