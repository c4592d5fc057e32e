// Maintenance windows: Patchline's window settings, and the reader of GravityZone's window parameters.
export * from './model.ts';
export {
  parseGzWindowParams,
  parseGzWindowSettings,
  type GzWindowMethod,
  type GzWindowParams,
} from './gravityzone.ts';
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
