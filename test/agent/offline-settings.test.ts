// The agent keeps the settings the server sent and obeys them with or without the server: an install
// waits for its maintenance window (clock injected) and runs when it opens while the server is down;
// the reboot after it follows the reboot settings and is announced; installs never overlap, not even
// between two agents sharing a state folder; packages come from the relays in order, then the server,
// then the vendor only where direct download is allowed.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Agent } from '../../src/agent/agent.ts';
import type { Backend, InstallRequest } from '../../src/agent/backends/index.ts';
import {
  UnreachableError,
  type CheckInRequest,
  type CheckInResponse,
  type Job,
  type JobProgressRequest,
  type JobResultRequest,
  type ProtocolClient,
} from '../../src/agent/client.ts';
import { FileStorage, MemoryStorage, progressKey, resultKey } from '../../src/agent/storage.ts';
import { buildAgentSettings, type WindowSource } from '../../src/core/agent-settings/build.ts';
import type { AgentSettings, PackageSourceSettings } from '../../src/core/agent-settings/model.ts';
import { parseWindowSettings } from '../../src/services/windows.ts';
import { weeklyWindowSettings } from '../support/windows.ts';

const H = 3_600_000;
const DAY = 24 * H;
const MONDAY = Date.parse('2026-06-01T00:00:00Z');

/** a window open Mondays 03:00–04:00 UTC with the given reboot postponement */
function mondayWindow(reboot: unknown = { mode: 'user-may-postpone' }) {
  return parseWindowSettings({
    ...weeklyWindowSettings({ days: [1], startHour: 3, endHour: 4, rebootPostponement: reboot }),
    download: { cachingServers: [], directDownloadFallback: true },
  });
}

function settingsWith(
  o: {
    reboot?: unknown;
    windows?: boolean;
    packageSources?: PackageSourceSettings;
    beforeInstall?: boolean;
  } = {},
): AgentSettings {
  const windows: WindowSource[] =
    o.windows === false
      ? []
      : [{ id: 7, name: 'Monday nights', settings: mondayWindow(o.reboot), groupDepth: 0, policyIds: [] }];
  return buildAgentSettings({
    checkinIntervalSeconds: 600,
    zone: 'UTC',
    serverZone: 'UTC',
    horizon: { from: MONDAY - DAY, to: MONDAY + 14 * DAY },
    windows,
    policies: o.beforeInstall
      ? [
          {
            id: 1,
            behaviour: {
              autoInstall: true,
              autoReboot: false,
              suppressReboot: false,
              rebootPostponement: null,
              whenRebootPending: 'default',
              notifications: {
                beforeInstall: true,
                beforeReboot: false,
                installMessage: 'Updates go in now',
                rebootMessage: null,
                installMessageMac: null,
                rebootMessageMac: null,
                deferralPeriodsHours: [],
                maxDeferrals: null,
              },
              runMissedAsap: false,
              overrideMaintenanceWindows: false,
              download: { cachingServers: [], directDownloadFallback: true },
            },
          },
        ]
      : [],
    packageSources: o.packageSources ?? { relays: [], directDownload: true },
  });
}

/** a server in memory: hands out its jobs and settings (behind a hash), records what it is sent */
class FakeServer {
  down = false;
  jobs: Job[] = [];
  settings: AgentSettings = settingsWith();
  hash = 'hash-1';
  received: string[] = [];
  checkIns: CheckInRequest[] = [];
  results = new Map<number, JobResultRequest>();
  packageBase = 'http://127.0.0.1:1/agent/v1/packages';
  client(): ProtocolClient {
    const check = () => {
      if (this.down) throw new UnreachableError('/x', new Error('connect ECONNREFUSED'));
    };
    return {
      credential: 'pld_test',
      checkIn: async (r: CheckInRequest): Promise<CheckInResponse> => {
        check();
        this.checkIns.push(r);
        return {
          protocol: 1,
          serverTime: new Date().toISOString(),
          scanSequence: 0,
          jobs: this.jobs.filter((j) => !this.results.has(j.id)),
          settingsHash: this.hash,
          ...(r.settingsHash === this.hash ? {} : { settings: this.settings }),
        };
      },
      scan: async () => {
        check();
        this.received.push('scan');
        return { accepted: true, duplicate: false, needFull: false, scanSequence: 0 };
      },
      jobProgress: async (id: number, r: JobProgressRequest) => {
        check();
        this.received.push(`progress ${id} ${r.updateIds?.join(',')}`);
        return { recorded: true, duplicate: false, installing: r.updateIds?.length ?? 0 };
      },
      jobResult: async (id: number, r: JobResultRequest) => {
        check();
        this.received.push(`result ${id} ${r.status}`);
        this.results.set(id, r);
        return { recorded: true, duplicate: false };
      },
      packageUrl: (sha: string) => `${this.packageBase}/${sha}`,
    } as unknown as ProtocolClient;
  }
}

