import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fromAutomox, toAutomox } from '../../../src/core/schedule/automox.ts';
import { parseSchedule } from '../../../src/core/schedule/model.ts';
import { nextOccurrences } from '../../../src/core/schedule/occurrences.ts';
import { next, schedule } from './helpers.ts';

const example = JSON.parse(
  readFileSync(new URL('./fixtures/automox-policy-example.json', import.meta.url), 'utf8'),
);
const at = (o: Record<string, unknown>) => ({
  schedule_time: '01:00',
  schedule_weeks_of_month: 62,
  schedule_months: 8190,
  ...o,
});

test('seed day masks: 254 = every day, 42 = Mon/Wed/Fri', () => {
  assert.deepEqual(fromAutomox(at({ schedule_days: 254 })).recurrence, {
    kind: 'weekly',
    every: 1,
    days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
  });
  assert.deepEqual(fromAutomox(at({ schedule_days: 42 })).recurrence, {
    kind: 'weekly',
    every: 1,
    days: ['mon', 'wed', 'fri'],
  });
  assert.equal(
    toAutomox(
      schedule({
        recurrence: { kind: 'weekly', every: 1, days: ['mon', 'wed', 'fri'] },
        start: '1970-01-01T01:00',
      }),
    ).schedule_days,
    42,
  );
});

test('seed week masks: 62 = every week, 20 = 2nd/4th weeks', () => {
  assert.equal(fromAutomox(at({ schedule_days: 42, schedule_weeks_of_month: 62 })).recurrence.kind, 'weekly');
  assert.deepEqual(fromAutomox(at({ schedule_days: 42, schedule_weeks_of_month: 20 })).recurrence, {
    kind: 'monthly',
    every: 1,
    on: { kind: 'weekdays', nth: [2, 4], days: ['mon', 'wed', 'fri'] },
  });
});

test('seed month masks: 8190 = every month, 4680 = Mar/Jun/Sep/Dec', () => {
  const r = fromAutomox(at({ schedule_days: 2, schedule_months: 4680 })).recurrence;
  assert.deepEqual(r, {
    kind: 'monthly',
    every: 1,
    on: { kind: 'weekdays', nth: [1, 2, 3, 4, 5], days: ['mon'] },
    months: [3, 6, 9, 12],
  });
});

test('decision: in the seed example, schedule_days 146 means Sun, Thu, Mon (the bit layout), not the note\'s "Mon,Thu,Fri"', () => {
  assert.match(example.notes, /Mon,Thu,Fri/); // the seed's note, kept to show what is overruled
  const s = fromAutomox(example);
  assert.deepEqual(s, {
    recurrence: {
      kind: 'monthly',
      every: 1,
      on: { kind: 'weekdays', nth: [1, 3, 5], days: ['sun', 'mon', 'thu'] },
      months: [1, 6, 12],
    },
    start: '1970-01-01T01:00',
    zone: { kind: 'device' },
    end: { kind: 'never' },
  });
  // weeks 42 and months 4162 agree with the note: 1st, 3rd, 5th week; Jan, Jun, Dec
  const back = toAutomox(s);
  assert.deepEqual(back, {
    schedule_days: 146,
    schedule_weeks_of_month: 42,
    schedule_months: 4162,
    schedule_time: '01:00',
  });
  // first occurrences in 2024: Jan 1 (1st Mon), Jan 4 (1st Thu), Jan 7 (1st Sun), Jan 15 (3rd Mon) …
  assert.deepEqual(next(s, '2024-01-01T00:00Z', 6, { deviceZone: 'UTC' }), [
    '2024-01-01T01:00Z',
    '2024-01-04T01:00Z',
    '2024-01-07T01:00Z',
    '2024-01-15T01:00Z',
    '2024-01-18T01:00Z',
    '2024-01-21T01:00Z',
  ]);
  // no Friday ever
  const fridays = nextOccurrences(s, new Date('2024-01-01T00:00Z'), 60).filter((d) => d.getUTCDay() === 5);
  assert.equal(fridays.length, 0);
});

test('the context start date is used and required back', () => {
  const s = fromAutomox(at({ schedule_days: 254 }), { startDate: '2024-05-01' });
  assert.equal(s.start, '2024-05-01T01:00');
  assert.deepEqual(toAutomox(s, { startDate: '2024-05-01' }).schedule_days, 254);
  assert.throws(() => toAutomox(s), /Automox cannot express a start date \(2024-05-01\)/);
});

