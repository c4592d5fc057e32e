import { conflict, forbidden, invalid, notFound } from '../core/errors.ts';
import { byField, type ListQuery, type Listed } from '../core/query.ts';
import type { Schedule } from '../core/schedule/model.ts';
import { firstDue } from '../core/schedule/occurrences.ts';
import { effectiveZone } from '../core/schedule/zones.ts';
import {
  isOpenRunStatus,
  parseProcedure,
  parsePrompts,
  withPrompts,
  type Procedure,
  type ScriptPrompt,
  type ScriptShell,
} from '../core/scripts/index.ts';
import { organizationZone } from '../store/repos/organizations-repo.ts';
import { isUniqueViolation } from '../store/paging.ts';
import * as repo from '../store/repos/procedures-repo.ts';
import { cancelScriptJob, settleOpenRuns } from '../store/repos/scripts-repo.ts';
import {
  deleteSchedule,
  disableTask,
  insertSchedule,
  insertTask,
  setTaskParameters,
  setTaskSchedule,
} from '../store/repos/tasks-repo.ts';
import type { Context } from './context.ts';
import { scheduleForDevice } from './device-patching.ts';
import { visibleDevice } from './devices.ts';
import { record, type EventInput } from './events.ts';
import { serverZone } from './policies.ts';
import { requireScriptsEnabled, runAdHocScript, type RunStart } from './scripts.ts';
import { getOrganization } from './organizations.ts';

// Procedures: an organization's catalogue of named scripts (Kaseya "agent procedures", docs/scripts.md),
// run on one device now or on a schedule through the one script runner (services/scripts.ts): every run
// is a script run that names the procedure, refused while the organization's script switch is off, and
// in the event log. Who may: reading the catalogue needs `read`; writing it (code that agents will run)
// `manage_policies` and `run_scripts` over the whole organization; running one `run_scripts` on a device
// in scope; scheduling one also `manage_policies` (a schedule is a task).
//
// A schedule is a `script` task whose parameters name the procedure and the one device
// ({ target: { kind: 'devices', ids: [d] }, procedureId }); the engine makes its job at each occurrence
// and the job gets the procedure's script when it is handed out (handOutScriptJob), so a changed
// procedure runs as it is then. A schedule whose first occurrence is not after now runs now.

