import { conflict } from '../core/errors.ts';
import { canTransition, IN_FLIGHT, inGroup, type UpdateStatus } from '../core/status.ts';
import * as repo from '../store/repos/agents-repo.ts';
import { getUpdate, deviceUpdateStates, setDeviceUpdateStatus } from '../store/repos/updates-repo.ts';
import { updateDevice } from '../store/repos/devices-repo.ts';
import { getPolicy as getPolicyRow } from '../store/repos/policies-repo.ts';
import type { Row } from '../store/schema.ts';
import type { Store } from '../store/db.ts';
import type { CheckInRequest, JobUpdate } from '../wire/agent.ts';
import { admitDevice, authenticateDevice, noteSeen, touchCached, type Admission } from './agent-devices.ts';
import { updateStatusEvent } from './agent-jobs.ts';
import { settingsForCheckIn, settingsKey } from './agent-settings.ts';
import { Context, systemContext } from './context.ts';
import { approveToInstall } from './device-patching.ts';
import { deviceMemory, MACHINE_ID } from './device-cache.ts';
import { record, type EventInput } from './events.ts';
import { policySelectionOn } from './preview.ts';
import { handOutScriptJob } from './scripts.ts';
import { installAllowedAt } from './windows.ts';

// The agent's heartbeat: what changed on the device in, the jobs waiting and the settings out.

export const AGENT_PROTOCOL_VERSION = 1;

/**
 * Cloned agents: a device's credential belongs to one machine. The first machine id presented is
 * remembered; another one with the same credential is a copied agent (an imaged VM, a copied state
 * directory). It is recorded as `device.clone_suspected` and refused with 409, telling the clone to enroll.
 * Returns the machine id the device is known by from now on.
 */
async function checkMachine(ctx: Context, device: Row<'devices'>, machineId: string): Promise<string> {
  const known = device.inventory?.[MACHINE_ID];
  if (typeof known !== 'string' || !known) {
    const inventory = { ...(device.inventory ?? {}), [MACHINE_ID]: machineId };
    await updateDevice(ctx.store.db, device.id, { inventory });
    touchCached(ctx.store, device.id, { inventory });
    return machineId;
  }
  if (known === machineId) return known;
  await ctx.store.transaction((tx) =>
    record(ctx, tx, {
      kind: 'device.clone_suspected',
      organizationId: device.organization_id,
      subjectType: 'device',
      subjectId: device.id,
      deviceId: device.id,
      data: { knownMachineId: known, presentedMachineId: machineId },
    }),
  );
  throw conflict(
    `this device credential belongs to another machine (machine id ${known}, this one presented ${machineId}): ` +
      'this agent looks like a clone; delete its state and enroll again with an install token',
  );
}

/**
 * A check-in by a device credential: answered from what this replica remembers of the device when it is
 * idle (nothing new reported, no job waiting, the agent holding the current settings), without the
 * database; otherwise the full check-in, after the credential's lookup.
 */
export async function checkInWithCredential(
  store: Store,
  credential: string,
  c: CheckInRequest,
  /** the credential's first check, when it was made already */
  admission?: Admission,
) {
  // a device the memory does not hold (after a start) is read with the other misses of the moment
  const a = admission ?? (await admitDevice(store, credential));
  const idle = idleCheckIn(store, a.hash, c);
  if (idle) return idle;
  const d = a.device ?? (await authenticateDevice(store, credential));
  return checkIn(d.ctx, d.device, c, { openJobs: d.openJobs, settingsRevision: d.settingsRevision });
}

/** the idle check-in from memory, or undefined when it needs the full one */
function idleCheckIn(store: Store, hash: string, c: CheckInRequest) {
  const memory = deviceMemory(store);
  const now = new Date();
  const d = memory.get(hash, now.getTime());
  if (
    !d ||
    d.status === 'retired' || // the full path refuses it, with the same words
    d.open_jobs ||
    c.inventory !== undefined ||
    (c.agentVersion !== undefined && c.agentVersion !== d.agent_version) ||
    (c.rebootRequired !== undefined && c.rebootRequired !== d.reboot_required) ||
    (c.machineId !== undefined && c.machineId !== d.machine_id) ||
    c.settingsHash === undefined ||
    c.settingsHash !== d.settings_hash ||
    d.settings_key !== settingsKey(d, memory.revisionOf(d), now)
  )
    return undefined;
  noteSeen(store, d.id, now);
  return {
    protocol: AGENT_PROTOCOL_VERSION,
    serverTime: now,
    scanSequence: d.scan_sequence,
    jobs: [],
    settingsHash: d.settings_hash,
  };
}

/**
 * Heartbeat: returns the jobs waiting and the settings hash (with the settings when the agent's hash
 * differs), in one round trip. An idle check-in (nothing reported, no job, settings unchanged) costs the
 * credential lookup and nothing else.
 */
