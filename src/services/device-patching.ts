import type { AuditKind } from '../core/audit/model.ts';
import type { ApprovalAction, ApprovalLevel } from '../core/approvals.ts';
import { forbidden, invalid, notFound } from '../core/errors.ts';
import { parseSchedule, type Schedule } from '../core/schedule/model.ts';
import { firstDue } from '../core/schedule/occurrences.ts';
import { isValidZoneName } from '../core/schedule/zones.ts';
import type { ListQuery, Listed } from '../core/query.ts';
import { inGroup, INSTALLABLE } from '../core/status.ts';
import { cancelPendingJobs } from '../store/repos/agents-repo.ts';
import { listDecisions } from '../store/repos/approvals-repo.ts';
import {
  devicePatchSummary as summaryOf,
  queryMissingUpdates as missingRows,
  queryUpdateHistory as historyRows,
  type DeviceUpdateEntry,
} from '../store/repos/device-patch-views-repo.ts';
import type { DeviceRow } from '../store/repos/devices-repo.ts';
import { getOrganization } from '../store/repos/organizations-repo.ts';
import {
  cancelInstance as cancelInstanceRow,
  deleteSchedule,
  disableTask,
  scheduledTasksNaming,
  setTaskParameters,
  setTaskSchedule,
  setWaitingInstanceParameters,
  waitingInstancesNaming,
} from '../store/repos/tasks-repo.ts';
import { deviceUpdateStates, existingUpdateIds } from '../store/repos/updates-repo.ts';
import { applyApproval, effectiveApprovals } from './approvals.ts';
import type { Context } from './context.ts';
import type { Db } from '../store/db.ts';
import { visibleDevice } from './devices.ts';
import { record, type EventInput } from './events.ts';
import { inTargetScope, taskTargets } from './targets.ts';
import { createTask, runOnDevice, type InstanceView, type TaskView } from './tasks.ts';

// Patching one device at a time, as the agent-centred dialects ask:
// scan now or on a schedule, install chosen updates now or on a schedule, cancel what waits, clear an
// ignore. Every function checks every device before it changes anything, so a request naming one device
// outside the caller's scope fails as a whole (not found) and changes nothing.

/** the governing decision of each update a device has a state for */
export interface DeviceDecision {
  readonly updateId: number;
  readonly action: ApprovalAction;
  readonly level: ApprovalLevel;
}

export async function deviceDecisions(
  ctx: Context,
  deviceId: number,
): Promise<{ device: DeviceRow; decisions: DeviceDecision[] }> {
  ctx.authorize('read');
  const device = await visibleDevice(ctx, deviceId);
  const states = await deviceUpdateStates(ctx.store.db, [deviceId]);
  const eff = await effectiveApprovals(ctx.store.db, device.organization_id, states);
  const decisions = states.flatMap((s) => {
    const e = eff.get(`${deviceId}:${s.update_id}`);
    return e ? [{ updateId: s.update_id, action: e.action, level: e.level }] : [];
  });
  return { device, decisions };
}

async function visibleDevices(ctx: Context, ids: readonly number[]): Promise<DeviceRow[]> {
  if (!ids.length) throw invalid('name at least one device', [{ path: '/devices', message: 'is empty' }]);
  const out: DeviceRow[] = [];
  for (const id of new Set(ids)) out.push(await visibleDevice(ctx, id));
  return out;
}

/** how a device's own time zone stands in for "the agent's time": a one-device schedule names it */
function inDeviceZone(s: Schedule, device: DeviceRow): Schedule {
  if (s.zone.kind !== 'device' || !device.time_zone || !isValidZoneName(device.time_zone)) return s;
  return parseSchedule({ ...s, zone: { kind: 'named', name: device.time_zone } });
}

/** the schedule for one device (in the device's zone where it says so); null when it never fires after now */
export async function scheduleForDevice(
  ctx: Context,
  device: DeviceRow,
  s: Schedule,
): Promise<Schedule | null> {
  const resolved = inDeviceZone(s, device);
  const org = await getOrganization(ctx.store.db, device.organization_id);
  return firstDue(resolved, ctx.now(), org?.time_zone ?? undefined) ? resolved : null;
}

/** the schedule for one device, refused when it never fires after now */
async function deviceSchedule(ctx: Context, device: DeviceRow, s: Schedule): Promise<Schedule> {
  const resolved = await scheduleForDevice(ctx, device, s);
  if (!resolved)
    throw invalid('the schedule never fires after now: give a start in the future or a recurrence', [
      { path: '/start', message: `no occurrence after ${ctx.now().toISOString()}` },
    ]);
  return resolved;
}

