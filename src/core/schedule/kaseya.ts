// Kaseya VSA schedules (seed 004): the Recurrence / Distribution / Start / Exclusion body shared by
// agent procedure, audit and patch schedule calls. ServerTimeZone picks the zone; SkipIfOffLine,
// PowerUpIfOffLine, ScriptPrompts and PatchIds belong to the face, not to the schedule.
//
//   Recurrence  Repeat Never|Minutes|Hours|Days|Weeks|Months|Years, Times (every N), DaysOfWeek,
//               DayOfMonth (FirstSunday … LastDay, 50 values), SpecificDayOfMonth, MonthOfYear,
//               EndAt ("T0000"…"T2345", 15-minute steps), EndOn (ISO date-time), EndAfterIntervalTimes
//   Distribution Interval (Minutes|Hours), Magnitude
//   Start       StartOn (ISO date-time), StartAt ("T0000"…"T2345")
//   Exclusion   From, To ("T0000"…"T2345")
//
// Decisions where the seed is silent:
// - Times is the N of "every N"; DaysOfWeek is a comma-separated list of day names ("Monday,Friday").
// - SpecificDayOfMonth > 0 wins over DayOfMonth; FirstDay…FourthDay are days 1…4, LastDay the last.
// - StartOn gives the date (its time part is ignored), StartAt the time. Whitespace inside the
//   seed's sample dates ("2016 - 03- 15T…") is a PDF artefact and is removed before reading.
// - End: EndAfterIntervalTimes > 0 → after N; else EndOn → the end of that date, or EndOn's date at
//   EndAt when EndAt is not T0000; else EndAt alone → the start date at EndAt; else never. With
//   Repeat Never the end fields are ignored (the seed's samples fill them in).
// - Exclusion From = To means none; Distribution Magnitude 0 means none; ServerTimeZone false or
//   absent means the agent's time zone.
// Expressible: everything but a named zone, a daily window, "immediately", more than one exclusion
// or a period exclusion, several weekdays or weeks in a month, a 5th weekday, a months filter,
// times off the 15-minute grid, and an end at midnight (use "on" the previous date instead).
import {
  cannotExpress,
  parseTime,
  WEEKDAYS,
  type MonthDay,
  type Month,
  type Nth,
  type Schedule,
  type ScheduleEnd,
  type Weekday,
} from './model.ts';
import { badValue, isObj, pad2, requireAbsent, type Obj } from './convert.ts';
import { parseSchedule } from './model.ts';

export interface KaseyaSchedule {
  readonly ServerTimeZone?: boolean;
  readonly Recurrence: {
    readonly Repeat: KaseyaRepeat;
    readonly Times: number;
    readonly DaysOfWeek?: string;
    readonly DayOfMonth?: string;
    readonly SpecificDayOfMonth?: number;
    readonly MonthOfYear?: string;
    readonly EndAt?: string;
    readonly EndOn?: string;
    readonly EndAfterIntervalTimes?: number;
  };
  readonly Distribution?: { readonly Interval: 'Minutes' | 'Hours'; readonly Magnitude: number };
  readonly Start: { readonly StartOn: string; readonly StartAt: string };
  readonly Exclusion?: { readonly From: string; readonly To: string };
}

export const KASEYA_REPEATS = ['Never', 'Minutes', 'Hours', 'Days', 'Weeks', 'Months', 'Years'] as const;
export type KaseyaRepeat = (typeof KASEYA_REPEATS)[number];
export const KASEYA_DAY_NAMES = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
] as const;
export const KASEYA_MONTHS = [
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
] as const;
const ORDINALS = ['First', 'Second', 'Third', 'Fourth', 'Last'] as const;
const CLASSES = [...KASEYA_DAY_NAMES, 'WeekDay', 'WeekendDay', 'Day'] as const;
/** all 50 DayOfMonth values, in the seed's order */
export const KASEYA_DAY_OF_MONTH: readonly string[] = CLASSES.flatMap((c) => ORDINALS.map((o) => `${o}${c}`));

