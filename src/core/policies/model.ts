import type { ApprovalAction } from '../approvals.ts';
import type { BulletinId, DeviceId, GroupId, Id, UpdateId } from '../ids.ts';
import type { Severity } from '../severity.ts';
import type { AdvancedFilter } from './advanced-filter.ts';
import type { Schedule } from '../schedule/model.ts';
import type { DownloadSettings, RebootPostponement, WindowsUpdateOptions } from './behaviour.ts';

// A patch policy: a selection rule (which updates), targets (which devices), a schedule (when) and
// behaviour (how: install, reboot, notify, defer, download). Concordance: Automox policy, GravityZone
// maintenance window install settings, Altiris software update policy, N-able device patch policy.

/** A saved device filter (Altiris filter-based resource target, Automox device targeting). */
export type DeviceFilterId = Id<'DeviceFilter'>;

export const OS_FAMILIES = ['windows', 'linux', 'macos'] as const;
export type OsFamily = (typeof OS_FAMILIES)[number];

/** A vendor and some of its products; `products` empty means every product of the vendor. */
export interface VendorProductPair {
  /** the pair applies only to devices of this family; null = any */
  readonly os: OsFamily | null;
  /** vendor name or catalog id; wildcards allowed */
  readonly vendor: string;
  /** product names or catalog ids; wildcards allowed */
  readonly products: readonly string[];
}

export interface VendorProductSelection {
  readonly mode: 'include' | 'exclude';
  readonly pairs: readonly VendorProductPair[];
}

/**
 * Which updates the rule matches before approvals, classes and the optional flag are applied:
 * - `all`: every missing update (Automox "Patch All");
 * - `include`: only updates whose name, KB or package matches a pattern (Automox "Patch Only");
 * - `exclude`: every update except those matching a pattern (Automox "Patch All Except");
 * - `severity`: updates whose severity is in the set (Automox "Patch by Severity");
 * - `advanced`: updates satisfying every filter line (Automox "Advanced");
 * - `manual`: only updates approved for the device (Automox "Manually Approve");
 * - `list`: the listed bulletins or updates (Altiris CreateUpdatePolicy / CreateUpdatePolicyViaUpdates).
 */
export type RuleMatch =
  | { readonly kind: 'all' }
  | { readonly kind: 'include'; readonly patterns: readonly string[] }
  | { readonly kind: 'exclude'; readonly patterns: readonly string[] }
  | { readonly kind: 'severity'; readonly severities: readonly Severity[] }
  | { readonly kind: 'advanced'; readonly filters: readonly AdvancedFilter[] }
  | { readonly kind: 'manual' }
  | {
      readonly kind: 'list';
      readonly bulletins: readonly BulletinId[];
      readonly updates: readonly UpdateId[];
    };

export type RuleKind = RuleMatch['kind'];
export const RULE_KINDS: readonly RuleKind[] = [
  'all',
  'include',
  'exclude',
  'severity',
  'advanced',
  'manual',
  'list',
];

/** Update classes the policy installs (GravityZone security / non-security / manually approved patches). */
export interface PatchClasses {
  readonly security: boolean;
  readonly nonSecurity: boolean;
  /** approved updates are selected even when their security class is off */
  readonly manuallyApproved: boolean;
}

/**
 * Lists a rule keeps without applying them: Automox keeps a policy's `filters` and `severity_filter`
 * whatever its rule, so that a client reads back what it wrote and a later switch of the rule finds them.
 */
export interface KeptLists {
  readonly patterns: readonly string[];
  readonly severities: readonly Severity[];
}

export interface SelectionRule {
  readonly match: RuleMatch;
  readonly vendorProducts: VendorProductSelection | null;
  readonly classes: PatchClasses;
  /** include updates flagged optional (Automox `include_optional`, default false) */
  readonly includeOptional: boolean;
  /** kept, never applied by the selection; absent (or null) when none */
  readonly keptLists?: KeptLists | null;
}

export interface PolicyTargets {
  readonly groups: readonly GroupId[];
  readonly devices: readonly DeviceId[];
  readonly deviceFilter: DeviceFilterId | null;
  /**
   * a rollout plan (core/rollout) instead of groups, devices and a filter: the policy reaches the plan's
   * rings' devices, and what it selects is approved into the plan and installed ring by ring
   */
  readonly rolloutPlan?: number | null;
}

/** Altiris "Do not install if system reboot is pending": obey the agent setting, install anyway, or wait. */
export const REBOOT_PENDING_MODES = ['default', 'install-anyway', 'wait-until-reboot'] as const;
export type RebootPendingMode = (typeof REBOOT_PENDING_MODES)[number];

/** Limits from the Automox seed (custom notifications). */
export const NOTIFICATION_LIMITS = {
  installMessage: 125,
  rebootMessage: 125,
  installMessageMac: 70,
  rebootMessageMac: 70,
  deferralPeriods: 3,
  deferralHoursMax: 24,
  maxDeferrals: 100,
  // Altiris plug-in policy messages (seed 000 SetPluginPolicyMessages) are paragraphs, not toasts
  progressMessage: 1024,
  rebootReminderMessage: 1024,
  deferralMessage: 1024,
} as const;