/** a machine that records installs, package files, notices and whether it needs a restart */
function machine(o: { installMs?: number } = {}) {
  const m = {
    installs: [] as string[],
    files: [] as string[],
    notices: [] as string[],
    needsReboot: false,
    running: 0,
    maxConcurrent: 0,
  };
  const done = (r: InstallRequest) => ({
    id: r.id,
    name: r.name,
    status: 'succeeded' as const,
    exitCode: 0,
    message: 'ok',
    newVersion: r.version ?? null,
    rebootRequired: true,
  });
  const backend: Backend = {
    name: 'simulated',
    scan: async () => ({ backend: 'simulated', updates: [], inventory: [], warnings: [] }),
    install: async (rs) => {
      m.running++;
      m.maxConcurrent = Math.max(m.maxConcurrent, m.running);
      await new Promise((r) => setTimeout(r, o.installMs ?? 5));
      m.running--;
      m.installs.push(...rs.map((r) => `${r.name}=${r.version}`));
      m.needsReboot = true;
      return rs.map(done);
    },
    installFile: async (r, path) => {
      m.files.push(
        createHash('sha256')
          .update(await readFile(path))
          .digest('hex'),
      );
      m.installs.push(`${r.name}=${r.version} (file)`);
      return done(r);
    },
    rebootRequired: async () => ({ required: m.needsReboot, packages: [] }),
    notify: async (message) => {
      m.notices.push(message);
      return true;
    },
  };
  return { m, backend };
}

const installJob = (id: number, name: string, extra: Record<string, unknown> = {}): Job => ({
  id,
  kind: 'install',
  notBefore: null,
  payload: {
    updates: [
      {
        updateId: id * 10,
        kind: 'deb',
        name,
        packageName: name,
        version: '2.0',
        architecture: null,
        ...extra,
      },
    ],
  },
});

