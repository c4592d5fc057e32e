// The one canonical recurrence model. Every product format converts to and from this shape, the API
// faces accept it as JSON (validated by parseSchedule), and occurrences.ts computes its instants.
//
// Times are wall-clock times in the schedule's zone: `start` is 'YYYY-MM-DDTHH:mm', windows and
// exclusions are 'HH:mm'. Which zone: the server's, the device's (resolved by the caller when
// computing occurrences) or a named IANA zone.
import { invalid, type FieldIssue } from '../errors.ts';
import { daysFromCivil, daysInMonth, DAY_MINUTES } from './calendar.ts';
import { isValidZoneName } from './zones.ts';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
/** Day of the week; index in WEEKDAYS is 0 = Sunday … 6 = Saturday. */
export type Weekday = (typeof WEEKDAYS)[number];
/** Month of the year, 1 = January … 12 = December. */
export type Month = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12;
/** Which occurrence inside a month: the first … fifth, or the last. */
export type Nth = 1 | 2 | 3 | 4 | 5 | 'last';
export const NTHS: readonly Nth[] = [1, 2, 3, 4, 5, 'last'];

/** Which day(s) of a month an occurrence falls on. */
export type MonthDay =
  /** a day number; a month without that day is skipped (RFC 5545), 'last' is the month's last day */
  | { readonly kind: 'day'; readonly day: number | 'last' }
  /** every listed occurrence of every listed weekday: nth [1,3] × days [mon] = 1st and 3rd Monday */
  | { readonly kind: 'weekdays'; readonly nth: readonly Nth[]; readonly days: readonly Weekday[] }
  /** the nth working day (Mon–Fri) or weekend day (Sat, Sun) of the month */
  | { readonly kind: 'class'; readonly nth: Nth; readonly of: 'weekday' | 'weekendDay' };

export type Recurrence =
  /** one occurrence, at `start` */
  | { readonly kind: 'once' }
  /** one occurrence as soon as the schedule is in effect (`start` records when that was) */
  | { readonly kind: 'immediately' }
  /** every N minutes or hours of elapsed time, counted from `start` */
  | { readonly kind: 'minutes' | 'hours'; readonly every: number }
  /** every N days at the wall-clock time of `start` */
  | { readonly kind: 'days'; readonly every: number }
  /** on the given days of every Nth week (weeks begin on Monday), at the time of `start` */
  | { readonly kind: 'weekly'; readonly every: number; readonly days: readonly Weekday[] }
  /** on the given day(s) of every Nth month counted from the month of `start`, optionally only in some months */
  | {
      readonly kind: 'monthly';
      readonly every: number;
      readonly on: MonthDay;
      readonly months?: readonly Month[];
    }
  /** in one month of every Nth year */
  | { readonly kind: 'yearly'; readonly every: number; readonly month: Month; readonly on: MonthDay };

export type ScheduleZone =
  | { readonly kind: 'server' }
  | { readonly kind: 'device' }
  | { readonly kind: 'named'; readonly name: string };

export type ScheduleEnd =
  | { readonly kind: 'never' }
  /** the last occurrence is on this date (inclusive) */
  | { readonly kind: 'on'; readonly date: string }
  /** at most this many occurrences (counted after windows and exclusions) */
  | { readonly kind: 'after'; readonly occurrences: number }
  /** occurrences strictly before this wall-clock date-time */
  | { readonly kind: 'at'; readonly at: string };

/** A daily wall-clock range; `end` before `start` crosses midnight. */
export interface TimeRange {
  readonly start: string;
  readonly end: string;
}

export type Exclusion =
  /** every day between these wall-clock times (crossing midnight when to < from) */
  | { readonly kind: 'daily'; readonly from: string; readonly to: string }
  /** between two wall-clock date-times */
  | { readonly kind: 'period'; readonly from: string; readonly to: string };

export interface Schedule {
  readonly recurrence: Recurrence;
  /** first possible occurrence; its time of day is the time of day-based recurrences */
  readonly start: string;
  readonly zone: ScheduleZone;
  readonly end: ScheduleEnd;
  /**
   * Daily time window. Minute and hour recurrences fire only inside it; for the others `start`'s
   * time must lie inside it. An occurrence's window lasts from the occurrence to the window's end.
   */
  readonly window?: TimeRange;
  /** occurrences falling into an exclusion are skipped */
  readonly exclusions?: readonly Exclusion[];
  /** spread devices over this many minutes after each occurrence (deterministic per device key) */
  readonly distribution?: { readonly minutes: number };
}

