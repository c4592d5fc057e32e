import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  fromGzOldScheduler,
  fromGzScheduler,
  toGzOldScheduler,
  toGzScheduler,
} from '../../../src/core/schedule/gravityzone.ts';
import { parseSchedule } from '../../../src/core/schedule/model.ts';
import { isWithinWindow } from '../../../src/core/schedule/occurrences.ts';
import { next, schedule } from './helpers.ts';

const example = JSON.parse(
  readFileSync(new URL('./fixtures/gravityzone-example.json', import.meta.url), 'utf8'),
);
const between = { startHour: 21, startMinute: 0, endHour: 23, endMinute: 59 };

test('the seed example: weekly every day between 21:00 and 23:59, from startDate 1637258826', () => {
  for (const sch of [example.nonSecurityPatchesSettings.scheduler, example.scanPatchesSettings.scheduler]) {
    const s = fromGzScheduler(sch);
    assert.deepEqual(s, {
      recurrence: { kind: 'weekly', every: 1, days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
      start: '2021-11-18T21:00', // 1637258826 = 2021-11-18T18:07:06Z
      zone: { kind: 'device' },
      end: { kind: 'never' },
      window: { start: '21:00', end: '23:59' },
    });
    assert.deepEqual(next(s, '2021-11-18T00:00Z', 2, { deviceZone: 'Europe/Bucharest' }), [
      '2021-11-18T19:00Z',
      '2021-11-19T19:00Z',
    ]);
    assert.equal(isWithinWindow(s, new Date('2021-11-19T21:58Z'), { deviceZone: 'Europe/Bucharest' }), true);
    assert.equal(isWithinWindow(s, new Date('2021-11-19T21:59Z'), { deviceZone: 'Europe/Bucharest' }), false);
    const back = toGzScheduler(s);
    assert.deepEqual(back, {
      ...sch,
      startDate: Date.UTC(2021, 10, 18, 21, 0) / 1000,
      weeklyRecurrence: { every: 1, days: [0, 1, 2, 3, 4, 5, 6] },
    });
    assert.deepEqual(fromGzScheduler(back), s);
  }
});

test('the seed example: recurrence 1 is immediately, without a startDate', () => {
  const s = fromGzScheduler(example.securityPatchesSettings.scheduler);
  assert.deepEqual(s, {
    recurrence: { kind: 'immediately' },
    start: '1970-01-01T00:00',
    zone: { kind: 'device' },
    end: { kind: 'never' },
  });
  assert.deepEqual(toGzScheduler(s), { recurrence: 1 });
  assert.deepEqual(fromGzScheduler(example.manuallyApprovedPatchesSettings.scheduler), s);
  const dated = fromGzScheduler({ recurrence: 1, startDate: 1637258826 });
  assert.equal(dated.start, '2021-11-18T18:07');
  assert.deepEqual(fromGzScheduler(toGzScheduler(dated)), dated);
});

test('monthly: frequency 0 with a day number, 1–4 and 5 (last) with a weekday', () => {
  const table: [Record<string, unknown>, unknown][] = [
    [
      { every: 1, frequency: 0, frequencyDayNumber: 31 },
      { kind: 'day', day: 31 },
    ],
    [
      { every: 12, frequency: 0, frequencyDayNumber: 1 },
      { kind: 'day', day: 1 },
    ],
    [
      { every: 1, frequency: 1, frequencyDayOfWeek: 0 },
      { kind: 'weekdays', nth: [1], days: ['sun'] },
    ],
    [
      { every: 2, frequency: 2, frequencyDayOfWeek: 2 },
      { kind: 'weekdays', nth: [2], days: ['tue'] },
    ],
    [
      { every: 3, frequency: 3, frequencyDayOfWeek: 3 },
      { kind: 'weekdays', nth: [3], days: ['wed'] },
    ],
    [
      { every: 6, frequency: 4, frequencyDayOfWeek: 4 },
      { kind: 'weekdays', nth: [4], days: ['thu'] },
    ],
    [
      { every: 1, frequency: 5, frequencyDayOfWeek: 6 },
      { kind: 'weekdays', nth: ['last'], days: ['sat'] },
    ],
  ];
  for (const [monthlyRecurrence, on] of table) {
    const sch = { recurrence: 4, startDate: 1700000000, between, monthlyRecurrence };
    const s = fromGzScheduler(sch);
    assert.deepEqual(s.recurrence, { kind: 'monthly', every: monthlyRecurrence.every, on });
    const back = toGzScheduler(s);
    assert.deepEqual(back.monthlyRecurrence, monthlyRecurrence);
    assert.deepEqual(fromGzScheduler(back), s);
  }
});

test('weekly every 1 to 4 weeks, every day value 0–6', () => {
  for (const every of [1, 2, 3, 4])
    for (const day of [0, 1, 2, 3, 4, 5, 6]) {
      const sch = {
        recurrence: 3,
        startDate: 1700000000,
        between: { startHour: 0, startMinute: 0, endHour: 0, endMinute: 1 },
        weeklyRecurrence: { every, days: [day] },
      };
      const s = fromGzScheduler(sch);
      assert.deepEqual(toGzScheduler(s).weeklyRecurrence, { every, days: [day] });
    }
});

test('seed ranges and rules are enforced with precise messages', () => {
  const w = (o: Record<string, unknown>) => ({
    recurrence: 3,
    startDate: 1700000000,
    between,
    weeklyRecurrence: { every: 1, days: [1] },
    ...o,
  });
  const table: [unknown, RegExp][] = [
    [w({ recurrence: 2 }), /recurrence: must be 1 \(immediately\), 3 \(weekly\) or 4 \(monthly\), got 2/],
    [w({ startDate: 0 }), /startDate: must be an integer from 1/],
    [
      w({ between: { ...between, startHour: 24 } }),
      /between\/startHour: must be an integer from 0 to 23, got 24/,
    ],
    [
      w({ between: { ...between, startMinute: 60 } }),
      /between\/startMinute: must be an integer from 0 to 59/,
    ],
    [
      w({ between: { ...between, endHour: 20 } }),
      /between\/endHour: must be an integer from 21 to 23, got 20/,
    ],
    [w({ between: { ...between, endMinute: 75 } }), /between\/endMinute: must be an integer from 0 to 59/],
    [
      w({ between: { startHour: 21, startMinute: 30, endHour: 21, endMinute: 30 } }),
      /startHour:startMinute \(21:30\) must be less than endHour:endMinute \(21:30\)/,
    ],
    [w({ between: undefined }), /between: is required/],
    [w({ weeklyRecurrence: undefined }), /weeklyRecurrence: is required when recurrence is 3/],
    [
      w({ weeklyRecurrence: { every: 5, days: [1] } }),
      /weeklyRecurrence\/every: must be an integer from 1 to 4, got 5/,
    ],
    [
      w({ weeklyRecurrence: { every: 1, days: [7] } }),
      /days\/0: must be a day 0 \(Sunday\) to 6 \(Saturday\), got 7/,
    ],
    [w({ weeklyRecurrence: { every: 1, days: [] } }), /non-empty array/],
    [
      w({ recurrence: 4, monthlyRecurrence: undefined }),
      /monthlyRecurrence: is required when recurrence is 4/,
    ],
    [
      w({ recurrence: 4, monthlyRecurrence: { every: 13, frequency: 0, frequencyDayNumber: 1 } }),
      /monthlyRecurrence\/every: must be an integer from 1 to 12, got 13/,
    ],
    [
      w({ recurrence: 4, monthlyRecurrence: { every: 1, frequency: 6 } }),
      /frequency: must be an integer from 0 to 5, got 6/,
    ],
    [
      w({ recurrence: 4, monthlyRecurrence: { every: 1, frequency: 0 } }),
      /frequencyDayNumber: is required when frequency is 0/,
    ],
    [
      w({ recurrence: 4, monthlyRecurrence: { every: 1, frequency: 0, frequencyDayNumber: 32 } }),
      /frequencyDayNumber: must be an integer from 1 to 31/,
    ],
    [
      w({ recurrence: 4, monthlyRecurrence: { every: 1, frequency: 3 } }),
      /frequencyDayOfWeek: is required when frequency is 3/,
    ],
    [
      w({ recurrence: 4, monthlyRecurrence: { every: 1, frequency: 3, frequencyDayOfWeek: 7 } }),
      /frequencyDayOfWeek: must be an integer from 0 to 6/,
    ],
  ];
  for (const [input, message] of table) assert.throws(() => fromGzScheduler(input), message, String(message));
});

test('the table spelling "endminute" is accepted; "endMinute" is written', () => {
  const s = fromGzScheduler({
    recurrence: 3,
    startDate: 1700000000,
    between: { startHour: 1, startMinute: 0, endHour: 2, endminute: 30 },
    weeklyRecurrence: { every: 1, days: [1] },
  });
  assert.deepEqual(s.window, { start: '01:00', end: '02:30' });
  assert.deepEqual(toGzScheduler(s).between, { startHour: 1, startMinute: 0, endHour: 2, endMinute: 30 });
});

test('oldScheduler: immediately, daily, weekly', () => {
  const table: [Record<string, unknown>, unknown][] = [
    [{ recurrence: 1 }, { kind: 'immediately' }],
    [
      { recurrence: 2, startHour: 3, startMinute: 15 },
      { kind: 'days', every: 1 },
    ],
    [
      { recurrence: 3, startHour: 23, startMinute: 59, days: [0, 6] },
      { kind: 'weekly', every: 1, days: ['sun', 'sat'] },
    ],
  ];
  for (const [old, recurrence] of table) {
    const s = fromGzOldScheduler(old);
    assert.deepEqual(s.recurrence, recurrence);
    assert.deepEqual(toGzOldScheduler(s), old);
  }
  assert.equal(
    fromGzOldScheduler({ recurrence: 2, startHour: 3, startMinute: 15 }).start,
    '1970-01-01T03:15',
  );
  assert.throws(
    () => fromGzOldScheduler({ recurrence: 4, startHour: 1, startMinute: 0 }),
    /must be 1 \(immediately\), 2 \(daily\) or 3 \(weekly\), got 4/,
  );
  assert.throws(() => fromGzOldScheduler({ recurrence: 2 }), /startHour: is required/);
  assert.throws(
    () => fromGzOldScheduler({ recurrence: 2, startHour: 24, startMinute: 0 }),
    /startHour: must be an integer from 0 to 23/,
  );
  assert.throws(
    () => fromGzOldScheduler({ recurrence: 3, startHour: 1, startMinute: 0 }),
    /days: must be a non-empty array/,
  );
});

test('what GravityZone cannot express is refused by name', () => {
  const weekly = { kind: 'weekly', every: 1, days: ['mon'] };
  const win = { start: '21:00', end: '23:00' };
  const table: [Record<string, unknown>, RegExp][] = [
    [{ recurrence: { kind: 'days', every: 1 }, window: win }, /"days" recurrence in scheduler/],
    [{ recurrence: weekly }, /without a daily window/],
    [{ recurrence: weekly, window: { start: '21:00', end: '01:00' } }, /crosses midnight/],
    [
      { recurrence: weekly, window: { start: '20:00', end: '23:00' } },
      /start time \(21:00\) other than the window's start \(20:00\)/,
    ],
    [{ recurrence: { kind: 'weekly', every: 5, days: ['mon'] }, window: win }, /every 5 weeks/],
    [
      { recurrence: { kind: 'monthly', every: 1, on: { kind: 'day', day: 'last' } }, window: win },
      /last day of the month/,
    ],
    [
      {
        recurrence: { kind: 'monthly', every: 1, on: { kind: 'weekdays', nth: [5], days: ['mon'] } },
        window: win,
      },
      /fifth occurrence/,
    ],
    [
      {
        recurrence: { kind: 'monthly', every: 1, on: { kind: 'weekdays', nth: [1, 3], days: ['mon'] } },
        window: win,
      },
      /several weekdays or weeks/,
    ],
    [
      {
        recurrence: { kind: 'monthly', every: 1, on: { kind: 'class', nth: 1, of: 'weekday' } },
        window: win,
      },
      /working or weekend day/,
    ],
    [
      { recurrence: { kind: 'monthly', every: 1, on: { kind: 'day', day: 1 }, months: [1] }, window: win },
      /limited to some months/,
    ],
    [{ recurrence: weekly, window: win, zone: { kind: 'named', name: 'UTC' } }, /named time zone/],
    [{ recurrence: weekly, window: win, end: { kind: 'on', date: '2030-01-01' } }, /an end/],
  ];
  for (const [partial, message] of table) {
    const s = schedule({ start: '2024-01-01T21:00', ...partial });
    assert.throws(
      () => toGzScheduler(s),
      (e: Error & { kind?: string }) => e.kind === 'invalid' && message.test(e.message),
      String(message),
    );
  }
  const s = parseSchedule({
    recurrence: { kind: 'weekly', every: 2, days: ['mon'] },
    start: '1970-01-01T10:00',
    zone: { kind: 'device' },
  });
  assert.throws(() => toGzOldScheduler(s), /only immediately, daily, weekly every week/);
  assert.throws(
    () => toGzOldScheduler({ ...s, recurrence: { kind: 'days', every: 1 }, start: '2024-01-01T10:00' }),
    /GravityZone cannot express a start date/,
  );
});
