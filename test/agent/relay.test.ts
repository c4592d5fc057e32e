// A relay agent serves packages to its network: a real server with a staged package, a relay agent
// (Agent.run with `relay`) in front of it, and a second device downloading through the relay the way
// agents do (downloadPackage, relays first). Then the relay alone against fake servers: bad bytes, one
// fetch per hash, the size cap.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Agent } from '../../src/agent/agent.ts';
import type { Backend } from '../../src/agent/backends/index.ts';
import { downloadPackage, ProtocolClient, type DownloadSource } from '../../src/agent/client.ts';
import { parseConfig } from '../../src/agent/config.ts';
import { startRelay } from '../../src/agent/relay.ts';
import { MemoryStorage } from '../../src/agent/storage.ts';
import type { Store } from '../../src/store/db.ts';
import { ADMIN_PASSWORD, client, signIn, startApp } from '../support/api.ts';
import { freshStore } from '../support/store.ts';
import { buildWorld } from '../support/world.ts';

const sha = (b: Buffer | Uint8Array) => createHash('sha256').update(b).digest('hex');
const GOOD = Buffer.from('#!/bin/sh\necho patched by the relay test\n'.repeat(300));

const listen = (s: Server) =>
  new Promise<number>((resolve) =>
    s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)),
  );
const freePort = async () => {
  const s = createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
};
const get = async (url: string) => {
  const r = await fetch(url);
  return { status: r.status, bytes: Buffer.from(await r.arrayBuffer()) };
};

const idle: Backend = {
  name: 'simulated',
  scan: async () => ({ backend: 'simulated', updates: [], inventory: [], warnings: [] }),
  install: async () => [],
} as unknown as Backend;

