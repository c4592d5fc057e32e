// Shared by the schedule tests: build canonical schedules tersely and read instants as strings.
import { parseSchedule, type Schedule } from '../../../src/core/schedule/model.ts';
import { nextOccurrences, type OccurrenceOptions } from '../../../src/core/schedule/occurrences.ts';

export function schedule(partial: Record<string, unknown>): Schedule {
  return parseSchedule({ zone: { kind: 'device' }, ...partial });
}

export const iso = (ds: readonly Date[]) => ds.map((d) => d.toISOString().replace(':00.000Z', 'Z'));

export function next(s: Schedule, after: string, count: number, opts: OccurrenceOptions = {}): string[] {
  return iso(nextOccurrences(s, new Date(after), count, opts));
}
