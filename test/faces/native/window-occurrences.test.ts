import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { eachDriver } from '../../support/store.ts';
import { ADMIN_PASSWORD, signIn, startApp, type Client } from '../../support/api.ts';
import { buildWorld, scopedUser, type World } from '../../support/world.ts';
import { Context, SYSTEM_ACTOR } from '../../../src/services/context.ts';
import { windowOccurrences } from '../../../src/services/windows-occurrences.ts';

// GET /maintenance-windows/:id/occurrences: the console's calendar. Occurrences are read in the
// organization's zone, with the end of each daily window, across a daylight-saving change.

const gzWeekly = (days: number[], from: number, to: number) => ({
  format: 'gravityzone-scheduler',
  value: {
    recurrence: 3,
    startDate: 1767225600, // 2026-01-01
    between: { startHour: from, startMinute: 0, endHour: to, endMinute: 0 },
    weeklyRecurrence: { every: 1, days },
  },
});
const settings = (shared: boolean) => ({
  scan: {
    enabled: true,
    scheduleFormat: 'current',
    sameScheduleForAll: shared,
    schedule: gzWeekly([2, 4], 1, 5), // Tuesday and Thursday, 01:00–05:00
  },
  install: {
    enabled: true,
    security: shared ? { enabled: true } : { enabled: true, schedule: gzWeekly([6], 22, 23) },
    nonSecurity: { enabled: false },
    // with separate schedules, patches approved by hand follow the security schedule
    manuallyApproved: { enabled: !shared },
    rebootPostponement: { mode: 'user-may-postpone' },
  },
});

interface Occ {
  start: string;
  end: string | null;
  uses: string[];
}
const berlin = (iso: string) =>
  new Date(iso).toLocaleString('en-GB', {
    timeZone: 'Europe/Berlin',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });

