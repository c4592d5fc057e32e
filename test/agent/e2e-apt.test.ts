// End to end with the real apt backend: a real server (in-process, on a loopback port), the agent with
// real apt and dpkg on an isolated root, real .deb packages in a local file repository. Enroll, scan,
// approve, run an install task, and follow each update's status and history through the native API.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
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
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../support/api.ts';
import { eachDriver } from '../support/store.ts';
import { aptSkip, buildPackage, FAILING_POSTINST, indexRepo, missingTools } from './apt-support.ts';

const skip = aptSkip(await missingTools());

eachDriver('agent end to end with real apt', (h) => {
  let work: string;
  let root: AptRoot;
  let app: FastifyInstance;
  let admin: Client;
  let orgId: number;
  let server: string;

  before(async () => {
    if (skip) return;
    work = await mkdtemp(join(tmpdir(), 'pl-agent-e2e-'));
    const repo = join(work, 'repo');
    await mkdir(repo);
    await buildPackage(work, repo, 'plhello', '1.0');
    await buildPackage(work, repo, 'plhello', '1.1');
    await buildPackage(work, repo, 'plfail', '1.0');
    await buildPackage(work, repo, 'plfail', '1.1', FAILING_POSTINST);
    await indexRepo(repo);
    root = await createAptRoot(join(work, 'root'), [`deb [trusted=yes] file:${repo} ./`]);
    const env = { APT_CONFIG: root.aptConfigFile, DEBIAN_FRONTEND: 'noninteractive' };
    assert.equal((await spawnRunner('apt-get', ['update', '-q'], { env })).code, 0);
    const inst = await spawnRunner('apt-get', ['install', '-y', '-q', 'plhello=1.0', 'plfail=1.0'], { env });
    assert.equal(inst.code, 0, inst.stderr);

    app = await startApp(h.store());
    await app.listen({ port: 0, host: '127.0.0.1' });
    server = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    orgId = (await admin.post('/api/v1/organizations', { name: 'Apt Shop' })).body.id;
  });

  after(async () => {
    await app?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  test(
    'enroll, scan, approve, install; a failing install becomes failed, and a retry after the fix installs it',
    { skip },
    async () => {
      const token = (await admin.post(`/api/v1/organizations/${orgId}/install-tokens`, { name: 'e2e' })).body
        .token;
      const client = new ProtocolClient({ server });
      const e = await client.enroll({ token, name: 'deb-1', osFamily: 'linux', agentVersion: '0.1.0' });
      client.credential = e.credential;
      const agent = new Agent({
        client,
        backend: new AptBackend({ root }),
        storage: new FileStorage(join(work, 'state')),
        refreshOnScan: true,
      });
      const device = e.deviceId;

      // the first scan: both upgrades appear as missing through the native API
      await agent.scanAndQueue(true);
      await agent.cycle();
      const updates = async () =>
        new Map(
          (await admin.get(`/api/v1/devices/${device}/updates?limit=100`)).body.items.map(
            (u: { name: string }) => [u.name, u] as const,
          ),
        ) as Map<
          string,
          {
            updateId: number;
            status: string;
            version: string;
            installedVersion: string;
            lastError: string | null;
          }
        >;
      let u = await updates();
      assert.deepEqual(
        ['plhello', 'plfail'].map((n) => [
          n,
          u.get(n)?.status,
          u.get(n)?.version,
          u.get(n)?.installedVersion,
        ]),
        [
          ['plhello', 'missing', '1.1', '1.0'],
          ['plfail', 'missing', '1.1', '1.0'],
        ],
      );
      const hello = u.get('plhello')!.updateId;
      const fail = u.get('plfail')!.updateId;

      // approve both, run an install task on the device, and let the engine make the job
      const ap = await admin.post(`/api/v1/devices/${device}/updates/approve`, { updateIds: [hello, fail] });
      assert.deepEqual(ap.body, { decisions: 2, changed: 2 });
      const installTask = async () => {
        await runNow(systemContext(h.store(), 'test'), {
          organizationId: orgId,
          kind: 'install',
          parameters: { target: { kind: 'devices', ids: [device] } },
        });
        assert.equal(await createEngine({ store: h.store(), owner: 'e2e' }).tick(), 1);
      };
      await installTask();
      const r = await agent.cycle();
      assert.equal(r.jobs, 1);
      assert.equal(r.queued, 0);

      u = await updates();
      assert.deepEqual([u.get('plhello')?.status, u.get('plfail')?.status], ['installed', 'failed']);
      assert.match(u.get('plfail')!.lastError ?? '', /dpkg returned an error code \(1\)/);
      const db = await spawnRunner('dpkg-query', [
        `--admindir=${root.admindir}`,
        '-W',
        '-f',
        '${Package} ${Version} ${db:Status-Abbrev}\\n',
      ]);
      assert.match(db.stdout, /^plhello 1\.1 ii/m);
      assert.match(db.stdout, /^plfail 1\.1 iF/m);

      // the job's result as the server stored it
      const job = await h
        .store()
        .db.selectFrom('jobs')
        .selectAll()
        .where('device_id', '=', device)
        .executeTakeFirstOrThrow();
      assert.equal(job.status, 'failed');
      assert.deepEqual(
        (job.result as { updates: { name: string; status: string }[] }).updates
          .map((x) => [x.name, x.status])
          .sort(),
        [
          ['plfail', 'failed'],
          ['plhello', 'succeeded'],
        ],
      );

      // a later scan does not turn the half-configured package into "installed"
      await agent.scanAndQueue(false);
      await agent.cycle();
      assert.equal((await updates()).get('plfail')?.status, 'failed');

      // fix the cause, retry, install again
      await writeFile(join(root.root, 'etc/plfail.ok'), 'fixed\n');
      const retry = await admin.post(`/api/v1/devices/${device}/updates/retry`, { updateIds: [fail] });
      assert.deepEqual(retry.body, { decisions: 0, changed: 1 });
      assert.equal((await updates()).get('plfail')?.status, 'pending');
      await installTask();
      await agent.cycle();
      u = await updates();
      assert.deepEqual([u.get('plhello')?.status, u.get('plfail')?.status], ['installed', 'installed']);

      // the history shows each step
      const history = async (updateId: number) =>
        (
          await admin.get(`/api/v1/events?deviceId=${device}&updateId=${updateId}&limit=100&sort=id`)
        ).body.items
          .filter((ev: { kind: string }) => ev.kind.startsWith('device_update.'))
          .map((ev: { data: { from: string | null; to: string } }) => `${ev.data.from ?? '-'}→${ev.data.to}`);
      // (the agent reports the start of each install: its updates are installing until the result)
      assert.deepEqual(await history(hello), [
        '-→missing',
        'missing→pending',
        'pending→queued',
        'queued→installing',
        'installing→installed',
      ]);
      assert.deepEqual(await history(fail), [
        '-→missing',
        'missing→pending',
        'pending→queued',
        'queued→installing',
        'installing→failed',
        'failed→pending',
        'pending→queued',
        'queued→installing',
        'installing→installed',
      ]);
    },
  );
});