/** options the dialect passes along with a device action; stored with the task, for its jobs */
export interface DeviceActionOptions {
  /** skip a device that is offline when the action is due (stored; Patchline's jobs wait for the device) */
  readonly skipIfOffline?: boolean;
  /** wake an offline device first (stored; Patchline has no wake-on-LAN) */
  readonly powerUpIfOffline?: boolean;
  /** a scan that also sends this audit of the machine (services/audits.ts) */
  readonly audit?: AuditKind;
}

const optionParameters = (o: DeviceActionOptions) => ({
  ...(o.audit !== undefined ? { audit: o.audit } : {}),
  ...(o.skipIfOffline !== undefined ? { skipIfOffline: o.skipIfOffline } : {}),
  ...(o.powerUpIfOffline !== undefined ? { powerUpIfOffline: o.powerUpIfOffline } : {}),
});

/** scan now: one scan instance per device */
export async function scanDevicesNow(ctx: Context, deviceIds: readonly number[]): Promise<InstanceView[]> {
  const devices = await visibleDevices(ctx, deviceIds);
  ctx.authorize('manage_devices');
  const out: InstanceView[] = [];
  for (const d of devices) out.push(await runOnDevice(ctx, d.id, 'scan'));
  return out;
}

/**
 * A recurring (or one-off, future) scan of one device. A schedule is a task's, so it also needs
 * manage_policies; a schedule in the device's time zone uses the device's zone when it has one.
 */
export async function scheduleDeviceScan(
  ctx: Context,
  deviceId: number,
  schedule: Schedule,
  options: DeviceActionOptions = {},
): Promise<TaskView> {
  const device = await visibleDevice(ctx, deviceId);
  ctx.authorize('manage_devices');
  const s = await deviceSchedule(ctx, device, schedule);
  return createTask(ctx, {
    organizationId: device.organization_id,
    kind: 'scan',
    name: options.audit
      ? `scheduled ${options.audit} audit: ${device.name}`
      : `scheduled scan: ${device.name}`,
    parameters: { target: { kind: 'devices', ids: [device.id] }, ...optionParameters(options) },
    schedule: s,
  });
}

export interface InstallOutcome {
  readonly deviceId: number;
  /** the updates this install takes; undefined = every approved update of the device */
  readonly updateIds?: number[];
  /** updates named but left alone: ignored on the device itself, installed already, or not on it */
  readonly skipped: number[];
  readonly instance?: InstanceView;
  readonly task?: TaskView;
}

/**
 * Naming updates to install on a device is a decision to install them there: each is approved on the
 * device and a failed one retried. Used by every install that names its updates: a user's (below, "run
 * now" included) and a policy's scheduled run (services/agent-checkin.ts, inside its transaction, with a
 * context over it). `policyId`: the policy whose run it is, recorded as the reason.
 */
export async function approveToInstall(
  ctx: Context,
  deviceId: number,
  chosen: readonly { update_id: number; status: string }[],
  policyId?: number,
) {
  const reason = policyId === undefined ? {} : { policyId };
  const ids = [...new Set(chosen.map((s) => s.update_id))].sort((a, b) => a - b);
  if (!ids.length) return;
  await applyApproval(ctx, { deviceId }, ids, 'approve', reason);
  const failed = chosen.filter((s) => s.status === 'failed').map((s) => s.update_id);
  if (failed.length) await applyApproval(ctx, { deviceId }, failed, 'retry', reason);
}

/**
 * Installs updates on devices, now or on a schedule (a schedule that never fires after now means now).
 * Without `updateIds` each device installs its approved updates. Naming updates is a decision to install
 * them on those devices: they are approved on each device (a recorded user decision, so it needs the
 * approve privilege) and a failed one is retried, except where the device itself ignores the update
 * (an ignore on the device stops every way of installing it until it is cleared).
 */
