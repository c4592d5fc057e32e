import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromRrule, toRrule } from '../../../src/core/schedule/rrule.ts';
import { parseSchedule } from '../../../src/core/schedule/model.ts';
import { nextOccurrences } from '../../../src/core/schedule/occurrences.ts';

const BERLIN = { kind: 'named', name: 'Europe/Berlin' };
const s = (o: Record<string, unknown>) => parseSchedule({ start: '2024-01-05T09:00', zone: BERLIN, ...o });

test('renders and parses every part of the subset (table of canonical ↔ text)', () => {
  const table: [Record<string, unknown>, string][] = [
    [{ recurrence: { kind: 'once' } }, 'DTSTART;TZID=Europe/Berlin:20240105T090000'],
    [{ recurrence: { kind: 'minutes', every: 15 } }, 'RRULE:FREQ=MINUTELY;INTERVAL=15'],
    [{ recurrence: { kind: 'hours', every: 1 } }, 'RRULE:FREQ=HOURLY'],
    [{ recurrence: { kind: 'days', every: 2 } }, 'RRULE:FREQ=DAILY;INTERVAL=2'],
    [
      { recurrence: { kind: 'weekly', every: 2, days: ['mon', 'fri'] } },
      'RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;WKST=MO',
    ],
    [
      { recurrence: { kind: 'monthly', every: 1, on: { kind: 'day', day: 15 } } },
      'RRULE:FREQ=MONTHLY;BYMONTHDAY=15',
    ],
    [
      { recurrence: { kind: 'monthly', every: 1, on: { kind: 'day', day: 'last' } } },
      'RRULE:FREQ=MONTHLY;BYMONTHDAY=-1',
    ],
    [
      { recurrence: { kind: 'monthly', every: 1, on: { kind: 'weekdays', nth: [2], days: ['tue'] } } },
      'RRULE:FREQ=MONTHLY;BYDAY=2TU',
    ],
    [
      { recurrence: { kind: 'monthly', every: 3, on: { kind: 'weekdays', nth: ['last'], days: ['fri'] } } },
      'RRULE:FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR',
    ],
    [
      {
        recurrence: {
          kind: 'monthly',
          every: 1,
          on: { kind: 'weekdays', nth: [1, 3, 5], days: ['sun', 'mon', 'thu'] },
          months: [1, 6, 12],
        },
      },
      'RRULE:FREQ=MONTHLY;BYMONTH=1,6,12;BYDAY=1SU,1MO,1TH,3SU,3MO,3TH,5SU,5MO,5TH',
    ],
    [
      { recurrence: { kind: 'monthly', every: 1, on: { kind: 'class', nth: 1, of: 'weekday' } } },
      'RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1',
    ],
    [
      { recurrence: { kind: 'monthly', every: 1, on: { kind: 'class', nth: 'last', of: 'weekendDay' } } },
      'RRULE:FREQ=MONTHLY;BYDAY=SU,SA;BYSETPOS=-1',
    ],
    [
      { recurrence: { kind: 'yearly', every: 1, month: 2, on: { kind: 'day', day: 29 } } },
      'RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29',
    ],
    [
      { recurrence: { kind: 'days', every: 1 }, end: { kind: 'after', occurrences: 5 } },
      'RRULE:FREQ=DAILY;COUNT=5',
    ],
    // end of 2024-03-31 in Berlin (CEST) is 21:59:59Z
    [
      { recurrence: { kind: 'days', every: 1 }, end: { kind: 'on', date: '2024-03-31' } },
      'RRULE:FREQ=DAILY;UNTIL=20240331T215959Z',
    ],
    [
      { recurrence: { kind: 'hours', every: 1 }, end: { kind: 'at', at: '2024-01-05T12:30' } },
      'RRULE:FREQ=HOURLY;UNTIL=20240105T112959Z',
    ],
    [
      {
        recurrence: { kind: 'days', every: 1 },
        zone: { kind: 'device' },
        end: { kind: 'on', date: '2024-03-31' },
      },
      'DTSTART:20240105T090000\nRRULE:FREQ=DAILY;UNTIL=20240331T235959',
    ],
  ];
  for (const [partial, text] of table) {
    const sched = s(partial);
    const out = toRrule(sched);
    assert.ok(out.endsWith(text), `${out} ends with ${text}`);
    assert.deepEqual(fromRrule(out), sched, out);
  }
});

