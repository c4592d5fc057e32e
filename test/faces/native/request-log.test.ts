import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { buildServer } from '../../../src/server.ts';
import { freshStore } from '../../support/store.ts';

// Info logging writes one line per request (method, url, status, time), not Fastify's two
// ("incoming request" and "request completed").
test('the request log has one line per request', async () => {
  const lines: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const { store, cleanup } = await freshStore('pglite');
  const app = await buildServer({ config: { logLevel: 'info', bodyLimit: 1 << 20 }, store, logStream });
  try {
    await app.ready();
    const urls = ['/healthz', '/api/v1/me', '/api/v1/no-such-thing'];
    const statuses: number[] = [];
    for (const url of urls) statuses.push((await app.inject({ method: 'GET', url })).statusCode);
    const requests = lines
      .map((l) => JSON.parse(l) as { msg?: string; method?: string; url?: string; statusCode?: number })
      .filter((e) => e.url !== undefined || /request/.test(e.msg ?? ''));
    assert.deepEqual(
      requests.map((e) => [e.msg, e.method, e.url, e.statusCode]),
      urls.map((u, i) => ['request', 'GET', u, statuses[i]]),
      lines.join('\n'),
    );
    assert.ok(!lines.some((l) => /incoming request|request completed/.test(l)), lines.join('\n'));
  } finally {
    await app.close();
    await cleanup();
  }
});
