import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkIn, deviceActor } from '../../../src/services/agents.ts';
import { Context } from '../../../src/services/context.ts';
import { getDevice as getDeviceRow } from '../../../src/store/repos/devices-repo.ts';
import type { FastifyInstance } from 'fastify';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, signIn, type Client } from '../../support/api.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';
import { startPolicyApp } from '../../services/policies/app.ts';
import { installAllowedAt } from '../../../src/services/windows.ts';

// Policies, maintenance windows, preview and schedule conversion through the native API.

const weekly = (days: string[], time = '22:00') => ({
  recurrence: { kind: 'weekly', every: 1, days },
  start: `2026-01-05T${time}`,
  zone: { kind: 'named', name: 'Europe/Berlin' },
  end: { kind: 'never' },
});

/** GravityZone's weekly scheduler inside the native window settings */
const gzWeekly = (days: number[], from: number, to: number) => ({
  format: 'gravityzone-scheduler',
  value: {
    recurrence: 3,
    startDate: 1767225600, // 2026-01-01
    between: { startHour: from, startMinute: 0, endHour: to, endMinute: 0 },
    weeklyRecurrence: { every: 1, days },
  },
});
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const windowSettings = (): any => ({
  scan: { enabled: true, scheduleFormat: 'current', sameScheduleForAll: true, schedule: gzWeekly([2], 1, 5) },
  install: {
    enabled: true,
    security: { enabled: true },
    nonSecurity: { enabled: false },
    manuallyApproved: { enabled: false },
    rebootPostponement: { mode: 'user-may-postpone' },
  },
  download: { cachingServers: ['cache-a'], directDownloadFallback: true },
});

