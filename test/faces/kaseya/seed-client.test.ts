import { HANG_GUARD_MS } from '../../support/hang-guard.ts';
// Issue 7's acceptance: a client written from the seed alone (hashed login, then every patch endpoint,
// with filters, sorting and paging) passes against a server whose devices are simulated agents: a scan
// now makes the agents scan and the missing list change; run now installs; ignore hides a patch from the
// list when denied ones are hidden; history shows installs.
//
// The client below knows only seed 004: the base URL, GET /auth's payload algorithm, the envelope, the
// paths and fields of the Patch Management chapter and "Get Agents". One thing the seed leaves out is
// which agents "Run Patch Update" (PUT /assetmgmt/patch/runnow) and "Delete Patch" address; the client
// names them as the product's live API does (AgentGuids in the body, agentGuids in the query).
// The harness around it (server, simulated agents, task engine) uses Patchline itself.
import assert from 'node:assert/strict';
import { createHash, randomInt } from 'node:crypto';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Agent } from '../../../src/agent/agent.ts';
import { SimulatedBackend } from '../../../src/agent/backends/simulated.ts';
import { ProtocolClient } from '../../../src/agent/client.ts';
import { MemoryStorage } from '../../../src/agent/storage.ts';
import { startEngine, type Engine } from '../../../src/engine/engine.ts';
import { ADMIN_PASSWORD, signIn, startApp } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';

// ---- the client: seed 004 only ------------------------------------------------------------------------

interface Envelope<T = unknown> {
  TotalRecords?: number;
  Result: T;
  ResponseCode: number;
  Status: string;
  Error: string;
}

class VsaClient {
  private token = '';
  constructor(private readonly base: string) {}

  /** "Auth Payload Algorithm", steps 1 to 11 */
  async authenticate(username: string, password: string) {
    const hex = (alg: string, text: string) => createHash(alg).update(text).digest('hex');
    const random = String(randomInt(10_000_000, 99_999_999));
    const rawSha256 = hex('sha256', password);
    const coveredSha256 = hex('sha256', hex('sha256', password + username) + random);
    const rawSha1 = hex('sha1', password);
    const coveredSha1 = hex('sha1', hex('sha1', password + username) + random);
    const payload = `user=${username},pass2=${coveredSha256},pass1=${coveredSha1},rpass2=${rawSha256},rpass1=${rawSha1},rand2=${random}`;
    const res = await fetch(`${this.base}/auth`, {
      headers: { authorization: `Basic ${Buffer.from(payload).toString('base64')}` },
    });
    const env = (await res.json()) as Envelope<{ Token: string }>;
    assert.equal(env.ResponseCode, 0, env.Error);
    this.token = env.Result.Token;
  }

  async call<T>(method: 'GET' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<Envelope<T>> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const env = (await res.json()) as Envelope<T>;
    assert.equal(env.ResponseCode, 0, `${method} ${path}: ${env.Error}`);
    assert.equal(res.status, 200);
    return env;
  }

  /** a GET with filter, sort and paging expressions ("Filter, Sort and Paging Expressions") */
  list<T>(path: string, q: { filter?: string; orderby?: string; skip?: number; top?: number } = {}) {
    const parts = [
      q.filter !== undefined ? `$filter=${encodeURIComponent(q.filter)}` : '',
      q.orderby !== undefined ? `$orderby=${encodeURIComponent(q.orderby)}` : '',
      q.skip !== undefined ? `$skip=${q.skip}` : '',
      q.top !== undefined ? `$top=${q.top}` : '',
    ].filter(Boolean);
    return this.call<T[]>('GET', parts.length ? `${path}?${parts.join('&')}` : path);
  }

