import { HANG_GUARD_MS } from '../../support/hang-guard.ts';
// Issue 14's acceptance: a client written from seed 001 alone (the Python wrapper's calls, their
// parameters and the policy and status codes it documents) runs against a server whose devices are a
// simulated Windows workstation and a simulated Linux server. It finds them through the directory
// services, lists their patches, approves two, ignores one, sets one to do nothing, and after each call
// patch_list_all shows the documented codes (66, 65, 68; status 2 for an approved missing patch). The
// approved patches install at the devices' next install time (a scheduled install task, the harness's
// stand-in for the devices' patch policy, whose time comes on the task engine's clock); the one whose
// package is broken fails and shows 16 with its policy unchanged, and patch_retry brings it back to
// pending (2), naming the patches already applied; the next install time installs it.
//
// The client knows only the seed and N-sight's documented transport (GET /api/?apikey=…&service=…, XML
// with status="OK"/"FAIL"). The harness (server, agents, engine, scan and install schedule) is Patchline.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { XMLParser } from 'fast-xml-parser';
import { Agent } from '../../../src/agent/agent.ts';
import { SimulatedBackend } from '../../../src/agent/backends/simulated.ts';
import { ProtocolClient } from '../../../src/agent/client.ts';
import { MemoryStorage } from '../../../src/agent/storage.ts';
import { startEngine, type Engine } from '../../../src/engine/engine.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';

// ---- the client: seed 001 only ------------------------------------------------------------------------

type Item = Record<string, string>;

class NsightError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** the wrapper's NAble class: one request per call, the answer's XML as plain records */
class NAble {
  private readonly parser = new XMLParser({
    ignoreAttributes: false,
    parseTagValue: false,
    htmlEntities: true,
    isArray: (name) => ['client', 'site', 'server', 'workstation', 'patch'].includes(name),
  });
  constructor(
    private readonly server: string,
    private readonly apikey: string,
  ) {}

  private async requester(service: string, params: Record<string, string | number> = {}) {
    const qs = new URLSearchParams({ apikey: this.apikey, service });
    for (const [k, v] of Object.entries(params)) qs.set(k, String(v));
    const res = await fetch(`${this.server}/api/?${qs.toString()}`);
    const doc = this.parser.parse(Buffer.from(await res.arrayBuffer()).toString('latin1'));
    const root = doc.result ?? doc.patches;
    if (root?.['@_status'] !== 'OK')
      throw new NsightError(Number(root?.error?.errorcode), String(root?.error?.message ?? 'no answer'));
    return root as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  }

  private static ids = (patchids: string | (string | number)[]) =>
    Array.isArray(patchids) ? patchids.join(',') : patchids;

  // clients, sites and devices
  async clients(): Promise<Item[]> {
    return (await this.requester('list_clients')).items?.client ?? [];
  }
  async sites(clientid: number): Promise<Item[]> {
    return (await this.requester('list_sites', { clientid })).items?.site ?? [];
  }
  async servers(siteid: number): Promise<Item[]> {
    return (await this.requester('list_servers', { siteid })).items?.server ?? [];
  }
  async workstations(siteid: number): Promise<Item[]> {
    return (await this.requester('list_workstations', { siteid })).items?.workstation ?? [];
  }

  // Patch Management
  async listPatches(deviceid: number): Promise<Item[]> {
    return (await this.requester('patch_list_all', { deviceid })).patch ?? [];
  }
  approvePatches = (deviceid: number, patchids: string | (string | number)[]) =>
    this.requester('patch_approve', { deviceid, patchids: NAble.ids(patchids) });
  doNothingPatches = (deviceid: number, patchids: string | (string | number)[]) =>
    this.requester('patch_do_nothing', { deviceid, patchids: NAble.ids(patchids) });
  ignorePatches = (deviceid: number, patchids: string | (string | number)[]) =>
    this.requester('patch_ignore', { deviceid, patchids: NAble.ids(patchids) });
  async reprocessPatches(deviceid: number, patchids: string | (string | number)[]): Promise<string> {
    return (await this.requester('patch_reprocess', { deviceid, patchids: NAble.ids(patchids) })).msg ?? '';
  }
  async retryPatches(deviceid: number, patchids: string | (string | number)[]): Promise<string> {
    return (await this.requester('patch_retry', { deviceid, patchids: NAble.ids(patchids) })).msg ?? '';
  }
}

// the seed's codes
const POLICY = {
  ignore: 1,
  approve: 2,
  doNothing: 4,
  ignoreByUser: 65,
  approveByUser: 66,
  doNothingByUser: 68,
};
const STATUS = {
  missing: 1,
  pending: 2,
  queued: 4,
  installed: 8,
  failed: 16,
  ignored: 23,
  rebootRequired: 64,
};

// ---- the harness -------------------------------------------------------------------------------------

