// Kaseya agent procedures end to end on a REAL Linux agent (test/support/real-agent.ts): a procedure is
// added through the native API, asked for through the Kaseya face (run now, schedule with prompts,
// the scheduled list, cancel), run by the real agent through the one script runner, and its output read
// back from the procedure history and the agent procedure log. Refused while the organization's script
// switch is off, with an error that says how to turn it on.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createEngine } from '../../src/engine/engine.ts';
import { ADMIN_PASSWORD, type Client } from '../support/api.ts';
import { realAgentSkip, startRealAgentWorld, type RealAgentWorld } from '../support/real-agent.ts';
import { kcall } from '../faces/kaseya/request.ts';
import { kaseyaSignIn } from '../faces/kaseya/support.ts';

const skip = await realAgentSkip();

let world: RealAgentWorld | undefined;
let admin: Client;
let bearer: string;
let procId: number;
let base: string;

const k = (method: 'GET' | 'PUT' | 'DELETE', path: string, body?: unknown) =>
  kcall(world!.app, method, `/api/v1.0${path}`, bearer, body);

before(async () => {
  if (skip) return;
  world = await startRealAgentWorld('pl-procedures-e2e-', 'Procedure Shop');
  admin = world.admin;
  bearer = await kaseyaSignIn(world.app, 'admin', ADMIN_PASSWORD);
  const p = await admin.post('/api/v1/procedures', {
    organizationId: world.orgId,
    name: 'Disk report',
    folder: 'shared/linux',
    description: 'says hello and leaves a mark',
    script: {
      shell: 'sh',
      code: `echo "procedure says \${GREETING:-nothing}"; echo "$GREETING" >> ${join(world.scripts, 'marks')}`,
    },
    quickLaunch: true,
  });
  assert.equal(p.status, 201, JSON.stringify(p.body));
  procId = p.body.id;
  base = `/automation/agentprocs/${world.deviceId}/${procId}`;
});

after(async () => {
  await world?.close();
});

const marks = async () =>
  existsSync(join(world!.scripts, 'marks')) ? await readFile(join(world!.scripts, 'marks'), 'utf8') : '';

test('the catalogue lists the procedure in the seed fields', { skip }, async () => {
  const r = await k('GET', `/automation/agentprocs?$filter=AgentProcedureName eq 'Disk report'`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.body.TotalRecords, 1);
  assert.deepEqual(
    {
      AgentProcedureId: r.body.Result[0].AgentProcedureId,
      AgentProcedureName: r.body.Result[0].AgentProcedureName,
      Path: r.body.Result[0].Path,
      Description: r.body.Result[0].Description,
    },
    {
      AgentProcedureId: procId,
      AgentProcedureName: 'Disk report',
      Path: 'shared/linux',
      Description: 'says hello and leaves a mark',
    },
  );
  const q = await k('GET', '/automation/agentprocs/quicklaunch');
  assert.deepEqual(
    q.body.Result.map((x: { AgentProcedureId: number }) => x.AgentProcedureId),
    [procId],
  );
});

test(
  'while the switch is off, run now is refused (409, how to turn it on) and nothing runs',
  { skip },
  async () => {
    const r = await k('PUT', `${base}/runnow`);
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.ResponseCode, 409);
    assert.match(r.body.Error, /scripts are turned off for organization \d+/);
    assert.match(r.body.Error, /script-settings \{"scriptsEnabled": true\}/);
    const s = await k('PUT', `${base}/schedule`, {
      Recurrence: { Repeat: 'Days', Times: 1 },
      Start: { StartOn: '2030-01-07T00:00:00.000Z', StartAt: 'T0300' },
    });
    assert.equal(s.status, 409, s.text);
    const refused = (
      await admin.get(`/api/v1/events?organizationId=${world!.orgId}&kind=script.refused&limit=50`)
    ).body.items as { data: { procedureId?: number } }[];
    assert.equal(refused.filter((e) => e.data.procedureId === procId).length, 2);
    await world!.round();
    assert.equal(await marks(), '');
    assert.equal((await k('GET', `/automation/agentprocs/${world!.deviceId}/history`)).body.TotalRecords, 0);
    assert.equal(
      (await k('GET', `/automation/agentprocs/${world!.deviceId}/scheduledprocs`)).body.TotalRecords,
      0,
    );
  },
);

