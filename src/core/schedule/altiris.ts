// Symantec/Altiris Notification Server 7 schedule XML (seed 000: SetPluginPolicySchedules and
// SetSoftwareUpdatePolicySchedule take "a valid NS7 schedule"). The seed shows one example:
//
//   <schedule start="2008-01-01" tz="Local"><trigger dates="" months="" at="08:00:00" exact="True"
//    type="Daily" repetition="" weekdays="" weeks="" duration=""/></schedule>
//
// The seed documents nothing else, so the meaning of the other attribute values is our reading,
// kept to the attributes of that example (plus an optional `end` on <schedule>):
//   schedule@start   'YYYY-MM-DD', the start date; schedule@end 'YYYY-MM-DD', the last date (optional)
//   schedule@tz      'Local' = the device's zone, 'Server' = the server's, 'UTC' = UTC
//   trigger@type     'Once' | 'Daily' | 'Weekly' | 'Monthly' | 'Yearly'
//   trigger@at       'HH:mm:ss' start time (seconds 00)
//   trigger@repetition  ISO 8601 duration of the recurrence interval: '' = 1 of the type's unit,
//                    'P3D' every 3 days, 'P2W' every 2 weeks, 'P3M' every 3 months, 'P2Y' every 2
//                    years; 'PT15M' / 'PT2H' on a Daily trigger = every 15 minutes / 2 hours
//   trigger@duration ISO 8601 duration: with exact="True" the daily window [at, at + duration); with
//                    exact="False" the interval over which devices are spread (distribution)
//   trigger@weekdays 'Mon,Thu' (Weekly, Monthly, Yearly), or 'Weekday' / 'Weekend' for the nth
//                    working / weekend day
//   trigger@weeks    the ordinals for weekdays in a month: '1,3,L' (1–5, L = last)
//   trigger@dates    the day of the month: '15' or 'L' (last)
//   trigger@months   'Jan,Jun,Dec': the months of a Monthly trigger, the one month of a Yearly one
// Not expressible: "immediately", a named zone other than UTC, ends other than a date, exclusions,
// a window together with a distribution, a window that is not [start time, +duration), a minute or
// hour interval that does not divide a day.
import { XMLParser } from 'fast-xml-parser';
import {
  cannotExpress,
  parseSchedule,
  parseTime,
  WEEKDAYS,
  type MonthDay,
  type Nth,
  type Schedule,
} from './model.ts';
import { badValue, isObj, pad2, requireAbsent } from './convert.ts';
import { DAY_MINUTES } from './calendar.ts';

const P = 'Altiris';
const DAY_ABBR = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTH_ABBR = [
  'Jan',
  'Feb',
  'Mar',
  'Apr',
  'May',
  'Jun',
  'Jul',
  'Aug',
  'Sep',
  'Oct',
  'Nov',
  'Dec',
] as const;
const TYPES = ['Once', 'Daily', 'Weekly', 'Monthly', 'Yearly'] as const;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  processEntities: true,
});

const DUR_RE = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/;
interface Dur {
  y: number;
  mo: number;
  w: number;
  d: number;
  /** minutes of the time part */
  t: number;
}
function parseDur(v: string, path: string): Dur | undefined {
  if (v === '') return undefined;
  const m = DUR_RE.exec(v);
  if (!m || v === 'P' || v.endsWith('T'))
    badValue(P, path, `must be an ISO 8601 duration such as "PT2H" or "P2W", got ${JSON.stringify(v)}`);
  const n = (i: number) => Number(m[i] ?? 0);
  return { y: n(1), mo: n(2), w: n(3), d: n(4), t: n(5) * 60 + n(6) };
}
const only = (d: Dur, unit: keyof Dur) =>
  (Object.keys(d) as (keyof Dur)[]).every((k) => k === unit || d[k] === 0);
const minutesDur = (m: number) => `PT${m >= 60 ? `${Math.floor(m / 60)}H` : ''}${m % 60 ? `${m % 60}M` : ''}`;

function list<T extends string>(v: string, names: readonly T[], path: string): T[] {
  return v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map((x) => {
      const i = names.findIndex((n) => n.toLowerCase() === x.toLowerCase());
      if (i < 0) badValue(P, path, `"${x}" is not one of ${names.join(', ')}`);
      return names[i] as T;
    });
}

