// The agent's pieces with plain values and a fake server: report conversion and deltas, backoff, the
// on-disk outbox, sequence repair (needFull), one install at a time, and delivery exactly once.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Agent } from '../../src/agent/agent.ts';
import type { Backend, InstallRequest, ScanResult } from '../../src/agent/backends/index.ts';
import {
  backoffMs,
  HttpError,
  jittered,
  UnreachableError,
  type CheckInResponse,
  type Job,
  type JobResultRequest,
  type ProtocolClient,
  type ScanRequest,
} from '../../src/agent/client.ts';
import { parseConfig } from '../../src/agent/config.ts';
import { checkFleetOptions } from '../../src/agent/fleet/fleet.ts';
import { percentile } from '../../src/agent/fleet/stats.ts';
import { deltaOf, scanToReport, snapshotOf } from '../../src/agent/report.ts';
import { FileStorage, MemoryStorage, resultKey, scanKey } from '../../src/agent/storage.ts';

const upd = (name: string, version: string, installedVersion = '1.0') => ({
  id: `${name}:amd64`,
  kind: 'package' as const,
  name,
  arch: 'amd64',
  installedVersion,
  version,
  source: 'Debian-Security:12/stable-security',
  classification: 'security' as const,
  severity: 'important' as const,
  advisoryIds: [],
  cves: ['CVE-2024-1234', 'not-a-cve'],
  reboot: 'never' as const,
});
const scanOf = (updates: ReturnType<typeof upd>[], inventory: ScanResult['inventory'] = []): ScanResult => ({
  backend: 'apt',
  updates,
  inventory,
  warnings: [],
});

describe('scan reports', () => {
  test('an apt scan becomes deb updates; a half-configured package is missing at its version', () => {
    const r = scanToReport(
      scanOf(
        [upd('openssl', '3.0.15-1')],
        [{ name: 'plfail', version: '1.1', arch: 'all', status: 'half-configured' }],
      ),
    );
    assert.deepEqual(
      r.map((u) => [u.kind, u.name, u.version, u.architecture, u.detection, u.isSecurity, u.cves]),
      [
        ['deb', 'openssl', '3.0.15-1', 'amd64', 'missing', true, ['CVE-2024-1234']],
        ['deb', 'plfail', '1.1', 'all', 'missing', undefined, undefined],
      ],
    );
  });

  const cases: { name: string; before: string[]; after: string[]; delta: string[] }[] = [
    { name: 'nothing changed', before: ['a 2'], after: ['a 2'], delta: [] },
    { name: 'a new update', before: ['a 2'], after: ['a 2', 'b 5'], delta: ['b 5 missing'] },
    {
      name: 'an update went away: installed',
      before: ['a 2', 'b 5'],
      after: ['b 5'],
      delta: ['a 2 installed'],
    },
    {
      name: 'a newer version replaces one',
      before: ['a 2'],
      after: ['a 3'],
      delta: ['a 3 missing', 'a 2 installed'],
    },
    { name: 'epoch versions survive', before: ['e 1:2.0'], after: [], delta: ['e 1:2.0 installed'] },
  ];
  for (const c of cases)
    test(`delta: ${c.name}`, () => {
      const rep = (xs: string[]) =>
        scanToReport(scanOf(xs.map((x) => upd(x.split(' ')[0]!, x.split(' ')[1]!))));
      const d = deltaOf(snapshotOf(rep(c.before)), rep(c.after));
      assert.deepEqual(
        d.map((u) => `${u.name} ${u.version} ${u.detection}`),
        c.delta,
      );
    });
});

describe('backoff and jitter', () => {
  test('full jitter stays under the exponential ceiling and the cap', () => {
    assert.deepEqual(
      [0, 1, 3, 10, 40].map((a) => backoffMs(a, 1000, 60_000, () => 0.999999)),
      [999, 1999, 7999, 59999, 59999],
    );
    assert.equal(
      backoffMs(5, 1000, 60_000, () => 0),
      0,
    );
    assert.deepEqual([jittered(1000, 0.1, () => 0), jittered(1000, 0.1, () => 1)], [900, 1100]);
  });
});

