// Closed-loop load for the benchmarks: C requests always in flight over keep-alive connections, for a
// fixed time; measures requests per second and latency. node:http rather than fetch, so the client
// spends as little of the machine as possible.
import http from 'node:http';
import { ErrorCounts, Latencies, type LatencySummary } from './stats.ts';

export interface LoadOptions {
  url: string;
  method: 'GET' | 'POST';
  /** per request: headers and body (e.g. a different device credential each time) */
  request?: (i: number) => { headers?: Record<string, string>; body?: string };
  concurrency: number;
  durationSeconds: number;
}

export interface LoadResult {
  requests: number;
  perSecond: number;
  latencyMs: LatencySummary;
  errors: number;
  topErrors: { message: string; count: number }[];
}

export async function closedLoop(o: LoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency });
  const url = new URL(o.url);
  const lat = new Latencies();
  const errors = new ErrorCounts();
  let n = 0;
  const started = performance.now();
  const end = started + o.durationSeconds * 1000;
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const r = o.request?.(i) ?? {};
      const t = performance.now();
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: o.method,
          agent,
          headers: { ...(r.body ? { 'content-type': 'application/json' } : {}), ...r.headers },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode && res.statusCode < 400) lat.add(performance.now() - t);
            else errors.add(new Error(`HTTP ${res.statusCode}`));
            resolve();
          });
        },
      );
      req.on('error', (e) => {
        errors.add(e);
        resolve();
      });
      req.end(r.body);
    });
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (performance.now() < end) await one(n++);
    }),
  );
  agent.destroy();
  const secs = (performance.now() - started) / 1000;
  return {
    requests: lat.count,
    perSecond: Math.round(lat.count / secs),
    latencyMs: lat.summary(),
    errors: errors.total,
    topErrors: errors.top(3),
  };
}

/**
 * Open-loop load: requests start at a fixed rate whatever the answers do (as a fleet's check-ins arrive),
 * so the latency is the server's under that rate, not shaped by the client waiting.
 */
export async function openLoop(
  o: Omit<LoadOptions, 'concurrency'> & { ratePerSecond: number },
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const url = new URL(o.url);
  const lat = new Latencies();
  const errors = new ErrorCounts();
  const started = performance.now();
  const total = Math.round(o.ratePerSecond * o.durationSeconds);
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / o.ratePerSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const r = o.request?.(i) ?? {};
    const t = performance.now();
    inflight.push(
      new Promise<void>((resolve) => {
        const req = http.request(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: o.method,
            agent,
            headers: { ...(r.body ? { 'content-type': 'application/json' } : {}), ...r.headers },
          },
          (res) => {
            res.resume();
            res.on('end', () => {
              if (res.statusCode && res.statusCode < 400) lat.add(performance.now() - t);
              else errors.add(new Error(`HTTP ${res.statusCode}`));
              resolve();
            });
          },
        );
        req.on('error', (e) => {
          errors.add(e);
          resolve();
        });
        req.end(r.body);
      }),
    );
  }
  await Promise.all(inflight);
  agent.destroy();
  const secs = (performance.now() - started) / 1000;
  return {
    requests: lat.count,
    perSecond: Math.round(lat.count / secs),
    latencyMs: lat.summary(),
    errors: errors.total,
    topErrors: errors.top(3),
  };
}