const P = 'Kaseya';

function kTime(v: unknown, path: string): number {
  if (typeof v !== 'string' || !/^T([01]\d|2[0-3])[0-5]\d$/.test(v.trim()))
    badValue(P, path, `must be a time "T0000" to "T2345", got ${JSON.stringify(v) ?? 'nothing'}`);
  const t = v.trim();
  const tod = Number(t.slice(1, 3)) * 60 + Number(t.slice(3, 5));
  if (tod % 15 !== 0) badValue(P, path, `${t} is not in 15-minute increments`);
  return tod;
}
const kTimeOut = (tod: number, what: string, path: string) => {
  if (tod % 15 !== 0)
    cannotExpress(
      P,
      `${what} off the 15-minute grid (${pad2(Math.floor(tod / 60))}:${pad2(tod % 60)})`,
      path,
    );
  return `T${pad2(Math.floor(tod / 60))}${pad2(tod % 60)}`;
};
const hhmm = (tod: number) => `${pad2(Math.floor(tod / 60))}:${pad2(tod % 60)}`;

function kDate(v: unknown, path: string): string {
  const s = typeof v === 'string' ? v.replace(/\s+/g, '') : '';
  if (!/^\d{4}-\d{2}-\d{2}(T.*)?$/.test(s))
    badValue(
      P,
      path,
      `must be an ISO 8601 date-time such as "2017-04-27T15:59:59.809Z", got ${JSON.stringify(v) ?? 'nothing'}`,
    );
  return s.slice(0, 10);
}

function parseMonthDay(rec: Obj): MonthDay {
  const specific = rec.SpecificDayOfMonth;
  if (typeof specific === 'number' && specific !== 0) {
    if (!Number.isInteger(specific) || specific < 1 || specific > 31)
      badValue(
        P,
        '/Recurrence/SpecificDayOfMonth',
        `must be a day 1 to 31 (or 0 to use DayOfMonth), got ${specific}`,
      );
    return { kind: 'day', day: specific };
  }
  const v = typeof rec.DayOfMonth === 'string' ? rec.DayOfMonth.trim() : rec.DayOfMonth;
  const i = KASEYA_DAY_OF_MONTH.indexOf(v as string);
  if (i < 0)
    badValue(
      P,
      '/Recurrence/DayOfMonth',
      `must be one of FirstSunday … LastDay (50 values), got ${JSON.stringify(v) ?? 'nothing'}`,
    );
  const ord = ORDINALS[i % 5] as (typeof ORDINALS)[number];
  const cls = CLASSES[Math.floor(i / 5)] as (typeof CLASSES)[number];
  const nth: Nth = ord === 'Last' ? 'last' : ((ORDINALS.indexOf(ord) + 1) as Nth);
  if (cls === 'Day') return { kind: 'day', day: nth === 'last' ? 'last' : (nth as number) };
  if (cls === 'WeekDay' || cls === 'WeekendDay')
    return { kind: 'class', nth, of: cls === 'WeekDay' ? 'weekday' : 'weekendDay' };
  return { kind: 'weekdays', nth: [nth], days: [WEEKDAYS[KASEYA_DAY_NAMES.indexOf(cls)] as Weekday] };
}

