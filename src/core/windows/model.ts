import { Issues, checkString } from '../policies/fields.ts';
import type { DownloadSettings, RebootPostponement } from '../policies/behaviour.ts';
import type { SelectionRule, VendorProductSelection } from '../policies/model.ts';
import type { GzOldScheduler, GzScheduler } from './gz-schedule.ts';

// A maintenance window: a named set of scan and install settings of an organization (GravityZone's patch
// management maintenance window). It says when devices scan for patches, which classes of patches they
// install and when, which vendors/products are in or out, how reboots may be postponed and where packages
// come from. Windows are assigned to policies or groups and gate when installs may run.

export const WINDOW_NAME_MAX = 80;

/**
 * A schedule as the client gave it, validated but not converted (the schedule model converts it).
 * GravityZone has two formats: `scheduler` (current) and `oldScheduler` (fallback).
 */
export type WindowSchedule =
  | { readonly format: 'gravityzone-scheduler'; readonly value: GzScheduler }
  | { readonly format: 'gravityzone-old-scheduler'; readonly value: GzOldScheduler };

export interface WindowScanSettings {
  /** scan for patches on the schedule */
  readonly enabled: boolean;
  /** also scan when a supported application is installed ("smart scan") */
  readonly onNewApplications: boolean;
  /** which schedule format the window uses: the current one or the fallback one */
  readonly scheduleFormat: 'current' | 'fallback';
  /** the scan schedule is also the schedule of every install class ("use the same schedule for all") */
  readonly sameScheduleForAll: boolean;
  /** null when scans are disabled */
  readonly schedule: WindowSchedule | null;
}

export interface PatchClassWindow {
  readonly enabled: boolean;
  /**
   * The class's own schedule; null when disabled or when it follows another schedule (the shared scan
   * schedule, or for manually approved patches the security schedule). Use `installSchedule`.
   */
  readonly schedule: WindowSchedule | null;
}

export interface WindowInstallSettings {
  /** install patches automatically ("Apply patch") */
  readonly enabled: boolean;
  /** an installation whose time was missed runs as soon as possible */
  readonly runMissedAsap: boolean;
  readonly security: PatchClassWindow;
  readonly nonSecurity: PatchClassWindow;
  readonly manuallyApproved: PatchClassWindow;
  /** kept when disabled too, so reading a window back returns what was written */
  readonly vendorProducts: { readonly enabled: boolean } & VendorProductSelection;
  readonly rebootPostponement: RebootPostponement;
  /** manually approved patches, as references (a GUID for GravityZone); services resolve them */
  readonly manuallyApprovedPatches: readonly string[];
}

export interface MaintenanceWindowSettings {
  readonly scan: WindowScanSettings;
  readonly install: WindowInstallSettings;
  readonly download: DownloadSettings;
}

export interface MaintenanceWindow {
  readonly name: string;
  readonly settings: MaintenanceWindowSettings;
}

export type PatchClass = 'security' | 'nonSecurity' | 'manuallyApproved';

/**
 * The schedule that governs installs of a class, or null when that class is not installed:
 * with "same schedule for all" every class uses the scan schedule; manually approved patches follow the
 * security schedule while security patches are enabled (the seed: their own schedulers "will be ignored").
 */
export function installSchedule(s: MaintenanceWindowSettings, cls: PatchClass): WindowSchedule | null {
  const { install } = s;
  if (!install.enabled || !install[cls].enabled) return null;
  if (s.scan.sameScheduleForAll) return s.scan.schedule;
  if (cls === 'manuallyApproved' && install.security.enabled) return installSchedule(s, 'security');
  return install[cls].schedule;
}

/** The window's install settings as a policy selection rule, for `selectUpdates`. */
export function windowSelectionRule(s: MaintenanceWindowSettings): SelectionRule {
  const { install } = s;
  const vp = install.vendorProducts;
  return {
    match: { kind: 'all' },
    vendorProducts: vp.enabled ? { mode: vp.mode, pairs: vp.pairs } : null,
    classes: {
      security: install.enabled && install.security.enabled,
      nonSecurity: install.enabled && install.nonSecurity.enabled,
      manuallyApproved: install.enabled && install.manuallyApproved.enabled,
    },
    includeOptional: false,
  };
}

/**
 * A window name: 1 to 80 characters, not blank; returned trimmed. Uniqueness within the organization is
 * checked by the service, which sees the other windows.
 */
export function checkWindowName(v: unknown, path: string, issues: Issues): string | undefined {
  return checkString(v, path, issues, { min: 1, max: WINDOW_NAME_MAX, notBlank: true })?.trim();
}
