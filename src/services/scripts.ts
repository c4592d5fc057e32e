import { descendantsOf } from '../core/access.ts';
import { conflict, forbidden, invalid, notFound } from '../core/errors.ts';
import { OS_FAMILIES, type OsFamily } from '../core/policies/index.ts';
import {
  SCRIPT_LIMITS,
  SCRIPT_RUN_STATUSES,
  SHELLS_BY_OS,
  adHocSteps,
  isOpenRunStatus,
  parseAdHocScript,
  parsePrompts,
  requiredSoftwareSteps,
  withPrompts,
  workletSteps,
  type RequiredSoftwarePolicy,
  type ScriptLimits,
  type ScriptPhase,
  type ScriptRunStatus,
  type ScriptShell,
  type ScriptStep,
  type WorkletPolicy,
} from '../core/scripts/index.ts';
import type { Db } from '../store/db.ts';
import type { Page, PageResult } from '../store/paging.ts';
import { setJobPayload } from '../store/repos/agents-repo.ts';
import { activeDevicesTargeted } from '../store/repos/devices-repo.ts';
import { groupTree } from '../store/repos/groups-repo.ts';
import { getPolicy as getPolicyRow, policyTargets, type PolicyRow } from '../store/repos/policies-repo.ts';
import { getProcedure as getProcedureRow } from '../store/repos/procedures-repo.ts';
import * as repo from '../store/repos/scripts-repo.ts';
import type { Row } from '../store/schema.ts';
import type { JobResultRequest, ScriptJobPayload } from '../wire/agent.ts';
import type { Context } from './context.ts';
import { record, type EventInput } from './events.ts';
import { visiblePolicy } from './policies.ts';
import { authorizeTargets } from './targets.ts';

// Scripts agents run: the organization's switch (off by default), running a worklet or required-software
// policy now, ad-hoc scripts (Kaseya agent procedures), and the run history. Who may run scripts: the
// `run_scripts` privilege (Administrator, Operator); who may turn the switch: `administer` over the whole
// organization. While an organization's switch is off every attempt is refused with a conflict error
// naming the switch, and the refusal is in the event log (`script.refused`). Every run start and finish
// is in the event log (`script.queued`, `script.started`, `script.finished`, `script.cancelled`).
//
// A run is one step an agent runs: a worklet run is an evaluation row and, when the evaluation failed, a
// remediation row, both carried by one `script` job. The first step's row exists from the moment the job
// is queued (run now, ad hoc) or handed out (a scheduled policy's job: its steps depend on the device's
// OS family and the policy as it is then); the later rows come with the agent's result.

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
  /** the procedure it ran (null for a policy's or a plain ad-hoc run, or when the procedure was deleted since) */
  procedureId: number | null;
  procedureName: string | null;
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

