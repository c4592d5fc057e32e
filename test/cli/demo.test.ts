import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/net.ts';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { flushLastSeen } from '../../src/services/agents.ts';
import { buildServer } from '../../src/server.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { signIn } from '../support/api.ts';
import { systemContext } from '../../src/services/context.ts';
import { queryEvents } from '../../src/services/events.ts';
import { listUsers } from '../../src/services/identity.ts';
import { statusCounts } from '../../src/services/status.ts';

// `patchline demo` as a newcomer runs it, on an embedded store in a fresh folder; then the data set as the
// API shows it to the administrator and to the scoped operator the demo prints.
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];
const ADMIN_PASSWORD = 'demo-admin-password';
const DEVICES = 12;

const demo = (dataDir: string, ...extra: string[]) =>
  spawnSync(
    process.execPath,
    [...CLI, 'demo', '--data-dir', dataDir, '--devices', String(DEVICES), ...extra],
    {
      encoding: 'utf8',
      env: { ...process.env, PATCHLINE_ADMIN_PASSWORD: ADMIN_PASSWORD },
      timeout: 600_000, // a hang guard: on a loaded machine a fresh store (initdb, every migration) alone takes minutes
    },
  );

interface Org {
  id: number;
  name: string;
}

/** opens the folder's store with the whole server on it (in this process), runs fn, closes both */
async function withApi<T>(dataDir: string, fn: (app: FastifyInstance, store: Store) => Promise<T>) {
  const store = await openStore({ dataDir });
  const app = await buildServer({ config: { logLevel: 'silent', bodyLimit: 1 << 20 }, store, logger: false });
  await app.ready();
  try {
    return await fn(app, store);
  } finally {
    await app.close();
    await store.close();
  }
}

/** what the store holds, read through the services as the system (signing in would add an event) */
const snapshot = async (store: Store) => {
  const ctx = systemContext(store, 'test');
  const page = { limit: 1, offset: 0, sort: [] };
  return {
    status: await statusCounts(ctx),
    events: (await queryEvents(ctx, {}, page)).total,
    users: (await listUsers(ctx, {}, page)).total,
  };
};

