import {
  Issues,
  at,
  checkInt,
  checkUnique,
  got,
  isRecord,
  readArray,
  readInt,
  type Json,
} from '../policies/fields.ts';

// GravityZone's two schedule objects, validated for structure and ranges exactly as the seed states and
// kept unconverted (the schedule model converts them): `scheduler` (the current system: immediately,
// weekly every N weeks on days, monthly every N months on day N or on the nth/last weekday, with a
// `between` time interval) and `oldScheduler` (the fallback system: immediately, daily, weekly at a time).
// Field names are GravityZone's because these objects are GravityZone's; only `endminute`, which the
// seed's `between` table spells so while its examples write `endMinute`, is read under both names.

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

/** Which operation a schedule belongs to: scans allow fewer recurrences than installs. */
export type GzScheduleUse = 'scan' | 'install';

const SCHEDULER_RECURRENCES: Record<GzScheduleUse, readonly number[]> = { scan: [3, 4], install: [1, 3, 4] };
const OLD_SCHEDULER_RECURRENCES: Record<GzScheduleUse, readonly number[]> = {
  scan: [2, 3],
  install: [1, 2, 3],
};
const RECURRENCE_NAMES: Record<number, string> = { 1: 'immediately', 2: 'daily', 3: 'weekly', 4: 'monthly' };
const namedCodes = (codes: readonly number[]) => codes.map((c) => `${c} (${RECURRENCE_NAMES[c]})`).join(', ');

const EPOCH_MIN = 1_000_000_000; // the smallest 10-digit epoch second (2001-09-09)
const EPOCH_MAX = 9_999_999_999;

/** `between`: hours 0–23, minutes 0–59, endHour from startHour, and start strictly before end. */
export function parseGzBetween(v: unknown, path: string, issues: Issues): GzBetween | undefined {
  if (!isRecord(v)) {
    issues.add(path, `must be an object {startHour, startMinute, endHour, endMinute}, ${got(v)}`);
    return undefined;
  }
  const startHour = readInt(v, 'startHour', path, issues, { min: 0, max: 23 }, true);
  const startMinute = readInt(v, 'startMinute', path, issues, { min: 0, max: 59 }, true);
  const endHour = readInt(
    v,
    'endHour',
    path,
    issues,
    startHour === undefined
      ? { min: 0, max: 23 }
      : { min: startHour, max: 23, rangeText: `between startHour (${startHour}) and 23` },
    true,
  );
  let endMinute: number | undefined;
  const camel = v['endMinute'];
  const lower = v['endminute'];
  if (camel !== undefined && lower !== undefined && camel !== lower) {
    issues.add(
      at(path, 'endminute'),
      `conflicts with endMinute (${JSON.stringify(camel)} vs ${JSON.stringify(lower)}); send one of them`,
    );
  } else if (camel === undefined && lower === undefined) {
    issues.add(at(path, 'endMinute'), 'is required');
  } else {
    const key = camel !== undefined ? 'endMinute' : 'endminute';
    endMinute = checkInt(v[key], at(path, key), issues, { min: 0, max: 59 });
  }
  if (
    startHour === undefined ||
    startMinute === undefined ||
    endHour === undefined ||
    endMinute === undefined
  )
    return undefined;
  if (startHour * 60 + startMinute >= endHour * 60 + endMinute) {
    const hm = (h: number, m: number) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
    issues.add(
      path,
      `startHour:startMinute (${hm(startHour, startMinute)}) must be less than endHour:endMinute (${hm(endHour, endMinute)})`,
    );
    return undefined;
  }
  return { startHour, startMinute, endHour, endMinute };
}

