// The Patch Management chapter of the Kaseya VSA face (seed 004): lists in the seed's fields with
// $filter / $orderby / $skip / $top, ignore and hideDeniedPatches, scan now and scheduled scans, run now,
// cancel and delete, history from the event log, privileges and tenancy.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { createEngine } from '../../../src/engine/engine.ts';
import { checkIn, deviceActor, reportJobResult } from '../../../src/services/agents.ts';
import { Context, systemContext } from '../../../src/services/context.ts';
import { ingestScan } from '../../../src/services/scans.ts';
import type { Store } from '../../../src/store/db.ts';
import { ADMIN_PASSWORD, signIn, type Client } from '../../support/api.ts';
import { eachDriver } from '../../support/store.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';
import { kcall } from './request.ts';
import { kaseyaSignIn, kget, startKaseyaApp, type KRes } from './support.ts';

const P = '/api/v1.0/assetmgmt/patch';

/** the fields of the seed's model schema of a missing or history patch record */
const MODEL_FIELDS = [
  'PatchDataId',
  'UpdateClassification',
  'UpdateCategory',
  'KBArticleId',
  'KBArticleLink',
  'SecurityBulletinId',
  'SecurityBulletinLink',
  'UpdateTitle',
  'LastPublishedDate',
  'LocationPending',
  'LocationId',
  'BulletinId',
  'PatchState',
  'InstallDate',
  'Ignore',
  'ProductId',
  'ApprovalStatus',
  'Location',
  'WuaOverrideFlag',
  'Switches',
  'ProductName',
  'IsSuperseded',
  'WuaProductId',
];
const SAMPLE_FIELDS = [
  'Description',
  'KBArticle',
  'Product',
  'ReleaseDate',
  'Status',
  'manualUpdateFlag',
  'schedTogether',
];
const STATUS_FIELDS = [
  'AgentType',
  'LastPatchScan',
  'ExecScriptTime',
  'RunCount',
  'MonthPeriod',
  'ExecPeriod',
  'RunAtTime',
  'NextPatchScan',
  'NextRunTime',
  'ScheduledScanScriptId',
  'ScheduledScanScriptSchedType',
  'ScanRunAtTime',
  'ScanNextRunTime',
  'NewPatchAlert',
  'PatchFailedAlert',
  'InvalidCredentialAlert',
  'WINAUChangedAlert',
  'AlertEmail',
  'SourceMachineGuid',
  'LanCacheName',
  'PreRebootScriptName',
  'PostRebootScriptName',
  'ScanResultsPending',
  'Reset',
  'RbWarn',
  'RebootDay',
  'RebootTime',
  'NoRebootEmail',
  'SourceType',
  'SourcePath',
  'SourceLocal',
  'DestUseAgentDrive',
  'UseInternetSrcFallback',
];
// PatchState is the index of the status in core/status.ts UPDATE_STATUSES
const STATE = { missing: 0, pending: 1, queued: 2, installed: 4, failed: 5, ignored: 6 };

interface Patch {
  PatchDataId: number;
  UpdateTitle: string;
  PatchState: number;
  Ignore: number;
  ApprovalStatus: number;
  InstallDate: string | null;
  [k: string]: unknown;
}

/** rows of the tables an action may change, to prove a refused one changed nothing */
async function footprint(store: Store) {
  const r = await sql<Record<string, number>>`select
    (select count(*)::int from tasks) as tasks, (select count(*)::int from task_instances) as instances,
    (select count(*)::int from jobs) as jobs, (select count(*)::int from approvals) as approvals,
    (select count(*)::int from schedules) as schedules, (select count(*)::int from events) as events,
    (select count(*)::int from jobs where status = 'cancelled') as cancelled,
    (select count(*)::int from tasks where not enabled) as disabled`.execute(store.db);
  return r.rows[0];
}

