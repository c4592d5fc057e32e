// End to end with real apt: an update whose package the catalog knows (SHA-256, size, source URL) is
// downloaded by the agent by hash (here from the vendor, as direct download is allowed and the server has
// not staged it) and installed from that file by apt: the archive no longer offers that version, so only
// the downloaded file can have put it there.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Agent } from '../../src/agent/agent.ts';
import { AptBackend } from '../../src/agent/backends/apt.ts';
import { createAptRoot, type AptRoot } from '../../src/agent/backends/apt-root.ts';
import { spawnRunner } from '../../src/agent/backends/runner.ts';
import { ProtocolClient } from '../../src/agent/client.ts';
import { FileStorage } from '../../src/agent/storage.ts';
import { createEngine } from '../../src/engine/engine.ts';
import { systemContext } from '../../src/services/context.ts';
import { runNow } from '../../src/services/tasks.ts';
import { ADMIN_PASSWORD, signIn, startApp } from '../support/api.ts';
import type { Store } from '../../src/store/db.ts';
import { freshStore } from '../support/store.ts';
import { aptSkip, buildPackage, indexRepo, missingTools } from './apt-support.ts';

const skip = aptSkip(await missingTools());

let work: string;
let repo: string;
let root: AptRoot;
let app: FastifyInstance;
let store: Store;
let cleanup: () => Promise<void>;
let vendor: Server;
let vendorHits = 0;
let deb: Buffer;

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), 'pl-apt-download-'));
  repo = join(work, 'repo');
  await mkdir(repo);
  await buildPackage(work, repo, 'plhello', '1.0');
  await buildPackage(work, repo, 'plhello', '1.1');
  await indexRepo(repo);
  root = await createAptRoot(join(work, 'root'), [`deb [trusted=yes] file:${repo} ./`]);
  const env = { APT_CONFIG: root.aptConfigFile, DEBIAN_FRONTEND: 'noninteractive' };
  assert.equal((await spawnRunner('apt-get', ['update', '-q'], { env })).code, 0);
  assert.equal((await spawnRunner('apt-get', ['install', '-y', '-q', 'plhello=1.0'], { env })).code, 0);
  deb = await readFile(join(repo, 'plhello_1.1_all.deb'));
  vendor = createServer((_req, res) => {
    vendorHits++;
    res.writeHead(200, { 'content-type': 'application/vnd.debian.binary-package' }).end(deb);
  });
  await new Promise<void>((r) => vendor.listen(0, '127.0.0.1', r));
  ({ store, cleanup } = await freshStore('pglite'));
  app = await startApp(store);
  await app.listen({ port: 0, host: '127.0.0.1' });
});
after(async () => {
  await app?.close();
  vendor?.close();
  await cleanup?.();
  if (work) await rm(work, { recursive: true, force: true });
});

test('apt installs the downloaded, hash-verified package file', { skip }, async () => {
  const server = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const admin = await signIn(app, 'admin', ADMIN_PASSWORD);
  const orgId = (await admin.post('/api/v1/organizations', { name: 'Downloads' })).body.id as number;
  const token = (await admin.post(`/api/v1/organizations/${orgId}/install-tokens`, {})).body.token as string;
  const client = new ProtocolClient({ server });
  const e = await client.enroll({ token, name: 'deb-dl', osFamily: 'linux' });
  client.credential = e.credential;
  const agent = new Agent({
    client,
    backend: new AptBackend({ root }),
    storage: new FileStorage(join(work, 'state')),
    downloadDir: join(work, 'downloads'),
  });
  await agent.scanAndQueue(false);
  await agent.cycle();
  const u = (await admin.get(`/api/v1/devices/${e.deviceId}/updates`)).body.items.find(
    (x: { name: string }) => x.name === 'plhello',
  );
  assert.equal(u.version, '1.1');

  // the catalog learns the package; the archive stops offering 1.1 (only the file can install it now)
  const port = (vendor.address() as { port: number }).port;
  await rename(join(repo, 'plhello_1.1_all.deb'), join(work, 'plhello_1.1_all.deb'));
  await indexRepo(repo);
  const env = { APT_CONFIG: root.aptConfigFile, DEBIAN_FRONTEND: 'noninteractive' };
  assert.equal((await spawnRunner('apt-get', ['update', '-q'], { env })).code, 0);
  await setPackage(u.updateId, `http://127.0.0.1:${port}/pool/main/p/plhello/plhello_1.1_all.deb`);

  assert.equal(
    (await admin.post(`/api/v1/devices/${e.deviceId}/updates/approve`, { updateIds: [u.updateId] })).status,
    200,
  );
  await runNow(systemContext(store, 'test'), {
    organizationId: orgId,
    kind: 'install',
    parameters: { target: { kind: 'devices', ids: [e.deviceId] } },
  });
  assert.equal(await createEngine({ store, owner: 'e2e-dl' }).tick(), 1);
  const r = await agent.cycle();
  assert.equal(r.jobs, 1);
  assert.equal(vendorHits, 1, 'downloaded from the vendor (not staged on the server, direct allowed)');
  const q = await spawnRunner('dpkg-query', [
    `--admindir=${root.admindir}`,
    '-W',
    '-f',
    '${Version} ${db:Status-Abbrev}',
    'plhello',
  ]);
  assert.equal(q.stdout.trim(), '1.1 ii');
  const after = (await admin.get(`/api/v1/devices/${e.deviceId}/updates`)).body.items.find(
    (x: { updateId: number }) => x.updateId === u.updateId,
  );
  assert.equal(after.status, 'installed');
});

/** what a catalog import would record: the package's hash, size and address */
async function setPackage(updateId: number, url: string) {
  await store.db
    .updateTable('updates')
    .set({ sha256: createHash('sha256').update(deb).digest('hex'), size_bytes: deb.length, source_url: url })
    .where('id', '=', updateId)
    .execute();
}
