// Bitdefender GravityZone maintenance-window schedules (seed 002): `scheduler` and `oldScheduler`.
//
// scheduler: recurrence 1 (immediately), 3 (weekly: weeklyRecurrence {every 1–4, days 0–6}) or 4
// (monthly: monthlyRecurrence {every 1–12, frequency 0 = day frequencyDayNumber 1–31, 1–4 = first …
// fourth, 5 = last frequencyDayOfWeek 0–6}); startDate (epoch seconds, > 0); between {startHour
// 0–23, startMinute 0–59, endHour startHour–23, endMinute 0–59, start before end}.
// oldScheduler: recurrence 1 (immediately), 2 (daily), 3 (weekly on days 0–6); startHour, startMinute.
// Days are 0 = Sunday … 6 = Saturday. GravityZone runs on the endpoint's clock: zone "device".
//
// Decisions where the seed is silent or inconsistent:
// - `between` is the daily window and its start is the time of the occurrences; the seed's table
//   once spells `endminute`: parsing accepts it, rendering writes `endMinute` as the example does.
// - startDate gives the start date, read in UTC (the console sends "now" as epoch seconds); when
//   rendering, startDate is the start date at the window's start time, in UTC. For "immediately",
//   startDate carries the whole start and is omitted when the start is the context's default.
// - weekly and monthly require `between` (the seed requires it with them in the scan settings).
//
// Expressible by scheduler: immediately; weekly every 1–4 weeks; monthly every 1–12 months on a day
// 1–31 or on the 1st–4th/last occurrence of one weekday; always with a window that does not cross
// midnight and starts at the start time; no end, exclusion, distribution or months filter.
// By oldScheduler: immediately, daily, weekly every week; no window; the context's start date.
import {
  cannotExpress,
  parseTime,
  WEEKDAYS,
  type MonthDay,
  type Nth,
  type Schedule,
  type TimeRange,
} from './model.ts';
import {
  badValue,
  contextStartDate,
  intField,
  isObj,
  pad2,
  requireAbsent,
  requireContextStartDate,
  type ConvertContext,
  type Obj,
} from './convert.ts';

export interface GzBetween {
  readonly startHour: number;
  readonly startMinute: number;
  readonly endHour: number;
  readonly endMinute: number;
}
export interface GzScheduler {
  readonly recurrence: 1 | 3 | 4;
  readonly startDate?: number;
  readonly between?: GzBetween;
  readonly weeklyRecurrence?: { readonly every: number; readonly days: readonly number[] };
  readonly monthlyRecurrence?: {
    readonly every: number;
    readonly frequency: number;
    readonly frequencyDayNumber?: number;
    readonly frequencyDayOfWeek?: number;
  };
}
export interface GzOldScheduler {
  readonly recurrence: 1 | 2 | 3;
  readonly startHour?: number;
  readonly startMinute?: number;
  readonly days?: readonly number[];
}

const P = 'GravityZone';
const device = { kind: 'device' as const };
const never = { kind: 'never' as const };

function gzDays(o: Obj, key: string, path: string): (typeof WEEKDAYS)[number][] {
  const v = o[key];
  if (!Array.isArray(v) || v.length === 0)
    badValue(P, `${path}/${key}`, 'must be a non-empty array of days 0 (Sunday) to 6 (Saturday)');
  const seen = new Set<number>();
  v.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > 6)
      badValue(
        P,
        `${path}/${key}/${i}`,
        `must be a day 0 (Sunday) to 6 (Saturday), got ${JSON.stringify(d)}`,
      );
    if (seen.has(d)) badValue(P, `${path}/${key}/${i}`, `day ${d} is listed twice`);
    seen.add(d);
  });
  return WEEKDAYS.filter((_, i) => seen.has(i));
}

function parseBetween(v: unknown, path: string): TimeRange {
  if (!isObj(v)) badValue(P, path, 'must be an object {startHour, startMinute, endHour, endMinute}');
  const sh = intField(P, v, 'startHour', path, 0, 23);
  const sm = intField(P, v, 'startMinute', path, 0, 59);
  const eh = intField(P, v, 'endHour', path, sh, 23);
  const endKey = v.endMinute === undefined && v.endminute !== undefined ? 'endminute' : 'endMinute';
  const em = intField(P, v, endKey, path, 0, 59);
  if (sh * 60 + sm >= eh * 60 + em)
    badValue(
      P,
      `${path}/endHour`,
      `startHour:startMinute (${pad2(sh)}:${pad2(sm)}) must be less than endHour:endMinute (${pad2(eh)}:${pad2(em)})`,
    );
  return { start: `${pad2(sh)}:${pad2(sm)}`, end: `${pad2(eh)}:${pad2(em)}` };
}