describe('config', () => {
  test('every problem is named with its field', () => {
    assert.throws(
      () => parseConfig({ server: 'ftp://x', deviceId: 0, backend: { kind: 'pkgsrc' } }),
      (e: Error) =>
        /"server" must start with http/.test(e.message) &&
        /"credential"/.test(e.message) &&
        /"deviceId" must be a positive integer/.test(e.message) &&
        /"backend.kind" must be one of apt, dnf/.test(e.message),
    );
  });
});

describe('outbox on disk', () => {
  test('keeps messages across instances, results first, scans by sequence, one per key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pl-outbox-'));
    try {
      const a = new FileStorage(dir);
      await a.put({ key: scanKey(2), type: 'scan', body: { sequence: 2, full: false, updates: [] } });
      await a.put({ key: scanKey(10), type: 'scan', body: { sequence: 10, full: true, updates: [] } });
      await a.put({ key: resultKey(7), type: 'result', jobId: 7, body: { status: 'failed' } });
      await a.put({ key: resultKey(7), type: 'result', jobId: 7, body: { status: 'succeeded' } });
      await a.saveState({ scanSequence: 10, lastSnapshot: {}, jobs: { 7: 'done' }, inventoryHash: null });
      const b = new FileStorage(dir);
      const list = await b.list();
      assert.deepEqual(
        list.map((m) => m.key),
        [resultKey(7), scanKey(2), scanKey(10)],
      );
      assert.equal((list[0]!.body as JobResultRequest).status, 'succeeded');
      assert.equal((await b.loadState()).scanSequence, 10);
      await b.remove(resultKey(7));
      assert.equal((await new FileStorage(dir).list()).length, 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** a server in memory that applies scan sequences like services/agents.ts and counts what it got */
class FakeServer {
  sequence = 0;
  jobs: Job[] = [];
  results = new Map<number, number>();
  scans: ScanRequest[] = [];
  down = false;
  client(): ProtocolClient {
    const check = () => {
      if (this.down) throw new UnreachableError('/x', new Error('connect ECONNREFUSED'));
    };
    return {
      checkIn: async (): Promise<CheckInResponse> => {
        check();
        return {
          protocol: 1,
          serverTime: new Date().toISOString(),
          scanSequence: this.sequence,
          jobs: this.jobs.filter((j) => !this.results.has(j.id)),
          settingsHash: 'no-settings',
        };
      },
      jobProgress: async () => {
        check();
        return { recorded: true, duplicate: false, installing: 1 };
      },
      scan: async (r: ScanRequest) => {
        check();
        this.scans.push(r);
        if (r.sequence <= this.sequence)
          return { accepted: false, duplicate: true, needFull: false, scanSequence: this.sequence };
        if (!r.full && r.sequence !== this.sequence + 1)
          return { accepted: false, duplicate: false, needFull: true, scanSequence: this.sequence };
        this.sequence = r.sequence;
        return { accepted: true, duplicate: false, needFull: false, scanSequence: r.sequence };
      },
      jobResult: async (id: number) => {
        check();
        if (this.results.has(id)) return { recorded: false, duplicate: true };
        this.results.set(id, 1);
        return { recorded: true, duplicate: false };
      },
    } as unknown as ProtocolClient;
  }
}

/** a backend that records how many installs run at once */
function countingBackend() {
  let running = 0;
  const state = { maxConcurrent: 0, installed: [] as string[] };
  const backend: Backend = {
    name: 'simulated',
    scan: async () => ({ backend: 'simulated', updates: [], inventory: [], warnings: [] }),
    install: async (rs: readonly InstallRequest[]) => {
      running++;
      state.maxConcurrent = Math.max(state.maxConcurrent, running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
      state.installed.push(...rs.map((r) => `${r.name}=${r.version}`));
      return rs.map((r) => ({
        id: r.id,
        name: r.name,
        status: 'succeeded' as const,
        exitCode: 0,
        message: 'ok',
        newVersion: r.version ?? null,
        rebootRequired: false,
      }));
    },
    rebootRequired: async () => ({ required: false, packages: [] }),
  };
  return { backend, state };
}

const installJob = (id: number, name: string): Job => ({
  id,
  kind: 'install',
  notBefore: null,
  payload: {
    updates: [
      { updateId: id, kind: 'simulated', name, packageName: name, version: '2.0', architecture: null },
    ],
  },
});

describe('agent', () => {
  test('installs exactly the requested versions, one install at a time, even when rounds overlap', async () => {
    const server = new FakeServer();
    server.jobs = [installJob(1, 'a'), installJob(2, 'b')];
    const { backend, state } = countingBackend();
    const agent = new Agent({ client: server.client(), backend, storage: new MemoryStorage() });
    const other = new Agent({ client: server.client(), backend, storage: new MemoryStorage() });
    // two agents on one machine would be a misconfiguration; two rounds of one agent must not overlap installs
    await Promise.all([agent.cycle(), agent.cycle()]);
    assert.equal(state.maxConcurrent, 1);
    assert.deepEqual(state.installed.sort(), ['a=2.0', 'b=2.0']);
    assert.deepEqual([...server.results.keys()].sort(), [1, 2]);
    void other;
  });

  test('queues results and scans while the server is down and delivers each once when it is back', async () => {
    const server = new FakeServer();
    const { backend } = countingBackend();
    const storage = new MemoryStorage();
    const agent = new Agent({ client: server.client(), backend, storage });
    await agent.scanAndQueue(false);
    await agent.cycle();
    assert.equal(server.sequence, 1);
    server.jobs = [installJob(5, 'c')];
    // the check-in works, then the server goes away before the result is sent
    const client = server.client();
    const realResult = client.jobResult.bind(client);
    let calls = 0;
    (client as { jobResult: typeof client.jobResult }).jobResult = async (id, r) => {
      if (++calls === 1) server.down = true;
      return realResult(id, r);
    };
    const a2 = new Agent({ client, backend, storage });
    await assert.rejects(a2.cycle(), UnreachableError);
    assert.deepEqual(
      (await storage.list()).map((m) => m.key),
      [resultKey(5), scanKey(2)],
    );
    await assert.rejects(a2.flush(), UnreachableError);
    server.down = false;
    await a2.cycle();
    assert.equal(calls, 3);
    assert.deepEqual([...server.results.entries()], [[5, 1]]);
    assert.equal(storage.size, 0);
    assert.equal(server.sequence, 2);
    // a job handed out again after its result was queued is not run twice
    assert.equal(await a2.runJob(installJob(5, 'c')), false);
  });

  test('after a lost report the server asks for a full snapshot and gets one', async () => {
    const server = new FakeServer();
    const { backend } = countingBackend();
    const storage = new MemoryStorage();
    const agent = new Agent({ client: server.client(), backend, storage });
    await agent.scanAndQueue(false);
    await agent.flush();
    await agent.scanAndQueue(false);
    await storage.remove(scanKey(2)); // lost
    await agent.scanAndQueue(false); // a delta with sequence 3 after a gap
    await agent.flush();
    assert.deepEqual(
      server.scans.map((s) => [s.sequence, s.full]),
      [
        [1, true],
        [3, false],
        [4, true],
      ],
    );
    assert.equal(server.sequence, 4);
  });

  test('a rejected message (4xx) is dropped, not retried forever', async () => {
    const server = new FakeServer();
    const { backend } = countingBackend();
    const storage = new MemoryStorage();
    const client = server.client();
    (client as { jobResult: typeof client.jobResult }).jobResult = async () => {
      throw new HttpError('/jobs/9/result', 404, { detail: 'job 9 not found' });
    };
    const lines: string[] = [];
    const agent = new Agent({ client, backend, storage, log: (l) => lines.push(l) });
    await storage.put({ key: resultKey(9), type: 'result', jobId: 9, body: { status: 'succeeded' } });
    assert.equal(await agent.flush(), 0);
    assert.equal(storage.size, 0);
    assert.match(lines[0]!, /dropped result-0+9: POST \/jobs\/9\/result answered 404: job 9 not found/);
  });
});

describe('fleet', () => {
  test('percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.deepEqual(
      [50, 90, 99, 100].map((p) => percentile(xs, p)),
      [50, 90, 99, 100],
    );
  });
  test('only a server on this machine, bounded in count and time', () => {
    const p = checkFleetOptions({
      server: 'http://10.0.0.5:8080',
      devices: 10_000_000,
      durationSeconds: 99_999,
      apiKey: 'k',
    });
    assert.deepEqual(p, [
      '--server must be on this machine (127.0.0.1, localhost or ::1), got 10.0.0.5',
      '--devices must be an integer from 1 to 200000',
      '--duration must be a number of seconds from 0 to 3600',
    ]);
    assert.deepEqual(checkFleetOptions({ server: 'http://127.0.0.1:1', devices: 5 }), []);
  });
});
