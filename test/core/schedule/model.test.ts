import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSchedule } from '../../../src/core/schedule/model.ts';
import { isDomainError } from '../../../src/core/errors.ts';

const base = { start: '2024-01-01T10:00', zone: { kind: 'device' } };

function issuesOf(input: unknown): { path: string; message: string }[] {
  try {
    parseSchedule(input);
  } catch (e) {
    assert.ok(isDomainError(e) && e.kind === 'invalid', 'throws a DomainError of kind invalid');
    return [...e.issues];
  }
  assert.fail('expected parseSchedule to throw');
}

test('accepts every recurrence kind and returns the canonical form', () => {
  const cases: [unknown, unknown][] = [
    [{ kind: 'once' }, { kind: 'once' }],
    [{ kind: 'immediately' }, { kind: 'immediately' }],
    [
      { kind: 'minutes', every: 15 },
      { kind: 'minutes', every: 15 },
    ],
    [
      { kind: 'hours', every: 2 },
      { kind: 'hours', every: 2 },
    ],
    [
      { kind: 'days', every: 3 },
      { kind: 'days', every: 3 },
    ],
    [
      { kind: 'weekly', every: 2, days: ['fri', 'mon', 'sun'] },
      { kind: 'weekly', every: 2, days: ['sun', 'mon', 'fri'] },
    ],
    [
      { kind: 'monthly', every: 1, on: { kind: 'day', day: 'last' } },
      { kind: 'monthly', every: 1, on: { kind: 'day', day: 'last' } },
    ],
    [
      {
        kind: 'monthly',
        every: 1,
        on: { kind: 'weekdays', nth: ['last', 3, 1], days: ['thu', 'mon'] },
        months: [12, 1, 6],
      },
      {
        kind: 'monthly',
        every: 1,
        on: { kind: 'weekdays', nth: [1, 3, 'last'], days: ['mon', 'thu'] },
        months: [1, 6, 12],
      },
    ],
    [
      { kind: 'monthly', every: 3, on: { kind: 'class', nth: 2, of: 'weekendDay' } },
      { kind: 'monthly', every: 3, on: { kind: 'class', nth: 2, of: 'weekendDay' } },
    ],
    [
      { kind: 'yearly', every: 1, month: 2, on: { kind: 'day', day: 29 } },
      { kind: 'yearly', every: 1, month: 2, on: { kind: 'day', day: 29 } },
    ],
  ];
  for (const [input, expected] of cases)
    assert.deepEqual(parseSchedule({ ...base, recurrence: input }).recurrence, expected);
});

test('end defaults to never; optional parts are kept', () => {
  const s = parseSchedule({
    ...base,
    recurrence: { kind: 'minutes', every: 30 },
    zone: { kind: 'named', name: 'Europe/Berlin' },
    window: { start: '22:00', end: '02:00' },
    exclusions: [
      { kind: 'daily', from: '23:00', to: '23:30' },
      { kind: 'period', from: '2024-12-24T00:00', to: '2024-12-27T00:00' },
    ],
    distribution: { minutes: 90 },
  });
  assert.deepEqual(s.end, { kind: 'never' });
  assert.deepEqual(s.window, { start: '22:00', end: '02:00' });
  assert.equal(s.exclusions?.length, 2);
  assert.deepEqual(s.distribution, { minutes: 90 });
});

