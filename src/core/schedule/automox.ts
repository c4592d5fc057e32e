// Automox policy schedules (seed 003): three bitmasks and a time.
//
//   schedule_days            Sun|Sat|Fri|Thu|Wed|Tue|Mon|0        (254 = every day, 42 = Mon/Wed/Fri)
//   schedule_weeks_of_month  5th|4th|3rd|2nd|1st|0                (62 = every week, 20 = 2nd/4th)
//   schedule_months          Dec|…|Feb|Jan|0                      (8190 = every month, 4680 = Mar/Jun/Sep/Dec)
//   schedule_time            "hh:mm"
//
// Decision on the seed's inconsistency: the example `schedule_days: 146` is noted "Mon,Thu,Fri", but
// 146 = 10010010, which the documented layout reads as Sun, Thu, Mon. The bit layout is the contract
// (it is confirmed by the seed's own 254 and 42), so 146 means Sunday, Thursday and Monday.
//
// The "nth week of the month" is the nth occurrence of the weekday in the month (days 1–7 are the
// 1st week, 29–31 the 5th). Automox runs policies in the device's local time.
//
// Expressible: weekly every week on some days (weeks 62, months 8190), and monthly every month on
// the 1st–5th occurrences of some weekdays in some months; in the device's zone, with no end,
// window, exclusion or distribution, and the start date of the context (Automox stores none).
// Round trip: canonical → Automox → canonical is the identity on those forms, except that a monthly
// form on all five weeks of all twelve months comes back as the equivalent weekly form.
import {
  cannotExpress,
  parseTime,
  WEEKDAYS,
  type Month,
  type Nth,
  type Schedule,
  type Weekday,
} from './model.ts';
import {
  badValue,
  contextStartDate,
  isObj,
  requireAbsent,
  requireContextStartDate,
  type ConvertContext,
} from './convert.ts';
import { formatMinutes } from './calendar.ts';

export interface AutomoxSchedule {
  readonly schedule_days: number;
  readonly schedule_weeks_of_month: number;
  readonly schedule_months: number;
  readonly schedule_time: string;
}

const P = 'Automox';
export const AUTOMOX_EVERY_WEEK = 62;
export const AUTOMOX_EVERY_MONTH = 8190;

/** bit of a weekday in schedule_days: Mon = 1 … Sat = 6, Sun = 7 */
const dayBit = (d: Weekday) => (d === 'sun' ? 7 : WEEKDAYS.indexOf(d));

function mask(o: Record<string, unknown>, key: string, bits: number): number {
  const v = o[key];
  const max = (1 << (bits + 1)) - 2;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    badValue(P, `/${key}`, `must be a non-negative integer bitmask, got ${JSON.stringify(v) ?? 'nothing'}`);
  if (v & 1) badValue(P, `/${key}`, `${v} sets the trailing bit, which must be 0`);
  if (v > max) badValue(P, `/${key}`, `${v} sets bits beyond the ${bits} defined ones (largest is ${max})`);
  if (v === 0) badValue(P, `/${key}`, 'selects nothing (0)');
  return v;
}

export function fromAutomox(input: unknown, ctx?: ConvertContext): Schedule {
  if (!isObj(input)) badValue(P, '', 'must be an object');
  const days = mask(input, 'schedule_days', 7);
  const weeks = mask(input, 'schedule_weeks_of_month', 5);
  const months = mask(input, 'schedule_months', 12);
  const tod = parseTime(input.schedule_time);
  if (tod === undefined)
    badValue(
      P,
      '/schedule_time',
      `must be a time "hh:mm", got ${JSON.stringify(input.schedule_time) ?? 'nothing'}`,
    );
  const dayList = WEEKDAYS.filter((d) => days & (1 << dayBit(d)));
  const start = `${contextStartDate(P, ctx)}T${formatMinutes(tod)}`;
  const base = { start, zone: { kind: 'device' as const }, end: { kind: 'never' as const } };
  if (weeks === AUTOMOX_EVERY_WEEK && months === AUTOMOX_EVERY_MONTH)
    return { recurrence: { kind: 'weekly', every: 1, days: dayList }, ...base };
  const nth = ([1, 2, 3, 4, 5] as const).filter((n) => weeks & (1 << n));
  const monthList = ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] as const).filter((m) => months & (1 << m));
  return {
    recurrence: {
      kind: 'monthly',
      every: 1,
      on: { kind: 'weekdays', nth, days: dayList },
      ...(months === AUTOMOX_EVERY_MONTH ? {} : { months: monthList }),
    },
    ...base,
  };
}

export function toAutomox(s: Schedule, ctx?: ConvertContext): AutomoxSchedule {
  if (s.zone.kind !== 'device')
    cannotExpress(
      P,
      `a schedule in the ${s.zone.kind === 'server' ? "server's" : 'named'} time zone (it runs in device time)`,
      '/zone',
    );
  requireAbsent(P, s, ['end', 'window', 'exclusions', 'distribution']);
  requireContextStartDate(P, s, ctx);
  const r = s.recurrence;
  const time = s.start.slice(11, 16);
  const daysMask = (days: readonly Weekday[]) => days.reduce((m, d) => m | (1 << dayBit(d)), 0);
  if (r.kind === 'weekly') {
    if (r.every !== 1) cannotExpress(P, `a weekly schedule every ${r.every} weeks`, '/recurrence/every');
    return {
      schedule_days: daysMask(r.days),
      schedule_weeks_of_month: AUTOMOX_EVERY_WEEK,
      schedule_months: AUTOMOX_EVERY_MONTH,
      schedule_time: time,
    };
  }
  if (r.kind === 'monthly') {
    if (r.every !== 1) cannotExpress(P, `a monthly schedule every ${r.every} months`, '/recurrence/every');
    if (r.on.kind !== 'weekdays')
      cannotExpress(
        P,
        r.on.kind === 'day' ? 'a day of the month' : 'the nth working or weekend day',
        '/recurrence/on',
      );
    if (r.on.nth.includes('last'))
      cannotExpress(P, 'the last weekday of a month (only the 1st to 5th week)', '/recurrence/on/nth');
    const weeks = (r.on.nth as readonly Exclude<Nth, 'last'>[]).reduce((m, n) => m | (1 << n), 0);
    const months = (r.months ?? ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] as readonly Month[])).reduce(
      (m, n) => m | (1 << n),
      0,
    );
    return {
      schedule_days: daysMask(r.on.days),
      schedule_weeks_of_month: weeks,
      schedule_months: months,
      schedule_time: time,
    };
  }
  return cannotExpress(
    P,
    `a "${r.kind}" recurrence (only weekly and monthly by week of month)`,
    '/recurrence/kind',
  );
}
