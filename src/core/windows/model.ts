import { Issues, checkString } from '../policies/fields.ts';
import type { DownloadSettings, RebootPostponement } from '../policies/behaviour.ts';
import type { SelectionRule, VendorProductSelection } from '../policies/model.ts';
import type { Schedule } from '../schedule/model.ts';

// A maintenance window: a named set of scan and install settings of an organization. It says when devices
// scan for patches, which classes of patches they install and when, which vendors/products are in or out,
// how reboots may be postponed and where packages come from. Windows are assigned to policies or groups
// and gate when installs may run.
//
// Its schedules are Patchline's canonical schedules (core/schedule/model.ts, the model policies use):
// an install window is an occurrence with a daily `window` (its start and its end). The shape is generic
// in the schedule so that a face may hold the same settings with its product's schedule objects
// (gz-form.ts: the native API's and GravityZone's form) and share the rules below.

export const WINDOW_NAME_MAX = 80;

export interface ScanSettingsOf<S> {
  /** scan for patches on the schedule */
  readonly enabled: boolean;
  /** also scan when a supported application is installed ("smart scan") */
  readonly onNewApplications: boolean;
  /** the scan schedule is also the schedule of every install class ("use the same schedule for all") */
  readonly sameScheduleForAll: boolean;
  /** null when scans are disabled */
  readonly schedule: S | null;
}

export interface PatchClassWindowOf<S> {
  readonly enabled: boolean;
  /**
   * The class's own schedule; null when disabled or when it follows another schedule (the shared scan
   * schedule, or for manually approved patches the security schedule). Use `installSchedule`.
   */
  readonly schedule: S | null;
}

export interface InstallSettingsOf<S> {
  /** install patches automatically ("Apply patch") */
  readonly enabled: boolean;
  /** an installation whose time was missed runs as soon as possible */
  readonly runMissedAsap: boolean;
  readonly security: PatchClassWindowOf<S>;
  readonly nonSecurity: PatchClassWindowOf<S>;
  readonly manuallyApproved: PatchClassWindowOf<S>;
  /** kept when disabled too, so reading a window back returns what was written */
  readonly vendorProducts: { readonly enabled: boolean } & VendorProductSelection;
  readonly rebootPostponement: RebootPostponement;
  /** manually approved patches, as references (a braced upper-case GUID); services resolve them */
  readonly manuallyApprovedPatches: readonly string[];
}

export interface WindowSettingsOf<S> {
  readonly scan: ScanSettingsOf<S>;
  readonly install: InstallSettingsOf<S>;
  readonly download: DownloadSettings;
}

/** A window's settings as stored: every schedule canonical. */
export type MaintenanceWindowSettings = WindowSettingsOf<Schedule>;
export type WindowScanSettings = ScanSettingsOf<Schedule>;
export type PatchClassWindow = PatchClassWindowOf<Schedule>;
export type WindowInstallSettings = InstallSettingsOf<Schedule>;

export interface MaintenanceWindow {
  readonly name: string;
  readonly settings: MaintenanceWindowSettings;
}

export type PatchClass = 'security' | 'nonSecurity' | 'manuallyApproved';
export const PATCH_CLASSES: readonly PatchClass[] = ['security', 'nonSecurity', 'manuallyApproved'];

/**
 * The schedule that governs installs of a class, or null when that class is not installed:
 * with "same schedule for all" every class uses the scan schedule; manually approved patches follow the
 * security schedule while security patches are enabled (the seed: their own schedulers "will be ignored").
 */
export function installSchedule<W extends WindowSettingsOf<unknown>>(
  s: W,
  cls: PatchClass,
): W['scan']['schedule'] {
  const { install } = s;
  if (!install.enabled || !install[cls].enabled) return null;
  if (s.scan.sameScheduleForAll) return s.scan.schedule;
  if (cls === 'manuallyApproved' && install.security.enabled) return installSchedule(s, 'security');
  return install[cls].schedule as W['scan']['schedule'];
}

