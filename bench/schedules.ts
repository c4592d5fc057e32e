// npm run bench -- schedules: the next 10 occurrences of 100,000 mixed schedules (every recurrence
// kind, windows, exclusions, distribution, ends, several zones). Target: under 1 s on one core.
// The last line is one JSON object.
import { parseSchedule, type Schedule } from '../src/core/schedule/model.ts';
import { nextOccurrences } from '../src/core/schedule/occurrences.ts';

const COUNT = Number(process.argv[2] ?? 100_000);
const PER = 10;
const TARGET_MS = 1000;
const ZONES = [
  'America/New_York',
  'Europe/Berlin',
  'Australia/Sydney',
  'Asia/Kolkata',
  'America/Sao_Paulo',
  'UTC',
  'Pacific/Auckland',
  'Europe/London',
];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** deterministic pseudo-random numbers, so every run measures the same schedules */
let seed = 42;
const rnd = (n: number) => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 8) % n;
};
const pad = (n: number) => String(n).padStart(2, '0');

function build(i: number): Schedule {
  const time = `${pad(rnd(24))}:${pad(rnd(4) * 15)}`;
  const start = `20${pad(20 + rnd(5))}-${pad(1 + rnd(12))}-${pad(1 + rnd(28))}T${time}`;
  const z = rnd(10);
  const zone = z < 8 ? { kind: 'named', name: ZONES[z] } : z === 8 ? { kind: 'server' } : { kind: 'device' };
  const days = DAYS.filter(() => rnd(2) === 0);
  const nth = [1, 2, 3, 4, 5, 'last'].filter(() => rnd(3) === 0);
  const ons = [
    { kind: 'day', day: 1 + rnd(31) },
    { kind: 'day', day: 'last' },
    { kind: 'weekdays', nth: nth.length ? nth : [2], days: days.length ? days : ['tue'] },
    { kind: 'class', nth: [1, 2, 3, 4, 'last'][rnd(5)], of: rnd(2) ? 'weekday' : 'weekendDay' },
  ];
  const on = ons[rnd(4)];
  const recurrences = [
    { kind: 'once' },
    { kind: 'minutes', every: [5, 15, 30, 45][rnd(4)] },
    { kind: 'hours', every: 1 + rnd(12) },
    { kind: 'days', every: 1 + rnd(3) },
    { kind: 'weekly', every: 1 + rnd(4), days: days.length ? days : ['mon'] },
    { kind: 'monthly', every: 1 + rnd(3), on },
    { kind: 'monthly', every: 1, on, months: [1 + rnd(6), 7 + rnd(6)] },
    { kind: 'yearly', every: 1 + rnd(2), month: 1 + rnd(12), on: { kind: 'day', day: 1 + rnd(28) } },
  ];
  const recurrence = recurrences[i % recurrences.length] as { kind: string };
  const extra: Record<string, unknown> = {};
  if (recurrence.kind === 'minutes' || recurrence.kind === 'hours') {
    if (rnd(2)) extra.window = { start: '20:00', end: '06:00' };
    if (rnd(3) === 0) extra.exclusions = [{ kind: 'daily', from: '23:00', to: '23:30' }];
  }
  if (rnd(4) === 0) extra.distribution = { minutes: 60 };
  if (recurrence.kind !== 'once' && rnd(5) === 0)
    extra.end = rnd(2) ? { kind: 'after', occurrences: 50 } : { kind: 'on', date: '2031-12-31' };
  return parseSchedule({ recurrence, start, zone, ...extra });
}

const schedules: Schedule[] = [];
for (let i = 0; i < COUNT; i++) schedules.push(build(i));
console.log(`built ${COUNT} schedules (${ZONES.length} zones + server/device zones)`);

const after = new Date('2025-06-15T12:34:56Z');
const opts = [
  { zone: 'Europe/Paris', deviceKey: 'device-1' },
  { zone: 'America/Chicago', deviceKey: 'device-2' },
];
// warm-up on a slice (JIT, zone tables), then the measured run over every schedule
for (let i = 0; i < Math.min(COUNT, 5000); i++)
  nextOccurrences(schedules[i] as Schedule, after, PER, opts[i & 1]);
let occurrences = 0;
const t0 = performance.now();
for (let i = 0; i < COUNT; i++) {
  occurrences += nextOccurrences(schedules[i] as Schedule, after, PER, opts[i & 1]).length;
  if ((i + 1) % 25_000 === 0)
    console.log(`${i + 1} schedules, ${occurrences} occurrences, ${Math.round(performance.now() - t0)} ms`);
}
const ms = Math.round(performance.now() - t0);
console.log(
  JSON.stringify({
    name: 'schedules',
    schedules: COUNT,
    occurrences,
    ms,
    target_ms: TARGET_MS,
    pass: ms < TARGET_MS,
  }),
);
