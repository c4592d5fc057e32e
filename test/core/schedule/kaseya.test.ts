import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  fromKaseya,
  kaseyaRecurrenceText,
  toKaseya,
  KASEYA_DAY_OF_MONTH,
  KASEYA_REPEATS,
} from '../../../src/core/schedule/kaseya.ts';
import { parseSchedule, type Schedule } from '../../../src/core/schedule/model.ts';
import { schedule } from './helpers.ts';

const samples = JSON.parse(
  readFileSync(new URL('./fixtures/kaseya-schedule-samples.json', import.meta.url), 'utf8'),
);
const body = (rec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  ServerTimeZone: false,
  Recurrence: { Times: 1, EndAt: 'T0000', EndAfterIntervalTimes: 0, ...rec },
  Start: { StartOn: '2024-01-01T00:00:00.000Z', StartAt: 'T0915' },
  ...extra,
});

test('the seed sample request models parse (Repeat Never, spaces in dates, FirstSunday with a trailing space)', () => {
  assert.deepEqual(fromKaseya(samples.agentProcedure), {
    recurrence: { kind: 'once' },
    start: '2016-02-05T00:00',
    zone: { kind: 'server' },
    end: { kind: 'never' },
  });
  assert.deepEqual(fromKaseya(samples.baselineAudit), {
    recurrence: { kind: 'once' },
    start: '2015-08-06T00:00',
    zone: { kind: 'device' },
    end: { kind: 'never' },
  });
  const scan = fromKaseya(samples.patchScan);
  assert.equal(scan.start, '2016-03-15T00:00');
  const back = toKaseya(scan);
  assert.deepEqual(back, {
    ServerTimeZone: true,
    Recurrence: { Repeat: 'Never', Times: 0, EndAt: 'T0000', EndAfterIntervalTimes: 0 },
    Start: { StartOn: '2016-03-15T00:00:00.000Z', StartAt: 'T0000' },
    Distribution: { Interval: 'Minutes', Magnitude: 0 },
    Exclusion: { From: 'T0000', To: 'T0000' },
  });
  assert.deepEqual(fromKaseya(back), scan);
});

test('every Repeat value', () => {
  const table: [Record<string, unknown>, unknown][] = [
    [{ Repeat: 'Never', Times: 0 }, { kind: 'once' }],
    [
      { Repeat: 'Minutes', Times: 15 },
      { kind: 'minutes', every: 15 },
    ],
    [
      { Repeat: 'Hours', Times: 6 },
      { kind: 'hours', every: 6 },
    ],
    [
      { Repeat: 'Days', Times: 1 },
      { kind: 'days', every: 1 },
    ],
    [
      { Repeat: 'Weeks', Times: 1, DaysOfWeek: 'Thursday' },
      { kind: 'weekly', every: 1, days: ['thu'] },
    ],
    [
      { Repeat: 'Weeks', Times: 2, DaysOfWeek: 'Monday, Friday,Sunday' },
      { kind: 'weekly', every: 2, days: ['sun', 'mon', 'fri'] },
    ],
    [
      { Repeat: 'Months', Times: 12, SpecificDayOfMonth: 1 },
      { kind: 'monthly', every: 12, on: { kind: 'day', day: 1 } },
    ],
    [
      { Repeat: 'Years', Times: 1, MonthOfYear: 'February', DayOfMonth: 'LastDay' },
      { kind: 'yearly', every: 1, month: 2, on: { kind: 'day', day: 'last' } },
    ],
  ];
  assert.deepEqual([...new Set(table.map(([r]) => r.Repeat))], [...KASEYA_REPEATS]);
  for (const [rec, recurrence] of table) {
    const s = fromKaseya(body(rec));
    assert.deepEqual(s.recurrence, recurrence, JSON.stringify(rec));
    assert.deepEqual(fromKaseya(toKaseya(s)), s);
  }
});

