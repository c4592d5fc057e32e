import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';

const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

interface Series {
  labels: Record<string, string>;
  count: number;
  sum: number;
  /** observations per bucket (not cumulative); the last is above the highest bound */
  buckets: number[];
}

/**
 * Requests by method, route and status, and their durations by method and route. Every request passes
 * here, so the counting is a map lookup and a few additions (prom-client's own counters hash their labels
 * on each call, several µs: a fifth of what a bare request costs the server); the figures are turned into
 * Prometheus text only when /metrics is read.
 */
class RequestMetrics {
  private readonly requests = new Map<string, Series>();
  private readonly durations = new Map<string, Series>();

  add(method: string, route: string, status: number, seconds: number) {
    const rk = `${method} ${route} ${status}`;
    let r = this.requests.get(rk);
    if (!r)
      this.requests.set(
        rk,
        (r = { labels: { method, route, status: String(status) }, count: 0, sum: 0, buckets: [] }),
      );
    r.count++;
    const dk = `${method} ${route}`;
    let d = this.durations.get(dk);
    if (!d)
      this.durations.set(
        dk,
        (d = { labels: { method, route }, count: 0, sum: 0, buckets: new Array(BUCKETS.length + 1).fill(0) }),
      );
    d.count++;
    d.sum += seconds;
    let b = 0;
    while (b < BUCKETS.length && seconds > BUCKETS[b]!) b++;
    d.buckets[b]!++;
  }

  /** prom-client metric objects (what Registry.registerMetric takes) */
  metrics() {
    const requestsTotal = {
      name: 'patchline_http_requests_total',
      help: 'HTTP requests by method, route and status',
      type: 'counter',
      aggregator: 'sum',
      get: async () => ({
        ...requestsTotal,
        values: [...this.requests.values()].map((s) => ({ labels: s.labels, value: s.count })),
      }),
    };
    const name = 'patchline_http_request_duration_seconds';
    const duration = {
      name,
      help: 'HTTP request duration by route',
      type: 'histogram',
      aggregator: 'sum',
      get: async () => ({
        ...duration,
        values: [...this.durations.values()].flatMap((s) => {
          let cumulative = 0;
          return [
            ...[...BUCKETS, Infinity].map((le, i) => ({
              metricName: `${name}_bucket`,
              labels: { ...s.labels, le: le === Infinity ? '+Inf' : String(le) },
              value: (cumulative += s.buckets[i]!),
            })),
            { metricName: `${name}_sum`, labels: s.labels, value: s.sum },
            { metricName: `${name}_count`, labels: s.labels, value: s.count },
          ];
        }),
      }),
    };
    return [requestsTotal, duration];
  }
}

/** a figure read when /metrics is read */
export interface Gauge {
  name: string;
  help: string;
  read: () => number;
}

/**
 * Prometheus metrics at /metrics: process metrics, requests by route and status, and the gauges the
 * server passes (read only when /metrics is read).
 */
export function registerMetrics(app: FastifyInstance, gauges: readonly Gauge[] = []) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'patchline_' });
  const requests = new RequestMetrics();
  for (const m of requests.metrics())
    registry.registerMetric(m as unknown as Parameters<Registry['registerMetric']>[0]);
  for (const g of gauges) {
    const metric = {
      name: g.name,
      help: g.help,
      type: 'gauge',
      aggregator: 'sum',
      get: async () => ({ ...metric, values: [{ labels: {}, value: g.read() }] }),
    };
    registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
  }
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    if (route !== '/metrics') requests.add(req.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.get(
    '/metrics',
    { config: { public: true, scope: 'public' }, schema: { hide: true } },
    async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
  return registry;
}