export const LIMITS = {
  minutes: 525_600,
  hours: 8_760,
  days: 3_650,
  weekly: 520,
  monthly: 120,
  yearly: 100,
  occurrences: 100_000,
  distributionMinutes: 44_640,
} as const;

// ---------------------------------------------------------------------------------------------
// wall-clock strings

const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)$/;

/** minutes since midnight of 'HH:mm', or undefined */
export function parseTime(s: unknown): number | undefined {
  if (typeof s !== 'string') return undefined;
  const m = TIME_RE.exec(s);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

function civilDay(y: number, mo: number, d: number): number | undefined {
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return undefined;
  return daysFromCivil(y, mo, d);
}

/** day number of 'YYYY-MM-DD', or undefined */
export function parseDate(s: unknown): number | undefined {
  if (typeof s !== 'string') return undefined;
  const m = DATE_RE.exec(s);
  return m ? civilDay(Number(m[1]), Number(m[2]), Number(m[3])) : undefined;
}

/** local minutes since 1970-01-01T00:00 of 'YYYY-MM-DDTHH:mm', or undefined */
export function parseLocal(s: unknown): number | undefined {
  if (typeof s !== 'string') return undefined;
  const m = LOCAL_RE.exec(s);
  if (!m) return undefined;
  const day = civilDay(Number(m[1]), Number(m[2]), Number(m[3]));
  return day === undefined ? undefined : day * DAY_MINUTES + Number(m[4]) * 60 + Number(m[5]);
}

/** whether a time of day lies in a daily range (crossing midnight when end < start) */
export function inDailyRange(tod: number, from: number, to: number): boolean {
  return from < to ? tod >= from && tod < to : tod >= from || tod < to;
}

// ---------------------------------------------------------------------------------------------
// parsing

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const sortNth = (a: Nth, b: Nth) => (a === 'last' ? 6 : a) - (b === 'last' ? 6 : b);

class Issues {
  readonly list: FieldIssue[] = [];
  add(path: string, message: string): undefined {
    this.list.push({ path, message });
    return undefined;
  }
  /** reports keys that the shape does not know */
  keys(o: Obj, path: string, allowed: readonly string[]): void {
    for (const k of Object.keys(o))
      if (!allowed.includes(k))
        this.add(`${path}/${k}`, `unknown property "${k}" (allowed: ${allowed.join(', ')})`);
  }
  int(o: Obj, key: string, path: string, min: number, max: number): number | undefined {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isInteger(v))
      return this.add(
        `${path}/${key}`,
        `must be an integer from ${min} to ${max}, got ${JSON.stringify(v) ?? 'nothing'}`,
      );
    if (v < min || v > max) return this.add(`${path}/${key}`, `must be from ${min} to ${max}, got ${v}`);
    return v;
  }
  time(o: Obj, key: string, path: string): string | undefined {
    const v = o[key];
    if (parseTime(v) === undefined)
      return this.add(
        `${path}/${key}`,
        `must be a time "HH:mm" (00:00 to 23:59), got ${JSON.stringify(v) ?? 'nothing'}`,
      );
    return v as string;
  }
  local(o: Obj, key: string, path: string): string | undefined {
    const v = o[key];
    if (parseLocal(v) === undefined)
      return this.add(
        `${path}/${key}`,
        `must be a wall-clock date-time "YYYY-MM-DDTHH:mm" with a real calendar date, got ${JSON.stringify(v) ?? 'nothing'}`,
      );
    return v as string;
  }
}

function parseWeekdays(v: unknown, path: string, issues: Issues): Weekday[] | undefined {
  if (!Array.isArray(v) || v.length === 0)
    return issues.add(path, `must be a non-empty array of weekdays (${WEEKDAYS.join(', ')})`);
  const seen = new Set<Weekday>();
  v.forEach((d, i) => {
    if (!WEEKDAYS.includes(d as Weekday))
      issues.add(`${path}/${i}`, `must be one of ${WEEKDAYS.join(', ')}, got ${JSON.stringify(d)}`);
    else if (seen.has(d as Weekday)) issues.add(`${path}/${i}`, `weekday "${d}" is listed twice`);
    else seen.add(d as Weekday);
  });
  return WEEKDAYS.filter((d) => seen.has(d));
}

function parseNth(v: unknown, path: string, issues: Issues): Nth | undefined {
  if (NTHS.includes(v as Nth)) return v as Nth;
  return issues.add(path, `must be 1, 2, 3, 4, 5 or "last", got ${JSON.stringify(v) ?? 'nothing'}`);
}