eachDriver('policies API', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let w: World;
  before(async () => {
    app = await startPolicyApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
  });
  after(async () => app?.close());

  test('a policy with a weekly schedule: its task, its next occurrences, events, duplicates, delete', async () => {
    const r = await admin.post('/api/v1/policies', {
      organizationId: w.orgA.id,
      name: 'Tuesday nights',
      rule: { kind: 'all' },
      targets: { groups: [w.groupA.id] },
      schedule: weekly(['tue', 'thu']),
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body.targets, {
      groups: [w.groupA.id],
      devices: [],
      deviceFilter: null,
      rolloutPlan: null,
    });
    assert.ok(r.body.taskId, 'a scheduled policy owns a task');
    const occ = await admin.get(`/api/v1/policies/${r.body.id}/occurrences?count=4`);
    assert.equal(occ.status, 200);
    assert.equal(occ.body.occurrences.length, 4);
    for (const o of occ.body.occurrences) {
      const local = new Date(o).toLocaleString('en-GB', {
        timeZone: 'Europe/Berlin',
        weekday: 'short',
        hour: '2-digit',
        minute: '2-digit',
      });
      assert.match(local, /^(Tue|Thu) 22:00$/, local);
    }
    assert.equal(r.body.nextRunAt, occ.body.occurrences[0]);
    const task = await admin.get(`/api/v1/tasks/${r.body.taskId}`);
    assert.equal(task.body.kind, 'install');
    assert.deepEqual(task.body.parameters.target, { kind: 'groups', ids: [w.groupA.id] });
    assert.equal(task.body.nextDueAt, occ.body.occurrences[0]);

    const dup = await admin.post('/api/v1/policies', {
      organizationId: w.orgA.id,
      name: 'TUESDAY NIGHTS',
      rule: { kind: 'all' },
    });
    assert.equal(dup.status, 409);

    const off = await admin.post(`/api/v1/policies/${r.body.id}/disable`);
    assert.equal(off.body.enabled, false);
    assert.equal(off.body.nextRunAt, null);
    assert.equal((await admin.get(`/api/v1/tasks/${r.body.taskId}`)).body.enabled, false);

    const put = await admin.call('PUT', `/api/v1/policies/${r.body.id}`, {
      name: 'Unscheduled',
      rule: { kind: 'all' },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.taskId, null);
    assert.equal((await admin.get(`/api/v1/tasks/${r.body.taskId}`)).status, 404);

    const ev = await admin.get(`/api/v1/events?organizationId=${w.orgA.id}&limit=100`);
    const kinds = ev.body.items
      .filter((e: { subjectType: string }) => e.subjectType === 'policy')
      .map((e: { kind: string }) => e.kind);
    for (const k of ['policy.created', 'policy.disabled', 'policy.updated']) assert.ok(kinds.includes(k), k);
    assert.equal((await admin.del(`/api/v1/policies/${r.body.id}`)).status, 204);
    assert.equal((await admin.get(`/api/v1/policies/${r.body.id}`)).status, 404);
  });

  test('bad policies: core parser issues and schedule issues, each naming its field', async () => {
    const r = await admin.post('/api/v1/policies', {
      organizationId: w.orgA.id,
      name: '',
      rule: { kind: 'sometimes' },
      schedule: { ...weekly(['tue']), recurrence: { kind: 'weekly', every: 0, days: ['tue'] } },
      targets: { groups: [w.groupB.id] },
    });
    assert.equal(r.status, 400);
    const paths = r.body.errors.map((e: { path: string }) => e.path);
    assert.ok(paths.includes('name'), JSON.stringify(paths));
    assert.ok(paths.includes('rule.kind'), JSON.stringify(paths));
    assert.ok(
      paths.some((p: string) => p.startsWith('schedule.recurrence')),
      JSON.stringify(paths),
    );
    const foreign = await admin.post('/api/v1/policies', {
      organizationId: w.orgA.id,
      name: 'foreign group',
      rule: { kind: 'all' },
      targets: { groups: [w.groupB.id] },
    });
    assert.equal(foreign.status, 400);
    assert.equal(foreign.body.errors[0].path, 'targets.groups');
  });

  test('preview: the targeted devices, the updates the rule selects with approvals, the time in each zone', async () => {
    await admin.patch(`/api/v1/devices/${w.deviceA2.id}`, { timeZone: 'America/New_York' });
    await admin.post(`/api/v1/devices/${w.deviceA.id}/updates/ignore`, { updateIds: [w.updates.liblzma5] });
    const p = await admin.post('/api/v1/policies', {
      organizationId: w.orgA.id,
      name: 'Security only',
      rule: { kind: 'severity', severities: ['high', 'critical'] },
      targets: { groups: [w.groupA.id] },
      schedule: weekly(['wed'], '03:00'),
    });
    assert.equal(p.status, 201, JSON.stringify(p.body));
    const r = await admin.get(`/api/v1/policies/${p.body.id}/preview`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(
      r.body.devices.map((d: { deviceId: number }) => d.deviceId),
      [w.deviceA.id, w.deviceA2.id],
      'the devices of the group subtree, not organization B',
    );
    const [a, a2] = r.body.devices;
    assert.deepEqual(
      a.updates.map((u: { name: string }) => u.name),
      ['openssl'],
      'liblzma5 is ignored on web-1',
    );
    assert.equal(a.excluded.find((e: { name: string }) => e.name === 'liblzma5').reason, 'ignored');
    assert.equal(a.excluded.find((e: { name: string }) => e.name === 'tzdata').reason, 'severity');
    assert.deepEqual(a2.updates.map((u: { name: string }) => u.name).sort(), ['liblzma5', 'openssl']);
    assert.equal(a2.timeZone, 'America/New_York');
    assert.equal(a.nextOccurrence, a2.nextOccurrence, 'a named-zone schedule fires at one instant');
    // 03:00 in Berlin is 21:00 the day before in New York (both in winter or both in summer)
    assert.match(a2.nextOccurrenceLocal, /T(21|22):00:00-0[45]:00$/);
    assert.equal(new Date(a2.nextOccurrenceLocal).toISOString(), a2.nextOccurrence);
    assert.equal(a2.windowAllows, true, 'no window applies');
  });

  test('maintenance windows: create, duplicate name 409, assignment gates installs', async () => {
    const r = await admin.post('/api/v1/maintenance-windows', {
      organizationId: w.orgA.id,
      name: 'Tuesday 01-05',
      settings: windowSettings(),
      assignments: { groups: [w.subA.id] },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.settings.install.security.enabled, true);
    assert.deepEqual(r.body.assignments, { policies: [], groups: [w.subA.id] });
    const back = await admin.get(`/api/v1/maintenance-windows/${r.body.id}`);
    const again = await admin.post('/api/v1/maintenance-windows', {
      organizationId: w.orgB.id,
      name: 'Round trip',
      settings: back.body.settings,
    });
    assert.equal(again.status, 201, `what a GET returns is valid input: ${JSON.stringify(again.body)}`);
    const dup = await admin.post('/api/v1/maintenance-windows', {
      organizationId: w.orgA.id,
      name: ' tuesday 01-05 ',
      settings: windowSettings(),
    });
    assert.equal(dup.status, 409, JSON.stringify(dup.body));
    // web-1 has no time zone and its organization none: the server's zone. Use a device zone to be exact.
    await admin.patch(`/api/v1/devices/${w.deviceA.id}`, { timeZone: 'UTC' });
    const db = h.store().db;
    assert.equal(
      await installAllowedAt(db, w.deviceA.id, new Date('2026-03-03T02:00:00Z')),
      true,
      'Tuesday 02:00',
    );
    assert.equal(
      await installAllowedAt(db, w.deviceA.id, new Date('2026-03-03T06:00:00Z')),
      false,
      'Tuesday 06:00',
    );
    assert.equal(
      await installAllowedAt(db, w.deviceA.id, new Date('2026-03-04T02:00:00Z')),
      false,
      'Wednesday',
    );
    assert.equal(
      await installAllowedAt(db, w.deviceB.id, new Date('2026-03-04T02:00:00Z')),
      true,
      'no window',
    );
    // the agent is handed an install job only while a window allows it
    const job = await db
      .insertInto('jobs')
      .values({ organization_id: w.orgA.id, device_id: w.deviceA.id, kind: 'install', payload: {} })
      .returning('id')
      .executeTakeFirstOrThrow();
    const device = (await getDeviceRow(db, w.deviceA.id))!;
    const at = (iso: string) => new Context(h.store(), deviceActor(device), () => new Date(iso));
    const closed = await checkIn(at('2026-03-03T06:00:00Z'), device, {});
    assert.deepEqual(closed.jobs, [], 'outside the window the install waits');
    const stillPending = await db
      .selectFrom('jobs')
      .select('status')
      .where('id', '=', job.id)
      .executeTakeFirstOrThrow();
    assert.equal(stillPending.status, 'pending');
    const opened = await checkIn(at('2026-03-03T02:00:00Z'), device, {});
    assert.deepEqual(
      opened.jobs.map((j) => [j.id, j.kind]),
      [[job.id, 'install']],
      'inside the window it is handed out',
    );
    await db.deleteFrom('jobs').where('id', '=', job.id).execute();
    const renamed = await admin.patch(`/api/v1/maintenance-windows/${r.body.id}`, { name: 'Renamed' });
    assert.equal(renamed.body.name, 'Renamed');
    assert.equal((await admin.del(`/api/v1/maintenance-windows/${r.body.id}`)).status, 204);
    assert.equal(await installAllowedAt(db, w.deviceA.id, new Date('2026-03-04T02:00:00Z')), true);
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const breakers: [string, (s: any) => unknown, string, RegExp][] = [
    ['name too long', (s) => s, 'name', /80/],
    ['install on, scan off', (s) => ((s.scan.enabled = false), s), 'settings.scan.enabled', /must be true/],
    [
      'install on, no class',
      (s) => ((s.install.security.enabled = false), s),
      'settings.install',
      /security/,
    ],
    [
      'weekly every 0',
      (s) => ((s.scan.schedule.value.weeklyRecurrence.every = 0), s),
      'settings.scan.schedule.value.weeklyRecurrence.every',
      /./,
    ],
    [
      'between backwards',
      (s) => ((s.scan.schedule.value.between.endHour = 0), s),
      'settings.scan.schedule.value.between',
      /./,
    ],
    [
      'bad schedule format',
      (s) => ((s.scan.schedule.format = 'cron'), s),
      'settings.scan.schedule.format',
      /gravityzone-scheduler/,
    ],
    [
      'bad postponement mode',
      (s) => ((s.install.rebootPostponement.mode = 'never'), s),
      'settings.install.rebootPostponement.mode',
      /within-interval/,
    ],
    [
      'interval without minutes',
      (s) => ((s.install.rebootPostponement = { mode: 'automatic-after', message: 'x' }), s),
      'settings.install.rebootPostponement.afterMinutes',
      /required/,
    ],
    [
      'message too long',
      (s) => (
        (s.install.rebootPostponement = {
          mode: 'automatic-after',
          afterMinutes: 10,
          message: 'x'.repeat(129),
        }),
        s
      ),
      'settings.install.rebootPostponement.message',
      /128/,
    ],
    [
      'duplicate caching server',
      (s) => ((s.download.cachingServers = ['a', 'a']), s),
      'settings.download.cachingServers',
      /./,
    ],
    ['unknown field', (s) => ((s.install.colour = 'red'), s), 'settings.install.colour', /not a field/],
    [
      'bad patch id',
      (s) => ((s.install.manuallyApprovedPatches = ['KB1']), s),
      'settings.install.manuallyApprovedPatches[0]',
      /GUID/,
    ],
    [
      'separate schedules, security without one',
      (s) => ((s.scan.sameScheduleForAll = false), s),
      'settings.install.security.schedule.value',
      /required/,
    ],
  ];
  for (const [what, breakIt, path, message] of breakers)
    test(`window validation: ${what} → 400 naming ${path}`, async () => {
      const r = await admin.post('/api/v1/maintenance-windows', {
        organizationId: w.orgA.id,
        name: what === 'name too long' ? 'n'.repeat(81) : `bad ${what}`,
        settings: breakIt(windowSettings()),
      });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      const hit = r.body.errors.find((e: { path: string }) => e.path.startsWith(path));
      assert.ok(hit, `${path} in ${JSON.stringify(r.body.errors)}`);
      assert.match(hit.message, message);
      assert.ok(!/PatchesSettings|postponeReboot|specificVendor/.test(hit.path), hit.path);
    });

  test('schedule conversion: canonical → automox, rrule → kaseya, with occurrences; bad input is precise', async () => {
    const r = await admin.post('/api/v1/schedules/convert', {
      from: 'rrule',
      to: 'canonical',
      value: 'DTSTART;TZID=Europe/Berlin:20260105T220000\nRRULE:FREQ=WEEKLY;BYDAY=TU,TH',
      count: 3,
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.value.recurrence, { kind: 'weekly', every: 1, days: ['tue', 'thu'] });
    assert.equal(r.body.occurrences.length, 3);
    const k = await admin.post('/api/v1/schedules/convert', {
      from: 'canonical',
      to: 'rrule',
      value: r.body.value,
    });
    assert.equal(k.status, 200, JSON.stringify(k.body));
    assert.match(k.body.value, /BYDAY=TU,TH/);
    const bad = await admin.post('/api/v1/schedules/convert', {
      from: 'automox',
      to: 'canonical',
      value: { schedule_days: 'x' },
    });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.detail.length > 10, bad.body.detail);
    const badFormat = await admin.post('/api/v1/schedules/convert', {
      from: 'cron',
      to: 'canonical',
      value: '* * *',
    });
    assert.equal(badFormat.status, 400);
  });

  test('tenancy: a user of organization B gets 404 for everything of organization A', async () => {
    const p = await admin.post('/api/v1/policies', {
      organizationId: w.orgA.id,
      name: 'A only',
      rule: { kind: 'all' },
      schedule: weekly(['mon']),
    });
    const win = await admin.post('/api/v1/maintenance-windows', {
      organizationId: w.orgA.id,
      name: 'A window',
      settings: windowSettings(),
    });
    const task = await admin.post('/api/v1/tasks', { organizationId: w.orgA.id, kind: 'scan' });
    const inst = await admin.post(`/api/v1/tasks/${task.body.id}/run`);
    assert.equal(inst.status, 201);
    const u = await scopedUser(admin, 'bravo-ops', w.orgB.id);
    const b = await signIn(app, 'bravo-ops', u.password);
    const body = { organizationId: w.orgA.id, name: 'x', rule: { kind: 'all' } };
    for (const [method, url, payload] of [
      ['GET', `/api/v1/policies/${p.body.id}`],
      ['PUT', `/api/v1/policies/${p.body.id}`, { name: 'x', rule: { kind: 'all' } }],
      ['DELETE', `/api/v1/policies/${p.body.id}`],
      ['POST', `/api/v1/policies/${p.body.id}/disable`, {}],
      ['GET', `/api/v1/policies/${p.body.id}/preview`],
      ['GET', `/api/v1/policies/${p.body.id}/occurrences`],
      ['POST', '/api/v1/policies', body],
      ['GET', `/api/v1/maintenance-windows/${win.body.id}`],
      ['PATCH', `/api/v1/maintenance-windows/${win.body.id}`, { name: 'y' }],
      ['DELETE', `/api/v1/maintenance-windows/${win.body.id}`],
      [
        'POST',
        '/api/v1/maintenance-windows',
        { organizationId: w.orgA.id, name: 'z', settings: windowSettings() },
      ],
      ['GET', `/api/v1/tasks/${task.body.id}`],
      ['POST', `/api/v1/tasks/${task.body.id}/run`, {}],
      ['POST', '/api/v1/tasks', { organizationId: w.orgA.id, kind: 'scan' }],
      ['GET', `/api/v1/task-instances/${inst.body.id}`],
      ['POST', `/api/v1/task-instances/${inst.body.id}/stop`, {}],
      ['POST', `/api/v1/task-instances/${inst.body.id}/cancel`, {}],
      ['GET', `/api/v1/policies?organizationId=${w.orgA.id}`],
      ['GET', `/api/v1/tasks?organizationId=${w.orgA.id}`],
    ] as const) {
      const r = await b.call(method, url, payload);
      assert.equal(r.status, 404, `${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    const lists = [
      await b.get('/api/v1/policies'),
      await b.get('/api/v1/maintenance-windows'),
      await b.get('/api/v1/tasks'),
      await b.get('/api/v1/task-instances?running=true'),
    ];
    for (const l of lists) {
      assert.equal(l.status, 200);
      assert.ok(l.body.items.every((x: { organizationId: number }) => x.organizationId !== w.orgA.id));
    }
  });
});