export interface ProcedureView extends Procedure {
  id: number;
  organizationId: number;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

export const procedureView = (r: repo.ProcedureRow): ProcedureView => ({
  id: r.id,
  organizationId: r.organization_id,
  name: r.name,
  folder: r.folder,
  description: r.description,
  script: { shell: r.shell as ScriptShell, code: r.code },
  limits: { timeLimitSeconds: r.time_limit_seconds, outputCapBytes: r.output_cap_bytes },
  quickLaunch: r.quick_launch,
  portal: r.portal,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const columns = (p: Procedure) => ({
  name: p.name,
  folder: p.folder,
  description: p.description,
  shell: p.script.shell,
  code: p.script.code,
  time_limit_seconds: p.limits.timeLimitSeconds,
  output_cap_bytes: p.limits.outputCapBytes,
  quick_launch: p.quickLaunch,
  portal: p.portal,
});

const nameTaken = (p: Procedure) =>
  conflict(
    `a procedure named '${p.name}' already exists in ${p.folder ? `folder '${p.folder}'` : 'the top folder'} of this organization`,
  );

/** a procedure whose organization the actor sees, or not found */
async function visibleProcedure(ctx: Context, id: number): Promise<repo.ProcedureRow> {
  const r = await repo.getProcedure(ctx.store.db, id);
  if (!r) throw notFound('procedure', id);
  try {
    ctx.seeOrganization(r.organization_id);
  } catch {
    throw notFound('procedure', id);
  }
  return r;
}

/** writing the catalogue: code agents will run, for the whole organization */
function authorizeWrite(ctx: Context, orgId: number) {
  ctx.authorize('manage_policies');
  ctx.authorize('run_scripts');
  if (!ctx.ownsOrganization(orgId))
    throw forbidden("changing an organization's procedures needs a scope that covers the whole organization");
}

const event = (kind: string, r: repo.ProcedureRow, data: Record<string, unknown> = {}): EventInput => ({
  kind,
  organizationId: r.organization_id,
  subjectType: 'procedure',
  subjectId: r.id,
  data: { name: r.name, ...data },
});

// ---- the catalogue ----

export async function createProcedure(
  ctx: Context,
  input: { organizationId: number } & Record<string, unknown>,
): Promise<ProcedureView> {
  const { organizationId, ...body } = input;
  await getOrganization(ctx, organizationId); // visible and existing, or not found
  authorizeWrite(ctx, organizationId);
  const p = parseProcedure(body);
  try {
    return await ctx.store.transaction(async (tx) => {
      const r = await repo.insertProcedure(tx, {
        organization_id: organizationId,
        ...columns(p),
        created_by: ctx.actor.name,
      });
      await record(ctx, tx, event('procedure.created', r, { folder: r.folder, shell: r.shell }));
      return procedureView(r);
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw nameTaken(p);
    throw e;
  }
}

/** the procedures of the organizations in scope, as a list query (fields: see queryProcedures) */
export async function queryProcedures(
  ctx: Context,
  q: ListQuery,
  only: { quickLaunch?: boolean; portal?: boolean } = {},
): Promise<Listed<ProcedureView>> {
  ctx.authorize('read');
  const r = await repo.queryProcedures(ctx.store.db, ctx.access, q, only);
  return { records: r.records.map(procedureView), total: r.total };
}

export async function getProcedure(ctx: Context, id: number): Promise<ProcedureView> {
  ctx.authorize('read');
  return procedureView(await visibleProcedure(ctx, id));
}

/** changes the fields given; the others stay (runs already queued keep the script they were queued with) */
export async function updateProcedure(ctx: Context, id: number, body: unknown): Promise<ProcedureView> {
  const current = await visibleProcedure(ctx, id);
  authorizeWrite(ctx, current.organization_id);
  const p = parseProcedure(body, procedureView(current));
  try {
    return await ctx.store.transaction(async (tx) => {
      const r = await repo.updateProcedure(tx, id, columns(p));
      const changed = Object.keys(columns(p)).filter(
        (k) =>
          (columns(p) as Record<string, unknown>)[k] !== (current as unknown as Record<string, unknown>)[k],
      );
      await record(ctx, tx, event('procedure.updated', r, { changed }));
      return procedureView(r);
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw nameTaken(p);
    throw e;
  }
}

/** deletes a procedure; its schedules stop (their jobs are cancelled at hand-out), its history stays */
export async function deleteProcedure(ctx: Context, id: number): Promise<void> {
  const current = await visibleProcedure(ctx, id);
  authorizeWrite(ctx, current.organization_id);
  await ctx.store.transaction(async (tx) => {
    await repo.deleteProcedure(tx, id);
    await record(ctx, tx, event('procedure.deleted', current));
  });
}

/** offers a procedure for quick launch, or withdraws it */
export async function setQuickLaunch(ctx: Context, id: number, on: boolean): Promise<ProcedureView> {
  return updateProcedure(ctx, id, { quickLaunch: on });
}

// ---- the per-user "ask before executing" setting of quick launch ----

function ownUserId(ctx: Context): number {
  ctx.authorizeSelf();
  if (ctx.actor.userId === undefined)
    throw forbidden('only a user (or a user’s API key) has an "ask before executing" setting');
  return ctx.actor.userId;
}

export async function askBeforeExecuting(ctx: Context): Promise<boolean> {
  const ask = await repo.askBeforeQuickLaunch(ctx.store.db, ownUserId(ctx));
  if (ask === undefined) throw notFound('user', ctx.actor.userId ?? 0);
  return ask;
}

export async function setAskBeforeExecuting(ctx: Context, ask: boolean): Promise<boolean> {
  const userId = ownUserId(ctx);
  await ctx.store.transaction(async (tx) => {
    await repo.setAskBeforeQuickLaunch(tx, userId, ask);
    await record(ctx, tx, {
      kind: 'user.updated',
      organizationId: null,
      subjectType: 'user',
      subjectId: userId,
      data: { askBeforeQuickLaunch: ask },
    });
  });
  return ask;
}

// ---- running ----

/** a procedure and a device of the same organization, both in scope */
async function procedureOnDevice(ctx: Context, deviceId: number, procedureId: number) {
  const device = await visibleDevice(ctx, deviceId);
  const p = await visibleProcedure(ctx, procedureId);
  if (p.organization_id !== device.organization_id)
    throw notFound('procedure', `${procedureId} in the organization of device ${deviceId}`);
  return { device, p };
}

/**
 * Runs a procedure on one device now: one ad-hoc script run that names the procedure. Refused (conflict)
 * while the organization's script switch is off; a shell the device's family does not run is invalid.
 */
export async function runProcedureNow(
  ctx: Context,
  deviceId: number,
  procedureId: number,
  prompts: readonly ScriptPrompt[] = [],
): Promise<RunStart> {
  ctx.authorize('run_scripts');
  const { device, p } = await procedureOnDevice(ctx, deviceId, procedureId);
  const r = await runAdHocScript(
    ctx,
    {
      organizationId: device.organization_id,
      deviceIds: [device.id],
      script: withPrompts({ shell: p.shell as ScriptShell, code: p.code }, prompts),
      limits: { timeLimitSeconds: p.time_limit_seconds, outputCapBytes: p.output_cap_bytes },
    },
    { id: p.id, name: p.name },
  );
  const skipped = r.skipped[0];
  if (!r.runs.length && skipped)
    throw invalid(`procedure ${p.id} cannot run on device ${device.id}: ${skipped.reason}`);
  return r;
}

export interface ProcedureOptions {
  /** stored with the schedule and passed to its jobs; Patchline's jobs wait for their device */
  readonly skipIfOffline?: boolean;
  /** stored; Patchline has no wake-on-LAN */
  readonly powerUpIfOffline?: boolean;
  /** variables set at the top of the script at each run (core withPrompts) */
  readonly prompts?: readonly ScriptPrompt[];
}

export type ScheduleOutcome =
  { kind: 'scheduled'; taskId: number; nextDueAt: Date | null } | { kind: 'ran-now'; start: RunStart };

/**
 * Schedules a procedure on one device: a `script` task naming it, in the device's zone when the schedule
 * says so. A schedule whose first occurrence is not after now (a one-off start in the past) runs now.
 * Refused while the organization's script switch is off, as running now is (the refusal is logged).
 */
export async function scheduleProcedure(
  ctx: Context,
  deviceId: number,
  procedureId: number,
  schedule: Schedule,
  options: ProcedureOptions = {},
): Promise<ScheduleOutcome> {
  ctx.authorize('run_scripts');
  ctx.authorize('manage_policies');
  const { device, p } = await procedureOnDevice(ctx, deviceId, procedureId);
  const s = await scheduleForDevice(ctx, device, schedule);
  if (!s)
    return { kind: 'ran-now', start: await runProcedureNow(ctx, deviceId, procedureId, options.prompts) };
  await requireScriptsEnabled(ctx, device.organization_id, { procedureId: p.id, deviceId: device.id });
  const orgId = device.organization_id;
  return ctx.store.transaction(async (tx) => {
    const task = await insertTask(tx, {
      organization_id: orgId,
      kind: 'script',
      name: `procedure ${p.id}: ${p.name} on ${device.name}`,
      parameters: {
        target: { kind: 'devices', ids: [device.id] },
        catchUp: false,
        procedureId: p.id,
        ...(options.skipIfOffline !== undefined ? { skipIfOffline: options.skipIfOffline } : {}),
        ...(options.powerUpIfOffline !== undefined ? { powerUpIfOffline: options.powerUpIfOffline } : {}),
        ...(options.prompts?.length ? { prompts: options.prompts.map((x) => ({ ...x })) } : {}),
      },
      created_by: ctx.actor.name,
    });
    const zone = effectiveZone({ organization: await organizationZone(tx, orgId), server: serverZone() });
    const next = firstDue(s, ctx.now(), zone);
    const row = await insertSchedule(tx, {
      organization_id: orgId,
      owner_type: 'task',
      owner_id: task.id,
      definition: s,
      next_due_at: next,
    });
    await setTaskSchedule(tx, task.id, row.id);
    await record(ctx, tx, {
      kind: 'task.created',
      organizationId: orgId,
      subjectType: 'task',
      subjectId: task.id,
      deviceId: device.id,
      data: { kind: 'script', name: task.name, scheduled: true, procedureId: p.id, nextDueAt: next },
    });
    return { kind: 'scheduled' as const, taskId: task.id, nextDueAt: next };
  });
}

export interface ScheduledProcedureView {
  taskId: number;
  procedureId: number;
  procedureName: string;
  deviceId: number;
  schedule: Schedule;
  nextDueAt: Date | null;
  lastFiredAt: Date | null;
  createdBy: string;
  /** what the schedule was given (core ProcedureOptions) */
  options: { skipIfOffline: boolean | null; powerUpIfOffline: boolean | null; prompts: ScriptPrompt[] };
  /** the latest run of this procedure on the device, if any */
  lastRun: { id: number; status: string; at: Date } | null;
}

/** the procedures scheduled on a device */
export async function scheduledProcedures(ctx: Context, deviceId: number): Promise<ScheduledProcedureView[]> {
  ctx.authorize('read');
  const device = await visibleDevice(ctx, deviceId);
  const rows = await repo.scheduledProceduresOf(ctx.store.db, device.organization_id, device.id);
  const out: ScheduledProcedureView[] = [];
  for (const r of rows) {
    const [last] = (
      await repo.queryDeviceRuns(ctx.store.db, device.id, {
        ...byField('procedureId', r.procedure_id),
        sort: [{ by: { kind: 'field', name: 'id' }, direction: 'desc' }],
        top: 1,
      })
    ).records;
    out.push({
      taskId: r.task_id,
      procedureId: r.procedure_id,
      procedureName: r.procedure_name,
      deviceId: device.id,
      schedule: r.definition as Schedule,
      nextDueAt: r.next_due_at,
      lastFiredAt: r.last_fired_at,
      createdBy: r.created_by,
      options: {
        skipIfOffline: typeof r.parameters.skipIfOffline === 'boolean' ? r.parameters.skipIfOffline : null,
        powerUpIfOffline:
          typeof r.parameters.powerUpIfOffline === 'boolean' ? r.parameters.powerUpIfOffline : null,
        prompts: parsePrompts(r.parameters.prompts),
      },
      lastRun: last ? { id: last.id, status: last.status, at: last.last_execution_at } : null,
    });
  }
  return out;
}

/**
 * Cancels a procedure on a device: its schedules on the device stop (the device leaves the task's
 * target; a task left with no device is unscheduled and disabled) and its runs the agent has not
 * received yet are cancelled. Not found when there is nothing of it to cancel.
 */
export async function cancelProcedure(
  ctx: Context,
  deviceId: number,
  procedureId: number,
): Promise<{ unscheduled: number; cancelledRuns: number }> {
  ctx.authorize('run_scripts');
  const { device, p } = await procedureOnDevice(ctx, deviceId, procedureId);
  const orgId = device.organization_id;
  const reason = `cancelled by ${ctx.actor.name}`;
  const tasks = (await repo.scheduledProceduresOf(ctx.store.db, orgId, device.id)).filter(
    (t) => t.procedure_id === p.id,
  );
  if (tasks.length) ctx.authorize('manage_policies');
  const open = (
    await repo.queryDeviceRuns(ctx.store.db, device.id, {
      ...byField('procedureId', p.id),
      sort: [],
      top: 1000,
    })
  ).records.filter((r) => isOpenRunStatus(r.status) && r.job_id !== null);
  const out = await ctx.store.transaction(async (tx) => {
    const events: EventInput[] = [];
    for (const t of tasks) {
      const ids = ((t.parameters.target as { ids: number[] }).ids ?? []).filter((id) => id !== device.id);
      if (ids.length)
        await setTaskParameters(tx, t.task_id, { ...t.parameters, target: { kind: 'devices', ids } });
      else {
        await setTaskSchedule(tx, t.task_id, null);
        await deleteSchedule(tx, t.schedule_id);
        await disableTask(tx, t.task_id);
      }
      events.push({
        kind: ids.length ? 'task.target_changed' : 'task.unscheduled',
        organizationId: orgId,
        subjectType: 'task',
        subjectId: t.task_id,
        deviceId: device.id,
        data: { removedDeviceId: device.id, procedureId: p.id, reason },
      });
    }
    let cancelledRuns = 0;
    for (const r of open) {
      if (!(await cancelScriptJob(tx, r.job_id!, reason))) continue;
      for (const ended of await settleOpenRuns(tx, r.job_id!, {
        status: 'cancelled',
        finished_at: ctx.now(),
      })) {
        cancelledRuns++;
        events.push({
          kind: 'script.cancelled',
          organizationId: ended.organization_id,
          subjectType: 'script_run',
          subjectId: ended.id,
          deviceId: ended.device_id,
          data: { phase: ended.phase, procedureId: p.id, jobId: ended.job_id },
        });
      }
    }
    if (events.length) await record(ctx, tx, events);
    return { unscheduled: tasks.length, cancelledRuns };
  });
  if (!out.unscheduled && !out.cancelledRuns)
    throw notFound('scheduled run', `of procedure ${p.id} on device ${device.id} (none waits)`);
  return out;
}

/** every script the device ran or was asked to run, as a list query (fields: see queryDeviceRuns) */
export async function queryProcedureHistory(
  ctx: Context,
  deviceId: number,
  q: ListQuery,
): Promise<Listed<repo.DeviceRunEntry>> {
  ctx.authorize('read');
  await visibleDevice(ctx, deviceId);
  return repo.queryDeviceRuns(ctx.store.db, deviceId, q);
}
