import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, client, signIn, startApp, type Client } from '../../support/api.ts';
import { buildWorld, type World } from '../../support/world.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const GOOD = Buffer.from('#!/bin/sh\necho patched\n'.repeat(500));
const GENUINE = Buffer.from('what the vendor published\n');
const TAMPERED = Buffer.from('what the mirror serves instead\n');

eachDriver('package staging API and agent downloads', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let w: World;
  let files: Server;
  let dir: string;
  let credential: string;
  const ids = { good: 0, tampered: 0 };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'patchline-packages-'));
    files = createServer((req, res) => {
      const body = req.url === '/good.sh' ? GOOD : req.url === '/tampered.bin' ? TAMPERED : null;
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200).end(body);
    });
    await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    app = await startApp(h.store(), { packageDir: dir });
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
    for (const [key, file, hash] of [
      ['good', 'good.sh', sha(GOOD)],
      ['tampered', 'tampered.bin', sha(GENUINE)],
    ] as const) {
      const r = await h
        .store()
        .db.insertInto('updates')
        .values({
          natural_key: `app:${key}`,
          kind: 'app',
          name: key,
          source_url: `${base}/${file}`,
          sha256: hash,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids[key] = r.id;
    }
    const token = await admin.post(`/api/v1/organizations/${w.orgA.id}/install-tokens`, { name: 'staging' });
    assert.equal(token.status, 201, JSON.stringify(token.body));
    const e = await client(app).post('/agent/v1/enroll', { token: token.body.token, name: 'agent-1' });
    assert.equal(e.status, 201, JSON.stringify(e.body));
    credential = e.body.credential;
  });
  after(async () => {
    await app?.close();
    files?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('staging through the API: the matching package is staged, the mismatching one rejected', async () => {
    const r = await admin.post('/api/v1/staging/ensure', { updateIds: [ids.good, ids.tampered] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(
      r.body.staged.map((p: { updateId: number }) => p.updateId),
      [ids.good],
    );
    assert.deepEqual(
      r.body.errors.map((p: { updateId: number }) => p.updateId),
      [ids.tampered],
    );
    assert.equal((await admin.get(`/api/v1/staging/updates/${ids.good}`)).body.staged, true);
    assert.equal((await admin.get(`/api/v1/staging/updates/${ids.tampered}`)).body.staged, false);
    const notStaged = await admin.get('/api/v1/staging/updates?staged=false&downloadable=true');
    assert.deepEqual(
      notStaged.body.items.map((u: { id: number }) => u.id),
      [ids.tampered],
    );
    const bad = await admin.post('/api/v1/staging/ensure', {});
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.body), /give updateIds or bulletinIds/);
  });

  test('an enrolled device downloads the staged package; without a credential it is refused; rejected files are never served', async () => {
    const agent = client(app, credential);
    const ok = await app.inject({
      method: 'GET',
      url: `/agent/v1/packages/${sha(GOOD)}`,
      headers: { authorization: `Bearer ${credential}` },
    });
    assert.equal(ok.statusCode, 200);
    assert.equal(sha(ok.rawPayload), sha(GOOD));
    assert.equal(Number(ok.headers['content-length']), GOOD.length);
    assert.equal((await client(app).get(`/agent/v1/packages/${sha(GOOD)}`)).status, 401);
    assert.equal((await client(app, 'not-a-credential').get(`/agent/v1/packages/${sha(GOOD)}`)).status, 401);
    assert.equal((await agent.get(`/agent/v1/packages/${sha(GENUINE)}`)).status, 404);
    assert.equal((await agent.get(`/agent/v1/packages/${sha(TAMPERED)}`)).status, 404);
    assert.equal((await agent.get('/agent/v1/packages/not-a-hash')).status, 400);
  });

  test('package sources of a device through the API; 404 for a device outside the scope', async () => {
    await admin.patch(`/api/v1/devices/${w.deviceA2.id}`, { isRelay: true });
    const r = await admin.get(`/api/v1/devices/${w.deviceA.id}/package-sources`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(
      r.body.items.map((s: { kind: string; deviceId?: number }) => s.deviceId ?? s.kind),
      [w.deviceA2.id, 'server', 'direct'],
    );
  });
});