const runView = (r: repo.ScriptRunRow): ScriptRunView => ({
  id: r.id,
  organizationId: r.organization_id,
  deviceId: r.device_id,
  policyId: r.policy_id,
  policyName: r.policy_name,
  procedureId: r.procedure_id,
  procedureName: r.procedure_name,
  source: r.source as ScriptRunView['source'],
  jobId: r.job_id,
  phase: r.phase as ScriptPhase,
  status: r.status as ScriptRunStatus,
  shell: r.shell as ScriptShell,
  code: r.code,
  limits: { timeLimitSeconds: r.time_limit_seconds, outputCapBytes: r.output_cap_bytes },
  exitCode: r.exit_code,
  stdout: r.stdout,
  stderr: r.stderr,
  truncated: r.truncated,
  error: r.error,
  startedBy: r.started_by,
  createdAt: r.created_at,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

const osOf = (family: string): OsFamily | null =>
  (OS_FAMILIES as readonly string[]).includes(family) ? (family as OsFamily) : null;

/** the steps of a script policy on a device of `os` (null: nothing for that family) */
function policySteps(
  row: PolicyRow,
  os: OsFamily | null,
): { steps: ScriptStep[]; limits: ScriptLimits } | null {
  if (row.kind === 'worklet') {
    const w = row.payload as unknown as WorkletPolicy;
    const steps = workletSteps(w, os);
    return steps && { steps, limits: w.limits };
  }
  if (row.kind === 'required-software') {
    const r = row.payload as unknown as RequiredSoftwarePolicy;
    const steps = requiredSoftwareSteps(r, os);
    return steps && { steps, limits: r.limits };
  }
  return null;
}

const noScriptFor = (row: PolicyRow, os: string) =>
  `${row.kind} policy ${row.id} has no script for ${os || 'an unknown OS family'}`;

const turnedOff = (orgId: number) =>
  conflict(
    `scripts are turned off for organization ${orgId}: an administrator turns them on ` +
      `(PUT /api/v1/organizations/${orgId}/script-settings {"scriptsEnabled": true})`,
  );

/** refuses while the switch is off; the refusal is logged in a transaction of its own (it must stay) */
export async function requireScriptsEnabled(ctx: Context, orgId: number, what: Record<string, unknown>) {
  const on = await repo.scriptsEnabled(ctx.store.db, orgId);
  if (on === undefined) throw notFound('organization', orgId);
  if (on) return;
  await ctx.store.transaction((tx) =>
    record(ctx, tx, {
      kind: 'script.refused',
      organizationId: orgId,
      subjectType: 'organization',
      subjectId: orgId,
      data: { reason: 'scripts are turned off for this organization', ...what },
    }),
  );
  throw turnedOff(orgId);
}

const queuedEvent = (r: repo.ScriptRunRow): EventInput => ({
  kind: 'script.queued',
  organizationId: r.organization_id,
  subjectType: 'script_run',
  subjectId: r.id,
  deviceId: r.device_id,
  data: {
    phase: r.phase,
    policyId: r.policy_id,
    jobId: r.job_id,
    source: r.source,
    ...(r.procedure_id !== null ? { procedureId: r.procedure_id } : {}),
  },
});

/** the first step's run row of a job */
function firstRun(
  ctx: Context,
  p: {
    orgId: number;
    deviceId: number;
    jobId: number;
    policy: PolicyRow | null;
    step: ScriptStep;
    limits: ScriptLimits;
    by?: { name: string; id: string } | undefined;
    procedure?: ProcedureRef | null | undefined;
  },
) {
  return {
    organization_id: p.orgId,
    device_id: p.deviceId,
    source: p.policy ? 'policy' : 'ad-hoc',
    policy_id: p.policy?.id ?? null,
    policy_name: p.policy?.name ?? null,
    procedure_id: p.procedure?.id ?? null,
    procedure_name: p.procedure?.name ?? null,
    job_id: p.jobId,
    phase: p.step.phase,
    status: 'queued',
    shell: p.step.script.shell,
    code: p.step.script.code,
    time_limit_seconds: p.limits.timeLimitSeconds,
    output_cap_bytes: p.limits.outputCapBytes,
    started_by: p.by?.name ?? ctx.actor.name,
    started_by_id: p.by?.id ?? ctx.actor.id,
    created_at: ctx.now(),
  };
}

/** who started a scheduled policy's job: the task instance that dispatched it (not the device handing it out) */
const dispatcher = (payload: Record<string, unknown>) =>
  typeof payload.taskInstanceId === 'number'
    ? { name: `task instance ${payload.taskInstanceId}`, id: `task_instance:${payload.taskInstanceId}` }
    : undefined;

/** a procedure (services/procedures.ts) a run comes from: its id and its name as it is now */
export interface ProcedureRef {
  readonly id: number;
  readonly name: string;
}

/** queues one job per device with its first run row; returns the runs */
async function queueJobs(
  ctx: Context,
  tx: Db,
  orgId: number,
  policy: PolicyRow | null,
  items: { deviceId: number; steps: ScriptStep[]; limits: ScriptLimits }[],
  procedure: ProcedureRef | null = null,
): Promise<ScriptRunView[]> {
  const runs: repo.ScriptRunRow[] = [];
  for (const it of items) {
    const payload: ScriptJobPayload = {
      steps: it.steps.map((s) => ({ phase: s.phase, script: { ...s.script }, when: s.when })),
      limits: { ...it.limits },
      ...(policy ? { policyId: policy.id } : {}),
      ...(procedure ? { procedureId: procedure.id } : {}),
    };
    const job = await repo.insertScriptJob(tx, {
      organization_id: orgId,
      device_id: it.deviceId,
      payload: payload as unknown as Record<string, unknown>,
    });
    const run = await repo.insertScriptRun(
      tx,
      firstRun(ctx, {
        orgId,
        deviceId: it.deviceId,
        jobId: job.id,
        policy,
        step: it.steps[0]!,
        limits: it.limits,
        procedure,
      }),
    );
    if (run) runs.push(run);
  }
  if (runs.length) await record(ctx, tx, runs.map(queuedEvent));
  return runs.map(runView);
}

// ---- the switch ----

export async function scriptSettings(ctx: Context, organizationId: number): Promise<ScriptSettingsView> {
  ctx.authorize('read');
  ctx.seeOrganization(organizationId);
  const on = await repo.scriptsEnabled(ctx.store.db, organizationId);
  if (on === undefined) throw notFound('organization', organizationId);
  return { organizationId, scriptsEnabled: on };
}

/** turns the organization's script switch on or off (`administer`); logged as `scripts.enabled|disabled` */
export async function setScriptsEnabled(
  ctx: Context,
  organizationId: number,
  enabled: boolean,
): Promise<ScriptSettingsView> {
  ctx.authorize('administer');
  ctx.seeOrganization(organizationId);
  if (!ctx.ownsOrganization(organizationId))
    throw forbidden('turning scripts on or off needs a scope that covers the whole organization');
  return ctx.store.transaction(async (tx) => {
    const before = await repo.scriptsEnabled(tx, organizationId);
    if (before === undefined) throw notFound('organization', organizationId);
    if (before !== enabled) {
      await repo.setScriptsEnabled(tx, organizationId, enabled);
      await record(ctx, tx, {
        kind: enabled ? 'scripts.enabled' : 'scripts.disabled',
        organizationId,
        subjectType: 'organization',
        subjectId: organizationId,
      });
    }
    return { organizationId, scriptsEnabled: enabled };
  });
}

// ---- starting runs ----

/**
 * Runs a worklet or required-software policy now on every device it targets, or on one of them
 * (`deviceId`, which must be targeted): one `script` job per device whose OS family the policy covers.
 * `evaluateOnly`: only the evaluation step runs (a policy test), never the remediation or installation.
 * Refused (conflict) while the organization's switch is off; a patch policy is invalid here. Like a
 * scheduled run, the job waits for a maintenance window that allows the policy.
 */
export async function runPolicyNow(
  ctx: Context,
  policyId: number,
  opts: { deviceId?: number; evaluateOnly?: boolean } = {},
): Promise<RunStart> {
  ctx.authorize('run_scripts');
  const row = await visiblePolicy(ctx, policyId);
  if (row.kind === 'patch')
    throw invalid(
      `policy ${policyId} is a patch policy: run it with an install task; run now is for worklet and required-software policies`,
    );
  const orgId = row.organization_id;
  const db = ctx.store.db;
  const targets = (await policyTargets(db, [row.id])).get(row.id)!;
  const tree = await groupTree(db, orgId);
  const groupIds = [...new Set(targets.groups.flatMap((g) => descendantsOf(tree, g)))];
  let devices = await activeDevicesTargeted(db, orgId, { deviceIds: targets.devices, groupIds });
  if (opts.deviceId !== undefined) {
    devices = devices.filter((d) => d.id === opts.deviceId);
    if (!devices.length)
      throw invalid(`device ${opts.deviceId} is not an active device targeted by policy ${policyId}`, [
        { path: 'deviceId', message: `is not targeted by policy ${policyId}` },
      ]);
  }
  await requireScriptsEnabled(ctx, orgId, {
    policyId,
    ...(opts.deviceId ? { deviceId: opts.deviceId } : {}),
  });
  const skipped: RunStart['skipped'] = [];
  const items: { deviceId: number; steps: ScriptStep[]; limits: ScriptLimits }[] = [];
  for (const d of devices) {
    const s = policySteps(row, osOf(d.os_family));
    // a test of the policy runs its evaluation alone: what it finds is the run's result, nothing is fixed
    const steps = opts.evaluateOnly ? s?.steps.filter((x) => x.phase === 'evaluation') : s?.steps;
    if (s && steps?.length) items.push({ deviceId: d.id, steps, limits: s.limits });
    else
      skipped.push({
        deviceId: d.id,
        reason: s ? `${row.kind} policy ${row.id} has no evaluation to test` : noScriptFor(row, d.os_family),
      });
  }
  const runs = await ctx.store.transaction((tx) => queueJobs(ctx, tx, orgId, row, items));
  return { runs, skipped };
}

/**
 * runs one script on some devices of one organization now (ad hoc); `procedure` names the procedure the
 * script is (services/procedures.ts), whose name the history keeps
 */
export async function runAdHocScript(
  ctx: Context,
  input: { organizationId: number; deviceIds: number[]; script: unknown; limits?: unknown },
  procedure: ProcedureRef | null = null,
): Promise<RunStart> {
  ctx.authorize('run_scripts');
  const orgId = input.organizationId;
  ctx.seeOrganization(orgId);
  const { script, limits } = parseAdHocScript(
    input.script && typeof input.script === 'object'
      ? { ...(input.script as Record<string, unknown>), limits: input.limits }
      : input.script,
  );
  const ids = [...new Set(input.deviceIds)];
  if (!ids.length || ids.length > SCRIPT_LIMITS.adHocDevices)
    throw invalid(`name between 1 and ${SCRIPT_LIMITS.adHocDevices} devices`, [
      { path: 'deviceIds', message: `must name between 1 and ${SCRIPT_LIMITS.adHocDevices} devices` },
    ]);
  const db = ctx.store.db;
  const devices = await repo.devicesOf(db, orgId, ids);
  const missing = ids.filter((id) => !devices.some((d) => d.id === id));
  if (missing.length)
    throw invalid(`not devices of organization ${orgId}: ${missing.join(', ')}`, [
      { path: 'deviceIds', message: `not in organization ${orgId}: ${missing.join(', ')}` },
    ]);
  await authorizeTargets(ctx, db, orgId, { devices: ids }, 'new');
  await requireScriptsEnabled(ctx, orgId, {
    adHoc: true,
    deviceIds: ids,
    ...(procedure ? { procedureId: procedure.id } : {}),
  });
  const skipped: RunStart['skipped'] = [];
  const items: { deviceId: number; steps: ScriptStep[]; limits: ScriptLimits }[] = [];
  for (const d of devices) {
    const os = osOf(d.os_family);
    if (os && !SHELLS_BY_OS[os].includes(script.shell))
      skipped.push({ deviceId: d.id, reason: `${script.shell} does not run on ${os}` });
    else items.push({ deviceId: d.id, steps: adHocSteps(script), limits });
  }
  const runs = await ctx.store.transaction((tx) => queueJobs(ctx, tx, orgId, null, items, procedure));
  return { runs, skipped };
}

// ---- history ----

/** a run the actor sees (its organization, or the group its device is in), or not found */
async function visibleRun(ctx: Context, id: number): Promise<repo.ScriptRunRow> {
  const r = await repo.getScriptRun(ctx.store.db, id);
  if (!r) throw notFound('script run', id);
  if (!ctx.ownsOrganization(r.organization_id)) {
    const [d] = await repo.devicesOf(ctx.store.db, r.organization_id, [r.device_id]);
    if (!d || !ctx.seesGroup(r.organization_id, d.group_id)) throw notFound('script run', id);
  }
  return r;
}

/** the runs in scope, newest first, filtered by organization, device, policy or status */
export async function listScriptRuns(
  ctx: Context,
  f: ScriptRunFilter,
  page: Page,
): Promise<PageResult<ScriptRunView>> {
  ctx.authorize('read');
  if (f.organizationId !== undefined) ctx.seeOrganization(f.organizationId);
  if (f.status !== undefined && !SCRIPT_RUN_STATUSES.includes(f.status))
    throw invalid(`status must be one of ${SCRIPT_RUN_STATUSES.join(', ')}`, [
      { path: 'status', message: `must be one of ${SCRIPT_RUN_STATUSES.join(', ')}` },
    ]);
  const r = await repo.listScriptRuns(ctx.store.db, ctx.access, f, page);
  return { ...r, items: r.items.map(runView) };
}

export async function getScriptRun(ctx: Context, id: number): Promise<ScriptRunView> {
  ctx.authorize('read');
  return runView(await visibleRun(ctx, id));
}

/**
 * Cancels a run no agent has received yet: its job is cancelled and the run ends `cancelled`. A run whose
 * job was handed out (the agent may be running it) or that has finished cannot be cancelled (conflict).
 */
export async function cancelScriptRun(ctx: Context, id: number): Promise<ScriptRunView> {
  ctx.authorize('run_scripts');
  const run = await visibleRun(ctx, id);
  if (!isOpenRunStatus(run.status)) throw conflict(`script run ${id} has already ended (${run.status})`);
  return ctx.store.transaction(async (tx) => {
    if (
      run.job_id === null ||
      !(await repo.cancelScriptJob(tx, run.job_id, `cancelled by ${ctx.actor.name}`))
    )
      throw conflict(`script run ${id} was handed to its agent already: it can no longer be cancelled`);
    const ended = await repo.settleOpenRuns(tx, run.job_id, { status: 'cancelled', finished_at: ctx.now() });
    await record(
      ctx,
      tx,
      ended.map((r) => ({
        kind: 'script.cancelled',
        organizationId: r.organization_id,
        subjectType: 'script_run',
        subjectId: r.id,
        deviceId: r.device_id,
        data: { phase: r.phase, policyId: r.policy_id, jobId: r.job_id },
      })),
    );
    return runView(ended.find((r) => r.id === id) ?? (await repo.getScriptRun(tx, id))!);
  });
}

// ---- the agent's side: hand-out, start, result ----

type JobRow = { id: number; kind: string; payload: Record<string, unknown> };

/** what a scheduled job runs, from the policy or procedure it names as they are now; a reason when nothing */
type Scheduled =
  | {
      policy: PolicyRow | null;
      procedure: ProcedureRef | null;
      steps: ScriptStep[];
      limits: ScriptLimits;
      payload: ScriptJobPayload;
    }
  | { reason: string };

async function scheduledWork(tx: Db, device: Row<'devices'>, job: JobRow): Promise<Scheduled> {
  const procedureId = typeof job.payload.procedureId === 'number' ? job.payload.procedureId : null;
  if (procedureId !== null) {
    const p = await getProcedureRow(tx, procedureId);
    if (!p || p.organization_id !== device.organization_id)
      return { reason: `procedure ${procedureId} no longer exists` };
    const os = osOf(device.os_family);
    // the schedule's prompts (stored by services/procedures.ts, copied into each job) become variables
    const prompts = parsePrompts(job.payload.prompts);
    const script = withPrompts({ shell: p.shell as ScriptShell, code: p.code }, prompts);
    if (os && !SHELLS_BY_OS[os].includes(script.shell))
      return { reason: `procedure ${p.id} runs ${script.shell}, which does not run on ${os}` };
    const steps = adHocSteps(script);
    const limits = { timeLimitSeconds: p.time_limit_seconds, outputCapBytes: p.output_cap_bytes };
    return {
      policy: null,
      procedure: { id: p.id, name: p.name },
      steps,
      limits,
      payload: { steps: stepsOut(steps), limits: { ...limits }, procedureId: p.id },
    };
  }
  const policyId = typeof job.payload.policyId === 'number' ? job.payload.policyId : null;
  const policy = policyId === null ? undefined : await getPolicyRow(tx, policyId);
  if (!policy) return { reason: `policy ${policyId} no longer exists` };
  const s = policySteps(policy, osOf(device.os_family));
  if (!s) return { reason: noScriptFor(policy, device.os_family) };
  return {
    policy,
    procedure: null,
    ...s,
    payload: { steps: stepsOut(s.steps), limits: { ...s.limits }, policyId: policy.id },
  };
}

const stepsOut = (steps: readonly ScriptStep[]): ScriptJobPayload['steps'] =>
  steps.map((x) => ({ phase: x.phase, script: { ...x.script }, when: x.when }));

/**
 * A script job about to be handed out. Returns its payload, or null when it must not go out: the
 * organization's switch is off (the job is cancelled and its run refused, logged), or the job's policy
 * or procedure is gone, no longer a script policy, or has nothing for the device's OS family (the job is
 * cancelled). A scheduled job (a policy's or a procedure's) gets its steps here, from the policy or
 * procedure as it is now, with its first run row.
 */
export async function handOutScriptJob(
  ctx: Context,
  device: Row<'devices'>,
  job: JobRow,
): Promise<Record<string, unknown> | null> {
  const orgId = device.organization_id;
  const on = await repo.scriptsEnabled(ctx.store.db, orgId);
  return ctx.store.transaction(async (tx) => {
    const policyId = typeof job.payload.policyId === 'number' ? job.payload.policyId : null;
    const procedureId = typeof job.payload.procedureId === 'number' ? job.payload.procedureId : null;
    if (!on) {
      if (!(await repo.cancelScriptJob(tx, job.id, 'scripts are turned off for this organization')))
        return null;
      let refused = await repo.settleOpenRuns(tx, job.id, { status: 'refused', finished_at: ctx.now() });
      if (!refused.length && !Array.isArray(job.payload.steps)) {
        // a scheduled job refused before it had steps: one refused row says so in the history
        const w = await scheduledWork(tx, device, job);
        if (!('reason' in w)) {
          const row = await repo.insertScriptRun(tx, {
            ...firstRun(ctx, {
              orgId,
              deviceId: device.id,
              jobId: job.id,
              policy: w.policy,
              procedure: w.procedure,
              ...firstOf(w),
              by: dispatcher(job.payload),
            }),
            status: 'refused',
            finished_at: ctx.now(),
          });
          refused = row ? [row] : [];
        }
      }
      await record(ctx, tx, {
        kind: 'script.refused',
        organizationId: orgId,
        subjectType: 'job',
        subjectId: job.id,
        deviceId: device.id,
        data: {
          reason: 'scripts are turned off for this organization',
          policyId,
          ...(procedureId !== null ? { procedureId } : {}),
          runIds: refused.map((r) => r.id),
        },
      });
      return null;
    }
    if (Array.isArray(job.payload.steps)) return job.payload;
    const w = await scheduledWork(tx, device, job);
    if ('reason' in w) {
      await repo.cancelScriptJob(tx, job.id, w.reason);
      return null;
    }
    const full = { ...job.payload, ...w.payload } as Record<string, unknown>;
    await setJobPayload(tx, job.id, full);
    const run = await repo.insertScriptRun(
      tx,
      firstRun(ctx, {
        orgId,
        deviceId: device.id,
        jobId: job.id,
        policy: w.policy,
        procedure: w.procedure,
        ...firstOf(w),
        by: dispatcher(job.payload),
      }),
    );
    if (run) await record(ctx, tx, queuedEvent(run));
    return full;
  });
}

const firstOf = (s: { steps: ScriptStep[]; limits: ScriptLimits }) => ({
  step: s.steps[0]!,
  limits: s.limits,
});

/** the agent started a script job: its first run is running (`script.started`) */
export async function startScriptJob(ctx: Context, tx: Db, device: Row<'devices'>, jobId: number) {
  const runs = await repo.runsOfJob(tx, jobId);
  const first = runs.find((r) => r.status === 'queued');
  if (!first) return;
  const r = await repo.updateScriptRun(tx, first.id, { status: 'running', started_at: ctx.now() });
  await record(ctx, tx, {
    kind: 'script.started',
    organizationId: device.organization_id,
    subjectType: 'script_run',
    subjectId: r.id,
    deviceId: device.id,
    data: { phase: r.phase, policyId: r.policy_id, jobId },
  });
}

const STEP_STATUSES = ['succeeded', 'failed', 'timed_out'] as const;
type Reported = {
  phase?: unknown;
  status?: unknown;
  exitCode?: unknown;
  stdout?: unknown;
  stderr?: unknown;
  truncated?: unknown;
  startedAt?: unknown;
  finishedAt?: unknown;
  error?: unknown;
};

/** cuts a text to at most `bytes` bytes of UTF-8 (never inside a character) */
function capBytes(s: string, bytes: number): { text: string; cut: boolean } {
  const b = Buffer.from(s, 'utf8');
  if (b.length <= bytes) return { text: s, cut: false };
  let end = bytes;
  while (end > 0 && (b[end]! & 0xc0) === 0x80) end--;
  return { text: b.subarray(0, end).toString('utf8'), cut: true };
}

const dateOr = (v: unknown, fallback: Date): Date => {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(t) ? fallback : new Date(t);
};

/**
 * A script job's result: each step the agent reports settles its run row (the first exists; a later
 * step's row is made here from the job's payload), capped again at the job's output cap; a run the
 * result does not mention ends failed with the job's message. `script.finished` for each.
 */
export async function settleScriptJob(
  ctx: Context,
  tx: Db,
  device: Row<'devices'>,
  job: JobRow,
  outcome: JobResultRequest,
) {
  const payload = job.payload as Partial<ScriptJobPayload>;
  const steps = Array.isArray(payload.steps) ? payload.steps : [];
  const cap =
    typeof payload.limits?.outputCapBytes === 'number'
      ? payload.limits.outputCapBytes
      : SCRIPT_LIMITS.outputCapBytes.max;
  const reported = Array.isArray(outcome.result?.steps) ? (outcome.result.steps as Reported[]) : [];
  const existing = await repo.runsOfJob(tx, job.id);
  const template = existing[0];
  const now = ctx.now();
  const events: EventInput[] = [];
  const settled = new Set<number>();
  for (const s of reported.slice(0, steps.length)) {
    const step = steps.find((x) => x.phase === s?.phase);
    if (!step || !template) continue;
    const status = (STEP_STATUSES as readonly unknown[]).includes(s.status)
      ? (s.status as ScriptRunStatus)
      : 'failed';
    const out = capBytes(typeof s.stdout === 'string' ? s.stdout : '', cap);
    const err = capBytes(typeof s.stderr === 'string' ? s.stderr : '', cap);
    const exit = typeof s.exitCode === 'number' && Number.isInteger(s.exitCode) ? s.exitCode : null;
    const patch = {
      status,
      exit_code: exit,
      stdout: out.text,
      stderr: err.text,
      truncated: s.truncated === true || out.cut || err.cut,
      error: typeof s.error === 'string' ? s.error.slice(0, 2000) : null,
      started_at: dateOr(s.startedAt, now),
      finished_at: dateOr(s.finishedAt, now),
    };
    let row = existing.find((r) => r.phase === step.phase);
    if (row) row = await repo.updateScriptRun(tx, row.id, patch);
    else
      row = await repo.insertScriptRun(tx, {
        organization_id: template.organization_id,
        device_id: template.device_id,
        source: template.source,
        policy_id: template.policy_id,
        policy_name: template.policy_name,
        procedure_id: template.procedure_id,
        procedure_name: template.procedure_name,
        job_id: job.id,
        phase: step.phase,
        shell: step.script.shell,
        code: step.script.code,
        time_limit_seconds: template.time_limit_seconds,
        output_cap_bytes: template.output_cap_bytes,
        started_by: template.started_by,
        started_by_id: template.started_by_id,
        created_at: now,
        ...patch,
      });
    if (!row) continue;
    settled.add(row.id);
    events.push(finishedEvent(row));
  }
  // runs the result leaves open (the agent could not run the job, or stopped while running it)
  const message = typeof outcome.result?.message === 'string' ? outcome.result.message.slice(0, 2000) : null;
  for (const r of existing)
    if (!settled.has(r.id) && isOpenRunStatus(r.status)) {
      const row = await repo.updateScriptRun(tx, r.id, {
        status: 'failed',
        error: message ?? `the job ended ${outcome.status} without a result for this step`,
        finished_at: now,
      });
      events.push(finishedEvent(row));
    }
  if (events.length) await record(ctx, tx, events);
}

const finishedEvent = (r: repo.ScriptRunRow): EventInput => ({
  kind: 'script.finished',
  organizationId: r.organization_id,
  subjectType: 'script_run',
  subjectId: r.id,
  deviceId: r.device_id,
  data: {
    phase: r.phase,
    status: r.status,
    exitCode: r.exit_code,
    truncated: r.truncated,
    policyId: r.policy_id,
    jobId: r.job_id,
  },
});