let dir: string;
let dataDir: string;
let first: ReturnType<typeof demo>;
let startedAt: number;
before(() => {
  startedAt = Date.now();
  dir = mkdtempSync(join(tmpdir(), 'patchline-demo-'));
  dataDir = join(dir, 'data');
  first = demo(dataDir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the demo fills an empty embedded store and prints how to sign in', async () => {
  assert.equal(first.status, 0, first.stderr + first.stdout);
  assert.match(first.stdout, /Demo ready in \d+(\.\d)? s/);
  assert.match(first.stdout, new RegExp(`admin / ${ADMIN_PASSWORD}`));
  assert.match(first.stdout, /http:\/\/localhost:\d+\//);
  const operator = /olivia \/ (\S+)/.exec(first.stdout)?.[1];
  assert.ok(operator, `the operator's password is printed: ${first.stdout}`);

  await withApi(dataDir, async (app) => {
    const admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    const status = (await admin.get('/api/v1/status')).body;
    assert.deepEqual(
      { organizations: status.organizations, devices: status.devices },
      { organizations: 3, devices: DEVICES },
    );
    assert.ok(status.missingUpdates > 0, 'devices miss updates');
    const orgs = (await admin.get('/api/v1/organizations?limit=10&sort=name')).body.items as Org[];
    assert.deepEqual(
      orgs.map((o) => o.name),
      ['Contoso Health', 'Fabrikam Logistics', 'Northwind Traders'],
    );
    const groups = (await admin.get('/api/v1/groups?limit=100')).body.items as { isRoot: boolean }[];
    assert.equal(groups.filter((g) => !g.isRoot).length, 15);

    // devices of every platform, scanned, with real-looking updates: KBs, deb and rpm packages
    const devices = (await admin.get('/api/v1/devices?limit=100')).body.items as {
      id: number;
      osFamily: string;
      lastScanAt: string | null;
      lastSeenAt: string | null;
      rebootRequired: boolean;
      agentVersion: string | null;
    }[];
    assert.deepEqual([...new Set(devices.map((d) => d.osFamily))].sort(), ['linux', 'macos', 'windows']);
    assert.ok(devices.filter((d) => d.lastScanAt).length >= DEVICES - 1, 'all but a fresh one scanned');
    assert.ok(devices.every((d) => d.agentVersion || !d.lastScanAt));
    const kinds = new Set<string>();
    for (const k of ['kb', 'deb', 'rpm']) {
      const u = await admin.get(`/api/v1/updates?kind=${k}&limit=5`);
      assert.equal(u.status, 200, JSON.stringify(u.body));
      if (u.body.total > 0) kinds.add(k);
      if (k !== 'kb') assert.match(u.body.items[0].version, /^[0-9][0-9a-z.+~:-]*$/i);
    }
    assert.deepEqual([...kinds].sort(), ['deb', 'kb', 'rpm']);

    // bulletins with CVEs and severities, some CVEs known to be exploited
    const bulletins = (await admin.get('/api/v1/bulletins?limit=200')).body;
    assert.ok(bulletins.total >= 5, `bulletins: ${bulletins.total}`);
    const withCves = bulletins.items.filter((b: { cves: string[] }) => b.cves.length);
    assert.ok(withCves.length > 0);
    assert.ok(
      bulletins.items.some((b: { severity: string }) => ['critical', 'high'].includes(b.severity)),
      'some bulletins are critical or high',
    );
    const cve = await admin.get(`/api/v1/cves/${withCves[0].cves[0]}`);
    assert.equal(cve.status, 200);
    assert.ok(cve.body.cvssScore > 0);

    // policies with schedules, one maintenance window per organization, task history with failures
    const policies = (await admin.get('/api/v1/policies')).body.items as { nextRunAt: string | null }[];
    assert.equal(policies.length, 5);
    // every policy runs after the demo was made, whatever the hour it is made at
    assert.ok(
      policies.every((p) => p.nextRunAt && Date.parse(p.nextRunAt) > startedAt),
      JSON.stringify(policies.map((p) => p.nextRunAt)),
    );
    const windows = (await admin.get('/api/v1/maintenance-windows')).body.items as { id: number }[];
    assert.equal(windows.length, 3);
    const occ = await admin.get(`/api/v1/maintenance-windows/${windows[0]!.id}/occurrences?days=14`);
    assert.ok(occ.body.occurrences.length >= 2, 'each window opens within two weeks');
    const tasks = (await admin.get('/api/v1/tasks?kind=install')).body.items as { name: string }[];
    assert.equal(
      tasks.filter((t) => /^Patch round/.test(t.name)).length,
      6,
      'two patch rounds × 3 organizations',
    );
    let failed = 0;
    let succeeded = 0;
    for (const o of orgs) {
      const c = (await admin.get(`/api/v1/compliance?organizationId=${o.id}`)).body;
      failed += c.updates.totals.failed;
      succeeded += c.updates.totals.installed;
    }
    assert.ok(succeeded > failed && failed > 0, `installs: ${succeeded} installed, ${failed} failed`);
    const jobEvents = (await admin.get('/api/v1/events?kind=job.failed&limit=1')).body.total;
    assert.ok(jobEvents > 0, 'failed install jobs are in the event log');

    // a device that scanned today and needs no reboot has no update waiting for one
    const dayAgo = Date.now() - 86_400_000;
    for (const d of devices.filter(
      (x) => !x.rebootRequired && x.lastScanAt && Date.parse(x.lastScanAt) > dayAgo,
    )) {
      const waiting = await admin.get(`/api/v1/devices/${d.id}/updates?status=reboot_required&limit=1`);
      assert.equal(waiting.body.total, 0, `device ${d.id} rebooted, yet updates wait for a reboot`);
    }

    // the scoped operator sees Northwind only
    const olivia = await signIn(app, 'olivia', operator);
    const theirs = (await olivia.get('/api/v1/organizations')).body.items as Org[];
    assert.deepEqual(
      theirs.map((o) => o.name),
      ['Northwind Traders'],
    );
    const seen = (await olivia.get('/api/v1/devices?limit=100')).body;
    assert.ok(seen.total > 0 && seen.total < DEVICES);
    assert.ok(seen.items.every((d: { organizationId: number }) => d.organizationId === theirs[0]!.id));
    const contoso = orgs.find((o) => o.name === 'Contoso Health')!;
    assert.equal((await olivia.get(`/api/v1/organizations/${contoso.id}`)).status, 404);
  });
});

test("npm run fleet with no flags brings the demo's devices to life until stopped", async () => {
  const file = join(dataDir, 'demo-agents.json');
  assert.equal(statSync(file).mode & 0o777, 0o600, 'device credentials: readable by their owner only');
  const { agents } = JSON.parse(readFileSync(file, 'utf8')) as { agents: { deviceId: number }[] };
  assert.ok(agents.length > DEVICES / 2 && agents.length <= DEVICES, `${agents.length} live devices`);
  assert.match(first.stdout, /npm run fleet -- --data-dir /, 'the demo says how');
  await withApi(dataDir, async (app, store) => {
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const startedAt = new Date();
    const fleet = spawn(
      process.execPath,
      ['--import', 'tsx', 'scripts/fleet.ts', '--server', url, '--data-dir', dataDir, '--interval', '1'],
      { stdio: 'pipe', env: { ...process.env, PATCHLINE_ADMIN_PASSWORD: '' } },
    );
    let output = '';
    fleet.stdout.on('data', (d) => (output += d));
    fleet.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((r) => fleet.once('exit', r));
    // every live device checks in at least once (a generous budget: the machine may be busy)
    const seen = async () => {
      const r = await sql<{
        n: number;
      }>`select count(*)::int as n from devices where last_seen_at >= ${startedAt}`.execute(store.db);
      return r.rows[0]!.n;
    };
    for (let i = 0; i < 600 && (await seen()) < agents.length; i++) {
      if (fleet.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    await flushLastSeen(store);
    assert.equal(await seen(), agents.length, `every demo device checked in:\n${output}`);
    assert.equal(fleet.exitCode, null, 'still running: it runs until stopped, not for a set time');
    fleet.kill('SIGINT');
    assert.equal(await exited, 0, output);
    assert.match(output, new RegExp(`${agents.length} demo devices checking in with ${url}`));
    assert.match(
      output,
      new RegExp(
        `${agents.length} demo devices stopped after [\\d.]+ s: [1-9]\\d* check-ins, \\d+ jobs run, 0 errors`,
      ),
    );
    const orgs = await sql<{ n: number }>`select count(*)::int as n from organizations`.execute(store.db);
    assert.equal(orgs.rows[0]!.n, 3, 'no new organization');
  });
});

test('a second run without --force refuses and changes nothing; --force starts over', async () => {
  const before = await withApi(dataDir, async (_app, store) => snapshot(store));
  const again = demo(dataDir);
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /already has data/);
  assert.match(again.stderr, /--force/);
  const afterRefusal = await withApi(dataDir, async (_app, store) => snapshot(store));
  assert.deepEqual(afterRefusal, before);

  const bad = demo(join(dir, 'other'), '--devices', '2');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--devices must be an integer from 9/);

  // --force starts over; with --agents it then serves the new demo with its devices live until Ctrl-C
  const port = await freePort();
  const startedAt = Date.now();
  const live = spawn(
    process.execPath,
    [
      ...CLI,
      'demo',
      '--data-dir',
      dataDir,
      '--devices',
      String(DEVICES),
      '--force',
      '--agents',
      '--port',
      String(port),
      '--interval',
      '1',
    ],
    { stdio: 'pipe', env: { ...process.env, PATCHLINE_ADMIN_PASSWORD: ADMIN_PASSWORD } },
  );
  let output = '';
  live.stdout.on('data', (d) => (output += d));
  live.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((r) => live.once('exit', r));
  try {
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 2400 && !/is serving http:\/\/localhost:\d+\//.test(output); i++) {
      if (live.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.match(output, /deleted the data of the embedded store/);
    assert.match(output, /Serving it now with its \d+ devices live/);
    const token = (await (
      await fetch(`${url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
      })
    ).json()) as { token: string };
    const liveCount = Number(/Serving it now with its (\d+) devices live/.exec(output)![1]);
    // every live device checks in over HTTP (last-seen times are written every 2 s)
    const seen = async () => {
      const r = await fetch(`${url}/api/v1/devices?limit=100`, {
        headers: { authorization: `Bearer ${token.token}` },
      });
      const body = (await r.json()) as { items: { lastSeenAt: string | null }[] };
      return body.items.filter((d) => d.lastSeenAt && Date.parse(d.lastSeenAt) >= startedAt).length;
    };
    let n = 0;
    for (let i = 0; i < 600 && (n = await seen()) < liveCount; i++) {
      if (live.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(liveCount > DEVICES / 2, output);
    assert.equal(n, liveCount, `every live demo device checked in:\n${output}`);
    live.kill('SIGINT');
    assert.equal(await exited, 0, output);
    assert.match(
      output,
      new RegExp(
        `${liveCount} demo devices stopped after [\\d.]+ s: [1-9]\\d* check-ins, \\d+ jobs run, 0 errors`,
      ),
    );
  } finally {
    if (live.exitCode === null) live.kill('SIGKILL');
  }
  await withApi(dataDir, async (app, store) => {
    await signIn(app, 'admin', ADMIN_PASSWORD);
    const s = await snapshot(store);
    assert.equal(s.status.organizations, 3, 'filled anew, not twice');
    assert.equal(s.status.devices, DEVICES);
  });
});