function parseMonthDay(v: unknown, path: string, issues: Issues): MonthDay | undefined {
  if (!isObj(v)) return issues.add(path, 'must be an object with kind "day", "weekdays" or "class"');
  switch (v.kind) {
    case 'day': {
      issues.keys(v, path, ['kind', 'day']);
      if (v.day === 'last') return { kind: 'day', day: 'last' };
      const day = issues.int(v, 'day', path, 1, 31);
      return day === undefined ? undefined : { kind: 'day', day };
    }
    case 'weekdays': {
      issues.keys(v, path, ['kind', 'nth', 'days']);
      const days = parseWeekdays(v.days, `${path}/days`, issues);
      if (!Array.isArray(v.nth) || v.nth.length === 0)
        return issues.add(`${path}/nth`, 'must be a non-empty array of 1, 2, 3, 4, 5 or "last"');
      const nth = new Set<Nth>();
      v.nth.forEach((n, i) => {
        const p = parseNth(n, `${path}/nth/${i}`, issues);
        if (p !== undefined && nth.has(p))
          issues.add(`${path}/nth/${i}`, `${JSON.stringify(p)} is listed twice`);
        if (p !== undefined) nth.add(p);
      });
      return days ? { kind: 'weekdays', nth: [...nth].sort(sortNth), days } : undefined;
    }
    case 'class': {
      issues.keys(v, path, ['kind', 'nth', 'of']);
      const nth = parseNth(v.nth, `${path}/nth`, issues);
      if (v.of !== 'weekday' && v.of !== 'weekendDay')
        return issues.add(
          `${path}/of`,
          `must be "weekday" or "weekendDay", got ${JSON.stringify(v.of) ?? 'nothing'}`,
        );
      return nth === undefined ? undefined : { kind: 'class', nth, of: v.of };
    }
    default:
      return issues.add(
        `${path}/kind`,
        `must be "day", "weekdays" or "class", got ${JSON.stringify(v.kind) ?? 'nothing'}`,
      );
  }
}

function parseMonth(v: unknown, path: string, issues: Issues): Month | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 12) return v as Month;
  return issues.add(
    path,
    `must be a month number from 1 (January) to 12 (December), got ${JSON.stringify(v) ?? 'nothing'}`,
  );
}

function parseRecurrence(v: unknown, issues: Issues): Recurrence | undefined {
  const path = '/recurrence';
  if (!isObj(v)) return issues.add(path, 'must be an object with a "kind"');
  switch (v.kind) {
    case 'once':
    case 'immediately':
      issues.keys(v, path, ['kind']);
      return { kind: v.kind };
    case 'minutes':
    case 'hours':
    case 'days': {
      issues.keys(v, path, ['kind', 'every']);
      const every = issues.int(v, 'every', path, 1, LIMITS[v.kind]);
      return every === undefined ? undefined : { kind: v.kind, every };
    }
    case 'weekly': {
      issues.keys(v, path, ['kind', 'every', 'days']);
      const every = issues.int(v, 'every', path, 1, LIMITS.weekly);
      const days = parseWeekdays(v.days, `${path}/days`, issues);
      return every === undefined || !days ? undefined : { kind: 'weekly', every, days };
    }
    case 'monthly': {
      issues.keys(v, path, ['kind', 'every', 'on', 'months']);
      const every = issues.int(v, 'every', path, 1, LIMITS.monthly);
      const on = parseMonthDay(v.on, `${path}/on`, issues);
      let months: Month[] | undefined;
      if (v.months !== undefined) {
        if (!Array.isArray(v.months) || v.months.length === 0)
          return issues.add(
            `${path}/months`,
            'must be a non-empty array of month numbers 1 to 12 when present',
          );
        const set = new Set<Month>();
        v.months.forEach((m, i) => {
          const p = parseMonth(m, `${path}/months/${i}`, issues);
          if (p !== undefined && set.has(p)) issues.add(`${path}/months/${i}`, `month ${p} is listed twice`);
          if (p !== undefined) set.add(p);
        });
        months = [...set].sort((a, b) => a - b);
      }
      if (every === undefined || !on) return undefined;
      return months ? { kind: 'monthly', every, on, months } : { kind: 'monthly', every, on };
    }
    case 'yearly': {
      issues.keys(v, path, ['kind', 'every', 'month', 'on']);
      const every = issues.int(v, 'every', path, 1, LIMITS.yearly);
      const month = parseMonth(v.month, `${path}/month`, issues);
      const on = parseMonthDay(v.on, `${path}/on`, issues);
      if (on?.kind === 'day' && month !== undefined && on.day !== 'last' && on.day > daysInMonth(2000, month))
        issues.add(`${path}/on/day`, `month ${month} never has a day ${on.day}`);
      return every === undefined || month === undefined || !on
        ? undefined
        : { kind: 'yearly', every, month, on };
    }
    default:
      return issues.add(
        `${path}/kind`,
        `must be one of once, immediately, minutes, hours, days, weekly, monthly, yearly; got ${JSON.stringify(v.kind) ?? 'nothing'}`,
      );
  }
}

