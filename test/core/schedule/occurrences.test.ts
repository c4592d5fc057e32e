import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import {
  deviceHash,
  distributionOffset,
  isWithinWindow,
  nextOccurrences,
  occurrencesBetween,
  windowAt,
} from '../../../src/core/schedule/occurrences.ts';
import { WEEKDAYS, type MonthDay } from '../../../src/core/schedule/model.ts';
import { iso, next, schedule } from './helpers.ts';

const NY = { kind: 'named', name: 'America/New_York' };
const BERLIN = { kind: 'named', name: 'Europe/Berlin' };
const SYDNEY = { kind: 'named', name: 'Australia/Sydney' };
const LORD_HOWE = { kind: 'named', name: 'Australia/Lord_Howe' };

test('daily across spring-forward: a missing local time moves forward by the gap (3 zones + a 30-minute DST)', () => {
  const table: [unknown, string, string, string[]][] = [
    // New York: 2024-03-10 02:00 EST → 03:00 EDT
    [
      NY,
      '2024-03-08T02:30',
      '2024-03-08T00:00Z',
      ['2024-03-08T07:30Z', '2024-03-09T07:30Z', '2024-03-10T07:30Z', '2024-03-11T06:30Z'],
    ],
    // Berlin: 2024-03-31 02:00 CET → 03:00 CEST
    [
      BERLIN,
      '2024-03-29T02:30',
      '2024-03-29T00:00Z',
      ['2024-03-29T01:30Z', '2024-03-30T01:30Z', '2024-03-31T01:30Z', '2024-04-01T00:30Z'],
    ],
    // Sydney: 2024-10-06 02:00 AEST → 03:00 AEDT
    [
      SYDNEY,
      '2024-10-04T02:30',
      '2024-10-03T00:00Z',
      ['2024-10-03T16:30Z', '2024-10-04T16:30Z', '2024-10-05T16:30Z', '2024-10-06T15:30Z'],
    ],
    // Lord Howe: 2024-10-06 02:00 +10:30 → 02:30 +11:00; 02:15 does not exist and becomes 02:45
    [
      LORD_HOWE,
      '2024-10-04T02:15',
      '2024-10-03T00:00Z',
      ['2024-10-03T15:45Z', '2024-10-04T15:45Z', '2024-10-05T15:45Z', '2024-10-06T15:15Z'],
    ],
  ];
  for (const [zone, start, after, expected] of table) {
    const s = schedule({ recurrence: { kind: 'days', every: 1 }, start, zone });
    assert.deepEqual(next(s, after, 4), expected, `${JSON.stringify(zone)} ${start}`);
  }
  // the gap day's occurrence is 03:30 local in New York
  const ny = schedule({ recurrence: { kind: 'days', every: 1 }, start: '2024-03-10T02:30', zone: NY });
  const [first] = nextOccurrences(ny, new Date('2024-03-10T00:00Z'), 1);
  assert.equal(DateTime.fromJSDate(first as Date, { zone: 'America/New_York' }).toFormat('HH:mm'), '03:30');
});

test('daily across fall-back: a repeated local time fires once, at its first instance', () => {
  const table: [unknown, string, string, string[]][] = [
    // New York 2024-11-03: 01:30 EDT (05:30Z) and 01:30 EST (06:30Z)
    [
      NY,
      '2024-11-01T01:30',
      '2024-11-01T00:00Z',
      ['2024-11-01T05:30Z', '2024-11-02T05:30Z', '2024-11-03T05:30Z', '2024-11-04T06:30Z'],
    ],
    // Berlin 2024-10-27: 02:30 CEST (00:30Z) and 02:30 CET (01:30Z)
    [
      BERLIN,
      '2024-10-25T02:30',
      '2024-10-25T00:00Z',
      ['2024-10-25T00:30Z', '2024-10-26T00:30Z', '2024-10-27T00:30Z', '2024-10-28T01:30Z'],
    ],
    // Sydney 2024-04-07: 02:30 AEDT (2024-04-06T15:30Z) and 02:30 AEST (16:30Z)
    [
      SYDNEY,
      '2024-04-05T02:30',
      '2024-04-04T00:00Z',
      ['2024-04-04T15:30Z', '2024-04-05T15:30Z', '2024-04-06T15:30Z', '2024-04-07T16:30Z'],
    ],
  ];
  for (const [zone, start, after, expected] of table) {
    const s = schedule({ recurrence: { kind: 'days', every: 1 }, start, zone });
    assert.deepEqual(next(s, after, 4), expected, `${JSON.stringify(zone)} ${start}`);
  }
});