eachDriver('a seed-only N-sight client against a simulated Windows and a simulated Linux device', (h) => {
  let app: FastifyInstance;
  let engine: Engine;
  let admin: Client;
  let orgId = 0;
  let clock = Date.now();
  const devices: Record<'windows' | 'linux', { agent: Agent; backend: SimulatedBackend; id: number }> =
    {} as never;

  before(async () => {
    const store = h.store();
    app = await startApp(store);
    await app.listen({ port: 0, host: '127.0.0.1' });
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    const org = await admin.post('/api/v1/organizations', { name: 'Seedling', ref: 'seedling' });
    orgId = org.body.id;
    const token = (await admin.post(`/api/v1/organizations/${orgId}/install-tokens`, {})).body
      .token as string;
    const server = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const machines = [
      ['windows', 'windows', 'Windows 11 Pro', { family: 'windows', version: '11-24H2' }],
      ['linux', 'linux', 'Debian 12', { family: 'debian', version: '12' }],
    ] as const;
    for (const [key, osFamily, osName, os] of machines) {
      const client = new ProtocolClient({ server, timeoutMs: 10_000 });
      const e = await client.enroll({ token, name: `sim-${key}`, osFamily, osName });
      client.credential = e.credential;
      const backend = new SimulatedBackend({ seed: 7, os, failureRate: 0, clock: () => clock });
      devices[key] = {
        agent: new Agent({ client, backend, storage: new MemoryStorage() }),
        backend,
        id: e.deviceId,
      };
    }
    engine = startEngine({ store, owner: 'nsight-seed', pollMs: 20, now: () => new Date(clock) });
  });
  after(async () => {
    await engine?.stop();
    await app?.close();
  });

  const lastJob = async () =>
    (
      await h
        .store()
        .db.selectFrom('jobs')
        .select((eb) => eb.fn.max('id').as('id'))
        .executeTakeFirst()
    )?.id ?? 0;

  /** the agent checks in until it has run a job of this kind created after job `since` */
  async function agentRuns(key: 'windows' | 'linux', kind: 'scan' | 'install', since: number) {
    const deadline = Date.now() + HANG_GUARD_MS; // a hang guard, not a budget (test/support/hang-guard.ts)
    for (;;) {
      const job = await h
        .store()
        .db.selectFrom('jobs')
        .select(['id', 'status'])
        .where('device_id', '=', devices[key].id)
        .where('kind', '=', kind)
        .where('id', '>', since)
        .orderBy('id', 'desc')
        .executeTakeFirst();
      if (job && job.status !== 'pending' && job.status !== 'delivered' && job.status !== 'running') return;
      if (job) await devices[key].agent.cycle();
      else await new Promise((r) => setTimeout(r, 20));
      assert.ok(Date.now() < deadline, `the ${key} device never finished a ${kind} job`);
    }
  }

  it('finds the devices, sets policies with the documented codes, installs, fails, retries', async () => {
    const port = (app.server.address() as { port: number }).port;
    const key = (await admin.post('/api/v1/api-keys', { name: 'nsight-script' })).body.key as string;
    const nable = new NAble(`http://127.0.0.1:${port}`, key);

    // a bad key: FAIL with code 3
    await assert.rejects(
      new NAble(`http://127.0.0.1:${port}`, 'wrong').clients(),
      (e: NsightError) => e.code === 3,
    );

    // the directory: client → site → the Linux server and the Windows workstation
    const client = (await nable.clients()).find((c) => c.name === 'Seedling');
    assert.ok(client);
    assert.equal(client.server_count, '1');
    assert.equal(client.workstation_count, '1');
    const sites = await nable.sites(Number(client.clientid));
    assert.equal(sites.length, 1);
    const site = Number(sites[0]!.siteid);
    const linux = (await nable.servers(site)).map((d) => Number(d.id));
    const windows = (await nable.workstations(site)).map((d) => Number(d.id));
    assert.deepEqual(linux, [devices.linux.id]);
    assert.deepEqual(windows, [devices.windows.id]);
    const [lin, win] = [linux[0]!, windows[0]!];

    // the devices scan (the harness asks through the native API); each then lists what it misses
    let since = await lastJob();
    for (const d of Object.values(devices))
      assert.equal((await admin.post(`/api/v1/devices/${d.id}/scan`, {})).status, 201);
    await agentRuns('windows', 'scan', since);
    await agentRuns('linux', 'scan', since);
    const winPatches = await nable.listPatches(win);
    const linPatches = await nable.listPatches(lin);
    assert.equal(
      winPatches.filter((p) => Number(p.status) === STATUS.missing).length,
      devices.windows.backend.pendingCount(),
    );
    assert.equal(
      linPatches.filter((p) => Number(p.status) === STATUS.missing).length,
      devices.linux.backend.pendingCount(),
    );
    assert.ok(winPatches.length >= 2 && linPatches.length >= 2, 'each device misses two patches or more');
    for (const p of [...winPatches, ...linPatches]) assert.equal(Number(p.policy), POLICY.doNothing);

    const codes = async (deviceid: number, patchid: string) => {
      const p = (await nable.listPatches(deviceid)).find((x) => x.patchid === patchid);
      assert.ok(p, `patch ${patchid} is listed`);
      return [Number(p.policy), Number(p.status)];
    };
    const [w1, w2] = winPatches.filter((p) => Number(p.status) === STATUS.missing) as [Item, Item];
    const [l1, l2] = linPatches.filter((p) => Number(p.status) === STATUS.missing) as [Item, Item];

    // approve two (one on each device; the list form and the string form of patchids)
    await nable.approvePatches(win, [w1.patchid!]);
    assert.deepEqual(await codes(win, w1.patchid!), [POLICY.approveByUser, STATUS.pending]);
    await nable.approvePatches(lin, String(l1.patchid));
    assert.deepEqual(await codes(lin, l1.patchid!), [POLICY.approveByUser, STATUS.pending]);
    // approving again causes no issue
    await nable.approvePatches(lin, [l1.patchid!]);
    assert.deepEqual(await codes(lin, l1.patchid!), [POLICY.approveByUser, STATUS.pending]);
    // ignore one
    await nable.ignorePatches(win, [w2.patchid!]);
    assert.deepEqual(await codes(win, w2.patchid!), [POLICY.ignoreByUser, STATUS.ignored]);
    // do nothing with one
    await nable.doNothingPatches(lin, [l2.patchid!]);
    assert.deepEqual(await codes(lin, l2.patchid!), [POLICY.doNothingByUser, STATUS.missing]);
    // an unknown patch id fails the call, names the id, and changes nothing
    await assert.rejects(nable.ignorePatches(lin, [l1.patchid!, '987654321']), (e: NsightError) => {
      assert.equal(e.code, 4);
      assert.match(e.message, /987654321/);
      return true;
    });
    assert.deepEqual(await codes(lin, l1.patchid!), [POLICY.approveByUser, STATUS.pending]);

    // the Linux package of l1 is broken: its install will fail
    devices.linux.backend.setBroken(l1.package!, true);

    // the devices' install time: every day at 03:00 UTC, from tomorrow (before it, nothing installs)
    const day = new Date(clock + 86_400_000).toISOString().slice(0, 10);
    const task = await admin.post('/api/v1/tasks', {
      organizationId: orgId,
      kind: 'install',
      name: 'patch policy: nightly install',
      parameters: { target: { kind: 'devices', ids: [win, lin] } },
      schedule: {
        recurrence: { kind: 'days', every: 1 },
        start: `${day}T03:00`,
        zone: { kind: 'named', name: 'UTC' },
        end: { kind: 'never' },
      },
    });
    assert.equal(task.status, 201, JSON.stringify(task.body));
    since = await lastJob();
    await new Promise((r) => setTimeout(r, 200)); // the engine polls: nothing is due yet
    assert.equal(await lastJob(), since, 'no install before the install time');
    assert.deepEqual(await codes(win, w1.patchid!), [POLICY.approveByUser, STATUS.pending]);

    // the install time comes
    clock = Date.parse(`${day}T03:00:30Z`);
    await agentRuns('windows', 'install', since);
    await agentRuns('linux', 'install', since);
    const [wp, ws] = await codes(win, w1.patchid!);
    assert.equal(wp, POLICY.approveByUser);
    assert.ok(ws === STATUS.installed || ws === STATUS.rebootRequired, `the approved patch installed: ${ws}`);
    const installed = (await nable.listPatches(win)).find((p) => p.patchid === w1.patchid)!;
    assert.ok(installed.installed_date, 'it has an install date');
    // the failed install shows 16, its policy unchanged; the ignored and do-nothing ones did not move
    assert.deepEqual(await codes(lin, l1.patchid!), [POLICY.approveByUser, STATUS.failed]);
    assert.deepEqual(await codes(win, w2.patchid!), [POLICY.ignoreByUser, STATUS.ignored]);
    assert.deepEqual(await codes(lin, l2.patchid!), [POLICY.doNothingByUser, STATUS.missing]);

    // retry brings the failed one back to pending, naming what was already applied
    const msg = await nable.retryPatches(lin, [l1.patchid!, l2.patchid!]);
    assert.equal(msg, `Retrying patches: ${l1.patchid} Patches already applied: ${l2.patchid}`);
    assert.deepEqual(await codes(lin, l1.patchid!), [POLICY.approveByUser, STATUS.pending]);
    // reprocess answers the same way for what did not fail
    assert.equal(await nable.reprocessPatches(win, w1.patchid!), `Patches already applied: ${w1.patchid}`);

    // the package is mended; the next install time installs the retried patch
    devices.linux.backend.setBroken(l1.package!, false);
    since = await lastJob();
    clock = Date.parse(`${day}T03:00:30Z`) + 86_400_000;
    await agentRuns('linux', 'install', since);
    const [, again] = await codes(lin, l1.patchid!);
    assert.ok(again === STATUS.installed || again === STATUS.rebootRequired, `installed on retry: ${again}`);
  });
});