export interface Notifications {
  /** announce the installation beforehand (Automox `notify_user`: 15 minutes before) */
  readonly beforeInstall: boolean;
  /** announce that a reboot will follow (Automox `notify_reboot_user`) */
  readonly beforeReboot: boolean;
  readonly installMessage: string | null; // Windows, at most 125 characters
  readonly rebootMessage: string | null; // Windows, at most 125 characters
  readonly installMessageMac: string | null; // macOS, at most 70 characters
  readonly rebootMessageMac: string | null; // macOS, at most 70 characters
  /** hours a user may choose to defer by: up to three distinct values of 1 to 24 */
  readonly deferralPeriodsHours: readonly number[];
  /** deferrals allowed before the installation is forced; null when deferral is off */
  readonly maxDeferrals: number | null;
  /** shown while updates install (Altiris "Software Update Installation Progress"); absent or null: none */
  readonly progressMessage?: string | null;
  /** repeats a pending restart (Altiris "Reboot reminder"); absent or null: none */
  readonly rebootReminderMessage?: string | null;
  /** tells the user a deferral was taken (Altiris "user deferral notification"); absent or null: none */
  readonly deferralMessage?: string | null;
}

export interface PolicyBehaviour {
  /** install automatically when the schedule fires (Automox `auto_patch`, GravityZone "Apply patch") */
  readonly autoInstall: boolean;
  /** reboot automatically when an update needs it (Automox `auto_reboot`, Altiris "Allow immediate restart") */
  readonly autoReboot: boolean;
  /** never reboot, even when an update needs it; the device stays in "reboot required" */
  readonly suppressReboot: boolean;
  readonly rebootPostponement: RebootPostponement | null;
  readonly whenRebootPending: RebootPendingMode;
  readonly notifications: Notifications;
  /** run as soon as possible when the scheduled time was missed (Automox `missed_patch_window`) */
  readonly runMissedAsap: boolean;
  /** install outside maintenance windows (Altiris "Override Maintenance Windows settings") */
  readonly overrideMaintenanceWindows: boolean;
  readonly download: DownloadSettings;
  /**
   * A command line the policy's installs run with (Altiris SetAdvertisementCustomCmdLine, seed 000):
   * kept with the policy and shown by the faces; Patchline's agents install through their package
   * managers and do not run it. Absent or null when none.
   */
  readonly installCommandLine?: string | null;
  /** how the Windows Update Agent is configured (behaviour.ts WindowsUpdateOptions); absent or null: left alone */
  readonly windowsUpdate?: WindowsUpdateOptions | null;
  /**
   * When the agent announces the updates it is to install, and when it restarts the computer for them,
   * apart from the install schedule (Altiris plug-in policy notifySchedule / rebootSchedule, seed 000
   * SetPluginPolicySchedules). Absent or null: with the installation.
   */
  readonly notifySchedule?: Schedule | null;
  readonly rebootSchedule?: Schedule | null;
}

/** the longest install command line a policy keeps */
export const INSTALL_COMMAND_LINE_MAX = 1024;

export interface PatchPolicy {
  readonly name: string;
  readonly notes: string;
  readonly enabled: boolean;
  readonly rule: SelectionRule;
  readonly targets: PolicyTargets;
  /** opaque here; validated and interpreted by the schedule model (core/schedule) */
  readonly schedule: unknown;
  readonly behaviour: PolicyBehaviour;
}

// ---- evaluation inputs and outputs ----

export interface DeviceFacts {
  readonly id: DeviceId;
  /** every group the device belongs to, including the ancestors of its own group */
  readonly groupIds: readonly GroupId[];
  readonly osFamily: OsFamily | null;
  /** saved device filters the device currently matches (evaluated by the caller) */
  readonly deviceFilterIds?: readonly DeviceFilterId[];
  /** the device is in a ring of the rollout plan the policy targets (evaluated by the caller) */
  readonly inRolloutPlan?: boolean;
}

/** A missing update on the device, with the device's effective approval of it. */
export interface CandidateUpdate {
  readonly updateId: UpdateId;
  readonly bulletinId?: BulletinId | null;
  /** display name / title */
  readonly name: string;
  readonly kb?: string | null;
  readonly package?: string | null;
  readonly version?: string | null;
  readonly vendor?: string | null;
  readonly product?: string | null;
  readonly severity: Severity;
  readonly classification?: string | null;
  readonly security: boolean;
  readonly optional: boolean;
  /** where the update comes from: windowsupdate, apt, dnf, zypper, softwareupdate, a third-party catalog … */
  readonly patchSource?: string | null;
  /** effective approval after precedence (core/approvals.ts); undefined when nobody decided */
  readonly approval?: ApprovalAction;
}

export type ExclusionReason =
  | 'policy-disabled'
  | 'not-targeted'
  | 'ignored'
  | 'do-nothing'
  | 'not-approved'
  | 'not-included'
  | 'excluded-by-pattern'
  | 'severity'
  | 'advanced-filter'
  | 'not-listed'
  | 'vendor-product'
  | 'class-disabled'
  | 'optional';

export interface Exclusion {
  readonly update: CandidateUpdate;
  readonly reason: ExclusionReason;
  /** for people: which pattern, filter line or setting excluded it */
  readonly detail: string;
}

export interface Selection {
  readonly targeted: boolean;
  readonly selected: readonly CandidateUpdate[];
  readonly excluded: readonly Exclusion[];
}