export async function installOnDevices(
  ctx: Context,
  input: {
    deviceIds: readonly number[];
    updateIds?: readonly number[];
    schedule?: Schedule;
    options?: DeviceActionOptions;
    /** the policy whose run names these updates (the reason its approvals record) */
    policyId?: number;
  },
): Promise<InstallOutcome[]> {
  const devices = await visibleDevices(ctx, input.deviceIds);
  ctx.authorize('manage_devices');
  const named = input.updateIds?.length ? [...new Set(input.updateIds)] : undefined;
  if (named) {
    ctx.authorize('approve');
    const known = new Set(await existingUpdateIds(ctx.store.db, named, ctx.access));
    const unknown = named.filter((id) => !known.has(id));
    if (unknown.length) throw notFound(unknown.length === 1 ? 'patch' : 'patches', unknown.join(', '));
  }
  const now = ctx.now();
  const plans: { device: DeviceRow; schedule?: Schedule }[] = [];
  for (const device of devices) {
    let s = input.schedule ? inDeviceZone(input.schedule, device) : undefined;
    if (s) {
      const org = await getOrganization(ctx.store.db, device.organization_id);
      if (!firstDue(s, now, org?.time_zone ?? undefined)) s = undefined; // "run now" with a past one-off date
    }
    if (s) ctx.authorize('manage_policies');
    plans.push({ device, ...(s ? { schedule: s } : {}) });
  }

  const out: InstallOutcome[] = [];
  for (const { device, schedule } of plans) {
    let updateIds: number[] | undefined;
    const skipped: number[] = [];
    if (named) {
      const states = await deviceUpdateStates(ctx.store.db, [device.id], named);
      const eff = await effectiveApprovals(ctx.store.db, device.organization_id, states);
      const chosen = states.filter((s) => {
        const e = eff.get(`${device.id}:${s.update_id}`);
        const ignoredHere = e?.action === 'ignore' && e.level === 'device';
        return inGroup(INSTALLABLE, s.status) && !ignoredHere;
      });
      updateIds = chosen.map((s) => s.update_id).sort((a, b) => a - b);
      skipped.push(...named.filter((id) => !updateIds!.includes(id)));
      if (!updateIds.length) {
        out.push({ deviceId: device.id, updateIds, skipped });
        continue;
      }
      await approveToInstall(ctx, device.id, chosen, input.policyId);
    }
    if (schedule) {
      const task = await createTask(ctx, {
        organizationId: device.organization_id,
        kind: 'install',
        name: `scheduled install: ${device.name}`,
        parameters: {
          target: { kind: 'devices', ids: [device.id] },
          ...(updateIds ? { updateIds } : {}),
          ...optionParameters(input.options ?? {}),
        },
        schedule,
      });
      out.push({ deviceId: device.id, ...(updateIds ? { updateIds } : {}), skipped, task });
    } else {
      const instance = await runOnDevice(ctx, device.id, 'install', updateIds ? { updateIds } : {});
      out.push({ deviceId: device.id, ...(updateIds ? { updateIds } : {}), skipped, instance });
    }
  }
  return out;
}

export interface CancelOutcome {
  readonly deviceId: number;
  /** install jobs no agent had picked up, now cancelled */
  readonly cancelledJobs: number;
  /** install instances not started yet that targeted only this device, now cancelled */
  readonly cancelledInstances: number;
  /** scheduled install tasks that no longer include the device (disabled when it was their only target) */
  readonly unscheduledTasks: number;
}

/**
 * The scheduled install tasks and waiting install instances a cancel for the device edits, refused
 * (forbidden) unless the actor's scope covers everything each one targets (services/targets.ts): a
 * group-scoped actor may take its device out of an install that also names devices of other groups no
 * more than it may re-target that install. Run before anything changes, and again on the rows the
 * transaction edits.
 */
async function editedInstalls(ctx: Context, db: Db, device: DeviceRow) {
  const org = device.organization_id;
  const tasks = await scheduledTasksNaming(db, org, device.id, 'install');
  const instances = await waitingInstancesNaming(db, org, device.id, 'install');
  const of = (r: { parameters: Record<string, unknown> }) => ({
    orgId: org,
    targets: taskTargets(r.parameters),
  });
  const inScope =
    (await inTargetScope(ctx, db, tasks, of)).length === tasks.length &&
    (await inTargetScope(ctx, db, instances, of)).length === instances.length;
  if (!inScope)
    throw forbidden(
      `installs waiting for device ${device.id} also target devices outside your scope: only a user whose scope covers all of them can cancel them`,
    );
  return { tasks, instances };
}

/**
 * Cancels the installs waiting for devices: install jobs not handed to the agent yet, install instances
 * not started yet, and scheduled install tasks that name the device (the device leaves their target; a
 * task left without a device loses its schedule and is disabled). Installs already handed to the agent
 * run on. Tasks that target groups or a whole organization (policies) are left alone. Changing a
 * schedule also needs manage_policies.
 */
