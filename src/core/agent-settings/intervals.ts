// A schedule's windows as concrete UTC intervals over a period: the same instants `windowAt` (the
// schedule engine) counts as inside a window, written out so an agent can check them without the engine.
// An occurrence's window runs from the occurrence to the end of the daily window (or over the
// distribution interval); exclusions cut holes; a schedule with neither a daily window nor a
// distribution has instants, not windows, and gives no interval; "immediately" is open all the time.
import { DAY_MS } from '../schedule/calendar.ts';
import { parseLocal, parseTime, type Schedule } from '../schedule/model.ts';
import { occurrencesBetween, windowAt, type OccurrenceOptions } from '../schedule/occurrences.ts';
import { zoneOffsets } from '../schedule/zones.ts';

/** [start, end) in epoch ms */
export type Span = readonly [number, number];

const MINUTE = 60_000;

/** sorts and joins overlapping or touching spans */
export function unionSpans(spans: readonly Span[]): Span[] {
  const sorted = [...spans].filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** `spans` without the parts covered by `holes` */
export function subtractSpans(spans: readonly Span[], holes: readonly Span[]): Span[] {
  const hs = unionSpans(holes);
  const out: Span[] = [];
  for (const [a0, b] of unionSpans(spans)) {
    let a = a0;
    for (const [h0, h1] of hs) {
      if (h1 <= a || h0 >= b) continue;
      if (h0 > a) out.push([a, h0]);
      a = Math.max(a, h1);
      if (a >= b) break;
    }
    if (a < b) out.push([a, b]);
  }
  return out;
}

function zoneName(s: Schedule, o: OccurrenceOptions): string {
  if (s.zone.kind === 'named') return s.zone.name;
  return (s.zone.kind === 'server' ? o.serverZone : o.deviceZone) ?? o.zone ?? 'UTC';
}

/** the schedule's exclusions that overlap [from, to), as UTC spans */
function exclusionSpans(s: Schedule, from: number, to: number, o: OccurrenceOptions): Span[] {
  if (!s.exclusions?.length) return [];
  const z = zoneOffsets(zoneName(s, o));
  const out: Span[] = [];
  const firstDay = Math.floor(z.toLocal(from) / DAY_MS) - 1;
  const lastDay = Math.floor(z.toLocal(to) / DAY_MS) + 1;
  for (const x of s.exclusions) {
    if (x.kind === 'period') {
      out.push([
        z.toUtc((parseLocal(x.from) as number) * MINUTE),
        z.toUtc((parseLocal(x.to) as number) * MINUTE),
      ]);
      continue;
    }
    const f = (parseTime(x.from) as number) * MINUTE;
    const t = (parseTime(x.to) as number) * MINUTE;
    for (let d = firstDay; d <= lastDay; d++) {
      const day = d * DAY_MS;
      out.push([z.toUtc(day + f), z.toUtc(t > f ? day + t : day + DAY_MS + t)]);
    }
  }
  return out;
}

/**
 * The UTC spans inside [from, to) during which the schedule has an open window (see `windowAt`), clipped
 * to [from, to).
 */
export function openSpans(s: Schedule, from: number, to: number, o: OccurrenceOptions = {}): Span[] {
  if (to <= from) return [];
  if (s.recurrence.kind === 'immediately') return [[from, to]];
  if (!s.window && !s.distribution) return [];
  // an occurrence before `from` may still have its window open at `from`
  const lookback = s.window ? DAY_MS + 2 * 3_600_000 : s.distribution!.minutes * MINUTE;
  const spans: Span[] = [];
  for (const u of occurrencesBetween(s, new Date(from - lookback - 1), new Date(to), o)) {
    // the engine's own answer for the occurrence's window: its end, or null when the occurrence itself
    // falls into an exclusion (the engine already skipped those) or has no window
    const w = windowAt(s, u, o);
    if (!w) continue;
    spans.push([Math.max(from, w.start.getTime()), Math.min(to, w.end.getTime())]);
  }
  return subtractSpans(spans, exclusionSpans(s, from, to, o));
}

/** a daily wall-clock range (`between`, start before end) in a zone, as UTC spans of [from, to) */
export function dailySpans(
  range: { start: { hour: number; minute: number }; end: { hour: number; minute: number } },
  zone: string,
  from: number,
  to: number,
): Span[] {
  const z = zoneOffsets(zone);
  const f = (range.start.hour * 60 + range.start.minute) * MINUTE;
  const t = (range.end.hour * 60 + range.end.minute) * MINUTE;
  const out: Span[] = [];
  const firstDay = Math.floor(z.toLocal(from) / DAY_MS) - 1;
  const lastDay = Math.floor(z.toLocal(to) / DAY_MS) + 1;
  for (let d = firstDay; d <= lastDay; d++) {
    const day = d * DAY_MS;
    const a = Math.max(from, z.toUtc(day + f));
    const b = Math.min(to, z.toUtc(t > f ? day + t : day + DAY_MS + t));
    if (b > a) out.push([a, b]);
  }
  return unionSpans(out);
}