/** Days of the week: integers 0 (Sunday) to 6 (Saturday), each at most once, at least one. */
function readDays(obj: Json, path: string, issues: Issues, requiredBecause: string): number[] | undefined {
  const list = readArray(obj, 'days', path, issues);
  const p = at(path, 'days');
  if (list === undefined) {
    if (obj['days'] === undefined) issues.add(p, `is required ${requiredBecause}`);
    return undefined;
  }
  if (list.length === 0)
    issues.add(p, `must list at least one day (0 = Sunday … 6 = Saturday) ${requiredBecause}`);
  const days = list.map((d, i) =>
    checkInt(d, at(p, i), issues, { min: 0, max: 6, rangeText: 'between 0 (Sunday) and 6 (Saturday)' }),
  );
  checkUnique(
    days,
    p,
    issues,
    (d) => d,
    (d) => `day ${d}`,
  );
  return list.length > 0 && days.every((d) => d !== undefined) ? (days as number[]) : undefined;
}

export function parseGzScheduler(
  v: unknown,
  path: string,
  issues: Issues,
  use: GzScheduleUse,
): GzScheduler | undefined {
  if (!isRecord(v)) {
    issues.add(path, `must be an object, ${got(v)}`);
    return undefined;
  }
  const before = issues.count;
  const allowed = SCHEDULER_RECURRENCES[use];
  const r = v['recurrence'];
  let recurrence: 1 | 3 | 4 | undefined;
  if (r === undefined) issues.add(at(path, 'recurrence'), 'is required');
  else if (typeof r !== 'number' || !allowed.includes(r)) {
    issues.add(
      at(path, 'recurrence'),
      `must be one of ${namedCodes(allowed)} for a ${use} schedule, ${got(r)}`,
    );
  } else recurrence = r as 1 | 3 | 4;

  // startDate and between: required for weekly and monthly schedules (they say from when and at what time
  // of day); optional for "immediately", validated when present.
  const timed = recurrence === 3 || recurrence === 4;
  const why = `when recurrence is ${recurrence} (${RECURRENCE_NAMES[recurrence ?? 0]})`;
  let startDate: number | undefined;
  const sd = v['startDate'];
  if (sd === undefined) {
    if (timed) issues.add(at(path, 'startDate'), `is required ${why}`);
  } else if (typeof sd !== 'number' || !Number.isInteger(sd)) {
    issues.add(at(path, 'startDate'), `must be an integer epoch time in seconds, ${got(sd)}`);
  } else if (sd <= 0) {
    issues.add(at(path, 'startDate'), `must be greater than 0, ${got(sd)}`);
  } else if (sd < EPOCH_MIN || sd > EPOCH_MAX) {
    issues.add(at(path, 'startDate'), `must be an epoch time in seconds (10 digits), ${got(sd)}`);
  } else startDate = sd;
  let between: GzBetween | undefined;
  if (v['between'] === undefined) {
    if (timed) issues.add(at(path, 'between'), `is required ${why}`);
  } else between = parseGzBetween(v['between'], at(path, 'between'), issues);

  let weeklyRecurrence: GzScheduler['weeklyRecurrence'];
  const w = v['weeklyRecurrence'];
  if (w === undefined) {
    if (recurrence === 3)
      issues.add(at(path, 'weeklyRecurrence'), 'is required when recurrence is 3 (weekly)');
  } else if (recurrence !== undefined && recurrence !== 3) {
    issues.add(
      at(path, 'weeklyRecurrence'),
      `is only available when recurrence is 3 (weekly), not ${recurrence} (${RECURRENCE_NAMES[recurrence]})`,
    );
  } else if (!isRecord(w)) {
    issues.add(at(path, 'weeklyRecurrence'), `must be an object {every, days}, ${got(w)}`);
  } else {
    const wp = at(path, 'weeklyRecurrence');
    const every = readInt(w, 'every', wp, issues, { min: 1, max: 4 }, true);
    const days = readDays(w, wp, issues, 'for a weekly schedule');
    if (every !== undefined && days) weeklyRecurrence = { every, days };
  }

  let monthlyRecurrence: GzScheduler['monthlyRecurrence'];
  const m = v['monthlyRecurrence'];
  if (m === undefined) {
    if (recurrence === 4)
      issues.add(at(path, 'monthlyRecurrence'), 'is required when recurrence is 4 (monthly)');
  } else if (recurrence !== undefined && recurrence !== 4) {
    issues.add(
      at(path, 'monthlyRecurrence'),
      `is only available when recurrence is 4 (monthly), not ${recurrence} (${RECURRENCE_NAMES[recurrence]})`,
    );
  } else if (!isRecord(m)) {
    issues.add(
      at(path, 'monthlyRecurrence'),
      `must be an object {every, frequency, frequencyDayNumber | frequencyDayOfWeek}, ${got(m)}`,
    );
  } else {
    const mp = at(path, 'monthlyRecurrence');
    const every = readInt(m, 'every', mp, issues, { min: 1, max: 12 }, true);
    const frequency = readInt(
      m,
      'frequency',
      mp,
      issues,
      { min: 0, max: 5, rangeText: 'between 0 (a day of the month) and 5 (the last weekday)' },
      true,
    );
    let dayNumber: number | undefined;
    let dayOfWeek: number | undefined;
    if (frequency === 0) {
      if (m['frequencyDayNumber'] === undefined)
        issues.add(
          at(mp, 'frequencyDayNumber'),
          'is required when frequency is 0 (a specific day of the month)',
        );
      else dayNumber = readInt(m, 'frequencyDayNumber', mp, issues, { min: 1, max: 31 });
    } else if (frequency !== undefined) {
      if (m['frequencyDayOfWeek'] === undefined) {
        issues.add(
          at(mp, 'frequencyDayOfWeek'),
          `is required when frequency is ${frequency} (the ${['', 'first', 'second', 'third', 'fourth', 'last'][frequency]} weekday of the month)`,
        );
      } else
        dayOfWeek = readInt(m, 'frequencyDayOfWeek', mp, issues, {
          min: 0,
          max: 6,
          rangeText: 'between 0 (Sunday) and 6 (Saturday)',
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
  if (issues.count > before || recurrence === undefined) return undefined;
  return {
    recurrence,
    ...(startDate !== undefined ? { startDate } : {}),
    ...(between ? { between } : {}),
    ...(weeklyRecurrence ? { weeklyRecurrence } : {}),
    ...(monthlyRecurrence ? { monthlyRecurrence } : {}),
  };
}

export function parseGzOldScheduler(
  v: unknown,
  path: string,
  issues: Issues,
  use: GzScheduleUse,
): GzOldScheduler | undefined {
  if (!isRecord(v)) {
    issues.add(path, `must be an object, ${got(v)}`);
    return undefined;
  }
  const before = issues.count;
  const allowed = OLD_SCHEDULER_RECURRENCES[use];
  const r = v['recurrence'];
  let recurrence: 1 | 2 | 3 | undefined;
  if (r === undefined) issues.add(at(path, 'recurrence'), 'is required');
  else if (typeof r !== 'number' || !allowed.includes(r)) {
    issues.add(
      at(path, 'recurrence'),
      `must be one of ${namedCodes(allowed)} for a ${use} fallback schedule, ${got(r)}`,
    );
  } else recurrence = r as 1 | 2 | 3;
  // daily and weekly run at startHour:startMinute; "immediately" needs no time (validated when present)
  const timed = recurrence === 2 || recurrence === 3;
  const why = `when recurrence is ${recurrence} (${RECURRENCE_NAMES[recurrence ?? 0]})`;
  const startHour = readInt(v, 'startHour', path, issues, { min: 0, max: 23 });
  const startMinute = readInt(v, 'startMinute', path, issues, { min: 0, max: 59 });
  if (timed && v['startHour'] === undefined) issues.add(at(path, 'startHour'), `is required ${why}`);
  if (timed && v['startMinute'] === undefined) issues.add(at(path, 'startMinute'), `is required ${why}`);
  // the seed: days "must be included" for a weekly schedule and are "ignored if recurrence = 2"
  const days = recurrence === 3 ? readDays(v, path, issues, 'when recurrence is 3 (weekly)') : undefined;
  if (issues.count > before || recurrence === undefined) return undefined;
  return {
    recurrence,
    ...(startHour !== undefined ? { startHour } : {}),
    ...(startMinute !== undefined ? { startMinute } : {}),
    ...(days ? { days } : {}),
  };
}
