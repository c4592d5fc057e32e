// What a package manager (a real one behind the agent's backends, or the simulated machine) reports: the
// updates it offers, the packages installed, and how an install went. Plain data, shared by the agent,
// the fleet simulator and the demo, so it lives below all three.

export type BackendName = 'apt' | 'dnf' | 'yum' | 'zypper' | 'windows' | 'macos' | 'simulated';

/** What kind of thing an update installs: a package version, a vendor patch/advisory, a KB, a macOS label. */
export type UpdateKind = 'package' | 'patch' | 'kb' | 'label';

/** Vendor classification, reduced to what policies need. */
export type UpdateClassification = 'security' | 'bugfix' | 'enhancement' | 'feature' | 'other';

/** Normalised severity; `vendorSeverity` keeps the vendor's own word. */
export type Severity = 'critical' | 'important' | 'moderate' | 'low' | 'none';

/** What installing the update does to the machine. `shutdown` = needs a full power cycle (macOS bridgeOS). */
export type RebootBehaviour = 'never' | 'may' | 'required' | 'shutdown' | 'unknown';

export interface AvailableUpdate {
  /**
   * Stable key of this update on this machine, unique within one scan: what `install` is asked for.
   * apt/dnf/zypper packages: `name:arch`; zypper patches: the patch name; Windows: the UpdateID; macOS: the label.
   */
  readonly id: string;
  readonly kind: UpdateKind;
  /** package name, patch name, `KB5034441`, or the macOS label */
  readonly name: string;
  readonly title?: string;
  readonly arch?: string;
  /** the installed version, or null when the update brings something new */
  readonly installedVersion: string | null;
  /** the version that would be installed */
  readonly version: string;
  /** where it comes from: apt origins (`Debian-Security:12/oldstable-security`), repository id, catalog */
  readonly source: string;
  readonly classification: UpdateClassification;
  readonly severity?: Severity;
  /** the vendor's severity word as given (`Important`, `moderate`, `urgency=high`) */
  readonly vendorSeverity?: string;
  /** DSA/USN/RHSA/FEDORA/SUSE/MS bulletin ids, where known */
  readonly advisoryIds: readonly string[];
  readonly cves: readonly string[];
  readonly reboot: RebootBehaviour;
  /** the update needs user interaction (zypper `interactive`, macOS restart prompts) */
  readonly interactive?: boolean;
  readonly sizeBytes?: number;
}

export interface InstalledPackage {
  readonly name: string;
  readonly version: string;
  readonly arch?: string;
  /** source package (Debian source, rpm SRPM name) */
  readonly source?: string;
  /** package-manager state when not simply installed (`half-configured`, `unpacked`) */
  readonly status?: string;
}

export interface ScanResult {
  readonly backend: BackendName;
  readonly updates: readonly AvailableUpdate[];
  readonly inventory: readonly InstalledPackage[];
  /** non-fatal problems met while scanning (an unreachable mirror, an unparsable line) */
  readonly warnings: readonly string[];
}

export interface ScanOptions {
  /** refresh the package indexes first (`apt-get update`, `dnf makecache`, `zypper refresh`); default true */
  readonly refresh?: boolean;
}

export interface InstallRequest {
  /** the `AvailableUpdate.id` from a scan */
  readonly id: string;
  /** package, patch, KB or label name */
  readonly name: string;
  /** the exact version approved; the backend installs this one or fails */
  readonly version?: string;
  readonly arch?: string;
  readonly kind?: UpdateKind;
}

export type InstallStatus = 'succeeded' | 'failed';

export interface InstallResult {
  readonly id: string;
  readonly name: string;
  readonly status: InstallStatus;
  /** exit code of the command (or the Windows HRESULT as a signed integer); null when nothing ran */
  readonly exitCode: number | null;
  /** a short human-readable reason, the tool's own error line where there is one */
  readonly message: string;
  /** what is installed afterwards; null when not installed */
  readonly newVersion: string | null;
  /** this install asked for a reboot */
  readonly rebootRequired: boolean;
}

export interface RebootState {
  readonly required: boolean;
  /** packages or updates that asked for it, where the platform says */
  readonly packages: readonly string[];
}