test('minutes and hours recur in elapsed time across DST (no duplicate, no missing instant)', () => {
  const s = schedule({ recurrence: { kind: 'minutes', every: 30 }, start: '2024-11-03T00:00', zone: NY });
  const got = next(s, '2024-11-03T04:59Z', 6);
  assert.deepEqual(got, [
    '2024-11-03T05:00Z',
    '2024-11-03T05:30Z',
    '2024-11-03T06:00Z',
    '2024-11-03T06:30Z',
    '2024-11-03T07:00Z',
    '2024-11-03T07:30Z',
  ]);
  const h = schedule({ recurrence: { kind: 'hours', every: 1 }, start: '2024-03-31T00:00', zone: BERLIN });
  assert.deepEqual(next(h, '2024-03-30T23:30Z', 3), [
    '2024-03-31T00:00Z',
    '2024-03-31T01:00Z',
    '2024-03-31T02:00Z',
  ]);
});

test('month ends: day 31 skips short months, "last" follows each month, leap February', () => {
  const d31 = schedule({
    recurrence: { kind: 'monthly', every: 1, on: { kind: 'day', day: 31 } },
    start: '2024-01-01T10:00',
    zone: { kind: 'named', name: 'UTC' },
  });
  assert.deepEqual(next(d31, '2024-01-01T00:00Z', 4), [
    '2024-01-31T10:00Z',
    '2024-03-31T10:00Z',
    '2024-05-31T10:00Z',
    '2024-07-31T10:00Z',
  ]);
  const last = schedule({
    recurrence: { kind: 'monthly', every: 1, on: { kind: 'day', day: 'last' } },
    start: '2023-12-01T10:00',
    zone: { kind: 'named', name: 'UTC' },
  });
  assert.deepEqual(next(last, '2023-12-01T00:00Z', 4), [
    '2023-12-31T10:00Z',
    '2024-01-31T10:00Z',
    '2024-02-29T10:00Z',
    '2024-03-31T10:00Z',
  ]);
  const lastNonLeap = schedule({
    recurrence: { kind: 'monthly', every: 1, on: { kind: 'day', day: 'last' } },
    start: '2025-02-01T10:00',
    zone: { kind: 'named', name: 'UTC' },
  });
  assert.deepEqual(next(lastNonLeap, '2025-01-01T00:00Z', 1), ['2025-02-28T10:00Z']);
  const d30q = schedule({
    recurrence: { kind: 'monthly', every: 3, on: { kind: 'day', day: 30 } },
    start: '2023-11-15T08:00',
    zone: { kind: 'device' },
  });
  assert.deepEqual(next(d30q, '2023-01-01T00:00Z', 4), [
    '2023-11-30T08:00Z',
    '2024-05-30T08:00Z',
    '2024-08-30T08:00Z',
    '2024-11-30T08:00Z',
  ]);
});

test('leap days: yearly on 29 February fires only in leap years (2100 is not one)', () => {
  const s = schedule({
    recurrence: { kind: 'yearly', every: 1, month: 2, on: { kind: 'day', day: 29 } },
    start: '2092-01-01T12:00',
  });
  assert.deepEqual(next(s, '2092-01-01T00:00Z', 3), [
    '2092-02-29T12:00Z',
    '2096-02-29T12:00Z',
    '2104-02-29T12:00Z',
  ]);
  const daily = schedule({
    recurrence: { kind: 'days', every: 1 },
    start: '2024-02-28T23:00',
    zone: { kind: 'named', name: 'Asia/Tokyo' },
  });
  assert.deepEqual(next(daily, '2024-02-28T00:00Z', 3), [
    '2024-02-28T14:00Z',
    '2024-02-29T14:00Z',
    '2024-03-01T14:00Z',
  ]);
});

test('weekly every N weeks counts weeks from the Monday of the start week', () => {
  // start Wednesday 2024-01-03 (week of Monday 1 January); valid weeks: 1 Jan, 15 Jan, 29 Jan …
  const s = schedule({
    recurrence: { kind: 'weekly', every: 2, days: ['mon', 'fri', 'sun'] },
    start: '2024-01-03T09:00',
  });
  assert.deepEqual(next(s, '2023-12-01T00:00Z', 6), [
    '2024-01-05T09:00Z',
    '2024-01-07T09:00Z',
    '2024-01-15T09:00Z',
    '2024-01-19T09:00Z',
    '2024-01-21T09:00Z',
    '2024-01-29T09:00Z',
  ]);
});

