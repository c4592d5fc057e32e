// Maintenance windows: the stored settings (canonical schedules), the rules every face reads them by,
// the native reader, and the GravityZone form of the settings with its schedule objects.
export * from './model.ts';
export { parseWindowSettings } from './parse.ts';
export * from './read.ts';
export {
  canonicalOfGz,
  gzFormOf,
  settingsFromGzForm,
  type GzFormWindowSettings,
  type GzScheduleFormat,
  type GzWindowSchedule,
} from './gz-form.ts';
export {
  parseGzScheduler,
  parseGzOldScheduler,
  parseGzBetween,
  GZ_RECURRENCE,
  type GzScheduler,
  type GzOldScheduler,
  type GzBetween,
  type GzScheduleUse,
} from './gz-schedule.ts';
