// Builds a device's agent settings (model.ts) from the maintenance windows and patch policies that apply to
// it. Pure: the service gathers the rows and resolves the relays; this decides what they mean together.
//
// Which windows and policies apply mirrors services/windows.ts installAllowedAt: windows assigned to the
// device's group or an ancestor gate every install; windows assigned to an enabled policy that targets
// the device (by group or directly) gate that policy's installs, unless the policy overrides maintenance
// windows. Where several sources say different things:
// - reboot: a policy that suppresses reboots wins; otherwise the first automatic postponement
//   (`automatic-after`, `within-interval`) in source order (windows of the nearest group first, then
//   windows of policies, then the policies' own settings, each by id); otherwise a policy's autoReboot
//   reboots at once; otherwise the user decides;
// - notifications (policies only): a flag is on when any policy sets it; each message is the first one
//   set (by policy id); the fewest deferrals allowed win;
// - notify and reboot schedules (policies only): the instants of every policy's schedules together;
// - Windows Update configuration: the first policy by id that sets one;
// - download: caching servers in source order without repeats; direct download only when every source
//   allows it.
import { DEFAULT_DOWNLOAD, type DownloadSettings, type RebootPostponement } from '../policies/behaviour.ts';
import type { PolicyBehaviour } from '../policies/model.ts';
import { installSchedule, type MaintenanceWindowSettings, type PatchClass } from '../windows/model.ts';
import type { Schedule } from '../schedule/model.ts';
import { occurrencesBetween } from '../schedule/occurrences.ts';
import { dailySpans, openSpans, unionSpans, type Span } from './intervals.ts';
import {
  NO_NOTIFICATIONS,
  SCHEDULE_INSTANTS_MAX,
  type UserSchedules,
  type WindowsUpdateSettings,
  type AgentSettings,
  type AppliedWindow,
  type NotificationSettings,
  type PackageSourceSettings,
  type RebootSettings,
  type SettingsInterval,
  type WindowInterval,
} from './model.ts';

/** how many days of intervals the settings carry */
export const HORIZON_DAYS = 15;

export interface WindowSource {
  readonly id: number;
  readonly name: string;
  readonly settings: MaintenanceWindowSettings;
  /** 0 = assigned to the device's own group, 1 = its parent …; null = assigned to policies only */
  readonly groupDepth: number | null;
  /** the enabled policies targeting the device that it is assigned to */
  readonly policyIds: readonly number[];
}

export interface PolicySource {
  readonly id: number;
  readonly behaviour: PolicyBehaviour;
}

export interface SettingsInput {
  readonly checkinIntervalSeconds: number;
  /** the device's zone (else its organization's, else the server's) */
  readonly zone: string;
  readonly serverZone: string;
  /** epoch ms; the intervals cover [from, to) */
  readonly horizon: { readonly from: number; readonly to: number };
  readonly windows: readonly WindowSource[];
  /** the enabled policies targeting the device */
  readonly policies: readonly PolicySource[];
  readonly packageSources: PackageSourceSettings;
}

const CLASSES: readonly PatchClass[] = ['security', 'nonSecurity', 'manuallyApproved'];

/** the spans of [from, to) in which a window lets installs of at least one class run */
export function windowInstallSpans(
  s: MaintenanceWindowSettings,
  from: number,
  to: number,
  zone: string,
  serverZone: string,
): Span[] {
  const spans: Span[] = [];
  for (const cls of CLASSES) {
    const sched = installSchedule(s, cls);
    if (!sched) continue;
    spans.push(...openSpans(sched, from, to, { deviceZone: zone, zone, serverZone }));
  }
  return unionSpans(spans);
}

const iso = (t: number) => new Date(t).toISOString();
const interval = ([a, b]: Span): SettingsInterval => ({ start: iso(a), end: iso(b) });

/** windows of the nearest group first, then windows of policies only, each by id */
const windowOrder = (a: WindowSource, b: WindowSource) =>
  (a.groupDepth ?? Infinity) - (b.groupDepth ?? Infinity) || a.id - b.id;

