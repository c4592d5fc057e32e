// The occurrence engine: the instants at which a canonical schedule fires.
//
// It works on wall-clock fields as plain numbers ("local ms": the local date-time read as if it were
// UTC) with its own calendar arithmetic, and converts to instants through the cached zone offsets of
// zones.ts, so it is fast and never depends on the process time zone.
//
// Semantics (decided here, documented in model.ts):
// - minutes / hours recur in elapsed time from `start`; days, weeks, months and years recur at the
//   wall-clock time of `start`. A wall-clock time that does not exist moves forward by the gap; a
//   repeated one fires once, at its first instance.
// - weeks begin on Monday (ISO 8601, RFC 5545's default WKST); a month without the requested day
//   (31st, 5th Monday) is skipped.
// - the daily window filters minute/hour occurrences; exclusions skip occurrences; `end after N`
//   counts only occurrences that fire. Exclusions and windows apply to the schedule's own
//   occurrence, before a device's distribution offset is added.
// - distribution: a device fires `hash(deviceKey) mod (minutes × 60)` whole seconds after each
//   occurrence (FNV-1a, stable across processes and releases).
import { invalid } from '../errors.ts';
import {
  civilFromDays,
  daysFromCivil,
  daysInMonth,
  weekdayOfDay,
  DAY_MS,
  MINUTE_MS,
  type Civil,
} from './calendar.ts';
import { parseDate, parseLocal, parseTime, WEEKDAYS, type MonthDay, type Schedule } from './model.ts';
import { zoneOffsets, type ZoneOffsets } from './zones.ts';

export interface OccurrenceOptions {
  /** zone used for a server- or device-zoned schedule when the specific one below is not given */
  readonly zone?: string;
  /** the server's zone, for schedules in the server's time zone */
  readonly serverZone?: string;
  /** the device's zone, for schedules in the device's time zone */
  readonly deviceZone?: string;
  /** the device's key, for spreading devices over the distribution window */
  readonly deviceKey?: string;
}

export interface OccurrenceWindow {
  readonly start: Date;
  readonly end: Date;
}

const enum Kind {
  Once,
  Interval,
  Days,
  Weekly,
  Monthly,
  Yearly,
}
const enum On {
  Day,
  Last,
  Weekdays,
  Class,
}

interface CompiledOn {
  readonly kind: On;
  readonly day: number;
  /** nth values, -1 for last */
  readonly nth: readonly number[];
  /** weekday numbers 0..6 */
  readonly days: readonly number[];
  /** for Class: true = weekend days (Sat, Sun), false = working days */
  readonly weekend: boolean;
}

interface Compiled {
  readonly kind: Kind;
  readonly every: number;
  readonly stepMs: number;
  readonly startLocal: number;
  readonly startDay: number;
  readonly todMs: number;
  readonly startCivil: Civil;
  readonly weekMask: number;
  readonly startWeek: number;
  readonly on: CompiledOn | undefined;
  readonly monthMask: number;
  readonly month: number;
  readonly endLocal: number;
  readonly count: number;
  readonly winStart: number;
  readonly winEnd: number;
  /** daily exclusions as [from, to) pairs of ms since midnight */
  readonly dailyEx: readonly number[];
  /** period exclusions as [from, to) pairs of local ms */
  readonly periodEx: readonly number[];
  readonly distMs: number;
  readonly hasFilter: boolean;
}

const compiled = new WeakMap<Schedule, Compiled>();

function compileOn(on: MonthDay): CompiledOn {
  const nthNum = (n: number | 'last') => (n === 'last' ? -1 : n);
  switch (on.kind) {
    case 'day':
      return on.day === 'last'
        ? { kind: On.Last, day: 0, nth: [], days: [], weekend: false }
        : { kind: On.Day, day: on.day, nth: [], days: [], weekend: false };
    case 'weekdays':
      return {
        kind: On.Weekdays,
        day: 0,
        nth: on.nth.map(nthNum),
        days: on.days.map((d) => WEEKDAYS.indexOf(d)),
        weekend: false,
      };
    case 'class':
      return { kind: On.Class, day: 0, nth: [nthNum(on.nth)], days: [], weekend: on.of === 'weekendDay' };
  }
}

