// The installing status: an agent reports that it started an install job (idempotently), the job runs and
// its queued updates become installing, with events like every other status change; the result settles
// them as before. An install job's updates carry what the agent needs to download the package.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, client, signIn, startApp, type Client } from '../../support/api.ts';

const SHA = 'ab'.repeat(32);
const pkg = (name: string) => ({
  kind: 'deb',
  name,
  version: '2.0-1',
  architecture: 'amd64',
  isSecurity: true,
  severity: 'high',
  detection: 'missing',
});

eachDriver('agent job progress', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let orgId: number;
  let token: string;

  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    orgId = (await admin.post('/api/v1/organizations', { name: 'Progress Inc' })).body.id;
    token = (await admin.post(`/api/v1/organizations/${orgId}/install-tokens`, { name: 'x' })).body.token;
  });

  test('progress makes queued updates installing (once), the result settles them; events for each step', async () => {
    const e = await client(app).post('/agent/v1/enroll', { token, name: 'installer', osFamily: 'linux' });
    const device = e.body.deviceId as number;
    const agent = client(app, e.body.credential);
    await agent.post('/agent/v1/scans', { sequence: 1, full: true, updates: [pkg('openssl'), pkg('curl')] });
    const ups = (await admin.get(`/api/v1/devices/${device}/updates`)).body.items as {
      updateId: number;
      name: string;
    }[];
    const id = (n: string) => ups.find((u) => u.name === n)!.updateId;
    const [openssl, curl] = [id('openssl'), id('curl')];
    assert.equal(
      (await admin.post(`/api/v1/devices/${device}/updates/approve`, { updateIds: [openssl, curl] })).status,
      200,
    );
    // the catalog knows openssl's package file
    await h
      .store()
      .db.updateTable('updates')
      .set({
        sha256: SHA.toUpperCase(),
        size_bytes: 1234,
        source_url: 'https://vendor.example/openssl_2.0-1_amd64.deb',
      })
      .where('id', '=', openssl)
      .execute();
    const job = await h
      .store()
      .db.insertInto('jobs')
      .values({ organization_id: orgId, device_id: device, kind: 'install', payload: {} })
      .returning('id')
      .executeTakeFirstOrThrow();

    const c = await agent.post('/agent/v1/checkin', {});
    const handed = c.body.jobs.find((j: { id: number }) => j.id === job.id);
    const byName = new Map(handed.payload.updates.map((u: { name: string }) => [u.name, u] as const)) as Map<
      string,
      Record<string, unknown>
    >;
    assert.deepEqual(byName.get('openssl')!.package, {
      sha256: SHA,
      sizeBytes: 1234,
      sourceUrl: 'https://vendor.example/openssl_2.0-1_amd64.deb',
    });
    assert.equal('package' in byName.get('curl')!, false, 'no hash in the catalog: nothing to download');

    const status = async () =>
      new Map(
        (
          (await admin.get(`/api/v1/devices/${device}/updates`)).body.items as {
            name: string;
            status: string;
          }[]
        ).map((u) => [u.name, u.status]),
      );
    assert.deepEqual([...(await status()).values()].sort(), ['queued', 'queued']);

    // not the device's job, or an update the job does not carry: refused, nothing changes
    const other = await client(app).post('/agent/v1/enroll', { token, name: 'other' });
    const foreign = await client(app, other.body.credential).post(`/agent/v1/jobs/${job.id}/progress`, {
      stage: 'installing',
    });
    assert.equal(foreign.status, 404);
    const stranger = await agent.post(`/agent/v1/jobs/${job.id}/progress`, {
      stage: 'installing',
      updateIds: [openssl, 999_999],
    });
    assert.equal(stranger.status, 400);
    assert.match(stranger.body.detail, /does not install update\(s\) 999999/);
    assert.equal((await agent.post(`/agent/v1/jobs/${job.id}/progress`, { stage: 'done' })).status, 400);
    assert.deepEqual([...(await status()).values()].sort(), ['queued', 'queued']);

    // openssl first, then the whole job
    const p1 = await agent.post(`/agent/v1/jobs/${job.id}/progress`, {
      stage: 'installing',
      updateIds: [openssl],
    });
    assert.deepEqual(p1.body, { recorded: true, duplicate: false, installing: 1 });
    assert.deepEqual(Object.fromEntries(await status()), { openssl: 'installing', curl: 'queued' });
    const p2 = await agent.post(`/agent/v1/jobs/${job.id}/progress`, { stage: 'installing' });
    assert.deepEqual(p2.body, { recorded: true, duplicate: false, installing: 1 });
    const p3 = await agent.post(`/agent/v1/jobs/${job.id}/progress`, { stage: 'installing' });
    assert.deepEqual(
      p3.body,
      { recorded: false, duplicate: true, installing: 0 },
      'a repeat changes nothing',
    );
    assert.deepEqual(Object.fromEntries(await status()), { openssl: 'installing', curl: 'installing' });
    const row = await h
      .store()
      .db.selectFrom('jobs')
      .select(['status', 'started_at'])
      .where('id', '=', job.id)
      .executeTakeFirstOrThrow();
    assert.equal(row.status, 'running');
    assert.ok(row.started_at);
    // a running job is handed out again (an agent that restarted must learn about it)
    const again = await agent.post('/agent/v1/checkin', {});
    assert.deepEqual(
      again.body.jobs.map((j: { id: number }) => j.id),
      [job.id],
    );

    const r = await agent.post(`/agent/v1/jobs/${job.id}/result`, {
      status: 'failed',
      result: {
        updates: [
          { updateId: openssl, status: 'succeeded' },
          { updateId: curl, status: 'failed', message: 'dpkg error' },
        ],
      },
    });
    assert.deepEqual(r.body, { recorded: true, duplicate: false });
    assert.deepEqual(Object.fromEntries(await status()), { openssl: 'installed', curl: 'failed' });
    const late = await agent.post(`/agent/v1/jobs/${job.id}/progress`, { stage: 'installing' });
    assert.deepEqual(
      late.body,
      { recorded: false, duplicate: true, installing: 0 },
      'after the result: ignored',
    );

    const history = async (updateId: number) =>
      (await admin.get(`/api/v1/events?deviceId=${device}&updateId=${updateId}&limit=100&sort=id`)).body.items
        .filter((ev: { kind: string }) => ev.kind === 'device_update.status')
        .map(
          (ev: { data: { from: string; to: string; reason: string } }) =>
            `${ev.data.from}→${ev.data.to} (${ev.data.reason})`,
        );
    // (the first event is the approval's, whatever its reason says)
    assert.deepEqual((await history(openssl)).slice(1), [
      `pending→queued (job ${job.id})`,
      `queued→installing (job ${job.id})`,
      `installing→installed (job ${job.id})`,
    ]);
    const steps = (await history(curl)).slice(1);
    assert.deepEqual(steps, [
      `pending→queued (job ${job.id})`,
      `queued→installing (job ${job.id})`,
      `installing→failed (job ${job.id})`,
    ]);
    const jobEvents = (await admin.get(`/api/v1/events?deviceId=${device}&limit=100&sort=id`)).body.items
      .filter((ev: { kind: string }) => ev.kind.startsWith('job.'))
      .map((ev: { kind: string }) => ev.kind);
    assert.deepEqual(jobEvents, ['job.started', 'job.failed']);
  });
});
