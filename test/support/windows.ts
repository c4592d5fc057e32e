/**
 * A maintenance window's native settings (GravityZone's weekly scheduler): scans and installs on the
 * given days (0 = Sunday) between two hours, UTC unless the window says otherwise. Installs take security
 * updates; the rest as asked. Tests change what they need and keep the rest.
 */
export function weeklyWindowSettings(o: {
  days: readonly number[];
  startHour: number;
  endHour: number;
  nonSecurity?: boolean;
  manuallyApproved?: boolean;
  rebootPostponement?: unknown;
}) {
  return {
    scan: {
      enabled: true,
      scheduleFormat: 'current',
      sameScheduleForAll: true,
      schedule: {
        format: 'gravityzone-scheduler',
        value: {
          recurrence: 3,
          startDate: 1767225600, // 2026-01-01
          between: { startHour: o.startHour, startMinute: 0, endHour: o.endHour, endMinute: 0 },
          weeklyRecurrence: { every: 1, days: [...o.days] },
        },
      },
    },
    install: {
      enabled: true,
      security: { enabled: true },
      nonSecurity: { enabled: o.nonSecurity ?? false },
      manuallyApproved: { enabled: o.manuallyApproved ?? false },
      rebootPostponement: o.rebootPostponement ?? { mode: 'user-may-postpone' },
    },
  };
}