/** a brute-force oracle: walk every day with luxon and test the month-day rule naively */
function naiveMatches(on: MonthDay, dt: DateTime): boolean {
  const dim = dt.daysInMonth as number;
  const wd = dt.weekday % 7; // luxon: 1 = Monday … 7 = Sunday
  if (on.kind === 'day') return on.day === 'last' ? dt.day === dim : dt.day === on.day;
  if (on.kind === 'weekdays')
    return (
      on.days.includes(WEEKDAYS[wd] as (typeof WEEKDAYS)[number]) &&
      on.nth.some((n) => (n === 'last' ? dt.day + 7 > dim : Math.ceil(dt.day / 7) === n))
    );
  const isWeekend = wd === 0 || wd === 6;
  if (isWeekend !== (on.of === 'weekendDay')) return false;
  const same: number[] = [];
  for (let d = 1; d <= dim; d++) {
    const w = dt.set({ day: d }).weekday % 7;
    if ((w === 0 || w === 6) === isWeekend) same.push(d);
  }
  return on.nth === 'last' ? same[same.length - 1] === dt.day : same[on.nth - 1] === dt.day;
}

test('monthly rules agree with a day-by-day oracle over five years', () => {
  const ons: MonthDay[] = [
    { kind: 'day', day: 1 },
    { kind: 'day', day: 29 },
    { kind: 'day', day: 'last' },
    { kind: 'weekdays', nth: [2], days: ['tue'] },
    { kind: 'weekdays', nth: [1, 3, 5], days: ['mon', 'thu', 'fri'] },
    { kind: 'weekdays', nth: ['last'], days: ['sun'] },
    { kind: 'class', nth: 1, of: 'weekday' },
    { kind: 'class', nth: 'last', of: 'weekday' },
    { kind: 'class', nth: 2, of: 'weekendDay' },
    { kind: 'class', nth: 5, of: 'weekday' },
  ];
  for (const on of ons) {
    const s = schedule({
      recurrence: { kind: 'monthly', every: 1, on },
      start: '2023-01-01T06:00',
      zone: BERLIN,
    });
    const expected: string[] = [];
    for (
      let dt = DateTime.fromISO('2023-01-01T06:00', { zone: 'Europe/Berlin' });
      dt.year < 2028;
      dt = dt.plus({ days: 1 })
    )
      if (naiveMatches(on, dt)) expected.push((dt.toUTC().toISO() as string).replace(':00.000Z', 'Z'));
    const got = iso(occurrencesBetween(s, new Date('2022-12-31T00:00Z'), new Date('2028-01-01T00:00Z')));
    assert.deepEqual(got, expected, JSON.stringify(on));
  }
});

test('monthly with a months filter and yearly every N years', () => {
  const s = schedule({
    recurrence: {
      kind: 'monthly',
      every: 1,
      on: { kind: 'weekdays', nth: [1], days: ['mon'] },
      months: [1, 6, 12],
    },
    start: '2024-01-01T01:00',
  });
  assert.deepEqual(next(s, '2024-01-02T00:00Z', 3), [
    '2024-06-03T01:00Z',
    '2024-12-02T01:00Z',
    '2025-01-06T01:00Z',
  ]);
  const y = schedule({
    recurrence: { kind: 'yearly', every: 2, month: 11, on: { kind: 'class', nth: 'last', of: 'weekday' } },
    start: '2024-01-01T18:00',
  });
  assert.deepEqual(next(y, '2024-01-01T00:00Z', 3), [
    '2024-11-29T18:00Z',
    '2026-11-30T18:00Z',
    '2028-11-30T18:00Z',
  ]);
});

test('once and immediately fire only at the start', () => {
  for (const kind of ['once', 'immediately']) {
    const s = schedule({ recurrence: { kind }, start: '2024-05-05T05:05', zone: SYDNEY });
    assert.deepEqual(next(s, '2024-01-01T00:00Z', 3), ['2024-05-04T19:05Z']);
    assert.deepEqual(next(s, '2024-05-04T19:05Z', 3), []);
  }
});

