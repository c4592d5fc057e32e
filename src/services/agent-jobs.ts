import { invalid, notFound } from '../core/errors.ts';
import { canTransition, IN_FLIGHT, type UpdateStatus } from '../core/status.ts';
import type { Db } from '../store/db.ts';
import * as repo from '../store/repos/agents-repo.ts';
import { deviceUpdateStates, setDeviceUpdateStatus } from '../store/repos/updates-repo.ts';
import type { Row } from '../store/schema.ts';
import type { JobProgressRequest, JobResultRequest, JobUpdate } from '../wire/agent.ts';
import type { Context } from './context.ts';
import { record, type EventInput } from './events.ts';
import { settleScriptJob, startScriptJob } from './scripts.ts';

// What an agent says about the jobs it was handed: started (progress) and finished (result), each
// idempotent by job id; an install job's updates move along with it.

/** the event of an update's status change on a device, caused by a job */
export const updateStatusEvent = (
  device: Row<'devices'>,
  updateId: number,
  from: UpdateStatus,
  to: UpdateStatus,
  reason: string,
): EventInput => ({
  kind: 'device_update.status',
  organizationId: device.organization_id,
  subjectType: 'device_update',
  subjectId: `${device.id}:${updateId}`,
  deviceId: device.id,
  updateId,
  data: { from, to, reason },
});

/** A job's outcome, idempotent by job id: a repeated report changes nothing. */
export async function reportJobResult(
  ctx: Context,
  device: Row<'devices'>,
  jobId: number,
  outcome: JobResultRequest,
) {
  const job = await repo.getJob(ctx.store.db, jobId);
  if (!job || job.device_id !== device.id) throw notFound('job', jobId);
  const first = await ctx.store.transaction(async (tx) => {
    const changed = await repo.finishJob(tx, jobId, outcome.status, outcome.result ?? {});
    if (changed)
      await record(ctx, tx, {
        kind: `job.${outcome.status}`,
        organizationId: device.organization_id,
        subjectType: 'job',
        subjectId: jobId,
        deviceId: device.id,
        data: { kind: job.kind },
      });
    if (changed && job.kind === 'install') await settleInstall(ctx, tx, device, job, outcome);
    if (changed && job.kind === 'script') await settleScriptJob(ctx, tx, device, job, outcome);
    return changed;
  });
  return { recorded: first, duplicate: !first };
}

/**
 * The agent started a job. Idempotent: the first report moves the job to running (`job.started`), and for
 * an install the named updates (all by default) from queued to installing; a repeat changes nothing
 * except updates not yet installing; a report about a finished job is acknowledged and ignored.
 */
export async function reportJobProgress(
  ctx: Context,
  device: Row<'devices'>,
  jobId: number,
  p: JobProgressRequest,
) {
  const job = await repo.getJob(ctx.store.db, jobId);
  if (!job || job.device_id !== device.id) throw notFound('job', jobId);
  const asked =
    job.kind === 'install' && Array.isArray(job.payload.updates) ? (job.payload.updates as JobUpdate[]) : [];
  if (p.updateIds) {
    const known = new Set(asked.map((u) => u.updateId));
    const strangers = p.updateIds.filter((id) => !known.has(id));
    if (strangers.length)
      throw invalid(
        `job ${jobId} does not install update(s) ${strangers.join(', ')}`,
        strangers.map((id) => ({ path: '/updateIds', message: `update ${id} is not part of job ${jobId}` })),
      );
  }
  return ctx.store.transaction(async (tx) => {
    const started = await repo.startJob(tx, jobId);
    const events: EventInput[] = [];
    if (started)
      events.push({
        kind: 'job.started',
        organizationId: device.organization_id,
        subjectType: 'job',
        subjectId: jobId,
        deviceId: device.id,
        data: { kind: job.kind, stage: p.stage },
      });
    if (started && job.kind === 'script') await startScriptJob(ctx, tx, device, jobId);
    const finished = !started && !repo.isOpenJobStatus(job.status);
    let installing = 0;
    if (!finished && asked.length) {
      const only = new Set(p.updateIds ?? asked.map((u) => u.updateId));
      const states = await deviceUpdateStates(
        tx,
        [device.id],
        asked.map((u) => u.updateId).filter((id) => only.has(id)),
      );
      for (const st of states) {
        const from = st.status as UpdateStatus;
        if (from !== 'queued' || !canTransition(from, 'installing')) continue; // a scan or a person moved it
        await setDeviceUpdateStatus(tx, device.id, st.update_id, 'installing');
        events.push(updateStatusEvent(device, st.update_id, from, 'installing', `job ${jobId}`));
        installing++;
      }
    }
    if (events.length) await record(ctx, tx, events);
    return { recorded: started || installing > 0, duplicate: !started && installing === 0, installing };
  });
}

/**
 * Settles the updates an install job carried (queued or installing) from the agent's per-update results
 * (`result.updates: [{updateId, status: succeeded | failed, rebootRequired?, message?}]`); an update the
 * result does not mention takes the job's status.
 */
async function settleInstall(
  ctx: Context,
  tx: Db,
  device: Row<'devices'>,
  job: { id: number; payload: Record<string, unknown> },
  outcome: JobResultRequest,
) {
  const asked = Array.isArray(job.payload.updates) ? (job.payload.updates as JobUpdate[]) : [];
  if (!asked.length) return;
  type Reported = { updateId?: unknown; status?: unknown; rebootRequired?: unknown; message?: unknown };
  const reported = new Map<number, Reported>();
  const list = outcome.result?.updates;
  if (Array.isArray(list))
    for (const r of list as Reported[]) if (typeof r?.updateId === 'number') reported.set(r.updateId, r);
  const states = new Map(
    (
      await deviceUpdateStates(
        tx,
        [device.id],
        asked.map((u) => u.updateId),
      )
    ).map((s) => [s.update_id, s.status as UpdateStatus]),
  );
  const events: EventInput[] = [];
  for (const u of asked) {
    const from = states.get(u.updateId);
    if (from === undefined || !IN_FLIGHT.includes(from)) continue; // a scan or a person moved it meanwhile
    const r = reported.get(u.updateId);
    const ok = (r?.status ?? outcome.status) === 'succeeded';
    const to: UpdateStatus = !ok ? 'failed' : r?.rebootRequired === true ? 'reboot_required' : 'installed';
    if (!canTransition(from, to)) continue;
    const message = typeof r?.message === 'string' ? r.message.slice(0, 2000) : null;
    await setDeviceUpdateStatus(tx, device.id, u.updateId, to, {
      ...(ok ? { installed_at: ctx.now(), last_error: null } : { last_error: message ?? 'install failed' }),
    });
    await repo.countInstallAttempt(tx, device.id, u.updateId);
    events.push({
      ...updateStatusEvent(device, u.updateId, from, to, `job ${job.id}`),
      data: { from, to, reason: `job ${job.id}`, ...(message ? { message } : {}) },
    });
  }
  if (events.length) await record(ctx, tx, events);
}