test('all 50 DayOfMonth values (7 weekdays, WeekDay, WeekendDay, Day × 5 ordinals)', () => {
  assert.equal(KASEYA_DAY_OF_MONTH.length, 50);
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const ords = ['First', 'Second', 'Third', 'Fourth', 'Last'];
  const nthOf = (o: string) => (o === 'Last' ? 'last' : ords.indexOf(o) + 1);
  for (const o of ords) {
    for (const [i, d] of days.entries()) {
      const s = fromKaseya(body({ Repeat: 'Months', DayOfMonth: `${o}${d}` }));
      assert.deepEqual(s.recurrence, {
        kind: 'monthly',
        every: 1,
        on: {
          kind: 'weekdays',
          nth: [nthOf(o)],
          days: [['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][i]],
        },
      });
      assert.equal(toKaseya(s).Recurrence.DayOfMonth, `${o}${d}`);
    }
    const wd = fromKaseya(body({ Repeat: 'Months', DayOfMonth: `${o}WeekDay` }));
    assert.deepEqual(wd.recurrence, {
      kind: 'monthly',
      every: 1,
      on: { kind: 'class', nth: nthOf(o), of: 'weekday' },
    });
    assert.equal(toKaseya(wd).Recurrence.DayOfMonth, `${o}WeekDay`);
    const we = fromKaseya(body({ Repeat: 'Years', MonthOfYear: 'June', DayOfMonth: `${o}WeekendDay` }));
    assert.deepEqual(we.recurrence, {
      kind: 'yearly',
      every: 1,
      month: 6,
      on: { kind: 'class', nth: nthOf(o), of: 'weekendDay' },
    });
    assert.equal(toKaseya(we).Recurrence.DayOfMonth, `${o}WeekendDay`);
    // FirstDay … FourthDay are days 1 … 4 (written back as SpecificDayOfMonth), LastDay the last day
    const day = fromKaseya(body({ Repeat: 'Months', DayOfMonth: `${o}Day` }));
    assert.deepEqual(day.recurrence, { kind: 'monthly', every: 1, on: { kind: 'day', day: nthOf(o) } });
    assert.deepEqual(fromKaseya(toKaseya(day)), day);
  }
  assert.throws(
    () => fromKaseya(body({ Repeat: 'Months', DayOfMonth: 'FifthMonday' })),
    /DayOfMonth: must be one of FirstSunday … LastDay \(50 values\), got "FifthMonday"/,
  );
});

test('all twelve MonthOfYear values', () => {
  const months = [
    'January',
    'February',
    'March',
    'April',
    'May',
    'June',
    'July',
    'August',
    'September',
    'October',
    'November',
    'December',
  ];
  months.forEach((m, i) => {
    const s = fromKaseya(body({ Repeat: 'Years', MonthOfYear: m, SpecificDayOfMonth: 28 }));
    assert.equal(s.recurrence.kind === 'yearly' && s.recurrence.month, i + 1);
    assert.equal(toKaseya(s).Recurrence.MonthOfYear, m);
  });
});

test('times T0000 to T2345 in 15-minute steps', () => {
  for (let tod = 0; tod < 1440; tod += 15) {
    const t = `T${String(Math.floor(tod / 60)).padStart(2, '0')}${String(tod % 60).padStart(2, '0')}`;
    const s = fromKaseya({
      ...body({ Repeat: 'Days' }),
      Start: { StartOn: '2024-01-01T00:00:00Z', StartAt: t },
    });
    assert.equal(toKaseya(s).Start.StartAt, t);
  }
  assert.throws(
    () => fromKaseya({ ...body({ Repeat: 'Days' }), Start: { StartOn: '2024-01-01', StartAt: 'T1350' } }),
    /StartAt: T1350 is not in 15-minute increments/,
  );
  assert.throws(
    () => fromKaseya({ ...body({ Repeat: 'Days' }), Start: { StartOn: '2024-01-01', StartAt: 'T2400' } }),
    /StartAt: must be a time "T0000" to "T2345"/,
  );
  assert.throws(
    () => toKaseya(schedule({ recurrence: { kind: 'days', every: 1 }, start: '2024-01-01T13:50' })),
    /Kaseya cannot express a start time off the 15-minute grid \(13:50\)/,
  );
});

test('ends, distribution, exclusion and server time zone', () => {
  const table: [Record<string, unknown>, Partial<Schedule>][] = [
    [body({ Repeat: 'Days', EndAfterIntervalTimes: 10 }), { end: { kind: 'after', occurrences: 10 } }],
    [
      body({ Repeat: 'Days', EndOn: '2027-04-27T15:59:59.809Z' }),
      { end: { kind: 'on', date: '2027-04-27' } },
    ],
    [
      body({ Repeat: 'Hours', EndOn: '2027-04-27T00:00:00Z', EndAt: 'T1345' }),
      { end: { kind: 'at', at: '2027-04-27T13:45' } },
    ],
    [body({ Repeat: 'Minutes', Times: 15, EndAt: 'T1700' }), { end: { kind: 'at', at: '2024-01-01T17:00' } }],
    [
      body({ Repeat: 'Days' }, { Distribution: { Interval: 'Minutes', Magnitude: 45 } }),
      { distribution: { minutes: 45 } },
    ],
    [
      body({ Repeat: 'Days' }, { Distribution: { Interval: 'Hours', Magnitude: 2 } }),
      { distribution: { minutes: 120 } },
    ],
    [
      body({ Repeat: 'Days' }, { Exclusion: { From: 'T2200', To: 'T0600' } }),
      { exclusions: [{ kind: 'daily', from: '22:00', to: '06:00' }] },
    ],
    [body({ Repeat: 'Days' }, { ServerTimeZone: true }), { zone: { kind: 'server' } }],
  ];
  for (const [input, expected] of table) {
    const s = fromKaseya(input);
    for (const [k, v] of Object.entries(expected))
      assert.deepEqual(s[k as keyof Schedule], v, JSON.stringify(input));
    assert.deepEqual(fromKaseya(toKaseya(s)), s);
  }
  // the seed's EndOn example, spaces and all
  const seedEnd = fromKaseya({
    ...body({ Repeat: 'Days', EndOn: '2017- 04- 27T15:59:59.809Z' }),
    Start: { StartOn: '2017-01-01T00:00:00Z', StartAt: 'T1345' },
  });
  assert.deepEqual(seedEnd.end, { kind: 'on', date: '2017-04-27' });
  assert.equal(seedEnd.start, '2017-01-01T13:45');
  assert.equal(
    toKaseya(fromKaseya(body({ Repeat: 'Days' }, { Distribution: { Interval: 'Hours', Magnitude: 2 } })))
      .Distribution?.Magnitude,
    2,
  );
});

test('what Kaseya cannot express is refused by name', () => {
  const table: [Record<string, unknown>, RegExp][] = [
    [{ zone: { kind: 'named', name: 'Europe/Berlin' } }, /named time zone \(Europe\/Berlin\)/],
    [
      { recurrence: { kind: 'minutes', every: 5 }, window: { start: '08:00', end: '17:00' } },
      /daily time window/,
    ],
    [{ recurrence: { kind: 'immediately' } }, /"immediately"/],
    [
      { recurrence: { kind: 'monthly', every: 1, on: { kind: 'weekdays', nth: [5], days: ['mon'] } } },
      /fifth occurrence/,
    ],
    [
      { recurrence: { kind: 'monthly', every: 1, on: { kind: 'weekdays', nth: [1], days: ['mon', 'tue'] } } },
      /several weekdays/,
    ],
    [
      { recurrence: { kind: 'monthly', every: 1, on: { kind: 'day', day: 1 }, months: [1, 7] } },
      /limited to some months/,
    ],
    [{ end: { kind: 'at', at: '2025-01-01T00:00' } }, /end at midnight/],
    [
      {
        exclusions: [
          { kind: 'daily', from: '01:00', to: '02:00' },
          { kind: 'daily', from: '03:00', to: '04:00' },
        ],
      },
      /more than one exclusion/,
    ],
    [
      { exclusions: [{ kind: 'period', from: '2024-12-24T00:00', to: '2024-12-26T00:00' }] },
      /between two dates/,
    ],
    [
      { exclusions: [{ kind: 'daily', from: '01:10', to: '02:00' }] },
      /exclusion start off the 15-minute grid/,
    ],
  ];
  for (const [partial, message] of table) {
    const s = parseSchedule({
      recurrence: { kind: 'days', every: 1 },
      start: '2024-01-01T10:00',
      zone: { kind: 'device' },
      ...partial,
    });
    assert.throws(
      () => toKaseya(s),
      (e: Error & { kind?: string }) => e.kind === 'invalid' && message.test(e.message),
      String(message),
    );
  }
});

test("the recurrence descriptions of the seed's scheduled procedure list", () => {
  const [thursday, daily, yearlyFirst, monday] = samples.recurrenceTexts;
  assert.equal(kaseyaRecurrenceText(fromKaseya(body({ Repeat: 'Weeks', DaysOfWeek: 'Thursday' }))), thursday);
  assert.equal(kaseyaRecurrenceText(fromKaseya(body({ Repeat: 'Days' }))), daily);
  assert.equal(
    kaseyaRecurrenceText(fromKaseya(body({ Repeat: 'Months', Times: 12, DayOfMonth: 'FirstDay' }))),
    yearlyFirst,
  );
  assert.equal(kaseyaRecurrenceText(fromKaseya(body({ Repeat: 'Weeks', DaysOfWeek: 'Monday' }))), monday);
});