test('ends: on a date (inclusive), at a date-time (exclusive), after N occurrences', () => {
  const on = schedule({
    recurrence: { kind: 'days', every: 1 },
    start: '2024-01-01T10:00',
    end: { kind: 'on', date: '2024-01-03' },
  });
  assert.deepEqual(next(on, '2023-01-01T00:00Z', 9), [
    '2024-01-01T10:00Z',
    '2024-01-02T10:00Z',
    '2024-01-03T10:00Z',
  ]);
  const at = schedule({
    recurrence: { kind: 'hours', every: 4 },
    start: '2024-01-01T00:00',
    end: { kind: 'at', at: '2024-01-01T12:00' },
  });
  assert.deepEqual(next(at, '2023-01-01T00:00Z', 9), [
    '2024-01-01T00:00Z',
    '2024-01-01T04:00Z',
    '2024-01-01T08:00Z',
  ]);
  const count = schedule({
    recurrence: { kind: 'weekly', every: 1, days: ['tue', 'thu'] },
    start: '2024-01-01T10:00',
    end: { kind: 'after', occurrences: 3 },
  });
  assert.deepEqual(next(count, '2023-01-01T00:00Z', 9), [
    '2024-01-02T10:00Z',
    '2024-01-04T10:00Z',
    '2024-01-09T10:00Z',
  ]);
  // counting from the start even when asked from later
  assert.deepEqual(next(count, '2024-01-05T00:00Z', 9), ['2024-01-09T10:00Z']);
});

test('a daily window filters minute occurrences, also across midnight; exclusions skip them and count does not include them', () => {
  const s = schedule({
    recurrence: { kind: 'minutes', every: 30 },
    start: '2024-01-01T00:00',
    window: { start: '22:00', end: '01:00' },
    exclusions: [{ kind: 'daily', from: '23:00', to: '23:30' }],
  });
  assert.deepEqual(next(s, '2024-01-01T12:00Z', 6), [
    '2024-01-01T22:00Z',
    '2024-01-01T22:30Z',
    '2024-01-01T23:30Z',
    '2024-01-02T00:00Z',
    '2024-01-02T00:30Z',
    '2024-01-02T22:00Z',
  ]);
  const counted = schedule({
    recurrence: { kind: 'hours', every: 1 },
    start: '2024-01-01T00:00',
    window: { start: '08:00', end: '10:00' },
    end: { kind: 'after', occurrences: 3 },
  });
  assert.deepEqual(next(counted, '2023-12-31T00:00Z', 9), [
    '2024-01-01T08:00Z',
    '2024-01-01T09:00Z',
    '2024-01-02T08:00Z',
  ]);
  const holidays = schedule({
    recurrence: { kind: 'days', every: 1 },
    start: '2024-12-23T03:00',
    exclusions: [{ kind: 'period', from: '2024-12-24T00:00', to: '2024-12-27T00:00' }],
  });
  assert.deepEqual(next(holidays, '2024-12-01T00:00Z', 3), [
    '2024-12-23T03:00Z',
    '2024-12-27T03:00Z',
    '2024-12-28T03:00Z',
  ]);
});

test('distribution spreads devices deterministically within the interval', () => {
  const s = schedule({
    recurrence: { kind: 'days', every: 1 },
    start: '2024-01-01T21:00',
    distribution: { minutes: 60 },
  });
  const base = nextOccurrences(s, new Date('2024-01-01T00:00Z'), 3);
  const offsets = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const key = `device-${i}`;
    const got = nextOccurrences(s, new Date('2024-01-01T00:00Z'), 3, { deviceKey: key });
    const off = (got[0] as Date).getTime() - (base[0] as Date).getTime();
    assert.ok(off >= 0 && off < 3_600_000, `offset ${off} within the hour`);
    assert.equal(off % 1000, 0);
    assert.equal(off, distributionOffset(s, key));
    assert.equal(off, (deviceHash(key) % 3600) * 1000);
    // the same offset every occurrence, and the same answer twice
    assert.equal((got[2] as Date).getTime() - (base[2] as Date).getTime(), off);
    assert.deepEqual(nextOccurrences(s, new Date('2024-01-01T00:00Z'), 3, { deviceKey: key }), got);
    offsets.add(Math.floor(off / 600_000));
  }
  assert.equal(offsets.size, 6, 'devices land in every ten-minute slice of the hour');
  // an occurrence whose device time is still ahead is returned even if the base time passed
  const off = distributionOffset(s, 'device-7');
  const mid = new Date(Date.parse('2024-01-01T21:00Z') + off - 1);
  assert.equal(
    nextOccurrences(s, mid, 1, { deviceKey: 'device-7' })[0]?.getTime(),
    Date.parse('2024-01-01T21:00Z') + off,
  );
});