describe('maintenance windows and reboots, with and without the server', () => {
  test('an install outside its window waits, and runs when the window opens although the server is down', async () => {
    const server = new FakeServer();
    server.settings = settingsWith({
      reboot: { mode: 'automatic-after', afterMinutes: 30, message: 'Restart soon' },
    });
    server.jobs = [installJob(1, 'openssl')];
    const { m, backend } = machine();
    let now = MONDAY - H; // Sunday 23:00
    let reboots = 0;
    const storage = new MemoryStorage();
    const lines: string[] = [];
    const agent = new Agent({
      client: server.client(),
      backend,
      storage,
      now: () => now,
      reboot: async () => {
        reboots++;
        m.needsReboot = false;
      },
      log: (l) => lines.push(l),
    });

    const first = await agent.cycle();
    assert.equal(first.jobs, 0);
    assert.deepEqual(m.installs, [], 'outside the window nothing is installed');
    assert.equal(agent.intervalMs, 600_000, 'the interval comes with the settings');
    assert.equal(await agent.nextEventAt(), MONDAY + 3 * H, 'it wakes when the window opens');
    assert.ok(
      lines.some((l) => /job 1 waits: .*next opens 2026-06-01T03:00:00.000Z/.test(l)),
      lines.join('\n'),
    );
    assert.equal((await storage.loadState()).settingsHash, 'hash-1', 'the settings are kept');

    server.down = true;
    now = MONDAY + 3 * H - 60_000;
    await assert.rejects(agent.cycle(), UnreachableError);
    assert.deepEqual(m.installs, [], 'still closed at 02:59');
    now = MONDAY + 3 * H + 10 * 60_000;
    await assert.rejects(agent.cycle(), UnreachableError, 'the server is still down');
    assert.deepEqual(m.installs, ['openssl=2.0'], 'the window opened: installed, offline');
    assert.deepEqual(
      (await storage.list()).map((x) => x.key).slice(0, 2),
      [progressKey(1), resultKey(1)],
      'the progress report and the result wait in the outbox, in that order',
    );
    // the install needs a restart: announced at once, performed 30 minutes later
    assert.equal(m.notices.length, 1);
    assert.match(m.notices[0]!, /^Restart soon\. The computer restarts at 2026-06-01T03:40:00\.000Z\.$/);
    assert.equal(reboots, 0);
    now = MONDAY + 3 * H + 39 * 60_000;
    await assert.rejects(agent.cycle(), UnreachableError);
    assert.equal(reboots, 0, 'postponed for 30 minutes');
    now = MONDAY + 3 * H + 41 * 60_000;
    await assert.rejects(agent.cycle(), UnreachableError);
    assert.equal(reboots, 1, 'rebooted, without the server');
    await assert.rejects(agent.cycle(), UnreachableError);
    assert.equal(reboots, 1, 'once');

    server.down = false;
    await agent.cycle();
    assert.deepEqual(server.received.slice(0, 2), ['progress 1 10', 'result 1 succeeded']);
    assert.equal(server.results.get(1)?.status, 'succeeded');
    assert.equal((await storage.list()).length, 0);
    assert.deepEqual(m.installs, ['openssl=2.0'], 'never installed twice');
    assert.equal(server.checkIns.at(-1)?.settingsHash, 'hash-1', 'the agent sends the hash it holds');
  });

  test("a procedure runs outside the window; a worklet policy's script waits for it (docs/scripts.md)", async () => {
    const server = new FakeServer();
    server.settings = settingsWith();
    const steps = [{ phase: 'run', script: { shell: 'sh', code: 'echo ran' }, when: 'always' }];
    const limits = { timeLimitSeconds: 30, outputCapBytes: 4096 };
    server.jobs = [
      { id: 41, kind: 'script', notBefore: null, payload: { procedureId: 3, steps, limits } },
      { id: 42, kind: 'script', notBefore: null, payload: { policyId: 5, steps, limits } },
    ];
    const { backend } = machine();
    const dir = await mkdtemp(join(tmpdir(), 'pl-proc-window-'));
    const lines: string[] = [];
    const agent = new Agent({
      client: server.client(),
      backend,
      storage: new MemoryStorage(),
      now: () => MONDAY - H, // Sunday 23:00: the Monday window is closed
      scriptDir: dir,
      log: (l) => lines.push(l),
    });
    try {
      await agent.cycle();
      await agent.cycle(); // the outbox sends the result
      assert.equal(server.results.get(41)?.status, 'succeeded', lines.join('\n'));
      assert.equal(server.results.get(42), undefined, 'the worklet waits for the window');
      assert.ok(
        lines.some((l) => /job 42 waits: no maintenance window allows policy 5/.test(l)),
        lines.join('\n'),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('within-interval: the restart is announced when the interval opens and happens the delay later', async () => {
    const server = new FakeServer();
    server.settings = settingsWith({
      reboot: {
        mode: 'within-interval',
        afterMinutes: 10,
        message: 'Nightly restart',
        between: { start: { hour: 22, minute: 0 }, end: { hour: 23, minute: 0 } },
      },
      beforeInstall: true,
    });
    server.jobs = [installJob(2, 'curl')];
    const { m, backend } = machine();
    let now = MONDAY + 3 * H + 5 * 60_000;
    let reboots = 0;
    const agent = new Agent({
      client: server.client(),
      backend,
      storage: new MemoryStorage(),
      now: () => now,
      reboot: async () => {
        reboots++;
      },
    });
    await agent.cycle();
    assert.deepEqual(m.notices, ['Updates go in now'], 'the install is announced, the restart not yet');
    assert.equal(await agent.nextEventAt(), MONDAY + 22 * H);
    now = MONDAY + 21 * H + 59 * 60_000;
    await agent.cycle();
    assert.equal(m.notices.length, 1);
    now = MONDAY + 22 * H + 60_000;
    await agent.cycle();
    assert.deepEqual(m.notices.slice(1), [
      'Nightly restart. The computer restarts at 2026-06-01T22:10:00.000Z.',
    ]);
    assert.equal(reboots, 0);
    now = MONDAY + 22 * H + 11 * 60_000;
    await agent.cycle();
    assert.equal(reboots, 1);
  });

  test('user-may-postpone tells the users and restarts nothing; no window means no waiting', async () => {
    const server = new FakeServer();
    server.settings = settingsWith({ windows: false });
    server.jobs = [installJob(3, 'git')];
    const { m, backend } = machine();
    let reboots = 0;
    const agent = new Agent({
      client: server.client(),
      backend,
      storage: new MemoryStorage(),
      now: () => MONDAY + 12 * H,
      reboot: async () => {
        reboots++;
      },
    });
    await agent.cycle();
    assert.deepEqual(m.installs, ['git=2.0']);
    assert.deepEqual(m.notices, [
      'Patchline installed updates that need a restart of this computer. Please restart the computer when convenient.',
    ]);
    await agent.cycle();
    assert.equal(reboots, 0);
    assert.equal(m.notices.length, 1, 'said once');
  });

  test('two agents on one state folder never install at the same time', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pl-install-lock-'));
    try {
      const server = new FakeServer();
      server.settings = settingsWith({ windows: false });
      server.jobs = [installJob(4, 'a'), installJob(5, 'b')];
      const { m, backend } = machine({ installMs: 50 });
      const mk = () =>
        new Agent({ client: server.client(), backend, storage: new FileStorage(dir), now: () => MONDAY });
      const [x, y] = [mk(), mk()];
      await Promise.all([x.cycle(), y.cycle(), x.cycle()]);
      assert.equal(m.maxConcurrent, 1);
      // what one held back it installs on its next round
      await Promise.all([x.cycle(), y.cycle()]);
      assert.equal(m.maxConcurrent, 1);
      assert.deepEqual([...server.results.keys()].sort(), [4, 5]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('package downloads from the settings’ sources', () => {
  const good = Buffer.from('a package, byte for byte');
  const sha = createHash('sha256').update(good).digest('hex');
  const servers: Server[] = [];
  const hits: string[] = [];
  const urls: Record<string, string> = {};
  const serve = async (name: string, status: number, body: Buffer) => {
    const s = createServer((req, res) => {
      hits.push(`${name} ${req.headers.authorization ?? '-'}`);
      res.writeHead(status).end(body);
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    servers.push(s);
    urls[name] = `http://127.0.0.1:${(s.address() as { port: number }).port}`;
  };
  before(async () => {
    await serve('relay-busy', 503, Buffer.from(''));
    await serve('relay-good', 200, good);
    await serve('relay-bad', 200, Buffer.from('tampered'));
    await serve('server', 200, good);
    await serve('server-missing', 404, Buffer.from(''));
    await serve('vendor', 200, good);
  });
  after(() => servers.forEach((s) => s.close()));

  const relay = (name: string, id: number) => ({
    deviceId: id,
    name,
    hostname: `${name}.lan`,
    ipAddresses: [],
  });
  async function installWith(sources: PackageSourceSettings, server: string) {
    hits.length = 0;
    const fake = new FakeServer();
    fake.settings = settingsWith({ windows: false, packageSources: sources });
    fake.packageBase = `${urls[server]}/agent/v1/packages`;
    fake.jobs = [
      installJob(8, 'plhello', {
        package: {
          sha256: sha,
          sizeBytes: good.length,
          sourceUrl: `${urls.vendor}/pool/plhello_2.0_all.deb`,
        },
      }),
    ];
    const { m, backend } = machine();
    const agent = new Agent({
      client: fake.client(),
      backend,
      storage: new MemoryStorage(),
      relayUrl: (r, h) => `${urls[r.name]}/agent/v1/packages/${h}`,
      downloadDir: await mkdtemp(join(tmpdir(), 'pl-dl-')),
    });
    await agent.cycle();
    return { m, result: fake.results.get(8)! };
  }

  test('relays in priority order, then the server; the first with the right bytes is installed', async () => {
    const { m, result } = await installWith(
      {
        relays: [relay('relay-busy', 1), relay('relay-bad', 2), relay('relay-good', 3)],
        directDownload: true,
      },
      'server',
    );
    assert.deepEqual(hits, ['relay-busy -', 'relay-bad -', 'relay-good -']);
    assert.deepEqual(m.files, [sha], 'installed from the verified file');
    assert.equal(result.status, 'succeeded');
  });

  test('the vendor only where direct download is allowed, and never with the credential', async () => {
    const denied = await installWith(
      { relays: [relay('relay-busy', 1)], directDownload: false },
      'server-missing',
    );
    assert.deepEqual(hits, ['relay-busy -', 'server-missing Bearer pld_test']);
    assert.equal(denied.result.status, 'failed');
    const why = (denied.result.result as { updates: { message: string }[] }).updates[0]!.message;
    assert.match(why, /could not be downloaded.*\(direct download is not allowed\)/);
    assert.deepEqual(denied.m.installs, [], 'nothing installed without the package');

    const allowed = await installWith(
      { relays: [relay('relay-busy', 1)], directDownload: true },
      'server-missing',
    );
    assert.deepEqual(hits, ['relay-busy -', 'server-missing Bearer pld_test', 'vendor -']);
    assert.equal(allowed.result.status, 'succeeded');
    assert.deepEqual(allowed.m.files, [sha]);
  });
});