/** 'YYYY-MM-DD' and 'HH:mm' of epoch seconds, read in UTC */
function utcParts(epoch: number): [string, string] {
  const iso = new Date(epoch * 1000).toISOString();
  return [iso.slice(0, 10), iso.slice(11, 16)];
}

export function fromGzScheduler(input: unknown, ctx?: ConvertContext, path = ''): Schedule {
  if (!isObj(input)) badValue(P, path || '/', 'scheduler must be an object');
  const rec = input.recurrence;
  if (rec !== 1 && rec !== 3 && rec !== 4)
    badValue(
      P,
      `${path}/recurrence`,
      `must be 1 (immediately), 3 (weekly) or 4 (monthly), got ${JSON.stringify(rec) ?? 'nothing'}`,
    );
  const startDate =
    input.startDate === undefined ? undefined : intField(P, input, 'startDate', path, 1, 99_999_999_999);
  if (rec === 1) {
    const start =
      startDate === undefined ? `${contextStartDate(P, ctx)}T00:00` : utcParts(startDate).join('T');
    return { recurrence: { kind: 'immediately' }, start, zone: device, end: never };
  }
  if (startDate === undefined)
    badValue(P, `${path}/startDate`, 'is required with a weekly or monthly recurrence');
  if (input.between === undefined)
    badValue(P, `${path}/between`, 'is required with a weekly or monthly recurrence');
  const window = parseBetween(input.between, `${path}/between`);
  const start = `${utcParts(startDate)[0]}T${window.start}`;
  if (rec === 3) {
    const w = input.weeklyRecurrence;
    if (!isObj(w)) badValue(P, `${path}/weeklyRecurrence`, 'is required when recurrence is 3 (weekly)');
    const every = intField(P, w, 'every', `${path}/weeklyRecurrence`, 1, 4);
    const days = gzDays(w, 'days', `${path}/weeklyRecurrence`);
    return { recurrence: { kind: 'weekly', every, days }, start, zone: device, end: never, window };
  }
  const m = input.monthlyRecurrence;
  const mp = `${path}/monthlyRecurrence`;
  if (!isObj(m)) badValue(P, mp, 'is required when recurrence is 4 (monthly)');
  const every = intField(P, m, 'every', mp, 1, 12);
  const frequency = intField(P, m, 'frequency', mp, 0, 5);
  let on: MonthDay;
  if (frequency === 0) {
    if (m.frequencyDayNumber === undefined)
      badValue(P, `${mp}/frequencyDayNumber`, 'is required when frequency is 0');
    on = { kind: 'day', day: intField(P, m, 'frequencyDayNumber', mp, 1, 31) };
  } else {
    if (m.frequencyDayOfWeek === undefined)
      badValue(P, `${mp}/frequencyDayOfWeek`, `is required when frequency is ${frequency}`);
    const wd = WEEKDAYS[intField(P, m, 'frequencyDayOfWeek', mp, 0, 6)] as (typeof WEEKDAYS)[number];
    on = { kind: 'weekdays', nth: [frequency === 5 ? 'last' : (frequency as Nth)], days: [wd] };
  }
  return { recurrence: { kind: 'monthly', every, on }, start, zone: device, end: never, window };
}

function requireDevice(s: Schedule): void {
  if (s.zone.kind !== 'device')
    cannotExpress(
      P,
      `a schedule in the ${s.zone.kind === 'server' ? "server's" : 'named'} time zone (it runs on the endpoint's clock)`,
      '/zone',
    );
}