export async function checkIn(
  ctx: Context,
  device: Row<'devices'>,
  c: CheckInRequest,
  /** what authenticateDevice learnt in the same query: openJobs false = skip the jobs query */
  known: { openJobs?: boolean; settingsRevision?: number } = {},
) {
  const db = ctx.store.db;
  const now = ctx.now();
  // the machine id this check-in may have just remembered (the device row was read before)
  const machineId =
    c.machineId !== undefined ? await checkMachine(ctx, device, c.machineId) : device.inventory?.[MACHINE_ID];
  const patch: Parameters<typeof updateDevice>[2] = {};
  if (c.agentVersion !== undefined && c.agentVersion !== device.agent_version)
    patch.agent_version = c.agentVersion;
  if (c.rebootRequired !== undefined && c.rebootRequired !== device.reboot_required)
    patch.reboot_required = c.rebootRequired;
  if (c.inventory !== undefined)
    patch.inventory = machineId === undefined ? c.inventory : { ...c.inventory, [MACHINE_ID]: machineId };
  if (Object.keys(patch).length) {
    await updateDevice(db, device.id, { ...patch, last_seen_at: now });
    touchCached(ctx.store, device.id, patch as Partial<Row<'devices'>>);
  } else noteSeen(ctx.store, device.id, now); // the idle path: one buffered stamp, written in batches
  const open = known.openJobs === false ? [] : await repo.openJobs(db, device.id);
  // an install waits for a maintenance window that allows it (unless its policy overrides windows)
  const held = new Set<number>();
  for (const j of open)
    if (
      (j.kind === 'install' || (j.kind === 'script' && j.payload.policyId !== undefined)) &&
      j.status === 'pending'
    ) {
      const policyId = typeof j.payload.policyId === 'number' ? j.payload.policyId : undefined;
      if (!(await installAllowedAt(db, device.id, now, policyId === undefined ? {} : { policyId })))
        held.add(j.id);
    }
  // a script job goes out only while the organization allows scripts, with its steps filled in
  for (const j of open)
    if (j.kind === 'script' && j.status === 'pending' && !held.has(j.id)) {
      const payload = await handOutScriptJob(ctx, device, j);
      if (payload) j.payload = payload;
      else held.add(j.id);
    }
  const jobs = open.filter((j) => !held.has(j.id));
  const fresh = jobs.filter((j) => j.status === 'pending');
  await repo.markDelivered(
    db,
    fresh.map((j) => j.id),
  );
  for (const j of fresh) if (j.kind === 'install') j.payload = await queueInstall(ctx, device, j);
  const revision = known.settingsRevision ?? (await repo.settingsRevision(db, device.organization_id));
  const s = await settingsForCheckIn(ctx, device, revision, c.settingsHash);
  if (s.stored) touchCached(ctx.store, device.id, s.stored);
  return {
    protocol: AGENT_PROTOCOL_VERSION,
    serverTime: now,
    scanSequence: device.scan_sequence,
    jobs: jobs.map((j) => ({ id: j.id, kind: j.kind, payload: j.payload, notBefore: j.not_before })),
    settingsHash: s.settingsHash,
    ...(s.settings ? { settings: s.settings } : {}),
  };
}

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * When an install job is first handed out, it takes its updates into its payload and queues them, once:
 * the agent installs exactly that list, and the job's result settles each of them. Which updates:
 * - a policy's scheduled install (`policyId` without `updateIds`): what the policy selects on the device
 *   now, the same selection as its preview and "run now" (services/preview.ts policySelectionOn), approved
 *   on the device as "run now" approves it (services/device-patching.ts approveToInstall);
 * - otherwise the device's approved missing updates (status pending; only those named in `updateIds`
 *   when the task gave some).
 */
async function queueInstall(
  ctx: Context,
  device: Row<'devices'>,
  job: { id: number; payload: Record<string, unknown> },
): Promise<Record<string, unknown>> {
  if (Array.isArray(job.payload.updates)) return job.payload;
  const named = Array.isArray(job.payload.updateIds) ? (job.payload.updateIds as number[]) : undefined;
  const policyId = typeof job.payload.policyId === 'number' ? job.payload.policyId : undefined;
  return ctx.store.transaction(async (tx) => {
    // two check-ins at once (an agent's retry) both saw the job waiting: the later one hands out what the
    // first took, rather than selecting again from statuses the first just moved
    const current = (await repo.lockJobPayload(tx, job.id))?.payload;
    if (current && Array.isArray(current.updates)) return current;
    const bySelection = named === undefined && policyId !== undefined;
    const only = bySelection ? await policySelectionOn(tx, policyId, device) : named;
    // the policy's selection needs no prior approval (its rule decides); anything else installs what is approved
    const installable = (s: { status: string }) =>
      bySelection
        ? !inGroup(IN_FLIGHT, s.status) && canTransition(s.status as UpdateStatus, 'queued')
        : s.status === 'pending';
    let states = (await deviceUpdateStates(tx, [device.id], only)).filter(installable);
    // installing the selection approves it on the device, as the policy's "run now" does (the same trail in
    // the approvals history), the policy being the actor and the reason
    if (bySelection && states.length) {
      const policy = await getPolicyRow(tx, policyId);
      const inTx: Store = { ...ctx.store, db: tx, transaction: (fn) => fn(tx) };
      const actor = systemContext(inTx, `policy '${policy?.name ?? policyId}'`).actor;
      await approveToInstall(new Context(inTx, actor, ctx.now), device.id, states, policyId);
      const approved = states.map((s) => s.update_id);
      states = (await deviceUpdateStates(tx, [device.id], approved)).filter(installable);
    }
    const updates: JobUpdate[] = [];
    const events: EventInput[] = [];
    for (const s of states) {
      const u = await getUpdate(tx, s.update_id);
      if (!u) continue;
      const sha256 = u.sha256?.trim().toLowerCase() ?? '';
      updates.push({
        updateId: u.id,
        kind: u.kind,
        name: u.name,
        packageName: u.package_name,
        version: u.version,
        architecture: u.architecture,
        ...(SHA256.test(sha256)
          ? { package: { sha256, sizeBytes: u.size_bytes, sourceUrl: u.source_url } }
          : {}),
      });
      await setDeviceUpdateStatus(tx, device.id, u.id, 'queued');
      events.push(updateStatusEvent(device, u.id, s.status as UpdateStatus, 'queued', `job ${job.id}`));
    }
    const payload = { ...job.payload, updates };
    await repo.setJobPayload(tx, job.id, payload);
    if (events.length) await record(ctx, tx, events);
    return payload;
  });
}