function compile(s: Schedule): Compiled {
  const hit = compiled.get(s);
  if (hit) return hit;
  const startMin = parseLocal(s.start);
  if (startMin === undefined)
    throw invalid(`invalid schedule start ${s.start}`, [{ path: '/start', message: 'not a date-time' }]);
  const startLocal = startMin * MINUTE_MS;
  const startDay = Math.floor(startLocal / DAY_MS);
  const r = s.recurrence;
  let kind: Kind;
  let every = 1;
  let stepMs = 0;
  let weekMask = 0;
  let on: CompiledOn | undefined;
  let monthMask = 0;
  let month = 0;
  switch (r.kind) {
    case 'once':
    case 'immediately':
      kind = Kind.Once;
      break;
    case 'minutes':
    case 'hours':
      kind = Kind.Interval;
      every = r.every;
      stepMs = r.every * (r.kind === 'minutes' ? MINUTE_MS : 60 * MINUTE_MS);
      break;
    case 'days':
      kind = Kind.Days;
      every = r.every;
      break;
    case 'weekly':
      kind = Kind.Weekly;
      every = r.every;
      for (const d of r.days) weekMask |= 1 << WEEKDAYS.indexOf(d);
      break;
    case 'monthly':
      kind = Kind.Monthly;
      every = r.every;
      on = compileOn(r.on);
      for (const m of r.months ?? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) monthMask |= 1 << m;
      break;
    case 'yearly':
      kind = Kind.Yearly;
      every = r.every;
      on = compileOn(r.on);
      month = r.month;
      break;
  }
  const e = s.end;
  const endLocal =
    e.kind === 'on'
      ? ((parseDate(e.date) as number) + 1) * DAY_MS
      : e.kind === 'at'
        ? (parseLocal(e.at) as number) * MINUTE_MS
        : Infinity;
  const dailyEx: number[] = [];
  const periodEx: number[] = [];
  for (const x of s.exclusions ?? []) {
    if (x.kind === 'daily')
      dailyEx.push((parseTime(x.from) as number) * MINUTE_MS, (parseTime(x.to) as number) * MINUTE_MS);
    else periodEx.push((parseLocal(x.from) as number) * MINUTE_MS, (parseLocal(x.to) as number) * MINUTE_MS);
  }
  const c: Compiled = {
    kind,
    every,
    stepMs,
    startLocal,
    startDay,
    todMs: startLocal - startDay * DAY_MS,
    startCivil: civilFromDays(startDay),
    weekMask,
    startWeek: startDay - ((weekdayOfDay(startDay) + 6) % 7),
    on,
    monthMask,
    month,
    endLocal,
    count: e.kind === 'after' ? e.occurrences : Infinity,
    winStart: s.window ? (parseTime(s.window.start) as number) * MINUTE_MS : -1,
    winEnd: s.window ? (parseTime(s.window.end) as number) * MINUTE_MS : -1,
    dailyEx,
    periodEx,
    distMs: s.distribution ? s.distribution.minutes * MINUTE_MS : 0,
    hasFilter: (kind === Kind.Interval && !!s.window) || dailyEx.length > 0 || periodEx.length > 0,
  };
  compiled.set(s, c);
  return c;
}

// ---------------------------------------------------------------------------------------------
// calendar stepping: the first occurrence day on or after a day

const scratch: Civil = { y: 0, m: 0, d: 0 };
/** guard against schedules that never occur again (day 31 in a months filter of short months…) */
const MAX_STEPS = 5000;

