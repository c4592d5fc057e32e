// Bitdefender GravityZone maintenance-window schedules (seed 002): `scheduler` and `oldScheduler`.
//
// scheduler: recurrence 1 (immediately), 3 (weekly: weeklyRecurrence {every 1–4, days 0–6}) or 4
// (monthly: monthlyRecurrence {every 1–12, frequency 0 = day frequencyDayNumber 1–31, 1–4 = first …
// fourth, 5 = last frequencyDayOfWeek 0–6}); startDate (epoch seconds, 10 digits); between {startHour
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
import { invalid } from '../errors.ts';
import {
  contextStartDate,
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

export const GZ_RECURRENCE = { immediately: 1, daily: 2, weekly: 3, monthly: 4 } as const;

export interface GzScheduler {
  /** 1 immediately, 3 weekly, 4 monthly (scan schedules: 3 or 4 only) */
  readonly recurrence: 1 | 3 | 4;
  /** epoch seconds (10 digits) */
  readonly startDate?: number;
  readonly between?: GzBetween;
  readonly weeklyRecurrence?: { readonly every: number; readonly days: readonly number[] };
  readonly monthlyRecurrence?: {
    readonly every: number;
    /** 0 on day `frequencyDayNumber`; 1–4 on the first…fourth, 5 on the last `frequencyDayOfWeek` */
    readonly frequency: 0 | 1 | 2 | 3 | 4 | 5;
    readonly frequencyDayNumber?: number;
    readonly frequencyDayOfWeek?: number;
  };
}

export interface GzOldScheduler {
  /** 1 immediately, 2 daily, 3 weekly (scan schedules: 2 or 3 only) */
  readonly recurrence: 1 | 2 | 3;
  readonly startHour?: number;
  readonly startMinute?: number;
  /** weekly only; 0 = Sunday … 6 = Saturday */
  readonly days?: readonly number[];
}

const P = 'GravityZone';
const device = { kind: 'device' as const };
const never = { kind: 'never' as const };

// ---- the rules ------------------------------------------------------------------------------------------
// GravityZone's schedule objects are validated here and only here, exactly as the seed states: the
// schedule conversion (fromGzScheduler) and the maintenance-window parameters (core/windows) both read
// with these functions. A broken rule is reported as a problem with its place; each caller words it
// (the window parameters list every issue in the JSON-RPC face's words, the conversion names them in
// one `invalid` error).

/** Which operation a schedule belongs to: scans allow fewer recurrences than installs. */
export type GzScheduleUse = 'scan' | 'install';

/** keys and array indexes from the object read to the broken field */
export type GzPath = readonly (string | number)[];

export type GzProblem =
  /** absent; `when` says why it is needed ("when recurrence is 3 (weekly)") */
  | { readonly kind: 'required'; readonly when?: string }
  | { readonly kind: 'object'; readonly value: unknown; readonly fields?: string }
  /** not an integer in [min, max]; `rangeText` words the range ("between startHour (21) and 23") */
  | {
      readonly kind: 'int';
      readonly value: unknown;
      readonly min: number;
      readonly max: number;
      readonly rangeText?: string;
    }
  /** absent or not one of the recurrences this use allows */
  | {
      readonly kind: 'recurrence';
      readonly value: unknown;
      readonly allowed: readonly number[];
      readonly use: GzScheduleUse;
      readonly fallback: boolean;
    }
  /** startDate that is not epoch seconds of 10 digits */
  | { readonly kind: 'epoch'; readonly value: unknown }
  /** a list of days that is absent, not an array or empty */
  | { readonly kind: 'days'; readonly value: unknown; readonly when: string }
  /** a day that is not an integer from 0 (Sunday) to 6 (Saturday) */
  | { readonly kind: 'day'; readonly value: unknown }
  /** worded alike for every caller */
  | { readonly kind: 'rule'; readonly message: string };

export type GzReport = (path: GzPath, problem: GzProblem) => void;

export const GZ_EPOCH_MIN = 1_000_000_000; // the smallest 10-digit epoch second (2001-09-09)
export const GZ_EPOCH_MAX = 9_999_999_999;
export const GZ_RECURRENCE_NAMES: Readonly<Record<number, string>> = {
  1: 'immediately',
  2: 'daily',
  3: 'weekly',
  4: 'monthly',
};
const SCHEDULER_RECURRENCES: Record<GzScheduleUse, readonly number[]> = { scan: [3, 4], install: [1, 3, 4] };
const OLD_SCHEDULER_RECURRENCES: Record<GzScheduleUse, readonly number[]> = {
  scan: [2, 3],
  install: [1, 2, 3],
};
const WEEKDAY_RANGE = 'between 0 (Sunday) and 6 (Saturday)';
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** counts what `report` was told, to know whether a part was valid */
function counting(report: GzReport): GzReport & { count: number } {
  const r = ((path: GzPath, problem: GzProblem) => {
    r.count++;
    report(path, problem);
  }) as GzReport & { count: number };
  r.count = 0;
  return r;
}

function readInt(
  o: Obj,
  key: string,
  path: GzPath,
  report: GzReport,
  range: { min: number; max: number; rangeText?: string },
  required = false,
): number | undefined {
  const v = o[key];
  if (v === undefined) {
    if (required) report([...path, key], { kind: 'required' });
    return undefined;
  }
  if (!isInt(v) || v < range.min || v > range.max) {
    report([...path, key], { kind: 'int', value: v, ...range });
    return undefined;
  }
  return v;
}

/** `between`: hours 0–23, minutes 0–59, endHour from startHour, and start strictly before end. */
export function readGzBetween(v: unknown, path: GzPath, report: GzReport): GzBetween | undefined {
  if (!isObj(v)) {
    report(path, { kind: 'object', value: v, fields: '{startHour, startMinute, endHour, endMinute}' });
    return undefined;
  }
  const startHour = readInt(v, 'startHour', path, report, { min: 0, max: 23 }, true);
  const startMinute = readInt(v, 'startMinute', path, report, { min: 0, max: 59 }, true);
  const endHour = readInt(
    v,
    'endHour',
    path,
    report,
    startHour === undefined
      ? { min: 0, max: 23 }
      : { min: startHour, max: 23, rangeText: `between startHour (${startHour}) and 23` },
    true,
  );
  // the seed's `between` table spells `endminute` while its examples write `endMinute`: both are read
  let endMinute: number | undefined;
  const camel = v['endMinute'];
  const lower = v['endminute'];
  if (camel !== undefined && lower !== undefined && camel !== lower) {
    report([...path, 'endminute'], {
      kind: 'rule',
      message: `conflicts with endMinute (${JSON.stringify(camel)} vs ${JSON.stringify(lower)}); send one of them`,
    });
  } else if (camel === undefined && lower === undefined) {
    report([...path, 'endMinute'], { kind: 'required' });
  } else {
    endMinute = readInt(v, camel !== undefined ? 'endMinute' : 'endminute', path, report, {
      min: 0,
      max: 59,
    });
  }
  if (
    startHour === undefined ||
    startMinute === undefined ||
    endHour === undefined ||
    endMinute === undefined
  )
    return undefined;
  if (startHour * 60 + startMinute >= endHour * 60 + endMinute) {
    report(path, {
      kind: 'rule',
      message: `startHour:startMinute (${pad2(startHour)}:${pad2(startMinute)}) must be less than endHour:endMinute (${pad2(endHour)}:${pad2(endMinute)})`,
    });
    return undefined;
  }
  return { startHour, startMinute, endHour, endMinute };
}

/** Days of the week: integers 0 (Sunday) to 6 (Saturday), each at most once, at least one. */
function readDays(o: Obj, path: GzPath, report: GzReport, when: string): number[] | undefined {
  const list = o['days'];
  const p = [...path, 'days'];
  if (!Array.isArray(list) || list.length === 0) {
    report(p, { kind: 'days', value: list, when });
    return undefined;
  }
  const bad = list.filter((d: unknown, i) => {
    const wrong = !isInt(d) || d < 0 || d > 6;
    if (wrong) report([...p, i], { kind: 'day', value: d });
    return wrong;
  });
  // repeats are named after every day out of range, at the later index
  const seen = new Map<unknown, number>();
  list.forEach((d: unknown, i) => {
    if (!isInt(d) || d < 0 || d > 6) return;
    const first = seen.get(d);
    if (first === undefined) seen.set(d, i);
    else report([...p, i], { kind: 'rule', message: `repeats day ${d} (already at index ${first})` });
  });
  return bad.length === 0 && seen.size === list.length ? (list as number[]) : undefined;
}

function readRecurrence<T extends number>(
  o: Obj,
  path: GzPath,
  report: GzReport,
  use: GzScheduleUse,
  fallback: boolean,
): T | undefined {
  const allowed = (fallback ? OLD_SCHEDULER_RECURRENCES : SCHEDULER_RECURRENCES)[use];
  const r = o['recurrence'];
  if (typeof r === 'number' && allowed.includes(r)) return r as T;
  report([...path, 'recurrence'], { kind: 'recurrence', value: r, allowed, use, fallback });
  return undefined;
}

/** `scheduler`, the current system: immediately, weekly every N weeks, monthly every N months. */
export function readGzScheduler(
  v: unknown,
  path: GzPath,
  reportTo: GzReport,
  use: GzScheduleUse,
): GzScheduler | undefined {
  if (!isObj(v)) {
    reportTo(path, { kind: 'object', value: v });
    return undefined;
  }
  const report = counting(reportTo);
  const recurrence = readRecurrence<1 | 3 | 4>(v, path, report, use, false);

  // startDate and between: required for weekly and monthly schedules (they say from when and at what time
  // of day); optional for "immediately", validated when present.
  const timed = recurrence === 3 || recurrence === 4;
  const why = `when recurrence is ${recurrence} (${GZ_RECURRENCE_NAMES[recurrence ?? 0]})`;
  let startDate: number | undefined;
  const sd = v['startDate'];
  if (sd === undefined) {
    if (timed) report([...path, 'startDate'], { kind: 'required', when: why });
  } else if (!isInt(sd) || sd < GZ_EPOCH_MIN || sd > GZ_EPOCH_MAX) {
    report([...path, 'startDate'], { kind: 'epoch', value: sd });
  } else startDate = sd;
  let between: GzBetween | undefined;
  if (v['between'] === undefined) {
    if (timed) report([...path, 'between'], { kind: 'required', when: why });
  } else between = readGzBetween(v['between'], [...path, 'between'], report);

  let weeklyRecurrence: GzScheduler['weeklyRecurrence'];
  const w = v['weeklyRecurrence'];
  const wp = [...path, 'weeklyRecurrence'];
  if (w === undefined) {
    if (recurrence === 3) report(wp, { kind: 'required', when: 'when recurrence is 3 (weekly)' });
  } else if (recurrence !== undefined && recurrence !== 3) {
    report(wp, {
      kind: 'rule',
      message: `is only available when recurrence is 3 (weekly), not ${recurrence} (${GZ_RECURRENCE_NAMES[recurrence]})`,
    });
  } else if (!isObj(w)) {
    report(wp, { kind: 'object', value: w, fields: '{every, days}' });
  } else {
    const every = readInt(w, 'every', wp, report, { min: 1, max: 4 }, true);
    const days = readDays(w, wp, report, 'for a weekly schedule');
    if (every !== undefined && days) weeklyRecurrence = { every, days };
  }

  let monthlyRecurrence: GzScheduler['monthlyRecurrence'];
  const m = v['monthlyRecurrence'];
  const mp = [...path, 'monthlyRecurrence'];
  if (m === undefined) {
    if (recurrence === 4) report(mp, { kind: 'required', when: 'when recurrence is 4 (monthly)' });
  } else if (recurrence !== undefined && recurrence !== 4) {
    report(mp, {
      kind: 'rule',
      message: `is only available when recurrence is 4 (monthly), not ${recurrence} (${GZ_RECURRENCE_NAMES[recurrence]})`,
    });
  } else if (!isObj(m)) {
    report(mp, {
      kind: 'object',
      value: m,
      fields: '{every, frequency, frequencyDayNumber | frequencyDayOfWeek}',
    });
  } else {
    const every = readInt(m, 'every', mp, report, { min: 1, max: 12 }, true);
    const frequency = readInt(
      m,
      'frequency',
      mp,
      report,
      { min: 0, max: 5, rangeText: 'between 0 (a day of the month) and 5 (the last weekday)' },
      true,
    );
    let dayNumber: number | undefined;
    let dayOfWeek: number | undefined;
    if (frequency === 0) {
      if (m['frequencyDayNumber'] === undefined)
        report([...mp, 'frequencyDayNumber'], {
          kind: 'required',
          when: 'when frequency is 0 (a specific day of the month)',
        });
      else dayNumber = readInt(m, 'frequencyDayNumber', mp, report, { min: 1, max: 31 });
    } else if (frequency !== undefined) {
      if (m['frequencyDayOfWeek'] === undefined) {
        report([...mp, 'frequencyDayOfWeek'], {
          kind: 'required',
          when: `when frequency is ${frequency} (the ${['', 'first', 'second', 'third', 'fourth', 'last'][frequency]} weekday of the month)`,
        });
      } else
        dayOfWeek = readInt(m, 'frequencyDayOfWeek', mp, report, {
          min: 0,
          max: 6,
          rangeText: WEEKDAY_RANGE,
        });
    }
    if (
      every !== undefined &&
      frequency !== undefined &&
      (dayNumber !== undefined || dayOfWeek !== undefined)
    ) {
      monthlyRecurrence = {
        every,
        frequency: frequency as 0 | 1 | 2 | 3 | 4 | 5,
        ...(dayNumber !== undefined ? { frequencyDayNumber: dayNumber } : { frequencyDayOfWeek: dayOfWeek! }),
      };
    }
  }
  if (report.count > 0 || recurrence === undefined) return undefined;
  return {
    recurrence,
    ...(startDate !== undefined ? { startDate } : {}),
    ...(between ? { between } : {}),
    ...(weeklyRecurrence ? { weeklyRecurrence } : {}),
    ...(monthlyRecurrence ? { monthlyRecurrence } : {}),
  };
}

/** `oldScheduler`, the fallback system: immediately, daily, weekly at a time of day. */
export function readGzOldScheduler(
  v: unknown,
  path: GzPath,
  reportTo: GzReport,
  use: GzScheduleUse,
): GzOldScheduler | undefined {
  if (!isObj(v)) {
    reportTo(path, { kind: 'object', value: v });
    return undefined;
  }
  const report = counting(reportTo);
  const recurrence = readRecurrence<1 | 2 | 3>(v, path, report, use, true);
  // daily and weekly run at startHour:startMinute; "immediately" needs no time (validated when present)
  const timed = recurrence === 2 || recurrence === 3;
  const why = `when recurrence is ${recurrence} (${GZ_RECURRENCE_NAMES[recurrence ?? 0]})`;
  const startHour = readInt(v, 'startHour', path, report, { min: 0, max: 23 });
  const startMinute = readInt(v, 'startMinute', path, report, { min: 0, max: 59 });
  if (timed && v['startHour'] === undefined) report([...path, 'startHour'], { kind: 'required', when: why });
  if (timed && v['startMinute'] === undefined)
    report([...path, 'startMinute'], { kind: 'required', when: why });
  // the seed: days "must be included" for a weekly schedule and are "ignored if recurrence = 2"
  const days = recurrence === 3 ? readDays(v, path, report, 'when recurrence is 3 (weekly)') : undefined;
  if (report.count > 0 || recurrence === undefined) return undefined;
  return {
    recurrence,
    ...(startHour !== undefined ? { startHour } : {}),
    ...(startMinute !== undefined ? { startMinute } : {}),
    ...(days ? { days } : {}),
  };
}

// ---- conversion -----------------------------------------------------------------------------------------

const shown = (v: unknown) => JSON.stringify(v) ?? 'nothing';
const orList = (codes: readonly number[]) => {
  const named = codes.map((c) => `${c} (${GZ_RECURRENCE_NAMES[c]})`);
  return named.length > 1 ? `${named.slice(0, -1).join(', ')} or ${named.at(-1)}` : (named[0] ?? '');
};

/** the conversion's words for a problem */
function conversionWords(p: GzProblem): string {
  switch (p.kind) {
    case 'required':
      return p.when ? `is required ${p.when}` : 'is required';
    case 'object':
      return `must be an object${p.fields ? ` ${p.fields}` : ''}`;
    case 'int':
      return `must be an integer from ${p.min} to ${p.max}, got ${shown(p.value)}`;
    case 'recurrence':
      return `must be ${orList(p.allowed)}, got ${shown(p.value)}`;
    case 'epoch':
      return `must be an integer from ${GZ_EPOCH_MIN} to ${GZ_EPOCH_MAX} (epoch seconds), got ${shown(p.value)}`;
    case 'days':
      return 'must be a non-empty array of days 0 (Sunday) to 6 (Saturday)';
    case 'day':
      return `must be a day 0 (Sunday) to 6 (Saturday), got ${shown(p.value)}`;
    case 'rule':
      return p.message;
  }
}

/** reads with the rules above; every broken rule goes into one `invalid` error (paths as JSON pointers) */
function readOrThrow<T>(base: string, read: (report: GzReport) => T | undefined): T {
  const issues: { path: string; message: string }[] = [];
  const value = read((path, problem) =>
    issues.push({
      path: `${base}${path.map((k) => `/${k}`).join('')}` || '/',
      message: conversionWords(problem),
    }),
  );
  if (issues.length || value === undefined)
    throw invalid(`${P}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  return value;
}

const weekdaysOf = (days: readonly number[]) => WEEKDAYS.filter((_, i) => days.includes(i));

/** 'YYYY-MM-DD' and 'HH:mm' of epoch seconds, read in UTC */
function utcParts(epoch: number): [string, string] {
  const iso = new Date(epoch * 1000).toISOString();
  return [iso.slice(0, 10), iso.slice(11, 16)];
}

export function fromGzScheduler(input: unknown, ctx?: ConvertContext, path = ''): Schedule {
  const g = readOrThrow(path, (report) => readGzScheduler(input, [], report, 'install'));
  if (g.recurrence === 1) {
    const start =
      g.startDate === undefined ? `${contextStartDate(P, ctx)}T00:00` : utcParts(g.startDate).join('T');
    return { recurrence: { kind: 'immediately' }, start, zone: device, end: never };
  }
  // weekly and monthly: the rules above made sure of startDate, between and the recurrence object
  const b = g.between!;
  const window: TimeRange = {
    start: `${pad2(b.startHour)}:${pad2(b.startMinute)}`,
    end: `${pad2(b.endHour)}:${pad2(b.endMinute)}`,
  };
  const start = `${utcParts(g.startDate!)[0]}T${window.start}`;
  if (g.recurrence === 3) {
    const w = g.weeklyRecurrence!;
    return {
      recurrence: { kind: 'weekly', every: w.every, days: weekdaysOf(w.days) },
      start,
      zone: device,
      end: never,
      window,
    };
  }
  const m = g.monthlyRecurrence!;
  const on: MonthDay =
    m.frequency === 0
      ? { kind: 'day', day: m.frequencyDayNumber! }
      : {
          kind: 'weekdays',
          nth: [m.frequency === 5 ? 'last' : (m.frequency as Nth)],
          days: [WEEKDAYS[m.frequencyDayOfWeek!]!],
        };
  return { recurrence: { kind: 'monthly', every: m.every, on }, start, zone: device, end: never, window };
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
  const g = readOrThrow(path, (report) => readGzOldScheduler(input, [], report, 'install'));
  const date = contextStartDate(P, ctx);
  const start = `${date}T${pad2(g.startHour ?? 0)}:${pad2(g.startMinute ?? 0)}`;
  if (g.recurrence === 1) return { recurrence: { kind: 'immediately' }, start, zone: device, end: never };
  if (g.recurrence === 2) return { recurrence: { kind: 'days', every: 1 }, start, zone: device, end: never };
  return {
    recurrence: { kind: 'weekly', every: 1, days: weekdaysOf(g.days!) },
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