export async function cancelDeviceInstalls(
  ctx: Context,
  deviceIds: readonly number[],
): Promise<CancelOutcome[]> {
  const devices = await visibleDevices(ctx, deviceIds);
  ctx.authorize('manage_devices');
  const reason = `cancelled by ${ctx.actor.name}`;
  const out: CancelOutcome[] = [];
  for (const device of devices)
    if ((await editedInstalls(ctx, ctx.store.db, device)).tasks.length) ctx.authorize('manage_policies');
  for (const device of devices) {
    const org = device.organization_id;
    out.push(
      await ctx.store.transaction(async (tx) => {
        const events: EventInput[] = [];
        const base = { organizationId: org, deviceId: device.id };
        const edited = await editedInstalls(ctx, tx, device);
        let unscheduledTasks = 0;
        for (const t of edited.tasks) {
          const target = t.parameters.target as { kind: 'devices'; ids: number[] };
          const ids = target.ids.filter((id) => id !== device.id);
          if (ids.length)
            await setTaskParameters(tx, t.id, { ...t.parameters, target: { kind: 'devices', ids } });
          else {
            await setTaskSchedule(tx, t.id, null);
            if (t.schedule_id !== null) await deleteSchedule(tx, t.schedule_id);
            await disableTask(tx, t.id);
          }
          unscheduledTasks++;
          events.push({
            ...base,
            kind: ids.length ? 'task.target_changed' : 'task.unscheduled',
            subjectType: 'task',
            subjectId: t.id,
            data: { removedDeviceId: device.id, reason },
          });
        }
        let cancelledInstances = 0;
        for (const i of edited.instances) {
          const target = i.parameters.target as { kind: 'devices'; ids: number[] };
          const ids = target.ids.filter((id) => id !== device.id);
          if (ids.length) {
            if (
              await setWaitingInstanceParameters(tx, i.id, {
                ...i.parameters,
                target: { kind: 'devices', ids },
              })
            )
              events.push({
                ...base,
                kind: 'task_instance.target_changed',
                subjectType: 'task_instance',
                subjectId: i.id,
                data: { removedDeviceId: device.id, reason },
              });
          } else if (await cancelInstanceRow(tx, i.id, reason)) {
            cancelledInstances++;
            events.push({
              ...base,
              kind: 'task_instance.cancelled',
              subjectType: 'task_instance',
              subjectId: i.id,
              data: { reason },
            });
          }
        }
        const jobs = await cancelPendingJobs(tx, device.id, 'install', reason);
        for (const id of jobs)
          events.push({
            ...base,
            kind: 'job.cancelled',
            subjectType: 'job',
            subjectId: id,
            data: { reason },
          });
        if (events.length) await record(ctx, tx, events);
        return { deviceId: device.id, cancelledJobs: jobs.length, cancelledInstances, unscheduledTasks };
      }),
    );
  }
  return out;
}

/**
 * Clears the ignore set on a device for some updates; a decision to approve or do nothing on the
 * device stays (only an ignore is removed). Returns how many ignores were cleared.
 */
export async function clearDeviceIgnore(ctx: Context, deviceId: number, updateIds: readonly number[]) {
  const device = await visibleDevice(ctx, deviceId);
  ctx.authorize('approve');
  const ids = [...new Set(updateIds)];
  const known = new Set(await existingUpdateIds(ctx.store.db, ids, ctx.access));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length) throw notFound(unknown.length === 1 ? 'patch' : 'patches', unknown.join(', '));
  const ignored = (
    await listDecisions(
      ctx.store.db,
      { organizationId: device.organization_id, level: 'device', deviceId: device.id },
      ids.length ? ids : [0],
    )
  )
    .filter((d) => d.action === 'ignore' && d.source === 'user' && ids.includes(d.update_id))
    .map((d) => d.update_id);
  if (!ignored.length) return 0;
  const r = await applyApproval(ctx, { deviceId: device.id }, ignored, 'clear');
  return r.decisions;
}

// ---- what a device's patching looks like ----------------------------------------------------------------

export type { DeviceUpdateEntry };

/**
 * The updates a device does not have installed (outstanding, or ignored), as a list query over the
 * fields of an update on a device (store/repos/device-patch-views-repo.ts).
 */
export async function queryMissingUpdates(
  ctx: Context,
  deviceId: number,
  q: ListQuery,
): Promise<Listed<DeviceUpdateEntry & { installedAt: Date | null }>> {
  ctx.authorize('read');
  await visibleDevice(ctx, deviceId);
  return missingRows(ctx.store.db, ctx.access, deviceId, q);
}

/** A device's history of installs and failures, as a list query (status reached, recordedAt when). */
export async function queryUpdateHistory(
  ctx: Context,
  deviceId: number,
  q: ListQuery,
): Promise<Listed<DeviceUpdateEntry & { recordedAt: Date }>> {
  ctx.authorize('read');
  await visibleDevice(ctx, deviceId);
  return historyRows(ctx.store.db, ctx.access, deviceId, q);
}

/** A device's scan and install activity, its updates counted by status, and what is scheduled next. */
export async function devicePatchSummary(ctx: Context, deviceId: number) {
  ctx.authorize('read');
  const summary = await summaryOf(ctx.store.db, ctx.access, deviceId);
  if (!summary) throw notFound('device', deviceId);
  return summary;
}
