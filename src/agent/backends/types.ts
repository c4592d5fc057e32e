// The one shape every package-manager backend has, so the agent loop and the fleet simulator can drive
// apt, dnf, zypper, Windows Update, softwareupdate and the simulated machine alike.

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

export interface Backend {
  readonly name: BackendName;
  scan(options?: ScanOptions): Promise<ScanResult>;
  install(updates: readonly InstallRequest[]): Promise<InstallResult[]>;
  rebootRequired(): Promise<RebootState>;
  /**
   * Installs one update from a package file the agent downloaded and verified by its SHA-256. Absent: the
   * backend installs only through its package manager, which fetches packages itself.
   */
  installFile?(update: InstallRequest, path: string): Promise<InstallResult>;
  /**
   * Tells the people using the machine something (an install, a coming restart); resolves to whether it
   * reached them. Absent, or false: the agent only logs the message.
   */
  notify?(message: string): Promise<boolean>;
}

// ---- running commands ----

export interface RunOptions {
  /** extra environment variables, merged over the agent's own */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** kill the command after this long (default: no limit) */
  readonly timeoutMs?: number;
  /** written to the command's stdin */
  readonly input?: string;
}

export interface RunResult {
  /** exit code; 127 when the program could not be started, 128+n when killed by signal n */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one program without a shell. Injected so tests replay recorded outputs. */
export type CommandRunner = (cmd: string, args: readonly string[], opts?: RunOptions) => Promise<RunResult>;

/** A command needed for scanning failed; install failures are results, not errors. */
export class CommandFailedError extends Error {
  readonly command: string;
  readonly code: number;
  readonly stderr: string;
  constructor(cmd: string, args: readonly string[], result: RunResult) {
    const detail = lastMeaningfulLine(result.stderr) || lastMeaningfulLine(result.stdout) || 'no output';
    super(`${cmd} ${args.join(' ')} exited with code ${result.code}: ${detail}`);
    this.name = 'CommandFailedError';
    this.command = [cmd, ...args].join(' ');
    this.code = result.code;
    this.stderr = result.stderr;
  }
}

/** The last non-empty line, preferring error lines (`E: …`, `Error: …`). */
export function lastMeaningfulLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const errors = lines.filter((l) => /^(E:|Error:|error:|ERROR)/.test(l));
  return errors.at(-1) ?? lines.at(-1) ?? '';
}