function parseZone(v: unknown, issues: Issues): ScheduleZone | undefined {
  if (!isObj(v))
    return issues.add(
      '/zone',
      'must be {"kind":"server"}, {"kind":"device"} or {"kind":"named","name":"Area/City"}',
    );
  if (v.kind === 'server' || v.kind === 'device') {
    issues.keys(v, '/zone', ['kind']);
    return { kind: v.kind };
  }
  if (v.kind === 'named') {
    issues.keys(v, '/zone', ['kind', 'name']);
    if (typeof v.name !== 'string' || !isValidZoneName(v.name))
      return issues.add(
        '/zone/name',
        `must be an IANA time zone name such as "Europe/Berlin", got ${JSON.stringify(v.name) ?? 'nothing'}`,
      );
    return { kind: 'named', name: v.name };
  }
  return issues.add(
    '/zone/kind',
    `must be "server", "device" or "named", got ${JSON.stringify(v.kind) ?? 'nothing'}`,
  );
}

function parseEnd(v: unknown, startLocal: number | undefined, issues: Issues): ScheduleEnd | undefined {
  const path = '/end';
  if (!isObj(v)) return issues.add(path, 'must be an object with kind "never", "on", "after" or "at"');
  switch (v.kind) {
    case 'never':
      issues.keys(v, path, ['kind']);
      return { kind: 'never' };
    case 'on': {
      issues.keys(v, path, ['kind', 'date']);
      const day = parseDate(v.date);
      if (day === undefined)
        return issues.add(
          `${path}/date`,
          `must be a date "YYYY-MM-DD", got ${JSON.stringify(v.date) ?? 'nothing'}`,
        );
      if (startLocal !== undefined && day < Math.floor(startLocal / DAY_MINUTES))
        return issues.add(`${path}/date`, `${v.date as string} is before the start date`);
      return { kind: 'on', date: v.date as string };
    }
    case 'after': {
      issues.keys(v, path, ['kind', 'occurrences']);
      const n = issues.int(v, 'occurrences', path, 1, LIMITS.occurrences);
      return n === undefined ? undefined : { kind: 'after', occurrences: n };
    }
    case 'at': {
      issues.keys(v, path, ['kind', 'at']);
      const at = issues.local(v, 'at', path);
      if (at !== undefined && startLocal !== undefined && (parseLocal(at) as number) <= startLocal)
        return issues.add(`${path}/at`, `${at} is not after the start`);
      return at === undefined ? undefined : { kind: 'at', at };
    }
    default:
      return issues.add(
        `${path}/kind`,
        `must be "never", "on", "after" or "at", got ${JSON.stringify(v.kind) ?? 'nothing'}`,
      );
  }
}

function parseExclusions(v: unknown, issues: Issues): Exclusion[] | undefined {
  if (!Array.isArray(v)) return issues.add('/exclusions', 'must be an array');
  const out: Exclusion[] = [];
  v.forEach((e, i) => {
    const path = `/exclusions/${i}`;
    if (!isObj(e)) return issues.add(path, 'must be an object with kind "daily" or "period"');
    if (e.kind === 'daily') {
      issues.keys(e, path, ['kind', 'from', 'to']);
      const from = issues.time(e, 'from', path);
      const to = issues.time(e, 'to', path);
      if (from !== undefined && from === to) return issues.add(`${path}/to`, 'must differ from "from"');
      if (from !== undefined && to !== undefined) out.push({ kind: 'daily', from, to });
    } else if (e.kind === 'period') {
      issues.keys(e, path, ['kind', 'from', 'to']);
      const from = issues.local(e, 'from', path);
      const to = issues.local(e, 'to', path);
      if (
        from !== undefined &&
        to !== undefined &&
        (parseLocal(to) as number) <= (parseLocal(from) as number)
      )
        return issues.add(`${path}/to`, `must be after "from" (${from})`);
      if (from !== undefined && to !== undefined) out.push({ kind: 'period', from, to });
    } else
      issues.add(`${path}/kind`, `must be "daily" or "period", got ${JSON.stringify(e.kind) ?? 'nothing'}`);
    return undefined;
  });
  return out;
}

