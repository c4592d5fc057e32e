// Issue 16: every date-time value of every Kaseya answer is written as the table of src/faces/kaseya/
// dates.ts says ('second' yyyy-MM-ddTHH:mm:ss, 'fraction' yyyy-MM-ddTHH:mm:ss.fff, never a zone), and no
// field escapes the table. Simulated Windows and Debian agents are audited, scanned, patched, run a
// procedure; a procedure and a patch scan are scheduled, warranty dates set, an alarm raised; then every
// GET route of seed 004 (fixtures/seed-routes.txt) is called for each agent, and every date-like value
// of every answer is checked against the table by its field name. PGlite only: the rendering is the face's.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Agent } from '../../../src/agent/agent.ts';
import { SimulatedBackend } from '../../../src/agent/backends/simulated.ts';
import { ProtocolClient } from '../../../src/agent/client.ts';
import { MemoryStorage } from '../../../src/agent/storage.ts';
import type { SimulatedOs } from '../../../src/core/simulation/machine.ts';
import { createAlertEngine } from '../../../src/engine/alerts.ts';
import { startEngine, type Engine } from '../../../src/engine/engine.ts';
import { DATE_FORMS } from '../../../src/faces/kaseya/dates.ts';
import { systemContext } from '../../../src/services/context.ts';
import { record } from '../../../src/services/events.ts';
import type { Store } from '../../../src/store/db.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { HANG_GUARD_MS } from '../../support/hang-guard.ts';
import { freshStore } from '../../support/store.ts';
import { kcall } from './request.ts';
import { kaseyaSignIn } from './support.ts';

const V = '/api/v1.0';
const GET_ROUTES = readFileSync(new URL('./fixtures/seed-routes.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('GET '))
  .map((l) => l.slice(4));

/** a value that looks like a date-time, in whatever form */
const DATE_LIKE = /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d/;
const FORM: Record<string, RegExp> = {
  second: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/,
  fraction: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/,
};

/**
 * Every date-like value of an answer, with the field name it is under, that breaks the table: a field not
 * in the table, or one in the wrong form. Values of a table field are checked whatever they look like.
 * Attributes.Data of a log entry is the event's own data (Patchline's event log, not a VSA field): it is
 * left as the event recorded it.
 */
function offences(value: unknown, key: string, path: string, out: string[], seen: Set<string>) {
  if (Array.isArray(value)) value.forEach((v, i) => offences(v, key, `${path}[${i}]`, out, seen));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Data' && path.endsWith('.Attributes')) continue;
      offences(v, k, `${path}.${k}`, out, seen);
    }
  } else if (typeof value === 'string') {
    const form = DATE_FORMS[key];
    if (form !== undefined) {
      seen.add(key);
      if (!FORM[form]!.test(value)) out.push(`${path} = ${value}: not the '${form}' form`);
    } else if (DATE_LIKE.test(value))
      out.push(`${path} = ${value}: a date-time field missing from DATE_FORMS`);
  }
}

