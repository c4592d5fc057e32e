// Idle check-ins are answered from memory on every replica; the change feed (migration 0017, LISTEN/
// NOTIFY) tells each replica what changed. A new job, a settings change, a revoked credential, a retired
// device and a deleted device must reach the device's next check-in on ANY replica within one second:
// on two replicas (two servers) over one PostgreSQL database, on PGlite for one replica, and on
// PostgreSQL with the listener's connection killed in the middle (fallback to the short cache, then it
// listens again). "Within one second" is checked as: a check-in that starts one second or more after the
// change returned must show it (a bounded poll; no other timing is asserted).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { createEngine } from '../../../src/engine/engine.ts';
import { tokenHash } from '../../../src/services/secrets.ts';
import {
  checkInWithCredential,
  closeCheckins,
  deviceMemoryStats,
  flushLastSeen,
  warmCheckins,
} from '../../../src/services/agents.ts';
import { deviceMemory } from '../../../src/services/device-cache.ts';
import { LISTENER_APPLICATION_NAME } from '../../../src/store/change-feed.ts';
import { openStore, type Store } from '../../../src/store/db.ts';
import { countingStore } from '../../support/counting-store.ts';
import { freshPostgresDatabase, freshStore, postgresSkip } from '../../support/store.ts';
import { ADMIN_PASSWORD, client, signIn, startApp, type Client, type Res } from '../../support/api.ts';
import { weeklyWindowSettings } from '../../support/windows.ts';

/** Tuesdays 01:00–05:00 (GravityZone's weekly scheduler in the native window settings) */
const WINDOW = {
  ...weeklyWindowSettings({ days: [2], startHour: 1, endHour: 5 }),
  download: { cachingServers: [], directDownloadFallback: true },
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Checks in until `shows` holds; fails when a check-in that started one second or more after `since`
 * (the moment the change returned) still does not show it.
 */
async function reachesWithinOneSecond(
  since: number,
  checkIn: () => Promise<Res>,
  shows: (r: Res) => boolean,
  what: string,
) {
  for (;;) {
    const started = performance.now();
    const r = await checkIn();
    if (shows(r)) return r;
    if (started - since >= 1000)
      assert.fail(
        `${what}: a check-in 1 s after the change still answered ${r.status} ${JSON.stringify(r.body)}`,
      );
    await sleep(20);
  }
}

/** polls (bounded) until `ok` holds */
async function until(ok: () => boolean, what: string, ms = 20_000) {
  const end = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > end) assert.fail(`not reached in ${ms} ms: ${what}`);
    await sleep(20);
  }
}

interface Replica {
  app: FastifyInstance;
  store: Store;
}

