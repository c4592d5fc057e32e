import assert from 'node:assert/strict';
import { isDomainError, type FieldIssue } from '../../../src/core/errors.ts';

// A valid createPatchManagementMaintenanceWindow params object, and the paths of its parts.

export const S = 'settings';
export const SCAN = 'settings.scanPatchesSettings';
export const I = 'settings.installPatchesSettings';
export const U = `${I}.updateType`;
export const SEC = `${U}.securityPatchesSettings`;
export const NON = `${U}.nonSecurityPatchesSettings`;
export const MAN = `${U}.manuallyApprovedPatchesSettings`;
export const VP = `${I}.specificVendorAndProduct`;
export const PR = `${I}.postponeReboot`;

export const between = () => ({ startHour: 21, startMinute: 0, endHour: 23, endMinute: 59 });
export const weekly = () => ({
  recurrence: 3,
  startDate: 1637258826,
  between: between(),
  weeklyRecurrence: { every: 1, days: [1, 3, 5] },
});
export const monthly = () => ({
  recurrence: 4,
  startDate: 1637258826,
  between: between(),
  monthlyRecurrence: { every: 1, frequency: 2, frequencyDayOfWeek: 2 },
});
export const daily = () => ({ recurrence: 2, startHour: 3, startMinute: 30 });

// deliberately loose: tests reach into it to break one rule at a time
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

export function validParams(): Loose {
  return {
    name: 'Workstations',
    allowChangeByOtherUsers: false,
    settings: {
      downloadSettings: {
        cachingServers: [{ id: 'cache-a' }, { id: 'cache-b' }],
        fallbackOnDirectDownload: false,
      },
      installPatchesSettings: {
        enabled: true,
        ifMissedRunAsSoonAsPossible: true,
        specificVendorAndProduct: {
          enabled: true,
          type: 2,
          vendorProductsPairs: [
            { vendor: { id: '65' }, products: [{ id: '15694' }] },
            { vendor: { id: 'Inkscape' }, products: [{ id: '0' }] },
            { os: 3, vendor: { id: 'Oracle' }, products: [{ id: 'java-11-openjdk 11' }] },
          ],
        },
        postponeReboot: {
          option: 1,
          afterMinutes: 30,
          afterCustomMessage: 'Your computer restarts in 30 minutes',
          between: { startHour: 1, startMinute: 0, endHour: 5, endMinute: 0 },
        },
        updateType: {
          securityPatchesSettings: { enabled: true, scheduler: weekly() },
          nonSecurityPatchesSettings: { enabled: true, scheduler: monthly() },
          manuallyApprovedPatchesSettings: { enabled: true },
        },
        manuallyApprovedPatchIds: [
          '{0001354A-0000-0000-0000-000000000000}',
          '00016c6e-0000-0000-0000-000000000000',
        ],
      },
      scanPatchesSettings: {
        enabled: true,
        runOnSystemChanges: true,
        useFallbackSchedule: 'disabled',
        useSameSchedule: false,
        scheduler: weekly(),
      },
    },
  };
}

/** The issues of the DomainError that `fn` throws (fails when it does not throw one of kind invalid). */
export function issuesOf(fn: () => unknown): { message: string; issues: readonly FieldIssue[] } {
  try {
    fn();
  } catch (e) {
    assert.ok(isDomainError(e), `expected a DomainError, got ${String(e)}`);
    assert.equal(e.kind, 'invalid');
    return { message: e.message, issues: e.issues };
  }
  assert.fail('expected the input to be rejected');
}
