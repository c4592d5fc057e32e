// iCalendar recurrence (RFC 5545), the subset that covers the model: DTSTART (floating, UTC "Z" or
// with TZID) and one RRULE with FREQ (MINUTELY, HOURLY, DAILY, WEEKLY, MONTHLY, YEARLY), INTERVAL,
// BYDAY (with ordinals), BYMONTHDAY (one value, -1 = last), BYMONTH, BYSETPOS (for the nth working
// or weekend day), COUNT, UNTIL and WKST=MO.
//
//   DTSTART;TZID=Europe/Berlin:20240105T090000
//   RRULE:FREQ=MONTHLY;BYDAY=2TU
//
// Mapping: a named zone is TZID (UTC as TZID=UTC; a "Z" DTSTART reads as UTC); the device's zone is
// floating time (no TZID: "local time wherever it is observed"); the server's zone cannot be written
// (resolve it to a named zone first). "once" is a DTSTART without RRULE. End "on D" is UNTIL at
// 23:59:59 of D, end "at T" is UNTIL one second before T; with a TZID, UNTIL is written in UTC as the
// RFC requires. A WEEKLY rule without BYDAY, or a MONTHLY/YEARLY one without BYDAY/BYMONTHDAY, takes
// the day of DTSTART, as the RFC says. Not expressible: "immediately", the server's zone, daily
// windows, exclusions, distribution, an end at midnight (use "on" the previous date) and "every
// Monday of the month" except as nth 1–5.
import { invalid } from '../errors.ts';
import {
  cannotExpress,
  NTHS,
  parseSchedule,
  WEEKDAYS,
  type MonthDay,
  type Nth,
  type Schedule,
  type Weekday,
} from './model.ts';
import { badValue } from './convert.ts';
import { daysFromCivil, weekdayOfDay, DAY_MS, MINUTE_MS } from './calendar.ts';
import { zoneOffsets } from './zones.ts';

const P = 'RRULE';
const ICAL_DAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'] as const;
const FREQS = {
  MINUTELY: 'minutes',
  HOURLY: 'hours',
  DAILY: 'days',
  WEEKLY: 'weekly',
  MONTHLY: 'monthly',
  YEARLY: 'yearly',
} as const;
const WORKDAYS = 'MO,TU,WE,TH,FR';
const WEEKEND = 'SU,SA';

/** ms of a local 'YYYY-MM-DDTHH:mm[:ss]' read as UTC */
const localMs = (s: string) => Date.parse(`${s.length === 16 ? `${s}:00` : s}Z`);
const icalOf = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, '');

export function toRrule(s: Schedule): string {
  if (s.zone.kind === 'server')
    cannotExpress(P, "the server's time zone; resolve it to a named zone first", '/zone');
  if (s.window) cannotExpress(P, 'a daily time window', '/window');
  if (s.exclusions?.length) cannotExpress(P, 'exclusion windows', '/exclusions');
  if (s.distribution) cannotExpress(P, 'a distribution window', '/distribution');
  const r = s.recurrence;
  if (r.kind === 'immediately') cannotExpress(P, 'an "immediately" recurrence', '/recurrence/kind');
  const zone = s.zone.kind === 'named' ? s.zone.name : undefined;
  const dtstart = `DTSTART${zone ? `;TZID=${zone}` : ''}:${icalOf(localMs(s.start))}`;
  if (r.kind === 'once') return dtstart;
  const parts: string[] = [];
  const freq = (Object.keys(FREQS) as (keyof typeof FREQS)[]).find((k) => FREQS[k] === r.kind) as string;
  parts.push(`FREQ=${freq}`);
  if (r.every !== 1) parts.push(`INTERVAL=${r.every}`);
  const onParts = (on: MonthDay) => {
    if (on.kind === 'day') parts.push(`BYMONTHDAY=${on.day === 'last' ? -1 : on.day}`);
    else if (on.kind === 'class')
      parts.push(
        `BYDAY=${on.of === 'weekday' ? WORKDAYS : WEEKEND}`,
        `BYSETPOS=${on.nth === 'last' ? -1 : on.nth}`,
      );
    else
      parts.push(
        `BYDAY=${on.nth.flatMap((n) => on.days.map((d) => `${n === 'last' ? -1 : n}${ICAL_DAYS[WEEKDAYS.indexOf(d)]}`)).join(',')}`,
      );
  };
  if (r.kind === 'weekly')
    parts.push(`BYDAY=${r.days.map((d) => ICAL_DAYS[WEEKDAYS.indexOf(d)]).join(',')}`, 'WKST=MO');
  if (r.kind === 'monthly') {
    if (r.months) parts.push(`BYMONTH=${r.months.join(',')}`);
    onParts(r.on);
  }
  if (r.kind === 'yearly') {
    parts.push(`BYMONTH=${r.month}`);
    onParts(r.on);
  }
  const e = s.end;
  if (e.kind === 'after') parts.push(`COUNT=${e.occurrences}`);
  if (e.kind === 'on' || e.kind === 'at') {
    if (e.kind === 'at' && e.at.endsWith('T00:00'))
      cannotExpress(P, `an end at midnight (${e.at}); use an end on the previous date`, '/end/at');
    const untilLocal = e.kind === 'on' ? localMs(e.date + 'T00:00') + DAY_MS - 1000 : localMs(e.at) - 1000;
    parts.push(`UNTIL=${zone ? `${icalOf(zoneOffsets(zone).toUtc(untilLocal))}Z` : icalOf(untilLocal)}`);
  }
  return `${dtstart}\nRRULE:${parts.join(';')}`;
}

