import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fromAltirisXml, toAltirisXml } from '../../../src/core/schedule/altiris.ts';
import { parseSchedule } from '../../../src/core/schedule/model.ts';
import { next } from './helpers.ts';

const seedXml = readFileSync(new URL('./fixtures/altiris-daily.xml', import.meta.url), 'utf8');

test('the seed example: every day at 08:00 from 2008-01-01, local time; rendered back byte for byte', () => {
  const s = fromAltirisXml(seedXml);
  assert.deepEqual(s, {
    recurrence: { kind: 'days', every: 1 },
    start: '2008-01-01T08:00',
    zone: { kind: 'device' },
    end: { kind: 'never' },
  });
  assert.equal(toAltirisXml(s), seedXml);
  assert.deepEqual(next(s, '2024-07-01T00:00Z', 2, { deviceZone: 'America/Chicago' }), [
    '2024-07-01T13:00Z',
    '2024-07-02T13:00Z',
  ]);
});

test('round trips every recurrence kind through NS schedule XML', () => {
  const table: [Record<string, unknown>, RegExp][] = [
    [{ recurrence: { kind: 'once' } }, /type="Once"/],
    [{ recurrence: { kind: 'days', every: 3 } }, /type="Daily" repetition="P3D"/],
    [
      { recurrence: { kind: 'minutes', every: 15 }, window: { start: '10:30', end: '12:00' } },
      /at="10:30:00" exact="True" type="Daily" repetition="PT15M" weekdays="" weeks="" duration="PT1H30M"/,
    ],
    [{ recurrence: { kind: 'hours', every: 2 } }, /repetition="PT2H"/],
    [
      { recurrence: { kind: 'weekly', every: 2, days: ['mon', 'thu'] } },
      /type="Weekly" repetition="P2W" weekdays="Mon,Thu"/,
    ],
    [{ recurrence: { kind: 'monthly', every: 1, on: { kind: 'day', day: 'last' } } }, /dates="L"/],
    [
      { recurrence: { kind: 'monthly', every: 3, on: { kind: 'day', day: 15 }, months: [1, 4] } },
      /dates="15" months="Jan,Apr".*repetition="P3M"/,
    ],
    [
      {
        recurrence: { kind: 'monthly', every: 1, on: { kind: 'weekdays', nth: [1, 'last'], days: ['tue'] } },
      },
      /weekdays="Tue" weeks="1,L"/,
    ],
    [
      { recurrence: { kind: 'monthly', every: 1, on: { kind: 'class', nth: 2, of: 'weekendDay' } } },
      /weekdays="Weekend" weeks="2"/,
    ],
    [
      { recurrence: { kind: 'yearly', every: 2, month: 2, on: { kind: 'day', day: 29 } } },
      /dates="29" months="Feb".*type="Yearly" repetition="P2Y"/,
    ],
    [
      { recurrence: { kind: 'days', every: 1 }, window: { start: '10:30', end: '02:00' } },
      /duration="PT15H30M"/,
    ],
    [
      { recurrence: { kind: 'days', every: 1 }, distribution: { minutes: 120 } },
      /exact="False".*duration="PT2H"/,
    ],
    [
      {
        recurrence: { kind: 'days', every: 1 },
        end: { kind: 'on', date: '2030-12-31' },
        zone: { kind: 'server' },
      },
      /<schedule start="2024-01-01" end="2030-12-31" tz="Server">/,
    ],
    [{ recurrence: { kind: 'days', every: 1 }, zone: { kind: 'named', name: 'UTC' } }, /tz="UTC"/],
  ];
  for (const [partial, pattern] of table) {
    const s = parseSchedule({ start: '2024-01-01T10:30', zone: { kind: 'device' }, ...partial });
    const xml = toAltirisXml(s);
    assert.match(xml, pattern);
    assert.deepEqual(fromAltirisXml(xml), s, xml);
  }
});

test('refuses what NS schedule XML cannot express and malformed XML, by name', () => {
  const refuse: [Record<string, unknown>, RegExp][] = [
    [{ recurrence: { kind: 'immediately' } }, /"immediately"/],
    [{ zone: { kind: 'named', name: 'Europe/Berlin' } }, /named time zone Europe\/Berlin/],
    [{ end: { kind: 'after', occurrences: 3 } }, /an end "after"/],
    [{ exclusions: [{ kind: 'daily', from: '01:00', to: '02:00' }] }, /exclusion windows/],
    [{ recurrence: { kind: 'minutes', every: 7 } }, /every 7 minutes \(it must divide 24 hours\)/],
    [
      { recurrence: { kind: 'minutes', every: 15 }, window: { start: '08:00', end: '17:00' } },
      /does not open at the start time/,
    ],
    [
      { window: { start: '10:00', end: '11:00' }, distribution: { minutes: 5 } },
      /together with a distribution/,
    ],
  ];
  for (const [partial, message] of refuse) {
    const s = parseSchedule({
      recurrence: { kind: 'days', every: 1 },
      start: '2024-01-01T10:30',
      zone: { kind: 'device' },
      ...partial,
    });
    assert.throws(
      () => toAltirisXml(s),
      (e: Error & { kind?: string }) => e.kind === 'invalid' && message.test(e.message),
      String(message),
    );
  }
  const bad: [string, RegExp][] = [
    ['<schedule start="2008-01-01" tz="Local"><trigger', /not well-formed XML|trigger/],
    ['<nothing/>', /a <schedule> element is required/],
    [
      '<schedule start="2008-01-01" tz="Mars"><trigger at="08:00:00" type="Daily"/></schedule>',
      /tz: must be Local, Server or UTC, got "Mars"/,
    ],
    [
      '<schedule start="2008-01-01" tz="Local"><trigger at="8:00" type="Daily"/></schedule>',
      /at: must be a time "HH:mm:00"/,
    ],
    [
      '<schedule start="2008-01-01" tz="Local"><trigger at="08:00:00" type="Hourly"/></schedule>',
      /type: must be one of Once, Daily, Weekly, Monthly, Yearly, got "Hourly"/,
    ],
    [
      '<schedule start="2008-01-01" tz="Local"><trigger at="08:00:00" type="Weekly" weekdays="Mon,Funday"/></schedule>',
      /"Funday" is not one of Sun/,
    ],
    [
      '<schedule start="2008-01-01" tz="Local"><trigger at="08:00:00" type="Monthly" dates="1,15"/></schedule>',
      /only one day of the month/,
    ],
    [
      '<schedule start="2008-01-01" tz="Local"><trigger at="08:00:00" type="Weekly" weekdays="Mon" repetition="P2D"/></schedule>',
      /a Weekly trigger repeats in weeks/,
    ],
    [
      '<schedule start="2008-01-01" tz="Local"><trigger at="08:00:00" type="Daily" duration="2 hours"/></schedule>',
      /ISO 8601 duration/,
    ],
    [
      '<schedule start="2008-02-30" tz="Local"><trigger at="08:00:00" type="Daily"/></schedule>',
      /real calendar date/,
    ],
    [
      '<schedule start="2008-01-01" tz="Local"><trigger at="08:00:00" type="Daily"/><trigger at="09:00:00" type="Daily"/></schedule>',
      /only one <trigger>/,
    ],
  ];
  for (const [xml, message] of bad) assert.throws(() => fromAltirisXml(xml), message, xml);
});
