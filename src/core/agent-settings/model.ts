// The settings a device's agent receives at check-in and keeps on disk, so that it honours maintenance
// windows, reboot behaviour and notifications while the server is unreachable. The server computes them
// (build.ts) from the maintenance windows and patch policies that apply to the device; the agent only
// reads them with the functions below. Times are concrete UTC intervals over a horizon of coming days, so
// the agent needs no schedule engine and no time-zone data.
//
// This module imports nothing: the agent program loads it.

/** a half-open UTC interval [start, end), ISO 8601 */
export interface SettingsInterval {
  readonly start: string;
  readonly end: string;
}

/** a maintenance window that applies to the device */
export interface AppliedWindow {
  readonly id: number;
  readonly name: string;
  /** assigned to the device's group or one of its ancestors: it gates every install on the device */
  readonly viaGroup: boolean;
  /** the policies targeting the device that it is assigned to: it gates their installs */
  readonly policyIds: readonly number[];
}

/**
 * When a window allows something: `installs` while its install schedule is open, `reboots` while its
 * reboot postponement interval (`within-interval`, the daily `between`) is open.
 */
export interface WindowInterval extends SettingsInterval {
  readonly windowId: number;
  readonly installs: boolean;
  readonly reboots: boolean;
}

/**
 * What happens after an install that needs a reboot, resolved from the windows' and policies' settings
 * (core/policies/behaviour.ts RebootPostponement, PolicyBehaviour autoReboot / suppressReboot):
 * - `never`: a policy suppresses reboots; the device stays "reboot required";
 * - `user-may-postpone`: nothing automatic, the user reboots when convenient (the agent announces it);
 * - `immediate`: a policy reboots automatically, at once;
 * - `automatic-after`: the reboot happens `delayMinutes` after the install, announced by `message`;
 * - `within-interval`: the reboot happens inside one of `intervals`, `delayMinutes` after it is announced
 *   there.
 */
export const REBOOT_MODES = [
  'never',
  'user-may-postpone',
  'immediate',
  'automatic-after',
  'within-interval',
] as const;
export type RebootMode = (typeof REBOOT_MODES)[number];

export interface RebootSettings {
  readonly mode: RebootMode;
  readonly delayMinutes: number;
  /** what the announcement says; null = the agent's own words */
  readonly message: string | null;
  /** announce the reboot to the users of the machine */
  readonly notify: boolean;
  /** with `within-interval`: when the reboot may happen */
  readonly intervals: readonly SettingsInterval[];
  /** the window or policy whose setting governs, null when none says anything */
  readonly source: { readonly kind: 'window' | 'policy'; readonly id: number } | null;
}

/** user notifications (core/policies/model.ts Notifications, merged over the policies targeting the device) */
export interface NotificationSettings {
  readonly beforeInstall: boolean;
  readonly beforeReboot: boolean;
  readonly installMessage: string | null;
  readonly rebootMessage: string | null;
  readonly installMessageMac: string | null;
  readonly rebootMessageMac: string | null;
  readonly deferralPeriodsHours: readonly number[];
  readonly maxDeferrals: number | null;
  /** shown while updates install */
  readonly progressMessage: string | null;
  /** repeats a pending restart */
  readonly rebootReminderMessage: string | null;
  /** tells the user a deferral was taken */
  readonly deferralMessage: string | null;
}

/**
 * When the agent announces the installations to come and when it restarts for installed updates, apart
 * from the install schedule (a policy's notifySchedule / rebootSchedule): UTC instants (ISO 8601) over the
 * horizon, sorted, at most SCHEDULE_INSTANTS_MAX of each.
 */
export interface UserSchedules {
  readonly notify: readonly string[];
  readonly reboot: readonly string[];
}
export const SCHEDULE_INSTANTS_MAX = 200;

/**
 * The Windows Update Agent configuration the device is to have (core/policies/behaviour.ts
 * WindowsUpdateOptions, which states what each field sets on Windows), from the first policy by id that
 * sets one; null: leave Windows Update as it is.
 */
export interface WindowsUpdateSettings {
  readonly configure: boolean;
  readonly autoUpdate: boolean;
  readonly peerToPeer: boolean;
  readonly peerToPeerOverInternet: boolean;
  readonly nonOsUpdates: boolean;
  /** the policy it comes from */
  readonly policyId: number;
}

/** a relay (caching server) of the device's organization, in priority order */
export interface RelaySource {
  readonly deviceId: number;
  readonly name: string;
  readonly hostname: string;
  readonly ipAddresses: readonly string[];
}

export interface PackageSourceSettings {
  /** try these first, in this order; then the server */
  readonly relays: readonly RelaySource[];
  /** the vendor's own URL may be used when neither a relay nor the server delivered */
  readonly directDownload: boolean;
}