eachDriver('maintenance window occurrences API', (h) => {
  let app: FastifyInstance;
  let admin: Client;
  let w: World;
  before(async () => {
    app = await startApp(h.store());
    admin = await signIn(app, 'admin', ADMIN_PASSWORD);
    w = await buildWorld(admin, h.store());
    const tz = await admin.patch(`/api/v1/organizations/${w.orgA.id}`, { timeZone: 'Europe/Berlin' });
    assert.equal(tz.status, 200, JSON.stringify(tz.body));
  });
  after(async () => app?.close());

  test('a shared weekly window: every Tuesday and Thursday 01:00–05:00 Berlin time, across the DST change', async () => {
    const win = await admin.post('/api/v1/maintenance-windows', {
      organizationId: w.orgA.id,
      name: 'Nights',
      settings: settings(true),
    });
    assert.equal(win.status, 201, JSON.stringify(win.body));
    // 16 March to 13 April 2026: Europe/Berlin moves to summer time on 29 March
    const r = await admin.get(
      `/api/v1/maintenance-windows/${win.body.id}/occurrences?from=2026-03-16T00:00:00Z&days=28`,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.zone, 'Europe/Berlin');
    assert.equal(r.body.to, '2026-04-13T00:00:00.000Z');
    const occ = r.body.occurrences as Occ[];
    assert.equal(occ.length, 8);
    for (const o of occ) {
      assert.match(berlin(o.start), /^(Tue|Thu) 01:00$/, o.start);
      assert.match(berlin(o.end!), /^(Tue|Thu) 05:00$/, o.end!);
      assert.equal(new Date(o.end!).getTime() - new Date(o.start).getTime(), 4 * 3_600_000);
      assert.deepEqual(o.uses, ['scan', 'security']);
    }
    // winter time (UTC+1) before the change, summer time (UTC+2) after it
    assert.equal(occ[0]!.start, '2026-03-17T00:00:00.000Z');
    assert.equal(occ.at(-1)!.start, '2026-04-08T23:00:00.000Z');
    assert.deepEqual(r.body.alwaysOpen, []);
  });

  test('separate schedules are listed each with what it governs; bad ranges are 400; other tenants get 404', async () => {
    const win = await admin.post('/api/v1/maintenance-windows', {
      organizationId: w.orgA.id,
      name: 'Split',
      settings: settings(false),
    });
    assert.equal(win.status, 201, JSON.stringify(win.body));
    const r = await admin.get(
      `/api/v1/maintenance-windows/${win.body.id}/occurrences?from=2026-06-01T00:00:00Z&days=7`,
    );
    assert.equal(r.status, 200);
    const occ = r.body.occurrences as Occ[];
    assert.deepEqual(
      occ.map((o) => [berlin(o.start), o.uses.join('+')]),
      [
        ['Tue 01:00', 'scan'],
        ['Thu 01:00', 'scan'],
        ['Sat 22:00', 'security+manuallyApproved'],
      ],
    );
    for (const days of [0, 93, 'x'])
      assert.equal(
        (await admin.get(`/api/v1/maintenance-windows/${win.body.id}/occurrences?days=${days}`)).status,
        400,
      );
    assert.equal((await admin.get('/api/v1/maintenance-windows/999999/occurrences')).status, 404);

    const b = await scopedUser(admin, 'occ-bravo', w.orgB.id, 'Viewer');
    const bravo = await signIn(app, 'occ-bravo', b.password);
    assert.equal((await bravo.get(`/api/v1/maintenance-windows/${win.body.id}/occurrences`)).status, 404);
    const a = await scopedUser(admin, 'occ-alpha', w.orgA.id, 'Viewer');
    const alpha = await signIn(app, 'occ-alpha', a.password);
    const seen = await alpha.get(`/api/v1/maintenance-windows/${win.body.id}/occurrences`);
    assert.equal(seen.status, 200);
    assert.ok(seen.body.occurrences.length > 0, 'a default range of 28 days has occurrences');
  });

  test('an occurrence open right now is listed first (fixed clock), once', async () => {
    const win = await admin.post('/api/v1/maintenance-windows', {
      organizationId: w.orgA.id,
      name: 'Open now',
      settings: settings(true),
    });
    assert.equal(win.status, 201, JSON.stringify(win.body));
    // Tuesday 17 March 2026, 02:23 in Berlin: inside 01:00-05:00
    const now = new Date('2026-03-17T01:23:00Z');
    const ctx = new Context(h.store(), SYSTEM_ACTOR, () => now);
    const r = await windowOccurrences(ctx, win.body.id, { days: 7 });
    assert.equal(r.from.getTime(), now.getTime());
    assert.deepEqual(
      r.occurrences.slice(0, 2).map((o) => [o.start.toISOString(), o.end?.toISOString()]),
      [
        ['2026-03-17T00:00:00.000Z', '2026-03-17T04:00:00.000Z'],
        ['2026-03-19T00:00:00.000Z', '2026-03-19T04:00:00.000Z'],
      ],
    );
    assert.equal(r.occurrences.length, 3); // Tue (open), Thu, and next Tue
    // through the API with the same moment as `from`; at the very start, the occurrence is listed once
    for (const from of ['2026-03-17T01:23:00Z', '2026-03-17T00:00:00Z']) {
      const api = await admin.get(
        `/api/v1/maintenance-windows/${win.body.id}/occurrences?from=${from}&days=7`,
      );
      assert.equal(api.status, 200, JSON.stringify(api.body));
      assert.deepEqual(
        (api.body.occurrences as Occ[]).map((o) => o.start),
        ['2026-03-17T00:00:00.000Z', '2026-03-19T00:00:00.000Z', '2026-03-24T00:00:00.000Z'],
        from,
      );
    }
    // after it closed, it is gone
    const later = await admin.get(
      `/api/v1/maintenance-windows/${win.body.id}/occurrences?from=2026-03-17T04:00:00Z&days=7`,
    );
    assert.equal(later.body.occurrences[0].start, '2026-03-19T00:00:00.000Z');
  });
});