describe('Kaseya VSA: every date-time of every seed GET route follows the table of dates.ts', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let app: FastifyInstance;
  let engine: Engine;
  let native: Client;
  let bearer: string;
  let orgId: number;
  let deptId: string;
  let alarmId: string;
  let groupId: number;
  let userId: string;
  const agents: Record<'win' | 'deb', { agent: Agent; deviceId: number }> = {} as never;
  const k = (method: 'GET' | 'PUT' | 'POST', url: string, body?: unknown) =>
    kcall(app, method, `${V}${url}`, bearer, body);
  const ok = async (method: 'GET' | 'PUT' | 'POST', url: string, body?: unknown) => {
    const r = await k(method, url, body);
    assert.equal(r.status, 200, `${method} ${url}: ${r.text}`);
    return r.body.Result;
  };

  /** the agent checks in until its newest job of this kind has ended */
  async function runs(key: 'win' | 'deb', kind: string) {
    const { agent, deviceId } = agents[key];
    const deadline = Date.now() + HANG_GUARD_MS;
    for (;;) {
      const job = await store.db
        .selectFrom('jobs')
        .select(['id', 'status'])
        .where('device_id', '=', deviceId)
        .where('kind', '=', kind)
        .orderBy('id', 'desc')
        .executeTakeFirst();
      if (job && !['pending', 'delivered', 'running'].includes(job.status)) return job;
      if (job) await agent.cycle();
      else await new Promise((r) => setTimeout(r, 20));
      assert.ok(Date.now() < deadline, `${key} never finished its ${kind} job`);
    }
  }

  before(async () => {
    ({ store, cleanup } = await freshStore('pglite'));
    app = await startApp(store);
    await app.listen({ port: 0, host: '127.0.0.1' });
    native = await signIn(app, 'admin', ADMIN_PASSWORD);
    const server = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    orgId = (await native.post('/api/v1/organizations', { name: 'Dates', ref: 'dates' })).body.id;
    const token = (await native.post(`/api/v1/organizations/${orgId}/install-tokens`, {})).body.token;
    const oses: ['win' | 'deb', SimulatedOs, 'windows' | 'linux'][] = [
      ['win', { family: 'windows', version: '11' }, 'windows'],
      ['deb', { family: 'debian', version: '12' }, 'linux'],
    ];
    for (const [key, os, osFamily] of oses) {
      const client = new ProtocolClient({ server, timeoutMs: 10_000 });
      const e = await client.enroll({ token, name: `dates-${key}`, osFamily });
      client.credential = e.credential;
      const backend = new SimulatedBackend({ seed: key.length * 11, os, failureRate: 0 });
      agents[key] = {
        agent: new Agent({ client, backend, storage: new MemoryStorage() }),
        deviceId: e.deviceId,
      };
    }
    engine = startEngine({ store, owner: 'kaseya-dates', pollMs: 20 });
    bearer = await kaseyaSignIn(app, 'admin', ADMIN_PASSWORD);
    const win = agents.win.deviceId;
    const deb = agents.deb.deviceId;
    groupId = (await native.get(`/api/v1/devices/${deb}`)).body.groupId;
    userId = (await ok('GET', "/system/users?$filter=AdminName eq 'admin'"))[0].UserId;

    // audits (each one a scan too): the summary, the lists, the baseline
    for (const key of ['win', 'deb'] as const) {
      assert.equal(await ok('PUT', `/assetmgmt/audit/latest/${agents[key].deviceId}/runnow`), true);
      assert.equal((await runs(key, 'scan')).status, 'succeeded');
    }
    await ok('PUT', `/assetmgmt/audit/${win}/hardware/purchaseandwarrantyexpire`, {
      PurchaseDate: '2024-08-01T00:00:00Z',
      WarrantyExpireDate: '2027-08-01T00:00:00Z',
    });
    // a patch installed through the schedule call (history, InstallDate); a patch scan scheduled
    const missing = await ok('GET', `/assetmgmt/patch/${deb}/machineupdate/false`);
    assert.ok(missing.length > 0, 'the Debian agent misses a patch');
    await ok('PUT', `/assetmgmt/patch/${deb}/schedule`, { PatchIds: [missing[0].PatchDataId] });
    assert.equal((await runs('deb', 'install')).status, 'succeeded');
    const future = {
      Recurrence: { Repeat: 'Days', Times: 1, EndAt: 'T0000', EndAfterIntervalTimes: 0 },
      Distribution: { Interval: 'Minutes', Magnitude: 0 },
      Start: { StartOn: '2031-05-01T00:00:00.000Z', StartAt: 'T0400' },
    };
    await ok('PUT', `/assetmgmt/patch/${win}/schedule`, { ...future, PatchIds: [0] });
    // a procedure run now (history, the procedure log) and one scheduled (NextExecTime)
    const on = await native.call('PUT', `/api/v1/organizations/${orgId}/script-settings`, {
      scriptsEnabled: true,
    });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    const proc = await native.post('/api/v1/procedures', {
      organizationId: orgId,
      name: 'Uptime',
      script: { shell: 'sh', code: 'uptime' },
    });
    assert.equal(proc.status, 201, JSON.stringify(proc.body));
    await ok('PUT', `/automation/agentprocs/${deb}/${proc.body.id}/runnow`);
    assert.equal((await runs('deb', 'script')).status, 'succeeded');
    await ok('PUT', `/automation/agentprocs/${deb}/${proc.body.id}/schedule`, future);
    // an alarm (an install that failed), a department, a configuration change
    const sys = systemContext(store, 'dates');
    const updateId = (await native.get(`/api/v1/devices/${deb}/updates?limit=1`)).body.items[0].updateId;
    await record(sys, store.db, {
      kind: 'device_update.status',
      organizationId: orgId,
      subjectType: 'device_update',
      subjectId: `${deb}:${updateId}`,
      deviceId: deb,
      updateId,
      data: { from: 'installing', to: 'failed', reason: 'dates' },
    });
    await createAlertEngine({ store }).tick();
    const alarms = await ok('GET', "/assetmgmt/alarms?$filter=AlarmType eq 'install.failed'");
    assert.equal(alarms.length, 1, JSON.stringify(alarms));
    alarmId = alarms[0].AlarmId;
    deptId = await ok('POST', `/system/orgs/${orgId}/departments`, { DepartmentName: 'IT' });
    await ok('PUT', `/assetmgmt/agents/${deb}/rename/dates-debian`);
  });
  after(async () => {
    await engine?.stop();
    await app?.close();
    await cleanup?.();
  });

  it('writes every date-like value of every seed GET answer in the form the table gives its field', async () => {
    const value = (name: string, agent: number): string => {
      if (/^(agentId|agentGuid|agentguid|assetId)$/.test(name)) return String(agent);
      if (name === 'orgId') return String(orgId);
      if (name === 'machineGroupId') return String(groupId);
      if (name === 'deptId') return deptId;
      if (name === 'alarmId') return alarmId;
      if (name === 'userId') return userId;
      if (/^(hideDeniedPatches|returnAllRecords)$/.test(name)) return 'false';
      if (name === 'since') return '2020-01-01';
      return '1';
    };
    const problems: string[] = [];
    const seen = new Set<string>();
    const fields = new Set<string>();
    for (const agent of [agents.win.deviceId, agents.deb.deviceId])
      for (const path of GET_ROUTES) {
        const url = path.replace(/\{([^}]+)\}/g, (_, n: string) => encodeURIComponent(value(n, agent)));
        if (seen.has(url)) continue;
        seen.add(url);
        const r = await k('GET', url);
        if (r.status === 501) continue; // a module Patchline does not provide: no data
        assert.ok(r.status < 500, `GET ${url}: ${r.status} ${r.text.slice(0, 300)}`);
        if (r.status !== 200) continue;
        offences(r.body.Result, '', `GET ${url} Result`, problems, fields);
      }
    assert.deepEqual(problems, []);
    // the walk saw the data it was built for: the dates of agents, assets, patches, the audit chapter,
    // procedures, alarms and logs, in both forms
    const expected = [
      ...['LastCheckInTime', 'FirstCheckIn', 'LastPatchScan', 'ExecScriptTime', 'InstallDate'],
      ...['ScanNextRunTime', 'LastSeenDate', 'DeviceTime', 'ServerTime', 'CreationDate'],
      ...['LastAudit', 'KServerTime', 'LastCheckin', 'LastReboot', 'RebootTime', 'BiosReleaseDate'],
      ...['PurchaseDate', 'WarrantyExpireDate', 'LastModifiedDate', 'NextExecTime', 'StartOn'],
      ...['LastExecutionTime', 'LastExecution', 'EventTime', 'Time'],
    ];
    assert.deepEqual(
      expected.filter((f) => !fields.has(f)),
      [],
      `seen: ${[...fields].sort().join(', ')}`,
    );
  });
});
