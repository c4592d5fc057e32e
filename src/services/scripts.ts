import type { ScriptLimits, ScriptPhase, ScriptRunStatus, ScriptShell } from '../core/scripts/index.ts';
import type { Page, PageResult } from '../store/paging.ts';
import type { Context } from './context.ts';

// Scripts agents run: the organization's switch (off by default), running a worklet or required-software
// policy now, ad-hoc scripts (Kaseya agent procedures), and the run history. Who may run scripts: the
// `run_scripts` privilege (Administrator, Operator); who may turn the switch: `administer`. While an
// organization's switch is off every attempt is refused with a conflict error naming the switch, and the
// refusal is in the event log (`script.refused`). Every run start and finish is in the event log
// (`script.queued`, `script.started`, `script.finished`, `script.cancelled`).

/** an organization's script switch */
export interface ScriptSettingsView {
  organizationId: number;
  scriptsEnabled: boolean;
}

/** one step an agent ran (or was refused, or waits for) */
export interface ScriptRunView {
  id: number;
  organizationId: number;
  deviceId: number;
  /** null for an ad-hoc run, or when the policy was deleted since (policyName stays) */
  policyId: number | null;
  policyName: string | null;
  source: 'policy' | 'ad-hoc';
  /** the job that carried it to the agent; the steps of one worklet run share it */
  jobId: number | null;
  phase: ScriptPhase;
  status: ScriptRunStatus;
  shell: ScriptShell;
  code: string;
  limits: ScriptLimits;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** stdout or stderr was cut at the output cap */
  truncated: boolean;
  error: string | null;
  startedBy: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface ScriptRunFilter {
  organizationId?: number;
  deviceId?: number;
  policyId?: number;
  status?: ScriptRunStatus;
}

/** what starting runs did: the runs queued (their first step), and the devices skipped and why */
export interface RunStart {
  runs: ScriptRunView[];
  skipped: { deviceId: number; reason: string }[];
}

export async function scriptSettings(_ctx: Context, _organizationId: number): Promise<ScriptSettingsView> {
  throw new Error('not implemented yet');
}

/** turns the organization's script switch on or off (`administer`); logged as `scripts.enabled|disabled` */
export async function setScriptsEnabled(
  _ctx: Context,
  _organizationId: number,
  _enabled: boolean,
): Promise<ScriptSettingsView> {
  throw new Error('not implemented yet');
}

/**
 * Runs a worklet or required-software policy now on every device it targets, or on one of them
 * (`deviceId`, which must be targeted): one `script` job per device whose OS family the policy covers.
 * Refused (conflict) while the organization's switch is off; a patch policy is invalid here.
 */
export async function runPolicyNow(
  _ctx: Context,
  _policyId: number,
  _opts: { deviceId?: number } = {},
): Promise<RunStart> {
  throw new Error('not implemented yet');
}

/** runs one script on some devices of one organization now (ad hoc: Kaseya agent procedures) */
export async function runAdHocScript(
  _ctx: Context,
  _input: { organizationId: number; deviceIds: number[]; script: unknown; limits?: unknown },
): Promise<RunStart> {
  throw new Error('not implemented yet');
}

/** the runs in scope, newest first, filtered by organization, device, policy or status */
export async function listScriptRuns(
  _ctx: Context,
  _f: ScriptRunFilter,
  _page: Page,
): Promise<PageResult<ScriptRunView>> {
  throw new Error('not implemented yet');
}

export async function getScriptRun(_ctx: Context, _id: number): Promise<ScriptRunView> {
  throw new Error('not implemented yet');
}

/**
 * Cancels a run that has not finished: its job is cancelled when the agent has not started it (the run
 * and its job end `cancelled`); a run the agent already started cannot be cancelled (conflict).
 */
export async function cancelScriptRun(_ctx: Context, _id: number): Promise<ScriptRunView> {
  throw new Error('not implemented yet');
}
