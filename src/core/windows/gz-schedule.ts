import {
  GZ_RECURRENCE_NAMES,
  readGzBetween,
  readGzOldScheduler,
  readGzScheduler,
  type GzBetween,
  type GzOldScheduler,
  type GzProblem,
  type GzReport,
  type GzScheduler,
  type GzScheduleUse,
} from '../schedule/gravityzone.ts';
import { at, got, type Issues } from '../policies/fields.ts';

// GravityZone's two schedule objects in a maintenance window's parameters, kept unconverted (the
// schedule model converts them). The rules are core/schedule/gravityzone.ts's, the same the schedule
// conversion reads with; this file only words each broken rule as the window parameters report issues
// (every issue at once, dotted paths, the JSON-RPC face's words).

export {
  GZ_RECURRENCE,
  type GzBetween,
  type GzOldScheduler,
  type GzScheduler,
  type GzScheduleUse,
} from '../schedule/gravityzone.ts';

const namedCodes = (codes: readonly number[]) =>
  codes.map((c) => `${c} (${GZ_RECURRENCE_NAMES[c]})`).join(', ');
const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v);

function windowWords(p: GzProblem): string {
  switch (p.kind) {
    case 'required':
      return p.when ? `is required ${p.when}` : 'is required';
    case 'object':
      return `must be an object${p.fields ? ` ${p.fields}` : ''}, ${got(p.value)}`;
    case 'int':
      return isInt(p.value)
        ? `must be ${p.rangeText ?? `between ${p.min} and ${p.max}`}, ${got(p.value)}`
        : `must be an integer, ${got(p.value)}`;
    case 'recurrence':
      return p.value === undefined
        ? 'is required'
        : `must be one of ${namedCodes(p.allowed)} for a ${p.use} ${p.fallback ? 'fallback ' : ''}schedule, ${got(p.value)}`;
    case 'epoch':
      return !isInt(p.value)
        ? `must be an integer epoch time in seconds, ${got(p.value)}`
        : (p.value as number) <= 0
          ? `must be greater than 0, ${got(p.value)}`
          : `must be an epoch time in seconds (10 digits), ${got(p.value)}`;
    case 'days':
      return p.value === undefined
        ? `is required ${p.when}`
        : !Array.isArray(p.value)
          ? `must be an array, ${got(p.value)}`
          : `must list at least one day (0 = Sunday … 6 = Saturday) ${p.when}`;
    case 'day':
      return isInt(p.value)
        ? `must be between 0 (Sunday) and 6 (Saturday), ${got(p.value)}`
        : `must be an integer, ${got(p.value)}`;
    case 'rule':
      return p.message;
  }
}

const reportInto =
  (base: string, issues: Issues): GzReport =>
  (path, problem) =>
    issues.add(
      path.reduce<string>((p, k) => at(p, k), base),
      windowWords(problem),
    );

/** `between`: hours 0–23, minutes 0–59, endHour from startHour, and start strictly before end. */
export function parseGzBetween(v: unknown, path: string, issues: Issues): GzBetween | undefined {
  return readGzBetween(v, [], reportInto(path, issues));
}

/** `scheduler`, the current system: immediately, weekly every N weeks, monthly every N months. */
export function parseGzScheduler(
  v: unknown,
  path: string,
  issues: Issues,
  use: GzScheduleUse,
): GzScheduler | undefined {
  return readGzScheduler(v, [], reportInto(path, issues), use);
}

/** `oldScheduler`, the fallback system: immediately, daily, weekly at a time of day. */
export function parseGzOldScheduler(
  v: unknown,
  path: string,
  issues: Issues,
  use: GzScheduleUse,
): GzOldScheduler | undefined {
  return readGzOldScheduler(v, [], reportInto(path, issues), use);
}
