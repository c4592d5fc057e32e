// Issue 16, agent procedures and maintenance windows (docs/scripts.md, "Procedures and maintenance
// windows"): a procedure runs when VSA says, not when a patch window opens. With a maintenance window
// closed now over the agent's group, a procedure's "run now" reaches the agent at its next check-in
// while a worklet policy's run waits for the window (the Automox worklets' rule, unchanged); a scheduled
// procedure's job goes out at its own occurrence, and at an occurrence while the organization's script
// switch is off it is refused and the history says so. PGlite only: the rules are the services'.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createEngine } from '../../../src/engine/engine.ts';
import { ADMIN_PASSWORD, client, signIn, type Client } from '../../support/api.ts';
import { freshStore } from '../../support/store.ts';
import type { Store } from '../../../src/store/db.ts';
import { kcall } from './request.ts';
import { kaseyaSignIn, startKaseyaApp } from './support.ts';
import { weeklyWindowSettings } from '../../support/windows.ts';

const V = '/api/v1.0';

interface Job {
  id: number;
  kind: string;
  payload: { procedureId?: number; policyId?: number; taskInstanceId?: number };
}

describe('Kaseya agent procedures are not held by maintenance windows', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let app: FastifyInstance;
  let admin: Client;
  let bearer: string;
  let orgId: number;
  let deviceId: number;
  let credential: string;
  let procId: number;
  let policyId: number;
  const k = (method: 'GET' | 'PUT', url: string, body?: unknown) =>
    kcall(app, method, `${V}${url}`, bearer, body);
  const mk = async (path: string, body: unknown) => {
    const r = await admin.post(path, body);
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  /** the jobs the agent gets at a check-in */
  const checkIn = async (): Promise<Job[]> => {
    const r = await client(app, credential).post('/agent/v1/checkin', {});
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.jobs as Job[];
  };
  const scripts = async (on: boolean) => {
    const r = await admin.call('PUT', `/api/v1/organizations/${orgId}/script-settings`, {
      scriptsEnabled: on,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  };

  before(async () => {
    ({ store, cleanup } = await freshStore('pglite'));
    app = await startKaseyaApp(store);
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    bearer = await kaseyaSignIn(app, 'admin', ADMIN_PASSWORD);
    orgId = (await mk('/api/v1/organizations', { name: 'Windowed', ref: 'windowed' })).id;
    const group = (await mk('/api/v1/groups', { organizationId: orgId, name: 'Servers' })).id as number;
    const token = await mk(`/api/v1/organizations/${orgId}/install-tokens`, { name: 'w', groupId: group });
    const e = await client(app).post('/agent/v1/enroll', {
      token: token.token,
      name: 'srv-1',
      osFamily: 'linux',
    });
    assert.equal(e.status, 201, JSON.stringify(e.body));
    deviceId = e.body.deviceId;
    credential = e.body.credential;
    await scripts(true);
    // a window over the group that is closed now: one hour a week, three days from today
    const day = (new Date().getUTCDay() + 3) % 7;
    await mk('/api/v1/maintenance-windows', {
      organizationId: orgId,
      name: 'weekly hour',
      assignments: { groups: [group] },
      settings: weeklyWindowSettings({ days: [day], startHour: 1, endHour: 2, nonSecurity: true }),
    });
    procId = (
      await mk('/api/v1/procedures', {
        organizationId: orgId,
        name: 'Restart spooler',
        script: { shell: 'sh', code: 'echo restarted' },
      })
    ).id;
    policyId = (
      await mk('/api/v1/policies', {
        organizationId: orgId,
        kind: 'worklet',
        name: 'Firewall on',
        targets: { groups: [group] },
        schedule: {
          recurrence: { kind: 'weekly', every: 1, days: ['tue'] },
          start: '2026-01-05T22:00',
          zone: { kind: 'named', name: 'Europe/Berlin' },
          end: { kind: 'never' },
        },
        worklet: {
          scripts: [{ osFamily: 'linux', evaluation: null, remediation: { shell: 'sh', code: 'true' } }],
        },
      })
    ).id;
  });
  after(async () => {
    await app?.close();
    await cleanup?.();
  });

  it('run now: the procedure goes out at the next check-in while a worklet waits for the window', async () => {
    const run = await admin.post(`/api/v1/policies/${policyId}/run`, { deviceId });
    assert.equal(run.status, 202, JSON.stringify(run.body));
    const r = await k('PUT', `/automation/agentprocs/${deviceId}/${procId}/runnow`);
    assert.deepEqual([r.status, r.body.Result], [200, true], r.text);
    const jobs = await checkIn();
    assert.deepEqual(
      jobs.map((j) => [j.kind, j.payload.procedureId ?? null, j.payload.policyId ?? null]),
      [['script', procId, null]],
      'the procedure is handed out; the worklet is held for the window',
    );
    // the worklet's job is still waiting, not lost
    const waiting = await store.db
      .selectFrom('jobs')
      .select(['status', 'payload'])
      .where('device_id', '=', deviceId)
      .where('status', '=', 'pending')
      .execute();
    assert.deepEqual(
      waiting.map((w) => (w.payload as { policyId?: number }).policyId),
      [policyId],
    );
  });

  it('a schedule runs at its own occurrence, window or not; with scripts off it is refused then', async () => {
    const s = await k('PUT', `/automation/agentprocs/${deviceId}/${procId}/schedule`, {
      ServerTimeZone: true,
      Recurrence: { Repeat: 'Days', Times: 1 },
      Start: { StartOn: '2031-05-01T00:00:00.000Z', StartAt: 'T0300' },
    });
    assert.deepEqual([s.status, s.body.Result], [200, true], s.text);
    const listed = await k('GET', `/automation/agentprocs/${deviceId}/scheduledprocs`);
    const due = new Date(`${listed.body.Result[0].NextExecTime as string}Z`);
    assert.equal(due.toISOString(), '2031-05-01T03:00:00.000Z');
    const at = async (t: Date) => {
      const engine = createEngine({ store, owner: 'procedure-windows', now: () => t });
      await engine.tick();
      await engine.tick();
      await engine.stop();
    };
    // the jobs of the schedule's occurrences (a job handed out and not yet reported is handed out again)
    const scheduled = (jobs: Job[]) =>
      jobs.filter((j) => j.payload.procedureId === procId && j.payload.taskInstanceId !== undefined);
    await at(new Date(due.getTime() + 1000));
    const first = scheduled(await checkIn());
    assert.equal(first.length, 1, "the occurrence's job goes out");
    // the next day's occurrence, with the organization's switch off: refused, and the history says so
    await scripts(false);
    await at(new Date(due.getTime() + 86_400_000 + 1000));
    const second = scheduled(await checkIn());
    assert.deepEqual(
      second.map((j) => j.id),
      [first[0]!.id],
      'no job of the second occurrence goes out',
    );
    const instances = await store.db.selectFrom('task_instances').select('id').execute();
    assert.equal(instances.length, 2, 'the engine made the second occurrence');
    const h = await k('GET', `/automation/agentprocs/${deviceId}/history?$filter=Status eq 'Refused'`);
    assert.equal(h.status, 200, h.text);
    assert.equal(h.body.TotalRecords, 1, h.text);
    assert.equal(h.body.Result[0].ScriptName, 'Restart spooler');
  });
});
