import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import { eachDriver } from '../support/store.ts';
import * as m0010 from '../../src/store/migrations/0010_window_schedule.ts';
import { gzFormOf, type MaintenanceWindowSettings } from '../../src/core/windows/index.ts';
import { windowAllowsAt } from '../../src/services/windows.ts';

// Migration 0010: windows written with product schedule objects (`{format, value}`) are rewritten with
// canonical schedules, losing nothing: the native form rendered back is what was stored, and the window
// opens at the same instants.

const between = { startHour: 1, startMinute: 0, endHour: 5, endMinute: 0 };
const rest = {
  install: {
    enabled: true,
    runMissedAsap: true,
    vendorProducts: {
      enabled: true,
      mode: 'exclude',
      pairs: [{ os: 'windows', vendor: '65', products: ['15694'] }],
    },
    rebootPostponement: {
      mode: 'within-interval',
      afterMinutes: 30,
      message: 'Restarting soon',
      between: { start: { hour: 1, minute: 0 }, end: { hour: 5, minute: 0 } },
    },
    manuallyApprovedPatches: ['{0001354A-0000-0000-0000-000000000000}'],
  },
  download: { cachingServers: ['cache-a'], directDownloadFallback: false },
};
/** as services/windows.ts stored it before 0010: weekly Tuesday 01:00–05:00, monthly for non-security */
const current = {
  scan: {
    enabled: true,
    onNewApplications: true,
    scheduleFormat: 'current',
    sameScheduleForAll: false,
    schedule: {
      format: 'gravityzone-scheduler',
      // 2026-01-01T01:00Z: a start date at the window's start, as the native API renders it
      value: { recurrence: 3, startDate: 1767229200, between, weeklyRecurrence: { every: 1, days: [2] } },
    },
  },
  install: {
    ...rest.install,
    security: { enabled: true, schedule: { format: 'gravityzone-scheduler', value: { recurrence: 1 } } },
    nonSecurity: {
      enabled: true,
      schedule: {
        format: 'gravityzone-scheduler',
        value: {
          recurrence: 4,
          startDate: 1767229200,
          between,
          monthlyRecurrence: { every: 1, frequency: 2, frequencyDayOfWeek: 2 },
        },
      },
    },
    manuallyApproved: { enabled: false, schedule: null },
  },
  download: rest.download,
};
/** the fallback system: daily scans at 03:30, installs weekly on Saturday and Sunday at 02:00 */
const fallback = {
  scan: {
    enabled: true,
    onNewApplications: false,
    scheduleFormat: 'fallback',
    sameScheduleForAll: false,
    schedule: {
      format: 'gravityzone-old-scheduler',
      value: { recurrence: 2, startHour: 3, startMinute: 30 },
    },
  },
  install: {
    ...rest.install,
    security: {
      enabled: true,
      schedule: {
        format: 'gravityzone-old-scheduler',
        value: { recurrence: 3, startHour: 2, startMinute: 0, days: [0, 6] },
      },
    },
    nonSecurity: { enabled: false, schedule: null },
    manuallyApproved: { enabled: false, schedule: null },
  },
  download: rest.download,
};

eachDriver('migration 0010: window schedules become canonical', (h) => {
  test('old rows are rewritten with canonical schedules, losslessly; again changes nothing; down restores', async () => {
    const db = h.store().db;
    const raw = db as unknown as Kysely<unknown>;
    const org = await sql<{
      id: number;
    }>`insert into organizations (ref, name) values ('migrating', 'Migrating') returning id`.execute(db);
    const orgId = org.rows[0]!.id;
    const ids: Record<string, number> = {};
    for (const [name, settings] of Object.entries({ current, fallback })) {
      const r = await db
        .insertInto('maintenance_windows')
        .values({ organization_id: orgId, name, settings })
        .returning(['id', 'updated_at'])
        .executeTakeFirstOrThrow();
      ids[name] = r.id;
    }
    const read = async (name: string) =>
      await db
        .selectFrom('maintenance_windows')
        .selectAll()
        .where('id', '=', ids[name]!)
        .executeTakeFirstOrThrow();
    const before = await read('current');

    await m0010.up(raw);
    const after = await read('current');
    const s = after.settings as unknown as MaintenanceWindowSettings;
    assert.equal('scheduleFormat' in s.scan, false, 'no product form left');
    assert.deepEqual(s.scan.schedule, {
      recurrence: { kind: 'weekly', every: 1, days: ['tue'] },
      start: '2026-01-01T01:00',
      zone: { kind: 'device' },
      end: { kind: 'never' },
      window: { start: '01:00', end: '05:00' },
    });
    assert.equal(s.install.security.schedule?.recurrence.kind, 'immediately');
    assert.deepEqual(s.install.nonSecurity.schedule?.recurrence, {
      kind: 'monthly',
      every: 1,
      on: { kind: 'weekdays', nth: [2], days: ['tue'] },
    });
    assert.deepEqual(after.updated_at, before.updated_at, 'the window means what it meant');
    // lossless: the native form rendered from the canonical settings is what was stored
    assert.deepEqual(gzFormOf(s), current);
    const f = (await read('fallback')).settings as unknown as MaintenanceWindowSettings;
    assert.deepEqual(gzFormOf(f), fallback);
    assert.deepEqual(f.install.security.schedule?.recurrence, {
      kind: 'weekly',
      every: 1,
      days: ['sun', 'sat'],
    });
    // and the gate reads it: security patches install "immediately", at any time
    assert.equal(windowAllowsAt(s, new Date('2026-03-04T12:00:00Z'), 'UTC'), true);

    await m0010.up(raw);
    assert.deepEqual((await read('current')).settings, after.settings, 'running it again changes nothing');

    await m0010.down(raw);
    assert.deepEqual((await read('current')).settings, current, 'down restores the earlier form');
    assert.deepEqual((await read('fallback')).settings, fallback);
    await m0010.up(raw);
    await db.deleteFrom('organizations').where('id', '=', orgId).execute();
  });
});