export function fromKaseya(input: unknown): Schedule {
  if (!isObj(input)) badValue(P, '/', 'must be an object');
  const rec = input.Recurrence;
  if (!isObj(rec)) badValue(P, '/Recurrence', 'is required');
  const st = input.Start;
  if (!isObj(st)) badValue(P, '/Start', 'is required');
  const repeat = rec.Repeat;
  if (!KASEYA_REPEATS.includes(repeat as KaseyaRepeat))
    badValue(
      P,
      '/Recurrence/Repeat',
      `must be one of ${KASEYA_REPEATS.join(', ')}, got ${JSON.stringify(repeat) ?? 'nothing'}`,
    );
  const startDate = kDate(st.StartOn, '/Start/StartOn');
  const tod = kTime(st.StartAt, '/Start/StartAt');
  const start = `${startDate}T${hhmm(tod)}`;
  let times = 1;
  if (repeat !== 'Never') {
    const t = rec.Times;
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 1)
      badValue(
        P,
        '/Recurrence/Times',
        `must be a whole number of at least 1 with Repeat ${repeat as string}, got ${JSON.stringify(t) ?? 'nothing'}`,
      );
    times = t;
  }
  const draft: Record<string, unknown> = {
    start,
    zone: input.ServerTimeZone === true ? { kind: 'server' } : { kind: 'device' },
  };
  switch (repeat as KaseyaRepeat) {
    case 'Never':
      draft.recurrence = { kind: 'once' };
      break;
    case 'Minutes':
    case 'Hours':
    case 'Days':
      draft.recurrence = { kind: (repeat as string).toLowerCase(), every: times };
      break;
    case 'Weeks': {
      const names =
        typeof rec.DaysOfWeek === 'string'
          ? rec.DaysOfWeek.split(',')
              .map((d) => d.trim())
              .filter(Boolean)
          : [];
      if (names.length === 0)
        badValue(
          P,
          '/Recurrence/DaysOfWeek',
          'must list day names such as "Monday,Thursday" with Repeat Weeks',
        );
      const days = names.map((n) => {
        const i = KASEYA_DAY_NAMES.findIndex((d) => d.toLowerCase() === n.toLowerCase());
        if (i < 0)
          badValue(P, '/Recurrence/DaysOfWeek', `"${n}" is not one of ${KASEYA_DAY_NAMES.join(', ')}`);
        return WEEKDAYS[i];
      });
      draft.recurrence = { kind: 'weekly', every: times, days };
      break;
    }
    case 'Months':
      draft.recurrence = { kind: 'monthly', every: times, on: parseMonthDay(rec) };
      break;
    case 'Years': {
      const m = KASEYA_MONTHS.indexOf(
        typeof rec.MonthOfYear === 'string'
          ? (rec.MonthOfYear.trim() as (typeof KASEYA_MONTHS)[number])
          : 'January',
      );
      if (m < 0)
        badValue(
          P,
          '/Recurrence/MonthOfYear',
          `must be one of ${KASEYA_MONTHS.join(', ')}, got ${JSON.stringify(rec.MonthOfYear)}`,
        );
      draft.recurrence = { kind: 'yearly', every: times, month: m + 1, on: parseMonthDay(rec) };
      break;
    }
  }
  if (repeat !== 'Never') draft.end = parseEnd(rec, startDate);
  const ex = input.Exclusion;
  if (isObj(ex)) {
    const from = kTime(ex.From, '/Exclusion/From');
    const to = kTime(ex.To, '/Exclusion/To');
    if (from !== to) draft.exclusions = [{ kind: 'daily', from: hhmm(from), to: hhmm(to) }];
  }
  const dist = input.Distribution;
  if (isObj(dist) && dist.Magnitude !== 0 && dist.Magnitude !== undefined) {
    const mag = dist.Magnitude;
    if (typeof mag !== 'number' || !Number.isInteger(mag) || mag < 0)
      badValue(P, '/Distribution/Magnitude', `must be a whole number, got ${JSON.stringify(mag)}`);
    const unit =
      dist.Interval === 'Minutes' ? 1 : dist.Interval === 'Hours' ? 60 : dist.Interval === 'Days' ? 1440 : 0;
    if (unit === 0)
      badValue(
        P,
        '/Distribution/Interval',
        `must be Minutes, Hours or Days, got ${JSON.stringify(dist.Interval) ?? 'nothing'}`,
      );
    draft.distribution = { minutes: mag * unit };
  }
  return parseSchedule(draft);
}