test('server and device zones come from the options; a named zone ignores them', () => {
  const server = schedule({
    recurrence: { kind: 'days', every: 1 },
    start: '2024-07-01T09:00',
    zone: { kind: 'server' },
  });
  assert.deepEqual(
    next(server, '2024-07-01T00:00Z', 1, { serverZone: 'Asia/Kolkata', deviceZone: 'America/New_York' }),
    ['2024-07-01T03:30Z'],
  );
  assert.deepEqual(next(server, '2024-07-01T00:00Z', 1, { zone: 'Europe/Berlin' }), ['2024-07-01T07:00Z']);
  assert.deepEqual(next(server, '2024-07-01T00:00Z', 1), ['2024-07-01T09:00Z'], 'UTC when nothing is given');
  const device = schedule({
    recurrence: { kind: 'days', every: 1 },
    start: '2024-07-01T09:00',
    zone: { kind: 'device' },
  });
  assert.deepEqual(
    next(device, '2024-07-01T00:00Z', 1, { serverZone: 'Asia/Kolkata', deviceZone: 'America/New_York' }),
    ['2024-07-01T13:00Z'],
  );
  const named = schedule({ recurrence: { kind: 'days', every: 1 }, start: '2024-07-01T09:00', zone: BERLIN });
  assert.deepEqual(next(named, '2024-07-01T00:00Z', 1, { zone: 'Asia/Kolkata' }), ['2024-07-01T07:00Z']);
  assert.throws(
    () => nextOccurrences(device, new Date(), 1, { deviceZone: 'Not/AZone' }),
    /unknown time zone "Not\/AZone"/,
  );
});

test('windows: the occurrence window contains instants from its start to the daily window end', () => {
  const s = schedule({
    recurrence: { kind: 'weekly', every: 1, days: ['mon'] },
    start: '2024-01-01T21:00',
    window: { start: '21:00', end: '23:59' },
    zone: NY,
  });
  // Monday 2024-03-11 21:00 EDT = 2024-03-12T01:00Z … 23:59 EDT = 03:59Z
  assert.equal(isWithinWindow(s, new Date('2024-03-12T01:00Z')), true);
  assert.equal(isWithinWindow(s, new Date('2024-03-12T03:58Z')), true);
  assert.equal(isWithinWindow(s, new Date('2024-03-12T03:59Z')), false);
  assert.equal(isWithinWindow(s, new Date('2024-03-12T00:59Z')), false);
  assert.equal(isWithinWindow(s, new Date('2024-03-13T02:00Z')), false, 'Tuesday');
  assert.deepEqual(windowAt(s, new Date('2024-03-12T02:00Z')), {
    start: new Date('2024-03-12T01:00Z'),
    end: new Date('2024-03-12T03:59Z'),
  });
  const overnight = schedule({
    recurrence: { kind: 'days', every: 1 },
    start: '2024-01-01T22:00',
    window: { start: '22:00', end: '04:00' },
    zone: BERLIN,
  });
  // the night of the spring-forward: 22:00 CET (21:00Z) to 04:00 CEST (02:00Z) lasts five hours
  assert.deepEqual(windowAt(overnight, new Date('2024-03-31T01:30Z')), {
    start: new Date('2024-03-30T21:00Z'),
    end: new Date('2024-03-31T02:00Z'),
  });
  assert.equal(isWithinWindow(overnight, new Date('2024-03-31T02:00Z')), false);
  const spread = schedule({
    recurrence: { kind: 'hours', every: 6 },
    start: '2024-01-01T00:00',
    distribution: { minutes: 30 },
  });
  assert.deepEqual(windowAt(spread, new Date('2024-01-01T06:10Z')), {
    start: new Date('2024-01-01T06:00Z'),
    end: new Date('2024-01-01T06:30Z'),
  });
  assert.equal(isWithinWindow(spread, new Date('2024-01-01T06:30Z')), false);
  const instants = schedule({ recurrence: { kind: 'hours', every: 6 }, start: '2024-01-01T00:00' });
  assert.equal(
    windowAt(instants, new Date('2024-01-01T06:00Z')),
    null,
    'no window, no distribution: instants only',
  );
  const excluded = schedule({
    recurrence: { kind: 'minutes', every: 15 },
    start: '2024-01-01T00:00',
    window: { start: '08:00', end: '18:00' },
    exclusions: [{ kind: 'daily', from: '12:00', to: '13:00' }],
  });
  assert.equal(isWithinWindow(excluded, new Date('2024-01-02T12:30Z')), false);
  assert.equal(isWithinWindow(excluded, new Date('2024-01-02T13:05Z')), true);
});

test('the process time zone does not matter', () => {
  const script = fileURLToPath(new URL('./fixtures/tz-probe.ts', import.meta.url));
  const runs = ['UTC', 'America/Los_Angeles', 'Asia/Kathmandu', 'Pacific/Chatham'].map((tz) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, TZ: tz },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  });
  assert.ok((runs[0] as string).length > 100);
  for (const out of runs) assert.equal(out, runs[0]);
});