test(
  'switched on: a schedule whose only run is past runs now, with its prompts; the output is in the history',
  { skip },
  async () => {
    const on = await admin.call('PUT', `/api/v1/organizations/${world!.orgId}/script-settings`, {
      scriptsEnabled: true,
    });
    assert.equal(on.status, 200, JSON.stringify(on.body));
    // the seed's sample request, with a past StartOn and a prompt
    const r = await k('PUT', `${base}/schedule`, {
      ServerTimeZone: true,
      SkipIfOffLine: true,
      PowerUpIfOffLine: true,
      ScriptPrompts: [{ Caption: 'Greeting', Name: 'GREETING', Value: "it's me" }],
      Recurrence: {
        Repeat: 'Never',
        Times: 0,
        DaysOfWeek: 'string',
        DayOfMonth: 'FirstSunday ',
        SpecificDayOfMonth: 0,
        MonthOfYear: 'January',
        EndAt: 'T0000',
        EndOn: '2016 - 02- 05T21:02:56.650Z',
        EndAfterIntervalTimes: 0,
      },
      Distribution: { Interval: 'Minutes', Magnitude: 0 },
      Start: { StartOn: '2016 - 02- 05T21:02:56.650Z', StartAt: 'T0000' },
      Exclusion: { From: 'T0000', To: 'T0000' },
      Attributes: {},
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.Result, true);
    await world!.round();
    assert.equal(await marks(), "it's me\n");
    const h = await k('GET', `/automation/agentprocs/${world!.deviceId}/history?$filter=Status eq 'Success'`);
    assert.equal(h.status, 200, h.text);
    assert.equal(h.body.TotalRecords, 1);
    const run = h.body.Result[0];
    assert.equal(run.ScriptName, 'Disk report');
    assert.equal(run.Status, 'Success');
    assert.equal(run.Admin, 'admin');
    assert.equal(run.Attributes.ExitCode, 0);
    assert.equal(run.Attributes.Output, "procedure says it's me\n");
    assert.equal(run.Attributes.AgentProcedureId, procId);
    // the agent procedure log tells the same story from the event log
    const log = await k(
      'GET',
      `/assetmgmt/logs/${world!.deviceId}/agentprocedure?$orderby=LastExecution asc`,
    );
    assert.equal(log.status, 200, log.text);
    assert.deepEqual(
      log.body.Result.map((e: { ProcedureHistory: string; Status: string; Admin: string }) => [
        e.ProcedureHistory,
        e.Status,
        e.Admin,
      ]),
      [
        ['Disk report', 'queued', 'admin'],
        ['Disk report', 'started', 'admin'],
        ['Disk report', 'succeeded', 'admin'],
      ],
    );
  },
);

test(
  'a recurring schedule is listed, runs at its occurrence through the engine, and cancel stops it',
  { skip },
  async () => {
    const r = await k('PUT', `${base}/schedule`, {
      ServerTimeZone: true,
      ScriptPrompts: [{ Caption: 'Greeting', Name: 'GREETING', Value: 'scheduled' }],
      Recurrence: { Repeat: 'Days', Times: 1 },
      Start: { StartOn: '2030-01-07T00:00:00.000Z', StartAt: 'T0300' },
    });
    assert.equal(r.status, 200, r.text);
    const list = await k('GET', `/automation/agentprocs/${world!.deviceId}/scheduledprocs`);
    assert.equal(list.body.TotalRecords, 1, list.text);
    const s = list.body.Result[0];
    assert.equal(s.AgentProcedureId, procId);
    assert.equal(s.AgentProcedureName, 'Disk report');
    assert.equal(s.Recurrence, 'Every 1 day(s)');
    assert.equal(s.ServerTimeZone, true);
    assert.deepEqual(s.ScriptPrompts, [{ Caption: 'GREETING', Name: 'GREETING', Value: 'scheduled' }]);
    assert.equal(s.Status, 'Success'); // the latest run of the procedure on the agent
    const due = new Date(`${s.NextExecTime as string}Z`); // UTC, written without a zone (faces/kaseya/dates.ts)
    assert.ok(due.getTime() > Date.now());
    // the engine at the occurrence: the job gets the procedure's script (and the prompts) at hand-out
    const engine = createEngine({
      store: world!.store,
      owner: 'e2e-procedures',
      now: () => new Date(due.getTime() + 1000),
    });
    await engine.tick();
    await engine.tick();
    await engine.stop();
    await world!.round();
    assert.equal(await marks(), "it's me\nscheduled\n");
    const h = await k(
      'GET',
      `/automation/agentprocs/${world!.deviceId}/history?$orderby=LastExecutionTime desc&$top=1`,
    );
    assert.equal(h.body.Result[0].Attributes.Output, 'procedure says scheduled\n');
    assert.match(h.body.Result[0].Admin, /^task instance \d+$/);
    // cancel: the schedule goes; a second cancel finds nothing waiting
    const c = await k('DELETE', base);
    assert.equal(c.status, 200, c.text);
    assert.equal(
      (await k('GET', `/automation/agentprocs/${world!.deviceId}/scheduledprocs`)).body.TotalRecords,
      0,
    );
    assert.equal((await k('DELETE', base)).status, 404);
  },
);