/** the scenarios, with the change made on `writer` and the check-ins sent to every replica */
function scenarios(replicas: () => Replica[]) {
  let admin: Client;
  let orgId: number;
  let groupId: number;
  let token: string;

  before(async () => {
    const [w] = replicas();
    admin = await signIn(w!.app, 'admin', ADMIN_PASSWORD);
    orgId = (await admin.post('/api/v1/organizations', { name: `Feed ${Math.random()}` })).body.id;
    groupId = (await admin.post('/api/v1/groups', { organizationId: orgId, name: 'Servers' })).body.id;
    token = (await admin.post(`/api/v1/organizations/${orgId}/install-tokens`, { name: 'feed', groupId }))
      .body.token;
  });

  /** a device that every replica remembers (its entry vouched for by the feed) */
  const rememberedDevice = async (name: string) => {
    const [w] = replicas();
    for (const r of replicas()) {
      const m = deviceMemory(r.store);
      await until(() => m.epoch !== 0, 'the replica listens');
    }
    const e = await client(w!.app).post('/agent/v1/enroll', {
      token,
      name,
      osFamily: 'linux',
      timeZone: 'UTC',
    });
    assert.equal(e.status, 201, JSON.stringify(e.body));
    const d = { id: e.body.deviceId as number, credential: e.body.credential as string, hash: '' };
    const first = await client(w!.app, d.credential).post('/agent/v1/checkin', {});
    d.hash = first.body.settingsHash;
    for (const r of replicas()) {
      const c = await client(r.app, d.credential).post('/agent/v1/checkin', { settingsHash: d.hash });
      assert.equal(c.status, 200, JSON.stringify(c.body));
      assert.deepEqual([c.body.jobs, c.body.settingsHash, 'settings' in c.body], [[], d.hash, false]);
      const m = deviceMemory(r.store);
      const entry = m.get(tokenHash(d.credential), Date.now());
      assert.ok(entry && entry.epoch === m.epoch, 'remembered under the listening feed');
      assert.equal(entry.open_jobs, false);
    }
    return d;
  };

  const everywhere = async (
    d: { credential: string; hash: string },
    since: number,
    shows: (r: Res) => boolean,
    what: string,
  ) => {
    for (const [k, r] of replicas().entries())
      await reachesWithinOneSecond(
        since,
        () => client(r.app, d.credential).post('/agent/v1/checkin', { settingsHash: d.hash }),
        shows,
        `${what} on replica ${k + 1}`,
      );
  };

  test('a new job reaches the next check-in on every replica', async () => {
    const d = await rememberedDevice('job');
    const scan = await admin.post(`/api/v1/devices/${d.id}/scan`, {});
    assert.ok(scan.status < 300, JSON.stringify(scan.body));
    // the task engine (every replica runs one; here the writer's) hands the instance out as a job
    assert.equal(await createEngine({ store: replicas()[0]!.store, owner: 'feed' }).tick(), 1);
    const since = performance.now();
    await everywhere(
      d,
      since,
      (r) => r.status === 200 && r.body.jobs.some((j: { kind: string }) => j.kind === 'scan'),
      'the scan job',
    );
  });

  test("a scan report's sequence reaches the next check-in on every replica", async () => {
    const [w] = replicas();
    const d = await rememberedDevice('feed-scan');
    const scan = await client(w!.app, d.credential).post('/agent/v1/scans', {
      sequence: 1,
      full: true,
      updates: [{ kind: 'deb', name: 'feed-pkg', version: '1.0-1', detection: 'missing' }],
    });
    assert.equal(scan.body.accepted, true, JSON.stringify(scan.body));
    // a replica still answering 0 would make the agent send a full snapshot again
    await everywhere(
      d,
      performance.now(),
      (r) => r.status === 200 && r.body.scanSequence === 1,
      'the sequence',
    );
  });

  test('a settings change reaches the next check-in on every replica', async () => {
    const d = await rememberedDevice('settings');
    const w = await admin.post('/api/v1/maintenance-windows', {
      organizationId: orgId,
      name: 'Nights',
      settings: WINDOW,
      assignments: { groups: [groupId] },
    });
    assert.equal(w.status, 201, JSON.stringify(w.body));
    const since = performance.now();
    await everywhere(
      d,
      since,
      (r) =>
        r.status === 200 &&
        r.body.settingsHash !== d.hash &&
        r.body.settings?.maintenance.windows.some((x: { id: number }) => x.id === w.body.id),
      'the new window',
    );
  });

  test('a revoked credential and a retired device are refused at the next check-in on every replica', async () => {
    const d = await rememberedDevice('rotated');
    const [w] = replicas();
    const rotated = await client(w!.app, d.credential).post('/agent/v1/credential/rotate', {});
    assert.equal(rotated.status, 200);
    await everywhere(d, performance.now(), (r) => r.status === 401, 'the old credential');
    const e = await rememberedDevice('retired');
    await w!.store.db.updateTable('devices').set({ status: 'retired' }).where('id', '=', e.id).execute();
    await everywhere(e, performance.now(), (r) => r.status === 401, 'the retired device');
  });

  test('a deleted device is refused at the next check-in on every replica', async () => {
    const d = await rememberedDevice('deleted');
    assert.equal((await admin.del(`/api/v1/devices/${d.id}`)).status, 204);
    await everywhere(d, performance.now(), (r) => r.status === 401, 'the deleted device');
  });
}