  // the Patch Management chapter
  scanNow = (agentId: string) => this.call<boolean>('PUT', `/assetmgmt/patch/${agentId}/scannow`);
  scheduleScan = (agentId: string, body: unknown) =>
    this.call<boolean>('PUT', `/assetmgmt/patch/${agentId}/schedule`, body);
  status = (agentId: string) => this.call<PatchStatus>('GET', `/assetmgmt/patch/${agentId}/status`);
  missing = (agentId: string, hideDenied: boolean, q: Parameters<VsaClient['list']>[1] = {}) =>
    this.list<Patch>(`/assetmgmt/patch/${agentId}/machineupdate/${hideDenied}`, q);
  history = (agentId: string, q: Parameters<VsaClient['list']>[1] = {}) =>
    this.list<Patch>(`/assetmgmt/patch/${agentId}/history`, q);
  runNow = (body: unknown) => this.call<boolean>('PUT', '/assetmgmt/patch/runnow', body);
  cancelSchedule = (agentId: string) =>
    this.call<boolean>('DELETE', `/assetmgmt/patch/${agentId}/cancelschedule`);
  deletePatch = (agentIds: string[]) =>
    this.call<boolean>('DELETE', `/assetmgmt/patch?agentGuids=${agentIds.join(',')}`);
  setIgnore = (agentId: string, patchIds: number[]) =>
    this.call<boolean>('PUT', `/assetmgmt/patch/${agentId}/setignore`, { PatchIds: patchIds });
  removeIgnore = (agentId: string, patchId: number) =>
    this.call<boolean>('DELETE', `/assetmgmt/patch/${agentId}/${patchId}/setignore`);

  /** every record of a list, page by page */
  async all<T>(path: string, q: { filter?: string; orderby?: string }, pageSize: number): Promise<T[]> {
    const out: T[] = [];
    for (let skip = 0; ; skip += pageSize) {
      const page = await this.list<T>(path, { ...q, skip, top: pageSize });
      out.push(...page.Result);
      if (out.length >= (page.TotalRecords ?? 0) || page.Result.length === 0) return out;
    }
  }
}

interface Patch {
  PatchDataId: number;
  UpdateClassification: number;
  UpdateTitle: string;
  PatchState: number;
  InstallDate: string | null;
  Ignore: number;
  ApprovalStatus: number;
}
interface PatchStatus {
  LastPatchScan: string | null;
  RunCount: number;
  NextRunTime: string | null;
  ScanNextRunTime: string | null;
}

/** a schedule body of the seed's request model (Recurrence / Distribution / Start / Exclusion) */
const schedule = (repeat: string, startOn: string, startAt: string) => ({
  ServerTimeZone: true,
  SkipIfOffLine: false,
  PowerUpIfOffLine: false,
  PatchIds: [0],
  Recurrence: { Repeat: repeat, Times: 1, EndAt: 'T0000', EndAfterIntervalTimes: 0 },
  Distribution: { Interval: 'Minutes', Magnitude: 0 },
  Start: { StartOn: startOn, StartAt: startAt },
  Exclusion: { From: 'T0000', To: 'T0000' },
  Attributes: {},
});

// ---- the harness: server, task engine, simulated agents ---------------------------------------------

const AGENTS = 3;
const MISSING = 0; // PatchState of a missing patch (core/status.ts UPDATE_STATUSES index)
const INSTALLED = [4, 7]; // installed, installed awaiting a reboot