/** day of month matching `on` in (y, m) that is >= minDay, or 0 */
function dayIn(on: CompiledOn, y: number, m: number, minDay: number): number {
  const dim = daysInMonth(y, m);
  switch (on.kind) {
    case On.Day:
      return on.day <= dim && on.day >= minDay ? on.day : 0;
    case On.Last:
      return dim >= minDay ? dim : 0;
    case On.Weekdays: {
      const wd1 = weekdayOfDay(daysFromCivil(y, m, 1));
      let best = 0;
      for (const wd of on.days) {
        const first = 1 + ((wd - wd1 + 7) % 7);
        for (const n of on.nth) {
          const d = n === -1 ? first + 7 * Math.floor((dim - first) / 7) : first + 7 * (n - 1);
          if (d <= dim && d >= minDay && (best === 0 || d < best)) best = d;
        }
      }
      return best;
    }
    case On.Class: {
      const wd1 = weekdayOfDay(daysFromCivil(y, m, 1));
      const n = on.nth[0] as number;
      const isMatch = (d: number) => {
        const wd = (wd1 + d - 1) % 7;
        return (wd === 0 || wd === 6) === on.weekend;
      };
      let found = 0;
      if (n === -1) {
        for (let d = dim; d >= 1; d--)
          if (isMatch(d)) {
            found = d;
            break;
          }
      } else {
        for (let d = 1, seen = 0; d <= dim; d++)
          if (isMatch(d) && ++seen === n) {
            found = d;
            break;
          }
      }
      return found >= minDay ? found : 0;
    }
  }
}

/** first occurrence day >= from, or NaN when there is none */
function nextDay(c: Compiled, from: number): number {
  let d = Math.max(from, c.startDay);
  switch (c.kind) {
    case Kind.Once:
      return d === c.startDay ? d : NaN;
    case Kind.Days: {
      const k = Math.ceil((d - c.startDay) / c.every);
      return c.startDay + k * c.every;
    }
    case Kind.Weekly: {
      for (let i = 0; i < MAX_STEPS; i++) {
        const idx = (weekdayOfDay(d) + 6) % 7; // Monday = 0
        const monday = d - idx;
        const r = ((monday - c.startWeek) / 7) % c.every;
        if (r !== 0) {
          d = monday + (c.every - r) * 7;
          continue;
        }
        for (let j = idx; j < 7; j++) if (c.weekMask & (1 << ((j + 1) % 7))) return monday + j;
        d = monday + c.every * 7;
      }
      return NaN;
    }
    case Kind.Monthly: {
      const on = c.on as CompiledOn;
      civilFromDays(d, scratch);
      let mi = scratch.y * 12 + scratch.m - 1;
      let minDay = scratch.d;
      const m0 = c.startCivil.y * 12 + c.startCivil.m - 1;
      for (let i = 0; i < MAX_STEPS; i++) {
        const r = (mi - m0) % c.every;
        if (r !== 0) {
          mi += c.every - r;
          minDay = 1;
          continue;
        }
        const y = Math.floor(mi / 12);
        const m = mi - y * 12 + 1;
        if (c.monthMask & (1 << m)) {
          const day = dayIn(on, y, m, minDay);
          if (day) return daysFromCivil(y, m, day);
        }
        mi += c.every;
        minDay = 1;
      }
      return NaN;
    }
    case Kind.Yearly: {
      const on = c.on as CompiledOn;
      civilFromDays(d, scratch);
      let y = scratch.y;
      let minDay = scratch.m < c.month ? 1 : scratch.m === c.month ? scratch.d : 32;
      for (let i = 0; i < MAX_STEPS; i++) {
        const r = (y - c.startCivil.y) % c.every;
        if (r !== 0) {
          y += c.every - r;
          minDay = 1;
          continue;
        }
        const day = minDay <= 31 ? dayIn(on, y, c.month, minDay) : 0;
        if (day) return daysFromCivil(y, c.month, day);
        y += c.every;
        minDay = 1;
      }
      return NaN;
    }
    default:
      return NaN;
  }
}

// ---------------------------------------------------------------------------------------------
// filters

function inRange(t: number, from: number, to: number): boolean {
  return from < to ? t >= from && t < to : t >= from || t < to;
}