function parseEnd(rec: Obj, startDate: string): ScheduleEnd {
  const n = rec.EndAfterIntervalTimes;
  if (n !== undefined && n !== 0) {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
      badValue(P, '/Recurrence/EndAfterIntervalTimes', `must be a whole number, got ${JSON.stringify(n)}`);
    return { kind: 'after', occurrences: n };
  }
  const endAt =
    rec.EndAt === undefined || rec.EndAt === null || rec.EndAt === ''
      ? 0
      : kTime(rec.EndAt, '/Recurrence/EndAt');
  if (typeof rec.EndOn === 'string' && rec.EndOn.trim() !== '') {
    const date = kDate(rec.EndOn, '/Recurrence/EndOn');
    return endAt === 0 ? { kind: 'on', date } : { kind: 'at', at: `${date}T${hhmm(endAt)}` };
  }
  return endAt === 0 ? { kind: 'never' } : { kind: 'at', at: `${startDate}T${hhmm(endAt)}` };
}

function renderMonthDay(on: MonthDay): { DayOfMonth?: string; SpecificDayOfMonth: number } {
  if (on.kind === 'day')
    return on.day === 'last'
      ? { DayOfMonth: 'LastDay', SpecificDayOfMonth: 0 }
      : { SpecificDayOfMonth: on.day };
  const ord = (n: Nth) => {
    if (n === 5)
      return cannotExpress(
        P,
        'the fifth occurrence of a day in a month (First to Fourth and Last only)',
        '/recurrence/on/nth',
      );
    return n === 'last' ? 'Last' : (ORDINALS[n - 1] as string);
  };
  if (on.kind === 'class')
    return {
      DayOfMonth: `${ord(on.nth)}${on.of === 'weekday' ? 'WeekDay' : 'WeekendDay'}`,
      SpecificDayOfMonth: 0,
    };
  const [nth] = on.nth;
  const [day] = on.days;
  if (on.nth.length !== 1 || on.days.length !== 1 || nth === undefined || day === undefined)
    return cannotExpress(P, 'several weekdays or weeks in one monthly schedule', '/recurrence/on');
  return {
    DayOfMonth: `${ord(nth)}${KASEYA_DAY_NAMES[WEEKDAYS.indexOf(day)] as string}`,
    SpecificDayOfMonth: 0,
  };
}

