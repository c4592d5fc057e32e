// The one shape every package-manager backend has, so the agent loop and the fleet simulator can drive
// apt, dnf, zypper, Windows Update, softwareupdate and the simulated machine alike.
import type { AuditKind, AuditReport } from '../../core/audit/model.ts';
import type { ScriptLimits, ScriptStep, StepOutcome } from '../../core/scripts/model.ts';
import type {
  BackendName,
  InstallRequest,
  InstallResult,
  RebootState,
  ScanOptions,
  ScanResult,
} from '../../core/simulation/types.ts';

// the data shapes of a scan and an install live in core (the demo's simulated machines report them too)
export type {
  BackendName,
  UpdateKind,
  UpdateClassification,
  Severity,
  RebootBehaviour,
  AvailableUpdate,
  InstalledPackage,
  ScanResult,
  ScanOptions,
  InstallRequest,
  InstallStatus,
  InstallResult,
  RebootState,
} from '../../core/simulation/types.ts';

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
  /**
   * Answers a script job's steps itself (a simulated machine: nothing runs). Absent: the agent runs the
   * scripts with the machine's shells (agent/scripts.ts).
   */
  runScripts?(steps: readonly ScriptStep[], limits: ScriptLimits): Promise<StepOutcome[]>;
  /**
   * Answers an audit itself (a simulated machine). Absent: the agent reads the machine with its OS's
   * tools (agent/audit.ts).
   */
  audit?(kind: AuditKind): Promise<AuditReport>;
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
