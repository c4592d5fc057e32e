import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'node:https';
import { join } from 'node:path';
import { buildServer } from '../../../src/server.ts';
import { freshStore } from '../../support/store.ts';

// Several product clients only speak HTTPS: with a certificate and key the server serves TLS.
test('serves HTTPS when given a certificate and key', async () => {
  const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
  const cert = join(fixtures, 'test-cert.pem');
  const key = join(fixtures, 'test-key.pem');
  const { store, cleanup } = await freshStore('pglite');
  const app = await buildServer({
    config: { logLevel: 'silent', bodyLimit: 1 << 20, tlsCert: cert, tlsKey: key },
    store,
    logger: false,
  });
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    const body = await new Promise<string>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false }, (res) => {
        let data = '';
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve(data));
      })
        .on('error', reject)
        .end();
    });
    assert.equal(JSON.parse(body).status, 'ok');
  } finally {
    await app.close();
    await cleanup();
  }
});