eachDriver('a seed-only Kaseya client against simulated agents', (h) => {
  let app: FastifyInstance;
  let engine: Engine;
  const agents: { agent: Agent; backend: SimulatedBackend; deviceId: number }[] = [];

  before(async () => {
    const store = h.store();
    app = await startApp(store);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    const org = await admin.post('/api/v1/organizations', { name: 'Seedling', ref: 'seedling' });
    const token = (await admin.post(`/api/v1/organizations/${org.body.id}/install-tokens`, {})).body
      .token as string;
    const server = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const now = Date.now();
    for (let i = 0; i < AGENTS; i++) {
      const client = new ProtocolClient({ server, timeoutMs: 10_000 });
      const e = await client.enroll({ token, name: `sim-${i}`, osFamily: 'linux', osName: 'Debian 12' });
      client.credential = e.credential;
      const backend = new SimulatedBackend({
        seed: 100 + i,
        os: { family: 'debian', version: '12' },
        failureRate: 0,
        clock: () => now,
      });
      agents.push({
        agent: new Agent({ client, backend, storage: new MemoryStorage() }),
        backend,
        deviceId: e.deviceId,
      });
    }
    engine = startEngine({ store, owner: 'seed-client', pollMs: 20 });
  });
  after(async () => {
    await engine?.stop();
    await app?.close();
  });

  /** the agents check in until each has run a job of this kind handed out after `since` */
  async function agentsRun(kind: 'scan' | 'install', which: number[], sinceJob: number) {
    const deadline = Date.now() + HANG_GUARD_MS; // a hang guard, not a budget (test/support/hang-guard.ts)
    for (const i of which) {
      for (;;) {
        const job = await h
          .store()
          .db.selectFrom('jobs')
          .select(['id', 'status'])
          .where('device_id', '=', agents[i]!.deviceId)
          .where('kind', '=', kind)
          .where('id', '>', sinceJob)
          .orderBy('id', 'desc')
          .executeTakeFirst();
        if (job && job.status !== 'pending' && job.status !== 'delivered') break;
        if (job) await agents[i]!.agent.cycle();
        else await new Promise((r) => setTimeout(r, 20));
        assert.ok(Date.now() < deadline, `agent ${i} never finished a ${kind} job`);
      }
    }
  }
  const lastJob = async () =>
    (
      await h
        .store()
        .db.selectFrom('jobs')
        .select((eb) => eb.fn.max('id').as('id'))
        .executeTakeFirst()
    )?.id ?? 0;

  it('scans, lists, ignores, installs and shows history through the seed alone', async () => {
    const port = (app.server.address() as { port: number }).port;
    const vsa = new VsaClient(`http://127.0.0.1:${port}/api/v1.0`);
    await vsa.authenticate('admin', ADMIN_PASSWORD);

    const listed = await vsa.list<{ AgentId: string; AgentName: string }>('/assetmgmt/agents', {
      filter: "startswith(AgentName, 'sim-')",
      orderby: 'AgentName',
    });
    assert.equal(listed.TotalRecords, AGENTS);
    const ids = listed.Result.map((a) => a.AgentId);
    assert.deepEqual(
      ids,
      agents.map((a) => String(a.deviceId)),
    );

    // before any scan the server knows no missing patch
    for (const id of ids) assert.equal((await vsa.missing(id, false)).TotalRecords, 0);
    assert.equal((await vsa.status(ids[0]!)).Result.LastPatchScan, null);

    // scan now: the agents scan and the missing lists fill with what each machine misses
    let since = await lastJob();
    for (const id of ids) assert.equal((await vsa.scanNow(id)).Result, true);
    await agentsRun('scan', [0, 1, 2], since);
    for (const [i, id] of ids.entries()) {
      const m = await vsa.missing(id, false);
      assert.ok(m.TotalRecords! > 0, `agent ${i} misses patches`);
      assert.equal(m.TotalRecords, agents[i]!.backend.pendingCount());
      assert.ok(m.Result.every((p) => p.PatchState === MISSING));
    }
    assert.ok((await vsa.status(ids[0]!)).Result.LastPatchScan);

    // filters, sorting and paging agree with the whole list
    const a = ids[0]!;
    const whole = (await vsa.missing(a, false, { orderby: 'UpdateTitle' })).Result;
    const paged = await vsa.all<Patch>(
      `/assetmgmt/patch/${a}/machineupdate/false`,
      { orderby: 'UpdateTitle' },
      2,
    );
    assert.deepEqual(
      paged.map((p) => p.PatchDataId),
      whole.map((p) => p.PatchDataId),
    );
    const desc = await vsa.missing(a, false, { orderby: 'PatchDataId desc', top: 2, skip: 1 });
    const byIdDesc = whole.map((p) => p.PatchDataId).sort((x, y) => y - x);
    assert.deepEqual(
      desc.Result.map((p) => p.PatchDataId),
      byIdDesc.slice(1, 3),
    );
    assert.equal(desc.TotalRecords, whole.length);
    const security = await vsa.missing(a, false, { filter: 'UpdateClassification lt 200' });
    assert.equal(security.TotalRecords, whole.filter((p) => p.UpdateClassification < 200).length);
    const first = whole[0]!;
    const exact = await vsa.missing(a, false, { filter: `PatchDataId eq ${first.PatchDataId}` });
    assert.deepEqual(
      exact.Result.map((p) => p.UpdateTitle),
      [first.UpdateTitle],
    );

    // ignore hides a patch when denied ones are hidden
    assert.ok(whole.length >= 3, 'the machine misses at least three patches');
    const [ignored, x, y] = whole as [Patch, Patch, Patch];
    await vsa.setIgnore(a, [ignored.PatchDataId]);
    const hidden = await vsa.missing(a, true);
    assert.equal(hidden.TotalRecords, whole.length - 1);
    assert.ok(!hidden.Result.some((p) => p.PatchDataId === ignored.PatchDataId));
    const shown = await vsa.missing(a, false, { filter: 'Ignore eq 1' });
    assert.deepEqual(
      shown.Result.map((p) => p.PatchDataId),
      [ignored.PatchDataId],
    );

    // run now installs the named patches (never the ignored one) on the machine
    const before = agents[0]!.backend.pendingCount();
    since = await lastJob();
    await vsa.runNow({ AgentGuids: [a], PatchIds: [ignored.PatchDataId, x.PatchDataId, y.PatchDataId] });
    await agentsRun('install', [0], since);
    assert.equal(agents[0]!.backend.pendingCount(), before - 2, 'the machine installed two patches');
    const left = await vsa.missing(a, false);
    assert.equal(left.TotalRecords, whole.length - 2);
    const leftIds = left.Result.map((p) => p.PatchDataId);
    assert.ok(
      leftIds.includes(ignored.PatchDataId) &&
        !leftIds.includes(x.PatchDataId) &&
        !leftIds.includes(y.PatchDataId),
    );

    // history shows the installs
    const history = await vsa.history(a, { orderby: 'PatchDataId' });
    assert.deepEqual(
      history.Result.map((p) => p.PatchDataId),
      [x.PatchDataId, y.PatchDataId].sort((m, n) => m - n),
    );
    for (const p of history.Result) {
      assert.ok(INSTALLED.includes(p.PatchState), JSON.stringify(p));
      assert.ok(p.InstallDate && Date.parse(p.InstallDate) > 0);
    }
    const one = await vsa.history(a, { filter: `PatchDataId eq ${y.PatchDataId}`, top: 1 });
    assert.equal(one.TotalRecords, 1);
    assert.equal((await vsa.status(a)).Result.RunCount, 1);

    // removing the ignore brings the patch back into the list of wanted ones
    await vsa.removeIgnore(a, ignored.PatchDataId);
    assert.equal((await vsa.missing(a, true)).TotalRecords, whole.length - 2);

    // a scheduled scan, a scheduled patch update, its cancellation, and Delete Patch
    const b = ids[1]!;
    await vsa.scheduleScan(b, schedule('Days', '2031-05-01T00:00:00.000Z', 'T0400'));
    assert.equal((await vsa.status(b)).Result.ScanNextRunTime, '2031-05-01T04:00:00');
    const someOfB = (await vsa.missing(b, true, { top: 1 })).Result[0]!;
    await vsa.runNow({
      ...schedule('Weeks', '2031-05-05T00:00:00.000Z', 'T2300'),
      AgentGuids: [b],
      PatchIds: [someOfB.PatchDataId],
      Recurrence: {
        Repeat: 'Weeks',
        Times: 1,
        DaysOfWeek: 'Monday',
        EndAt: 'T0000',
        EndAfterIntervalTimes: 0,
      },
    });
    assert.equal((await vsa.status(b)).Result.NextRunTime, '2031-05-05T23:00:00');
    const named = await vsa.missing(b, false, { filter: `PatchDataId eq ${someOfB.PatchDataId}` });
    assert.equal(named.Result[0]!.ApprovalStatus, 0, 'the named patch is approved on the agent');
    await vsa.cancelSchedule(b);
    assert.equal((await vsa.status(b)).Result.NextRunTime, null);
    assert.equal((await vsa.deletePatch([b, ids[2]!])).Result, true);
    assert.equal(
      (await vsa.missing(b, true)).TotalRecords,
      agents[1]!.backend.pendingCount(),
      'nothing was installed',
    );
  });

  // Issue 16: the integration written by others, step by step, as it calls the server
  it('finds an agent by IP and by MAC, parses its scan date, installs two patches by the schedule call', async () => {
    const port = (app.server.address() as { port: number }).port;
    const vsa = new VsaClient(`http://127.0.0.1:${port}/api/v1.0`);
    await vsa.authenticate('admin', ADMIN_PASSWORD);
    // the machine's addresses, as Patchline knows them (the harness sets them through the native API)
    const c = agents[2]!;
    const admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    const placed = await admin.patch(`/api/v1/devices/${c.deviceId}`, {
      ipAddresses: ['192.0.2.51'],
      macAddresses: ['00:50:56:AB:CD:EF'],
    });
    assert.equal(placed.status, 200, JSON.stringify(placed.body));

    const byIp = await vsa.list<{ AgentId: string }>('/assetmgmt/agents', {
      filter: "IPAddress eq '192.0.2.51'",
    });
    assert.deepEqual(
      byIp.Result.map((a) => a.AgentId),
      [String(c.deviceId)],
    );
    const byMac = await vsa.list<{
      AssetId: string;
      AgentId: string;
      MACAddresses: string;
      LastSeenDate: string;
    }>('/assetmgmt/assets', { filter: "substringof('00:50:56:AB:CD:EF', MACAddresses)" });
    assert.equal(byMac.TotalRecords, 1);
    const asset = byMac.Result[0]!;
    assert.equal(asset.AgentId, String(c.deviceId));
    assert.match(asset.LastSeenDate, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+$/, 'a fraction, no zone');
    const id = asset.AgentId;

    // LastPatchScan, parsed as %Y-%m-%dT%H:%M:%S and nothing else
    const scanned = (await vsa.status(id)).Result.LastPatchScan;
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(scanned ?? '');
    assert.ok(m, `LastPatchScan ${scanned}`);
    assert.ok(
      Math.abs(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) - Date.now()) < 10 * 60_000,
    );

    const missing = (await vsa.missing(id, true, { orderby: 'PatchDataId' })).Result;
    assert.ok(missing.length >= 2, 'the machine misses two patches or more');
    const [p, r] = missing as [Patch, Patch];
    const before = c.backend.pendingCount();
    const since = await lastJob();
    const put = await vsa.scheduleScan(id, {
      ServerTimeZone: true,
      SkipIfOffLine: false,
      PowerUpIfOffLine: false,
      PatchIds: [p.PatchDataId, r.PatchDataId],
    });
    assert.deepEqual(put, { Result: true, ResponseCode: 0, Status: 'OK', Error: 'None' });
    await agentsRun('install', [2], since);
    assert.equal(c.backend.pendingCount(), before - 2, 'the machine installed the two patches');
    const history = await vsa.history(id, { orderby: 'PatchDataId' });
    assert.deepEqual(
      history.Result.map((h) => h.PatchDataId),
      [p.PatchDataId, r.PatchDataId].sort((x, y) => x - y),
    );
    for (const h of history.Result)
      assert.match(String(h.InstallDate), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
  });
});