const DT_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$/;

function parseDt(v: string, path: string): { local: string; seconds: number; utc: boolean } {
  const m = DT_RE.exec(v);
  if (!m) badValue(P, path, `must be a date-time YYYYMMDDTHHMMSS, got ${JSON.stringify(v)}`);
  return { local: `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}`, seconds: Number(m[6]), utc: m[7] === 'Z' };
}

function parseInt1(v: string, path: string, min: number, max: number): number {
  if (!/^[+-]?\d+$/.test(v) || Number(v) < min || Number(v) > max)
    badValue(P, path, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return Number(v);
}

export function fromRrule(text: string): Schedule {
  if (typeof text !== 'string') throw invalid('RRULE must be text');
  const lines = text
    .replace(/\r?\n[ \t]/g, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  let dt: { local: string; seconds: number; utc: boolean } | undefined;
  let tzid: string | undefined;
  let rule: string | undefined;
  for (const line of lines) {
    const colon = line.indexOf(':');
    const head = line.slice(0, colon < 0 ? line.length : colon).toUpperCase();
    const value = colon < 0 ? '' : line.slice(colon + 1);
    const [name, ...params] = head.split(';');
    if (name === 'DTSTART') {
      for (const p of line.slice(0, colon).split(';').slice(1)) {
        const [k, v] = p.split('=');
        if (k?.toUpperCase() === 'TZID') tzid = v;
        else if (k?.toUpperCase() === 'VALUE' && v?.toUpperCase() === 'DATE-TIME') continue;
        else badValue(P, '/DTSTART', `parameter ${p} is not supported (TZID only)`);
      }
      dt = parseDt(value, '/DTSTART');
    } else if (name === 'RRULE') {
      if (rule !== undefined) badValue(P, '/RRULE', 'only one RRULE is supported');
      if (params.length) badValue(P, '/RRULE', 'takes no parameters');
      rule = value;
    } else badValue(P, `/${name}`, `${name} is not supported (DTSTART and RRULE only)`);
  }
  if (!dt) return badValue(P, '/DTSTART', 'is required');
  if (dt.seconds !== 0) badValue(P, '/DTSTART', 'must be on a whole minute (seconds 00)');
  if (dt.utc && tzid) badValue(P, '/DTSTART', 'cannot have both TZID and a "Z" time');
  const zoneName = dt.utc ? 'UTC' : tzid;
  const draft: Record<string, unknown> = {
    start: dt.local,
    zone: zoneName ? { kind: 'named', name: zoneName } : { kind: 'device' },
  };
  if (rule === undefined) return parseSchedule({ ...draft, recurrence: { kind: 'once' } });

  const map = new Map<string, string>();
  for (const part of rule.split(';').filter(Boolean)) {
    const [k, v] = part.split('=');
    const key = (k ?? '').toUpperCase();
    if (
      !['FREQ', 'INTERVAL', 'BYDAY', 'BYMONTHDAY', 'BYMONTH', 'BYSETPOS', 'COUNT', 'UNTIL', 'WKST'].includes(
        key,
      )
    )
      badValue(P, `/RRULE/${key}`, `${key} is not supported`);
    if (map.has(key)) badValue(P, `/RRULE/${key}`, 'appears twice');
    map.set(key, (v ?? '').toUpperCase());
  }
  const freq = map.get('FREQ') as keyof typeof FREQS | undefined;
  if (!freq || !(freq in FREQS))
    badValue(
      P,
      '/RRULE/FREQ',
      `must be one of ${Object.keys(FREQS).join(', ')}, got ${JSON.stringify(freq) ?? 'nothing'}`,
    );
  const kind = FREQS[freq];
  const every = map.has('INTERVAL')
    ? parseInt1(map.get('INTERVAL') as string, '/RRULE/INTERVAL', 1, 525_600)
    : 1;
  const [y, mo, d] = dt.local.slice(0, 10).split('-').map(Number) as [number, number, number];
  const startWd = WEEKDAYS[weekdayOfDay(daysFromCivil(y, mo, d))] as Weekday;
  const wkst = map.get('WKST');
  if (wkst !== undefined && wkst !== 'MO' && kind === 'weekly' && every > 1) {
    // weeks begin on Monday here; another week start groups the days the same way when the start's
    // weekday and every BYDAY day fall on the same side of it (Monday-based index below or not)
    const w = (ICAL_DAYS.indexOf(wkst as (typeof ICAL_DAYS)[number]) + 6) % 7;
    const idx = [ICAL_DAYS[WEEKDAYS.indexOf(startWd)] as string, ...(map.get('BYDAY')?.split(',') ?? [])].map(
      (x) => (ICAL_DAYS.indexOf(x as (typeof ICAL_DAYS)[number]) + 6) % 7,
    );
    if (w < 0 || idx.some((i) => i < 0))
      badValue(P, '/RRULE/WKST', `must be a weekday such as MO, got ${JSON.stringify(wkst)}`);
    if (!idx.every((i) => i < w) && !idx.every((i) => i >= w))
      badValue(
        P,
        '/RRULE/WKST',
        `weeks begin on Monday here; WKST=${wkst} with INTERVAL>1 groups these days differently`,
      );
  }

  const allowed: Record<string, readonly string[]> = {
    minutes: [],
    hours: [],
    days: [],
    weekly: ['BYDAY'],
    monthly: ['BYDAY', 'BYMONTHDAY', 'BYMONTH', 'BYSETPOS'],
    yearly: ['BYDAY', 'BYMONTHDAY', 'BYMONTH', 'BYSETPOS'],
  };
  for (const k of ['BYDAY', 'BYMONTHDAY', 'BYMONTH', 'BYSETPOS'])
    if (map.has(k) && !allowed[kind]?.includes(k))
      badValue(P, `/RRULE/${k}`, `is not supported with FREQ=${freq}`);

  const months = map
    .get('BYMONTH')
    ?.split(',')
    .map((m, i) => parseInt1(m, `/RRULE/BYMONTH/${i}`, 1, 12));
  const onOf = (): MonthDay => {
    const byday = map.get('BYDAY');
    const bymd = map.get('BYMONTHDAY');
    const setpos = map.get('BYSETPOS');
    if (byday && bymd) badValue(P, '/RRULE/BYMONTHDAY', 'cannot be combined with BYDAY here');
    if (bymd) {
      if (setpos) badValue(P, '/RRULE/BYSETPOS', 'is supported only with BYDAY=MO,TU,WE,TH,FR or SA,SU');
      if (bymd.includes(',')) badValue(P, '/RRULE/BYMONTHDAY', 'only one day of the month is supported');
      const n = parseInt1(bymd, '/RRULE/BYMONTHDAY', -1, 31);
      if (n === 0) badValue(P, '/RRULE/BYMONTHDAY', 'must be 1 to 31 or -1');
      return { kind: 'day', day: n === -1 ? 'last' : n };
    }
    if (!byday) return { kind: 'day', day: d };
    const items = byday.split(',');
    if (setpos) {
      const sorted = [...items].sort().join(',');
      const of =
        sorted === [...WORKDAYS.split(',')].sort().join(',')
          ? 'weekday'
          : sorted === [...WEEKEND.split(',')].sort().join(',')
            ? 'weekendDay'
            : undefined;
      if (!of) badValue(P, '/RRULE/BYSETPOS', 'is supported only with BYDAY=MO,TU,WE,TH,FR or SA,SU');
      const n = parseInt1(setpos, '/RRULE/BYSETPOS', -1, 5);
      if (n === 0) badValue(P, '/RRULE/BYSETPOS', 'must be 1 to 5 or -1');
      return { kind: 'class', nth: n === -1 ? 'last' : (n as Nth), of };
    }
    const nths = new Set<Nth>();
    const days = new Set<Weekday>();
    const pairs = new Set<string>();
    items.forEach((it, i) => {
      const m = /^([+-]?\d)?(SU|MO|TU|WE|TH|FR|SA)$/.exec(it);
      if (!m)
        badValue(P, `/RRULE/BYDAY/${i}`, `must be a day such as MO, 2TU or -1FR, got ${JSON.stringify(it)}`);
      const wd = WEEKDAYS[ICAL_DAYS.indexOf(m[2] as (typeof ICAL_DAYS)[number])] as Weekday;
      const ordinals: Nth[] =
        m[1] === undefined ? [1, 2, 3, 4, 5] : [Number(m[1]) === -1 ? 'last' : (Number(m[1]) as Nth)];
      for (const n of ordinals) {
        if (!NTHS.includes(n))
          badValue(P, `/RRULE/BYDAY/${i}`, `ordinal ${m[1]} is not supported (1 to 5 or -1)`);
        nths.add(n);
        days.add(wd);
        pairs.add(`${n}${wd}`);
      }
    });
    if (pairs.size !== nths.size * days.size)
      badValue(P, '/RRULE/BYDAY', 'must list the same ordinals for every weekday (e.g. 1MO,3MO,1TH,3TH)');
    return { kind: 'weekdays', nth: [...nths], days: [...days] };
  };
  let recurrence: Record<string, unknown>;
  if (kind === 'weekly') {
    const byday = map.get('BYDAY');
    const days = byday
      ? byday.split(',').map((x, i) => {
          const j = ICAL_DAYS.indexOf(x as (typeof ICAL_DAYS)[number]);
          if (j < 0)
            badValue(
              P,
              `/RRULE/BYDAY/${i}`,
              `must be SU, MO, TU, WE, TH, FR or SA with FREQ=WEEKLY, got ${JSON.stringify(x)}`,
            );
          return WEEKDAYS[j];
        })
      : [startWd];
    recurrence = { kind, every, days };
  } else if (kind === 'monthly') {
    recurrence = { kind, every, on: onOf(), ...(months ? { months } : {}) };
  } else if (kind === 'yearly') {
    if (months && months.length !== 1)
      badValue(P, '/RRULE/BYMONTH', 'only one month is supported with FREQ=YEARLY');
    recurrence = { kind, every, month: months ? months[0] : mo, on: onOf() };
  } else recurrence = { kind, every };

  if (map.has('COUNT') && map.has('UNTIL')) badValue(P, '/RRULE/COUNT', 'cannot be combined with UNTIL');
  if (map.has('COUNT'))
    draft.end = {
      kind: 'after',
      occurrences: parseInt1(map.get('COUNT') as string, '/RRULE/COUNT', 1, 100_000),
    };
  const until = map.get('UNTIL');
  if (until !== undefined) {
    const u = parseDt(until, '/RRULE/UNTIL');
    if (zoneName && !u.utc)
      badValue(P, '/RRULE/UNTIL', 'must be in UTC ("Z") when DTSTART has a TZID (RFC 5545)');
    if (!zoneName && u.utc)
      badValue(P, '/RRULE/UNTIL', 'must be floating (no "Z") when DTSTART is floating (RFC 5545)');
    let local = localMs(u.local) + u.seconds * 1000;
    if (zoneName && zoneName !== 'UTC') local = zoneOffsets(zoneName).toLocal(local);
    const next = local + 1000;
    const iso = new Date(next).toISOString();
    if (next % DAY_MS === 0) draft.end = { kind: 'on', date: new Date(local).toISOString().slice(0, 10) };
    else if (next % MINUTE_MS === 0) draft.end = { kind: 'at', at: iso.slice(0, 16) };
    else {
      // an UNTIL that is not one second before a whole minute: the last occurrence is at or before it
      const ceil = Math.ceil((local + 1) / MINUTE_MS) * MINUTE_MS;
      draft.end = { kind: 'at', at: new Date(ceil).toISOString().slice(0, 16) };
    }
  }
  return parseSchedule({ ...draft, recurrence });
}