test('reads RFC 5545 examples and their implicit parts', () => {
  // RFC 5545 §3.8.5.3: "Monthly on the first Friday for 10 occurrences"
  const first = fromRrule(
    'DTSTART;TZID=America/New_York:19970905T090000\r\nRRULE:FREQ=MONTHLY;COUNT=10;BYDAY=1FR',
  );
  assert.deepEqual(first.recurrence, {
    kind: 'monthly',
    every: 1,
    on: { kind: 'weekdays', nth: [1], days: ['fri'] },
  });
  assert.deepEqual(first.end, { kind: 'after', occurrences: 10 });
  assert.deepEqual(
    nextOccurrences(first, new Date('1997-01-01Z'), 3).map((d) => d.toISOString()),
    ['1997-09-05T13:00:00.000Z', '1997-10-03T13:00:00.000Z', '1997-11-07T14:00:00.000Z'],
  );
  // "The last work day of the month"
  const lastWork = fromRrule(
    'DTSTART;TZID=America/New_York:19970930T090000\nRRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1',
  );
  assert.deepEqual(lastWork.recurrence, {
    kind: 'monthly',
    every: 1,
    on: { kind: 'class', nth: 'last', of: 'weekday' },
  });
  // "Every other week on Monday, Wednesday, and Friday until December 24, 1997"
  const eow = fromRrule(
    'DTSTART;TZID=America/New_York:19970902T090000\nRRULE:FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR',
  );
  assert.deepEqual(eow.recurrence, { kind: 'weekly', every: 2, days: ['mon', 'wed', 'fri'] });
  assert.deepEqual(eow.end, { kind: 'at', at: '1997-12-23T19:01' });
  // implicit BYDAY and BYMONTHDAY come from DTSTART; "Z" reads as UTC; folded lines are unfolded
  assert.deepEqual(fromRrule('DTSTART:20240103T080000Z\nRRULE:FREQ=WEEKLY').recurrence, {
    kind: 'weekly',
    every: 1,
    days: ['wed'],
  });
  assert.deepEqual(fromRrule('DTSTART:20240103T080000Z\nRRULE:FREQ=WEEKLY').zone, {
    kind: 'named',
    name: 'UTC',
  });
  assert.deepEqual(fromRrule('DTSTART:20240131T080000\nRRULE:FREQ=MONTHLY').recurrence, {
    kind: 'monthly',
    every: 1,
    on: { kind: 'day', day: 31 },
  });
  assert.deepEqual(
    fromRrule('DTSTART:20240131T080000\nRRULE:FREQ=YEARLY;BYMO\n NTH=3;BYDAY=-1SU').recurrence,
    { kind: 'yearly', every: 1, month: 3, on: { kind: 'weekdays', nth: ['last'], days: ['sun'] } },
  );
  // BYDAY without ordinals in a monthly rule: every such weekday = occurrences 1 to 5
  assert.deepEqual(fromRrule('DTSTART:20240101T080000\nRRULE:FREQ=MONTHLY;BYDAY=TU').recurrence, {
    kind: 'monthly',
    every: 1,
    on: { kind: 'weekdays', nth: [1, 2, 3, 4, 5], days: ['tue'] },
  });
});

test('refuses what the subset or the model cannot hold, by name', () => {
  const table: [string, RegExp][] = [
    ['DTSTART:20240101T080000\nRRULE:FREQ=SECONDLY', /FREQ: must be one of MINUTELY/],
    ['DTSTART:20240101T080000\nRRULE:FREQ=DAILY;BYHOUR=8,9', /BYHOUR is not supported/],
    ['DTSTART:20240101T080000\nRRULE:FREQ=DAILY;BYDAY=MO', /BYDAY: is not supported with FREQ=DAILY/],
    ['DTSTART:20240101T080000\nRRULE:FREQ=MONTHLY;BYMONTHDAY=1,15', /only one day of the month/],
    ['DTSTART:20240101T080000\nRRULE:FREQ=MONTHLY;BYDAY=1MO,2TU', /same ordinals for every weekday/],
    [
      'DTSTART:20240101T080000\nRRULE:FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=1',
      /BYSETPOS: is supported only with/,
    ],
    [
      'DTSTART:20240101T080000\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,SU;WKST=SU',
      /WKST=SU with INTERVAL>1 groups these days differently/,
    ],
    [
      'DTSTART:20240101T080000\nRRULE:FREQ=DAILY;COUNT=2;UNTIL=20240105T000000',
      /COUNT: cannot be combined with UNTIL/,
    ],
    ['DTSTART;TZID=Europe/Berlin:20240101T080000\nRRULE:FREQ=DAILY;UNTIL=20240105T000000', /must be in UTC/],
    ['DTSTART:20240101T080030\nRRULE:FREQ=DAILY', /whole minute/],
    ['DTSTART:20240101T080000\nEXDATE:20240102T080000\nRRULE:FREQ=DAILY', /EXDATE is not supported/],
    ['RRULE:FREQ=DAILY', /DTSTART: is required/],
    ['DTSTART;TZID=Mars/Base:20240101T080000\nRRULE:FREQ=DAILY', /IANA time zone/],
  ];
  for (const [text, message] of table) assert.throws(() => fromRrule(text), message, text);
  const refuse: [Record<string, unknown>, RegExp][] = [
    [{ zone: { kind: 'server' }, recurrence: { kind: 'days', every: 1 } }, /server's time zone/],
    [{ recurrence: { kind: 'immediately' } }, /"immediately"/],
    [
      { recurrence: { kind: 'minutes', every: 5 }, window: { start: '08:00', end: '17:00' } },
      /daily time window/,
    ],
    [
      { recurrence: { kind: 'days', every: 1 }, exclusions: [{ kind: 'daily', from: '01:00', to: '02:00' }] },
      /exclusion windows/,
    ],
    [{ recurrence: { kind: 'days', every: 1 }, distribution: { minutes: 10 } }, /distribution/],
    [
      { recurrence: { kind: 'days', every: 1 }, end: { kind: 'at', at: '2024-02-01T00:00' } },
      /end at midnight/,
    ],
  ];
  for (const [partial, message] of refuse)
    assert.throws(
      () => toRrule(s(partial)),
      (e: Error & { kind?: string }) => e.kind === 'invalid' && message.test(e.message),
      String(message),
    );
});
