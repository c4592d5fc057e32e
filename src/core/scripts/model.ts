import type { OsFamily } from '../policies/model.ts';

// Scripts the agent runs: Automox worklets (an evaluation and a remediation per OS family), required
// software (a package the device must have, installed by a script where it is missing) and ad-hoc runs
// (Kaseya agent procedures). One runner in the agent and one run history on the server serve them all.
// Running scripts is off by default per organization (services/scripts.ts), bounded in time and output
// (ScriptLimits), and every run is in the event log.

export const SCRIPT_SHELLS = ['sh', 'bash', 'powershell'] as const;
export type ScriptShell = (typeof SCRIPT_SHELLS)[number];

/** a piece of code and the shell that runs it */
export interface Script {
  readonly shell: ScriptShell;
  readonly code: string;
}

/** how long a script may run and how much output is kept (per stream, in bytes) */
export interface ScriptLimits {
  readonly timeLimitSeconds: number;
  readonly outputCapBytes: number;
}

export const SCRIPT_LIMITS = {
  /** characters of code in one script */
  codeMax: 65_536,
  timeLimitSeconds: { min: 1, max: 3600, default: 300 },
  outputCapBytes: { min: 1024, max: 1_048_576, default: 65_536 },
  packageNameMax: 200,
  packageVersionMax: 100,
  /** devices in one ad-hoc run */
  adHocDevices: 1000,
} as const;

export const DEFAULT_SCRIPT_LIMITS: ScriptLimits = {
  timeLimitSeconds: SCRIPT_LIMITS.timeLimitSeconds.default,
  outputCapBytes: SCRIPT_LIMITS.outputCapBytes.default,
};

/** the shell a family runs when a body names none */
export const defaultShell = (os: OsFamily): ScriptShell => (os === 'windows' ? 'powershell' : 'sh');

/** which shells can run on a family (PowerShell on Linux and macOS only when installed; not assumed) */
export const SHELLS_BY_OS: Readonly<Record<OsFamily, readonly ScriptShell[]>> = {
  linux: ['sh', 'bash'],
  macos: ['sh', 'bash'],
  windows: ['powershell'],
};

/** A worklet's scripts for one OS family: evaluation exit 0 = compliant; otherwise remediation runs. */
export interface WorkletScripts {
  readonly osFamily: OsFamily;
  /** null: no evaluation, the remediation always runs */
  readonly evaluation: Script | null;
  readonly remediation: Script;
}

/** Automox "custom" policy (worklet): scripts per OS family, at most one entry per family */
export interface WorkletPolicy {
  readonly scripts: readonly WorkletScripts[];
  readonly limits: ScriptLimits;
}

/**
 * Automox "required_software" policy: the package must be installed (at this version when one is given);
 * the evaluation is derived from the package name and version for the family's package manager
 * (requiredSoftwareEvaluation), the installation is the policy's script.
 */
export interface RequiredSoftwarePolicy {
  readonly osFamily: OsFamily;
  readonly packageName: string;
  /** null: any installed version will do */
  readonly packageVersion: string | null;
  readonly installation: Script;
  readonly limits: ScriptLimits;
}

// ---- runs ----

/** evaluation / remediation (worklet), evaluation / install (required software), run (ad hoc) */
export const SCRIPT_PHASES = ['evaluation', 'remediation', 'install', 'run'] as const;
export type ScriptPhase = (typeof SCRIPT_PHASES)[number];

export const SCRIPT_RUN_STATUSES = [
  'queued', // waiting for the agent (job handed out or not yet)
  'running',
  'succeeded', // exit code 0
  'failed', // a non-zero exit code, or the script could not start
  'timed_out', // killed at the time limit (the whole process group)
  'cancelled',
  'refused', // the organization's script switch was off
] as const;
export type ScriptRunStatus = (typeof SCRIPT_RUN_STATUSES)[number];
export const OPEN_RUN_STATUSES: readonly ScriptRunStatus[] = ['queued', 'running'];
export const isOpenRunStatus = (s: string): boolean => (OPEN_RUN_STATUSES as readonly string[]).includes(s);

/**
 * One step of a script job: the agent runs the steps in order; a step with `when: 'previous-failed'`
 * runs only when the step before it ended with a non-zero exit code (or timed out); a worklet is
 * [evaluation (always), remediation (previous-failed)], or [remediation (always)] without an evaluation.
 */
export interface ScriptStep {
  readonly phase: ScriptPhase;
  readonly script: Script;
  readonly when: 'always' | 'previous-failed';
}

/** what the agent reports of one step it ran */
export interface StepOutcome {
  readonly phase: ScriptPhase;
  readonly status: 'succeeded' | 'failed' | 'timed_out';
  /** null when killed or when the shell could not start */
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout or stderr was cut at the output cap */
  readonly truncated: boolean;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** why it could not start (no such shell), for people */
  readonly error?: string;
}
