import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDomainError } from '../../../src/core/errors.ts';
import { Issues } from '../../../src/core/policies/fields.ts';
import { fromGzOldScheduler, fromGzScheduler } from '../../../src/core/schedule/gravityzone.ts';
import { parseGzOldScheduler, parseGzScheduler } from '../../../src/core/windows/gz-schedule.ts';
import { daily, monthly, weekly, type Loose } from './gz-helpers.ts';

// GravityZone's schedule rules are written once (core/schedule/gravityzone.ts): the maintenance window's
// parser and the schedule conversion accept and refuse the same objects, at the same places; only their
// words differ.

/** the issue paths of the conversion (JSON pointers) and of the window parser (dotted), as key lists */
function both(
  input: unknown,
  convert: (v: unknown) => unknown,
  parse: (v: unknown, issues: Issues) => unknown,
): { converted: string[][]; parsed: string[][] } {
  let converted: string[][] = [];
  try {
    convert(input);
  } catch (e) {
    assert.ok(isDomainError(e), String(e));
    converted = e.issues.map((i) => i.path.split('/').filter(Boolean));
  }
  const issues = new Issues();
  parse(input, issues);
  const parsed = issues.list.map((i) =>
    i.path
      .replace(/\[(\d+)\]/g, '.$1')
      .split('.')
      .filter(Boolean),
  );
  return { converted, parsed };
}

const cases: [string, () => Loose][] = [
  ['weekly (valid)', weekly],
  ['monthly (valid)', monthly],
  ['immediately (valid)', () => ({ recurrence: 1 })],
  ['recurrence 2', () => ({ ...weekly(), recurrence: 2 })],
  ['no recurrence', () => ({ ...weekly(), recurrence: undefined })],
  ['startDate 0', () => ({ ...weekly(), startDate: 0 })],
  ['startDate in milliseconds', () => ({ ...weekly(), startDate: 1637258826000 })],
  ['startDate of 9 digits', () => ({ ...weekly(), startDate: 999_999_999 })],
  ['startDate as a string', () => ({ ...weekly(), startDate: '1637258826' })],
  ['no startDate, no between', () => ({ ...weekly(), startDate: undefined, between: undefined })],
  [
    'between start after end',
    () => ({ ...weekly(), between: { startHour: 22, startMinute: 0, endHour: 21, endMinute: 0 } }),
  ],
  [
    'between hour 24, minute 60',
    () => ({ ...weekly(), between: { startHour: 24, startMinute: 60, endHour: 23, endMinute: 0 } }),
  ],
  [
    'endMinute and endminute disagree',
    () => ({
      ...weekly(),
      between: { startHour: 1, startMinute: 0, endHour: 2, endMinute: 0, endminute: 5 },
    }),
  ],
  [
    'weekly every 5, day 7, day twice',
    () => ({ ...weekly(), weeklyRecurrence: { every: 5, days: [7, 1, 1] } }),
  ],
  ['weekly without days', () => ({ ...weekly(), weeklyRecurrence: { every: 1 } })],
  ['weekly with empty days', () => ({ ...weekly(), weeklyRecurrence: { every: 1, days: [] } })],
  [
    'weeklyRecurrence on a monthly schedule',
    () => ({ ...monthly(), weeklyRecurrence: { every: 1, days: [1] } }),
  ],
  ['monthly frequency 6', () => ({ ...monthly(), monthlyRecurrence: { every: 1, frequency: 6 } })],
  [
    'monthly day 32',
    () => ({ ...monthly(), monthlyRecurrence: { every: 13, frequency: 0, frequencyDayNumber: 32 } }),
  ],
  [
    'monthly last weekday without a day',
    () => ({ ...monthly(), monthlyRecurrence: { every: 1, frequency: 5 } }),
  ],
  ['not an object', () => 'weekly'],
];

test('scheduler: the window parser and the conversion refuse the same fields', () => {
  for (const [title, make] of cases) {
    const { converted, parsed } = both(
      make(),
      (v) => fromGzScheduler(v),
      (v, issues) => parseGzScheduler(v, 'scheduler', issues, 'install'),
    );
    assert.deepEqual(
      converted,
      parsed.map((p) => p.slice(1)), // the window's paths start at 'scheduler'
      title,
    );
    assert.equal(converted.length === 0, title.endsWith('(valid)'), title);
  }
});

test('oldScheduler: the window parser and the conversion refuse the same fields', () => {
  const old: [string, Loose][] = [
    ['daily (valid)', daily()],
    ['weekly (valid)', { recurrence: 3, startHour: 1, startMinute: 0, days: [0, 6] }],
    ['recurrence 4', { recurrence: 4, startHour: 1, startMinute: 0 }],
    ['daily without a time', { recurrence: 2 }],
    ['daily at 24:60', { recurrence: 2, startHour: 24, startMinute: 60 }],
    ['weekly without days', { recurrence: 3, startHour: 1, startMinute: 0 }],
    ['weekly on day -1', { recurrence: 3, startHour: 1, startMinute: 0, days: [-1] }],
  ];
  for (const [title, input] of old) {
    const { converted, parsed } = both(
      input,
      (v) => fromGzOldScheduler(v),
      (v, issues) => parseGzOldScheduler(v, 'oldScheduler', issues, 'install'),
    );
    assert.deepEqual(
      converted,
      parsed.map((p) => p.slice(1)),
      title,
    );
    assert.equal(converted.length === 0, title.endsWith('(valid)'), title);
  }
});

test('the conversion names every broken rule in one error', () => {
  assert.throws(
    () => fromGzScheduler({ ...weekly(), startDate: 12, weeklyRecurrence: { every: 9, days: [1] } }),
    (e: Error) =>
      /startDate: must be an integer from 1000000000 to 9999999999 \(epoch seconds\), got 12/.test(
        e.message,
      ) && /weeklyRecurrence\/every: must be an integer from 1 to 4, got 9/.test(e.message),
  );
});