describe('change feed, one replica [pglite]', () => {
  let replica: Replica;
  let cleanup: () => Promise<void>;
  before(async () => {
    const f = await freshStore('pglite');
    cleanup = f.cleanup;
    replica = { store: f.store, app: await startApp(f.store) };
  });
  after(async () => {
    await replica?.app.close();
    await cleanup?.();
  });
  scenarios(() => [replica]);

  test('after a start the devices are read into memory: their first check-in is answered from it', async () => {
    const admin = await signIn(replica.app, 'admin', ADMIN_PASSWORD);
    const org = (await admin.post('/api/v1/organizations', { name: 'Warm' })).body.id;
    const token = (await admin.post(`/api/v1/organizations/${org}/install-tokens`, { name: 'w' })).body.token;
    const e = await client(replica.app).post('/agent/v1/enroll', { token, name: 'warm', osFamily: 'linux' });
    const agent = client(replica.app, e.body.credential);
    const { settingsHash } = (await agent.post('/agent/v1/checkin', {})).body;
    await flushLastSeen(replica.store); // the settings hash is on the device row
    // a new process: nothing remembered, then the warm-up
    await closeCheckins(replica.store);
    const memory = deviceMemory(replica.store);
    assert.equal(memory.get(tokenHash(e.body.credential), Date.now()), undefined);
    assert.equal(deviceMemoryStats(replica.store).warmed, false);
    assert.ok((await warmCheckins(replica.store, { pageSize: 2 })) >= 1);
    // /metrics says so (a bench or an operator waits for it after a restart)
    const metrics = (await replica.app.inject({ url: '/metrics' })).body;
    assert.match(metrics, /^patchline_checkin_devices_read 1$/m);
    assert.match(metrics, /^patchline_checkin_feed_listening 1$/m);
    const inMemory = Number(/^patchline_checkin_devices_in_memory (\d+)$/m.exec(metrics)?.[1]);
    assert.equal(inMemory, memory.byHash.size);
    assert.ok(inMemory >= 1);
    const warmed = memory.get(tokenHash(e.body.credential), Date.now());
    assert.ok(warmed && warmed.epoch === memory.epoch && warmed.settings_hash === settingsHash);
    const r = await agent.post('/agent/v1/checkin', { settingsHash });
    assert.deepEqual([r.status, r.body.settingsHash, r.body.jobs], [200, settingsHash, []]);
    // answered from the entry the warm-up read (a lookup would have replaced it)
    assert.equal(memory.get(tokenHash(e.body.credential), Date.now()), warmed);
  });

  test('after a start, the devices of check-ins the memory misses are read together, in one query', async () => {
    const admin = await signIn(replica.app, 'admin', ADMIN_PASSWORD);
    const org = (await admin.post('/api/v1/organizations', { name: 'Recall' })).body.id;
    const token = (await admin.post(`/api/v1/organizations/${org}/install-tokens`, { name: 'r' })).body.token;
    const devices: { credential: string; settingsHash: string }[] = [];
    for (let i = 0; i < 12; i++) {
      const e = await client(replica.app).post('/agent/v1/enroll', {
        token,
        name: `r${i}`,
        osFamily: 'linux',
      });
      const credential = e.body.credential as string;
      const { settingsHash } = (await client(replica.app, credential).post('/agent/v1/checkin', {})).body;
      devices.push({ credential, settingsHash });
    }
    await flushLastSeen(replica.store);
    // the same store seen through a Kysely that counts the lookups by credential (a new process: nothing
    // remembered, no warm-up)
    await closeCheckins(replica.store);
    const counted = countingStore(replica.store);
    /** the lookups by credential: batched (any of a list) and single (one device's full row) */
    const lookups = () => ({
      batched: counted.texts.filter((t) => /credential_hash"? = any\(/.test(t)).length,
      single: counted.texts.filter((t) => /"credential_hash" = \$\d+/.test(t)).length,
    });
    const memory = deviceMemory(counted);
    await until(() => memory.epoch !== 0, 'the memory listens');
    const answers = await Promise.all(
      devices.map((d) => checkInWithCredential(counted, d.credential, { settingsHash: d.settingsHash })),
    );
    for (const [i, a] of answers.entries()) {
      assert.deepEqual([a.jobs, a.settingsHash, 'settings' in a], [[], devices[i]!.settingsHash, false]);
      assert.ok(memory.get(tokenHash(devices[i]!.credential), Date.now()), 'remembered');
    }
    assert.deepEqual(lookups(), { batched: 1, single: 0 });
    // a credential that matches no device: looked for the same way, and refused
    await assert.rejects(
      checkInWithCredential(counted, 'pld_nobody', { settingsHash: 'x' }),
      /unknown or revoked/,
    );
    assert.deepEqual(lookups(), { batched: 2, single: 0 });
    // a read that fails fails the check-in: the credential is not refused (the agent would enroll again)
    const failing: Store = {
      ...replica.store,
      db: replica.store.db.withPlugin({
        transformQuery: () => {
          throw new Error('the database is away');
        },
        transformResult: async (args) => args.result,
      }),
    };
    await assert.rejects(
      checkInWithCredential(failing, devices[0]!.credential, { settingsHash: devices[0]!.settingsHash }),
      /the database is away/,
    );
    await closeCheckins(failing);
    // the same through HTTP, where the credential is checked before the body is read (admitDevice)
    await closeCheckins(counted);
    const app = await startApp(counted);
    try {
      await until(() => deviceMemory(counted).epoch !== 0, 'the memory listens');
      counted.reset();
      const overHttp = await Promise.all(
        devices.map((d) =>
          client(app, d.credential).post('/agent/v1/checkin', { settingsHash: d.settingsHash }),
        ),
      );
      for (const [i, r] of overHttp.entries())
        assert.deepEqual([r.status, r.body.jobs, r.body.settingsHash], [200, [], devices[i]!.settingsHash]);
      const { batched, single } = lookups();
      assert.equal(single, 0, 'no device looked up on its own');
      assert.ok(batched >= 1 && batched < devices.length, `${batched} batched lookups`);
    } finally {
      await app.close();
      await closeCheckins(counted);
    }
  });
});

const skip = await postgresSkip();

describe('change feed, two replicas over one database [postgres]', { skip }, () => {
  const replicas: Replica[] = [];
  let drop: () => Promise<void>;
  let dbUrl: string;
  before(async () => {
    const db = await freshPostgresDatabase();
    drop = db.drop;
    dbUrl = db.url;
    for (let k = 0; k < 2; k++) {
      const store = await openStore({ databaseUrl: db.url, poolSize: 4 });
      replicas.push({ store, app: await startApp(store) });
    }
  });
  after(async () => {
    for (const r of replicas) await r.app.close();
    for (const r of replicas) await r.store.close();
    await drop?.();
  });
  scenarios(() => replicas);

  test("with the listener's connection killed: the short cache, then the feed again", async () => {
    const [a, b] = replicas as [Replica, Replica];
    const admin = await signIn(a.app, 'admin', ADMIN_PASSWORD);
    const org = (await admin.post('/api/v1/organizations', { name: 'Killed feed' })).body.id;
    const token = (await admin.post(`/api/v1/organizations/${org}/install-tokens`, { name: 'k' })).body.token;
    const enroll = async (name: string) => {
      const e = await client(a.app).post('/agent/v1/enroll', { token, name, osFamily: 'linux' });
      const credential = e.body.credential as string;
      const hash = (await client(a.app, credential).post('/agent/v1/checkin', {})).body
        .settingsHash as string;
      for (const r of replicas)
        assert.equal(
          (await client(r.app, credential).post('/agent/v1/checkin', { settingsHash: hash })).status,
          200,
        );
      return { id: e.body.deviceId as number, credential, hash };
    };
    const checkInOn = (r: Replica, d: { credential: string; hash: string }) => () =>
      client(r.app, d.credential).post('/agent/v1/checkin', { settingsHash: d.hash });
    const memory = deviceMemory(b.store);
    await until(() => memory.epoch !== 0, 'replica 2 listens');
    const d1 = await enroll('during-the-gap');
    const d2 = await enroll('after-the-gap');
    const lostBefore = memory.lost;

    // kill replica 2's listener (and replica 1's: both use the same application name)
    const admin2 = new pg.Client({ connectionString: dbUrl });
    await admin2.connect();
    try {
      const killed = await admin2.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
          where application_name = $1 and datname = current_database()`,
        [LISTENER_APPLICATION_NAME],
      );
      assert.ok(killed.rowCount! >= 1, 'a listener was killed');
    } finally {
      await admin2.end();
    }
    // in the gap (or just after it) a deletion made on replica 1 still reaches replica 2 within 1 s
    assert.equal((await admin.del(`/api/v1/devices/${d1.id}`)).status, 204);
    const since = performance.now();
    await reachesWithinOneSecond(since, checkInOn(b, d1), (r) => r.status === 401, 'deleted during the gap');
    await until(() => memory.lost > lostBefore, 'replica 2 noticed the lost listener');
    // it listens again by itself, and then answers from memory with the feed's word again
    await until(() => memory.epoch !== 0, 'replica 2 listens again');
    // what it read before is trusted no longer than the short cache: read again, under the new listener
    const underNewListener = () => memory.get(tokenHash(d2.credential), Date.now())?.epoch === memory.epoch;
    for (let k = 0; k < 100 && !underNewListener(); k++) {
      assert.equal((await checkInOn(b, d2)()).status, 200);
      await sleep(50);
    }
    assert.ok(underNewListener(), 'remembered under the new listener');
    const scan = await admin.post(`/api/v1/devices/${d2.id}/scan`, {});
    assert.ok(scan.status < 300);
    assert.equal(await createEngine({ store: a.store, owner: 'feed' }).tick(), 1);
    await reachesWithinOneSecond(
      performance.now(),
      checkInOn(b, d2),
      (r) => r.status === 200 && r.body.jobs.length > 0,
      'a job after the feed came back',
    );
  });
});