/** the download settings every source together allows (see the header) */
export function mergeDownload(
  windows: readonly WindowSource[],
  policies: readonly PolicySource[],
): DownloadSettings {
  const all = [
    ...[...windows].sort(windowOrder).map((w) => w.settings.download),
    ...[...policies].sort((a, b) => a.id - b.id).map((p) => p.behaviour.download),
  ];
  if (!all.length) return DEFAULT_DOWNLOAD;
  const servers: string[] = [];
  for (const d of all) for (const c of d.cachingServers) if (!servers.includes(c)) servers.push(c);
  return { cachingServers: servers, directDownloadFallback: all.every((d) => d.directDownloadFallback) };
}

function mergeNotifications(policies: readonly PolicySource[]): NotificationSettings {
  const ns = [...policies].sort((a, b) => a.id - b.id).map((p) => p.behaviour.notifications);
  if (!ns.length) return NO_NOTIFICATIONS;
  const first = <K extends keyof NotificationSettings>(k: K) => ns.find((n) => n[k] !== null)?.[k] ?? null;
  const deferring = ns
    .filter((n) => n.maxDeferrals !== null)
    .sort((a, b) => (a.maxDeferrals as number) - (b.maxDeferrals as number))[0];
  return {
    beforeInstall: ns.some((n) => n.beforeInstall),
    beforeReboot: ns.some((n) => n.beforeReboot),
    installMessage: first('installMessage') as string | null,
    rebootMessage: first('rebootMessage') as string | null,
    installMessageMac: first('installMessageMac') as string | null,
    rebootMessageMac: first('rebootMessageMac') as string | null,
    deferralPeriodsHours: deferring ? [...deferring.deferralPeriodsHours] : [],
    maxDeferrals: deferring?.maxDeferrals ?? null,
    progressMessage: ns.find((n) => n.progressMessage)?.progressMessage ?? null,
    rebootReminderMessage: ns.find((n) => n.rebootReminderMessage)?.rebootReminderMessage ?? null,
    deferralMessage: ns.find((n) => n.deferralMessage)?.deferralMessage ?? null,
  };
}

/** the instants of the policies' notify and reboot schedules in [from, to) (see the header) */
function userSchedules(
  policies: readonly PolicySource[],
  zone: string,
  serverZone: string,
  from: number,
  to: number,
): UserSchedules {
  const instants = (pick: (p: PolicySource) => Schedule | null | undefined) => {
    const all = new Set<number>();
    for (const p of policies) {
      const s = pick(p);
      if (!s) continue;
      const opts = { deviceZone: zone, zone, serverZone };
      for (const d of occurrencesBetween(s, new Date(from), new Date(to), opts, SCHEDULE_INSTANTS_MAX))
        all.add(d.getTime());
    }
    return [...all]
      .sort((a, b) => a - b)
      .slice(0, SCHEDULE_INSTANTS_MAX)
      .map(iso);
  };
  return {
    notify: instants((p) => p.behaviour.notifySchedule),
    reboot: instants((p) => p.behaviour.rebootSchedule),
  };
}

function windowsUpdate(policies: readonly PolicySource[]): WindowsUpdateSettings | null {
  const p = [...policies].sort((a, b) => a.id - b.id).find((x) => x.behaviour.windowsUpdate);
  return p ? { ...p.behaviour.windowsUpdate!, policyId: p.id } : null;
}