export function toKaseya(s: Schedule): KaseyaSchedule {
  if (s.zone.kind === 'named')
    cannotExpress(P, `a named time zone (${s.zone.name}); only the server's or the agent's`, '/zone');
  requireAbsent(P, s, ['window']);
  const r = s.recurrence;
  if (r.kind === 'immediately')
    cannotExpress(P, 'an "immediately" recurrence (use run now)', '/recurrence/kind');
  const date = s.start.slice(0, 10);
  const startAt = kTimeOut(parseTime(s.start.slice(11)) as number, 'a start time', '/start');
  const recurrence: Record<string, unknown> = {};
  switch (r.kind) {
    case 'once':
      Object.assign(recurrence, { Repeat: 'Never', Times: 0 });
      break;
    case 'minutes':
    case 'hours':
    case 'days':
      Object.assign(recurrence, {
        Repeat: r.kind === 'minutes' ? 'Minutes' : r.kind === 'hours' ? 'Hours' : 'Days',
        Times: r.every,
      });
      break;
    case 'weekly':
      Object.assign(recurrence, {
        Repeat: 'Weeks',
        Times: r.every,
        DaysOfWeek: r.days.map((d) => KASEYA_DAY_NAMES[WEEKDAYS.indexOf(d)]).join(','),
      });
      break;
    case 'monthly':
      if (r.months) cannotExpress(P, 'a monthly schedule limited to some months', '/recurrence/months');
      Object.assign(recurrence, { Repeat: 'Months', Times: r.every, ...renderMonthDay(r.on) });
      break;
    case 'yearly':
      Object.assign(recurrence, {
        Repeat: 'Years',
        Times: r.every,
        MonthOfYear: KASEYA_MONTHS[(r.month as Month) - 1],
        ...renderMonthDay(r.on),
      });
      break;
  }
  const e = s.end;
  if (e.kind === 'after') Object.assign(recurrence, { EndAt: 'T0000', EndAfterIntervalTimes: e.occurrences });
  else if (e.kind === 'on')
    Object.assign(recurrence, { EndAt: 'T0000', EndOn: `${e.date}T00:00:00.000Z`, EndAfterIntervalTimes: 0 });
  else if (e.kind === 'at') {
    const tod = parseTime(e.at.slice(11)) as number;
    if (tod === 0)
      cannotExpress(P, `an end at midnight (${e.at}); use an end on the previous date`, '/end/at');
    Object.assign(recurrence, {
      EndAt: kTimeOut(tod, 'an end time', '/end/at'),
      EndOn: `${e.at.slice(0, 10)}T00:00:00.000Z`,
      EndAfterIntervalTimes: 0,
    });
  } else Object.assign(recurrence, { EndAt: 'T0000', EndAfterIntervalTimes: 0 });
  const out: { -readonly [K in keyof KaseyaSchedule]: KaseyaSchedule[K] } = {
    ServerTimeZone: s.zone.kind === 'server',
    Recurrence: recurrence as KaseyaSchedule['Recurrence'],
    Start: { StartOn: `${date}T00:00:00.000Z`, StartAt: startAt },
    Distribution: { Interval: 'Minutes', Magnitude: 0 },
    Exclusion: { From: 'T0000', To: 'T0000' },
  };
  if (s.distribution) {
    const m = s.distribution.minutes;
    out.Distribution =
      m % 60 === 0 ? { Interval: 'Hours', Magnitude: m / 60 } : { Interval: 'Minutes', Magnitude: m };
  }
  const ex = s.exclusions ?? [];
  if (ex.length > 1) cannotExpress(P, 'more than one exclusion window', '/exclusions');
  const [x] = ex;
  if (x) {
    if (x.kind !== 'daily')
      cannotExpress(P, 'an exclusion between two dates (only a daily From–To)', '/exclusions/0');
    out.Exclusion = {
      From: kTimeOut(parseTime(x.from) as number, 'an exclusion start', '/exclusions/0/from'),
      To: kTimeOut(parseTime(x.to) as number, 'an exclusion end', '/exclusions/0/to'),
    };
  }
  return out;
}

const ordinalWord = (n: number) =>
  `${n}${n % 10 === 1 && n !== 11 ? 'st' : n % 10 === 2 && n !== 12 ? 'nd' : n % 10 === 3 && n !== 13 ? 'rd' : 'th'}`;

/**
 * The one-line description VSA lists with scheduled procedures ("Every 1 week(s) on Thursday",
 * "Every 1 day(s)", "Every 12 month(s) on the 1st Day"). Forms the seed does not show follow the
 * same pattern.
 */
export function kaseyaRecurrenceText(s: Schedule): string {
  const r = s.recurrence;
  const onText = (on: MonthDay): string => {
    if (on.kind === 'day') return on.day === 'last' ? 'the Last Day' : `the ${ordinalWord(on.day)} Day`;
    const n = (x: Nth) => (x === 'last' ? 'Last' : ordinalWord(x));
    if (on.kind === 'class') return `the ${n(on.nth)} ${on.of === 'weekday' ? 'WeekDay' : 'WeekendDay'}`;
    return `the ${on.nth.map(n).join(', ')} ${on.days.map((d) => KASEYA_DAY_NAMES[WEEKDAYS.indexOf(d)]).join(', ')}`;
  };
  switch (r.kind) {
    case 'once':
    case 'immediately':
      return 'Once';
    case 'minutes':
      return `Every ${r.every} minute(s)`;
    case 'hours':
      return `Every ${r.every} hour(s)`;
    case 'days':
      return `Every ${r.every} day(s)`;
    case 'weekly':
      return `Every ${r.every} week(s) on ${r.days.map((d) => KASEYA_DAY_NAMES[WEEKDAYS.indexOf(d)]).join(', ')}`;
    case 'monthly':
      return `Every ${r.every} month(s) on ${onText(r.on)}`;
    case 'yearly':
      return `Every ${r.every} year(s) in ${KASEYA_MONTHS[r.month - 1]} on ${onText(r.on)}`;
  }
}