eachDriver('Kaseya VSA patch management', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let w: World;
  let bearer: string;
  const missing = async (deviceId: number, hide: boolean, q = '', auth = bearer) =>
    kget(app, `${P}/${deviceId}/machineupdate/${hide}${q}`, auth);
  const byId = (r: KRes) => new Map((r.body.Result as Patch[]).map((p) => [p.PatchDataId, p]));

  before(async () => {
    app = await startKaseyaApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
    bearer = await kaseyaSignIn(app, 'admin', ADMIN_PASSWORD);
  });
  after(async () => app?.close());

  it("lists an agent's missing patches in the seed's fields, filtered, sorted and paged in SQL", async () => {
    const all = await missing(w.deviceA.id, false);
    assert.equal(all.status, 200, all.text);
    assert.equal(all.body.ResponseCode, 0);
    assert.equal(all.body.TotalRecords, 3);
    const rows = byId(all);
    assert.deepEqual([...rows.keys()].sort(), Object.values(w.updates).sort());
    for (const p of rows.values())
      for (const f of [...MODEL_FIELDS, ...SAMPLE_FIELDS]) assert.ok(f in p, `${f} in ${JSON.stringify(p)}`);
    const openssl = rows.get(w.updates.openssl)!;
    assert.equal(openssl.UpdateTitle, 'openssl 3.0.22-1~deb12u2');
    assert.equal(openssl.Description, openssl.UpdateTitle);
    assert.equal(openssl.PatchState, STATE.missing);
    assert.equal(openssl.Status, STATE.missing);
    assert.equal(openssl.ApprovalStatus, 2, 'nobody decided: pending approval');
    assert.equal(openssl.Ignore, 0);
    assert.equal(openssl.UpdateClassification, 101, 'security update, high');
    assert.equal(openssl.UpdateCategory, 0);
    assert.equal(openssl.IsSuperseded, false);
    assert.equal(openssl.InstallDate, null);
    assert.equal(openssl.ProductName, 'openssl');
    assert.equal(rows.get(w.updates.liblzma5)!.UpdateClassification, 100, 'security update, critical');
    assert.equal(rows.get(w.updates.tzdata)!.UpdateClassification, 230);
    assert.equal(rows.get(w.updates.tzdata)!.UpdateCategory, 4);

    const page = await missing(
      w.deviceA.id,
      false,
      `?$orderby=${encodeURIComponent('UpdateTitle desc')}&$top=2&$skip=1`,
    );
    assert.equal(page.status, 200, page.text);
    assert.equal(page.body.TotalRecords, 3);
    assert.deepEqual(
      page.body.Result.map((p: Patch) => p.PatchDataId),
      [w.updates.openssl, w.updates.liblzma5],
    );
    const security = await missing(
      w.deviceA.id,
      false,
      `?$filter=${encodeURIComponent('UpdateClassification lt 200')}&$orderby=PatchDataId`,
    );
    assert.deepEqual(
      security.body.Result.map((p: Patch) => p.PatchDataId),
      [w.updates.openssl, w.updates.liblzma5].sort((a, b) => a - b),
    );
    const alias = await missing(
      w.deviceA.id,
      false,
      `?$filter=${encodeURIComponent("startswith(Description, 'tz')")}`,
    );
    assert.deepEqual(
      alias.body.Result.map((p: Patch) => p.PatchDataId),
      [w.updates.tzdata],
    );
    const one = await missing(
      w.deviceA.id,
      true,
      `?$filter=${encodeURIComponent(`PatchDataId eq ${w.updates.liblzma5}`)}`,
    );
    assert.equal(one.body.TotalRecords, 1);

    const bad = await missing(w.deviceA.id, false, `?$filter=${encodeURIComponent('Nope eq 1')}`);
    assert.equal(bad.status, 400);
    assert.match(bad.body.Error, /unknown field 'Nope'/);
    const notBool = await missing(w.deviceA.id, 'maybe' as unknown as boolean);
    assert.equal(notBool.status, 400);
    assert.match(notBool.body.Error, /hideDeniedPatches/);
    const noId = await kget(app, `${P}/abc/machineupdate/false`, bearer);
    assert.equal(noId.status, 404);

    const xml = await kget(app, `${P}/${w.deviceA.id}/machineupdate/false?$orderby=PatchDataId`, bearer, {
      accept: 'application/xml',
    });
    assert.equal(xml.status, 200);
    assert.equal(xml.body.Response.TotalRecords, '3');
    assert.equal(xml.body.Response.Result.Patch.length, 3);
  });

  it('hides an ignored patch when denied ones are hidden; removing the ignore keeps other decisions', async () => {
    const set = await kcall(app, 'PUT', `${P}/${w.deviceA.id}/setignore`, bearer, {
      ServerTimeZone: true,
      SkipIfOffLine: true,
      PowerUpIfOffLine: true,
      PatchIds: [w.updates.openssl],
    });
    assert.equal(set.status, 200, set.text);
    assert.deepEqual(set.body, { Result: true, ResponseCode: 0, Status: 'OK', Error: 'None' });
    const shown = byId(await missing(w.deviceA.id, false));
    assert.equal(shown.size, 3);
    assert.deepEqual(
      [
        shown.get(w.updates.openssl)!.Ignore,
        shown.get(w.updates.openssl)!.ApprovalStatus,
        shown.get(w.updates.openssl)!.PatchState,
      ],
      [1, 1, STATE.ignored],
    );
    const hidden = await missing(w.deviceA.id, true);
    assert.equal(hidden.body.TotalRecords, 2);
    assert.ok(!byId(hidden).has(w.updates.openssl));
    const flagged = await missing(w.deviceA.id, false, `?$filter=${encodeURIComponent('Ignore eq 1')}`);
    assert.deepEqual(
      flagged.body.Result.map((p: Patch) => p.PatchDataId),
      [w.updates.openssl],
    );
    // the other agent is untouched
    assert.equal((await missing(w.deviceA2.id, true)).body.TotalRecords, 3);

    // an approval on the device is not an ignore: removing the ignore leaves it
    const approved = await admin.post(`/api/v1/devices/${w.deviceA.id}/updates/approve`, {
      updateIds: [w.updates.tzdata],
    });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    const keep = await kcall(app, 'DELETE', `${P}/${w.deviceA.id}/${w.updates.tzdata}/setignore`, bearer);
    assert.equal(keep.status, 200, keep.text);
    const tz = byId(await missing(w.deviceA.id, false)).get(w.updates.tzdata)!;
    assert.deepEqual([tz.ApprovalStatus, tz.PatchState, tz.Ignore], [0, STATE.pending, 0]);

    const cleared = await kcall(app, 'DELETE', `${P}/${w.deviceA.id}/${w.updates.openssl}/setignore`, bearer);
    assert.equal(cleared.status, 200, cleared.text);
    const back = byId(await missing(w.deviceA.id, true));
    assert.equal(back.size, 3);
    assert.deepEqual(
      [
        back.get(w.updates.openssl)!.Ignore,
        back.get(w.updates.openssl)!.ApprovalStatus,
        back.get(w.updates.openssl)!.PatchState,
      ],
      [0, 2, STATE.missing],
    );

    // a denial above the agent (its group) hides the patch too, without the agent's Ignore flag
    const denied = await admin.post(`/api/v1/groups/${w.subA.id}/updates/ignore`, {
      updateIds: [w.updates.liblzma5],
    });
    assert.equal(denied.status, 200, JSON.stringify(denied.body));
    assert.ok(!byId(await missing(w.deviceA.id, true)).has(w.updates.liblzma5));
    const lz = byId(await missing(w.deviceA.id, false)).get(w.updates.liblzma5)!;
    assert.deepEqual([lz.Ignore, lz.ApprovalStatus], [0, 1]);
    await admin.post(`/api/v1/groups/${w.subA.id}/updates/clear`, { updateIds: [w.updates.liblzma5] });
    await admin.post(`/api/v1/devices/${w.deviceA.id}/updates/clear`, { updateIds: [w.updates.tzdata] });

    // bad input changes nothing
    const before = await footprint(h.store());
    for (const [body, status] of [
      [{ PatchIds: [0] }, 400],
      [{}, 400],
      [{ PatchIds: ['x'] }, 400],
      [{ PatchIds: [987654] }, 404],
    ] as const) {
      const r = await kcall(app, 'PUT', `${P}/${w.deviceA.id}/setignore`, bearer, body);
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
      assert.equal(r.body.ResponseCode, status);
    }
    assert.equal((await kcall(app, 'DELETE', `${P}/${w.deviceA.id}/987654/setignore`, bearer)).status, 404);
    assert.deepEqual(await footprint(h.store()), before);
  });

  it('scans an agent now, and on a schedule in its own time zone', async () => {
    const now = await kcall(app, 'PUT', `${P}/${w.deviceA2.id}/scannow`, bearer);
    assert.equal(now.status, 200, now.text);
    assert.equal(now.body.Result, true);
    const instance = await h
      .store()
      .db.selectFrom('task_instances as i')
      .innerJoin('tasks as t', 't.id', 'i.task_id')
      .select(['i.id', 't.parameters'])
      .where('i.kind', '=', 'scan')
      .orderBy('i.id', 'desc')
      .executeTakeFirstOrThrow();
    assert.deepEqual(instance.parameters.target, { kind: 'devices', ids: [w.deviceA2.id] });
    const pending = await kget(app, `${P}/${w.deviceA2.id}/status`, bearer);
    const engine = createEngine({ store: h.store(), owner: 'kaseya-patch-test' });
    await engine.tick();
    const jobs = await h
      .store()
      .db.selectFrom('jobs')
      .select(['device_id', 'kind'])
      .where('instance_id', '=', instance.id)
      .execute();
    assert.deepEqual(jobs, [{ device_id: w.deviceA2.id, kind: 'scan' }]);
    assert.equal(
      pending.body.Result.ScanResultsPending,
      'false',
      'no job was handed out before the engine ran',
    );
    const waiting = await kget(app, `${P}/${w.deviceA2.id}/status`, bearer);
    assert.equal(waiting.body.Result.ScanResultsPending, 'true');
    assert.equal(waiting.body.Result.NextPatchScan, 1);

    const tz = await admin.patch(`/api/v1/devices/${w.deviceA.id}`, { timeZone: 'Europe/Berlin' });
    assert.equal(tz.status, 200, JSON.stringify(tz.body));
    const body = {
      ServerTimeZone: false,
      SkipIfOffLine: true,
      PowerUpIfOffLine: false,
      PatchIds: [0],
      Recurrence: {
        Repeat: 'Weeks',
        Times: 1,
        DaysOfWeek: 'Monday',
        EndAt: 'T0000',
        EndAfterIntervalTimes: 0,
      },
      Distribution: { Interval: 'Minutes', Magnitude: 0 },
      Start: { StartOn: '2030 - 01- 07T00:00:00.000Z', StartAt: 'T0300' },
      Exclusion: { From: 'T0000', To: 'T0000' },
      Attributes: {},
    };
    const sched = await kcall(app, 'PUT', `${P}/${w.deviceA.id}/schedule`, bearer, body);
    assert.equal(sched.status, 200, sched.text);
    const task = await h
      .store()
      .db.selectFrom('tasks as t')
      .innerJoin('schedules as s', 's.id', 't.schedule_id')
      .select(['t.id', 't.kind', 't.parameters', 's.definition', 's.next_due_at'])
      .orderBy('t.id', 'desc')
      .executeTakeFirstOrThrow();
    assert.equal(task.kind, 'scan');
    assert.deepEqual(task.parameters.target, { kind: 'devices', ids: [w.deviceA.id] });
    assert.equal(task.parameters.skipIfOffline, true);
    assert.equal(task.parameters.powerUpIfOffline, false);
    assert.deepEqual((task.definition as { zone: unknown }).zone, { kind: 'named', name: 'Europe/Berlin' });
    assert.equal(new Date(task.next_due_at as Date).toISOString(), '2030-01-07T02:00:00.000Z');
    const status = await kget(app, `${P}/${w.deviceA.id}/status`, bearer);
    assert.equal(status.status, 200, status.text);
    for (const f of STATUS_FIELDS) assert.ok(f in status.body.Result, f);
    assert.equal(status.body.Result.ScanNextRunTime, '2030-01-07T02:00:00');
    assert.equal(status.body.Result.ScheduledScanScriptId, task.id);
    assert.equal(status.body.Result.NextPatchScan, 1);
    assert.equal(status.body.Result.AgentType, 5);
    assert.equal(status.body.Result.Attributes.MissingPatches, 3);

    const before = await footprint(h.store());
    const wrong = await kcall(app, 'PUT', `${P}/${w.deviceA.id}/schedule`, bearer, {
      ...body,
      Recurrence: { ...body.Recurrence, Repeat: 'Fortnightly' },
    });
    assert.equal(wrong.status, 400);
    assert.match(wrong.body.Error, /Repeat/);
    const past = await kcall(app, 'PUT', `${P}/${w.deviceA.id}/schedule`, bearer, {
      ...body,
      Recurrence: { Repeat: 'Never', Times: 0 },
      Start: { StartOn: '2016 - 03- 15T15:50:11.564Z', StartAt: 'T0000' },
    });
    assert.equal(past.status, 400);
    assert.match(past.body.Error, /never fires/);
    assert.deepEqual(await footprint(h.store()), before);
  });

  it('runs a patch update now or on a schedule, and cancels or deletes what waits', async () => {
    const db = h.store().db;
    // deviceB ignores openssl itself: run now must leave it alone there
    assert.equal(
      (await kcall(app, 'PUT', `${P}/${w.deviceB.id}/setignore`, bearer, { PatchIds: [w.updates.openssl] }))
        .status,
      200,
    );
    const run = await kcall(app, 'PUT', `${P}/runnow`, bearer, {
      AgentGuids: [String(w.deviceA2.id), w.deviceB.id],
      ServerTimeZone: true,
      SkipIfOffLine: true,
      PowerUpIfOffLine: true,
      PatchIds: [w.updates.openssl, w.updates.liblzma5],
      Recurrence: { Repeat: 'Never', Times: 0, EndAt: 'T0000', EndOn: '2016 - 03- 15T15:50:11.564Z' },
      Distribution: { Interval: 'Minutes', Magnitude: 0 },
      Start: { StartOn: '2016 - 03- 15T15:50:11.564Z', StartAt: 'T0000' },
      Exclusion: { From: 'T0000', To: 'T0000' },
      Attributes: {},
    });
    assert.equal(run.status, 200, run.text);
    const instances = await db
      .selectFrom('task_instances')
      .select(['id', 'parameters'])
      .where('kind', '=', 'install')
      .orderBy('id')
      .execute();
    const forDevice = (id: number) =>
      instances.find((i) => (i.parameters.target as { ids: number[] }).ids.includes(id))!.parameters
        .updateIds;
    assert.deepEqual(
      forDevice(w.deviceA2.id),
      [w.updates.openssl, w.updates.liblzma5].sort((a, b) => a - b),
    );
    assert.deepEqual(forDevice(w.deviceB.id), [w.updates.liblzma5]);
    const a2 = byId(await missing(w.deviceA2.id, false));
    assert.equal(a2.get(w.updates.openssl)!.ApprovalStatus, 0, 'naming a patch approves it on the agent');
    assert.equal(byId(await missing(w.deviceB.id, false)).get(w.updates.openssl)!.Ignore, 1);

    await createEngine({ store: h.store(), owner: 'kaseya-patch-run' }).tick();
    const pendingJobs = await db
      .selectFrom('jobs')
      .select(['id', 'device_id', 'status'])
      .where('kind', '=', 'install')
      .where('status', '=', 'pending')
      .execute();
    assert.deepEqual(pendingJobs.map((j) => j.device_id).sort(), [w.deviceA2.id, w.deviceB.id].sort());

    // a future schedule makes a scheduled task instead
    const later = await kcall(app, 'PUT', `${P}/runnow`, bearer, {
      AgentGuids: [w.deviceA2.id],
      ServerTimeZone: true,
      PatchIds: [w.updates.tzdata],
      Recurrence: { Repeat: 'Days', Times: 1, EndAt: 'T0000', EndAfterIntervalTimes: 0 },
      Start: { StartOn: '2031-02-01T00:00:00Z', StartAt: 'T2200' },
    });
    assert.equal(later.status, 200, later.text);
    const status = await kget(app, `${P}/${w.deviceA2.id}/status`, bearer);
    assert.ok(status.body.Result.NextRunTime, JSON.stringify(status.body.Result));
    const scheduled = await db
      .selectFrom('tasks')
      .select(['id', 'schedule_id', 'enabled', 'parameters'])
      .where('kind', '=', 'install')
      .where('schedule_id', 'is not', null)
      .executeTakeFirstOrThrow();
    assert.deepEqual(scheduled.parameters.updateIds, [w.updates.tzdata]);

    const cancel = await kcall(app, 'DELETE', `${P}/${w.deviceA2.id}/cancelschedule`, bearer);
    assert.equal(cancel.status, 200, cancel.text);
    const afterCancel = await db
      .selectFrom('tasks')
      .select(['schedule_id', 'enabled'])
      .where('id', '=', scheduled.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(afterCancel, { schedule_id: null, enabled: false });
    const jobA2 = pendingJobs.find((j) => j.device_id === w.deviceA2.id)!;
    const jobB = pendingJobs.find((j) => j.device_id === w.deviceB.id)!;
    const st = async (id: number) =>
      (await db.selectFrom('jobs').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
    assert.equal(await st(jobA2.id), 'cancelled');
    assert.equal(await st(jobB.id), 'pending', "another agent's install waits on");
    assert.equal((await kget(app, `${P}/${w.deviceA2.id}/status`, bearer)).body.Result.NextRunTime, null);

    const del = await kcall(app, 'DELETE', `${P}?agentGuids=${w.deviceB.id}`, bearer);
    assert.equal(del.status, 200, del.text);
    assert.equal(await st(jobB.id), 'cancelled');

    const before = await footprint(h.store());
    const noAgents = await kcall(app, 'PUT', `${P}/runnow`, bearer, { PatchIds: [w.updates.openssl] });
    assert.equal(noAgents.status, 400);
    assert.match(noAgents.body.Error, /AgentGuids/);
    const unknown = await kcall(app, 'PUT', `${P}/runnow`, bearer, {
      AgentGuids: [w.deviceA.id, 987654321],
      PatchIds: [w.updates.openssl],
    });
    assert.equal(unknown.status, 404);
    const unknownPatch = await kcall(app, 'PUT', `${P}/runnow`, bearer, {
      AgentGuids: [w.deviceA.id],
      PatchIds: [987654321],
    });
    assert.equal(unknownPatch.status, 404);
    assert.equal((await kcall(app, 'DELETE', P, bearer)).status, 400);
    assert.deepEqual(await footprint(h.store()), before);
  });

  it('lists installs and failures as the patch history, from the event log', async () => {
    const store = h.store();
    const device = await store.db
      .selectFrom('devices')
      .selectAll()
      .where('id', '=', w.deviceB.id)
      .executeTakeFirstOrThrow();
    const agent = new Context(store, deviceActor(device));
    const round = async (outcome: 'succeeded' | 'failed') => {
      const r = await kcall(app, 'PUT', `${P}/runnow`, bearer, {
        AgentGuids: [w.deviceB.id],
        PatchIds: [w.updates.tzdata],
      });
      assert.equal(r.status, 200, r.text);
      await createEngine({ store, owner: `kaseya-history-${outcome}` }).tick();
      const got = await checkIn(agent, device, {});
      const job = got.jobs.find((j) => j.kind === 'install')!;
      assert.deepEqual(
        (job.payload.updates as { updateId: number }[]).map((u) => u.updateId),
        [w.updates.tzdata],
      );
      await reportJobResult(agent, device, job.id, {
        status: outcome,
        result: {
          updates: [
            {
              updateId: w.updates.tzdata,
              status: outcome,
              message: outcome === 'failed' ? 'dpkg error' : 'ok',
            },
          ],
        },
      });
    };
    const empty = await kget(app, `${P}/${w.deviceB.id}/history`, bearer);
    assert.equal(empty.status, 200, empty.text);
    assert.equal(empty.body.TotalRecords, 0);
    await round('failed');
    await round('succeeded'); // naming a failed patch retries it
    const h1 = await kget(app, `${P}/${w.deviceB.id}/history`, bearer);
    assert.equal(h1.body.TotalRecords, 2, h1.text);
    assert.deepEqual(
      h1.body.Result.map((p: Patch) => [p.PatchDataId, p.PatchState]),
      [
        [w.updates.tzdata, STATE.failed],
        [w.updates.tzdata, STATE.installed],
      ],
    );
    for (const f of MODEL_FIELDS) assert.ok(f in h1.body.Result[0], f);
    assert.ok(Date.parse(h1.body.Result[1].InstallDate) >= Date.parse(h1.body.Result[0].InstallDate));
    const failures = await kget(
      app,
      `${P}/${w.deviceB.id}/history?$filter=${encodeURIComponent(`PatchState eq ${STATE.failed}`)}`,
      bearer,
    );
    assert.equal(failures.body.TotalRecords, 1);
    const newest = await kget(
      app,
      `${P}/${w.deviceB.id}/history?$orderby=${encodeURIComponent('InstallDate desc')}&$top=1`,
      bearer,
    );
    assert.equal(newest.body.TotalRecords, 2);
    assert.equal(newest.body.Result[0].PatchState, STATE.installed);
    // a scan that no longer reports a missing patch is an install too
    await ingestScan(systemContext(store, 'test'), w.deviceB.id, { full: true, updates: [] });
    const h2 = await kget(
      app,
      `${P}/${w.deviceB.id}/history?$filter=${encodeURIComponent(`PatchDataId eq ${w.updates.liblzma5}`)}`,
      bearer,
    );
    assert.deepEqual(
      h2.body.Result.map((p: Patch) => p.PatchState),
      [STATE.installed],
    );
    assert.equal((await missing(w.deviceB.id, false)).body.TotalRecords, 0);
    const status = await kget(app, `${P}/${w.deviceB.id}/status`, bearer);
    assert.equal(status.body.Result.RunCount, 2);
    assert.ok(status.body.Result.ExecScriptTime);
    assert.ok(status.body.Result.LastPatchScan);
  });

  it("keeps every patch call inside the caller's scope and privileges", async () => {
    const alice = await scopedUser(admin, 'kpatch-alice', w.orgA.id);
    const auth = await kaseyaSignIn(app, 'kpatch-alice', alice.password);
    const b = w.deviceB.id;
    const calls: [string, 'GET' | 'PUT' | 'DELETE', string, unknown?][] = [
      ['scan now', 'PUT', `${P}/${b}/scannow`],
      [
        'schedule',
        'PUT',
        `${P}/${b}/schedule`,
        { Recurrence: { Repeat: 'Days', Times: 1 }, Start: { StartOn: '2031-01-01', StartAt: 'T0100' } },
      ],
      ['status', 'GET', `${P}/${b}/status`],
      ['missing', 'GET', `${P}/${b}/machineupdate/false`],
      ['missing, denied hidden', 'GET', `${P}/${b}/machineupdate/true`],
      ['history', 'GET', `${P}/${b}/history`],
      ['run now', 'PUT', `${P}/runnow`, { AgentGuids: [b], PatchIds: [w.updates.openssl] }],
      [
        'run now, mixed',
        'PUT',
        `${P}/runnow`,
        { AgentGuids: [w.deviceA.id, b], PatchIds: [w.updates.openssl] },
      ],
      ['cancel', 'DELETE', `${P}/${b}/cancelschedule`],
      ['delete', 'DELETE', `${P}?agentGuids=${w.deviceA.id},${b}`],
      ['set ignore', 'PUT', `${P}/${b}/setignore`, { PatchIds: [w.updates.openssl] }],
      ['remove ignore', 'DELETE', `${P}/${b}/${w.updates.openssl}/setignore`],
    ];
    const before = await footprint(h.store());
    for (const [name, method, url, body] of calls) {
      const r = method === 'GET' ? await kget(app, url, auth) : await kcall(app, method, url, auth, body);
      assert.equal(r.status, 404, `${name}: ${r.text}`);
      assert.equal(r.body.ResponseCode, 404, name);
      assert.equal(r.body.Status, 'Error', name);
    }
    assert.deepEqual(await footprint(h.store()), before, 'nothing changed');
    // inside the scope the same user acts
    const own = await kcall(app, 'PUT', `${P}/${w.deviceA.id}/scannow`, auth);
    assert.equal(own.status, 200, own.text);

    // a Viewer reads but acts on nothing
    const viewer = await scopedUser(admin, 'kpatch-viewer', w.orgA.id, 'Viewer');
    const vAuth = await kaseyaSignIn(app, 'kpatch-viewer', viewer.password);
    assert.equal((await missing(w.deviceA.id, false, '', vAuth)).status, 200);
    assert.equal((await kget(app, `${P}/${w.deviceA.id}/status`, vAuth)).status, 200);
    const quiet = await footprint(h.store());
    for (const [method, url, body] of [
      ['PUT', `${P}/${w.deviceA.id}/scannow`, undefined],
      ['PUT', `${P}/${w.deviceA.id}/setignore`, { PatchIds: [w.updates.openssl] }],
      ['PUT', `${P}/runnow`, { AgentGuids: [w.deviceA.id] }],
      ['DELETE', `${P}/${w.deviceA.id}/cancelschedule`, undefined],
    ] as const) {
      const r = await kcall(app, method, url, vAuth, body);
      assert.equal(r.status, 403, `${method} ${url}: ${r.text}`);
      assert.equal(r.body.ResponseCode, 403);
    }
    assert.deepEqual(await footprint(h.store()), quiet);
  });

  it("cancels only installs whose every device is in a group-scoped caller's scope", async () => {
    const db = h.store().db;
    // a device of organization A outside the Web group the caller holds
    const top = await admin.post('/api/v1/devices', {
      organizationId: w.orgA.id,
      groupId: w.groupA.id,
      name: 'kpatch-top',
      osFamily: 'linux',
    });
    assert.equal(top.status, 201, JSON.stringify(top.body));
    const both = { target: { kind: 'devices', ids: [w.deviceA.id, top.body.id] } };
    const carol = await scopedUser(admin, 'kpatch-carol', w.orgA.id, 'Operator', w.subA.id);
    const auth = await kaseyaSignIn(app, 'kpatch-carol', carol.password);
    const refused = async (what: string) => {
      const before = await footprint(h.store());
      for (const url of [`${P}/${w.deviceA.id}/cancelschedule`, `${P}?agentGuids=${w.deviceA.id}`]) {
        const r = await kcall(app, 'DELETE', url, auth);
        assert.equal(r.status, 403, `${what}, ${url}: ${r.text}`);
        assert.equal(r.body.ResponseCode, 403);
        assert.equal(r.body.Status, 'Error');
        assert.match(r.body.Error, /outside your scope/);
      }
      assert.deepEqual(await footprint(h.store()), before, `${what}: nothing changed`);
    };

    // an install instance waiting to start that names a device outside the scope
    const now = await admin.post('/api/v1/tasks', {
      organizationId: w.orgA.id,
      kind: 'install',
      name: 'web and top, now',
      parameters: both,
    });
    assert.equal(now.status, 201, JSON.stringify(now.body));
    const run = await admin.post(`/api/v1/tasks/${now.body.id}/run`);
    assert.equal(run.status, 201, JSON.stringify(run.body));
    await refused('a waiting instance');
    const instance = await db
      .selectFrom('task_instances')
      .select(['status', 'parameters'])
      .where('id', '=', run.body.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(instance, { status: 'NotStarted', parameters: instance.parameters });
    assert.deepEqual(instance.parameters.target, both.target, 'the instance still names both devices');
    assert.equal((await admin.post(`/api/v1/task-instances/${run.body.id}/cancel`)).status, 200);

    // a scheduled install task that names a device outside the scope
    const task = await admin.post('/api/v1/tasks', {
      organizationId: w.orgA.id,
      kind: 'install',
      name: 'web and top, nightly',
      parameters: both,
      schedule: {
        recurrence: { kind: 'days', every: 1 },
        start: '2031-01-01T04:30',
        zone: { kind: 'named', name: 'UTC' },
      },
    });
    assert.equal(task.status, 201, JSON.stringify(task.body));
    await refused('a scheduled task');
    const row = () =>
      db
        .selectFrom('tasks')
        .select(['parameters', 'enabled'])
        .where('id', '=', task.body.id)
        .executeTakeFirstOrThrow();
    assert.deepEqual((await row()).parameters.target, both.target, 'the task still names both devices');

    // once the organization's administrator takes the other device out, the caller cancels the rest
    const adminCancel = await kcall(app, 'DELETE', `${P}/${top.body.id}/cancelschedule`, bearer);
    assert.equal(adminCancel.status, 200, adminCancel.text);
    const ok = await kcall(app, 'DELETE', `${P}/${w.deviceA.id}/cancelschedule`, auth);
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await row()).enabled, false);
  });
});