describe('a relay agent in front of a real server', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let app: FastifyInstance;
  let files: Server;
  let packageDir: string;
  let cacheDir: string;
  let base: string;
  let relayBase: string;
  let agentCredential: string;
  let agentDeviceId: number;
  let relayDeviceId: number;
  const stop = new AbortController();
  let running: Promise<void>;
  /** package requests the server answered, and with whose credential */
  const serverHits: string[] = [];

  before(async () => {
    packageDir = mkdtempSync(join(tmpdir(), 'patchline-relay-pkgs-'));
    cacheDir = mkdtempSync(join(tmpdir(), 'patchline-relay-cache-'));
    files = createServer((req, res) => void res.writeHead(req.url === '/good.sh' ? 200 : 404).end(GOOD));
    const filesPort = await listen(files);
    ({ store, cleanup } = await freshStore('pglite'));
    app = await startApp(store, { packageDir });
    const admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    const w = await buildWorld(admin, store);
    const u = await store.db
      .insertInto('updates')
      .values({
        natural_key: 'app:relayed',
        kind: 'app',
        name: 'relayed',
        source_url: `http://127.0.0.1:${filesPort}/good.sh`,
        sha256: sha(GOOD),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const staged = await admin.post('/api/v1/staging/ensure', { updateIds: [u.id] });
    assert.equal(staged.body.staged.length, 1, JSON.stringify(staged.body));
    const token = await admin.post(`/api/v1/organizations/${w.orgA.id}/install-tokens`, { name: 'relay' });
    const enroll = async (name: string) => {
      const e = await client(app).post('/agent/v1/enroll', { token: token.body.token, name });
      assert.equal(e.status, 201, JSON.stringify(e.body));
      return e.body as { deviceId: number; credential: string };
    };
    const relay = await enroll('relay-1');
    const agent = await enroll('agent-2');
    relayDeviceId = relay.deviceId;
    agentDeviceId = agent.deviceId;
    agentCredential = agent.credential;
    const marked = await admin.patch(`/api/v1/devices/${relay.deviceId}`, { isRelay: true });
    assert.equal(marked.status, 200, JSON.stringify(marked.body));

    const authOf = new Map([
      [relay.credential, 'relay'],
      [agent.credential, 'agent'],
    ]);
    app.server.on('request', (req) => {
      if (req.url?.startsWith('/agent/v1/packages/'))
        serverHits.push(authOf.get(req.headers.authorization?.replace(/^Bearer /, '') ?? '') ?? 'other');
    });
    base = `http://127.0.0.1:${await listen(app.server)}`;

    const relayPort = await freePort();
    relayBase = `http://127.0.0.1:${relayPort}/agent/v1/packages`;
    const relayAgent = new Agent({
      client: new ProtocolClient({ server: base, credential: relay.credential }),
      backend: idle,
      storage: new MemoryStorage(),
      intervalSeconds: 3600,
      relayPort,
      relay: { cacheDir, host: '127.0.0.1' },
    });
    running = relayAgent.run(stop.signal);
    for (let i = 0; i < 100; i++) {
      if ((await fetch(`${relayBase}/x`).catch(() => null))?.status === 400) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  after(async () => {
    stop.abort();
    await running;
    await app?.close();
    await cleanup?.();
    files?.close();
    for (const d of [packageDir, cacheDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  test("the second device's downloads go through the relay; the server is asked once, by the relay", async () => {
    const admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    const sources = await admin.get(`/api/v1/devices/${agentDeviceId}/package-sources`);
    assert.deepEqual(
      sources.body.items.map((s: { kind: string; deviceId?: number }) => s.deviceId ?? s.kind),
      [relayDeviceId, 'server', 'direct'],
      'the server tells agent-2 to use relay-1 first',
    );
    const via: DownloadSource[] = [
      { kind: 'relay', url: `${relayBase}/${sha(GOOD)}` },
      { kind: 'server', url: `${base}/agent/v1/packages/${sha(GOOD)}` },
    ];
    const first = await downloadPackage(sha(GOOD), via, { allowDirect: false, credential: agentCredential });
    assert.equal(first.source.kind, 'relay');
    assert.deepEqual(first.attempts, []);
    assert.equal(sha(first.bytes), sha(GOOD));
    assert.deepEqual(serverHits, ['relay'], 'the relay fetched it with its own credential');
    assert.ok(existsSync(join(cacheDir, sha(GOOD))), 'kept in the cache, named by its hash');

    const second = await downloadPackage(sha(GOOD), via, { allowDirect: false, credential: agentCredential });
    assert.equal(second.source.kind, 'relay');
    assert.equal(sha(second.bytes), sha(GOOD));
    assert.deepEqual(serverHits, ['relay'], 'the second download came from the cache');
  });

  test('a tampered cached file is never served: it is deleted and fetched again', async () => {
    const cached = join(cacheDir, sha(GOOD));
    assert.ok(existsSync(cached));
    const before = serverHits.length;
    writeFileSync(cached, 'tampered bytes on the relay disk');
    const r = await get(`${relayBase}/${sha(GOOD)}`);
    assert.equal(r.status, 200);
    assert.equal(sha(r.bytes), sha(GOOD), 'the genuine bytes, fetched again');
    assert.equal(serverHits.length, before + 1);
    const again = await get(`${relayBase}/${sha(GOOD)}`);
    assert.equal(sha(again.bytes), sha(GOOD));
    assert.equal(serverHits.length, before + 1, 'the repaired cache serves it');
  });

  test('an unknown hash, a malformed name and another path answer errors and cache nothing', async () => {
    const unknown = sha(Buffer.from('never staged'));
    const r = await fetch(`${relayBase}/${unknown}`);
    assert.equal(r.status, 404);
    assert.match(await r.text(), /no package with this hash/);
    assert.equal((await get(`${relayBase}/not-a-hash`)).status, 400);
    assert.equal((await get(`${relayBase.replace('/packages', '/checkin')}`)).status, 404);
    assert.equal((await fetch(`${relayBase}/${sha(GOOD)}`, { method: 'POST' })).status, 405);
    assert.deepEqual(
      readdirSync(cacheDir).filter((f) => f !== sha(GOOD)),
      [],
      'nothing else is stored (no temporary files either)',
    );
  });

  test('the relay stops with the agent', async () => {
    stop.abort();
    await running;
    await assert.rejects(fetch(`${relayBase}/${sha(GOOD)}`));
  });
});

describe('the relay alone', () => {
  /** a fake server: answers a known hash with its bytes (after a delay), counting requests per hash */
  function fakeServer(content: Map<string, Buffer>, delayMs = 0) {
    const hits = new Map<string, number>();
    const server = createServer((req, res) => {
      const h = req.url!.split('/').pop()!;
      hits.set(h, (hits.get(h) ?? 0) + 1);
      setTimeout(() => {
        const body = content.get(h);
        if (!body) return void res.writeHead(404).end();
        res.writeHead(200, { 'content-length': body.length }).end(body);
      }, delayMs);
    });
    return { server, hits };
  }
  const dirs: string[] = [];
  const cacheDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'patchline-relay-only-'));
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  async function setup(content: Map<string, Buffer>, o: { delayMs?: number; maxCacheBytes?: number } = {}) {
    const fake = fakeServer(content, o.delayMs);
    const port = await listen(fake.server);
    const dir = cacheDir();
    const relay = await startRelay({
      port: 0,
      host: '127.0.0.1',
      cacheDir: dir,
      packageUrl: (h) => `http://127.0.0.1:${port}/agent/v1/packages/${h}`,
      credential: () => 'pld_relay',
      ...(o.maxCacheBytes ? { maxCacheBytes: o.maxCacheBytes } : {}),
    });
    const url = (h: string) => `http://127.0.0.1:${relay.port}/agent/v1/packages/${h}`;
    const close = async () => {
      await relay.close();
      fake.server.close();
    };
    return { fake, relay, dir, url, close };
  }

  test('bytes from the server that do not match the hash are neither served nor stored', async () => {
    const claimed = sha(GOOD);
    const s = await setup(new Map([[claimed, Buffer.from('a mirror served something else')]]));
    const r = await fetch(s.url(claimed));
    assert.equal(r.status, 502);
    assert.match(await r.text(), /do not match the hash/);
    assert.deepEqual(readdirSync(s.dir), []);
    await s.close();
  });

  test('an unreachable server answers 502', async () => {
    const dir = cacheDir();
    const relay = await startRelay({
      port: 0,
      host: '127.0.0.1',
      cacheDir: dir,
      packageUrl: (h) => `http://127.0.0.1:1/agent/v1/packages/${h}`,
      credential: () => undefined,
    });
    const r = await fetch(`http://127.0.0.1:${relay.port}/agent/v1/packages/${sha(GOOD)}`);
    assert.equal(r.status, 502);
    assert.match(await r.text(), /unreachable/);
    await relay.close();
  });

  test('concurrent requests for one hash make one fetch', async () => {
    const s = await setup(new Map([[sha(GOOD), GOOD]]), { delayMs: 150 });
    const got = await Promise.all(Array.from({ length: 6 }, () => get(s.url(sha(GOOD)))));
    assert.deepEqual(
      got.map((g) => [g.status, sha(g.bytes)]),
      Array.from({ length: 6 }, () => [200, sha(GOOD)]),
    );
    assert.equal(s.fake.hits.get(sha(GOOD)), 1);
    assert.deepEqual(s.relay.stats, { cacheHits: 0, fetched: 1 });
    await s.close();
  });

  test('the cache keeps under its cap, the least recently served package goes first', async () => {
    const pkgs = ['a', 'b', 'c'].map((c) => Buffer.alloc(100, c));
    const s = await setup(new Map(pkgs.map((p) => [sha(p), p])), { maxCacheBytes: 250 });
    const [a, b, c] = pkgs.map((p) => sha(p)) as [string, string, string];
    assert.equal((await get(s.url(a))).status, 200);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await get(s.url(b))).status, 200);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await get(s.url(a))).status, 200, 'a served again: now b is the oldest');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal((await get(s.url(c))).status, 200);
    assert.deepEqual(readdirSync(s.dir).sort(), [a, c].sort());
    assert.deepEqual(s.relay.stats, { cacheHits: 1, fetched: 3 });
    assert.equal(s.fake.hits.get(b), 1);
    await s.close();
  });
});

test('the agent config takes a relay section', () => {
  const base = {
    server: 'https://patch.example.com',
    deviceId: 1,
    organizationId: 1,
    credential: 'pld_x',
    backend: { kind: 'simulated' },
    stateDir: '/tmp/x',
    checkinIntervalSeconds: 300,
  };
  assert.deepEqual(parseConfig({ ...base, relay: { maxCacheBytes: 1024 } }).relay, { maxCacheBytes: 1024 });
  assert.throws(
    () => parseConfig({ ...base, relay: { maxCacheBytes: -1, host: '' } }),
    /"relay.maxCacheBytes" must be a positive number of bytes; "relay.host" must be/,
  );
  assert.throws(() => parseConfig({ ...base, relay: 'yes' }), /"relay" must be an object/);
});