const DAY_KINDS = new Set(['once', 'immediately', 'days', 'weekly', 'monthly', 'yearly']);

/**
 * Validates untrusted JSON and returns the canonical schedule (arrays sorted and de-duplicated).
 * Throws `invalid` listing every problem with its JSON pointer.
 */
export function parseSchedule(input: unknown): Schedule {
  const issues = new Issues();
  if (!isObj(input))
    throw invalid('invalid schedule: must be a JSON object', [{ path: '', message: 'must be an object' }]);
  issues.keys(input, '', ['recurrence', 'start', 'zone', 'end', 'window', 'exclusions', 'distribution']);
  const recurrence = parseRecurrence(input.recurrence, issues);
  const start = issues.local(input, 'start', '');
  const startLocal = parseLocal(start);
  const zone = parseZone(input.zone, issues);
  const end =
    input.end === undefined ? ({ kind: 'never' } as const) : parseEnd(input.end, startLocal, issues);
  let window: TimeRange | undefined;
  if (input.window !== undefined) {
    if (!isObj(input.window)) issues.add('/window', 'must be an object {"start":"HH:mm","end":"HH:mm"}');
    else {
      issues.keys(input.window, '/window', ['start', 'end']);
      const ws = issues.time(input.window, 'start', '/window');
      const we = issues.time(input.window, 'end', '/window');
      if (ws !== undefined && ws === we) issues.add('/window/end', 'must differ from the start');
      else if (ws !== undefined && we !== undefined) {
        window = { start: ws, end: we };
        if (recurrence && DAY_KINDS.has(recurrence.kind) && startLocal !== undefined) {
          const tod = startLocal % DAY_MINUTES;
          if (!inDailyRange(tod, parseTime(ws) as number, parseTime(we) as number))
            issues.add(
              '/start',
              `its time ${start?.slice(11)} lies outside the daily window ${ws}–${we}, so it would never occur`,
            );
        }
      }
    }
  }
  const exclusions = input.exclusions === undefined ? undefined : parseExclusions(input.exclusions, issues);
  let distribution: { minutes: number } | undefined;
  if (input.distribution !== undefined) {
    if (!isObj(input.distribution)) issues.add('/distribution', 'must be an object {"minutes": N}');
    else {
      issues.keys(input.distribution, '/distribution', ['minutes']);
      const minutes = issues.int(
        input.distribution,
        'minutes',
        '/distribution',
        1,
        LIMITS.distributionMinutes,
      );
      if (minutes !== undefined) distribution = { minutes };
    }
  }
  if (
    recurrence &&
    (recurrence.kind === 'once' || recurrence.kind === 'immediately') &&
    end &&
    end.kind !== 'never'
  )
    issues.add('/end/kind', `a "${recurrence.kind}" schedule has a single occurrence and must end "never"`);
  if (recurrence && DAY_KINDS.has(recurrence.kind) && startLocal !== undefined && exclusions) {
    const tod = startLocal % DAY_MINUTES;
    exclusions.forEach((e, i) => {
      if (e.kind === 'daily' && inDailyRange(tod, parseTime(e.from) as number, parseTime(e.to) as number))
        issues.add(
          `/exclusions/${i}`,
          `excludes the time of every occurrence (${start?.slice(11)}), so it would never occur`,
        );
    });
  }
  if (issues.list.length > 0 || !recurrence || !start || !zone || !end)
    throw invalid(
      `invalid schedule: ${issues.list.map((i) => `${i.path || '/'}: ${i.message}`).join('; ')}`,
      issues.list,
    );
  return {
    recurrence,
    start,
    zone,
    end,
    ...(window ? { window } : {}),
    ...(exclusions && exclusions.length > 0 ? { exclusions } : {}),
    ...(distribution ? { distribution } : {}),
  };
}

/** Throws `invalid` naming what a product format cannot express. */
export function cannotExpress(product: string, what: string, path: string): never {
  throw invalid(`${product} cannot express ${what}`, [
    { path, message: `${product} cannot express ${what}` },
  ]);
}