/** the local ms itself when an occurrence may fire then, else the next local ms when it may */
function allowedFrom(c: Compiled, local: number): number {
  for (let i = 0; i < 16; i++) {
    const dayStart = Math.floor(local / DAY_MS) * DAY_MS;
    const tod = local - dayStart;
    let next = local;
    if (c.kind === Kind.Interval && c.winStart >= 0 && !inRange(tod, c.winStart, c.winEnd))
      next = tod < c.winStart ? dayStart + c.winStart : dayStart + DAY_MS + c.winStart;
    for (let j = 0; j < c.dailyEx.length && next === local; j += 2) {
      const from = c.dailyEx[j] as number;
      const to = c.dailyEx[j + 1] as number;
      if (inRange(tod, from, to)) next = from < to || tod < to ? dayStart + to : dayStart + DAY_MS + to;
    }
    for (let j = 0; j < c.periodEx.length && next === local; j += 2)
      if (local >= (c.periodEx[j] as number) && local < (c.periodEx[j + 1] as number))
        next = c.periodEx[j + 1] as number;
    if (next === local) return local;
    local = next;
  }
  return local;
}

/** the end of the period exclusion containing a local time, or the time itself */
function periodEndAt(c: Compiled, local: number): number {
  let end = local;
  for (let j = 0; j < c.periodEx.length; j += 2)
    if (local >= (c.periodEx[j] as number) && local < (c.periodEx[j + 1] as number))
      end = Math.max(end, c.periodEx[j + 1] as number);
  return end;
}

