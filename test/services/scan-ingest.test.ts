import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { ADMIN_PASSWORD, client, signIn, startApp, type Client } from '../support/api.ts';
import { countingStore } from '../support/counting-store.ts';
import { eachDriver } from '../support/store.ts';

// Scan ingest is set-based (issue 17): a report costs the same statements whatever its size, a report may
// name an update twice, and devices reporting the same new updates at once all get them.

const pkg = (i: number, detection = 'missing', release = '') => ({
  kind: 'deb',
  name: `ingest${release}-pkg${i}`,
  version: `1.${i}-1`,
  architecture: 'amd64',
  isSecurity: i % 2 === 0,
  ...(i % 2 === 0 ? { cves: [`CVE-2026-${20000 + i}`] } : {}),
  detection,
});
const scan = (n: number, release = '') => Array.from({ length: n }, (_, i) => pkg(i, 'missing', release));

eachDriver('set-based scan ingest', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let token: string;
  let store: ReturnType<typeof countingStore>;
  let serial = 0;
  const enroll = async () => {
    const e = await client(app).post('/agent/v1/enroll', {
      token,
      name: `ingest-${++serial}`,
      osFamily: 'linux',
    });
    assert.equal(e.status, 201, JSON.stringify(e.body));
    return { id: e.body.deviceId as number, agent: client(app, e.body.credential as string) };
  };
  const rowsOf = async (deviceId: number) =>
    (
      await sql<{
        n: number;
      }>`select count(*)::int as n from device_updates where device_id = ${deviceId}`.execute(h.store().db)
    ).rows[0]!.n;

  before(async () => {
    store = countingStore(h.store());
    app = await startApp(store);
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    const org = (await admin.post('/api/v1/organizations', { name: 'Ingest' })).body;
    token = (await admin.post(`/api/v1/organizations/${org.id}/install-tokens`, { name: 't' })).body.token;
  });
  after(async () => app?.close());

  test('a report of 300 updates costs the statements of a report of 30', async () => {
    const counted = async (n: number) => {
      const d = await enroll();
      store.reset();
      const r = await d.agent.post('/agent/v1/scans', { sequence: 1, full: true, updates: scan(n) });
      assert.deepEqual([r.status, r.body.accepted, r.body.updates, r.body.changes], [200, true, n, n]);
      assert.equal(await rowsOf(d.id), n);
      return store.statements.length;
    };
    await counted(30); // the catalog's first updates: the same path as later, without the first-use noise
    const small = await counted(30);
    const big = await counted(300);
    assert.equal(big, small, 'no statement per update');
    assert.ok(big <= 20, `${big} statements for a report`);
  });

  test('an update named twice in one report is stored once, as last reported', async () => {
    const d = await enroll();
    const r = await d.agent.post('/agent/v1/scans', {
      sequence: 1,
      full: true,
      updates: [pkg(1), pkg(2), pkg(1, 'installed')],
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const ups = await admin.get(`/api/v1/devices/${d.id}/updates?sort=name`);
    assert.deepEqual(
      ups.body.items.map((u: { name: string; status: string }) => [u.name, u.status]),
      [
        ['ingest-pkg1', 'installed'],
        ['ingest-pkg2', 'missing'],
      ],
    );
  });

  test('devices reporting the same new updates at once each store all of them', async () => {
    const devices = await Promise.all(Array.from({ length: 6 }, () => enroll()));
    const answers = await Promise.all(
      devices.map((d) =>
        d.agent.post('/agent/v1/scans', { sequence: 1, full: false, updates: scan(12, '-rel') }),
      ),
    );
    for (const a of answers) assert.deepEqual([a.status, a.body.accepted, a.body.changes], [200, true, 12]);
    for (const d of devices) assert.equal(await rowsOf(d.id), 12);
    const catalog = await sql<{
      n: number;
    }>`select count(*)::int as n from updates where name like 'ingest-rel-pkg%'`.execute(h.store().db);
    assert.equal(catalog.rows[0]!.n, 12, 'each new update once in the catalog');
    const events = await sql<{ n: number }>`select count(*)::int as n from events
      where kind = 'device_update.detected' and device_id = any(${devices.map((d) => d.id)}::bigint[])`.execute(
      h.store().db,
    );
    assert.equal(events.rows[0]!.n, 6 * 12, 'every detection is in the history');
  });
});