test('rejects bad input with a precise issue per problem', () => {
  const table: [string, unknown, string, RegExp][] = [
    ['not an object', 42, '', /must be an object/],
    [
      'unknown property',
      { ...base, recurrence: { kind: 'once' }, colour: 'red' },
      '/colour',
      /unknown property "colour"/,
    ],
    [
      'unknown kind',
      { ...base, recurrence: { kind: 'fortnightly' } },
      '/recurrence/kind',
      /got "fortnightly"/,
    ],
    [
      'every 0',
      { ...base, recurrence: { kind: 'days', every: 0 } },
      '/recurrence/every',
      /from 1 to 3650, got 0/,
    ],
    [
      'every not integer',
      { ...base, recurrence: { kind: 'hours', every: 1.5 } },
      '/recurrence/every',
      /integer/,
    ],
    [
      'no days',
      { ...base, recurrence: { kind: 'weekly', every: 1, days: [] } },
      '/recurrence/days',
      /non-empty/,
    ],
    [
      'bad day',
      { ...base, recurrence: { kind: 'weekly', every: 1, days: ['mon', 'funday'] } },
      '/recurrence/days/1',
      /got "funday"/,
    ],
    [
      'day twice',
      { ...base, recurrence: { kind: 'weekly', every: 1, days: ['mon', 'mon'] } },
      '/recurrence/days/1',
      /twice/,
    ],
    [
      'day 32',
      { ...base, recurrence: { kind: 'monthly', every: 1, on: { kind: 'day', day: 32 } } },
      '/recurrence/on/day',
      /1 to 31/,
    ],
    [
      'nth 6',
      { ...base, recurrence: { kind: 'monthly', every: 1, on: { kind: 'class', nth: 6, of: 'weekday' } } },
      '/recurrence/on/nth',
      /"last", got 6/,
    ],
    [
      'class of',
      { ...base, recurrence: { kind: 'monthly', every: 1, on: { kind: 'class', nth: 1, of: 'holiday' } } },
      '/recurrence/on/of',
      /weekendDay/,
    ],
    [
      'month 13',
      { ...base, recurrence: { kind: 'monthly', every: 1, on: { kind: 'day', day: 1 }, months: [13] } },
      '/recurrence/months/0',
      /1 \(January\) to 12/,
    ],
    [
      'Feb 30',
      { ...base, recurrence: { kind: 'yearly', every: 1, month: 2, on: { kind: 'day', day: 30 } } },
      '/recurrence/on/day',
      /month 2 never has a day 30/,
    ],
    [
      'bad start',
      { ...base, start: '2023-02-29T10:00', recurrence: { kind: 'once' } },
      '/start',
      /real calendar date/,
    ],
    [
      'start seconds',
      { ...base, start: '2023-02-01T10:00:00', recurrence: { kind: 'once' } },
      '/start',
      /YYYY-MM-DDTHH:mm/,
    ],
    [
      'bad zone',
      { ...base, zone: { kind: 'named', name: 'Mars/Olympus' }, recurrence: { kind: 'once' } },
      '/zone/name',
      /IANA/,
    ],
    [
      'zone kind',
      { ...base, zone: { kind: 'moon' }, recurrence: { kind: 'once' } },
      '/zone/kind',
      /"server", "device" or "named"/,
    ],
    [
      'end before start',
      { ...base, recurrence: { kind: 'days', every: 1 }, end: { kind: 'on', date: '2023-12-31' } },
      '/end/date',
      /before the start/,
    ],
    [
      'end at not after',
      { ...base, recurrence: { kind: 'days', every: 1 }, end: { kind: 'at', at: '2024-01-01T10:00' } },
      '/end/at',
      /not after the start/,
    ],
    [
      'count 0',
      { ...base, recurrence: { kind: 'days', every: 1 }, end: { kind: 'after', occurrences: 0 } },
      '/end/occurrences',
      /from 1/,
    ],
    [
      'once with end',
      { ...base, recurrence: { kind: 'once' }, end: { kind: 'after', occurrences: 2 } },
      '/end/kind',
      /single occurrence/,
    ],
    [
      'window time',
      { ...base, recurrence: { kind: 'minutes', every: 5 }, window: { start: '24:00', end: '01:00' } },
      '/window/start',
      /HH:mm/,
    ],
    [
      'empty window',
      { ...base, recurrence: { kind: 'minutes', every: 5 }, window: { start: '01:00', end: '01:00' } },
      '/window/end',
      /differ/,
    ],
    [
      'start outside window',
      { ...base, recurrence: { kind: 'days', every: 1 }, window: { start: '21:00', end: '23:00' } },
      '/start',
      /outside the daily window 21:00–23:00/,
    ],
    [
      'exclusion hides all',
      {
        ...base,
        recurrence: { kind: 'days', every: 1 },
        exclusions: [{ kind: 'daily', from: '09:00', to: '11:00' }],
      },
      '/exclusions/0',
      /never occur/,
    ],
    [
      'period reversed',
      {
        ...base,
        recurrence: { kind: 'days', every: 1 },
        exclusions: [{ kind: 'period', from: '2024-02-02T00:00', to: '2024-02-01T00:00' }],
      },
      '/exclusions/0/to',
      /after "from"/,
    ],
    [
      'distribution 0',
      { ...base, recurrence: { kind: 'days', every: 1 }, distribution: { minutes: 0 } },
      '/distribution/minutes',
      /from 1/,
    ],
  ];
  for (const [name, input, path, message] of table) {
    const issues = issuesOf(input);
    const hit = issues.find((i) => i.path === path);
    assert.ok(hit, `${name}: expected an issue at ${path}, got ${JSON.stringify(issues)}`);
    assert.match(hit.message, message, name);
  }
});

test('lists every problem at once, and the message names them', () => {
  try {
    parseSchedule({
      recurrence: { kind: 'weekly', every: 0, days: ['xx'] },
      start: 'soon',
      zone: { kind: 'named', name: 'Nowhere' },
    });
    assert.fail('should throw');
  } catch (e) {
    assert.ok(isDomainError(e));
    assert.deepEqual(
      e.issues.map((i) => i.path),
      ['/recurrence/every', '/recurrence/days/0', '/start', '/zone/name'],
    );
    assert.match(e.message, /\/recurrence\/every: must be from 1 to 520, got 0/);
  }
});