export function toGzScheduler(s: Schedule, ctx?: ConvertContext): GzScheduler {
  requireDevice(s);
  requireAbsent(P, s, ['end', 'exclusions', 'distribution']);
  const r = s.recurrence;
  const [date, time] = [s.start.slice(0, 10), s.start.slice(11, 16)];
  const epoch = (d: string, t: string) => Date.parse(`${d}T${t}:00Z`) / 1000;
  if (r.kind === 'immediately') {
    requireAbsent(P, s, ['window']);
    const dflt = `${contextStartDate(P, ctx)}T00:00`;
    return s.start === dflt ? { recurrence: 1 } : { recurrence: 1, startDate: epoch(date, time) };
  }
  if (r.kind !== 'weekly' && r.kind !== 'monthly')
    return cannotExpress(
      P,
      `a "${r.kind}" recurrence in scheduler (only immediately, weekly, monthly)`,
      '/recurrence/kind',
    );
  const w = s.window;
  if (!w) return cannotExpress(P, 'a weekly or monthly schedule without a daily window (between)', '/window');
  const ws = parseTime(w.start) as number;
  const we = parseTime(w.end) as number;
  if (we <= ws) cannotExpress(P, `a window that crosses midnight (${w.start}–${w.end})`, '/window');
  if (time !== w.start)
    cannotExpress(P, `a start time (${time}) other than the window's start (${w.start})`, '/start');
  const between: GzBetween = {
    startHour: Math.floor(ws / 60),
    startMinute: ws % 60,
    endHour: Math.floor(we / 60),
    endMinute: we % 60,
  };
  const startDate = epoch(date, time);
  if (r.kind === 'weekly') {
    if (r.every > 4)
      cannotExpress(P, `a weekly schedule every ${r.every} weeks (1 to 4)`, '/recurrence/every');
    return {
      recurrence: 3,
      startDate,
      between,
      weeklyRecurrence: { every: r.every, days: r.days.map((d) => WEEKDAYS.indexOf(d)) },
    };
  }
  if (r.every > 12)
    cannotExpress(P, `a monthly schedule every ${r.every} months (1 to 12)`, '/recurrence/every');
  if (r.months) cannotExpress(P, 'a monthly schedule limited to some months', '/recurrence/months');
  const on = r.on;
  if (on.kind === 'day') {
    if (on.day === 'last') cannotExpress(P, 'the last day of the month', '/recurrence/on/day');
    return {
      recurrence: 4,
      startDate,
      between,
      monthlyRecurrence: { every: r.every, frequency: 0, frequencyDayNumber: on.day },
    };
  }
  if (on.kind === 'class')
    return cannotExpress(P, 'the nth working or weekend day of a month', '/recurrence/on');
  const [nth] = on.nth;
  const [day] = on.days;
  if (on.nth.length !== 1 || on.days.length !== 1 || nth === undefined || day === undefined)
    cannotExpress(P, 'several weekdays or weeks in one monthly schedule', '/recurrence/on');
  if (nth === 5)
    cannotExpress(
      P,
      'the fifth occurrence of a weekday (only first to fourth and last)',
      '/recurrence/on/nth',
    );
  return {
    recurrence: 4,
    startDate,
    between,
    monthlyRecurrence: {
      every: r.every,
      frequency: nth === 'last' ? 5 : nth,
      frequencyDayOfWeek: WEEKDAYS.indexOf(day),
    },
  };
}

export function fromGzOldScheduler(input: unknown, ctx?: ConvertContext, path = ''): Schedule {
  if (!isObj(input)) badValue(P, path || '/', 'oldScheduler must be an object');
  const rec = input.recurrence;
  if (rec !== 1 && rec !== 2 && rec !== 3)
    badValue(
      P,
      `${path}/recurrence`,
      `must be 1 (immediately), 2 (daily) or 3 (weekly), got ${JSON.stringify(rec) ?? 'nothing'}`,
    );
  const date = contextStartDate(P, ctx);
  const hasTime = input.startHour !== undefined || input.startMinute !== undefined;
  if (rec !== 1 && !hasTime)
    badValue(P, `${path}/startHour`, 'is required with a daily or weekly recurrence');
  const h = hasTime ? intField(P, input, 'startHour', path, 0, 23) : 0;
  const m = hasTime ? intField(P, input, 'startMinute', path, 0, 59) : 0;
  const start = `${date}T${pad2(h)}:${pad2(m)}`;
  if (rec === 1) return { recurrence: { kind: 'immediately' }, start, zone: device, end: never };
  if (rec === 2) return { recurrence: { kind: 'days', every: 1 }, start, zone: device, end: never };
  return {
    recurrence: { kind: 'weekly', every: 1, days: gzDays(input, 'days', path) },
    start,
    zone: device,
    end: never,
  };
}

export function toGzOldScheduler(s: Schedule, ctx?: ConvertContext): GzOldScheduler {
  requireDevice(s);
  requireAbsent(P, s, ['end', 'window', 'exclusions', 'distribution']);
  requireContextStartDate(P, s, ctx);
  const r = s.recurrence;
  const tod = parseTime(s.start.slice(11)) as number;
  const time = { startHour: Math.floor(tod / 60), startMinute: tod % 60 };
  if (r.kind === 'immediately') return tod === 0 ? { recurrence: 1 } : { recurrence: 1, ...time };
  if (r.kind === 'days' && r.every === 1) return { recurrence: 2, ...time };
  if (r.kind === 'weekly' && r.every === 1)
    return { recurrence: 3, ...time, days: r.days.map((d) => WEEKDAYS.indexOf(d)) };
  return cannotExpress(
    P,
    `a "${r.kind}" recurrence every ${'every' in r ? r.every : 1} in oldScheduler (only immediately, daily, weekly every week)`,
    '/recurrence',
  );
}
