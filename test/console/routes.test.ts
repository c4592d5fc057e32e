import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { consoleRoutes } from '../../src/faces/console/routes.ts';

// The console face without a browser: files, the SPA fallback, API paths, traversal, a missing build.
describe('console routes', () => {
  let dir: string;
  let app: FastifyInstance;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'patchline-console-'));
    mkdirSync(join(dir, 'dist/assets'), { recursive: true });
    writeFileSync(join(dir, 'dist/index.html'), '<!doctype html><title>console index</title>');
    writeFileSync(join(dir, 'dist/assets/app-1234.js'), 'console.log("app")');
    writeFileSync(join(dir, 'dist/favicon.svg'), '<svg/>');
    writeFileSync(join(dir, 'secret.txt'), 'outside the build');
    app = Fastify();
    app.get('/api/v1/status', async () => ({ ok: true }));
    consoleRoutes(app, { distDir: join(dir, 'dist') });
    await app.ready();
  });
  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const html = { accept: 'text/html,application/xhtml+xml' };
  const cases: {
    name: string;
    url: string;
    headers?: Record<string, string>;
    status: number;
    body?: RegExp;
    type?: RegExp;
  }[] = [
    { name: 'the root is the index', url: '/', status: 200, body: /console index/, type: /text\/html/ },
    {
      name: 'a console route falls back to the index',
      url: '/devices/42?x=1',
      headers: html,
      status: 200,
      body: /console index/,
    },
    {
      name: 'a hashed asset',
      url: '/assets/app-1234.js',
      status: 200,
      body: /console\.log/,
      type: /javascript/,
    },
    { name: 'a top-level file', url: '/favicon.svg', status: 200, type: /image\/svg\+xml/ },
    { name: 'a missing asset is a 404, not the index', url: '/assets/gone.js', headers: html, status: 404 },
    { name: 'an unknown API path is a 404', url: '/api/v1/nothing-here', headers: html, status: 404 },
    { name: 'an unknown agent path is a 404', url: '/agent/v1/nothing', headers: html, status: 404 },
    {
      name: 'a non-page request is a 404',
      url: '/devices/42',
      headers: { accept: 'application/json' },
      status: 404,
    },
    {
      name: 'an encoded traversal stays inside the build',
      url: '/..%2fsecret.txt',
      headers: html,
      status: 404,
    },
    { name: 'a traversal stays inside the build', url: '/assets/../../secret.txt', status: 404 },
  ];
  for (const c of cases)
    it(c.name, async () => {
      const r = await app.inject({ method: 'GET', url: c.url, headers: c.headers ?? {} });
      assert.equal(r.statusCode, c.status, `${c.url}: ${r.body.slice(0, 100)}`);
      if (c.body) assert.match(r.body, c.body);
      if (c.type) assert.match(String(r.headers['content-type']), c.type);
      assert.doesNotMatch(r.body, /outside the build/);
    });

  it('real API routes still win over the fallback', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/v1/status', headers: html });
    assert.deepEqual(r.json(), { ok: true });
  });

  it('hashed assets are cached for good, the index never', async () => {
    const asset = await app.inject({ method: 'GET', url: '/assets/app-1234.js' });
    assert.match(String(asset.headers['cache-control']), /immutable/);
    const index = await app.inject({ method: 'GET', url: '/devices', headers: html });
    assert.equal(index.headers['cache-control'], 'no-cache');
  });

  it('without a build, a page tells the operator how to build', async () => {
    const bare = Fastify();
    consoleRoutes(bare, { distDir: join(dir, 'no-such-dist') });
    const r = await bare.inject({ method: 'GET', url: '/devices', headers: html });
    assert.equal(r.statusCode, 503);
    assert.match(r.body, /npm run build:web/);
    assert.match(r.body, /no-such-dist/);
    await bare.close();
  });
});