function resolveReboot(
  windows: readonly WindowSource[],
  policies: readonly PolicySource[],
  notifications: NotificationSettings,
  zone: string,
  from: number,
  to: number,
): RebootSettings {
  const byId = [...policies].sort((a, b) => a.id - b.id);
  const suppressing = byId.find((p) => p.behaviour.suppressReboot);
  if (suppressing)
    return {
      mode: 'never',
      delayMinutes: 0,
      message: null,
      notify: false,
      intervals: [],
      source: { kind: 'policy', id: suppressing.id },
    };
  const candidates: { kind: 'window' | 'policy'; id: number; p: RebootPostponement }[] = [
    ...[...windows]
      .sort(windowOrder)
      .map((w) => ({ kind: 'window' as const, id: w.id, p: w.settings.install.rebootPostponement })),
    ...byId
      .filter((p) => p.behaviour.rebootPostponement)
      .map((p) => ({ kind: 'policy' as const, id: p.id, p: p.behaviour.rebootPostponement! })),
  ];
  const auto = candidates.find((c) => c.p.mode !== 'user-may-postpone');
  if (auto && auto.p.mode === 'automatic-after')
    return {
      mode: 'automatic-after',
      delayMinutes: auto.p.afterMinutes,
      message: auto.p.message || null,
      notify: true,
      intervals: [],
      source: { kind: auto.kind, id: auto.id },
    };
  if (auto && auto.p.mode === 'within-interval')
    return {
      mode: 'within-interval',
      delayMinutes: auto.p.afterMinutes,
      message: auto.p.message || null,
      notify: true,
      intervals: dailySpans(auto.p.between, zone, from, to).map(interval),
      source: { kind: auto.kind, id: auto.id },
    };
  const autoReboot = byId.find((p) => p.behaviour.autoReboot);
  if (autoReboot)
    return {
      mode: 'immediate',
      delayMinutes: 0,
      message: null,
      notify: notifications.beforeReboot,
      intervals: [],
      source: { kind: 'policy', id: autoReboot.id },
    };
  const first = candidates[0];
  return {
    mode: 'user-may-postpone',
    delayMinutes: 0,
    message: null,
    // nothing happens by itself: the users must learn that a restart is needed
    notify: true,
    intervals: [],
    source: first ? { kind: first.kind, id: first.id } : null,
  };
}

export function buildAgentSettings(input: SettingsInput): AgentSettings {
  const { from, to } = input.horizon;
  const overriding = new Set(
    input.policies.filter((p) => p.behaviour.overrideMaintenanceWindows).map((p) => p.id),
  );
  const windows = [...input.windows].sort(windowOrder);
  const applied: AppliedWindow[] = [];
  const intervals: WindowInterval[] = [];
  for (const w of windows) {
    const policyIds = w.policyIds.filter((id) => !overriding.has(id)).sort((a, b) => a - b);
    const viaGroup = w.groupDepth !== null;
    if (!viaGroup && !policyIds.length) continue; // it gates nothing on this device
    applied.push({ id: w.id, name: w.name, viaGroup, policyIds });
    for (const span of windowInstallSpans(w.settings, from, to, input.zone, input.serverZone))
      intervals.push({ windowId: w.id, ...interval(span), installs: true, reboots: false });
    const rp = w.settings.install.rebootPostponement;
    if (rp.mode === 'within-interval')
      for (const span of dailySpans(rp.between, input.zone, from, to))
        intervals.push({ windowId: w.id, ...interval(span), installs: false, reboots: true });
  }
  intervals.sort((a, b) => a.start.localeCompare(b.start) || a.windowId - b.windowId);
  const notifications = mergeNotifications(input.policies);
  return {
    checkinIntervalSeconds: input.checkinIntervalSeconds,
    timeZone: input.zone,
    horizon: interval([from, to]),
    maintenance: {
      windows: applied,
      overridePolicyIds: [...overriding].sort((a, b) => a - b),
      intervals,
    },
    reboot: resolveReboot(windows, input.policies, notifications, input.zone, from, to),
    notifications,
    schedules: userSchedules(input.policies, input.zone, input.serverZone, from, to),
    windowsUpdate: windowsUpdate(input.policies),
    packageSources: input.packageSources,
  };
}

/**
 * The horizon of a device's settings at `now`: whole days from a boundary that is shifted per device (so
 * that a fleet does not recompute its settings all at the same midnight), and the number of that day,
 * which changes when the horizon moves on.
 */
export function settingsHorizon(now: number, deviceId: number): { from: number; to: number; epoch: number } {
  const DAY = 86_400_000;
  const shift = (deviceId % 24) * 3_600_000;
  const epoch = Math.floor((now - shift) / DAY);
  const from = epoch * DAY + shift;
  return { from, to: from + HORIZON_DAYS * DAY, epoch };
}