test('round trip canonical → Automox → canonical for every expressible form', () => {
  const forms = [
    { kind: 'weekly', every: 1, days: ['sat'] },
    { kind: 'weekly', every: 1, days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
    { kind: 'monthly', every: 1, on: { kind: 'weekdays', nth: [5], days: ['fri'] } },
    { kind: 'monthly', every: 1, on: { kind: 'weekdays', nth: [2, 4], days: ['tue', 'wed'] }, months: [2] },
    {
      kind: 'monthly',
      every: 1,
      on: { kind: 'weekdays', nth: [1, 2, 3, 4, 5], days: ['mon'] },
      months: [1, 12],
    },
  ];
  for (const recurrence of forms) {
    const s = parseSchedule({ recurrence, start: '1970-01-01T23:45', zone: { kind: 'device' } });
    assert.deepEqual(fromAutomox(toAutomox(s)), s, JSON.stringify(recurrence));
  }
  // the monthly form on all weeks of all months comes back as the equivalent weekly form
  const all = schedule({
    recurrence: { kind: 'monthly', every: 1, on: { kind: 'weekdays', nth: [1, 2, 3, 4, 5], days: ['mon'] } },
    start: '1970-01-01T05:00',
  });
  const back = fromAutomox(toAutomox(all));
  assert.deepEqual(back.recurrence, { kind: 'weekly', every: 1, days: ['mon'] });
  assert.deepEqual(
    nextOccurrences(back, new Date('2024-01-01Z'), 20),
    nextOccurrences(all, new Date('2024-01-01Z'), 20),
  );
});

test('what Automox cannot express is refused by name', () => {
  const table: [Record<string, unknown>, RegExp][] = [
    [{ recurrence: { kind: 'weekly', every: 2, days: ['mon'] } }, /weekly schedule every 2 weeks/],
    [{ recurrence: { kind: 'days', every: 1 } }, /"days" recurrence/],
    [
      { recurrence: { kind: 'monthly', every: 1, on: { kind: 'weekdays', nth: ['last'], days: ['mon'] } } },
      /last weekday/,
    ],
    [{ recurrence: { kind: 'monthly', every: 1, on: { kind: 'day', day: 1 } } }, /day of the month/],
    [
      { recurrence: { kind: 'monthly', every: 2, on: { kind: 'weekdays', nth: [1], days: ['mon'] } } },
      /every 2 months/,
    ],
    [{ recurrence: { kind: 'weekly', every: 1, days: ['mon'] }, zone: { kind: 'server' } }, /server's/],
    [
      { recurrence: { kind: 'weekly', every: 1, days: ['mon'] }, end: { kind: 'after', occurrences: 3 } },
      /an end/,
    ],
    [
      { recurrence: { kind: 'weekly', every: 1, days: ['mon'] }, distribution: { minutes: 5 } },
      /distribution/,
    ],
  ];
  for (const [partial, message] of table) {
    const s = schedule({ start: '1970-01-01T10:00', ...partial });
    assert.throws(
      () => toAutomox(s),
      (e: Error & { kind?: string }) => e.kind === 'invalid' && message.test(e.message),
    );
  }
});

test('malformed Automox fields are refused precisely', () => {
  const table: [Record<string, unknown>, RegExp][] = [
    [at({ schedule_days: 255 }), /schedule_days: 255 sets the trailing bit/],
    [at({ schedule_days: 256 }), /schedule_days: 256 sets bits beyond the 7/],
    [at({ schedule_days: 0 }), /schedule_days: selects nothing/],
    [
      at({ schedule_days: 2, schedule_weeks_of_month: 64 }),
      /schedule_weeks_of_month: 64 sets bits beyond the 5/,
    ],
    [at({ schedule_days: 2, schedule_months: 8191 }), /schedule_months: 8191 sets the trailing bit/],
    [at({ schedule_days: 2, schedule_time: '1:00' }), /schedule_time: must be a time "hh:mm", got "1:00"/],
    [at({ schedule_days: '2' }), /non-negative integer bitmask/],
  ];
  for (const [input, message] of table) assert.throws(() => fromAutomox(input), message);
});
