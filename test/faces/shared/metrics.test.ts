import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { registerMetrics } from '../../../src/faces/shared/metrics.ts';

describe('request metrics', () => {
  it('counts requests by method, route and status, and their durations in cumulative buckets', async () => {
    const app = Fastify();
    registerMetrics(app);
    app.get('/items/:id', async () => ({ ok: true }));
    app.post('/slow', async () => {
      await new Promise((r) => setTimeout(r, 30));
      return {};
    });
    for (let i = 0; i < 3; i++) await app.inject({ url: `/items/${i}` });
    await app.inject({ method: 'POST', url: '/slow' });
    await app.inject({ url: '/nowhere' });
    await app.inject({ url: '/metrics' });
    const text = (await app.inject({ url: '/metrics' })).body;
    const value = (line: string) => {
      const l = text.split('\n').find((x) => x.startsWith(`${line} `));
      assert.ok(l, `no line ${line} in:\n${text}`);
      return Number(l.split(' ').pop());
    };
    assert.equal(value('patchline_http_requests_total{method="GET",route="/items/:id",status="200"}'), 3);
    assert.equal(value('patchline_http_requests_total{method="POST",route="/slow",status="200"}'), 1);
    assert.equal(value('patchline_http_requests_total{method="GET",route="unmatched",status="404"}'), 1);
    assert.doesNotMatch(text, /route="\/metrics"/);
    const h = 'patchline_http_request_duration_seconds';
    assert.equal(value(`${h}_count{method="POST",route="/slow"}`), 1);
    assert.ok(value(`${h}_sum{method="POST",route="/slow"}`) >= 0.029);
    assert.equal(value(`${h}_bucket{method="POST",route="/slow",le="0.025"}`), 0);
    assert.equal(
      value(`${h}_bucket{method="POST",route="/slow",le="0.05"}`) +
        value(`${h}_bucket{method="POST",route="/slow",le="0.1"}`) >=
        1,
      true,
    );
    assert.equal(value(`${h}_bucket{method="POST",route="/slow",le="+Inf"}`), 1);
    assert.equal(value(`${h}_bucket{method="GET",route="/items/:id",le="+Inf"}`), 3);
    assert.match(text, /# TYPE patchline_http_request_duration_seconds histogram/);
    assert.match(text, /patchline_process_cpu_user_seconds_total/);
    await app.close();
  });
});