function parseOn(t: Record<string, string>): MonthDay {
  const dates = t.dates ?? '';
  const weekdays = t.weekdays ?? '';
  if (dates !== '') {
    if (weekdays !== '' || (t.weeks ?? '') !== '')
      badValue(P, '/trigger/dates', 'cannot be combined with weekdays or weeks');
    if (dates.includes(',')) badValue(P, '/trigger/dates', 'only one day of the month can be expressed');
    if (dates.toUpperCase() === 'L') return { kind: 'day', day: 'last' };
    if (!/^\d{1,2}$/.test(dates) || Number(dates) < 1 || Number(dates) > 31)
      badValue(P, '/trigger/dates', `must be a day 1 to 31 or L, got ${JSON.stringify(dates)}`);
    return { kind: 'day', day: Number(dates) };
  }
  const weeks: Nth[] = (t.weeks ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map((x) => {
      if (x.toUpperCase() === 'L') return 'last';
      if (!/^[1-5]$/.test(x))
        badValue(P, '/trigger/weeks', `must list 1 to 5 or L, got ${JSON.stringify(x)}`);
      return Number(x) as Nth;
    });
  if (weeks.length === 0 || weekdays === '')
    badValue(P, '/trigger', 'a monthly or yearly trigger needs dates, or weekdays with weeks');
  if (/^week(day|end)$/i.test(weekdays)) {
    if (weeks.length !== 1) badValue(P, '/trigger/weeks', 'exactly one ordinal goes with Weekday or Weekend');
    return {
      kind: 'class',
      nth: weeks[0] as Nth,
      of: weekdays.toLowerCase() === 'weekday' ? 'weekday' : 'weekendDay',
    };
  }
  return {
    kind: 'weekdays',
    nth: weeks,
    days: list(weekdays, DAY_ABBR, '/trigger/weekdays').map((d) => WEEKDAYS[DAY_ABBR.indexOf(d)]!),
  };
}

export function fromAltirisXml(xml: string): Schedule {
  let doc: unknown;
  try {
    doc = parser.parse(xml, true);
  } catch (e) {
    return badValue(P, '/', `not well-formed XML: ${(e as Error).message}`);
  }
  const sch = isObj(doc) ? doc.schedule : undefined;
  if (!isObj(sch)) return badValue(P, '/schedule', 'a <schedule> element is required');
  const trig = sch.trigger;
  if (Array.isArray(trig)) return badValue(P, '/schedule/trigger', 'only one <trigger> can be expressed');
  if (!isObj(trig)) return badValue(P, '/schedule/trigger', 'a <trigger> element is required');
  const t = trig as Record<string, string>;
  const s = sch as Record<string, string>;
  const tz = s.tz ?? 'Local';
  const zone =
    tz === 'Local'
      ? { kind: 'device' }
      : tz === 'Server'
        ? { kind: 'server' }
        : tz === 'UTC'
          ? { kind: 'named', name: 'UTC' }
          : undefined;
  if (!zone) badValue(P, '/schedule/tz', `must be Local, Server or UTC, got ${JSON.stringify(tz)}`);
  const at = /^([01]\d|2[0-3]):([0-5]\d):00$/.exec(t.at ?? '');
  if (!at) badValue(P, '/trigger/at', `must be a time "HH:mm:00", got ${JSON.stringify(t.at) ?? 'nothing'}`);
  const type = t.type as (typeof TYPES)[number];
  if (!TYPES.includes(type))
    badValue(
      P,
      '/trigger/type',
      `must be one of ${TYPES.join(', ')}, got ${JSON.stringify(t.type) ?? 'nothing'}`,
    );
  const exact = (t.exact ?? 'True').toLowerCase();
  if (exact !== 'true' && exact !== 'false')
    badValue(P, '/trigger/exact', `must be True or False, got ${JSON.stringify(t.exact)}`);
  const rep = parseDur(t.repetition ?? '', '/trigger/repetition');
  const dur = parseDur(t.duration ?? '', '/trigger/duration');
  if (dur && !only(dur, 't')) badValue(P, '/trigger/duration', 'must be hours and minutes (PT…)');
  const tod = Number(at[1]) * 60 + Number(at[2]);
  const draft: Record<string, unknown> = { start: `${s.start ?? ''}T${at[1]}:${at[2]}`, zone };
  if (s.end) draft.end = { kind: 'on', date: s.end };
  if (dur && dur.t > 0) {
    if (exact === 'false') draft.distribution = { minutes: dur.t };
    else {
      if (dur.t >= DAY_MINUTES) badValue(P, '/trigger/duration', 'a window must be shorter than a day');
      const end = (tod + dur.t) % DAY_MINUTES;
      draft.window = { start: `${at[1]}:${at[2]}`, end: `${pad2(Math.floor(end / 60))}:${pad2(end % 60)}` };
    }
  }
  const every = (unit: keyof Dur) => {
    if (!rep) return 1;
    if (!only(rep, unit) || rep[unit] < 1)
      badValue(
        P,
        '/trigger/repetition',
        `a ${type} trigger repeats in ${unit === 'd' ? 'days (PnD)' : unit === 'w' ? 'weeks (PnW)' : unit === 'mo' ? 'months (PnM)' : 'years (PnY)'}`,
      );
    return rep[unit];
  };
  switch (type) {
    case 'Once':
      if (rep) badValue(P, '/trigger/repetition', 'must be empty for a Once trigger');
      draft.recurrence = { kind: 'once' };
      break;
    case 'Daily':
      if (rep && rep.t > 0 && only(rep, 't')) {
        if (DAY_MINUTES % rep.t !== 0)
          badValue(P, '/trigger/repetition', 'a repetition within the day must divide 24 hours');
        draft.recurrence =
          rep.t % 60 === 0 ? { kind: 'hours', every: rep.t / 60 } : { kind: 'minutes', every: rep.t };
      } else draft.recurrence = { kind: 'days', every: every('d') };
      break;
    case 'Weekly':
      draft.recurrence = {
        kind: 'weekly',
        every: every('w'),
        days: list(t.weekdays ?? '', DAY_ABBR, '/trigger/weekdays').map((d) => WEEKDAYS[DAY_ABBR.indexOf(d)]),
      };
      break;
    case 'Monthly': {
      const months = list(t.months ?? '', MONTH_ABBR, '/trigger/months').map(
        (m) => MONTH_ABBR.indexOf(m) + 1,
      );
      draft.recurrence = {
        kind: 'monthly',
        every: every('mo'),
        on: parseOn(t),
        ...(months.length ? { months } : {}),
      };
      break;
    }
    case 'Yearly': {
      const months = list(t.months ?? '', MONTH_ABBR, '/trigger/months');
      if (months.length !== 1) badValue(P, '/trigger/months', 'a Yearly trigger names exactly one month');
      draft.recurrence = {
        kind: 'yearly',
        every: every('y'),
        month: MONTH_ABBR.indexOf(months[0]!) + 1,
        on: parseOn(t),
      };
      break;
    }
  }
  return parseSchedule(draft);
}

const attr = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function toAltirisXml(s: Schedule): string {
  requireAbsent(P, s, ['exclusions']);
  if (s.end.kind !== 'never' && s.end.kind !== 'on')
    cannotExpress(P, `an end "${s.end.kind}" (only an end date)`, '/end');
  const tz =
    s.zone.kind === 'device'
      ? 'Local'
      : s.zone.kind === 'server'
        ? 'Server'
        : s.zone.name === 'UTC'
          ? 'UTC'
          : undefined;
  if (!tz)
    return cannotExpress(
      P,
      `the named time zone ${(s.zone as { name: string }).name} (only Local, Server, UTC)`,
      '/zone',
    );
  if (s.window && s.distribution)
    cannotExpress(P, 'a daily window together with a distribution window', '/distribution');
  const r = s.recurrence;
  if (r.kind === 'immediately') cannotExpress(P, 'an "immediately" recurrence', '/recurrence/kind');
  const time = s.start.slice(11, 16);
  const tod = parseTime(time) as number;
  const t = {
    dates: '',
    months: '',
    at: `${time}:00`,
    exact: 'True',
    type: '',
    repetition: '',
    weekdays: '',
    weeks: '',
    duration: '',
  };
  if (s.window) {
    if (s.window.start !== time)
      cannotExpress(
        P,
        `a window (${s.window.start}) that does not open at the start time (${time})`,
        '/window',
      );
    const len = ((parseTime(s.window.end) as number) - tod + DAY_MINUTES) % DAY_MINUTES;
    t.duration = minutesDur(len);
  }
  if (s.distribution) {
    t.exact = 'False';
    t.duration = minutesDur(s.distribution.minutes);
  }
  const rep = (n: number, unit: string) => (n === 1 ? '' : `P${n}${unit}`);
  const on = (o: MonthDay) => {
    if (o.kind === 'day') t.dates = o.day === 'last' ? 'L' : String(o.day);
    else if (o.kind === 'class') {
      t.weekdays = o.of === 'weekday' ? 'Weekday' : 'Weekend';
      t.weeks = o.nth === 'last' ? 'L' : String(o.nth);
    } else {
      t.weekdays = o.days.map((d) => DAY_ABBR[WEEKDAYS.indexOf(d)]).join(',');
      t.weeks = o.nth.map((n) => (n === 'last' ? 'L' : String(n))).join(',');
    }
  };
  switch (r.kind) {
    case 'once':
      t.type = 'Once';
      break;
    case 'minutes':
    case 'hours': {
      const m = r.every * (r.kind === 'hours' ? 60 : 1);
      if (DAY_MINUTES % m !== 0)
        cannotExpress(P, `a repetition every ${m} minutes (it must divide 24 hours)`, '/recurrence/every');
      t.type = 'Daily';
      t.repetition = minutesDur(m);
      break;
    }
    case 'days':
      t.type = 'Daily';
      t.repetition = rep(r.every, 'D');
      break;
    case 'weekly':
      t.type = 'Weekly';
      t.repetition = rep(r.every, 'W');
      t.weekdays = r.days.map((d) => DAY_ABBR[WEEKDAYS.indexOf(d)]).join(',');
      break;
    case 'monthly':
      t.type = 'Monthly';
      t.repetition = rep(r.every, 'M');
      t.months = (r.months ?? []).map((m) => MONTH_ABBR[m - 1]).join(',');
      on(r.on);
      break;
    case 'yearly':
      t.type = 'Yearly';
      t.repetition = rep(r.every, 'Y');
      t.months = MONTH_ABBR[r.month - 1] as string;
      on(r.on);
      break;
  }
  const attrs = (Object.keys(t) as (keyof typeof t)[]).map((k) => `${k}="${attr(t[k])}"`).join(' ');
  const end = s.end.kind === 'on' ? ` end="${s.end.date}"` : '';
  return `<schedule start="${s.start.slice(0, 10)}"${end} tz="${tz}"><trigger ${attrs}/></schedule>`;
}