function excludedAt(c: Compiled, local: number): boolean {
  const tod = local - Math.floor(local / DAY_MS) * DAY_MS;
  for (let j = 0; j < c.dailyEx.length; j += 2)
    if (inRange(tod, c.dailyEx[j] as number, c.dailyEx[j + 1] as number)) return true;
  for (let j = 0; j < c.periodEx.length; j += 2)
    if (local >= (c.periodEx[j] as number) && local < (c.periodEx[j + 1] as number)) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------
// iteration

/**
 * Consecutive candidates a window or exclusion may skip before the schedule counts as never firing
 * again (every 12 hours at 07:00/19:00 with a 20:00–06:00 window). A window skips at most once or
 * twice a day and a period exclusion is jumped in one step, so this is years of skipping, longer
 * than any seasonal (DST-shifted) pause of a schedule that does fire.
 */
const MAX_SKIPS = 2_000;

/**
 * Calls `emit` with each occurrence instant (ms) of the schedule itself (no distribution offset)
 * later than `afterMs`, in ascending order, until `emit` returns false or the schedule ends.
 */
function iterate(c: Compiled, z: ZoneOffsets, afterMs: number, emit: (u: number) => boolean): void {
  const counting = c.count !== Infinity;
  let fired = 0;
  let skipped = 0;
  if (c.kind === Kind.Interval) {
    const startUtc = z.toUtc(c.startLocal);
    let k = counting && c.hasFilter ? 0 : Math.max(0, Math.floor((afterMs - startUtc) / c.stepMs) + 1);
    if (counting && !c.hasFilter) fired = k;
    for (let guard = 0; guard < 10_000_000; guard++) {
      const u = startUtc + k * c.stepMs;
      const local = z.toLocal(u);
      if (local >= c.endLocal || fired >= c.count) return;
      if (c.hasFilter) {
        const next = allowedFrom(c, local);
        if (next !== local) {
          if (next >= c.endLocal || ++skipped > MAX_SKIPS) return;
          k = Math.max(k + 1, Math.ceil((z.toUtc(next) - startUtc) / c.stepMs));
          continue;
        }
      }
      skipped = 0;
      fired++;
      if (u > afterMs && !emit(u)) return;
      k++;
    }
    return;
  }
  // day-based kinds: one occurrence per matching day at the start's wall-clock time
  const afterLocalDay = Math.floor(z.toLocal(afterMs) / DAY_MS) - 1;
  let d = nextDay(c, counting ? c.startDay : afterLocalDay);
  for (let guard = 0; guard < 10_000_000 && d === d; guard++) {
    const local = d * DAY_MS + c.todMs;
    if (local >= c.endLocal || fired >= c.count) return;
    if (c.hasFilter && excludedAt(c, local)) {
      if (++skipped > MAX_SKIPS) return;
      d = nextDay(c, Math.max(d + 1, Math.floor(periodEndAt(c, local) / DAY_MS)));
      continue;
    }
    skipped = 0;
    fired++;
    if (d >= afterLocalDay) {
      const u = z.toUtc(local);
      if (u > afterMs && !emit(u)) return;
    }
    d = nextDay(c, d + 1);
  }
}

function resolveZone(s: Schedule, opts: OccurrenceOptions): ZoneOffsets {
  const name =
    s.zone.kind === 'named'
      ? s.zone.name
      : ((s.zone.kind === 'server' ? opts.serverZone : opts.deviceZone) ?? opts.zone ?? 'UTC');
  try {
    return zoneOffsets(name);
  } catch {
    throw invalid(`unknown time zone ${JSON.stringify(name)}`, [
      { path: '/zone', message: `unknown time zone ${name}` },
    ]);
  }
}

/** FNV-1a over the UTF-16 code units: stable, fast, good enough to spread device keys. */
export function deviceHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The device's offset (ms) inside the schedule's distribution window; 0 without one or without a key. */
export function distributionOffset(s: Schedule, deviceKey: string | undefined): number {
  const c = compile(s);
  if (c.distMs === 0 || deviceKey === undefined) return 0;
  return (deviceHash(deviceKey) % (c.distMs / 1000)) * 1000;
}

/**
 * The next `count` instants strictly after `after` at which the schedule fires (for the device
 * identified by `opts.deviceKey`, if the schedule distributes devices).
 */
export function nextOccurrences(
  s: Schedule,
  after: Date,
  count: number,
  opts: OccurrenceOptions = {},
): Date[] {
  const c = compile(s);
  const z = resolveZone(s, opts);
  const offset = distributionOffset(s, opts.deviceKey);
  const out: Date[] = [];
  if (count <= 0) return out;
  iterate(c, z, after.getTime() - offset, (u) => {
    out.push(new Date(u + offset));
    return out.length < count;
  });
  return out;
}

/** The first instant strictly after `after` at which the schedule fires, in `zone` (device and server alike). */
export function firstDue(s: Schedule, after: Date, zone: string | undefined): Date | null {
  return nextOccurrences(s, after, 1, zone ? { zone, serverZone: zone } : {})[0] ?? null;
}

/** Every instant in (from, to] at which the schedule fires, at most `limit` of them. */
export function occurrencesBetween(
  s: Schedule,
  from: Date,
  to: Date,
  opts: OccurrenceOptions = {},
  limit = 10_000,
): Date[] {
  const c = compile(s);
  const z = resolveZone(s, opts);
  const offset = distributionOffset(s, opts.deviceKey);
  const out: Date[] = [];
  const toMs = to.getTime();
  iterate(c, z, from.getTime() - offset, (u) => {
    if (u + offset > toMs) return false;
    out.push(new Date(u + offset));
    return out.length < limit;
  });
  return out;
}

/**
 * The window of the occurrence that contains `at`, or null. An occurrence's window runs from the
 * occurrence to the end of the daily window (next day's end when it crosses midnight); without a
 * daily window, over the distribution interval; a schedule with neither has instants, not windows.
 * An instant inside an exclusion is in no window. The device's distribution offset does not move
 * the window: it is the schedule's.
 */
export function windowAt(s: Schedule, at: Date, opts: OccurrenceOptions = {}): OccurrenceWindow | null {
  const c = compile(s);
  if (c.winStart < 0 && c.distMs === 0) return null;
  const z = resolveZone(s, opts);
  const atMs = at.getTime();
  const lookback = c.winStart >= 0 ? DAY_MS + 2 * 3_600_000 : c.distMs;
  let last = NaN;
  iterate(c, z, atMs - lookback - 1, (u) => {
    if (u > atMs) return false;
    last = u;
    return true;
  });
  if (last !== last) return null;
  let end: number;
  if (c.winStart >= 0) {
    const local = z.toLocal(last);
    let endLocal = Math.floor(local / DAY_MS) * DAY_MS + c.winEnd;
    if (endLocal <= local) endLocal += DAY_MS;
    end = z.toUtc(endLocal);
  } else end = last + c.distMs;
  if (atMs >= end || excludedAt(c, z.toLocal(atMs))) return null;
  return { start: new Date(last), end: new Date(end) };
}

/** Whether `at` falls inside the window of one of the schedule's occurrences (see windowAt). */
export function isWithinWindow(s: Schedule, at: Date, opts: OccurrenceOptions = {}): boolean {
  return windowAt(s, at, opts) !== null;
}