/** The window's install settings as a policy selection rule, for `selectUpdates`. */
export function windowSelectionRule<S>(s: WindowSettingsOf<S>): SelectionRule {
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

/** Maps every schedule of a window's settings (a face's form ↔ the canonical one); the rest is shared. */
export function mapSchedules<A, B>(s: WindowSettingsOf<A>, f: (a: A) => B): WindowSettingsOf<B> {
  const m = (a: A | null) => (a === null ? null : f(a));
  const cls = (c: PatchClassWindowOf<A>): PatchClassWindowOf<B> => ({
    enabled: c.enabled,
    schedule: m(c.schedule),
  });
  return {
    scan: { ...s.scan, schedule: m(s.scan.schedule) },
    install: {
      ...s.install,
      security: cls(s.install.security),
      nonSecurity: cls(s.install.nonSecurity),
      manuallyApproved: cls(s.install.manuallyApproved),
    },
    download: s.download,
  };
}

/**
 * A window name: 1 to 80 characters, not blank; returned trimmed. Uniqueness within the organization is
 * checked by the service, which sees the other windows.
 */
export function checkWindowName(v: unknown, path: string, issues: Issues): string | undefined {
  return checkString(v, path, issues, { min: 1, max: WINDOW_NAME_MAX, notBlank: true })?.trim();
}

const GUID = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;

/** A manually approved patch reference: a GUID, braced or not; kept braced and upper case. */
export function normalPatchId(x: unknown): string | undefined {
  const m = typeof x === 'string' ? GUID.exec(x.trim()) : null;
  return m ? `{${m[1]!.toUpperCase()}}` : undefined;
}

// ---- the rules between the switches, whatever a face calls its fields ----------------------------------

/** How a face names the fields the cross-field rules speak of (full paths, and words for messages). */
export interface WindowFieldNames {
  readonly scanEnabled: { readonly path: string; readonly word: string };
  readonly installEnabled: string;
  /** where "no class enabled" is reported */
  readonly classes: string;
  readonly class: Readonly<Record<PatchClass, { readonly path: string; readonly word: string }>>;
  readonly sameSchedule: string;
}

export interface SwitchValues {
  readonly scan: boolean | undefined;
  readonly install: boolean | undefined;
  readonly classes: Readonly<Record<PatchClass, boolean | undefined>>;
  readonly same: boolean | undefined;
}

/** The seed's warnings: the install switch against the class switches and the scan switch. */
export function checkSwitches(v: SwitchValues, n: WindowFieldNames, issues: Issues): void {
  const sec = v.classes.security;
  const non = v.classes.nonSecurity;
  if (v.install === true && sec === false && non === false)
    issues.add(
      n.classes,
      `must enable ${n.class.security.word} or ${n.class.nonSecurity.word} when ${n.installEnabled} is true`,
    );
  if (v.install === false) {
    if (sec === true)
      issues.add(`${n.class.security.path}.enabled`, `must be false when ${n.installEnabled} is false`);
    if (non === true)
      issues.add(`${n.class.nonSecurity.path}.enabled`, `must be false when ${n.installEnabled} is false`);
  }
  if (v.install === true && v.scan === false)
    issues.add(n.scanEnabled.path, `must be true when ${n.installEnabled} is true`);
}

/**
 * Whether a class's own schedule is ignored (it follows another one) or required, and why: the seed's
 * U1–U5 (with the same schedule for all, class schedules are ignored; manually approved patches follow
 * the security schedule while security patches are enabled).
 */
export function classScheduleNeed(
  cls: PatchClass,
  v: SwitchValues,
  n: WindowFieldNames,
): { readonly ignored: boolean; readonly required: boolean; readonly because: string } {
  const same = v.same;
  const sec = v.classes.security;
  const sameText = `${n.sameSchedule} is false`;
  if (cls === 'manuallyApproved')
    return {
      ignored: same === true || sec === true,
      required: same === false && sec === false && v.classes.manuallyApproved === true,
      because: `${n.class.manuallyApproved.word}.enabled is true, ${n.class.security.word}.enabled is false and ${sameText}`,
    };
  return {
    ignored: same === true,
    required: same === false && v.classes[cls] === true,
    because: `${n.class[cls].word}.enabled is true and ${sameText}`,
  };
}
