// Behaviour settings shared by patch policies and maintenance windows: reboot postponement and download
// sources. GravityZone windows and native policies describe them the same way, so both use these types.

/** A time of day on the device's clock. */
export interface TimeOfDay {
  readonly hour: number; // 0–23
  readonly minute: number; // 0–59
}

/** A daily interval; `start` is strictly before `end` (GravityZone `between`: it never crosses midnight). */
export interface TimeOfDayRange {
  readonly start: TimeOfDay;
  readonly end: TimeOfDay;
}

export const minutesOfDay = (t: TimeOfDay): number => t.hour * 60 + t.minute;

export const formatTimeOfDay = (t: TimeOfDay): string =>
  `${String(t.hour).padStart(2, '0')}:${String(t.minute).padStart(2, '0')}`;

/** Minutes after which an automatic reboot happens (GravityZone `afterMinutes`). */
export const REBOOT_AFTER_MINUTES = [10, 30, 45, 60] as const;
export type RebootAfterMinutes = (typeof REBOOT_AFTER_MINUTES)[number];
/** Longest reboot message shown on the device (GravityZone `afterCustomMessage`). */
export const REBOOT_MESSAGE_MAX = 128;

/**
 * What the user may do about a reboot that an installation needs (GravityZone `postponeReboot.option`):
 * - `user-may-postpone` (0): postpone until a more convenient time;
 * - `within-interval` (1): postpone, but the reboot happens within `between`; after `afterMinutes` outside
 *   of it the `message` announces it;
 * - `automatic-after` (2): the device reboots automatically `afterMinutes` after the install, announced
 *   by `message`.
 */
export type RebootPostponement =
  | { readonly mode: 'user-may-postpone' }
  | {
      readonly mode: 'within-interval';
      readonly afterMinutes: RebootAfterMinutes;
      readonly message: string;
      readonly between: TimeOfDayRange;
    }
  | { readonly mode: 'automatic-after'; readonly afterMinutes: RebootAfterMinutes; readonly message: string };

/**
 * Where devices get packages. `cachingServers` are references to caching servers in priority order (the
 * first is tried first), kept as the caller gave them; services resolve them and reject unknown ones.
 * `directDownloadFallback` lets a device download from the vendor when no caching server can serve it.
 */
export interface DownloadSettings {
  readonly cachingServers: readonly string[];
  readonly directDownloadFallback: boolean;
}

export const DEFAULT_DOWNLOAD: DownloadSettings = { cachingServers: [], directDownloadFallback: true };

/**
 * How a policy has the Windows Update Agent configured on its devices (Altiris "Microsoft Update
 * Configuration", seed 000 SetPluginPolicyMicrosoftUpdateOptions). Each field is a real WUA setting, so
 * the Windows agent can apply it:
 *
 * | field                     | seed parameter              | Windows Update Agent setting                                   |
 * | ------------------------- | --------------------------- | -------------------------------------------------------------- |
 * | `configure`               | enableConfiguration         | the policy manages WUA: AU policy keys are written (else left)  |
 * | `autoUpdate`              | enableAutoUpdate            | `NoAutoUpdate` = 0 when true, 1 when false (Windows's own      |
 * |                           |                             | automatic download and installation)                           |
 * | `peerToPeer`              | enablePeer2Peer             | Delivery Optimization `DODownloadMode` 1 (LAN peers)           |
 * | `peerToPeerOverInternet`  | enablePeer2PeerOverInternet | `DODownloadMode` 3 (LAN and Internet peers); 0 when both off   |
 * | `nonOsUpdates`            | enableNonOsUpdates          | the Microsoft Update service (7971f918-a847-4430-9279-4a52d1efe18d) |
 * |                           |                             | is registered: updates for Office and other Microsoft products |
 */
export interface WindowsUpdateOptions {
  readonly configure: boolean;
  readonly autoUpdate: boolean;
  readonly peerToPeer: boolean;
  readonly peerToPeerOverInternet: boolean;
  readonly nonOsUpdates: boolean;
}

export const WINDOWS_UPDATE_FIELDS = [
  'configure',
  'autoUpdate',
  'peerToPeer',
  'peerToPeerOverInternet',
  'nonOsUpdates',
] as const satisfies readonly (keyof WindowsUpdateOptions)[];
