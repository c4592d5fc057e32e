import {
  fromGzOldScheduler,
  fromGzScheduler,
  readGzScheduler,
  toGzOldScheduler,
  toGzScheduler,
  type GzOldScheduler,
  type GzScheduler,
} from '../schedule/gravityzone.ts';
import type { Schedule } from '../schedule/model.ts';
import {
  mapSchedules,
  PATCH_CLASSES,
  type MaintenanceWindowSettings,
  type ScanSettingsOf,
  type WindowSettingsOf,
} from './model.ts';

// A window's settings with each schedule in one of GravityZone's two schedule objects: the form the
// native API has always spoken (`{format, value}`) and the one GravityZone's parameters are read into.
// Stored windows hold canonical schedules; this converts at the edge, both ways, with the schedule
// conversion of core/schedule/gravityzone.ts.
//
// What the canonical schedule does not keep, so reading back may differ in these only (same meaning):
// - `startDate` of a weekly or monthly scheduler gives the start date only (the time of day is the
//   window's start): it reads back as that date at the window's start time (UTC); an "immediately"
//   startDate keeps its minute;
// - days are read back in order (Sunday first);
// - `scheduleFormat` is derived: "fallback" when a schedule only oldScheduler expresses (daily, weekly
//   without a window, a time of day without a date), else "current". Scans are weekly/monthly with a
//   window or daily/weekly without one, so a window that scans always reads back as it was written; a
//   window with neither scans nor schedules reads back "current".

export type GzWindowSchedule =
  | { readonly format: 'gravityzone-scheduler'; readonly value: GzScheduler }
  | { readonly format: 'gravityzone-old-scheduler'; readonly value: GzOldScheduler };

export type GzScheduleFormat = 'current' | 'fallback';

export interface GzFormWindowSettings extends WindowSettingsOf<GzWindowSchedule> {
  readonly scan: ScanSettingsOf<GzWindowSchedule> & {
    /** which schedule object the window uses: `scheduler` (current) or `oldScheduler` (fallback) */
    readonly scheduleFormat: GzScheduleFormat;
  };
}

/** the canonical schedule of one schedule object */
export function canonicalOfGz(ws: GzWindowSchedule): Schedule {
  return ws.format === 'gravityzone-scheduler' ? fromGzScheduler(ws.value) : fromGzOldScheduler(ws.value);
}

/** the window settings with canonical schedules */
export function settingsFromGzForm(f: GzFormWindowSettings): MaintenanceWindowSettings {
  const { scheduleFormat: _format, ...scan } = f.scan;
  return mapSchedules({ ...f, scan }, canonicalOfGz);
}

const isClean = (read: (report: () => void) => unknown): boolean => {
  let ok = true;
  read(() => (ok = false));
  return ok;
};

/** a schedule as `scheduler`, or null when only `oldScheduler` expresses it */
function asScheduler(s: Schedule, use: 'scan' | 'install'): GzScheduler | null {
  try {
    const v = toGzScheduler(s);
    // a time of day without a date (1970-01-01T05:00) renders to a startDate the rules refuse
    return isClean((report) => readGzScheduler(v, [], report, use)) ? v : null;
  } catch {
    return null;
  }
}

/** The settings in the GravityZone form; throws `invalid` for a schedule neither object expresses. */
export function gzFormOf(s: MaintenanceWindowSettings): GzFormWindowSettings {
  const uses: [Schedule | null, 'scan' | 'install'][] = [
    [s.scan.schedule, 'scan'],
    ...PATCH_CLASSES.map((c) => [s.install[c].schedule, 'install'] as [Schedule | null, 'install']),
  ];
  const current = uses.every(([sch, use]) => sch === null || asScheduler(sch, use) !== null);
  const form = mapSchedules<Schedule, GzWindowSchedule>(s, (sch) =>
    current
      ? { format: 'gravityzone-scheduler', value: toGzScheduler(sch) }
      : { format: 'gravityzone-old-scheduler', value: toGzOldScheduler(sch) },
  );
  const scan = form.scan;
  return {
    ...form,
    scan: {
      enabled: scan.enabled,
      onNewApplications: scan.onNewApplications,
      scheduleFormat: current ? 'current' : 'fallback',
      sameScheduleForAll: scan.sameScheduleForAll,
      schedule: scan.schedule,
    },
  };
}

// ---- stored settings written before canonical schedules (migration 0010) --------------------------------

/** whether stored settings are in the earlier form (each schedule `{format, value}`, a scheduleFormat) */
export function isEarlierWindowForm(v: unknown): v is GzFormWindowSettings {
  const scan = typeof v === 'object' && v !== null ? (v as { scan?: unknown }).scan : undefined;
  return typeof scan === 'object' && scan !== null && 'scheduleFormat' in scan;
}

/**
 * Stored settings of the earlier form as the current ones, or null when they are current already. Every
 * schedule converts (the earlier rows were validated by the same rules); one that does not throws, so a
 * migration stops rather than lose it.
 */
export function upgradeWindowSettings(v: unknown): MaintenanceWindowSettings | null {
  return isEarlierWindowForm(v) ? settingsFromGzForm(v) : null;
}

/** Current stored settings back in the earlier form (a migration's `down`). */
export const downgradeWindowSettings = (s: MaintenanceWindowSettings): GzFormWindowSettings => gzFormOf(s);