export interface AgentSettings {
  readonly checkinIntervalSeconds: number;
  /** the zone the intervals were computed in (the device's, else its organization's, else the server's) */
  readonly timeZone: string;
  /** the intervals cover this period; outside it nothing is open */
  readonly horizon: SettingsInterval;
  readonly maintenance: {
    readonly windows: readonly AppliedWindow[];
    /** policies that install outside maintenance windows */
    readonly overridePolicyIds: readonly number[];
    readonly intervals: readonly WindowInterval[];
  };
  readonly reboot: RebootSettings;
  readonly notifications: NotificationSettings;
  readonly schedules: UserSchedules;
  readonly windowsUpdate: WindowsUpdateSettings | null;
  readonly packageSources: PackageSourceSettings;
}

const ms = (iso: string) => Date.parse(iso);

/** the windows that gate an install (of a policy's job when `policyId` is given), as in services/windows.ts installAllowedAt */
function gatingWindows(s: AgentSettings, policyId: number | undefined): Set<number> | 'override' {
  if (policyId !== undefined && s.maintenance.overridePolicyIds.includes(policyId)) return 'override';
  const ids = new Set<number>();
  for (const w of s.maintenance.windows)
    if (w.viaGroup || (policyId === undefined ? w.policyIds.length > 0 : w.policyIds.includes(policyId)))
      ids.add(w.id);
  return ids;
}

/**
 * Whether an install may start at `at`: allowed when no window gates it (or its policy overrides
 * windows), otherwise while an install interval of a gating window is open.
 */
export function installAllowedAt(s: AgentSettings, at: number, policyId?: number): boolean {
  const gating = gatingWindows(s, policyId);
  if (gating === 'override' || gating.size === 0) return true;
  return s.maintenance.intervals.some(
    (i) => i.installs && gating.has(i.windowId) && ms(i.start) <= at && at < ms(i.end),
  );
}

/** when installs next become allowed after `at`, or null when no interval of the horizon opens */
export function nextInstallOpening(s: AgentSettings, at: number, policyId?: number): number | null {
  if (installAllowedAt(s, at, policyId)) return at;
  const gating = gatingWindows(s, policyId);
  if (gating === 'override') return at;
  let best: number | null = null;
  for (const i of s.maintenance.intervals)
    if (i.installs && gating.has(i.windowId)) {
      const start = ms(i.start);
      if (start > at && (best === null || start < best)) best = start;
    }
  return best;
}

/** a planned reboot: announced at `announceAt` (when `announce`), performed at `rebootAt` */
export interface RebootPlan {
  readonly announceAt: number;
  readonly rebootAt: number | null;
  readonly announce: boolean;
  readonly message: string;
}

export const DEFAULT_REBOOT_MESSAGE = 'Patchline installed updates that need a restart of this computer.';

/**
 * What to do after an install at `at` left the machine needing a reboot. `rebootAt` null: nothing
 * automatic (`never`, `user-may-postpone`, or `within-interval` with no interval left in the horizon).
 */
export function planReboot(s: AgentSettings, at: number): RebootPlan | null {
  const r = s.reboot;
  const message = r.message ?? s.notifications.rebootMessage ?? DEFAULT_REBOOT_MESSAGE;
  const announce = r.notify;
  switch (r.mode) {
    case 'never':
      return null;
    case 'user-may-postpone':
      return { announceAt: at, rebootAt: null, announce, message };
    case 'immediate':
      return { announceAt: at, rebootAt: at, announce, message };
    case 'automatic-after':
      return { announceAt: at, rebootAt: at + r.delayMinutes * 60_000, announce, message };
    case 'within-interval': {
      const open = r.intervals
        .map((i) => ({ start: ms(i.start), end: ms(i.end) }))
        .filter((i) => i.end > at)
        .sort((a, b) => a.start - b.start)[0];
      if (!open) return { announceAt: at, rebootAt: null, announce, message };
      const t0 = Math.max(at, open.start);
      // announced when the interval opens (or now, inside it), performed the delay later but inside it
      const rebootAt = Math.max(t0, Math.min(t0 + r.delayMinutes * 60_000, open.end - 1000));
      return { announceAt: t0, rebootAt, announce, message };
    }
  }
}

/** the settings an agent uses before it has any: nothing gated, reboots left to the user */
export const NO_NOTIFICATIONS: NotificationSettings = {
  beforeInstall: false,
  beforeReboot: false,
  installMessage: null,
  rebootMessage: null,
  installMessageMac: null,
  rebootMessageMac: null,
  deferralPeriodsHours: [],
  maxDeferrals: null,
  progressMessage: null,
  rebootReminderMessage: null,
  deferralMessage: null,
};

export const NO_SCHEDULES: UserSchedules = { notify: [], reboot: [] };
